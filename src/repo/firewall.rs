//! repo::firewall: the firewalld changes a host's tasks make, read off `ansible.posix.firewalld`
//! (also the bare `firewalld` redirect) and `firewall-cmd`/`firewall-offline-cmd` in
//! `command`/`shell` tasks, each evaluated per host with its loop item bound, plus whether a
//! reload follows (a notified handler or a later task that reloads or restarts firewalld).
//!
//! The module's own logic (ansible.posix `main()`): with neither `permanent` nor `immediate`
//! set, `immediate` is true; `offline` implies a permanent-only change.

use crate::source::Span;

/// What one task does to firewalld on one host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FirewallAction {
    pub host: usize,
    pub what: ActionTarget,
    /// `zone:` or `--zone=`; `None` = the default zone.
    pub zone: Option<String>,
    pub permanent: bool,
    pub immediate: bool,
    /// `state: enabled` / `--add-*` (false: `disabled`, `--remove-*`).
    pub enable: bool,
    pub offline: bool,
    /// A reload runs after it (notified handler or a later reload task in the play).
    pub reloaded: bool,
    pub origin: ActionOrigin,
    /// The task as a whole.
    pub task: Span,
    /// Where the service/port/rule is written (the argument or the loop item).
    pub value: Span,
    /// Handlers the task notifies (for the reload check).
    pub(crate) notify: Vec<String>,
    pub(crate) play: usize,
    pub(crate) order: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ActionTarget {
    Service(String),
    /// `587/tcp`, `4190-4191/tcp`, or a name as written.
    Port(String),
    RichRule(String),
    /// Another zone-level change (source, interface, masquerade …): makes the host managed.
    Other,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActionOrigin {
    Module,
    Command,
}

/// A task or handler that reloads firewalld (`--reload`, `systemd: name=firewalld
/// state=reloaded|restarted`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Reload {
    pub play: usize,
    pub order: usize,
    pub host: usize,
    /// Handler names and `listen` topics that trigger it; empty for an ordinary task.
    pub handler_names: Vec<String>,
}

/// Marks each action whose change a reload makes effective.
pub(crate) fn mark_reloaded(actions: &mut [FirewallAction], reloads: &[Reload]) {
    for action in actions.iter_mut() {
        action.reloaded = reloads.iter().any(|r| {
            r.host == action.host
                && r.play == action.play
                && if r.handler_names.is_empty() {
                    r.order > action.order
                } else {
                    action.notify.iter().any(|n| r.handler_names.contains(n))
                }
        });
    }
}

/// True for a word that runs firewalld's command-line client.
pub(crate) fn is_firewall_cmd(word: &str) -> bool {
    let base = word.rsplit('/').next().unwrap_or(word);
    base == "firewall-cmd" || base == "firewall-offline-cmd"
}

/// The effects of one `firewall-cmd` command line (words after the program name).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct CmdLine {
    pub offline: bool,
    pub permanent: bool,
    pub zone: Option<String>,
    pub reload: bool,
    /// (target, enable)
    pub changes: Vec<(ActionTarget, bool)>,
}

/// Reads `firewall-cmd [--permanent] [--zone=Z] --add-service=S …` (both `--opt=value` and
/// `--opt value`). `firewall-offline-cmd` changes are permanent by nature.
pub(crate) fn parse_cmd(program: &str, words: &[String]) -> CmdLine {
    let mut out = CmdLine {
        offline: program.ends_with("firewall-offline-cmd"),
        ..CmdLine::default()
    };
    out.permanent = out.offline;
    let mut i = 0;
    while i < words.len() {
        let word = words[i].as_str();
        let (opt, inline) = match word.split_once('=') {
            Some((o, v)) => (o, Some(v.to_string())),
            None => (word, None),
        };
        let takes_value = matches!(
            opt,
            "--zone"
                | "--add-service"
                | "--remove-service"
                | "--add-port"
                | "--remove-port"
                | "--add-rich-rule"
                | "--remove-rich-rule"
                | "--add-source"
                | "--remove-source"
                | "--add-interface"
                | "--remove-interface"
                | "--change-interface"
                | "--add-masquerade"
                | "--add-forward-port"
                | "--set-default-zone"
        );
        let value = if takes_value && inline.is_none() {
            i += 1;
            words.get(i).cloned()
        } else {
            inline
        };
        match (opt, value) {
            ("--permanent", _) => out.permanent = true,
            ("--reload" | "--complete-reload", _) => out.reload = true,
            ("--zone", Some(z)) => out.zone = Some(z),
            ("--add-service", Some(v)) => out.changes.push((ActionTarget::Service(v), true)),
            ("--remove-service", Some(v)) => out.changes.push((ActionTarget::Service(v), false)),
            ("--add-port", Some(v)) => out.changes.push((ActionTarget::Port(v), true)),
            ("--remove-port", Some(v)) => out.changes.push((ActionTarget::Port(v), false)),
            ("--add-rich-rule", Some(v)) => out.changes.push((ActionTarget::RichRule(v), true)),
            ("--remove-rich-rule", Some(v)) => out.changes.push((ActionTarget::RichRule(v), false)),
            (o, _) if o.starts_with("--add-") || o.starts_with("--change-") => {
                out.changes.push((ActionTarget::Other, true))
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// Splits a shell command line into commands (`&&`, `||`, `;`, `|`, newlines) and each into
/// words with shell quoting removed; enough for the `firewall-cmd` lines tasks hold.
pub(crate) fn shell_commands(text: &str) -> Vec<Vec<String>> {
    let mut commands = Vec::new();
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = text.chars().peekable();
    let mut quote: Option<char> = None;
    let end_word = |words: &mut Vec<String>, word: &mut String, in_word: &mut bool| {
        if *in_word {
            words.push(std::mem::take(word));
            *in_word = false;
        }
    };
    while let Some(c) = chars.next() {
        match quote {
            Some(q) if c == q => quote = None,
            Some('"') if c == '\\' => {
                if let Some(n) = chars.next() {
                    word.push(n);
                }
            }
            Some(_) => word.push(c),
            None => match c {
                '\'' | '"' => {
                    quote = Some(c);
                    in_word = true;
                }
                '\\' => {
                    if let Some(n) = chars.next() {
                        if n != '\n' {
                            word.push(n);
                            in_word = true;
                        }
                    }
                }
                ' ' | '\t' => end_word(&mut words, &mut word, &mut in_word),
                ';' | '&' | '|' | '\n' => {
                    end_word(&mut words, &mut word, &mut in_word);
                    if !words.is_empty() {
                        commands.push(std::mem::take(&mut words));
                    }
                }
                _ => {
                    word.push(c);
                    in_word = true;
                }
            },
        }
    }
    end_word(&mut words, &mut word, &mut in_word);
    if !words.is_empty() {
        commands.push(words);
    }
    commands
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn reads_firewall_cmd_options_in_both_forms() {
        let c = parse_cmd(
            "firewall-cmd",
            &words("--permanent --zone FedoraServer --add-service=submission --add-port 4190/tcp"),
        );
        assert!(c.permanent && !c.offline && !c.reload);
        assert_eq!(c.zone.as_deref(), Some("FedoraServer"));
        assert_eq!(
            c.changes,
            vec![
                (ActionTarget::Service("submission".into()), true),
                (ActionTarget::Port("4190/tcp".into()), true)
            ]
        );
        let c = parse_cmd(
            "/usr/bin/firewall-offline-cmd",
            &words("--remove-service=pop3"),
        );
        assert!(c.offline && c.permanent);
        assert_eq!(
            c.changes,
            vec![(ActionTarget::Service("pop3".into()), false)]
        );
        assert!(parse_cmd("firewall-cmd", &words("--reload")).reload);
    }

    #[test]
    fn splits_shell_lines_into_commands() {
        let cmds = shell_commands(
            "firewall-cmd --permanent --add-service=smtp && firewall-cmd --reload; echo 'a b' | cat",
        );
        assert_eq!(cmds.len(), 4);
        assert_eq!(
            cmds[0],
            words("firewall-cmd --permanent --add-service=smtp")
        );
        assert_eq!(cmds[1], words("firewall-cmd --reload"));
        assert_eq!(cmds[2], vec!["echo".to_string(), "a b".to_string()]);
        assert_eq!(
            shell_commands(
                "firewall-cmd \\\n  --add-rich-rule='rule service name=\"imaps\" accept'"
            ),
            vec![vec![
                "firewall-cmd".to_string(),
                "--add-rich-rule=rule service name=\"imaps\" accept".to_string()
            ]]
        );
        assert!(shell_commands("").is_empty());
    }

    #[test]
    fn reload_marks_earlier_tasks_and_notifying_ones() {
        let base = FirewallAction {
            host: 0,
            what: ActionTarget::Service("smtp".into()),
            zone: None,
            permanent: true,
            immediate: false,
            enable: true,
            offline: false,
            reloaded: false,
            origin: ActionOrigin::Module,
            task: Span::new(crate::source::FileId(0), 0, 0),
            value: Span::new(crate::source::FileId(0), 0, 0),
            notify: vec![],
            play: 0,
            order: 5,
        };
        let notified = FirewallAction {
            notify: vec!["reload firewalld".into()],
            order: 9,
            ..base.clone()
        };
        let mut actions = vec![base.clone(), notified, FirewallAction { order: 20, ..base }];
        let reloads = vec![
            Reload {
                play: 0,
                order: 10,
                host: 0,
                handler_names: vec![],
            },
            Reload {
                play: 0,
                order: 100,
                host: 0,
                handler_names: vec!["reload firewalld".into()],
            },
        ];
        mark_reloaded(&mut actions, &reloads);
        let got: Vec<bool> = actions.iter().map(|a| a.reloaded).collect();
        assert_eq!(got, vec![true, true, false]);
    }
}
