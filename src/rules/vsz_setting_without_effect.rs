//! MX304 vsz-setting-without-effect: a vsz setting inside a filter where Dovecot accepts it but
//! the master never reads it.

use super::{Context, Rule};
use crate::diagnostic::{Diagnostic, Severity};

pub static RULE: Rule = Rule {
    code: "MX304",
    name: "vsz-setting-without-effect",
    severity: Severity::Warning,
    summary: "`default_vsz_limit`/`service_vsz_limit` inside a filter has no effect",
    doc: include_str!("../../rules/MX304.md"),
    fatal: false,
    check,
};

fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    let Some(dovecot) = cx.dovecot else {
        return;
    };
    for n in &dovecot.no_effect {
        let help = if n.section.starts_with("service ") {
            format!(
                "inside `{}` write `vsz_limit`; `{}` is only read at top level",
                n.section, n.key
            )
        } else {
            format!("the master applies vsz limits per service, never per `{}` filter: move this to top level or into `service … {{ vsz_limit = … }}`", n.section)
        };
        out.push(
            Diagnostic::new(
                &RULE,
                n.line,
                format!("`{}` inside `{}` has no effect", n.key, n.section),
            )
            .label("accepted, then ignored")
            .help(help),
        );
    }
}
