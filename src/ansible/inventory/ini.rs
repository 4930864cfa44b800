//! inventory::ini: an INI inventory file read line by line as ansible-core 2.19
//! `plugins/inventory/ini.py` reads it.
//!
//! `[group]`, `[group:vars]`, `[group:children]` sections; host lines split like Python's
//! `shlex.split(line, comments=True)` (so `#` ends a line even inside a word, quotes go away and
//! `x="1"` is the int 1); every value read with `ast.literal_eval` and kept as text when that
//! fails (see [`super::literal`]). `;` starts a comment only at the start of a line. A group
//! named in `:children` or `:vars` before its own section is declared when that section comes.
//!
//! Where Ansible gives up on the file at its first bad line, mxlint reports the line as MX104
//! and reads on, so one run shows every problem.

use super::address::{self, expand_hostname_range};
use super::data::{Builder, UNGROUPED};
use super::literal::{literal_eval, Item, Lit, Parsed};
use super::{load_error, GroupId};
use crate::ansible::yaml::{Node, Value};
use crate::diagnostic::Diagnostic;
use crate::source::{FileId, Span};
use indexmap::IndexMap;
use std::ops::Range;
use std::sync::Arc;

/// Python's `str.isspace()`: Unicode white space plus the four separators `\x1c`–`\x1f`.
pub(crate) fn is_python_space(c: char) -> bool {
    c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)
}

/// The lines of `text` as Python's `str.splitlines()` cuts them, as byte ranges.
fn python_lines(text: &str) -> Vec<Range<usize>> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let breaks = matches!(
            c,
            '\n' | '\r'
                | '\x0b'
                | '\x0c'
                | '\x1c'
                | '\x1d'
                | '\x1e'
                | '\u{85}'
                | '\u{2028}'
                | '\u{2029}'
        );
        if !breaks {
            continue;
        }
        lines.push(start..i);
        start = i + c.len_utf8();
        if c == '\r' && chars.peek().is_some_and(|&(_, n)| n == '\n') {
            chars.next();
            start += 1;
        }
    }
    if start < text.len() {
        lines.push(start..text.len());
    }
    lines
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum State {
    Hosts,
    Vars,
    Children,
    /// After a section of an unknown type: its lines are skipped.
    Skip,
}

/// A group used in `:children` or `:vars` before its own section.
struct Pending {
    children: bool,
    span: Span,
    parents: Vec<GroupId>,
}

struct Reader<'a> {
    b: &'a mut Builder,
    file: FileId,
    out: &'a mut Vec<Diagnostic>,
    pending: IndexMap<String, Pending>,
}

/// Reads one INI inventory file into `b`.
pub(crate) fn read(b: &mut Builder, file: FileId, text: &str, out: &mut Vec<Diagnostic>) {
    let mut r = Reader {
        b,
        file,
        out,
        pending: IndexMap::new(),
    };
    let mut group = UNGROUPED;
    let mut state = State::Hosts;
    for range in python_lines(text) {
        let raw = &text[range.clone()];
        let stripped = raw.trim_matches(is_python_space);
        if stripped.is_empty() || stripped.starts_with(['#', ';']) {
            continue;
        }
        let start = range.start + (raw.len() - raw.trim_start_matches(is_python_space).len());
        let line = Line {
            text: stripped,
            start,
        };
        if let Some((name, kind)) = section(stripped) {
            if let Some((g, s)) = r.section(&line, name, kind) {
                (group, state) = (g, s);
            } else {
                state = State::Skip;
            }
            continue;
        }
        if stripped.starts_with('[') && stripped.ends_with(']') {
            r.error(line.span(r.file), format!("Invalid section entry: '{stripped}'. Please make sure that there are no spaces in the section entry, and that there are no other invalid characters"));
            continue;
        }
        match state {
            State::Hosts => r.host_line(&line, group),
            State::Vars => r.vars_line(&line, group),
            State::Children => r.children_line(&line, group),
            State::Skip => {}
        }
    }
    r.unresolved();
}

/// One stripped line and the byte offset of its first character.
struct Line<'a> {
    text: &'a str,
    start: usize,
}

impl Line<'_> {
    fn span(&self, file: FileId) -> Span {
        Span::new(file, self.start, self.start + self.text.len())
    }
}

/// `^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$`: the group name and the optional type.
fn section(line: &str) -> Option<(&str, Option<&str>)> {
    let rest = line.strip_prefix('[')?;
    let name_len = rest
        .find(|c: char| c == ':' || c == ']' || is_python_space(c))
        .unwrap_or(rest.len());
    if name_len == 0 {
        return None;
    }
    let (name, mut rest) = rest.split_at(name_len);
    let mut kind = None;
    if let Some(after) = rest.strip_prefix(':') {
        let len = after
            .find(|c: char| !address::is_word_char(c))
            .unwrap_or(after.len());
        if len == 0 {
            return None;
        }
        kind = Some(&after[..len]);
        rest = &after[len..];
    }
    let rest = rest.strip_prefix(']')?.trim_start_matches(is_python_space);
    (rest.is_empty() || rest.starts_with('#')).then_some((name, kind))
}

/// `^([^:\]\s]+)\s*(?:#.*)?$` for a `:children` line: the group name.
fn child_name(line: &str) -> Option<&str> {
    let run = line
        .find(|c: char| c == ':' || c == ']' || is_python_space(c))
        .unwrap_or(line.len());
    if run == 0 {
        return None;
    }
    let after = line[run..].trim_start_matches(is_python_space);
    if after.is_empty() || after.starts_with('#') {
        return Some(&line[..run]);
    }
    // The regex backtracks to the last `#` inside the name, which then starts the comment.
    line[..run]
        .rfind('#')
        .filter(|&i| i > 0)
        .map(|i| &line[..i])
}

impl Reader<'_> {
    fn error(&mut self, span: Span, message: String) {
        self.out.push(load_error(span, message));
    }

    fn span(&self, range: Range<usize>) -> Span {
        Span::new(self.file, range.start, range.end)
    }

    /// A section header: the group and state it starts, or `None` for an unknown type.
    fn section(&mut self, line: &Line, name: &str, kind: Option<&str>) -> Option<(GroupId, State)> {
        let state = match kind {
            None | Some("hosts") => State::Hosts,
            Some("children") => State::Children,
            Some("vars") => State::Vars,
            Some(other) => {
                let span = line.span(self.file);
                self.error(
                    span,
                    format!("Section [{name}:{other}] has unknown type: {other}"),
                );
                return None;
            }
        };
        let span = line.span(self.file);
        if self.b.group_id(name).is_none()
            && state == State::Vars
            && !self.pending.contains_key(name)
        {
            self.pending.insert(
                name.to_string(),
                Pending {
                    children: false,
                    span,
                    parents: Vec::new(),
                },
            );
        }
        let group = self.b.add_group(name, Some(span));
        if state != State::Vars {
            if let Some(pending) = self.pending.get(name) {
                if pending.children {
                    self.add_pending_children(name);
                } else {
                    self.pending.shift_remove(name);
                }
            }
        }
        Some((group, state))
    }

    /// A declared group that `:children` sections named earlier joins its parents now.
    fn add_pending_children(&mut self, name: &str) {
        let Some(pending) = self.pending.shift_remove(name) else {
            return;
        };
        let child = self
            .b
            .group_id(name)
            .expect("declared before its pending children are added");
        for parent in pending.parents {
            if let Err(message) = self.b.add_child_group(parent, child) {
                self.error(pending.span, message);
            }
            let parent_name = self.b.group(parent).name.clone();
            if self.pending.get(&parent_name).is_some_and(|p| p.children) {
                self.add_pending_children(&parent_name);
            }
        }
    }

    /// Groups still pending at the end of the file were never declared.
    fn unresolved(&mut self) {
        for (name, pending) in std::mem::take(&mut self.pending) {
            let message = if pending.children {
                let parent = pending
                    .parents
                    .last()
                    .map(|&p| self.b.group(p).name.clone());
                format!(
                    "Section [{}:children] includes undefined group '{name}'.",
                    parent.unwrap_or_default()
                )
            } else {
                format!("Section [{name}:vars] not valid for undefined group '{name}'.")
            };
            self.error(pending.span, message);
        }
    }

    fn children_line(&mut self, line: &Line, group: GroupId) {
        let Some(child) = child_name(line.text) else {
            let span = line.span(self.file);
            self.error(span, format!("Expected group name, got: {}", line.text));
            return;
        };
        let span = self.span(line.start..line.start + child.len());
        match self.b.group_id(child) {
            Some(id) => {
                if let Err(message) = self.b.add_child_group(group, id) {
                    self.error(span, message);
                }
            }
            None => {
                let entry = self.pending.entry(child.to_string()).or_insert(Pending {
                    children: true,
                    span,
                    parents: Vec::new(),
                });
                entry.parents.push(group);
            }
        }
    }

    /// `key = value` in a `:vars` section: split at the first `=`, both sides stripped (a `#`
    /// after the value is part of it unless Python reads the value as a literal).
    fn vars_line(&mut self, line: &Line, group: GroupId) {
        let Some(eq) = line.text.find('=') else {
            let span = line.span(self.file);
            self.error(span, format!("Expected key=value, got: {}", line.text));
            return;
        };
        let key = line.text[..eq].trim_matches(is_python_space);
        let after = &line.text[eq + 1..];
        let value = after.trim_matches(is_python_space);
        let value_start =
            line.start + eq + 1 + (after.len() - after.trim_start_matches(is_python_space).len());
        let offsets: Vec<usize> = (0..=value.len()).map(|i| value_start + i).collect();
        let span = self.span(value_start..value_start + value.len());
        match value_node(self.file, value, &offsets, span) {
            Ok(node) => {
                if let Err(message) = self.b.set_group_var(group, key.to_string(), Arc::new(node)) {
                    self.error(span, message);
                }
            }
            Err(message) => self.error(span, message),
        }
    }

    /// A host (or host range) with optional `key=value` variables.
    fn host_line(&mut self, line: &Line, group: GroupId) {
        let tokens = match shlex_split(line.text) {
            Ok(tokens) => tokens,
            Err(why) => {
                let span = line.span(self.file);
                self.error(
                    span,
                    format!("Error parsing host definition '{}': {why}", line.text),
                );
                return;
            }
        };
        let Some((first, rest)) = tokens.split_first() else {
            return;
        };
        let at = |range: Range<usize>| line.start + range.start..line.start + range.end;
        let host_span = self.span(at(first.raw.clone()));
        let (names, port) = match self.expand(first, line.start) {
            Ok(found) => found,
            Err(message) => return self.error(host_span, message),
        };
        let mut vars = Vec::new();
        for token in rest {
            let Some(eq) = token.text.find('=') else {
                let span = self.span(at(token.raw.clone()));
                let message = format!(
                    "Expected key=value host variable assignment, got: {}",
                    token.text
                );
                return self.error(span, message);
            };
            let key = token.text[..eq].to_string();
            let value = &token.text[eq + 1..];
            let offsets: Vec<usize> = token.offsets[eq + 1..]
                .iter()
                .map(|&o| line.start + o)
                .collect();
            let value_start = offsets
                .first()
                .copied()
                .unwrap_or(line.start + token.raw.end);
            let span =
                self.span(value_start.min(line.start + token.raw.end)..line.start + token.raw.end);
            match value_node(self.file, value, &offsets, span) {
                Ok(node) => vars.push((key, Arc::new(node))),
                Err(message) => return self.error(span, message),
            }
        }
        for name in names {
            if name.is_empty() {
                return self.error(host_span, "Invalid empty host name provided: ".into());
            }
            let host = self.b.add_host(&name, group, port.as_ref(), host_span);
            for (key, value) in &vars {
                self.b.set_host_var(host, key.clone(), Arc::clone(value));
            }
        }
    }

    /// `_expand_hostpattern` with the INI plugin's two extra checks.
    fn expand(
        &self,
        token: &Token,
        line_start: usize,
    ) -> Result<(Vec<String>, Option<Arc<Node>>), String> {
        let text = token.text.as_str();
        let (pattern, port) = match address::parse_address(text, true) {
            Some(a) => {
                let port = a.port.map(|(value, digits)| {
                    let start = line_start + token.offsets[digits.start];
                    let end = line_start + token.offsets[digits.end - 1] + 1;
                    Arc::new(Node {
                        value: Value::Int(i128::from(value)),
                        span: Span::new(self.file, start, end),
                    })
                });
                (a.host, port)
            }
            None => (text, None),
        };
        let names = if pattern.contains('[') {
            expand_hostname_range(pattern).map_err(|e| e.0)?
        } else {
            vec![pattern.to_string()]
        };
        if text.trim_matches(is_python_space).ends_with(':') && port.is_none() {
            return Err(format!("Invalid host pattern '{text}' supplied, ending in ':' is not allowed, this character is reserved to provide a port."));
        }
        if names
            .iter()
            .any(|n| n.trim_matches(is_python_space) == "---")
        {
            return Err(format!("Invalid host pattern '{text}' supplied, '---' is normally a sign this is a YAML file."));
        }
        Ok((names, port))
    }
}

/// `_parse_value(text)` as a node: `offsets[i]` is the file offset of byte `i` of `text` (one
/// more entry for its end); `span` covers the value as written (quotes included).
fn value_node(file: FileId, text: &str, offsets: &[usize], span: Span) -> Result<Node, String> {
    match literal_eval(text) {
        // A literal's span is its own text, without a trailing comment or the quotes of the
        // line around it.
        Parsed::Value(item) => Ok(item_node(file, item, offsets)),
        Parsed::Text => Ok(Node {
            value: Value::Str(text.to_string()),
            span,
        }),
        Parsed::Unhashable => Err(format!(
            "unhashable type in `{text}`: a list or dict cannot be a dict key or a set element"
        )),
    }
}

fn item_node(file: FileId, item: Item, offsets: &[usize]) -> Node {
    let start = offsets.get(item.at.start).copied().unwrap_or_default();
    let end = match item.at.end.checked_sub(1).and_then(|i| offsets.get(i)) {
        Some(&last) => last + 1,
        None => start,
    };
    let span = Span::new(file, start, end.max(start));
    let value = match item.lit {
        Lit::None => Value::Null,
        Lit::Bool(b) => Value::Bool(b),
        Lit::Int(i) => Value::Int(i),
        Lit::Float(f) => Value::Float(f),
        Lit::Text(s) | Lit::Str(s) => Value::Str(s),
        Lit::Unsafe(s) => Value::Unsafe(s),
        Lit::Seq(items) => Value::Seq(
            items
                .into_iter()
                .map(|i| item_node(file, i, offsets))
                .collect(),
        ),
        Lit::Dict(pairs) => Value::Map(
            pairs
                .into_iter()
                .map(|(k, v)| (item_node(file, k, offsets), item_node(file, v, offsets)))
                .collect(),
        ),
    };
    Node { value, span }
}

/// One word of a host line: its text after quote removal, the line offset of each byte of the
/// text, and the range of the line it was read from (quotes included).
#[derive(Debug, PartialEq)]
struct Token {
    text: String,
    offsets: Vec<usize>,
    raw: Range<usize>,
}

/// Python's `shlex.split(line, comments=True)` (POSIX mode): words split at ` \t\r\n`, `'…'`
/// taken literally, `"…"` with `\"` and `\\` escapes, `\x` outside quotes is `x`, and a `#`
/// outside quotes ends the line, even in the middle of a word.
fn shlex_split(line: &str) -> Result<Vec<Token>, &'static str> {
    #[derive(PartialEq, Clone, Copy)]
    enum S {
        Space,
        Word,
        Quote(char),
        Escape(Option<char>),
    }
    let mut tokens = Vec::new();
    let mut state = S::Space;
    let mut text = String::new();
    let mut offsets = Vec::new();
    let mut quoted = false;
    let mut start = 0;
    let mut end = 0;
    let push = |text: &mut String, offsets: &mut Vec<usize>, c: char, at: usize| {
        text.push(c);
        offsets.extend(at..at + c.len_utf8());
    };
    let mut chars = line.char_indices();
    loop {
        let next = chars.next();
        let Some((i, c)) = next else {
            match state {
                S::Quote(_) => return Err("No closing quotation"),
                S::Escape(_) => return Err("No escaped character"),
                _ => {}
            }
            break;
        };
        let is_space = matches!(c, ' ' | '\t' | '\r' | '\n');
        match state {
            S::Space | S::Word if is_space => {
                if state == S::Word {
                    tokens.push(Token {
                        text: std::mem::take(&mut text),
                        offsets: std::mem::take(&mut offsets),
                        raw: start..end,
                    });
                    quoted = false;
                }
                state = S::Space;
                continue;
            }
            S::Space | S::Word if c == '#' => break,
            S::Space | S::Word => {
                if state == S::Space {
                    start = i;
                }
                state = match c {
                    '\'' | '"' => S::Quote(c),
                    '\\' => S::Escape(None),
                    _ => {
                        push(&mut text, &mut offsets, c, i);
                        S::Word
                    }
                };
            }
            S::Quote(q) => {
                quoted = true;
                if c == q {
                    state = S::Word;
                } else if c == '\\' && q == '"' {
                    state = S::Escape(Some(q));
                } else {
                    push(&mut text, &mut offsets, c, i);
                }
            }
            S::Escape(inside) => {
                // In double quotes only `"` and `\` are escaped; the backslash stays before
                // anything else.
                if inside.is_some() && c != '\\' && Some(c) != inside {
                    push(&mut text, &mut offsets, '\\', i - 1);
                }
                push(&mut text, &mut offsets, c, i);
                state = match inside {
                    Some(q) => S::Quote(q),
                    None => S::Word,
                };
            }
        }
        end = i + c.len_utf8();
    }
    if state != S::Space && (!text.is_empty() || quoted || state == S::Word) {
        tokens.push(Token {
            text,
            offsets,
            raw: start..end,
        });
    }
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        shlex_split(line)
            .unwrap()
            .into_iter()
            .map(|t| t.text)
            .collect()
    }

    #[test]
    fn shlex_splits_like_python() {
        assert_eq!(words("h x=1 y='a b'"), ["h", "x=1", "y=a b"]);
        assert_eq!(words(r#"h x="a \"b\" \c""#), ["h", r#"x=a "b" \c"#]);
        assert_eq!(words(r"h x=a\ b"), ["h", "x=a b"]);
        assert_eq!(words("h x=a#b c=d"), ["h", "x=a"]);
        assert_eq!(words("h # x=1"), ["h"]);
        assert_eq!(words("h x=''"), ["h", "x="]);
        assert_eq!(words("''"), [""]);
        assert!(shlex_split("h x='open").is_err());
        assert!(shlex_split("h x=\\").is_err());
        let t = &shlex_split("h  x='ab'").unwrap()[1];
        assert_eq!((t.raw.clone(), t.offsets.clone()), (3..9, vec![3, 4, 6, 7]));
    }

    #[test]
    fn sections_and_child_names_follow_the_regexes() {
        assert_eq!(section("[web]"), Some(("web", None)));
        assert_eq!(section("[web:vars]  # c"), Some(("web", Some("vars"))));
        assert_eq!(section("[web:vars] ; c"), None);
        assert_eq!(section("[we b]"), None);
        assert_eq!(section("[web:]"), None);
        assert_eq!(child_name("web # c"), Some("web"));
        assert_eq!(child_name("web#c"), Some("web#c"));
        assert_eq!(child_name("web#x:y"), Some("web"));
        assert_eq!(child_name("web ; c"), None);
    }

    #[test]
    fn python_lines_split_on_every_line_break() {
        let text = "a\r\nb\rc\x0bd\u{2028}e\n";
        let lines: Vec<&str> = python_lines(text).into_iter().map(|r| &text[r]).collect();
        assert_eq!(lines, ["a", "b", "c", "d", "e"]);
    }
}
