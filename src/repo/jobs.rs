//! repo::jobs: which files each host receives — `template` and `copy` tasks evaluated per host.
//!
//! For every play, every host its `hosts:` pattern selects (within `--limit`), and every task
//! that writes a file: the task's variables are assembled in precedence order, `when:` is
//! evaluated (a condition that cannot be decided counts as true: both outcomes are possible, and a
//! file that may be deployed is checked), loops are expanded, `src`/`dest` are templated, and the
//! template is rendered. The destination decides what kind of configuration the file is.
//!
//! Renders are the expensive part and no later task reads what one produces, so the walk over
//! tasks only records them: every file a task writes (copies too) waits in task order, the
//! templates are rendered on the run's worker threads, and the files are then pushed in that
//! same order — the findings and files come out as a sequential run's, whatever `--jobs` is.

use super::firewall::{is_firewall_cmd, EventKind, FirewallEvent};
use super::map::{Piece, SpanMap};
use super::workers::Workers;
use super::{Progress, RenderedFile, Step};
use crate::ansible::inventory::Inventory;
use crate::ansible::playbook::{LoopKind, Play, Project, Task};
use crate::ansible::yaml::{Node, Value};
use crate::ansible::Vars;
use crate::diagnostic::Diagnostic;
use crate::model::firewall::{CmdEffect, FirewallOp, ListSite, OpOrigin, OpTarget};
use crate::render::{
    Fleet, Problem, ProblemKind, RenderJob, RenderOutcome, Renderer, TemplateSource,
};
use crate::rules;
use crate::source::{FileId, SourceDb, Span};
use indexmap::IndexMap;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What a destination path holds, by Fedora's (and upstream's) standard locations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConfigKind {
    DovecotMain,
    /// Any other file under `/etc/dovecot/`: a candidate for the main file's `!include`s.
    DovecotInclude,
    Fail2banJail,
    /// Any other file under `/etc/fail2ban/` (`fail2ban.local`, files jails include).
    Fail2banFile,
    FirewalldZone,
    /// `/etc/firewalld/services/*.xml`: user services, whose names zones may use.
    FirewalldService,
    /// `/etc/firewalld/firewalld.conf` (`DefaultZone=`).
    FirewalldConf,
    PostfixMaster,
    PostfixMain,
    Other,
}

impl ConfigKind {
    /// The kind of a destination: the user's `dest-kinds:` first (an exact path, else the
    /// longest matching glob), then the standard locations.
    pub fn for_dest(dest: &str, mapping: &[(String, String)]) -> ConfigKind {
        let exact = mapping.iter().find(|(p, _)| p == dest);
        let glob = || {
            mapping
                .iter()
                .filter(|(p, _)| glob::Pattern::new(p).is_ok_and(|g| g.matches(dest)))
                .max_by_key(|(p, _)| p.len())
        };
        match exact.or_else(glob) {
            Some((_, kind)) => ConfigKind::named(kind),
            None => ConfigKind::of(dest),
        }
    }

    /// A kind by its `dest-kinds:` name (see `config::DEST_KINDS`).
    pub fn named(name: &str) -> ConfigKind {
        match name {
            "dovecot" => ConfigKind::DovecotMain,
            "dovecot-include" => ConfigKind::DovecotInclude,
            "fail2ban-jail" => ConfigKind::Fail2banJail,
            "firewalld-zone" => ConfigKind::FirewalldZone,
            "postfix-master" => ConfigKind::PostfixMaster,
            "postfix-main" => ConfigKind::PostfixMain,
            _ => ConfigKind::Other,
        }
    }

    /// The standard locations (Fedora's and upstream's).
    pub fn of(dest: &str) -> ConfigKind {
        let dest = dest.trim();
        match dest {
            "/etc/dovecot/dovecot.conf" => ConfigKind::DovecotMain,
            "/etc/postfix/master.cf" => ConfigKind::PostfixMaster,
            "/etc/postfix/main.cf" => ConfigKind::PostfixMain,
            "/etc/fail2ban/jail.local" | "/etc/fail2ban/jail.conf" => ConfigKind::Fail2banJail,
            _ if dest.starts_with("/etc/dovecot/") => ConfigKind::DovecotInclude,
            _ if dest.starts_with("/etc/fail2ban/jail.d/") => ConfigKind::Fail2banJail,
            _ if dest.starts_with("/etc/fail2ban/") => ConfigKind::Fail2banFile,
            _ if dest.starts_with("/etc/firewalld/zones/") && dest.ends_with(".xml") => {
                ConfigKind::FirewalldZone
            }
            _ if dest.starts_with("/etc/firewalld/services/") && dest.ends_with(".xml") => {
                ConfigKind::FirewalldService
            }
            "/etc/firewalld/firewalld.conf" => ConfigKind::FirewalldConf,
            _ => ConfigKind::Other,
        }
    }
}

/// Template renders handed to the workers at once.
const RENDER_CHUNK: usize = if cfg!(test) { 2 } else { 512 };

/// Everything one run needs to turn tasks into rendered files.
pub(crate) struct Session<'a> {
    pub db: &'a mut SourceDb,
    pub renderer: &'a Renderer,
    pub fleet: &'a Fleet,
    pub project: &'a Project,
    pub inventory: &'a Inventory,
    pub extra: &'a Vars,
    pub limit: Option<&'a std::collections::HashSet<String>>,
    pub dest_kinds: &'a [(String, String)],
    pub diagnostics: &'a mut Vec<Diagnostic>,
    pub files: Vec<RenderedFile>,
    /// (host, destination) → index in `files`.
    pub file_index: HashMap<(usize, String), usize>,
    pub template_ids: HashMap<PathBuf, FileId>,
    /// Per host: `set_fact` values evaluated so far (in task order).
    pub set_facts: HashMap<usize, Vars>,
    /// Per host: names only the deploy defines (registered results, unknown `set_fact`s).
    pub runtime: HashMap<usize, IndexMap<String, String>>,
    /// Names quoted in the repository's `filter_plugins/` and `test_plugins/` Python files.
    pub plugin_names: Vec<String>,
    /// firewalld changes and reloads per host, in task order.
    pub firewall: Vec<FirewallEvent>,
    /// The index of the task being evaluated (orders firewall changes and reloads).
    pub order: usize,
    /// Files the tasks write, in task order, waiting for their templates' renders.
    pub pending: Vec<PendingFile>,
    /// The threads renders run on.
    pub workers: &'a Workers,
    /// Each task's variables, by task and the role defaults a host's inventory variables hide
    /// (for hosts without `set_fact`s).
    pub task_vars: HashMap<(usize, Vec<bool>), Arc<Vars>>,
    /// Files tasks name, found once per (task, kind, name) rather than once per host.
    pub found: HashMap<(usize, &'static str, String), Option<PathBuf>>,
    pub progress: &'a Progress,
}

/// A file a task writes, recorded during the walk over tasks and pushed after the renders.
pub(crate) enum PendingFile {
    /// A copied file or `content:`: nothing left to do but push it.
    Ready(RenderedFile),
    /// A template: rendered with the others, then mapped back to the template.
    Template(Box<PendingTemplate>),
}

/// A template render for one host, with what pushing its output needs.
pub(crate) struct PendingTemplate {
    render: RenderJob,
    host: usize,
    dest: String,
    kind: ConfigKind,
    /// The template's file, and where the task names it.
    template: FileId,
    at: Span,
    /// How many findings the walk had reported before this task: the render's problems go
    /// right after them, where a sequential run reports them.
    findings_before: usize,
}

/// One file-writing task for one host, after `when:` and with its loop item bound.
struct Job<'t> {
    task: &'t Task,
    host: usize,
    vars: Arc<Vars>,
    /// The list the loop goes over, when it is literal YAML (for fixes that add an entry).
    list: Option<Arc<ListSite>>,
}

impl Session<'_> {
    pub fn run(&mut self) {
        let project = self.project;
        for (index, play) in project.plays.iter().enumerate() {
            let hosts = self.play_hosts(play);
            let names: Arc<[String]> = hosts
                .iter()
                .map(|&h| self.fleet.hosts()[h].name.clone())
                .collect();
            for (order, task) in project.tasks.iter().enumerate() {
                if task.play != index {
                    continue;
                }
                self.order = order;
                for &host in &hosts {
                    match task.short_module() {
                        "template" | "copy" | "firewalld" => {
                            self.task_for_host(task, play, host, &names)
                        }
                        "command" | "shell" | "systemd" | "service" | "systemd_service"
                            if touches_firewalld(task) =>
                        {
                            self.task_for_host(task, play, host, &names)
                        }
                        "set_fact" => self.set_fact(task, play, host),
                        "include_vars" => self.include_vars(task, play, host),
                        _ => {}
                    }
                    if let Some(name) = &task.register {
                        let why =
                            format!("registered by the task `{}` at deploy time", task.module);
                        self.runtime
                            .entry(host)
                            .or_default()
                            .insert(name.clone(), why);
                    }
                }
            }
        }
        self.push_pending();
        self.files.sort_by_key(|f| f.host);
        self.file_index.clear();
    }

    /// Renders the recorded templates on the worker threads, then pushes every recorded file
    /// in task order, each render's problems among the findings where the walk left room.
    fn push_pending(&mut self) {
        let pending = std::mem::take(&mut self.pending);
        let total = pending
            .iter()
            .filter(|p| matches!(p, PendingFile::Template(_)))
            .count();
        let (renderer, fleet, progress) = (self.renderer, self.fleet, self.progress);
        let done = std::sync::atomic::AtomicUsize::new(0);
        progress.step(Step::Rendering { done: 0, total });
        let mut walk_findings = std::mem::take(self.diagnostics).into_iter();
        let mut taken = 0;
        let mut rest = pending.into_iter();
        loop {
            // Rendered in chunks, each handled before the next renders: the outcomes held at
            // once stay bounded whatever the fleet's size.
            let mut chunk = Vec::new();
            let mut templates = 0;
            for file in rest.by_ref() {
                templates += usize::from(matches!(file, PendingFile::Template(_)));
                chunk.push(file);
                if templates == RENDER_CHUNK {
                    break;
                }
            }
            if chunk.is_empty() {
                break;
            }
            let renders: Vec<&PendingTemplate> = chunk
                .iter()
                .filter_map(|p| match p {
                    PendingFile::Template(t) => Some(&**t),
                    PendingFile::Ready(_) => None,
                })
                .collect();
            let (db, template_ids) = (&*self.db, &self.template_ids);
            let outcomes = self.workers.map(&renders, |pending| {
                let outcome = renderer.render(fleet, &pending.render);
                let done = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                progress.step(Step::Rendering { done, total });
                Mapped::new(db, fleet, template_ids, pending, outcome)
            });
            drop(renders);
            let mut outcomes = outcomes.into_iter();
            for file in chunk {
                match file {
                    PendingFile::Ready(file) => self.push_file(file),
                    PendingFile::Template(template) => {
                        let gap = template.findings_before.saturating_sub(taken);
                        self.diagnostics.extend(walk_findings.by_ref().take(gap));
                        taken += gap;
                        if let Some(outcome) = outcomes.next() {
                            self.template_outcome(*template, outcome);
                        }
                    }
                }
            }
        }
        self.diagnostics.extend(walk_findings);
    }

    fn play_hosts(&mut self, play: &Play) -> Vec<usize> {
        let mut pattern = play.hosts.clone();
        if pattern.contains("{{") || pattern.contains("{%") {
            // Ansible templates `hosts:` with play and extra vars before it selects.
            let mut vars = play.vars.clone();
            vars.extend(self.extra.iter().map(|(k, v)| (k.clone(), v.clone())));
            let vars = Arc::new(vars);
            match (!self.fleet.hosts().is_empty())
                .then(|| self.render_quietly(&pattern, 0, &vars))
                .flatten()
            {
                Some(rendered) => pattern = rendered,
                None => {
                    self.diagnostics.push(Diagnostic::new(
                        &rules::unevaluated_lookup::RULE,
                        play.hosts_span,
                        "this play's `hosts:` cannot be evaluated offline; its tasks are not checked (pass the variable with -e)".to_string(),
                    ));
                    return Vec::new();
                }
            }
        }
        let selected = self.inventory.select(&pattern);
        selected
            .iter()
            .filter(|name| self.limit.is_none_or(|l| l.contains(name.as_str())))
            .filter_map(|name| self.fleet.host_index(name))
            .collect()
    }

    /// Variables of `task` for `host`, highest precedence last (see the module doc of `repo`).
    fn task_vars(&mut self, task: &Task, play: &Play, host: usize) -> Arc<Vars> {
        let host_vars = &self.fleet.hosts()[host].vars;
        let roles = &self.project.roles;
        let defaults = || {
            play.roles
                .iter()
                .chain(task.role.iter())
                .flat_map(|&r| roles[r].defaults.iter())
        };
        // Without `set_fact`s of its own, a host's variables for this task differ from another
        // host's only in which role defaults its inventory variables hide: hosts alike share one.
        let facts = self.set_facts.get(&host).filter(|f| !f.is_empty());
        let key = facts.is_none().then(|| {
            let hidden = defaults().map(|(k, _)| host_vars.contains_key(k)).collect();
            (self.order, hidden)
        });
        if let Some(vars) = key.as_ref().and_then(|k| self.task_vars.get(k)) {
            return vars.clone();
        }
        let mut over = Vars::new();
        let mut extend = |vars: &Vars| {
            for (k, v) in vars {
                over.insert(k.clone(), v.clone());
            }
        };
        extend(&play.vars);
        for &r in &play.roles {
            extend(&roles[r].vars);
        }
        if let Some(r) = task.role {
            extend(&roles[r].vars);
        }
        extend(&task.vars);
        if let Some(facts) = facts {
            extend(facts);
        }
        if let Some(r) = task.role {
            extend(&roles[r].params);
        }
        extend(self.extra);
        // Role defaults sit below everything, the inventory included.
        let mut vars = Vars::new();
        for (k, v) in defaults() {
            if !host_vars.contains_key(k) && !over.contains_key(k) {
                vars.insert(k.clone(), v.clone());
            }
        }
        vars.extend(over);
        let vars = Arc::new(vars);
        if let Some(key) = key {
            self.task_vars.insert(key, vars.clone());
        }
        vars
    }

    fn task_for_host(&mut self, task: &Task, play: &Play, host: usize, play_hosts: &Arc<[String]>) {
        let vars = self.task_vars(task, play, host);
        if !self.conditions_hold(task, host, &vars) {
            return;
        }
        let (items, list) = match &task.looping {
            None => (vec![None], None),
            Some(l) => match self.loop_items(task, l, host, &vars) {
                Some((items, list)) => (items.into_iter().map(Some).collect(), list),
                None => return,
            },
        };
        for item in items {
            let vars = match (item, &task.looping) {
                (Some(item), Some(l)) => {
                    let mut vars = (*vars).clone();
                    vars.insert(l.var.clone(), Arc::new(item));
                    Arc::new(vars)
                }
                _ => vars.clone(),
            };
            let list = list.clone();
            let job = Job {
                task,
                host,
                vars,
                list,
            };
            self.job(&job, play_hosts);
        }
    }

    /// `set_fact`: each value evaluated now, over what is known; a value that depends on
    /// something only the deploy knows makes the name unknown from here on.
    fn set_fact(&mut self, task: &Task, play: &Play, host: usize) {
        let vars = self.task_vars(task, play, host);
        if !self.conditions_hold(task, host, &vars) {
            return;
        }
        for (name, value) in &task.args {
            if matches!(name.as_str(), "cacheable" | "_raw_params") {
                continue;
            }
            let evaluated = match &value.value {
                Value::Str(text) if text.contains("{{") || text.contains("{%") => {
                    self.evaluate_quietly(text, value.span, host, &vars)
                }
                _ => Some(value.clone()),
            };
            match evaluated {
                Some(node) => {
                    self.runtime.entry(host).or_default().shift_remove(name);
                    self.set_facts
                        .entry(host)
                        .or_default()
                        .insert(name.clone(), Arc::new(node));
                }
                None => {
                    let why = "set by `set_fact` from a value known only at deploy time";
                    self.runtime
                        .entry(host)
                        .or_default()
                        .insert(name.clone(), why.to_string());
                    if let Some(facts) = self.set_facts.get_mut(&host) {
                        facts.shift_remove(name);
                    }
                }
            }
        }
    }

    /// `include_vars` of a static file: its variables join the host's `set_fact` layer (the
    /// precedence differs by one level, which no real repository relies on).
    fn include_vars(&mut self, task: &Task, play: &Play, host: usize) {
        let file = task.arg("file").or_else(|| task.arg("_raw_params"));
        let Some(rel) = file.and_then(scalar).filter(|f| !f.contains("{{")) else {
            return;
        };
        let vars = self.task_vars(task, play, host);
        if !self.conditions_hold(task, host, &vars) {
            return;
        }
        let Some(path) = self.find_file(task, "vars", &rel) else {
            return;
        };
        let Ok(docs) = crate::ansible::load_yaml_file(self.db, &path) else {
            return;
        };
        let facts = self.set_facts.entry(host).or_default();
        for doc in &docs {
            crate::ansible::playbook::merge_mapping(facts, doc);
        }
    }

    /// Where the task being walked finds `src` among its `kind` files (`templates`, `files`,
    /// `vars`), asked of the disk once for all hosts.
    fn find_file(&mut self, task: &Task, kind: &'static str, src: &str) -> Option<PathBuf> {
        self.found
            .entry((self.order, kind, src.to_string()))
            .or_insert_with(|| find_file(&task.search_dirs, kind, src))
            .clone()
    }

    /// Like [`Session::evaluate`], but `None` (and no finding) when the value is not knowable.
    fn evaluate_quietly(
        &mut self,
        text: &str,
        at: Span,
        host: usize,
        vars: &Arc<Vars>,
    ) -> Option<Node> {
        let expr = strip_braces(text);
        if expr == text.trim() || expr.contains("{{") {
            // Text around the expression: the fact is that text, rendered.
            return Some(Node {
                value: Value::Str(self.render_quietly(text, host, vars)?),
                span: at,
            });
        }
        let rendered = self.render_quietly(&as_json(expr), host, vars)?;
        json_node(&rendered, at)
    }

    fn render_quietly(&self, text: &str, host: usize, vars: &Arc<Vars>) -> Option<String> {
        let mut job = RenderJob::new(
            TemplateSource {
                path: PathBuf::from("<set_fact>"),
                text: Arc::from(text),
            },
            host,
        );
        job.task_vars = vars.clone();
        job.runtime = self.runtime.get(&host).cloned().unwrap_or_default();
        let outcome = self.renderer.render(self.fleet, &job);
        outcome
            .text
            .filter(|t| !t.contains(crate::render::UNKNOWN_PLACEHOLDER))
    }

    /// `when:` conditions: false stops the task; undecidable ones count as true.
    fn conditions_hold(&mut self, task: &Task, host: usize, vars: &Arc<Vars>) -> bool {
        let mut conditions = Vec::new();
        for when in &task.when {
            match &when.value {
                Value::Seq(items) => conditions.extend(items.iter()),
                _ => conditions.push(when),
            }
        }
        for condition in conditions {
            let expr = match &condition.value {
                Value::Bool(b) => {
                    if !b {
                        return false;
                    }
                    continue;
                }
                Value::Str(s) => s.clone(),
                Value::Int(i) => i.to_string(),
                _ => continue,
            };
            let expr = strip_braces(&expr);
            let runtime = self.runtime.get(&host).cloned().unwrap_or_default();
            match self
                .renderer
                .eval_condition_with(self.fleet, host, vars, &runtime, expr)
            {
                Ok(Some(false)) => return false,
                Ok(_) => {}
                Err(problem) => {
                    self.problem_at(problem, condition.span, host);
                    return false;
                }
            }
        }
        true
    }

    /// The loop's items for one host (and the list as written, when it is literal YAML), or
    /// `None` when they cannot be known offline.
    fn loop_items(
        &mut self,
        task: &Task,
        looping: &crate::ansible::playbook::Loop,
        host: usize,
        vars: &Arc<Vars>,
    ) -> Option<(Vec<Node>, Option<Arc<ListSite>>)> {
        let (list, literal) = match &looping.items.value {
            Value::Str(text) if text.contains("{{") => {
                match self.plain_variable(text, host, vars) {
                    // `loop: "{{ name }}"` over literal data: the items keep their places in
                    // the vars file, so findings about one item point at it.
                    Some(node) => (node, true),
                    None => (
                        self.evaluate(strip_braces(text), looping.items.span, host, vars)?,
                        false,
                    ),
                }
            }
            _ => (looping.items.clone(), true),
        };
        let site = literal
            .then(|| list_site(self.db, &list))
            .flatten()
            .map(Arc::new);
        let items = match (&looping.kind, list.value) {
            (LoopKind::List, Value::Seq(items)) => Some(items),
            (LoopKind::Items, Value::Seq(items)) => Some(
                items
                    .into_iter()
                    .flat_map(|i| match i.value {
                        Value::Seq(inner) => inner,
                        _ => vec![i],
                    })
                    .collect(),
            ),
            (LoopKind::Dict, Value::Map(entries)) => Some(
                entries
                    .into_iter()
                    .map(|(k, v)| {
                        let span = k.span;
                        let key = Node {
                            value: Value::Str("key".into()),
                            span,
                        };
                        let value = Node {
                            value: Value::Str("value".into()),
                            span,
                        };
                        Node {
                            value: Value::Map(vec![(key, k), (value, v)]),
                            span,
                        }
                    })
                    .collect(),
            ),
            (LoopKind::Other(lookup), _) => {
                self.diagnostics.push(
                    Diagnostic::new(
                        &rules::unevaluated_lookup::RULE,
                        task.span,
                        format!(
                            "`with_{lookup}` is not evaluated; this task's files are not checked"
                        ),
                    )
                    .with_host(&self.fleet.hosts()[host].name),
                );
                None
            }
            _ => {
                self.diagnostics.push(
                    Diagnostic::new(
                        &rules::template_render_error::RULE,
                        looping.items.span,
                        "the loop does not evaluate to a list".to_string(),
                    )
                    .with_host(&self.fleet.hosts()[host].name),
                );
                None
            }
        };
        items.map(|items| (items, site))
    }

    /// The value of `{{ name }}` when it is a variable holding literal data (no templates).
    fn plain_variable(&self, text: &str, host: usize, vars: &Vars) -> Option<Node> {
        let expr = strip_braces(text);
        if text.trim() != format!("{{{{ {expr} }}}}") && text.trim() != format!("{{{{{expr}}}}}") {
            return None;
        }
        if expr.is_empty() || !expr.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return None;
        }
        let node = vars
            .get(expr)
            .or_else(|| self.fleet.hosts()[host].vars.get(expr))?;
        let literal = node.as_seq().is_some() && !has_template(node);
        literal.then(|| (**node).clone())
    }

    /// Evaluates an expression to data by rendering it as JSON and reading that back.
    fn evaluate(&mut self, expr: &str, at: Span, host: usize, vars: &Arc<Vars>) -> Option<Node> {
        let text = self.render_string(&as_json(expr), at, host, vars)?;
        json_node(&text, at)
    }

    /// Renders a task argument (module arguments are templates too).
    fn render_string(
        &mut self,
        text: &str,
        at: Span,
        host: usize,
        vars: &Arc<Vars>,
    ) -> Option<String> {
        if !text.contains("{{") && !text.contains("{%") {
            return Some(text.to_string());
        }
        let path = self.db.file(at.file).path().to_path_buf();
        let mut job = RenderJob::new(
            TemplateSource {
                path,
                text: Arc::from(text),
            },
            host,
        );
        job.task_vars = vars.clone();
        job.runtime = self.runtime.get(&host).cloned().unwrap_or_default();
        let outcome = self.renderer.render(self.fleet, &job);
        for problem in outcome.problems {
            self.problem_at(problem, at, host);
        }
        outcome.text
    }

    fn job(&mut self, job: &Job<'_>, play_hosts: &Arc<[String]>) {
        match job.task.short_module() {
            "firewalld" => return self.firewalld_job(job),
            "command" | "shell" => return self.firewall_command_job(job),
            "systemd" | "service" | "systemd_service" => return self.service_job(job),
            _ => {}
        }
        let task = job.task;
        let Some(dest_node) = task.arg("dest").or_else(|| task.arg("path")) else {
            return;
        };
        let Some(dest_text) = scalar(dest_node) else {
            return;
        };
        let Some(mut dest) = self.render_string(&dest_text, dest_node.span, job.host, &job.vars)
        else {
            return;
        };
        let src = task.arg("src").and_then(|n| scalar(n).map(|s| (s, n.span)));
        if dest.ends_with('/') {
            if let Some((s, _)) = &src {
                let name = Path::new(s)
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or("");
                dest.push_str(name.strip_suffix(".j2").unwrap_or(name));
            }
        }
        // Every template is rendered (its errors matter wherever it goes); static files only
        // when they are configuration mxlint reads.
        let kind = ConfigKind::for_dest(&dest, self.dest_kinds);
        match (task.short_module(), src) {
            ("copy", _) if kind == ConfigKind::Other => {}
            ("template", Some((src, span))) => {
                self.template_job(job, &src, span, dest, kind, play_hosts)
            }
            ("copy", Some((src, span))) => self.copy_src_job(job, &src, span, dest, kind),
            ("copy", None) => {
                if let Some(content) = task.arg("content") {
                    self.copy_content_job(job, content, dest, kind);
                }
            }
            _ => {}
        }
    }

    /// An `ansible.posix.firewalld` task for one host (one loop item).
    fn firewalld_job(&mut self, job: &Job<'_>) {
        let task = job.task;
        let text = |s: &mut Self, key: &str| -> Option<(String, Span)> {
            let node = task.arg(key)?;
            let raw = scalar(node)?;
            let value = s.render_string(&raw, node.span, job.host, &job.vars)?;
            let at = unquoted(s.db, s.value_span(node, &raw, &job.vars));
            Some((value.trim().to_string(), at))
        };
        let flag = |s: &mut Self, key: &str| -> Option<bool> {
            if let Some(Value::Bool(b)) = task.arg(key).map(|n| &n.value) {
                return Some(*b);
            }
            let (value, _) = text(s, key)?;
            Some(matches!(
                value.to_ascii_lowercase().as_str(),
                "yes" | "true" | "on" | "1" | "y" | "t"
            ))
        };
        let (target, name_span) = if let Some((v, at)) = text(self, "service") {
            (OpTarget::Service(v), at)
        } else if let Some((v, at)) = text(self, "port") {
            let given = text(self, "protocol").map(|(p, _)| p);
            let (port, proto) = match v.split_once('/') {
                Some((port, proto)) => (port.to_string(), proto.to_string()),
                None => (v.clone(), given.unwrap_or_default()),
            };
            (OpTarget::Port { port, proto }, at)
        } else if let Some((v, at)) = text(self, "rich_rule") {
            (OpTarget::RichRule(v), at)
        } else {
            (OpTarget::Other, task.span)
        };
        let state = text(self, "state").map(|(s, _)| s).unwrap_or_default();
        let mut permanent = flag(self, "permanent");
        let mut immediate = flag(self, "immediate");
        let offline = flag(self, "offline").unwrap_or(false);
        if offline {
            immediate = Some(false);
        }
        if permanent.is_none() && immediate.is_none() {
            immediate = Some(true);
        }
        if permanent.is_none() {
            permanent = Some(false);
        }
        let op = FirewallOp {
            target,
            zone: text(self, "zone").map(|(z, _)| z),
            permanent: permanent.unwrap_or(false),
            immediate: immediate.unwrap_or(false),
            enable: matches!(state.as_str(), "enabled" | "present"),
            offline,
            reloaded: false,
            origin: OpOrigin::Module,
            span: task.span,
            list: job
                .list
                .clone()
                .filter(|l| l.entries.iter().any(|(_, at)| *at == name_span)),
            name_span,
        };
        self.push_event(task, job.host, EventKind::Op(op));
    }

    /// `command`/`shell` running `firewall-cmd`: each change it makes, and `--reload`.
    fn firewall_command_job(&mut self, job: &Job<'_>) {
        let task = job.task;
        let node = task
            .arg("cmd")
            .or_else(|| task.arg("_raw_params"))
            .or_else(|| task.arg("argv"));
        let Some(node) = node else { return };
        // Each word with the place it is written, when the file holds it verbatim.
        let commands: Vec<Vec<(String, Option<Span>)>> = match node.as_seq() {
            Some(argv) => {
                let mut words = Vec::new();
                for item in argv {
                    let Some(raw) = scalar(item) else { return };
                    let Some(w) = self.render_string(&raw, item.span, job.host, &job.vars) else {
                        return;
                    };
                    let at = (self.db.text(item.span) == w).then_some(item.span);
                    words.push((w, at));
                }
                vec![words]
            }
            None => {
                let Some(raw) = scalar(node) else { return };
                let Some(line) = self.render_string(&raw, node.span, job.host, &job.vars) else {
                    return;
                };
                // Words are found in the file in order (a block scalar's text is not the
                // file's bytes, but its words are); a word not written there has no place.
                let written = self.db.text(node.span).to_string();
                let mut from = 0;
                super::firewall::shell_commands(&line)
                    .into_iter()
                    .map(|cmd| {
                        cmd.into_iter()
                            .map(|w| {
                                let found = written[from..].find(&w.text).map(|i| from + i);
                                let at = found.filter(|_| !w.text.is_empty()).map(|i| {
                                    from = i + w.text.len();
                                    let start = node.span.start() + i;
                                    Span::new(node.span.file, start, start + w.text.len())
                                });
                                (w.text, at)
                            })
                            .collect()
                    })
                    .collect()
            }
        };
        for words in commands {
            // Leading `sudo`, `env X=Y` and `k=v` module options (`chdir=`) are not the program.
            let start = words
                .iter()
                .position(|w| is_firewall_cmd(&w.0))
                .filter(|&i| {
                    words[..i]
                        .iter()
                        .all(|w| w.0 == "sudo" || w.0 == "env" || w.0.contains('='))
                });
            let Some(start) = start else { continue };
            let args: Vec<&str> = words[start..].iter().map(|w| w.0.as_str()).collect();
            for effect in crate::model::firewall::parse_firewall_cmd(&args) {
                let kind = match effect {
                    CmdEffect::Change { .. } => {
                        let word_at = |i: usize| words.get(start + i).and_then(|w| w.1);
                        match crate::model::firewall::command_op(effect, word_at, node.span) {
                            Some(op) => EventKind::Op(FirewallOp {
                                span: task.span,
                                ..op
                            }),
                            None => continue,
                        }
                    }
                    CmdEffect::Reload => self.reload_kind(task),
                    CmdEffect::RuntimeToPermanent => EventKind::RuntimeToPermanent,
                    CmdEffect::SetDefaultZone(zone) => EventKind::SetDefaultZone(zone),
                };
                self.push_event(task, job.host, kind);
            }
        }
    }

    /// `systemd`/`service` that reloads or restarts firewalld.
    fn service_job(&mut self, job: &Job<'_>) {
        let task = job.task;
        let get = |s: &mut Self, key: &str| {
            let node = task.arg(key)?;
            let raw = scalar(node)?;
            s.render_string(&raw, node.span, job.host, &job.vars)
        };
        let name = get(self, "name").unwrap_or_default();
        let state = get(self, "state").unwrap_or_default();
        if name.trim_end_matches(".service") == "firewalld"
            && matches!(state.trim(), "reloaded" | "restarted")
        {
            let kind = self.reload_kind(task);
            self.push_event(task, job.host, kind);
        }
    }

    /// A reload: by a handler (applies to the tasks that notify it) or an ordinary task.
    fn reload_kind(&self, task: &Task) -> EventKind {
        let handler_names = if task.handler {
            task.name.iter().chain(&task.listen).cloned().collect()
        } else {
            Vec::new()
        };
        EventKind::Reload { handler_names }
    }

    fn push_event(&mut self, task: &Task, host: usize, kind: EventKind) {
        self.firewall.push(FirewallEvent {
            host,
            order: self.order,
            notify: task.notify.clone(),
            kind,
        });
    }

    /// Where a module argument's value is written: a loop item's own span when the argument is
    /// just that item (so the finding lands on the list entry), else the argument.
    fn value_span(&self, node: &Node, raw: &str, vars: &Vars) -> Span {
        if raw.contains("{{") {
            let expr = strip_braces(raw);
            if let Some(name) = leading_identifier(expr) {
                if let Some(item) = vars.get(name) {
                    let field = expr[name.len()..].trim_start_matches('.').trim();
                    let picked = if field.is_empty() {
                        Some(&**item)
                    } else {
                        item.get(field)
                    };
                    if let Some(p) = picked.filter(|p| p.span.file != FileId(u32::MAX)) {
                        return p.span;
                    }
                }
            }
        }
        node.span
    }

    fn template_job(
        &mut self,
        job: &Job<'_>,
        src: &str,
        at: Span,
        dest: String,
        kind: ConfigKind,
        play_hosts: &Arc<[String]>,
    ) {
        let Some(src) = self.render_string(src, at, job.host, &job.vars) else {
            return;
        };
        let Some(path) = self.find_file(job.task, "templates", &src) else {
            self.diagnostics.push(
                Diagnostic::new(
                    &rules::ansible_load_error::RULE,
                    at,
                    format!(
                        "template `{src}` not found in the role's or the playbook's templates/"
                    ),
                )
                .with_host(&self.fleet.hosts()[job.host].name),
            );
            return;
        };
        let Some(template) = self.template_file(&path, at, job.host) else {
            return;
        };
        let text = self.db.file(template).shared_text();
        let mut render_job = RenderJob::new(
            TemplateSource {
                path: path.clone(),
                text,
            },
            job.host,
        );
        render_job.search_paths = job.task.search_dirs.clone();
        render_job.overrides = template_options(job.task);
        render_job.task_vars = job.vars.clone();
        render_job.runtime = self.runtime.get(&job.host).cloned().unwrap_or_default();
        render_job.src = src;
        render_job.dest = dest.clone();
        render_job.play_hosts = Some(play_hosts.clone());
        render_job.role_path = job.task.role.map(|r| self.project.roles[r].dir.clone());
        render_job.controller.playbook_dir = Some(self.project.plays[job.task.play].dir.clone());
        self.pending
            .push(PendingFile::Template(Box::new(PendingTemplate {
                render: render_job,
                host: job.host,
                dest,
                kind,
                template,
                at,
                findings_before: self.diagnostics.len(),
            })));
    }

    /// A template's render for one host: its problems reported, its text added to the sources,
    /// the file pushed. Spans from templates not read yet (an include met for the first time)
    /// are mapped here; the rest were mapped beside the render.
    fn template_outcome(&mut self, pending: PendingTemplate, mapped: Mapped) {
        let PendingTemplate {
            render: job,
            host,
            dest,
            kind,
            template,
            at,
            ..
        } = pending;
        for problem in mapped.problems {
            self.problem(problem, template, host);
        }
        let Some(text) = mapped.text else { return };
        let file = self.db.push(text);
        let mut pieces = mapped.pieces;
        for span in mapped.rest {
            let Some(src_file) = self.template_file(&span.template, at, host) else {
                continue;
            };
            let rendered = self.db.file(file).text();
            pieces.push(piece(self.db, self.fleet, &job, src_file, rendered, span));
        }
        pieces.sort_by_key(|p| p.out.start);
        self.push_file(rendered_file(host, dest, kind, file, template, pieces));
    }

    fn copy_src_job(&mut self, job: &Job<'_>, src: &str, at: Span, dest: String, kind: ConfigKind) {
        let Some(src) = self.render_string(src, at, job.host, &job.vars) else {
            return;
        };
        let Some(path) = self.find_file(job.task, "files", &src) else {
            return;
        };
        let Some(file) = self.template_file(&path, at, job.host) else {
            return;
        };
        let len = self.db.file(file).text().len();
        let pieces = vec![Piece {
            out: 0..len,
            file,
            src: 0..len,
            expression: false,
            origin: None,
            value: None,
        }];
        let copied = rendered_file(job.host, dest, kind, file, file, pieces);
        self.pending.push(PendingFile::Ready(copied));
    }

    fn copy_content_job(&mut self, job: &Job<'_>, content: &Node, dest: String, kind: ConfigKind) {
        let Some(text) = scalar(content) else { return };
        let Some(text) = self.render_string(&text, content.span, job.host, &job.vars) else {
            return;
        };
        let name = format!("{}:{}", self.fleet.hosts()[job.host].name, dest);
        let len = text.len();
        let file = self.db.add(name, text);
        let pieces = vec![Piece {
            out: 0..len,
            file: content.span.file,
            src: content.span.start()..content.span.end(),
            expression: true,
            origin: None,
            value: None,
        }];
        let written = rendered_file(job.host, dest, kind, file, content.span.file, pieces);
        self.pending.push(PendingFile::Ready(written));
    }

    fn push_file(&mut self, rendered: RenderedFile) {
        let host = rendered.host;
        // A later task writing the same destination replaces the earlier file.
        match self.file_index.get(&(host, rendered.dest.clone())) {
            Some(&i) => self.files[i] = rendered,
            None => {
                self.file_index
                    .insert((host, rendered.dest.clone()), self.files.len());
                self.files.push(rendered);
            }
        }
    }

    /// The `SourceDb` file of a template (read once).
    fn template_file(&mut self, path: &Path, at: Span, host: usize) -> Option<FileId> {
        if let Some(&id) = self.template_ids.get(path) {
            return Some(id);
        }
        match crate::source::read_source(self.db, path) {
            Ok(id) => {
                self.template_ids.insert(path.to_path_buf(), id);
                Some(id)
            }
            Err(e) => {
                self.diagnostics.push(
                    Diagnostic::new(
                        &rules::ansible_load_error::RULE,
                        at,
                        format!("{}: {}", path.display(), e.message),
                    )
                    .with_host(&self.fleet.hosts()[host].name),
                );
                None
            }
        }
    }

    /// A render problem in a template file.
    fn problem(&mut self, problem: Problem, template: FileId, host: usize) {
        let file = if self.db.file(template).path() == problem.template {
            Some(template)
        } else {
            let at = Span::new(template, 0, 0);
            self.template_file(&problem.template.clone(), at, host)
        };
        let span = match (file, &problem.range) {
            (Some(f), Some(r)) => Span::new(f, r.start, r.end),
            (Some(f), None) => Span::new(f, 0, 0),
            (None, _) => Span::new(template, 0, 0),
        };
        self.push_problem(problem, span, host);
    }

    /// A problem in a task argument: reported at the argument.
    fn problem_at(&mut self, problem: Problem, at: Span, host: usize) {
        self.push_problem(problem, at, host);
    }

    fn push_problem(&mut self, mut problem: Problem, span: Span, host: usize) {
        let name = self.fleet.hosts()[host].name.clone();
        if let Some(reason) = self.foreign_plugin(&problem) {
            problem.kind = ProblemKind::UnknownValue {
                reason: reason.clone(),
            };
            problem.message = reason;
        }
        self.diagnostics
            .push(problem_diagnostic(problem, span, &name));
    }
}

/// Where the variable an expression starts with is defined (task level first, then host).
fn var_origin(fleet: &Fleet, vars: &Vars, host: usize, expression: &str) -> Option<Span> {
    let name = leading_identifier(expression)?;
    vars.get(name)
        .or_else(|| fleet.hosts()[host].vars.get(name))
        .map(|node| node.span)
        .filter(|span| span.file != FileId(u32::MAX))
}

/// A render's outcome with what can be done beside the other renders: its text made a source
/// file, and its spans mapped to template pieces wherever the template is read already.
pub(crate) struct Mapped {
    problems: Vec<crate::render::Problem>,
    text: Option<crate::source::SourceFile>,
    pieces: Vec<Piece>,
    /// Spans from templates not read yet.
    rest: Vec<crate::render::OutputSpan>,
}

impl Mapped {
    fn new(
        db: &SourceDb,
        fleet: &Fleet,
        template_ids: &HashMap<PathBuf, FileId>,
        pending: &PendingTemplate,
        outcome: RenderOutcome,
    ) -> Mapped {
        let mut mapped = Mapped {
            problems: outcome.problems,
            text: None,
            pieces: Vec::new(),
            rest: Vec::new(),
        };
        let Some(text) = outcome.text else {
            return mapped;
        };
        let mut last: Option<(Arc<Path>, Option<FileId>)> = None;
        for span in outcome.spans {
            let src_file = match &last {
                Some((path, id)) if Arc::ptr_eq(path, &span.template) => *id,
                _ => {
                    let id = template_ids.get(&*span.template).copied();
                    last = Some((span.template.clone(), id));
                    id
                }
            };
            match src_file {
                Some(src_file) => {
                    let job = &pending.render;
                    mapped
                        .pieces
                        .push(piece(db, fleet, job, src_file, &text, span));
                }
                None => mapped.rest.push(span),
            }
        }
        let name = format!("{}:{}", fleet.hosts()[pending.host].name, pending.dest);
        mapped.text = Some(crate::source::SourceFile::new(name.into(), text));
        mapped
    }
}

/// One output span of a render as a piece of its template: for an expression, where the
/// variable it prints is written, and where exactly its value is when printed verbatim.
fn piece(
    db: &SourceDb,
    fleet: &Fleet,
    job: &RenderJob,
    src_file: FileId,
    rendered: &str,
    span: crate::render::OutputSpan,
) -> Piece {
    let (mut origin, mut value) = (None, None);
    if span.expression {
        let text = db.file(src_file).text().get(span.src.clone()).unwrap_or("");
        let bare = leading_identifier(text).is_some_and(|name| name == text.trim());
        origin = var_origin(fleet, &job.task_vars, job.host, text);
        if let (true, Some(at)) = (bare, origin) {
            let printed = rendered.get(span.out.clone());
            value = verbatim_value(db.try_text(at).unwrap_or(""), printed.unwrap_or(""))
                .map(|inner| Span::new(at.file, at.start() + inner.start, at.start() + inner.end));
        }
    }
    Piece {
        out: span.out,
        file: src_file,
        src: span.src,
        expression: span.expression,
        origin,
        value,
    }
}

/// A file of `host` at `dest`, its text in `file`, coming from `source` through `pieces`.
fn rendered_file(
    host: usize,
    dest: String,
    kind: ConfigKind,
    file: FileId,
    source: FileId,
    pieces: Vec<Piece>,
) -> RenderedFile {
    RenderedFile {
        host,
        dest,
        kind,
        file,
        source,
        map: SpanMap {
            rendered: file,
            template: source,
            pieces,
        },
    }
}

impl Session<'_> {
    /// Why an unknown filter or test is not an error: it comes from the repository's own
    /// plugins or from a collection, Python mxlint cannot run.
    fn foreign_plugin(&self, problem: &Problem) -> Option<String> {
        if problem.kind != ProblemKind::Render {
            return None;
        }
        let (what, rest) = ["filter", "test"].iter().find_map(|w| {
            let rest = problem.message.strip_prefix(&format!("unknown {w} '"))?;
            Some((*w, rest))
        })?;
        let name = &rest[..rest.find('\'')?];
        let short = name.rsplit('.').next().unwrap_or(name);
        if self.plugin_names.iter().any(|p| p == short) {
            return Some(format!(
                "{what} '{name}' comes from the repository's {what}_plugins/, Python mxlint does not run; this file is not checked"
            ));
        }
        let collection: Vec<&str> = name.split('.').collect();
        let builtin = name.starts_with("ansible.builtin.") || name.starts_with("ansible.legacy.");
        (collection.len() >= 3 && !builtin).then(|| {
            format!(
                "{what} '{name}' comes from the collection {}.{}, which mxlint cannot run; this file is not checked",
                collection[0], collection[1]
            )
        })
    }
}

/// Names quoted in `filter_plugins/*.py` and `test_plugins/*.py` beside the playbooks and in
/// every role: a filter the repository defines itself is not a typo.
pub(crate) fn plugin_names(dirs: &[PathBuf]) -> Vec<String> {
    let mut names = Vec::new();
    for dir in dirs {
        for kind in ["filter_plugins", "test_plugins"] {
            let Ok(entries) = std::fs::read_dir(dir.join(kind)) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.extension().is_some_and(|e| e == "py") {
                    let text = std::fs::read_to_string(&path).unwrap_or_default();
                    names.extend(quoted_words(&text));
                }
            }
        }
    }
    names.sort();
    names.dedup();
    names
}

fn quoted_words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for quote in ['\'', '"'] {
        for (i, part) in text.split(quote).enumerate() {
            let word = i % 2 == 1
                && !part.is_empty()
                && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if word {
                out.push(part.to_string());
            }
        }
    }
    out
}

/// The finding for a render problem at `span` on `host`.
pub(crate) fn problem_diagnostic(problem: Problem, span: Span, host: &str) -> Diagnostic {
    {
        let rule = match &problem.kind {
            ProblemKind::Syntax => &rules::template_syntax_error::RULE,
            ProblemKind::Undefined { .. } => &rules::undefined_variable::RULE,
            ProblemKind::Render => &rules::template_render_error::RULE,
            ProblemKind::UnknownValue { .. } | ProblemKind::UnevaluatedLookup { .. } => {
                &rules::unevaluated_lookup::RULE
            }
        };
        let help = match &problem.kind {
            ProblemKind::Undefined { .. } => Some(
                "define it in group_vars/host_vars for these hosts, or use `| default(...)`",
            ),
            ProblemKind::UnknownValue { .. } => Some(
                "checks that depend on this value are skipped; give facts a value with `facts:` in .mxlint.yml or a fact cache",
            ),
            _ => None,
        };
        let mut d = Diagnostic::new(rule, span, problem.message).with_host(host);
        if let Some(help) = help {
            d = d.help(help);
        }
        d
    }
}

/// The variable name an expression starts with (`dovecot_vsz_limit | default('1G')`).
/// The inside of a quoted scalar's span (the span itself for a plain one).
fn unquoted(db: &SourceDb, span: Span) -> Span {
    match db.try_text(span).unwrap_or("").as_bytes() {
        [q @ (b'"' | b'\''), .., last] if q == last && span.len() >= 2 => {
            Span::new(span.file, span.start() + 1, span.end() - 1)
        }
        _ => span,
    }
}

/// A YAML list of plain or quoted names as written in a file: where one more entry goes, in
/// the list's own style (block or flow, indentation, quotes, line ending).
fn list_site(db: &SourceDb, list: &Node) -> Option<ListSite> {
    let items = list.as_seq()?;
    let file = list.span.file;
    if file == FileId(u32::MAX) || (file.0 as usize) >= db.len() {
        return None;
    }
    let text = db.file(file).text();
    let mut entries = Vec::new();
    for item in items {
        let Value::Str(name) = &item.value else {
            return None;
        };
        if item.span.file != file || text.get(item.span.start()..item.span.end()).is_none() {
            return None;
        }
        entries.push((name.clone(), item.span));
    }
    let inside = |entries: Vec<(String, Span)>| {
        entries
            .into_iter()
            .map(|(name, at)| (name, unquoted(db, at)))
            .collect()
    };
    let written = text.get(list.span.start()..list.span.end())?;
    let quote = |span: Span| match text.as_bytes().get(span.start()) {
        Some(q @ (b'"' | b'\'')) => (*q as char).to_string(),
        _ => String::new(),
    };
    if written.starts_with('[') {
        let (at, before, q) = match entries.last() {
            Some((_, last)) => (last.end(), ", ", quote(*last)),
            None => (list.span.start() + 1, "", String::new()),
        };
        return Some(ListSite {
            at: Span::new(file, at, at),
            before: format!("{before}{q}"),
            after: q,
            entries: inside(entries),
        });
    }
    // A block list: `- entry` lines; the new one goes after the last entry's line.
    let &(_, last) = entries.last()?;
    let line_start = text[..last.start()].rfind('\n').map_or(0, |i| i + 1);
    let lead = &text[line_start..last.start()];
    let indent = lead.trim_end().strip_suffix('-')?;
    if !indent.chars().all(|c| c == ' ') || lead.trim() != "-" {
        return None;
    }
    let line_end = text[last.end()..]
        .find('\n')
        .map_or(text.len(), |i| last.end() + i);
    let crlf = line_end > 0 && text.as_bytes()[line_end - 1] == b'\r';
    let at = if crlf { line_end - 1 } else { line_end };
    let newline = if crlf || text.contains("\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    let q = quote(last);
    let dash = &lead[indent.len()..];
    Some(ListSite {
        at: Span::new(file, at, at),
        before: format!("{newline}{indent}{dash}{q}"),
        after: q,
        entries: inside(entries),
    })
}

/// Where, inside a scalar's source text `written`, the text `printed` stands verbatim: the
/// whole plain scalar, or the inside of a quoted one without escapes.
fn verbatim_value(written: &str, printed: &str) -> Option<std::ops::Range<usize>> {
    let inner = match written.as_bytes() {
        [b'"', .., b'"'] if !written[1..written.len() - 1].contains(['\\', '"']) => {
            1..written.len() - 1
        }
        [b'\'', .., b'\''] if !written[1..written.len() - 1].contains('\'') => 1..written.len() - 1,
        [b'"' | b'\'' | b'|' | b'>' | b'&' | b'*' | b'!', ..] => return None,
        _ => 0..written.len(),
    };
    (!printed.is_empty() && written[inner.clone()] == *printed).then_some(inner)
}

pub(crate) fn leading_identifier(expression: &str) -> Option<&str> {
    let t = expression.trim_start();
    let end = t
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(t.len());
    let name = &t[..end];
    let first = name.chars().next()?;
    (first.is_ascii_alphabetic() || first == '_').then_some(name)
}

/// The `template` task's syntax options (`trim_blocks: false`, `block_start_string: '[%'`, …).
fn template_options(task: &Task) -> crate::render::TemplateOptions {
    let mut options = crate::render::TemplateOptions::default();
    let flag = |name: &str| -> Option<bool> {
        let node = task.arg(name)?;
        match &node.value {
            Value::Bool(b) => Some(*b),
            Value::Str(s) => match s.to_ascii_lowercase().as_str() {
                "yes" | "true" | "on" | "1" | "y" | "t" => Some(true),
                "no" | "false" | "off" | "0" | "n" | "f" => Some(false),
                _ => None,
            },
            Value::Int(i) => Some(*i != 0),
            _ => None,
        }
    };
    if let Some(b) = flag("trim_blocks") {
        options.trim_blocks = b;
    }
    if let Some(b) = flag("lstrip_blocks") {
        options.lstrip_blocks = b;
    }
    let text = |name: &str| task.arg(name).and_then(|n| n.as_str()).map(str::to_string);
    if let Some(seq) =
        text("newline_sequence").and_then(|s| crate::render::NewlineSequence::parse(&s))
    {
        options.newline_sequence = seq;
    }
    let strings = [
        ("block_start_string", &mut options.block_start_string),
        ("block_end_string", &mut options.block_end_string),
        ("variable_start_string", &mut options.variable_start_string),
        ("variable_end_string", &mut options.variable_end_string),
        ("comment_start_string", &mut options.comment_start_string),
        ("comment_end_string", &mut options.comment_end_string),
    ];
    for (name, slot) in strings {
        if let Some(value) = text(name) {
            *slot = value;
        }
    }
    options
}

/// `{{ expr }}` → `expr` (a `when:` or loop written with braces).
/// True for a task that may change or reload firewalld (checked per host after rendering).
fn touches_firewalld(task: &Task) -> bool {
    let mentions = |key: &str| {
        task.arg(key).is_some_and(|n| match n.as_seq() {
            Some(items) => items
                .iter()
                .any(|i| i.as_str().is_some_and(|s| s.contains("firewall"))),
            None => n.as_str().is_some_and(|s| s.contains("firewall")),
        })
    };
    match task.short_module() {
        "command" | "shell" => mentions("_raw_params") || mentions("cmd") || mentions("argv"),
        _ => mentions("name"),
    }
}

fn strip_braces(text: &str) -> &str {
    let t = text.trim();
    match t.strip_prefix("{{").and_then(|t| t.strip_suffix("}}")) {
        Some(inner) if !inner.contains("{{") => inner.trim(),
        _ => t,
    }
}

/// True when any string in `node` is a template (or data mxlint cannot read literally).
fn has_template(node: &Node) -> bool {
    match &node.value {
        Value::Str(s) => s.contains("{{") || s.contains("{%"),
        Value::Seq(items) => items.iter().any(has_template),
        Value::Map(entries) => entries
            .iter()
            .any(|(k, v)| has_template(k) || has_template(v)),
        Value::Vault | Value::Unsafe(_) => true,
        _ => false,
    }
}

fn scalar(node: &Node) -> Option<String> {
    match &node.value {
        Value::Str(s) | Value::Unsafe(s) | Value::Timestamp(s) => Some(s.clone()),
        Value::Int(i) => Some(i.to_string()),
        _ => None,
    }
}

/// A template that prints an expression's value as JSON (how data is read back from Jinja).
fn as_json(expr: &str) -> String {
    format!("{{{{ ({expr}) | to_json }}}}")
}

/// The data of a rendered JSON text, every node placed at `at` (where it was written).
fn json_node(text: &str, at: Span) -> Option<Node> {
    let docs = crate::ansible::yaml::load(FileId(u32::MAX), text).ok()?;
    let mut node = docs.into_iter().next()?;
    respan(&mut node, at);
    Some(node)
}

fn respan(node: &mut Node, span: Span) {
    node.span = span;
    match &mut node.value {
        Value::Seq(items) => items.iter_mut().for_each(|i| respan(i, span)),
        Value::Map(entries) => entries.iter_mut().for_each(|(k, v)| {
            respan(k, span);
            respan(v, span);
        }),
        _ => {}
    }
}

/// Ansible's search for a task's `src`: in each search directory, `<dir>/<kind>/<src>` then
/// `<dir>/<src>` (a role's tasks directory also looks in the role's `<kind>/`).
fn find_file(dirs: &[PathBuf], kind: &str, src: &str) -> Option<PathBuf> {
    let src_path = Path::new(src);
    if src_path.is_absolute() {
        return src_path.is_file().then(|| src_path.to_path_buf());
    }
    for dir in dirs {
        let mut candidates = vec![dir.join(kind).join(src), dir.join(src)];
        if dir.file_name().is_some_and(|n| n == "tasks") {
            if let Some(parent) = dir.parent() {
                candidates.push(parent.join(kind).join(src));
            }
        }
        if let Some(found) = candidates.into_iter().find(|c| c.is_file()) {
            return Some(found);
        }
    }
    None
}

/// Facts from Ansible's jsonfile fact cache (`ansible.cfg`: `fact_caching = jsonfile`): one
/// JSON file per host, named after the host.
pub(crate) fn fact_cache(
    db: &mut SourceDb,
    cfg: &crate::ansible::cfg::AnsibleCfg,
) -> HashMap<String, Vars> {
    let mut out = HashMap::new();
    let Some(dir) = &cfg.fact_cache else {
        return out;
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Some(host) = path
            .file_name()
            .and_then(|n| n.to_str())
            .map(str::to_string)
        else {
            continue;
        };
        let Ok(docs) = crate::ansible::load_yaml_file(db, &path) else {
            continue;
        };
        let mut vars = Vars::new();
        if let Some(doc) = docs.first() {
            crate::ansible::playbook::merge_mapping(&mut vars, doc);
        }
        out.insert(host, vars);
    }
    out
}

/// `facts:` defaults of `.mxlint.yml` as variables (kept in the `SourceDb` so findings can point
/// at them).
pub(crate) fn default_facts(db: &mut SourceDb, json: Option<&str>) -> Vars {
    let mut vars = Vars::new();
    let Some(json) = json else { return vars };
    let file = db.add("<.mxlint.yml facts>", json.to_string());
    if let Ok(docs) = crate::ansible::yaml::load(file, json) {
        for doc in &docs {
            crate::ansible::playbook::merge_mapping(&mut vars, doc);
        }
    }
    vars
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The list under `key` in `yaml`, its site, and `name` appended to it.
    fn append(yaml: &str, key: &str, name: &str) -> Option<String> {
        let mut db = SourceDb::new();
        let file = db.add("vars.yml", yaml.to_string());
        let doc = crate::ansible::yaml::load(file, yaml).ok()?.remove(0);
        let list = doc.get(key)?.clone();
        let site = list_site(&db, &list)?;
        let edit = site.append(name);
        let mut out = yaml.to_string();
        out.replace_range(edit.span.start()..edit.span.end(), &edit.replacement);
        Some(out)
    }

    #[test]
    fn appends_to_block_lists_in_their_style() {
        assert_eq!(
            append(
                "svc:\n  - smtp\n  - imaps  # TLS\nother: 1\n",
                "svc",
                "submission"
            )
            .as_deref(),
            Some("svc:\n  - smtp\n  - imaps  # TLS\n  - submission\nother: 1\n")
        );
        assert_eq!(
            append("svc:\n- smtp\n- 'imaps'", "svc", "submission").as_deref(),
            Some("svc:\n- smtp\n- 'imaps'\n- 'submission'")
        );
        assert_eq!(
            append("svc:\r\n    -   \"smtp\"\r\nx: 1\r\n", "svc", "imaps").as_deref(),
            Some("svc:\r\n    -   \"smtp\"\r\n    -   \"imaps\"\r\nx: 1\r\n")
        );
    }

    #[test]
    fn appends_to_flow_lists() {
        assert_eq!(
            append("svc: [smtp, imaps]\n", "svc", "submission").as_deref(),
            Some("svc: [smtp, imaps, submission]\n")
        );
        assert_eq!(
            append("svc: []\n", "svc", "smtp").as_deref(),
            Some("svc: [smtp]\n")
        );
    }

    #[test]
    fn lists_not_of_plain_names_have_no_site() {
        assert_eq!(append("svc:\n  - name: smtp\n", "svc", "x"), None);
        assert_eq!(append("svc:\n  - [smtp]\n", "svc", "x"), None);
        assert_eq!(append("svc:\n  - 25\n", "svc", "x"), None);
        assert_eq!(append("svc:\n  - - smtp\n", "svc", "x"), None);
    }

    /// Writes `files` into `root` and loads it as a repository read through `hosts.ini` and
    /// `site.yml`, on `jobs` threads.
    fn load_repo(root: &Path, files: &[(&str, &str)], jobs: usize) -> super::super::Loaded {
        for (name, text) in files {
            crate::repo::write_file(root, name, text);
        }
        let options = super::super::RepoOptions {
            inventory: vec![root.join("hosts.ini")],
            playbooks: vec![root.join("site.yml")],
            jobs: std::num::NonZeroUsize::new(jobs),
            ..Default::default()
        };
        super::super::load(root, &options)
    }

    /// Hosts share a task's variables only when the same role defaults are hidden from them
    /// and they have no `set_fact`s: each host still renders its own precedence.
    #[test]
    fn task_variables_follow_each_hosts_precedence() {
        let dir = tempfile::tempdir().unwrap();
        let tasks = "- set_fact: {label: fact}\n  when: inventory_hostname == 'mx3'\n- template: {src: t.j2, dest: /etc/t.conf}\n";
        let files = [
            ("hosts.ini", "[mail]\nmx[1:4]\n"),
            ("host_vars/mx2.yml", "port: 2\n"),
            ("host_vars/mx4.yml", "port: 4\nlabel: four\n"),
            ("roles/r/defaults/main.yml", "port: 1\nlabel: default\n"),
            ("roles/r/templates/t.j2", "{{ port }} {{ label }}\n"),
            ("roles/r/tasks/main.yml", tasks),
            ("site.yml", "- hosts: mail\n  roles: [r]\n"),
        ];
        let loaded = load_repo(dir.path(), &files, 1);
        let rendered: Vec<(&str, &str)> = loaded
            .files
            .iter()
            .map(|f| {
                let host = loaded.fleet.hosts()[f.host].name.as_str();
                (host, loaded.db.file(f.file).text())
            })
            .collect();
        assert_eq!(
            rendered,
            [
                ("mx1", "1 default\n"),
                ("mx2", "2 default\n"),
                ("mx3", "1 fact\n"),
                ("mx4", "4 four\n"),
            ]
        );
    }

    /// Renders wait until the walk over tasks ends: their problems must still come before the
    /// findings of later tasks, and a later `copy` to the same destination must still replace
    /// an earlier template's file, as in a run that renders as it goes.
    #[test]
    fn deferred_renders_keep_the_order_of_findings_and_files() {
        let dir = tempfile::tempdir().unwrap();
        let files = [
            ("hosts.ini", "[mail]\nmx[1:3]\n"),
            ("broken.j2", "protocols = {{ first_missing }}\n"),
            ("ok.j2", "protocols = imap\n"),
            ("files/jail.local", "[sshd]\nenabled = true\n"),
            ("site.yml", "- hosts: mail\n  tasks:\n    - template: {src: broken.j2, dest: /etc/dovecot/conf.d/a.conf}\n    - template: {src: ok.j2, dest: '/etc/dovecot/{{ second_missing }}.conf'}\n    - template: {src: ok.j2, dest: /etc/fail2ban/jail.local}\n    - copy: {src: jail.local, dest: /etc/fail2ban/jail.local}\n"),
        ];
        for jobs in [1, 3] {
            let loaded = load_repo(dir.path(), &files, jobs);
            let found: Vec<(String, &str)> = loaded
                .diagnostics
                .iter()
                .map(|d| (d.message.clone(), d.hosts[0].as_str()))
                .collect();
            let names = |missing: &str| {
                ["mx1", "mx2", "mx3"].map(|h| {
                    found
                        .iter()
                        .position(|(m, host)| m.contains(missing) && *host == h)
                })
            };
            let (first, second) = (names("first_missing"), names("second_missing"));
            // Per host: the template's problem, then the next task's; hosts in play order.
            for (f, s) in first.iter().zip(&second) {
                assert!(f.zip(*s).is_some_and(|(f, s)| f < s), "{found:?}");
            }
            assert!(first.windows(2).all(|w| w[0] < w[1]), "{found:?}");
            let jails: Vec<&str> = loaded
                .files
                .iter()
                .filter(|f| f.dest == "/etc/fail2ban/jail.local")
                .map(|f| loaded.db.file(f.source).path().to_str().unwrap_or(""))
                .collect();
            assert_eq!(jails.len(), 3, "{jails:?}");
            assert!(
                jails.iter().all(|p| p.ends_with("files/jail.local")),
                "{jails:?}"
            );
        }
    }

    #[test]
    fn verbatim_values_are_plain_or_simply_quoted() {
        assert_eq!(verbatim_value("512M", "512M"), Some(0..4));
        assert_eq!(verbatim_value("\"512M\"", "512M"), Some(1..5));
        assert_eq!(verbatim_value("'512M'", "512M"), Some(1..5));
        assert_eq!(verbatim_value("\"5\\x312M\"", "512M"), None);
        assert_eq!(verbatim_value("512m", "512M"), None);
        assert_eq!(verbatim_value("|\n  512M", "512M"), None);
        assert_eq!(verbatim_value("", ""), None);
    }
}
