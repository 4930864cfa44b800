//! model::dovecot::apply: walks parsed lines with a section stack, as
//! `config_parser_apply_line()` does, and records every setting with its context plus every
//! problem Dovecot would refuse. Resolution of effective values happens afterwards in `resolve`.

use super::schema::{did_you_mean, schema, Schema};
use super::{DovecotVersion, Problem, ProblemKind};
use crate::parse::dovecot::{Document, Line, LineKind, Text, Value};
use crate::source::Span;
use compact_str::{format_compact, CompactString};

/// Where a setting was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Top level (also the items of a top-level list such as 2.4 `protocols { }`).
    Root,
    /// Inside `service NAME { }` (`listener`: inside one of its listeners).
    Service { name: String, listener: bool },
    /// Inside a `protocol`, `local`, `remote` or `local_name` filter (the outermost one), maybe
    /// within a `service` block there. The master never reads these values.
    Filter {
        keyword: String,
        name: String,
        service: Option<String>,
    },
    /// 2.4 `group @label name { }` (the scope inside the group in `inner`).
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
    /// Canonical key: `vsz_limit` in a 2.3 service, `service_vsz_limit` for 2.4 services,
    /// `service/NAME/KEY` for slash paths, `protocols/ITEM` for 2.4 list items. Only keys the
    /// model resolves are recorded (`resolve::is_modelled`).
    pub key: CompactString,
    pub key_span: Span,
    pub value: Value,
    pub scope: Scope,
    /// The whole logical line.
    pub line: Span,
    /// The line's content on its last physical line (where doveconf reports errors).
    pub report: Span,
}

/// What the walk found.
#[derive(Debug, Default)]
pub struct Applied {
    pub assignments: Vec<Assignment>,
    /// Every `service NAME {` header (lowercased name, header span).
    pub service_blocks: Vec<(String, Span)>,
    pub problems: Vec<Problem>,
    /// The last top-level `protocols` line or block end (where a new global setting fits).
    pub protocols_line: Option<Span>,
    /// Every `inet_listener NAME { }` block directly inside a top-level `service` block, in
    /// file order, with the settings written in it (listeners inside filters or groups are
    /// never read by the master and are left out).
    pub listeners: Vec<ListenerBlock>,
}

/// One `inet_listener NAME { }` block as written.
#[derive(Clone, Debug)]
pub struct ListenerBlock {
    /// The enclosing service, lowercased.
    pub service: String,
    pub name: String,
    /// The `inet_listener NAME {` line.
    pub header: Span,
    /// `(canonical key, value, whole line)`: 2.3 `port`, `address`, `ssl`; 2.4
    /// `inet_listener_port`, `inet_listener_ssl`, `listen` …
    pub settings: Vec<(CompactString, Value, Span)>,
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
    Listener {
        keyword: String,
    },
    /// A section with its own key set (2.3 namespace, mailbox, passdb, userdb; 2.4 filters).
    Keyed {
        keyword: String,
        driver: bool,
    },
    /// Free-form keys: 2.3 `plugin { }`, `dict { }`; 2.4 string/boolean lists as sections.
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

impl Frame {
    /// The keyword doveconf 2.3 names in "Unknown setting: service { …" paths.
    fn keyword(&self) -> Option<&str> {
        match self {
            Frame::Service { .. } => Some("service"),
            Frame::Listener { keyword } | Frame::Keyed { keyword, .. } => Some(keyword),
            Frame::List { setting } => Some(setting),
            _ => None,
        }
    }
}

/// One open section with what its nesting implies, computed once when it opens so that deep
/// nesting costs O(1) per line, not O(depth).
struct Entry {
    frame: Frame,
    begin: Span,
    /// The scope of settings written directly inside (before group wrapping).
    scope: Scope,
    group: Option<(String, String)>,
    /// Enclosing connection filters, this one included.
    filters: Filters,
    /// The nearest enclosing section that is no filter or group (the 2.3 "parent").
    nearest: Option<Frame>,
    /// The innermost `local` / `remote` network, for the subset check.
    local: Option<String>,
    remote: Option<String>,
}

/// Which connection filters enclose a section (a set of four flags, cheap to copy).
#[derive(Clone, Copy, Debug, Default)]
struct Filters {
    protocol: bool,
    local: bool,
    remote: bool,
    local_name: bool,
}

impl Filters {
    fn flag(&mut self, keyword: &str) -> Option<&mut bool> {
        match keyword {
            "protocol" => Some(&mut self.protocol),
            "local" => Some(&mut self.local),
            "remote" => Some(&mut self.remote),
            "local_name" => Some(&mut self.local_name),
            _ => None,
        }
    }

    fn insert(&mut self, keyword: &str) {
        if let Some(flag) = self.flag(keyword) {
            *flag = true;
        }
    }

    fn contains(mut self, keyword: &str) -> bool {
        self.flag(keyword).is_some_and(|f| *f)
    }
}

struct Walker {
    version: DovecotVersion,
    schema: &'static Schema,
    stack: Vec<Entry>,
    out: Applied,
    /// 2.3 `service NAME {` headers whose name is a built-in service's in another case.
    recased_services: Vec<(Span, String)>,
    any_filter: bool,
    /// Names of the `service` blocks seen so far.
    declared: std::collections::HashSet<String>,
    /// Index in `out.listeners` of the `inet_listener` block being read.
    current_listener: Option<usize>,
}

const CONNECTION_FILTERS: &[&str] = &["protocol", "local", "remote", "local_name"];

/// 2.3 accepts these with a warning and maps them to service limits (old-set-parser.c).
pub(crate) const OBSOLETE_23: &[&str] = &[
    "mail_process_size",
    "login_process_size",
    "auth_process_size",
];

/// 2.3: which sections each section may contain ("" = top level and connection filters).
const CHILDREN_23: &[(&str, &[&str])] = &[
    (
        "",
        &["service", "namespace", "passdb", "userdb", "plugin", "dict"],
    ),
    (
        "service",
        &["inet_listener", "unix_listener", "fifo_listener"],
    ),
    ("namespace", &["mailbox"]),
];

/// 2.4 sections that need a name (`SET_FILTER_ARRAY`).
const LIST_FILTERS_24: &[&str] = &[
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
];

pub fn apply(doc: &Document) -> Applied {
    let mut walker = Walker {
        version: doc.version,
        schema: schema(doc.version),
        stack: Vec::new(),
        out: Applied::default(),
        recased_services: Vec::new(),
        any_filter: false,
        declared: Default::default(),
        current_listener: None,
    };
    for line in &doc.lines {
        walker.line(line);
    }
    if let Some(begin) = walker.stack.first().map(|e| e.begin) {
        walker.problem(begin, ProblemKind::Syntax, "Missing '}'".to_string());
    }
    walker.duplicate_listeners();
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

    fn v23(&self) -> bool {
        self.version == DovecotVersion::V2_3
    }

    fn line(&mut self, line: &Line) {
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
                    label: label.text.to_string(),
                    name: name.text.to_string(),
                };
                self.push(frame, line.span);
            }
            LineKind::Include { .. } => {}
            LineKind::Error { message } => {
                self.problem(line.report_span, ProblemKind::Syntax, message.clone())
            }
        }
    }

    fn section_end(&mut self, line: &Line) {
        let popped = self.stack.pop().map(|e| (e.frame, e.begin));
        if matches!(popped, Some((Frame::Listener { .. }, _))) {
            self.current_listener = None;
        }
        match popped {
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
            // 2.3 auth-settings.c: a passdb/userdb without `driver` fails at the end of parsing.
            Some((
                Frame::Keyed {
                    keyword,
                    driver: false,
                },
                begin,
            )) if self.v23() && (keyword == "passdb" || keyword == "userdb") => {
                self.problem(
                    begin,
                    ProblemKind::Syntax,
                    format!("{keyword} is missing driver"),
                );
            }
            Some(_) => {}
        }
    }

    /// The scope a setting written now lands in.
    fn scope(&self) -> Scope {
        let Some(top) = self.stack.last() else {
            return Scope::Root;
        };
        match &top.group {
            Some((label, name)) => Scope::Group {
                label: label.clone(),
                name: name.clone(),
                inner: Box::new(top.scope.clone()),
            },
            None => top.scope.clone(),
        }
    }

    /// Opens a section, deriving its context from the enclosing one.
    fn push(&mut self, frame: Frame, begin: Span) {
        let parent = self.stack.last();
        let parent_scope = parent.map_or(Scope::Root, |p| p.scope.clone());
        let scope = match (&frame, parent_scope) {
            (Frame::Group { .. }, s) => s,
            (Frame::Filter { keyword, name }, Scope::Root) => Scope::Filter {
                keyword: keyword.clone(),
                name: name.clone(),
                service: None,
            },
            (
                Frame::Service { name },
                Scope::Filter {
                    keyword,
                    name: filter,
                    ..
                },
            ) => Scope::Filter {
                keyword,
                name: filter,
                service: Some(name.clone()),
            },
            (Frame::Service { name }, Scope::Root) => Scope::Service {
                name: name.clone(),
                listener: false,
            },
            (Frame::Listener { .. }, Scope::Service { name, .. }) => Scope::Service {
                name,
                listener: true,
            },
            (Frame::List { .. }, Scope::Root) => Scope::Root,
            (Frame::Filter { .. } | Frame::Listener { .. }, s @ Scope::Filter { .. }) => s,
            _ => Scope::Other,
        };
        let mut entry = Entry {
            scope,
            group: parent.and_then(|p| p.group.clone()),
            filters: parent.map(|p| p.filters).unwrap_or_default(),
            nearest: parent.and_then(|p| p.nearest.clone()),
            local: parent.and_then(|p| p.local.clone()),
            remote: parent.and_then(|p| p.remote.clone()),
            frame,
            begin,
        };
        match &entry.frame {
            Frame::Group { label, name } => entry.group = Some((label.clone(), name.clone())),
            Frame::Filter { keyword, name } => {
                entry.filters.insert(keyword);
                match keyword.as_str() {
                    "local" => entry.local = Some(name.clone()),
                    "remote" => entry.remote = Some(name.clone()),
                    _ => {}
                }
            }
            other => entry.nearest = Some(other.clone()),
        }
        self.stack.push(entry);
    }

    fn top_frame(&self) -> Option<&Frame> {
        self.stack.last().map(|e| &e.frame)
    }

    fn keyvalue(&mut self, line: &Line, key: &Text, value: &Value) {
        if let Some(bad) = &value.bad_escape {
            // Never echo part of a secret value, not even two characters.
            let message = if crate::redact::is_secret_name(&key.text) {
                "Unknown escape sequence in this value".to_string()
            } else {
                format!("Unknown escape sequence {}", bad.text)
            };
            self.problem(bad.span, ProblemKind::Syntax, message);
        }
        let key_span = clip(key.span, line.report_span);
        let top = self.top_frame().cloned();
        if self.v23() && key.text.starts_with("auth_") && self.in_network_filter() {
            let message = format!(
                "Auth settings not supported inside local/remote blocks: {}",
                key.text
            );
            return self.problem(key_span, ProblemKind::Syntax, message);
        }
        let canonical = match &top {
            None | Some(Frame::Group { .. }) => self.root_key(key),
            Some(Frame::Filter { .. }) => self.filter_key(key),
            Some(Frame::Service { name }) => self.service_key_name(&key.text, name),
            Some(Frame::Listener { keyword }) => self.section_key(keyword, key),
            Some(Frame::Keyed { keyword, .. }) => {
                if key.text == "driver" {
                    if let Some(Entry {
                        frame: Frame::Keyed { driver, .. },
                        ..
                    }) = self.stack.last_mut()
                    {
                        *driver = true;
                    }
                }
                self.section_key(keyword, key)
            }
            Some(Frame::List { setting }) if self.stack.len() == 1 => {
                Some(format_compact!("{setting}/{}", key.text))
            }
            Some(Frame::List { .. }) | Some(Frame::Opaque) => Some(key.text.clone()),
        };
        let Some(canonical) = canonical else {
            return self.unknown_setting(key, key_span);
        };
        let assignment = Assignment {
            key: canonical,
            key_span: key.span,
            value: value.clone(),
            scope: self.scope(),
            line: line.span,
            report: line.report_span,
        };
        if assignment.key == "protocols" && assignment.scope == Scope::Root {
            self.out.protocols_line = Some(line.span);
        }
        if let (Some(i), Some(Frame::Listener { .. })) = (self.current_listener, &top) {
            if let Some(block) = self.out.listeners.get_mut(i) {
                let setting = (assignment.key.clone(), value.clone(), line.span);
                block.settings.push(setting);
            }
        }
        // Keep only what the model resolves: memory stays small on huge files.
        if super::resolve::is_modelled(&assignment.key) {
            self.out.assignments.push(assignment);
        }
    }

    fn in_network_filter(&self) -> bool {
        self.stack
            .last()
            .is_some_and(|e| e.local.is_some() || e.remote.is_some())
    }

    /// Top-level keys: plain settings, slash paths, 2.4 `@label = name`.
    fn root_key(&self, key: &Text) -> Option<CompactString> {
        if !self.v23() && key.text.starts_with('@') {
            return Some(key.text.clone());
        }
        if let Some(rest) = key.text.strip_prefix("service/") {
            let (name, setting) = rest.split_once('/')?;
            let name = name.to_ascii_lowercase();
            // 2.3 resolves slash paths against services that exist.
            let known =
                self.schema.service_protocol(&name).is_some() || self.declared.contains(&name);
            if self.v23() && !known {
                return None;
            }
            let canonical = self.service_key_name(setting, &name)?;
            return Some(format_compact!("service/{name}/{canonical}"));
        }
        if key.text.contains('/') {
            // Other filter paths (`protocol/imap/…`, `plugin/…`): not modelled, left alone.
            return (!key.text.starts_with('/') && !key.text.contains("//"))
                .then(|| key.text.clone());
        }
        let obsolete = self.v23() && OBSOLETE_23.contains(&key.text.as_str());
        (obsolete || self.schema.is_setting(&key.text)).then(|| key.text.clone())
    }

    fn filter_key(&self, key: &Text) -> Option<CompactString> {
        if key.text.contains('/') {
            return self.root_key(key);
        }
        match self.version {
            DovecotVersion::V2_3 => self.schema.is_setting(&key.text).then(|| key.text.clone()),
            DovecotVersion::V2_4 => self.auto_prefixed(&[], &key.text),
        }
    }

    /// 2.3: the service's own keys. 2.4: `service_NAME_key`, `service_key`, `key`.
    fn service_key_name(&self, key: &str, service: &str) -> Option<CompactString> {
        match self.version {
            DovecotVersion::V2_3 => self
                .schema
                .section_has("service", key)
                .then(|| CompactString::from(key)),
            DovecotVersion::V2_4 => self.auto_prefixed(&["service", service], key),
        }
    }

    fn section_key(&self, keyword: &str, key: &Text) -> Option<CompactString> {
        match self.version {
            DovecotVersion::V2_3 => self
                .schema
                .section_has(keyword, &key.text)
                .then(|| key.text.clone()),
            DovecotVersion::V2_4 => self.auto_prefixed(&[keyword], &key.text),
        }
    }

    /// 2.4 `config_apply_line_full()`: try `a_b_key`, then `a_key`, then `key`.
    fn auto_prefixed(&self, prefix: &[&str], key: &str) -> Option<CompactString> {
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
            .map(CompactString::from)
    }

    /// 2.3 names the enclosing sections: `service { inet_listener { ` (filters do not count).
    fn section_path(&self) -> String {
        self.stack
            .iter()
            .filter_map(|e| e.frame.keyword())
            .map(|k| format!("{k} {{ "))
            .collect()
    }

    /// An unknown name. Near a real one: MX205 with a suggestion. Certainly wrong — not an
    /// identifier, a key of another section, or in a 2.3 section whose keys are fixed — the
    /// error doveconf gives (MX201). Otherwise it may be a plugin's setting: recorded, not flagged.
    fn unknown_setting(&mut self, key: &Text, span: Span) {
        let top = self.top_frame().cloned();
        let k = key.text.as_str();
        let (message, candidates): (String, Vec<&str>) = match (self.version, &top) {
            (DovecotVersion::V2_3, Some(Frame::Service { .. })) => {
                (format!("Unknown setting: {}{k}", self.section_path()), self.keys_of("service"))
            }
            (DovecotVersion::V2_3, Some(Frame::Keyed { keyword, .. } | Frame::Listener { keyword })) => {
                (format!("Unknown setting: {}{k}", self.section_path()), self.keys_of(keyword))
            }
            (DovecotVersion::V2_3, _) => (
                format!("Unknown setting: {}{k}", self.section_path()),
                self.schema.settings.iter().copied().collect(),
            ),
            (DovecotVersion::V2_4, Some(Frame::Service { name })) => (
                format!("{k}: Unknown setting: {k} (service_{k} or service_{name}_{k} not found either.)"),
                self.unprefixed("service"),
            ),
            (DovecotVersion::V2_4, _) => (
                format!("{k}: Unknown setting: {k}"),
                self.schema.settings.iter().copied().collect(),
            ),
        };
        let lowercase = k.to_ascii_lowercase();
        let suggestion = candidates
            .iter()
            .find(|c| **c == lowercase && lowercase != k)
            .copied()
            .or_else(|| did_you_mean(k, candidates.iter().copied()))
            .map(str::to_string);
        let fixed_keys = self.v23()
            && matches!(
                top,
                Some(Frame::Service { .. } | Frame::Keyed { .. } | Frame::Listener { .. })
            );
        let definite =
            fixed_keys || !is_identifier(k) || k.contains('/') || self.known_elsewhere(k);
        let kind = if suggestion.is_none() && definite {
            ProblemKind::Syntax
        } else {
            ProblemKind::UnknownSetting {
                key: k.to_string(),
                suggestion,
            }
        };
        self.problem(span, kind, message);
    }

    /// A key of some section other than the current one (`vsz_limit` at top level).
    fn known_elsewhere(&self, key: &str) -> bool {
        self.v23()
            && self
                .schema
                .section_keys
                .values()
                .any(|keys| keys.contains(key))
    }

    fn keys_of(&self, keyword: &str) -> Vec<&'static str> {
        let keys = self.schema.section_keys.get(keyword);
        keys.map(|k| k.iter().copied().collect())
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
        // Inside a section Dovecot already refused, report nothing more: one error, not one per
        // nesting level (and no path text that grows with the depth).
        let frame = match self.version {
            _ if matches!(self.top_frame(), Some(Frame::Opaque)) => Frame::Opaque,
            DovecotVersion::V2_3 => self.section_23(line, keyword, name),
            DovecotVersion::V2_4 => self.section_24(line, keyword, name),
        };
        if let Frame::Service { name } = &frame {
            if self.declared.insert(name.clone()) {
                self.out.service_blocks.push((name.clone(), line.span));
            }
        }
        self.push(frame, line.span);
        self.record_listener(line, keyword, name);
    }

    /// Starts recording an `inet_listener` block that the master reads (directly inside a
    /// top-level `service`, outside groups).
    fn record_listener(&mut self, line: &Line, keyword: &Text, name: Option<&Text>) {
        let Some(top) = self.stack.last() else { return };
        let (Frame::Listener { .. }, Scope::Service { name: service, .. }, None) =
            (&top.frame, &top.scope, &top.group)
        else {
            return;
        };
        if keyword.text != "inet_listener" {
            return;
        }
        self.current_listener = Some(self.out.listeners.len());
        self.out.listeners.push(ListenerBlock {
            service: service.clone(),
            name: name.map(|n| n.text.to_string()).unwrap_or_default(),
            header: line.span,
            settings: Vec::new(),
        });
    }

    fn section_23(&mut self, line: &Line, keyword: &Text, name: Option<&Text>) -> Frame {
        let name_text = name.map(|n| n.text.as_str()).unwrap_or_default();
        let kw = keyword.text.as_str();
        let span = clip(keyword.span, line.report_span);
        let parent = self.stack.last().and_then(|e| e.nearest.clone());
        if matches!(parent, Some(Frame::List { .. })) {
            self.problem(
                line.report_span,
                ProblemKind::Syntax,
                "Section not allowed here".into(),
            );
            return Frame::Opaque;
        }
        if CONNECTION_FILTERS.contains(&kw) {
            return self.connection_filter(line, kw, name_text);
        }
        if (kw == "passdb" || kw == "userdb") && self.in_network_filter() {
            let message = format!("Auth settings not supported inside local/remote blocks: {kw}");
            self.problem(span, ProblemKind::Syntax, message);
            return Frame::Opaque;
        }
        let parent_kw = parent.as_ref().and_then(Frame::keyword).unwrap_or("");
        let allowed = CHILDREN_23
            .iter()
            .find(|(p, _)| *p == parent_kw)
            .is_some_and(|(_, children)| children.contains(&kw));
        if !allowed {
            let candidates = CHILDREN_23
                .iter()
                .find(|(p, _)| *p == parent_kw)
                .map_or(&[][..], |(_, c)| *c);
            let suggestion = did_you_mean(kw, candidates.iter().copied()).map(str::to_string);
            let message = format!("Unknown setting: {}{kw} {{ {kw}", self.section_path());
            let kind = match suggestion {
                Some(suggestion) => ProblemKind::UnknownSetting {
                    key: kw.to_string(),
                    suggestion: Some(suggestion),
                },
                None => ProblemKind::Syntax,
            };
            self.problem(span, kind, message);
            return Frame::Opaque;
        }
        match kw {
            "service" => {
                let lower = name_text.to_ascii_lowercase();
                if lower != name_text && self.schema.service_protocol(&lower).is_some() {
                    let span = name.map_or(line.report_span, |n| n.span);
                    self.recased_services.push((span, name_text.to_string()));
                }
                if name.is_none() {
                    self.problem(
                        line.report_span,
                        ProblemKind::Syntax,
                        "Service is missing name".into(),
                    );
                }
                Frame::Service {
                    name: name_text.to_ascii_lowercase(),
                }
            }
            "inet_listener" | "unix_listener" | "fifo_listener" => Frame::Listener {
                keyword: kw.to_string(),
            },
            "plugin" | "dict" => Frame::List {
                setting: kw.to_string(),
            },
            _ => Frame::Keyed {
                keyword: kw.to_string(),
                driver: false,
            },
        }
    }

    fn section_24(&mut self, line: &Line, keyword: &Text, name: Option<&Text>) -> Frame {
        let name_text = name.map(|n| n.text.as_str()).unwrap_or_default();
        let kw = keyword.text.as_str();
        if CONNECTION_FILTERS.contains(&kw) {
            return self.connection_filter(line, kw, name_text);
        }
        if LIST_FILTERS_24.contains(&kw) {
            if name.is_none() {
                self.problem(
                    line.report_span,
                    ProblemKind::Syntax,
                    format!("{kw} {{ }} is missing section name"),
                );
            }
            if kw == "service" {
                let nearest = self.stack.last().and_then(|e| e.nearest.as_ref());
                let parent = nearest.and_then(Frame::keyword).map(str::to_string);
                if let Some(parent) = parent {
                    let message = format!("service {{ .. }} not allowed under {parent} {{ .. }}");
                    self.problem(line.report_span, ProblemKind::Syntax, message);
                }
                return Frame::Service {
                    name: name_text.to_ascii_lowercase(),
                };
            }
            if kw.ends_with("_listener") {
                return Frame::Listener {
                    keyword: kw.to_string(),
                };
            }
            return Frame::Keyed {
                keyword: kw.to_string(),
                driver: true,
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
                driver: true,
            };
        }
        let sections = LIST_FILTERS_24.iter().chain(CONNECTION_FILTERS).copied();
        let suggestion = did_you_mean(kw, sections).map(str::to_string);
        let span = clip(keyword.span, line.report_span);
        let kind = ProblemKind::UnknownSetting {
            key: kw.to_string(),
            suggestion,
        };
        self.problem(span, kind, format!("Unknown section name: {kw}"));
        Frame::Opaque
    }

    /// 2.3 matches a `service` block to a built-in service ignoring case but keeps the new
    /// spelling; every filter block then gets its own copy of the defaults, so the built-in and
    /// the re-cased service both exist and their listeners collide at the end of parsing.
    fn duplicate_listeners(&mut self) {
        if !self.any_filter {
            return;
        }
        for (span, name) in std::mem::take(&mut self.recased_services) {
            let lower = name.to_ascii_lowercase();
            let message = format!(
                "duplicate listener: `service {name}` is the built-in `{lower}` service in other letter case, and with a protocol/local/remote block in the file Dovecot sees both and refuses to start (write `service {lower}`)"
            );
            self.problem(span, ProblemKind::Syntax, message);
        }
    }

    /// `protocol`, `local`, `remote`, `local_name`, with Dovecot's nesting rules.
    fn connection_filter(&mut self, line: &Line, keyword: &str, name: &str) -> Frame {
        self.any_filter = true;
        let top = self.stack.last();
        let enclosing = top.map(|e| e.filters).unwrap_or_default();
        let other_section = top.is_some_and(|e| e.nearest.is_some());
        let inside = |k: &str| enclosing.contains(k);
        let message = match keyword {
            _ if other_section && self.v23() => Some("Section not allowed here".to_string()),
            "protocol" if inside("protocol") => Some("Nested protocol { protocol { .. } } block not allowed".into()),
            "local" if inside("protocol") => Some("protocol { local { .. } } not allowed (use local { protocol { .. } } instead)".into()),
            "local" if inside("remote") => Some("remote { local { .. } } not allowed (use local { remote { .. } } instead)".into()),
            "local" if inside("local_name") => Some("local_name { local { .. } } not allowed (use local { local_name { .. } } instead)".into()),
            "local_name" if inside("remote") => Some("remote { local_name { .. } } not allowed (use local_name { remote { .. } } instead)".into()),
            "local_name" if inside("protocol") => Some("protocol { local_name { .. } } not allowed (use local_name { protocol { .. } } instead)".into()),
            "remote" if inside("protocol") => Some("protocol { remote { .. } } not allowed (use remote { protocol { .. } } instead)".into()),
            "local" | "remote" => self.network_problem(keyword, name),
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
        let max = match addr.parse::<std::net::IpAddr>() {
            Ok(std::net::IpAddr::V4(_)) => 32,
            Ok(std::net::IpAddr::V6(_)) => 128,
            Err(_) => return None,
        };
        if let Some(bits) = bits {
            if bits.is_empty()
                || !bits.bytes().all(|b| b.is_ascii_digit())
                || bits.parse::<u32>().map_or(true, |b| b > max)
            {
                return Some(format!("Invalid network mask: {name}"));
            }
        }
        let top = self.stack.last()?;
        let parent = if keyword == "local" {
            top.local.clone()
        } else {
            top.remote.clone()
        }?;
        (!network_contains(&parent, name))
            .then(|| format!("{keyword} {parent} {{ {keyword} {name} {{ .. }} }} requires {name} to be inside {parent}"))
    }
}

/// A span cut to start no earlier than the line's last physical line, where doveconf reports.
pub(crate) fn clip(span: Span, report: Span) -> Span {
    if span.file != report.file || span.start() >= report.start() {
        return span;
    }
    Span::new(report.file, report.start(), span.end().max(report.start()))
}

/// Setting names are identifiers; a key with quotes, braces or a BOM is no plugin's setting.
fn is_identifier(key: &str) -> bool {
    !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'/' | b'@'))
}

/// Whether `inner` (IP[/bits]) lies inside `outer` (IP[/bits]); host names count as inside.
fn network_contains(outer: &str, inner: &str) -> bool {
    fn parse(net: &str) -> Option<(u128, u32, bool)> {
        let (addr, bits) = net.split_once('/').unwrap_or((net, ""));
        let (value, max, v4) = match addr.parse::<std::net::IpAddr>().ok()? {
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
