//! repo::discover: which files of a directory are the inventory and the playbooks.
//!
//! Order of preference, as a user would expect from Ansible itself: command-line options, then
//! `ansible.cfg` (`[defaults] inventory`), then the conventional names in the repository root.
//! Playbooks are the YAML files in the root (and `playbooks/`) whose top level is a list of plays;
//! a playbook that another one imports is read through that import only, not twice.

use crate::ansible::cfg::AnsibleCfg;
use std::path::{Path, PathBuf};

/// Inventory names tried in the repository root when nothing says otherwise.
const INVENTORY_NAMES: &[&str] = &[
    "inventory",
    "inventory.ini",
    "inventory.yml",
    "inventory.yaml",
    "hosts",
    "hosts.ini",
    "hosts.yml",
    "hosts.yaml",
];

/// The inventory sources: the given ones, else ansible.cfg's, else the first conventional name.
pub fn inventory_sources(root: &Path, given: &[PathBuf], cfg: &AnsibleCfg) -> Vec<PathBuf> {
    if !given.is_empty() {
        return given.to_vec();
    }
    if !cfg.inventory.is_empty() {
        return cfg.inventory.clone();
    }
    INVENTORY_NAMES
        .iter()
        .map(|n| root.join(n))
        .find(|p| p.exists())
        .into_iter()
        .collect()
}

/// Candidate playbooks: YAML files in `root` and `root/playbooks`, sorted by name.
pub fn playbook_candidates(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in [root.to_path_buf(), root.join("playbooks")] {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut files: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_file() && is_yaml(p) && !is_config_file(p))
            .collect();
        files.sort();
        out.extend(files);
    }
    out
}

fn is_yaml(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yml" | "yaml")
    )
}

/// mxlint's and other tools' own YAML files in a repository root are never playbooks.
fn is_config_file(path: &Path) -> bool {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    name.starts_with('.')
        || matches!(
            name,
            "mxlint.yml" | "requirements.yml" | "galaxy.yml" | "requirements.yaml"
        )
        || INVENTORY_NAMES.contains(&name)
}

/// True when `dir` looks like an Ansible repository rather than a config directory.
pub fn is_ansible_repo(dir: &Path) -> bool {
    dir.join("ansible.cfg").is_file()
        || INVENTORY_NAMES.iter().any(|n| dir.join(n).exists())
        || dir.join("roles").is_dir()
        || dir.join("group_vars").is_dir()
        || dir.join("playbooks").is_dir()
        || playbook_candidates(dir).iter().any(|p| {
            std::fs::read_to_string(p)
                .is_ok_and(|t| t.contains("hosts:") || t.contains("import_playbook"))
        })
}
