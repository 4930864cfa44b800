//! MX303 service-vsz-limit-too-small: an enabled mailbox service ends up below the minimum
//! through its own `vsz_limit` or a 2.4 global `service_vsz_limit`.

use super::{Context, Rule};
use crate::diagnostic::{Diagnostic, Severity};
use crate::model::dovecot::{LimitOrigin, VszLimit, MIN_SERVICE_VSZ};
use crate::model::size::format_size_compact;

pub static RULE: Rule = Rule {
    code: "MX303",
    name: "service-vsz-limit-too-small",
    severity: Severity::Error,
    summary: "a mailbox service's own limit overrides the global one with a smaller value",
    doc: include_str!("../../rules/MX303.md"),
    fatal: false,
    check,
};

fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    let Some(dovecot) = cx.dovecot else {
        return;
    };
    let min = cx.settings.min_vsz_limit;
    for s in dovecot
        .services
        .iter()
        .filter(|s| s.enabled && s.opens_mailboxes)
    {
        let VszLimit::Bytes(bytes) = s.limit else {
            continue;
        };
        let (span, how) = match s.origin {
            LimitOrigin::Service(span) => {
                (span, format!("its own `vsz_limit` in `service {}`", s.name))
            }
            LimitOrigin::ServiceDefault(span) => {
                (span, "the global `service_vsz_limit`".to_string())
            }
            _ => continue,
        };
        if bytes >= min || bytes < MIN_SERVICE_VSZ {
            continue;
        }
        out.push(
            Diagnostic::new(
                &RULE,
                span,
                format!("service {} runs with a vsz limit of {}, below the minimum of {}", s.name, format_size_compact(bytes), format_size_compact(min)),
            )
            .label(format!("{} gets this limit", s.name))
            .help(format!(
                "{how} overrides `default_vsz_limit`; raise it to at least {} or remove it so the global limit applies",
                format_size_compact(min)
            )),
        );
    }
}
