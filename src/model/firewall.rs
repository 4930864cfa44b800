//! model::firewall: what a host's firewalld opens, per zone, from the zone files and service
//! files the repository writes and the changes its tasks make.
//!
//! Semantics (firewalld 1.3.3 `firewall.core.fw`, ansible.posix.firewalld `main()`):
//! - a zone file in `/etc/firewalld/zones/` **replaces** the stock zone of that name entirely;
//!   without one, the stock content applies (`public`: ssh, dhcpv6-client);
//! - changes ([`FirewallOp`]) apply in task order on top of that: `enable` adds, otherwise removes;
//! - a change is in effect now when it is runtime (`immediate`), or permanent and followed by a
//!   reload, or made offline (firewalld reads the permanent configuration when it starts). A
//!   permanent change without either is not in effect until someone reloads (MX403);
//! - user service files make their names legal and define their ports.
//!
//! The Ansible side (tasks, loops, handlers) builds [`FirewallHost`]; this module only reads it.

pub mod catalogue;

use crate::config::FirewalldVersion;
pub use crate::parse::firewalld::{
    parse_firewall_cmd, CmdEffect, CmdTarget, RichElement, RichRule, UserService, WordRange, Zone,
    ZonePort,
};
use crate::source::Span;
use catalogue::{resolve_port, service_ports, PortSpec};

/// What a change adds or removes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum OpTarget {
    Service(String),
    /// `port`: a number, `A-B` range or `/etc/services` name; `proto`: tcp, udp, sctp, dccp.
    Port {
        port: String,
        proto: String,
    },
    /// The rich rule's text.
    RichRule(String),
    /// Anything else (source, interface, masquerade, target, …): no effect on open ports.
    Other,
}

impl From<CmdTarget> for OpTarget {
    fn from(target: CmdTarget) -> Self {
        match target {
            CmdTarget::Service(s) => OpTarget::Service(s),
            CmdTarget::Port { port, proto } => OpTarget::Port { port, proto },
            CmdTarget::RichRule(r) => OpTarget::RichRule(r),
            CmdTarget::Other(_) => OpTarget::Other,
        }
    }
}

/// Where a change was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OpOrigin {
    /// An `ansible.posix.firewalld` / `firewalld` task.
    Module,
    /// A `firewall-cmd` / `firewall-offline-cmd` in a `command` or `shell` task.
    Command,
}

/// One zone change, as a task makes it on one host.
///
/// For module tasks, fill `permanent`/`immediate` as written (`immediate` true also when the
/// module forces it: neither set ⇒ immediate) and `reloaded` when a reload (handler or
/// `firewall-cmd --reload` task) runs after it. For commands, `immediate` is `!permanent`
/// (firewall-cmd changes either runtime or permanent) unless `--runtime-to-permanent` follows
/// (then both). [`FirewallHost::add_command`] does this for one command line.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FirewallOp {
    pub target: OpTarget,
    /// `zone:` / `--zone`; None means the default zone.
    pub zone: Option<String>,
    pub permanent: bool,
    pub immediate: bool,
    /// `state: enabled` / `--add-*` (false: `disabled` / `--remove-*`).
    pub enable: bool,
    pub offline: bool,
    /// A reload runs after this change.
    pub reloaded: bool,
    pub origin: OpOrigin,
    /// The task (or its line) that makes the change.
    pub span: Span,
    /// Where the service, port or rule is written (the loop item, `--add-service=` value, …).
    pub name_span: Span,
    /// The YAML list `name_span` is an entry of, when the task loops over literal data.
    pub list: Option<std::sync::Arc<ListSite>>,
}

/// A YAML list of names a task loops over, as written: where one more entry goes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ListSite {
    /// Where a new entry is inserted (an empty span).
    pub at: Span,
    /// What goes before and after the new entry's name (`"\n  - "` and `""` for a block
    /// list, `", "` for a flow list; the quote of the last entry on both sides).
    pub before: String,
    pub after: String,
    /// The entries already there: their text and place.
    pub entries: Vec<(String, Span)>,
}

impl ListSite {
    /// The edit that appends `name` to the list.
    pub fn append(&self, name: &str) -> crate::diagnostic::Edit {
        crate::diagnostic::Edit::new(self.at, format!("{}{name}{}", self.before, self.after))
    }

    pub fn contains(&self, name: &str) -> bool {
        self.entries.iter().any(|(e, _)| e == name)
    }
}

impl FirewallOp {
    /// In effect now: runtime, or permanent and reloaded, or offline.
    pub fn in_effect(&self) -> bool {
        self.immediate || (self.permanent && (self.reloaded || self.offline))
    }
}

/// A host whose firewalld the repository manages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FirewallHost {
    /// From settings (`firewalld.default-zone`), or `--set-default-zone`.
    pub default_zone: String,
    /// Changes in task order.
    pub ops: Vec<FirewallOp>,
    /// Zone files written to `/etc/firewalld/zones/`.
    pub zones: Vec<Zone>,
    /// Service files written to `/etc/firewalld/services/`.
    pub services: Vec<UserService>,
}

/// What opens a port, for the finding's related location.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Opening {
    /// `service smtp-submission`, `port 587/tcp`, `rich rule`.
    pub via: String,
    /// Where that is written; None for stock zone content.
    pub span: Option<Span>,
    /// Open now but lost on the next reload (a runtime-only change).
    pub runtime_only: bool,
}

/// The services of a stock zone. FedoraServer's content is Fedora's documented default
/// (ssh, dhcpv6-client, cockpit); the file itself was not available to check.
pub fn stock_zone_services(zone: &str) -> &'static [&'static str] {
    match zone {
        "public" | "work" => &["ssh", "dhcpv6-client"],
        "external" | "dmz" => &["ssh"],
        "home" | "internal" => &["ssh", "mdns", "samba-client", "dhcpv6-client"],
        "FedoraServer" => &["ssh", "dhcpv6-client", "cockpit"],
        "FedoraWorkstation" => &["dhcpv6-client", "ssh", "samba-client"],
        _ => &[],
    }
}

/// One entry of a zone's effective content while ops are applied.
#[derive(Clone, Debug)]
struct Entry {
    key: OpTarget,
    opening: Opening,
}

impl FirewallHost {
    pub fn new(default_zone: impl Into<String>) -> Self {
        FirewallHost {
            default_zone: default_zone.into(),
            ops: Vec::new(),
            zones: Vec::new(),
            services: Vec::new(),
        }
    }

    /// The zone an op changes.
    pub fn zone_of<'a>(&'a self, op: &'a FirewallOp) -> &'a str {
        op.zone.as_deref().unwrap_or(&self.default_zone)
    }

    /// The zone file the repository writes for `zone`.
    pub fn zone_file(&self, zone: &str) -> Option<&Zone> {
        self.zones.iter().rev().find(|z| z.name == zone)
    }

    /// True when `name` is a service on this host: a user service file or a stock service
    /// (stock services of unsure release count as defined).
    pub fn service_defined(&self, version: FirewalldVersion, name: &str) -> bool {
        self.services.iter().any(|s| s.name == name)
            || catalogue::defines(version, name) != catalogue::Defined::No
    }

    /// The ports a service opens: the user's file wins over the stock one.
    pub fn service_ports(&self, version: FirewalldVersion, name: &str) -> Vec<PortSpec> {
        let Some(user) = self.services.iter().rev().find(|s| s.name == name) else {
            return service_ports(version, name);
        };
        let mut out: Vec<PortSpec> = user
            .ports
            .iter()
            .filter_map(|p| port_spec(&p.port, &p.protocol))
            .collect();
        for include in user.includes.iter().filter(|i| i.name != name).take(16) {
            out.extend(service_ports(version, &include.name));
        }
        out
    }

    /// Whether `port/proto` is open now in `zone`, and by what.
    pub fn opens(
        &self,
        version: FirewalldVersion,
        zone: &str,
        port: u16,
        proto: &str,
    ) -> Option<Opening> {
        let accept_all = match self.zone_file(zone) {
            Some(file) => file
                .target
                .as_ref()
                .filter(|t| t.name == "ACCEPT")
                .map(|t| Some(t.span)),
            None => (zone == "trusted").then_some(None),
        };
        if let Some(span) = accept_all {
            return Some(Opening {
                via: "target ACCEPT".into(),
                span,
                runtime_only: false,
            });
        }
        self.effective(zone)
            .into_iter()
            .find(|e| self.entry_opens(version, &e.key, port, proto))
            .map(|e| e.opening)
    }

    /// What `zone` holds now — services, ports and accepting rich rules of its file or stock
    /// content, then every op in effect, in order — each with what opens it (`mxlint show`).
    pub fn effective_entries(&self, zone: &str) -> Vec<(OpTarget, Opening)> {
        self.effective(zone)
            .into_iter()
            .map(|e| (e.key, e.opening))
            .collect()
    }

    /// Every zone the host touches: the default zone, the zone files, the zones ops change;
    /// each once, in that order.
    pub fn touched_zones(&self) -> Vec<&str> {
        let mut out: Vec<&str> = vec![&self.default_zone];
        let named = self
            .zones
            .iter()
            .map(|z| z.name.as_str())
            .chain(self.ops.iter().map(|op| self.zone_of(op)));
        for zone in named {
            if !out.contains(&zone) {
                out.push(zone);
            }
        }
        out
    }

    /// The zone's content now: its file or stock content, then every op in effect, in order.
    fn effective(&self, zone: &str) -> Vec<Entry> {
        let mut entries = match self.zone_file(zone) {
            Some(file) => file_entries(file),
            None => stock_zone_services(zone)
                .iter()
                .map(|s| Entry {
                    key: OpTarget::Service(s.to_string()),
                    opening: Opening {
                        via: format!("service {s}"),
                        span: None,
                        runtime_only: false,
                    },
                })
                .collect(),
        };
        for op in self
            .ops
            .iter()
            .filter(|op| self.zone_of(op) == zone && op.in_effect())
        {
            if matches!(op.target, OpTarget::Other) {
                continue;
            }
            entries.retain(|e| e.key != op.target);
            if op.enable {
                entries.push(Entry {
                    key: op.target.clone(),
                    opening: Opening {
                        via: describe(&op.target),
                        span: Some(op.name_span),
                        runtime_only: !op.permanent && !op.offline,
                    },
                });
            }
        }
        entries
    }

    /// The ports a zone entry opens: a service's, a port's, an accepting rich rule's element's.
    pub fn entry_ports(&self, version: FirewalldVersion, key: &OpTarget) -> Vec<PortSpec> {
        match key {
            OpTarget::Service(name) => self.service_ports(version, name),
            OpTarget::Port { port, proto } => port_spec(port, proto).into_iter().collect(),
            OpTarget::RichRule(text) => {
                let rule = crate::parse::firewalld::parse_rich_rule(
                    text,
                    Span::new(crate::source::FileId(0), 0, 0),
                );
                match &rule.element {
                    Some(RichElement::Service(s)) if rule.accepts() => {
                        self.service_ports(version, &s.name)
                    }
                    Some(RichElement::Port(p)) if rule.accepts() => {
                        port_spec(&p.port, &p.protocol).into_iter().collect()
                    }
                    _ => Vec::new(),
                }
            }
            OpTarget::Other => Vec::new(),
        }
    }

    fn entry_opens(
        &self,
        version: FirewalldVersion,
        key: &OpTarget,
        port: u16,
        proto: &str,
    ) -> bool {
        match key {
            OpTarget::Service(name) => self
                .service_ports(version, name)
                .iter()
                .any(|p| p.contains(port, proto)),
            OpTarget::Port { port: p, proto: pr } => {
                port_spec(p, pr).is_some_and(|s| s.contains(port, proto))
            }
            OpTarget::RichRule(text) => {
                let rule = crate::parse::firewalld::parse_rich_rule(
                    text,
                    Span::new(crate::source::FileId(0), 0, 0),
                );
                self.rich_opens(version, &rule, port, proto)
            }
            OpTarget::Other => false,
        }
    }

    /// A rich rule opens a port when it accepts a service or port that covers it. A rule with a
    /// source opens it for that source only; that still counts as open.
    fn rich_opens(
        &self,
        version: FirewalldVersion,
        rule: &RichRule,
        port: u16,
        proto: &str,
    ) -> bool {
        rule.accepts()
            && match &rule.element {
                Some(RichElement::Service(s)) => self
                    .service_ports(version, &s.name)
                    .iter()
                    .any(|p| p.contains(port, proto)),
                Some(RichElement::Port(p)) => {
                    port_spec(&p.port, &p.protocol).is_some_and(|s| s.contains(port, proto))
                }
                _ => false,
            }
    }

    /// Adds the zone changes of one `firewall-cmd` line. `spans[i]` is where `args[i]` is
    /// written; `task` is the task. `--reload` marks every earlier permanent op reloaded,
    /// `--runtime-to-permanent` makes every earlier runtime op permanent, and
    /// `--set-default-zone` changes the default zone.
    pub fn add_command(&mut self, args: &[&str], spans: &[Span], task: Span) {
        for effect in parse_firewall_cmd(args) {
            match effect {
                CmdEffect::Change { .. } => {
                    let word_at = |i: usize| spans.get(i).copied();
                    if let Some(op) = command_op(effect, word_at, task) {
                        self.ops.push(op);
                    }
                }
                CmdEffect::Reload => self.ops.iter_mut().for_each(|op| op.reloaded = true),
                CmdEffect::RuntimeToPermanent => self
                    .ops
                    .iter_mut()
                    .filter(|op| op.immediate)
                    .for_each(|op| op.permanent = true),
                CmdEffect::SetDefaultZone(zone) => self.default_zone = zone,
            }
        }
    }
}

/// The zone change of one `firewall-cmd` effect (`None` for reloads and the like): runtime or
/// permanent as `--permanent` says. `word_at(i)` is where the command's word `i` is written;
/// the op's `name_span` is the value inside it, else the task.
pub fn command_op(
    effect: CmdEffect,
    word_at: impl Fn(usize) -> Option<Span>,
    task: Span,
) -> Option<FirewallOp> {
    let CmdEffect::Change {
        target,
        enable,
        zone,
        permanent,
        offline,
        value,
    } = effect
    else {
        return None;
    };
    let name_span = word_at(value.word)
        .map(|at| sub_span(at, value.range.clone()))
        .unwrap_or(task);
    Some(FirewallOp {
        target: target.into(),
        zone,
        permanent,
        immediate: !permanent,
        enable,
        offline,
        reloaded: false,
        origin: OpOrigin::Command,
        span: task,
        name_span,
        list: None,
    })
}

/// The part `range` of a span covering a whole word (when the span has the word's length).
fn sub_span(word: Span, range: std::ops::Range<usize>) -> Span {
    if range.end <= word.len() {
        Span::new(
            word.file,
            word.start() + range.start,
            word.start() + range.end,
        )
    } else {
        word
    }
}

fn port_spec(port: &str, proto: &str) -> Option<PortSpec> {
    let proto = catalogue::intern_proto(proto)?;
    let (first, last) = resolve_port(port.trim(), Some(proto))?;
    Some(PortSpec { first, last, proto })
}

fn describe(target: &OpTarget) -> String {
    match target {
        OpTarget::Service(s) => format!("service {s}"),
        OpTarget::Port { port, proto } => format!("port {port}/{proto}"),
        OpTarget::RichRule(_) => "rich rule".to_string(),
        OpTarget::Other => String::new(),
    }
}

fn file_entries(zone: &Zone) -> Vec<Entry> {
    let mut out = Vec::new();
    for s in &zone.services {
        out.push(Entry {
            key: OpTarget::Service(s.name.clone()),
            opening: Opening {
                via: format!("service {}", s.name),
                span: Some(s.span),
                runtime_only: false,
            },
        });
    }
    for p in &zone.ports {
        out.push(Entry {
            key: OpTarget::Port {
                port: p.port.clone(),
                proto: p.protocol.clone(),
            },
            opening: Opening {
                via: format!("port {}/{}", p.port, p.protocol),
                span: Some(p.span),
                runtime_only: false,
            },
        });
    }
    for rule in zone.rich_rules.iter().filter(|r| r.accepts()) {
        let text = match &rule.element {
            Some(RichElement::Service(s)) => format!("rule service name=\"{}\" accept", s.name),
            Some(RichElement::Port(p)) => format!(
                "rule port port=\"{}\" protocol=\"{}\" accept",
                p.port, p.protocol
            ),
            _ => continue,
        };
        out.push(Entry {
            key: OpTarget::RichRule(text),
            opening: Opening {
                via: "rich rule".into(),
                span: Some(rule.span),
                runtime_only: false,
            },
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::firewalld::parse_zone;
    use crate::source::FileId;
    use FirewalldVersion::{V1_3, V2_1};

    fn span() -> Span {
        Span::new(FileId(0), 0, 0)
    }

    fn op(target: OpTarget, permanent: bool, immediate: bool) -> FirewallOp {
        FirewallOp {
            target,
            zone: None,
            permanent,
            immediate,
            enable: true,
            offline: false,
            reloaded: false,
            origin: OpOrigin::Module,
            span: span(),
            name_span: span(),
            list: None,
        }
    }

    #[test]
    fn effective_entries_follow_ops_and_zones_are_listed_once() {
        let mut host = FirewallHost::new("public");
        host.ops
            .push(op(OpTarget::Service("smtp".into()), true, true));
        let mut removal = op(OpTarget::Service("ssh".into()), true, true);
        removal.enable = false;
        host.ops.push(removal);
        let mut elsewhere = op(OpTarget::Service("imaps".into()), true, false);
        elsewhere.zone = Some("internal".into());
        host.ops.push(elsewhere);
        let keys: Vec<OpTarget> = host
            .effective_entries("public")
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(
            keys,
            [
                OpTarget::Service("dhcpv6-client".into()),
                OpTarget::Service("smtp".into())
            ]
        );
        // Permanent without reload: not in effect, so not in the zone yet.
        assert!(host
            .effective_entries("internal")
            .iter()
            .all(|(k, _)| *k != OpTarget::Service("imaps".into())));
        assert_eq!(host.touched_zones(), ["public", "internal"]);
    }

    #[test]
    fn stock_public_opens_ssh_only() {
        let host = FirewallHost::new("public");
        assert!(host.opens(V2_1, "public", 22, "tcp").is_some());
        assert!(host.opens(V2_1, "public", 587, "tcp").is_none());
    }

    #[test]
    fn zone_file_replaces_stock_zone() {
        let mut host = FirewallHost::new("public");
        host.zones.push(parse_zone(
            FileId(1),
            "public",
            r#"<zone><service name="smtp"/><port port="submission" protocol="tcp"/><rule><port port="4190" protocol="tcp"/><accept/></rule><rule><service name="imaps"/><reject/></rule></zone>"#,
        ));
        assert!(host.opens(V1_3, "public", 22, "tcp").is_none());
        assert!(host.opens(V1_3, "public", 25, "tcp").is_some());
        assert_eq!(
            host.opens(V1_3, "public", 587, "tcp").unwrap().via,
            "port submission/tcp"
        );
        assert_eq!(
            host.opens(V1_3, "public", 4190, "tcp").unwrap().via,
            "rich rule"
        );
        assert!(host.opens(V1_3, "public", 993, "tcp").is_none());
    }

    #[test]
    fn ops_apply_when_in_effect() {
        let mut host = FirewallHost::new("FedoraServer");
        host.ops
            .push(op(OpTarget::Service("smtp-submission".into()), true, false));
        assert!(
            host.opens(V2_1, "FedoraServer", 587, "tcp").is_none(),
            "permanent only"
        );
        host.ops[0].reloaded = true;
        assert!(host.opens(V2_1, "FedoraServer", 587, "tcp").is_some());
        host.ops.push(op(
            OpTarget::Port {
                port: "993".into(),
                proto: "tcp".into(),
            },
            false,
            true,
        ));
        assert!(
            host.opens(V2_1, "FedoraServer", 993, "tcp")
                .unwrap()
                .runtime_only
        );
        let mut remove = op(OpTarget::Service("smtp-submission".into()), true, true);
        remove.enable = false;
        host.ops.push(remove);
        assert!(host.opens(V2_1, "FedoraServer", 587, "tcp").is_none());
        assert!(
            host.opens(V2_1, "public", 993, "tcp").is_none(),
            "other zone"
        );
    }

    #[test]
    fn user_service_defines_ports_and_name() {
        let mut host = FirewallHost::new("public");
        host.services.push(crate::parse::firewalld::parse_service(
            FileId(2),
            "submission",
            r#"<service><port port="587" protocol="tcp"/></service>"#,
        ));
        host.ops
            .push(op(OpTarget::Service("submission".into()), true, true));
        assert!(host.service_defined(V1_3, "submission"));
        assert!(host.opens(V1_3, "public", 587, "tcp").is_some());
    }

    #[test]
    fn commands_become_ops() {
        let mut host = FirewallHost::new("public");
        host.add_command(
            &["firewall-cmd", "--permanent", "--add-service=smtps"],
            &[],
            span(),
        );
        assert!(host.opens(V2_1, "public", 465, "tcp").is_none());
        host.add_command(&["firewall-cmd", "--reload"], &[], span());
        assert!(host.opens(V2_1, "public", 465, "tcp").is_some());
        host.add_command(&["firewall-cmd", "--add-port=110/tcp"], &[], span());
        assert!(host.ops[1].immediate && !host.ops[1].permanent);
        host.add_command(&["firewall-cmd", "--runtime-to-permanent"], &[], span());
        assert!(host.ops[1].permanent);
    }
}
