//! parse: text → typed syntax trees with byte spans. pest types never leave this module.

pub mod dovecot;
pub mod firewalld;
pub mod postfix;
