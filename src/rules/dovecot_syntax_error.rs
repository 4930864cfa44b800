//! MX201 dovecot-syntax-error: anything doveconf refuses while reading the file.

use super::{Context, Rule};
use crate::diagnostic::{Diagnostic, Severity};
use crate::model::dovecot::ProblemKind;

pub static RULE: Rule = Rule {
    code: "MX201",
    name: "dovecot-syntax-error",
    severity: Severity::Error,
    summary: "doveconf refuses this line; Dovecot will not start",
    doc: include_str!("../../rules/MX201.md"),
    fatal: true,
    check,
};

fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    let Some(dovecot) = cx.dovecot else {
        return;
    };
    for problem in dovecot
        .problems
        .iter()
        .filter(|p| p.kind == ProblemKind::Syntax)
    {
        let help =
            super::byte_order_mark_help(cx, problem.span).or_else(|| help_for(&problem.message));
        let mut d = Diagnostic::new(&RULE, problem.span, problem.message.clone())
            .label("doveconf stops here");
        if let Some(help) = help {
            d = d.help(help);
        }
        out.push(d);
    }
}

/// What to do about doveconf's terse messages.
fn help_for(message: &str) -> Option<&'static str> {
    let tail = message.rsplit(": ").next().unwrap_or(message);
    Some(match tail {
        "Expecting '{'" => "a section header needs `{` at the end of the same line; a setting needs `=`",
        "Garbage after '{'" => "put the section body on the following lines: Dovecot reads one statement per line",
        "Unexpected '}'" => "remove this `}` or open the section it is meant to close",
        "Missing '}'" => "close this section with a `}` on a line of its own",
        "No matches" => "the include matches no file; use `!include_try` if the file is optional",
        _ if message.contains("Invalid size") => {
            "sizes are digits with an optional unit B, K, M, G or T (e.g. `1G`); nothing else may follow"
        }
        _ if message.contains("Unknown variable") => "a service's own setting cannot refer to itself",
        _ if message.contains("escape sequence") => "2.4 quoted values only allow the escapes \\\\ and \\\"",
        _ => return None,
    })
}
