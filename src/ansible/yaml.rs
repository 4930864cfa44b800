//! ansible::yaml: Ansible's YAML (PyYAML, YAML 1.1) read into nodes that keep byte spans.
//!
//! Built on saphyr-parser's event stream (the parser under saphyr's `MarkedYaml`): scalars arrive
//! raw, so every plain scalar is resolved by [`super::yaml11`] exactly as PyYAML does, and this
//! module builds the tree itself so that it can keep repeated keys, apply merge keys `<<`, copy
//! aliases with the spans of their anchor, and honour the tags Ansible's loader knows (`!!str`,
//! `!!int`, …, `!vault`, `!unsafe`). Positions are byte offsets into the file (saphyr counts
//! characters). Alias expansion and nesting are bounded, so no input can exhaust memory or stack.
//! Ends at nodes: what a node means to Ansible (a play, an inventory group) is the caller's job.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Span as CharSpan, Tag};

use super::yaml11::{resolve_plain, Scalar};
use crate::source::{FileId, Span};

/// Deepest nesting of collections accepted, counting what aliases copy in.
pub(crate) const MAX_DEPTH: usize = 1_000;
/// Most nodes that anchors and aliases may copy in one file (the billion-laughs guard).
pub(crate) const MAX_COPIED_NODES: usize = 1_000_000;
/// Most string bytes that anchors and aliases may copy in one file.
pub(crate) const MAX_COPIED_BYTES: usize = 64 << 20;

/// What [`Node::to_json`] prints for a `!vault` value: a placeholder, never the ciphertext.
pub const VAULT_PLACEHOLDER: &str = "<vaulted>";

/// One YAML node with the span of its text in the file.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub value: Value,
    pub span: Span,
}

/// What a node holds once PyYAML's resolution rules are applied.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    /// A date or date-time, kept as written (`2024-01-02`).
    Timestamp(String),
    Seq(Vec<Node>),
    /// Entries in file order after merge keys are applied: the merged entries first (as PyYAML
    /// puts them), then the mapping's own. A repeated key is kept twice and its last value wins
    /// (as in PyYAML), so lookups search from the end; merged entries that an explicit key
    /// overrides are dropped.
    Map(Vec<(Node, Node)>),
    /// `!vault |` ciphertext: opaque, never decrypted, never printed.
    Vault,
    /// `!unsafe` text: a string Ansible never templates.
    Unsafe(String),
}

/// A document that could not be read, at the position the YAML parser gave.
#[derive(Clone, Debug, PartialEq)]
pub struct YamlError {
    pub message: String,
    pub span: Span,
}

impl Node {
    /// The value of the last entry whose key is the string `key` (PyYAML keeps the last).
    pub fn get(&self, key: &str) -> Option<&Node> {
        let entries = self.as_map()?;
        let (_, value) = entries
            .iter()
            .rev()
            .find(|(k, _)| k.as_str() == Some(key))?;
        Some(value)
    }

    /// The text of a string, `!unsafe` included.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) | Value::Unsafe(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(items) => Some(items),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        self.value == Value::Null
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.value {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// Entries of a mapping whose key is a string, in map order. A repeated key comes more than
    /// once; the last one is the value Ansible sees.
    pub fn map_entries_str(&self) -> impl Iterator<Item = (&str, &Node)> {
        self.as_map()
            .unwrap_or_default()
            .iter()
            .filter_map(|(k, v)| Some((k.as_str()?, v)))
    }

    /// The value as JSON, the way `ansible-inventory --list` prints what PyYAML loaded:
    /// timestamps in Python's ISO format, keys as `json.dumps` writes them (`true`, `null`, `1`),
    /// a repeated key once (first position, last value), `!unsafe` as a plain string (Ansible
    /// wraps it in `{"__ansible_unsafe": …}`), `!vault` as [`VAULT_PLACEHOLDER`], and infinities
    /// and NaN, which JSON cannot hold, as the strings `Infinity`, `-Infinity` and `NaN`.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => int_json(*i),
            Value::Float(f) => float_json(*f),
            Value::Str(s) | Value::Unsafe(s) => J::String(s.clone()),
            Value::Timestamp(t) => J::String(iso_timestamp(t).unwrap_or_else(|| t.clone())),
            Value::Vault => J::String(VAULT_PLACEHOLDER.into()),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => map_json(entries),
        }
    }
}

fn int_json(i: i128) -> serde_json::Value {
    if let Ok(small) = i64::try_from(i) {
        small.into()
    } else if let Ok(big) = u64::try_from(i) {
        big.into()
    } else {
        // Python prints the exact digits; JSON readers without big numbers see this float.
        float_json(i as f64)
    }
}

fn float_json(f: f64) -> serde_json::Value {
    match serde_json::Number::from_f64(f) {
        Some(n) => serde_json::Value::Number(n),
        None => serde_json::Value::String(python_float_text(f)),
    }
}

/// Folds entries as a Python dict does (equal keys: first position, last value), then names
/// each key as `json.dumps` does.
fn map_json(entries: &[(Node, Node)]) -> serde_json::Value {
    let mut folded: Vec<(&Node, &Node)> = Vec::with_capacity(entries.len());
    let mut index: HashMap<PyKey, usize> = HashMap::with_capacity(entries.len());
    for (key, value) in entries {
        match index.get(&PyKey::of(key)) {
            Some(&at) => folded[at].1 = value,
            None => {
                index.insert(PyKey::of(key), folded.len());
                folded.push((key, value));
            }
        }
    }
    let mut object = serde_json::Map::with_capacity(folded.len());
    for (key, value) in folded {
        object.insert(json_key(key), value.to_json());
    }
    serde_json::Value::Object(object)
}

/// How `json.dumps` names a dict key: `True` → `true`, `None` → `null`, `1.5` → `1.5`.
fn json_key(key: &Node) -> String {
    match &key.value {
        Value::Str(s) | Value::Unsafe(s) => s.clone(),
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => python_float_text(*f),
        // json.dumps refuses these keys; their text is the closest useful name.
        Value::Timestamp(t) => iso_timestamp(t).unwrap_or_else(|| t.clone()),
        Value::Vault => VAULT_PLACEHOLDER.into(),
        Value::Seq(_) | Value::Map(_) => key.to_json().to_string(),
    }
}

/// Python's `repr(float)` as `json.dumps` writes it (`1e+20`, `1e-05`, `Infinity`).
fn python_float_text(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    let scientific = format!("{f:e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if (-4..16).contains(&exponent) {
        let plain = format!("{f}");
        if plain.contains('.') {
            plain
        } else {
            format!("{plain}.0")
        }
    } else {
        let sign = if exponent < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exponent.abs())
    }
}

/// A key as Python compares it: `True == 1 == 1.0`, `'a'` equals an unsafe `'a'`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum PyKey {
    Null,
    Int(i128),
    Float(u64),
    Str(String),
    Time(String),
    /// Values Python compares by identity (vaulted strings) or cannot hash: never equal.
    Unique(u32, u32),
}

impl PyKey {
    fn of(node: &Node) -> PyKey {
        match &node.value {
            Value::Null => PyKey::Null,
            Value::Bool(b) => PyKey::Int(i128::from(*b)),
            Value::Int(i) => PyKey::Int(*i),
            Value::Float(f) if f.fract() == 0.0 && f.abs() < 1e38 => PyKey::Int(*f as i128),
            Value::Float(f) => PyKey::Float(f.to_bits()),
            Value::Str(s) | Value::Unsafe(s) => PyKey::Str(s.clone()),
            Value::Timestamp(t) => PyKey::Time(iso_timestamp(t).unwrap_or_else(|| t.clone())),
            Value::Vault | Value::Seq(_) | Value::Map(_) => {
                PyKey::Unique(node.span.start() as u32, node.span.end() as u32)
            }
        }
    }
}

/// Loads every document of a YAML stream (an empty stream gives no documents).
pub fn load(file: FileId, text: &str) -> Result<Vec<Node>, YamlError> {
    let mut builder = Builder::new(file, text);
    if let Some(at) = leading_document_end(text) {
        return Err(builder.error(
            "expected the node content, but found '...'",
            builder.span(at, at + 3),
        ));
    }
    let mut parser = Parser::new_from_str(text);
    // Pulling events one by one (not `Parser::load`, which recurses per level) keeps the stack
    // flat however deep the input nests; the builder stops at MAX_DEPTH.
    while let Some(next) = parser.next_event() {
        let (event, span) = next.map_err(|error| builder.scan_error(&error))?;
        if event == Event::StreamEnd {
            break;
        }
        builder.event(event, span)?;
    }
    Ok(builder.docs)
}

/// A stream whose first line of content is `...`: PyYAML expects a node there, saphyr reads an
/// empty stream.
fn leading_document_end(text: &str) -> Option<usize> {
    let mut at = usize::from(text.starts_with('\u{feff}')) * 3;
    for line in text[at..].split_inclusive('\n') {
        let content = line.trim_start_matches([' ', '\t']);
        match line.strip_prefix("...") {
            Some(rest) if rest.is_empty() || rest.starts_with([' ', '\t', '\r', '\n']) => {
                return Some(at);
            }
            _ if content.trim_end().is_empty() || content.starts_with('#') => at += line.len(),
            _ => return None,
        }
    }
    None
}

/// Byte offset of each character, built only for files that are not pure ASCII.
struct ByteOffsets {
    len: usize,
    table: Option<Vec<u32>>,
}

impl ByteOffsets {
    fn new(text: &str) -> Self {
        let table = (!text.is_ascii()).then(|| {
            let mut table: Vec<u32> = text.char_indices().map(|(at, _)| at as u32).collect();
            table.push(text.len() as u32);
            table
        });
        ByteOffsets {
            len: text.len(),
            table,
        }
    }

    fn byte(&self, char_index: usize) -> usize {
        match &self.table {
            None => char_index.min(self.len),
            Some(table) => table.get(char_index).map_or(self.len, |&at| at as usize),
        }
    }
}

/// Size of a built node, to bound what aliases copy.
#[derive(Clone, Copy, Debug, Default)]
struct Cost {
    nodes: usize,
    bytes: usize,
    height: usize,
}

impl Cost {
    /// One node holding `bytes` of text.
    fn node(bytes: usize) -> Cost {
        Cost {
            nodes: 1,
            bytes,
            height: 1,
        }
    }

    fn scalar(value: &Value) -> Cost {
        match value {
            Value::Str(s) | Value::Unsafe(s) | Value::Timestamp(s) => Cost::node(s.len()),
            _ => Cost::node(0),
        }
    }

    fn add_child(&mut self, child: Cost) {
        self.nodes += child.nodes;
        self.bytes += child.bytes;
        self.height = self.height.max(child.height + 1);
    }
}

enum Body {
    Seq(Vec<Node>),
    Map {
        entries: Vec<(Node, Node)>,
        key: Option<Key>,
        /// Values of `<<` keys, in file order.
        merges: Vec<Node>,
    },
}

enum Key {
    Node(Node),
    Merge,
}

/// A collection being read.
struct Frame {
    body: Body,
    anchor: usize,
    tag: Option<String>,
    start: usize,
    /// End of the text read so far (the last child's), where a block collection ends.
    end: usize,
    cost: Cost,
}

/// What a scalar event turns into.
enum Built {
    Value(Value),
    MergeKey,
}

struct Builder<'t> {
    file: FileId,
    text: &'t str,
    offsets: ByteOffsets,
    docs: Vec<Node>,
    stack: Vec<Frame>,
    anchors: HashMap<usize, (Node, Cost)>,
    copied: Cost,
    /// Byte end of the previous event: a block scalar's `|` header lies after it.
    last_end: usize,
    docs_at_start: usize,
}

/// What handling one event gives: nothing, or the error that ends the load.
type Step = Result<(), YamlError>;

impl<'t> Builder<'t> {
    fn new(file: FileId, text: &'t str) -> Self {
        Builder {
            file,
            text,
            offsets: ByteOffsets::new(text),
            docs: Vec::new(),
            stack: Vec::new(),
            anchors: HashMap::new(),
            copied: Cost::default(),
            last_end: 0,
            docs_at_start: 0,
        }
    }

    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, start, end.max(start))
    }

    fn error(&self, message: impl Into<String>, span: Span) -> YamlError {
        YamlError {
            message: message.into(),
            span,
        }
    }

    /// A parser error: its text names the problem, never the input.
    fn scan_error(&self, error: &ScanError) -> YamlError {
        let at = self.offsets.byte(error.marker().index());
        self.error(error.info(), self.span(at, at))
    }

    fn event(&mut self, event: Event<'_>, span: CharSpan) -> Step {
        let start = self.offsets.byte(span.start.index());
        let end = self.offsets.byte(span.end.index());
        match event {
            // YAML 1.2 allows a bare document after `...`; PyYAML (1.1) wants `---` there.
            Event::DocumentStart(false) if !self.docs.is_empty() => {
                return Err(self.error("expected '<document start>' (---)", self.span(start, end)));
            }
            Event::DocumentStart(_) => {
                // Anchors are scoped to their document, as in PyYAML.
                self.anchors.clear();
                self.docs_at_start = self.docs.len();
            }
            Event::DocumentEnd if self.docs.len() == self.docs_at_start => {
                let span = self.span(start, start);
                self.docs.push(Node {
                    value: Value::Null,
                    span,
                });
            }
            Event::Scalar(text, style, anchor, tag) => {
                self.scalar(text, style, anchor, tag, start, end)?
            }
            Event::Alias(id) => self.alias(id, start, end)?,
            Event::SequenceStart(anchor, tag) => {
                self.open(Body::Seq(Vec::new()), anchor, tag, start, end)?
            }
            Event::MappingStart(anchor, tag) => {
                let body = Body::Map {
                    entries: Vec::new(),
                    key: None,
                    merges: Vec::new(),
                };
                self.open(body, anchor, tag, start, end)?
            }
            Event::SequenceEnd | Event::MappingEnd => self.close(start, end)?,
            _ => {}
        }
        self.last_end = end;
        Ok(())
    }

    fn scalar(
        &mut self,
        text: Cow<'_, str>,
        style: ScalarStyle,
        anchor: usize,
        tag: Option<Cow<'_, Tag>>,
        start: usize,
        end: usize,
    ) -> Step {
        let has_properties = anchor > 0 || tag.is_some();
        let empty = text.is_empty();
        let span = self.scalar_span(style, has_properties, empty, start, end);
        let tag = tag.map(|t| format!("{}{}", t.handle, t.suffix));
        match construct_scalar(text, style, tag.as_deref()) {
            Ok(Built::MergeKey) => self.merge_key(span),
            Ok(Built::Value(value)) => {
                let cost = Cost::scalar(&value);
                self.complete(Node { value, span }, cost, anchor, span.end())
            }
            Err(message) => Err(self.error(message, span)),
        }
    }

    /// Where a scalar's text is: saphyr's span, corrected for block scalars and empty values.
    fn scalar_span(
        &self,
        style: ScalarStyle,
        has_properties: bool,
        empty: bool,
        start: usize,
        end: usize,
    ) -> Span {
        if has_properties {
            return self.span(start, self.trim_end(start, end));
        }
        match style {
            ScalarStyle::Literal | ScalarStyle::Folded => {
                let start = self.block_header(start);
                self.span(start, self.trim_end(start, end))
            }
            ScalarStyle::Plain if empty => {
                let at = self.empty_value_position(start);
                self.span(at, at)
            }
            _ => self.span(start, self.trim_end(start, end)),
        }
    }

    /// saphyr puts an empty value at its key's `:` or at the next token; put it right after the
    /// indicator (`a:|`, `-|`) so that it stays on its key's line.
    fn empty_value_position(&self, at: usize) -> usize {
        let bytes = self.text.as_bytes();
        if bytes.get(at) == Some(&b':') {
            return at + 1;
        }
        let mut at = at;
        while at > self.last_end && matches!(bytes[at - 1], b' ' | b'\t' | b'\r' | b'\n') {
            at -= 1;
        }
        at
    }

    /// saphyr starts a block scalar at its content; move the start back to its `|`/`>` header.
    fn block_header(&self, content: usize) -> usize {
        let bytes = self.text.as_bytes();
        let mut at = self.last_end.min(content);
        while at < content {
            match bytes[at] {
                b'|' | b'>' => return at,
                b'#' => {
                    while at < content && bytes[at] != b'\n' {
                        at += 1;
                    }
                }
                b' ' | b'\t' | b'\r' | b'\n' | b':' | b'-' | b'?' | b',' | b'[' | b'{' => at += 1,
                _ => break,
            }
        }
        content
    }

    /// saphyr's block spans run to the next token; stop them at the last non-blank byte.
    fn trim_end(&self, start: usize, end: usize) -> usize {
        let bytes = self.text.as_bytes();
        let mut end = end.max(start);
        while end > start + 1 && matches!(bytes[end - 1], b' ' | b'\t' | b'\r' | b'\n') {
            end -= 1;
        }
        end
    }

    fn alias(&mut self, id: usize, start: usize, end: usize) -> Step {
        let span = self.span(start, end);
        let Some((node, cost)) = self.anchors.get(&id) else {
            return Err(self.error("found undefined alias", span));
        };
        let (node, cost) = (node.clone(), *cost);
        self.check_depth(cost.height, span)?;
        self.charge(cost, span)?;
        self.attach(node, cost, end)
    }

    fn open(
        &mut self,
        body: Body,
        anchor: usize,
        tag: Option<Cow<'_, Tag>>,
        start: usize,
        end: usize,
    ) -> Step {
        self.check_depth(1, self.span(start, end))?;
        let start = if end == start && matches!(body, Body::Seq(_)) {
            self.block_sequence_start(start)
        } else {
            start
        };
        self.stack.push(Frame {
            body,
            anchor,
            tag: tag.map(|t| format!("{}{}", t.handle, t.suffix)),
            start,
            end: start,
            cost: Cost::node(0),
        });
        Ok(())
    }

    /// A block sequence whose first item has properties starts at them; start at its `-`.
    fn block_sequence_start(&self, start: usize) -> usize {
        let bytes = self.text.as_bytes();
        if bytes.get(start) == Some(&b'-') {
            return start;
        }
        let mut at = start;
        while at > 0 && matches!(bytes[at - 1], b' ' | b'\t') {
            at -= 1;
        }
        if at > 0 && bytes[at - 1] == b'-' {
            at - 1
        } else {
            start
        }
    }

    fn close(&mut self, start: usize, end: usize) -> Step {
        let frame = self
            .stack
            .pop()
            .expect("the parser balances collection events");
        // A flow collection ends after its `]`/`}`; a block one after its last child.
        let node_end = if end > start {
            end
        } else {
            self.trim_end(frame.start, frame.end)
        };
        let span = self.span(frame.start, node_end);
        let mut value = match frame.body {
            Body::Seq(items) => Value::Seq(items),
            Body::Map {
                entries, merges, ..
            } => Value::Map(apply_merges(entries, merges).map_err(|(m, s)| self.error(m, s))?),
        };
        collection_tag(&mut value, frame.tag.as_deref()).map_err(|m| self.error(m, span))?;
        self.complete(Node { value, span }, frame.cost, frame.anchor, node_end)
    }

    fn check_depth(&self, height: usize, span: Span) -> Step {
        if self.stack.len() + height > MAX_DEPTH {
            return Err(self.error(
                format!("nesting deeper than {MAX_DEPTH} levels is not supported"),
                span,
            ));
        }
        Ok(())
    }

    /// Counts what an anchor or alias copies against the file's budget.
    fn charge(&mut self, cost: Cost, span: Span) -> Step {
        self.copied.nodes += cost.nodes;
        self.copied.bytes += cost.bytes;
        if self.copied.nodes > MAX_COPIED_NODES || self.copied.bytes > MAX_COPIED_BYTES {
            return Err(self.error(
                format!(
                    "alias expansion exceeds {MAX_COPIED_NODES} nodes or {MAX_COPIED_BYTES} bytes"
                ),
                span,
            ));
        }
        Ok(())
    }

    /// A finished node: remembered if anchored, then placed in its parent.
    fn complete(&mut self, node: Node, cost: Cost, anchor: usize, text_end: usize) -> Step {
        if anchor > 0 {
            self.charge(cost, node.span)?;
            self.anchors.insert(anchor, (node.clone(), cost));
        }
        self.attach(node, cost, text_end)
    }

    fn attach(&mut self, node: Node, cost: Cost, text_end: usize) -> Step {
        let Some(frame) = self.stack.last_mut() else {
            self.docs.push(node);
            return Ok(());
        };
        frame.end = text_end;
        frame.cost.add_child(cost);
        match &mut frame.body {
            Body::Seq(items) => items.push(node),
            Body::Map {
                entries,
                key,
                merges,
            } => match key.take() {
                None if matches!(node.value, Value::Seq(_) | Value::Map(_)) => {
                    return Err(self.error("found unhashable key", node.span));
                }
                None => *key = Some(Key::Node(node)),
                Some(Key::Merge) => merges.push(node),
                Some(Key::Node(k)) => entries.push((k, node)),
            },
        }
        Ok(())
    }

    /// A plain `<<`: a merge key where a key may stand, an error elsewhere (as in PyYAML).
    fn merge_key(&mut self, span: Span) -> Step {
        if let Some(Frame {
            body: Body::Map {
                key: key @ None, ..
            },
            end,
            ..
        }) = self.stack.last_mut()
        {
            *key = Some(Key::Merge);
            *end = span.end();
            return Ok(());
        }
        Err(self.error(unknown_tag("tag:yaml.org,2002:merge"), span))
    }
}

const CORE: &str = "tag:yaml.org,2002:";

fn unknown_tag(tag: &str) -> String {
    format!("could not determine a constructor for the tag '{tag}'")
}

/// A scalar's value as Ansible's loader builds it (PyYAML's SafeConstructor plus `!unsafe`
/// and `!vault`). Messages never quote the scalar.
fn construct_scalar(
    text: Cow<'_, str>,
    style: ScalarStyle,
    tag: Option<&str>,
) -> Result<Built, String> {
    let plain = style == ScalarStyle::Plain;
    let value = match tag {
        None | Some("!") if plain && text == "<<" => return Ok(Built::MergeKey),
        None | Some("!") if plain => from_scalar(resolve_plain(&text)),
        None | Some("!") => Value::Str(text.into_owned()),
        Some(tag) => match tag.strip_prefix(CORE) {
            Some(name) => return core_scalar(name, text),
            None => local_scalar(tag, &text)?,
        },
    };
    checked(value)
}

/// PyYAML refuses timestamps that are not real dates (`2024-02-30`, hour 25).
fn checked(value: Value) -> Result<Built, String> {
    if let Value::Timestamp(t) = &value {
        if iso_timestamp(t).is_none() {
            return Err("invalid date or time in a timestamp".into());
        }
    }
    Ok(Built::Value(value))
}

fn from_scalar(scalar: Scalar) -> Value {
    match scalar {
        Scalar::Null => Value::Null,
        Scalar::Bool(b) => Value::Bool(b),
        Scalar::Int(i) => Value::Int(i),
        Scalar::Float(f) => Value::Float(f),
        Scalar::Timestamp(t) => Value::Timestamp(t),
        Scalar::Str(s) => Value::Str(s),
    }
}

/// `!!name` on a scalar, as SafeConstructor (and Ansible's `!!python/unicode`) builds it.
fn core_scalar(name: &str, text: Cow<'_, str>) -> Result<Built, String> {
    let invalid = || format!("the value is not a valid !!{name}");
    let value = match name {
        "str" | "python/unicode" => Value::Str(text.into_owned()),
        "int" => Value::Int(construct_int(&text).ok_or_else(invalid)?),
        "float" => Value::Float(construct_float(&text).ok_or_else(invalid)?),
        "bool" => Value::Bool(construct_bool(&text).ok_or_else(invalid)?),
        "null" => Value::Null,
        "timestamp" => match resolve_plain(&text) {
            Scalar::Timestamp(t) => Value::Timestamp(t),
            _ => return Err(invalid()),
        },
        "merge" => return Ok(Built::MergeKey),
        "map" | "python/dict" | "set" | "omap" | "pairs" => {
            return Err("expected a mapping node, but found scalar".into())
        }
        "seq" => return Err("expected a sequence node, but found scalar".into()),
        "binary" => return Err(unsupported(name)),
        _ => return Err(unknown_tag(&format!("{CORE}{name}"))),
    };
    checked(value)
}

fn unsupported(name: &str) -> String {
    format!("the tag '!!{name}' is not supported by mxlint")
}

/// `!unsafe` and `!vault` re-resolve the scalar as if it were plain, even when quoted
/// (ansible `_constructor.py` `_resolve_and_construct_object`): `!unsafe '1'` is the int 1.
fn local_scalar(tag: &str, text: &str) -> Result<Value, String> {
    match (tag, from_scalar(resolve_plain(text))) {
        ("!unsafe", Value::Str(s)) => Ok(Value::Unsafe(s)),
        ("!unsafe", other) => Ok(other),
        ("!vault" | "!vault-encrypted", Value::Str(_)) => Ok(Value::Vault),
        ("!vault" | "!vault-encrypted", _) => {
            Err(format!("the '{tag}' tag requires a string value"))
        }
        _ => Err(unknown_tag(tag)),
    }
}

/// PyYAML's `construct_yaml_int`: `_` dropped, `0b`, `0x`, leading-zero octal (`0o` too, as
/// Python's `int(text, 8)` takes it), base 60, else decimal.
fn construct_int(text: &str) -> Option<i128> {
    let clean: String = text.trim().chars().filter(|&c| c != '_').collect();
    let (sign, body) = match clean.as_bytes().first()? {
        b'-' => (-1, &clean[1..]),
        b'+' => (1, &clean[1..]),
        _ => (1, clean.as_str()),
    };
    let radix = |digits: &str, radix: u32| {
        let valid = !digits.is_empty() && digits.chars().all(|c| c.is_digit(radix));
        valid.then(|| i128::from_str_radix(digits, radix).ok())?
    };
    let value = if body == "0" {
        0
    } else if let Some(bin) = body.strip_prefix("0b") {
        radix(bin, 2)?
    } else if let Some(hex) = body.strip_prefix("0x") {
        radix(hex, 16)?
    } else if let Some(oct) = body.strip_prefix('0') {
        radix(oct.trim_start_matches(['o', 'O']), 8)?
    } else if body.contains(':') {
        body.split(':').try_fold(0i128, |total, part| {
            total.checked_mul(60)?.checked_add(radix(part, 10)?)
        })?
    } else {
        radix(body, 10)?
    };
    Some(sign * value)
}

/// PyYAML's `construct_yaml_float`: `_` dropped, `.inf`/`.nan`, base 60, else Python's float().
fn construct_float(text: &str) -> Option<f64> {
    let clean: String = text.trim().chars().filter(|&c| c != '_').collect();
    let clean = clean.to_ascii_lowercase();
    let (sign, body) = match clean.as_bytes().first()? {
        b'-' => (-1.0, &clean[1..]),
        b'+' => (1.0, &clean[1..]),
        _ => (1.0, clean.as_str()),
    };
    let value = match body {
        ".inf" => f64::INFINITY,
        ".nan" => f64::NAN,
        _ if body.contains(':') => body.split(':').try_fold(0.0, |total, part| {
            Some(total * 60.0 + part.parse::<f64>().ok()?)
        })?,
        _ if body.starts_with(['+', '-']) => return None,
        _ => body.parse::<f64>().ok()?,
    };
    Some(sign * value)
}

/// PyYAML's `construct_yaml_bool`: its six words in any case.
fn construct_bool(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "yes" | "true" | "on" => Some(true),
        "no" | "false" | "off" => Some(false),
        _ => None,
    }
}

/// Tags on a collection: the core `!!map`/`!!seq` (and Ansible's `!!python/dict`) change
/// nothing, `!unsafe` marks every string inside, anything else is refused as PyYAML does.
fn collection_tag(value: &mut Value, tag: Option<&str>) -> Result<(), String> {
    let kind = if matches!(value, Value::Map(_)) {
        "mapping"
    } else {
        "sequence"
    };
    let Some(tag) = tag else { return Ok(()) };
    match (tag.strip_prefix(CORE), kind) {
        (Some("map" | "python/dict"), "mapping") | (Some("seq"), "sequence") => Ok(()),
        (Some("map" | "python/dict"), _) => {
            Err(format!("expected a mapping node, but found {kind}"))
        }
        (Some("seq"), _) => Err(format!("expected a sequence node, but found {kind}")),
        (Some("set" | "omap" | "pairs" | "binary"), _) => Err(unsupported(&tag[CORE.len()..])),
        (Some("str" | "int" | "float" | "bool" | "null" | "timestamp" | "python/unicode"), _) => {
            Err(format!("expected a scalar node, but found {kind}"))
        }
        (None, _) if tag == "!unsafe" => {
            mark_unsafe(value);
            Ok(())
        }
        (None, _) if tag == "!vault" || tag == "!vault-encrypted" => {
            Err(format!("the '{tag}' tag requires a string value"))
        }
        _ => Err(unknown_tag(tag)),
    }
}

/// `!unsafe` on a collection: Ansible builds everything inside untrusted.
fn mark_unsafe(value: &mut Value) {
    match value {
        Value::Str(s) => *value = Value::Unsafe(std::mem::take(s)),
        Value::Seq(items) => items.iter_mut().for_each(|n| mark_unsafe(&mut n.value)),
        Value::Map(entries) => entries.iter_mut().for_each(|(k, v)| {
            mark_unsafe(&mut k.value);
            mark_unsafe(&mut v.value);
        }),
        _ => {}
    }
}

/// PyYAML's `flatten_mapping`: the entries of `<<` values come first. Within a sequence of
/// mappings the earlier mapping wins (the YAML merge-key spec; PyYAML ≤ 6.0.3 does this, 6.0.4
/// only for some keys); a later `<<` key wins over an earlier one, and the mapping's own keys
/// win over all (their merged copies are dropped).
fn apply_merges(
    entries: Vec<(Node, Node)>,
    merges: Vec<Node>,
) -> Result<Vec<(Node, Node)>, (String, Span)> {
    if merges.is_empty() {
        return Ok(entries);
    }
    let mut merged = Folded::default();
    for source in merges {
        match source.value {
            Value::Map(pairs) => pairs.into_iter().for_each(|p| merged.insert_last_wins(p)),
            Value::Seq(items) => first_wins(items)?
                .into_iter()
                .for_each(|p| merged.insert_last_wins(p)),
            _ => {
                let message = "expected a mapping or list of mappings for merging";
                return Err((message.into(), source.span));
            }
        }
    }
    let own: HashSet<PyKey> = entries.iter().map(|(k, _)| PyKey::of(k)).collect();
    let mut out: Vec<(Node, Node)> = merged
        .pairs
        .into_iter()
        .filter(|(k, _)| !own.contains(&PyKey::of(k)))
        .collect();
    out.extend(entries);
    Ok(out)
}

/// `<<: [*a, *b]`: a key takes its value from the first mapping that has it.
fn first_wins(items: Vec<Node>) -> Result<Vec<(Node, Node)>, (String, Span)> {
    let mut out = Folded::default();
    let mut earlier: HashSet<PyKey> = HashSet::new();
    for item in items {
        let Value::Map(pairs) = item.value else {
            return Err(("expected a mapping for merging".into(), item.span));
        };
        let mine: Vec<PyKey> = pairs.iter().map(|(k, _)| PyKey::of(k)).collect();
        for (pair, key) in pairs.into_iter().zip(&mine) {
            if !earlier.contains(key) {
                out.insert_last_wins(pair);
            }
        }
        earlier.extend(mine);
    }
    Ok(out.pairs)
}

/// Entries with unique keys, a Python dict's way: first position, last value.
#[derive(Default)]
struct Folded {
    pairs: Vec<(Node, Node)>,
    index: HashMap<PyKey, usize>,
}

impl Folded {
    fn insert_last_wins(&mut self, (key, value): (Node, Node)) {
        let py = PyKey::of(&key);
        match self.index.get(&py) {
            Some(&at) => self.pairs[at].1 = value,
            None => {
                self.index.insert(py, self.pairs.len());
                self.pairs.push((key, value));
            }
        }
    }
}

/// A timestamp as Python's `isoformat()` prints what PyYAML built (`2024-01-02`,
/// `2024-01-02T10:20:30.500000+02:00`); `None` when PyYAML would refuse it.
fn iso_timestamp(text: &str) -> Option<String> {
    let mut rest = text;
    let year = number(&mut rest, 4, 4)?;
    let month = after(&mut rest, "-").and_then(|_| number(&mut rest, 1, 2))?;
    let day = after(&mut rest, "-").and_then(|_| number(&mut rest, 1, 2))?;
    if year == 0 || !(1..=12).contains(&month) || day == 0 || day > days_in(year, month) {
        return None;
    }
    let date = format!("{year:04}-{month:02}-{day:02}");
    if rest.is_empty() {
        return Some(date);
    }
    rest = rest
        .strip_prefix(['T', 't'])
        .unwrap_or_else(|| rest.trim_start_matches([' ', '\t']));
    let hour = number(&mut rest, 1, 2)?;
    let minute = after(&mut rest, ":").and_then(|_| number(&mut rest, 2, 2))?;
    let second = after(&mut rest, ":").and_then(|_| number(&mut rest, 2, 2))?;
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let mut out = format!("{date}T{hour:02}:{minute:02}:{second:02}");
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.len()
            - fraction
                .trim_start_matches(|c: char| c.is_ascii_digit())
                .len();
        let micros: String = fraction[..digits]
            .chars()
            .chain("000000".chars())
            .take(6)
            .collect();
        if micros != "000000" {
            out.push('.');
            out.push_str(&micros);
        }
        rest = &fraction[digits..];
    }
    out.push_str(&utc_offset(rest.trim_start_matches([' ', '\t']))?);
    Some(out)
}

/// `Z`, `±H[H][:MM]` or nothing, as Python prints the offset (`+00:00`, `-05:30`).
fn utc_offset(zone: &str) -> Option<String> {
    let minutes = match zone {
        "" => return Some(String::new()),
        "Z" => 0,
        _ => {
            let sign = if zone.starts_with('-') { -1 } else { 1 };
            let mut rest = zone.strip_prefix(['+', '-'])?;
            let hours = number(&mut rest, 1, 2)?;
            let minutes = match after(&mut rest, ":") {
                Some(()) => number(&mut rest, 2, 2)?,
                None => 0,
            };
            if !rest.is_empty() {
                return None;
            }
            sign * i64::from(hours * 60 + minutes)
        }
    };
    // Python's timezone() takes offsets strictly within a day.
    if minutes.abs() >= 24 * 60 {
        return None;
    }
    let sign = if minutes < 0 { '-' } else { '+' };
    Some(format!(
        "{sign}{:02}:{:02}",
        minutes.abs() / 60,
        minutes.abs() % 60
    ))
}

/// Reads `min..=max` ASCII digits from the front of `rest`.
fn number(rest: &mut &str, min: usize, max: usize) -> Option<u32> {
    let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    if digits < min || digits > max {
        return None;
    }
    let value = rest[..digits].parse().ok()?;
    *rest = &rest[digits..];
    Some(value)
}

fn after(rest: &mut &str, prefix: &str) -> Option<()> {
    *rest = rest.strip_prefix(prefix)?;
    Some(())
}

fn days_in(year: u32, month: u32) -> u32 {
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_print_as_python_isoformat() {
        let iso = |t: &str| iso_timestamp(t);
        assert_eq!(iso("2024-01-02").as_deref(), Some("2024-01-02"));
        assert_eq!(
            iso("2024-1-2T1:02:03.1234567-05:30").as_deref(),
            Some("2024-01-02T01:02:03.123456-05:30")
        );
        assert_eq!(
            iso("2024-01-02 10:20:30 Z").as_deref(),
            Some("2024-01-02T10:20:30+00:00")
        );
        assert_eq!(
            iso("2024-01-02T10:20:30.000-00:00").as_deref(),
            Some("2024-01-02T10:20:30+00:00")
        );
        assert_eq!(iso("2024-02-30"), None);
        assert_eq!(iso("2024-01-02 24:00:00"), None);
        assert_eq!(iso("2024-01-02T10:20:30+25:00"), None);
    }

    #[test]
    fn python_float_repr() {
        assert_eq!(python_float_text(1.5), "1.5");
        assert_eq!(python_float_text(100.0), "100.0");
        assert_eq!(python_float_text(1e20), "1e+20");
        assert_eq!(python_float_text(1e-5), "1e-05");
        assert_eq!(python_float_text(f64::NEG_INFINITY), "-Infinity");
    }

    fn node(value: Value, at: usize) -> Node {
        Node {
            value,
            span: Span::new(FileId(0), at, at + 1),
        }
    }

    #[test]
    fn repeated_keys_read_as_python_dicts() {
        let entries = vec![
            (node(Value::Str("a".into()), 0), node(Value::Int(1), 1)),
            (node(Value::Bool(true), 2), node(Value::Vault, 3)),
            (node(Value::Int(1), 4), node(Value::Float(f64::INFINITY), 5)),
            (node(Value::Unsafe("a".into()), 6), node(Value::Null, 7)),
        ];
        let map = node(Value::Map(entries), 0);
        assert!(map.get("a").unwrap().is_null());
        let keys: Vec<&str> = map.map_entries_str().map(|(k, _)| k).collect();
        assert_eq!(keys, ["a", "a"]);
        assert_eq!(map.to_json().to_string(), r#"{"a":null,"true":"Infinity"}"#);
        assert_eq!(node(Value::Vault, 0).to_json(), VAULT_PLACEHOLDER);
        assert!(node(Value::Int(1), 0).get("a").is_none());
    }

    #[test]
    fn tagged_ints_and_floats_follow_safe_constructor() {
        assert_eq!(construct_int("0o17"), Some(15));
        assert_eq!(construct_int(" 12 "), Some(12));
        assert_eq!(construct_int("1:30"), Some(90));
        assert_eq!(construct_int("-0x1_f"), Some(-31));
        assert_eq!(construct_int("08"), None);
        assert_eq!(construct_int("foo"), None);
        assert_eq!(construct_float("1e3"), Some(1000.0));
        assert_eq!(construct_float("1:30.5"), Some(90.5));
        assert_eq!(construct_float("-.INF"), Some(f64::NEG_INFINITY));
        assert_eq!(construct_bool("TRUE"), Some(true));
        assert_eq!(construct_bool("y"), None);
    }
}
