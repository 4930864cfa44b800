//! Unit tests of inventory loading on small trees written to a temporary directory; the
//! comparison with Ansible itself is tests/oracle_inventory.rs.

use super::*;
use std::fs;

/// Writes `files` (path → text) under a temporary directory.
fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
    dir
}

fn load(dir: &Path, sources: &[&str]) -> (SourceDb, Inventory, Vec<Diagnostic>) {
    let mut db = SourceDb::new();
    let sources: Vec<PathBuf> = sources.iter().map(|s| dir.join(s)).collect();
    let (inv, found) = Inventory::load(&mut db, &sources);
    (db, inv, found)
}

/// `line: message` of each finding.
fn findings(db: &SourceDb, found: &[Diagnostic]) -> Vec<String> {
    found
        .iter()
        .map(|d| {
            assert_eq!(d.rule.code, "MX104");
            format!("{}: {}", db.range(d.primary.span).0.line, d.message)
        })
        .collect()
}

fn text(inv: &Inventory, host: &str, var: &str) -> Option<String> {
    let vars = inv.merged_vars(inv.host_id(host)?, None);
    Some(match &vars.get(var)?.value {
        Value::Str(s) => s.clone(),
        other => format!("{other:?}"),
    })
}

#[test]
fn ini_groups_children_and_ungrouped() {
    let dir = tree(&[(
        "hosts",
        "loner\n[web]\nw1 a=1\n[eu:children]\nweb\n[eu:vars]\nregion=eu\n",
    )]);
    let (_, inv, found) = load(dir.path(), &["hosts"]);
    assert!(found.is_empty(), "{found:?}");
    assert_eq!(inv.host_names().collect::<Vec<_>>(), ["loner", "w1"]);
    assert_eq!(inv.group_names("w1"), ["eu", "web"]);
    assert_eq!(inv.group_names("loner"), ["ungrouped"]);
    assert_eq!(text(&inv, "w1", "region").as_deref(), Some("eu"));
    assert_eq!(text(&inv, "w1", "a").as_deref(), Some("Int(1)"));
    let groups = inv.groups_map();
    assert_eq!(groups["all"], ["loner", "w1"]);
    assert_eq!(groups["eu"], ["w1"]);
    assert_eq!(inv.group(inv.group_id("web").unwrap()).depth(), 2);
}

#[test]
fn values_keep_spans_into_the_ini_file() {
    let dir = tree(&[("hosts", "[g]\nh port='[1, 22]'\n[g:vars]\nx = hello\n")]);
    let (db, inv, _) = load(dir.path(), &["hosts"]);
    let vars = inv.merged_vars(inv.host_id("h").unwrap(), None);
    let port = &vars["port"];
    assert_eq!(db.text(port.span), "[1, 22]");
    let Value::Seq(items) = &port.value else {
        panic!("{port:?}")
    };
    assert_eq!(db.text(items[1].span), "22");
    assert_eq!(db.text(vars["x"].span), "hello");
}

#[test]
fn bad_ini_lines_are_reported_at_their_line_and_skipped() {
    let dir = tree(&[(
        "hosts",
        "[web]\nw1 novalue\nw2 x=\"open\nw3\n[web:nope]\nskipped\n[ bad ]\n[web:vars]\njustaword\n[web:children]\nghost\nmail[1:]\n",
    )]);
    let (db, inv, found) = load(dir.path(), &["hosts"]);
    assert_eq!(
        findings(&db, &found),
        [
            "2: Expected key=value host variable assignment, got: novalue",
            "3: Error parsing host definition 'w2 x=\"open': No closing quotation",
            "5: Section [web:nope] has unknown type: nope",
            "7: Invalid section entry: '[ bad ]'. Please make sure that there are no spaces in the section entry, and that there are no other invalid characters",
            "9: Expected key=value, got: justaword",
            "12: Expected group name, got: mail[1:]",
            "11: Section [web:children] includes undefined group 'ghost'.",
        ]
    );
    assert_eq!(inv.host_names().collect::<Vec<_>>(), ["w3"]);
}

#[test]
fn children_loops_are_reported_not_followed() {
    let dir = tree(&[(
        "hosts",
        "[a:children]\nb\n[b:children]\nc\n[c:children]\na\n[c]\nc1\n[d:children]\nd\n",
    )]);
    let (db, inv, found) = load(dir.path(), &["hosts"]);
    assert_eq!(
        findings(&db, &found),
        [
            "6: Adding group 'a' as child to 'c' creates a recursive dependency loop.",
            "10: can't add group 'd' to itself",
        ]
    );
    assert_eq!(inv.groups_map()["a"], ["c1"]);
}

#[test]
fn huge_ranges_are_refused_and_large_ones_expand() {
    let dir = tree(&[(
        "hosts",
        "[big]\nm[1:100000].example.org role=mx\n[huge]\nx[1:1000000000]\n",
    )]);
    let (db, inv, found) = load(dir.path(), &["hosts"]);
    let found = findings(&db, &found);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("4: host range gives 1000000000 hosts"),
        "{found:?}"
    );
    assert_eq!(inv.host_names().count(), 100_000);
    assert_eq!(inv.select("big[99999]"), ["m100000.example.org"]);
}

#[test]
fn missing_and_unreadable_sources_are_findings() {
    let dir = tree(&[("binary", "a\0b")]);
    let (db, inv, found) = load(dir.path(), &["nothing-here", "binary"]);
    let found = findings(&db, &found);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found[0].contains("Unable to parse"), "{found:?}");
    assert!(found[1].contains("NUL"), "{found:?}");
    assert_eq!(inv.host_names().count(), 0);
}

#[test]
fn a_host_list_source_fills_ungrouped() {
    let mut db = SourceDb::new();
    let (inv, found) = Inventory::load(&mut db, &[PathBuf::from("mx1, mx2:2222,")]);
    assert!(found.is_empty(), "{found:?}");
    assert_eq!(inv.groups_map()["ungrouped"], ["mx1", "mx2"]);
    let vars = inv.merged_vars(inv.host_id("mx2").unwrap(), None);
    assert_eq!(vars["ansible_port"].value, Value::Int(2222));
    assert_eq!(db.text(vars["ansible_port"].span), "2222");
}

#[test]
fn deep_children_chains_do_not_overflow() {
    let mut text = String::new();
    for i in 0..3000 {
        text.push_str(&format!("[g{i}:children]\ng{}\n", i + 1));
    }
    text.push_str("[g3000]\nleaf\n");
    let dir = tree(&[("hosts", &text)]);
    let (_, inv, found) = load(dir.path(), &["hosts"]);
    assert!(found.is_empty());
    assert_eq!(inv.group(inv.group_id("g3000").unwrap()).depth(), 3001);
    assert_eq!(inv.group_names("leaf").len(), 3001);
}

#[test]
fn scripts_and_toml_are_reported_as_not_read() {
    let dir = tree(&[
        ("inv/a.toml", "[web]\n"),
        ("inv/script", "#!/bin/sh\necho {}\n"),
    ]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let script = dir.path().join("inv/script");
        fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
    }
    let (_, _, found) = load(dir.path(), &["inv"]);
    assert!(found.iter().all(|d| d.severity == Severity::Warning));
    assert_eq!(found.len(), if cfg!(unix) { 2 } else { 1 });
}

#[test]
fn patterns_select_in_inventory_order_with_warnings() {
    let dir = tree(&[("hosts", "[web]\nw1\nw2\n[db]\nd1\nw2\n[eu:children]\nweb\n")]);
    let (_, inv, _) = load(dir.path(), &["hosts"]);
    assert_eq!(inv.select("db:web"), ["d1", "w2", "w1"]);
    assert_eq!(inv.select("eu:!db"), ["w1"]);
    assert_eq!(inv.select("web:&db"), ["w2"]);
    assert_eq!(inv.select("!web"), ["d1"]);
    assert_eq!(inv.select("w*"), ["w1", "w2"]);
    // `~d` matches the group `db` as well as the host `d1`.
    assert_eq!(inv.select("~d"), ["d1", "w2"]);
    assert_eq!(inv.select("~d1"), ["d1"]);
    assert_eq!(inv.select("web[1]"), ["w2"]);
    assert_eq!(inv.select("localhost"), ["localhost"]);
    let s = inv.select_with_problems("nope,web");
    assert_eq!(s.hosts, ["w1", "w2"]);
    assert_eq!(
        s.warnings,
        ["Could not match supplied host pattern, ignoring: nope"]
    );
    assert!(inv.select_with_problems("web[7]").error.is_some());
    assert!(inv.select_with_problems("~(").error.is_some());
}

#[test]
fn the_implicit_localhost_gets_all_and_its_host_vars() {
    let dir = tree(&[
        (
            "hosts",
            "[web]\nw1\n[all:vars]\nx=inline_all\ny=inline_all\n",
        ),
        ("group_vars/all.yml", "x: gv_all\nz: gv_all\n"),
        ("host_vars/localhost.yml", "z: hv_localhost\n"),
    ]);
    let (mut db, inv, _) = load(dir.path(), &["hosts"]);
    // What `ansible-playbook` prints for `{{ x }} {{ y }} {{ z }}` in a play on localhost.
    let (vars, _) = inv.host_vars(&mut db, "localhost", None);
    let texts: Vec<String> = ["x", "y", "z"]
        .iter()
        .map(|k| match &vars[*k].value {
            Value::Str(s) => s.clone(),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(texts, ["gv_all", "inline_all", "hv_localhost"]);
    assert!(inv.host_vars(&mut db, "elsewhere", None).0.is_empty());
    assert!(inv.group_names("localhost").is_empty());
}

#[test]
fn playbook_vars_are_read_once() {
    let dir = tree(&[
        ("inv/hosts", "[web]\nw1\nw2\n"),
        ("play/group_vars/web.yml", "a: [1\n"),
        ("play/host_vars/w1.yml", "b: 1\n"),
    ]);
    let (mut db, inv, found) = load(dir.path(), &["inv/hosts"]);
    assert!(found.is_empty());
    let play = dir.path().join("play");
    let (vars, first) = inv.host_vars(&mut db, "w1", Some(&play));
    assert_eq!(first.len(), 1, "{first:?}");
    assert_eq!(vars["b"].value, Value::Int(1));
    let (_, again) = inv.host_vars(&mut db, "w2", Some(&play));
    assert!(again.is_empty());
}

#[test]
fn a_file_goes_to_the_reader_ansible_would_pick() {
    let dir = tree(&[
        // INI in a .yml file: the YAML plugin fails, the INI one reads it.
        ("a/hosts.yml", "[web]\nw1\n"),
        // YAML without extension, broken: the YAML error is the one reported.
        ("b/inventory", "web:\n  hosts:\n    w2: [1\n"),
        // INI without extension, broken: the INI error.
        ("c/inventory", "[db]\nd1 x\n"),
        ("d/empty.yml", ""),
    ]);
    let (db, inv, found) = load(
        dir.path(),
        &["a/hosts.yml", "b/inventory", "c/inventory", "d/empty.yml"],
    );
    assert_eq!(inv.select("web"), ["w1"]);
    let found = findings(&db, &found);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(
        found[0].starts_with("4: while parsing a flow sequence"),
        "{found:?}"
    );
    assert_eq!(
        found[1],
        "2: Expected key=value host variable assignment, got: x"
    );
}
