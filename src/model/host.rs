//! model::host: one host's mail stack as the rules see it — each part present only when the
//! repository (or the files given) configures it.

use crate::model::dovecot::DovecotConfig;
use crate::model::fail2ban::{Fail2banConfig, Trusted};
use crate::model::firewall::FirewallHost;
use crate::model::postfix::PostfixModel;

#[derive(Debug, Default)]
pub struct MailHost {
    /// The inventory name, or the file name for plain files.
    pub name: String,
    pub dovecot: Option<DovecotConfig>,
    /// From `master.cf` (with `main.cf` when there is one).
    /// Shared by hosts whose Postfix files read alike.
    pub postfix: Option<std::sync::Arc<PostfixModel>>,
    /// Shared by hosts whose fail2ban files read alike.
    pub fail2ban: Option<std::sync::Arc<Fail2banConfig>>,
    /// Only for hosts whose firewalld the repository manages: a firewalld task, a
    /// `firewall-cmd` command or a zone file applies to the host.
    pub firewall: Option<FirewallHost>,
    /// Networks every enabled mail jail must ignore.
    pub trusted: Vec<Trusted>,
}
