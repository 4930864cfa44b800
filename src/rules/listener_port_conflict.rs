//! MX404 listener-port-conflict: Dovecot and Postfix both bind the same TCP port on
//! overlapping addresses (Dovecot's own submission service on 587 next to Postfix's
//! `submission`), so one of them cannot start its listener.

use super::{Context, Rule};
use crate::diagnostic::{Diagnostic, Severity};
use crate::model::exposure::conflicts;

pub static RULE: Rule = Rule {
    code: "MX404",
    name: "listener-port-conflict",
    severity: Severity::Error,
    summary: "Dovecot and Postfix both listen on the same port",
    doc: include_str!("../../rules/MX404.md"),
    fatal: false,
    check,
};

fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    let (Some(dovecot), Some(postfix)) = (cx.dovecot, cx.postfix) else {
        return;
    };
    for c in conflicts(Some(dovecot), Some(postfix)) {
        let how = if c.dovecot_explicit {
            format!(
                "its `inet_listener {}` sets port {}",
                c.dovecot_listener, c.port
            )
        } else {
            format!(
                "protocol `{}` turns on the compiled-in `inet_listener {}` on port {}",
                c.dovecot_protocol, c.dovecot_listener, c.port
            )
        };
        let help = format!(
            "let one daemon own port {port}: remove `{protocol}` from Dovecot's `protocols`, or set `port = 0` in `service {service} {{ inet_listener {listener} {{ }} }}`, or move one of them to another port or address",
            port = c.port,
            protocol = c.dovecot_protocol,
            service = c.dovecot_service,
            listener = c.dovecot_listener,
        );
        out.push(
            Diagnostic::new(
                &RULE,
                c.dovecot_span,
                format!(
                    "Dovecot and Postfix both listen on port {}/tcp: whichever starts second fails with \"Address already in use\"",
                    c.port
                ),
            )
            .label(format!("Dovecot's {} listens on {}: {how}", c.dovecot_service, c.port))
            .related(
                c.postfix_span,
                format!("Postfix `{}` listens on {} too", c.postfix_service, c.port),
            )
            .help(help),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;
    use crate::model::dovecot::load_loaded;
    use crate::parse::postfix::parse_master;
    use crate::source::SourceDb;

    fn run(dovecot: &str, master: &str) -> (Vec<Diagnostic>, SourceDb) {
        let mut db = SourceDb::default();
        let settings = Settings::default();
        let root = db.add("dovecot.conf", dovecot.to_string());
        let config = load_loaded(&mut db, root, &settings);
        let file = db.add("master.cf", master.to_string());
        let postfix = crate::model::postfix::model(&parse_master(file, master), None);
        let cx = Context {
            dovecot: Some(&config),
            postfix: Some(&postfix),
            ..Context::new(&settings)
        };
        let mut out = Vec::new();
        check(&cx, &mut out);
        (out, db)
    }

    #[test]
    fn points_at_the_listener_port_line_and_the_master_cf_entry() {
        let dovecot = "protocols = imap submission\nservice submission-login {\n  inet_listener submission {\n    port = 2525\n  }\n}\n";
        let (found, db) = run(
            dovecot,
            "smtp inet n - y - - smtpd\n2525 inet n - y - - smtpd\n",
        );
        assert_eq!(found.len(), 1);
        assert_eq!(db.text(found[0].primary.span), "port = 2525");
        assert_eq!(db.text(found[0].related[0].span), "2525");
        assert!(found[0].message.contains("2525/tcp"));
    }

    #[test]
    fn quiet_without_postfix_or_without_a_shared_port() {
        let (found, _) = run(
            "protocols = imap submission\n",
            "smtp inet n - y - - smtpd\n",
        );
        assert!(found.is_empty());
        let mut db = SourceDb::default();
        let settings = Settings::default();
        let root = db.add("dovecot.conf", "protocols = submission\n".to_string());
        let config = load_loaded(&mut db, root, &settings);
        let cx = Context {
            dovecot: Some(&config),
            ..Context::new(&settings)
        };
        let mut out = Vec::new();
        check(&cx, &mut out);
        assert!(out.is_empty());
    }
}
