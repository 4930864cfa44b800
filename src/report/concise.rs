//! report::concise: one line per finding, `path:line:col: severity[CODE] message`.
//!
//! Meant for editors' error matchers, pre-commit logs and grep: no summary, no snippets.
//! Lines and columns are 1-based, columns in code points. File errors go to the error stream.

use super::{human::write_file_errors, location};
use crate::Outcome;
use std::io::{self, Write};

pub fn write(out: &mut dyn Write, err: &mut dyn Write, outcome: &Outcome) -> io::Result<()> {
    for diagnostic in &outcome.diagnostics {
        writeln!(
            out,
            "{}: {}[{}] {}",
            location(&outcome.db, diagnostic.primary.span),
            diagnostic.severity.as_str(),
            diagnostic.rule.code,
            one_line(&diagnostic.message),
        )?;
    }
    write_file_errors(err, &outcome.errors)
}

/// Keeps a multi-line message on its line, so one finding stays one line.
fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::{Diagnostic, FileError};
    use crate::source::Span;

    #[test]
    fn one_line_per_finding_and_errors_apart() {
        let mut outcome = Outcome::default();
        let file = outcome
            .db
            .add("conf/dovecot.conf", "a = 1\nçé = 2\n".into());
        let rule = crate::rules::find("MX301").unwrap();
        outcome
            .diagnostics
            .push(Diagnostic::new(rule, Span::new(file, 11, 12), "two\nlines"));
        outcome.errors.push(FileError {
            path: "missing.conf".into(),
            position: None,
            message: "cannot read".into(),
        });
        let (mut out, mut err) = (Vec::new(), Vec::new());
        write(&mut out, &mut err, &outcome).unwrap();
        let severity = rule.severity.as_str();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            format!("conf/dovecot.conf:2:4: {severity}[MX301] two lines\n")
        );
        assert_eq!(
            String::from_utf8(err).unwrap(),
            "error: missing.conf: cannot read\n"
        );
    }
}
