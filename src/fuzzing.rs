//! fuzzing: one entry per fuzz target, shared by the cargo-fuzz targets in `fuzz/` and by the
//! corpus replay test (`tests/fuzz_corpus.rs`), so both run exactly the same code.
//!
//! Each entry takes arbitrary bytes, reads them lossily as UTF-8 (the binary refuses invalid
//! UTF-8 before any parser sees it, so parsers only ever get `str`) and runs one parser, and for
//! Dovecot also the model and the rules. The only expectation is "no panic, no hang": every
//! input must end in a value or a diagnostic. Files live in a directory that does not exist, so
//! relative includes find nothing; absolute include paths are defused (see [`defuse`]).
//!
//! Not a stable API: it exists for the fuzzers and may change with them.

use crate::ansible::inventory::Inventory;
use crate::ansible::yaml::{Node, Value as Y};
use crate::ansible::Vars;
use crate::config::Settings;
use crate::model::dovecot::{load_loaded, DovecotVersion};
use crate::parse::dovecot::parse_loaded;
use crate::render::{Fleet, Host, RenderJob, Renderer, TemplateSource};
use crate::rules::check_dovecot;
use crate::source::{FileId, SourceDb, Span};
use indexmap::IndexMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// The directory every fuzzed file pretends to live in; it must not exist.
const DIR: &str = "/nonexistent-mxlint-fuzz";

/// What a fuzz target runs on one input.
pub type Entry = fn(&[u8]);

/// Every target: its name (the directory under `fuzz/corpus/`) and its entry.
pub const TARGETS: &[(&str, Entry)] = &[
    ("dovecot_parse", dovecot_parse),
    ("fail2ban_parse", fail2ban_parse),
    ("postfix_master", postfix_master),
    ("postfix_main", postfix_main),
    ("firewalld_zone", firewalld_zone),
    ("firewalld_service", firewalld_service),
    ("yaml_load", yaml_load),
    ("inventory_ini", inventory_ini),
    ("render", render),
];

/// Inputs that can name another file lose their slashes, so `/dev/zero` or `/**` cannot make
/// the fuzzer read the host's files; relative names still meet the non-existent directory.
fn defuse(data: &[u8], words: &[&str]) -> String {
    let text = String::from_utf8_lossy(data).into_owned();
    if words.iter().any(|w| text.contains(w)) {
        text.replace('/', "_")
    } else {
        text
    }
}

fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

/// `SourceDb::text` slices the file: out of range or off a char boundary panics.
fn assert_slice(db: &SourceDb, span: Span) {
    let _ = db.text(span);
}

/// dovecot.conf → parser, model and rules, as 2.3 and as 2.4; every line and diagnostic span
/// must be a valid slice of its file.
pub fn dovecot_parse(data: &[u8]) {
    let text = defuse(data, &["!include"]);
    for version in [DovecotVersion::V2_3, DovecotVersion::V2_4] {
        let mut db = SourceDb::new();
        let id = db.add(format!("{DIR}/dovecot.conf"), text.clone());
        let document = parse_loaded(&mut db, id, version);
        for line in &document.lines {
            assert_slice(&db, line.span);
            assert_slice(&db, line.report_span);
        }
        let settings = Settings {
            dovecot_version: Some(version),
            ..Settings::default()
        };
        let config = load_loaded(&mut db, id, &settings);
        for diagnostic in check_dovecot(&config, &settings) {
            assert_slice(&db, diagnostic.primary.span);
            for label in &diagnostic.related {
                assert_slice(&db, label.span);
            }
            for edit in diagnostic.fix.iter().flat_map(|f| &f.edits) {
                assert_slice(&db, edit.span);
            }
        }
    }
}

/// jail.local / filter.d → fail2ban's configparser dialect.
pub fn fail2ban_parse(data: &[u8]) {
    let _ = crate::parse::fail2ban::parse(FileId(0), &text(data));
}

/// master.cf → entries and errors.
pub fn postfix_master(data: &[u8]) {
    let master = crate::parse::postfix::parse_master(FileId(0), &text(data));
    let _ = master.effective();
}

/// main.cf → the parameters mxlint reads.
pub fn postfix_main(data: &[u8]) {
    let _ = crate::parse::postfix::parse_main_in(FileId(0), &text(data));
}

/// A firewalld zone XML file.
pub fn firewalld_zone(data: &[u8]) {
    let _ = crate::parse::firewalld::parse_zone(FileId(0), "public", &text(data));
}

/// A firewalld service XML file.
pub fn firewalld_service(data: &[u8]) {
    let _ = crate::parse::firewalld::parse_service(FileId(0), "imaps", &text(data));
}

/// Ansible YAML (vars files, playbooks, YAML inventories) → nodes, then JSON as `show` prints.
pub fn yaml_load(data: &[u8]) {
    if let Ok(docs) = crate::ansible::yaml::load(FileId(0), &text(data)) {
        for doc in &docs {
            let _ = doc.to_json();
        }
    }
}

/// An INI inventory (host ranges, `:vars`, `:children`), without adjacent variable files.
pub fn inventory_ini(data: &[u8]) {
    let mut db = SourceDb::new();
    let path = Path::new(DIR).join("hosts.ini");
    let (inventory, diagnostics) = Inventory::from_ini_text(&mut db, &path, text(data));
    for diagnostic in &diagnostics {
        assert_slice(&db, diagnostic.primary.span);
    }
    let _ = inventory.hosts().count();
}

/// A template rendered for the first host of a two-host fleet, with a few variables.
pub fn render(data: &[u8]) {
    let text = defuse(
        data,
        &[
            "include", "import", "extends", "from", "lookup", "query", "q(",
        ],
    );
    let job = RenderJob::new(
        TemplateSource {
            path: PathBuf::from(format!("{DIR}/t.j2")),
            text: Arc::from(text),
        },
        0,
    );
    // One renderer for every input, as a run has: `Renderer::new` leaks its filter names
    // (`Box::leak`), which LeakSanitizer would report once per input.
    static RENDERER: OnceLock<(Renderer, Fleet)> = OnceLock::new();
    let (renderer, fleet) = RENDERER.get_or_init(|| (Renderer::new(), fleet()));
    let _ = renderer.render(fleet, &job);
}

fn node(value: Y) -> Node {
    Node {
        value,
        span: Span::new(FileId(0), 0, 0),
    }
}

/// Two hosts in group `mail`; the first has a string, a number, a list and a map.
fn fleet() -> Fleet {
    let mut vars = Vars::new();
    let networks = Y::Seq(vec![
        node(Y::Str("192.0.2.0/24".into())),
        node(Y::Str("2001:db8::/32".into())),
    ]);
    let services = Y::Map(vec![(node(Y::Str("imap".into())), node(Y::Bool(true)))]);
    for (name, value) in [
        ("domain", Y::Str("example.org".into())),
        ("port", Y::Int(993)),
        ("networks", networks),
        ("services", services),
    ] {
        vars.insert(name.into(), Arc::new(node(value)));
    }
    let names = ["mx1.example.org", "mx2"];
    let hosts = vec![
        Host {
            name: names[0].into(),
            vars,
            group_names: vec!["mail".into()],
        },
        Host {
            name: names[1].into(),
            vars: Vars::new(),
            group_names: vec!["mail".into()],
        },
    ];
    let all: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let mut groups = IndexMap::new();
    groups.insert("all".to_string(), all.clone());
    groups.insert("mail".to_string(), all);
    Fleet::new(hosts, groups)
}
