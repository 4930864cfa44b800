//! fleet: end-to-end cost of `mxlint check` on generated fleets of 10 to 10,000 hosts, beside a
//! bare Python Jinja2 loop rendering the same templates, plus parse throughput per config
//! language. Prints a markdown table (also saved to `target/tmp/fleet-bench/results.md`).
//!
//! Measurement choices, so the figures can be judged:
//! - **End to end** runs the release `mxlint` binary cargo built for this bench
//!   (`CARGO_BIN_EXE_mxlint`) as a subprocess: `mxlint check --no-color REPO`, human format,
//!   stdout to /dev/null, exactly what a pre-commit hook runs. Wall time is the median of
//!   `--runs` runs (at most 3 for 10,000 hosts and more) after one warm-up run (the page cache is warm, as it is in a hook); peak
//!   memory is the child's `ru_maxrss` from `wait4(2)`, the largest over the runs.
//! - **Jinja2** runs the three loops of `benches/fleet/jinja_loop.py` with a python3 that has
//!   jinja2 and PyYAML, measured the same way. *As Ansible renders*: reads the inventory and vars
//!   files, merges them in Ansible's order and compiles each template for every render, as
//!   ansible-core's template action does; the target is set against this loop.
//!   *Templates compiled once*: the same, reusing each compiled template for every host.
//!   *Lower bound*: handed every host's merged variables as JSON (the generator writes them),
//!   compiles each template once; no Python tool that reads the repository can be faster. All
//!   must print the same digest of what they rendered, or the table says so.
//! - **Parse throughput** calls the library's parsers in-process on generated text of a few MB
//!   per language (several documents where the format is small by nature, like zone files);
//!   the median of 5 runs, in MB/s of input (10^6 bytes).
//!
//! Run: `cargo bench --bench fleet` (options after `--`: `--sizes 10,100`, `--runs 3`,
//! `--no-python`, `--no-throughput`, `--throughput-mb 4`; `--generate N DIR` only writes a
//! fleet repository). Without `--bench` (as `cargo test --benches` runs it) it does one quick
//! pass on 10 hosts.

#[path = "gen.rs"]
mod gen;

use mxlint::ansible::inventory::Inventory;
use mxlint::model::dovecot::DovecotVersion;
use mxlint::source::SourceDb;
use std::ffi::OsStr;
use std::fmt::Write as _;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const DEFAULT_SIZES: [usize; 4] = [10, 100, 1_000, 10_000];
const THROUGHPUT_BYTES: usize = 4 << 20;

struct Options {
    sizes: Vec<usize>,
    runs: usize,
    python: bool,
    throughput: bool,
    /// Input size per language for the throughput table.
    throughput_bytes: usize,
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(at) = args.iter().position(|a| a == "--generate") {
        generate_only(&args[at + 1..]);
        return;
    }
    let options = match parse_options(&args) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("fleet bench: {message}");
            std::process::exit(2);
        }
    };
    let work = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("fleet-bench");
    let python = if options.python { find_python() } else { None };
    let mut report = String::new();
    let _ = writeln!(report, "{}\n", machine_line());
    report.push_str(&end_to_end(&options, &work, python.as_deref()));
    if options.throughput {
        report.push('\n');
        report.push_str(&throughput_table(&work, options.throughput_bytes));
    }
    println!("{report}");
    let saved = work.join("results.md");
    if std::fs::write(&saved, &report).is_ok() {
        eprintln!("saved to {}", saved.display());
    }
}

fn parse_options(args: &[String]) -> Result<Options, String> {
    let mut options = Options {
        sizes: DEFAULT_SIZES.to_vec(),
        runs: 5,
        python: true,
        throughput: true,
        throughput_bytes: THROUGHPUT_BYTES,
    };
    // `cargo test --benches` (or `--all-targets`) runs this binary without `--bench`: then only
    // check that the harness works, on the smallest fleet, in about a second.
    if !args.iter().any(|a| a == "--bench") {
        options.sizes = vec![10];
        options.runs = 1;
        options.python = false;
        options.throughput_bytes = 100_000;
    }
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--bench" => {}
            "--sizes" => {
                let list = args.next().ok_or("--sizes needs a list like 10,100")?;
                options.sizes = list
                    .split(',')
                    .map(|n| n.trim().parse::<usize>().map_err(|e| format!("{n}: {e}")))
                    .collect::<Result<_, _>>()?;
            }
            "--runs" => {
                let n = args.next().ok_or("--runs needs a number")?;
                options.runs = n.parse().map_err(|e| format!("--runs {n}: {e}"))?;
                options.runs = options.runs.max(1);
            }
            "--throughput-mb" => {
                let n = args.next().ok_or("--throughput-mb needs a number")?;
                let mb: f64 = n.parse().map_err(|e| format!("--throughput-mb {n}: {e}"))?;
                options.throughput_bytes = (mb * 1e6) as usize;
            }
            "--no-python" => options.python = false,
            "--no-throughput" => options.throughput = false,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(options)
}

/// `--generate N DIR`: write a fleet repository (and `DIR.hostvars.json`) and stop.
fn generate_only(args: &[String]) {
    let (Some(n), Some(dir)) = (args.first().and_then(|n| n.parse().ok()), args.get(1)) else {
        eprintln!("usage: cargo bench --bench fleet -- --generate N DIR");
        std::process::exit(2);
    };
    let fleet = gen::plan(n);
    let dir = PathBuf::from(dir);
    if let Err(e) = write_fleet(&fleet, &dir) {
        eprintln!("cannot write {}: {e}", dir.display());
        std::process::exit(2);
    }
    eprintln!("wrote {} hosts to {}", fleet.hosts.len(), dir.display());
}

/// Writes the repository to `dir` and the Jinja2 loop's input beside it (not inside: mxlint
/// would see a stray file).
fn write_fleet(fleet: &gen::Fleet, dir: &Path) -> std::io::Result<PathBuf> {
    if dir.exists() {
        std::fs::remove_dir_all(dir)?;
    }
    gen::write_repo(fleet, dir)?;
    let json = dir.with_extension("hostvars.json");
    std::fs::write(&json, gen::hostvars_json(fleet))?;
    Ok(json)
}

fn machine_line() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines().find_map(|l| {
                l.strip_prefix("model name")
                    .map(|v| v.trim_start_matches([' ', '\t', ':']).to_string())
            })
        })
        .unwrap_or_else(|| "unknown CPU".into());
    format!(
        "Machine: {cpus} CPUs ({model}); mxlint {} ({}).",
        env!("CARGO_PKG_VERSION"),
        if cfg!(debug_assertions) {
            "debug build: the numbers mean nothing"
        } else {
            "release build"
        }
    )
}

/// One subprocess run: wall time and peak resident memory.
#[derive(Clone, Copy, Debug)]
struct Run {
    wall: Duration,
    max_rss_kib: u64,
}

/// Runs `cmd` to completion with stdout discarded; `Err` with its stderr when it exits with a
/// status outside `ok_codes` or by a signal.
fn measure(mut cmd: Command, ok_codes: &[i32], stderr_file: &Path) -> Result<Run, String> {
    let stderr = std::fs::File::create(stderr_file).map_err(|e| e.to_string())?;
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(stderr));
    let start = Instant::now();
    let child = cmd.spawn().map_err(|e| format!("cannot start: {e}"))?;
    let (status, usage) = wait4(child.id() as libc::pid_t)?;
    let wall = start.elapsed();
    // The child is reaped; dropping the handle neither waits nor kills.
    drop(child);
    let exited = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    match exited {
        Some(code) if ok_codes.contains(&code) => Ok(Run {
            wall,
            max_rss_kib: usage.ru_maxrss as u64,
        }),
        _ => {
            let text = std::fs::read_to_string(stderr_file).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(8).collect();
            Err(format!(
                "exit status {status:#x}: {}",
                tail.into_iter().rev().collect::<Vec<_>>().join(" | ")
            ))
        }
    }
}

/// `wait4(pid)`: the child's own resource usage, not the sum over all children.
fn wait4(pid: libc::pid_t) -> Result<(libc::c_int, libc::rusage), String> {
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain old data; wait4 fills it and status for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: pointers to live locals; pid is a child this process spawned.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if r == pid {
            return Ok((status, usage));
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            return Err(format!("wait4: {err}"));
        }
    }
}

/// The median wall time and the largest peak memory of `runs` runs after one warm-up.
fn repeat(
    runs: usize,
    make: impl Fn() -> Command,
    ok_codes: &[i32],
    stderr_file: &Path,
) -> Result<Run, String> {
    measure(make(), ok_codes, stderr_file)?;
    let mut walls = Vec::with_capacity(runs);
    let mut rss = 0;
    for _ in 0..runs {
        let run = measure(make(), ok_codes, stderr_file)?;
        walls.push(run.wall);
        rss = rss.max(run.max_rss_kib);
    }
    Ok(Run {
        wall: median(&mut walls),
        max_rss_kib: rss,
    })
}

fn median(values: &mut [Duration]) -> Duration {
    values.sort();
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2
    }
}

/// A python3 with jinja2: `MXLINT_BENCH_PYTHON`, the CI venv, then `python3` on PATH.
fn find_python() -> Option<PathBuf> {
    let candidates = std::env::var_os("MXLINT_BENCH_PYTHON")
        .map(PathBuf::from)
        .into_iter()
        .chain([
            PathBuf::from("/tmp/mxlint-ci-venv/bin/python"),
            PathBuf::from("python3"),
        ]);
    for python in candidates {
        let ok = Command::new(&python)
            .args(["-c", "import jinja2, yaml"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            return Some(python);
        }
    }
    eprintln!(
        "NOTICE: no python3 with jinja2 and PyYAML (set MXLINT_BENCH_PYTHON); the Jinja2 columns are skipped"
    );
    None
}

/// The loops of `benches/fleet/jinja_loop.py` (see its docstring): its mode and what the table
/// calls it. The target is set against the first.
const LOOPS: [(&str, &str); 3] = [
    ("as-ansible", "as Ansible renders"),
    ("cached", "templates compiled once"),
    ("merged", "lower bound"),
];

/// One fleet size's measurements; a loop is `None` when it was not run or failed.
struct Measured {
    n: usize,
    check: Run,
    loops: [Option<Run>; LOOPS.len()],
}

fn end_to_end(options: &Options, work: &Path, python: Option<&Path>) -> String {
    let mxlint = Path::new(env!("CARGO_BIN_EXE_mxlint"));
    let mut measured = Vec::new();
    let mut table =
        String::from("| hosts | repo files | mxlint check (median) | per host | peak RSS |");
    for (_, name) in LOOPS {
        let _ = write!(table, " Jinja2 loop, {name} | / mxlint |");
    }
    table.push_str("\n|---:|---:|---:|---:|---:|");
    table.push_str(&"---:|---:|".repeat(LOOPS.len()));
    table.push('\n');
    let mut notes = String::new();
    for &n in &options.sizes {
        let fleet = gen::plan(n);
        let repo = work.join(format!("fleet-{n}"));
        let json = match write_fleet(&fleet, &repo) {
            Ok(json) => json,
            Err(e) => {
                eprintln!("cannot write {}: {e}", repo.display());
                continue;
            }
        };
        let files = gen::repo_files(&fleet).len();
        eprintln!("{n} hosts: mxlint check {}", repo.display());
        let stderr_file = work.join("stderr.txt");
        // One 10,000-host run takes tens of seconds today: three runs are enough for a median.
        let runs = if n >= 10_000 {
            options.runs.min(3)
        } else {
            options.runs
        };
        let check = repeat(
            runs,
            || {
                let mut cmd = Command::new(mxlint);
                cmd.args(["check", "--no-color"]).arg(&repo);
                cmd
            },
            &[0, 1],
            &stderr_file,
        );
        let mut loops = LOOPS.map(|_| None);
        let mut summaries = Vec::new();
        if let Some(python) = python {
            for (slot, (mode, name)) in loops.iter_mut().zip(LOOPS) {
                eprintln!("{n} hosts: Jinja2 loop, {name}");
                let mut args = vec![OsStr::new(mode), repo.as_os_str()];
                if mode == "merged" {
                    args.push(json.as_os_str());
                }
                let run = jinja_loop(python, &args, runs, &stderr_file);
                if let Ok((_, summary)) = &run {
                    summaries.push((name, summary.clone()));
                }
                *slot = Some(run.map(|(run, _)| run));
            }
        }
        if summaries.windows(2).any(|w| w[0].1 != w[1].1) {
            let said: Vec<String> = summaries.iter().map(|(n, s)| format!("{n}: {s}")).collect();
            eprintln!("the Jinja2 loops rendered different text on {n} hosts");
            let _ = writeln!(
                notes,
                "- {n} hosts: the Jinja2 loops rendered different text ({}); their figures do not compare.",
                said.join("; ")
            );
        }
        let _ = writeln!(table, "{}", row(n, files, &check, &loops));
        if let Ok(check) = check {
            measured.push(Measured {
                n,
                check,
                loops: loops.map(|run| run.and_then(Result::ok)),
            });
        }
    }
    if python.is_none() && options.python {
        table.push_str("\nJinja2 columns skipped: no python3 with jinja2 and PyYAML found.\n");
    }
    if !notes.is_empty() {
        let _ = write!(table, "\n{notes}");
    }
    table.push_str(&verdicts(&measured));
    table
}

/// Runs one loop of `jinja_loop.py` like `repeat`, and returns with the figures the line the
/// loop printed last (hosts, bytes, digest), without its run time.
fn jinja_loop(
    python: &Path,
    args: &[&OsStr],
    runs: usize,
    stderr_file: &Path,
) -> Result<(Run, String), String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/fleet/jinja_loop.py");
    let run = repeat(
        runs,
        || {
            let mut cmd = Command::new(python);
            cmd.arg(&script).args(args);
            cmd
        },
        &[0],
        stderr_file,
    )?;
    let text = std::fs::read_to_string(stderr_file).map_err(|e| e.to_string())?;
    let summary = text
        .lines()
        .rev()
        .find(|l| l.starts_with("hosts="))
        .ok_or("the Jinja2 loop printed no summary line")?;
    let summary = summary.split(" seconds=").next().unwrap_or(summary);
    Ok((run, summary.to_string()))
}

/// The targets, each marked met or missed with the figure that decides it.
fn verdicts(measured: &[Measured]) -> String {
    let at = |n: usize| measured.iter().find(|m| m.n == n);
    let mark = |ok: bool| if ok { "met" } else { "MISSED" };
    let mut out = String::new();
    if let Some(m) = at(1_000) {
        let mib = m.check.max_rss_kib as f64 / 1024.0;
        let ok = m.check.wall < Duration::from_secs(1) && mib < 150.0;
        let _ = writeln!(
            out,
            "- 1,000 hosts in < 1 s and < 150 MB: {} ({}, {mib:.0} MiB)",
            mark(ok),
            seconds(m.check.wall)
        );
    }
    if let Some(m) = at(10_000) {
        let ok = m.check.wall < Duration::from_secs(10);
        let _ = writeln!(
            out,
            "- 10,000 hosts in < 10 s: {} ({})",
            mark(ok),
            seconds(m.check.wall)
        );
    }
    if let (Some(first), Some(last)) = (measured.iter().find(|m| m.n >= 100), measured.last()) {
        if last.n > first.n {
            let per = |m: &Measured| m.check.wall.as_secs_f64() / m.n as f64;
            let growth = per(last) / per(first);
            // 20 % of slack for noise on a shared machine.
            let _ = writeln!(
                out,
                "- cost no worse than linear in hosts: {} (time per host at {} hosts is {growth:.2}× that at {})",
                mark(growth <= 1.2),
                last.n,
                first.n
            );
        }
    }
    let big: Vec<&Measured> = measured.iter().filter(|m| m.n >= 100).collect();
    for (i, (_, name)) in LOOPS.iter().enumerate() {
        let figures: Vec<String> = big
            .iter()
            .filter_map(|m| {
                let r = m.loops[i]?.wall.as_secs_f64() / m.check.wall.as_secs_f64();
                Some(format!("{} at {}", ratio(r), m.n))
            })
            .collect();
        if figures.is_empty() {
            continue;
        }
        let all = big.iter().all(|m| {
            m.loops[i].is_some_and(|j| j.wall.as_secs_f64() >= 10.0 * m.check.wall.as_secs_f64())
        });
        let verdict = match (i, all) {
            (0, ok) => mark(ok),
            (_, true) => "also ≥ 10× (for reference)",
            (_, false) => "below 10× (for reference)",
        };
        let _ = writeln!(
            out,
            "- ≥ 10× faster than the bare Jinja2 loop, {name} (100 hosts and up): {verdict} (loop time / mxlint time: {})",
            figures.join(", ")
        );
    }
    if out.is_empty() {
        return out;
    }
    format!("\nTargets (issue 6):\n{out}")
}

fn row(
    n: usize,
    files: usize,
    check: &Result<Run, String>,
    loops: &[Option<Result<Run, String>>],
) -> String {
    let (check_cells, check_wall) = match check {
        Ok(run) => (
            format!(
                "{} | {} | {}",
                seconds(run.wall),
                per_host(run.wall, n),
                mib(run.max_rss_kib)
            ),
            Some(run.wall),
        ),
        Err(e) => {
            eprintln!("mxlint check failed on {n} hosts: {e}");
            ("failed | – | –".to_string(), None)
        }
    };
    let mut out = format!("| {n} | {files} | {check_cells} |");
    for (run, (_, name)) in loops.iter().zip(LOOPS) {
        let cells = match run {
            None => "– | –".to_string(),
            Some(Err(e)) => {
                eprintln!("Jinja2 loop ({name}) failed on {n} hosts: {e}");
                "failed | –".to_string()
            }
            Some(Ok(run)) => {
                let ratio = check_wall.map_or("–".to_string(), |w| {
                    ratio(run.wall.as_secs_f64() / w.as_secs_f64())
                });
                format!("{} | {ratio}", seconds(run.wall))
            }
        };
        let _ = write!(out, " {cells} |");
    }
    out
}

fn ratio(r: f64) -> String {
    if r >= 10.0 {
        format!("{r:.0}×")
    } else if r >= 0.1 {
        format!("{r:.1}×")
    } else {
        format!("{r:.3}×")
    }
}

fn seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 1.0 {
        format!("{:.0} ms", s * 1000.0)
    } else {
        format!("{s:.2} s")
    }
}

fn per_host(d: Duration, n: usize) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0 / n.max(1) as f64)
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

/// One language's input and the library call that parses it.
struct Language {
    name: &'static str,
    parser: &'static str,
    docs: Vec<String>,
    parse: fn(&[String], &Path),
}

fn throughput_table(work: &Path, bytes: usize) -> String {
    // Fresh each run: the INI parse writes its input here on the warm-up call.
    let scratch = work.join("throughput");
    let _ = std::fs::remove_dir_all(&scratch);
    let _ = std::fs::create_dir_all(&scratch);
    let mut table = String::from(
        "| language | library call | input | documents | median parse time | throughput |\n\
         |---|---|---:|---:|---:|---:|\n",
    );
    for language in languages(bytes) {
        eprintln!("throughput: {}", language.name);
        let bytes: usize = language.docs.iter().map(String::len).sum();
        let mut times = Vec::new();
        (language.parse)(&language.docs, &scratch);
        for _ in 0..5 {
            let start = Instant::now();
            (language.parse)(&language.docs, &scratch);
            times.push(start.elapsed());
        }
        let time = median(&mut times);
        let _ = writeln!(
            table,
            "| {} | `{}` | {:.1} MB | {} | {} | {:.1} MB/s |",
            language.name,
            language.parser,
            bytes as f64 / 1e6,
            language.docs.len(),
            seconds(time),
            bytes as f64 / 1e6 / time.as_secs_f64()
        );
    }
    table
}

fn languages(bytes: usize) -> Vec<Language> {
    vec![
        Language {
            name: "dovecot.conf (2.4)",
            parser: "parse::dovecot::parse_loaded",
            docs: vec![gen::big::dovecot_conf(bytes)],
            parse: |docs, _| {
                for doc in docs {
                    let mut db = SourceDb::new();
                    let id = db.add("/bench/dovecot.conf", doc.clone());
                    black_box(mxlint::parse::dovecot::parse_loaded(
                        &mut db,
                        id,
                        DovecotVersion::V2_4,
                    ));
                }
            },
        },
        Language {
            name: "fail2ban jail.local",
            parser: "parse::fail2ban::parse",
            docs: vec![gen::big::jail_local(bytes)],
            parse: |docs, _| {
                let mut db = SourceDb::new();
                for doc in docs {
                    let id = db.add("/bench/jail.local", String::new());
                    black_box(mxlint::parse::fail2ban::parse(id, doc));
                }
            },
        },
        Language {
            name: "postfix master.cf",
            parser: "parse::postfix::parse_master",
            docs: vec![gen::big::master_cf(bytes)],
            parse: |docs, _| {
                let mut db = SourceDb::new();
                for doc in docs {
                    let id = db.add("/bench/master.cf", String::new());
                    black_box(mxlint::parse::postfix::parse_master(id, doc));
                }
            },
        },
        Language {
            name: "firewalld zone XML",
            parser: "parse::firewalld::parse_zone",
            docs: gen::big::zone_xml(bytes),
            parse: |docs, _| {
                let mut db = SourceDb::new();
                for doc in docs {
                    let id = db.add("/bench/zone.xml", String::new());
                    black_box(mxlint::parse::firewalld::parse_zone(id, "mail", doc));
                }
            },
        },
        Language {
            name: "YAML vars",
            parser: "ansible::yaml::load",
            docs: vec![gen::big::yaml_vars(bytes)],
            parse: |docs, _| {
                let mut db = SourceDb::new();
                for doc in docs {
                    let id = db.add("/bench/vars.yml", String::new());
                    let loaded = mxlint::ansible::yaml::load(id, doc);
                    assert!(loaded.is_ok(), "generated YAML must load");
                    black_box(loaded.ok());
                }
            },
        },
        Language {
            name: "INI inventory",
            parser: "ansible::inventory::Inventory::load",
            docs: vec![gen::big::ini_inventory(bytes)],
            parse: |docs, scratch| {
                for (i, doc) in docs.iter().enumerate() {
                    let path = scratch.join(format!("inventory-{i}.ini"));
                    if !path.exists() {
                        std::fs::write(&path, doc).expect("write the inventory");
                    }
                    let mut db = SourceDb::new();
                    let (inventory, problems) = Inventory::load(&mut db, &[path]);
                    assert!(problems.is_empty(), "generated inventory must load cleanly");
                    black_box(inventory);
                }
            },
        },
    ]
}
