//! model::fail2ban::load: which files fail2ban reads and in which order, the merge, and the
//! per-jail resolution (`ConfigReaderUnshared.read()`, `SafeConfigParserWithIncludes.read()`,
//! `JailsReader.getOptions()`, `JailReader.getOptions()`).

use super::entry::{classify, split_entries};
use super::interpolate::{Merged, Src, Val};
use super::*;
use crate::diagnostic::FileError;
use crate::parse::fail2ban::{parse, IniFile};
use crate::source::{read_source, SourceDb};
use indexmap::IndexMap;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

const STOCK_JAIL_CONF: &str = include_str!("../../../data/fail2ban/jail.conf");
const STOCK_PATHS_COMMON: &str = include_str!("../../../data/fail2ban/paths-common.conf");
const STOCK_PATHS_FEDORA: &str = include_str!("../../../data/fail2ban/paths-fedora.conf");
const STOCK_FILTERS: &str = include_str!("../../../data/fail2ban/filters.txt");

/// Bounds on `[INCLUDES]`: nesting and the number of files in one read list.
const MAX_INCLUDE_DEPTH: usize = 32;
const MAX_READ_FILES: usize = 2000;

/// The options `JailReader` reads for an enabled jail (an interpolation error in any is fatal).
const JAIL_OPTIONS: &[&str] = &[
    "enabled",
    "backend",
    "maxretry",
    "maxmatches",
    "findtime",
    "bantime",
    "bantime.increment",
    "bantime.factor",
    "bantime.formula",
    "bantime.multipliers",
    "bantime.maxtime",
    "bantime.rndtime",
    "bantime.overalljails",
    "ignorecommand",
    "ignoreself",
    "ignoreip",
    "ignorecache",
    "filter",
    "logtimezone",
    "logencoding",
    "logpath",
    "action",
    "prefregex",
    "failregex",
    "ignoreregex",
    "maxlines",
    "datepattern",
    "journalmatch",
    "usedns",
];

/// Resolves a tree of files given by their paths relative to `/etc/fail2ban`. Files the tree
/// lacks among `jail.conf`, `paths-common.conf`, `paths-fedora.conf` come from the embedded
/// Fedora stock files, marked in [`Fail2banConfig::stock`].
pub fn load_tree(db: &mut SourceDb, files: &[TreeFile], settings: &Settings) -> Fail2banConfig {
    let stock = Stock::add(db);
    load_tree_in(db, &stock, files, settings)
}

/// [`load_tree`] once the stock files are in `db`: it only reads `db`, so trees can be resolved
/// side by side.
pub fn load_tree_in(
    db: &SourceDb,
    stock: &Stock,
    files: &[TreeFile],
    settings: &Settings,
) -> Fail2banConfig {
    load_with(db, stock, files, &[], "/etc/fail2ban", settings)
}

/// The embedded Fedora stock files in a `SourceDb`, and their parses: added once, shared by
/// every tree loaded from it.
#[derive(Clone, Debug)]
pub struct Stock {
    files: [(&'static str, FileId, Arc<IniFile>); 3],
}

impl Stock {
    /// Adds the stock files to `db`, or finds them there.
    pub fn add(db: &mut SourceDb) -> Stock {
        let mut file = |rel: &'static str, text: &'static str| {
            let id = db.builtin(&format!("<mxlint stock fail2ban>/{rel}"), text);
            (rel, id, Arc::new(stock_parse(rel).with_file(id)))
        };
        Stock {
            files: [
                file("jail.conf", STOCK_JAIL_CONF),
                file("paths-common.conf", STOCK_PATHS_COMMON),
                file("paths-fedora.conf", STOCK_PATHS_FEDORA),
            ],
        }
    }
}

/// Resolves a real configuration directory (such as `/etc/fail2ban`).
pub fn load_dir(
    db: &mut SourceDb,
    dir: &Path,
    settings: &Settings,
) -> Result<Fail2banConfig, FileError> {
    let mut files = Vec::new();
    let mut filters = Vec::new();
    let list = |sub: &str| -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir.join(sub))
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.path().is_file())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".conf") || n.ends_with(".local"))
            .collect();
        names.sort();
        names
    };
    if !dir.is_dir() {
        return Err(FileError {
            path: dir.to_path_buf(),
            position: None,
            message: "not a directory".into(),
        });
    }
    for (sub, prefix) in [
        (".", ""),
        ("jail.d", "jail.d/"),
        ("fail2ban.d", "fail2ban.d/"),
    ] {
        for name in list(sub) {
            let file = read_source(db, &dir.join(sub).join(&name))?;
            files.push(TreeFile {
                rel: format!("{prefix}{name}"),
                file,
            });
        }
    }
    for name in list("filter.d") {
        filters.push(
            name.rsplit_once('.')
                .map_or(name.clone(), |(n, _)| n.into()),
        );
    }
    let confpath = dir.to_string_lossy().trim_end_matches('/').to_string();
    let stock = Stock::add(db);
    Ok(load_with(db, &stock, &files, &filters, &confpath, settings))
}

/// Resolves one plain file read as its name inside an otherwise stock directory: `jail.local`,
/// `fail2ban.local`, `jail.d/NAME` (a file in a `jail.d` directory, or any other name).
pub fn load_file(
    db: &mut SourceDb,
    path: &Path,
    settings: &Settings,
) -> Result<Fail2banConfig, FileError> {
    let file = read_source(db, path)?;
    let name = path
        .file_name()
        .map_or("jail.local".into(), |n| n.to_string_lossy().into_owned());
    let in_jail_d = path
        .parent()
        .and_then(|p| p.file_name())
        .is_some_and(|d| d == "jail.d");
    let top_level = ["jail.conf", "jail.local", "fail2ban.conf", "fail2ban.local"];
    let rel = if !in_jail_d && top_level.contains(&name.as_str()) {
        name
    } else if name.ends_with(".conf") || name.ends_with(".local") {
        format!("jail.d/{name}")
    } else {
        format!("jail.d/{name}.local")
    };
    Ok(load_tree(db, &[TreeFile { rel, file }], settings))
}

struct Loader<'a> {
    db: &'a SourceDb,
    files: BTreeMap<String, FileId>,
    parsed: BTreeMap<FileId, Arc<IniFile>>,
    out: Fail2banConfig,
    settings: &'a Settings,
}

fn load_with(
    db: &SourceDb,
    stock: &Stock,
    files: &[TreeFile],
    extra_filters: &[String],
    confpath: &str,
    settings: &Settings,
) -> Fail2banConfig {
    let mut loader = Loader {
        db,
        files: files.iter().map(|f| (normalize(&f.rel), f.file)).collect(),
        parsed: BTreeMap::new(),
        out: Fail2banConfig {
            version: settings.fail2ban.version,
            jails: Vec::new(),
            problems: Vec::new(),
            stock: Vec::new(),
            loaded: Vec::new(),
            default_ignoreip: None,
        },
        settings,
    };
    loader.add_stock(stock);
    let order = loader.read_order();
    loader.out.loaded = order.clone();
    let mut merged = loader.merge(&order);
    let version = match settings.fail2ban.version {
        Fail2banVersion::V1_0 => "1.0.2",
        Fail2banVersion::V1_1 => "1.1.0",
        Fail2banVersion::V1_1_1 => "1.1.1",
    };
    for (key, value) in [
        ("fail2ban_version", version),
        ("fail2ban_confpath", confpath),
    ] {
        merged.defaults.insert(
            key.into(),
            Val {
                src: Src::plain(value),
                origin: None,
            },
        );
    }
    loader.ignored_files();
    loader.lowercase_default(&merged);
    let filters: BTreeSet<String> = STOCK_FILTERS
        .lines()
        .map(str::to_string)
        .chain(extra_filters.iter().cloned())
        .chain(loader.files.keys().filter_map(|rel| {
            let name = rel.strip_prefix("filter.d/")?;
            Some(name.rsplit_once('.').map_or(name, |(n, _)| n).to_string())
        }))
        .collect();
    loader.jails(&merged, &filters);
    loader.out.default_ignoreip = merged
        .defaults
        .get("ignoreip")
        .and_then(|v| v.origin.clone())
        .filter(|o| !loader.out.stock.contains(&o.file));
    loader.out
}

/// The parse of a stock file, made once (spans in a placeholder file; see `IniFile::with_file`).
fn stock_parse(rel: &str) -> &'static IniFile {
    use std::sync::OnceLock;
    static JAIL: OnceLock<IniFile> = OnceLock::new();
    static COMMON: OnceLock<IniFile> = OnceLock::new();
    static FEDORA: OnceLock<IniFile> = OnceLock::new();
    let (cell, text) = match rel {
        "jail.conf" => (&JAIL, STOCK_JAIL_CONF),
        "paths-common.conf" => (&COMMON, STOCK_PATHS_COMMON),
        _ => (&FEDORA, STOCK_PATHS_FEDORA),
    };
    cell.get_or_init(|| parse(FileId(0), text))
}

/// Collapses `.` and `..` in a relative path.
fn normalize(rel: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in rel.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

impl Loader<'_> {
    /// The stock files the tree lacks.
    fn add_stock(&mut self, stock: &Stock) {
        for (rel, id, ini) in &stock.files {
            if !self.files.contains_key(*rel) {
                self.files.insert(rel.to_string(), *id);
                self.out.stock.push(*id);
                self.parsed.insert(*id, ini.clone());
            }
        }
    }

    fn parsed(&mut self, rel: &str) -> Option<&Arc<IniFile>> {
        let id = *self.files.get(rel)?;
        if !self.parsed.contains_key(&id) {
            let ini = parse(id, self.db.file(id).text());
            self.parsed.insert(id, Arc::new(ini));
        }
        self.parsed.get(&id)
    }

    /// `ConfigReaderUnshared.read("jail")` then `_getIncludes()`.
    fn read_order(&mut self) -> Vec<String> {
        let mut top = vec!["jail.conf".to_string()];
        let in_dir = |files: &BTreeMap<String, FileId>, ext: &str| -> Vec<String> {
            files
                .keys()
                .filter(|r| {
                    r.strip_prefix("jail.d/").is_some_and(|n| {
                        !n.contains('/') && !n.starts_with('.') && n.ends_with(ext)
                    })
                })
                .cloned()
                .collect()
        };
        top.extend(in_dir(&self.files, ".conf"));
        top.push("jail.local".into());
        top.extend(in_dir(&self.files, ".local"));
        top.retain(|r| self.files.contains_key(r));
        let mut out = Vec::new();
        self.includes(&top, &[], &mut out);
        out
    }

    /// `_getIncludes(filenames, seen)`: each file with its `.local`, expanded recursively.
    fn includes(&mut self, names: &[String], seen: &[String], out: &mut Vec<String>) {
        let mut expanded = Vec::new();
        for name in names {
            expanded.push(name.clone());
            if let Some(stem) = name.strip_suffix(".conf") {
                let local = format!("{stem}.local");
                if !names.contains(&local) && self.files.contains_key(&local) {
                    expanded.push(local);
                }
            }
        }
        for name in expanded {
            if out.len() >= MAX_READ_FILES || seen.len() >= MAX_INCLUDE_DEPTH {
                return;
            }
            self.one_with_includes(&name, seen, out);
        }
    }

    /// `__getIncludesUncached()`: before-files, the file, after-files.
    fn one_with_includes(&mut self, name: &str, seen: &[String], out: &mut Vec<String>) {
        let Some(ini) = self.parsed(name) else {
            return;
        };
        let lists: Vec<Vec<String>> = ["before", "after"]
            .iter()
            .map(|key| {
                ini.section("INCLUDES")
                    .and_then(|s| s.get(key))
                    .map(|o| o.value().split('\n').map(str::to_string).collect())
                    .unwrap_or_default()
            })
            .collect();
        let dir = name.rsplit_once('/').map_or("", |(d, _)| d).to_string();
        let mut chain = seen.to_vec();
        chain.push(name.to_string());
        let resolve = |r: &str| -> String {
            let r = match r.strip_prefix("/etc/fail2ban/") {
                Some(rel) => rel.to_string(),
                None if dir.is_empty() => r.to_string(),
                None => format!("{dir}/{r}"),
            };
            normalize(&r)
        };
        for (i, list) in lists.iter().enumerate() {
            if i == 1 {
                out.push(name.to_string());
            }
            for r in list {
                let r = resolve(r);
                if seen.contains(&r) || r.is_empty() {
                    continue;
                }
                self.includes(&[r], &chain, out);
            }
        }
    }

    /// `SafeConfigParserWithIncludes.read()` over the read list.
    fn merge(&mut self, order: &[String]) -> Merged {
        let mut merged = Merged::default();
        for rel in order {
            let Some(id) = self.files.get(rel).copied() else {
                continue;
            };
            let Some(ini) = self.parsed(rel).cloned() else {
                continue;
            };
            if let Some(e) = &ini.error {
                self.problem(ProblemKind::Syntax, e.span, e.message.clone(), true);
            }
            for section in &ini.sections {
                let vals: IndexMap<String, Val> = section
                    .options
                    .iter()
                    .map(|o| {
                        let val = Val {
                            src: Src::from_pieces(o.trimmed_pieces()),
                            origin: Some(Origin {
                                span: o.span,
                                section: section.name.clone(),
                                file: id,
                            }),
                        };
                        (o.key.clone(), val)
                    })
                    .collect();
                if section.name == "DEFAULT" {
                    merged.defaults.extend(vals);
                    continue;
                }
                match merged.sections.get_mut(&section.name) {
                    Some(existing) => {
                        let known: IndexMap<String, Val> = vals
                            .keys()
                            .filter_map(|k| existing.get(k).map(|v| (k.clone(), v.clone())))
                            .collect();
                        existing.extend(vals);
                        merged
                            .sections
                            .entry(format!("KNOWN/{}", section.name))
                            .or_default()
                            .extend(known);
                    }
                    None => {
                        merged.sections.insert(section.name.clone(), vals);
                    }
                }
            }
        }
        merged
    }

    fn problem(&mut self, kind: ProblemKind, span: Span, message: String, fatal: bool) {
        let p = Problem {
            kind,
            span,
            message,
            fatal,
        };
        if !self.out.problems.contains(&p) {
            self.out.problems.push(p);
        }
    }

    /// `ignoreip` in fail2ban.conf, fail2ban.local or fail2ban.d/*: never read for jails.
    fn ignored_files(&mut self) {
        let names: Vec<String> = self
            .files
            .keys()
            .filter(|r| {
                r.as_str() == "fail2ban.conf"
                    || r.as_str() == "fail2ban.local"
                    || r.strip_prefix("fail2ban.d/")
                        .is_some_and(|n| n.ends_with(".conf") || n.ends_with(".local"))
            })
            .cloned()
            .collect();
        for rel in names {
            let Some(ini) = self.parsed(&rel).cloned() else {
                continue;
            };
            if let Some(e) = &ini.error {
                self.problem(ProblemKind::Syntax, e.span, e.message.clone(), true);
            }
            for s in &ini.sections {
                if let Some(o) = s.get("ignoreip") {
                    let msg = format!("`ignoreip` in {rel} is ignored: fail2ban reads whitelists only from jail.conf, jail.local and jail.d/");
                    self.problem(ProblemKind::IgnoredFile, o.span, msg, false);
                }
            }
        }
    }

    /// `[default]`, `[Default]`…: an ordinary section, so its settings apply to no jail.
    fn lowercase_default(&mut self, merged: &Merged) {
        let user: Vec<(String, Span)> = self
            .parsed
            .iter()
            .filter(|(id, _)| !self.out.stock.contains(id))
            .flat_map(|(_, ini)| ini.sections.iter())
            .filter(|s| s.name != "DEFAULT" && s.name.eq_ignore_ascii_case("default"))
            .filter(|s| !s.options.is_empty() && merged.sections.contains_key(&s.name))
            .map(|s| (s.name.clone(), s.header_span))
            .collect();
        for (name, span) in user {
            let msg = format!("section [{name}] is not [DEFAULT]: section names are case-sensitive, so its settings apply to no jail");
            self.problem(ProblemKind::LowercaseDefault, span, msg, false);
        }
    }

    fn jails(&mut self, merged: &Merged, filters: &BTreeSet<String>) {
        let names: Vec<String> = merged
            .sections
            .keys()
            .filter(|n| n.as_str() != "INCLUDES" && !n.starts_with("KNOWN/"))
            .cloned()
            .collect();
        for name in names {
            let jail = self.jail(merged, &name, filters);
            self.out.jails.push(jail);
        }
    }

    /// True when a file of the user's (not a stock one) has a section `name`.
    fn user_section(&self, name: &str) -> bool {
        self.parsed
            .iter()
            .any(|(id, ini)| !self.out.stock.contains(id) && ini.section(name).is_some())
    }

    /// The header a finding about this jail points at: in the last user file naming the
    /// section, else in the stock file.
    fn header(&self, name: &str) -> Span {
        let mut best = None;
        for rel in &self.out.loaded {
            let Some(id) = self.files.get(rel) else {
                continue;
            };
            if let Some(s) = self.parsed.get(id).and_then(|i| i.section(name)) {
                let stock = self.out.stock.contains(id);
                if best.is_none_or(|(_, was_stock)| was_stock || !stock) {
                    best = Some((s.header_span, stock));
                }
            }
        }
        best.map_or(Span::new(FileId(0), 0, 0), |(s, _)| s)
    }

    /// Reads one option for a jail; an interpolation error becomes a fatal problem when
    /// `report` (fail2ban evaluates it).
    fn opt(
        &mut self,
        merged: &Merged,
        jail: &str,
        option: &str,
        report: bool,
    ) -> Option<(Src, Val)> {
        match merged.get(jail, option) {
            Ok(v) => v,
            Err(message) => {
                if report {
                    let span = merged
                        .raw(jail, option)
                        .and_then(|v| v.origin.as_ref())
                        .map_or(self.header(jail), |o| o.span);
                    self.problem(ProblemKind::Interpolation, span, message, true);
                }
                None
            }
        }
    }

    fn jail(&mut self, merged: &Merged, name: &str, filters: &BTreeSet<String>) -> Jail {
        let enabled_v = self.opt(merged, name, "enabled", true);
        let _ = self.opt(merged, name, "backend", true);
        let filter = self
            .opt(merged, name, "filter", true)
            .map_or(String::new(), |(s, _)| s.text);
        let enabled = enabled_v.as_ref().is_some_and(|(s, _)| as_bool(&s.text));
        let enabled_by = enabled_v
            .as_ref()
            .and_then(|(s, v)| Some((s.text.clone(), v.origin.clone()?)));
        if let Some((value, origin)) = &enabled_by {
            if !enabled && looks_like_true(value) && !self.out.stock.contains(&origin.file) {
                let kind = ProblemKind::EnabledReadAsFalse {
                    jail: name.to_string(),
                    value: value.clone(),
                };
                let msg = format!("`enabled = {value}` is read as false: fail2ban accepts only true, yes, on and 1 (any case), so jail {name} stays disabled");
                self.problem(kind, origin.span, msg, false);
            }
        }
        let mut skipped = None;
        if enabled {
            for option in JAIL_OPTIONS {
                let _ = self.opt(merged, name, option, true);
            }
            let filter_name = filter.split('[').next().unwrap_or("").trim();
            if !filter_name.is_empty() && !filters.contains(filter_name) {
                skipped = Some(format!(
                    "Unable to read the filter {}",
                    crate::parse::fail2ban::py_repr(filter_name)
                ));
            }
        }
        if !enabled && !self.user_section(name) {
            // fail2ban stops at `enabled`, `backend` and `filter` for a disabled jail; mxlint
            // resolves the rest only for jails a user file names (the ~90 untouched stock jails
            // would cost every host of a fleet).
            return Jail {
                name: name.to_string(),
                header: self.header(name),
                enabled,
                enabled_by,
                skipped,
                mail: is_mail_jail(name, &filter, ""),
                filter,
                port: String::new(),
                ignoreip: None,
                ignoreself: None,
                ignorecommand: None,
                ignorecache: None,
            };
        }
        let port = self
            .opt(merged, name, "port", false)
            .map_or(String::new(), |(s, _)| s.text);
        let setting = |this: &mut Self, option: &str| {
            this.opt(merged, name, option, false)
                .and_then(|(s, v)| Some((s.text, v.origin?)))
        };
        let ignoreself = setting(self, "ignoreself").map(|(v, o)| (as_bool(&v), o));
        let ignorecommand = setting(self, "ignorecommand");
        let ignorecache = setting(self, "ignorecache");
        let ignoreip = self.ignoreip(merged, name);
        Jail {
            name: name.to_string(),
            header: self.header(name),
            enabled,
            enabled_by,
            skipped,
            mail: is_mail_jail(name, &filter, &port),
            filter,
            port,
            ignoreip,
            ignoreself,
            ignorecommand,
            ignorecache,
        }
    }

    fn ignoreip(&mut self, merged: &Merged, jail: &str) -> Option<IgnoreIp> {
        let (src, raw) = self.opt(merged, jail, "ignoreip", false)?;
        let origin = raw.origin.clone()?;
        let from_default = merged
            .sections
            .get(jail)
            .is_none_or(|s| !s.contains_key("ignoreip"));
        let entries = self.entries(&src, &origin);
        let replaced_default = match (from_default, merged.defaults.get("ignoreip")) {
            (false, Some(default)) => {
                let default_entries = merged
                    .interpolate(jail, "ignoreip", default)
                    .map(|s| self.entries(&s, &origin))
                    .unwrap_or_default();
                let lost: Vec<String> = default_entries
                    .iter()
                    .filter(|d| !entries.iter().any(|e| e.text == d.text || covered(e, d)))
                    .map(|d| d.text.clone())
                    .collect();
                let default_origin = default.origin.clone();
                (!lost.is_empty() || entries.is_empty())
                    .then_some(())
                    .and(default_origin)
                    .map(|default_origin| Replaced {
                        default_origin,
                        lost,
                    })
            }
            _ => None,
        };
        Some(IgnoreIp {
            origin,
            from_default,
            value: src.text.clone(),
            entries,
            replaced_default,
        })
    }

    fn entries(&self, src: &Src, origin: &Origin) -> Vec<Entry> {
        let version = self.settings.fail2ban.version;
        let mut out: Vec<Entry> = Vec::new();
        let mut hash_at: Option<usize> = None;
        for (s, e) in split_entries(&src.text, version) {
            let text = &src.text[s..e];
            if let Some(h) = hash_at {
                if src.text[h..s].contains('\n') {
                    hash_at = None;
                }
            }
            if hash_at.is_none() && text.starts_with('#') {
                hash_at = Some(s);
            }
            out.push(Entry {
                text: text.to_string(),
                span: src.span(s, e).unwrap_or(origin.span),
                class: classify(text, version),
                after_hash: hash_at.is_some(),
            });
        }
        out
    }
}

fn covered(by: &Entry, entry: &Entry) -> bool {
    match &entry.class {
        EntryClass::Single(n) | EntryClass::MatchesAll(n) => by.covers(n),
        EntryClass::Network { network, .. } => by.covers(network),
        _ => false,
    }
}

/// `helpers._as_bool()`.
pub(crate) fn as_bool(value: &str) -> bool {
    matches!(value.to_lowercase().as_str(), "1" | "on" | "true" | "yes")
}

/// An `enabled` value that is neither true nor an ordinary way to say false.
fn looks_like_true(value: &str) -> bool {
    let v = value.trim().to_lowercase();
    !matches!(
        v.as_str(),
        "" | "0" | "off" | "false" | "no" | "none" | "disabled" | "disable" | "n"
    ) && !v.starts_with('%')
}
