//! oracle_doveconf: differential test of mxlint's Dovecot 2.3 reading against Debian's
//! `doveconf` 2.3.19 (docs/dovecot.md §5).
//!
//! For every configuration in the corpus — the hand-written files in `tests/fixtures/doveconf/`
//! plus a seeded generator below — both tools must agree on
//! 1. accept/reject: `doveconf -n -c F` exits non-zero ⇔ `mxlint check` reports a fatal finding;
//! 2. the error line: when doveconf names a file and line, mxlint's first fatal finding in that
//!    file is on that line;
//! 3. when accepted, the effective `vsz_limit` of imap, pop3, lmtp and indexer-worker
//!    (`doveconf -S`, sentinel → `default_vsz_limit`, 0 → unlimited) equals `mxlint show`'s.
//!
//! Without doveconf the test passes with a notice, unless `CI` is set. Environment:
//! `MXLINT_DOVECONF` (doveconf binary), `MXLINT_ORACLE_ONLY` (run only cases whose name
//! contains this text).

mod support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use support::{
    doveconf_check, doveconf_vsz, mxlint_check, mxlint_vsz, same_file, DoveconfVerdict,
    MxlintVerdict,
};

/// doveconf takes ~10 ms per call; two workers keep the whole run to a few seconds.
const WORKERS: usize = 2;
/// How many configurations the generator writes (plus a few fixed large ones).
const GENERATED: usize = 128;
const SEED: u64 = 0x6d78_6c69_6e74_2303;
/// Guards against the corpus silently shrinking.
const MIN_HAND_WRITTEN: usize = 150;

/// One configuration to compare.
struct Case {
    name: String,
    path: PathBuf,
    /// What it tests (the fixture's first comment) or, for generated ones, the whole text.
    about: String,
}

#[test]
fn mxlint_agrees_with_doveconf_on_every_config() {
    let tmp = tempfile::tempdir().expect("temporary directory");
    if !doveconf_ready(tmp.path()) {
        return;
    }
    let mut cases = hand_written_cases();
    assert!(
        cases.len() >= MIN_HAND_WRITTEN,
        "only {} fixtures in {}",
        cases.len(),
        fixture_dir().display()
    );
    cases.extend(generated_cases(tmp.path()));
    if let Some(only) = std::env::var_os("MXLINT_ORACLE_ONLY") {
        let only = only.to_string_lossy().into_owned();
        cases.retain(|c| c.name.contains(&only));
    }
    let mismatches = run_all(&cases);
    if !mismatches.is_empty() {
        let mut report = format!(
            "mxlint and doveconf 2.3 disagree on {} of {} configs:\n",
            mismatches.len(),
            cases.len()
        );
        for (case, why) in &mismatches {
            report.push_str(&format!(
                "\n── {}\n{}\n{}\n",
                case.name,
                indent(&case.about, "   │ "),
                indent(why, "   ")
            ));
        }
        panic!("{report}");
    }
}

/// True when doveconf runs and accepts an empty file; false (with a notice) when it is missing
/// outside CI.
fn doveconf_ready(tmp: &Path) -> bool {
    let empty = tmp.join("empty.conf");
    std::fs::write(&empty, "").expect("write empty.conf");
    match doveconf_check(&empty) {
        Ok(v) if !v.rejects() => true,
        Ok(v) => panic!(
            "doveconf rejects an empty config (are the users dovecot and dovenull missing?): {}",
            v.stderr.trim()
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
                panic!("CI is set but doveconf is not installed; .ci/run installs dovecot-core");
            }
            // Straight to the stream, not eprintln!, so the notice shows through test capture.
            let _ = writeln!(
                std::io::stderr(),
                "NOTICE: doveconf not found; skipping the doveconf oracle test \
                 (apt-get install --no-install-recommends dovecot-core, or set MXLINT_DOVECONF)"
            );
            false
        }
        Err(e) => panic!("cannot run doveconf: {e}"),
    }
}

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/doveconf")
}

/// `tests/fixtures/doveconf/*.conf`, sorted; included files live in subdirectories.
fn hand_written_cases() -> Vec<Case> {
    let dir = fixture_dir();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "conf") && p.is_file())
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let text = std::fs::read(&path).expect("read fixture");
            let name = format!("tests/fixtures/doveconf/{}", file_name(&path));
            let about = description(&text)
                .unwrap_or_else(|| panic!("{name}: must start with a `# what this tests` comment"));
            Case { name, path, about }
        })
        .collect()
}

/// The first comment in the first two lines (a BOM is allowed before it; bare CR ends a line).
fn description(text: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(text);
    let text = text.trim_start_matches('\u{feff}');
    text.split(['\n', '\r'])
        .take(2)
        .map(|l| l.trim_start_matches('\u{feff}'))
        .find(|l| l.starts_with('#'))
        .map(str::to_string)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Compares every case on `WORKERS` threads; returns the disagreements in corpus order.
fn run_all(cases: &[Case]) -> Vec<(&Case, String)> {
    let next = AtomicUsize::new(0);
    let found = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..WORKERS {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(case) = cases.get(i) else { break };
                if let Err(why) = compare(case) {
                    found.lock().unwrap().push((i, why));
                }
            });
        }
    });
    let mut found = found.into_inner().unwrap();
    found.sort_by_key(|(i, _)| *i);
    found.into_iter().map(|(i, why)| (&cases[i], why)).collect()
}

/// `Err` says how the two tools disagree on one case.
fn compare(case: &Case) -> Result<(), String> {
    let dir = case.path.parent().unwrap_or(Path::new("."));
    let oracle = doveconf_check(&case.path).map_err(|e| format!("cannot run doveconf: {e}"))?;
    let said = |mx: &str| {
        format!(
            "doveconf: {}\nmxlint:   {mx}",
            describe_doveconf(&oracle, dir)
        )
    };
    let verdict = mxlint_check(&case.path).map_err(|crash| said(&crash))?;
    if oracle.rejects() != verdict.rejects() {
        return Err(said(&describe_mxlint(&verdict, dir)));
    }
    if oracle.rejects() {
        return compare_error_line(&oracle, &verdict).map_err(|why| {
            format!(
                "{}\n          ({why})",
                said(&describe_mxlint(&verdict, dir))
            )
        });
    }
    let want = doveconf_vsz(&case.path).map_err(|e| said(&format!("(not run) — {e}")))?;
    let got = mxlint_vsz(&case.path).map_err(|crash| said(&crash))?;
    let differ: Vec<String> = want
        .iter()
        .filter(|(service, limit)| got.get(*service) != Some(limit))
        .map(|(service, limit)| {
            let theirs = got.get(service).map_or("-".to_string(), |v| v.to_string());
            format!("{service}: doveconf {limit}, mxlint {theirs}")
        })
        .collect();
    if differ.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "both accept, but the effective vsz_limit differs: {}",
            differ.join("; ")
        ))
    }
}

/// doveconf stops at its first error while applying lines, so mxlint's first fatal finding in
/// the file doveconf names must be on doveconf's line. Findings of checks doveconf runs only after
/// the whole file parsed (they never carry a line there) cannot pre-empt that error and are
/// skipped; they are recognised by the doveconf wording mxlint reuses ([`AFTER_PARSE`]).
fn compare_error_line(oracle: &DoveconfVerdict, verdict: &MxlintVerdict) -> Result<(), String> {
    let Some(fatal) = &oracle.fatal else {
        return Ok(());
    };
    let (Some(path), Some(line)) = (&fatal.path, fatal.line) else {
        return Ok(());
    };
    let first = verdict
        .fatal
        .iter()
        .filter(|f| f.path.as_deref().is_none_or(|p| same_file(p, path)))
        .filter(|f| !AFTER_PARSE.iter().any(|m| f.message.contains(m)))
        .filter_map(|f| f.line)
        .min();
    match first {
        Some(l) if l == line => Ok(()),
        Some(l) => Err(format!(
            "first fatal line in {} is {l}, doveconf says {line}",
            file_name(path)
        )),
        None => Err(format!(
            "no fatal finding with a line in {}, doveconf says line {line}",
            file_name(path)
        )),
    }
}

/// doveconf 2.3 messages of checks that run after parsing (printed without a line number).
const AFTER_PARSE: &[&str] = &[
    "Missing '}'",
    "vsz_limit is too low",
    "is missing name",
    "is missing driver",
    "Unknown protocol",
    "process_limit must be",
    "duplicate listener",
];

fn describe_doveconf(oracle: &DoveconfVerdict, dir: &Path) -> String {
    if !oracle.rejects() {
        return format!("accepts (rc {})", oracle.code);
    }
    let Some(fatal) = &oracle.fatal else {
        return format!(
            "rejects (rc {}): {}",
            oracle.code,
            support::tail(&oracle.stderr, 3)
        );
    };
    let place = match (&fatal.path, fatal.line) {
        (Some(p), Some(l)) => format!("{} line {l}: ", relative(p, dir)),
        (Some(p), None) => format!("{} (no line): ", relative(p, dir)),
        _ => String::new(),
    };
    format!("rejects (rc {}) {place}{}", oracle.code, fatal.message)
}

fn describe_mxlint(verdict: &MxlintVerdict, dir: &Path) -> String {
    if !verdict.rejects() {
        return if verdict.codes.is_empty() {
            "accepts (no diagnostics)".to_string()
        } else {
            format!("accepts (non-fatal: {})", verdict.codes.join(", "))
        };
    }
    let findings: Vec<String> = verdict
        .fatal
        .iter()
        .map(|f| {
            let file = f
                .path
                .as_deref()
                .map(|p| relative(p, dir))
                .unwrap_or_default();
            let line = f.line.map(|l| format!(" line {l}")).unwrap_or_default();
            format!("{} {file}{line}: {}", f.code, f.message)
        })
        .collect();
    format!("rejects: {}", findings.join("; "))
}

fn relative(path: &Path, dir: &Path) -> String {
    path.strip_prefix(dir).unwrap_or(path).display().to_string()
}

/// Shows the bytes that matter in these fixtures (tabs, CR, BOM, other controls) as escapes.
fn visible(line: &str) -> String {
    line.chars()
        .map(|c| match c {
            '\u{feff}' => "\\u{feff}".to_string(),
            c if c.is_control() => c.escape_default().to_string(),
            c => c.to_string(),
        })
        .collect()
}

fn indent(text: &str, prefix: &str) -> String {
    // Split on '\n' only, so a CR stays visible as `\r`.
    let lines: Vec<&str> = text.trim_end_matches('\n').split('\n').collect();
    let shown = lines.len().min(40);
    let mut out: Vec<String> = lines[..shown]
        .iter()
        .map(|l| format!("{prefix}{}", visible(l)))
        .collect();
    if lines.len() > shown {
        out.push(format!("{prefix}… {} more lines", lines.len() - shown));
    }
    out.join("\n")
}

// ---------------------------------------------------------------------------------------------
// The generator: seeded, so a failure names a config that is the same on every run.

/// SplitMix64: tiny, deterministic, good enough to pick from lists.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn percent(&mut self, p: u64) -> bool {
        self.next() % 100 < p
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// Size spellings doveconf 2.3 accepts (docs/dovecot.md §2), quoted ones included.
const GOOD_SIZES: &[&str] = &[
    "256M",
    "256 M",
    "1G",
    "1g",
    "1GB",
    "1GiB",
    "2gib",
    "512m",
    "768M",
    "1024M",
    "0",
    "00",
    "0M",
    "1T",
    "262144k",
    "1048576",
    "1048576B",
    "4 G",
    "3G",
    "1536M",
    "2048 kB",
    "1M",
    "1024K",
    "64M",
    "128m",
    "\"2G\"",
    "'1G'",
    "17179869183G",
    "18446744073709551615",
];
/// Invalid spellings, and valid ones below 1 MiB (too low for an enabled service).
const BAD_SIZES: &[&str] = &[
    "1.5G",
    "-1",
    "1P",
    "unlimited",
    "infinite",
    "1 G B",
    "1BB",
    "0x100000",
    "17179869184G",
    "18446744073709551616",
    "",
    "256\tM",
    "$default_vsz_limit",
    "1G }",
    "512k",
    "1k",
    "1048575",
    "1",
];
const PROTOCOLS: &[&str] = &[
    "imap pop3 lmtp",
    "imap pop3 lmtp",
    "imap",
    "imap lmtp",
    "pop3",
    "lmtp",
    "",
    "none",
    "\"imap pop3\"",
];
/// Names match case-insensitively in 2.3, so `IMAP` is imap.
const SERVICES: &[&str] = &[
    "imap",
    "imap",
    "IMAP",
    "pop3",
    "lmtp",
    "lmtp",
    "indexer-worker",
    "imap-login",
    "auth",
];
const OTHER_SETTINGS: &[&str] = &[
    "mail_max_userip_connections = 20",
    "login_greeting = \"Ready # now\"",
    "hostname = mail.example.com",
    "mail_plugins = quota",
    "mail_plugins = $mail_plugins acl",
    "postmaster_address = postmaster@example.com",
];
/// Unknown keys, but only as near misses of real settings.
const NEAR_MISSES: &[&str] = &[
    "default_vsz_limt = 1G",
    "default-vsz-limit = 1G",
    "defualt_vsz_limit = 512M",
    "service_vsz_limit = 1G",
    "vsz_limit = 1G",
];
const COMMENTS: &[&str] = &[
    "# memory limits",
    "#default_vsz_limit = 256M",
    "# don't touch",
    "## \"quoted\" comment",
];

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Setting,
    Header,
    Close,
    Comment,
    Blank,
}

/// One logical line before it is laid out on physical lines.
struct Logical {
    depth: usize,
    kind: Kind,
    text: String,
}

struct Builder {
    lines: Vec<Logical>,
    depth: usize,
}

impl Builder {
    fn push(&mut self, kind: Kind, text: impl Into<String>) {
        let depth = self.depth;
        self.lines.push(Logical {
            depth,
            kind,
            text: text.into(),
        });
    }

    fn setting(&mut self, text: impl Into<String>) {
        self.push(Kind::Setting, text);
    }

    fn open(&mut self, header: impl Into<String>) {
        self.push(Kind::Header, format!("{} {{", header.into()));
        self.depth += 1;
    }

    fn close(&mut self) {
        self.depth -= 1;
        self.push(Kind::Close, "}");
    }
}

fn generated_cases(dir: &Path) -> Vec<Case> {
    let mut rng = Rng(SEED);
    let mut texts: Vec<(String, String)> = (0..GENERATED)
        .map(|i| (format!("generated-{i:03}"), generate(&mut rng)))
        .collect();
    texts.extend(large_configs());
    texts
        .into_iter()
        .map(|(stem, text)| {
            let path = dir.join(format!("{stem}.conf"));
            std::fs::write(&path, &text).expect("write generated config");
            let about = if text.len() > 4000 {
                format!("{} bytes, starting:\n{}", text.len(), &text[..300])
            } else {
                text
            };
            Case {
                name: format!("{stem} (seed {SEED:#x})"),
                path,
                about,
            }
        })
        .collect()
}

/// One random configuration: protocols, limits, service blocks (repeated ones merge), slash
/// paths, filters, comments and continuations in random places.
fn generate(rng: &mut Rng) -> String {
    let messy = rng.percent(40);
    // `service IMAP` (a built-in name in another case) plus any filter block is a doveconf
    // `duplicate listener` (fixtures section-service-name-case-with-*): keep them apart.
    let case_variants = rng.percent(50);
    let service_name = |rng: &mut Rng| -> String {
        let name = rng.pick(SERVICES);
        if case_variants {
            name.to_string()
        } else {
            name.to_ascii_lowercase()
        }
    };
    let mut b = Builder {
        lines: Vec::new(),
        depth: 0,
    };
    // Always explicit: Debian's compiled default is empty, upstream's is "imap pop3 lmtp".
    b.setting(format!("protocols = {}", rng.pick(PROTOCOLS)));
    for _ in 0..1 + rng.below(8) {
        let size = |rng: &mut Rng| -> &'static str {
            if messy && rng.percent(25) {
                rng.pick(BAD_SIZES)
            } else {
                rng.pick(GOOD_SIZES)
            }
        };
        match rng.below(100) {
            0..=17 => b.setting(format!("default_vsz_limit = {}", size(rng))),
            18..=45 => {
                let service = service_name(rng);
                b.open(format!("service {service}"));
                if rng.percent(80) {
                    b.setting(format!("vsz_limit = {}", size(rng)));
                }
                // auth must keep process_limit = 1.
                if service != "auth" && rng.percent(20) {
                    b.setting("process_limit = 100");
                }
                if service == "imap-login" && rng.percent(50) {
                    b.open("inet_listener imap");
                    b.setting("port = 143");
                    b.close();
                }
                if messy && rng.percent(8) {
                    b.setting("vsz_limt = 1G");
                }
                b.close();
            }
            46..=55 => {
                let service = service_name(rng);
                b.setting(format!("service/{service}/vsz_limit = {}", size(rng)));
            }
            56..=66 if case_variants => b.setting(rng.pick(OTHER_SETTINGS)),
            56..=61 => {
                b.open(format!("protocol {}", rng.pick(&["imap", "lmtp", "pop3"])));
                if rng.percent(60) {
                    b.setting(format!("default_vsz_limit = {}", size(rng)));
                } else {
                    b.setting("mail_plugins = $mail_plugins quota");
                }
                b.close();
            }
            62..=66 => {
                b.open(rng.pick(&["local 10.0.0.0/8", "remote 192.0.2.0/24", "local ::1"]));
                if rng.percent(50) {
                    b.open(format!("service {}", service_name(rng)));
                    b.setting(format!("vsz_limit = {}", size(rng)));
                    b.close();
                } else {
                    b.open("protocol imap");
                    b.setting("login_greeting = filtered");
                    b.close();
                }
                b.close();
            }
            67..=78 => b.push(Kind::Comment, rng.pick(COMMENTS)),
            79..=86 => b.push(Kind::Blank, ""),
            87..=95 => b.setting(rng.pick(OTHER_SETTINGS)),
            _ if messy => b.setting(rng.pick(NEAR_MISSES)),
            _ => b.setting(rng.pick(OTHER_SETTINGS)),
        }
    }
    layout(rng, &b.lines)
}

/// Physical layout: indentation, trailing and glued comments, `\` continuations (sometimes
/// followed by the blank line that silently drops them), CRLF, a missing final newline.
fn layout(rng: &mut Rng, lines: &[Logical]) -> String {
    let unit = rng.pick(&["  ", "    ", "\t", ""]);
    let eol = if rng.percent(10) { "\r\n" } else { "\n" };
    let mut out = String::new();
    for line in lines {
        let indent = unit.repeat(line.depth);
        let mut text = line.text.clone();
        if matches!(line.kind, Kind::Setting | Kind::Header | Kind::Close) {
            if rng.percent(8) {
                text.push_str(rng.pick(&[" # note", "#glued", "\t# tab"]));
            }
            if line.kind != Kind::Close && text.contains(' ') && rng.percent(10) {
                let spaces: Vec<usize> = text.match_indices(' ').map(|(i, _)| i).collect();
                let at = spaces[rng.below(spaces.len())];
                let pad = rng.pick(&["", " ", "\t"]);
                text = format!("{}{pad}\\{eol}{indent}  {}", &text[..at], &text[at + 1..]);
            }
            if line.kind == Kind::Setting && rng.percent(2) {
                text.push_str(" \\");
                text.push_str(eol);
            }
        }
        out.push_str(&indent);
        out.push_str(&text);
        out.push_str(eol);
    }
    if rng.percent(5) {
        out.truncate(out.trim_end_matches(['\r', '\n']).len());
    }
    out
}

/// Fixed large configurations: deep nesting (no crash, no stack overflow), a huge value, many
/// merged blocks.
fn large_configs() -> Vec<(String, String)> {
    let header = "# generated\nprotocols = imap pop3 lmtp\n";
    let deep = |depth: usize, inner: &str| {
        format!(
            "{header}{}{inner}\n{}",
            "local 10.0.0.0/8 {\n".repeat(depth),
            "}\n".repeat(depth)
        )
    };
    let mut merged = String::from(header);
    for i in 0..300 {
        merged.push_str(&format!(
            "service imap {{\n  vsz_limit = {}M\n}}\n",
            256 + i
        ));
    }
    vec![
        // 10,000 deep only where doveconf rejects: mxlint is then run once, not twice.
        (
            "large-nested-local-10000-unknown".into(),
            deep(10_000, "vsz_limit = 1G"),
        ),
        (
            "large-nested-local-2000".into(),
            deep(2_000, "login_greeting = deep"),
        ),
        (
            "large-value-200k".into(),
            format!("{header}login_greeting = {}\n", "x".repeat(200_000)),
        ),
        ("large-merged-300-blocks".into(), merged),
    ]
}
