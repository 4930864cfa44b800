//! render::value: Ansible variables as minijinja values for one render.
//!
//! - [`RenderCtx`]: what one render shares (fleet, job, memo of templated variables, notes about
//!   unknown values and lookups);
//! - [`RootScope`]: the variable scope of one host (the template's context and `hostvars[h]`),
//!   in Ansible's order: template vars > task vars > magic vars > host vars;
//! - YAML nodes → values as PyYAML + Ansible see them; strings that are templates are rendered
//!   on first access (Ansible 2.19's lazy templating, native result for a lone `{{ expr }}`);
//! - [`Unknown`] (deploy-time values), [`Poison`] (names already reported undefined), and
//!   [`PyDate`] (YAML timestamps, printed as Python's `date`/`datetime`).

use super::guard::Delimiters;
use super::{Fleet, Problem, ProblemKind, RenderJob, UNKNOWN_PLACEHOLDER};
use crate::ansible::yaml::{Node, Value as Yaml};
use crate::ansible::Vars;
use indexmap::{IndexMap, IndexSet};
use minijinja::value::{Enumerator, Object, ObjectRepr};
use minijinja::{Environment, Error, ErrorKind, State, Value};
use std::collections::HashMap;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// The key under which a scope hands itself to filters, functions and the formatter.
pub(crate) const SCOPE_KEY: &str = "__mxlint_scope__";

/// Something seen during a render that becomes a problem when the render succeeds.
#[derive(Clone, Debug, PartialEq)]
enum Note {
    Unknown { name: String, reason: String },
    Lookup { plugin: String },
}

enum Slot {
    InProgress,
    Done(Value),
}

/// The names one render looked up in its own host's scope.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Reads {
    /// Through the template's scope (task vars visible).
    pub top: IndexSet<String>,
    /// Through `hostvars[inventory_hostname]`.
    pub hostvars: IndexSet<String>,
    /// The scope was enumerated: the render depends on every name.
    pub whole_scope: bool,
}

impl Reads {
    /// Adds what another pass of the same render read.
    pub fn extend(&mut self, other: Reads) {
        self.top.extend(other.top);
        self.hostvars.extend(other.hostvars);
        self.whole_scope |= other.whole_scope;
    }

    /// Each name with whether it was read through the template's scope.
    pub fn iter(&self) -> impl Iterator<Item = (&str, bool)> {
        let top = self.top.iter().map(|n| (n.as_str(), true));
        top.chain(self.hostvars.iter().map(|n| (n.as_str(), false)))
    }
}

/// Magic variables whose value is the same for every host of a job.
const MAGIC_FOR_EVERY_HOST: &[&str] = &[
    "groups",
    "hostvars",
    "play_hosts",
    "ansible_play_hosts",
    "ansible_play_batch",
    "ansible_play_hosts_all",
    "omit",
    "ansible_check_mode",
    "ansible_diff_mode",
    "ansible_facts",
];

pub(crate) fn is_magic_for_every_host(name: &str) -> bool {
    MAGIC_FOR_EVERY_HOST.contains(&name)
}

/// Job facts the magic variables are made from.
#[derive(Debug)]
pub(crate) struct JobInfo {
    pub src: String,
    pub dest: String,
    pub fullpath: PathBuf,
    pub controller: super::Controller,
    pub play_hosts: Option<Arc<[String]>>,
    pub role_path: Option<PathBuf>,
    pub search_paths: Vec<PathBuf>,
    /// Texts `lookup('file'|'template')` reads instead of the disk.
    pub overlay: crate::source::Overlay,
    /// Names only the deploy defines (registered results, `set_fact` over them): name → why.
    pub runtime: IndexMap<String, String>,
}

/// What one render (one template × one host) shares.
pub(crate) struct RenderCtx {
    vars_env: Arc<Environment<'static>>,
    pub fleet: Fleet,
    pub host: usize,
    task_vars: Arc<Vars>,
    pub job: JobInfo,
    poisoned: Vec<String>,
    memo: Mutex<HashMap<(usize, bool, String), Slot>>,
    notes: Mutex<Vec<Note>>,
    touched_unknown: AtomicBool,
    emits: AtomicUsize,
    /// Names this render looked up in its own host's scope (see [`super::cache`]).
    reads: Mutex<Reads>,
    /// Bytes of text the templated variable values of this render produced so far.
    templated_bytes: AtomicUsize,
    last_emit_native: AtomicBool,
    last_emit_omit: AtomicBool,
}

impl fmt::Debug for RenderCtx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RenderCtx")
            .field("host", &self.host)
            .finish()
    }
}

impl RenderCtx {
    pub fn new(
        vars_env: Arc<Environment<'static>>,
        fleet: &Fleet,
        job: &RenderJob,
        poisoned: Vec<String>,
        overlay: &crate::source::Overlay,
    ) -> Arc<RenderCtx> {
        let fullpath = std::path::absolute(&job.template.path).unwrap_or(job.template.path.clone());
        Arc::new(RenderCtx {
            vars_env,
            fleet: fleet.clone(),
            host: job.host,
            task_vars: job.task_vars.clone(),
            job: JobInfo {
                src: job.src.clone(),
                dest: job.dest.clone(),
                fullpath,
                controller: job.controller.clone(),
                play_hosts: job.play_hosts.clone(),
                role_path: job.role_path.clone(),
                search_paths: job.search_paths.clone(),
                overlay: overlay.clone(),
                runtime: job.runtime.clone(),
            },
            poisoned,
            memo: Mutex::new(HashMap::new()),
            notes: Mutex::new(Vec::new()),
            touched_unknown: AtomicBool::new(false),
            emits: AtomicUsize::new(0),
            reads: Mutex::default(),
            templated_bytes: AtomicUsize::new(0),
            last_emit_native: AtomicBool::new(false),
            last_emit_omit: AtomicBool::new(false),
        })
    }

    /// What this render has read of its own host's scope so far.
    pub fn take_reads(&self) -> Reads {
        std::mem::take(&mut *self.reads.lock().unwrap_or_else(|e| e.into_inner()))
    }

    fn note_read(&self, name: &str, top: bool) {
        let mut reads = self.reads.lock().unwrap_or_else(|e| e.into_inner());
        let set = if top {
            &mut reads.top
        } else {
            &mut reads.hostvars
        };
        if !set.contains(name) {
            set.insert(name.to_string());
        }
    }

    /// Counts a templated variable's text against [`super::MAX_OUTPUT_BYTES`]: each value
    /// renders with its own fuel, and all stay alive (memoized) until the render ends.
    fn charge_templated(&self, value: &Value) -> Result<(), Error> {
        let len = value.as_str().map_or(0, str::len);
        let total = self.templated_bytes.fetch_add(len, Ordering::Relaxed) + len;
        if total > super::MAX_OUTPUT_BYTES {
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                format!(
                    "the templated variable values of this render pass {} MiB",
                    super::MAX_OUTPUT_BYTES >> 20
                ),
            ));
        }
        Ok(())
    }

    pub fn reset_emits(&self) {
        self.emits.store(0, Ordering::Relaxed);
    }

    /// Called by the formatter for each `{{ }}` of the top-level template.
    pub fn note_emit(&self, native: bool, omit: bool) {
        self.emits.fetch_add(1, Ordering::Relaxed);
        self.last_emit_native.store(native, Ordering::Relaxed);
        self.last_emit_omit.store(omit, Ordering::Relaxed);
    }

    /// The template's whole result is `omit`: Ansible fails ("resolved to an Omit scalar").
    pub fn resolved_to_omit(&self, raw_spans: usize) -> bool {
        self.emits.load(Ordering::Relaxed) == 1
            && raw_spans == 0
            && self.last_emit_omit.load(Ordering::Relaxed)
    }

    /// Jinja's native concat returns the lone node itself (or `None` for no node): a result
    /// that is not a string gets no trailing newlines back.
    pub fn single_native_emit(&self, raw_spans: usize) -> bool {
        let emits = self.emits.load(Ordering::Relaxed);
        (emits == 0 && raw_spans == 0)
            || (emits == 1 && raw_spans == 0 && self.last_emit_native.load(Ordering::Relaxed))
    }

    pub fn touched_unknown(&self) -> bool {
        self.touched_unknown.load(Ordering::Relaxed)
    }

    /// A value that only exists at deploy time.
    pub fn unknown(&self, name: &str, reason: impl Into<String>) -> Value {
        let reason = reason.into();
        self.touched_unknown.store(true, Ordering::Relaxed);
        self.push_note(Note::Unknown {
            name: name.to_string(),
            reason: reason.clone(),
        });
        Value::from_object(Unknown {
            reason: Arc::from(reason),
        })
    }

    /// A lookup we do not run: noted, rendered as the unknown placeholder.
    pub fn unevaluated_lookup(&self, plugin: &str) -> Value {
        self.touched_unknown.store(true, Ordering::Relaxed);
        self.push_note(Note::Lookup {
            plugin: plugin.to_string(),
        });
        Value::from_object(Unknown {
            reason: Arc::from(format!("lookup('{plugin}') is not evaluated")),
        })
    }

    fn push_note(&self, note: Note) {
        let mut notes = self.notes.lock().unwrap_or_else(|e| e.into_inner());
        if !notes.contains(&note) {
            notes.push(note);
        }
    }

    /// The notes as problems, each at the first use of its name in the template body.
    pub fn take_problems(
        &self,
        path: &Path,
        body: &str,
        offset: usize,
        _spans: &[super::OutputSpan],
    ) -> Vec<Problem> {
        let notes = std::mem::take(&mut *self.notes.lock().unwrap_or_else(|e| e.into_inner()));
        notes
            .into_iter()
            .map(|note| {
                let (kind, message, needle) = match note {
                    Note::Unknown { name, reason } => (
                        ProblemKind::UnknownValue {
                            reason: reason.clone(),
                        },
                        format!("'{name}' is only known at deploy time: {reason}"),
                        name,
                    ),
                    Note::Lookup { plugin } => (
                        ProblemKind::UnevaluatedLookup {
                            plugin: plugin.clone(),
                        },
                        format!("lookup('{plugin}') is not evaluated by mxlint"),
                        plugin,
                    ),
                };
                let range =
                    find_identifier(body, &needle).map(|r| r.start + offset..r.end + offset);
                Problem {
                    kind,
                    message,
                    template: path.to_path_buf(),
                    range,
                }
            })
            .collect()
    }

    /// Another host that defines `name`, for "undefined for this host" messages.
    pub fn host_name_defining(&self, name: &str) -> Option<String> {
        self.fleet
            .hosts()
            .iter()
            .enumerate()
            .find(|(i, h)| *i != self.host && h.vars.contains_key(name))
            .map(|(_, h)| h.name.clone())
    }

    fn memoized(
        self: &Arc<Self>,
        key: (usize, bool, String),
        make: impl FnOnce() -> Value,
    ) -> Value {
        {
            let mut memo = self.memo.lock().unwrap_or_else(|e| e.into_inner());
            match memo.get(&key) {
                Some(Slot::Done(v)) => return v.clone(),
                Some(Slot::InProgress) => {
                    return Value::from(Error::new(
                        ErrorKind::InvalidOperation,
                        format!("recursive loop detected in template (variable '{}')", key.2),
                    ))
                }
                None => {
                    memo.insert(key.clone(), Slot::InProgress);
                }
            }
        }
        let value = make();
        let mut memo = self.memo.lock().unwrap_or_else(|e| e.into_inner());
        memo.insert(key, Slot::Done(value.clone()));
        value
    }
}

/// The first occurrence of `name` as a whole identifier.
fn find_identifier(body: &str, name: &str) -> Option<Range<usize>> {
    if name.is_empty() {
        return None;
    }
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    body.match_indices(name)
        .find(|(i, _)| {
            let before = body[..*i].chars().next_back().is_none_or(|c| !is_ident(c));
            let after = body[i + name.len()..]
                .chars()
                .next()
                .is_none_or(|c| !is_ident(c));
            before && after
        })
        .map(|(i, _)| i..i + name.len())
}

/// One host's variables as a template sees them.
#[derive(Debug)]
pub(crate) struct RootScope {
    pub ctx: Arc<RenderCtx>,
    pub host: usize,
    /// Sees the task and template vars (false for `hostvars[h]`).
    pub top: bool,
    /// The template's own render: its `{{ }}` outputs are counted (not a variable's value).
    pub emitter: bool,
}

impl RootScope {
    pub fn root(ctx: &Arc<RenderCtx>, host: usize) -> Value {
        Value::from_object(RootScope {
            ctx: ctx.clone(),
            host,
            top: true,
            emitter: true,
        })
    }

    /// The scope of the render that `state` belongs to.
    pub fn of(state: &State) -> Option<Arc<RootScope>> {
        state.lookup(SCOPE_KEY)?.downcast_object::<RootScope>()
    }

    fn lookup(self: &Arc<Self>, name: &str) -> Option<Value> {
        let ctx = &self.ctx;
        let current = self.host == ctx.host;
        if current {
            ctx.note_read(name, self.top);
        }
        if current && self.top {
            if let Some(v) = self.template_var(name) {
                return Some(v);
            }
            if let Some(node) = ctx.task_vars.get(name) {
                let node = node.clone();
                let scope = self.for_vars();
                return Some(ctx.memoized((self.host, true, name.into()), || {
                    convert(&scope, name, &node)
                }));
            }
        }
        if let Some(v) = self.magic_var(name) {
            return Some(v);
        }
        let host = &ctx.fleet.hosts()[self.host];
        if let Some(node) = host.vars.get(name) {
            let node = node.clone();
            let scope = self.for_vars();
            return Some(ctx.memoized((self.host, false, name.into()), || {
                convert(&scope, name, &node)
            }));
        }
        if name == "ansible_managed" {
            return Some(Value::from("Ansible managed"));
        }
        if let Some(reason) = ctx.job.runtime.get(name) {
            return Some(ctx.unknown(name, reason.clone()));
        }
        if ctx.poisoned.iter().any(|p| p == name) {
            return Some(Value::from_object(Poison));
        }
        if let Some(fact) = name.strip_prefix("ansible_") {
            if !fact.is_empty() {
                return Some(ctx.unknown(name, "a fact, gathered at deploy time"));
            }
        }
        None
    }

    /// The scope variable values are rendered in: the same variables, output not counted.
    fn for_vars(self: &Arc<Self>) -> Arc<RootScope> {
        Arc::new(RootScope {
            ctx: self.ctx.clone(),
            host: self.host,
            top: self.top,
            emitter: false,
        })
    }

    /// `template_*` variables of the template action.
    fn template_var(&self, name: &str) -> Option<Value> {
        let job = &self.ctx.job;
        Some(match name {
            "template_host" => Value::from(job.controller.hostname.clone()),
            "template_path" => Value::from(job.src.clone()),
            "template_fullpath" => Value::from(job.fullpath.to_string_lossy().into_owned()),
            "template_destpath" => Value::from(job.dest.clone()),
            "template_uid" => Value::from(job.controller.template_uid.clone()),
            "template_run_date" | "template_mtime" => {
                return Some(self.ctx.unknown(name, "changes on every run"))
            }
            _ => return None,
        })
    }

    /// Ansible's magic variables for this scope's host.
    fn magic_var(&self, name: &str) -> Option<Value> {
        let ctx = &self.ctx;
        let host = &ctx.fleet.hosts()[self.host];
        Some(match name {
            "inventory_hostname" => Value::from(host.name.clone()),
            "inventory_hostname_short" => {
                Value::from(host.name.split('.').next().unwrap_or_default().to_string())
            }
            "group_names" => Value::from_iter(host.group_names.iter().cloned()),
            "groups" => groups_value(&ctx.fleet),
            "hostvars" => Value::from_object(HostVars {
                ctx: self.ctx.clone(),
            }),
            "play_hosts"
            | "ansible_play_hosts"
            | "ansible_play_batch"
            | "ansible_play_hosts_all" => match &ctx.job.play_hosts {
                Some(hosts) => Value::from_iter(hosts.iter().cloned()),
                None => Value::from_iter(ctx.fleet.hosts().iter().map(|h| h.name.clone())),
            },
            "omit" => Value::from_object(Omit),
            "playbook_dir" => match &ctx.job.controller.playbook_dir {
                Some(dir) => Value::from(dir.to_string_lossy().into_owned()),
                None => return None,
            },
            "role_path" => match &ctx.job.role_path {
                Some(dir) => Value::from(dir.to_string_lossy().into_owned()),
                None => return None,
            },
            "ansible_check_mode" | "ansible_diff_mode" => Value::from(false),
            "ansible_facts" => ctx.unknown(name, "facts are gathered at deploy time"),
            _ => return None,
        })
    }
}

/// `omit` (ansible-core 2.19's `_OmitType`): prints nothing inside a template's text, drops out
/// of lists and dicts, and fails when it is a template's whole result.
#[derive(Debug)]
pub(crate) struct Omit;

impl Object for Omit {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<<Omit>>")
    }

    fn is_true(self: &Arc<Self>) -> bool {
        true
    }
}

pub(crate) fn is_omit(v: &Value) -> bool {
    v.downcast_object_ref::<Omit>().is_some()
}

impl Object for RootScope {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let name = key.as_str()?;
        if name == SCOPE_KEY {
            return Some(Value::from_dyn_object(self.clone()));
        }
        self.lookup(name)
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        if self.host == self.ctx.host {
            let mut reads = self.ctx.reads.lock().unwrap_or_else(|e| e.into_inner());
            reads.whole_scope = true;
        }
        let host = &self.ctx.fleet.hosts()[self.host];
        Enumerator::Values(host.vars.keys().map(|k| Value::from(k.clone())).collect())
    }
}

fn groups_value(fleet: &Fleet) -> Value {
    Value::from_pairs(
        fleet
            .groups()
            .iter()
            .map(|(g, hosts)| (g.clone(), Value::from_iter(hosts.iter().cloned()))),
    )
}

/// `hostvars`: every host's scope by name.
#[derive(Debug)]
struct HostVars {
    ctx: Arc<RenderCtx>,
}

impl Object for HostVars {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let host = self.ctx.fleet.host_index(key.as_str()?)?;
        Some(Value::from_object(RootScope {
            ctx: self.ctx.clone(),
            host,
            top: false,
            emitter: false,
        }))
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(
            self.ctx
                .fleet
                .hosts()
                .iter()
                .map(|h| Value::from(h.name.clone()))
                .collect(),
        )
    }
}

/// A YAML node as Ansible sees it, templating strings with `scope`.
fn convert(scope: &Arc<RootScope>, var: &str, node: &Node) -> Value {
    match &node.value {
        Yaml::Null => Value::from(()),
        Yaml::Bool(b) => Value::from(*b),
        Yaml::Int(i) => int_value(*i),
        Yaml::Float(f) => Value::from(*f),
        Yaml::Str(s) if is_template(s) => template_string(scope, var, s),
        Yaml::Str(s) | Yaml::Unsafe(s) => Value::from(s.as_str()),
        Yaml::Timestamp(t) => PyDate::parse(t)
            .map(Value::from_object)
            .unwrap_or_else(|| Value::from(t.as_str())),
        Yaml::Seq(items) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                let v = convert(scope, var, item);
                if is_invalid(&v) {
                    return v;
                }
                out.push(v);
            }
            Value::from(out)
        }
        Yaml::Map(entries) => {
            let mut out = indexmap::IndexMap::with_capacity(entries.len());
            for (k, v) in entries {
                let key = convert_key(k);
                let value = convert(scope, var, v);
                if is_invalid(&value) {
                    return value;
                }
                // A repeated key keeps its last value but its first position (Python dict).
                out.insert(key, value);
            }
            Value::from_pairs(out)
        }
        Yaml::Vault => scope.ctx.unknown(var, "a vaulted value"),
    }
}

fn convert_key(node: &Node) -> Value {
    match &node.value {
        Yaml::Null => Value::from(()),
        Yaml::Bool(b) => Value::from(*b),
        Yaml::Int(i) => int_value(*i),
        Yaml::Float(f) => Value::from(*f),
        Yaml::Str(s) | Yaml::Unsafe(s) | Yaml::Timestamp(s) => Value::from(s.as_str()),
        _ => Value::from("<unhashable>"),
    }
}

pub(crate) fn int_value(i: i128) -> Value {
    match i64::try_from(i) {
        Ok(small) => Value::from(small),
        Err(_) => Value::from(i),
    }
}

fn is_invalid(v: &Value) -> bool {
    v.kind() == minijinja::value::ValueKind::Invalid
}

/// Ansible's `is_possibly_template` with the default delimiters.
pub(crate) fn is_template(s: &str) -> bool {
    s.contains("{{") || s.contains("{%") || s.contains("{#")
}

/// Renders a variable's value. A lone `{{ expr }}` keeps the expression's native value
/// (Ansible 2.19's native concat: `"{{ ports + [25] }}"` is a list).
fn template_string(scope: &Arc<RootScope>, var: &str, s: &str) -> Value {
    let ctx = &scope.ctx;
    let scope_value = Value::from_dyn_object(scope.clone());
    let result = match lone_expression(s) {
        Some(expr) => super::guard::check_expression(expr)
            .map_err(super::guard::TooDeep::into_error)
            .and_then(|()| ctx.vars_env.compile_expression(expr))
            .and_then(|e| e.eval(scope_value.clone()))
            .and_then(|v| {
                if v.is_undefined() {
                    // Rendering reports the undefined name properly.
                    ctx.vars_env
                        .render_named_str(var, s, scope_value.clone())
                        .map(Value::from)
                } else {
                    Ok(v)
                }
            }),
        None => super::guard::check_template(s, &Delimiters::of(ctx.vars_env.syntax()))
            .map_err(super::guard::TooDeep::into_error)
            .and_then(|()| ctx.vars_env.render_named_str(var, s, scope_value))
            .map(Value::from),
    };
    result
        .and_then(|v| ctx.charge_templated(&v).map(|()| v))
        .unwrap_or_else(|err| Value::from(in_variable(err, var)))
}

/// An error from a variable's value, restated so the template's location gets attached.
fn in_variable(err: Error, var: &str) -> Error {
    let detail = err.detail().unwrap_or_default().to_string();
    if detail.contains("(in the value of") {
        return Error::new(err.kind(), detail);
    }
    Error::new(
        err.kind(),
        format!("{detail} (in the value of variable '{var}')"),
    )
}

/// The expression of a template that is exactly one `{{ … }}`.
fn lone_expression(s: &str) -> Option<&str> {
    let inner = s.strip_prefix("{{")?.strip_suffix("}}")?;
    if inner.contains("{{") || inner.contains("}}") || s.contains("{%") || s.contains("{#") {
        return None;
    }
    let inner = inner.strip_prefix(['-', '+']).unwrap_or(inner);
    let inner = inner.strip_suffix(['-', '+']).unwrap_or(inner);
    Some(inner)
}

/// A value only known at deploy time; prints as [`UNKNOWN_PLACEHOLDER`], absorbs attribute
/// access, calls and iteration.
#[derive(Debug)]
pub(crate) struct Unknown {
    /// Why the value is unknown (kept for debugging output and future rules).
    #[allow(dead_code)]
    pub reason: Arc<str>,
}

impl Object for Unknown {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Iterable
    }

    fn get_value(self: &Arc<Self>, _key: &Value) -> Option<Value> {
        Some(Value::from_dyn_object(self.clone()))
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Empty
    }

    fn is_true(self: &Arc<Self>) -> bool {
        true
    }

    fn call(self: &Arc<Self>, _state: &mut State<'_, '_>, _args: &[Value]) -> Result<Value, Error> {
        Ok(Value::from_dyn_object(self.clone()))
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        _method: &str,
        _args: &[Value],
    ) -> Result<Value, Error> {
        Ok(Value::from_dyn_object(self.clone()))
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(UNKNOWN_PLACEHOLDER)
    }
}

pub(crate) fn is_unknown(v: &Value) -> bool {
    v.downcast_object_ref::<Unknown>().is_some()
}

/// A name already reported undefined: acts like an undefined value in later passes
/// (prints nothing, iterates nothing, is false, not `defined`) without failing again.
#[derive(Debug)]
pub(crate) struct Poison;

impl Object for Poison {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Iterable
    }

    fn get_value(self: &Arc<Self>, _key: &Value) -> Option<Value> {
        Some(Value::from_object(Poison))
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Empty
    }

    fn is_true(self: &Arc<Self>) -> bool {
        false
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        _method: &str,
        _args: &[Value],
    ) -> Result<Value, Error> {
        Ok(Value::from_object(Poison))
    }

    fn render(self: &Arc<Self>, _f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Ok(())
    }
}

pub(crate) fn is_poison(v: &Value) -> bool {
    v.downcast_object_ref::<Poison>().is_some()
}

/// Undefined for Ansible's purposes: minijinja's undefined or an already reported name.
pub(crate) fn is_undefinedish(v: &Value) -> bool {
    v.is_undefined() || is_poison(v)
}

/// A YAML timestamp as PyYAML builds it: a `datetime.date` or `datetime.datetime`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PyDate {
    pub year: i32,
    pub month: u32,
    pub day: u32,
    /// Hour, minute, second, microsecond, and the UTC offset in minutes if any.
    pub time: Option<(u32, u32, u32, u32, Option<i32>)>,
}

impl PyDate {
    /// Parses YAML 1.1's timestamp forms (`2001-12-14`, `2001-12-14t21:59:43.10-05:00`,
    /// `2001-12-14 21:59:43.10 -5`, `…Z`).
    pub fn parse(s: &str) -> Option<PyDate> {
        let s = s.trim();
        let (date, rest) = s.split_at(s.find(['T', 't', ' ']).unwrap_or(s.len()));
        let mut parts = date.splitn(3, '-');
        let year = parts.next()?.parse().ok()?;
        let month = parts.next()?.parse().ok()?;
        let day = parts.next()?.parse().ok()?;
        let rest = rest.trim_start_matches(['T', 't']).trim_start();
        if rest.is_empty() {
            return Some(PyDate {
                year,
                month,
                day,
                time: None,
            });
        }
        let tz_at = rest
            .char_indices()
            .skip(1)
            .find(|(_, c)| matches!(c, 'Z' | '+' | '-'))
            .map(|(i, _)| i);
        let (clock, tz) = match tz_at {
            Some(i) => (rest[..i].trim(), Some(rest[i..].trim())),
            None => (rest.trim(), None),
        };
        let mut hms = clock.splitn(3, ':');
        let hour = hms.next()?.parse().ok()?;
        let minute = hms.next()?.parse().ok()?;
        let sec_frac = hms.next()?;
        let (sec, frac) = sec_frac.split_once('.').unwrap_or((sec_frac, ""));
        let micro = format!("{frac:0<6}")[..6].parse().ok()?;
        let offset = match tz {
            None => None,
            Some("Z") => Some(0),
            Some(tz) => {
                let sign = if tz.starts_with('-') { -1 } else { 1 };
                let tz = &tz[1..];
                let (h, m) = tz.split_once(':').unwrap_or((tz, "0"));
                Some(sign * (h.parse::<i32>().ok()? * 60 + m.parse::<i32>().ok()?))
            }
        };
        Some(PyDate {
            year,
            month,
            day,
            time: Some((hour, minute, sec.parse().ok()?, micro, offset)),
        })
    }

    /// Python's `str()` (`isoformat(' ')` for datetimes).
    pub fn py_str(&self) -> String {
        self.iso(' ')
    }

    /// Python's `isoformat()` with the given separator.
    pub fn iso(&self, sep: char) -> String {
        let mut s = format!("{:04}-{:02}-{:02}", self.year, self.month, self.day);
        if let Some((h, m, sec, micro, offset)) = self.time {
            s.push_str(&format!("{sep}{h:02}:{m:02}:{sec:02}"));
            if micro != 0 {
                s.push_str(&format!(".{micro:06}"));
            }
            if let Some(off) = offset {
                let sign = if off < 0 { '-' } else { '+' };
                s.push_str(&format!(
                    "{sign}{:02}:{:02}",
                    off.abs() / 60,
                    off.abs() % 60
                ));
            }
        }
        s
    }

    /// Python's `repr()`.
    pub fn py_repr(&self) -> String {
        match self.time {
            None => format!("datetime.date({}, {}, {})", self.year, self.month, self.day),
            Some((h, m, s, micro, offset)) => {
                let mut args = format!("{}, {}, {}, {h}, {m}", self.year, self.month, self.day);
                if s != 0 || micro != 0 {
                    args.push_str(&format!(", {s}"));
                }
                if micro != 0 {
                    args.push_str(&format!(", {micro}"));
                }
                if let Some(off) = offset {
                    args.push_str(&format!(", tzinfo={}", tz_repr(off)));
                }
                format!("datetime.datetime({args})")
            }
        }
    }
}

/// `repr(datetime.timezone(timedelta(minutes=off)))`.
fn tz_repr(off: i32) -> String {
    if off == 0 {
        return "datetime.timezone.utc".into();
    }
    let secs = off * 60;
    let (days, secs) = (secs.div_euclid(86400), secs.rem_euclid(86400));
    if days == 0 {
        format!("datetime.timezone(datetime.timedelta(seconds={secs}))")
    } else {
        format!("datetime.timezone(datetime.timedelta(days={days}, seconds={secs}))")
    }
}

impl Object for PyDate {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.py_str())
    }

    fn is_true(self: &Arc<Self>) -> bool {
        true
    }

    fn custom_cmp(
        self: &Arc<Self>,
        other: &minijinja::value::DynObject,
    ) -> Option<std::cmp::Ordering> {
        let other = other.downcast::<PyDate>()?;
        Some(self.iso('T').cmp(&other.iso('T')))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_print_like_python() {
        let d = PyDate::parse("2024-01-02").unwrap();
        assert_eq!(d.py_str(), "2024-01-02");
        assert_eq!(d.py_repr(), "datetime.date(2024, 1, 2)");
        let dt = PyDate::parse("2001-12-14 21:59:43.10 -5").unwrap();
        assert_eq!(dt.py_str(), "2001-12-14 21:59:43.100000-05:00");
        let z = PyDate::parse("2024-01-02T10:20:30Z").unwrap();
        assert_eq!(z.py_str(), "2024-01-02 10:20:30+00:00");
    }

    #[test]
    fn identifiers_are_found_whole() {
        assert_eq!(find_identifier("{{ ab }}{{ a }}", "a"), Some(11..12));
    }
}
