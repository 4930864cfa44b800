//! repo: checks an Ansible repository end to end — the whole pipeline for one run.
//!
//! ```text
//! discover (inventory, playbooks) → ansible (hosts, vars, tasks) → jobs (template tasks per host,
//! `when:` and loops evaluated) → render → per-host files → parse/model (dovecot) → rules
//! → suppressions in the rendered file → back to the template lines (map) → suppressions in the
//! files users edit (templates, tasks, vars) → unused and malformed directives → one finding per
//! distinct problem, with hosts
//! ```
//!
//! Variable precedence for a task (the subset of Ansible's documented order mxlint implements,
//! lowest first): role defaults < inventory vars (see `ansible::inventory`) < facts from the
//! fact cache or `.mxlint.yml` < play `vars`/`vars_files` < role `vars/` < block and task `vars`
//! < role and include parameters < `-e` extra vars. `set_fact`, `include_vars` and registered
//! results are not evaluated: a name only they define is an unknown value, never undefined.

mod discover;
mod extra_vars;
pub mod firewall;
mod jobs;
mod map;
mod workers;

use crate::ansible::cfg::AnsibleCfg;
use crate::ansible::inventory::Inventory;
use crate::ansible::playbook::{self, Project};
use crate::ansible::Vars;
use crate::config::Settings;
use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::model::fail2ban::{TreeFile, Trusted};
use crate::model::host::MailHost;
use crate::parse::dovecot::{Note, VirtualFs};
use crate::render::{self, Fleet, Renderer, UNKNOWN_PLACEHOLDER};
use crate::source::{FileId, Overlay, SourceDb, Span};
use crate::Outcome;
use indexmap::IndexMap;
use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use discover::is_ansible_repo;
pub use jobs::ConfigKind;

/// What the command line adds to a repository check (Ansible's own option names).
#[derive(Clone, Debug, Default)]
pub struct RepoOptions {
    /// `-i`: inventory sources (default: ansible.cfg, then conventional names).
    pub inventory: Vec<PathBuf>,
    /// `-l`: a host pattern limiting the hosts checked.
    pub limit: Option<String>,
    /// `-e`: `KEY=VALUE` words, `@file`, or inline YAML/JSON.
    pub extra_vars: Vec<String>,
    /// `--playbook`: playbooks to read (default: every playbook in the root).
    pub playbooks: Vec<PathBuf>,
    /// `facts:` of `.mxlint.yml` (a JSON object): values for facts no fact cache gives.
    pub facts: Option<String>,
    /// `dest-kinds:` of `.mxlint.yml`.
    pub dest_kinds: Vec<(String, String)>,
    /// `--shard K/N`: check only block K of the hosts in scope (see [`crate::shard`]).
    pub shard: Option<crate::shard::Shard>,
    /// Told how far the run is as it goes.
    pub progress: Progress,
    /// `--jobs`: threads for renders and host checks (`None`: one per available core; 1: no
    /// thread beside the caller's). The findings are the same whatever the number.
    pub jobs: Option<std::num::NonZeroUsize>,
}

/// Where a check is, as [`Progress`] is told: [`Step::Start`] once when the hosts are known,
/// then renders as they finish, then hosts as their rules ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// The hosts in scope are known; the tasks are evaluated next.
    Start { hosts: usize },
    /// `done` of the `total` template renders finished (counted from any worker thread).
    Rendering { done: usize, total: usize },
    /// `done` of the `total` hosts checked (hosts without mail files count from the start).
    Checking { done: usize, total: usize },
}

/// Told each [`Step`] as a check goes. The CLI draws a progress bar with it; the library only
/// calls it, from whichever thread did the work.
#[derive(Clone, Default)]
pub struct Progress(Option<Arc<dyn Fn(Step) + Send + Sync>>);

impl Progress {
    pub fn new(report: impl Fn(Step) + Send + Sync + 'static) -> Self {
        Progress(Some(Arc::new(report)))
    }

    pub(crate) fn step(&self, step: Step) {
        if let Some(report) = &self.0 {
            report(step);
        }
    }
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Progress(..)"
        } else {
            "Progress(None)"
        })
    }
}

/// The hosts one run covers: every host in scope (the inventory's, in inventory order, within
/// `--limit`) and the positions among them this run checks (all of them, or its `--shard`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostScope {
    pub hosts: Vec<String>,
    pub checked: std::ops::Range<usize>,
}

/// What a repository check covered, beside its findings: for merging `--shard` outputs.
#[derive(Clone, Debug, Default)]
pub struct RepoRun {
    pub root: PathBuf,
    pub scope: HostScope,
    /// Suppression entries (in the files users edit) that suppressed a finding: another shard
    /// may report as unused (MX001) an entry this one used.
    pub used_suppressions: Vec<Span>,
}

/// One rendered file of one host.
#[derive(Debug)]
pub struct RenderedFile {
    pub host: usize,
    pub dest: String,
    pub kind: ConfigKind,
    pub file: FileId,
    /// The template (or static file) it comes from.
    pub source: FileId,
    map: map::SpanMap,
}

/// The repository as mxlint understood it: hosts, and each host's files.
pub struct Loaded {
    pub db: SourceDb,
    pub fleet: Fleet,
    pub project: Project,
    pub files: Vec<RenderedFile>,
    /// firewalld changes and reloads the tasks make, per host in task order.
    pub firewall: Vec<firewall::FirewallEvent>,
    pub diagnostics: Vec<Diagnostic>,
    pub scope: HostScope,
}

/// Checks the Ansible repository at `root`, reading its files into `db`.
pub fn check_repo_into(
    db: &mut SourceDb,
    root: &Path,
    options: &RepoOptions,
    settings: &Settings,
) -> Vec<Diagnostic> {
    check_repo_run(db, root, options, settings).0
}

/// [`check_repo_into`], also telling which hosts it checked and which suppressions it used.
pub fn check_repo_run(
    db: &mut SourceDb,
    root: &Path,
    options: &RepoOptions,
    settings: &Settings,
) -> (Vec<Diagnostic>, RepoRun) {
    let mut options = options.clone();
    options.facts = settings.facts.clone();
    options.dest_kinds = settings.dest_kinds.clone();
    let first_file = db.len();
    let workers = workers::Workers::new(options.jobs);
    let mut loaded = load_into(std::mem::take(db), root, &options, &workers);
    let mut suppressor = crate::suppress::Suppressor::new();
    let mut findings = std::mem::take(&mut loaded.diagnostics);
    findings.extend(check_hosts(
        &mut loaded,
        settings,
        &mut suppressor,
        &options.progress,
        &workers,
    ));
    findings.retain(|d| settings.selection.enabled(d.rule));
    // Directives in the files users edit (templates, tasks, vars, static files), applied to
    // the findings once they point there.
    let rendered: std::collections::HashSet<FileId> = loaded
        .files
        .iter()
        .filter(|f| f.file != f.source)
        .map(|f| f.file)
        .collect();
    let user_files: Vec<FileId> = (first_file..loaded.db.len())
        .map(|i| FileId(i as u32))
        .filter(|id| !rendered.contains(id) && !loaded.db.is_builtin(*id))
        .collect();
    let is_user_file = |id: FileId| id.0 as usize >= first_file && !rendered.contains(&id);
    suppressor.apply_with(&loaded.db, &mut findings, is_user_file, |span| span);
    findings.extend(suppressor.report(&loaded.db, user_files, &settings.selection));
    *db = loaded.db;
    let mut findings = merge_hosts(findings);
    // Hosts in inventory order, whatever order plays selected them in: shards merge to this.
    let position: HashMap<&str, usize> = loaded
        .scope
        .hosts
        .iter()
        .enumerate()
        .map(|(i, h)| (h.as_str(), i))
        .collect();
    for d in &mut findings {
        d.hosts
            .sort_by_key(|h| position.get(h.as_str()).copied().unwrap_or(usize::MAX));
    }
    let run = RepoRun {
        root: root.to_path_buf(),
        scope: loaded.scope,
        used_suppressions: suppressor.used().collect(),
    };
    workers.drop_later((loaded.fleet, loaded.project, loaded.files, loaded.firewall));
    (findings, run)
}

/// Reads the repository and renders every template job for every host.
pub fn load(root: &Path, options: &RepoOptions) -> Loaded {
    let workers = workers::Workers::new(options.jobs);
    load_into(SourceDb::new(), root, options, &workers)
}

fn load_into(
    mut db: SourceDb,
    root: &Path,
    options: &RepoOptions,
    workers: &workers::Workers,
) -> Loaded {
    let mut diagnostics = Vec::new();
    let cfg = AnsibleCfg::load(root);
    let sources = discover::inventory_sources(root, &options.inventory, &cfg);
    let (inventory, found) = Inventory::load(&mut db, &sources);
    diagnostics.extend(found);
    let playbooks = playbooks(root, options, db.overlay());
    let (project, found) = playbook::load(&mut db, &cfg, &playbooks);
    diagnostics.extend(found);
    let extra = extra_vars::parse(&mut db, root, &options.extra_vars, &mut diagnostics);
    let mut facts = jobs::fact_cache(&mut db, &cfg);
    let default_facts = jobs::default_facts(&mut db, options.facts.as_deref());
    let playbook_dir = project
        .plays
        .first()
        .map_or_else(|| root.to_path_buf(), |p| p.dir.clone());
    for name in inventory.host_names() {
        let cached = facts.entry(name.to_string()).or_default();
        for (k, v) in &default_facts {
            cached.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    let fleet = build_fleet(
        &mut db,
        &inventory,
        &playbook_dir,
        &facts,
        &mut diagnostics,
        workers,
    );
    let scope = host_scope(&inventory, options);
    let limit: Option<std::collections::HashSet<String>> = match options.shard {
        Some(_) => Some(scope.hosts[scope.checked.clone()].iter().cloned().collect()),
        None => options
            .limit
            .as_deref()
            .map(|p| inventory.select(p).into_iter().collect()),
    };
    options.progress.step(Step::Start {
        hosts: scope.checked.len(),
    });
    let renderer = Renderer::with_overlay(db.overlay().clone());
    let mut session = jobs::Session {
        db: &mut db,
        renderer: &renderer,
        fleet: &fleet,
        project: &project,
        inventory: &inventory,
        extra: &extra,
        limit: limit.as_ref(),
        dest_kinds: &options.dest_kinds,
        diagnostics: &mut diagnostics,
        files: Vec::new(),
        file_index: HashMap::new(),
        template_ids: HashMap::new(),
        set_facts: HashMap::new(),
        runtime: HashMap::new(),
        plugin_names: jobs::plugin_names(&plugin_dirs(&project)),
        firewall: Vec::new(),
        order: 0,
        pending: Vec::new(),
        workers,
        found: HashMap::new(),
        task_vars: HashMap::new(),
        progress: &options.progress,
    };
    session.run();
    let files = session.files;
    let firewall = session.firewall;
    workers.drop_later((renderer, inventory));
    Loaded {
        db,
        fleet,
        project,
        files,
        firewall,
        diagnostics,
        scope,
    }
}

/// The inventory's hosts within `--limit`, in inventory order, and the block `--shard` checks.
fn host_scope(inventory: &Inventory, options: &RepoOptions) -> HostScope {
    let limit: Option<std::collections::HashSet<String>> = options
        .limit
        .as_deref()
        .map(|p| inventory.select(p).into_iter().collect());
    let hosts: Vec<String> = inventory
        .host_names()
        .filter(|h| limit.as_ref().is_none_or(|l| l.contains(*h)))
        .map(str::to_string)
        .collect();
    let checked = options
        .shard
        .unwrap_or(crate::shard::Shard::ALL)
        .range(hosts.len());
    HostScope { hosts, checked }
}

/// The playbooks to read: the given ones, else root playbooks that no other one imports.
fn playbooks(root: &Path, options: &RepoOptions, overlay: &Overlay) -> Vec<PathBuf> {
    if !options.playbooks.is_empty() {
        return options.playbooks.clone();
    }
    let mut found = Vec::new();
    let mut imported = Vec::new();
    for path in discover::playbook_candidates(root) {
        let mut scratch = SourceDb::with_overlay(overlay.clone());
        let Ok(docs) = crate::ansible::load_yaml_file(&mut scratch, &path) else {
            // Broken YAML in the root: report it through the real loader.
            found.push(path);
            continue;
        };
        let Some(doc) = docs.first() else { continue };
        if !playbook::looks_like_playbook(doc) {
            continue;
        }
        let dir = path.parent().unwrap_or(root);
        for entry in doc.as_seq().unwrap_or_default() {
            if let Some(target) = entry.get("import_playbook").and_then(|n| n.as_str()) {
                imported.push(canonical(&dir.join(target)));
            }
        }
        found.push(path);
    }
    let candidates = found.clone();
    found.retain(|p| !imported.contains(&canonical(p)));
    if found.is_empty() {
        // Every playbook imports another: a cycle with no root. Read them all, so the cycle is
        // reported instead of the repository passing unchecked.
        return candidates;
    }
    found
}

/// Directories that may hold `filter_plugins/`: each play's directory and each role.
fn plugin_dirs(project: &Project) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = project.plays.iter().map(|p| p.dir.clone()).collect();
    dirs.extend(project.roles.iter().map(|r| r.dir.clone()));
    dirs.sort();
    dirs.dedup();
    dirs
}

fn canonical(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
}

/// Every inventory host with its inventory-level variables and cached facts.
fn build_fleet(
    db: &mut SourceDb,
    inventory: &Inventory,
    playbook_dir: &Path,
    facts: &HashMap<String, Vars>,
    diagnostics: &mut Vec<Diagnostic>,
    workers: &workers::Workers,
) -> Fleet {
    let (playbook, found) = inventory.playbook_vars(db, playbook_dir);
    diagnostics.extend(found);
    let names: Vec<&str> = inventory.host_names().collect();
    // Each host's merge only reads what is loaded: on the workers, in inventory order.
    let hosts = workers.map(&names, |&name| {
        let mut vars = inventory.vars_with(name, Some(&playbook));
        if let Some(cached) = facts.get(name) {
            for (k, v) in cached {
                // Facts sit above inventory variables; defaults from .mxlint.yml never override.
                vars.insert(k.clone(), v.clone());
            }
        }
        render::Host {
            name: name.to_string(),
            vars,
            group_names: inventory.group_names(name),
        }
    });
    Fleet::new(hosts, inventory.groups_map())
}

/// Groups of hosts checked side by side before their findings are taken in order: enough to
/// keep the threads busy, few enough that the models of one chunk are all that is held.
const CHECK_CHUNK: usize = if cfg!(test) { 2 } else { 256 };

/// Runs the config rules over each host's rendered files.
/// `#` directives that survive rendering are applied here, on the rendered file, through
/// `suppressor` (they count as written on the template line they come from).
///
/// Hosts whose inputs are equal — the same rendered files from the same templates with the same
/// variable origins, the same firewall changes, the same trusted networks — get one model and
/// one rule run; the findings carry all of their names. In a fleet most hosts of a group render
/// alike, so the work grows with the number of distinct hosts, not of hosts.
///
/// Models shared between groups are built first, side by side; then the groups' own models and
/// rules run on the workers a chunk at a time, and their findings are suppressed, mapped to the
/// templates and given their hosts in group order on this thread.
fn check_hosts(
    loaded: &mut Loaded,
    settings: &Settings,
    suppressor: &mut crate::suppress::Suppressor,
    progress: &Progress,
    workers: &workers::Workers,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    // Files are sorted by host: each host's files are one run.
    let runs: Vec<HostRun> = loaded
        .files
        .chunk_by(|a, b| a.host == b.host)
        .scan(0, |start, run| {
            let range = *start..*start + run.len();
            *start = range.end;
            Some((run[0].host, range))
        })
        .collect();
    // Each host's firewall changes in task order (one pass, not one per host).
    let mut events: HashMap<usize, Vec<firewall::FirewallEvent>> = HashMap::new();
    for e in &loaded.firewall {
        events.entry(e.host).or_default().push(e.clone());
    }
    // Hosts with files, and hosts whose only mail configuration is firewall tasks.
    let with_files: std::collections::HashSet<usize> = runs.iter().map(|(h, _)| *h).collect();
    let mut hosts: Vec<HostRun> = runs;
    let mut only_tasks: Vec<usize> = events
        .keys()
        .copied()
        .filter(|h| !with_files.contains(h))
        .collect();
    only_tasks.sort_unstable();
    hosts.extend(only_tasks.into_iter().map(|h| (h, 0..0)));
    hosts.sort_by_key(|(h, _)| *h);
    // Hosts without mail files have nothing to check: they count as done from the start.
    let total = loaded.scope.checked.len();
    let mut done = total.saturating_sub(hosts.len());
    progress.step(Step::Checking {
        done: done.min(total),
        total,
    });
    let groups = group_hosts(loaded, settings, &events, hosts, workers);
    let no_events = Vec::new();
    // Each group is checked through its first host.
    let group_files: Vec<Vec<&RenderedFile>> = groups
        .iter()
        .map(|group| loaded.files[group[0].1.clone()].iter().collect())
        .collect();
    let stock = Stock::add(&mut loaded.db, settings, &group_files);
    // From here on the hosts only read the database, side by side.
    let db = &loaded.db;
    let models = Models::new(workers, db, &loaded.fleet, settings, &stock, &group_files);
    // Where each rendered file is: a shared model's spans may lie in another host's files.
    let by_file: HashMap<FileId, usize> = loaded
        .files
        .iter()
        .enumerate()
        .map(|(i, f)| (f.file, i))
        .collect();
    let all_files = &loaded.files;
    let file_of = |id: FileId| by_file.get(&id).map(|&i| &all_files[i]);
    let rendered = |id: FileId| file_of(id).is_some_and(|f| f.file != f.source);
    let origin = |span: Span| match file_of(span.file) {
        Some(f) => f.map.map(span),
        None => span,
    };
    // A fix may only touch files on disk: never rendered text or the assumed stock file.
    let virtual_file = |id: FileId| {
        Some(id) == stock.dovecot_main || file_of(id).is_some_and(|f| f.file != f.source)
    };
    let order: Vec<usize> = (0..groups.len()).collect();
    for chunk in order.chunks(CHECK_CHUNK) {
        let found = workers.map(chunk, |&g| {
            let host = groups[g][0].0;
            let events = events.get(&host).map_or(&no_events[..], Vec::as_slice);
            let mail = models.host(g, host, &group_files[g], events);
            let mut found =
                crate::rules::check(&crate::rules::Context::for_host(&mail, settings));
            if let Some(config) = &mail.dovecot {
                let notes = config.document.notes.iter().filter(|n| {
                    !matches!(n, Note::IncludeNotRendered { span, .. } if Some(span.file) == stock.dovecot_main)
                });
                found.extend(not_rendered_includes(notes));
            }
            found
        });
        for (&g, mut found) in chunk.iter().zip(found) {
            let group = &groups[g];
            suppressor.apply_with(db, &mut found, rendered, origin);
            let names: Vec<String> = group
                .iter()
                .map(|(h, _)| loaded.fleet.hosts()[*h].name.clone())
                .collect();
            for d in found {
                if depends_on_unknown(db, &d) {
                    continue;
                }
                let mut d = map_to_templates(file_of, d);
                if d.fix
                    .as_ref()
                    .is_some_and(|fix| fix.edits.iter().any(|e| virtual_file(e.span.file)))
                {
                    d.fix = None;
                }
                d.hosts = names.clone();
                out.push(d);
            }
            done += group.len();
        }
        progress.step(Step::Checking {
            done: done.min(total),
            total,
        });
    }
    progress.step(Step::Checking { done: total, total });
    out
}

/// A host and the range of its files in `Loaded::files`.
type HostRun = (usize, std::ops::Range<usize>);

/// What one host's checks read: equal inputs give equal findings (after mapping to templates).
#[derive(PartialEq, Eq, Hash)]
struct HostInput<'a> {
    /// Per rendered file: destination, kind, template, text as the checks read it, and where
    /// each piece comes from (not where it lands: a comment naming the host shifts the rest).
    files: Vec<InputFile<'a>>,
    /// Firewall changes: task order, handlers notified, the change.
    firewall: Vec<(usize, &'a [String], &'a firewall::EventKind)>,
    /// Trusted networks read from the host's variable, with where each is written.
    trusted: Vec<(String, Span)>,
}

/// A rendered file as a host's checks read it: destination, kind, template, checked text,
/// and its pieces' origins.
type InputFile<'a> = (&'a str, ConfigKind, FileId, Cow<'a, str>, Vec<PieceOrigin>);

/// Where a rendered file's pieces come from, without where they land.
fn piece_origins(map: &map::SpanMap) -> Vec<PieceOrigin> {
    map.pieces
        .iter()
        .map(|p| (p.file, p.src.clone(), p.expression, p.origin, p.value))
        .collect()
}

/// A template piece's origin: file, source range, expression or literal, variable origins.
type PieceOrigin = (
    FileId,
    std::ops::Range<usize>,
    bool,
    Option<Span>,
    Option<Span>,
);

/// The text of a rendered file as far as the checks read it: a whole-line comment's words do
/// not change any finding (`# Dovecot configuration for mx1.example.org`), so they are left out
/// and the line kept as `#`. Comments with an `mxlint` directive, comments a `\` continuation
/// runs into, Dovecot files with heredocs and XML keep every byte.
fn checked_text(kind: ConfigKind, text: &str) -> Cow<'_, str> {
    let prefixes: &[char] = match kind {
        ConfigKind::DovecotMain | ConfigKind::DovecotInclude if !text.contains("<<") => &['#'],
        ConfigKind::PostfixMaster | ConfigKind::PostfixMain | ConfigKind::FirewalldConf => &['#'],
        ConfigKind::Fail2banJail | ConfigKind::Fail2banFile => &['#', ';'],
        _ => return Cow::Borrowed(text),
    };
    let mut out = String::with_capacity(text.len());
    let mut continued = false;
    for line in text.split_inclusive('\n') {
        let body = line.trim_start();
        let comment = body.starts_with(prefixes) && !continued && !line.contains("mxlint");
        if comment {
            out.push_str(&line[..line.len() - body.len()]);
            out.push('#');
            out.push_str(if line.ends_with("\r\n") {
                "\r\n"
            } else if line.ends_with('\n') {
                "\n"
            } else {
                ""
            });
        } else {
            out.push_str(line);
        }
        continued = line.trim_end().ends_with('\\');
    }
    Cow::Owned(out)
}

/// Hosts (with their file ranges) grouped by equal inputs, groups in order of their first host.
fn group_hosts(
    loaded: &Loaded,
    settings: &Settings,
    events: &HashMap<usize, Vec<firewall::FirewallEvent>>,
    hosts: Vec<HostRun>,
    workers: &workers::Workers,
) -> Vec<Vec<HostRun>> {
    use std::hash::{Hash, Hasher};
    // Each host's input and its hash side by side; grouping them is then one cheap pass.
    let inputs = workers.map(&hosts, |(host, range)| {
        let files = loaded.files[range.clone()]
            .iter()
            .map(|f| {
                let pieces = piece_origins(&f.map);
                let text = checked_text(f.kind, loaded.db.file(f.file).text());
                (f.dest.as_str(), f.kind, f.source, text, pieces)
            })
            .collect();
        let firewall = events
            .get(host)
            .map(|evs| {
                evs.iter()
                    .map(|e| (e.order, e.notify.as_slice(), &e.kind))
                    .collect()
            })
            .unwrap_or_default();
        let trusted = match &settings.fail2ban.trusted_networks_var {
            Some(var) => trusted_from_var(&loaded.fleet, *host, var),
            None => Vec::new(),
        };
        let input = HostInput {
            files,
            firewall,
            trusted,
        };
        let mut hasher = std::hash::DefaultHasher::new();
        input.hash(&mut hasher);
        (hasher.finish(), input)
    });
    let mut groups: Vec<(HostInput<'_>, Vec<HostRun>)> = Vec::new();
    let mut by_hash: HashMap<u64, Vec<usize>> = HashMap::new();
    for ((hash, input), host) in inputs.into_iter().zip(hosts) {
        let same = by_hash.entry(hash).or_default();
        match same.iter().find(|&&g| groups[g].0 == input) {
            Some(&g) => groups[g].1.push(host),
            None => {
                same.push(groups.len());
                groups.push((input, vec![host]));
            }
        }
    }
    groups.into_iter().map(|(_, hosts)| hosts).collect()
}

/// The distribution's main `dovecot.conf`, for hosts whose repository renders only `conf.d/`
/// files (version from the settings, else 2.3 as for plain files).
fn stock_main(db: &mut SourceDb, settings: &Settings) -> FileId {
    use crate::model::dovecot::DovecotVersion;
    let (name, text) = match settings.dovecot_version {
        Some(DovecotVersion::V2_4) => (
            "stock 2.4 /etc/dovecot/dovecot.conf",
            include_str!("../../data/stock-dovecot-2.4.conf"),
        ),
        _ => (
            "stock 2.3 /etc/dovecot/dovecot.conf",
            include_str!("../../data/stock-dovecot-2.3.conf"),
        ),
    };
    db.builtin(name, text)
}

/// Includes that match nothing the repository renders: the target's stock files are assumed.
fn not_rendered_includes<'a>(notes: impl Iterator<Item = &'a Note>) -> Vec<Diagnostic> {
    notes
        .filter_map(|n| match n {
            Note::IncludeNotRendered { span, pattern } => Some(
                Diagnostic::new(
                    &crate::rules::unevaluated_lookup::RULE,
                    *span,
                    format!("`{pattern}` is not rendered by the repository; the target's own (stock) files are assumed there, and they set no vsz limits"),
                )
                .label("included from the target"),
            ),
            _ => None,
        })
        .collect()
}

/// True when the finding's text involves a value nobody knows before the deploy.
fn depends_on_unknown(db: &SourceDb, d: &Diagnostic) -> bool {
    if d.severity <= Severity::Info {
        return false;
    }
    let line = |span: Span| {
        let file = db.file(span.file);
        let index = file.line_index(span.start());
        &file.text()[file.line_range(index)]
    };
    d.message.contains(UNKNOWN_PLACEHOLDER)
        || line(d.primary.span).contains(UNKNOWN_PLACEHOLDER)
        || d.related
            .iter()
            .any(|l| line(l.span).contains(UNKNOWN_PLACEHOLDER))
}

fn map_to_templates<'a>(
    file_of: impl Fn(FileId) -> Option<&'a RenderedFile>,
    mut d: Diagnostic,
) -> Diagnostic {
    let spans: Vec<Span> = std::iter::once(d.primary.span)
        .chain(d.related.iter().map(|l| l.span))
        .collect();
    for span in spans {
        if let Some(f) = file_of(span.file) {
            d = f.map.apply(d);
        }
    }
    d
}

/// Files as a model reads them: per file, its path (under `/etc/fail2ban` for fail2ban), its
/// checked text and its pieces' origins.
type ModelKey = Vec<(String, String, Vec<PieceOrigin>)>;

/// Built-in files hosts may read, added to the database before hosts are read side by side:
/// the assumed stock `dovecot.conf` (for repositories that render only `conf.d/` files) and
/// the fail2ban stock files.
struct Stock {
    dovecot_main: Option<FileId>,
    fail2ban: crate::model::fail2ban::Stock,
}

impl Stock {
    /// The stock `dovecot.conf` when some host of `hosts` needs it; fail2ban's always.
    fn add(db: &mut SourceDb, settings: &Settings, hosts: &[Vec<&RenderedFile>]) -> Stock {
        let dovecot_main = hosts
            .iter()
            .any(|files| needs_stock_main(files))
            .then(|| stock_main(db, settings));
        let fail2ban = crate::model::fail2ban::Stock::add(db);
        Stock {
            dovecot_main,
            fail2ban,
        }
    }
}

/// What hosts are modelled with: the database, the fleet, the settings and stock files, and
/// the fail2ban and Postfix models of each group of hosts (shared between groups).
struct Models<'a> {
    db: &'a SourceDb,
    fleet: &'a Fleet,
    settings: &'a Settings,
    stock: &'a Stock,
    fail2ban: Vec<Option<Arc<crate::model::fail2ban::Fail2banConfig>>>,
    postfix: Vec<Option<Arc<crate::model::postfix::PostfixModel>>>,
}

impl<'a> Models<'a> {
    /// The shared models of `groups` (each group's files), built on `workers`.
    fn new(
        workers: &workers::Workers,
        db: &'a SourceDb,
        fleet: &'a Fleet,
        settings: &'a Settings,
        stock: &'a Stock,
        groups: &[Vec<&RenderedFile>],
    ) -> Models<'a> {
        let fail2ban = shared_models(
            workers,
            groups,
            |files| fail2ban_key(db, files),
            |files| fail2ban_model(db, &stock.fail2ban, files, settings),
        );
        let postfix = shared_models(
            workers,
            groups,
            |files| postfix_key(db, files),
            |files| postfix_model(db, files),
        );
        Models {
            db,
            fleet,
            settings,
            stock,
            fail2ban,
            postfix,
        }
    }

    /// The mail stack of `host`, of group `group`, from its files and firewall changes.
    fn host(
        &self,
        group: usize,
        host: usize,
        files: &[&RenderedFile],
        events: &[firewall::FirewallEvent],
    ) -> MailHost {
        build_host(
            self.db,
            self.fleet,
            self.settings,
            self.stock.dovecot_main,
            HostParts {
                host,
                files,
                events,
                fail2ban: self.fail2ban[group].clone(),
                postfix: self.postfix[group].clone(),
            },
        )
    }
}

/// Groups of hosts whose files read alike share one model: built once per distinct `key`,
/// from the first such group (its spans point into that group's files, whatever the thread
/// count), side by side. Per group, its model.
fn shared_models<M: Send + Sync>(
    workers: &workers::Workers,
    groups: &[Vec<&RenderedFile>],
    key: impl Fn(&[&RenderedFile]) -> Option<ModelKey> + Sync + Send,
    build: impl Fn(&[&RenderedFile]) -> M + Sync + Send,
) -> Vec<Option<Arc<M>>> {
    let keys = workers.map(groups, |files| key(files));
    let mut index: HashMap<ModelKey, usize> = HashMap::new();
    let mut builders: Vec<usize> = Vec::new();
    let of_group: Vec<Option<usize>> = keys
        .into_iter()
        .enumerate()
        .map(|(group, key)| {
            let key = key?;
            Some(*index.entry(key).or_insert_with(|| {
                builders.push(group);
                builders.len() - 1
            }))
        })
        .collect();
    drop(index);
    let models = workers.map(&builders, |&group| Arc::new(build(&groups[group])));
    of_group
        .into_iter()
        .map(|m| m.map(|m| models[m].clone()))
        .collect()
}

/// One diagnostic per distinct finding, listing every host it occurs on (in host order).
fn merge_hosts(findings: Vec<Diagnostic>) -> Vec<Diagnostic> {
    // Keyed by what the finding says and where; the set keeps host merging linear.
    let mut merged: IndexMap<String, (Diagnostic, std::collections::HashSet<String>)> =
        IndexMap::new();
    for d in findings {
        let key = identity(&d);
        match merged.get_mut(&key) {
            Some((existing, seen)) => {
                merge_fix(existing, d.fix);
                for host in d.hosts {
                    if seen.insert(host.clone()) {
                        existing.hosts.push(host);
                    }
                }
            }
            None => {
                let seen = d.hosts.iter().cloned().collect();
                merged.insert(key, (d, seen));
            }
        }
    }
    let mut out: Vec<Diagnostic> = merged.into_values().map(|(d, _)| d).collect();
    out.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    out
}

/// Hosts of one finding may need their fix in different places (each host's own vars file):
/// the merged finding's fix makes all of them; it is unsafe when any of them is.
fn merge_fix(into: &mut Diagnostic, fix: Option<crate::diagnostic::Fix>) {
    let Some(fix) = fix else { return };
    let Some(existing) = &mut into.fix else {
        into.fix = Some(fix);
        return;
    };
    if fix.applicability == crate::diagnostic::Applicability::Unsafe {
        existing.applicability = fix.applicability;
    }
    for edit in fix.edits {
        if !existing.edits.contains(&edit) {
            existing.edits.push(edit);
        }
    }
}

fn identity(d: &Diagnostic) -> String {
    let label = |l: &Label| format!("{:?}:{}", l.span, l.message);
    let related: Vec<String> = d.related.iter().map(label).collect();
    format!(
        "{}|{}|{}|{}",
        d.rule.code,
        d.message,
        label(&d.primary),
        related.join(";")
    )
}

/// The repository a template belongs to: the nearest parent directory that looks like one.
pub fn find_root(template: &Path) -> PathBuf {
    let absolute = std::path::absolute(template).unwrap_or_else(|_| template.to_path_buf());
    absolute
        .ancestors()
        .skip(1)
        .find(|dir| is_ansible_repo(dir))
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// Renders one template for one host as the repository's tasks do (the first task using it
/// for that host), or with the host's inventory variables alone when no task uses it.
/// `Err` carries the reason and the findings (syntax errors, undefined variables).
// Returned once per `mxlint render` run: the size of the error does not matter.
#[allow(clippy::result_large_err)]
pub fn render_one(
    root: &Path,
    options: &RepoOptions,
    template: &Path,
    host: &str,
) -> Result<(String, Outcome), (String, Outcome)> {
    let mut loaded = load(root, options);
    let Some(index) = loaded.fleet.host_index(host) else {
        let message = format!("host `{host}` is not in the inventory");
        return Err((message, outcome_of(loaded, Vec::new())));
    };
    let wanted = canonical(template);
    let from_task = loaded
        .files
        .iter()
        .find(|f| f.host == index && canonical(loaded.db.file(f.source).path()) == wanted)
        .map(|f| masked_output(&loaded.db, f));
    let relevant = |d: &Diagnostic| d.hosts.is_empty() || d.hosts.iter().any(|h| h == host);
    let mut findings: Vec<Diagnostic> = std::mem::take(&mut loaded.diagnostics)
        .into_iter()
        .filter(relevant)
        .collect();
    // A task that renders the template for this host and fails has said all there is to say.
    let failed_in_task = findings.iter().any(|d| {
        matches!(d.rule.code, "MX101" | "MX102" | "MX103")
            && canonical(loaded.db.file(d.primary.span.file).path()) == wanted
    });
    let text = match from_task {
        Some(text) => Some(text),
        None if failed_in_task => None,
        None => standalone(&mut loaded, template, index, &mut findings)
            .map(|t| crate::redact::mask_secrets(&t).unwrap_or(t)),
    };
    let outcome = outcome_of(loaded, merge_hosts(findings));
    match text {
        Some(text) => Ok((text, outcome)),
        None => Err((
            format!("`{}` does not render for `{host}`", template.display()),
            outcome,
        )),
    }
}

/// A rendered file as printed: values of secret-named variables and secret settings masked
/// byte for byte (`mxlint render` must not print a password either).
fn masked_output(db: &SourceDb, file: &RenderedFile) -> String {
    let text = db.file(file.file).text();
    let mut bytes = crate::redact::mask_secrets(text)
        .unwrap_or_else(|| text.to_string())
        .into_bytes();
    for piece in file.map.pieces.iter().filter(|p| p.expression) {
        let source = db
            .file(piece.file)
            .text()
            .get(piece.src.clone())
            .unwrap_or("");
        let secret = jobs::leading_identifier(source).is_some_and(crate::redact::is_secret_name);
        if secret {
            for b in bytes.get_mut(piece.out.clone()).into_iter().flatten() {
                // Whole characters only: continuation bytes become `*` too, keeping UTF-8.
                *b = b'*';
            }
        }
    }
    String::from_utf8(bytes).unwrap_or_default()
}

fn outcome_of(loaded: Loaded, diagnostics: Vec<Diagnostic>) -> Outcome {
    Outcome {
        db: loaded.db,
        diagnostics,
        ..Outcome::default()
    }
}

/// Renders a template no task uses, with only the host's inventory variables.
fn standalone(
    loaded: &mut Loaded,
    template: &Path,
    host: usize,
    findings: &mut Vec<Diagnostic>,
) -> Option<String> {
    let file = match crate::source::read_source(&mut loaded.db, template) {
        Ok(file) => file,
        Err(e) => {
            let file = loaded.db.add(template, String::new());
            findings.push(crate::ansible::load_error(Span::new(file, 0, 0), e.message));
            return None;
        }
    };
    let job = render::RenderJob::new(
        render::TemplateSource {
            path: template.to_path_buf(),
            text: loaded.db.file(file).shared_text(),
        },
        host,
    );
    let outcome = Renderer::with_overlay(loaded.db.overlay().clone()).render(&loaded.fleet, &job);
    let name = loaded.fleet.hosts()[host].name.clone();
    for problem in outcome.problems {
        let span = problem
            .range
            .clone()
            .map_or(Span::new(file, 0, 0), |r| Span::new(file, r.start, r.end));
        findings.push(jobs::problem_diagnostic(problem, span, &name));
    }
    outcome.text
}

/// The effective Dovecot model of one host (its rendered `/etc/dovecot/dovecot.conf`).
pub fn host_model(
    root: &Path,
    options: &RepoOptions,
    host: &str,
    settings: &Settings,
) -> Result<(SourceDb, MailHost), String> {
    let mut loaded = load(root, options);
    let index = loaded
        .fleet
        .host_index(host)
        .ok_or_else(|| format!("host `{host}` is not in the inventory"))?;
    let files: Vec<&RenderedFile> = loaded.files.iter().filter(|f| f.host == index).collect();
    let hosts = std::slice::from_ref(&files);
    let stock = Stock::add(&mut loaded.db, settings, hosts);
    let workers = workers::Workers::sequential();
    let models = Models::new(&workers, &loaded.db, &loaded.fleet, settings, &stock, hosts);
    let mail = models.host(0, index, &files, &loaded.firewall);
    if mail.dovecot.is_none()
        && mail.postfix.is_none()
        && mail.fail2ban.is_none()
        && mail.firewall.is_none()
    {
        return Err(format!(
            "no task writes a Dovecot, Postfix, fail2ban or firewalld configuration for `{host}`"
        ));
    }
    Ok((loaded.db, mail))
}

/// One host's part of the check: its rendered files, firewall tasks and shared models.
struct HostParts<'a> {
    host: usize,
    files: &'a [&'a RenderedFile],
    events: &'a [firewall::FirewallEvent],
    fail2ban: Option<Arc<crate::model::fail2ban::Fail2banConfig>>,
    postfix: Option<Arc<crate::model::postfix::PostfixModel>>,
}

/// Whether a host renders Dovecot's `conf.d/` files but not the main file, which is then the
/// distribution's.
fn needs_stock_main(files: &[&RenderedFile]) -> bool {
    !files.iter().any(|f| f.kind == ConfigKind::DovecotMain)
        && files.iter().any(|f| {
            matches!(f.kind, ConfigKind::DovecotMain | ConfigKind::DovecotInclude)
                && Path::new(&f.dest).starts_with("/etc/dovecot/conf.d")
        })
}

fn is_fail2ban(f: &RenderedFile) -> bool {
    matches!(f.kind, ConfigKind::Fail2banJail | ConfigKind::Fail2banFile)
}

/// What a fail2ban model reads: every file under `/etc/fail2ban/`, by its path there. Equal
/// trees (as the checks read them, from the same template pieces) give equal models, whose spans
/// map to the same template lines.
fn fail2ban_key(db: &SourceDb, files: &[&RenderedFile]) -> Option<ModelKey> {
    let key: ModelKey = files
        .iter()
        .filter(|f| is_fail2ban(f))
        .map(|f| {
            let text = checked_text(f.kind, db.file(f.file).text()).into_owned();
            (fail2ban_rel(&f.dest), text, piece_origins(&f.map))
        })
        .collect();
    (!key.is_empty()).then_some(key)
}

fn fail2ban_model(
    db: &SourceDb,
    stock: &crate::model::fail2ban::Stock,
    files: &[&RenderedFile],
    settings: &Settings,
) -> crate::model::fail2ban::Fail2banConfig {
    let tree: Vec<TreeFile> = files
        .iter()
        .filter(|f| is_fail2ban(f))
        .map(|f| TreeFile {
            rel: fail2ban_rel(&f.dest),
            file: f.file,
        })
        .collect();
    crate::model::fail2ban::load_tree_in(db, stock, &tree, settings)
}

/// What a Postfix model reads: master.cf decides the services, main.cf only narrows them. Hosts
/// whose two files read alike share one model.
fn postfix_key(db: &SourceDb, files: &[&RenderedFile]) -> Option<ModelKey> {
    let master = postfix_file(files, ConfigKind::PostfixMaster)?;
    let key = std::iter::once(master)
        .chain(postfix_file(files, ConfigKind::PostfixMain))
        .map(|f| {
            let text = checked_text(f.kind, db.file(f.file).text()).into_owned();
            (f.dest.clone(), text, piece_origins(&f.map))
        })
        .collect();
    Some(key)
}

/// The last rendered file of a kind: a later task replaces what an earlier one wrote.
fn postfix_file<'a>(files: &[&'a RenderedFile], kind: ConfigKind) -> Option<&'a RenderedFile> {
    files.iter().rev().find(|f| f.kind == kind).copied()
}

fn postfix_model(db: &SourceDb, files: &[&RenderedFile]) -> crate::model::postfix::PostfixModel {
    let main_cf = postfix_file(files, ConfigKind::PostfixMain)
        .map(|m| crate::parse::postfix::parse_main_in(m.file, db.file(m.file).text()));
    let master = postfix_file(files, ConfigKind::PostfixMaster)
        .map(|f| crate::parse::postfix::parse_master(f.file, db.file(f.file).text()))
        .unwrap_or_default();
    crate::model::postfix::model(&master, main_cf.as_ref())
}

/// Assembles one host's mail stack from its rendered files, firewall tasks and shared models.
/// It only reads `db`, so hosts are assembled side by side.
fn build_host(
    db: &SourceDb,
    fleet: &Fleet,
    settings: &Settings,
    stock_main: Option<FileId>,
    parts: HostParts<'_>,
) -> MailHost {
    let HostParts {
        host,
        files,
        events,
        fail2ban,
        postfix,
    } = parts;
    let of_kind = |kind: ConfigKind| files.iter().filter(move |f| f.kind == kind);
    // Dovecot: the main file, or the distribution's when only conf.d/ files are rendered.
    let mut vfs = dovecot_vfs(files);
    let main = match of_kind(ConfigKind::DovecotMain).next() {
        Some(main) => Some(main.file),
        None => match stock_main {
            Some(id) if needs_stock_main(files) => {
                vfs.files
                    .push((PathBuf::from("/etc/dovecot/dovecot.conf"), id));
                Some(id)
            }
            _ => None,
        },
    };
    let dovecot = main.map(|main| crate::model::dovecot::load_virtual(db, main, settings, &vfs));
    // firewalld: managed when a task, command or zone file applies to the host.
    let zones: Vec<&&RenderedFile> = of_kind(ConfigKind::FirewalldZone).collect();
    let managed = !zones.is_empty() || events.iter().any(|e| e.host == host);
    let firewall = managed.then(|| {
        let default_zone = of_kind(ConfigKind::FirewalldConf)
            .next_back()
            .and_then(|f| default_zone_of(db.file(f.file).text()))
            .unwrap_or_else(|| settings.firewalld.default_zone.clone());
        let mut fw = firewall::host_firewall(events, host, &default_zone);
        for f in zones {
            let name = file_stem(&f.dest);
            fw.zones.push(crate::parse::firewalld::parse_zone(
                f.file,
                name,
                db.file(f.file).text(),
            ));
        }
        for f in of_kind(ConfigKind::FirewalldService) {
            let name = file_stem(&f.dest);
            fw.services.push(crate::parse::firewalld::parse_service(
                f.file,
                name,
                db.file(f.file).text(),
            ));
        }
        fw
    });
    let mut trusted = crate::model::fail2ban::trusted_from_settings(settings);
    if let Some(var) = &settings.fail2ban.trusted_networks_var {
        for (text, span) in trusted_from_var(fleet, host, var) {
            if let Some(network) = crate::net::Network::parse(&text) {
                trusted.push(Trusted {
                    network,
                    text,
                    origin: Some(span),
                });
            }
        }
    }
    MailHost {
        name: fleet.hosts()[host].name.clone(),
        dovecot,
        postfix,
        fail2ban,
        firewall,
        trusted,
    }
}

/// A fail2ban file's path relative to `/etc/fail2ban`; a jail file placed elsewhere through
/// `dest-kinds:` counts as a `jail.d/` file of its name.
fn fail2ban_rel(dest: &str) -> String {
    match dest.strip_prefix("/etc/fail2ban/") {
        Some(rel) => rel.to_string(),
        None => format!("jail.d/{}", file_name(dest)),
    }
}

fn file_name(dest: &str) -> &str {
    dest.rsplit('/').next().unwrap_or(dest)
}

/// A zone's or service's name: its file name without `.xml`.
fn file_stem(dest: &str) -> &str {
    let name = file_name(dest);
    name.strip_suffix(".xml").unwrap_or(name)
}

/// `DefaultZone=` of a firewalld.conf (the last one wins; `#` starts a comment line).
fn default_zone_of(text: &str) -> Option<String> {
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| l.trim().strip_prefix("DefaultZone="))
        .map(|z| z.trim().to_string())
        .rfind(|z| !z.is_empty())
}

fn dovecot_vfs(files: &[&RenderedFile]) -> VirtualFs {
    VirtualFs {
        files: files
            .iter()
            .filter(|f| matches!(f.kind, ConfigKind::DovecotMain | ConfigKind::DovecotInclude))
            .map(|f| (PathBuf::from(&f.dest), f.file))
            .collect(),
    }
}

/// The host's trusted networks named by `fail2ban.trusted-networks-var`: the variable's value (a
/// list of strings, or one string of space- or comma-separated entries) with the place each
/// entry is written. Entries that are templates themselves are skipped: only literal data is
/// a trustworthy statement of what must never be banned.
pub(crate) fn trusted_from_var(fleet: &Fleet, host: usize, var: &str) -> Vec<(String, Span)> {
    let Some(node) = fleet.hosts().get(host).and_then(|h| h.vars.get(var)) else {
        return Vec::new();
    };
    let items: Vec<&crate::ansible::yaml::Node> = match node.as_seq() {
        Some(items) => items.iter().collect(),
        None => vec![&**node],
    };
    let mut out = Vec::new();
    for item in items {
        let Some(text) = item.as_str() else { continue };
        if text.contains("{{") || text.contains("{%") {
            continue;
        }
        for word in text.split([' ', ',', '\t', '\n']).filter(|w| !w.is_empty()) {
            out.push((word.to_string(), item.span));
        }
    }
    out
}

/// Writes `text` to `root/name`, creating directories (tests build repositories with it).
#[cfg(test)]
pub(crate) fn write_file(root: &Path, name: &str, text: &str) {
    let path = root.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// The benchmark's fleet generator, for tests on fleets shaped like real ones.
#[cfg(test)]
#[path = "../../benches/fleet/gen.rs"]
mod fleet_gen;

#[cfg(test)]
mod grouping_tests {
    use super::*;

    #[test]
    fn whole_line_comments_are_left_out_of_the_checked_text() {
        let text = "# Dovecot for mx1.example.org\n  # indented\r\nprotocols = imap # inline\n# mxlint: disable=MX301\n";
        assert_eq!(
            checked_text(ConfigKind::DovecotMain, text),
            "#\n  #\r\nprotocols = imap # inline\n# mxlint: disable=MX301\n"
        );
        // fail2ban's `;` comments too; a comment a continuation runs into is kept.
        assert_eq!(
            checked_text(
                ConfigKind::Fail2banJail,
                "; host a\n[x]\nv = 1 \\\n# part\n"
            ),
            "#\n[x]\nv = 1 \\\n# part\n"
        );
        // Heredocs and XML keep every byte.
        let heredoc = "# a\nx = <<EOF\n# data\nEOF\n";
        assert_eq!(checked_text(ConfigKind::DovecotMain, heredoc), heredoc);
        let xml = "<!-- a -->\n<zone/>\n";
        assert_eq!(checked_text(ConfigKind::FirewalldZone, xml), xml);
    }

    /// Hosts that differ only in a comment naming them share one rule run; the finding lists
    /// them all, in inventory order, and the output equals a host-by-host run's.
    #[test]
    fn hosts_rendering_alike_share_one_run() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let write = |name: &str, text: &str| write_file(root, name, text);
        write("hosts.ini", "[mail]\nmx[1:5]\n");
        write("host_vars/mx3.yml", "vsz: 2G\n");
        write(
            "site.yml",
            "- hosts: mail\n  tasks:\n    - template:\n        src: d.j2\n        dest: /etc/dovecot/dovecot.conf\n",
        );
        write(
            "d.j2",
            "# for {{ inventory_hostname }}\nprotocols = imap\n{% if vsz is defined %}default_vsz_limit = {{ vsz }}\n{% endif %}",
        );
        let options = RepoOptions {
            inventory: vec![root.join("hosts.ini")],
            playbooks: vec![root.join("site.yml")],
            ..RepoOptions::default()
        };
        let settings = Settings::default();
        let loaded = load(root, &options);
        let mut events: HashMap<usize, Vec<firewall::FirewallEvent>> = HashMap::new();
        for e in &loaded.firewall {
            events.entry(e.host).or_default().push(e.clone());
        }
        let hosts: Vec<HostRun> = loaded
            .files
            .iter()
            .enumerate()
            .map(|(i, f)| (f.host, i..i + 1))
            .collect();
        let workers = workers::Workers::new(std::num::NonZeroUsize::new(2));
        let groups = group_hosts(&loaded, &settings, &events, hosts, &workers);
        let names: Vec<Vec<&str>> = groups
            .iter()
            .map(|g| {
                g.iter()
                    .map(|(h, _)| loaded.fleet.hosts()[*h].name.as_str())
                    .collect()
            })
            .collect();
        assert_eq!(names, [vec!["mx1", "mx2", "mx4", "mx5"], vec!["mx3"]]);
        let outcome = crate::check_repo(root, &options, &settings);
        let found: Vec<(&str, Vec<&str>)> = outcome
            .diagnostics
            .iter()
            .map(|d| (d.rule.code, d.hosts.iter().map(String::as_str).collect()))
            .collect();
        assert_eq!(found, [("MX301", vec!["mx1", "mx2", "mx4", "mx5"])]);
    }

    /// Models are shared and hosts checked side by side in chunks (of 2 under test, so chunk
    /// borders fall between most groups): any thread count gives the one-thread findings, in
    /// the same order, with the same host lists and fixes.
    #[test]
    fn host_checks_agree_whatever_the_thread_count() {
        let dir = tempfile::tempdir().unwrap();
        super::fleet_gen::write_repo(&super::fleet_gen::plan(40), dir.path()).unwrap();
        let run = |jobs: usize| {
            let options = RepoOptions {
                jobs: std::num::NonZeroUsize::new(jobs),
                ..RepoOptions::default()
            };
            crate::check_repo(dir.path(), &options, &Settings::default()).diagnostics
        };
        let one = run(1);
        // The fleet's planted mistakes are found, and a shared model's finding lists many hosts.
        let codes: std::collections::BTreeSet<&str> = one.iter().map(|d| d.rule.code).collect();
        for code in ["MX301", "MX302", "MX401"] {
            assert!(codes.contains(code), "{codes:?}");
        }
        assert!(one.iter().any(|d| d.hosts.len() > 2), "{one:#?}");
        for jobs in [2, 3] {
            assert_eq!(
                format!("{:?}", run(jobs)),
                format!("{one:?}"),
                "{jobs} threads"
            );
        }
    }
}
