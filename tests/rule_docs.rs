//! Every rule doc is a test: its Problematic example fires exactly that rule, its Correct example
//! fires nothing, it has the standard headings, and rules/README.md lists exactly the rules in
//! `rules::ALL`.

use mxlint::config::Settings;
use mxlint::rules::{Rule, ALL};
use std::collections::BTreeSet;
use std::path::Path;

const HEADINGS: &[&str] = &[
    "## What it flags",
    "## Why it matters",
    "## Problematic code",
    "## Correct code",
    "## Exceptions",
    "## References",
];

/// The first ```dovecot block after `heading`.
fn example<'a>(rule: &Rule, heading: &str) -> &'a str
where
    'static: 'a,
{
    let doc: &'static str = rule.doc;
    let after = &doc[doc
        .find(heading)
        .unwrap_or_else(|| panic!("{}: no {heading}", rule.code))..];
    let start = after
        .find("```dovecot\n")
        .unwrap_or_else(|| panic!("{}: no dovecot block under {heading}", rule.code))
        + "```dovecot\n".len();
    let end = after[start..].find("```").expect("closed block");
    &after[start..start + end]
}

fn codes_for(config: &str) -> BTreeSet<String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dovecot.conf");
    std::fs::write(&path, config).unwrap();
    let outcome = mxlint::check_paths(&[Path::new(&path)], &Settings::default());
    assert!(outcome.errors.is_empty(), "{:?}", outcome.errors);
    outcome
        .diagnostics
        .iter()
        .map(|d| d.rule.code.to_string())
        .collect()
}

#[test]
fn problematic_examples_fire_exactly_their_rule() {
    for rule in ALL {
        let codes = codes_for(example(rule, "## Problematic code"));
        assert_eq!(
            codes,
            BTreeSet::from([rule.code.to_string()]),
            "{} Problematic example",
            rule.code
        );
    }
}

#[test]
fn correct_examples_fire_nothing() {
    for rule in ALL {
        let codes = codes_for(example(rule, "## Correct code"));
        assert!(
            codes.is_empty(),
            "{} Correct example fires {codes:?}",
            rule.code
        );
    }
}

#[test]
fn docs_have_the_standard_shape() {
    for rule in ALL {
        let title = format!("# {} {}\n", rule.code, rule.name);
        assert!(
            rule.doc.starts_with(&title),
            "{}: title must be {title:?}",
            rule.code
        );
        let mut last = 0;
        for heading in HEADINGS {
            let at = rule
                .doc
                .find(heading)
                .unwrap_or_else(|| panic!("{}: missing {heading}", rule.code));
            assert!(at > last, "{}: {heading} out of order", rule.code);
            last = at;
        }
        let exceptions = &rule.doc[rule.doc.find("## Exceptions").unwrap()..];
        assert!(
            exceptions.contains(&format!("mxlint: disable={}", rule.code)),
            "{}: Exceptions must give the exact suppression line",
            rule.code
        );
        assert!(!rule.summary.is_empty(), "{}: empty summary", rule.code);
    }
}

#[test]
fn readme_table_and_doc_files_match_the_registry() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let rows: BTreeSet<String> = readme
        .lines()
        .filter_map(|l| l.strip_prefix("| [MX"))
        .map(|l| format!("MX{}", &l[..3]))
        .collect();
    let codes: BTreeSet<String> = ALL.iter().map(|r| r.code.to_string()).collect();
    assert_eq!(rows, codes, "rules/README.md rows");
    for rule in ALL {
        let row = format!("| [{c}]({c}.md) | `{}` |", rule.name, c = rule.code);
        assert!(readme.contains(&row), "rules/README.md lacks {row:?}");
    }
    let files: BTreeSet<String> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("MX"))
        .map(|n| n.trim_end_matches(".md").to_string())
        .collect();
    assert_eq!(files, codes, "rules/MXnnn.md files");
}
