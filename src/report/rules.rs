//! report::rules: the rule table of `mxlint rules` and the doc page of `mxlint rule CODE`.

use super::write_table;
use crate::rules::Rule;
use std::io::{self, Write};

/// One row per rule: code, name, default severity, summary.
pub fn write_list(out: &mut dyn Write, rules: &[&Rule]) -> io::Result<()> {
    let rows: Vec<[String; 4]> = rules
        .iter()
        .map(|r| {
            [
                r.code.to_string(),
                r.name.to_string(),
                r.severity.as_str().to_string(),
                r.summary.to_string(),
            ]
        })
        .collect();
    write_table(out, &["CODE", "NAME", "SEVERITY", "SUMMARY"], &rows)
}

/// The rule's markdown page (`rules/MXnnn.md`), or its title and summary while it has none.
pub fn write_doc(out: &mut dyn Write, rule: &Rule) -> io::Result<()> {
    if rule.doc.trim().is_empty() {
        writeln!(out, "# {} {}\n", rule.code, rule.name)?;
        return writeln!(out, "{}", rule.summary);
    }
    out.write_all(rule.doc.as_bytes())?;
    if !rule.doc.ends_with('\n') {
        writeln!(out)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_has_a_row_per_rule() {
        let mut out = Vec::new();
        write_list(&mut out, crate::rules::ALL).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.lines().count(), crate::rules::ALL.len() + 1);
        for rule in crate::rules::ALL {
            assert!(
                text.contains(rule.code) && text.contains(rule.name),
                "{text}"
            );
        }
    }
}
