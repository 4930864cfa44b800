//! inventory::vars: the `group_vars/` and `host_vars/` directories beside an inventory source or
//! a playbook, read as ansible-core 2.19's `host_group_vars` vars plugin reads them
//! (`plugins/vars/host_group_vars.py`, `parsing/dataloader.py` `find_vars_files()`).
//!
//! For an entity `NAME` the first of `NAME`, `NAME.yml`, `NAME.yaml`, `NAME.json` that exists
//! wins — only that one. A directory is read recursively in sorted order: hidden entries and
//! names ending in `~` are skipped, files need no extension or one of the three, directories
//! must have no extension. Empty files are fine; a file whose data is not a mapping is MX104.
//! A vault-encrypted file cannot be read: it is listed in [`AdjacentVars::vaulted`] instead.
//!
//! Every file is read once per run, however many groups and hosts use it.

use super::{load_error, load_warning, Group, Host};
use crate::ansible::yaml::{self, Value};
use crate::ansible::Vars;
use crate::diagnostic::Diagnostic;
use crate::source::{read_source, SourceDb, Span};
use std::collections::{HashMap, HashSet};
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Ansible's `YAML_FILENAME_EXTENSIONS`, tried in this order after the bare name.
const EXTENSIONS: [&str; 3] = [".yml", ".yaml", ".json"];

/// How deep `group_vars/NAME/` is searched (Ansible has no limit and loops on a symlink cycle).
const MAX_DEPTH: usize = 32;

/// The variables `group_vars/` and `host_vars/` of one directory give each group and host
/// (indexed like [`super::Inventory::groups`] and the inventory's hosts).
#[derive(Debug, Default)]
pub struct AdjacentVars {
    pub(crate) dir: PathBuf,
    pub(crate) group: Vec<Option<Arc<Vars>>>,
    pub(crate) host: Vec<Option<Arc<Vars>>>,
    /// `host_vars/` of the implicit localhost, by the names of [`super::LOCALHOST`].
    pub(crate) localhost: Vec<Option<Arc<Vars>>>,
    /// Vault-encrypted files whose variables are unknown to mxlint.
    pub vaulted: Vec<PathBuf>,
}

impl AdjacentVars {
    /// The directory holding `group_vars/` and `host_vars/`.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// Files already read in this run, by canonical path: `None` for an empty, broken or vaulted
/// file.
pub(crate) type FileCache = HashMap<PathBuf, Option<Arc<Vars>>>;

pub(crate) struct Loader<'a> {
    pub db: &'a mut SourceDb,
    pub out: &'a mut Vec<Diagnostic>,
    /// Read earlier (by the inventory, when a playbook's directory is the inventory's).
    pub earlier: &'a FileCache,
    pub cache: FileCache,
    pub vaulted: Vec<PathBuf>,
}

impl Loader<'_> {
    /// `group_vars/` and `host_vars/` of `dir` for every group and host.
    pub fn adjacent(&mut self, dir: &Path, groups: &[Group], hosts: &[Host]) -> AdjacentVars {
        self.vaulted.clear();
        let group = self.entities(
            &dir.join("group_vars"),
            groups.iter().map(|g| g.name.as_str()),
        );
        let host = self.entities(
            &dir.join("host_vars"),
            hosts.iter().map(|h| h.name.as_str()),
        );
        let localhost = self.entities(&dir.join("host_vars"), super::LOCALHOST.into_iter());
        AdjacentVars {
            dir: dir.to_path_buf(),
            group,
            host,
            localhost,
            vaulted: std::mem::take(&mut self.vaulted),
        }
    }

    fn entities<'n>(
        &mut self,
        dir: &Path,
        names: impl ExactSizeIterator<Item = &'n str>,
    ) -> Vec<Option<Arc<Vars>>> {
        let count = names.len();
        match std::fs::metadata(dir) {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => {
                let message = format!(
                    "Found {} that is not a directory, skipping: {}",
                    dir.file_name().unwrap_or_default().to_string_lossy(),
                    dir.display()
                );
                let file = self.db.add(dir, String::new());
                self.out.push(load_warning(Span::new(file, 0, 0), message));
                return vec![None; count];
            }
            Err(_) => return vec![None; count],
        }
        // One listing instead of four `stat`s per group and host: most have no file.
        let listing: HashSet<OsString> = std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok().map(|e| e.file_name()))
                    .collect()
            })
            .unwrap_or_default();
        names.map(|name| self.entity(dir, &listing, name)).collect()
    }

    /// The variables of one entity: its files combined in order.
    fn entity(&mut self, dir: &Path, listing: &HashSet<OsString>, name: &str) -> Option<Arc<Vars>> {
        // host_group_vars skips "chroot" names such as `/path/to/chroot`.
        if name.starts_with('/') || name == "." || name == ".." || name.contains('\0') {
            return None;
        }
        let listed = |candidate: &str| {
            // A name with a `/` looks into a subdirectory, which the listing does not show.
            name.contains(std::path::MAIN_SEPARATOR) || listing.contains(OsStr::new(candidate))
        };
        let files = find_vars_files(dir, name, listed);
        let mut loaded: Vec<Arc<Vars>> = files.iter().filter_map(|f| self.file(f)).collect();
        match loaded.len() {
            0 => None,
            1 => loaded.pop(),
            _ => {
                let mut vars = Vars::new();
                for file in loaded {
                    for (k, v) in file.iter() {
                        vars.insert(k.clone(), Arc::clone(v));
                    }
                }
                Some(Arc::new(vars))
            }
        }
    }

    fn file(&mut self, path: &Path) -> Option<Arc<Vars>> {
        let key = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        if let Some(found) = self.earlier.get(&key).or_else(|| self.cache.get(&key)) {
            return found.clone();
        }
        let vars = self.read(path);
        self.cache.insert(key, vars.clone());
        vars
    }

    fn read(&mut self, path: &Path) -> Option<Arc<Vars>> {
        let file = match read_source(self.db, path) {
            Ok(file) => file,
            Err(error) => {
                let file = self.db.add(path, String::new());
                self.out
                    .push(load_error(Span::new(file, 0, 0), error.message));
                return None;
            }
        };
        let text = self.db.file(file).shared_text();
        if text.starts_with("$ANSIBLE_VAULT;") {
            self.vaulted.push(path.to_path_buf());
            return None;
        }
        let mut docs = match yaml::load(file, &text) {
            Ok(docs) => docs,
            Err(e) => {
                self.out.push(load_error(e.span, e.message));
                return None;
            }
        };
        if docs.len() > 1 {
            let span = docs[1].span;
            let message = "expected a single document in the stream, but found another document";
            self.out.push(load_error(span, message.into()));
            return None;
        }
        let doc = docs.pop()?;
        // Ansible skips data that is false in Python (`if new_data:`): null, `{}`, `[]`, `0`…
        if super::yaml::is_falsy(&doc) {
            return None;
        }
        let span = doc.span;
        let Value::Map(pairs) = doc.value else {
            let message = format!(
                "Could not process '{}': a vars file must hold a mapping of variable names to values",
                path.display()
            );
            self.out.push(load_error(span, message));
            return None;
        };
        let mut vars = Vars::new();
        for (k, v) in pairs {
            match super::yaml::key_text(&k) {
                Some(name) => {
                    vars.insert(name, Arc::new(v));
                }
                None => self.out.push(load_error(
                    k.span,
                    "a variable name must be a scalar".into(),
                )),
            }
        }
        Some(Arc::new(vars))
    }
}

/// `find_vars_files(dir, name)`: the first of `NAME`, `NAME.yml`, `NAME.yaml`, `NAME.json`
/// that exists (`listed` says which may), a directory giving its files.
fn find_vars_files(dir: &Path, name: &str, listed: impl Fn(&str) -> bool) -> Vec<PathBuf> {
    for ext in std::iter::once("").chain(EXTENSIONS) {
        let candidate = format!("{name}{ext}");
        if !listed(&candidate) {
            continue;
        }
        let path = dir.join(candidate);
        match std::fs::metadata(&path) {
            Ok(meta) if meta.is_dir() => {
                let mut found = Vec::new();
                dir_vars_files(&path, 0, &mut found);
                return found;
            }
            Ok(_) => return vec![path],
            Err(_) => {}
        }
    }
    Vec::new()
}

/// The names in a directory, sorted: Ansible walks inventory sources and vars directories
/// in this order, skipping entries it cannot read.
pub(super) fn sorted_names(dir: &Path) -> std::io::Result<Vec<OsString>> {
    let mut names: Vec<_> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.file_name()))
        .collect();
    names.sort();
    Ok(names)
}

/// `_get_dir_vars_files`: sorted, recursive, skipping hidden and backup names.
fn dir_vars_files(dir: &Path, depth: usize, found: &mut Vec<PathBuf>) {
    if depth > MAX_DEPTH {
        return;
    }
    let Ok(names) = sorted_names(dir) else {
        return;
    };
    for name in names {
        let text = name.to_string_lossy();
        if text.starts_with('.') || text.ends_with('~') {
            continue;
        }
        let ext = python_extension(&text);
        let path = dir.join(&name);
        match std::fs::metadata(&path) {
            Ok(meta) if meta.is_dir() && ext.is_empty() => {
                dir_vars_files(&path, depth + 1, found);
            }
            Ok(meta) if meta.is_file() && (ext.is_empty() || EXTENSIONS.contains(&ext)) => {
                found.push(path);
            }
            _ => {}
        }
    }
}

/// Python's `os.path.splitext(name)[1]`: from the last dot, unless only dots precede it.
pub(crate) fn python_extension(name: &str) -> &str {
    match name.rfind('.') {
        Some(at) if name[..at].chars().any(|c| c != '.') => &name[at..],
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_follow_splitext() {
        assert_eq!(python_extension("all.yml"), ".yml");
        assert_eq!(python_extension("a.b.json"), ".json");
        assert_eq!(python_extension(".hidden"), "");
        assert_eq!(python_extension("..x"), "");
        assert_eq!(python_extension("web"), "");
        assert_eq!(python_extension("web."), ".");
    }
}
