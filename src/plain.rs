//! plain: configuration files checked as they are, without Ansible — a Dovecot configuration,
//! a fail2ban file or directory, a firewalld zone or service file, Postfix `master.cf` and
//! `main.cf`. The kind comes from the file's name and place, as each daemon finds its files.
//!
//! The files of one run form one host when they are of different kinds (a `master.cf`, a
//! `dovecot.conf` and a zone file together say what that server exposes); when a kind repeats,
//! each file is its own host.

use crate::config::Settings;
use crate::diagnostic::FileError;
use crate::model::firewall::FirewallHost;
use crate::model::host::MailHost;
use crate::source::{read_source, SourceDb};
use std::path::Path;

/// What a plain file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PlainKind {
    Dovecot,
    /// A file or directory of fail2ban's jail configuration.
    Fail2ban,
    FirewalldZone,
    FirewalldService,
    PostfixMaster,
    PostfixMain,
}

/// The kind of `path` by its name and directory; anything unrecognised is Dovecot's (the
/// configuration mxlint reads most).
pub fn plain_kind(path: &Path) -> PlainKind {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let parent = path
        .parent()
        .and_then(|p| p.file_name())
        .and_then(|n| n.to_str())
        .unwrap_or("");
    if path.is_dir() {
        return PlainKind::Fail2ban;
    }
    match name {
        "master.cf" => PlainKind::PostfixMaster,
        "main.cf" => PlainKind::PostfixMain,
        "jail.conf" | "jail.local" | "fail2ban.conf" | "fail2ban.local" => PlainKind::Fail2ban,
        _ if parent == "jail.d" || parent == "fail2ban.d" => PlainKind::Fail2ban,
        _ if name.ends_with(".xml") && parent == "services" => PlainKind::FirewalldService,
        _ if name.ends_with(".xml") => PlainKind::FirewalldZone,
        _ => PlainKind::Dovecot,
    }
}

/// True for a directory that holds fail2ban's configuration (`jail.conf` or `jail.local`).
pub fn is_fail2ban_dir(path: &Path) -> bool {
    path.is_dir() && (path.join("jail.conf").is_file() || path.join("jail.local").is_file())
}

/// Reads plain files into hosts (see the module doc).
pub fn load_hosts(
    db: &mut SourceDb,
    paths: &[&Path],
    settings: &Settings,
) -> (Vec<MailHost>, Vec<FileError>) {
    // No files (a run over repositories only): no host, not one nameless host.
    if paths.is_empty() {
        return (Vec::new(), Vec::new());
    }
    let kinds: Vec<PlainKind> = paths.iter().map(|p| plain_kind(p)).collect();
    let mut distinct = kinds.clone();
    distinct.sort_by_key(|k| *k as u8);
    distinct.dedup();
    let repeats = distinct.len() < kinds.len()
        && kinds
            .iter()
            .any(|k| *k != PlainKind::FirewalldZone && *k != PlainKind::FirewalldService);
    let mut hosts = Vec::new();
    let mut errors = Vec::new();
    let groups: Vec<Vec<usize>> = if repeats {
        (0..paths.len()).map(|i| vec![i]).collect()
    } else {
        vec![(0..paths.len()).collect()]
    };
    for group in groups {
        let mut host = MailHost {
            name: paths[group[0]].to_string_lossy().into_owned(),
            ..MailHost::default()
        };
        let mut master = None;
        let mut main = None;
        for &i in &group {
            if let Err(error) = add(
                db,
                paths[i],
                kinds[i],
                settings,
                &mut host,
                &mut master,
                &mut main,
            ) {
                errors.push(error);
            }
        }
        if let Some(master) = master {
            host.postfix = Some(std::sync::Arc::new(crate::model::postfix::model(
                &master,
                main.as_ref(),
            )));
        }
        host.trusted = crate::model::fail2ban::trusted_from_settings(settings);
        let empty = host.dovecot.is_none()
            && host.postfix.is_none()
            && host.fail2ban.is_none()
            && host.firewall.is_none();
        if !empty {
            hosts.push(host);
        }
    }
    (hosts, errors)
}

fn add(
    db: &mut SourceDb,
    path: &Path,
    kind: PlainKind,
    settings: &Settings,
    host: &mut MailHost,
    master: &mut Option<crate::parse::postfix::MasterCf>,
    main: &mut Option<crate::parse::postfix::MainCf>,
) -> Result<(), FileError> {
    let stem = || {
        path.file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("public")
            .to_string()
    };
    match kind {
        PlainKind::Dovecot => {
            host.dovecot = Some(crate::model::dovecot::load(db, path, settings)?);
        }
        PlainKind::Fail2ban if path.is_dir() => {
            host.fail2ban = Some(std::sync::Arc::new(crate::model::fail2ban::load_dir(
                db, path, settings,
            )?));
        }
        PlainKind::Fail2ban => {
            host.fail2ban = Some(std::sync::Arc::new(crate::model::fail2ban::load_file(
                db, path, settings,
            )?));
        }
        PlainKind::FirewalldZone | PlainKind::FirewalldService => {
            let file = read_source(db, path)?;
            let fw = host
                .firewall
                .get_or_insert_with(|| FirewallHost::new(settings.firewalld.default_zone.clone()));
            let text = db.file(file).text();
            if kind == PlainKind::FirewalldZone {
                fw.zones
                    .push(crate::parse::firewalld::parse_zone(file, &stem(), text));
            } else {
                fw.services
                    .push(crate::parse::firewalld::parse_service(file, &stem(), text));
            }
        }
        PlainKind::PostfixMaster => {
            let file = read_source(db, path)?;
            *master = Some(crate::parse::postfix::parse_master(
                file,
                db.file(file).text(),
            ));
        }
        PlainKind::PostfixMain => {
            let file = read_source(db, path)?;
            *main = Some(crate::parse::postfix::parse_main_in(
                file,
                db.file(file).text(),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_by_name_and_place() {
        let cases = [
            ("/etc/postfix/master.cf", PlainKind::PostfixMaster),
            ("main.cf", PlainKind::PostfixMain),
            ("/etc/fail2ban/jail.local", PlainKind::Fail2ban),
            ("/etc/fail2ban/jail.d/mail.local", PlainKind::Fail2ban),
            ("fail2ban.local", PlainKind::Fail2ban),
            ("/etc/firewalld/zones/public.xml", PlainKind::FirewalldZone),
            ("FedoraServer.xml", PlainKind::FirewalldZone),
            (
                "/etc/firewalld/services/submission.xml",
                PlainKind::FirewalldService,
            ),
            ("/etc/dovecot/dovecot.conf", PlainKind::Dovecot),
            ("conf.d/10-master.conf", PlainKind::Dovecot),
        ];
        for (path, kind) in cases {
            assert_eq!(plain_kind(Path::new(path)), kind, "{path}");
        }
    }

    /// Regression: `check REPO` passes no plain files, and grouping them panicked on `paths[0]`.
    #[test]
    fn no_files_make_no_host() {
        let mut db = SourceDb::new();
        let (hosts, errors) = load_hosts(&mut db, &[], &Settings::default());
        assert!(hosts.is_empty() && errors.is_empty());
    }
}
