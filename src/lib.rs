//! mxlint: a pre-deployment linter for Ansible-managed mail servers.
//!
//! The pipeline runs one way (see `docs/architecture.md`):
//!
//! ```text
//! files on disk → parse (pest grammars, spans) → model (effective values) → rules → report
//! ```
//!
//! - [`source`] owns file texts and turns byte spans into lines and columns;
//! - [`parse`] turns text into syntax trees (pest stays inside it);
//! - [`model`] resolves what the daemon would actually run with;
//! - [`rules`] read the model and produce [`diagnostic::Diagnostic`]s;
//! - [`report`] turns diagnostics into human, concise or JSON output.
//!
//! The library never prints; the binary in `main.rs` maps results to exit codes.
#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod ansible;
pub mod cli;
pub mod config;
pub mod diagnostic;
pub mod fix;
pub mod model;
pub mod parse;
pub mod redact;
pub mod render;
pub mod report;
pub mod rules;
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
}

/// Checks plain Dovecot configuration files (each with its includes).
pub fn check_paths(paths: &[&Path], settings: &config::Settings) -> Outcome {
    let mut outcome = Outcome::default();
    for path in paths {
        match model::dovecot::load(&mut outcome.db, path, settings) {
            Ok(config) => outcome
                .diagnostics
                .extend(rules::check_dovecot(&config, settings)),
            Err(error) => outcome.errors.push(error),
        }
    }
    suppress::apply(&outcome.db, &mut outcome.diagnostics);
    outcome
}
