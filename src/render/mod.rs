//! render: turns an Ansible template and one host's variables into text, exactly as
//! ansible-core 2.19's `template` module would, plus a span map from output back to the template.
//!
//! Knows Jinja, Ansible's filters/tests/lookups and Python's ways of printing values; knows
//! nothing about Dovecot or any other service: rules read the text and the spans.
//!
//! # API
//!
//! ```text
//! Renderer::new() -> Renderer                                   // once; Send + Sync
//! Renderer::with_overlay(Overlay) -> Renderer                   // includes, lookups read it first
//! Fleet::new(hosts: Vec<Host>, groups: IndexMap<String, Vec<String>>) -> Fleet
//! Renderer::render(&self, &Fleet, &RenderJob) -> RenderOutcome  // one template × one host,
//!                                                               // once per distinct input
//! Renderer::eval_condition(&self, &Fleet, host, &Vars, expr) -> Result<Option<bool>, Problem>
//! ```
//!
//! Hosts whose values agree for every name a template reads share one render ([`cache`]).
//!
//! [`RenderOutcome`] holds the text (`None` when Ansible would fail), [`OutputSpan`]s (output
//! byte range → template file byte range) and [`Problem`]s. Problem messages never contain
//! variable values (they may be secrets) and never minijinja's debug info.
//!
//! # Ansible semantics (docs/ansible-rendering.md §1–4)
//!
//! - `trim_blocks` on, `#jinja2:` first-line header, task [`TemplateOptions`], no auto-escape,
//!   `None` prints as `''`, values print as Python's `str()` does (`dump`, `yaml_dump`).
//! - Undefined names fail like Jinja's `StrictUndefined`. Ansible stops at the first one; we
//!   re-render with each reported name bound to a marker that acts undefined for `is defined`
//!   and `default`, so every undefined name is reported at its own range.
//! - Variables whose values are templates are rendered on access with the host's scope
//!   (memoized per render, with cycle detection); `!unsafe` strings never are.
//! - Unknown values (facts: undefined names starting with `ansible_`, vaulted values,
//!   `lookup('env')`, `template_run_date`) render as [`UNKNOWN_PLACEHOLDER`] and yield a
//!   [`ProblemKind::UnknownValue`]; lookups we never run (`pipe`, `password`, …) yield a
//!   [`ProblemKind::UnevaluatedLookup`].
//! - The whole template's output follows Ansible's native concat: a template whose only
//!   output is one non-string expression gets no trailing newlines re-added, and one that is
//!   only `omit` fails.
//! - Set filters (`union`, `intersect`, …) keep first-seen order; Ansible's order follows
//!   Python's hashing, so rules must treat their results as sets.
//!
//! Checked byte for byte against ansible-core 2.19.14 by `tests/render_parity.rs`. Known
//! differences: `ansible.utils.ipaddr` and friends are a subset written from the collection's
//! documentation (the collection is not installed where the parity test runs); Python's
//! `'%s' % x`, list/dict mutation (`.append`) and errors from comparing unlike types
//! (`1 > 'a'`) are minijinja's behaviour, not Python's.

mod cache;
mod dump;
mod env;
mod filters;
mod guard;
mod header;
mod ipaddr;
mod lookups;
mod pyre;
mod tests;
mod value;
mod yaml_dump;

use crate::ansible::Vars;
use crate::source::Overlay;
use indexmap::IndexMap;
use minijinja::{Environment, Error, ErrorKind, OutputSpanKind};
use std::collections::HashMap;
use std::hash::Hash;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use value::{RenderCtx, RootScope};

pub use header::{NewlineSequence, TemplateOptions};

/// What unknown values print as: rules treat text containing it as "cannot tell".
pub use crate::source::UNKNOWN_PLACEHOLDER;

/// How often a render re-runs to find further undefined names after the first.
const MAX_UNDEFINED_PASSES: usize = 32;

/// Output larger than this is refused (a runaway loop, not a config file). Checked once the
/// render returns; [`FUEL_PER_RENDER`] bounds the output while it is written.
const MAX_OUTPUT_BYTES: usize = 64 << 20;

/// Output a render may write before its fuel runs out (see [`FUEL_PER_RENDER`]).
const MAX_FUEL_OUTPUT_BYTES: u64 = 256 << 20;

/// Output bytes one fuel pays for (minijinja's `UNITS_PER_FUEL`).
const OUTPUT_BYTES_PER_FUEL: u64 = 64;

/// Fuel per render. minijinja 3.1 (`vm/fuel.rs`) charges one fuel per instruction and one per
/// 64 bytes of output or of strings and lists it builds, so this is about 4 million
/// instructions or 256 MiB of output or a mix. minijinja gives no way to stop at
/// [`MAX_OUTPUT_BYTES`] while writing; this bounds what a runaway loop writes (the output
/// `String` doubles, its spans grow per emit: at most about 250 MB resident in the runs
/// measured) before the render fails. A loop over 20,000 users with five expressions each spends about 700,000.
const FUEL_PER_RENDER: u64 = MAX_FUEL_OUTPUT_BYTES / OUTPUT_BYTES_PER_FUEL;

/// Nesting depth for includes, macros and templated variables.
const RECURSION_LIMIT: usize = 200;

/// One inventory host: its name, its variables (precedence applied) and its groups.
#[derive(Clone, Debug, Default)]
pub struct Host {
    pub name: String,
    pub vars: Vars,
    /// Groups the host belongs to, without `all` (Ansible's `group_names`), sorted.
    pub group_names: Vec<String>,
}

/// Every host of the inventory, shared by the renders of one run (cheap to clone).
#[derive(Clone, Debug, Default)]
pub struct Fleet {
    hosts: Arc<Vec<Host>>,
    groups: Arc<IndexMap<String, Vec<String>>>,
    /// Host name → index, so lookups stay O(1) in fleets of thousands.
    index: Arc<std::collections::HashMap<String, usize>>,
}

impl Fleet {
    /// `groups` maps each group name (including `all` and `ungrouped`) to its host names.
    pub fn new(hosts: Vec<Host>, groups: IndexMap<String, Vec<String>>) -> Fleet {
        let index = hosts
            .iter()
            .enumerate()
            .map(|(i, h)| (h.name.clone(), i))
            .collect();
        Fleet {
            hosts: Arc::new(hosts),
            groups: Arc::new(groups),
            index: Arc::new(index),
        }
    }

    pub fn hosts(&self) -> &[Host] {
        &self.hosts
    }

    pub fn groups(&self) -> &IndexMap<String, Vec<String>> {
        &self.groups
    }

    pub fn host_index(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }
}

/// A template file: its path (as reported in problems and spans) and its text.
#[derive(Clone, Debug)]
pub struct TemplateSource {
    pub path: PathBuf,
    pub text: Arc<str>,
}

/// Facts about the machine running Ansible that templates can read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Controller {
    /// `template_host`: the controller's host name (`os.uname()[1]`).
    pub hostname: String,
    /// `template_uid`: the user name owning the template file.
    pub template_uid: String,
    /// `playbook_dir`, when known.
    pub playbook_dir: Option<PathBuf>,
    /// Controller environment for `lookup('env', …)`; a name not listed is an unknown value.
    pub env: IndexMap<String, String>,
}

impl Default for Controller {
    fn default() -> Self {
        Controller {
            hostname: "localhost".into(),
            template_uid: "root".into(),
            playbook_dir: None,
            env: IndexMap::new(),
        }
    }
}

/// One `template` task for one host.
#[derive(Clone, Debug)]
pub struct RenderJob {
    pub template: TemplateSource,
    /// Directories for `include`/`import` and `lookup('file'|'template')`: the role's
    /// `templates/` and `files/`, then the playbook directory. Each is tried as `p/templates`
    /// (or `p/files`) and `p`, as Ansible does; the template's own directory comes last.
    pub search_paths: Vec<PathBuf>,
    /// Index of the host in the [`Fleet`].
    pub host: usize,
    /// Highest-precedence variables: loop `item`, task `vars:`.
    pub task_vars: Arc<Vars>,
    /// The task's `src` as written (`template_path`).
    pub src: String,
    /// The task's `dest` (`template_destpath`).
    pub dest: String,
    pub overrides: TemplateOptions,
    pub controller: Controller,
    /// `ansible_play_hosts`; every host of the fleet when `None`. Shared: one list per play,
    /// not one copy per render.
    pub play_hosts: Option<Arc<[String]>>,
    pub role_path: Option<PathBuf>,
    /// Names that exist only during the deploy (a task's `register:`, `set_fact` values that
    /// depend on one): name → why. They render as unknown values, never as undefined.
    pub runtime: IndexMap<String, String>,
}

impl RenderJob {
    /// A job with default options, `src` = the file name and no search paths.
    pub fn new(template: TemplateSource, host: usize) -> RenderJob {
        let src = template.path.to_string_lossy().into_owned();
        RenderJob {
            template,
            search_paths: Vec::new(),
            host,
            task_vars: Arc::default(),
            src,
            dest: String::new(),
            overrides: TemplateOptions::default(),
            controller: Controller::default(),
            play_hosts: None,
            role_path: None,
            runtime: IndexMap::new(),
        }
    }
}

/// A piece of output and where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputSpan {
    pub out: Range<usize>,
    pub template: Arc<Path>,
    /// Byte range in that template file.
    pub src: Range<usize>,
    /// Output of `{{ … }}` rather than template text.
    pub expression: bool,
}

/// What went wrong (or could not be known) while rendering.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProblemKind {
    /// The template does not parse (MX101).
    Syntax,
    /// A variable the host does not define (MX102).
    Undefined { name: String },
    /// Unknown filter/test, runtime error, or a render limit (MX103).
    Render,
    /// A value only known at deploy time (fact, vaulted value, controller environment).
    UnknownValue { reason: String },
    /// A lookup mxlint never runs (MX105), rendered as a placeholder.
    UnevaluatedLookup { plugin: String },
}

/// One problem, at a byte range of a template file where known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub kind: ProblemKind,
    pub message: String,
    pub template: PathBuf,
    pub range: Option<Range<usize>>,
}

/// The result of one render.
#[derive(Clone, Debug, Default)]
pub struct RenderOutcome {
    /// The rendered text; `None` when Ansible's render would fail.
    pub text: Option<String>,
    pub spans: Vec<OutputSpan>,
    pub problems: Vec<Problem>,
}

/// Renders templates for any number of hosts; build once.
pub struct Renderer {
    /// Every filter, test and global; default syntax. Cloned per render to set its syntax.
    base: Environment<'static>,
    /// Renders variable values that are templates (always default syntax).
    vars_env: Arc<Environment<'static>>,
    /// Texts that includes and `lookup('file'|'template')` read instead of the disk.
    overlay: Overlay,
    /// Each template compiled once, by everything compiling reads (a fleet renders the same
    /// template for every host).
    compiled: Mutex<HashMap<u64, Vec<Arc<Compiled>>>>,
    /// Outcomes by job and by the values the render read.
    cache: cache::RenderCache,
}

/// A template compiled in its own environment (its syntax, its include directories).
struct Compiled {
    env: Environment<'static>,
    includes: env::Includes,
    options: header::Options,
    body_offset: usize,
    /// What it was compiled from.
    path: PathBuf,
    text: Arc<str>,
    overrides: TemplateOptions,
    search_paths: Vec<PathBuf>,
}

impl Compiled {
    /// Compiling `job`'s template would give this.
    fn compiles(&self, job: &RenderJob) -> bool {
        self.path == job.template.path
            && (Arc::ptr_eq(&self.text, &job.template.text) || self.text == job.template.text)
            && self.overrides == job.overrides
            && self.search_paths == job.search_paths
    }
}

impl Default for Renderer {
    fn default() -> Self {
        Self::new()
    }
}

impl Renderer {
    pub fn new() -> Renderer {
        let base = env::base_environment();
        let vars_env = Arc::new(base.clone());
        Renderer {
            base,
            vars_env,
            overlay: Overlay::default(),
            compiled: Mutex::default(),
            cache: cache::RenderCache::default(),
        }
    }

    /// A renderer whose includes and file lookups read `overlay`'s texts first (an editor's
    /// unsaved buffers).
    pub fn with_overlay(overlay: Overlay) -> Renderer {
        Renderer {
            overlay,
            ..Renderer::new()
        }
    }

    /// Renders `job.template` for host `job.host` of `fleet`: once per distinct input, as
    /// [`cache`] describes.
    pub fn render(&self, fleet: &Fleet, job: &RenderJob) -> RenderOutcome {
        let compiled = match self.compile(job) {
            Ok(compiled) => compiled,
            Err(problem) => return failed(problem),
        };
        if let Some(outcome) = self.cache.get(fleet, job) {
            return outcome;
        }
        let mut reads = value::Reads::default();
        let outcome = self.render_compiled(fleet, job, &compiled, &mut reads);
        self.cache.put(fleet, job, reads, &outcome);
        outcome
    }

    /// A render that neither reads nor fills the cache.
    #[cfg(test)]
    pub(crate) fn render_uncached(&self, fleet: &Fleet, job: &RenderJob) -> RenderOutcome {
        match self.compile(job) {
            Ok(compiled) => self.render_compiled(fleet, job, &compiled, &mut Default::default()),
            Err(problem) => failed(problem),
        }
    }

    /// One render, noting in `reads` what it read of the host's scope.
    fn render_compiled(
        &self,
        fleet: &Fleet,
        job: &RenderJob,
        compiled: &Compiled,
        reads: &mut value::Reads,
    ) -> RenderOutcome {
        let path = job.template.path.clone();
        let Compiled {
            env,
            includes,
            options,
            body_offset,
            ..
        } = compiled;
        let (includes, options, body_offset) = (includes, options, *body_offset);
        let name = path.to_string_lossy().into_owned();
        let body = header::split(&job.template.text, &job.overrides).map_or("", |(b, _, _)| b);
        let template = match env.get_template(&name) {
            Ok(t) => t,
            Err(err) => {
                let range = err.range().map(|r| shift(r, body_offset));
                return failed(syntax_problem(&path, err_message(&err), range));
            }
        };
        let mut poisoned: Vec<String> = Vec::new();
        let mut undefined: Vec<Problem> = Vec::new();
        for _ in 0..MAX_UNDEFINED_PASSES {
            let ctx = RenderCtx::new(
                self.vars_env.clone(),
                fleet,
                job,
                poisoned.clone(),
                &self.overlay,
            );
            let root = RootScope::root(&ctx, job.host);
            ctx.reset_emits();
            let result = template.render_with_spans(root);
            reads.extend(ctx.take_reads());
            match result {
                Ok((text, spans)) if undefined.is_empty() => {
                    let raw = RawOutput {
                        text,
                        spans,
                        offset: body_offset,
                        includes,
                    };
                    return finish(&ctx, job, options, raw);
                }
                Ok(_) => break,
                Err(err) => {
                    let problem = self.error_problem(&err, &ctx, &path, body_offset);
                    let next = undefined_root_name(&problem, &poisoned);
                    let is_undefined = matches!(problem.kind, ProblemKind::Undefined { .. });
                    if !is_undefined {
                        let mut problems = ctx.take_problems(&path, body, body_offset, &[]);
                        problems.extend(undefined);
                        // An operation on a value only the deploy knows (`fact // 8`) fails
                        // here but not on the target: the unknown value is the finding.
                        if !(problem.kind == ProblemKind::Render && ctx.touched_unknown()) {
                            problems.push(problem);
                        }
                        return RenderOutcome {
                            text: None,
                            spans: Vec::new(),
                            problems,
                        };
                    }
                    if !undefined.contains(&problem) {
                        undefined.push(problem);
                    }
                    match next {
                        Some(name) => poisoned.push(name),
                        None => break,
                    }
                }
            }
        }
        RenderOutcome {
            text: None,
            spans: Vec::new(),
            problems: undefined,
        }
    }

    /// The template of `job` compiled (once per distinct template text, options and include
    /// directories), or its syntax problem.
    fn compile(&self, job: &RenderJob) -> Result<Arc<Compiled>, Problem> {
        let path = &job.template.path;
        let key = {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            path.hash(&mut h);
            job.template.text.len().hash(&mut h);
            std::hash::Hasher::finish(&h)
        };
        let found = self
            .compiled
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            .and_then(|same| same.iter().find(|c| c.compiles(job)).cloned());
        if let Some(compiled) = found {
            return Ok(compiled);
        }
        let (body, options, body_offset) = header::split(&job.template.text, &job.overrides)
            .map_err(|message| syntax_problem(path, message, Some(0..0)))?;
        let (mut env, includes) =
            env::template_environment(&self.base, &options, job, &self.overlay)
                .map_err(|message| syntax_problem(path, message, None))?;
        // Before minijinja sees it: a too-deep tag would overflow its compiler's stack.
        guard::check_template(body, &guard::Delimiters::of(env.syntax())).map_err(|deep| {
            syntax_problem(path, deep.message(), Some(shift(deep.range, body_offset)))
        })?;
        let name = path.to_string_lossy().into_owned();
        env.add_template_owned(name, body.to_string())
            .map_err(|err| {
                let range = err.range().map(|r| shift(r, body_offset));
                syntax_problem(path, err_message(&err), range)
            })?;
        let compiled = Arc::new(Compiled {
            env,
            includes,
            options,
            body_offset,
            path: path.clone(),
            text: job.template.text.clone(),
            overrides: job.overrides.clone(),
            search_paths: job.search_paths.clone(),
        });
        self.compiled
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(key)
            .or_default()
            .push(compiled.clone());
        Ok(compiled)
    }

    /// Evaluates a `when:`-style expression for one host: `Ok(None)` when its outcome depends
    /// on a value only known at deploy time.
    pub fn eval_condition(
        &self,
        fleet: &Fleet,
        host: usize,
        vars: &Vars,
        expr: &str,
    ) -> Result<Option<bool>, Problem> {
        let vars = Arc::new(vars.clone());
        self.eval_condition_with(fleet, host, &vars, &IndexMap::new(), expr)
    }

    /// [`Renderer::eval_condition`] with names that only exist at deploy time (see
    /// [`RenderJob::runtime`]).
    pub fn eval_condition_with(
        &self,
        fleet: &Fleet,
        host: usize,
        vars: &Arc<Vars>,
        runtime: &IndexMap<String, String>,
        expr: &str,
    ) -> Result<Option<bool>, Problem> {
        let name = PathBuf::from("<condition>");
        let mut job = RenderJob::new(
            TemplateSource {
                path: name.clone(),
                text: Arc::from(""),
            },
            host,
        );
        job.task_vars = vars.clone();
        job.runtime = runtime.clone();
        guard::check_expression(expr)
            .map_err(|deep| syntax_problem(&name, deep.message(), Some(deep.range)))?;
        let compiled = self
            .vars_env
            .compile_expression(expr)
            .map_err(|err| syntax_problem(&name, err_message(&err), err.range()))?;
        let ctx = RenderCtx::new(
            self.vars_env.clone(),
            fleet,
            &job,
            Vec::new(),
            &self.overlay,
        );
        let value = compiled
            .eval(RootScope::root(&ctx, host))
            .map_err(|err| self.error_problem(&err, &ctx, &name, 0))?;
        if ctx.touched_unknown() || value::is_unknown(&value) {
            return Ok(None);
        }
        if value.is_undefined() {
            return Err(Problem {
                kind: ProblemKind::Undefined {
                    name: expr.trim().to_string(),
                },
                message: "the condition uses an undefined variable".into(),
                template: name,
                range: None,
            });
        }
        Ok(Some(value.is_true()))
    }

    fn error_problem(&self, err: &Error, ctx: &RenderCtx, path: &Path, offset: usize) -> Problem {
        let in_template = err.name().is_none_or(|n| Path::new(n) == path);
        let range = in_template
            .then(|| err.range())
            .flatten()
            .map(|r| shift(r, offset));
        let (kind, message) = classify(err, ctx, &self.base);
        Problem {
            kind,
            message,
            template: path.to_path_buf(),
            range,
        }
    }
}

/// Turns a successful render into the outcome: Ansible's trailing-newline rule, newline
/// sequence, the size cap, and problems for unknown values.
/// minijinja's output before Ansible's finishing touches.
struct RawOutput<'a> {
    text: String,
    spans: Vec<minijinja::OutputSpan>,
    /// Where the body starts in the template file (after a `#jinja2:` line).
    offset: usize,
    includes: &'a env::Includes,
}

fn finish(
    ctx: &RenderCtx,
    job: &RenderJob,
    options: &header::Options,
    raw: RawOutput,
) -> RenderOutcome {
    let RawOutput {
        text,
        spans,
        offset,
        includes,
    } = raw;
    let path = job.template.path.clone();
    if text.len() > MAX_OUTPUT_BYTES {
        return failed(Problem {
            kind: ProblemKind::Render,
            message: format!("output exceeds {} MiB", MAX_OUTPUT_BYTES >> 20),
            template: path,
            range: None,
        });
    }
    let mut spans = map_spans(&spans, &path, offset, includes);
    let (mut text, raw_count) = (text, spans.iter().filter(|s| !s.expression).count());
    if ctx.resolved_to_omit(raw_count) {
        return failed(Problem {
            kind: ProblemKind::Render,
            message: "the template resolved to omit".into(),
            template: path,
            range: None,
        });
    }
    let native = ctx.single_native_emit(raw_count);
    if !native {
        let wanted = trailing_newlines(&job.template.text);
        let have = trailing_newlines(&text);
        for _ in have..wanted.max(have) {
            text.push_str(options.newline_sequence.as_str());
        }
    }
    if options.newline_sequence.as_str() != "\n" {
        text = env::convert_newlines(&text, &mut spans, options.newline_sequence.as_str());
    }
    let body = &job.template.text[offset..];
    let problems = ctx.take_problems(&path, body, offset, &spans);
    RenderOutcome {
        text: Some(text),
        spans,
        problems,
    }
}

/// Output spans in file terms: the template's own (shifted past a header) and those of
/// included files; text from variable values has no file span here.
fn map_spans(
    spans: &[minijinja::OutputSpan],
    path: &Path,
    offset: usize,
    includes: &env::Includes,
) -> Vec<OutputSpan> {
    let includes = includes.lock().unwrap_or_else(|e| e.into_inner());
    let main: Arc<Path> = Arc::from(path);
    let mut files: std::collections::HashMap<&str, Arc<Path>> = Default::default();
    spans
        .iter()
        .filter_map(|s| {
            let (file, shift_by) = if Path::new(s.name()) == path {
                (main.clone(), offset)
            } else {
                let file = match files.get(s.name()) {
                    Some(f) => f.clone(),
                    None => {
                        let f: Arc<Path> = Arc::from(includes.get(s.name())?.as_path());
                        files.insert(s.name(), f.clone());
                        f
                    }
                };
                (file, 0)
            };
            Some(OutputSpan {
                out: s.output_range(),
                template: file,
                src: shift(s.source_range(), shift_by),
                expression: s.kind() == OutputSpanKind::Expression,
            })
        })
        .collect()
}

/// Python's `_count_newlines_from_end`: trailing `\n` characters.
fn trailing_newlines(s: &str) -> usize {
    s.bytes().rev().take_while(|b| *b == b'\n').count()
}

fn failed(problem: Problem) -> RenderOutcome {
    RenderOutcome {
        text: None,
        spans: Vec::new(),
        problems: vec![problem],
    }
}

fn shift(r: Range<usize>, by: usize) -> Range<usize> {
    r.start + by..r.end + by
}

fn syntax_problem(path: &Path, message: String, range: Option<Range<usize>>) -> Problem {
    Problem {
        kind: ProblemKind::Syntax,
        message,
        template: path.to_path_buf(),
        range,
    }
}

/// The error's kind and detail only: never `{:#}`, which prints variable values.
fn err_message(err: &Error) -> String {
    match err.detail() {
        Some(detail) => format!("{}: {}", err.kind(), detail),
        None => err.kind().to_string(),
    }
}

/// Maps a render error to a problem kind and a value-free message.
fn classify(err: &Error, ctx: &RenderCtx, env: &Environment<'static>) -> (ProblemKind, String) {
    let detail = err.detail().unwrap_or_default();
    match err.kind() {
        ErrorKind::UndefinedError => match undefined_name(detail) {
            Some(name) => (
                ProblemKind::Undefined { name: name.clone() },
                undefined_message(&name, ctx),
            ),
            None => (ProblemKind::Render, err_message(err)),
        },
        ErrorKind::SyntaxError => (ProblemKind::Syntax, err_message(err)),
        ErrorKind::UnknownFilter => (
            ProblemKind::Render,
            unknown_callable("filter", detail, env::filter_names(env)),
        ),
        ErrorKind::UnknownTest => (
            ProblemKind::Render,
            unknown_callable("test", detail, env::test_names(env)),
        ),
        ErrorKind::OutOfFuel => (
            ProblemKind::Render,
            format!(
                "the template runs too long or writes too much: mxlint stops a render after \
                 {} million instructions or {} MiB of output (fuel limit reached)",
                FUEL_PER_RENDER / 1_000_000,
                MAX_FUEL_OUTPUT_BYTES >> 20
            ),
        ),
        _ => (ProblemKind::Render, err_message(err)),
    }
}

fn undefined_message(name: &str, ctx: &RenderCtx) -> String {
    match ctx.host_name_defining(name) {
        Some(other) => format!("'{name}' is undefined for this host (host {other} defines it)"),
        None => format!("'{name}' is undefined"),
    }
}

/// `filter foo is unknown` → a message with a did-you-mean.
fn unknown_callable(what: &str, detail: &str, names: Vec<String>) -> String {
    let name = detail
        .strip_prefix(&format!("{what} "))
        .and_then(|d| d.strip_suffix(" is unknown"))
        .unwrap_or(detail);
    // A collection filter written without its collection (`ipaddr` for `ansible.utils.ipaddr`).
    let suffix = format!(".{name}");
    if let Some(full) = names.iter().find(|n| n.ends_with(&suffix)) {
        return format!("unknown {what} '{name}' (did you mean '{full}'?)");
    }
    let short: Vec<&str> = names.iter().map(String::as_str).collect();
    match crate::suggest::did_you_mean(name, short) {
        Some(s) => format!("unknown {what} '{name}' (did you mean '{s}'?)"),
        None => format!("unknown {what} '{name}'"),
    }
}

/// The dotted path in minijinja's "`a.b` is undefined" (or our own "'a' is undefined").
fn undefined_name(detail: &str) -> Option<String> {
    let (open, close) = if detail.starts_with('`') {
        ('`', '`')
    } else {
        ('\'', '\'')
    };
    let rest = detail.strip_prefix(open)?;
    let end = rest.find(close)?;
    Some(rest[..end].to_string())
}

/// The root variable to bind to an undefined marker for the next pass, if the undefined
/// name is a plain variable not yet bound.
fn undefined_root_name(problem: &Problem, poisoned: &[String]) -> Option<String> {
    let ProblemKind::Undefined { name } = &problem.kind else {
        return None;
    };
    let root = name.split(['.', '[']).next()?.to_string();
    (!name.contains(['.', '[']) && !poisoned.contains(&root)).then_some(root)
}

#[cfg(test)]
mod unit;
