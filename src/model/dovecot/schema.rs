//! model::dovecot::schema: which settings and sections each Dovecot version knows, read from
//! `doveconf -a` dumps kept in `data/`, plus the few facts those dumps do not show.

use super::DovecotVersion;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

/// Known names for one version.
pub(crate) struct Schema {
    /// 2.3: top-level settings. 2.4: every setting (2.4 settings are all global).
    pub settings: BTreeSet<&'static str>,
    /// 2.3 keys of a section keyword (`service`, `inet_listener`, `namespace`, …).
    pub section_keys: BTreeMap<&'static str, BTreeSet<&'static str>>,
    /// Built-in services and their protocol ("" = always enabled).
    pub services: Vec<(&'static str, &'static str)>,
}

const DUMP_23: &str = include_str!("../../../data/dovecot-2.3.19-doveconf-a.txt");
const DUMP_24: &str = include_str!("../../../data/dovecot-2.4.4-doveconf-a.txt");

/// 2.3 section keys that `doveconf -a` does not print (empty lists by default); from
/// src/lib-storage/mail-storage-settings.c and src/auth/auth-settings.c of 2.3.19.
const NAMESPACE_23: &[&str] = &[
    "type",
    "separator",
    "prefix",
    "location",
    "alias_for",
    "inbox",
    "hidden",
    "list",
    "subscriptions",
    "ignore_on_failure",
    "disabled",
    "order",
];
const MAILBOX_23: &[&str] = &[
    "auto",
    "special_use",
    "driver",
    "comment",
    "autoexpunge",
    "autoexpunge_max_mails",
];
const PASSDB_23: &[&str] = &[
    "name",
    "driver",
    "args",
    "default_fields",
    "override_fields",
    "mechanisms",
    "username_filter",
    "skip",
    "result_success",
    "result_failure",
    "result_internalfail",
    "deny",
    "pass",
    "master",
    "auth_verbose",
];
const USERDB_23: &[&str] = &[
    "name",
    "driver",
    "args",
    "default_fields",
    "override_fields",
    "skip",
    "result_success",
    "result_failure",
    "result_internalfail",
    "auth_verbose",
];

/// Services 2.4 no longer has (replication, director, old stats, tcpwrap).
const REMOVED_IN_24: &[&str] = &[
    "aggregator",
    "director",
    "old-stats",
    "replicator",
    "tcpwrap",
];

pub(crate) fn schema(version: DovecotVersion) -> &'static Schema {
    static V23: OnceLock<Schema> = OnceLock::new();
    static V24: OnceLock<Schema> = OnceLock::new();
    match version {
        DovecotVersion::V2_3 => V23.get_or_init(|| build(DUMP_23, version)),
        DovecotVersion::V2_4 => V24.get_or_init(|| build(DUMP_24, version)),
    }
}

fn build(dump: &'static str, version: DovecotVersion) -> Schema {
    let mut out = Schema {
        settings: BTreeSet::new(),
        section_keys: BTreeMap::new(),
        services: Vec::new(),
    };
    // Indentation tells the nesting: `key = v` at depth 0, `service NAME {` opens depth 1, …
    let mut path: Vec<&'static str> = Vec::new();
    for line in dump.lines().filter(|l| !l.starts_with('#')) {
        let trimmed = line.trim_start();
        if trimmed == "}" {
            path.pop();
        } else if let Some(header) = trimmed.strip_suffix(" {") {
            let mut words = header.split(' ');
            let keyword = words.next().unwrap_or_default();
            if keyword == "service" {
                out.services.push((words.next().unwrap_or_default(), ""));
            }
            path.push(keyword);
        } else if let Some((key, value)) = trimmed
            .split_once(" = ")
            .or_else(|| trimmed.strip_suffix(" =").map(|k| (k, "")))
        {
            match path.last() {
                None => {
                    out.settings.insert(key);
                }
                Some(section) => {
                    out.section_keys.entry(section).or_default().insert(key);
                    if *section == "service" && key == "protocol" {
                        out.services.last_mut().expect("in a service").1 = value;
                    }
                }
            }
        }
    }
    if version == DovecotVersion::V2_3 {
        for (keyword, keys) in [
            ("namespace", NAMESPACE_23),
            ("mailbox", MAILBOX_23),
            ("passdb", PASSDB_23),
            ("userdb", USERDB_23),
        ] {
            out.section_keys
                .insert(keyword, keys.iter().copied().collect());
        }
    } else {
        // The 2.4 dump is flat; its services are 2.3's minus the removed ones.
        out.services = schema(DovecotVersion::V2_3)
            .services
            .iter()
            .filter(|(name, _)| !REMOVED_IN_24.contains(name))
            .copied()
            .collect();
    }
    out
}

impl Schema {
    pub fn is_setting(&self, key: &str) -> bool {
        self.settings.contains(key)
    }

    pub fn section_has(&self, keyword: &str, key: &str) -> bool {
        self.section_keys
            .get(keyword)
            .is_some_and(|k| k.contains(key))
    }

    /// 2.4: some setting starts with `prefix_` (a filter such as `ssl_server`).
    pub fn has_prefix(&self, prefix: &str) -> bool {
        let start = format!("{prefix}_");
        self.settings
            .range(start.as_str()..)
            .next()
            .is_some_and(|s| s.starts_with(&start))
    }

    pub fn service_protocol(&self, service: &str) -> Option<&'static str> {
        self.services
            .iter()
            .find(|(s, _)| *s == service)
            .map(|(_, p)| *p)
    }
}

pub(crate) use crate::suggest::did_you_mean;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_dumps() {
        let v23 = schema(DovecotVersion::V2_3);
        assert!(v23.is_setting("default_vsz_limit"));
        assert!(!v23.is_setting("service_vsz_limit"));
        assert!(v23.section_has("service", "vsz_limit"));
        assert!(v23.section_has("inet_listener", "port"));
        assert_eq!(v23.service_protocol("imap"), Some("imap"));
        assert_eq!(v23.service_protocol("indexer-worker"), Some(""));
        assert_eq!(v23.services.len(), 30);
        let v24 = schema(DovecotVersion::V2_4);
        assert!(v24.is_setting("service_vsz_limit"));
        assert!(v24.is_setting("dovecot_config_version"));
        assert!(v24.has_prefix("ssl_server"));
        assert_eq!(v24.service_protocol("lmtp"), Some("lmtp"));
        assert_eq!(v24.service_protocol("director"), None);
    }
}
