//! ansible::playbook: plays, roles and tasks as Ansible reads them before it runs anything.
//!
//! Follows what is static in a playbook: `import_playbook`, plays with `hosts:`, `vars`,
//! `vars_files`, `roles:` (names or mappings with `role:`/`name:`, `vars:` and parameters,
//! `when:`), role `meta/main.yml` dependencies, role `defaults/` and `vars/`, `pre_tasks`,
//! `tasks`, `post_tasks`, `handlers`, `block`/`rescue`/`always`, and
//! `import_tasks`/`include_tasks`/`import_role`/`include_role` with static paths. Each task is
//! kept with its module name (collections need not be installed), its arguments in either style
//! (`src=… dest=…` or a mapping), its loop, its `when:` chain and the vars of the blocks around it.
//!
//! Ends at tasks: which hosts a play targets, what a variable is worth and which tasks render
//! templates are decided later (`crate::ansible::jobs`, the render stage).
//!
//! Not followed (each becomes an info finding where it matters): include paths built from
//! variables, `include_vars`, dynamic role names, `vars_prompt`.

use super::cfg::AnsibleCfg;
use super::yaml::{Node, Value};
use super::{load_error, load_yaml_file, Vars};
use crate::diagnostic::Diagnostic;
use crate::source::{SourceDb, Span};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// How deep imports may nest before mxlint assumes a cycle it did not see.
const MAX_DEPTH: usize = 64;

/// Everything the playbooks say, statically.
#[derive(Debug, Default)]
pub struct Project {
    pub plays: Vec<Play>,
    pub roles: Vec<Role>,
    pub tasks: Vec<Task>,
}

/// One play.
#[derive(Debug)]
pub struct Play {
    /// The `hosts:` pattern as written (lists joined with `,`).
    pub hosts: String,
    pub hosts_span: Span,
    /// The directory of the playbook file: `group_vars/`, `host_vars/`, `templates/` beside it.
    pub dir: PathBuf,
    /// `vars` then `vars_files`, later files winning.
    pub vars: Vars,
    /// Roles in the order they run (dependencies first), as indices into [`Project::roles`].
    pub roles: Vec<usize>,
}

/// One role as it is loaded for one play entry.
#[derive(Debug)]
pub struct Role {
    pub name: String,
    pub dir: PathBuf,
    pub defaults: Vars,
    pub vars: Vars,
    /// Parameters given where the role is applied (`roles: [{role: x, port: 1}]`).
    pub params: Vars,
}

/// One task, flattened out of blocks, roles and imports.
#[derive(Debug)]
pub struct Task {
    pub play: usize,
    pub role: Option<usize>,
    /// The module as written (`ansible.builtin.template`, `template`, `ansible.posix.firewalld`).
    pub module: String,
    /// Arguments, from either style; free-form `k=v` values become string nodes.
    pub args: Vec<(String, Node)>,
    /// The task's span (its mapping), for findings about the task as a whole.
    pub span: Span,
    /// `when:` conditions from the outermost (role, block) to the task itself; all must hold.
    pub when: Vec<Node>,
    /// Block and task `vars:` (task vars win) plus include parameters.
    pub vars: Vars,
    pub looping: Option<Loop>,
    /// Where relative `src:` paths are searched: the role, then the play's directory.
    pub search_dirs: Vec<PathBuf>,
    pub handler: bool,
    /// `register:`: a result that only exists during the deploy.
    pub register: Option<String>,
    /// `name:` as written.
    pub name: Option<String>,
    /// `notify:` handler names (or `listen` topics).
    pub notify: Vec<String>,
    /// A handler's `listen:` topics.
    pub listen: Vec<String>,
}

impl Task {
    /// The module name without its collection (`ansible.builtin.template` → `template`).
    pub fn short_module(&self) -> &str {
        self.module.rsplit('.').next().unwrap_or(&self.module)
    }

    pub fn arg(&self, name: &str) -> Option<&Node> {
        self.args
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }
}

/// A task loop.
#[derive(Clone, Debug)]
pub struct Loop {
    pub kind: LoopKind,
    /// The list (or, for `with_dict`, the mapping) as written: a sequence or a template string.
    pub items: Node,
    /// `loop_control.loop_var`, `item` by default.
    pub var: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoopKind {
    /// `loop:` and `with_list:`: the items as they are.
    List,
    /// `with_items:`: flattened one level.
    Items,
    /// `with_dict:`: `{key, value}` items.
    Dict,
    /// Another `with_<lookup>`, not evaluated.
    Other(String),
}

/// Keys of a task mapping that are not the module.
const TASK_KEYWORDS: &[&str] = &[
    "name",
    "when",
    "vars",
    "loop",
    "loop_control",
    "register",
    "notify",
    "tags",
    "become",
    "become_user",
    "become_method",
    "become_flags",
    "delegate_to",
    "delegate_facts",
    "run_once",
    "ignore_errors",
    "ignore_unreachable",
    "changed_when",
    "failed_when",
    "no_log",
    "environment",
    "args",
    "listen",
    "check_mode",
    "diff",
    "until",
    "retries",
    "delay",
    "timeout",
    "throttle",
    "any_errors_fatal",
    "connection",
    "debugger",
    "module_defaults",
    "collections",
    "async",
    "poll",
    "remote_user",
    "port",
    "local_action",
    "action",
    "vars_files",
];

/// Reads the given playbooks (and everything they import).
pub fn load(
    db: &mut SourceDb,
    cfg: &AnsibleCfg,
    playbooks: &[PathBuf],
) -> (Project, Vec<Diagnostic>) {
    let mut loader = Loader {
        db,
        cfg,
        project: Project::default(),
        diagnostics: Vec::new(),
        stack: Vec::new(),
    };
    for path in playbooks {
        loader.playbook(path);
    }
    (loader.project, loader.diagnostics)
}

/// True when a YAML file looks like a playbook: a list of plays or `import_playbook` entries.
pub fn looks_like_playbook(doc: &Node) -> bool {
    doc.as_seq().is_some_and(|items| {
        !items.is_empty()
            && items.iter().all(|item| {
                item.as_map().is_some()
                    && (item.get("hosts").is_some()
                        || item.get("import_playbook").is_some()
                        || item.get("ansible.builtin.import_playbook").is_some())
            })
    })
}

struct Loader<'a> {
    db: &'a mut SourceDb,
    cfg: &'a AnsibleCfg,
    project: Project,
    diagnostics: Vec<Diagnostic>,
    /// Files being read, to stop import cycles.
    stack: Vec<PathBuf>,
}

/// What surrounds a task list: the play, the role, block vars and conditions.
#[derive(Clone)]
struct Scope {
    play: usize,
    role: Option<usize>,
    when: Vec<Node>,
    vars: Vars,
    dir: PathBuf,
    handler: bool,
}

impl Loader<'_> {
    fn documents(&mut self, path: &Path) -> Option<Vec<Node>> {
        match load_yaml_file(self.db, path) {
            Ok(docs) => Some(docs),
            Err(d) => {
                self.diagnostics.push(*d);
                None
            }
        }
    }

    /// Guards against import cycles and runaway nesting; returns false to skip the file.
    fn enter(&mut self, path: &Path, at: Option<Span>) -> bool {
        let canonical = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        if self.stack.contains(&canonical) || self.stack.len() >= MAX_DEPTH {
            if let Some(at) = at {
                self.diagnostics.push(load_error(
                    at,
                    format!("`{}` imports itself (directly or through other files); Ansible would recurse until it fails", path.display()),
                ));
            }
            return false;
        }
        self.stack.push(canonical);
        true
    }

    fn playbook(&mut self, path: &Path) {
        self.playbook_at(path, None);
    }

    fn playbook_at(&mut self, path: &Path, at: Option<Span>) {
        if !self.enter(path, at) {
            return;
        }
        let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        for doc in self.documents(path).unwrap_or_default() {
            for entry in doc.as_seq().unwrap_or_default() {
                self.play_or_import(entry, &dir);
            }
        }
        self.stack.pop();
    }

    fn play_or_import(&mut self, entry: &Node, dir: &Path) {
        let import = entry
            .get("import_playbook")
            .or_else(|| entry.get("ansible.builtin.import_playbook"));
        if let Some(target) = import {
            match static_path(target) {
                Some(p) => self.playbook_at(&dir.join(p), Some(target.span)),
                None => self.not_followed(target, "import_playbook with a templated path"),
            }
            return;
        }
        if entry.get("hosts").is_some() {
            self.play(entry, dir);
        }
    }

    fn not_followed(&mut self, node: &Node, what: &str) {
        self.diagnostics.push(
            Diagnostic::new(
                &crate::rules::unevaluated_lookup::RULE,
                node.span,
                format!("{what} is not followed: mxlint reads static paths only"),
            )
            .help("write the path without `{{ }}`, or check the imported file on its own"),
        );
    }

    fn play(&mut self, node: &Node, dir: &Path) {
        let hosts = node.get("hosts").expect("checked by the caller");
        let pattern = match &hosts.value {
            Value::Seq(items) => items
                .iter()
                .filter_map(scalar_text)
                .collect::<Vec<_>>()
                .join(","),
            _ => scalar_text(hosts).unwrap_or_default(),
        };
        let mut vars = Vars::new();
        if let Some(v) = node.get("vars") {
            merge_mapping(&mut vars, v);
        }
        if let Some(files) = node.get("vars_files") {
            self.vars_files(&mut vars, files, dir);
        }
        let index = self.project.plays.len();
        self.project.plays.push(Play {
            hosts: pattern,
            hosts_span: hosts.span,
            dir: dir.to_path_buf(),
            vars,
            roles: Vec::new(),
        });
        let scope = Scope {
            play: index,
            role: None,
            when: Vec::new(),
            vars: Vars::new(),
            dir: dir.to_path_buf(),
            handler: false,
        };
        self.task_list(node.get("pre_tasks"), &scope);
        for role in node.get("roles").and_then(Node::as_seq).unwrap_or_default() {
            self.play_role(role, &scope);
        }
        self.task_list(node.get("tasks"), &scope);
        self.task_list(node.get("post_tasks"), &scope);
        let handlers = Scope {
            handler: true,
            ..scope
        };
        self.task_list(node.get("handlers"), &handlers);
    }

    fn vars_files(&mut self, vars: &mut Vars, files: &Node, dir: &Path) {
        let entries: Vec<&Node> = match files.as_seq() {
            Some(items) => items.iter().collect(),
            None => vec![files],
        };
        for entry in entries {
            // A list inside vars_files means "the first of these that exists".
            let candidates: Vec<&Node> = match entry.as_seq() {
                Some(items) => items.iter().collect(),
                None => vec![entry],
            };
            let found = candidates
                .iter()
                .filter_map(|c| static_path(c).map(|p| dir.join(p)))
                .find(|p| p.is_file());
            match found {
                Some(path) => {
                    for doc in self.documents(&path).unwrap_or_default() {
                        merge_mapping(vars, &doc);
                    }
                }
                None if candidates.iter().any(|c| static_path(c).is_none()) => {
                    self.not_followed(entry, "a vars_files entry with a templated path");
                }
                None => self.diagnostics.push(load_error(
                    entry.span,
                    "vars file not found; Ansible stops the play here".to_string(),
                )),
            }
        }
    }

    /// A `roles:` entry of a play: a name or a mapping with `role:`/`name:`.
    fn play_role(&mut self, entry: &Node, scope: &Scope) {
        let (name_node, params, when) = match entry.as_map() {
            Some(_) => {
                let name = entry.get("role").or_else(|| entry.get("name"));
                let mut params = Vars::new();
                for (key, value) in entry.map_entries_str() {
                    if !matches!(
                        key,
                        "role"
                            | "name"
                            | "when"
                            | "tags"
                            | "vars"
                            | "become"
                            | "become_user"
                            | "delegate_to"
                    ) {
                        params.insert(key.to_string(), Arc::new(value.clone()));
                    }
                }
                if let Some(v) = entry.get("vars") {
                    merge_mapping(&mut params, v);
                }
                (name, params, entry.get("when").cloned())
            }
            None => (Some(entry), Vars::new(), None),
        };
        let Some(name_node) = name_node else {
            self.diagnostics.push(load_error(
                entry.span,
                "a role entry needs `role:` or `name:`".to_string(),
            ));
            return;
        };
        let mut inner = scope.clone();
        inner.when.extend(when);
        self.apply_role(name_node, "main", params, &inner, true);
    }

    /// Loads a role (dependencies first) and its tasks file `tasks_from`.
    fn apply_role(
        &mut self,
        name_node: &Node,
        tasks_from: &str,
        params: Vars,
        scope: &Scope,
        in_play: bool,
    ) {
        let Some(name) = static_path(name_node) else {
            self.not_followed(name_node, "a role whose name is templated");
            return;
        };
        let Some(dir) = self.find_role(&name, &scope.dir) else {
            self.diagnostics.push(load_error(
                name_node.span,
                format!("role `{name}` not found in roles/ beside the playbook or in roles_path"),
            ));
            return;
        };
        if !self.enter(&dir.join("meta"), Some(name_node.span)) {
            return;
        }
        for dep in self.role_dependencies(&dir) {
            let (dep_name, dep_params) = match dep.as_map() {
                Some(_) => {
                    let mut p = Vars::new();
                    for (k, v) in dep.map_entries_str() {
                        if !matches!(k, "role" | "name" | "when" | "tags" | "vars") {
                            p.insert(k.to_string(), Arc::new(v.clone()));
                        }
                    }
                    (dep.get("role").or_else(|| dep.get("name")).cloned(), p)
                }
                None => (Some(dep.clone()), Vars::new()),
            };
            if let Some(n) = dep_name {
                self.apply_role(&n, "main", dep_params, scope, in_play);
            }
        }
        self.stack.pop();
        let role = Role {
            name: name.clone(),
            defaults: self.role_vars(&dir, "defaults"),
            vars: self.role_vars(&dir, "vars"),
            dir: dir.clone(),
            params,
        };
        let index = self.project.roles.len();
        self.project.roles.push(role);
        if in_play {
            self.project.plays[scope.play].roles.push(index);
        }
        let inner = Scope {
            role: Some(index),
            dir: dir.join("tasks"),
            ..scope.clone()
        };
        if let Some(file) = main_file(&dir.join("tasks"), tasks_from) {
            self.task_file(&file, &inner, Some(name_node.span));
        }
        if tasks_from == "main" {
            if let Some(file) = main_file(&dir.join("handlers"), "main") {
                let handlers = Scope {
                    handler: true,
                    ..inner
                };
                self.task_file(&file, &handlers, Some(name_node.span));
            }
        }
    }

    fn find_role(&self, name: &str, dir: &Path) -> Option<PathBuf> {
        let play_dir = self.project.plays.last().map(|p| p.dir.clone());
        let mut candidates = Vec::new();
        if let Some(play_dir) = &play_dir {
            candidates.push(play_dir.join("roles").join(name));
        }
        candidates.extend(self.cfg.roles_path.iter().map(|p| p.join(name)));
        if let Some(play_dir) = &play_dir {
            candidates.push(play_dir.join(name));
        }
        candidates.push(dir.join(name));
        // A collection role (`ns.coll.role`) is only found when installed under a roles dir.
        candidates.into_iter().find(|c| c.is_dir())
    }

    fn role_dependencies(&mut self, dir: &Path) -> Vec<Node> {
        let Some(meta) = main_file(&dir.join("meta"), "main") else {
            return Vec::new();
        };
        let docs = self.documents(&meta).unwrap_or_default();
        docs.first()
            .and_then(|d| d.get("dependencies"))
            .and_then(Node::as_seq)
            .map(|s| s.to_vec())
            .unwrap_or_default()
    }

    /// `defaults/main.yml` (or `main.yaml`, `main`, `main.json`, or a `main/` directory).
    fn role_vars(&mut self, dir: &Path, kind: &str) -> Vars {
        let mut vars = Vars::new();
        let base = dir.join(kind);
        let files = match main_file(&base, "main") {
            Some(f) => vec![f],
            None => sorted_files(&base.join("main")),
        };
        for file in files {
            for doc in self.documents(&file).unwrap_or_default() {
                merge_mapping(&mut vars, &doc);
            }
        }
        vars
    }

    fn task_file(&mut self, path: &Path, scope: &Scope, at: Option<Span>) {
        if !self.enter(path, at) {
            return;
        }
        for doc in self.documents(path).unwrap_or_default() {
            match doc.as_seq() {
                Some(items) => {
                    for item in items {
                        self.task(item, scope);
                    }
                }
                None if doc.is_null() => {}
                None => self.diagnostics.push(load_error(
                    doc.span,
                    "a tasks file must be a list of tasks".to_string(),
                )),
            }
        }
        self.stack.pop();
    }

    fn task_list(&mut self, list: Option<&Node>, scope: &Scope) {
        let Some(list) = list else { return };
        match list.as_seq() {
            Some(items) => {
                for item in items {
                    self.task(item, scope);
                }
            }
            None if list.is_null() => {}
            None => self.diagnostics.push(load_error(
                list.span,
                "expected a list of tasks".to_string(),
            )),
        }
    }

    fn task(&mut self, node: &Node, scope: &Scope) {
        if node.as_map().is_none() {
            self.diagnostics.push(load_error(
                node.span,
                "a task must be a mapping".to_string(),
            ));
            return;
        }
        let mut inner = scope.clone();
        if let Some(v) = node.get("vars") {
            merge_mapping(&mut inner.vars, v);
        }
        inner.when.extend(node.get("when").cloned());
        if node.get("block").is_some() {
            for key in ["block", "rescue", "always"] {
                self.task_list(node.get(key), &inner);
            }
            return;
        }
        let Some((module, module_node)) = module_of(node) else {
            return;
        };
        match short(&module) {
            "import_tasks" | "include_tasks" | "include" => {
                self.include_tasks(node, module_node, &inner)
            }
            "import_role" | "include_role" => self.include_role(node, module_node, &inner),
            _ => self.push_task(node, module, module_node, &inner),
        }
    }

    fn include_tasks(&mut self, node: &Node, target: &Node, scope: &Scope) {
        let file = target.get("file").unwrap_or(target);
        let Some(rel) = static_path(file) else {
            self.not_followed(file, "an include with a templated path");
            return;
        };
        let mut inner = scope.clone();
        if let Some(v) = node.get("vars") {
            merge_mapping(&mut inner.vars, v);
        }
        let candidates = [scope.dir.join(&rel), self.play_dir(scope).join(&rel)];
        match candidates.iter().find(|c| c.is_file()) {
            Some(path) => {
                inner.dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
                self.task_file(&path.clone(), &inner, Some(file.span));
            }
            None => self.diagnostics.push(load_error(
                file.span,
                format!("tasks file `{rel}` not found"),
            )),
        }
    }

    fn include_role(&mut self, node: &Node, target: &Node, scope: &Scope) {
        let Some(name) = target.get("name").or_else(|| target.get("role")) else {
            self.diagnostics.push(load_error(
                target.span,
                "import_role/include_role needs `name:`".to_string(),
            ));
            return;
        };
        let tasks_from = target
            .get("tasks_from")
            .and_then(static_path)
            .unwrap_or_else(|| "main".to_string());
        let mut params = Vars::new();
        if let Some(v) = node.get("vars") {
            merge_mapping(&mut params, v);
        }
        self.apply_role(name, &tasks_from, params, scope, false);
    }

    fn play_dir(&self, scope: &Scope) -> PathBuf {
        self.project.plays[scope.play].dir.clone()
    }

    fn push_task(&mut self, node: &Node, module: String, module_node: &Node, scope: &Scope) {
        let mut args = free_form_or_mapping(self.db, module_node);
        if let Some(extra) = node.get("args") {
            args.extend(
                extra
                    .map_entries_str()
                    .map(|(k, v)| (k.to_string(), v.clone())),
            );
        }
        let mut search_dirs = Vec::new();
        if let Some(role) = scope.role {
            search_dirs.push(self.project.roles[role].dir.clone());
        }
        search_dirs.push(scope.dir.clone());
        search_dirs.push(self.play_dir(scope));
        search_dirs.dedup();
        self.project.tasks.push(Task {
            play: scope.play,
            role: scope.role,
            module,
            args,
            span: node.span,
            when: scope.when.clone(),
            vars: scope.vars.clone(),
            looping: loop_of(node),
            search_dirs,
            handler: scope.handler,
            register: node
                .get("register")
                .and_then(|r| r.as_str())
                .map(str::to_string),
            name: node
                .get("name")
                .and_then(|n| n.as_str())
                .map(str::to_string),
            notify: string_list(node.get("notify")),
            listen: string_list(node.get("listen")),
        });
    }
}

/// A keyword that takes one string or a list of them (`notify:`, `listen:`).
fn string_list(node: Option<&Node>) -> Vec<String> {
    match node {
        Some(n) => match n.as_seq() {
            Some(items) => items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_string))
                .collect(),
            None => n.as_str().map(|s| vec![s.to_string()]).unwrap_or_default(),
        },
        None => Vec::new(),
    }
}

fn short(module: &str) -> &str {
    module.rsplit('.').next().unwrap_or(module)
}

/// The module key of a task mapping and its value; `action:`/`local_action:` unpacked.
fn module_of(node: &Node) -> Option<(String, &Node)> {
    for (key, value) in node.map_entries_str() {
        if key == "action" || key == "local_action" {
            let text = value.as_str().unwrap_or_default();
            let module = text.split_whitespace().next().unwrap_or_default();
            return Some((module.to_string(), value));
        }
        if !TASK_KEYWORDS.contains(&key) && !key.starts_with("with_") {
            return Some((key.to_string(), value));
        }
    }
    None
}

fn loop_of(node: &Node) -> Option<Loop> {
    let var = node
        .get("loop_control")
        .and_then(|c| c.get("loop_var"))
        .and_then(|v| v.as_str())
        .unwrap_or("item")
        .to_string();
    for (key, value) in node.map_entries_str() {
        let kind = match key {
            "loop" | "with_list" => LoopKind::List,
            "with_items" => LoopKind::Items,
            "with_dict" => LoopKind::Dict,
            _ if key.starts_with("with_") => LoopKind::Other(key["with_".len()..].to_string()),
            _ => continue,
        };
        return Some(Loop {
            kind,
            items: value.clone(),
            var,
        });
    }
    None
}

/// Module arguments: a mapping as it is, or `k=v` words of a free-form string (Ansible's
/// `parse_kv`: whitespace-separated, values may be quoted). For `action: template src=x`, the
/// first word (the module) is skipped.
fn free_form_or_mapping(db: &SourceDb, node: &Node) -> Vec<(String, Node)> {
    if node.as_map().is_some() {
        return node
            .map_entries_str()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
    }
    let Some(text) = node.as_str() else {
        return Vec::new();
    };
    // Offsets inside the string are exact only when the file holds the string verbatim.
    let verbatim = db.text(node.span) == text;
    // The whole string too, as Ansible keeps it for command/shell (`_raw_params`).
    let mut out = vec![("_raw_params".to_string(), node.clone())];
    for (start, word) in split_words(text) {
        let Some(eq) = word.find('=') else { continue };
        let key = &word[..eq];
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        let raw = &word[eq + 1..];
        let value = unquote(raw);
        let span = if verbatim {
            let s = node.span.start() + start + eq + 1;
            Span::new(node.span.file, s, s + raw.len())
        } else {
            node.span
        };
        out.push((
            key.to_string(),
            Node {
                value: Value::Str(value),
                span,
            },
        ));
    }
    out
}

/// Whitespace-separated words with their byte offsets; quotes and Jinja `{{ }}`/`{% %}` blocks
/// keep spaces inside a word (Ansible's `split_args`).
pub(crate) fn split_words(text: &str) -> Vec<(usize, &str)> {
    let mut words = Vec::new();
    let mut start = None;
    let mut quote = None;
    let mut jinja = 0usize;
    let bytes = text.as_bytes();
    for (i, c) in text.char_indices() {
        let next = bytes.get(i + 1).copied();
        match (quote, c) {
            (Some(q), _) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '{') if matches!(next, Some(b'{' | b'%')) => {
                jinja += 1;
                start.get_or_insert(i);
            }
            (None, '}' | '%') if jinja > 0 && next == Some(b'}') => {
                jinja -= 1;
            }
            (None, '"' | '\'') => {
                quote = Some(c);
                start.get_or_insert(i);
            }
            (None, c) if c.is_whitespace() && jinja == 0 => {
                if let Some(s) = start.take() {
                    words.push((s, &text[s..i]));
                }
            }
            (None, _) => {
                start.get_or_insert(i);
            }
        }
    }
    if let Some(s) = start {
        words.push((s, &text[s..]));
    }
    words
}

pub(crate) fn unquote(raw: &str) -> String {
    let bytes = raw.as_bytes();
    if bytes.len() >= 2
        && (bytes[0] == b'"' || bytes[0] == b'\'')
        && bytes[bytes.len() - 1] == bytes[0]
    {
        raw[1..raw.len() - 1].to_string()
    } else {
        raw.to_string()
    }
}

/// A path written without templating, or `None`.
fn static_path(node: &Node) -> Option<String> {
    let text = scalar_text(node)?;
    (!text.contains("{{") && !text.contains("{%") && !text.is_empty()).then_some(text)
}

/// A scalar as text, the way Ansible would use it as a string.
fn scalar_text(node: &Node) -> Option<String> {
    match &node.value {
        Value::Str(s) | Value::Unsafe(s) | Value::Timestamp(s) => Some(s.clone()),
        Value::Int(i) => Some(i.to_string()),
        _ => None,
    }
}

/// Adds a mapping's string keys to `vars` (later keys win).
pub(crate) fn merge_mapping(vars: &mut Vars, node: &Node) {
    for (key, value) in node.map_entries_str() {
        vars.insert(key.to_string(), Arc::new(value.clone()));
    }
}

/// `dir/NAME.yml`, `NAME.yaml`, `NAME.json` or `NAME` (a tasks_from may already carry its
/// extension).
fn main_file(dir: &Path, name: &str) -> Option<PathBuf> {
    ["", ".yml", ".yaml", ".json"]
        .iter()
        .map(|ext| dir.join(format!("{name}{ext}")))
        .find(|p| p.is_file())
}

fn sorted_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_form_words_keep_quoted_spaces_and_offsets() {
        assert_eq!(
            split_words("src=a.j2  dest='/etc/x y' mode=0644"),
            [(0, "src=a.j2"), (10, "dest='/etc/x y'"), (26, "mode=0644")]
        );
        assert_eq!(unquote("'/etc/x y'"), "/etc/x y");
        assert_eq!(
            split_words("src=a dest={{ out }}/{{ h }}/x.conf"),
            [(0, "src=a"), (6, "dest={{ out }}/{{ h }}/x.conf")]
        );
    }
}
