//! report::show::host_human: one host's whole mail stack as compact tables, one section per
//! part the host has (Dovecot, Postfix, what must be reachable, firewalld, fail2ban), separated
//! by blank lines. Same facts as the JSON, fewer of them: disabled jails only as a count.

use super::host_json::{
    change, entry_class, fail2ban_version, misses_trusted, only_from, pending_state,
    requirement_opening, target_name, zone_target,
};
use crate::config::Settings;
use crate::model::dovecot::{DovecotConfig, Listener};
use crate::model::exposure::requirements;
use crate::model::fail2ban::{Fail2banConfig, IgnoreIp, Jail, Trusted};
use crate::model::firewall::{FirewallHost, OpTarget, Opening};
use crate::model::host::MailHost;
use crate::model::postfix::PostfixModel;
use crate::report::{location, path_of, write_table};
use crate::source::SourceDb;
use std::io::{self, Write};

pub fn write(
    out: &mut dyn Write,
    db: &SourceDb,
    host: &MailHost,
    settings: &Settings,
) -> io::Result<()> {
    match &host.dovecot {
        Some(config) => {
            super::write_human(out, &host.name, db, config)?;
            write_listeners(out, db, config)?;
        }
        None => writeln!(out, "{}: {}", host.name, parts(host))?,
    }
    if let Some(postfix) = &host.postfix {
        writeln!(out)?;
        write_postfix(out, db, postfix)?;
    }
    write_requirements(out, db, host, settings)?;
    if let Some(firewall) = &host.firewall {
        writeln!(out)?;
        write_firewalld(out, db, firewall, settings)?;
    }
    if let Some(fail2ban) = &host.fail2ban {
        writeln!(out)?;
        write_fail2ban(out, db, fail2ban, &host.trusted)?;
    }
    Ok(())
}

/// `Postfix, firewalld`: the parts a host without Dovecot has.
fn parts(host: &MailHost) -> String {
    let names = [
        (host.postfix.is_some(), "Postfix"),
        (host.firewall.is_some(), "firewalld"),
        (host.fail2ban.is_some(), "fail2ban"),
    ];
    let present: Vec<&str> = names.iter().filter(|(p, _)| *p).map(|(_, n)| *n).collect();
    present.join(", ")
}

fn or_dash(text: Option<String>) -> String {
    text.filter(|t| !t.is_empty())
        .unwrap_or_else(|| "-".to_string())
}

fn yes_no(value: bool) -> String {
    if value { "yes" } else { "no" }.to_string()
}

fn write_listeners(out: &mut dyn Write, db: &SourceDb, config: &DovecotConfig) -> io::Result<()> {
    if config.listeners.is_empty() {
        return Ok(());
    }
    writeln!(out, "listeners:")?;
    let header = [
        "SERVICE", "LISTENER", "PORT", "ADDRESS", "SSL", "STATE", "SET BY",
    ];
    let rows: Vec<[String; 7]> = config
        .listeners
        .iter()
        .map(|l| {
            [
                l.service.clone(),
                l.name.clone(),
                or_dash(l.port.map(|p| p.to_string())),
                l.address.clone().unwrap_or_else(|| "*, ::".to_string()),
                yes_no(l.ssl),
                listener_state(l).to_string(),
                match l.span {
                    Some(span) => location(db, span),
                    None => "compiled-in".to_string(),
                },
            ]
        })
        .collect();
    write_table(out, &header, &rows)
}

fn listener_state(l: &Listener) -> &'static str {
    if !l.enabled {
        "off (protocol disabled)"
    } else if !l.listens() {
        "off (port 0)"
    } else if l.exposed() {
        "exposed"
    } else {
        "loopback"
    }
}

fn write_postfix(out: &mut dyn Write, db: &SourceDb, postfix: &PostfixModel) -> io::Result<()> {
    let interfaces = if postfix.inet_interfaces.is_empty() {
        "all".to_string()
    } else {
        postfix.inet_interfaces.join(", ")
    };
    let set_by = match postfix.inet_interfaces_span {
        Some(span) => format!("set at {}", location(db, span)),
        None => "default".to_string(),
    };
    writeln!(out, "Postfix: inet_interfaces = {interfaces} ({set_by})")?;
    let header = [
        "SERVICE", "HOST", "PORT", "ACTIVE", "EXPOSED", "WRAPPER", "LINE",
    ];
    let rows: Vec<[String; 7]> = postfix
        .services
        .iter()
        .map(|s| {
            [
                s.name.clone(),
                or_dash(s.host.clone()),
                or_dash(s.port.map(|p| p.to_string())),
                yes_no(s.active),
                yes_no(s.exposed),
                yes_no(s.wrappermode),
                location(db, s.line),
            ]
        })
        .collect();
    write_table(out, &header, &rows)
}

fn write_requirements(
    out: &mut dyn Write,
    db: &SourceDb,
    host: &MailHost,
    settings: &Settings,
) -> io::Result<()> {
    let needs = requirements(host.dovecot.as_ref(), host.postfix.as_deref());
    if needs.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    let Some(firewall) = &host.firewall else {
        writeln!(out, "must be reachable (no managed firewalld):")?;
        let rows: Vec<[String; 2]> = needs
            .iter()
            .map(|r| [r.what.clone(), location(db, r.span)])
            .collect();
        return write_table(out, &["NEEDS", "NEEDED BY"], &rows);
    };
    writeln!(
        out,
        "must be reachable (firewalld zone {}):",
        firewall.default_zone
    )?;
    let rows: Vec<[String; 4]> = needs
        .iter()
        .map(|r| {
            let opening = requirement_opening(r, firewall, settings);
            [
                r.what.clone(),
                yes_no(opening.is_some()),
                or_dash(opening.map(|o| opened_by(db, &o))),
                location(db, r.span),
            ]
        })
        .collect();
    write_table(out, &["NEEDS", "OPEN", "OPENED BY", "NEEDED BY"], &rows)
}

fn opened_by(db: &SourceDb, o: &Opening) -> String {
    let mut text = o.via.clone();
    match o.span {
        Some(span) => text.push_str(&format!(" at {}", location(db, span))),
        None => text.push_str(" (stock)"),
    }
    if o.runtime_only {
        text.push_str(", runtime only");
    }
    text
}

fn write_firewalld(
    out: &mut dyn Write,
    db: &SourceDb,
    firewall: &FirewallHost,
    settings: &Settings,
) -> io::Result<()> {
    writeln!(out, "firewalld: default zone {}", firewall.default_zone)?;
    for zone in firewall.touched_zones() {
        let content = match firewall.zone_file(zone) {
            Some(file) => format!("file {}", path_of(db, file.file)),
            None => "stock content".to_string(),
        };
        let target = zone_target(firewall, zone)
            .map(|t| format!(", target {t}"))
            .unwrap_or_default();
        writeln!(out, "zone {zone} ({content}{target}):")?;
        let rows: Vec<[String; 3]> = firewall
            .effective_entries(zone)
            .into_iter()
            .map(|(key, opening)| {
                let ports: Vec<String> = firewall
                    .entry_ports(settings.firewalld.version, &key)
                    .iter()
                    .map(ToString::to_string)
                    .collect();
                let entry = match only_from(firewall, zone, &key, &opening) {
                    Some(from) => format!("{} (from {from})", target_name(&key)),
                    None if matches!(key, OpTarget::RichRule(_)) => target_name(&key),
                    None => opening.via.clone(),
                };
                [entry, or_dash(Some(ports.join(" "))), set_by(db, &opening)]
            })
            .collect();
        write_table(out, &["ENTRY", "OPENS", "SET BY"], &rows)?;
    }
    let pending: Vec<[String; 4]> = firewall
        .ops
        .iter()
        .filter_map(|op| {
            Some([
                firewall.zone_of(op).to_string(),
                change(op)?,
                pending_state(op)?.to_string(),
                location(db, op.name_span),
            ])
        })
        .collect();
    if !pending.is_empty() {
        writeln!(out, "not durably in effect:")?;
        write_table(out, &["ZONE", "CHANGE", "STATE", "SET BY"], &pending)?;
    }
    Ok(())
}

fn set_by(db: &SourceDb, opening: &Opening) -> String {
    let place = opening
        .span
        .map_or_else(|| "stock".to_string(), |s| location(db, s));
    if opening.runtime_only {
        format!("{place} (runtime only)")
    } else {
        place
    }
}

fn write_fail2ban(
    out: &mut dyn Write,
    db: &SourceDb,
    config: &Fail2banConfig,
    trusted: &[Trusted],
) -> io::Result<()> {
    let running: Vec<&Jail> = config.enabled_jails().collect();
    let skipped = config
        .jails
        .iter()
        .filter(|j| j.enabled && j.skipped.is_some())
        .count();
    let disabled = config.jails.iter().filter(|j| !j.enabled).count();
    let mut counts = format!("{} enabled, {disabled} disabled", running.len());
    if skipped > 0 {
        counts.push_str(&format!(", {skipped} skipped"));
    }
    writeln!(
        out,
        "fail2ban {}: {counts} jails",
        fail2ban_version(config.version)
    )?;
    if !trusted.is_empty() {
        let texts: Vec<&str> = trusted.iter().map(|t| t.text.as_str()).collect();
        writeln!(out, "trusted networks: {}", texts.join(" "))?;
    }
    if running.is_empty() {
        return Ok(());
    }
    let header = [
        "JAIL",
        "IGNORESELF",
        "IGNORECOMMAND",
        "IGNOREIP SET BY",
        "MISSES TRUSTED",
    ];
    let rows: Vec<[String; 5]> = running
        .iter()
        .map(|j| {
            [
                j.name.clone(),
                yes_no(j.ignores_self()),
                or_dash(j.ignorecommand.as_ref().map(|(c, _)| c.clone())),
                match &j.ignoreip {
                    Some(ip) => {
                        format!("{} at {}", ip.origin.section, location(db, ip.origin.span))
                    }
                    None => "unset".to_string(),
                },
                or_dash(Some(misses_trusted(j, trusted).join(" "))),
            ]
        })
        .collect();
    write_table(out, &header, &rows)?;
    // Jails that share one `ignoreip` line (usually `[DEFAULT]`'s) share their rows.
    let mut whitelists: Vec<(Vec<&str>, &IgnoreIp)> = Vec::new();
    for jail in &running {
        let Some(ip) = &jail.ignoreip else { continue };
        match whitelists
            .iter_mut()
            .find(|(_, seen)| seen.origin.span == ip.origin.span)
        {
            Some((names, _)) => names.push(&jail.name),
            None => whitelists.push((vec![&jail.name], ip)),
        }
    }
    let entries: Vec<[String; 4]> = whitelists
        .iter()
        .flat_map(|(names, ip)| {
            ip.entries.iter().map(move |e| {
                [
                    names.join(", "),
                    e.text.clone(),
                    entry_class(&e.class).to_string(),
                    location(db, e.span),
                ]
            })
        })
        .collect();
    if !entries.is_empty() {
        writeln!(out, "whitelist:")?;
        write_table(out, &["JAILS", "ENTRY", "CLASS", "AT"], &entries)?;
    }
    Ok(())
}
