//! model: what the daemons would actually run with, resolved from syntax trees.
//!
//! Each submodule turns one parser's output into effective values (with the span that set each
//! value) and knows the daemon's defaults. Rules read only these types.

pub mod dovecot;
pub mod exposure;
pub mod fail2ban;
pub mod firewall;
pub mod host;
pub mod postfix;
pub mod size;
