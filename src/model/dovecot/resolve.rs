//! model::dovecot::resolve: from recorded assignments to effective values — protocols, the
//! global and per-service vsz limits (docs/dovecot.md §3.2 for 2.3, §3.3 for 2.4), version
//! checks, and vsz values Dovecot refuses.

use super::apply::{clip, Applied, Assignment, Scope, OBSOLETE_23};
use super::schema::schema;
use super::*;
use crate::model::size::{parse_size, SizeError};
use crate::parse::dovecot::{LineKind, ValueKind};
use std::collections::{HashMap, HashSet};

/// The compiled `default_vsz_limit` (master-settings.c, both versions).
pub const COMPILED_DEFAULT_VSZ: u64 = 256 << 20;
/// Dovecot refuses a service limit below this (master_settings_verify / _ext_check).
pub const MIN_SERVICE_VSZ: u64 = 1 << 20;
/// Services whose processes open mailboxes and their indexes.
pub const MAILBOX_SERVICES: &[&str] = &[
    "imap",
    "pop3",
    "lmtp",
    "indexer-worker",
    "imap-hibernate",
    "doveadm",
    "submission",
];

/// Whether the model needs assignments of `key` (everything else is checked, then dropped).
pub(super) fn is_modelled(key: &str) -> bool {
    matches!(
        key,
        "default_vsz_limit"
            | "service_vsz_limit"
            | "vsz_limit"
            | "protocols"
            | "protocol"
            | "service_protocol"
            | "dovecot_config_version"
            | "dovecot_storage_version"
            | "listen"
    ) || key.starts_with('@')
        || key.starts_with("protocols/")
        || key.starts_with("service/")
        || OBSOLETE_23.contains(&key)
}

/// One vsz value with where it was written.
#[derive(Clone, Copy, Debug)]
struct Limit {
    limit: VszLimit,
    line: Span,
    value: Span,
}

struct Resolver<'a> {
    version: DovecotVersion,
    db: &'a SourceDb,
    problems: Vec<Problem>,
}

pub(super) fn resolve(
    db: &SourceDb,
    document: Document,
    applied: Applied,
    version_origin: VersionOrigin,
) -> DovecotConfig {
    let version = document.version;
    let mut r = Resolver {
        version,
        db,
        problems: applied.problems.clone(),
    };
    r.reclassify_version_problems();
    r.version_rules(&document, &applied);
    let protocols = r.protocols(&applied.assignments);
    let (globals, services, no_effect) = r.limits(&applied, &protocols);
    let insert_point = insert_point(db, &document, &applied);
    let listeners = super::listeners::resolve(version, &applied, &protocols);
    let protocol_lines = super::listeners::protocol_lines(version, &applied, &protocols);
    let protocols_span = super::listeners::protocols_span(&applied);
    let root = document.root();
    DovecotConfig {
        version,
        version_origin,
        document,
        problems: r.problems,
        protocols,
        services,
        listeners,
        protocols_span,
        protocol_lines,
        default_vsz_limit: globals.map(|g| GlobalLimit {
            limit: g.limit,
            value: g.value,
            line: g.line,
        }),
        no_effect,
        insert_point,
        newline: if db.file(root).text().contains("\r\n") {
            "\r\n"
        } else {
            "\n"
        },
    }
}

impl Resolver<'_> {
    fn problem(&mut self, span: Span, kind: ProblemKind, message: impl Into<String>) {
        self.problems.push(Problem {
            span,
            kind,
            message: message.into(),
        });
    }

    /// Unknown names that are really the other version's syntax become version problems.
    fn reclassify_version_problems(&mut self) {
        let other = schema(match self.version {
            DovecotVersion::V2_3 => DovecotVersion::V2_4,
            DovecotVersion::V2_4 => DovecotVersion::V2_3,
        });
        for problem in &mut self.problems {
            let ProblemKind::UnknownSetting { key, .. } = &problem.kind else {
                continue;
            };
            let help = match self.version {
                DovecotVersion::V2_3 if key.starts_with('"') => {
                    "quoted keys need Dovecot 2.4; write the key without quotes".to_string()
                }
                DovecotVersion::V2_3 if other.is_setting(key) || other.has_prefix(key) => format!(
                    "`{key}` is Dovecot 2.4 syntax; this file is read as 2.3 (set `dovecot.version: \"2.4\"` or pass --dovecot-version 2.4 if it targets 2.4)"
                ),
                DovecotVersion::V2_4 if key == "plugin" => {
                    "2.4 has no `plugin { }` block: plugin settings are ordinary top-level settings".to_string()
                }
                DovecotVersion::V2_4 if other.is_setting(key) || other.section_keys.contains_key(key.as_str()) => format!(
                    "`{key}` is a Dovecot 2.3 setting that 2.4 renamed or removed; see the 2.3 → 2.4 upgrade notes"
                ),
                _ => continue,
            };
            problem.kind = ProblemKind::Version { help };
        }
    }

    /// 2.4: `dovecot_config_version` first, `dovecot_storage_version` present, no heredoc,
    /// no 2.3 `$name` variables. 2.3: no `$SET:`.
    fn version_rules(&mut self, document: &Document, applied: &Applied) {
        for line in &document.lines {
            let LineKind::KeyValue { key, value } = &line.kind else {
                continue;
            };
            if value.kind == ValueKind::File
                && value.text.starts_with('<')
                && self.version == DovecotVersion::V2_4
            {
                self.problem(value.span, ProblemKind::Version {
                    help: "heredoc values (`<<END`) exist only since Dovecot 2.4.5; 2.4.4 reads `<END` as a file name and fails on the next line".into(),
                }, "heredoc needs Dovecot 2.4.5");
            }
            if value.kind != ValueKind::Variable {
                continue;
            }
            for token in value.text.split([' ', '\t']).filter(|t| t.starts_with('$')) {
                let is_24 = token.starts_with("$SET:");
                let is_both = token.starts_with("$ENV:");
                match self.version {
                    DovecotVersion::V2_4 if !is_24 && !is_both => self.problem(value.span, ProblemKind::Version {
                        help: format!("in 2.4 only `$SET:name` and `$ENV:name` expand; `{token}` stays literal text. Write `$SET:{}`", &token[1..]),
                    }, format!("2.3 variable `{token}` in a 2.4 file (in {})", key.text)),
                    DovecotVersion::V2_3 if is_24 => self.problem(value.span, ProblemKind::Version {
                        help: format!("`$SET:` is 2.4 syntax; in 2.3 write `${}`", &token[5..]),
                    }, format!("2.4 variable `{token}` in a 2.3 file")),
                    _ => {}
                }
            }
        }
        if self.version != DovecotVersion::V2_4 {
            return;
        }
        let first = document
            .lines
            .iter()
            .find(|l| !matches!(l.kind, LineKind::Error { .. }));
        let first_is_version = matches!(first.map(|l| &l.kind), Some(LineKind::KeyValue { key, .. }) if key.text == "dovecot_config_version");
        if !first_is_version {
            let span = first.map_or(Span::new(document.root(), 0, 0), |l| l.report_span);
            self.problem(span, ProblemKind::Version {
                help: "put `dovecot_config_version = 2.4.4` (your Dovecot version) before every other setting and include".into(),
            }, "The first setting must be dovecot_config_version");
        }
        let has_storage = applied
            .assignments
            .iter()
            .any(|a| a.key == "dovecot_storage_version" && a.scope == Scope::Root);
        if !has_storage {
            let span = first.map_or(Span::new(document.root(), 0, 0), |l| l.report_span);
            self.problem(span, ProblemKind::Version {
                help: "add `dovecot_storage_version = 2.4.4` (the oldest Dovecot version whose storage format you need to keep)".into(),
            }, "dovecot_storage_version setting must be set");
        }
    }

    /// Enabled protocols: 2.3 a space-separated string (upstream default `imap pop3 lmtp`),
    /// 2.4 a boolean list (default empty), assigned whole or updated by `protocols { x = yes }`.
    fn protocols(&mut self, assignments: &[Assignment]) -> Vec<String> {
        let mut list: Vec<String> = match self.version {
            DovecotVersion::V2_3 => vec!["imap".into(), "pop3".into(), "lmtp".into()],
            DovecotVersion::V2_4 => Vec::new(),
        };
        for a in assignments.iter().filter(|a| a.scope == Scope::Root) {
            if a.key == "protocols" {
                let mut next = Vec::new();
                // 2.3 splits on blanks only; 2.4 boolean lists also on commas.
                let separators: &[char] = match self.version {
                    DovecotVersion::V2_3 => &[' ', '\t'],
                    DovecotVersion::V2_4 => &[' ', '\t', ','],
                };
                for item in a.value.text.split(separators).filter(|s| !s.is_empty()) {
                    let item = item.trim_matches('"');
                    match item {
                        "$protocols" if self.version == DovecotVersion::V2_3 => {
                            next.extend(list.iter().cloned())
                        }
                        "none" if self.version == DovecotVersion::V2_3 => {}
                        _ => next.push(item.to_string()),
                    }
                }
                list = next;
            } else if let Some(item) = a.key.strip_prefix("protocols/") {
                list.retain(|p| p != item);
                if matches!(a.value.text.as_str(), "yes" | "y" | "1" | "true") {
                    list.push(item.to_string());
                }
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        list.retain(|p| seen.insert(p.clone()));
        if self.version == DovecotVersion::V2_3 {
            self.check_protocol_names(assignments, &list);
        }
        list
    }

    /// 2.3 checks at the end of parsing that every protocol has a service
    /// ("protocols: Unknown protocol: X"); report it on the last `protocols` line.
    fn check_protocol_names(&mut self, assignments: &[Assignment], list: &[String]) {
        let Some(line) = assignments
            .iter()
            .rev()
            .find(|a| a.scope == Scope::Root && a.key == "protocols")
        else {
            return;
        };
        let declared: Vec<&str> = assignments
            .iter()
            .filter(|a| a.key == "protocol" || a.key.ends_with("/protocol"))
            .map(|a| a.value.text.as_str())
            .collect();
        let builtin = schema(self.version).services.iter().map(|(_, p)| *p);
        let known: Vec<&str> = builtin.chain(declared).filter(|p| !p.is_empty()).collect();
        if let Some(unknown) = list.iter().find(|p| !known.contains(&p.as_str())) {
            let span = clip(line.value.span, line.report);
            self.problem(
                span,
                ProblemKind::Syntax,
                format!("protocols: Unknown protocol: {unknown}"),
            );
        }
    }

    /// Parses a vsz value; a refused one becomes a problem and yields `None`.
    fn vsz_value(
        &mut self,
        a: &Assignment,
        written_key: &str,
        root_default: impl Fn() -> Option<VszLimit>,
    ) -> Option<VszLimit> {
        let v24 = self.version == DovecotVersion::V2_4;
        let prefix = if v24 {
            format!("{written_key}: ")
        } else {
            String::new()
        };
        let span = clip(a.value.span, a.report);
        let text = a.value.text.as_str();
        if text.contains(crate::source::UNKNOWN_PLACEHOLDER) {
            // Rendered from a value only the deploy knows.
            return Some(VszLimit::Unknown);
        }
        let refused = match a.value.kind {
            // 2.3 `doveconf -n` does not read the file and parses `<path` as the size.
            ValueKind::File if !v24 => format!("Invalid size: {}", self.db.text(a.value.span)),
            ValueKind::File => return Some(VszLimit::Unknown),
            ValueKind::Variable if v24 => {
                if text == "$SET:default_vsz_limit" {
                    return root_default();
                }
                if text.starts_with("$ENV:") || text.starts_with("$SET:") {
                    return Some(VszLimit::Unknown);
                }
                format!("{prefix}Invalid size: {text}")
            }
            ValueKind::Variable => {
                // 2.3 `doveconf -n` keeps `$name` literal, except a self-reference it cannot
                // resolve inside a service.
                let self_ref = format!("${written_key}");
                let in_service = matches!(a.scope, Scope::Service { .. });
                if in_service && text.split(' ').any(|t| t == self_ref) {
                    format!("Unknown variable: {self_ref}")
                } else {
                    format!("Invalid size: {text}")
                }
            }
            ValueKind::Plain | ValueKind::Quoted => match parse_size(text, v24) {
                // 2.3 stores a service's "not set" as UOFF_T_MAX: writing it means "inherit".
                Ok(Size::Bytes(u64::MAX)) if !v24 && a.key != "default_vsz_limit" => return None,
                Ok(size) => return Some(size.into()),
                Err(SizeError::Invalid(t)) if !v24 && (t == "unlimited" || t == "infinite") => {
                    self.problem(span, ProblemKind::VszInvalid, format!("Invalid size: {t}"));
                    return None;
                }
                Err(e) => format!("{prefix}{e}"),
            },
        };
        self.problem(span, ProblemKind::Syntax, refused);
        None
    }

    fn limits(
        &mut self,
        applied: &Applied,
        protocols: &[String],
    ) -> (Option<Limit>, Vec<ServiceLimit>, Vec<NoEffect>) {
        let v24 = self.version == DovecotVersion::V2_4;
        let service_key = if v24 {
            "service_vsz_limit"
        } else {
            "vsz_limit"
        };
        // 2.4 expands `$SET:default_vsz_limit` at the end of parsing, so it needs the final
        // top-level value before the walk below meets it (forward references work).
        let final_root_default = applied
            .assignments
            .iter()
            .filter(|a| a.scope == Scope::Root && a.key == "default_vsz_limit")
            .filter_map(|a| parse_size(&a.value.text, v24).ok())
            .next_back()
            .map(VszLimit::from)
            .unwrap_or(VszLimit::Bytes(COMPILED_DEFAULT_VSZ));
        let root_default = || Some(final_root_default);

        let mut global: Option<Limit> = None;
        let mut group_global: Option<Limit> = None;
        let mut service_default: Option<Limit> = None;
        let mut group_service_default: Option<Limit> = None;
        // Per service name, the last value wins (later blocks merge over earlier ones).
        let mut own: HashMap<String, Limit> = HashMap::new();
        let mut group_own: HashMap<String, Limit> = HashMap::new();
        let mut protocol_of: HashMap<String, String> = HashMap::new();
        let mut no_effect = Vec::new();
        let groups = group_definitions(applied);

        let db = self.db;
        for a in &applied.assignments {
            // The key as written (`vsz_limit`), for doveconf-style messages.
            let written = db.text(a.key_span);
            let limit = |r: &mut Self, a: &Assignment| {
                r.vsz_value(a, written, root_default).map(|limit| Limit {
                    limit,
                    line: a.line,
                    value: a.value.span,
                })
            };
            match (&a.scope, a.key.as_str()) {
                (Scope::Root, "default_vsz_limit") => {
                    if let Some(l) = limit(self, a) {
                        global = Some(l);
                    }
                }
                (Scope::Root, "service_vsz_limit") => {
                    if let Some(l) = limit(self, a) {
                        service_default = Some(l);
                    }
                }
                (Scope::Root, key) if v24 && key.starts_with('@') => {
                    // Root group use: the group's global and per-service values.
                    for g in groups.iter().filter(|g| g.0 == key && g.1 == a.value.text) {
                        let Some(l) = limit(self, g.2) else { continue };
                        match (&g.2.scope, g.2.key.as_str()) {
                            (Scope::Group { inner, .. }, "default_vsz_limit")
                                if **inner == Scope::Root =>
                            {
                                group_global = Some(l)
                            }
                            (Scope::Group { inner, .. }, "service_vsz_limit")
                                if **inner == Scope::Root =>
                            {
                                group_service_default = Some(l)
                            }
                            (Scope::Group { inner, .. }, k) if k == service_key => {
                                if let Scope::Service {
                                    name,
                                    listener: false,
                                } = &**inner
                                {
                                    group_own.insert(name.clone(), l);
                                }
                            }
                            _ => {}
                        }
                    }
                }
                (Scope::Root, "mail_process_size" | "login_process_size" | "auth_process_size")
                    if !v24 =>
                {
                    // 2.3 maps these to service limits in megabytes (old-set-parser.c).
                    let services: &[&str] = match a.key.as_str() {
                        "mail_process_size" => &["imap", "pop3"],
                        "login_process_size" => &["imap-login", "pop3-login"],
                        _ => &["auth"],
                    };
                    debug_assert!(OBSOLETE_23.contains(&a.key.as_str()));
                    if let Ok(mb) = a.value.text.trim().parse::<u64>() {
                        let l = Limit {
                            limit: VszLimit::Bytes(mb.saturating_mul(1 << 20)),
                            line: a.line,
                            value: a.value.span,
                        };
                        own.extend(services.iter().map(|s| (s.to_string(), l)));
                    }
                }
                (Scope::Root, key) if key.starts_with("service/") => {
                    let mut parts = key.splitn(3, '/').skip(1);
                    let (Some(name), Some(setting)) = (parts.next(), parts.next()) else {
                        continue;
                    };
                    if setting == service_key {
                        if let Some(l) = limit(self, a) {
                            own.insert(name.to_string(), l);
                        }
                    } else if setting == if v24 { "service_protocol" } else { "protocol" } {
                        protocol_of.insert(name.to_string(), a.value.text.to_string());
                    }
                }
                (
                    Scope::Service {
                        name,
                        listener: false,
                    },
                    key,
                ) if key == service_key => {
                    if let Some(l) = limit(self, a) {
                        own.insert(name.clone(), l);
                    }
                }
                (
                    Scope::Service {
                        name,
                        listener: false,
                    },
                    key,
                ) if key == if v24 { "service_protocol" } else { "protocol" } => {
                    protocol_of.insert(name.clone(), a.value.text.to_string());
                }
                (
                    Scope::Service {
                        name,
                        listener: false,
                    },
                    key,
                ) if v24 && key.starts_with('@') => {
                    for g in groups.iter().filter(|g| g.0 == key && g.1 == a.value.text) {
                        if let (Scope::Group { inner, .. }, "service_vsz_limit") =
                            (&g.2.scope, g.2.key.as_str())
                        {
                            if **inner == Scope::Root {
                                if let Some(l) = limit(self, g.2) {
                                    group_own.insert(name.clone(), l);
                                }
                            }
                        }
                    }
                }
                (Scope::Service { name, .. }, "default_vsz_limit") => no_effect.push(NoEffect {
                    key: written.to_string(),
                    line: a.line,
                    section: format!("service {name}"),
                }),
                (
                    Scope::Filter {
                        keyword,
                        name,
                        service,
                    },
                    key,
                ) if key == "default_vsz_limit"
                    || key == "service_vsz_limit"
                    || (service.is_some() && key == service_key)
                    || (key.starts_with("service/")
                        && key.ends_with(&format!("/{service_key}"))) =>
                {
                    let _ = limit(self, a);
                    let section = match service {
                        Some(s) => format!("{keyword} {name} {{ service {s}"),
                        None => format!("{keyword} {name}"),
                    };
                    no_effect.push(NoEffect {
                        key: written.to_string(),
                        line: a.line,
                        section,
                    })
                }
                _ => {}
            }
        }

        let schema = schema(self.version);
        // Built-in services, then declared ones in file order, then slash-path-only ones sorted.
        let mut names: Vec<String> = schema.services.iter().map(|(s, _)| s.to_string()).collect();
        let mut seen: HashSet<String> = names.iter().cloned().collect();
        let mut slash_only: Vec<&String> = own.keys().filter(|n| !seen.contains(*n)).collect();
        slash_only.sort();
        let declared = applied.service_blocks.iter().map(|(n, _)| n);
        for name in declared.chain(slash_only) {
            if !name.is_empty() && seen.insert(name.clone()) {
                names.push(name.clone());
            }
        }
        let effective_global = global.or(group_global);
        let effective_service_default = service_default.or(group_service_default);
        let services: Vec<ServiceLimit> = names
            .into_iter()
            .map(|name| {
                let explicit = own.get(&name).copied();
                let from_group = group_own.get(&name).copied();
                let (limit, origin) = match (
                    explicit.or(from_group),
                    effective_service_default,
                    effective_global,
                ) {
                    (Some(l), _, _) => (l.limit, LimitOrigin::Service(l.value)),
                    (None, Some(l), _) => (l.limit, LimitOrigin::ServiceDefault(l.value)),
                    (None, None, Some(l)) => (l.limit, LimitOrigin::DefaultVszLimit(l.value)),
                    (None, None, None) => {
                        (VszLimit::Bytes(COMPILED_DEFAULT_VSZ), LimitOrigin::Compiled)
                    }
                };
                // 2.3: 0 means no limit (service-process.c calls restrict_process_size() only for != 0).
                let limit = match limit {
                    VszLimit::Bytes(0) if !v24 => VszLimit::Unlimited,
                    other => other,
                };
                let protocol = protocol_of
                    .get(&name)
                    .cloned()
                    .or_else(|| schema.service_protocol(&name).map(str::to_string))
                    .unwrap_or_default();
                let enabled = protocol.is_empty() || protocols.contains(&protocol);
                ServiceLimit {
                    opens_mailboxes: MAILBOX_SERVICES.contains(&name.as_str()),
                    name,
                    enabled,
                    limit,
                    origin,
                }
            })
            .collect();
        self.too_low(&services, &own);
        (effective_global, services, no_effect)
    }

    /// The master refuses to start when an enabled service's limit is under 1 MiB: 2.3 checks
    /// only a service's own non-zero value, 2.4 the effective one (so `0` fails there).
    fn too_low(&mut self, services: &[ServiceLimit], own: &HashMap<String, Limit>) {
        let v24 = self.version == DovecotVersion::V2_4;
        let mut reported: Vec<Span> = Vec::new();
        for s in services.iter().filter(|s| s.enabled) {
            let (bytes, span) = if v24 {
                match (s.limit, s.origin.span()) {
                    (VszLimit::Bytes(b), Some(span)) => (b, span),
                    _ => continue,
                }
            } else {
                match own.get(&s.name).map(|l| (&s.name, l)) {
                    Some((
                        _,
                        Limit {
                            limit: VszLimit::Bytes(b),
                            value,
                            ..
                        },
                    )) if *b != 0 => (*b, *value),
                    _ => continue,
                }
            };
            if bytes >= MIN_SERVICE_VSZ || reported.contains(&span) {
                continue;
            }
            reported.push(span);
            let hint = if v24 {
                " (did you mean \"unlimited\"?)"
            } else {
                ""
            };
            let message = format!("service({}): vsz_limit is too low{hint}", s.name);
            self.problem(span, ProblemKind::VszInvalid, message);
        }
    }
}

/// `(label, name, assignment)` for every setting written inside a 2.4 group.
fn group_definitions(applied: &Applied) -> Vec<(&str, &str, &Assignment)> {
    applied
        .assignments
        .iter()
        .filter_map(|a| match &a.scope {
            Scope::Group { label, name, .. } => Some((label.as_str(), name.as_str(), a)),
            _ => None,
        })
        .collect()
}

/// After the last top-level `protocols` line of the root file; else after the 2.4 version
/// lines; else before the first line of the root file that holds a setting.
fn insert_point(db: &SourceDb, document: &Document, applied: &Applied) -> Span {
    let root = document.root();
    let after_line = |span: Span| {
        let file = db.file(root);
        let range = file.line_range(file.line_index(span.end()));
        let end = (range.end + 1).min(file.text().len());
        let end = if file.text()[range.end..].starts_with("\r\n") {
            range.end + 2
        } else {
            end
        };
        Span::new(root, end, end)
    };
    if let Some(span) = applied.protocols_line.filter(|s| s.file == root) {
        return after_line(span);
    }
    let version_line = applied
        .assignments
        .iter()
        .filter(|a| a.scope == Scope::Root && a.line.file == root)
        .filter(|a| a.key == "dovecot_storage_version" || a.key == "dovecot_config_version")
        .map(|a| a.line)
        .max_by_key(|s| s.end());
    if let Some(span) = version_line {
        return after_line(span);
    }
    let first = document
        .lines
        .iter()
        .find(|l| l.span.file == root)
        .map_or(0, |l| {
            let file = db.file(root);
            file.line_range(file.line_index(l.span.start())).start
        });
    Span::new(root, first, first)
}
