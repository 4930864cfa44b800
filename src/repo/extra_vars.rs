//! repo::extra_vars: `-e`/`--extra-vars` as ansible-playbook reads it.
//!
//! `-e @file.yml` loads a YAML (or JSON) file, `-e '{"a": 1}'` or `-e 'a: 1'` a mapping written
//! inline, and anything else is `KEY=VALUE` words whose values stay strings (Ansible's
//! `parse_kv`). Later `-e` options win. Inline text is kept in the `SourceDb` as
//! `<extra-vars N>` so findings can point at it.

use crate::ansible::yaml::{Node, Value};
use crate::ansible::Vars;
use crate::diagnostic::Diagnostic;
use crate::source::{SourceDb, Span};
use std::path::Path;

pub(crate) fn parse(
    db: &mut SourceDb,
    root: &Path,
    options: &[String],
    diagnostics: &mut Vec<Diagnostic>,
) -> Vars {
    let mut vars = Vars::new();
    for (index, option) in options.iter().enumerate() {
        let docs = if let Some(file) = option.strip_prefix('@') {
            let path = root.join(file);
            crate::ansible::load_yaml_file(db, &path)
        } else if looks_like_mapping(option) {
            let file = db.add(format!("<extra-vars {}>", index + 1), option.clone());
            crate::ansible::yaml::load(file, option)
                .map_err(|e| Box::new(crate::ansible::load_error(e.span, e.message)))
        } else {
            let file = db.add(format!("<extra-vars {}>", index + 1), option.clone());
            Ok(vec![key_values(file, option)])
        };
        match docs {
            Ok(docs) => {
                for doc in &docs {
                    crate::ansible::playbook::merge_mapping(&mut vars, doc);
                }
            }
            Err(d) => diagnostics.push(*d),
        }
    }
    vars
}

fn looks_like_mapping(text: &str) -> bool {
    let t = text.trim_start();
    t.starts_with('{') || (!t.contains('=') && t.contains(": "))
}

/// `a=1 b='x y'` → a mapping of strings, each value spanning its text.
fn key_values(file: crate::source::FileId, text: &str) -> Node {
    let mut entries = Vec::new();
    for (start, word) in crate::ansible::playbook::split_words(text) {
        let Some(eq) = word.find('=') else { continue };
        let value = crate::ansible::playbook::unquote(&word[eq + 1..]);
        let key = Node {
            value: Value::Str(word[..eq].to_string()),
            span: Span::new(file, start, start + eq),
        };
        let value = Node {
            value: Value::Str(value),
            span: Span::new(file, start + eq + 1, start + word.len()),
        };
        entries.push((key, value));
    }
    Node {
        value: Value::Map(entries),
        span: Span::new(file, 0, text.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_value_words_are_strings_and_later_options_win() {
        let mut db = SourceDb::new();
        let mut diags = Vec::new();
        let vars = parse(
            &mut db,
            Path::new("."),
            &["a=1 b=x".to_string(), "a=2".to_string()],
            &mut diags,
        );
        assert!(diags.is_empty());
        assert_eq!(vars["a"].value, Value::Str("2".into()));
        assert_eq!(vars["b"].value, Value::Str("x".into()));
    }
}
