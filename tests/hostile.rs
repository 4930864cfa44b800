//! hostile: inputs written to hurt — huge files, deep nesting, invalid UTF-8 in every kind of
//! file, symlink loops, include cycles, endless templates, alias bombs, gigabyte renders and
//! 100,000-host ranges. Each must end with a diagnostic (exit 1) or an error (exit 2), never a
//! panic, a hang or unbounded memory.
//!
//! Unlike `bad_input.rs` and `bad_repos.rs` (which these complement and do not repeat), every run
//! here is bounded: the binary runs with its address space limited to [`MEMORY`] (so runaway
//! growth fails this test, not the machine) and is killed after [`TIME`] (a failure).

use std::io::{BufWriter, Read, Write};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Wall-clock bound of one run, debug build included; the slowest case here takes about 20 s.
const TIME: Duration = Duration::from_secs(60);
/// Address-space bound of one run (RLIMIT_AS).
const MEMORY: u64 = 2 << 30;

const PLAY: &str = "- hosts: mail\n  tasks:\n    - template:\n        src: t.j2\n        dest: /etc/dovecot/dovecot.conf\n";

struct Run {
    code: i32,
    out: String,
    elapsed: Duration,
}

/// [`run`], which must end with a finding or an error.
fn check(path: &Path) -> Run {
    let run = run(path);
    assert!(
        run.code == 1 || run.code == 2,
        "{}: exit {}, expected a finding or an error: {}",
        path.display(),
        run.code,
        run.out
    );
    run
}

/// Runs `mxlint check --isolated --format concise <path>` under the time and memory bounds;
/// a panic, a signal (stack overflow) or a timeout fails the test.
fn run(path: &Path) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mxlint"));
    command
        .args(["check", "--isolated", "--format", "concise"])
        .arg(path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: setrlimit is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        command.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: MEMORY as libc::rlim_t,
                rlim_max: MEMORY as libc::rlim_t,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let start = Instant::now();
    let mut child = command.spawn().expect("spawn mxlint");
    // Drain both pipes on threads, so a chatty child cannot block on a full pipe.
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let out = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = stdout.read_to_end(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = stderr.read_to_end(&mut s);
        s
    });
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if start.elapsed() > TIME {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{}: still running after {TIME:?}", path.display());
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let elapsed = start.elapsed();
    let out = String::from_utf8_lossy(&out.join().expect("stdout reader")).into_owned()
        + &String::from_utf8_lossy(&err.join().expect("stderr reader"));
    assert!(!out.contains("panicked"), "{}: {out}", path.display());
    let code = status.code().unwrap_or_else(|| {
        panic!(
            "{}: killed by {status} (stack overflow?): {out}",
            path.display()
        )
    });
    Run { code, out, elapsed }
}

fn write(root: &Path, name: &str, bytes: impl AsRef<[u8]>) {
    let path = root.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// A one-host repository whose play renders `templates/t.j2` (a harmless one by default).
fn repo(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "inventory.ini", "[mail]\nmx1\n");
    write(dir.path(), "site.yml", PLAY);
    write(dir.path(), "templates/t.j2", "x = {{ a | default(1) }}\n");
    for (name, bytes) in files {
        write(dir.path(), name, bytes);
    }
    dir
}

fn template(text: &str) -> tempfile::TempDir {
    repo(&[("templates/t.j2", text.as_bytes())])
}

// ---- huge files ----------------------------------------------------------------------------

/// 200 MB of repeated lines in a jail.local (bad_input.rs has a 100 MB dovecot.conf): read and
/// judged like any other file; about 5 s and 450 MB in a debug build.
#[test]
fn two_hundred_megabyte_jail_local_is_judged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("jail.local");
    let mut file = BufWriter::new(std::fs::File::create(&path).unwrap());
    file.write_all(b"[sshd]\nenabled = true\n").unwrap();
    let line = b"ignoreip = 127.0.0.1/8 ::1 192.0.2.0/24\n";
    for _ in 0..200_000_000 / line.len() {
        file.write_all(line).unwrap();
    }
    file.flush().unwrap();
    drop(file);
    let run = check(&path);
    assert_eq!(run.code, 1, "{}", run.out);
    assert!(run.out.contains("jail.local:4:1:"), "{}", run.out);
}

/// 100,000 distinct options in one section, and 100,000 sections: every option name and every
/// section name is looked up once (a scan per option took two minutes for the first).
#[test]
fn a_jail_local_with_a_hundred_thousand_options_or_sections_is_judged() {
    for (name, line) in [
        ("options", "opt{i} = value {i}\n"),
        ("sections", "[jail{i}]\nenabled = false\n"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("jail.local");
        let mut file = BufWriter::new(std::fs::File::create(&path).unwrap());
        file.write_all(b"[DEFAULT]\nbantime = 1h\n[sshd]\nenabled = true\n")
            .unwrap();
        for i in 0..100_000 {
            file.write_all(line.replace("{i}", &i.to_string()).as_bytes())
                .unwrap();
        }
        file.flush().unwrap();
        drop(file);
        let run = run(&path);
        assert_eq!(run.code, 0, "{name}: {}", run.out);
    }
}

// ---- deep nesting --------------------------------------------------------------------------

#[test]
fn dovecot_sections_100k_deep_end() {
    let dir = tempfile::tempdir().unwrap();
    let depth = 100_000;
    let text = format!(
        "{}vsz_limit = 1G\n{}",
        "service a {\n".repeat(depth),
        "}\n".repeat(depth)
    );
    write(dir.path(), "dovecot.conf", text);
    let run = check(&dir.path().join("dovecot.conf"));
    assert!(run.out.contains("MX201"), "{}", run.out);
}

#[test]
fn yaml_nested_100k_deep_is_refused() {
    let depth = 100_000;
    for (name, text) in [
        (
            "flow",
            format!("a: {}{}\n", "[".repeat(depth), "]".repeat(depth)),
        ),
        (
            "flow map",
            format!("a: {}x{}\n", "{b: ".repeat(depth), "}".repeat(depth)),
        ),
        ("block", format!("a:\n  {}x\n", "- ".repeat(depth))),
    ] {
        let dir = repo(&[("group_vars/all.yml", text.as_bytes())]);
        let run = check(dir.path());
        assert!(
            run.out.contains("group_vars/all.yml:1:") || run.out.contains("group_vars/all.yml:2:"),
            "{name}: {}",
            run.out
        );
        assert!(run.out.contains("MX104"), "{name}: {}", run.out);
    }
}

#[test]
fn jinja_nested_10k_deep_is_a_syntax_error() {
    let depth = 10_000;
    for (name, text) in [
        (
            "blocks",
            format!(
                "{}x{}\n",
                "{% if true %}".repeat(depth),
                "{% endif %}".repeat(depth)
            ),
        ),
        (
            "parentheses",
            format!("{{{{ {}1{} }}}}\n", "(".repeat(depth), ")".repeat(depth)),
        ),
    ] {
        let dir = template(&text);
        let run = check(dir.path());
        assert!(run.out.contains("templates/t.j2:1:"), "{name}: {}", run.out);
        assert!(run.out.contains("MX101"), "{name}: {}", run.out);
    }
}

/// Left-associative chains (`x | f | f …`, `x.a.a …`, `x[0][0] …`, `x()() …`, `x + 1 + 1 …`,
/// `x ~ 'y' ~ …`, `x is t is t …`) of 10,000 links overflowed the stack (SIGABRT): minijinja 3's
/// parser reads them in a loop without counting depth, then its code generator recurses once
/// per link. `render::guard` now refuses a tag deeper than 500 before minijinja sees it (MX101).
#[test]
fn jinja_chains_10k_long_end() {
    for link in [
        " | string",
        ".a",
        "[0]",
        "()",
        " + 1",
        " ~ 'x'",
        " is string",
    ] {
        let dir = template(&format!("{{{{ x{} }}}}\n", link.repeat(10_000)));
        let run = check(dir.path());
        assert!(run.out.contains("templates/t.j2:1:"), "{link}: {}", run.out);
        assert!(run.out.contains("MX101"), "{link}: {}", run.out);
        assert!(
            run.out.contains("mxlint refuses more than 500"),
            "{link}: {}",
            run.out
        );
    }
}

// ---- invalid UTF-8 -------------------------------------------------------------------------

/// Latin-1 "café" on line 2 of every kind of file the binary reads on its own.
#[test]
fn invalid_utf8_in_every_single_file_kind_names_the_position() {
    for name in [
        "jail.local",
        "master.cf",
        "main.cf",
        "etc/firewalld/zones/public.xml",
        "etc/fail2ban/filter.d/dovecot.local",
    ] {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), name, b"# mail\n# caf\xe9\n");
        let path = dir.path().join(name);
        let run = check(&path);
        assert!(run.out.contains("not valid UTF-8"), "{name}: {}", run.out);
        assert!(run.out.contains(":2:6:"), "{name}: {}", run.out);
    }
}

/// The same inside a repository: inventory, variables, playbook, template.
#[test]
fn invalid_utf8_in_every_repository_file_kind_names_the_position() {
    for (name, bytes) in [
        ("inventory.ini", &b"[mail]\nmx1 a=caf\xe9\n"[..]),
        ("group_vars/all.yml", b"a: 1\nb: caf\xe9\n"),
        ("host_vars/mx1.yml", b"a: 1\nb: caf\xe9\n"),
        ("site.yml", b"# play\n# caf\xe9\n- hosts: mail\n"),
        ("templates/t.j2", b"x = 1\ny = caf\xe9\n"),
    ] {
        let dir = repo(&[(name, bytes)]);
        let run = check(dir.path());
        assert!(run.out.contains(name), "{name}: {}", run.out);
        assert!(run.out.contains("UTF-8"), "{name}: {}", run.out);
    }
}

// ---- symlink loops and include cycles ------------------------------------------------------

#[test]
fn a_directory_symlink_to_its_parent_ends() {
    let dir = repo(&[]);
    std::os::unix::fs::symlink(dir.path(), dir.path().join("templates/loop")).unwrap();
    std::os::unix::fs::symlink("..", dir.path().join("group_vars")).unwrap();
    let run = check(dir.path());
    assert!(run.code == 1 || run.code == 2, "{}", run.out);
}

/// `!include` cycles through symlinks: a.conf includes link.conf, a symlink to a.conf.
#[test]
fn dovecot_include_cycle_through_a_symlink_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "dovecot.conf", "!include conf.d/*.conf\n");
    write(dir.path(), "conf.d/10-a.conf", "!include 20-b.conf\n");
    std::os::unix::fs::symlink("../dovecot.conf", dir.path().join("conf.d/20-b.conf")).unwrap();
    let run = check(&dir.path().join("dovecot.conf"));
    assert!(run.out.contains("Recursive include file"), "{}", run.out);
}

/// fail2ban 1.0.2 (`configparserinc.py`, `if r in seen: continue`) skips a file already being
/// included, so the cycle is valid: other.conf then jail.local are read, and so does mxlint.
#[test]
fn fail2ban_includes_cycle_ends_as_fail2ban_reads_it() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "jail.local",
        "[INCLUDES]\nbefore = other.conf\n\n[sshd]\nenabled = true\n",
    );
    write(
        dir.path(),
        "other.conf",
        "[INCLUDES]\nafter = jail.local\n\n[DEFAULT]\nbantime = 1h\n",
    );
    let run = run(&dir.path().join("jail.local"));
    assert_eq!(run.code, 0, "{}", run.out);
}

#[test]
fn playbooks_that_import_each_other_end() {
    let dir = repo(&[
        ("site.yml", b"- import_playbook: other.yml\n"),
        ("other.yml", b"- import_playbook: site.yml\n"),
    ]);
    let run = check(dir.path());
    assert!(run.out.contains("MX104"), "{}", run.out);
}

#[test]
fn a_template_that_includes_itself_through_a_symlink_ends() {
    let dir = template("{% include 'link.j2' %}\n");
    std::os::unix::fs::symlink("t.j2", dir.path().join("templates/link.j2")).unwrap();
    let run = check(dir.path());
    assert!(run.out.contains("MX103"), "{}", run.out);
}

// ---- runaway templates and YAML ------------------------------------------------------------

/// `{{ 'x' * 2**30 }}` and a loop of a billion iterations are refused at once; nested loops
/// that would print 500 GB run out of fuel (about 1 s and 100 MB in a debug build).
#[test]
fn a_gigabyte_render_is_refused() {
    for (name, text) in [
        ("repeat", "{{ 'x' * 1073741824 }}\n"),
        (
            "range",
            "{% for i in range(1073741824) %}xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx{% endfor %}\n",
        ),
        (
            "nested loops",
            "{% for i in range(100000) %}{% for j in range(100000) %}xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx{% endfor %}{% endfor %}\n",
        ),
    ] {
        let dir = template(text);
        let run = check(dir.path());
        assert_eq!(run.code, 1, "{name}: {}", run.out);
        assert!(run.out.contains("templates/t.j2:1:"), "{name}: {}", run.out);
        assert!(run.out.contains("MX103"), "{name}: {}", run.out);
    }
}

/// Regression: the 64 MiB output cap (`MAX_OUTPUT_BYTES`) is only checked after minijinja's
/// `render_with_spans` returns the whole text, and the fuel (one per instruction or per 64
/// output bytes) allowed about 3.2 GB, so a loop with a 4,000-byte body aborted under the 2 GiB
/// bound ("memory allocation of 2147483648 bytes failed"). The fuel now stops it at 256 MiB
/// (about 4 s and 250 MB in a debug build).
#[test]
fn a_render_that_outgrows_its_fuel_is_refused() {
    let body = "x".repeat(4_000);
    let dir = template(&format!(
        "{{% for i in range(100000) %}}{{% for j in range(100000) %}}{body}{{% endfor %}}{{% endfor %}}\n"
    ));
    let run = check(dir.path());
    assert!(run.out.contains("MX103"), "{}", run.out);
    assert!(run.out.contains("writes too much"), "{}", run.out);
    eprintln!("4 KB body: {:?}", run.elapsed);
}

/// Regression: each templated variable value renders with its own fuel and stays alive until
/// the render ends, so twelve values of 200 MB each (only tested with `is defined`, which
/// charges nothing to the template's own fuel) aborted under the 2 GiB bound. The templated
/// values of one render are now capped at 64 MiB together.
#[test]
fn many_large_templated_variables_are_refused() {
    let body = "x".repeat(4_000);
    let vars: String = (0..12)
        .map(|i| format!("v{i}: \"{{% for i in range(50000) %}}{body}{{% endfor %}}\"\n"))
        .collect();
    let text: String = (0..12)
        .map(|i| format!("{{% if v{i} is defined %}}a{{% endif %}}\n"))
        .collect();
    let dir = repo(&[
        ("group_vars/all.yml", vars.as_bytes()),
        ("templates/t.j2", text.as_bytes()),
    ]);
    let run = check(dir.path());
    assert!(run.out.contains("MX103"), "{}", run.out);
    assert!(run.out.contains("pass 64 MiB"), "{}", run.out);
}

/// The classic billion laughs: nine levels of ten aliases (bad_repos.rs has an eight-level one
/// without a memory bound).
#[test]
fn a_billion_laughs_alias_bomb_is_refused() {
    let mut text = String::from("a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for level in b'b'..=b'i' {
        let (name, prev) = (level as char, (level - 1) as char);
        let items = vec![format!("*{prev}"); 10].join(", ");
        text.push_str(&format!("{name}: &{name} [{items}]\n"));
    }
    text.push_str(&format!("j: [{}]\n", ["*i"; 10].join(", ")));
    let dir = repo(&[("group_vars/all.yml", text.as_bytes())]);
    let run = check(dir.path());
    assert!(run.out.contains("alias expansion exceeds"), "{}", run.out);
}

// ---- huge inventories ----------------------------------------------------------------------

/// 100,000 hosts from one range are checked, not refused: about 8.5 s and 180 MB in a debug
/// build on 2 cores (the template renders alike for all and is checked once).
#[test]
fn a_100k_host_range_is_checked() {
    let dir = repo(&[("inventory.ini", b"[mail]\nmx[000000:099999]\n")]);
    let run = check(dir.path());
    assert_eq!(run.code, 1, "{}", run.out);
    assert!(run.out.contains("MX301"), "{}", run.out);
    eprintln!("100,000 hosts: {:?}", run.elapsed);
}
