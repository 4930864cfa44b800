//! support: helpers shared by integration tests — running Debian's `doveconf` 2.3 as an oracle and
//! the `mxlint` binary, and reading what each says about one configuration file.
//!
//! Knows the observable formats only (doveconf's stderr and `-S` dump, mxlint's JSON); it makes no
//! judgement about agreement — that is the calling test's job.
#![allow(dead_code)]

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The services whose effective vsz limit the oracle compares (docs/dovecot.md §3.4).
pub const VSZ_SERVICES: [&str; 4] = ["imap", "pop3", "lmtp", "indexer-worker"];

/// 2.3's "not set" value for a service's `vsz_limit`: the service inherits `default_vsz_limit`
/// (master/service.c: `set->vsz_limit != UOFF_T_MAX ? set->vsz_limit : default_vsz_limit`).
pub const SENTINEL: u64 = u64::MAX;

/// Codes that mean "the real daemon refuses this configuration".
/// Codes of the rules whose findings mean the real daemon refuses the configuration.
pub fn fatal_codes() -> Vec<&'static str> {
    mxlint::rules::ALL
        .iter()
        .filter(|r| r.fatal)
        .map(|r| r.code)
        .collect()
}

/// A limit as the master applies it; in 2.3 a 0 means no limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Vsz {
    Bytes(u64),
    Unlimited,
}

impl std::fmt::Display for Vsz {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Vsz::Bytes(b) => write!(f, "{b} B"),
            Vsz::Unlimited => f.write_str("unlimited"),
        }
    }
}

/// Where and why doveconf gave up, from its `Fatal:` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DoveconfFatal {
    /// The file named in `Error in configuration file P…` (as doveconf spells it).
    pub path: Option<PathBuf>,
    /// `line N` when doveconf printed one (errors found while applying a line).
    pub line: Option<usize>,
    pub message: String,
}

/// What `doveconf -n -c F` said.
#[derive(Clone, Debug)]
pub struct DoveconfVerdict {
    pub code: i32,
    pub fatal: Option<DoveconfFatal>,
    pub stderr: String,
}

impl DoveconfVerdict {
    pub fn rejects(&self) -> bool {
        self.code != 0
    }
}

/// Runs doveconf; `Err` when the binary cannot be started at all.
pub fn doveconf(args: &[&std::ffi::OsStr]) -> std::io::Result<Output> {
    Command::new(doveconf_program())
        .args(args)
        .env_remove("USE_SYSEXITS")
        .output()
}

/// `MXLINT_DOVECONF` or `doveconf` from `PATH`.
pub fn doveconf_program() -> PathBuf {
    std::env::var_os("MXLINT_DOVECONF")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("doveconf"))
}

/// `doveconf -n -c path`: accept/reject and the first fatal error.
pub fn doveconf_check(path: &Path) -> std::io::Result<DoveconfVerdict> {
    let out = doveconf(&["-n".as_ref(), "-c".as_ref(), path.as_os_str()])?;
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    Ok(DoveconfVerdict {
        code: out.status.code().unwrap_or(-1),
        fatal: parse_fatal(&stderr),
        stderr,
    })
}

/// Reads the first `doveconf: Fatal: …` line. Formats (2.3.19):
/// `Error in configuration file P line N: MSG`, `Error in configuration file P: MSG` (end-of-parse
/// checks), or any other `MSG` (e.g. `open(P) failed: …`).
pub fn parse_fatal(stderr: &str) -> Option<DoveconfFatal> {
    let rest = stderr.lines().find_map(|l| l.split_once("Fatal: "))?.1;
    let Some(located) = rest.strip_prefix("Error in configuration file ") else {
        return Some(DoveconfFatal {
            path: None,
            line: None,
            message: rest.to_string(),
        });
    };
    for (at, _) in located.match_indices(" line ") {
        let tail = &located[at + " line ".len()..];
        let digits = tail.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 && tail[digits..].starts_with(": ") {
            return Some(DoveconfFatal {
                path: Some(PathBuf::from(&located[..at])),
                line: tail[..digits].parse().ok(),
                message: tail[digits + 2..].to_string(),
            });
        }
    }
    let (path, message) = located.split_once(": ").unwrap_or((located, ""));
    Some(DoveconfFatal {
        path: Some(PathBuf::from(path)),
        line: None,
        message: message.to_string(),
    })
}

/// `doveconf -c path -S`, resolved to the effective limit of each of [`VSZ_SERVICES`].
pub fn doveconf_vsz(path: &Path) -> Result<BTreeMap<String, Vsz>, String> {
    let out = doveconf(&["-c".as_ref(), path.as_os_str(), "-S".as_ref()])
        .map_err(|e| format!("doveconf -S: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "doveconf -S exited {:?}: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let dump = String::from_utf8_lossy(&out.stdout);
    // Service names match case-insensitively (`service IMAP { }` is the imap service) and -S
    // prints the spelling the config used first, so compare keys without case.
    let lookup = |key: &str| -> Result<u64, String> {
        let value = dump
            .lines()
            .filter_map(|l| l.split_once('='))
            .find_map(|(k, v)| k.eq_ignore_ascii_case(key).then_some(v))
            .ok_or_else(|| format!("doveconf -S has no {key}"))?;
        parse_doveconf_size(value).ok_or_else(|| format!("doveconf -S: {key}={value}?"))
    };
    let default = lookup("default_vsz_limit")?;
    let mut limits = BTreeMap::new();
    for service in VSZ_SERVICES {
        let own = lookup(&format!("service/{service}/vsz_limit"))?;
        let bytes = if own == SENTINEL { default } else { own };
        let vsz = if bytes == 0 {
            Vsz::Unlimited
        } else {
            Vsz::Bytes(bytes)
        };
        limits.insert(service.to_string(), vsz);
    }
    Ok(limits)
}

/// doveconf's normalised size output: `0`, `N B`, `N k`, `N M`, `N G`, `N T`.
pub fn parse_doveconf_size(text: &str) -> Option<u64> {
    let (number, unit) = text.split_once(' ').unwrap_or((text, "B"));
    let shift = match unit {
        "B" => 0,
        "k" => 10,
        "M" => 20,
        "G" => 30,
        "T" => 40,
        _ => return None,
    };
    number.parse::<u64>().ok()?.checked_mul(1u64 << shift)
}

/// One fatal finding of mxlint: a fatal diagnostic or a file error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MxlintFatal {
    pub code: String,
    pub path: Option<PathBuf>,
    pub line: Option<usize>,
    pub message: String,
}

/// What `mxlint check --format json` said.
#[derive(Clone, Debug)]
pub struct MxlintVerdict {
    pub fatal: Vec<MxlintFatal>,
    /// Every diagnostic code, fatal or not, for the mismatch report.
    pub codes: Vec<String>,
}

impl MxlintVerdict {
    pub fn rejects(&self) -> bool {
        !self.fatal.is_empty()
    }
}

/// Runs the mxlint binary with `args` in `dir`; `Err` describes a crash or unreadable output.
pub fn mxlint_json(dir: &Path, args: &[&std::ffi::OsStr]) -> Result<Value, String> {
    let out = Command::new(env!("CARGO_BIN_EXE_mxlint"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .map_err(|e| format!("cannot run mxlint: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let crashed = !matches!(out.status.code(), Some(0..=2));
    match serde_json::from_str::<Value>(&stdout) {
        Ok(json) if !crashed => Ok(json),
        parsed => {
            let why = match parsed {
                Ok(_) => "crashed".to_string(),
                Err(e) => format!("printed no JSON ({e})"),
            };
            Err(format!(
                "mxlint {} {why}, exit {}; stderr: {}",
                args.first()
                    .map(|a| a.to_string_lossy())
                    .unwrap_or_default(),
                out.status
                    .code()
                    .map_or("by signal".to_string(), |c| c.to_string()),
                tail(&String::from_utf8_lossy(&out.stderr), 6)
            ))
        }
    }
}

/// `mxlint SUBCOMMAND --dovecot-version 2.3 --format json --isolated path`, run in the file's
/// directory.
fn mxlint_23_json(subcommand: &str, path: &Path) -> Result<Value, String> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let args = [
        subcommand,
        "--dovecot-version",
        "2.3",
        "--format",
        "json",
        "--isolated",
    ];
    let mut args: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_ref()).collect();
    args.push(path.as_os_str());
    mxlint_json(dir, &args)
}

/// `mxlint check …` on one file.
pub fn mxlint_check(path: &Path) -> Result<MxlintVerdict, String> {
    let json = mxlint_23_json("check", path)?;
    read_check_json(&json, path.parent().unwrap_or(Path::new(".")))
}

/// Reads `{"diagnostics":[{"code","line","path",…}],"errors":[…]}`. A diagnostic is fatal when
/// its rule is fatal ([`fatal_codes`]) or it says `"fatal": true`; every file error is fatal.
pub fn read_check_json(json: &Value, dir: &Path) -> Result<MxlintVerdict, String> {
    let diagnostics = json
        .get("diagnostics")
        .and_then(Value::as_array)
        .ok_or_else(|| format!("mxlint check JSON has no diagnostics array: {json}"))?;
    let fatal_codes = fatal_codes();
    let mut verdict = MxlintVerdict {
        fatal: Vec::new(),
        codes: Vec::new(),
    };
    for d in diagnostics {
        let code = d.get("code").and_then(Value::as_str).unwrap_or("?");
        verdict.codes.push(code.to_string());
        let flagged = d.get("fatal").and_then(Value::as_bool) == Some(true);
        if fatal_codes.contains(&code) || flagged {
            verdict.fatal.push(finding(d, code, dir));
        }
    }
    for e in json
        .get("errors")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        verdict.fatal.push(finding(e, "error", dir));
    }
    Ok(verdict)
}

fn finding(item: &Value, code: &str, dir: &Path) -> MxlintFatal {
    let text = |key: &str| item.get(key).and_then(Value::as_str).map(str::to_string);
    MxlintFatal {
        code: code.to_string(),
        path: text("path").map(|p| dir.join(p)),
        line: item.get("line").and_then(Value::as_u64).map(|l| l as usize),
        message: text("message").unwrap_or_default(),
    }
}

/// `mxlint show --dovecot-version 2.3 --format json --isolated path`: the limits of
/// [`VSZ_SERVICES`] (`vsz_limit` is a byte count or `"unlimited"`).
pub fn mxlint_vsz(path: &Path) -> Result<BTreeMap<String, Vsz>, String> {
    let json = mxlint_23_json("show", path)?;
    let services = json
        .get("services")
        .and_then(Value::as_array)
        .ok_or_else(|| format!("mxlint show JSON has no services array: {json}"))?;
    let mut limits = BTreeMap::new();
    for service in VSZ_SERVICES {
        let entry = services
            .iter()
            .find(|s| {
                s.get("name")
                    .and_then(Value::as_str)
                    .is_some_and(|name| name.eq_ignore_ascii_case(service))
            })
            .ok_or_else(|| format!("mxlint show lists no service {service}"))?;
        let vsz = match entry.get("vsz_limit") {
            Some(Value::String(s)) if s == "unlimited" => Vsz::Unlimited,
            Some(v) => Vsz::Bytes(
                v.as_u64()
                    .ok_or_else(|| format!("mxlint show: {service} vsz_limit = {v}?"))?,
            ),
            None => return Err(format!("mxlint show: {service} has no vsz_limit")),
        };
        limits.insert(service.to_string(), vsz);
    }
    Ok(limits)
}

/// The last `n` non-empty lines of `text`, joined with " | ".
pub fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let start = lines.len().saturating_sub(n);
    if lines.is_empty() {
        "(empty)".to_string()
    } else {
        lines[start..].join(" | ")
    }
}

/// Whether two spellings of a path name the same file (falls back to textual equality).
pub fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// The LSP messages a server writes to `stdout`, read on their own thread until it closes.
pub fn lsp_messages(
    stdout: impl std::io::Read + Send + 'static,
) -> std::sync::mpsc::Receiver<Value> {
    let (tx, messages) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut reader = std::io::BufReader::new(stdout);
        while let Some(message) = read_lsp_message(&mut reader) {
            if tx.send(message).is_err() {
                break;
            }
        }
    });
    messages
}

/// Reads one Content-Length framed LSP message (None at end of stream or on a bad frame).
pub fn read_lsp_message(reader: &mut impl std::io::BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(value) = line.strip_prefix("Content-Length:") {
            length = value.trim().parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

/// Copies a directory tree (an example repository into a temporary directory).
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fatal_lines_parse() {
        let f = parse_fatal(
            "doveconf: Fatal: Error in configuration file /t/a.conf line 3: Unknown setting: x\n",
        )
        .unwrap();
        assert_eq!(f.path.as_deref(), Some(Path::new("/t/a.conf")));
        assert_eq!(f.line, Some(3));
        assert_eq!(f.message, "Unknown setting: x");
        let f = parse_fatal("doveconf: Error: x\ndoveconf: Fatal: Error in configuration file /t/a.conf: service(imap): vsz_limit is too low\n").unwrap();
        assert_eq!(f.line, None);
        assert_eq!(f.message, "service(imap): vsz_limit is too low");
        assert!(parse_fatal("doveconf: Warning: x\n").is_none());
    }

    #[test]
    fn doveconf_sizes_parse() {
        assert_eq!(parse_doveconf_size("0"), Some(0));
        assert_eq!(parse_doveconf_size("512 k"), Some(512 << 10));
        assert_eq!(parse_doveconf_size("256 M"), Some(256 << 20));
        assert_eq!(
            parse_doveconf_size("18446744073709551615 B"),
            Some(SENTINEL)
        );
        assert_eq!(parse_doveconf_size("17179869184 G"), None);
    }
}
