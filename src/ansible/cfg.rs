//! ansible::cfg: the few `ansible.cfg` settings that change what mxlint reads.
//!
//! Ansible reads `ansible.cfg` with Python's configparser (`;` also starts an inline comment,
//! `ansible/config/manager.py`). mxlint reads the file in the repository root only (not
//! `ANSIBLE_CONFIG`, `~/.ansible.cfg` or `/etc/ansible/ansible.cfg`: a lint run must not depend on
//! the machine it runs on) and only the `[defaults]` keys below. Relative paths are relative to
//! the file's directory, as Ansible resolves them.

use std::path::{Path, PathBuf};

/// What mxlint uses from `ansible.cfg`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AnsibleCfg {
    /// `[defaults] inventory`: comma-separated sources.
    pub inventory: Vec<PathBuf>,
    /// `[defaults] roles_path`: colon-separated directories searched for roles.
    pub roles_path: Vec<PathBuf>,
    /// `[defaults] fact_caching_connection` when `fact_caching = jsonfile`.
    pub fact_cache: Option<PathBuf>,
}

impl AnsibleCfg {
    /// Reads `dir/ansible.cfg`; a missing file gives the defaults.
    pub fn load(dir: &Path) -> AnsibleCfg {
        match std::fs::read_to_string(dir.join("ansible.cfg")) {
            Ok(text) => AnsibleCfg::parse(&text, dir),
            Err(_) => AnsibleCfg::default(),
        }
    }

    pub fn parse(text: &str, dir: &Path) -> AnsibleCfg {
        let defaults = section_values(text, "defaults");
        let get = |key: &str| {
            defaults
                .iter()
                .rev()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
        };
        // Collecting the components drops `.` (`./roles` → `roles`), as users expect to read it.
        let path = |p: &str| {
            dir.join(expand_home(p.trim()))
                .components()
                .collect::<PathBuf>()
        };
        let list = |value: Option<&str>, sep: char| -> Vec<PathBuf> {
            value
                .into_iter()
                .flat_map(|v| v.split(sep))
                .filter(|p| !p.trim().is_empty())
                .map(path)
                .collect()
        };
        let fact_cache = match get("fact_caching") {
            Some("jsonfile") => get("fact_caching_connection").map(path),
            _ => None,
        };
        AnsibleCfg {
            inventory: list(get("inventory").or_else(|| get("hostfile")), ','),
            roles_path: list(get("roles_path"), ':'),
            fact_cache,
        }
    }
}

fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => Path::new(&home).join(rest),
        _ => PathBuf::from(path),
    }
}

/// `key = value` pairs of one INI section, configparser style: keys lower-cased, `:` or `=`,
/// whole-line `#`/`;` comments, inline `;` comments after whitespace, indented continuation lines.
fn section_values(text: &str, wanted: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut in_section = false;
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if let Some(name) = trimmed.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
            in_section = name.trim() == wanted;
            continue;
        }
        if !in_section {
            continue;
        }
        let value_of = |v: &str| strip_inline_comment(v).trim().to_string();
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = out.last_mut() {
                value.push('\n');
                value.push_str(&value_of(trimmed));
            }
            continue;
        }
        if let Some(at) = trimmed.find(['=', ':']) {
            let key = trimmed[..at].trim().to_ascii_lowercase();
            out.push((key, value_of(&trimmed[at + 1..])));
        }
    }
    out
}

fn strip_inline_comment(value: &str) -> &str {
    let bytes = value.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b';' && i > 0 && bytes[i - 1].is_ascii_whitespace() {
            return &value[..i];
        }
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_inventory_roles_path_and_fact_cache_relative_to_the_file() {
        let cfg = AnsibleCfg::parse(
            "[defaults]\ninventory = inventories/prod, extra.ini ; comment\nroles_path: roles:shared/roles\nfact_caching = jsonfile\nfact_caching_connection = .facts\n[ssh_connection]\ninventory = nope\n",
            Path::new("/repo"),
        );
        assert_eq!(
            cfg.inventory,
            [
                PathBuf::from("/repo/inventories/prod"),
                PathBuf::from("/repo/extra.ini")
            ]
        );
        assert_eq!(
            cfg.roles_path,
            [
                PathBuf::from("/repo/roles"),
                PathBuf::from("/repo/shared/roles")
            ]
        );
        assert_eq!(cfg.fact_cache, Some(PathBuf::from("/repo/.facts")));
    }

    #[test]
    fn fact_cache_needs_the_jsonfile_plugin() {
        let cfg = AnsibleCfg::parse(
            "[defaults]\nfact_caching = redis\nfact_caching_connection = localhost:6379\n",
            Path::new("/r"),
        );
        assert_eq!(cfg.fact_cache, None);
    }
}
