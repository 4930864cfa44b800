//! report::show::host_json: one host's whole mail stack as the versioned JSON of `mxlint show`
//! (the shape is documented in [`super`]). Reads the models; decides nothing a rule decides
//! except whether the firewall zone opens each requirement, which it asks the firewall model.

use super::{service_json, version_source, ServiceJson};
use crate::config::{Fail2banVersion, Settings};
use crate::model::dovecot::{DovecotConfig, Listener};
use crate::model::exposure::{requirements, Daemon, Requirement};
use crate::model::fail2ban::{Entry, EntryClass, Fail2banConfig, Jail, Origin, Trusted};
use crate::model::firewall::{FirewallHost, FirewallOp, OpTarget, Opening};
use crate::model::host::MailHost;
use crate::model::postfix::{InetService, PostfixModel};
use crate::parse::firewalld::parse_rich_rule;
use crate::report::path_of;
use crate::source::{FileId, SourceDb, Span};
use serde::Serialize;

#[derive(Serialize)]
pub struct HostJson<'a> {
    pub version: u32,
    pub host: &'a str,
    /// The Dovecot keys sit at the top level, as `mxlint show dovecot.conf` always printed them.
    #[serde(flatten)]
    pub dovecot: Option<DovecotJson<'a>>,
    pub postfix: Option<PostfixJson<'a>>,
    pub requirements: Vec<RequirementJson>,
    pub firewalld: Option<FirewalldJson>,
    pub fail2ban: Option<Fail2banJson>,
}

/// A position: path as opened, 1-based line and code-point column.
#[derive(Serialize, Debug, PartialEq, Eq)]
pub struct PositionJson {
    pub path: String,
    pub line: usize,
    pub column: usize,
}

#[derive(Serialize)]
pub struct DovecotJson<'a> {
    pub path: &'a str,
    pub dovecot_version: &'static str,
    pub version_source: &'static str,
    pub protocols: &'a [String],
    pub services: Vec<ServiceJson<'a>>,
    pub listeners: Vec<ListenerJson<'a>>,
}

#[derive(Serialize)]
pub struct ListenerJson<'a> {
    pub service: &'a str,
    pub name: &'a str,
    pub protocol: &'a str,
    pub port: Option<u16>,
    /// None: the compiled default `*, ::`.
    pub address: Option<&'a str>,
    pub ssl: bool,
    pub enabled: bool,
    pub listens: bool,
    pub exposed: bool,
    pub explicit: bool,
    /// None: compiled in, never mentioned by the configuration.
    pub source: Option<PositionJson>,
}

#[derive(Serialize)]
pub struct PostfixJson<'a> {
    pub inet_interfaces: &'a [String],
    /// None: the compiled default (`all`).
    pub inet_interfaces_source: Option<PositionJson>,
    pub loopback_only: bool,
    pub services: Vec<InetServiceJson<'a>>,
}

#[derive(Serialize)]
pub struct InetServiceJson<'a> {
    pub name: &'a str,
    pub host: Option<&'a str>,
    pub port: Option<u16>,
    pub active: bool,
    pub exposed: bool,
    pub wrappermode: bool,
    pub source: PositionJson,
}

#[derive(Serialize)]
pub struct RequirementJson {
    pub what: String,
    /// `postfix` or `dovecot`.
    pub daemon: &'static str,
    /// Any one of them open satisfies the requirement.
    pub ports: Vec<PortJson>,
    pub source: PositionJson,
    /// The zone asked (the default zone); null without a managed firewall.
    pub zone: Option<String>,
    /// null without a managed firewall.
    pub open: Option<bool>,
    pub opened_by: Option<OpeningJson>,
}

#[derive(Serialize)]
pub struct PortJson {
    pub port: u16,
    pub proto: &'static str,
    /// The services(5) name, `""` for others.
    pub name: &'static str,
}

#[derive(Serialize)]
pub struct OpeningJson {
    /// `service smtp`, `port 587/tcp`, `rich rule`, `target ACCEPT`.
    pub via: String,
    /// None: stock zone content.
    pub source: Option<PositionJson>,
    pub runtime_only: bool,
}

#[derive(Serialize)]
pub struct FirewalldJson {
    pub default_zone: String,
    pub zones: Vec<ZoneJson>,
    /// Changes not (or not durably) in effect.
    pub pending: Vec<PendingJson>,
}

#[derive(Serialize)]
pub struct ZoneJson {
    pub name: String,
    /// The zone file the repository writes; null: the stock zone applies.
    pub file: Option<String>,
    /// `ACCEPT`, `DROP`, … when the zone sets one; null: default.
    pub target: Option<String>,
    pub entries: Vec<ZoneEntryJson>,
}

#[derive(Serialize)]
pub struct ZoneEntryJson {
    /// `service`, `port` or `rich_rule`.
    pub kind: &'static str,
    /// The service name, `587/tcp`, or the rule's text.
    pub name: String,
    /// The ports it opens (`25/tcp`, `5646-5647/tcp`).
    pub ports: Vec<String>,
    /// A rich rule's source address: it opens the ports to that source only.
    pub only_from: Option<String>,
    /// None: stock zone content.
    pub source: Option<PositionJson>,
    pub runtime_only: bool,
}

#[derive(Serialize)]
pub struct PendingJson {
    pub zone: String,
    /// `add service submission`, `remove port 587/tcp`.
    pub change: String,
    /// `not-reloaded` (permanent, in effect after the next reload) or `runtime-only` (in
    /// effect now, lost on the next reload).
    pub state: &'static str,
    pub source: PositionJson,
}

#[derive(Serialize)]
pub struct Fail2banJson {
    pub version: &'static str,
    pub trusted: Vec<TrustedJson>,
    pub enabled: usize,
    pub disabled: usize,
    /// Enabled jails first, each group in merge order.
    pub jails: Vec<JailJson>,
}

#[derive(Serialize)]
pub struct TrustedJson {
    pub text: String,
    pub source: Option<PositionJson>,
}

#[derive(Serialize)]
pub struct JailJson {
    pub name: String,
    pub enabled: bool,
    /// Why fail2ban skips this enabled jail.
    pub skipped: Option<String>,
    pub mail: bool,
    pub filter: String,
    pub port: String,
    pub source: PositionJson,
    pub ignoreself: bool,
    pub ignoreself_source: Option<PositionJson>,
    /// null when unset or empty.
    pub ignorecommand: Option<String>,
    pub ignorecommand_source: Option<PositionJson>,
    pub ignoreip: Option<IgnoreIpJson>,
    /// Trusted networks (settings) the whitelist does not cover.
    pub misses_trusted: Vec<String>,
}

#[derive(Serialize)]
pub struct IgnoreIpJson {
    /// The line that set it; `section` is `DEFAULT` or the jail.
    pub source: PositionJson,
    pub section: String,
    pub from_default: bool,
    pub entries: Vec<EntryJson>,
    /// `[DEFAULT]` entries the jail's own value drops.
    pub lost_from_default: Vec<String>,
}

#[derive(Serialize)]
pub struct EntryJson {
    pub text: String,
    /// `single`, `network`, `matches-all`, `dns`, `raw`, `fatal`, `file`.
    pub class: &'static str,
    pub after_hash: bool,
    pub source: PositionJson,
}

pub(crate) fn position(db: &SourceDb, span: Span) -> PositionJson {
    let (start, _) = db.range(span);
    PositionJson {
        path: path_of(db, span.file),
        line: start.line,
        column: start.column,
    }
}

/// The host as JSON.
pub fn host_json<'a>(db: &SourceDb, host: &'a MailHost, settings: &Settings) -> HostJson<'a> {
    HostJson {
        version: 1,
        host: &host.name,
        dovecot: host
            .dovecot
            .as_ref()
            .map(|d| dovecot_json(db, &host.name, d)),
        postfix: host.postfix.as_ref().map(|p| postfix_json(db, p)),
        requirements: requirements(host.dovecot.as_ref(), host.postfix.as_deref())
            .iter()
            .map(|r| requirement_json(db, r, host.firewall.as_ref(), settings))
            .collect(),
        firewalld: host
            .firewall
            .as_ref()
            .map(|f| firewalld_json(db, f, settings)),
        fail2ban: host
            .fail2ban
            .as_ref()
            .map(|f| fail2ban_json(db, f, &host.trusted)),
    }
}

fn dovecot_json<'a>(db: &SourceDb, path: &'a str, config: &'a DovecotConfig) -> DovecotJson<'a> {
    DovecotJson {
        path,
        dovecot_version: config.version.as_str(),
        version_source: version_source(config.version_origin),
        protocols: &config.protocols,
        services: config
            .services
            .iter()
            .map(|s| service_json(db, s))
            .collect(),
        listeners: config
            .listeners
            .iter()
            .map(|l| listener_json(db, l))
            .collect(),
    }
}

fn listener_json<'a>(db: &SourceDb, l: &'a Listener) -> ListenerJson<'a> {
    ListenerJson {
        service: &l.service,
        name: &l.name,
        protocol: &l.protocol,
        port: l.port,
        address: l.address.as_deref(),
        ssl: l.ssl,
        enabled: l.enabled,
        listens: l.listens(),
        exposed: l.exposed(),
        explicit: l.explicit,
        source: l.span.map(|s| position(db, s)),
    }
}

fn postfix_json<'a>(db: &SourceDb, postfix: &'a PostfixModel) -> PostfixJson<'a> {
    PostfixJson {
        inet_interfaces: &postfix.inet_interfaces,
        inet_interfaces_source: postfix.inet_interfaces_span.map(|s| position(db, s)),
        loopback_only: postfix.loopback_only,
        services: postfix
            .services
            .iter()
            .map(|s| inet_service_json(db, s))
            .collect(),
    }
}

fn inet_service_json<'a>(db: &SourceDb, s: &'a InetService) -> InetServiceJson<'a> {
    InetServiceJson {
        name: &s.name,
        host: s.host.as_deref(),
        port: s.port,
        active: s.active,
        exposed: s.exposed,
        wrappermode: s.wrappermode,
        source: position(db, s.line),
    }
}

/// Whether the host's default zone opens `requirement` (any of its ports), and by what.
pub(crate) fn requirement_opening(
    requirement: &Requirement,
    firewall: &FirewallHost,
    settings: &Settings,
) -> Option<Opening> {
    requirement.alternatives.iter().find_map(|p| {
        firewall.opens(
            settings.firewalld.version,
            &firewall.default_zone,
            p.port,
            "tcp",
        )
    })
}

fn requirement_json(
    db: &SourceDb,
    r: &Requirement,
    firewall: Option<&FirewallHost>,
    settings: &Settings,
) -> RequirementJson {
    let opening = firewall.map(|f| requirement_opening(r, f, settings));
    RequirementJson {
        what: r.what.clone(),
        daemon: match r.daemon {
            Daemon::Postfix => "postfix",
            Daemon::Dovecot => "dovecot",
        },
        ports: r
            .alternatives
            .iter()
            .map(|p| PortJson {
                port: p.port,
                proto: "tcp",
                name: p.name,
            })
            .collect(),
        source: position(db, r.span),
        zone: firewall.map(|f| f.default_zone.clone()),
        open: opening.as_ref().map(Option::is_some),
        opened_by: opening.flatten().map(|o| opening_json(db, o)),
    }
}

fn opening_json(db: &SourceDb, o: Opening) -> OpeningJson {
    OpeningJson {
        via: o.via,
        source: o.span.map(|s| position(db, s)),
        runtime_only: o.runtime_only,
    }
}

fn firewalld_json(db: &SourceDb, firewall: &FirewallHost, settings: &Settings) -> FirewalldJson {
    FirewalldJson {
        default_zone: firewall.default_zone.clone(),
        zones: firewall
            .touched_zones()
            .into_iter()
            .map(|z| zone_json(db, firewall, z, settings))
            .collect(),
        pending: firewall
            .ops
            .iter()
            .filter_map(|op| {
                Some(PendingJson {
                    zone: firewall.zone_of(op).to_string(),
                    change: change(op)?,
                    state: pending_state(op)?,
                    source: position(db, op.name_span),
                })
            })
            .collect(),
    }
}

fn zone_json(db: &SourceDb, firewall: &FirewallHost, zone: &str, settings: &Settings) -> ZoneJson {
    let file = firewall.zone_file(zone);
    ZoneJson {
        name: zone.to_string(),
        file: file.map(|f| path_of(db, f.file)),
        target: zone_target(firewall, zone),
        entries: firewall
            .effective_entries(zone)
            .into_iter()
            .map(|(key, opening)| ZoneEntryJson {
                kind: match key {
                    OpTarget::Service(_) => "service",
                    OpTarget::Port { .. } => "port",
                    _ => "rich_rule",
                },
                ports: firewall
                    .entry_ports(settings.firewalld.version, &key)
                    .iter()
                    .map(ToString::to_string)
                    .collect(),
                name: target_name(&key),
                only_from: only_from(firewall, zone, &key, &opening),
                source: opening.span.map(|s| position(db, s)),
                runtime_only: opening.runtime_only,
            })
            .collect(),
    }
}

/// The source address a rich rule entry accepts from: the zone file's rule written at the
/// entry's position, else the rule text a task adds.
pub(crate) fn only_from(
    firewall: &FirewallHost,
    zone: &str,
    key: &OpTarget,
    opening: &Opening,
) -> Option<String> {
    let OpTarget::RichRule(text) = key else {
        return None;
    };
    let written = firewall.zone_file(zone).and_then(|file| {
        file.rich_rules
            .iter()
            .find(|r| Some(r.span) == opening.span)
    });
    match written {
        Some(rule) => rule.source.clone(),
        None => parse_rich_rule(text, Span::new(FileId(0), 0, 0)).source,
    }
}

/// The zone's target: its file's, else `ACCEPT` for the stock `trusted` zone.
pub(crate) fn zone_target(firewall: &FirewallHost, zone: &str) -> Option<String> {
    match firewall.zone_file(zone) {
        Some(file) => file.target.as_ref().map(|t| t.name.clone()),
        None => (zone == "trusted").then(|| "ACCEPT".to_string()),
    }
}

pub(crate) fn target_name(key: &OpTarget) -> String {
    match key {
        OpTarget::Service(s) => s.clone(),
        OpTarget::Port { port, proto } => format!("{port}/{proto}"),
        OpTarget::RichRule(text) => text.clone(),
        OpTarget::Other => String::new(),
    }
}

/// `add service submission`; None for changes that open nothing.
pub(crate) fn change(op: &FirewallOp) -> Option<String> {
    let kind = match op.target {
        OpTarget::Service(_) => "service",
        OpTarget::Port { .. } => "port",
        OpTarget::RichRule(_) => "rich rule",
        OpTarget::Other => return None,
    };
    let verb = if op.enable { "add" } else { "remove" };
    Some(format!("{verb} {kind} {}", target_name(&op.target)))
}

/// Why a change is not durably in effect; None when it is.
pub(crate) fn pending_state(op: &FirewallOp) -> Option<&'static str> {
    if !op.in_effect() {
        op.permanent.then_some("not-reloaded")
    } else if !op.permanent && !op.offline {
        Some("runtime-only")
    } else {
        None
    }
}

fn fail2ban_json(db: &SourceDb, config: &Fail2banConfig, trusted: &[Trusted]) -> Fail2banJson {
    let (enabled, disabled): (Vec<&Jail>, Vec<&Jail>) =
        config.jails.iter().partition(|j| j.enabled);
    Fail2banJson {
        version: fail2ban_version(config.version),
        trusted: trusted
            .iter()
            .map(|t| TrustedJson {
                text: t.text.clone(),
                source: t.origin.map(|s| position(db, s)),
            })
            .collect(),
        enabled: enabled.len(),
        disabled: disabled.len(),
        jails: enabled
            .iter()
            .chain(&disabled)
            .map(|j| jail_json(db, j, trusted))
            .collect(),
    }
}

pub(crate) fn fail2ban_version(version: Fail2banVersion) -> &'static str {
    match version {
        Fail2banVersion::V1_0 => "1.0",
        Fail2banVersion::V1_1 => "1.1",
        Fail2banVersion::V1_1_1 => "1.1.1",
    }
}

/// The trusted networks the jail's whitelist leaves out, as written.
pub(crate) fn misses_trusted(jail: &Jail, trusted: &[Trusted]) -> Vec<String> {
    trusted
        .iter()
        .filter(|t| !jail.covers(&t.network))
        .map(|t| t.text.clone())
        .collect()
}

fn jail_json(db: &SourceDb, jail: &Jail, trusted: &[Trusted]) -> JailJson {
    let origin = |o: &Origin| position(db, o.span);
    // Stock jail.conf sets `ignorecommand =` empty: no command.
    let command = jail
        .ignorecommand
        .as_ref()
        .filter(|(c, _)| !c.trim().is_empty());
    JailJson {
        name: jail.name.clone(),
        enabled: jail.enabled,
        skipped: jail.skipped.clone(),
        mail: jail.mail,
        filter: jail.filter.clone(),
        port: jail.port.clone(),
        source: position(db, jail.header),
        ignoreself: jail.ignores_self(),
        ignoreself_source: jail.ignoreself.as_ref().map(|(_, o)| origin(o)),
        ignorecommand: command.map(|(c, _)| c.clone()),
        ignorecommand_source: command.map(|(_, o)| origin(o)),
        ignoreip: jail.ignoreip.as_ref().map(|ip| IgnoreIpJson {
            source: origin(&ip.origin),
            section: ip.origin.section.clone(),
            from_default: ip.from_default,
            entries: ip.entries.iter().map(|e| entry_json(db, e)).collect(),
            lost_from_default: ip
                .replaced_default
                .as_ref()
                .map(|r| r.lost.clone())
                .unwrap_or_default(),
        }),
        misses_trusted: misses_trusted(jail, trusted),
    }
}

fn entry_json(db: &SourceDb, e: &Entry) -> EntryJson {
    EntryJson {
        text: e.text.clone(),
        class: entry_class(&e.class),
        after_hash: e.after_hash,
        source: position(db, e.span),
    }
}

pub(crate) fn entry_class(class: &EntryClass) -> &'static str {
    match class {
        EntryClass::Single(_) => "single",
        EntryClass::Network { .. } => "network",
        EntryClass::MatchesAll(_) => "matches-all",
        EntryClass::Dns => "dns",
        EntryClass::Raw => "raw",
        EntryClass::Fatal(_) => "fatal",
        EntryClass::File(_) => "file",
    }
}
