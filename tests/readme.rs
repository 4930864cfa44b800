//! readme: what README.md shows a new user is what mxlint does. The findings it quotes for
//! `examples/mail-fleet` are lines the check really prints, its rule table lists every rule with
//! its name and default severity (and, for the example's findings, the fix mxlint offers), its
//! `.mxlint.yml` reference is a config file mxlint accepts, and its pre-commit snippet names a
//! hook `.pre-commit-hooks.yaml` defines.

use mxlint::rules::ALL;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn readme() -> String {
    std::fs::read_to_string(root().join("README.md")).unwrap()
}

/// The bodies of the README's fenced blocks whose info string is `lang` (`""` for none).
fn blocks(text: &str, lang: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Option<(String, String)> = None;
    for line in text.lines() {
        match (&mut current, line.strip_prefix("```")) {
            (None, Some(info)) => current = Some((info.trim().to_string(), String::new())),
            (Some((info, body)), Some(_)) => {
                if info == lang {
                    out.push(std::mem::take(body));
                }
                current = None;
            }
            (Some((_, body)), None) => {
                body.push_str(line);
                body.push('\n');
            }
            (None, None) => {}
        }
    }
    out
}

/// `mxlint check ARGS examples/mail-fleet` from the crate root: stdout.
fn check_example(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_mxlint"))
        .arg("check")
        .args(args)
        .arg("examples/mail-fleet")
        .current_dir(root())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "the example has findings");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn quoted_findings_are_what_the_example_prints() {
    let text = readme();
    let concise = check_example(&["--format", "concise"]);
    let printed: BTreeSet<&str> = concise.lines().collect();
    let quoted: Vec<String> = blocks(&text, "")
        .iter()
        .flat_map(|b| b.lines().map(str::to_string).collect::<Vec<_>>())
        .filter(|l| l.starts_with("examples/mail-fleet/") && l.contains("[MX"))
        .collect();
    assert_eq!(quoted.len(), 5, "the three incidents quote five findings");
    for line in &quoted {
        assert!(
            printed.contains(line.as_str()),
            "not printed: {line}\n{concise}"
        );
    }

    let human = check_example(&["--no-color"]);
    let snippet = blocks(&text, "")
        .into_iter()
        .find(|b| b.starts_with("error[MX301]"))
        .expect("the Quick start shows a human finding");
    let (finding, summary) = snippet
        .split_once("…\n")
        .expect("an elision before the summary");
    assert!(human.contains(finding), "finding not printed:\n{finding}");
    assert!(human.ends_with(summary), "summary not printed:\n{summary}");
}

#[test]
fn rule_table_lists_every_rule_with_its_name_severity_and_fix() {
    let text = readme();
    let rows: Vec<Vec<&str>> = text
        .lines()
        .filter(|l| l.starts_with("| [MX"))
        .map(|l| l.trim_matches('|').split(" | ").map(str::trim).collect())
        .collect();
    assert_eq!(rows.len(), ALL.len(), "one row per rule");
    for rule in ALL {
        let link = format!("[{c}](rules/{c}.md)", c = rule.code);
        let row = rows
            .iter()
            .find(|r| r[0] == link)
            .unwrap_or_else(|| panic!("no row for {}", rule.code));
        assert_eq!(row[1], format!("`{}`", rule.name), "{}", rule.code);
        assert_eq!(row[2], rule.severity.as_str(), "{}", rule.code);
    }

    // The example's findings: the Fix column names the applicability mxlint reports.
    let json: Value = serde_json::from_str(&check_example(&["--format", "json"])).unwrap();
    for d in json["diagnostics"].as_array().unwrap() {
        let code = d["code"].as_str().unwrap();
        let link = format!("[{code}](rules/{code}.md)");
        let fix = rows.iter().find(|r| r[0] == link).unwrap()[4];
        match d["fix"]["applicability"].as_str() {
            Some(kind) => assert!(fix.starts_with(kind), "{code}: {fix:?} vs {kind}"),
            None => assert_eq!(fix, "—", "{code} has no fix"),
        }
    }
}

#[test]
fn config_reference_is_accepted() {
    let text = readme();
    let section = &text[text.find("### Configuration").unwrap()..];
    let reference = blocks(section, "yaml").into_iter().next().unwrap();
    let path = Path::new(".mxlint.yml");
    let config = mxlint::config::parse(&reference, path).unwrap_or_else(|e| panic!("{e}"));
    assert!(config.fail2ban.trusted_networks_var.is_some());
    assert!(!config.per_file_ignores.is_empty() && !config.dest_kinds.is_empty());
}

#[test]
fn pre_commit_snippet_names_a_shipped_hook() {
    let hooks = std::fs::read_to_string(root().join(".pre-commit-hooks.yaml")).unwrap();
    let text = readme();
    let section = &text[text.find("### pre-commit").unwrap()..];
    let snippet = blocks(section, "yaml").into_iter().next().unwrap();
    assert!(snippet.contains("repo: https://github.com/mxlint/mxlint"));
    for id in snippet
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- id: "))
    {
        assert!(
            hooks.contains(&format!("- id: {id}\n")),
            "{id} is not a hook"
        );
    }
    let cargo = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    assert!(cargo.contains("repository = \"https://github.com/mxlint/mxlint\""));
}
