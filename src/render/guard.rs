//! render::guard: refuses Jinja text whose syntax tree would be too deep for minijinja to
//! compile, before minijinja sees it.
//!
//! minijinja 3.1's parser reads left-associative chains (`x | f | f …`, `x.a.a …`, `x[0][0] …`,
//! `x()() …`, `x + 1 + 1 …`, `x ~ 'y' ~ …`, `x is t is t …`, `x and y and …`) in a loop
//! without counting depth, and reads `not not …`, `- - …` and `{% elif %}` chains by
//! recursion without a limit; its code generator (and the tree's `Drop`) then recurses once
//! per link. On a 2 MiB thread stack in a debug build that overflows (SIGABRT, no unwinding)
//! at about 930 calls, 1,050 `+`/`~`/`and` links, 1,160 filters/attributes/tests/`not`/`-` and
//! 775 `elif`s. Brackets nested more than 150 deep are refused by minijinja's own parser.
//!
//! The guard scans the text as minijinja's lexer does (same delimiters, strings, comments,
//! `{% raw %}` bodies) and measures each tag's depth: the operators chained in the current
//! operand at each bracket level, summed over the open brackets, plus the brackets open, plus
//! the blocks open and the `elif`s before it. Commas, colons and `=` start a new operand (a
//! 2,000-entry dict literal is flat). Knows nothing about rendering.

use minijinja::syntax::SyntaxConfig;
use minijinja::{Error, ErrorKind};
use std::ops::Range;

/// The deepest tag accepted: about half of what overflows a 2 MiB debug-build stack, and far
/// beyond any real template (a long filter chain is 10–20 deep).
pub(crate) const MAX_DEPTH: usize = 500;

/// The delimiters in effect (a `#jinja2:` header or task options may change them).
#[derive(Clone, Debug)]
pub(crate) struct Delimiters {
    block: (String, String),
    variable: (String, String),
    comment: (String, String),
}

impl Delimiters {
    pub(crate) fn of(syntax: &SyntaxConfig) -> Delimiters {
        let pair = |(s, e): (&str, &str)| (s.to_string(), e.to_string());
        Delimiters {
            block: pair(syntax.block_delimiters()),
            variable: pair(syntax.variable_delimiters()),
            comment: pair(syntax.comment_delimiters()),
        }
    }
}

/// A tag (or expression) too deep to compile, at its byte range in the scanned text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TooDeep {
    pub range: Range<usize>,
    pub depth: usize,
}

impl TooDeep {
    /// Says how deep, never what the tag contains (it may hold secrets).
    pub(crate) fn message(&self) -> String {
        format!(
            "this expression chains {} operations (filters, attributes, calls, operators, \
             nested brackets or `elif`s); mxlint refuses more than {MAX_DEPTH}, as compiling \
             it would overflow the stack",
            self.depth
        )
    }

    /// The refusal as a minijinja syntax error, for code paths that report those.
    pub(crate) fn into_error(self) -> Error {
        Error::new(ErrorKind::SyntaxError, self.message())
    }
}

/// Checks every `{{ }}` and `{% %}` tag of a template.
pub(crate) fn check_template(text: &str, delims: &Delimiters) -> Result<(), TooDeep> {
    match deepest_tag(text, delims) {
        Some(tag) if tag.depth > MAX_DEPTH => Err(tag),
        _ => Ok(()),
    }
}

/// The first of the deepest tags of a template, with its depth.
fn deepest_tag(text: &str, delims: &Delimiters) -> Option<TooDeep> {
    let mut deepest: Option<TooDeep> = None;
    let mut blocks = Blocks::default();
    let mut pos = 0;
    while let Some((start, marker)) = next_marker(text, pos, delims) {
        let open = match marker {
            Marker::Comment => &delims.comment.0,
            Marker::Block => &delims.block.0,
            Marker::Variable => &delims.variable.0,
        };
        let mut inner = start + open.len();
        if matches!(text.as_bytes().get(inner), Some(b'-' | b'+')) {
            inner += 1;
        }
        pos = match marker {
            Marker::Comment => match text[inner..].find(delims.comment.1.as_str()) {
                Some(end) => inner + end + delims.comment.1.len(),
                None => break,
            },
            Marker::Block if raw_tag_end(&text[inner..], "raw", &delims.block.1).is_some() => {
                match skip_raw_body(text, inner, delims) {
                    Some(end) => end,
                    None => break,
                }
            }
            Marker::Block | Marker::Variable => {
                let end = if marker == Marker::Block {
                    &delims.block.1
                } else {
                    &delims.variable.1
                };
                let tag = scan(text, inner, Some(end));
                let base = if marker == Marker::Block {
                    blocks.enter(tag.keyword.as_deref(), tag.assigns)
                } else {
                    blocks.depth()
                };
                let depth = base + tag.depth;
                if deepest.as_ref().is_none_or(|d| depth > d.depth) {
                    deepest = Some(TooDeep {
                        range: start..tag.end,
                        depth,
                    });
                }
                tag.end
            }
        };
    }
    deepest
}

/// Checks an expression compiled on its own (`when:`, a variable that is one `{{ … }}`).
pub(crate) fn check_expression(expr: &str) -> Result<(), TooDeep> {
    let tag = scan(expr, 0, None);
    if tag.depth > MAX_DEPTH {
        return Err(TooDeep {
            range: 0..expr.len(),
            depth: tag.depth,
        });
    }
    Ok(())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Marker {
    Variable,
    Block,
    Comment,
}

/// The leftmost start delimiter at or after `from`, the longest where several start there
/// (minijinja's `StartMarkerMatcher`).
fn next_marker(text: &str, from: usize, d: &Delimiters) -> Option<(usize, Marker)> {
    let candidates = [
        (&d.variable.0, Marker::Variable),
        (&d.block.0, Marker::Block),
        (&d.comment.0, Marker::Comment),
    ];
    candidates
        .iter()
        .filter_map(|(s, m)| Some((from + text.get(from..)?.find(s.as_str())?, s.len(), *m)))
        .min_by_key(|(at, len, _)| (*at, usize::MAX - len))
        .map(|(at, _, m)| (at, m))
}

/// minijinja's `skip_basic_tag`: `rest` starts right after a block start; if it is
/// `raw`/`endraw` (spaces and a trailing `-`/`+` allowed), the length through the block end.
fn raw_tag_end(rest: &str, name: &str, block_end: &str) -> Option<usize> {
    let after = rest.trim_start_matches(|c: char| c.is_ascii_whitespace());
    let after = after.strip_prefix(name)?;
    let after = after.trim_start_matches(|c: char| c.is_ascii_whitespace());
    let after = after.strip_prefix(['-', '+']).unwrap_or(after);
    after
        .starts_with(block_end)
        .then(|| rest.len() - after.len() + block_end.len())
}

/// The end of a `{% raw %}` body's `{% endraw %}`, scanning from `inner` (inside the raw tag).
fn skip_raw_body(text: &str, inner: usize, d: &Delimiters) -> Option<usize> {
    let mut pos = inner;
    while let Some(found) = text[pos..].find(d.block.0.as_str()) {
        let after = pos + found + d.block.0.len();
        let rest = &text[after..];
        let rest = rest.strip_prefix(['-', '+']).unwrap_or(rest);
        if let Some(len) = raw_tag_end(rest, "endraw", &d.block.1) {
            return Some(text.len() - rest.len() + len);
        }
        pos = after;
    }
    None
}

/// Open statement blocks and the `elif`s of each open `if`: each adds a level of recursion.
#[derive(Default)]
struct Blocks {
    /// One entry per open block: the `elif`s seen so far (always 0 unless an `if`).
    open: Vec<usize>,
}

impl Blocks {
    fn depth(&self) -> usize {
        self.open.len() + self.open.iter().sum::<usize>()
    }

    /// Notes a block tag starting with `keyword` (`assigns`: an `=` outside brackets, so
    /// `set` is not a block); the depth it is compiled at.
    fn enter(&mut self, keyword: Option<&str>, assigns: bool) -> usize {
        match keyword {
            Some("if" | "for" | "macro" | "call" | "filter" | "with" | "block" | "autoescape") => {
                self.open.push(0)
            }
            Some("set") if !assigns => self.open.push(0),
            Some("elif") => {
                if let Some(last) = self.open.last_mut() {
                    *last += 1;
                }
            }
            Some(k) if k.starts_with("end") => {
                let depth = self.depth();
                self.open.pop();
                return depth;
            }
            _ => {}
        }
        self.depth()
    }
}

/// What [`scan`] found in one tag.
struct Tag {
    /// Just past the end delimiter (or the text's end).
    end: usize,
    depth: usize,
    /// The first identifier (a block's keyword).
    keyword: Option<String>,
    /// An `=` outside brackets.
    assigns: bool,
}

/// Scans one tag from `pos` (just inside its start delimiter) to its end delimiter, outside
/// brackets as minijinja's lexer requires, and measures its depth.
fn scan(text: &str, mut pos: usize, end: Option<&str>) -> Tag {
    let bytes = text.as_bytes();
    let mut depth = Depth::default();
    let mut keyword = None;
    let mut assigns = false;
    while pos < bytes.len() {
        let c = bytes[pos];
        if c.is_ascii_whitespace() {
            pos += 1;
            continue;
        }
        if let Some(end) = end.filter(|_| depth.levels.is_empty()) {
            let rest = &text[pos..];
            let rest = rest.strip_prefix(['-', '+']).unwrap_or(rest);
            if rest.starts_with(end) {
                pos = text.len() - rest.len() + end.len();
                break;
            }
        }
        let two = bytes.get(pos..pos + 2);
        if matches!(two, Some(b"//" | b"**" | b"==" | b"!=" | b">=" | b"<=")) {
            depth.operator();
            pos += 2;
            continue;
        }
        match c {
            b'+' | b'-' | b'*' | b'/' | b'%' | b'.' | b'~' | b'|' | b'>' | b'<' => depth.operator(),
            b',' | b':' => depth.operand(),
            b'=' => {
                assigns |= depth.levels.is_empty();
                depth.operand()
            }
            b'(' | b'[' | b'{' => depth.open(),
            b')' | b']' | b'}' => depth.close(),
            b'\'' | b'"' => match string_end(bytes, pos) {
                Some(after) => {
                    pos = after;
                    continue;
                }
                None => break,
            },
            b'0'..=b'9' => {
                pos = number_end(text, pos);
                continue;
            }
            _ => {
                let len = identifier_len(&text[pos..]);
                if len == 0 {
                    // minijinja refuses this character; what came before is still parsed.
                    pos += text[pos..].chars().next().map_or(1, char::len_utf8);
                    continue;
                }
                let word = &text[pos..pos + len];
                if keyword.is_none() {
                    keyword = Some(word.to_string());
                }
                if matches!(word, "is" | "not" | "and" | "or" | "in" | "if" | "else") {
                    depth.operator();
                }
                pos += len;
                continue;
            }
        }
        pos += 1;
    }
    Tag {
        end: pos.min(text.len()),
        depth: depth.max,
        keyword,
        assigns,
    }
}

/// Depth bookkeeping of one tag.
#[derive(Default)]
struct Depth {
    /// Operators in the current operand of the top level (outside all brackets).
    top: usize,
    /// The same for each open bracket, innermost last.
    levels: Vec<usize>,
    /// Operators counted at all levels, plus the brackets open.
    current: usize,
    max: usize,
}

impl Depth {
    fn operator(&mut self) {
        *self.levels.last_mut().unwrap_or(&mut self.top) += 1;
        self.current += 1;
        self.max = self.max.max(self.current);
    }

    fn operand(&mut self) {
        let level = self.levels.last_mut().unwrap_or(&mut self.top);
        self.current -= *level;
        *level = 0;
    }

    /// An opening bracket: an operator of its level (`x[0]`, `f()`), and a level itself.
    fn open(&mut self) {
        self.operator();
        self.levels.push(0);
        self.current += 1;
        self.max = self.max.max(self.current);
    }

    fn close(&mut self) {
        // An unmatched closer is minijinja's syntax error; nothing after it is parsed.
        if let Some(level) = self.levels.pop() {
            self.current -= level + 1;
        }
    }
}

/// minijinja's `eat_string`: the position after the closing quote, backslash escapes honoured.
fn string_end(bytes: &[u8], start: usize) -> Option<usize> {
    let quote = bytes[start];
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            c if c == quote => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// A number's end: digits, radix letters, `_`, a fraction (not right after a `.`: `x.1.0` is
/// two item lookups) and an exponent.
fn number_end(text: &str, start: usize) -> usize {
    let bytes = text.as_bytes();
    let after_dot = start > 0 && bytes[start - 1] == b'.';
    let run = |from: usize| {
        from + bytes[from..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
            .count()
    };
    let mut end = run(start);
    if !after_dot
        && bytes.get(end) == Some(&b'.')
        && bytes.get(end + 1).is_some_and(u8::is_ascii_digit)
    {
        end = run(end + 1);
    }
    if matches!(bytes.get(end - 1), Some(b'e' | b'E'))
        && matches!(bytes.get(end), Some(b'+' | b'-'))
    {
        end = run(end + 1);
    }
    end
}

/// An identifier's length in bytes (letters, digits, `_`; minijinja's `lex_identifier`).
fn identifier_len(s: &str) -> usize {
    let mut chars = s.char_indices();
    match chars.next() {
        Some((_, c)) if c == '_' || c.is_alphabetic() => {}
        _ => return 0,
    }
    chars
        .find(|(_, c)| !(*c == '_' || c.is_alphanumeric()))
        .map_or(s.len(), |(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn default() -> Delimiters {
        Delimiters::of(&SyntaxConfig::default())
    }

    fn depth(text: &str) -> usize {
        deepest_tag(text, &default()).map_or(0, |t| t.depth)
    }

    fn custom() -> Delimiters {
        let syntax = SyntaxConfig::builder()
            .block_delimiters("<%", "%>")
            .variable_delimiters("[[", "]]")
            .comment_delimiters("<#", "#>")
            .build()
            .unwrap();
        Delimiters::of(&syntax)
    }

    #[test]
    fn each_link_of_a_chain_counts() {
        assert_eq!(depth("{{ x | string | string }}"), 2);
        assert_eq!(depth("{{ x.a.a.a }}"), 3);
        assert_eq!(depth("{{ x[0][0] }}"), 3);
        assert_eq!(depth("{{ x()() }}"), 3);
        assert_eq!(depth("{{ x + 1 - 1 * 2 // 3 ** 4 }}"), 5);
        assert_eq!(depth("{{ x ~ 'a' ~ 'b' }}"), 2);
        assert_eq!(depth("{{ not not x is string and y or z }}"), 5);
        assert_eq!(depth("{{ a if b else c }}"), 2);
        assert_eq!(depth("{{ 1.5 + x.0.1 }}"), 3);
    }

    #[test]
    fn nesting_adds_up_and_commas_start_a_new_operand() {
        assert_eq!(depth("{{ ((x)) }}"), 4);
        assert_eq!(depth("{{ f(a | b | c, d) | e }}"), 4);
        assert_eq!(depth("{{ [a.b, c.d, e.f] }}"), 3);
        assert_eq!(depth("{{ {'a': {'b': x.y}} }}"), 5);
    }

    #[test]
    fn strings_comments_and_raw_bodies_do_not_count() {
        assert_eq!(depth("{{ 'a|b|c.d[0]' | upper }}"), 1);
        assert_eq!(depth(r#"{{ "it\"s | a . b" }}"#), 0);
        assert_eq!(depth("{# {{ x | a | b | c }} #}{{ y }}"), 0);
        assert_eq!(depth("{% raw %}{{ x | a | b }}{% endraw %}{{ y.z }}"), 1);
        assert_eq!(depth("{%- raw -%}{{ x | a | b }}{%- endraw -%}"), 0);
        // An unterminated string ends the scan: minijinja refuses it before compiling.
        assert_eq!(depth("{{ 'abc | d | e }}"), 0);
    }

    #[test]
    fn tags_end_where_minijinja_ends_them() {
        // `}}` inside braces closes braces, not the tag.
        assert_eq!(depth("{{ {'a': {'b': 1}} }} {{ x.a.b.c.d.e }}"), 5);
        assert_eq!(depth("{{- x | a -}} {%+ if y.z +%}"), 3);
    }

    #[test]
    fn custom_delimiters_are_respected() {
        let text = "[[ x | a | b ]] {{ x | a | b | c | d }} <# [[ q.r.s.t.u ]] #><% set y = z %>";
        let deepest = deepest_tag(text, &custom()).unwrap();
        assert_eq!((deepest.depth, deepest.range), (2, 0..15));
        assert_eq!(depth(text), 4);
    }

    #[test]
    fn elifs_and_open_blocks_count() {
        let chain = format!("{{% if a %}}{}{{% endif %}}", "{% elif b %}".repeat(10));
        assert_eq!(depth(&chain), 11);
        assert_eq!(
            depth("{% for a in b %}{% if c %}{{ d.e }}{% endif %}{% endfor %}"),
            3
        );
        // `set` with `=` opens no block; `set` without one does.
        assert_eq!(
            depth("{% set a = 1 %}{% set b %}{{ c }}{% endset %}{{ d }}"),
            1
        );
    }

    #[test]
    fn a_flat_dict_of_2000_entries_is_accepted() {
        let entries: Vec<String> = (0..2000)
            .map(|i| format!("'k{i}': v{i}.name | default('x') ~ '|'"))
            .collect();
        let text = format!(
            "{{% set m = {{{}}} %}}{{{{ m | length }}}}\n",
            entries.join(", ")
        );
        assert_eq!(depth(&text), 6);
        assert_eq!(check_template(&text, &default()), Ok(()));
        assert!(minijinja::Environment::new()
            .template_from_str(&text)
            .is_ok());
    }

    #[test]
    fn a_too_deep_tag_is_refused_at_its_range() {
        let deep = format!("{{{{ x{} }}}}", " | string".repeat(600));
        let text = format!("ok {{{{ x }}}}\n{deep}\nmore");
        let err = check_template(&text, &default()).unwrap_err();
        assert_eq!(err.range, 11..11 + deep.len());
        assert_eq!(err.depth, 600);
        assert!(
            err.message().contains("chains 600 operations"),
            "{}",
            err.message()
        );
        let expr = format!("x{}", ".a".repeat(501));
        assert_eq!(check_expression(&expr).unwrap_err().depth, 501);
        assert_eq!(check_expression("x.a | b(c) is d"), Ok(()));
    }

    /// The longest text of each shape the guard still accepts.
    fn at_limit(shape: impl Fn(usize) -> String) -> String {
        let mut n = 1;
        while depth(&shape(n + 1)) <= MAX_DEPTH {
            n += 1;
        }
        assert!(depth(&shape(n)) + 2 >= MAX_DEPTH, "{}", &shape(n)[..40]);
        shape(n)
    }

    /// What the guard accepts compiles (parse, code generation, drop) on a 2 MiB thread stack
    /// (rayon's default) in a debug build; each shape overflowed there at 775–1,160 links.
    #[test]
    fn what_the_guard_accepts_compiles_on_a_2_mib_stack() {
        let shapes: Vec<Box<dyn Fn(usize) -> String>> = vec![
            Box::new(|n| format!("{{{{ x{} }}}}", " | string".repeat(n))),
            Box::new(|n| format!("{{{{ x{} }}}}", " | replace('a', 'b')".repeat(n))),
            Box::new(|n| format!("{{{{ x{} }}}}", ".a".repeat(n))),
            Box::new(|n| format!("{{{{ x{} }}}}", "[0]".repeat(n))),
            Box::new(|n| format!("{{{{ x{} }}}}", "()".repeat(n))),
            Box::new(|n| format!("{{{{ x{} }}}}", " + 1".repeat(n))),
            Box::new(|n| format!("{{{{ x{} }}}}", " ~ 'x'".repeat(n))),
            Box::new(|n| format!("{{{{ x{} }}}}", " is string".repeat(n))),
            Box::new(|n| format!("{{{{ x{} }}}}", " and y".repeat(n))),
            Box::new(|n| format!("{{{{ {}x }}}}", "not ".repeat(n))),
            Box::new(|n| format!("{{{{ {}x }}}}", "- ".repeat(n))),
            Box::new(|n| format!("{{% if x %}}{}{{% endif %}}", "{% elif x %}".repeat(n))),
            // 70 brackets (minijinja refuses 75: two levels of its parser each) around a chain.
            Box::new(|n| {
                format!(
                    "{{{{ {}x{}{} }}}}",
                    "(".repeat(70),
                    ".a".repeat(n),
                    ")".repeat(70)
                )
            }),
            // 100 nested blocks around a chain of `elif`s around a chain.
            Box::new(|n| {
                format!(
                    "{}{{% if x %}}{}{{{{ x{} }}}}{{% endif %}}{}",
                    "{% for a in b %}".repeat(100),
                    "{% elif x %}".repeat(100),
                    " | string".repeat(n),
                    "{% endfor %}".repeat(100)
                )
            }),
        ];
        for shape in shapes {
            let text = at_limit(shape);
            let compiled = std::thread::Builder::new()
                .stack_size(2 << 20)
                .spawn(move || {
                    let env = minijinja::Environment::new();
                    env.template_from_str(&text)?;
                    if text.starts_with("{{") {
                        env.compile_expression(&text[2..text.len() - 2])?;
                    }
                    Ok::<(), minijinja::Error>(())
                })
                .unwrap()
                .join()
                .unwrap();
            assert_eq!(compiled.map_err(|e| e.to_string()), Ok(()));
        }
    }
}
