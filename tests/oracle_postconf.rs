//! oracle_postconf: mxlint's `master.cf` reader against Debian's `postconf -F` (Postfix 3.7):
//! the same entries in the same order with the same eight fields, the same "bad field count"
//! line for refused files, and a warning for every logical line postconf skips.
//!
//! Needs `postconf` (`apt-get install --no-install-recommends postfix`; `.ci/run` installs it).
//! Without it the test prints a notice and passes, unless `CI` is set.

use mxlint::parse::postfix::{parse_master, MasterCf};
use mxlint::source::FileId;
use std::path::Path;
use std::process::Command;

fn postconf() -> Option<&'static str> {
    ["postconf", "/usr/sbin/postconf"].into_iter().find(|p| {
        Command::new(p)
            .arg("-d")
            .arg("mail_version")
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

/// The Debian stock master.cf plus hand-written and generated variants.
fn corpus() -> Vec<String> {
    let stock = "smtp      inet  n       -       y       -       -       smtpd\n#submission inet n       -       y       -       -       smtpd\n#  -o syslog_name=postfix/submission\npickup    unix  n       -       y       60      1       pickup\ncleanup   unix  n       -       y       -       0       cleanup\nqmgr      unix  n       -       n       300     1       qmgr\ntlsmgr    unix  -       -       y       1000?   1       tlsmgr\nrewrite   unix  -       -       y       -       -       trivial-rewrite\nbounce    unix  -       -       y       -       0       bounce\nsmtp      unix  -       -       y       -       -       smtp\nrelay     unix  -       -       y       -       -       smtp\n        -o syslog_name=postfix/$service_name\nlocal     unix  -       n       n       -       -       local\nmaildrop  unix  -       n       n       -       -       pipe\n  flags=DRXhu user=vmail argv=/usr/bin/maildrop -d ${recipient}\n";
    let mut out = vec![
        stock.to_string(),
        "smtp inet n - y - - smtpd\nsmtp inet n - y - 10 smtpd\n  -o smtpd_tls_wrappermode=yes\n".into(),
        "submission inet n - y - - smtpd\n\t-o syslog_name=postfix/submission\n# comment inside\n\n -o smtpd_tls_security_level=encrypt\n".into(),
        "127.0.0.1:10025 inet n - n - - smtpd -o content_filter=\n[::1]:2525 inet n - n - - smtpd\n".into(),
        "smtp inet n\n  - y - - smtpd\n".into(),
        "smtp inet n - y - - smtpd\nbad line\n  continued here\nx\n".into(),
        "  leading inet n - y - - smtpd\n  -o a=b\nsmtp inet n - y - - smtpd\n".into(),
        "# only comments\n\n   \n".into(),
        "smtps inet n - y - - smtpd -o smtpd_tls_wrappermode=yes -o smtpd_sasl_auth_enable=yes\n".into(),
        "smtp\tinet\tn\t-\ty\t-\t-\tsmtpd\r\n".into(),
        "a b c d e f g\n".into(),
        "smtp inet n - y - - smtpd\n# ümlaut comment\n  -o a=b\n".into(),
    ];
    // Generated: fields, continuations, comments and blank lines in many arrangements.
    let pieces = [
        "smtp inet n - y - - smtpd\n",
        "submission inet n - y - - smtpd\n",
        "  -o syslog_name=postfix/submission\n",
        "\t-o smtpd_tls_wrappermode=yes\n",
        "# commented out\n",
        "\n",
        "10025 inet n - n - - smtpd\n",
        "smtp inet n - y - 20 postscreen\n",
        "x y\n",
    ];
    let mut seed = 0x2545_f491_u64;
    for _ in 0..40 {
        let mut text = String::new();
        for _ in 0..6 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            text.push_str(pieces[(seed % pieces.len() as u64) as usize]);
        }
        out.push(text);
    }
    out
}

/// `postconf -F` output: entries of eight `service/type/field = value` lines.
fn entries(stdout: &str) -> Vec<Vec<String>> {
    let values: Vec<String> = stdout
        .lines()
        .map(|l| l.split_once(" = ").map_or("", |(_, v)| v).to_string())
        .collect();
    values.chunks(8).map(<[String]>::to_vec).collect()
}

fn ours(cf: &MasterCf) -> Vec<Vec<String>> {
    cf.entries
        .iter()
        .map(|e| {
            let command: Vec<&str> = e.command.iter().map(|f| f.text.as_str()).collect();
            vec![
                e.service.text.clone(),
                e.kind.text.clone(),
                e.private.text.clone(),
                e.unprivileged.text.clone(),
                e.chroot.text.clone(),
                e.wakeup.text.clone(),
                e.process_limit.text.clone(),
                command.join(" "),
            ]
        })
        .collect()
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset].matches('\n').count() + 1
}

#[test]
fn master_cf_reads_like_postconf() {
    let Some(postconf) = postconf() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but postconf is missing"
        );
        eprintln!("NOTICE: postconf not found; skipping the postconf oracle test");
        return;
    };
    let mut failures = Vec::new();
    // One directory for every case: postconf's first call on a new directory takes seconds.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.cf"),
        "myhostname = mx.example.org\nmydomain = example.org\n",
    )
    .unwrap();
    for (i, text) in corpus().iter().enumerate() {
        std::fs::write(dir.path().join("master.cf"), text).unwrap();
        let out = Command::new(postconf)
            .arg("-c")
            .arg(dir.path())
            .arg("-F")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let cf = parse_master(FileId(0), text);
        let verdict = check(
            text,
            &cf,
            out.status.success(),
            &String::from_utf8_lossy(&out.stdout),
            &stderr,
            dir.path(),
        );
        if let Err(why) = verdict {
            failures.push(format!("case {i}: {why}\n--- master.cf ---\n{text}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn check(
    text: &str,
    cf: &MasterCf,
    ok: bool,
    stdout: &str,
    stderr: &str,
    dir: &Path,
) -> Result<(), String> {
    let fatal = cf.errors.iter().find(|e| e.fatal);
    if !ok {
        let fatal =
            fatal.ok_or_else(|| format!("postconf refused it, mxlint did not: {stderr}"))?;
        let expected = format!(
            "{}: line {}: {}",
            dir.join("master.cf").display(),
            line_of(text, fatal.span.start()),
            fatal.message
        );
        return if stderr.contains(&expected) {
            Ok(())
        } else {
            Err(format!("expected `{expected}` in {stderr}"))
        };
    }
    if let Some(fatal) = fatal {
        return Err(format!(
            "mxlint refused `{}`, postconf did not",
            fatal.message
        ));
    }
    let warnings = cf.errors.len();
    let theirs_warnings = stderr
        .matches("logical line must not start with whitespace")
        .count();
    if warnings != theirs_warnings {
        return Err(format!(
            "{warnings} skipped lines, postconf warned {theirs_warnings} times: {stderr}"
        ));
    }
    let (theirs, ours) = (entries(stdout), ours(cf));
    if theirs != ours {
        return Err(format!(
            "entries differ:\n postconf: {theirs:?}\n mxlint:   {ours:?}"
        ));
    }
    Ok(())
}

/// `(what it tests, master.cf, main.cf without myhostname)` for the exposure oracle.
const EXPOSURE_CASES: &[(&str, &str, &str)] = &[
    (
        "stock services, defaults",
        "smtp      inet  n       -       y       -       -       smtpd\n#submission inet n       -       y       -       -       smtpd\npickup    unix  n       -       y       60      1       pickup\n",
        "",
    ),
    (
        "name/type form",
        "smtp inet n - y - - smtpd\nsubmission inet n - y - - smtpd\n  -o smtpd_tls_security_level=encrypt\n",
        "master_service_disable = smtp/inet\n",
    ),
    (
        "name.type form, other case",
        "smtp inet n - y - - smtpd\nsubmission inet n - y - - smtpd\n",
        "master_service_disable = SUBMISSION.inet\n",
    ),
    (
        "bare type",
        "smtp inet n - y - - smtpd\nsubmission inet n - y - - smtpd\npickup unix n - y 60 1 pickup\n",
        "master_service_disable = inet\n",
    ),
    (
        "negation before a type",
        "smtp inet n - y - - smtpd\nsubmission inet n - y - - smtpd\nsmtps inet n - y - - smtpd -o smtpd_tls_wrappermode=yes\n",
        "master_service_disable = !smtp/inet, inet\n",
    ),
    (
        "duplicates: the last one wins, other letter case is another entry",
        "smtp inet n - y - - smtpd\nsubmission inet n - y - - smtpd\nsmtp inet n - y - 10 postscreen\nSMTP inet n - y - 20 smtpd\n",
        "",
    ),
    (
        "comments and continuation lines in both files",
        "smtp inet n - y - - smtpd\n# a comment\nsubmission inet n\n  - y - - smtpd\n# between\n  -o syslog_name=postfix/submission\nsubmissions inet n - y - - smtpd\n",
        "# header\nmaster_service_disable =\n  # not a value\n  submissions/inet\n",
    ),
    (
        "loopback hosts",
        "smtp inet n - y - - smtpd\n127.0.0.1:10025 inet n - n - - smtpd\n[::1]:2525 inet n - n - - smtpd\nlocalhost:10026 inet n - n - - smtpd\n",
        "inet_interfaces = loopback-only\n",
    ),
    (
        "last main.cf assignment wins",
        "smtp inet n - y - - smtpd\nsubmission inet n - y - - smtpd\n",
        "master_service_disable = submission/inet\ninet_interfaces = all\nmaster_service_disable = smtp/inet\ninet_interfaces = 127.0.0.1, [::1]\n",
    ),
    (
        "variables and no spaces around =",
        "smtp inet n - y - - smtpd\nsmtps inet n - y - - smtpd\n",
        "myhostname = localhost\ninet_interfaces = $myhostname, localhost\nmaster_service_disable=smtps/inet\n",
    ),
    (
        "a host-bound entry disabled by its full name",
        "192.0.2.1:smtp inet n - y - - smtpd\n127.0.0.1:smtp inet n - y - - smtpd\n",
        "master_service_disable = 127.0.0.1:smtp.inet\n",
    ),
    (
        "unix and inet entries of the same name",
        "submission unix n - y - - smtpd\nsubmission inet n - y - - smtpd\n",
        "master_service_disable = submission/unix\n",
    ),
];

/// Postfix's own split of a list value (commas and whitespace).
fn words(value: &str) -> Vec<String> {
    value
        .split([',', ' ', '\t', '\n'])
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// master(8)'s reading of `postconf -M` lines, written from master(5) and postconf(5)
/// independently of mxlint: the last of the same name/type, minus `master_service_disable`
/// matches (match_service.c: first match decides, `!` negates, case-insensitive, a pattern
/// without `/` but with `.` is `name/type`, one without either is a type).
fn active_inet(entries: &[(String, String)], disable: &[String]) -> Vec<String> {
    let last: Vec<&(String, String)> = entries
        .iter()
        .enumerate()
        .filter(|(i, e)| !entries[i + 1..].contains(e))
        .map(|(_, e)| e)
        .collect();
    let disabled = |name: &str, kind: &str| {
        for p in disable {
            let negated = p.starts_with('!');
            let p = p.trim_start_matches('!');
            let p = match (p.contains('/'), p.rsplit_once('.')) {
                (false, Some((n, t))) => format!("{n}/{t}"),
                _ => p.to_string(),
            };
            let hit = if p.contains('/') {
                format!("{name}/{kind}").eq_ignore_ascii_case(&p)
            } else {
                kind.eq_ignore_ascii_case(&p)
            };
            if hit {
                return !negated;
            }
        }
        false
    };
    last.into_iter()
        .filter(|(n, t)| t == "inet" && !disabled(n, t))
        .map(|(n, _)| n.clone())
        .collect()
}

#[test]
fn active_inet_services_agree_with_postconf() {
    use mxlint::parse::postfix::parse_main_in;
    let Some(postconf) = postconf() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but postconf is missing"
        );
        eprintln!("NOTICE: postconf not found; skipping the postconf exposure oracle test");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    let run = |args: &[&str]| {
        let out = Command::new(postconf)
            .arg("-c")
            .arg(dir.path())
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    for (about, master, main) in EXPOSURE_CASES {
        let main = format!("myhostname = mx.example.org\nmydomain = example.org\n{main}");
        std::fs::write(dir.path().join("main.cf"), &main).unwrap();
        std::fs::write(dir.path().join("master.cf"), master).unwrap();
        let entries: Vec<(String, String)> = run(&["-M"])
            .lines()
            .filter_map(|l| {
                let mut w = l.split_whitespace();
                Some((w.next()?.to_string(), w.next()?.to_string()))
            })
            .collect();
        // One call for both (each postconf call costs about a second here).
        let values = run(&["-h", "master_service_disable", "inet_interfaces"]);
        let mut values = values.lines();
        let disable = words(values.next().unwrap_or_default());
        let interfaces = words(values.next().unwrap_or_default());
        let main_cf = parse_main_in(FileId(1), &main);
        let model = mxlint::model::postfix::model(&parse_master(FileId(0), master), Some(&main_cf));
        let ours: Vec<String> = model
            .services
            .iter()
            .filter(|s| s.active)
            .map(|s| s.name.clone())
            .collect();
        let theirs = active_inet(&entries, &disable);
        let mut why = Vec::new();
        if main_cf.master_service_disable != disable {
            why.push(format!(
                "master_service_disable: postconf {disable:?}, mxlint {:?}",
                main_cf.master_service_disable
            ));
        }
        if model.inet_interfaces != interfaces {
            why.push(format!(
                "inet_interfaces: postconf {interfaces:?}, mxlint {:?}",
                model.inet_interfaces
            ));
        }
        if ours != theirs {
            why.push(format!(
                "active inet services: postconf {theirs:?}, mxlint {ours:?}"
            ));
        }
        if !why.is_empty() {
            failures.push(format!("── {about}\n{}", why.join("\n")));
        }
    }
    assert!(EXPOSURE_CASES.len() >= 10);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
