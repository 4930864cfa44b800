//! config: the effective settings of one run — defaults, then `.mxlint.yml`, then CLI flags.
//!
//! Knows nothing about rules beyond their selectors, and nothing about output.

use crate::model::dovecot::DovecotVersion;
use crate::rules::Selection;

/// 1 GiB: the smallest `default_vsz_limit` mxlint accepts unless configured otherwise.
pub const DEFAULT_MIN_VSZ_LIMIT: u64 = 1 << 30;

/// Everything a check needs to know beyond the files themselves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// Forced Dovecot version; `None` = detect from the file (`dovecot_config_version`).
    pub dovecot_version: Option<DovecotVersion>,
    /// Minimum acceptable vsz limit for mailbox services, in bytes.
    pub min_vsz_limit: u64,
    pub selection: Selection,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            dovecot_version: None,
            min_vsz_limit: DEFAULT_MIN_VSZ_LIMIT,
            selection: Selection::default(),
        }
    }
}
