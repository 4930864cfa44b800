//! rules: the registry of every rule and the selection logic (`--select`, `--ignore`).
//!
//! A rule is a [`Rule`] constant in its own file, a doc in `rules/MXnnn.md`, and one line in
//! [`ALL`]. Rules read the model (`crate::model`) and never see pest or file I/O.

use crate::config::Settings;
use crate::diagnostic::{Diagnostic, Severity};
use crate::model::dovecot::DovecotConfig;

pub(crate) mod ansible_load_error;
mod continuation_dropped;
mod default_vsz_limit_too_small;
mod default_vsz_limit_unset;
mod dovecot_ambiguous_comment;
mod dovecot_syntax_error;
mod dovecot_unknown_setting;
mod dovecot_version_mismatch;
mod fail2ban_dynamic_address;
mod fail2ban_ignoreip_invalid;
mod fail2ban_jail_drops_default_whitelist;
mod fail2ban_loopback_not_ignored;
mod fail2ban_setting_ignored;
mod fail2ban_trusted_network_missing;
mod firewall_change_not_applied;
mod firewall_mail_service_missing;
mod firewall_unknown_service;
mod firewalld_zone_invalid;
pub(crate) mod invalid_suppression;
mod listener_port_conflict;
mod service_vsz_limit_too_small;
pub(crate) mod template_render_error;
pub(crate) mod template_syntax_error;
pub(crate) mod undefined_variable;
pub(crate) mod unevaluated_lookup;
pub(crate) mod unused_suppression;
mod vsz_limit_invalid_for_version;
mod vsz_setting_without_effect;

/// What a rule's `check` sees: the settings and whichever parts of a host's mail stack the
/// run has (a plain Dovecot file gives only `dovecot`). A rule returns at once when the part
/// it reads is absent.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    pub settings: &'a Settings,
    pub dovecot: Option<&'a DovecotConfig>,
    pub fail2ban: Option<&'a crate::model::fail2ban::Fail2banConfig>,
    /// Networks every enabled mail jail must ignore (settings, plus per-host values in
    /// repository mode).
    pub trusted: &'a [crate::model::fail2ban::Trusted],
    /// Present only for hosts whose firewalld the repository manages.
    pub firewall: Option<&'a crate::model::firewall::FirewallHost>,
    pub postfix: Option<&'a crate::model::postfix::PostfixModel>,
}

impl<'a> Context<'a> {
    /// Everything one host has.
    pub fn for_host(host: &'a crate::model::host::MailHost, settings: &'a Settings) -> Self {
        Context {
            settings,
            dovecot: host.dovecot.as_ref(),
            fail2ban: host.fail2ban.as_deref(),
            trusted: &host.trusted,
            firewall: host.firewall.as_ref(),
            postfix: host.postfix.as_deref(),
        }
    }

    pub fn new(settings: &'a Settings) -> Self {
        Context {
            settings,
            dovecot: None,
            fail2ban: None,
            trusted: &[],
            firewall: None,
            postfix: None,
        }
    }
}

/// One rule: identity, default severity, doc and check function.
pub struct Rule {
    pub code: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    pub summary: &'static str,
    /// The whole `rules/MXnnn.md` page.
    pub doc: &'static str,
    /// True when a finding means the real daemon refuses the configuration.
    pub fatal: bool,
    pub(crate) check: fn(&Context, &mut Vec<Diagnostic>),
}

impl std::fmt::Debug for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.code, self.name)
    }
}

/// Every rule, in code order.
pub static ALL: &[&Rule] = &[
    &unused_suppression::RULE,
    &invalid_suppression::RULE,
    &template_syntax_error::RULE,
    &undefined_variable::RULE,
    &template_render_error::RULE,
    &ansible_load_error::RULE,
    &unevaluated_lookup::RULE,
    &dovecot_syntax_error::RULE,
    &dovecot_version_mismatch::RULE,
    &continuation_dropped::RULE,
    &dovecot_ambiguous_comment::RULE,
    &dovecot_unknown_setting::RULE,
    &default_vsz_limit_unset::RULE,
    &default_vsz_limit_too_small::RULE,
    &service_vsz_limit_too_small::RULE,
    &vsz_setting_without_effect::RULE,
    &vsz_limit_invalid_for_version::RULE,
    &firewall_mail_service_missing::RULE,
    &firewall_unknown_service::RULE,
    &firewall_change_not_applied::RULE,
    &listener_port_conflict::RULE,
    &firewalld_zone_invalid::RULE,
    &fail2ban_loopback_not_ignored::RULE,
    &fail2ban_trusted_network_missing::RULE,
    &fail2ban_jail_drops_default_whitelist::RULE,
    &fail2ban_ignoreip_invalid::RULE,
    &fail2ban_dynamic_address::RULE,
    &fail2ban_setting_ignored::RULE,
];

/// Finds a rule by exact code or kebab name.
pub fn find(code_or_name: &str) -> Option<&'static Rule> {
    ALL.iter()
        .copied()
        .find(|r| r.code.eq_ignore_ascii_case(code_or_name) || r.name == code_or_name)
}

/// Rules whose code or name is close to `query`: a code prefix, or a small edit distance
/// (the "did you mean" of `mxlint rule` and of suppression comments).
pub fn similar(query: &str) -> Vec<&'static Rule> {
    use crate::suggest::edit_distance;
    let query = query.trim().to_ascii_lowercase();
    let close = |rule: &Rule| {
        let code = rule.code.to_ascii_lowercase();
        (query.len() >= 3 && code.starts_with(&query))
            || edit_distance(&query, &code, 1).is_some()
            || edit_distance(&query, rule.name, (rule.name.len() / 4).max(2)).is_some()
            || (query.len() >= 4 && rule.name.contains(query.as_str()))
    };
    ALL.iter().copied().filter(|r| close(r)).take(5).collect()
}

/// A `--select`/`--ignore` entry: `ALL`, a code prefix (`MX3`, `MX30`), a code or a kebab name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selector(String);

impl Selector {
    /// Parses a selector; unknown names and prefixes that match no rule are errors.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let selector = Selector(text.to_string());
        if ALL.iter().any(|rule| selector.matches(rule)) {
            Ok(selector)
        } else {
            Err(format!(
                "unknown rule selector `{text}` (expected a code such as MX301, a prefix such as MX3, a name such as default-vsz-limit-unset, or ALL)"
            ))
        }
    }

    pub fn matches(&self, rule: &Rule) -> bool {
        let s = self.0.as_str();
        s.eq_ignore_ascii_case("ALL")
            || rule.name == s
            || (s.len() >= 2
                && s[..2].eq_ignore_ascii_case("MX")
                && rule.code.len() >= s.len()
                && rule.code[..s.len()].eq_ignore_ascii_case(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Which rules run: those matched by `select` (all when empty) minus those matched by `ignore`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    pub select: Vec<Selector>,
    pub ignore: Vec<Selector>,
}

impl Selection {
    pub fn enabled(&self, rule: &Rule) -> bool {
        let selected = self.select.is_empty() || self.select.iter().any(|s| s.matches(rule));
        selected && !self.ignore.iter().any(|s| s.matches(rule))
    }
}

/// Help for a finding on a file's first key when the file starts with a UTF-8 byte order mark,
/// which Dovecot reads as part of that key (MX201 and MX205 both meet it).
fn byte_order_mark_help(cx: &Context, at: crate::source::Span) -> Option<&'static str> {
    let bom = cx.dovecot?.document.notes.iter().any(|n| {
        matches!(n, crate::parse::dovecot::Note::ByteOrderMark { span } if span.file == at.file && at.start() <= span.end())
    });
    bom.then_some("the file starts with a UTF-8 byte order mark, which Dovecot reads as part of the first key: save the file without it")
}

/// The `check` of rules whose findings come from an earlier stage (loading, rendering).
fn found_by_stage(_: &Context, _: &mut Vec<Diagnostic>) {}

/// Runs every enabled rule over one Dovecot configuration.
pub fn check_dovecot(dovecot: &DovecotConfig, settings: &Settings) -> Vec<Diagnostic> {
    check(&Context {
        dovecot: Some(dovecot),
        ..Context::new(settings)
    })
}

/// Runs every enabled rule over one fail2ban configuration, with the networks its mail jails
/// must ignore.
pub fn check_fail2ban(
    cfg: &crate::model::fail2ban::Fail2banConfig,
    trusted: &[crate::model::fail2ban::Trusted],
    settings: &Settings,
) -> Vec<Diagnostic> {
    check(&Context {
        fail2ban: Some(cfg),
        trusted,
        ..Context::new(settings)
    })
}

/// The enabled mail jails of a fail2ban configuration, grouped by the line that decides
/// their whitelist (one finding per distinct cause), skipping causes in stock files.
fn mail_jails_by_whitelist(
    cfg: &crate::model::fail2ban::Fail2banConfig,
) -> Vec<(crate::source::Span, Vec<&crate::model::fail2ban::Jail>)> {
    let mut groups: Vec<(crate::source::Span, Vec<&crate::model::fail2ban::Jail>)> = Vec::new();
    for jail in cfg.enabled_jails().filter(|j| j.mail) {
        let span = jail.whitelist_span();
        match groups.iter_mut().find(|(s, _)| *s == span) {
            Some((_, jails)) => jails.push(jail),
            None => groups.push((span, vec![jail])),
        }
    }
    groups
}

/// `jail dovecot` / `jails dovecot, postfix-sasl`.
fn jail_list(jails: &[&crate::model::fail2ban::Jail]) -> String {
    let names: Vec<&str> = jails.iter().map(|j| j.name.as_str()).collect();
    match names.len() {
        1 => format!("jail {}", names[0]),
        _ => format!("jails {}", names.join(", ")),
    }
}

/// Runs every enabled rule over what `cx` holds.
pub fn check(cx: &Context) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for rule in ALL.iter().filter(|r| cx.settings.selection.enabled(r)) {
        (rule.check)(cx, &mut out);
    }
    out.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_match_code_prefix_name_and_all() {
        let rule = find("MX301").unwrap();
        for s in [
            "MX301",
            "mx301",
            "MX3",
            "MX30",
            "default-vsz-limit-unset",
            "ALL",
        ] {
            assert!(Selector::parse(s).unwrap().matches(rule), "{s}");
        }
        assert!(!Selector::parse("MX2").unwrap().matches(rule));
        assert!(Selector::parse("MX9").is_err());
        assert!(Selector::parse("no-such-rule").is_err());
    }

    #[test]
    fn codes_and_names_are_unique_and_sorted() {
        for pair in ALL.windows(2) {
            assert!(pair[0].code < pair[1].code, "{:?} {:?}", pair[0], pair[1]);
        }
        let mut names: Vec<_> = ALL.iter().map(|r| r.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), ALL.len());
    }
}
