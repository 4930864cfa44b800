//! render::cache: one render per distinct input.
//!
//! A render's outcome depends on the job (template, options, search paths, `src`, `dest`,
//! controller, play hosts, role path), the fleet, and the variables it reads. Every name a render
//! looks up in its own host's scope is recorded ([`super::value::RenderCtx`]); a later host whose
//! [`Source`] for each of those names is equal gets the same outcome without rendering: the
//! render is deterministic, so equal inputs at every read take the same path through the
//! template and read the same names. A render that enumerates the whole scope is not cached.
//!
//! Sources compare variable values, not where they were written: two host_vars files setting
//! `vsz: 1G` share a render (origins are mapped per host by the caller). Values compare by
//! content, ignoring YAML spans; content hashes are memoized per shared node.

use super::value::{is_magic_for_every_host, Reads};
use super::{Fleet, RenderJob, RenderOutcome};
use crate::ansible::yaml::{Node, Value as Yaml};
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// Distinct read sets kept per job: renders taking many different paths through a template
/// stop being cached rather than slow every lookup down.
const MAX_READ_SETS: usize = 8;

/// Where one name read by a render comes from, for one host.
#[derive(Clone, Debug)]
pub(crate) enum Source {
    /// The same for every host of the job: job-level and fleet-level magic variables, facts,
    /// `ansible_managed`.
    Shared,
    /// A task or host variable: compared by value.
    Node(Arc<Node>),
    /// The host's own name (`inventory_hostname`, `inventory_hostname_short`): a render that
    /// reads it is not kept.
    HostName(String),
    /// `group_names`.
    Groups(Vec<String>),
    /// A name only the deploy defines, with why.
    Runtime(String),
    /// Not defined for this host.
    Absent,
}

impl Source {
    /// Where `name` comes from for the host of `job`, in the order [`super::value::RootScope`]
    /// looks names up. `top`: the template's own scope (task vars visible), not
    /// `hostvars[inventory_hostname]`.
    pub(crate) fn of(fleet: &Fleet, job: &RenderJob, top: bool, name: &str) -> Source {
        if top {
            if is_template_var(name) {
                return Source::Shared;
            }
            if let Some(node) = job.task_vars.get(name) {
                return Source::Node(node.clone());
            }
        }
        let entry = &fleet.hosts()[job.host];
        match name {
            "inventory_hostname" | "inventory_hostname_short" => {
                return Source::HostName(entry.name.clone())
            }
            "group_names" => return Source::Groups(entry.group_names.clone()),
            "playbook_dir" if job.controller.playbook_dir.is_some() => return Source::Shared,
            "role_path" if job.role_path.is_some() => return Source::Shared,
            _ if is_magic_for_every_host(name) => return Source::Shared,
            _ => {}
        }
        if let Some(node) = entry.vars.get(name) {
            return Source::Node(node.clone());
        }
        if name == "ansible_managed" {
            return Source::Shared;
        }
        if let Some(reason) = job.runtime.get(name) {
            return Source::Runtime(reason.clone());
        }
        Source::Absent
    }

    fn hash_into(&self, h: &mut impl Hasher, memo: &mut NodeHashes) {
        std::mem::discriminant(self).hash(h);
        match self {
            Source::Shared | Source::Absent => {}
            Source::Node(node) => memo.hash(node).hash(h),
            Source::HostName(s) | Source::Runtime(s) => s.hash(h),
            Source::Groups(g) => g.hash(h),
        }
    }

    fn same(&self, other: &Source) -> bool {
        match (self, other) {
            (Source::Shared, Source::Shared) | (Source::Absent, Source::Absent) => true,
            (Source::Node(a), Source::Node(b)) => Arc::ptr_eq(a, b) || same_node(a, b),
            (Source::HostName(a), Source::HostName(b))
            | (Source::Runtime(a), Source::Runtime(b)) => a == b,
            (Source::Groups(a), Source::Groups(b)) => a == b,
            _ => false,
        }
    }
}

/// `template_*` variables: set by the template action, the same for every host of a job.
fn is_template_var(name: &str) -> bool {
    matches!(
        name,
        "template_host"
            | "template_path"
            | "template_fullpath"
            | "template_destpath"
            | "template_uid"
            | "template_run_date"
            | "template_mtime"
    )
}

/// Two nodes hold the same value (spans aside).
fn same_node(a: &Node, b: &Node) -> bool {
    match (&a.value, &b.value) {
        (Yaml::Null, Yaml::Null) | (Yaml::Vault, Yaml::Vault) => true,
        (Yaml::Bool(x), Yaml::Bool(y)) => x == y,
        (Yaml::Int(x), Yaml::Int(y)) => x == y,
        (Yaml::Float(x), Yaml::Float(y)) => x.to_bits() == y.to_bits(),
        (Yaml::Str(x), Yaml::Str(y))
        | (Yaml::Unsafe(x), Yaml::Unsafe(y))
        | (Yaml::Timestamp(x), Yaml::Timestamp(y)) => x == y,
        (Yaml::Seq(x), Yaml::Seq(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same_node(a, b))
        }
        (Yaml::Map(x), Yaml::Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((ka, va), (kb, vb))| same_node(ka, kb) && same_node(va, vb))
        }
        _ => false,
    }
}

fn hash_node(node: &Node, h: &mut impl Hasher) {
    std::mem::discriminant(&node.value).hash(h);
    match &node.value {
        Yaml::Null | Yaml::Vault => {}
        Yaml::Bool(b) => b.hash(h),
        Yaml::Int(i) => i.hash(h),
        Yaml::Float(f) => f.to_bits().hash(h),
        Yaml::Str(s) | Yaml::Unsafe(s) | Yaml::Timestamp(s) => s.hash(h),
        Yaml::Seq(items) => {
            items.len().hash(h);
            for item in items {
                hash_node(item, h);
            }
        }
        Yaml::Map(entries) => {
            entries.len().hash(h);
            for (k, v) in entries {
                hash_node(k, h);
                hash_node(v, h);
            }
        }
    }
}

/// Content hashes of shared nodes, by address; each node is kept alive so no address is reused.
#[derive(Default)]
struct NodeHashes(HashMap<usize, (Arc<Node>, u64)>);

impl NodeHashes {
    fn hash(&mut self, node: &Arc<Node>) -> u64 {
        let key = Arc::as_ptr(node) as usize;
        if let Some((_, h)) = self.0.get(&key) {
            return *h;
        }
        let mut h = std::collections::hash_map::DefaultHasher::new();
        hash_node(node, &mut h);
        let h = h.finish();
        self.0.insert(key, (node.clone(), h));
        h
    }
}

/// Everything of a job but its host and the host's variables.
struct JobKey {
    template: PathBuf,
    text: Arc<str>,
    overrides: super::TemplateOptions,
    search_paths: Vec<PathBuf>,
    src: String,
    dest: String,
    controller: super::Controller,
    role_path: Option<PathBuf>,
    play_hosts: Option<Arc<[String]>>,
    /// The fleet: compared by its host list's address, kept alive here.
    fleet: Fleet,
}

impl JobKey {
    fn new(fleet: &Fleet, job: &RenderJob) -> JobKey {
        JobKey {
            template: job.template.path.clone(),
            text: job.template.text.clone(),
            overrides: job.overrides.clone(),
            search_paths: job.search_paths.clone(),
            src: job.src.clone(),
            dest: job.dest.clone(),
            controller: job.controller.clone(),
            role_path: job.role_path.clone(),
            play_hosts: job.play_hosts.clone(),
            fleet: fleet.clone(),
        }
    }

    /// What the cache is indexed by (cheap: no variable values).
    fn hash(fleet: &Fleet, job: &RenderJob) -> u64 {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        job.template.path.hash(&mut h);
        job.template.text.len().hash(&mut h);
        job.src.hash(&mut h);
        job.dest.hash(&mut h);
        (fleet.hosts().as_ptr() as usize).hash(&mut h);
        h.finish()
    }

    fn matches(&self, fleet: &Fleet, job: &RenderJob) -> bool {
        let play_hosts = match (&self.play_hosts, &job.play_hosts) {
            (None, None) => true,
            (Some(a), Some(b)) => Arc::ptr_eq(a, b) || a == b,
            _ => false,
        };
        std::ptr::eq(self.fleet.hosts().as_ptr(), fleet.hosts().as_ptr())
            && self.template == job.template.path
            && (Arc::ptr_eq(&self.text, &job.template.text) || self.text == job.template.text)
            && self.src == job.src
            && self.dest == job.dest
            && self.overrides == job.overrides
            && self.search_paths == job.search_paths
            && self.role_path == job.role_path
            && self.controller == job.controller
            && play_hosts
    }
}

/// The renders done for one set of names read.
struct ReadSet {
    reads: Reads,
    /// Hash of the sources → (sources, outcome).
    outcomes: HashMap<u64, Vec<(Vec<Source>, RenderOutcome)>>,
}

#[derive(Default)]
struct Inner {
    /// Job hash → the jobs with that hash and their renders.
    jobs: HashMap<u64, Vec<(JobKey, Vec<ReadSet>)>>,
    hashes: NodeHashes,
}

/// Outcomes by job and by the sources of the names each render read.
#[derive(Default)]
pub(crate) struct RenderCache {
    inner: Mutex<Inner>,
    /// Renders answered from the cache (for tests and measurements).
    hits: std::sync::atomic::AtomicUsize,
}

impl RenderCache {
    /// The outcome of a render of an equal job whose reads have the same sources for this
    /// job's host.
    pub(crate) fn get(&self, fleet: &Fleet, job: &RenderJob) -> Option<RenderOutcome> {
        let key = JobKey::hash(fleet, job);
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let Inner { jobs, hashes } = &mut *inner;
        let (_, sets) = jobs
            .get(&key)?
            .iter()
            .find(|(k, _)| k.matches(fleet, job))?;
        for set in sets {
            let (hash, sources) = sources_of(fleet, job, &set.reads, hashes);
            let found = set.outcomes.get(&hash).and_then(|list| {
                list.iter().find(|(s, _)| {
                    s.len() == sources.len() && s.iter().zip(&sources).all(|(a, b)| a.same(b))
                })
            });
            if let Some((_, outcome)) = found {
                self.hits.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                return Some(outcome.clone());
            }
        }
        None
    }

    /// Keeps `outcome`, which a render of `job` produced reading `reads`.
    pub(crate) fn put(
        &self,
        fleet: &Fleet,
        job: &RenderJob,
        reads: Reads,
        outcome: &RenderOutcome,
    ) {
        if reads.whole_scope {
            return;
        }
        let key = JobKey::hash(fleet, job);
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let Inner { jobs, hashes } = &mut *inner;
        let (hash, sources) = sources_of(fleet, job, &reads, hashes);
        if sources.iter().any(|s| matches!(s, Source::HostName(_))) {
            // Only this host can ever share it: keeping it would cost memory for nothing.
            return;
        }
        let same_hash = jobs.entry(key).or_default();
        let at = match same_hash.iter().position(|(k, _)| k.matches(fleet, job)) {
            Some(at) => at,
            None => {
                same_hash.push((JobKey::new(fleet, job), Vec::new()));
                same_hash.len() - 1
            }
        };
        let sets = &mut same_hash[at].1;
        let index = match sets.iter().position(|s| s.reads == reads) {
            Some(i) => i,
            None if sets.len() < MAX_READ_SETS => {
                sets.push(ReadSet {
                    reads,
                    outcomes: HashMap::new(),
                });
                sets.len() - 1
            }
            None => return,
        };
        sets[index]
            .outcomes
            .entry(hash)
            .or_default()
            .push((sources, outcome.clone()));
    }
}

#[cfg(test)]
impl RenderCache {
    pub(crate) fn hits(&self) -> usize {
        self.hits.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// The sources of `reads` for the job's host, and their hash.
fn sources_of(
    fleet: &Fleet,
    job: &RenderJob,
    reads: &Reads,
    hashes: &mut NodeHashes,
) -> (u64, Vec<Source>) {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    let sources: Vec<Source> = reads
        .iter()
        .map(|(name, top)| {
            let source = Source::of(fleet, job, top, name);
            source.hash_into(&mut h, hashes);
            source
        })
        .collect();
    (h.finish(), sources)
}

#[cfg(test)]
mod tests {
    use super::super::{Host, Renderer, TemplateSource};
    use super::*;
    use crate::source::{FileId, Span};
    use indexmap::IndexMap;

    fn node(value: Yaml, at: usize) -> Arc<Node> {
        Arc::new(Node {
            value,
            span: Span::new(FileId(0), at, at),
        })
    }

    fn s(x: &str) -> Yaml {
        Yaml::Str(x.into())
    }

    /// Twelve hosts whose variables agree and differ in every way a render can see: shared
    /// group values, equal values written in separate host files, templated values that
    /// read the host name, a vaulted value, missing names, different groups.
    fn fleet() -> Fleet {
        let shared_vsz = node(s("1G"), 1);
        let users = node(
            Yaml::Seq(vec![
                (*node(s("ann"), 2)).clone(),
                (*node(s("bob"), 3)).clone(),
            ]),
            4,
        );
        let mut hosts = Vec::new();
        for i in 0..12 {
            let mut vars = crate::ansible::Vars::new();
            match i % 4 {
                0 => {
                    vars.insert("vsz".into(), shared_vsz.clone());
                }
                1 => {
                    vars.insert("vsz".into(), node(s("1G"), 100 + i));
                }
                2 => {
                    vars.insert("vsz".into(), node(s("512M"), 100 + i));
                }
                _ => {}
            }
            vars.insert("port".into(), node(Yaml::Int(993), 200 + i));
            vars.insert("users".into(), users.clone());
            if i % 3 == 0 {
                vars.insert(
                    "greeting".into(),
                    node(s("hi {{ inventory_hostname_short }}"), 300),
                );
            } else {
                vars.insert("greeting".into(), node(s("hi {{ port }}"), 301));
            }
            vars.insert("idx".into(), node(Yaml::Int((i % 2) as i128), 400 + i));
            vars.insert("v0".into(), node(s("zero"), 500));
            vars.insert("v1".into(), node(s("one"), 501));
            if i == 5 {
                vars.insert("secret".into(), node(Yaml::Vault, 600));
            }
            let group = if i < 6 { "a" } else { "b" };
            hosts.push(Host {
                name: format!("mx{}.example.org", i / 2),
                vars,
                group_names: vec![group.into()],
            });
            // Two hosts per short name (`inventory_hostname_short`), each its own full name.
            hosts
                .last_mut()
                .unwrap()
                .name
                .push_str(&format!("{}", i % 2));
        }
        let mut groups = IndexMap::new();
        let names: Vec<String> = hosts.iter().map(|h| h.name.clone()).collect();
        groups.insert("all".to_string(), names.clone());
        groups.insert("a".to_string(), names[..6].to_vec());
        groups.insert("b".to_string(), names[6..].to_vec());
        Fleet::new(hosts, groups)
    }

    const TEMPLATES: &[&str] = &[
        "vsz={{ vsz }}\nport={{ port }}\n",
        "{% if 'a' in group_names %}{{ users | join(',') }}{% else %}{{ greeting }}{% endif %}\n",
        "{{ hostvars[inventory_hostname].vsz | default('none') }} {{ secret | default('x') }}\n",
        "{{ vsz }} {{ not_defined_anywhere }} {{ also_missing }}\n",
        "{{ item }} {{ task_only | default('d') }} {{ greeting }}\n",
        "{{ lookup('vars', 'v' ~ idx) }} {{ inventory_hostname_short }}\n",
        "{{ reg.stdout | default('') }}{{ ansible_default_ipv4.address | default('') }}\n",
        "{{ groups['a'] | length }} {{ ansible_play_hosts | length }} {{ template_destpath }}\n",
    ];

    fn job(text: &str, host: usize) -> RenderJob {
        let mut job = RenderJob::new(
            TemplateSource {
                path: PathBuf::from("t.j2"),
                text: Arc::from(text),
            },
            host,
        );
        job.dest = "/etc/t.conf".into();
        Arc::make_mut(&mut job.task_vars)
            .insert("item".into(), node(Yaml::Int((host % 3) as i128), 700));
        if host % 5 == 0 {
            job.runtime
                .insert("reg".into(), "registered by a task".into());
        }
        job
    }

    #[test]
    fn a_cached_outcome_equals_a_fresh_render_for_every_host() {
        let fleet = fleet();
        let cached = Renderer::new();
        let fresh = Renderer::new();
        let mut renders = 0;
        for text in TEMPLATES {
            // Twice over the hosts, forwards then backwards: hits come from either direction.
            let order: Vec<usize> = (0..12).chain((0..12).rev()).collect();
            for host in order {
                let job = job(text, host);
                let got = cached.render(&fleet, &job);
                let want = fresh.render_uncached(&fleet, &job);
                renders += 1;
                let what = format!("template {text:?}, host {host}");
                assert_eq!(got.text, want.text, "{what}");
                assert_eq!(got.spans, want.spans, "{what}");
                assert_eq!(got.problems, want.problems, "{what}");
            }
        }
        let hits = cached.cache.hits();
        // The second pass over the hosts always hits; the first one hits where hosts agree.
        assert!(hits > renders / 2, "{hits} of {renders}");
        assert!(hits < renders, "{hits} of {renders}");
        assert_eq!(fresh.cache.hits(), 0);
    }

    #[test]
    fn hosts_differing_only_where_a_template_does_not_look_share_its_render() {
        let fleet = fleet();
        let renderer = Renderer::new();
        // Hosts 0, 4 and 8 read the shared `1G` node, host 1 and 5 an equal value of their
        // own: one render for `vsz` across all of them.
        for host in [0, 4, 8, 1, 5, 9] {
            let out = renderer.render(&fleet, &job("{{ vsz }}\n", host));
            assert_eq!(out.text.as_deref(), Some("1G\n"));
        }
        assert_eq!(renderer.cache.hits(), 5);
        // A template printing the host name renders once per host.
        for host in 0..4 {
            renderer.render(&fleet, &job("{{ inventory_hostname }}\n", host));
        }
        assert_eq!(renderer.cache.hits(), 5);
    }
}
