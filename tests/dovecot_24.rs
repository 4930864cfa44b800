//! Dovecot 2.4 behaviour, one test per fact of the 2.4.4 source as recorded in the project's
//! Dovecot notes (§1.11, §3.3): there is no 2.4 doveconf on Debian to ask, so these pin the facts.

use mxlint::config::Settings;
use mxlint::model::dovecot::{load_loaded, DovecotConfig, LimitOrigin, VszLimit};
use mxlint::source::SourceDb;
use std::collections::BTreeSet;

const HEAD: &str =
    "dovecot_config_version = 2.4.4\ndovecot_storage_version = 2.4.4\nprotocols = imap pop3 lmtp\n";
const MIB: u64 = 1 << 20;

fn model(body: &str) -> (DovecotConfig, BTreeSet<String>) {
    let mut db = SourceDb::new();
    let id = db.add("/nonexistent/dovecot.conf", format!("{HEAD}{body}"));
    let settings = Settings::default();
    let config = load_loaded(&mut db, id, &settings);
    let codes = mxlint::rules::check_dovecot(&config, &settings)
        .iter()
        .map(|d| d.rule.code.to_string())
        .collect();
    (config, codes)
}

fn vsz(config: &DovecotConfig, service: &str) -> VszLimit {
    config
        .service(service)
        .unwrap_or_else(|| panic!("no service {service}"))
        .limit
}

fn set(codes: &[&str]) -> BTreeSet<String> {
    codes.iter().map(|c| c.to_string()).collect()
}

#[test]
fn minimal_config_runs_every_service_at_256m() {
    let (config, codes) = model("");
    assert_eq!(config.version.as_str(), "2.4");
    for s in &config.services {
        assert_eq!(s.limit, VszLimit::Bytes(256 * MIB), "{}", s.name);
        assert_eq!(s.origin, LimitOrigin::Compiled);
    }
    assert_eq!(codes, set(&["MX301"]));
}

#[test]
fn service_limit_beats_default() {
    let (config, _) = model("default_vsz_limit = 512M\nservice imap {\n  vsz_limit = 1G\n}\n");
    assert_eq!(vsz(&config, "imap"), VszLimit::Bytes(1024 * MIB));
    assert_eq!(vsz(&config, "lmtp"), VszLimit::Bytes(512 * MIB));
}

#[test]
fn global_service_vsz_limit_beats_default_vsz_limit() {
    let (config, _) = model(
        "service_vsz_limit = 768M\ndefault_vsz_limit = 512M\nservice imap {\n  vsz_limit = 1G\n}\n",
    );
    assert_eq!(vsz(&config, "imap"), VszLimit::Bytes(1024 * MIB));
    assert_eq!(vsz(&config, "lmtp"), VszLimit::Bytes(768 * MIB));
    assert_eq!(vsz(&config, "anvil"), VszLimit::Bytes(768 * MIB));
}

#[test]
fn zero_and_tiny_limits_stop_an_enabled_service() {
    for body in [
        "default_vsz_limit = 1G\nservice imap {\n  vsz_limit = 0\n}\n",
        "default_vsz_limit = 1G\nservice imap {\n  vsz_limit = 512k\n}\n",
        "default_vsz_limit = 0\n",
    ] {
        let (config, codes) = model(body);
        assert!(codes.contains("MX305"), "{body}: {codes:?}");
        let problem = config
            .problems
            .iter()
            .find(|p| p.message.contains("vsz_limit is too low"))
            .unwrap();
        assert!(
            problem.message.ends_with("(did you mean \"unlimited\"?)"),
            "{}",
            problem.message
        );
    }
}

#[test]
fn tiny_limit_on_a_disabled_protocol_passes() {
    let mut db = SourceDb::new();
    let text = "dovecot_config_version = 2.4.4\ndovecot_storage_version = 2.4.4\nprotocols = imap\ndefault_vsz_limit = 1G\nservice pop3 {\n  vsz_limit = 0\n}\n";
    let id = db.add("/nonexistent/d.conf", text.into());
    let config = load_loaded(&mut db, id, &Settings::default());
    assert!(config.problems.is_empty(), "{:?}", config.problems);
}

#[test]
fn unlimited_and_infinite_are_accepted() {
    for word in ["unlimited", "infinite"] {
        let (config, codes) = model(&format!(
            "default_vsz_limit = 1G\nservice imap {{\n  vsz_limit = {word}\n}}\n"
        ));
        assert_eq!(vsz(&config, "imap"), VszLimit::Unlimited);
        assert!(codes.is_empty(), "{codes:?}");
    }
}

#[test]
fn sizes_are_accepted_as_written() {
    for size in ["1 G", "1GiB", "\"2 g\"", "1048576kB"] {
        let (_, codes) = model(&format!("default_vsz_limit = {size}\n"));
        assert!(codes.is_empty(), "{size}: {codes:?}");
    }
}

#[test]
fn old_variable_syntax_is_an_invalid_size() {
    let (config, codes) =
        model("default_vsz_limit = 1G\nservice imap {\n  vsz_limit = $default_vsz_limit\n}\n");
    assert!(
        codes.contains("MX201") && codes.contains("MX202"),
        "{codes:?}"
    );
    assert!(config
        .problems
        .iter()
        .any(|p| p.message == "vsz_limit: Invalid size: $default_vsz_limit"));
}

#[test]
fn set_expansion_is_delayed_to_the_end() {
    let (config, codes) =
        model("service imap {\n  vsz_limit = $SET:default_vsz_limit\n}\ndefault_vsz_limit = 2G\n");
    assert_eq!(vsz(&config, "imap"), VszLimit::Bytes(2048 * MIB));
    assert!(codes.is_empty(), "{codes:?}");
}

#[test]
fn vsz_settings_inside_filters_have_no_effect() {
    for body in [
        "default_vsz_limit = 1G\nservice imap {\n  default_vsz_limit = 2G\n}\n",
        "default_vsz_limit = 1G\nprotocol imap {\n  default_vsz_limit = 2G\n}\n",
        "default_vsz_limit = 1G\nprotocol imap {\n  service_vsz_limit = 2G\n}\n",
    ] {
        let (config, codes) = model(body);
        assert_eq!(vsz(&config, "imap"), VszLimit::Bytes(1024 * MIB), "{body}");
        assert_eq!(codes, set(&["MX304"]), "{body}");
    }
}

#[test]
fn groups_apply_at_root_and_per_service() {
    let (config, codes) = model("group @vsz big {\n  default_vsz_limit = 2G\n}\n@vsz = big\n");
    assert_eq!(vsz(&config, "lmtp"), VszLimit::Bytes(2048 * MIB));
    assert!(codes.is_empty(), "{codes:?}");
    let (config, _) = model("default_vsz_limit = 1G\ngroup @svc bigimap {\n  service imap {\n    vsz_limit = 3G\n  }\n}\n@svc = bigimap\n");
    assert_eq!(vsz(&config, "imap"), VszLimit::Bytes(3072 * MIB));
    assert_eq!(vsz(&config, "lmtp"), VszLimit::Bytes(1024 * MIB));
}

#[test]
fn explicit_settings_beat_groups() {
    let (config, _) = model(
        "default_vsz_limit = 1G\ngroup @vsz big {\n  default_vsz_limit = 2G\n}\n@vsz = big\n",
    );
    assert_eq!(vsz(&config, "lmtp"), VszLimit::Bytes(1024 * MIB));
}

#[test]
fn protocols_block_form_updates_the_list() {
    let (config, _) =
        model("protocols {\n  pop3 = no\n  submission = yes\n}\ndefault_vsz_limit = 1G\n");
    assert_eq!(config.protocols, ["imap", "lmtp", "submission"]);
    assert!(!config.service("pop3").unwrap().enabled);
    let (config, _) = model("protocols =\ndefault_vsz_limit = 1G\n");
    assert!(config.protocols.is_empty());
}

#[test]
fn version_settings_are_required_and_first() {
    let check = |text: &str| {
        let mut db = SourceDb::new();
        let id = db.add("/nonexistent/d.conf", text.into());
        let config = load_loaded(&mut db, id, &Settings::default());
        config
            .problems
            .iter()
            .map(|p| p.message.clone())
            .collect::<Vec<_>>()
    };
    assert!(check("# comments and blanks are fine\n\ndovecot_config_version = 2.4.4\ndovecot_storage_version = 2.4.4\ndefault_vsz_limit = 1G\n").is_empty());
    let include_first = check("!include_try /nonexistent/*.conf\ndovecot_config_version = 2.4.4\ndovecot_storage_version = 2.4.4\n");
    assert!(
        include_first.contains(&"The first setting must be dovecot_config_version".to_string()),
        "{include_first:?}"
    );
    let no_storage = check("dovecot_config_version = 2.4.4\n");
    assert!(
        no_storage.contains(&"dovecot_storage_version setting must be set".to_string()),
        "{no_storage:?}"
    );
}

#[test]
fn a_23_file_read_as_24_fails_at_its_first_line() {
    let mut db = SourceDb::new();
    let id = db.add(
        "/nonexistent/d.conf",
        "protocols = imap\ndefault_vsz_limit = 1G\n".into(),
    );
    let settings = Settings {
        dovecot_version: mxlint::model::dovecot::DovecotVersion::parse("2.4"),
        ..Settings::default()
    };
    let config = load_loaded(&mut db, id, &settings);
    let first = config
        .problems
        .iter()
        .find(|p| p.message == "The first setting must be dovecot_config_version")
        .unwrap();
    assert_eq!(db.file(id).line_col(first.span.start()).line, 1);
}

#[test]
fn heredoc_needs_245() {
    let (_, codes) = model("default_vsz_limit = 1G\nlogin_greeting = <<END\n");
    assert!(codes.contains("MX202"), "{codes:?}");
}

#[test]
fn quoted_keys_and_escapes() {
    let (config, codes) = model("\"default_vsz_limit\" = 1G\n");
    assert!(codes.is_empty(), "{codes:?}");
    assert_eq!(vsz(&config, "imap"), VszLimit::Bytes(1024 * MIB));
    let (config, _) = model("default_vsz_limit = 1G\nlogin_greeting = \"bad \\n escape\"\n");
    assert!(config
        .problems
        .iter()
        .any(|p| p.message == "Unknown escape sequence \\n"));
}

#[test]
fn unknown_settings_carry_the_key_twice() {
    let (config, codes) = model("default_vsz_limt = 1G\n");
    assert!(codes.contains("MX205"));
    assert!(config
        .problems
        .iter()
        .any(|p| p.message == "default_vsz_limt: Unknown setting: default_vsz_limt"));
}

#[test]
fn list_filters_need_a_name() {
    let (config, _) = model("default_vsz_limit = 1G\nservice {\n}\n");
    assert!(config
        .problems
        .iter()
        .any(|p| p.message == "service { } is missing section name"));
}

#[test]
fn fedora_stock_config_is_valid_and_runs_at_256m() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/fedora-stock/dovecot.conf"
    ))
    .unwrap();
    let mut db = SourceDb::new();
    let id = db.add(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/fedora-stock/dovecot.conf"
        ),
        text,
    );
    let settings = Settings::default();
    let config = load_loaded(&mut db, id, &settings);
    assert!(config.problems.is_empty(), "{:?}", config.problems);
    assert_eq!(config.protocols, ["imap", "lmtp"]);
    assert_eq!(vsz(&config, "imap"), VszLimit::Bytes(256 * MIB));
    let diagnostics = mxlint::rules::check_dovecot(&config, &settings);
    assert_eq!(diagnostics.len(), 1);
    assert_eq!(diagnostics[0].rule.code, "MX301");
    let at = db.file(id).line_col(diagnostics[0].primary.span.start());
    assert_eq!(
        (at.line, at.column),
        (14, 1),
        "right after the protocols block"
    );
}
