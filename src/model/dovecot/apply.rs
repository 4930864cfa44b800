//! model::dovecot::apply: walks parsed lines with a section stack, as
//! `config_parser_apply_line()` does, and records every setting with its context plus every
//! problem Dovecot would refuse. Resolution of effective values happens afterwards in `resolve`.

use super::schema::{did_you_mean, schema, Schema};
use super::{DovecotVersion, Problem, ProblemKind};
use crate::parse::dovecot::{Document, Line, LineKind, Text, Value, ValueKind};
use crate::source::Span;

/// Where a setting was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Top level.
    Root,
    /// Inside `service NAME { }` (possibly nested deeper, e.g. in a listener: `listener` true).
    Service { name: String, listener: bool },
    /// Inside a `protocol`, `local`, `remote` or `local_name` filter (keyword, name).
    Filter { keyword: String, name: String },
    /// 2.4 `group @label name { }` (the inner scope is kept in `inner`).
    Group {
        label: String,
        name: String,
        inner: Box<Scope>,
    },
    /// Anywhere else (namespace, passdb, ssl_server, lists …).
    Other,
}

/// One `key = value` as Dovecot sees it, with the key resolved to its canonical name.
#[derive(Clone, Debug)]
pub struct Assignment {
    /// Canonical key: `vsz_limit` in a 2.3 service, `service_vsz_limit` for 2.4 services.
    pub key: String,
    pub key_span: Span,
    pub value: Value,
    pub scope: Scope,
    /// Line span (for fixes and "set here" labels).
    pub line: Span,
}

/// What the walk found.
#[derive(Debug, Default)]
pub struct Applied {
    pub assignments: Vec<Assignment>,
    /// Every `service NAME {` header (name, header span).
    pub service_blocks: Vec<(String, Span)>,
    pub problems: Vec<Problem>,
    /// The first line Dovecot 2.4 treats as a setting (for the `dovecot_config_version` rule).
    pub first_setting: Option<Span>,
    /// The last top-level `protocols` line or block end (where a new global setting fits).
    pub protocols_line: Option<Span>,
}

#[derive(Clone, Debug)]
enum Frame {
    Filter {
        keyword: String,
        name: String,
    },
    Service {
        name: String,
    },
    Listener,
    /// 2.3 section with a fixed key set (namespace, mailbox, passdb, userdb) or 2.4 list filter.
    Keyed {
        keyword: String,
    },
    /// Free-form keys: 2.3 `plugin { }`, `dict { }`; 2.4 string/boolean list used as a section.
    List {
        setting: String,
    },
    /// 2.4 `group @label name { }`.
    Group {
        label: String,
        name: String,
    },
    /// Unknown section: its contents are not checked.
    Opaque,
}

struct Walker {
    version: DovecotVersion,
    schema: &'static Schema,
    stack: Vec<(Frame, Span)>,
    out: Applied,
}

/// 2.3 accepts these with a warning and maps them to service limits (old-set-parser.c).
pub(crate) const OBSOLETE_23: &[&str] = &[
    "mail_process_size",
    "login_process_size",
    "auth_process_size",
];

const CONNECTION_FILTERS: &[&str] = &["protocol", "local", "remote", "local_name"];

pub fn apply(doc: &Document) -> Applied {
    let mut walker = Walker {
        version: doc.version,
        schema: schema(doc.version),
        stack: Vec::new(),
        out: Applied::default(),
    };
    for line in &doc.lines {
        walker.line(line);
    }
    if let Some(&(_, begin)) = walker.stack.first() {
        walker.problem(begin, ProblemKind::Syntax, "Missing '}'".to_string());
    }
    walker.out
}

impl Walker {
    fn problem(&mut self, span: Span, kind: ProblemKind, message: String) {
        self.out.problems.push(Problem {
            span,
            kind,
            message,
        });
    }

    fn line(&mut self, line: &Line) {
        if self.out.first_setting.is_none() && !matches!(line.kind, LineKind::Error { .. }) {
            self.out.first_setting = Some(line.report_span);
        }
        match &line.kind {
            LineKind::KeyValue { key, value } => self.keyvalue(line, key, value),
            LineKind::SectionBegin { keyword, name } => self.section(line, keyword, name.as_ref()),
            LineKind::SectionEnd => self.section_end(line),
            LineKind::GroupBegin { label, name } => {
                if !self.stack.is_empty() {
                    self.problem(
                        line.report_span,
                        ProblemKind::Syntax,
                        "groups must defined at top-level, not under filters".into(),
                    );
                }
                let frame = Frame::Group {
                    label: label.text.clone(),
                    name: name.text.clone(),
                };
                self.stack.push((frame, line.span));
            }
            LineKind::Include { .. } => {}
            LineKind::Error { message } => {
                self.problem(line.report_span, ProblemKind::Syntax, message.clone())
            }
        }
    }

    fn section_end(&mut self, line: &Line) {
        match self.stack.pop() {
            None => self.problem(
                line.report_span,
                ProblemKind::Syntax,
                "Unexpected '}'".into(),
            ),
            Some((Frame::List { setting }, _))
                if setting == "protocols" && self.stack.is_empty() =>
            {
                self.out.protocols_line = Some(line.span);
            }
            Some(_) => {}
        }
    }

    /// The scope a setting written now lands in.
    fn scope(&self) -> Scope {
        let mut scope = Scope::Root;
        let mut group = None;
        for (frame, _) in &self.stack {
            match frame {
                Frame::Group { label, name } => group = Some((label.clone(), name.clone())),
                Frame::Service { name } => {
                    scope = Scope::Service {
                        name: name.clone(),
                        listener: false,
                    }
                }
                Frame::Listener => {
                    if let Scope::Service { listener, .. } = &mut scope {
                        *listener = true;
                    }
                }
                Frame::Filter { keyword, name } if scope == Scope::Root => {
                    scope = Scope::Filter {
                        keyword: keyword.clone(),
                        name: name.clone(),
                    }
                }
                Frame::Filter { .. } => {}
                Frame::List { .. } if scope == Scope::Root => {}
                Frame::Keyed { .. } | Frame::List { .. } | Frame::Opaque => scope = Scope::Other,
            }
        }
        match group {
            Some((label, name)) => Scope::Group {
                label,
                name,
                inner: Box::new(scope),
            },
            None => scope,
        }
    }

    fn keyvalue(&mut self, line: &Line, key: &Text, value: &Value) {
        if let Some(bad) = &value.bad_escape {
            self.problem(
                bad.span,
                ProblemKind::Syntax,
                format!("Unknown escape sequence {}", bad.text),
            );
        }
        let top = self.stack.last().map(|(f, _)| f.clone());
        let canonical = match &top {
            None | Some(Frame::Group { .. }) => self.root_key(key),
            Some(Frame::Filter { .. }) => self.filter_key(key),
            Some(Frame::Service { name }) => self.service_key(key, name),
            Some(Frame::Listener) => self
                .section_key("inet_listener", key)
                .or_else(|| self.section_key("unix_listener", key)),
            Some(Frame::Keyed { keyword }) => self.section_key(keyword, key),
            Some(Frame::List { setting }) if self.stack.len() == 1 => {
                Some(format!("{setting}/{}", key.text))
            }
            Some(Frame::List { .. }) => Some(key.text.clone()),
            Some(Frame::Opaque) => Some(key.text.clone()),
        };
        let Some(canonical) = canonical else {
            return self.unknown_setting(key);
        };
        let assignment = Assignment {
            key: canonical,
            key_span: key.span,
            value: value.clone(),
            scope: self.scope(),
            line: line.span,
        };
        if assignment.key == "protocols" && assignment.scope == Scope::Root {
            self.out.protocols_line = Some(line.span);
        }
        self.out.assignments.push(assignment);
    }

    /// Top-level keys: plain settings, slash paths, 2.4 `@label = name`.
    fn root_key(&self, key: &Text) -> Option<String> {
        if self.version == DovecotVersion::V2_4 && key.text.starts_with('@') {
            return Some(key.text.clone());
        }
        if let Some(rest) = key.text.strip_prefix("service/") {
            let (name, setting) = rest.split_once('/')?;
            let canonical = self.service_key_name(setting, name)?;
            return Some(format!("service/{name}/{canonical}"));
        }
        if key.text.contains('/') {
            // Other filter paths (`protocol/imap/…`, `namespace/inbox/…`): not modelled.
            return Some(key.text.clone());
        }
        let obsolete =
            self.version == DovecotVersion::V2_3 && OBSOLETE_23.contains(&key.text.as_str());
        (obsolete || self.schema.is_setting(&key.text)).then(|| key.text.clone())
    }

    fn filter_key(&self, key: &Text) -> Option<String> {
        match self.version {
            DovecotVersion::V2_3 => self.schema.is_setting(&key.text).then(|| key.text.clone()),
            DovecotVersion::V2_4 => self.auto_prefixed(&[], &key.text),
        }
    }

    fn service_key(&self, key: &Text, service: &str) -> Option<String> {
        self.service_key_name(&key.text, service)
    }

    /// 2.3: the service's own keys. 2.4: `service_NAME_key`, `service_key`, `key`.
    fn service_key_name(&self, key: &str, service: &str) -> Option<String> {
        match self.version {
            DovecotVersion::V2_3 => self
                .schema
                .section_has("service", key)
                .then(|| key.to_string()),
            DovecotVersion::V2_4 => self.auto_prefixed(&["service", service], key),
        }
    }

    fn section_key(&self, keyword: &str, key: &Text) -> Option<String> {
        match self.version {
            DovecotVersion::V2_3 => self
                .schema
                .section_has(keyword, &key.text)
                .then(|| key.text.clone()),
            DovecotVersion::V2_4 => self.auto_prefixed(&[keyword], &key.text),
        }
    }

    /// 2.4 `config_apply_line_full()`: try `a_b_key`, then `a_key`, then `key`.
    fn auto_prefixed(&self, prefix: &[&str], key: &str) -> Option<String> {
        let candidates = match prefix {
            [keyword, name] => vec![
                format!("{keyword}_{name}_{key}"),
                format!("{keyword}_{key}"),
            ],
            [keyword] => vec![format!("{keyword}_{key}")],
            _ => vec![],
        };
        candidates
            .into_iter()
            .chain(std::iter::once(key.to_string()))
            .find(|k| self.schema.is_setting(k))
    }

    fn unknown_setting(&mut self, key: &Text) {
        let context = self.stack.last().map(|(f, _)| f.clone());
        let (message, candidates): (String, Vec<&str>) = match (self.version, &context) {
            (DovecotVersion::V2_3, Some(Frame::Service { .. })) => (
                format!("Unknown setting: service {{ {}", key.text),
                self.keys_of("service"),
            ),
            (DovecotVersion::V2_3, Some(Frame::Keyed { keyword })) => (
                format!("Unknown setting: {keyword} {{ {}", key.text),
                self.keys_of(keyword),
            ),
            (DovecotVersion::V2_3, Some(Frame::Listener)) => (
                format!("Unknown setting: {}", key.text),
                self.keys_of("inet_listener"),
            ),
            (DovecotVersion::V2_3, _) => (
                format!("Unknown setting: {}", key.text),
                self.schema.settings.iter().copied().collect(),
            ),
            (DovecotVersion::V2_4, Some(Frame::Service { name })) => (
                format!(
                    "{k}: Unknown setting: {k} (service_{k} or service_{name}_{k} not found either.)",
                    k = key.text
                ),
                self.unprefixed("service"),
            ),
            (DovecotVersion::V2_4, _) => (
                format!("{k}: Unknown setting: {k}", k = key.text),
                self.schema.settings.iter().copied().collect(),
            ),
        };
        let suggestion = did_you_mean(&key.text, candidates).map(str::to_string);
        self.problem(
            key.span,
            ProblemKind::UnknownSetting {
                key: key.text.clone(),
                suggestion,
            },
            message,
        );
    }

    fn keys_of(&self, keyword: &str) -> Vec<&'static str> {
        self.schema
            .section_keys
            .get(keyword)
            .map(|k| k.iter().copied().collect())
            .unwrap_or_default()
    }

    /// 2.4 settings reachable inside `keyword { }`: `keyword_x` written as `x`, plus all globals.
    fn unprefixed(&self, keyword: &str) -> Vec<&'static str> {
        let prefix = format!("{keyword}_");
        let schema = self.schema;
        schema
            .settings
            .iter()
            .map(|s| s.strip_prefix(prefix.as_str()).unwrap_or(s))
            .collect()
    }

    fn section(&mut self, line: &Line, keyword: &Text, name: Option<&Text>) {
        let name_text = name.map(|n| n.text.clone()).unwrap_or_default();
        let frame = match self.version {
            DovecotVersion::V2_3 => self.section_23(line, keyword, &name_text),
            DovecotVersion::V2_4 => self.section_24(line, keyword, name, &name_text),
        };
        if let Frame::Service { name } = &frame {
            self.out.service_blocks.push((name.clone(), line.span));
        }
        self.stack.push((frame, line.span));
    }

    fn parent(&self) -> Option<&Frame> {
        self.stack.last().map(|(f, _)| f)
    }

    fn section_23(&mut self, line: &Line, keyword: &Text, name: &str) -> Frame {
        if matches!(self.parent(), Some(Frame::List { .. })) {
            self.problem(
                line.report_span,
                ProblemKind::Syntax,
                "Section not allowed here".into(),
            );
            return Frame::Opaque;
        }
        let kw = keyword.text.as_str();
        if CONNECTION_FILTERS.contains(&kw) {
            return self.connection_filter(line, kw, name);
        }
        match kw {
            "service" => Frame::Service {
                name: name.to_string(),
            },
            "inet_listener" | "unix_listener" | "fifo_listener" => Frame::Listener,
            "namespace" | "mailbox" | "passdb" | "userdb" => Frame::Keyed {
                keyword: kw.to_string(),
            },
            "plugin" | "dict" => Frame::List {
                setting: kw.to_string(),
            },
            _ => {
                let candidates = [
                    "service",
                    "namespace",
                    "mailbox",
                    "passdb",
                    "userdb",
                    "plugin",
                    "dict",
                    "protocol",
                    "local",
                    "remote",
                    "local_name",
                    "inet_listener",
                    "unix_listener",
                    "fifo_listener",
                ];
                let suggestion = did_you_mean(kw, candidates).map(str::to_string);
                self.problem(
                    keyword.span,
                    ProblemKind::UnknownSetting {
                        key: kw.to_string(),
                        suggestion,
                    },
                    format!("Unknown setting: {kw} {{ {kw}"),
                );
                Frame::Opaque
            }
        }
    }

    fn section_24(
        &mut self,
        line: &Line,
        keyword: &Text,
        name: Option<&Text>,
        name_text: &str,
    ) -> Frame {
        let kw = keyword.text.as_str();
        if CONNECTION_FILTERS.contains(&kw) {
            return self.connection_filter(line, kw, name_text);
        }
        const LIST_FILTERS: &[&str] = &[
            "service",
            "namespace",
            "mailbox",
            "passdb",
            "userdb",
            "inet_listener",
            "unix_listener",
            "fifo_listener",
            "dict",
            "fs",
            "metric",
            "event_exporter",
            "language",
            "execute",
            "dict_map",
            "sieve_script",
            "quota_root",
            "fts",
        ];
        if LIST_FILTERS.contains(&kw) {
            if name.is_none() {
                self.problem(
                    line.report_span,
                    ProblemKind::Syntax,
                    format!("{kw} {{ }} is missing section name"),
                );
            }
            if kw == "service" {
                if let Some(parent) = self
                    .stack
                    .iter()
                    .find(|(f, _)| matches!(f, Frame::Service { .. } | Frame::Keyed { .. }))
                {
                    let parent_kw = match &parent.0 {
                        Frame::Keyed { keyword } => keyword.clone(),
                        _ => "service".into(),
                    };
                    self.problem(
                        line.report_span,
                        ProblemKind::Syntax,
                        format!("service {{ .. }} not allowed under {parent_kw} {{ .. }}"),
                    );
                }
                return Frame::Service {
                    name: name_text.to_string(),
                };
            }
            if kw.ends_with("_listener") {
                return Frame::Listener;
            }
            return Frame::Keyed {
                keyword: kw.to_string(),
            };
        }
        if self.schema.is_setting(kw) {
            return Frame::List {
                setting: kw.to_string(),
            };
        }
        if self.schema.has_prefix(kw) {
            if name.is_some() {
                self.problem(
                    line.report_span,
                    ProblemKind::Syntax,
                    format!("{kw} {{ }} must not have a section name"),
                );
            }
            return Frame::Keyed {
                keyword: kw.to_string(),
            };
        }
        let sections: Vec<&str> = LIST_FILTERS
            .iter()
            .copied()
            .chain(CONNECTION_FILTERS.iter().copied())
            .collect();
        let suggestion = did_you_mean(kw, sections).map(str::to_string);
        self.problem(
            keyword.span,
            ProblemKind::UnknownSetting {
                key: kw.to_string(),
                suggestion,
            },
            format!("Unknown section name: {kw}"),
        );
        Frame::Opaque
    }

    /// `protocol`, `local`, `remote`, `local_name`, with Dovecot's nesting rules.
    fn connection_filter(&mut self, line: &Line, keyword: &str, name: &str) -> Frame {
        let enclosing: Vec<&str> = self
            .stack
            .iter()
            .filter_map(|(f, _)| match f {
                Frame::Filter { keyword, .. } => Some(keyword.as_str()),
                _ => None,
            })
            .collect();
        let other_section = self
            .stack
            .iter()
            .any(|(f, _)| !matches!(f, Frame::Filter { .. } | Frame::Group { .. }));
        let message = match (keyword, enclosing.last().copied()) {
            _ if other_section && self.version == DovecotVersion::V2_3 => Some("Section not allowed here".to_string()),
            ("protocol", _) if enclosing.contains(&"protocol") => Some("Nested protocol { protocol { .. } } block not allowed".into()),
            ("local", _) if enclosing.contains(&"protocol") => Some("protocol { local { .. } } not allowed (use local { protocol { .. } } instead)".into()),
            ("local", _) if enclosing.contains(&"remote") => Some("remote { local { .. } } not allowed (use local { remote { .. } } instead)".into()),
            ("local", _) if enclosing.contains(&"local_name") => Some("local_name { local { .. } } not allowed (use local { local_name { .. } } instead)".into()),
            ("local_name", _) if enclosing.contains(&"remote") => Some("remote { local_name { .. } } not allowed (use local_name { remote { .. } } instead)".into()),
            ("local_name", _) if enclosing.contains(&"protocol") => Some("protocol { local_name { .. } } not allowed (use local_name { protocol { .. } } instead)".into()),
            ("remote", _) if enclosing.contains(&"protocol") => Some("protocol { remote { .. } } not allowed (use remote { protocol { .. } } instead)".into()),
            ("local" | "remote", _) => self.network_problem(keyword, name),
            _ => None,
        };
        if let Some(message) = message {
            self.problem(line.report_span, ProblemKind::Syntax, message);
        }
        Frame::Filter {
            keyword: keyword.to_string(),
            name: name.to_string(),
        }
    }

    /// `local`/`remote` take `IP[/bits]` or a host name (resolved by Dovecot, not by mxlint).
    fn network_problem(&self, keyword: &str, name: &str) -> Option<String> {
        let (addr, bits) = match name.split_once('/') {
            Some((a, b)) => (a, Some(b)),
            None => (name, None),
        };
        let ip: Option<std::net::IpAddr> = addr.parse().ok();
        let max = match ip {
            Some(std::net::IpAddr::V4(_)) => 32,
            Some(std::net::IpAddr::V6(_)) => 128,
            None => return None,
        };
        if let Some(bits) = bits {
            if !bits.bytes().all(|b| b.is_ascii_digit())
                || bits.is_empty()
                || bits.parse::<u32>().map_or(true, |b| b > max)
            {
                return Some(format!("Invalid network mask: {name}"));
            }
        }
        let parent = self.stack.iter().rev().find_map(|(f, _)| match f {
            Frame::Filter { keyword: k, name } if k == keyword => Some(name.clone()),
            _ => None,
        })?;
        (!network_contains(&parent, name)).then(|| {
            format!("{keyword} {parent} {{ {keyword} {name} {{ .. }} }} requires {name} to be inside {parent}")
        })
    }
}

/// Whether `inner` (IP[/bits]) lies inside `outer` (IP[/bits]); host names count as inside.
fn network_contains(outer: &str, inner: &str) -> bool {
    fn parse(net: &str) -> Option<(u128, u32, bool)> {
        let (addr, bits) = net.split_once('/').unwrap_or((net, ""));
        let ip: std::net::IpAddr = addr.parse().ok()?;
        let (value, max, v4) = match ip {
            std::net::IpAddr::V4(v4) => (u128::from(u32::from(v4)), 32, true),
            std::net::IpAddr::V6(v6) => (u128::from(v6), 128, false),
        };
        let bits = if bits.is_empty() {
            max
        } else {
            bits.parse().ok()?
        };
        Some((value, bits, v4))
    }
    let (Some((o, obits, ov4)), Some((i, ibits, iv4))) = (parse(outer), parse(inner)) else {
        return true;
    };
    if ov4 != iv4 || ibits < obits {
        return false;
    }
    let width = if ov4 { 32 } else { 128 };
    let shift = width - obits;
    shift >= 128 || (o >> shift) == (i >> shift)
}

impl Value {
    /// The value as a plain string if it is one (not `<file`, not `$` expanded).
    pub fn literal(&self) -> Option<&str> {
        matches!(self.kind, ValueKind::Plain | ValueKind::Quoted).then_some(self.text.as_str())
    }
}
