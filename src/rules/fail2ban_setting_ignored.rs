//! MX506 fail2ban-setting-ignored: settings fail2ban silently ignores (`[default]`, `ignoreip`
//! in fail2ban.local, `enabled` values read as false) or refuses (failed interpolation,
//! duplicate keys and sections).

use super::{Context, Rule};
use crate::diagnostic::{Diagnostic, Severity};
use crate::model::fail2ban::ProblemKind;

pub static RULE: Rule = Rule {
    code: "MX506",
    name: "fail2ban-setting-ignored",
    severity: Severity::Error,
    summary: "a fail2ban setting is silently ignored, or makes fail2ban refuse the configuration",
    doc: include_str!("../../rules/MX506.md"),
    fatal: false,
    check,
};

fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    let Some(cfg) = cx.fail2ban else {
        return;
    };
    for p in cfg.problems.iter().filter(|p| !cfg.is_stock(p.span.file)) {
        let (message, help) = match &p.kind {
            ProblemKind::Syntax => (
                format!("fail2ban-client refuses the whole configuration (exit 255): {}", p.message),
                "each section and each key may appear once per file; merge the duplicates",
            ),
            ProblemKind::Interpolation => (
                format!("fail2ban-client refuses the whole configuration (exit 255): {}", p.message),
                "`%(known/ignoreip)s` works one level deep, in a jail section only; in [DEFAULT] list the entries directly",
            ),
            ProblemKind::LowercaseDefault => (
                p.message.clone(),
                "rename the section to [DEFAULT] (upper case)",
            ),
            ProblemKind::IgnoredFile => (
                p.message.clone(),
                "move the line to [DEFAULT] of jail.local or a jail.d/*.local file",
            ),
            ProblemKind::EnabledReadAsFalse { .. } => {
                (p.message.clone(), "write `enabled = true`")
            }
        };
        out.push(
            Diagnostic::new(&RULE, p.span, message)
                .label(if p.fatal { "refused" } else { "ignored" })
                .help(help),
        );
    }
}
