//! model::dovecot: the effective Dovecot configuration — version, protocols, and the effective
//! vsz limit of every service, each with the span that decided it.
//!
//! Applies parsed statements the way `config_parser_apply_line()` does (section stack, filters,
//! slash paths, 2.4 auto-prefixing and groups) and resolves limits as
//! `docs/dovecot.md` §3 describes. Knows nothing about pest or output.

mod apply;
pub mod listeners;
mod resolve;
pub(crate) mod schema;

use crate::config::Settings;
use crate::diagnostic::FileError;
use crate::model::size::Size;
use crate::parse::dovecot::{parse_loaded, read_source, Document};
use crate::source::{FileId, SourceDb, Span};
pub use apply::{Assignment, Scope};
pub use listeners::Listener;
pub use resolve::{COMPILED_DEFAULT_VSZ, MAILBOX_SERVICES, MIN_SERVICE_VSZ};
use std::path::Path;

/// The configuration language version mxlint reads a file as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DovecotVersion {
    V2_3,
    V2_4,
}

impl DovecotVersion {
    pub fn as_str(self) -> &'static str {
        match self {
            DovecotVersion::V2_3 => "2.3",
            DovecotVersion::V2_4 => "2.4",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text.trim() {
            "2.3" => Some(DovecotVersion::V2_3),
            "2.4" => Some(DovecotVersion::V2_4),
            _ => None,
        }
    }
}

/// Where the target version came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VersionOrigin {
    /// `--dovecot-version` or `.mxlint.yml`.
    Settings,
    /// The file has `dovecot_config_version`.
    File,
    /// Nothing said: 2.3.
    Default,
}

/// A vsz limit as the master applies it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum VszLimit {
    Bytes(u64),
    Unlimited,
    /// Decided only at run time (`$ENV:…`, `<file`): mxlint cannot know it.
    Unknown,
}

impl From<Size> for VszLimit {
    fn from(size: Size) -> Self {
        match size {
            Size::Bytes(b) => VszLimit::Bytes(b),
            Size::Unlimited => VszLimit::Unlimited,
        }
    }
}

/// Which setting decided a service's limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LimitOrigin {
    /// `service S { vsz_limit }` (or a slash path, or a group applied to it).
    Service(Span),
    /// 2.4 top-level `service_vsz_limit`.
    ServiceDefault(Span),
    /// Top-level `default_vsz_limit`.
    DefaultVszLimit(Span),
    /// Nothing set it: the compiled default of 256 MiB.
    Compiled,
}

impl LimitOrigin {
    pub fn span(self) -> Option<Span> {
        match self {
            LimitOrigin::Service(s)
            | LimitOrigin::ServiceDefault(s)
            | LimitOrigin::DefaultVszLimit(s) => Some(s),
            LimitOrigin::Compiled => None,
        }
    }

    pub fn kind(self) -> &'static str {
        match self {
            LimitOrigin::Service(_) => "service",
            LimitOrigin::ServiceDefault(_) => "service_vsz_limit",
            LimitOrigin::DefaultVszLimit(_) => "default_vsz_limit",
            LimitOrigin::Compiled => "compiled-default",
        }
    }
}

/// One service's effective limit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceLimit {
    pub name: String,
    /// The service's protocol is empty or listed in `protocols`.
    pub enabled: bool,
    /// The service opens mailboxes (imap, pop3, lmtp, indexer-worker, …).
    pub opens_mailboxes: bool,
    pub limit: VszLimit,
    pub origin: LimitOrigin,
}

/// Something Dovecot refuses (or, for `NoEffect`, accepts and ignores).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub span: Span,
    pub kind: ProblemKind,
    /// Dovecot's own message where it has one.
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProblemKind {
    /// doveconf refuses the line (MX201).
    Syntax,
    /// A setting or section name this version does not know, with the closest real one.
    UnknownSetting {
        key: String,
        suggestion: Option<String>,
    },
    /// Syntax or settings of the other major version (MX202).
    Version { help: String },
    /// A vsz value the server refuses (MX305).
    VszInvalid,
}

/// A vsz setting that Dovecot accepts where it has no effect (MX304).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoEffect {
    pub key: String,
    pub line: Span,
    /// Where the enclosing section starts.
    pub section: String,
}

/// The top-level `default_vsz_limit` in force.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GlobalLimit {
    pub limit: VszLimit,
    pub value: Span,
    pub line: Span,
}

/// The effective configuration of one dovecot.conf (with its includes).
#[derive(Debug)]
pub struct DovecotConfig {
    pub version: DovecotVersion,
    pub version_origin: VersionOrigin,
    pub document: Document,
    pub problems: Vec<Problem>,
    pub protocols: Vec<String>,
    pub services: Vec<ServiceLimit>,
    /// Every inet listener the master would create, compiled-in ones included.
    pub listeners: Vec<Listener>,
    /// The last top-level line that sets `protocols` (a 2.4 `protocols { }` item included).
    pub protocols_span: Option<Span>,
    /// For each enabled protocol, the top-level line that enabled it; protocols enabled by
    /// the compiled default have none.
    pub protocol_lines: Vec<(String, Span)>,
    /// The effective top-level `default_vsz_limit`, if any line sets it.
    pub default_vsz_limit: Option<GlobalLimit>,
    pub no_effect: Vec<NoEffect>,
    /// Where a new global setting belongs: after `protocols`, else after the version lines,
    /// else at the top of the file. An empty span: insert there.
    pub insert_point: Span,
    /// The top file's line ending, for inserted lines.
    pub newline: &'static str,
}

impl DovecotConfig {
    pub fn root(&self) -> FileId {
        self.document.root()
    }

    pub fn service(&self, name: &str) -> Option<&ServiceLimit> {
        self.services.iter().find(|s| s.name == name)
    }
}

/// Reads `path` (and its includes) into `db` and resolves it.
pub fn load(
    db: &mut SourceDb,
    path: &Path,
    settings: &Settings,
) -> Result<DovecotConfig, FileError> {
    let root = read_source(db, path)?;
    Ok(load_loaded(db, root, settings))
}

/// Resolves a file already in `db` (includes are read from disk).
pub fn load_loaded(db: &mut SourceDb, root: FileId, settings: &Settings) -> DovecotConfig {
    let (version, origin) = version_of(db, root, settings);
    let document = parse_loaded(db, root, version);
    finish(db, document, origin)
}

/// Resolves a rendered `dovecot.conf` whose includes are the host's other rendered files. It only
/// reads `db`, so hosts can be resolved side by side.
pub fn load_virtual(
    db: &SourceDb,
    root: FileId,
    settings: &Settings,
    vfs: &crate::parse::dovecot::VirtualFs,
) -> DovecotConfig {
    let (version, origin) = version_of(db, root, settings);
    let document = crate::parse::dovecot::parse_virtual(db, root, version, vfs);
    finish(db, document, origin)
}

/// The configuration's version: the settings', else 2.4 when the file declares one, else 2.3.
fn version_of(db: &SourceDb, root: FileId, settings: &Settings) -> (DovecotVersion, VersionOrigin) {
    match settings.dovecot_version {
        Some(v) => (v, VersionOrigin::Settings),
        None if declares_config_version(db.file(root).text()) => {
            (DovecotVersion::V2_4, VersionOrigin::File)
        }
        None => (DovecotVersion::V2_3, VersionOrigin::Default),
    }
}

fn finish(db: &SourceDb, document: Document, version_origin: VersionOrigin) -> DovecotConfig {
    let applied = apply::apply(&document);
    resolve::resolve(db, document, applied, version_origin)
}

/// Whether any line sets `dovecot_config_version` (only 2.4 files do).
fn declares_config_version(text: &str) -> bool {
    text.lines().any(|line| {
        let line = line.trim_start_matches([' ', '\t']);
        let line = line.strip_prefix('"').unwrap_or(line);
        line.strip_prefix("dovecot_config_version")
            .is_some_and(|rest| rest.starts_with([' ', '\t', '=', '"']))
    })
}
