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
/// separated by `== path ==` lines), a fail2ban tree (```fail2ban, files relative to
/// /etc/fail2ban separated the same way, plus an optional `== .mxlint.yml ==`), a firewalld
/// zone file `public.xml` (```firewalld-zone) or `firewall-cmd` lines run in order
/// (```firewall-cmd); the last two are checked as a host whose firewalld the repository
/// manages, default zone `public`; or one host's plain config files (```files, `== path ==`
/// separators: `dovecot.conf`, `master.cf`, `main.cf`), checked together as one host.
enum Example {
    Dovecot(&'static str),
    Repo(&'static str),
    Fail2ban(&'static str),
    FirewalldZone(&'static str),
    FirewallCmd(&'static str),
    Files(&'static str),
}

/// The first example block after `heading`.
fn example(rule: &Rule, heading: &str) -> Example {
    let doc: &'static str = rule.doc;
    let after = &doc[doc
        .find(heading)
        .unwrap_or_else(|| panic!("{}: no {heading}", rule.code))..];
    let (kind, start) = [
        "```dovecot\n",
        "```repo\n",
        "```fail2ban\n",
        "```firewalld-zone\n",
        "```firewall-cmd\n",
        "```files\n",
    ]
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
        "```fail2ban\n" => Example::Fail2ban(body),
        "```firewalld-zone\n" => Example::FirewalldZone(body),
        "```firewall-cmd\n" => Example::FirewallCmd(body),
        "```files\n" => Example::Files(body),
        _ => Example::Dovecot(body),
    }
}

/// Runs the rules over a host whose firewalld has this zone file or these commands.
fn firewall_codes(example: Example) -> BTreeSet<String> {
    use mxlint::model::firewall::FirewallHost;
    let settings = Settings::default();
    let mut db = mxlint::source::SourceDb::new();
    let mut host = FirewallHost::new("public");
    match example {
        Example::FirewalldZone(text) => {
            let file = db.add("zones/public.xml", text.to_string());
            host.zones
                .push(mxlint::parse::firewalld::parse_zone(file, "public", text));
        }
        Example::FirewallCmd(text) => {
            let file = db.add("commands.sh", text.to_string());
            let mut offset = 0;
            for line in text.split_inclusive('\n') {
                let words: Vec<&str> = line.split_whitespace().collect();
                let task = mxlint::source::Span::new(file, offset, offset + line.trim_end().len());
                host.add_command(&words, &[], task);
                offset += line.len();
            }
        }
        _ => unreachable!("not a firewall example"),
    }
    let cx = mxlint::rules::Context {
        firewall: Some(&host),
        ..mxlint::rules::Context::new(&settings)
    };
    let mut found = mxlint::rules::check(&cx);
    mxlint::suppress::apply(&db, &mut found);
    found.iter().map(|d| d.rule.code.to_string()).collect()
}

fn codes_for(example: Example) -> BTreeSet<String> {
    if matches!(example, Example::FirewalldZone(_) | Example::FirewallCmd(_)) {
        return firewall_codes(example);
    }
    let dir = tempfile::tempdir().unwrap();
    let outcome = match example {
        Example::FirewalldZone(_) | Example::FirewallCmd(_) => unreachable!(),
        Example::Dovecot(config) => {
            let path = dir.path().join("dovecot.conf");
            std::fs::write(&path, config).unwrap();
            mxlint::check_paths(&[Path::new(&path)], &Settings::default())
        }
        Example::Repo(files) => {
            write_repo(dir.path(), files);
            mxlint::check_repo(dir.path(), &Default::default(), &Settings::default())
        }
        Example::Fail2ban(files) => return fail2ban_codes(dir.path(), files),
        Example::Files(files) => return host_codes(dir.path(), files),
    };
    assert!(outcome.errors.is_empty(), "{:?}", outcome.errors);
    outcome
        .diagnostics
        .iter()
        .map(|d| d.rule.code.to_string())
        .collect()
}

/// Loads a fail2ban example tree (stock files embedded) and runs the rules on it.
fn fail2ban_codes(root: &Path, files: &str) -> BTreeSet<String> {
    use mxlint::model::fail2ban::{load_tree, trusted_from_settings, TreeFile};
    write_repo(root, files);
    let mut settings = Settings::default();
    if let Ok(text) = std::fs::read_to_string(root.join(".mxlint.yml")) {
        let file = mxlint::config::parse(&text, &root.join(".mxlint.yml")).unwrap();
        settings.fail2ban = file.fail2ban;
    }
    let mut db = mxlint::source::SourceDb::new();
    let mut tree = Vec::new();
    for line in files.lines() {
        let Some(rel) = line.strip_prefix("== ").and_then(|l| l.strip_suffix(" ==")) else {
            continue;
        };
        if rel != ".mxlint.yml" {
            let file = mxlint::source::read_source(&mut db, &root.join(rel)).unwrap();
            tree.push(TreeFile {
                rel: rel.to_string(),
                file,
            });
        }
    }
    let cfg = load_tree(&mut db, &tree, &settings);
    let trusted = trusted_from_settings(&settings);
    let mut found = mxlint::rules::check_fail2ban(&cfg, &trusted, &settings);
    mxlint::suppress::apply(&db, &mut found);
    found.iter().map(|d| d.rule.code.to_string()).collect()
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
