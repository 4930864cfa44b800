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

/// An example: a plain dovecot.conf (```dovecot), a small Ansible repository (```repo, files
/// separated by `== path ==` lines), or one host's plain config files (```files, same
/// separators: `dovecot.conf`, `master.cf`, `main.cf`), checked together as one host.
enum Example {
    Dovecot(&'static str),
    Repo(&'static str),
    Files(&'static str),
}

/// The first example block after `heading`.
fn example(rule: &Rule, heading: &str) -> Example {
    let doc: &'static str = rule.doc;
    let after = &doc[doc
        .find(heading)
        .unwrap_or_else(|| panic!("{}: no {heading}", rule.code))..];
    let (kind, start) = ["```dovecot\n", "```repo\n", "```files\n"]
        .iter()
        .filter_map(|fence| after.find(fence).map(|at| (*fence, at + fence.len())))
        .min_by_key(|&(_, at)| at)
        .unwrap_or_else(|| {
            panic!(
                "{}: no dovecot, repo or files block under {heading}",
                rule.code
            )
        });
    let end = after[start..].find("```").expect("closed block");
    let body = &after[start..start + end];
    match kind {
        "```repo\n" => Example::Repo(body),
        "```files\n" => Example::Files(body),
        _ => Example::Dovecot(body),
    }
}

fn codes_for(example: Example) -> BTreeSet<String> {
    let dir = tempfile::tempdir().unwrap();
    let outcome = match example {
        Example::Dovecot(config) => {
            let path = dir.path().join("dovecot.conf");
            std::fs::write(&path, config).unwrap();
            mxlint::check_paths(&[Path::new(&path)], &Settings::default())
        }
        Example::Repo(files) => {
            write_repo(dir.path(), files);
            mxlint::check_repo(dir.path(), &Default::default(), &Settings::default())
        }
        Example::Files(files) => return host_codes(dir.path(), files),
    };
    assert!(outcome.errors.is_empty(), "{:?}", outcome.errors);
    outcome
        .diagnostics
        .iter()
        .map(|d| d.rule.code.to_string())
        .collect()
}

/// Checks one host's plain files as a whole: Dovecot from `dovecot.conf`, Postfix from
/// `master.cf` (and `main.cf` when given).
fn host_codes(root: &Path, files: &str) -> BTreeSet<String> {
    use mxlint::parse::postfix::{parse_main_in, parse_master};
    write_repo(root, files);
    let find = |name: &str| {
        files
            .lines()
            .filter_map(|l| l.strip_prefix("== ").and_then(|l| l.strip_suffix(" ==")))
            .find(|p| p.ends_with(name))
            .map(|p| root.join(p.trim_start_matches('/')))
    };
    let settings = Settings::default();
    let mut db = mxlint::source::SourceDb::default();
    let dovecot = find("dovecot.conf")
        .map(|p| mxlint::model::dovecot::load(&mut db, &p, &settings).expect("dovecot.conf"));
    let read = |db: &mut mxlint::source::SourceDb, p: std::path::PathBuf| {
        let text = std::fs::read_to_string(&p).unwrap();
        (db.add(p.to_string_lossy().as_ref(), text.clone()), text)
    };
    let main = find("main.cf").map(|p| {
        let (file, text) = read(&mut db, p);
        parse_main_in(file, &text)
    });
    let postfix = find("master.cf").map(|p| {
        let (file, text) = read(&mut db, p);
        mxlint::model::postfix::model(&parse_master(file, &text), main.as_ref())
    });
    let cx = mxlint::rules::Context {
        dovecot: dovecot.as_ref(),
        postfix: postfix.as_ref(),
        ..mxlint::rules::Context::new(&settings)
    };
    mxlint::rules::check(&cx)
        .iter()
        .map(|d| d.rule.code.to_string())
        .collect()
}

/// Writes `== path ==`-separated files under `root`.
fn write_repo(root: &Path, files: &str) {
    let mut current: Option<(String, String)> = None;
    let flush = |file: Option<(String, String)>| {
        if let Some((path, text)) = file {
            let path = root.join(path.trim_start_matches('/'));
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
    };
    for line in files.lines() {
        if let Some(name) = line.strip_prefix("== ").and_then(|l| l.strip_suffix(" ==")) {
            flush(current.take());
            current = Some((name.to_string(), String::new()));
        } else if let Some((_, text)) = current.as_mut() {
            text.push_str(line);
            text.push('\n');
        }
    }
    flush(current);
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
