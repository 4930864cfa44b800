//! MX403 firewall-change-not-applied: a permanent-only zone change that nothing reloads (not in
//! effect until the next reload or reboot), or a runtime-only one (lost at the next reload).

use super::{Context, Rule};
use crate::diagnostic::{Diagnostic, Severity};
use crate::model::firewall::{FirewallOp, OpOrigin, OpTarget};

pub static RULE: Rule = Rule {
    code: "MX403",
    name: "firewall-change-not-applied",
    severity: Severity::Error,
    summary: "a firewalld change made only permanent without a reload, or only at runtime",
    doc: include_str!("../../rules/MX403.md"),
    fatal: false,
    check,
};

fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    let Some(host) = cx.firewall else {
        return;
    };
    for op in host
        .ops
        .iter()
        .filter(|op| !op.offline && !matches!(op.target, OpTarget::Other))
    {
        let what = describe(op);
        let zone = host.zone_of(op);
        if op.permanent && !op.immediate && !op.reloaded {
            let verb = if op.enable { "opens" } else { "closes" };
            out.push(
                Diagnostic::new(&RULE, op.span, format!("this permanent change to zone `{zone}` ({what}) is not in effect until firewalld reloads: nothing {verb} it now"))
                    .label("permanent only, no reload after it")
                    .help(match op.origin {
                        OpOrigin::Module => "add `immediate: true` to the task, or `notify: reload firewalld` with a handler that runs `firewall-cmd --reload`",
                        OpOrigin::Command => "run `firewall-cmd --reload` after it, or run the same command once more without `--permanent`",
                    })
                    .related(op.name_span, "changed here"),
            );
        } else if op.immediate && !op.permanent {
            out.push(
                Diagnostic::new(&RULE, op.span, format!("this runtime-only change to zone `{zone}` ({what}) is lost at the next firewalld reload or reboot"))
                    .label("runtime only")
                    .help(match op.origin {
                        OpOrigin::Module => "add `permanent: true` and `immediate: true` to the task",
                        OpOrigin::Command => "add `--permanent` and reload, or run `firewall-cmd --runtime-to-permanent` afterwards",
                    })
                    .related(op.name_span, "changed here"),
            );
        }
    }
}

fn describe(op: &FirewallOp) -> String {
    let verb = if op.enable { "adds" } else { "removes" };
    match &op.target {
        OpTarget::Service(s) => format!("{verb} service {s}"),
        OpTarget::Port { port, proto } => format!("{verb} port {port}/{proto}"),
        OpTarget::RichRule(_) => format!("{verb} a rich rule"),
        OpTarget::Other => verb.to_string(),
    }
}
