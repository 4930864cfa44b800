//! model::dovecot: the effective Dovecot configuration — version, protocols, and the effective
//! vsz limit of every service, each with the span that decided it.
//!
//! Applies parsed statements the way `config_parser_apply_line()` does (section stack, filters,
//! slash paths, 2.4 auto-prefixing and groups) and resolves limits as
//! `docs/dovecot.md` §3 describes. Knows nothing about pest or output.

use crate::config::Settings;
use crate::diagnostic::FileError;
use crate::model::size::Size;
use crate::source::{SourceDb, Span};
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

/// The effective configuration of one dovecot.conf (with its includes).
#[derive(Debug)]
pub struct DovecotConfig {
    pub version: DovecotVersion,
    pub version_origin: VersionOrigin,
    pub protocols: Vec<String>,
    pub services: Vec<ServiceLimit>,
}

/// Reads `path` (and its includes) into `db` and resolves it.
pub fn load(
    _db: &mut SourceDb,
    _path: &Path,
    _settings: &Settings,
) -> Result<DovecotConfig, FileError> {
    todo!("dovecot model")
}
