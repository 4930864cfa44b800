//! ansible::inventory: the hosts and groups of an Ansible inventory, each host's inventory
//! variables, and host patterns — as ansible-core 2.19.14 builds them, checked against
//! `ansible-inventory --list` and `ansible --list-hosts` (tests/oracle_inventory.rs).
//! Ends at variables: templating them, play and role variables belong to the callers.
//!
//! # Sources
//!
//! [`Inventory::load`] reads `-i` sources in order, into one inventory:
//! - an INI file (`ini`: sections, `key=value` host variables read as Python literals, host
//!   ranges `mail[01:20]`, `[a:c]`, `[0:10:2]`, `host:port`);
//! - a YAML or JSON file (`yaml`: `all:` with `hosts`, `vars`, `children`, nested);
//! - a directory: its entries in sorted order, recursively, skipping hidden names,
//!   `group_vars`, `host_vars`, `vars_plugins` and names ending in `~ .orig .bak .cfg .retry
//!   .pyc .pyo .swp .rpm .md .txt .rst` (`INVENTORY_IGNORE_EXTS`; `.ini` is *not* skipped);
//! - a host list such as `mx1,mx2` (a source that is not a file and holds a comma).
//!
//! Which reader takes a file follows Ansible's plugin order: `.yml`, `.yaml`, `.json` and
//! extension-less files are tried as YAML first, then as INI; other files are INI. A YAML
//! file with a top-level `plugin:` key (an inventory plugin configuration), a `.toml` file and
//! an executable script are reported as not read (MX104 warnings): their hosts are missing.
//! Then `reconcile_inventory()`: a group without parent goes under `all`, a host in no group but
//! `all` goes to `ungrouped`, a host in another group leaves `ungrouped`.
//!
//! # Variables
//!
//! [`Inventory::host_vars`] merges, lowest first (ansible-core `vars/manager.py` `get_vars()`
//! with the default `VARIABLE_PRECEDENCE`; whole top-level names replace, `hash_behaviour =
//! replace`):
//! 1. inline vars of `all` (`[all:vars]`, `all: vars:`);
//! 2. inline vars of the host's other groups, sorted by depth (parents before children), then
//!    `ansible_group_priority`, then name;
//! 3. `group_vars/all` beside each inventory source, then beside the playbook;
//! 4. `group_vars/<group>` beside each inventory source (for each source, every group in the
//!    order of 2), then beside the playbook;
//! 5. the host's inline vars (`host:port` gives `ansible_port` first);
//! 6. `host_vars/<host>` beside each inventory source, then beside the playbook.
//!
//! Note that inline vars of *every* group sit below `group_vars/all`: Ansible's documented list
//! puts "inventory group vars" in one slot, and the code agrees. `ansible_group_priority`
//! counts only where the inventory itself sets it; in `group_vars/` it is a plain variable.
//! `group_vars/` and `host_vars/` are read as the `vars` module describes; each file once per
//! run.
//!
//! # Differences from Ansible
//!
//! - A bad line or node is reported (MX104) and skipped; Ansible gives up on the whole file.
//! - A range expanding to more than [`MAX_RANGE_HOSTS`] hosts is refused.
//! - Where Ansible iterates a Python `set` (the order of groups two levels below a group when
//!   listing its hosts, the elements of an INI `{1, 2}` set), mxlint keeps the written order.
//! - Magic variables (`inventory_hostname`, `inventory_file`, `groups`…) are not in the vars;
//!   [`Inventory::group_names`] and [`Inventory::groups_map`] give the two that depend on the
//!   inventory. The implicit `localhost` gets the vars `ansible-playbook` gives it, without
//!   `ansible_connection` and `ansible_python_interpreter`.
//! - A file that is not UTF-8 is refused (Ansible accepts other bytes in INI comment lines).
//! - `--limit @file` is not read: [`Inventory::select`] takes the pattern itself.
//! - Inventory scripts, inventory plugins, TOML, vault-encrypted vars files (listed in
//!   [`AdjacentVars::vaulted`]), `hash_behaviour = merge` and non-default
//!   `VARIABLE_PRECEDENCE` are not supported.
//!
//! # Patterns
//!
//! [`Inventory::select`] evaluates a play's `hosts:` or a `--limit`, see [`pattern`].

mod address;
mod data;
mod ini;
mod literal;
pub mod pattern;
mod vars;
mod yaml;

pub use address::MAX_RANGE_HOSTS;
pub use pattern::{Selection, LOCALHOST};
pub use vars::AdjacentVars;

use crate::ansible::yaml::{Node, Value};
use crate::ansible::Vars;
use crate::diagnostic::{Diagnostic, Severity};
use crate::source::{read_source, SourceDb, Span};
use data::{Builder, ALL};
use indexmap::IndexMap;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// A host of an [`Inventory`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HostId(pub u32);

/// A group of an [`Inventory`]; `all` is 0 and `ungrouped` 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupId(pub u32);

#[derive(Clone, Debug)]
pub struct Host {
    name: String,
    vars: Vars,
    span: Span,
    /// Groups for the variable merge: every group holding the host (ancestors included)
    /// but `all`, sorted by (depth, priority, name) — filled in by [`Inventory::finish`].
    groups: Vec<GroupId>,
}

impl Host {
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Variables set on the host in the inventory itself.
    pub fn vars(&self) -> &Vars {
        &self.vars
    }

    /// Where the host is first defined.
    pub fn span(&self) -> Span {
        self.span
    }
}

#[derive(Clone, Debug)]
pub struct Group {
    name: String,
    vars: Vars,
    hosts: Vec<HostId>,
    children: Vec<GroupId>,
    parents: Vec<GroupId>,
    priority: i64,
    depth: usize,
    span: Option<Span>,
}

impl Group {
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Variables set on the group in the inventory itself (not `group_vars/`).
    pub fn vars(&self) -> &Vars {
        &self.vars
    }

    /// Hosts listed in the group itself, in order (not those of child groups).
    pub fn hosts(&self) -> &[HostId] {
        &self.hosts
    }

    pub fn children(&self) -> &[GroupId] {
        &self.children
    }

    pub fn parents(&self) -> &[GroupId] {
        &self.parents
    }

    /// `ansible_group_priority` (1 unless the inventory sets it).
    pub fn priority(&self) -> i64 {
        self.priority
    }

    /// The longest path from `all` (0 for `all`).
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// Where the group is first defined (`None` for `all` and `ungrouped` unless a source
    /// names them).
    pub fn span(&self) -> Option<Span> {
        self.span
    }
}

/// Hosts, groups and the inventory-side variables of one run.
#[derive(Debug)]
pub struct Inventory {
    hosts: Vec<Host>,
    groups: Vec<Group>,
    host_index: HashMap<String, HostId>,
    group_index: HashMap<String, GroupId>,
    /// Each group's hosts as Ansible's `Group.get_hosts()` lists them.
    group_hosts: Vec<Vec<HostId>>,
    /// `group_vars/` and `host_vars/` beside each source, in source order.
    adjacent: Vec<Arc<AdjacentVars>>,
    files: vars::FileCache,
    playbook: Mutex<HashMap<PathBuf, Arc<AdjacentVars>>>,
}

/// An MX104 finding at the place of the problem.
pub(crate) fn load_error(span: Span, message: String) -> Diagnostic {
    Diagnostic::new(&crate::rules::ansible_load_error::RULE, span, message)
}

/// An MX104 finding for what Ansible only warns about (its data is skipped all the same).
pub(crate) fn load_warning(span: Span, message: String) -> Diagnostic {
    let mut d = load_error(span, message);
    d.severity = Severity::Warning;
    d
}

/// Ansible's `INVENTORY_IGNORE_EXTS` (`REJECT_EXTS` + `.orig .cfg .retry`).
const IGNORED_EXTENSIONS: [&str; 12] = [
    ".pyc", ".pyo", ".swp", ".bak", "~", ".rpm", ".md", ".txt", ".rst", ".orig", ".cfg", ".retry",
];

/// How deep a directory source is read (Ansible follows symlink loops until it fails).
const MAX_SOURCE_DEPTH: usize = 32;

impl Inventory {
    /// Reads every source into one inventory, then the `group_vars/` and `host_vars/` beside
    /// each source. Problems are MX104 findings; the rest is read anyway.
    pub fn load(db: &mut SourceDb, sources: &[PathBuf]) -> (Inventory, Vec<Diagnostic>) {
        let mut out = Vec::new();
        let mut b = Builder::new();
        for source in sources {
            read_path(db, &mut b, source, 0, &mut out);
        }
        b.reconcile();
        let mut inv = Inventory::finish(b);
        let none = vars::FileCache::new();
        let mut loader = vars::Loader {
            db,
            out: &mut out,
            earlier: &none,
            cache: vars::FileCache::new(),
            vaulted: Vec::new(),
        };
        let mut by_dir: HashMap<PathBuf, Arc<AdjacentVars>> = HashMap::new();
        for source in sources {
            let Some(dir) = vars_dir(source) else {
                continue;
            };
            let layer = by_dir
                .entry(dir.clone())
                .or_insert_with(|| Arc::new(loader.adjacent(&dir, &inv.groups, &inv.hosts)));
            inv.adjacent.push(Arc::clone(layer));
        }
        inv.files = loader.cache;
        (inv, out)
    }

    /// Reads one INI inventory from `text` (registered in `db` as `path`), without touching the
    /// disk and without adjacent `group_vars/`: the entry of the `inventory_ini` fuzz target.
    #[doc(hidden)]
    pub fn from_ini_text(
        db: &mut SourceDb,
        path: &Path,
        text: String,
    ) -> (Inventory, Vec<Diagnostic>) {
        let file = db.add(path, text);
        let text = db.file(file).shared_text();
        let mut out = Vec::new();
        let mut b = Builder::new();
        ini::read(&mut b, file, &text, &mut out);
        b.reconcile();
        (Inventory::finish(b), out)
    }

    fn finish(b: Builder) -> Inventory {
        let (mut hosts, mut groups, host_index, group_index) = b.into_parts();
        set_depths(&mut groups);
        let mut marks = Marks {
            group: vec![0; groups.len()],
            host: vec![0; hosts.len()],
        };
        let group_hosts = (0..groups.len())
            .map(|g| walk_hosts(&groups, &mut marks, GroupId(g as u32)))
            .collect();
        let mut direct = vec![Vec::new(); hosts.len()];
        for (g, group) in groups.iter().enumerate() {
            for h in &group.hosts {
                direct[h.0 as usize].push(GroupId(g as u32));
            }
        }
        for (host, direct) in hosts.iter_mut().zip(direct) {
            let mut all = data::with_ancestors(&groups, &direct);
            all.retain(|&g| g != ALL);
            all.sort_by(|&a, &b| {
                let (a, b) = (&groups[a.0 as usize], &groups[b.0 as usize]);
                (a.depth, a.priority, &a.name).cmp(&(b.depth, b.priority, &b.name))
            });
            host.groups = all;
        }
        groups.shrink_to_fit();
        Inventory {
            hosts,
            groups,
            host_index,
            group_index,
            group_hosts,
            adjacent: Vec::new(),
            files: vars::FileCache::new(),
            playbook: Mutex::new(HashMap::new()),
        }
    }

    pub fn host(&self, id: HostId) -> &Host {
        &self.hosts[id.0 as usize]
    }

    pub fn host_id(&self, name: &str) -> Option<HostId> {
        self.host_index.get(name).copied()
    }

    pub fn group(&self, id: GroupId) -> &Group {
        &self.groups[id.0 as usize]
    }

    pub fn group_id(&self, name: &str) -> Option<GroupId> {
        self.group_index.get(name).copied()
    }

    /// Every group in the order Ansible created them (`all`, `ungrouped`, then as read).
    pub fn groups(&self) -> &[Group] {
        &self.groups
    }

    /// Every host in Ansible's order for `all` (what `ansible all --list-hosts` prints).
    pub fn hosts(&self) -> impl Iterator<Item = (HostId, &Host)> + '_ {
        self.group_hosts[ALL.0 as usize]
            .iter()
            .map(|&id| (id, self.host(id)))
    }

    /// The names of [`Inventory::hosts`].
    pub fn host_names(&self) -> impl Iterator<Item = &str> + '_ {
        self.hosts().map(|(_, h)| h.name())
    }

    /// A group's hosts, its descendants' included, as Ansible lists them (`groups[name]`).
    pub fn group_hosts(&self, id: GroupId) -> &[HostId] {
        &self.group_hosts[id.0 as usize]
    }

    /// The magic variable `group_names` of a host: its groups (ancestors included), sorted,
    /// without `all` — with `ungrouped` for a host in no other group, as Ansible gives it.
    /// Empty for a host not in the inventory.
    pub fn group_names(&self, host: &str) -> Vec<String> {
        let Some(id) = self.host_id(host) else {
            return Vec::new();
        };
        let mut names: Vec<String> = self
            .host(id)
            .groups
            .iter()
            .map(|&g| self.group(g).name.clone())
            .collect();
        names.sort();
        names
    }

    /// The magic variable `groups`: every group (`all` and `ungrouped` included) to its host
    /// names, in inventory order.
    pub fn groups_map(&self) -> IndexMap<String, Vec<String>> {
        self.groups
            .iter()
            .zip(&self.group_hosts)
            .map(|(g, hosts)| {
                let names = hosts.iter().map(|&h| self.host(h).name.clone()).collect();
                (g.name.clone(), names)
            })
            .collect()
    }

    /// The hosts a pattern selects (see [`pattern`]); warnings and errors are dropped.
    pub fn select(&self, pattern: &str) -> Vec<String> {
        let selection = pattern::select(self, pattern);
        selection.hosts.into_iter().map(str::to_string).collect()
    }

    /// [`Inventory::select`] with Ansible's warnings and errors.
    pub fn select_with_problems(&self, pattern: &str) -> Selection<'_> {
        pattern::select(self, pattern)
    }

    /// `group_vars/` and `host_vars/` beside a playbook directory, read once per directory
    /// (the findings come with the call that reads them).
    pub fn playbook_vars(
        &self,
        db: &mut SourceDb,
        dir: &Path,
    ) -> (Arc<AdjacentVars>, Vec<Diagnostic>) {
        let mut cache = self.playbook.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(found) = cache.get(dir) {
            return (Arc::clone(found), Vec::new());
        }
        // Beside the inventory too (the usual layout): the same files, already read.
        if let Some(same) = self.adjacent.iter().find(|a| same_dir(&a.dir, dir)) {
            cache.insert(dir.to_path_buf(), Arc::clone(same));
            return (Arc::clone(same), Vec::new());
        }
        let mut out = Vec::new();
        let mut loader = vars::Loader {
            db,
            out: &mut out,
            earlier: &self.files,
            cache: vars::FileCache::new(),
            vaulted: Vec::new(),
        };
        let layer = Arc::new(loader.adjacent(dir, &self.groups, &self.hosts));
        cache.insert(dir.to_path_buf(), Arc::clone(&layer));
        (layer, out)
    }

    /// The inventory variables of `host` with the vars beside `playbook_dir` (see the module
    /// doc for the order), and the findings of the first read of that directory. A host not in
    /// the inventory has none, unless it is Ansible's implicit localhost.
    pub fn host_vars(
        &self,
        db: &mut SourceDb,
        host: &str,
        playbook_dir: Option<&Path>,
    ) -> (Vars, Vec<Diagnostic>) {
        let (playbook, found) = match playbook_dir {
            Some(dir) => {
                let (layer, found) = self.playbook_vars(db, dir);
                (Some(layer), found)
            }
            None => (None, Vec::new()),
        };
        (self.vars_with(host, playbook.as_deref()), found)
    }

    /// [`Inventory::host_vars`] with the playbook's vars layer already read (by
    /// [`Inventory::playbook_vars`]): reads nothing, so hosts can be merged side by side.
    pub fn vars_with(&self, host: &str, playbook: Option<&AdjacentVars>) -> Vars {
        match self.host_id(host) {
            Some(id) => self.merged_vars(id, playbook),
            None => self.implicit_localhost_vars(host, playbook),
        }
    }

    /// The inventory's adjacent vars directories, then the playbook's: the order every
    /// vars merge reads them in. A layer that follows itself (two inventories in one directory,
    /// a playbook beside the inventory) is read once: every layer sets each of its variables
    /// again, to the same value, so the second reading changes nothing.
    fn adjacent_with<'a>(&'a self, playbook: Option<&'a AdjacentVars>) -> Vec<&'a AdjacentVars> {
        let mut layers: Vec<&AdjacentVars> = Vec::with_capacity(self.adjacent.len() + 1);
        for layer in self.adjacent.iter().map(|a| a.as_ref()).chain(playbook) {
            if !layers.last().is_some_and(|last| std::ptr::eq(*last, layer)) {
                layers.push(layer);
            }
        }
        layers
    }

    /// Ansible's implicit localhost (a play on `localhost` the inventory does not define): the
    /// inline vars of `all`, then `group_vars/all`, then `host_vars/<name>`, as
    /// `ansible-playbook` gives them. Its `ansible_connection: local` and
    /// `ansible_python_interpreter` have no place in a file and are left out.
    fn implicit_localhost_vars(&self, name: &str, playbook: Option<&AdjacentVars>) -> Vars {
        let Some(index) = LOCALHOST.iter().position(|&l| l == name) else {
            return Vars::new();
        };
        let adjacent = self.adjacent_with(playbook);
        let mut vars = Vars::new();
        extend(&mut vars, Some(&self.group(ALL).vars));
        for a in &adjacent {
            extend(&mut vars, a.group.first().cloned().flatten().as_deref());
        }
        for a in &adjacent {
            extend(
                &mut vars,
                a.localhost.get(index).cloned().flatten().as_deref(),
            );
        }
        vars
    }

    /// The merge of [`Inventory::host_vars`] for a known host and already read playbook vars.
    pub fn merged_vars(&self, id: HostId, playbook: Option<&AdjacentVars>) -> Vars {
        let host = self.host(id);
        let adjacent = self.adjacent_with(playbook);
        let file = |a: &AdjacentVars, g: GroupId| -> Option<Arc<Vars>> {
            a.group.get(g.0 as usize).cloned().flatten()
        };
        let mut vars = Vars::with_capacity(self.group(ALL).vars.len() + host.vars.len());
        extend(&mut vars, Some(&self.group(ALL).vars));
        for &g in &host.groups {
            extend(&mut vars, Some(&self.group(g).vars));
        }
        for a in &adjacent {
            extend(&mut vars, file(a, ALL).as_deref());
        }
        for a in &adjacent {
            for &g in &host.groups {
                extend(&mut vars, file(a, g).as_deref());
            }
        }
        extend(&mut vars, Some(&host.vars));
        for a in &adjacent {
            extend(
                &mut vars,
                a.host.get(id.0 as usize).cloned().flatten().as_deref(),
            );
        }
        vars
    }

    /// Vault-encrypted vars files beside the inventory sources.
    pub fn vaulted_files(&self) -> impl Iterator<Item = &Path> + '_ {
        self.adjacent
            .iter()
            .flat_map(|a| a.vaulted.iter().map(PathBuf::as_path))
    }
}

/// Whether two paths name one directory (as written, or once resolved).
fn same_dir(a: &Path, b: &Path) -> bool {
    a == b || matches!((a.canonicalize(), b.canonicalize()), (Ok(a), Ok(b)) if a == b)
}

/// Sets every variable of `layer` in `vars` (Ansible's `combine_vars` with `replace`).
fn extend(vars: &mut Vars, layer: Option<&Vars>) {
    for (k, v) in layer.into_iter().flatten() {
        vars.insert(k.clone(), Arc::clone(v));
    }
}

/// Where `group_vars/` and `host_vars/` of a source are: the directory itself, or the file's
/// directory; none for a host list.
fn vars_dir(source: &Path) -> Option<PathBuf> {
    match std::fs::metadata(source) {
        Ok(meta) if meta.is_dir() => Some(source.to_path_buf()),
        Ok(_) => Some(
            source
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."))
                .to_path_buf(),
        ),
        Err(_) => None,
    }
}

/// `parse_source`: a directory, a file, or a host list.
fn read_path(
    db: &mut SourceDb,
    b: &mut Builder,
    path: &Path,
    depth: usize,
    out: &mut Vec<Diagnostic>,
) {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => {
            if depth > MAX_SOURCE_DEPTH {
                return;
            }
            let Ok(names) = vars::sorted_names(path) else {
                let file = db.add(path, String::new());
                let message = format!(
                    "Unable to parse {} as an inventory source: the directory cannot be read",
                    path.display()
                );
                out.push(load_error(Span::new(file, 0, 0), message));
                return;
            };
            for name in names {
                if !is_ignored(&name.to_string_lossy()) {
                    read_path(db, b, &path.join(&name), depth + 1, out);
                }
            }
        }
        Ok(_) => read_file(db, b, path, out),
        Err(error) => {
            let text = path.to_string_lossy().into_owned();
            if text.contains(',') {
                let file = db.add(path, text.clone());
                host_list(b, file, &text);
            } else {
                let file = db.add(path, String::new());
                let message = format!(
                    "Unable to parse {} as an inventory source: {error}",
                    path.display()
                );
                out.push(load_error(Span::new(file, 0, 0), message));
            }
        }
    }
}

/// An entry of a directory source Ansible does not read (`IGNORED` in inventory/manager.py).
fn is_ignored(name: &str) -> bool {
    name.starts_with('.')
        || matches!(name, "host_vars" | "group_vars" | "vars_plugins")
        || IGNORED_EXTENSIONS.iter().any(|ext| name.ends_with(ext))
}

/// The `host_list` plugin: `mx1,mx2:2222,` into `ungrouped`.
fn host_list(b: &mut Builder, file: crate::source::FileId, text: &str) {
    let mut offset = 0;
    for part in text.split(',') {
        let start = offset + (part.len() - part.trim_start_matches(ini::is_python_space).len());
        offset += part.len() + 1;
        let entry = part.trim_matches(ini::is_python_space);
        if entry.is_empty() {
            continue;
        }
        let span = Span::new(file, start, start + entry.len());
        let (host, port) = match address::parse_address(entry, false) {
            Some(a) => (a.host, a.port),
            None => (entry, None),
        };
        if b.host_id(host).is_some() {
            continue;
        }
        let port = port.map(|(value, digits)| {
            Arc::new(Node {
                value: Value::Int(i128::from(value)),
                span: Span::new(file, start + digits.start, start + digits.end),
            })
        });
        b.add_host(host, data::UNGROUPED, port.as_ref(), span);
    }
}

fn read_file(db: &mut SourceDb, b: &mut Builder, path: &Path, out: &mut Vec<Diagnostic>) {
    let file = match read_source(db, path) {
        Ok(file) => file,
        Err(error) => {
            let file = db.add(path, String::new());
            out.push(load_error(Span::new(file, 0, 0), error.message));
            return;
        }
    };
    let text = db.file(file).shared_text();
    let start = Span::new(file, 0, text.lines().next().map_or(0, str::len));
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let ext = vars::python_extension(&name);
    if is_executable(path) && text.starts_with("#!") {
        let message = format!(
            "{} is an inventory script; mxlint does not run it, so its hosts are missing",
            path.display()
        );
        out.push(load_warning(start, message));
        return;
    }
    if ext == ".toml" {
        let message = format!(
            "{} is a TOML inventory, which mxlint does not read: its hosts are missing",
            path.display()
        );
        out.push(load_warning(start, message));
        return;
    }
    let yaml_extension = matches!(ext, ".yml" | ".yaml" | ".json");
    if !(yaml_extension || ext.is_empty()) {
        ini::read(b, file, &text, out);
        return;
    }
    let yaml_problem = match crate::ansible::yaml::load(file, &text) {
        Err(e) => (e.span, e.message, false),
        Ok(docs) => match docs.as_slice() {
            [] => (start, "Parsed empty YAML file".to_string(), true),
            [doc] => match &doc.value {
                Value::Map(_) => {
                    if let Some(plugin) = plugin_name(doc) {
                        let message = format!("{} configures the inventory plugin `{plugin}`, which mxlint does not run: its hosts are missing", path.display());
                        out.push(load_warning(doc.span, message));
                    } else {
                        yaml::read(b, doc, out);
                    }
                    return;
                }
                Value::Null => (doc.span, "Parsed empty YAML file".to_string(), true),
                _ => (
                    doc.span,
                    "YAML inventory has invalid structure, it should be a dictionary".to_string(),
                    false,
                ),
            },
            [_, second, ..] => (
                second.span,
                "expected a single document in the stream, but found another document".to_string(),
                false,
            ),
        },
    };
    // The INI plugin comes after the YAML one: it gets the file when YAML fails.
    let mut trial = b.clone();
    let mut ini_out = Vec::new();
    ini::read(&mut trial, file, &text, &mut ini_out);
    if ini_out.is_empty() || !(yaml_extension || looks_like_yaml(&text)) {
        *b = trial;
        out.extend(ini_out);
        return;
    }
    let (span, message, empty) = yaml_problem;
    let report = if empty { load_warning } else { load_error };
    out.push(report(span, message));
}

/// The truthy `plugin:` of an inventory plugin configuration.
fn plugin_name(doc: &Node) -> Option<String> {
    yaml::entries(doc)
        .into_iter()
        .find(|(k, _)| matches!(&k.value, Value::Str(s) if s == "plugin"))
        .filter(|(_, v)| !yaml::is_falsy(v))
        .map(|(_, v)| yaml::key_text(v).unwrap_or_default())
}

/// For an extension-less file neither reader accepts: does it read as YAML, so that the YAML
/// error is the one to show?
fn looks_like_yaml(text: &str) -> bool {
    let Some(first) = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with(';'))
    else {
        return false;
    };
    !first.starts_with('[')
        && (first.starts_with("---")
            || first.starts_with('{')
            || first.ends_with(':')
            || first.contains(": "))
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(_: &Path) -> bool {
    false
}

/// Each group's depth: the longest path from a group without parents (`all`).
fn set_depths(groups: &mut [Group]) {
    let mut waiting: Vec<usize> = groups.iter().map(|g| g.parents.len()).collect();
    let mut ready: Vec<usize> = (0..groups.len()).filter(|&g| waiting[g] == 0).collect();
    while let Some(g) = ready.pop() {
        let depth = groups[g].depth;
        for c in groups[g].children.clone() {
            let c = c.0 as usize;
            groups[c].depth = groups[c].depth.max(depth + 1);
            waiting[c] -= 1;
            if waiting[c] == 0 {
                ready.push(c);
            }
        }
    }
}

/// "Seen" marks reused by every [`walk_hosts`]: entry == walk number + 1 means seen, so no
/// walk clears or allocates a table the size of the inventory.
struct Marks {
    group: Vec<u32>,
    host: Vec<u32>,
}

/// `Group.get_hosts()`: the group, its children, then each further level of descendants (in
/// the order met), each group's own hosts in order, every host once.
fn walk_hosts(groups: &[Group], marks: &mut Marks, start: GroupId) -> Vec<HostId> {
    let stamp = start.0 + 1;
    let mut seen = |g: GroupId| std::mem::replace(&mut marks.group[g.0 as usize], stamp) == stamp;
    let mut ordered = vec![start];
    seen(start);
    for &c in &groups[start.0 as usize].children {
        seen(c);
        ordered.push(c);
    }
    let mut level = ordered.clone();
    while !level.is_empty() {
        let mut next = Vec::new();
        for g in &level {
            for &c in &groups[g.0 as usize].children {
                if !seen(c) {
                    next.push(c);
                }
            }
        }
        ordered.extend(next.iter().copied());
        level = next;
    }
    let mut hosts = Vec::new();
    for g in ordered {
        for &h in &groups[g.0 as usize].hosts {
            if std::mem::replace(&mut marks.host[h.0 as usize], stamp) != stamp {
                hosts.push(h);
            }
        }
    }
    hosts
}

#[cfg(test)]
mod tests;
