//! parse: text → typed syntax trees with byte spans. pest types never leave this module.

pub mod dovecot;
pub mod fail2ban;
pub mod firewalld;
pub mod postfix;
