//! mxlint: a pre-deployment linter for Ansible-managed mail servers.
//!
//! The pipeline runs one way (see `docs/architecture.md`):
//!
//! ```text
//! repo on disk → ansible (inventory, vars, tasks) → render (minijinja) → parse (pest grammars,
//! spans) → model (effective values) → rules → report
//! ```
//!
//! - [`ansible`] reads inventories, variables and playbooks as Ansible does;
//! - [`render`] renders templates per host as Ansible's `template` module, with a span map;
//! - [`repo`] runs the whole pipeline over a repository and maps findings back to templates;
//! - [`source`] owns file texts and turns byte spans into lines and columns;
//! - [`parse`] turns text into syntax trees (pest stays inside it);
//! - [`model`] resolves what the daemon would actually run with;
//! - [`rules`] read the model and produce [`diagnostic::Diagnostic`]s;
//! - [`report`] turns diagnostics into human, concise or JSON output;
//! - [`explain`] recognises daemon log lines and names the rules that catch their causes.
//!
//! The library never prints; the binary in `main.rs` maps results to exit codes.
#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod ansible;
pub mod baseline;
pub mod cli;
pub mod config;
pub mod diagnostic;
pub mod explain;
pub mod fix;
#[doc(hidden)]
pub mod fuzzing;
pub mod lsp;
pub mod model;
pub mod net;
pub mod parse;
pub mod plain;
pub mod redact;
pub mod render;
pub mod repo;
pub mod report;
pub mod rules;
pub mod shard;
pub mod source;
pub mod suggest;
pub mod suppress;

use diagnostic::{Diagnostic, FileError};
use source::SourceDb;
use std::path::Path;

/// Everything one check run found.
#[derive(Debug, Default)]
pub struct Outcome {
    pub db: SourceDb,
    pub diagnostics: Vec<Diagnostic>,
    pub errors: Vec<FileError>,
    /// Findings dropped because a baseline file lists them (`--baseline`).
    pub baselined: usize,
    /// What each repository check covered (hosts, used suppressions), in target order.
    pub repos: Vec<repo::RepoRun>,
}

/// Whether `check` reads `path` as an Ansible repository (a directory, unless it is a fail2ban
/// directory such as `/etc/fail2ban`) rather than as plain configuration.
pub fn is_repo_target(path: &Path) -> bool {
    path.is_dir() && (repo::is_ansible_repo(path) || !plain::is_fail2ban_dir(path))
}

/// Checks each target: a directory as an Ansible repository ([`repo::check_repo`], with the
/// options `repo_options` gives for it), files (and a fail2ban directory) as plain
/// configuration ([`plain`]).
pub fn check_targets(
    targets: &[&Path],
    repo_options: impl Fn(&Path) -> repo::RepoOptions,
    settings: &config::Settings,
) -> Outcome {
    check_targets_with_overlay(targets, source::Overlay::default(), repo_options, settings)
}

/// [`check_targets`] reading the texts of `overlay` (an editor's unsaved buffers) instead of
/// those files on disk; findings in them point into those texts.
pub fn check_targets_with_overlay(
    targets: &[&Path],
    overlay: source::Overlay,
    repo_options: impl Fn(&Path) -> repo::RepoOptions,
    settings: &config::Settings,
) -> Outcome {
    // A fail2ban directory (`/etc/fail2ban`) is a plain target; other directories are repositories.
    let (dirs, files): (Vec<&Path>, Vec<&Path>) = targets.iter().partition(|p| is_repo_target(p));
    let mut outcome = Outcome {
        db: SourceDb::with_overlay(overlay),
        ..Outcome::default()
    };
    for dir in dirs {
        let options = repo_options(dir);
        let given = !options.inventory.is_empty() || !options.playbooks.is_empty();
        if !given && !repo::is_ansible_repo(dir) {
            outcome.errors.push(FileError {
                path: dir.to_path_buf(),
                position: None,
                message: "not an Ansible repository (no ansible.cfg, inventory, roles/, group_vars/ or playbooks/ here); pass -i/--playbook, or name Dovecot files to check".into(),
            });
            continue;
        }
        let (mut found, run) = repo::check_repo_run(&mut outcome.db, dir, &options, settings);
        outcome.diagnostics.append(&mut found);
        outcome.repos.push(run);
    }
    let first_file = outcome.db.len();
    let (hosts, errors) = plain::load_hosts(&mut outcome.db, &files, settings);
    outcome.errors.extend(errors);
    let mut suppressor = suppress::Suppressor::new();
    for host in &hosts {
        let mut found = rules::check(&rules::Context::for_host(host, settings));
        suppressor.apply(&outcome.db, &mut found);
        outcome.diagnostics.append(&mut found);
    }
    let checked: Vec<source::FileId> = (first_file..outcome.db.len())
        .map(|i| source::FileId(i as u32))
        .filter(|id| !outcome.db.is_builtin(*id))
        .collect();
    let mut found = suppressor.report(&outcome.db, checked, &settings.selection);
    outcome.diagnostics.append(&mut found);
    config::apply_to_findings(settings, &outcome.db, &mut outcome.diagnostics);
    outcome
}

/// Checks an Ansible repository: every template for every host (see [`repo`]).
pub fn check_repo(
    root: &Path,
    options: &repo::RepoOptions,
    settings: &config::Settings,
) -> Outcome {
    let mut db = SourceDb::new();
    let (diagnostics, run) = repo::check_repo_run(&mut db, root, options, settings);
    Outcome {
        db,
        diagnostics,
        repos: vec![run],
        ..Outcome::default()
    }
}

/// Checks plain Dovecot configuration files (each with its includes); directories are checked
/// as Ansible repositories with default options.
pub fn check_paths(paths: &[&Path], settings: &config::Settings) -> Outcome {
    check_targets(paths, |_| repo::RepoOptions::default(), settings)
}
