//! MX205 dovecot-unknown-setting: a key that is no core setting but is a small edit away from
//! one. Keys far from every core setting are left alone: plugins add their own.

use super::{Context, Rule};
use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix, Severity};
use crate::model::dovecot::ProblemKind;

pub static RULE: Rule = Rule {
    code: "MX205",
    name: "dovecot-unknown-setting",
    severity: Severity::Error,
    summary: "an unknown setting that looks like a typo of a real one",
    doc: include_str!("../../rules/MX205.md"),
    fatal: true,
    check,
};

fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    let Some(dovecot) = cx.dovecot else {
        return;
    };
    for problem in &dovecot.problems {
        let ProblemKind::UnknownSetting {
            key,
            suggestion: Some(suggestion),
        } = &problem.kind
        else {
            continue;
        };
        out.push(
            Diagnostic::new(&RULE, problem.span, problem.message.clone())
                .label(format!("did you mean `{suggestion}`?"))
                .help(super::byte_order_mark_help(cx, problem.span).map_or_else(
                    || {
                        format!(
                            "`{key}` is not a Dovecot {} setting; the closest one is `{suggestion}`",
                            dovecot.version.as_str()
                        )
                    },
                    str::to_string,
                ))
                .fix(Fix {
                    message: format!("rename to `{suggestion}`"),
                    applicability: Applicability::Unsafe,
                    edits: vec![Edit::new(problem.span, suggestion.clone()).expecting(key.clone())],
                }),
        );
    }
}
