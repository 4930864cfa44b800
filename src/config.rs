//! config: the effective settings of one run — defaults, then `.mxlint.yml`, then CLI flags.
//!
//! Owns config-file discovery (walk up from the checked path, stop at the first `.mxlint.yml` or
//! after the directory holding `.git`), parsing (unknown keys are errors with a line and column)
//! and layering. Knows nothing about rules beyond their selectors, and nothing about output.
//!
//! The file:
//!
//! ```yaml
//! dovecot:
//!   version: "2.4"        # or "2.3"; omitted = read `dovecot_config_version` from the file
//!   min-vsz-limit: 1G     # Dovecot size syntax, at least 1M
//! select: [MX3]           # omitted = every rule
//! ignore: [MX301]
//! fail-level: warning     # error | warning | info | style (default: style, any finding fails)
//! facts:                  # values for facts no fact cache gives (Ansible repositories)
//!   ansible_memtotal_mb: 8192
//! dest-kinds:             # what a destination outside the standard places holds
//!   "/srv/dovecot/dovecot.conf": dovecot
//! firewalld: {version: "2.1", default-zone: FedoraServer}
//! fail2ban: {version: "1.1", trusted-networks: [198.51.100.0/24], trusted-networks-var: admin_networks}
//! severity: {MX505: warning}            # the most specific selector wins
//! per-file-ignores: {"roles/legacy/**": [MX301]}   # globs relative to the config file
//! fail-on: warning                      # the same as fail-level
//! inventory: hosts.yml                  # default -i / --playbook, relative to the config file
//! playbooks: [site.yml]
//! ```
//!
//! The file is `.mxlint.yml` or `mxlint.yml` (the first found in a directory).
//!
//! Layering: a CLI `--select` starts the selection afresh (the file's `select` and `ignore` no
//! longer apply, as in ruff); a CLI `--ignore` adds to the file's `ignore`. Every other flag
//! replaces the file's value.

use crate::diagnostic::Severity;
use crate::model::dovecot::DovecotVersion;
use crate::model::size::{parse_size, Size};
use crate::rules::{Selection, Selector};
use saphyr::{LoadableYamlNode, MarkedYaml, YamlData};
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::path::{Path, PathBuf};

/// 1 GiB: the smallest `default_vsz_limit` mxlint accepts unless configured otherwise.
pub const DEFAULT_MIN_VSZ_LIMIT: u64 = 1 << 30;

/// The smallest `min-vsz-limit` a user may configure: below 1 MiB Dovecot cannot even start.
pub const MIN_MIN_VSZ_LIMIT: u64 = 1 << 20;

/// The name of the config file mxlint looks for.
pub const CONFIG_FILE_NAME: &str = ".mxlint.yml";

/// Every name a config file may have, in the order a directory is searched.
pub const CONFIG_FILE_NAMES: &[&str] = &[".mxlint.yml", "mxlint.yml"];

/// Everything a check needs to know beyond the files themselves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// Forced Dovecot version; `None` = detect from the file (`dovecot_config_version`).
    pub dovecot_version: Option<DovecotVersion>,
    /// Minimum acceptable vsz limit for mailbox services, in bytes.
    pub min_vsz_limit: u64,
    pub selection: Selection,
    /// `facts:` defaults as a JSON object: values for facts (`ansible_*`) that no fact cache
    /// gives, so templates using them can be checked.
    pub facts: Option<String>,
    /// `dest-kinds:` destination path (or glob) → kind, for files outside the standard places.
    pub dest_kinds: Vec<(String, String)>,
    /// `firewalld:` the target's firewalld.
    pub firewalld: FirewalldSettings,
    /// `fail2ban:` the target's fail2ban and the networks that must never be banned.
    pub fail2ban: Fail2banSettings,
    /// `severity:` rule selector → the severity its findings get (the most specific selector
    /// wins: a code or name over a prefix, a longer prefix over a shorter one).
    pub severity: Vec<(Selector, Severity)>,
    /// `per-file-ignores:` glob (relative to `root`) → rules not reported in matching files.
    pub per_file_ignores: Vec<(glob::Pattern, Vec<Selector>)>,
    /// `inventory:` and `playbooks:` (relative to `root`): used when the command line gives none.
    pub inventory: Vec<PathBuf>,
    pub playbooks: Vec<PathBuf>,
    /// The directory of the config file: where relative paths and globs start.
    pub root: Option<PathBuf>,
}

/// The firewalld release whose stock service definitions apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FirewalldVersion {
    /// 1.x up to 2.0 (Debian 12 ships 1.3.3; RHEL 9 1.x): no `submission` service.
    V1_3,
    /// 2.1 and later (Fedora 40+): `submission` exists, `smtp-submission` includes it.
    V2_1,
}

impl FirewalldVersion {
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let mut parts = text.split('.').map(|p| p.parse::<u32>().ok());
        let major = parts.next()??;
        let minor = parts.next().flatten().unwrap_or(0);
        match (major, minor) {
            (0, _) | (1, _) | (2, 0) => Some(FirewalldVersion::V1_3),
            (2, _) | (3..=9, _) => Some(FirewalldVersion::V2_1),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FirewalldVersion::V1_3 => "1.3",
            FirewalldVersion::V2_1 => "2.1",
        }
    }

    /// The releases checked alike, for `mxlint config` when the written one is another.
    fn releases(self) -> &'static str {
        match self {
            FirewalldVersion::V1_3 => "checked as firewalld 1.x to 2.0",
            FirewalldVersion::V2_1 => "checked as firewalld 2.1 and later",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FirewalldSettings {
    pub version: FirewalldVersion,
    /// The release as the config file writes it (`1.3.3`), when it does.
    pub release: Option<String>,
    /// The zone tasks and commands without `zone` change (`FedoraServer` on Fedora Server).
    pub default_zone: String,
}

impl Default for FirewalldSettings {
    fn default() -> Self {
        FirewalldSettings {
            version: FirewalldVersion::V2_1,
            release: None,
            default_zone: "public".into(),
        }
    }
}

/// The fail2ban release whose parsing rules apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Fail2banVersion {
    /// 1.0.x (Debian 12): tabs do not separate `ignoreip` entries, a bad CIDR suffix is fatal.
    V1_0,
    /// 1.1.0 (Fedora 41/42): any whitespace separates, a bad suffix becomes a useless entry.
    V1_1,
    /// 1.1.1 and later: as 1.1.0, plus `file:` entries.
    V1_1_1,
}

impl Fail2banVersion {
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.trim().split('.').map(|p| p.parse::<u32>().ok());
        let major = parts.next()??;
        let minor = parts.next().flatten().unwrap_or(0);
        let patch = parts.next().flatten().unwrap_or(0);
        match (major, minor, patch) {
            (0, _, _) | (1, 0, _) => Some(Fail2banVersion::V1_0),
            (1, 1, 0) => Some(Fail2banVersion::V1_1),
            (1, _, _) => Some(Fail2banVersion::V1_1_1),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Fail2banVersion::V1_0 => "1.0",
            Fail2banVersion::V1_1 => "1.1",
            Fail2banVersion::V1_1_1 => "1.1.1",
        }
    }

    /// The releases checked alike, for `mxlint config` when the written one is another.
    fn releases(self) -> &'static str {
        match self {
            Fail2banVersion::V1_0 => "checked as fail2ban 1.0.x",
            Fail2banVersion::V1_1 => "checked as fail2ban 1.1.0",
            Fail2banVersion::V1_1_1 => "checked as fail2ban 1.1.1 and later",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fail2banSettings {
    pub version: Fail2banVersion,
    /// The release as the config file writes it (`1.0.2`), when it does.
    pub release: Option<String>,
    /// Addresses and networks every mail jail must ignore (`trusted-networks:`).
    pub trusted_networks: Vec<String>,
    /// An Ansible variable holding more of them, read per host (`trusted-networks-var:`).
    pub trusted_networks_var: Option<String>,
}

impl Default for Fail2banSettings {
    fn default() -> Self {
        Fail2banSettings {
            version: Fail2banVersion::V1_1,
            release: None,
            trusted_networks: Vec::new(),
            trusted_networks_var: None,
        }
    }
}

/// The kinds `dest-kinds:` may name.
pub const DEST_KINDS: &[&str] = &[
    "dovecot",
    "dovecot-include",
    "fail2ban-jail",
    "firewalld-zone",
    "postfix-master",
    "postfix-main",
    "other",
];

impl Default for Settings {
    fn default() -> Self {
        Settings {
            dovecot_version: None,
            min_vsz_limit: DEFAULT_MIN_VSZ_LIMIT,
            selection: Selection::default(),
            facts: None,
            dest_kinds: Vec::new(),
            firewalld: FirewalldSettings::default(),
            fail2ban: Fail2banSettings::default(),
            severity: Vec::new(),
            per_file_ignores: Vec::new(),
            inventory: Vec::new(),
            playbooks: Vec::new(),
            root: None,
        }
    }
}

/// The settings of a run plus what only the front end needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub settings: Settings,
    /// Findings at or above this severity make the run exit 1.
    pub fail_level: Severity,
    /// The config file that was applied, if any.
    pub file: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            settings: Settings::default(),
            fail_level: Severity::Style,
            file: None,
        }
    }
}

/// Where the config file comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigSource {
    /// Walk up from each checked path (the default).
    Discover,
    /// `--config FILE`.
    File(PathBuf),
    /// `--isolated`: no config file at all.
    Isolated,
}

/// Values given on the command line; `None` leaves the file's value (or the default) alone.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Overrides {
    pub dovecot_version: Option<DovecotVersion>,
    pub min_vsz_limit: Option<u64>,
    pub select: Option<Vec<Selector>>,
    pub ignore: Vec<Selector>,
    pub fail_level: Option<Severity>,
}

/// What one `.mxlint.yml` sets; every field is optional.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileConfig {
    pub dovecot_version: Option<DovecotVersion>,
    pub min_vsz_limit: Option<u64>,
    pub select: Option<Vec<Selector>>,
    pub ignore: Option<Vec<Selector>>,
    pub fail_level: Option<Severity>,
    pub facts: Option<String>,
    pub dest_kinds: Vec<(String, String)>,
    pub firewalld: FirewalldSettings,
    pub fail2ban: Fail2banSettings,
    pub severity: Vec<(Selector, Severity)>,
    /// Globs as written, relative to the config file.
    pub per_file_ignores: Vec<(String, Vec<Selector>)>,
    pub inventory: Vec<String>,
    pub playbooks: Vec<String>,
}

/// A config file that cannot be used. `Display` gives `path:line:col: message`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    pub path: Option<PathBuf>,
    /// 1-based line and column (column in code points) when the problem has a place.
    pub position: Option<(usize, usize)>,
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.path, self.position) {
            (Some(path), Some((line, column))) => {
                write!(f, "{}:{line}:{column}: {}", path.display(), self.message)
            }
            (Some(path), None) => write!(f, "{}: {}", path.display(), self.message),
            (None, _) => f.write_str(&self.message),
        }
    }
}

/// Finds the config file, reads it and layers defaults ← file ← `overrides`.
pub fn resolve(
    source: &ConfigSource,
    targets: &[&Path],
    overrides: &Overrides,
) -> Result<Config, ConfigError> {
    let file = match source {
        ConfigSource::Isolated => None,
        ConfigSource::File(path) => Some(path.clone()),
        ConfigSource::Discover => discover_for_all(targets)?,
    };
    let file_config = match &file {
        Some(path) => load_file(path)?,
        None => FileConfig::default(),
    };
    Ok(layer(file_config, overrides, file))
}

/// Applies the file's values over the defaults, then the CLI's over those.
pub fn layer(file: FileConfig, cli: &Overrides, path: Option<PathBuf>) -> Config {
    let mut selection = Selection {
        select: file.select.unwrap_or_default(),
        ignore: file.ignore.unwrap_or_default(),
    };
    if let Some(select) = &cli.select {
        selection = Selection {
            select: select.clone(),
            ignore: Vec::new(),
        };
    }
    selection.ignore.extend(cli.ignore.iter().cloned());
    let defaults = Config::default();
    let root = path.as_ref().map(|p| match p.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    });
    Config {
        settings: Settings {
            dovecot_version: cli.dovecot_version.or(file.dovecot_version),
            min_vsz_limit: cli
                .min_vsz_limit
                .or(file.min_vsz_limit)
                .unwrap_or(defaults.settings.min_vsz_limit),
            selection,
            facts: file.facts,
            dest_kinds: file.dest_kinds,
            firewalld: file.firewalld,
            fail2ban: file.fail2ban,
            severity: file.severity,
            per_file_ignores: file
                .per_file_ignores
                .into_iter()
                .filter_map(|(glob, rules)| Some((glob::Pattern::new(&glob).ok()?, rules)))
                .collect(),
            inventory: file.inventory.iter().map(|p| under(&root, p)).collect(),
            playbooks: file.playbooks.iter().map(|p| under(&root, p)).collect(),
            root: root.clone(),
        },
        fail_level: cli
            .fail_level
            .or(file.fail_level)
            .unwrap_or(defaults.fail_level),
        file: path,
    }
}

/// The merged settings in the config file's own shape (`mxlint config`).
pub fn to_yaml(config: &Config) -> String {
    use std::fmt::Write;
    let s = &config.settings;
    let mut out = String::new();
    let quote = |text: &str| serde_json::Value::String(text.to_string()).to_string();
    let list = |items: &mut dyn Iterator<Item = String>| {
        let items: Vec<String> = items.collect();
        format!("[{}]", items.join(", "))
    };
    // A release as written; when it is not the name of its class, which class checks it.
    let release = |written: Option<&str>, class: &str, releases: &str| match written {
        Some(w) if w != class => format!("{}  # {releases}", quote(w)),
        _ => quote(class),
    };
    let _ = match &config.file {
        Some(path) => writeln!(out, "# from {} (defaults for the rest)", path.display()),
        None => writeln!(out, "# no config file: defaults"),
    };
    let _ = writeln!(out, "dovecot:");
    let _ = match s.dovecot_version {
        Some(v) => writeln!(out, "  version: {}", quote(v.as_str())),
        None => writeln!(
            out,
            "  version: null  # read dovecot_config_version from each file"
        ),
    };
    let _ = writeln!(
        out,
        "  min-vsz-limit: {}",
        quote(&crate::model::size::format_size_compact(s.min_vsz_limit))
    );
    let (firewalld, fail2ban) = (&s.firewalld, &s.fail2ban);
    let firewalld_version = release(
        firewalld.release.as_deref(),
        firewalld.version.as_str(),
        firewalld.version.releases(),
    );
    let fail2ban_version = release(
        fail2ban.release.as_deref(),
        fail2ban.version.as_str(),
        fail2ban.version.releases(),
    );
    let _ = writeln!(out, "firewalld:");
    let _ = writeln!(out, "  version: {firewalld_version}");
    let _ = writeln!(out, "  default-zone: {}", quote(&firewalld.default_zone));
    let _ = writeln!(out, "fail2ban:");
    let _ = writeln!(out, "  version: {fail2ban_version}");
    let _ = writeln!(
        out,
        "  trusted-networks: {}",
        list(&mut s.fail2ban.trusted_networks.iter().map(|n| quote(n)))
    );
    let _ = match &s.fail2ban.trusted_networks_var {
        Some(v) => writeln!(out, "  trusted-networks-var: {}", quote(v)),
        None => writeln!(out, "  trusted-networks-var: null"),
    };
    let selectors = |sel: &[Selector]| list(&mut sel.iter().map(|s| quote(s.as_str())));
    let _ = writeln!(out, "select: {}", selectors(&s.selection.select));
    let _ = writeln!(out, "ignore: {}", selectors(&s.selection.ignore));
    let _ = writeln!(out, "fail-level: {}", config.fail_level.as_str());
    let _ = writeln!(
        out,
        "severity:{}",
        if s.severity.is_empty() { " {}" } else { "" }
    );
    for (sel, level) in &s.severity {
        let _ = writeln!(out, "  {}: {}", quote(sel.as_str()), level.as_str());
    }
    let _ = writeln!(
        out,
        "per-file-ignores:{}",
        if s.per_file_ignores.is_empty() {
            " {}"
        } else {
            ""
        }
    );
    for (glob, rules) in &s.per_file_ignores {
        let _ = writeln!(out, "  {}: {}", quote(glob.as_str()), selectors(rules));
    }
    let paths = |p: &[PathBuf]| list(&mut p.iter().map(|p| quote(&p.to_string_lossy())));
    let _ = writeln!(out, "inventory: {}", paths(&s.inventory));
    let _ = writeln!(out, "playbooks: {}", paths(&s.playbooks));
    let _ = match &s.facts {
        Some(json) => writeln!(out, "facts: {json}"),
        None => writeln!(out, "facts: {{}}"),
    };
    let _ = writeln!(
        out,
        "dest-kinds:{}",
        if s.dest_kinds.is_empty() { " {}" } else { "" }
    );
    for (dest, kind) in &s.dest_kinds {
        let _ = writeln!(out, "  {}: {}", quote(dest), kind);
    }
    out
}

/// `path` relative to the config file's directory (absolute paths stay).
fn under(root: &Option<PathBuf>, path: &str) -> PathBuf {
    let path = Path::new(path);
    match root {
        Some(root) if path.is_relative() => root.join(path),
        _ => path.to_path_buf(),
    }
}

/// Applies `severity:` and `per-file-ignores:` to the findings of a run.
pub fn apply_to_findings(
    settings: &Settings,
    db: &crate::source::SourceDb,
    diagnostics: &mut Vec<crate::diagnostic::Diagnostic>,
) {
    if !settings.per_file_ignores.is_empty() {
        let root = settings
            .root
            .as_deref()
            .and_then(|r| r.canonicalize().ok())
            .or_else(|| std::env::current_dir().ok());
        diagnostics.retain(|d| {
            let path = db.file(d.primary.span.file).path();
            let Some(rel) = relative_path(path, root.as_deref()) else {
                return true;
            };
            !settings.per_file_ignores.iter().any(|(glob, rules)| {
                glob.matches_path_with(&rel, glob_options())
                    && rules.iter().any(|r| r.matches(d.rule))
            })
        });
    }
    // The most specific selector wins: the code or name itself, then the longest prefix.
    for d in diagnostics.iter_mut() {
        let best = settings
            .severity
            .iter()
            .filter(|(s, _)| s.matches(d.rule))
            .max_by_key(|(s, _)| {
                let s = s.as_str();
                if s.eq_ignore_ascii_case(d.rule.code) || s == d.rule.name {
                    usize::MAX
                } else {
                    s.len()
                }
            });
        if let Some((_, severity)) = best {
            d.severity = *severity;
        }
    }
}

/// `**` crosses directories, `*` does not; hidden files match.
fn glob_options() -> glob::MatchOptions {
    glob::MatchOptions {
        case_sensitive: true,
        require_literal_separator: true,
        require_literal_leading_dot: false,
    }
}

/// A file's path relative to `root` (both made absolute); `None` when it lies elsewhere.
fn relative_path(path: &Path, root: Option<&Path>) -> Option<PathBuf> {
    let root = root?;
    let absolute = path
        .canonicalize()
        .ok()
        .or_else(|| std::env::current_dir().ok().map(|c| c.join(path)))?;
    absolute.strip_prefix(root).ok().map(Path::to_path_buf)
}

/// Discovers the config of every target; they must agree, since one run has one config.
fn discover_for_all(targets: &[&Path]) -> Result<Option<PathBuf>, ConfigError> {
    let mut found: Vec<PathBuf> = Vec::new();
    let mut any_without = false;
    for target in targets {
        match discover(target) {
            Some(path) if !found.contains(&path) => found.push(path),
            Some(_) => {}
            None => any_without = true,
        }
    }
    if found.len() > 1 || (found.len() == 1 && any_without) {
        let names: Vec<String> = found.iter().map(|p| p.display().to_string()).collect();
        return Err(ConfigError {
            path: None,
            position: None,
            message: format!(
                "the paths given fall under different config files ({}{}); check them in separate runs or pass --config or --isolated",
                names.join(", "),
                if any_without { ", and none" } else { "" }
            ),
        });
    }
    Ok(found.pop())
}

/// The nearest `.mxlint.yml` above `target` (a file's directory or the directory itself).
///
/// Stops at the first file found, and after the first directory that holds `.git` (the
/// repository root), so a checkout never picks up a config from outside itself. The result is
/// relative to the working directory when it lies below it.
pub fn discover(target: &Path) -> Option<PathBuf> {
    let cwd = std::env::current_dir().ok();
    let absolute = absolute(target, cwd.as_deref())?;
    let start = if absolute.is_dir() {
        absolute.as_path()
    } else {
        absolute.parent()?
    };
    for dir in start.ancestors() {
        for name in CONFIG_FILE_NAMES {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(relative_to(candidate, cwd.as_deref()));
            }
        }
        if dir.join(".git").exists() {
            return None;
        }
    }
    None
}

fn absolute(path: &Path, cwd: Option<&Path>) -> Option<PathBuf> {
    if let Ok(canonical) = path.canonicalize() {
        return Some(canonical);
    }
    // A missing file is reported later by the check; still find the config its directory uses.
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        cwd?.canonicalize().ok()?.join(path)
    };
    Some(joined)
}

fn relative_to(path: PathBuf, cwd: Option<&Path>) -> PathBuf {
    let Some(cwd) = cwd.and_then(|c| c.canonicalize().ok()) else {
        return path;
    };
    match path.strip_prefix(&cwd) {
        Ok(rel) => rel.to_path_buf(),
        Err(_) => path,
    }
}

/// Reads and parses one config file.
pub fn load_file(path: &Path) -> Result<FileConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
        path: Some(path.to_path_buf()),
        position: None,
        message: format!("cannot read config file: {e}"),
    })?;
    parse(&text, path)
}

/// The file as written, before validation; every value keeps its location.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawFile {
    dovecot: Option<RawDovecot>,
    select: Option<Vec<Spanned<String>>>,
    ignore: Option<Vec<Spanned<String>>>,
    fail_level: Option<Spanned<String>>,
    facts: Option<serde_json::Map<String, serde_json::Value>>,
    dest_kinds: Option<std::collections::BTreeMap<String, Spanned<String>>>,
    firewalld: Option<RawFirewalld>,
    fail2ban: Option<RawFail2ban>,
    fail_on: Option<Spanned<String>>,
    severity: Option<std::collections::BTreeMap<String, Spanned<String>>>,
    per_file_ignores: Option<std::collections::BTreeMap<String, Vec<Spanned<String>>>>,
    inventory: Option<OneOrMany>,
    playbooks: Option<OneOrMany>,
}

/// A path or a list of them.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawFirewalld {
    version: Option<Spanned<String>>,
    default_zone: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawFail2ban {
    version: Option<Spanned<String>>,
    trusted_networks: Option<Vec<Spanned<String>>>,
    trusted_networks_var: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawDovecot {
    version: Option<Spanned<String>>,
    min_vsz_limit: Option<Spanned<String>>,
}

/// Parses the text of a config file; `path` only labels errors.
pub fn parse(text: &str, path: &Path) -> Result<FileConfig, ConfigError> {
    let options = serde_saphyr::Options {
        with_snippet: false,
        ..Default::default()
    };
    let raw: RawFile = serde_saphyr::from_str_with_options(text, options)
        .map_err(|e| yaml_error(&e, text, path))?;
    let at = |value: &Spanned<String>, message: String| ConfigError {
        path: Some(path.to_path_buf()),
        position: Some((
            value.referenced.line() as usize,
            value.referenced.column() as usize,
        )),
        message,
    };
    let dovecot = raw.dovecot.unwrap_or_default();
    let dovecot_version = dovecot
        .version
        .map(|v| {
            DovecotVersion::parse(&v.value).ok_or_else(|| {
                at(
                    &v,
                    format!(
                        "dovecot.version: expected \"2.3\" or \"2.4\", found `{}`",
                        v.value
                    ),
                )
            })
        })
        .transpose()?;
    let min_vsz_limit = dovecot
        .min_vsz_limit
        .map(|v| {
            parse_min_vsz_limit(&v.value).map_err(|m| at(&v, format!("dovecot.min-vsz-limit: {m}")))
        })
        .transpose()?;
    let selectors = |key: &str, list: Option<Vec<Spanned<String>>>| {
        list.map(|items| {
            items
                .iter()
                .map(|s| Selector::parse(&s.value).map_err(|m| at(s, format!("{key}: {m}"))))
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()
    };
    let select = selectors("select", raw.select)?;
    let ignore = selectors("ignore", raw.ignore)?;
    if let (Some(_), Some(on)) = (&raw.fail_level, &raw.fail_on) {
        return Err(at(
            on,
            "fail-on and fail-level are the same setting: keep one".to_string(),
        ));
    }
    let fail_level = raw
        .fail_level
        .or(raw.fail_on)
        .map(|v| {
            Severity::parse(&v.value).ok_or_else(|| {
                at(
                    &v,
                    format!(
                        "fail-level: expected error, warning, info or style, found `{}`",
                        v.value
                    ),
                )
            })
        })
        .transpose()?;
    let facts = raw
        .facts
        .map(|map| serde_json::Value::Object(map).to_string());
    let mut dest_kinds = Vec::new();
    for (dest, kind) in raw.dest_kinds.unwrap_or_default() {
        if !DEST_KINDS.contains(&kind.value.as_str()) {
            let known: Vec<&str> = DEST_KINDS.to_vec();
            let hint = crate::suggest::did_you_mean(&kind.value, known)
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            return Err(at(
                &kind,
                format!(
                    "dest-kinds: unknown kind `{}`{hint}; expected one of {}",
                    kind.value,
                    DEST_KINDS.join(", ")
                ),
            ));
        }
        dest_kinds.push((dest, kind.value));
    }
    let mut firewalld = FirewalldSettings::default();
    let raw_firewalld = raw.firewalld.unwrap_or_default();
    if let Some(v) = raw_firewalld.version {
        firewalld.version = FirewalldVersion::parse(&v.value).ok_or_else(|| {
            at(
                &v,
                format!(
                    "firewalld.version: expected a release such as \"1.3\" or \"2.1\", found `{}`",
                    v.value
                ),
            )
        })?;
        let written = v.value.trim();
        firewalld.release = (written != firewalld.version.as_str()).then(|| written.to_string());
    }
    if let Some(zone) = raw_firewalld.default_zone {
        let valid = !zone.value.is_empty()
            && zone
                .value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-+/".contains(c));
        if !valid {
            return Err(at(
                &zone,
                format!(
                    "firewalld.default-zone: `{}` is not a zone name (letters, digits, `_`, `-`, `+`, `/`)",
                    zone.value
                ),
            ));
        }
        firewalld.default_zone = zone.value;
    }
    let mut fail2ban = Fail2banSettings::default();
    let raw_fail2ban = raw.fail2ban.unwrap_or_default();
    if let Some(v) = raw_fail2ban.version {
        fail2ban.version = Fail2banVersion::parse(&v.value).ok_or_else(|| {
            at(
                &v,
                format!(
                    "fail2ban.version: expected a release such as \"1.0\" or \"1.1\", found `{}`",
                    v.value
                ),
            )
        })?;
        let written = v.value.trim();
        fail2ban.release = (written != fail2ban.version.as_str()).then(|| written.to_string());
    }
    for net in raw_fail2ban.trusted_networks.unwrap_or_default() {
        if crate::net::Network::parse(&net.value).is_none() {
            return Err(at(
                &net,
                format!(
                    "fail2ban.trusted-networks: `{}` is not an address or network (such as 198.51.100.0/24 or 2001:db8::/32)",
                    net.value
                ),
            ));
        }
        fail2ban.trusted_networks.push(net.value);
    }
    fail2ban.trusted_networks_var = raw_fail2ban.trusted_networks_var.map(|v| v.value);
    let mut severity = Vec::new();
    for (rule, level) in raw.severity.unwrap_or_default() {
        let selector = Selector::parse(&rule).map_err(|m| at(&level, format!("severity: {m}")))?;
        let level_value = Severity::parse(&level.value).ok_or_else(|| {
            at(
                &level,
                format!(
                    "severity: expected error, warning, info or style for {rule}, found `{}`",
                    level.value
                ),
            )
        })?;
        severity.push((selector, level_value));
    }
    let mut per_file_ignores = Vec::new();
    for (pattern, rules) in raw.per_file_ignores.unwrap_or_default() {
        if let Err(e) = glob::Pattern::new(&pattern) {
            return Err(ConfigError {
                path: Some(path.to_path_buf()),
                position: None,
                message: format!("per-file-ignores: `{pattern}` is not a glob pattern: {e}"),
            });
        }
        let selectors = rules
            .iter()
            .map(|s| Selector::parse(&s.value).map_err(|m| at(s, format!("per-file-ignores: {m}"))))
            .collect::<Result<Vec<_>, _>>()?;
        per_file_ignores.push((pattern, selectors));
    }
    Ok(FileConfig {
        facts,
        dest_kinds,
        firewalld,
        fail2ban,
        severity,
        per_file_ignores,
        inventory: raw.inventory.map(OneOrMany::into_vec).unwrap_or_default(),
        playbooks: raw.playbooks.map(OneOrMany::into_vec).unwrap_or_default(),
        dovecot_version,
        min_vsz_limit,
        select,
        ignore,
        fail_level,
    })
}

/// Parses a minimum vsz limit (Dovecot's size syntax, no `unlimited`), at least 1 MiB.
pub fn parse_min_vsz_limit(text: &str) -> Result<u64, String> {
    match parse_size(text, false) {
        Ok(Size::Bytes(bytes)) if bytes >= MIN_MIN_VSZ_LIMIT => Ok(bytes),
        Ok(_) => Err(format!("`{text}` is below the smallest allowed value, 1M")),
        Err(e) => Err(format!("{e} (expected a size such as 1G or 512M)")),
    }
}

/// Turns a YAML error into `path:line:col: message`, keeping serde-saphyr's location.
fn yaml_error(error: &serde_saphyr::Error, text: &str, path: &Path) -> ConfigError {
    let error = error.without_snippet();
    let position = error
        .location()
        .map(|l| (l.line() as usize, l.column() as usize));
    let mut message = error.to_string();
    // serde-saphyr appends " at line L, column C"; the position goes in front instead.
    if position.is_some() {
        if let Some(at) = message.rfind(" at line ") {
            message.truncate(at);
        }
    }
    if let Some(key) = unknown_key_name(&message) {
        // serde-saphyr 0.0.16 places `unknown_field` errors at the key *before* the unknown one
        // (its fallback location is updated only after the key has been deserialized), so find
        // the key itself.
        let position = locate_unknown_key(text, &key).or(position);
        let mut message = message.replacen("unknown field", "unknown key", 1);
        // The message lists the expected keys after "expected" (or "expected one of"), comma
        // separated, with or without backticks.
        let expected: Vec<&str> = message
            .split_once("expected")
            .map(|(_, rest)| {
                let rest = rest.trim_start().strip_prefix("one of").unwrap_or(rest);
                rest.split(',')
                    .map(|k| k.trim().trim_matches('`'))
                    .filter(|k| !k.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        if let Some(close) = crate::suggest::did_you_mean(&key, expected) {
            message = format!("{message} (did you mean `{close}`?)");
        }
        return ConfigError {
            path: Some(path.to_path_buf()),
            position,
            message,
        };
    }
    ConfigError {
        path: Some(path.to_path_buf()),
        position,
        message,
    }
}

/// The key named by serde's "unknown field `x`, expected …" message.
fn unknown_key_name(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    Some(rest[..rest.find('`')?].to_string())
}

/// Keys allowed in the mapping at `path` (the chain of keys from the root), if mxlint reads it.
fn allowed_keys(path: &[&str]) -> Option<&'static [&'static str]> {
    match path {
        [] => Some(&[
            "dovecot",
            "select",
            "ignore",
            "fail-level",
            "fail-on",
            "facts",
            "dest-kinds",
            "firewalld",
            "fail2ban",
            "severity",
            "per-file-ignores",
            "inventory",
            "playbooks",
        ]),
        ["dovecot"] => Some(&["version", "min-vsz-limit"]),
        ["firewalld"] => Some(&["version", "default-zone"]),
        ["fail2ban"] => Some(&["version", "trusted-networks", "trusted-networks-var"]),
        _ => None,
    }
}

/// 1-based line and column of the first key named `key` where mxlint does not allow it.
fn locate_unknown_key(text: &str, key: &str) -> Option<(usize, usize)> {
    let docs = MarkedYaml::load_from_str(text).ok()?;
    find_unknown_key(docs.first()?, key, &mut Vec::new())
}

fn find_unknown_key<'t>(
    node: &'t MarkedYaml<'t>,
    key: &str,
    path: &mut Vec<&'t str>,
) -> Option<(usize, usize)> {
    let YamlData::Mapping(mapping) = &node.data else {
        return None;
    };
    let allowed = allowed_keys(path)?;
    for (k, value) in mapping.iter() {
        let Some(name) = k.data.as_str() else {
            continue;
        };
        if name == key && !allowed.contains(&name) {
            // saphyr markers: 1-based lines, 0-based columns in characters.
            return Some((k.span.start.line(), k.span.start.col() + 1));
        }
        path.push(name);
        let found = find_unknown_key(value, key, path);
        path.pop();
        if found.is_some() {
            return found;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn parse_str(text: &str) -> Result<FileConfig, ConfigError> {
        parse(text, Path::new(".mxlint.yml"))
    }

    fn sel(text: &str) -> Selector {
        Selector::parse(text).unwrap()
    }

    #[test]
    fn empty_file_sets_nothing() {
        assert_eq!(parse_str("").unwrap(), FileConfig::default());
        assert_eq!(parse_str("# nothing\n").unwrap(), FileConfig::default());
    }

    #[test]
    fn reads_every_key() {
        let text = "dovecot:\n  version: \"2.4\"\n  min-vsz-limit: 2G\nselect: [MX3]\nignore:\n  - default-vsz-limit-unset\nfail-level: warning\nfacts:\n  ansible_memtotal_mb: 8192\nfirewalld:\n  version: \"1.3.3\"\n  default-zone: FedoraServer\nfail2ban:\n  version: \"1.0\"\n  trusted-networks: [198.51.100.0/24, \"2001:db8::/48\"]\n  trusted-networks-var: admin_networks\nseverity:\n  MX505: warning\n  MX4: info\nper-file-ignores:\n  \"roles/legacy/**\": [MX301, default-vsz-limit-too-small]\ninventory: inventories/prod/hosts.yml\nplaybooks: [site.yml, mail.yml]\n";
        let config = parse_str(text).unwrap();
        assert_eq!(
            config,
            FileConfig {
                dovecot_version: Some(DovecotVersion::V2_4),
                min_vsz_limit: Some(2 << 30),
                select: Some(vec![sel("MX3")]),
                ignore: Some(vec![sel("default-vsz-limit-unset")]),
                fail_level: Some(Severity::Warning),
                facts: Some(r#"{"ansible_memtotal_mb":8192}"#.to_string()),
                dest_kinds: Vec::new(),
                firewalld: FirewalldSettings {
                    version: FirewalldVersion::V1_3,
                    release: Some("1.3.3".into()),
                    default_zone: "FedoraServer".into(),
                },
                fail2ban: Fail2banSettings {
                    version: Fail2banVersion::V1_0,
                    release: None,
                    trusted_networks: vec!["198.51.100.0/24".into(), "2001:db8::/48".into()],
                    trusted_networks_var: Some("admin_networks".into()),
                },
                // In key order (a mapping has none of its own to keep).
                severity: vec![
                    (sel("MX4"), Severity::Info),
                    (sel("MX505"), Severity::Warning)
                ],
                per_file_ignores: vec![(
                    "roles/legacy/**".into(),
                    vec![sel("MX301"), sel("default-vsz-limit-too-small")]
                )],
                inventory: vec!["inventories/prod/hosts.yml".into()],
                playbooks: vec!["site.yml".into(), "mail.yml".into()],
            }
        );
    }

    #[test]
    fn printed_settings_read_back_as_the_same_settings() {
        let text = "dovecot:\n  version: \"2.4\"\n  min-vsz-limit: 2G\nfirewalld:\n  version: \"1.3.3\"\n  default-zone: FedoraServer\nfail2ban:\n  version: 1.0.2\n  trusted-networks: [198.51.100.0/24]\n  trusted-networks-var: admin_networks\nselect: [MX3, MX4]\nignore: [MX304]\nfail-on: warning\nseverity:\n  MX505: warning\nper-file-ignores:\n  \"roles/legacy/**\": [MX301]\ninventory: hosts.yml\nplaybooks: [site.yml]\nfacts:\n  ansible_memtotal_mb: 8192\ndest-kinds:\n  /opt/dovecot.conf: dovecot\n";
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".mxlint.yml");
        let config = layer(
            parse_str(text).unwrap(),
            &Overrides::default(),
            Some(path.clone()),
        );
        let printed = to_yaml(&config);
        // Releases as written, with the class that checks them.
        for line in [
            "  version: \"1.3.3\"  # checked as firewalld 1.x to 2.0",
            "  version: \"1.0.2\"  # checked as fail2ban 1.0.x",
        ] {
            assert!(printed.lines().any(|l| l == line), "{printed}");
        }
        // Paths are printed resolved against the config file's directory, as the run uses them.
        let again = layer(
            parse(&printed, &path).unwrap(),
            &Overrides::default(),
            Some(path),
        );
        assert_eq!(again.settings.selection, config.settings.selection);
        assert_eq!(again.settings.severity, config.settings.severity);
        assert_eq!(
            again.settings.per_file_ignores,
            config.settings.per_file_ignores
        );
        assert_eq!(again.settings.firewalld, config.settings.firewalld);
        assert_eq!(again.settings.fail2ban, config.settings.fail2ban);
        assert_eq!(again.settings.min_vsz_limit, config.settings.min_vsz_limit);
        assert_eq!(
            again.settings.dovecot_version,
            config.settings.dovecot_version
        );
        assert_eq!(again.settings.facts, config.settings.facts);
        assert_eq!(again.settings.dest_kinds, config.settings.dest_kinds);
        assert_eq!(again.settings.inventory, config.settings.inventory);
        assert_eq!(again.fail_level, config.fail_level);
    }

    #[test]
    fn unknown_keys_get_a_did_you_mean() {
        let e = parse_str("severty:\n  MX301: info\n").unwrap_err();
        assert!(e.message.contains("did you mean `severity`?"), "{e}");
        assert_eq!(e.position, Some((1, 1)), "{e}");
        let e = parse_str("firewalld:\n  default_zone: public\n").unwrap_err();
        assert!(e.message.contains("did you mean `default-zone`?"), "{e}");
        assert_eq!(e.position, Some((2, 3)), "{e}");
    }

    #[test]
    fn fail_on_is_fail_level_and_bad_severity_entries_are_errors() {
        let config = parse_str("fail-on: warning\n").unwrap();
        assert_eq!(config.fail_level, Some(Severity::Warning));
        let e = parse_str("fail-on: warning\nfail-level: error\n").unwrap_err();
        assert!(e.message.contains("same setting"), "{e}");
        let e = parse_str("severity:\n  MX999: warning\n").unwrap_err();
        assert!(e.message.contains("MX999"), "{e}");
        let e = parse_str("severity:\n  MX301: loud\n").unwrap_err();
        assert_eq!(e.position, Some((2, 10)), "{e}");
        let e = parse_str("per-file-ignores:\n  \"a/**\": [MX30x]\n").unwrap_err();
        assert!(e.message.contains("MX30x"), "{e}");
        let e = parse_str("per-file-ignores:\n  \"a/[\": [MX301]\n").unwrap_err();
        assert!(e.message.contains("not a glob"), "{e}");
    }

    #[test]
    fn severity_overrides_take_the_most_specific_selector_and_ignores_match_globs() {
        use crate::diagnostic::Diagnostic;
        use crate::source::{SourceDb, Span};
        let dir = tempfile::tempdir().unwrap();
        let legacy = dir.path().join("roles/legacy/templates");
        std::fs::create_dir_all(&legacy).unwrap();
        let mut db = SourceDb::new();
        let old = db.add(legacy.join("dovecot.conf.j2"), "x\n".into());
        let new = db.add(dir.path().join("templates/dovecot.conf.j2"), "x\n".into());
        let text = "severity:\n  MX3: info\n  MX302: warning\nper-file-ignores:\n  \"roles/legacy/**\": [MX301]\n";
        let file = parse_str(text).unwrap();
        let config = layer(
            file,
            &Overrides::default(),
            Some(dir.path().join(".mxlint.yml")),
        );
        let rule = |code| crate::rules::find(code).unwrap();
        let mut found = vec![
            Diagnostic::new(rule("MX301"), Span::new(old, 0, 1), "a"),
            Diagnostic::new(rule("MX301"), Span::new(new, 0, 1), "b"),
            Diagnostic::new(rule("MX302"), Span::new(old, 0, 1), "c"),
            Diagnostic::new(rule("MX201"), Span::new(new, 0, 1), "d"),
        ];
        apply_to_findings(&config.settings, &db, &mut found);
        let got: Vec<(&str, Severity)> = found
            .iter()
            .map(|d| (d.message.as_str(), d.severity))
            .collect();
        assert_eq!(
            got,
            [
                ("b", Severity::Info),
                ("c", Severity::Warning),
                ("d", crate::rules::find("MX201").unwrap().severity)
            ]
        );
    }

    #[test]
    fn bad_firewalld_and_fail2ban_values_are_errors_at_their_place() {
        let e = parse_str("firewalld:\n  version: banana\n").unwrap_err();
        assert_eq!(e.position, Some((2, 12)), "{e}");
        assert!(e.message.contains("firewalld.version"), "{e}");
        let e = parse_str("fail2ban:\n  trusted-networks:\n    - 10.0.0.0/abc\n").unwrap_err();
        assert_eq!(e.position, Some((3, 7)), "{e}");
        assert!(e.message.contains("not an address or network"), "{e}");
        let e = parse_str("firewalld:\n  default-zone: \"my zone\"\n").unwrap_err();
        assert!(e.message.contains("not a zone name"), "{e}");
        let e = parse_str("fail2ban:\n  versoin: \"1.1\"\n").unwrap_err();
        assert!(e.message.contains("versoin"), "{e}");
    }

    #[test]
    fn unquoted_version_and_plain_byte_count_are_accepted() {
        let config = parse_str("dovecot:\n  version: 2.3\n  min-vsz-limit: 1048576\n").unwrap();
        assert_eq!(config.dovecot_version, Some(DovecotVersion::V2_3));
        assert_eq!(config.min_vsz_limit, Some(1 << 20));
    }

    #[test]
    fn unknown_top_level_key_names_line_and_column() {
        let err = parse_str("select: [MX3]\nfoo: 1\n").unwrap_err();
        assert_eq!(err.position, Some((2, 1)));
        assert!(err.message.contains("unknown key `foo`"), "{err}");
        assert!(err
            .to_string()
            .starts_with(".mxlint.yml:2:1: unknown key `foo`"));
    }

    #[test]
    fn unknown_nested_key_names_line_and_column() {
        let err = parse_str("dovecot:\n  version: \"2.4\"\n  min_vsz_limit: 1G\n").unwrap_err();
        assert_eq!(err.position, Some((3, 3)), "{err}");
        assert!(err.message.contains("min_vsz_limit"), "{err}");
        // In a flow mapping too, and for a key that is known elsewhere in the schema.
        let err = parse_str("dovecot: {version: \"2.4\", select: []}\n").unwrap_err();
        assert_eq!(err.position, Some((1, 27)), "{err}");
    }

    #[test]
    fn bad_version_points_at_the_value() {
        let err = parse_str("dovecot:\n  version: \"2.5\"\n").unwrap_err();
        assert_eq!(err.position, Some((2, 12)));
        assert!(err.message.contains("2.5"), "{err}");
        assert!(parse_str("dovecot:\n  version: 2.40\n").is_err());
    }

    #[test]
    fn min_vsz_limit_must_be_a_size_of_at_least_one_mebibyte() {
        assert_eq!(
            parse_str("dovecot:\n  min-vsz-limit: 1M\n")
                .unwrap()
                .min_vsz_limit,
            Some(1 << 20)
        );
        let err = parse_str("dovecot:\n  min-vsz-limit: 512k\n").unwrap_err();
        assert_eq!(err.position, Some((2, 18)));
        assert!(err.message.contains("1M"), "{err}");
        let err = parse_str("dovecot:\n  min-vsz-limit: lots\n").unwrap_err();
        assert!(err.message.contains("Invalid size: lots"), "{err}");
        assert!(parse_str("dovecot:\n  min-vsz-limit: unlimited\n").is_err());
    }

    #[test]
    fn unknown_selector_points_at_the_entry() {
        let err = parse_str("select:\n  - MX3\n  - no-such-rule\n").unwrap_err();
        assert_eq!(err.position, Some((3, 5)));
        assert!(
            err.message.starts_with("select: unknown rule selector"),
            "{err}"
        );
        let err = parse_str("ignore: [MX9]\n").unwrap_err();
        assert!(err.message.starts_with("ignore: "), "{err}");
    }

    #[test]
    fn bad_fail_level_is_an_error() {
        let err = parse_str("fail-level: fatal\n").unwrap_err();
        assert_eq!(err.position, Some((1, 13)));
        for level in ["error", "warning", "info", "style"] {
            let config = parse_str(&format!("fail-level: {level}\n")).unwrap();
            assert_eq!(config.fail_level, Severity::parse(level));
        }
    }

    #[test]
    fn wrong_shape_and_broken_yaml_have_positions() {
        let err = parse_str("select: MX3\n").unwrap_err();
        assert_eq!(err.position.map(|p| p.0), Some(1), "{err}");
        let err = parse_str("dovecot: [\n").unwrap_err();
        assert!(err.position.is_some(), "{err}");
        assert!(!err.message.contains(" at line "), "{err}");
    }

    #[test]
    fn layering_defaults_file_cli() {
        let none = layer(FileConfig::default(), &Overrides::default(), None);
        assert_eq!(none, Config::default());
        assert_eq!(none.fail_level, Severity::Style);

        let file = FileConfig {
            dovecot_version: Some(DovecotVersion::V2_3),
            min_vsz_limit: Some(2 << 30),
            select: Some(vec![sel("MX3")]),
            ignore: Some(vec![sel("MX301")]),
            fail_level: Some(Severity::Warning),
            facts: None,
            dest_kinds: Vec::new(),
            firewalld: FirewalldSettings::default(),
            fail2ban: Fail2banSettings::default(),
            severity: Vec::new(),
            per_file_ignores: Vec::new(),
            inventory: Vec::new(),
            playbooks: Vec::new(),
        };
        let from_file = layer(file.clone(), &Overrides::default(), None);
        assert_eq!(
            from_file.settings.dovecot_version,
            Some(DovecotVersion::V2_3)
        );
        assert_eq!(from_file.settings.min_vsz_limit, 2 << 30);
        assert_eq!(from_file.fail_level, Severity::Warning);

        let cli = Overrides {
            dovecot_version: Some(DovecotVersion::V2_4),
            min_vsz_limit: Some(4 << 30),
            select: None,
            ignore: vec![sel("MX302")],
            fail_level: Some(Severity::Error),
        };
        let both = layer(file.clone(), &cli, None);
        assert_eq!(both.settings.dovecot_version, Some(DovecotVersion::V2_4));
        assert_eq!(both.settings.min_vsz_limit, 4 << 30);
        assert_eq!(both.fail_level, Severity::Error);
        assert_eq!(both.settings.selection.select, vec![sel("MX3")]);
        assert_eq!(
            both.settings.selection.ignore,
            vec![sel("MX301"), sel("MX302")]
        );

        // A CLI --select starts afresh: the file's ignore no longer applies.
        let cli = Overrides {
            select: Some(vec![sel("MX301")]),
            ..Overrides::default()
        };
        let selected = layer(file, &cli, None);
        assert_eq!(selected.settings.selection.select, vec![sel("MX301")]);
        assert!(selected.settings.selection.ignore.is_empty());
    }

    #[test]
    fn discovery_walks_up_and_stops_at_the_first_file() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().canonicalize().unwrap();
        fs::create_dir_all(root.join("repo/roles/dovecot")).unwrap();
        fs::write(root.join("repo/.mxlint.yml"), "").unwrap();
        fs::write(root.join("repo/roles/dovecot/dovecot.conf"), "").unwrap();
        let found = discover(&root.join("repo/roles/dovecot/dovecot.conf")).unwrap();
        assert_eq!(found.canonicalize().unwrap(), root.join("repo/.mxlint.yml"));
        // A directory target starts in the directory itself.
        let found = discover(&root.join("repo")).unwrap();
        assert_eq!(found.canonicalize().unwrap(), root.join("repo/.mxlint.yml"));
        // The nearest file wins.
        fs::write(root.join("repo/roles/.mxlint.yml"), "").unwrap();
        let found = discover(&root.join("repo/roles/dovecot")).unwrap();
        assert_eq!(
            found.canonicalize().unwrap(),
            root.join("repo/roles/.mxlint.yml")
        );
    }

    #[test]
    fn discovery_stops_after_the_repository_root() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().canonicalize().unwrap();
        fs::create_dir_all(root.join("outer/repo/.git")).unwrap();
        fs::create_dir_all(root.join("outer/repo/sub")).unwrap();
        fs::write(root.join("outer/.mxlint.yml"), "").unwrap();
        assert_eq!(discover(&root.join("outer/repo/sub")), None);
        // A config in the repository root itself is still found.
        fs::write(root.join("outer/repo/.mxlint.yml"), "").unwrap();
        let found = discover(&root.join("outer/repo/sub")).unwrap();
        assert_eq!(
            found.canonicalize().unwrap(),
            root.join("outer/repo/.mxlint.yml")
        );
    }

    #[test]
    fn discovery_works_for_a_missing_file() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().canonicalize().unwrap();
        fs::create_dir_all(root.join(".git")).unwrap();
        fs::write(root.join(".mxlint.yml"), "").unwrap();
        let found = discover(&root.join("missing.conf")).unwrap();
        assert_eq!(found.canonicalize().unwrap(), root.join(".mxlint.yml"));
    }

    #[test]
    fn resolve_reads_the_given_file_or_none() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().canonicalize().unwrap();
        fs::create_dir_all(root.join(".git")).unwrap();
        fs::write(root.join(".mxlint.yml"), "fail-level: error\n").unwrap();
        let custom = root.join("custom.yml");
        fs::write(&custom, "fail-level: info\n").unwrap();
        let target = root.join("dovecot.conf");
        let targets = [target.as_path()];
        let overrides = Overrides::default();

        let found = resolve(&ConfigSource::Discover, &targets, &overrides).unwrap();
        assert_eq!(found.fail_level, Severity::Error);
        let given = resolve(&ConfigSource::File(custom.clone()), &targets, &overrides).unwrap();
        assert_eq!(given.fail_level, Severity::Info);
        assert_eq!(given.file, Some(custom));
        let isolated = resolve(&ConfigSource::Isolated, &targets, &overrides).unwrap();
        assert_eq!(isolated, Config::default());

        let missing = root.join("nope.yml");
        let err = resolve(&ConfigSource::File(missing), &targets, &overrides).unwrap_err();
        assert!(err.to_string().contains("cannot read config file"), "{err}");
    }

    #[test]
    fn targets_under_different_configs_are_an_error() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().canonicalize().unwrap();
        fs::create_dir_all(root.join(".git")).unwrap();
        fs::create_dir_all(root.join("a")).unwrap();
        fs::create_dir_all(root.join("b")).unwrap();
        fs::write(root.join("a/.mxlint.yml"), "").unwrap();
        let (a, b) = (root.join("a/x.conf"), root.join("b/y.conf"));
        let err = resolve(&ConfigSource::Discover, &[&a, &b], &Overrides::default()).unwrap_err();
        assert!(err.message.contains("different config files"), "{err}");
        let same = resolve(&ConfigSource::Discover, &[&a, &a], &Overrides::default());
        assert!(same.is_ok());
    }
}
