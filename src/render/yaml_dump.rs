//! render::yaml_dump: `yaml.dump(value, Dumper=AnsibleDumper, allow_unicode=True, …)` as
//! `to_yaml`/`to_nice_yaml` call it — PyYAML's representer (sorted keys, YAML 1.1 quoting of
//! strings that would read back as another type, float spelling) and its emitter (scalar
//! style choice, 80-column folding, flow vs block collections).
//!
//! Written from the behaviour of PyYAML 6 / libyaml 0.2 (`yaml/emitter.py`, `representer.py`),
//! one function per emitter state; checked against PyYAML in the render parity test.

use super::dump::{float_repr, Py};
use super::UNKNOWN_PLACEHOLDER;
use crate::ansible::yaml11::{resolve_plain, Scalar};
use minijinja::{Error, ErrorKind};

/// `yaml.dump` options the filters pass.
#[derive(Clone, Copy, Debug)]
pub(crate) struct YamlStyle {
    pub indent: usize,
    /// `default_flow_style`: `None` puts collections of scalars in flow style.
    pub flow: Option<bool>,
    pub sort_keys: bool,
    pub width: usize,
}

/// A representer node.
enum Node {
    Scalar {
        text: String,
        /// The plain form reads back as this value (PyYAML's `implicit[0]`).
        plain_ok: bool,
    },
    Seq(Vec<Node>, bool),
    Map(Vec<(Node, Node)>, bool),
}

/// Dumps one document.
pub(crate) fn dump(p: &Py, style: YamlStyle) -> Result<String, Error> {
    let node = represent(p, &style)?;
    let mut e = Emitter::new(style);
    e.document(&node);
    Ok(e.out)
}

fn represent(p: &Py, style: &YamlStyle) -> Result<Node, Error> {
    Ok(match p {
        Py::None => plain("null"),
        Py::Bool(b) => plain(if *b { "true" } else { "false" }),
        Py::Int(i) => plain(&i.to_string()),
        Py::Float(f) => plain(&yaml_float(*f)),
        Py::Date(d) => plain(&d.iso(' ')),
        Py::Str(s) => string(s),
        Py::Unknown => string(UNKNOWN_PLACEHOLDER),
        Py::List(items) => {
            let nodes = items
                .iter()
                .map(|i| represent(i, style))
                .collect::<Result<Vec<_>, _>>()?;
            let flow = flow_style(style, nodes.iter());
            Node::Seq(nodes, flow)
        }
        Py::Dict(items) => {
            let mut items: Vec<&(Py, Py)> = items.iter().collect();
            if style.sort_keys {
                sort_keys(&mut items)?;
            }
            let nodes = items
                .iter()
                .map(|(k, v)| Ok((represent(k, style)?, represent(v, style)?)))
                .collect::<Result<Vec<_>, Error>>()?;
            let flow = flow_style(style, nodes.iter().flat_map(|(k, v)| [k, v]));
            Node::Map(nodes, flow)
        }
    })
}

fn plain(text: &str) -> Node {
    Node::Scalar {
        text: text.to_string(),
        plain_ok: true,
    }
}

/// A string must be quoted when its plain form would resolve to another type.
fn string(s: &str) -> Node {
    let plain_ok = matches!(resolve_plain(s), Scalar::Str(_)) && s != "<<" && s != "=";
    Node::Scalar {
        text: s.to_string(),
        plain_ok,
    }
}

/// `default_flow_style=None`: flow style when every child is a scalar.
fn flow_style<'a>(style: &YamlStyle, mut children: impl Iterator<Item = &'a Node>) -> bool {
    match style.flow {
        Some(flow) => flow,
        None => children.all(|n| matches!(n, Node::Scalar { .. })),
    }
}

/// PyYAML's `represent_float`: `repr` lowercased, `.0` added before a bare exponent.
fn yaml_float(f: f64) -> String {
    if f.is_nan() {
        return ".nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            ".inf".into()
        } else {
            "-.inf".into()
        };
    }
    let r = float_repr(f).to_lowercase();
    if !r.contains('.') && r.contains('e') {
        r.replacen('e', ".0e", 1)
    } else {
        r
    }
}

/// `sorted(mapping.items())`: keys of one kind only, as Python refuses to compare others.
fn sort_keys(items: &mut [&(Py, Py)]) -> Result<(), Error> {
    let all_str = items.iter().all(|(k, _)| matches!(k, Py::Str(_)));
    let all_num = items
        .iter()
        .all(|(k, _)| matches!(k, Py::Int(_) | Py::Float(_) | Py::Bool(_)));
    let num = |p: &Py| match p {
        Py::Int(i) => *i as f64,
        Py::Float(f) => *f,
        Py::Bool(b) => f64::from(u8::from(*b)),
        _ => 0.0,
    };
    if all_str {
        items.sort_by(|a, b| match (&a.0, &b.0) {
            (Py::Str(x), Py::Str(y)) => x.chars().cmp(y.chars()),
            _ => std::cmp::Ordering::Equal,
        });
    } else if all_num {
        items.sort_by(|a, b| num(&a.0).total_cmp(&num(&b.0)));
    } else if items.len() > 1 {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            "cannot sort mapping keys of different types",
        ));
    }
    Ok(())
}

/// What `analyze_scalar` finds out about a scalar's text.
struct Analysis {
    empty: bool,
    multiline: bool,
    allow_flow_plain: bool,
    allow_block_plain: bool,
    allow_single_quoted: bool,
}

const BREAKS: [char; 4] = ['\n', '\u{85}', '\u{2028}', '\u{2029}'];

fn is_break(c: char) -> bool {
    BREAKS.contains(&c)
}

fn is_space_or_break(c: Option<&char>) -> bool {
    c.is_none_or(|c| matches!(c, '\0' | ' ' | '\t' | '\r') || is_break(*c))
}

fn analyze(text: &[char]) -> Analysis {
    if text.is_empty() {
        return Analysis {
            empty: true,
            multiline: false,
            allow_flow_plain: false,
            allow_block_plain: true,
            allow_single_quoted: true,
        };
    }
    let starts = |p: &str| text.iter().take(3).copied().eq(p.chars());
    let mut block_ind = starts("---") || starts("...");
    let mut flow_ind = block_ind;
    let (mut line_breaks, mut special) = (false, false);
    let (mut lead_space, mut lead_break, mut trail_space, mut trail_break) =
        (false, false, false, false);
    let (mut break_space, mut space_break) = (false, false);
    let (mut prev_space, mut prev_break) = (false, false);
    let mut preceded_ws = true;
    let last = text.len() - 1;
    for (i, &ch) in text.iter().enumerate() {
        let followed_ws = is_space_or_break(text.get(i + 1));
        if i == 0 {
            if "#,[]{}&*!|>'\"%@`".contains(ch) {
                flow_ind = true;
                block_ind = true;
            }
            if ch == '?' || ch == ':' {
                flow_ind = true;
                block_ind |= followed_ws;
            }
            if ch == '-' && followed_ws {
                flow_ind = true;
                block_ind = true;
            }
        } else {
            if ",?[]{}".contains(ch) {
                flow_ind = true;
            }
            if ch == ':' {
                flow_ind = true;
                block_ind |= followed_ws;
            }
            if ch == '#' && preceded_ws {
                flow_ind = true;
                block_ind = true;
            }
        }
        line_breaks |= is_break(ch);
        if !(ch == '\n' || (' '..='~').contains(&ch)) {
            let printable_unicode = ch == '\u{85}'
                || ('\u{a0}'..='\u{d7ff}').contains(&ch)
                || ('\u{e000}'..='\u{fffd}').contains(&ch)
                || ('\u{10000}'..'\u{10ffff}').contains(&ch);
            // allow_unicode=True: printable non-ASCII stays as is.
            if !printable_unicode || ch == '\u{feff}' {
                special = true;
            }
        }
        if ch == ' ' {
            lead_space |= i == 0;
            trail_space |= i == last;
            break_space |= prev_break;
            prev_space = true;
            prev_break = false;
        } else if is_break(ch) {
            lead_break |= i == 0;
            trail_break |= i == last;
            space_break |= prev_space;
            prev_space = false;
            prev_break = true;
        } else {
            prev_space = false;
            prev_break = false;
        }
        preceded_ws = is_space_or_break(Some(&ch));
    }
    let mut a = Analysis {
        empty: false,
        multiline: line_breaks,
        allow_flow_plain: true,
        allow_block_plain: true,
        allow_single_quoted: true,
    };
    if lead_space || lead_break || trail_space || trail_break {
        a.allow_flow_plain = false;
        a.allow_block_plain = false;
    }
    if break_space {
        a.allow_flow_plain = false;
        a.allow_block_plain = false;
        a.allow_single_quoted = false;
    }
    if space_break || special {
        a.allow_flow_plain = false;
        a.allow_block_plain = false;
        a.allow_single_quoted = false;
    }
    if line_breaks {
        a.allow_flow_plain = false;
        a.allow_block_plain = false;
    }
    if flow_ind {
        a.allow_flow_plain = false;
    }
    if block_ind {
        a.allow_block_plain = false;
    }
    a
}

#[derive(Clone, Copy, PartialEq)]
enum ScalarStyle {
    Plain,
    Single,
    Double,
}

/// Where a node sits (the emitter's `*_context` flags).
#[derive(Clone, Copy, Default)]
struct Place {
    mapping: bool,
    simple_key: bool,
}

struct Emitter {
    out: String,
    style: YamlStyle,
    column: usize,
    indent: Option<usize>,
    indents: Vec<Option<usize>>,
    flow_level: usize,
    whitespace: bool,
    indention: bool,
}

impl Emitter {
    fn new(style: YamlStyle) -> Emitter {
        Emitter {
            out: String::new(),
            style,
            column: 0,
            indent: None,
            indents: Vec::new(),
            flow_level: 0,
            whitespace: true,
            indention: true,
        }
    }

    /// One document. libyaml (Ansible's `CSafeDumper`) writes neither `---` nor the `...`
    /// that pure-Python PyYAML adds after a plain root scalar.
    fn document(&mut self, node: &Node) {
        self.node(node, Place::default());
        self.write_indent();
    }

    fn increase_indent(&mut self, flow: bool, indentless: bool) {
        self.indents.push(self.indent);
        self.indent = match self.indent {
            None if flow => Some(self.style.indent),
            None => Some(0),
            Some(i) if !indentless => Some(i + self.style.indent),
            Some(i) => Some(i),
        };
    }

    fn pop_indent(&mut self) {
        self.indent = self.indents.pop().flatten();
    }

    fn node(&mut self, node: &Node, place: Place) {
        match node {
            Node::Scalar { text, plain_ok } => {
                self.increase_indent(true, false);
                self.scalar(text, *plain_ok, place);
                self.pop_indent();
            }
            Node::Seq(items, flow) => {
                if self.flow_level > 0 || *flow || items.is_empty() {
                    self.flow_sequence(items);
                } else {
                    self.block_sequence(items, place);
                }
            }
            Node::Map(items, flow) => {
                if self.flow_level > 0 || *flow || items.is_empty() {
                    self.flow_mapping(items);
                } else {
                    self.block_mapping(items);
                }
            }
        }
    }

    fn flow_sequence(&mut self, items: &[Node]) {
        self.write_indicator("[", true, true, false);
        self.flow_level += 1;
        self.increase_indent(true, false);
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.write_indicator(",", false, false, false);
            }
            if self.column > self.style.width {
                self.write_indent();
            }
            self.node(item, Place::default());
        }
        self.pop_indent();
        self.flow_level -= 1;
        self.write_indicator("]", false, false, false);
    }

    fn flow_mapping(&mut self, items: &[(Node, Node)]) {
        self.write_indicator("{", true, true, false);
        self.flow_level += 1;
        self.increase_indent(true, false);
        for (i, (k, v)) in items.iter().enumerate() {
            if i > 0 {
                self.write_indicator(",", false, false, false);
            }
            if self.column > self.style.width {
                self.write_indent();
            }
            let map = Place {
                mapping: true,
                ..Place::default()
            };
            self.mapping_key(k, map, false);
            self.node(v, map);
        }
        self.pop_indent();
        self.flow_level -= 1;
        self.write_indicator("}", false, false, false);
    }

    fn block_sequence(&mut self, items: &[Node], place: Place) {
        let indentless = place.mapping && !self.indention;
        self.increase_indent(false, indentless);
        for item in items {
            self.write_indent();
            self.write_indicator("-", true, false, true);
            self.node(item, Place::default());
        }
        self.pop_indent();
    }

    fn block_mapping(&mut self, items: &[(Node, Node)]) {
        self.increase_indent(false, false);
        let map = Place {
            mapping: true,
            ..Place::default()
        };
        for (k, v) in items {
            self.write_indent();
            self.mapping_key(k, map, true);
            self.node(v, map);
        }
        self.pop_indent();
    }

    /// A mapping's key and its `:`, shared by flow and block mappings (PyYAML's
    /// `expect_*_mapping_key`): they differ only in whether a complex key's `:` always starts
    /// a new line and keeps the indention.
    fn mapping_key(&mut self, k: &Node, map: Place, block: bool) {
        if simple_key(k) {
            self.node(
                k,
                Place {
                    simple_key: true,
                    ..map
                },
            );
            self.write_indicator(":", false, false, false);
        } else {
            self.write_indicator("?", true, false, block);
            self.node(k, map);
            if block || self.column > self.style.width {
                self.write_indent();
            }
            self.write_indicator(":", true, false, block);
        }
    }

    fn scalar(&mut self, text: &str, plain_ok: bool, place: Place) {
        let chars: Vec<char> = text.chars().collect();
        let a = analyze(&chars);
        let split = !place.simple_key;
        match self.choose_style(&a, plain_ok, place) {
            ScalarStyle::Plain => self.write_plain(&chars, split),
            ScalarStyle::Single => self.write_single_quoted(&chars, split),
            ScalarStyle::Double => self.write_double_quoted(&chars, split),
        }
    }

    fn choose_style(&self, a: &Analysis, plain_ok: bool, place: Place) -> ScalarStyle {
        let plain_allowed = if self.flow_level > 0 {
            a.allow_flow_plain
        } else {
            a.allow_block_plain
        };
        if plain_ok && !(place.simple_key && (a.empty || a.multiline)) && plain_allowed {
            return ScalarStyle::Plain;
        }
        if a.allow_single_quoted && !(place.simple_key && a.multiline) {
            return ScalarStyle::Single;
        }
        ScalarStyle::Double
    }

    fn write_str(&mut self, s: &str) {
        self.column += s.chars().count();
        self.out.push_str(s);
    }

    fn write_chars(&mut self, s: &[char]) {
        self.column += s.len();
        self.out.extend(s.iter());
    }

    fn write_indicator(&mut self, ind: &str, need_ws: bool, whitespace: bool, indention: bool) {
        if !self.whitespace && need_ws {
            self.write_str(" ");
        }
        self.write_str(ind);
        self.whitespace = whitespace;
        self.indention = self.indention && indention;
    }

    fn write_indent(&mut self) {
        let indent = self.indent.unwrap_or(0);
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.write_line_break(None);
        }
        if self.column < indent {
            self.whitespace = true;
            let pad = " ".repeat(indent - self.column);
            self.write_str(&pad);
        }
    }

    fn write_line_break(&mut self, ch: Option<char>) {
        self.out.push(ch.unwrap_or('\n'));
        self.whitespace = true;
        self.indention = true;
        self.column = 0;
    }

    fn write_breaks(&mut self, breaks: &[char]) {
        for &br in breaks {
            self.write_line_break(Some(br));
        }
    }

    /// A run of spaces inside a plain or single-quoted scalar, where PyYAML writes them alike:
    /// a lone space past the width becomes a line break if `may_split`. Says if it did.
    fn write_spaces(&mut self, spaces: &[char], may_split: bool) -> bool {
        if spaces.len() == 1 && self.column > self.style.width && may_split {
            self.write_indent();
            true
        } else {
            self.write_chars(spaces);
            false
        }
    }

    /// A run of line breaks inside a plain or single-quoted scalar, where PyYAML writes them
    /// alike: a leading `\n` doubled (folding would eat it), then the indent.
    fn write_folded_breaks(&mut self, breaks: &[char]) {
        if breaks.first() == Some(&'\n') {
            self.write_line_break(None);
        }
        self.write_breaks(breaks);
        self.write_indent();
    }

    fn write_plain(&mut self, text: &[char], split: bool) {
        if text.is_empty() {
            return;
        }
        if !self.whitespace {
            self.write_str(" ");
        }
        self.whitespace = false;
        self.indention = false;
        let (mut spaces, mut breaks) = (false, false);
        let mut start = 0;
        for end in 0..=text.len() {
            let ch = text.get(end).copied();
            if spaces {
                if ch != Some(' ') {
                    if self.write_spaces(&text[start..end], split) {
                        self.whitespace = false;
                        self.indention = false;
                    }
                    start = end;
                }
            } else if breaks {
                if !ch.is_some_and(is_break) {
                    self.write_folded_breaks(&text[start..end]);
                    self.whitespace = false;
                    self.indention = false;
                    start = end;
                }
            } else if ch.is_none_or(|c| c == ' ' || is_break(c)) {
                self.write_chars(&text[start..end]);
                start = end;
            }
            if let Some(c) = ch {
                spaces = c == ' ';
                breaks = is_break(c);
            }
        }
    }

    fn write_single_quoted(&mut self, text: &[char], split: bool) {
        self.write_indicator("'", true, false, false);
        let (mut spaces, mut breaks) = (false, false);
        let mut start = 0;
        for end in 0..=text.len() {
            let ch = text.get(end).copied();
            if spaces {
                if ch != Some(' ') {
                    self.write_spaces(&text[start..end], split && start != 0 && end != text.len());
                    start = end;
                }
            } else if breaks {
                if !ch.is_some_and(is_break) {
                    self.write_folded_breaks(&text[start..end]);
                    start = end;
                }
            } else if ch.is_none_or(|c| c == ' ' || c == '\'' || is_break(c)) && start < end {
                self.write_chars(&text[start..end]);
                start = end;
            }
            if ch == Some('\'') {
                self.write_str("''");
                start = end + 1;
            }
            if let Some(c) = ch {
                spaces = c == ' ';
                breaks = is_break(c);
            }
        }
        self.write_indicator("'", false, false, false);
    }

    fn write_double_quoted(&mut self, text: &[char], split: bool) {
        self.write_indicator("\"", true, false, false);
        let mut start = 0;
        for end in 0..=text.len() {
            let ch = text.get(end).copied();
            let plain_char = |c: char| {
                (' '..='~').contains(&c)
                    || ('\u{a0}'..='\u{d7ff}').contains(&c)
                    || ('\u{e000}'..='\u{fffd}').contains(&c)
            };
            let needs_escape = match ch {
                None => true,
                Some(c) => "\"\\\u{85}\u{2028}\u{2029}\u{feff}".contains(c) || !plain_char(c),
            };
            if needs_escape {
                if start < end {
                    self.write_chars(&text[start..end]);
                    start = end;
                }
                if let Some(c) = ch {
                    let esc = double_escape(c);
                    self.write_str(&esc);
                    start = end + 1;
                }
            }
            if 0 < end
                && end + 1 < text.len()
                && (ch == Some(' ') || start >= end)
                && self.column + (end.saturating_sub(start)) > self.style.width
                && split
            {
                let mut data: String = text[start.min(end)..end].iter().collect();
                data.push('\\');
                if start < end {
                    start = end;
                }
                self.write_str(&data);
                self.write_indent();
                self.whitespace = false;
                self.indention = false;
                if text.get(start) == Some(&' ') {
                    self.write_str("\\");
                }
            }
        }
        self.write_indicator("\"", false, false, false);
    }
}

fn double_escape(c: char) -> String {
    let short = match c {
        '\0' => Some('0'),
        '\u{7}' => Some('a'),
        '\u{8}' => Some('b'),
        '\t' => Some('t'),
        '\n' => Some('n'),
        '\u{b}' => Some('v'),
        '\u{c}' => Some('f'),
        '\r' => Some('r'),
        '\u{1b}' => Some('e'),
        '"' => Some('"'),
        '\\' => Some('\\'),
        '\u{85}' => Some('N'),
        '\u{a0}' => Some('_'),
        '\u{2028}' => Some('L'),
        '\u{2029}' => Some('P'),
        _ => None,
    };
    match short {
        Some(s) => format!("\\{s}"),
        None if (c as u32) <= 0xff => format!("\\x{:02X}", c as u32),
        None if (c as u32) <= 0xffff => format!("\\u{:04X}", c as u32),
        None => format!("\\U{:08X}", c as u32),
    }
}

/// `check_simple_key` for our nodes: short single-line scalars and empty collections.
fn simple_key(node: &Node) -> bool {
    match node {
        Node::Scalar { text, .. } => {
            let a = analyze(&text.chars().collect::<Vec<_>>());
            text.chars().count() < 128 && !a.empty && !a.multiline
        }
        Node::Seq(items, _) => items.is_empty(),
        Node::Map(items, _) => items.is_empty(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nice(p: &Py) -> String {
        dump(
            p,
            YamlStyle {
                indent: 4,
                flow: Some(false),
                sort_keys: true,
                width: 80,
            },
        )
        .unwrap()
    }

    fn s(x: &str) -> Py {
        Py::Str(x.into())
    }

    #[test]
    fn strings_that_read_back_as_other_types_are_quoted() {
        let list = Py::List(vec![
            s("yes"),
            s("0644"),
            s("a: b"),
            s("-x"),
            s("- x"),
            s(""),
            s("it's"),
        ]);
        assert_eq!(
            nice(&list),
            "- 'yes'\n- '0644'\n- 'a: b'\n- -x\n- '- x'\n- ''\n- it's\n"
        );
    }

    #[test]
    fn nested_mappings_indent_by_four_and_sort() {
        let d = Py::Dict(vec![
            (s("b"), Py::List(vec![Py::Int(1), Py::Float(1e20)])),
            (s("a"), Py::Dict(vec![(s("x"), Py::None)])),
        ]);
        assert_eq!(nice(&d), "a:\n    x: null\nb:\n- 1\n- 1.0e+20\n");
    }

    #[test]
    fn a_root_plain_scalar_has_no_document_end_marker_with_libyaml() {
        assert_eq!(nice(&s("foo")), "foo\n");
        assert_eq!(nice(&s("")), "''\n");
    }
}
