//! report::show: the effective model of one host (`mxlint show REPO --host HOST`) or of the
//! plain files given (`mxlint show FILE`), as JSON or as tables. Reads the models; decides
//! nothing the rules decide.
//!
//! JSON (`"version": 1`; positions are `{path, line, column}`, 1-based with code-point
//! columns; `null` where the model has no position or value):
//! - `host`: the inventory name, or the file as named for plain files;
//! - when the host has Dovecot, at the top level: `path` (same as `host`), `dovecot_version`,
//!   `version_source` (`file`, `settings`, `default`), `protocols`, `services` (each with its
//!   effective `vsz_limit` — bytes, `"unlimited"`, or `"unknown"` when the value comes from the
//!   environment at run time — and the `source` that decided it, `{kind}` alone for the
//!   compiled default), and `listeners` (`service`, `name`, `protocol`, `port`, `address`,
//!   `ssl`, `enabled`, `listens`, `exposed`, `explicit`, `source`);
//! - `postfix`: `inet_interfaces`, `inet_interfaces_source`, `loopback_only`, `services`
//!   (`name`, `host`, `port`, `active`, `exposed`, `wrappermode`, `source`: the master.cf line);
//! - `requirements`: what clients must reach (`what`, `daemon`, `ports` — any one suffices —,
//!   `source`), and with a managed firewall the `zone` asked (the default zone), `open` and
//!   `opened_by` (`via`, `source`, `runtime_only`); `zone`/`open` are `null` without one;
//! - `firewalld`: `default_zone`; `zones` the host touches (default zone, zone files, zones
//!   changed by tasks), each with its `file`, `target` and effective `entries` (`kind`:
//!   `service`/`port`/`rich_rule`, `name`, the `ports` it opens, `source` — `null` for stock
//!   content —, `runtime_only`); `pending` changes (`zone`, `change`, `state`: `not-reloaded` or
//!   `runtime-only`, `source`);
//! - `fail2ban`: `version`, `trusted` networks (settings), counts of `enabled` and `disabled`
//!   jails, and `jails`, enabled first: `name`, `enabled`, `skipped`, `mail`, `filter`, `port`,
//!   `source`, `ignoreself` (effective) with its `ignoreself_source`, `ignorecommand` and its
//!   source, `ignoreip` (`source`, `section`, `from_default`, `entries` with `text`, `class`,
//!   `after_hash`, `source`, and the `lost_from_default` entries) and `misses_trusted`.
//!
//! `postfix`, `firewalld` and `fail2ban` are `null` when the host does not have that part.
//! Values of secret settings are never part of any model printed here.

mod host_human;
mod host_json;
#[cfg(test)]
mod host_tests;

pub use host_json::{host_json, HostJson, PositionJson};

use super::{path_of, write_table};
use crate::model::dovecot::{DovecotConfig, LimitOrigin, ServiceLimit, VersionOrigin, VszLimit};
use crate::model::size::format_size;
use crate::source::SourceDb;
use serde::Serialize;
use std::io::{self, Write};

#[derive(Serialize)]
pub struct ShowJson<'a> {
    pub version: u32,
    pub path: &'a str,
    pub dovecot_version: &'static str,
    pub version_source: &'static str,
    pub protocols: &'a [String],
    pub services: Vec<ServiceJson<'a>>,
}

#[derive(Serialize)]
pub struct ServiceJson<'a> {
    pub name: &'a str,
    pub enabled: bool,
    pub opens_mailboxes: bool,
    pub vsz_limit: LimitJson,
    pub source: SourceJson,
}

#[derive(Serialize)]
#[serde(untagged)]
pub enum LimitJson {
    Bytes(u64),
    /// `"unlimited"`, or `"unknown"` when only the running server can know it.
    Word(&'static str),
}

#[derive(Serialize)]
pub struct SourceJson {
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
}

pub fn version_source(origin: VersionOrigin) -> &'static str {
    match origin {
        VersionOrigin::File => "file",
        VersionOrigin::Settings => "settings",
        VersionOrigin::Default => "default",
    }
}

/// The model as JSON; `path` is the file as the user named it.
pub fn to_json<'a>(path: &'a str, db: &SourceDb, config: &'a DovecotConfig) -> ShowJson<'a> {
    ShowJson {
        version: 1,
        path,
        dovecot_version: config.version.as_str(),
        version_source: version_source(config.version_origin),
        protocols: &config.protocols,
        services: config
            .services
            .iter()
            .map(|s| service_json(db, s))
            .collect(),
    }
}

fn service_json<'a>(db: &SourceDb, service: &'a ServiceLimit) -> ServiceJson<'a> {
    let position = service.origin.span().map(|span| {
        let (start, _) = db.range(span);
        (path_of(db, span.file), start.line, start.column)
    });
    ServiceJson {
        name: &service.name,
        enabled: service.enabled,
        opens_mailboxes: service.opens_mailboxes,
        vsz_limit: match service.limit {
            VszLimit::Bytes(bytes) => LimitJson::Bytes(bytes),
            VszLimit::Unlimited => LimitJson::Word("unlimited"),
            // Set from the environment or a file at run time (`$ENV:`, `<file`). A wildcard so
            // this builds both before and after the model grows `VszLimit::Unknown`.
            #[allow(unreachable_patterns)]
            _ => LimitJson::Word("unknown"),
        },
        source: SourceJson {
            kind: service.origin.kind(),
            path: position.as_ref().map(|p| p.0.clone()),
            line: position.as_ref().map(|p| p.1),
            column: position.as_ref().map(|p| p.2),
        },
    }
}

pub fn write_json(
    out: &mut dyn Write,
    path: &str,
    db: &SourceDb,
    config: &DovecotConfig,
) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &to_json(path, db, config))?;
    writeln!(out)
}

/// A small table: one row per service.
pub fn write_human(
    out: &mut dyn Write,
    path: &str,
    db: &SourceDb,
    config: &DovecotConfig,
) -> io::Result<()> {
    writeln!(
        out,
        "{path}: Dovecot {} ({})",
        config.version.as_str(),
        match config.version_origin {
            VersionOrigin::File => "from dovecot_config_version",
            VersionOrigin::Settings => "from settings",
            VersionOrigin::Default => "default",
        }
    )?;
    writeln!(out, "protocols: {}", config.protocols.join(" "))?;
    let header = ["SERVICE", "ENABLED", "MAILBOXES", "VSZ LIMIT", "SET BY"];
    let rows: Vec<[String; 5]> = config
        .services
        .iter()
        .map(|s| {
            [
                s.name.clone(),
                yes_no(s.enabled),
                yes_no(s.opens_mailboxes),
                match s.limit {
                    VszLimit::Bytes(bytes) => format_size(bytes),
                    VszLimit::Unlimited => "unlimited".into(),
                    #[allow(unreachable_patterns)]
                    _ => "unknown (set at run time)".into(),
                },
                set_by(db, s.origin),
            ]
        })
        .collect();
    write_table(out, &header, &rows)
}

/// A host's whole mail stack as JSON (`mxlint show`; see the module doc).
pub fn write_host_json(
    out: &mut dyn Write,
    db: &SourceDb,
    host: &crate::model::host::MailHost,
    settings: &crate::config::Settings,
) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &host_json(db, host, settings))?;
    writeln!(out)
}

/// A host's whole mail stack as tables, one section per part it has.
pub fn write_host_human(
    out: &mut dyn Write,
    db: &SourceDb,
    host: &crate::model::host::MailHost,
    settings: &crate::config::Settings,
) -> io::Result<()> {
    host_human::write(out, db, host, settings)
}

fn yes_no(value: bool) -> String {
    if value { "yes" } else { "no" }.to_string()
}

fn set_by(db: &SourceDb, origin: LimitOrigin) -> String {
    match origin.span() {
        Some(span) => format!("{} at {}", origin.kind(), super::location(db, span)),
        None => origin.kind().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::dovecot::DovecotVersion;
    use crate::source::Span;

    fn config(db: &mut SourceDb) -> DovecotConfig {
        let file = db.add("dovecot.conf", "default_vsz_limit = 2G\n".into());
        let settings = crate::config::Settings {
            dovecot_version: Some(DovecotVersion::V2_4),
            ..Default::default()
        };
        let loaded = crate::model::dovecot::load_loaded(db, file, &settings);
        DovecotConfig {
            version: DovecotVersion::V2_4,
            version_origin: VersionOrigin::File,
            protocols: vec!["imap".into(), "lmtp".into()],
            services: vec![
                ServiceLimit {
                    name: "imap".into(),
                    enabled: true,
                    opens_mailboxes: true,
                    limit: VszLimit::Bytes(2 << 30),
                    origin: LimitOrigin::DefaultVszLimit(Span::new(file, 0, 22)),
                },
                ServiceLimit {
                    name: "pop3".into(),
                    enabled: false,
                    opens_mailboxes: true,
                    limit: VszLimit::Unlimited,
                    origin: LimitOrigin::Compiled,
                },
            ],
            ..loaded
        }
    }

    #[test]
    fn json_shape() {
        let mut db = SourceDb::new();
        let config = config(&mut db);
        let value = serde_json::to_value(to_json("dovecot.conf", &db, &config)).unwrap();
        assert_eq!(
            value,
            serde_json::json!({
                "version": 1,
                "path": "dovecot.conf",
                "dovecot_version": "2.4",
                "version_source": "file",
                "protocols": ["imap", "lmtp"],
                "services": [
                    {"name": "imap", "enabled": true, "opens_mailboxes": true,
                     "vsz_limit": 2147483648u64,
                     "source": {"kind": "default_vsz_limit", "path": "dovecot.conf",
                                "line": 1, "column": 1}},
                    {"name": "pop3", "enabled": false, "opens_mailboxes": true,
                     "vsz_limit": "unlimited",
                     "source": {"kind": "compiled-default"}}
                ]
            })
        );
    }

    #[test]
    fn human_table() {
        let mut db = SourceDb::new();
        let config = config(&mut db);
        let mut out = Vec::new();
        write_human(&mut out, "dovecot.conf", &db, &config).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "dovecot.conf: Dovecot 2.4 (from dovecot_config_version)\n\
             protocols: imap lmtp\n\
             SERVICE  ENABLED  MAILBOXES  VSZ LIMIT  SET BY\n\
             imap     yes      yes        2 G        default_vsz_limit at dovecot.conf:1:1\n\
             pop3     no       yes        unlimited  compiled-default\n"
        );
    }
}
