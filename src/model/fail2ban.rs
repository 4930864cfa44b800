//! model::fail2ban: the jails fail2ban would run and each one's effective whitelist
//! (`ignoreip`, `ignoreself`, `ignorecommand`), resolved from a tree of configuration files the
//! way `fail2ban-client` reads them (fail2ban 1.0.2/1.1.0 `client/configreader.py`,
//! `configparserinc.py`, `jailreader.py`).
//!
//! Order: `jail.conf` → `jail.d/*.conf` → `jail.local` → `jail.d/*.local`, each expanded with
//! its `[INCLUDES] before/after` files and the `.local` beside every included `.conf`. Each file
//! is parsed alone (`parse::fail2ban`), then merged: `[DEFAULT]` key by key, other sections key by
//! key with the replaced values kept for `%(known/x)s`. Values are interpolated on demand with
//! configparser's rules plus fail2ban's `%(sec/x)s`, `%(default/x)s`, `%(known/x)s`,
//! `%(__name__)s`. Checked against `fail2ban-client -d` in tests/oracle_fail2ban.rs.
//!
//! Where its job ends: it records what fail2ban would do and what it silently ignores
//! ([`Problem`]); rules decide what to report.

pub mod entry;
mod interpolate;
mod load;

use crate::config::{Fail2banVersion, Settings};
use crate::net::Network;
use crate::source::{FileId, Span};

pub use entry::EntryClass;
pub use load::{load_dir, load_file, load_tree, load_tree_in, Stock};

/// One file of a fail2ban tree, by its path relative to `/etc/fail2ban`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TreeFile {
    /// `jail.local`, `jail.d/10-mail.local`, `fail2ban.local`, `admin-ips.conf`, …
    pub rel: String,
    pub file: FileId,
}

/// An address or network that every mail jail must ignore.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trusted {
    pub network: Network,
    /// As the user wrote it.
    pub text: String,
    /// Where it was written (a group_vars line), when known.
    pub origin: Option<Span>,
}

/// The trusted networks of `.mxlint.yml` (`fail2ban.trusted-networks`); entries that are not an
/// address or network are skipped (the settings loader validates them).
pub fn trusted_from_settings(settings: &Settings) -> Vec<Trusted> {
    settings
        .fail2ban
        .trusted_networks
        .iter()
        .filter_map(|text| {
            Network::parse(text).map(|network| Trusted {
                network,
                text: text.clone(),
                origin: None,
            })
        })
        .collect()
}

/// The whole resolved configuration.
#[derive(Clone, Debug)]
pub struct Fail2banConfig {
    pub version: Fail2banVersion,
    /// Every section fail2ban treats as a jail candidate, enabled or not, in merge order.
    pub jails: Vec<Jail>,
    pub problems: Vec<Problem>,
    /// Embedded stock files (jail.conf, paths-*.conf): never reported on.
    pub stock: Vec<FileId>,
    /// Files in the order fail2ban reads them (`Loading files: [...]`), by relative path.
    pub loaded: Vec<String>,
    /// `[DEFAULT] ignoreip` as the last file sets it, when some user file sets it.
    pub default_ignoreip: Option<Origin>,
}

impl Fail2banConfig {
    pub fn is_stock(&self, file: FileId) -> bool {
        self.stock.contains(&file)
    }

    /// True when fail2ban refuses this configuration (`fail2ban-client` exits 255).
    pub fn is_fatal(&self) -> bool {
        self.problems.iter().any(|p| p.fatal)
    }

    pub fn enabled_jails(&self) -> impl Iterator<Item = &Jail> {
        self.jails
            .iter()
            .filter(|j| j.enabled && j.skipped.is_none())
    }
}

/// Something fail2ban refuses or silently ignores.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub kind: ProblemKind,
    pub span: Span,
    pub message: String,
    /// fail2ban refuses the whole configuration.
    pub fatal: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProblemKind {
    /// A duplicate section or key, a line configparser cannot read.
    Syntax,
    /// A value whose interpolation fails (recursion, missing key, bad `%`).
    Interpolation,
    /// `[default]` (or another case) with content: an ordinary section, never a jail.
    LowercaseDefault,
    /// `ignoreip` in fail2ban.conf/fail2ban.local/fail2ban.d: not part of the jail config.
    IgnoredFile,
    /// `enabled = enable`, `y`, `ture`…: read as false.
    EnabledReadAsFalse { jail: String, value: String },
}

/// Where a value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    /// The `key = value` line (first line of a multi-line value).
    pub span: Span,
    /// `DEFAULT` or the jail's section name.
    pub section: String,
    pub file: FileId,
}

/// One jail candidate.
#[derive(Clone, Debug)]
pub struct Jail {
    pub name: String,
    /// The header that creates the section in the last user file naming it, else the stock one.
    pub header: Span,
    pub enabled: bool,
    /// The `enabled` value and the line that decided it (None: no `enabled` anywhere).
    pub enabled_by: Option<(String, Origin)>,
    /// Why fail2ban skips this enabled jail (`config-error`), e.g. an unknown filter.
    pub skipped: Option<String>,
    pub filter: String,
    pub port: String,
    pub mail: bool,
    pub ignoreip: Option<IgnoreIp>,
    /// `ignoreself` as set (None: not set, fail2ban's default true).
    pub ignoreself: Option<(bool, Origin)>,
    pub ignorecommand: Option<(String, Origin)>,
    pub ignorecache: Option<(String, Origin)>,
}

impl Jail {
    /// The effective `ignoreself` (fail2ban's default is true).
    pub fn ignores_self(&self) -> bool {
        self.ignoreself.as_ref().is_none_or(|(b, _)| *b)
    }

    /// True when the effective `ignoreip` covers every address of `net` (the `ignoreself`
    /// addresses are not counted; DNS names are not resolved).
    pub fn covers(&self, net: &Network) -> bool {
        self.ignoreip.as_ref().is_some_and(|ip| ip.covers(net))
    }

    /// The `ignoreip` line, or the jail header when there is none.
    pub fn whitelist_span(&self) -> Span {
        self.ignoreip
            .as_ref()
            .map_or(self.header, |i| i.origin.span)
    }
}

/// A jail's effective `ignoreip`.
#[derive(Clone, Debug)]
pub struct IgnoreIp {
    /// The line that decided the value (in the jail's section or `[DEFAULT]`).
    pub origin: Origin,
    pub from_default: bool,
    /// The interpolated value.
    pub value: String,
    pub entries: Vec<Entry>,
    /// Set when a jail value replaces `[DEFAULT]`'s and drops some of its entries (or is empty).
    pub replaced_default: Option<Replaced>,
}

impl IgnoreIp {
    pub fn covers(&self, net: &Network) -> bool {
        self.entries.iter().any(|e| e.covers(net))
    }
}

/// `[DEFAULT]`'s whitelist lost by a jail's own `ignoreip`.
#[derive(Clone, Debug)]
pub struct Replaced {
    pub default_origin: Origin,
    /// The DEFAULT entries the jail no longer ignores, as written.
    pub lost: Vec<String>,
}

/// One `ignoreip` entry after tokenising.
#[derive(Clone, Debug)]
pub struct Entry {
    pub text: String,
    /// Its bytes in the file that defines them (through interpolation too).
    pub span: Span,
    pub class: EntryClass,
    /// The entry follows a `#` on the same line (a "comment" fail2ban reads as entries).
    pub after_hash: bool,
}

impl Entry {
    pub fn covers(&self, net: &Network) -> bool {
        match &self.class {
            EntryClass::Single(n) | EntryClass::MatchesAll(n) => n.contains(net),
            EntryClass::Network { network, .. } => network.contains(net),
            _ => false,
        }
    }
}

/// Jails that watch a mail daemon (by name, filter or port).
pub fn is_mail_jail(name: &str, filter: &str, port: &str) -> bool {
    const NAMES: &[&str] = &[
        "dovecot",
        "sieve",
        "recidive",
        "courier-auth",
        "courier-smtp",
        "perdition",
        "cyrus-imap",
        "uwimap-auth",
        "solid-pop3d",
        "sendmail-auth",
        "sendmail-reject",
        "exim",
        "exim-spam",
        "qmail-rbl",
    ];
    const PORTS: &[&str] = &[
        "smtp",
        "25",
        "465",
        "smtps",
        "submission",
        "submissions",
        "587",
        "imap",
        "imap2",
        "imap3",
        "imaps",
        "143",
        "993",
        "pop3",
        "pop3s",
        "110",
        "995",
        "sieve",
        "4190",
    ];
    let filter_name = filter.split('[').next().unwrap_or("").trim();
    let mail_name = |n: &str| n.starts_with("postfix") || NAMES.contains(&n);
    mail_name(name)
        || mail_name(filter_name)
        || port
            .split([',', ' ', '\n'])
            .any(|p| PORTS.contains(&p.trim().to_ascii_lowercase().as_str()))
}

#[cfg(test)]
mod tests;
