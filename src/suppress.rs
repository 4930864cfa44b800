//! suppress: `mxlint: disable=MX301,other-name [-- reason]` directives in the files users edit,
//! and the findings about the directives themselves (MX001 unused, MX002 malformed).
//!
//! A directive is written as a comment of the file it sits in: `# …` in configuration, YAML and
//! (surviving rendering) templates, `{# … #}` in `.j2` templates, `<!-- … -->` in XML. One
//! scanner finds all three ([`comments`]) and one parser reads what they say ([`parse_body`]).
//!
//! ShellCheck's scoping, over the lines of the file the directive is in: on a line of its own a
//! directive covers the next statement — the whole block when that statement opens one (a
//! `{`-terminated Dovecot line, an INI `[section]`, an XML element with its children, or the
//! more-indented lines below it: a YAML task's mapping, a master.cf entry's continuation
//! lines); before the first statement it covers the whole file; after a statement on the same
//! line it covers that line.
//!
//! A [`Suppressor`] lives for one run: it remembers which rule entries of which directives
//! suppressed something (a template directive counts as used when it did so for any host), so
//! [`Suppressor::report`] can name the ones that did nothing.

use crate::diagnostic::Diagnostic;
use crate::rules::{Selection, Selector};
use crate::source::{FileId, SourceDb, SourceFile, Span};
use std::collections::{HashMap, HashSet};
use std::ops::Range;

/// A comment syntax a directive can be written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Syntax {
    /// `# …` to the end of the line.
    Hash,
    /// `{# … #}` (Jinja; also `{#- … -#}`).
    Jinja,
    /// `<!-- … -->`.
    Xml,
}

/// The comment syntaxes of a file, by its name (`.j2` templates keep their target's syntax).
fn syntaxes(path: &std::path::Path) -> &'static [Syntax] {
    let name = path.to_string_lossy().to_ascii_lowercase();
    let (base, template) = match [".j2", ".jinja2", ".jinja"]
        .iter()
        .find_map(|ext| name.strip_suffix(ext))
    {
        Some(base) => (base, true),
        None => (name.as_str(), false),
    };
    match (base.ends_with(".xml"), template) {
        (true, true) => &[Syntax::Jinja, Syntax::Xml],
        (true, false) => &[Syntax::Xml],
        (false, true) => &[Syntax::Jinja, Syntax::Hash],
        (false, false) => &[Syntax::Hash],
    }
}

/// One comment that starts with `mxlint:`: its text between the delimiters, as file offsets.
#[derive(Debug)]
struct Comment {
    /// From the opening to the closing delimiter (or the end of the line).
    whole: Range<usize>,
    body: Range<usize>,
    /// Nothing but whitespace around it on its line.
    own_line: bool,
    line: usize,
}

/// The `mxlint:` comments of a file.
fn comments(file: &SourceFile, syntaxes: &[Syntax]) -> Vec<Comment> {
    let text = file.text();
    let mut out = Vec::new();
    for index in 0..file.line_count() {
        let range = file.line_range(index);
        let line = &text[range.clone()];
        let mut from = 0;
        while let Some(found) = line[from..].find("mxlint:") {
            let at = from + found;
            from = at + "mxlint:".len();
            let Some((syntax, open)) = opener(&line[..at], syntaxes) else {
                continue;
            };
            let (close, end) = match syntax {
                Syntax::Hash => (line.len(), line.len()),
                Syntax::Jinja => closer(line, at, "#}", true),
                Syntax::Xml => closer(line, at, "-->", false),
            };
            out.push(Comment {
                whole: range.start + open..range.start + end,
                body: range.start + at..range.start + close,
                own_line: line[..open].trim().is_empty() && line[end..].trim().is_empty(),
                line: index,
            });
            from = from.max(end);
        }
    }
    out
}

/// The syntax and start of the comment opener right before `mxlint:` (whitespace between).
fn opener(before: &str, syntaxes: &[Syntax]) -> Option<(Syntax, usize)> {
    let head = before.trim_end();
    let allowed = |s: Syntax| syntaxes.contains(&s);
    if allowed(Syntax::Xml) && head.ends_with("<!--") {
        return Some((Syntax::Xml, head.len() - 4));
    }
    let jinja = head.strip_suffix('-').unwrap_or(head);
    if allowed(Syntax::Jinja) && jinja.ends_with("{#") {
        return Some((Syntax::Jinja, jinja.len() - 2));
    }
    if allowed(Syntax::Hash) && head.ends_with('#') && !head.ends_with("{#") {
        return Some((Syntax::Hash, head.len() - 1));
    }
    None
}

/// Where a comment's body ends and the comment ends, for a closing delimiter on the same line
/// (the end of the line when there is none). Jinja allows `-#}`.
fn closer(line: &str, body: usize, delimiter: &str, dash: bool) -> (usize, usize) {
    match line[body..].find(delimiter) {
        Some(at) => {
            let close = body + at;
            let inner = if dash && line[..close].ends_with('-') {
                close - 1
            } else {
                close
            };
            (inner, close + delimiter.len())
        }
        None => (line.len(), line.len()),
    }
}

/// One rule entry of a directive.
#[derive(Clone, Debug)]
struct Entry {
    span: Span,
    selector: Selector,
}

/// Something wrong with a directive's text.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Problem {
    at: Range<usize>,
    message: String,
    help: Option<String>,
}

/// What a directive's text says, offsets relative to the text parsed.
#[derive(Debug, Default)]
struct Parsed {
    entries: Vec<(Range<usize>, Selector)>,
    problems: Vec<Problem>,
}

/// Reads the text of a comment (`body`, after the comment opener). `None` unless it starts with
/// `mxlint:`; otherwise the valid rule entries and every problem found (a directive with a bad
/// entry still suppresses with its good ones, as ShellCheck keeps what it could read).
fn parse_body(body: &str) -> Option<Parsed> {
    let lead = body.len() - body.trim_start().len();
    let rest = body[lead..].strip_prefix("mxlint:")?;
    let mut parsed = Parsed::default();
    let keyword_at = lead + "mxlint:".len() + (rest.len() - rest.trim_start().len());
    let rest = rest.trim_start();
    let keyword_len = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .unwrap_or(rest.len());
    let keyword = &rest[..keyword_len];
    let problem =
        |at: Range<usize>, message: String, help: Option<String>| Problem { at, message, help };
    if keyword != "disable" {
        let at = keyword_at..keyword_at + keyword_len;
        let message = if keyword.is_empty() {
            "`mxlint:` comment without a directive".to_string()
        } else {
            format!("unknown mxlint directive `{keyword}`")
        };
        let help = if crate::suggest::edit_distance(&keyword.to_ascii_lowercase(), "disable", 2)
            .is_some()
        {
            "did you mean `disable=`?"
        } else {
            "the directive is `mxlint: disable=CODES [-- reason]`"
        };
        let at = if at.is_empty() { 0..body.len() } else { at };
        parsed
            .problems
            .push(problem(at, message, Some(help.into())));
        return Some(parsed);
    }
    let after = &rest[keyword_len..];
    let Some(list) = after.strip_prefix('=') else {
        parsed.problems.push(problem(
            keyword_at..keyword_at + keyword_len,
            "`disable` without `=`: no rule is disabled".into(),
            Some(format!(
                "write `disable={}`",
                after.split_whitespace().next().unwrap_or("MX301")
            )),
        ));
        return Some(parsed);
    };
    let list_at = keyword_at + keyword_len + 1;
    // The reason follows ` -- ` (or a `#`, as ShellCheck allows).
    let list = match list.find("--").into_iter().chain(list.find('#')).min() {
        Some(end) => &list[..end],
        None => list,
    };
    if list.trim().is_empty() {
        parsed.problems.push(problem(
            keyword_at..list_at,
            "`disable=` names no rule".into(),
            Some("list codes or names: `disable=MX301,default-vsz-limit-too-small`".into()),
        ));
        return Some(parsed);
    }
    let mut offset = list_at;
    for item in list.split(',') {
        let item_at = offset;
        offset += item.len() + 1;
        let word_at = item_at + (item.len() - item.trim_start().len());
        let mut words = item.split_whitespace();
        let Some(word) = words.next() else {
            parsed.problems.push(problem(
                item_at..item_at + item.len(),
                "empty entry in the rule list".into(),
                None,
            ));
            continue;
        };
        let word_range = word_at..word_at + word.len();
        match Selector::parse(word) {
            Ok(selector) => parsed.entries.push((word_range.clone(), selector)),
            Err(_) => parsed.problems.push(unknown_rule(word, word_range.clone())),
        }
        if words.next().is_some() {
            let extra_at = word_range.end
                + (item[word_range.end - item_at..].len()
                    - item[word_range.end - item_at..].trim_start().len());
            parsed.problems.push(problem(
                extra_at..item_at + item.trim_end().len(),
                "text after a rule in the list".into(),
                Some("separate rules with `,` and write a reason after ` -- `".into()),
            ));
        }
    }
    Some(parsed)
}

fn unknown_rule(word: &str, at: Range<usize>) -> Problem {
    let similar = crate::rules::similar(word);
    let help = if similar.is_empty() {
        "`mxlint rules` lists every rule".to_string()
    } else {
        let names: Vec<String> = similar
            .iter()
            .map(|r| format!("{} ({})", r.code, r.name))
            .collect();
        format!("did you mean {}?", names.join(", "))
    };
    Problem {
        at,
        message: format!("unknown rule `{word}` in a suppression"),
        help: Some(help),
    }
}

/// A directive found in a file: what it disables, what is wrong with it, what it covers.
#[derive(Debug)]
struct Directive {
    entries: Vec<Entry>,
    problems: Vec<(Span, String, Option<String>)>,
    /// 0-based lines `first..=last`.
    first: usize,
    last: usize,
}

/// How a line counts for scoping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    Blank,
    Comment,
    /// A line of Jinja statements only (`{% if … %}`): no statement, but it ends an indented block.
    Tag,
    Code,
}

fn classify(line: &str, syntaxes: &[Syntax]) -> Class {
    let t = line.trim();
    let has = |s: Syntax| syntaxes.contains(&s);
    if t.is_empty() {
        Class::Blank
    } else if (has(Syntax::Hash) && t.starts_with('#'))
        || (has(Syntax::Jinja) && t.starts_with("{#") && t.ends_with("#}"))
        || (has(Syntax::Xml) && (t.starts_with("<!--") || t.starts_with("<?")))
        || t == "---"
    {
        Class::Comment
    } else if has(Syntax::Jinja) && t.starts_with("{%") && t.ends_with("%}") {
        Class::Tag
    } else {
        Class::Code
    }
}

/// Every directive of a file, with its scope.
fn directives(file: &SourceFile, id: FileId) -> Vec<Directive> {
    let syntaxes = syntaxes(file.path());
    let found = comments(file, syntaxes);
    if found.is_empty() {
        return Vec::new();
    }
    let lines: Vec<&str> = (0..file.line_count())
        .map(|i| &file.text()[file.line_range(i)])
        .collect();
    let classes: Vec<Class> = lines.iter().map(|l| classify(l, syntaxes)).collect();
    let first_statement = classes.iter().position(|c| *c == Class::Code);
    let mut out = Vec::new();
    for comment in found {
        let Some(parsed) = parse_body(&file.text()[comment.body.clone()]) else {
            continue;
        };
        let base = comment.body.start;
        let span = |r: &Range<usize>| Span::new(id, base + r.start, base + r.end);
        let i = comment.line;
        let (first, last) = if !comment.own_line {
            (i, i)
        } else if first_statement.is_none_or(|f| i < f) {
            (0, lines.len())
        } else {
            match (i + 1..lines.len()).find(|&j| classes[j] == Class::Code) {
                Some(target) => (target, block_end(&lines, &classes, syntaxes, target)),
                None => (i, i),
            }
        };
        // An empty place (an empty entry) is shown as the whole comment.
        let whole = Span::new(id, comment.whole.start, comment.whole.end);
        let problems = parsed
            .problems
            .into_iter()
            .map(|p| {
                let at = Some(span(&p.at)).filter(|s| !s.is_empty()).unwrap_or(whole);
                (at, p.message, p.help)
            })
            .collect();
        out.push(Directive {
            entries: parsed
                .entries
                .into_iter()
                .map(|(r, selector)| Entry {
                    span: span(&r),
                    selector,
                })
                .collect(),
            problems,
            first,
            last,
        });
    }
    out
}

/// The last line of the statement starting at `start`: a brace block, an INI section, an XML
/// element, or the more-indented lines that follow.
fn block_end(lines: &[&str], classes: &[Class], syntaxes: &[Syntax], start: usize) -> usize {
    let code = |l: &str| -> String {
        if syntaxes.contains(&Syntax::Hash) {
            l.split('#').next().unwrap_or("").trim().to_string()
        } else {
            l.trim().to_string()
        }
    };
    let head = code(lines[start]);
    let statements = || (start + 1..lines.len()).filter(|&j| classes[j] == Class::Code);
    if head.ends_with('{') {
        let mut depth = 0usize;
        for j in std::iter::once(start).chain(statements()) {
            let c = code(lines[j]);
            if c.ends_with('{') {
                depth += 1;
            } else if c.starts_with('}') {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return j;
                }
            }
        }
        return lines.len();
    }
    if head.starts_with('[') && head.ends_with(']') {
        let next = statements().find(|&j| code(lines[j]).starts_with('['));
        let end = next.unwrap_or(lines.len());
        return (start..end)
            .rev()
            .find(|&j| classes[j] == Class::Code)
            .unwrap_or(start);
    }
    if syntaxes.contains(&Syntax::Xml) {
        if let Some(end) = xml_element_end(lines, start) {
            return end;
        }
    }
    let indent = |l: &str| l.len() - l.trim_start().len();
    let own = indent(lines[start]);
    let mut last = start;
    for j in start + 1..lines.len() {
        match classes[j] {
            Class::Blank | Class::Comment => continue,
            Class::Tag => break,
            Class::Code if indent(lines[j]) > own => last = j,
            Class::Code => break,
        }
    }
    last
}

/// The line closing the XML element opened on line `start`, when it spans lines.
fn xml_element_end(lines: &[&str], start: usize) -> Option<usize> {
    let head = lines[start].trim();
    let name: String = head
        .strip_prefix('<')?
        .chars()
        .take_while(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ':' | '.'))
        .collect();
    if name.is_empty() {
        return None;
    }
    let (open, close) = (format!("<{name}"), format!("</{name}"));
    let opens = |l: &str| {
        l.match_indices(&open)
            .filter(|(at, _)| {
                l[at + open.len()..]
                    .chars()
                    .next()
                    .is_none_or(|c| c.is_whitespace() || c == '>' || c == '/')
            })
            .count()
    };
    let mut depth = 0usize;
    for (j, line) in lines.iter().enumerate().skip(start) {
        depth += opens(line);
        depth = depth.saturating_sub(line.matches(&close).count());
        // `<x/>` closes itself.
        if line.trim_end().ends_with("/>") && line.contains(&open) {
            depth = depth.saturating_sub(1);
        }
        if depth == 0 {
            return Some(j);
        }
    }
    Some(lines.len())
}

/// The directives of one run, and which of their entries suppressed something.
#[derive(Debug, Default)]
pub struct Suppressor {
    cache: HashMap<FileId, Vec<Directive>>,
    /// Spans of rule entries (in the file the user edits) that suppressed a finding.
    used: HashSet<Span>,
}

impl Suppressor {
    pub fn new() -> Self {
        Self::default()
    }

    /// The rule entries (in the files users edit) that suppressed a finding so far.
    pub fn used(&self) -> impl Iterator<Item = Span> + '_ {
        self.used.iter().copied()
    }

    /// Drops the findings a directive in their primary file covers.
    pub fn apply(&mut self, db: &SourceDb, diagnostics: &mut Vec<Diagnostic>) {
        self.apply_with(db, diagnostics, |_| true, |span| span);
    }

    /// Drops the findings whose primary file passes `scan` and a directive there covers.
    /// `origin` maps an entry's span in that file to where the user wrote it (a rendered file's
    /// `#` comment comes from a template line), which is what counts as used.
    pub fn apply_with(
        &mut self,
        db: &SourceDb,
        diagnostics: &mut Vec<Diagnostic>,
        scan: impl Fn(FileId) -> bool,
        origin: impl Fn(Span) -> Span,
    ) {
        diagnostics.retain(|d| {
            let file = d.primary.span.file;
            if !scan(file) {
                return true;
            }
            let directives = self
                .cache
                .entry(file)
                .or_insert_with(|| directives(db.file(file), file));
            let line = db.file(file).line_index(d.primary.span.start());
            let mut suppressed = false;
            for directive in directives.iter() {
                if directive.first <= line && line <= directive.last {
                    for entry in &directive.entries {
                        if entry.selector.matches(d.rule) {
                            self.used.insert(origin(entry.span));
                            suppressed = true;
                        }
                    }
                }
            }
            !suppressed
        });
    }

    /// MX001 for each rule entry in `files` that suppressed nothing (unless it names only rules
    /// this run does not select), MX002 for each malformed directive; the directives themselves
    /// may silence these too (`# mxlint: disable=MX001` before the first statement).
    pub fn report(
        &mut self,
        db: &SourceDb,
        files: impl IntoIterator<Item = FileId>,
        selection: &Selection,
    ) -> Vec<Diagnostic> {
        use crate::rules::{invalid_suppression, unused_suppression};
        let meta = |code: &str| matches!(code, "MX001" | "MX002");
        let relevant = |selector: &Selector| {
            crate::rules::ALL
                .iter()
                .any(|r| !meta(r.code) && selector.matches(r) && selection.enabled(r))
        };
        let mut out = Vec::new();
        let files: Vec<FileId> = files.into_iter().collect();
        for &file in &files {
            let directives = self
                .cache
                .entry(file)
                .or_insert_with(|| directives(db.file(file), file));
            for directive in directives.iter() {
                for entry in &directive.entries {
                    if self.used.contains(&entry.span) || !relevant(&entry.selector) {
                        continue;
                    }
                    let name = db.text(entry.span);
                    out.push(
                        Diagnostic::new(
                            &unused_suppression::RULE,
                            entry.span,
                            format!("`{name}` is disabled here but no such finding was suppressed"),
                        )
                        .label("suppresses nothing")
                        .help("remove it from the directive (or the whole comment), or fix the scope: a directive covers the next statement or block"),
                    );
                }
                for (span, message, help) in &directive.problems {
                    let mut d = Diagnostic::new(&invalid_suppression::RULE, *span, message.clone())
                        .label("not understood");
                    if let Some(help) = help {
                        d = d.help(help.clone());
                    }
                    out.push(d);
                }
            }
        }
        out.retain(|d| selection.enabled(d.rule));
        let listed: HashSet<FileId> = files.into_iter().collect();
        self.apply_with(db, &mut out, |f| listed.contains(&f), |s| s);
        out
    }
}

/// Drops the diagnostics a directive in their file suppresses (a one-off [`Suppressor`]).
pub fn apply(db: &SourceDb, diagnostics: &mut Vec<Diagnostic>) {
    Suppressor::new().apply(db, diagnostics);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scopes_in(path: &str, text: &str) -> Vec<(usize, usize)> {
        let mut db = SourceDb::new();
        let id = db.add(path, text.to_string());
        directives(db.file(id), id)
            .into_iter()
            .map(|s| (s.first, s.last))
            .collect()
    }

    fn scopes_of(text: &str) -> Vec<(usize, usize)> {
        scopes_in("f", text)
    }

    /// (entries, problem messages) of a comment body.
    fn parse(body: &str) -> Option<(Vec<String>, Vec<String>)> {
        parse_body(body).map(|p| {
            (
                p.entries
                    .iter()
                    .map(|(r, _)| body[r.clone()].to_string())
                    .collect(),
                p.problems.iter().map(|p| p.message.clone()).collect(),
            )
        })
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
    fn jinja_comment_in_a_template_covers_the_next_block() {
        let text = "a = 1\n{# mxlint: disable=MX303 -- small #}\n{% if x %}\nservice imap {\n{# note #}\n  vsz_limit = 1M\n}\nb = 2\n";
        assert_eq!(scopes_in("dovecot.conf.j2", text), [(3, 6)]);
        // Whitespace control and the file-wide form.
        assert_eq!(
            scopes_in(
                "t.j2",
                "{#- mxlint: disable=MX301 -#}\n{% set a = 1 %}\na = 1\n"
            ),
            [(0, 4)]
        );
        // Not a template: `{#` is not a comment opener there, and `#` is.
        assert_eq!(
            scopes_in(
                "dovecot.conf",
                "a = 1\n{# mxlint: disable=MX301 #}\nb = 2\n"
            ),
            []
        );
    }

    #[test]
    fn yaml_directive_covers_the_whole_task() {
        let text = "---\n- hosts: mail\n  tasks:\n    - name: one\n      x: 1\n    # mxlint: disable=MX403\n    - name: two\n      firewalld:\n\n        # inside\n        service: smtp\n    - name: three\n";
        assert_eq!(scopes_in("site.yml", text), [(6, 10)]);
    }

    #[test]
    fn ini_sections_master_cf_entries_and_xml_elements_are_blocks() {
        let ini =
            "[DEFAULT]\nx = 1\n# mxlint: disable=MX503\n[dovecot]\nignoreip = 1.2.3.4\n\n[sshd]\n";
        assert_eq!(scopes_in("jail.local", ini), [(3, 4)]);
        let master = "smtp inet n - n - - smtpd\n# mxlint: disable=MX404\nsubmission inet n - n - - smtpd\n  -o a=b\n  -o c=d\npickup unix n - n 60 1 pickup\n";
        assert_eq!(scopes_in("master.cf", master), [(2, 4)]);
        let zone = "<?xml version=\"1.0\"?>\n<zone>\n  <!-- mxlint: disable=MX402 -->\n  <service name=\"imapz\"/>\n  <!-- mxlint: disable=MX401 -->\n  <rule>\n    <port port=\"1\"/>\n  </rule>\n  <service name=\"x\"/> <!-- mxlint: disable=MX402 -->\n</zone>\n";
        assert_eq!(
            scopes_in("zones/public.xml", zone),
            [(3, 3), (5, 7), (8, 8)]
        );
        // Before the root element: the whole file; `#` means nothing in XML.
        assert_eq!(
            scopes_in(
                "public.xml",
                "<!-- mxlint: disable=MX402 -->\n<zone>\n# mxlint: disable=MX401\n</zone>\n"
            ),
            [(0, 5)]
        );
    }

    #[test]
    fn parser_reads_codes_names_and_reasons() {
        let ok = |body: &str, entries: &[&str]| {
            let (found, problems) = parse(body).expect("a directive");
            assert_eq!(found, entries, "{body}");
            assert!(problems.is_empty(), "{body}: {problems:?}");
        };
        ok(
            " mxlint: disable=MX301,dovecot-syntax-error",
            &["MX301", "dovecot-syntax-error"],
        );
        ok(" mxlint: disable=MX301 -- local relay only", &["MX301"]);
        ok(
            "mxlint: disable=MX301, MX3 # ShellCheck's reason form",
            &["MX301", "MX3"],
        );
        ok(" mxlint:disable=ALL ", &["ALL"]);
        assert!(parse(" just a comment").is_none());
        assert!(parse(" see mxlint: later").is_none());
    }

    #[test]
    fn malformed_directives_are_problems_with_help() {
        let problems = |body: &str| -> Vec<Problem> { parse_body(body).expect(body).problems };
        for body in [
            " mxlint: disable=",
            " mxlint: disable= -- reason only",
            " mxlint: disable MX301",
            " mxlint: disbale=MX301",
            " mxlint: enable=MX301",
            " mxlint:",
            " mxlint: disable=MX301,",
            " mxlint: disable=MX301 because",
        ] {
            assert_eq!(problems(body).len(), 1, "{body}");
        }
        let typo = &problems(" mxlint: disbale=MX301")[0];
        assert_eq!(typo.help.as_deref(), Some("did you mean `disable=`?"));
        let body = " mxlint: disable=MX3O1,MX303";
        let parsed = parse_body(body).unwrap();
        assert_eq!(parsed.entries.len(), 1, "the good entry still counts");
        let bad = &parsed.problems[0];
        assert_eq!(&body[bad.at.clone()], "MX3O1");
        assert!(
            bad.help.as_deref().unwrap_or("").contains("MX301"),
            "{bad:?}"
        );
        let unknown = &problems(" mxlint: disable=MX999")[0];
        assert_eq!(unknown.message, "unknown rule `MX999` in a suppression");
        let missing = &problems(" mxlint: disable MX301")[0];
        assert_eq!(missing.help.as_deref(), Some("write `disable=MX301`"));
    }

    #[test]
    fn comments_find_each_syntax_and_where_it_stands() {
        let mut db = SourceDb::new();
        let text =
            "a {# mxlint: disable=X -#} b\n  <!-- mxlint: disable=Y -->\n# mxlint: disable=Z\n";
        let id = db.add("t.xml.j2", text.to_string());
        let found = comments(db.file(id), syntaxes(db.file(id).path()));
        let bodies: Vec<(&str, bool)> = found
            .iter()
            .map(|c| (text[c.body.clone()].trim(), c.own_line))
            .collect();
        assert_eq!(
            bodies,
            [("mxlint: disable=X", false), ("mxlint: disable=Y", true)]
        );
    }
}
