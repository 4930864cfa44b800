//! suppress: `# mxlint: disable=MX301,other-name [-- reason]` comments in checked files.
//!
//! ShellCheck's scoping: a directive on a line of its own applies to the next statement — the
//! whole block when that statement opens a section — and a directive before the first statement
//! of a file applies to the whole file. A directive after a statement on the same line applies
//! to that line. Works on text lines, so it serves every `#`-comment format.

use crate::diagnostic::Diagnostic;
use crate::rules::Selector;
use crate::source::{FileId, SourceDb, SourceFile};
use std::collections::HashMap;

/// A directive's reach: 0-based line indexes `first..=last` of one file.
#[derive(Debug, PartialEq, Eq)]
struct Scope {
    first: usize,
    last: usize,
    selectors: Vec<Selector>,
}

/// Drops the diagnostics a directive in their file suppresses.
pub fn apply(db: &SourceDb, diagnostics: &mut Vec<Diagnostic>) {
    let mut cache: HashMap<FileId, Vec<Scope>> = HashMap::new();
    diagnostics.retain(|d| {
        let file = d.primary.span.file;
        let scopes = cache.entry(file).or_insert_with(|| scopes(db.file(file)));
        let line = db.file(file).line_index(d.primary.span.start());
        !scopes.iter().any(|s| {
            s.first <= line && line <= s.last && s.selectors.iter().any(|sel| sel.matches(d.rule))
        })
    });
}

/// The selectors of a `mxlint: disable=` comment in `comment` (the text after `#`), if any.
fn directive(comment: &str) -> Option<Vec<Selector>> {
    let rest = comment.trim_start().strip_prefix("mxlint:")?.trim_start();
    let list = rest.strip_prefix("disable=")?;
    let list = list.split(" --").next().unwrap_or(list);
    let list = list.split_whitespace().next().unwrap_or("");
    let selectors: Vec<Selector> = list
        .split(',')
        .filter_map(|s| Selector::parse(s).ok())
        .collect();
    (!selectors.is_empty()).then_some(selectors)
}

fn scopes(file: &SourceFile) -> Vec<Scope> {
    let lines: Vec<&str> = (0..file.line_count())
        .map(|i| &file.text()[file.line_range(i)])
        .collect();
    let is_statement = |l: &str| {
        let t = l.trim_start();
        !t.is_empty() && !t.starts_with('#')
    };
    let first_statement = lines.iter().position(|l| is_statement(l));
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        let (own_line, comment) = match trimmed.strip_prefix('#') {
            Some(c) => (true, c),
            None => match line.find("# mxlint:") {
                Some(at) => (false, &line[at + 1..]),
                None => continue,
            },
        };
        let Some(selectors) = directive(comment) else {
            continue;
        };
        let (first, last) = if !own_line {
            (i, i)
        } else if first_statement.is_none_or(|f| i < f) {
            (0, lines.len())
        } else {
            match (i + 1..lines.len()).find(|&j| is_statement(lines[j])) {
                Some(target) => (target, block_end(&lines, target)),
                None => continue,
            }
        };
        out.push(Scope {
            first,
            last,
            selectors,
        });
    }
    out
}

/// The line that closes the block opened at `start` (or `start` itself if it opens none).
fn block_end(lines: &[&str], start: usize) -> usize {
    let opens = |l: &str| l.split('#').next().unwrap_or("").trim_end().ends_with('{');
    if !opens(lines[start]) {
        return start;
    }
    let mut depth = 0usize;
    for (j, line) in lines.iter().enumerate().skip(start) {
        let code = line.trim();
        if opens(line) {
            depth += 1;
        } else if code == "}" || code.starts_with("} ") || code.starts_with("}#") {
            depth -= 1;
            if depth == 0 {
                return j;
            }
        }
    }
    lines.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scopes_of(text: &str) -> Vec<(usize, usize)> {
        let mut db = SourceDb::new();
        let id = db.add("f", text.to_string());
        scopes(db.file(id))
            .into_iter()
            .map(|s| (s.first, s.last))
            .collect()
    }

    #[test]
    fn directive_before_first_statement_covers_the_file() {
        assert_eq!(scopes_of("# mxlint: disable=MX301\na = 1\n"), [(0, 3)]);
    }

    #[test]
    fn directive_covers_the_next_statement_or_block() {
        let text = "a = 1\n# mxlint: disable=MX303 -- small on purpose\nservice imap {\n  vsz_limit = 1M\n}\nb = 2\n";
        assert_eq!(scopes_of(text), [(2, 4)]);
        assert_eq!(
            scopes_of("a = 1\n# mxlint: disable=MX201\nb = 2\nc = 3\n"),
            [(2, 2)]
        );
    }

    #[test]
    fn trailing_directive_covers_its_line() {
        assert_eq!(
            scopes_of("a = 1\nb = x#y # mxlint: disable=MX204\n"),
            [(1, 1)]
        );
    }

    #[test]
    fn names_and_lists_parse_and_junk_is_ignored() {
        assert_eq!(
            directive(" mxlint: disable=MX301,dovecot-syntax-error").map(|s| s.len()),
            Some(2)
        );
        assert!(directive(" mxlint: disable=").is_none());
        assert!(directive(" mxlint: enable=MX301").is_none());
        assert!(directive(" just a comment").is_none());
    }
}
