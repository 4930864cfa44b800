//! parse::firewalld: firewalld zone and service XML files, rich-rule text, and the words of a
//! `firewall-cmd` / `firewall-offline-cmd` command line.
//!
//! The XML reader is a small strict one (zone files are tiny): it reports malformed input the
//! way firewalld 1.3.3 does through Python's expat (`INVALID_ZONE: not a valid zone file:
//! mismatched tag: line L, column C`, columns 0-based), and the zone reader then applies
//! `firewall.core.io.zone` (1.3.3): required/optional attributes per element (`PARSE_ERROR:
//! Unexpected element rich-rule`, `Missing attribute protocol for port`), port and protocol
//! checks, the target check. Like firewalld, the first error ends the file; what was read
//! before it is kept for `mxlint show`. Whether service names exist is the model's question
//! (it knows the version and the user's service files). Checked against `firewall-offline-cmd
//! --check-config` in tests/oracle_firewalld.rs.

use crate::model::firewall::catalogue::{intern_proto, resolve_port};
use crate::source::{FileId, Span};

/// More elements than this in one file is not a zone file; stop reading (bounded memory).
const MAX_ELEMENTS: usize = 20_000;
/// Deeper nesting than this is not a zone file either (zone files nest three levels).
const MAX_DEPTH: usize = 64;

/// A value with the span of its text (an attribute value without its quotes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Named {
    pub name: String,
    pub span: Span,
}

/// A `<port port=… protocol=…/>` (zone level or in a rich rule).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZonePort {
    /// As written: a number, a range `A-B`, or an `/etc/services` name.
    pub port: String,
    pub protocol: String,
    /// The `port` attribute value.
    pub span: Span,
    /// The whole element.
    pub element: Span,
}

/// What a rich rule matches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RichElement {
    Service(Named),
    Port(ZonePort),
    /// Any other element (`protocol`, `forward-port`, `icmp-block`, `masquerade`, …).
    Other(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RichAction {
    Accept,
    Reject,
    Drop,
    Mark,
}

/// A rich rule: a `<rule>` element in a zone file, or the text of `--add-rich-rule`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RichRule {
    pub family: Option<String>,
    pub source: Option<String>,
    pub element: Option<RichElement>,
    pub action: Option<RichAction>,
    pub span: Span,
}

impl RichRule {
    /// True when the rule accepts traffic (it opens what it matches).
    pub fn accepts(&self) -> bool {
        self.action == Some(RichAction::Accept)
    }
}

/// The firewalld error class, named as firewalld prints it (`firewall.errors`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    /// Malformed XML in a zone file (rc 112).
    InvalidZone,
    /// Malformed XML in a service file (rc 101).
    InvalidService,
    /// Unknown element, missing or unexpected attribute (rc 28).
    ParseError,
    /// A port firewalld cannot read (rc 102).
    InvalidPort,
    /// A protocol other than tcp/udp/sctp/dccp (rc 103).
    InvalidProtocol,
    /// A zone target other than ACCEPT, %%REJECT%%, DROP, default (rc 105).
    InvalidTarget,
    /// A zone source that is no address, network or MAC (rc 106).
    InvalidAddr,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidZone => "INVALID_ZONE",
            ErrorCode::InvalidService => "INVALID_SERVICE",
            ErrorCode::ParseError => "PARSE_ERROR",
            ErrorCode::InvalidPort => "INVALID_PORT",
            ErrorCode::InvalidProtocol => "INVALID_PROTOCOL",
            ErrorCode::InvalidTarget => "INVALID_TARGET",
            ErrorCode::InvalidAddr => "INVALID_ADDR",
        }
    }
}

/// The first error firewalld reports for a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileError {
    pub code: ErrorCode,
    /// firewalld's text after the code (`Unexpected element rich-rule`).
    pub message: String,
    pub span: Span,
}

impl FileError {
    /// As `firewall-offline-cmd --check-config` prints it after `Configuration error: `.
    pub fn firewalld_text(&self) -> String {
        format!("{}: {}", self.code.as_str(), self.message)
    }
}

/// A zone file (`/etc/firewalld/zones/NAME.xml`). The name comes from the file name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Zone {
    pub name: String,
    pub file: FileId,
    pub target: Option<Named>,
    pub services: Vec<Named>,
    pub ports: Vec<ZonePort>,
    pub sources: Vec<Named>,
    pub rich_rules: Vec<RichRule>,
    pub error: Option<FileError>,
}

/// A service file (`/etc/firewalld/services/NAME.xml`) the repository writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserService {
    pub name: String,
    pub file: FileId,
    pub ports: Vec<ZonePort>,
    /// `<protocol value=…>` and `<port port="" protocol=…>` (firewalld reads the latter as a
    /// protocol: `ipsec.xml` has `ah` and `esp` this way).
    pub protocols: Vec<String>,
    pub includes: Vec<Named>,
    pub error: Option<FileError>,
}

// ---------------------------------------------------------------------------------------------
// XML

struct Attr<'t> {
    name: &'t str,
    value: String,
    value_span: (usize, usize),
}

enum Event<'t> {
    Start {
        name: &'t str,
        attrs: Vec<Attr<'t>>,
        span: (usize, usize),
    },
    End {
        name: &'t str,
    },
}

/// A well-formedness error: expat's message and the byte offset it points at.
struct XmlError {
    message: &'static str,
    at: usize,
}

/// Reads `text` into start/end events (an empty element gives both). Text, comments,
/// processing instructions and the doctype are skipped.
fn xml_events(text: &str) -> Result<Vec<Event<'_>>, XmlError> {
    let b = text.as_bytes();
    let err = |message, at| Err(XmlError { message, at });
    let mut i = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let mut events = Vec::new();
    let mut stack: Vec<&str> = Vec::new();
    let mut root_done = false;
    while i < b.len() {
        if b[i] != b'<' {
            let start = i;
            while i < b.len() && b[i] != b'<' {
                i += 1;
            }
            let chunk = &text[start..i];
            if stack.is_empty() && !chunk.trim_matches([' ', '\t', '\r', '\n']).is_empty() {
                let at =
                    start + chunk.len() - chunk.trim_start_matches([' ', '\t', '\r', '\n']).len();
                return err(
                    if root_done {
                        "junk after document element"
                    } else {
                        "syntax error"
                    },
                    at,
                );
            }
            if let Some(amp) = bad_entity(chunk) {
                return err("undefined entity", start + amp);
            }
            continue;
        }
        let rest = &text[i..];
        if let Some(comment) = rest.strip_prefix("<!--") {
            match comment.find("-->") {
                Some(end) => i += 4 + end + 3,
                None => return err("unclosed token", i),
            }
        } else if rest.starts_with("<?") {
            if root_done && rest.starts_with("<?xml ") {
                return err("XML or text declaration not at start of entity", i);
            }
            match rest.find("?>") {
                Some(end) => i += end + 2,
                None => return err("unclosed token", i),
            }
        } else if rest.starts_with("<!DOCTYPE") && stack.is_empty() && !root_done {
            match rest.find('>') {
                Some(end) => i += end + 1,
                None => return err("unclosed token", i),
            }
        } else if rest.starts_with("<![CDATA[") && !stack.is_empty() {
            match rest.find("]]>") {
                Some(end) => i += end + 3,
                None => return err("unclosed token", i),
            }
        } else if rest.starts_with("</") {
            let name_at = i + 2;
            let name_end = name_at + name_len(&b[name_at..]);
            let name = &text[name_at..name_end];
            let mut j = skip_space(b, name_end);
            if name.is_empty() || j >= b.len() || b[j] != b'>' {
                return err(
                    if j >= b.len() {
                        "unclosed token"
                    } else {
                        "not well-formed (invalid token)"
                    },
                    if name.is_empty() { name_at } else { j },
                );
            }
            j += 1;
            match stack.pop() {
                Some(open) if open == name => {}
                _ => return err("mismatched tag", name_at),
            }
            events.push(Event::End { name });
            if stack.is_empty() {
                root_done = true;
            }
            i = j;
        } else {
            if root_done {
                return err("junk after document element", i);
            }
            let (event, end, empty) = start_tag(text, i)?;
            let Event::Start { name, .. } = &event else {
                unreachable!("start_tag returns a start event")
            };
            let name = *name;
            events.push(event);
            if events.len() > MAX_ELEMENTS || stack.len() >= MAX_DEPTH {
                return err("too many or too deeply nested elements for a zone file", i);
            }
            if empty {
                events.push(Event::End { name });
                if stack.is_empty() {
                    root_done = true;
                }
            } else {
                stack.push(name);
            }
            i = end;
        }
    }
    if !root_done {
        return err("no element found", b.len());
    }
    Ok(events)
}

/// `<name attr="v" …>` or `…/>` at `i`: the event, the offset after it, whether it is empty.
fn start_tag(text: &str, i: usize) -> Result<(Event<'_>, usize, bool), XmlError> {
    let b = text.as_bytes();
    let invalid = |at| XmlError {
        message: "not well-formed (invalid token)",
        at,
    };
    let unclosed = |at| XmlError {
        message: "unclosed token",
        at,
    };
    let name_at = i + 1;
    let name_end = name_at + name_len(&b[name_at..]);
    if name_end == name_at {
        return Err(invalid(name_at));
    }
    let name = &text[name_at..name_end];
    let mut attrs: Vec<Attr> = Vec::new();
    let mut j = name_end;
    loop {
        let spaced = j < b.len() && is_space(b[j]);
        j = skip_space(b, j);
        match b.get(j) {
            None => return Err(unclosed(i)),
            Some(b'>') => {
                return Ok((
                    Event::Start {
                        name,
                        attrs,
                        span: (i, j + 1),
                    },
                    j + 1,
                    false,
                ))
            }
            Some(b'/') if b.get(j + 1) == Some(&b'>') => {
                return Ok((
                    Event::Start {
                        name,
                        attrs,
                        span: (i, j + 2),
                    },
                    j + 2,
                    true,
                ))
            }
            Some(_) if !spaced => return Err(invalid(j)),
            Some(_) => {}
        }
        let attr_at = j;
        let attr_end = attr_at + name_len(&b[attr_at..]);
        if attr_end == attr_at {
            return Err(invalid(attr_at));
        }
        let attr_name = &text[attr_at..attr_end];
        j = skip_space(b, attr_end);
        if b.get(j) != Some(&b'=') {
            return Err(if j >= b.len() {
                unclosed(i)
            } else {
                invalid(j)
            });
        }
        j = skip_space(b, j + 1);
        let quote = match b.get(j) {
            Some(q @ (b'"' | b'\'')) => *q,
            None => return Err(unclosed(i)),
            Some(_) => return Err(invalid(j)),
        };
        let value_at = j + 1;
        let Some(len) = b[value_at..].iter().position(|&c| c == quote) else {
            return Err(unclosed(i));
        };
        let raw = &text[value_at..value_at + len];
        if let Some(lt) = raw.find('<') {
            return Err(invalid(value_at + lt));
        }
        let value = decode_entities(raw).map_err(|at| XmlError {
            message: "undefined entity",
            at: value_at + at,
        })?;
        if attrs.iter().any(|a| a.name == attr_name) {
            return Err(XmlError {
                message: "duplicate attribute",
                at: attr_at,
            });
        }
        attrs.push(Attr {
            name: attr_name,
            value,
            value_span: (value_at, value_at + len),
        });
        j = value_at + len + 1;
    }
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

fn skip_space(b: &[u8], mut j: usize) -> usize {
    while j < b.len() && is_space(b[j]) {
        j += 1;
    }
    j
}

/// Length of the XML name at the start of `b` (ASCII name characters and any non-ASCII byte).
fn name_len(b: &[u8]) -> usize {
    let ok_first = |c: u8| c.is_ascii_alphabetic() || c == b'_' || c == b':' || c >= 0x80;
    let ok = |c: u8| ok_first(c) || c.is_ascii_digit() || c == b'-' || c == b'.';
    match b.first() {
        Some(&c) if ok_first(c) => 1 + b[1..].iter().take_while(|&&c| ok(c)).count(),
        _ => 0,
    }
}

/// Offset of the first bad `&` reference in text content, if any.
fn bad_entity(text: &str) -> Option<usize> {
    decode_entities(text).err()
}

/// Replaces the five predefined entities and character references; the error is the offset
/// of a reference expat would refuse.
fn decode_entities(raw: &str) -> Result<String, usize> {
    if !raw.contains('&') {
        return Ok(raw.to_string());
    }
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let at = raw.len() - rest.len() + amp;
        let end = after.find(';').ok_or(at)?;
        let name = &after[..end];
        let ch = match name {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let code = if let Some(hex) = name.strip_prefix("#x") {
                    u32::from_str_radix(hex, 16).ok()
                } else if let Some(dec) = name.strip_prefix('#') {
                    dec.parse().ok()
                } else {
                    None
                };
                code.and_then(char::from_u32).ok_or(at)?
            }
        };
        out.push(ch);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// expat's position: 1-based line, 0-based column in bytes.
fn line_col(text: &str, at: usize) -> (usize, usize) {
    let at = at.min(text.len());
    let before = &text.as_bytes()[..at];
    let line = 1 + before.iter().filter(|&&c| c == b'\n').count();
    let col = at
        - before
            .iter()
            .rposition(|&c| c == b'\n')
            .map_or(0, |p| p + 1);
    (line, col)
}

// ---------------------------------------------------------------------------------------------
// Zone files

/// Required attributes per element (`Zone.PARSER_REQUIRED_ELEMENT_ATTRS`, 1.3.3).
const ZONE_REQUIRED: &[(&str, &[&str])] = &[
    ("short", &[]),
    ("description", &[]),
    ("zone", &[]),
    ("service", &["name"]),
    ("port", &["port", "protocol"]),
    ("icmp-block", &["name"]),
    ("icmp-type", &["name"]),
    ("forward", &[]),
    ("forward-port", &["port", "protocol"]),
    ("interface", &["name"]),
    ("rule", &[]),
    ("source", &[]),
    ("destination", &[]),
    ("protocol", &["value"]),
    ("source-port", &["port", "protocol"]),
    ("log", &[]),
    ("nflog", &[]),
    ("audit", &[]),
    ("accept", &[]),
    ("reject", &[]),
    ("drop", &[]),
    ("mark", &["set"]),
    ("limit", &["value"]),
    ("icmp-block-inversion", &[]),
];

/// Optional attributes per element (`Zone.PARSER_OPTIONAL_ELEMENT_ATTRS`, 1.3.3).
const ZONE_OPTIONAL: &[(&str, &[&str])] = &[
    ("zone", &["name", "immutable", "target", "version"]),
    ("masquerade", &["enabled"]),
    ("forward-port", &["to-port", "to-addr"]),
    ("rule", &["family", "priority"]),
    ("source", &["address", "mac", "invert", "family", "ipset"]),
    ("destination", &["address", "invert", "ipset"]),
    ("log", &["prefix", "level"]),
    ("nflog", &["group", "prefix", "queue-size"]),
    ("reject", &["type"]),
    ("tcp-mss-clamp", &["value"]),
];

/// Service files (`Service.PARSER_*_ELEMENT_ATTRS`, 1.3.3: every attribute is optional).
const SERVICE_REQUIRED: &[(&str, &[&str])] =
    &[("short", &[]), ("description", &[]), ("service", &[])];
const SERVICE_OPTIONAL: &[(&str, &[&str])] = &[
    ("service", &["name", "version"]),
    ("port", &["port", "protocol"]),
    ("protocol", &["value"]),
    ("module", &["name"]),
    ("destination", &["ipv4", "ipv6"]),
    ("source-port", &["port", "protocol"]),
    ("include", &["service"]),
    ("helper", &["name"]),
];

const ZONE_TARGETS: &[&str] = &["ACCEPT", "%%REJECT%%", "DROP", "{chain}_{zone}", "default"];

/// `parser_check_element_attrs`: the element must be known, carry its required attributes and
/// no others.
fn check_element_attrs(
    name: &str,
    attrs: &[Attr],
    required: &[(&str, &[&str])],
    optional: &[(&str, &[&str])],
) -> Result<(), (ErrorCode, String)> {
    let req = required.iter().find(|(n, _)| *n == name).map(|(_, a)| *a);
    let opt = optional.iter().find(|(n, _)| *n == name).map(|(_, a)| *a);
    if req.is_none() && opt.is_none() {
        return Err((ErrorCode::ParseError, format!("Unexpected element {name}")));
    }
    for want in req.unwrap_or(&[]) {
        if !attrs.iter().any(|a| a.name == *want) {
            return Err((
                ErrorCode::ParseError,
                format!("Missing attribute {want} for {name}"),
            ));
        }
    }
    let allowed = |a: &str| req.unwrap_or(&[]).contains(&a) || opt.unwrap_or(&[]).contains(&a);
    if let Some(extra) = attrs.iter().find(|a| !allowed(a.name)) {
        return Err((
            ErrorCode::ParseError,
            format!("{name}: Unexpected attribute {}", extra.name),
        ));
    }
    Ok(())
}

/// `check_port` and `check_tcpudp` (io_object.py), with their messages.
fn check_port(port: &str, protocol: &str) -> Result<(), (ErrorCode, String)> {
    let trimmed = port.trim();
    let too_big = trimmed.bytes().all(|c| c.is_ascii_digit() || c == b'-')
        && trimmed
            .split('-')
            .any(|n| n.len() > 5 || n.parse::<u32>().is_ok_and(|v| v > 65535));
    if too_big && !trimmed.contains('-') {
        return Err((
            ErrorCode::InvalidPort,
            format!("port number in '{port}' is too big"),
        ));
    }
    if resolve_port(trimmed, None).is_none() {
        return Err((
            ErrorCode::InvalidPort,
            format!("'{port}' is invalid port range"),
        ));
    }
    if intern_proto(protocol).is_none() {
        return Err((
            ErrorCode::InvalidProtocol,
            format!("'{protocol}' not from {{'tcp'|'udp'|'sctp'|'dccp'}}"),
        ));
    }
    Ok(())
}

fn is_mac(text: &str) -> bool {
    let parts: Vec<&str> = text.split(':').collect();
    parts.len() == 6
        && parts
            .iter()
            .all(|p| p.len() == 2 && p.bytes().all(|c| c.is_ascii_hexdigit()))
}

struct ZoneReader {
    file: FileId,
    zone: Zone,
    rule: Option<RichRule>,
    rule_error: bool,
}

impl ZoneReader {
    fn span(&self, (start, end): (usize, usize)) -> Span {
        Span::new(self.file, start, end)
    }

    fn named(&self, attr: &Attr) -> Named {
        Named {
            name: attr.value.clone(),
            span: self.span(attr.value_span),
        }
    }

    fn start(
        &mut self,
        name: &str,
        attrs: &[Attr],
        span: (usize, usize),
    ) -> Result<(), (ErrorCode, String)> {
        if self.rule_error {
            return Ok(());
        }
        check_element_attrs(name, attrs, ZONE_REQUIRED, ZONE_OPTIONAL)?;
        let get = |key: &str| attrs.iter().find(|a| a.name == key);
        let element = self.span(span);
        match name {
            "rule" => {
                self.rule = Some(RichRule {
                    family: get("family").map(|a| a.value.clone()),
                    source: None,
                    element: None,
                    action: None,
                    span: element,
                });
            }
            "service" | "port" | "protocol" | "icmp-block" | "icmp-type" | "masquerade"
            | "forward-port" | "source-port" | "tcp-mss-clamp"
                if self.rule.is_some() =>
            {
                let rich = match name {
                    "service" => get("name").map(|a| RichElement::Service(self.named(a))),
                    "port" => match (get("port"), get("protocol")) {
                        (Some(p), Some(proto)) => Some(RichElement::Port(ZonePort {
                            port: p.value.clone(),
                            protocol: proto.value.clone(),
                            span: self.span(p.value_span),
                            element,
                        })),
                        _ => None,
                    },
                    other => Some(RichElement::Other(other.to_string())),
                };
                if let Some(rule) = self.rule.as_mut() {
                    if rule.element.is_some() {
                        // "Invalid rule: More than one element", the rule is dropped.
                        self.rule_error = true;
                    } else {
                        rule.element = rich;
                    }
                }
            }
            "service" => {
                if let Some(a) = get("name") {
                    if !self.zone.services.iter().any(|s| s.name == a.value) {
                        let named = self.named(a);
                        self.zone.services.push(named);
                    }
                }
            }
            "port" => {
                if let (Some(p), Some(proto)) = (get("port"), get("protocol")) {
                    check_port(&p.value, &proto.value)?;
                    self.zone.ports.push(ZonePort {
                        port: p.value.clone(),
                        protocol: proto.value.clone(),
                        span: self.span(p.value_span),
                        element,
                    });
                }
            }
            "forward-port" | "source-port" => {
                if let (Some(p), Some(proto)) = (get("port"), get("protocol")) {
                    check_port(&p.value, &proto.value)?;
                }
            }
            "accept" | "reject" | "drop" | "mark" => {
                if let Some(rule) = self.rule.as_mut() {
                    rule.action = Some(match name {
                        "accept" => RichAction::Accept,
                        "reject" => RichAction::Reject,
                        "drop" => RichAction::Drop,
                        _ => RichAction::Mark,
                    });
                }
            }
            "source" => self.source(attrs)?,
            "zone" => {
                if let Some(t) = get("target") {
                    if !ZONE_TARGETS.contains(&t.value.as_str()) {
                        return Err((ErrorCode::InvalidTarget, t.value.clone()));
                    }
                    self.zone.target = Some(self.named(t));
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn source(&mut self, attrs: &[Attr]) -> Result<(), (ErrorCode, String)> {
        let get = |key: &str| attrs.iter().find(|a| a.name == key);
        if let Some(rule) = self.rule.as_mut() {
            if rule.source.is_some() {
                self.rule_error = true;
            } else {
                rule.source = get("address")
                    .or(get("mac"))
                    .or(get("ipset"))
                    .map(|a| a.value.clone());
            }
            return Ok(());
        }
        // Zone binding: firewalld warns and skips these combinations.
        if (get("address").is_none() && get("ipset").is_none())
            || (get("address").is_some() && get("ipset").is_some())
            || get("invert").is_some()
        {
            return Ok(());
        }
        if let Some(a) = get("address") {
            if crate::net::Network::parse(&a.value).is_none() && !is_mac(&a.value) {
                return Err((ErrorCode::InvalidAddr, a.value.clone()));
            }
        }
        if let Some(a) = get("address").or(get("ipset")) {
            let named = self.named(a);
            self.zone.sources.push(named);
        }
        Ok(())
    }

    fn end(&mut self, name: &str) {
        if name == "rule" {
            if let Some(rule) = self.rule.take() {
                if !self.rule_error && !self.zone.rich_rules.contains(&rule) {
                    self.zone.rich_rules.push(rule);
                }
            }
            self.rule_error = false;
        }
    }
}

fn xml_error(file: FileId, text: &str, code: ErrorCode, what: &str, e: XmlError) -> FileError {
    let (line, col) = line_col(text, e.at);
    FileError {
        code,
        message: format!(
            "not a valid {what} file: {}: line {line}, column {col}",
            e.message
        ),
        span: Span::new(file, floor_boundary(text, e.at), floor_boundary(text, e.at)),
    }
}

fn floor_boundary(text: &str, at: usize) -> usize {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// Reads a zone file. `name` is the zone's name (the file name without `.xml`).
pub fn parse_zone(file: FileId, name: &str, text: &str) -> Zone {
    let mut reader = ZoneReader {
        file,
        zone: Zone {
            name: name.to_string(),
            file,
            target: None,
            services: Vec::new(),
            ports: Vec::new(),
            sources: Vec::new(),
            rich_rules: Vec::new(),
            error: None,
        },
        rule: None,
        rule_error: false,
    };
    let events = match xml_events(text) {
        Ok(events) => events,
        Err(e) => {
            reader.zone.error = Some(xml_error(file, text, ErrorCode::InvalidZone, "zone", e));
            return reader.zone;
        }
    };
    for event in &events {
        match event {
            Event::Start { name, attrs, span } => {
                if let Err((code, message)) = reader.start(name, attrs, *span) {
                    reader.zone.error = Some(FileError {
                        code,
                        message,
                        span: Span::new(file, span.0, span.1),
                    });
                    break;
                }
            }
            Event::End { name } => reader.end(name),
        }
    }
    reader.zone
}

/// Reads a service file the repository writes. `name` comes from the file name.
pub fn parse_service(file: FileId, name: &str, text: &str) -> UserService {
    let mut service = UserService {
        name: name.to_string(),
        file,
        ports: Vec::new(),
        protocols: Vec::new(),
        includes: Vec::new(),
        error: None,
    };
    let events = match xml_events(text) {
        Ok(events) => events,
        Err(e) => {
            service.error = Some(xml_error(
                file,
                text,
                ErrorCode::InvalidService,
                "service",
                e,
            ));
            return service;
        }
    };
    for event in &events {
        let Event::Start { name, attrs, span } = event else {
            continue;
        };
        let get = |key: &str| attrs.iter().find(|a| a.name == key);
        let element = Span::new(file, span.0, span.1);
        let checked = check_element_attrs(name, attrs, SERVICE_REQUIRED, SERVICE_OPTIONAL)
            .and_then(|()| {
                match (*name, get("port"), get("protocol"), get("service")) {
                    ("port", Some(p), Some(proto), _) if p.value.is_empty() => {
                        service.protocols.push(proto.value.clone());
                    }
                    ("protocol", _, _, _) => {
                        if let Some(v) = get("value") {
                            service.protocols.push(v.value.clone());
                        }
                    }
                    ("port", Some(p), Some(proto), _) => {
                        check_port(&p.value, &proto.value)?;
                        service.ports.push(ZonePort {
                            port: p.value.clone(),
                            protocol: proto.value.clone(),
                            span: Span::new(file, p.value_span.0, p.value_span.1),
                            element,
                        });
                    }
                    ("include", _, _, Some(s)) => service.includes.push(Named {
                        name: s.value.clone(),
                        span: Span::new(file, s.value_span.0, s.value_span.1),
                    }),
                    _ => {}
                }
                Ok(())
            });
        if let Err((code, message)) = checked {
            service.error = Some(FileError {
                code,
                message,
                span: element,
            });
            break;
        }
    }
    service
}

// ---------------------------------------------------------------------------------------------
// Rich-rule text

/// Reads the text of `--add-rich-rule` / `rich_rule:` (`rule family="ipv4" source
/// address="…" service name="smtp" accept`): the parts the exposure model needs. Values may be
/// quoted with `"` or `'`. `span` is where the text is written.
pub fn parse_rich_rule(text: &str, span: Span) -> RichRule {
    let mut rule = RichRule {
        family: None,
        source: None,
        element: None,
        action: None,
        span,
    };
    let words = rich_words(text);
    let value = |key: &str, from: usize| -> Option<String> {
        words[from..]
            .iter()
            .take_while(|(k, v)| v.is_some() || *k == key)
            .find(|(k, v)| *k == key && v.is_some())
            .and_then(|(_, v)| v.clone())
    };
    for (i, (word, val)) in words.iter().enumerate() {
        match (word.as_str(), val) {
            ("family", Some(v)) => rule.family = Some(v.clone()),
            ("source", None) => {
                rule.source = value("address", i + 1).or_else(|| value("ipset", i + 1))
            }
            ("service", None) if rule.element.is_none() => {
                rule.element =
                    value("name", i + 1).map(|name| RichElement::Service(Named { name, span }));
            }
            ("port", None) if rule.element.is_none() => {
                if let (Some(port), Some(protocol)) =
                    (value("port", i + 1), value("protocol", i + 1))
                {
                    rule.element = Some(RichElement::Port(ZonePort {
                        port,
                        protocol,
                        span,
                        element: span,
                    }));
                }
            }
            (
                "protocol" | "icmp-block" | "icmp-type" | "masquerade" | "forward-port"
                | "source-port",
                None,
            ) if rule.element.is_none() => {
                rule.element = Some(RichElement::Other(word.clone()));
            }
            ("accept", None) => rule.action = Some(RichAction::Accept),
            ("reject", None) => rule.action = Some(RichAction::Reject),
            ("drop", None) => rule.action = Some(RichAction::Drop),
            ("mark", None) => rule.action = Some(RichAction::Mark),
            _ => {}
        }
    }
    rule
}

/// Splits rich-rule text into `key` or `key=value` words, unquoting values.
fn rich_words(text: &str) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while out.len() < 256 {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.peek().is_none() {
            break;
        }
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c.is_whitespace() || c == '=' {
                break;
            }
            key.push(c);
            chars.next();
        }
        let mut value = None;
        if chars.peek() == Some(&'=') {
            chars.next();
            let mut v = String::new();
            let quote = chars.peek().copied().filter(|c| *c == '"' || *c == '\'');
            if quote.is_some() {
                chars.next();
            }
            for c in chars.by_ref() {
                if Some(c) == quote || (quote.is_none() && c.is_whitespace()) {
                    break;
                }
                v.push(c);
            }
            value = Some(v);
        }
        out.push((key, value));
    }
    out
}

// ---------------------------------------------------------------------------------------------
// firewall-cmd

/// What a zone change adds or removes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CmdTarget {
    Service(String),
    /// `--add-port=587/tcp`: the port part and the protocol.
    Port {
        port: String,
        proto: String,
    },
    RichRule(String),
    /// Another zone setting (`--add-source`, `--add-masquerade`, …).
    Other(String),
}

/// Where a value is written: the index of the word in `args` and the byte range in that word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WordRange {
    pub word: usize,
    pub range: std::ops::Range<usize>,
}

/// One effect of a `firewall-cmd` / `firewall-offline-cmd` command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CmdEffect {
    /// `--add-*` (`enable`) or `--remove-*` on a zone.
    Change {
        target: CmdTarget,
        enable: bool,
        zone: Option<String>,
        /// `--permanent`, or always for `firewall-offline-cmd`.
        permanent: bool,
        offline: bool,
        value: WordRange,
    },
    /// `--reload` / `--complete-reload`: the permanent configuration becomes the runtime one.
    Reload,
    /// `--runtime-to-permanent`: the runtime configuration is saved.
    RuntimeToPermanent,
    /// `--set-default-zone=Z`.
    SetDefaultZone(String),
}

/// Reads the words of a command line whose first word is `firewall-cmd` or
/// `firewall-offline-cmd` (a path is fine). Options that change a service, policy or ipset
/// definition instead of a zone (`--service=X --add-port=…`, `--new-zone`) give no zone
/// changes. Unknown words are ignored.
pub fn parse_firewall_cmd(args: &[&str]) -> Vec<CmdEffect> {
    let Some(program) = args.first() else {
        return Vec::new();
    };
    let offline = program.rsplit('/').next() == Some("firewall-offline-cmd");
    let mut permanent = offline;
    let mut zone = None;
    let mut other_object = false;
    let mut effects = Vec::new();
    let mut i = 1;
    // (option, value, where the value is) for the zone changes, applied after all options are
    // known: `--permanent` and `--zone` may come after `--add-service`.
    let mut changes: Vec<(&str, String, WordRange)> = Vec::new();
    while i < args.len() {
        let word = args[i];
        let (option, glued) = match word.split_once('=') {
            Some((o, v)) if o.starts_with("--") => (o, Some(v)),
            _ => (word, None),
        };
        let takes_value = option.starts_with("--add-")
            || option.starts_with("--remove-")
            || matches!(
                option,
                "--zone"
                    | "--set-default-zone"
                    | "--service"
                    | "--policy"
                    | "--ipset"
                    | "--helper"
                    | "--icmptype"
                    | "--new-zone"
                    | "--new-service"
                    | "--new-policy"
                    | "--new-ipset"
                    | "--timeout"
            );
        let value = if takes_value {
            match glued {
                Some(v) => Some((
                    v.to_string(),
                    WordRange {
                        word: i,
                        range: option.len() + 1..word.len(),
                    },
                )),
                None if option.starts_with("--add-") && is_flag_only(option) => None,
                None if option.starts_with("--remove-") && is_flag_only(option) => None,
                None => {
                    i += 1;
                    args.get(i).map(|v| {
                        (
                            v.to_string(),
                            WordRange {
                                word: i,
                                range: 0..v.len(),
                            },
                        )
                    })
                }
            }
        } else {
            None
        };
        match option {
            "--permanent" => permanent = true,
            "--zone" => zone = value.map(|(v, _)| v),
            "--reload" | "--complete-reload" => effects.push(CmdEffect::Reload),
            "--runtime-to-permanent" => effects.push(CmdEffect::RuntimeToPermanent),
            "--set-default-zone" => {
                if let Some((v, _)) = value {
                    effects.push(CmdEffect::SetDefaultZone(v));
                }
            }
            "--service" | "--policy" | "--ipset" | "--helper" | "--icmptype" | "--new-zone"
            | "--new-service" | "--new-policy" | "--new-ipset" => other_object = true,
            o if o.starts_with("--add-") || o.starts_with("--remove-") => {
                if let Some((v, at)) = value {
                    changes.push((o, v, at));
                } else {
                    changes.push((
                        o,
                        String::new(),
                        WordRange {
                            word: i,
                            range: 0..word.len(),
                        },
                    ));
                }
            }
            _ => {}
        }
        i += 1;
    }
    if other_object {
        return effects;
    }
    let mut out: Vec<CmdEffect> = changes
        .into_iter()
        .map(|(option, value, at)| {
            let enable = option.starts_with("--add-");
            let what = option
                .trim_start_matches("--add-")
                .trim_start_matches("--remove-");
            let target = match what {
                "service" => CmdTarget::Service(value),
                "port" => match value.split_once('/') {
                    Some((port, proto)) => CmdTarget::Port {
                        port: port.to_string(),
                        proto: proto.to_string(),
                    },
                    None => CmdTarget::Port {
                        port: value,
                        proto: String::new(),
                    },
                },
                "rich-rule" => CmdTarget::RichRule(value),
                other => CmdTarget::Other(other.to_string()),
            };
            CmdEffect::Change {
                target,
                enable,
                zone: zone.clone(),
                permanent,
                offline,
                value: at,
            }
        })
        .collect();
    // Changes happen before a reload on the same line (firewall-cmd runs one action).
    out.extend(effects);
    out
}

/// `--add-masquerade`, `--add-forward`, `--add-icmp-block-inversion` take no value.
fn is_flag_only(option: &str) -> bool {
    matches!(
        option
            .trim_start_matches("--add-")
            .trim_start_matches("--remove-"),
        "masquerade" | "forward" | "icmp-block-inversion"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone(text: &str) -> Zone {
        parse_zone(FileId(0), "public", text)
    }

    fn error(text: &str) -> String {
        zone(text)
            .error
            .map(|e| e.firewalld_text())
            .unwrap_or_default()
    }

    #[test]
    fn reads_a_good_zone() {
        let text = r#"<?xml version="1.0" encoding="utf-8"?>
<zone target="DROP">
  <short>Public</short>
  <service name="smtp"/>
  <service name="smtp-submission"/>
  <port port="4190" protocol="tcp"/>
  <port port="submission" protocol="tcp"/>
  <source address="198.51.100.0/24"/>
  <rule family="ipv4">
    <source address="203.0.113.7"/>
    <service name="managesieve"/>
    <accept/>
  </rule>
  <forward/>
</zone>
"#;
        let z = zone(text);
        assert_eq!(z.error, None);
        let names: Vec<_> = z.services.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["smtp", "smtp-submission"]);
        assert_eq!(
            &text[z.services[1].span.start()..z.services[1].span.end()],
            "smtp-submission"
        );
        assert_eq!(z.ports.len(), 2);
        assert_eq!(z.ports[1].port, "submission");
        assert_eq!(z.sources[0].name, "198.51.100.0/24");
        assert_eq!(z.target.unwrap().name, "DROP");
        let rule = &z.rich_rules[0];
        assert!(rule.accepts());
        assert_eq!(rule.source.as_deref(), Some("203.0.113.7"));
        assert!(matches!(&rule.element, Some(RichElement::Service(s)) if s.name == "managesieve"));
    }

    #[test]
    fn errors_as_firewalld_prints_them() {
        assert_eq!(
            error("<?xml version=\"1.0\"?>\n<zone>\n  <service name=\"smtp\"/>\n  <service name=\"ssh\">\n</zone>\n"),
            "INVALID_ZONE: not a valid zone file: mismatched tag: line 5, column 2"
        );
        assert_eq!(
            error(""),
            "INVALID_ZONE: not a valid zone file: no element found: line 1, column 0"
        );
        assert_eq!(
            error("<zone>\n  <rich-rule family=\"ipv4\"/>\n</zone>\n"),
            "PARSE_ERROR: Unexpected element rich-rule"
        );
        assert_eq!(
            error("<zone><port port=\"25\"/></zone>"),
            "PARSE_ERROR: Missing attribute protocol for port"
        );
        assert_eq!(
            error("<zone><service/></zone>"),
            "PARSE_ERROR: Missing attribute name for service"
        );
        assert_eq!(
            error("<zone><service name=\"a\" x=\"1\"/></zone>"),
            "PARSE_ERROR: service: Unexpected attribute x"
        );
        assert_eq!(
            error("<zone><port port=\"imap3\" protocol=\"tcp\"/></zone>"),
            "INVALID_PORT: 'imap3' is invalid port range"
        );
        assert_eq!(
            error("<zone><port port=\"25\" protocol=\"tpc\"/></zone>"),
            "INVALID_PROTOCOL: 'tpc' not from {'tcp'|'udp'|'sctp'|'dccp'}"
        );
        assert_eq!(error("<zone target=\"REJECT\"/>"), "INVALID_TARGET: REJECT");
        assert_eq!(error("<zone/>"), "");
    }

    #[test]
    fn rich_rule_text() {
        let span = Span::new(FileId(0), 0, 0);
        let r = parse_rich_rule("rule family=\"ipv4\" source address='198.51.100.0/24' port port=\"587\" protocol=\"tcp\" accept", span);
        assert!(r.accepts());
        assert_eq!(r.source.as_deref(), Some("198.51.100.0/24"));
        assert!(
            matches!(&r.element, Some(RichElement::Port(p)) if p.port == "587" && p.protocol == "tcp")
        );
        let r = parse_rich_rule("rule service name=smtp reject", span);
        assert!(!r.accepts());
        assert!(matches!(&r.element, Some(RichElement::Service(s)) if s.name == "smtp"));
    }

    #[test]
    fn firewall_cmd_words() {
        let e = parse_firewall_cmd(&[
            "firewall-cmd",
            "--add-service=smtp",
            "--zone",
            "dmz",
            "--permanent",
        ]);
        assert_eq!(
            e,
            vec![CmdEffect::Change {
                target: CmdTarget::Service("smtp".into()),
                enable: true,
                zone: Some("dmz".into()),
                permanent: true,
                offline: false,
                value: WordRange {
                    word: 1,
                    range: 14..18
                },
            }]
        );
        let e = parse_firewall_cmd(&["/usr/bin/firewall-offline-cmd", "--remove-port", "587/tcp"]);
        assert!(
            matches!(&e[0], CmdEffect::Change { target: CmdTarget::Port { port, proto }, enable: false, permanent: true, offline: true, value, .. } if port == "587" && proto == "tcp" && value.word == 2)
        );
        assert_eq!(
            parse_firewall_cmd(&["firewall-cmd", "--reload"]),
            vec![CmdEffect::Reload]
        );
        assert!(parse_firewall_cmd(&[
            "firewall-cmd",
            "--permanent",
            "--service=x",
            "--add-port=1/tcp"
        ])
        .is_empty());
        let e = parse_firewall_cmd(&[
            "firewall-cmd",
            "--add-masquerade",
            "--add-rich-rule",
            "rule service name=smtp accept",
        ]);
        assert!(
            matches!(&e[0], CmdEffect::Change { target: CmdTarget::Other(o), permanent: false, .. } if o == "masquerade")
        );
        assert!(
            matches!(&e[1], CmdEffect::Change { target: CmdTarget::RichRule(r), .. } if r.contains("smtp"))
        );
    }

    proptest::proptest! {
        #[test]
        fn zone_reader_never_panics(text in r#"[<>/="' a-z!?\-&;#x0-9\n\u{e9}]{0,200}"#) {
            let z = zone(&text);
            if let Some(e) = z.error {
                proptest::prop_assert!(e.span.end() <= text.len());
            }
            let _ = parse_service(FileId(0), "s", &text);
            let _ = parse_rich_rule(&text, Span::new(FileId(0), 0, 0));
            let words: Vec<&str> = text.split_whitespace().collect();
            let _ = parse_firewall_cmd(&words);
        }

        #[test]
        fn zone_reader_never_panics_on_zone_like_text(
            parts in proptest::collection::vec(proptest::sample::select(vec![
                "<zone>", "</zone>", "<zone/>", "<service name=\"smtp\"/>", "<rule>", "</rule>",
                "<accept/>", "<port port=\"587\" protocol=\"tcp\"/>", "<port port='x'", "<!--", "-->",
                "&amp;", "&bad;", "<?xml version=\"1.0\"?>", "\n", "<rich-rule>", "<source address=\"::1\"/>",
            ]), 0..40)
        ) {
            let text = parts.concat();
            let _ = zone(&text);
        }
    }

    #[test]
    fn deep_and_huge_input_is_bounded() {
        let deep = "<zone>".repeat(100_000);
        assert!(zone(&deep).error.is_some());
        let wide = format!("<zone>{}</zone>", "<service name=\"a\"/>".repeat(50_000));
        let z = zone(&wide);
        assert!(z.error.is_some());
        assert!(z.services.len() <= 1);
    }
}
