//! MX305 vsz-limit-invalid-for-version: `0` on 2.4, `unlimited` on 2.3, or a limit under 1 MiB on
//! an enabled service — values the server refuses at startup.

use super::{Context, Rule};
use crate::diagnostic::{Diagnostic, Severity};
use crate::model::dovecot::{DovecotVersion, ProblemKind};

pub static RULE: Rule = Rule {
    code: "MX305",
    name: "vsz-limit-invalid-for-version",
    severity: Severity::Error,
    summary: "a vsz limit this Dovecot version refuses at startup",
    doc: include_str!("../../rules/MX305.md"),
    fatal: true,
    check,
};

fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    let Some(dovecot) = cx.dovecot else {
        return;
    };
    let help = match dovecot.version {
        DovecotVersion::V2_3 => {
            "in 2.3 write `0` for no limit (`unlimited` is 2.4 syntax), and at least 1M otherwise"
        }
        DovecotVersion::V2_4 => {
            "in 2.4 write `unlimited` for no limit (`0` is refused), and at least 1M otherwise"
        }
    };
    for problem in dovecot
        .problems
        .iter()
        .filter(|p| p.kind == ProblemKind::VszInvalid)
    {
        out.push(
            Diagnostic::new(&RULE, problem.span, problem.message.clone())
                .label("Dovecot refuses to start with this value")
                .help(help),
        );
    }
}
