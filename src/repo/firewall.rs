//! repo::firewall: the firewalld changes a host's tasks make, read off `ansible.posix.firewalld`
//! (also the bare `firewalld` redirect) and `firewall-cmd`/`firewall-offline-cmd` in
//! `command`/`shell` tasks, each evaluated per host with its loop item bound, plus the reloads
//! that make permanent changes effective (a notified handler, or a later task that runs
//! `firewall-cmd --reload` or reloads/restarts the service).
//!
//! The module's own logic (ansible.posix `main()`): with neither `permanent` nor `immediate`
//! set, `immediate` is true; `offline` makes the change permanent-only.

use crate::model::firewall::{FirewallHost, FirewallOp};

/// One thing a task does to firewalld on one host, in task order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FirewallEvent {
    pub host: usize,
    /// The task's index in the project (task order across plays).
    pub order: usize,
    /// Handlers the task notifies.
    pub notify: Vec<String>,
    pub kind: EventKind,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// A zone change (`reloaded` is decided when the host's firewall is assembled).
    Op(FirewallOp),
    /// `--reload`, or a service reload/restart. A handler's names and `listen` topics: only
    /// tasks that notify one of them are reloaded by it; an ordinary task reloads every change
    /// before it.
    Reload { handler_names: Vec<String> },
    /// `--runtime-to-permanent`: runtime changes before it are saved.
    RuntimeToPermanent,
    /// `--set-default-zone`.
    SetDefaultZone(String),
}

/// The firewall of `host` as its tasks leave it, on top of `default_zone` (zone and service
/// files are added by the caller).
pub fn host_firewall(events: &[FirewallEvent], host: usize, default_zone: &str) -> FirewallHost {
    let mine: Vec<&FirewallEvent> = events.iter().filter(|e| e.host == host).collect();
    let mut fw = FirewallHost::new(default_zone);
    // (index in fw.ops, notify list, task order) of every op.
    let mut made: Vec<(usize, &[String], usize)> = Vec::new();
    for event in &mine {
        match &event.kind {
            EventKind::Op(op) => {
                made.push((fw.ops.len(), &event.notify, event.order));
                fw.ops.push(op.clone());
            }
            EventKind::Reload { handler_names } if handler_names.is_empty() => {
                for op in fw.ops.iter_mut() {
                    op.reloaded = true;
                }
            }
            EventKind::Reload { .. } => {}
            EventKind::RuntimeToPermanent => {
                for op in fw.ops.iter_mut().filter(|op| op.immediate) {
                    op.permanent = true;
                }
            }
            EventKind::SetDefaultZone(zone) => fw.default_zone = zone.clone(),
        }
    }
    // Handlers run at the end of the play, after every task that notified them.
    for event in &mine {
        let EventKind::Reload { handler_names } = &event.kind else {
            continue;
        };
        for &(index, notify, _) in &made {
            if notify.iter().any(|n| handler_names.contains(n)) {
                fw.ops[index].reloaded = true;
            }
        }
    }
    fw
}

/// True for a word that runs firewalld's command-line client.
pub(crate) fn is_firewall_cmd(word: &str) -> bool {
    let base = word.rsplit('/').next().unwrap_or(word);
    base == "firewall-cmd" || base == "firewall-offline-cmd"
}

/// A word of a shell command line: its text with quoting removed, and where it starts and ends
/// in the line (for spans of values written in place).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Word {
    pub text: String,
    pub start: usize,
    pub end: usize,
}

/// Splits a shell command line into commands (`&&`, `||`, `;`, `|`, newlines) and each into
/// words with shell quoting removed; enough for the `firewall-cmd` lines tasks hold.
pub(crate) fn shell_commands(text: &str) -> Vec<Vec<Word>> {
    let mut commands = Vec::new();
    let mut words: Vec<Word> = Vec::new();
    let mut word: Option<Word> = None;
    let mut quote: Option<char> = None;
    let mut chars = text.char_indices().peekable();
    fn push(word: &mut Option<Word>, at: usize, c: Option<char>) {
        let w = word.get_or_insert(Word {
            text: String::new(),
            start: at,
            end: at,
        });
        if let Some(c) = c {
            w.text.push(c);
        }
    }
    fn end(words: &mut Vec<Word>, word: &mut Option<Word>, at: usize) {
        if let Some(mut w) = word.take() {
            w.end = at;
            words.push(w);
        }
    }
    while let Some((at, c)) = chars.next() {
        match quote {
            Some(q) if c == q => quote = None,
            Some('"') if c == '\\' => {
                if let Some((_, n)) = chars.next() {
                    push(&mut word, at, Some(n));
                }
            }
            Some(_) => push(&mut word, at, Some(c)),
            None => match c {
                '\'' | '"' => {
                    quote = Some(c);
                    push(&mut word, at, None);
                }
                '\\' => {
                    if let Some((_, n)) = chars.next() {
                        if n != '\n' {
                            push(&mut word, at, Some(n));
                        }
                    }
                }
                ' ' | '\t' | '\r' => end(&mut words, &mut word, at),
                ';' | '&' | '|' | '\n' => {
                    end(&mut words, &mut word, at);
                    if !words.is_empty() {
                        commands.push(std::mem::take(&mut words));
                    }
                }
                _ => push(&mut word, at, Some(c)),
            },
        }
    }
    end(&mut words, &mut word, text.len());
    if !words.is_empty() {
        commands.push(words);
    }
    commands
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::firewall::{OpOrigin, OpTarget};
    use crate::source::{FileId, Span};

    fn texts(cmd: &[Word]) -> Vec<&str> {
        cmd.iter().map(|w| w.text.as_str()).collect()
    }

    #[test]
    fn splits_shell_lines_into_commands_with_word_places() {
        let line =
            "firewall-cmd --permanent --add-service=smtp && firewall-cmd --reload; echo 'a b' | cat";
        let cmds = shell_commands(line);
        assert_eq!(cmds.len(), 4);
        assert_eq!(
            texts(&cmds[0]),
            ["firewall-cmd", "--permanent", "--add-service=smtp"]
        );
        let w = &cmds[0][2];
        assert_eq!(&line[w.start..w.end], "--add-service=smtp");
        assert_eq!(texts(&cmds[1]), ["firewall-cmd", "--reload"]);
        assert_eq!(texts(&cmds[2]), ["echo", "a b"]);
        let cmds = shell_commands(
            "firewall-cmd \\\n  --add-rich-rule='rule service name=\"imaps\" accept'",
        );
        assert_eq!(
            texts(&cmds[0]),
            [
                "firewall-cmd",
                "--add-rich-rule=rule service name=\"imaps\" accept"
            ]
        );
        assert!(shell_commands("").is_empty());
        assert!(shell_commands("  ;; && ").is_empty());
    }

    fn op(order: usize, notify: &[&str]) -> FirewallEvent {
        let span = Span::new(FileId(0), 0, 0);
        FirewallEvent {
            host: 0,
            order,
            notify: notify.iter().map(|s| s.to_string()).collect(),
            kind: EventKind::Op(FirewallOp {
                target: OpTarget::Service("smtp".into()),
                zone: None,
                permanent: true,
                immediate: false,
                enable: true,
                offline: false,
                reloaded: false,
                origin: OpOrigin::Module,
                span,
                name_span: span,
                list: None,
            }),
        }
    }

    #[test]
    fn reloads_apply_to_earlier_tasks_and_to_those_notifying_a_handler() {
        let events = vec![
            op(1, &[]),
            op(2, &["reload firewalld"]),
            FirewallEvent {
                host: 0,
                order: 3,
                notify: vec![],
                kind: EventKind::Reload {
                    handler_names: vec![],
                },
            },
            op(4, &[]),
            op(5, &["reload firewalld"]),
            FirewallEvent {
                host: 0,
                order: 9,
                notify: vec![],
                kind: EventKind::Reload {
                    handler_names: vec!["reload firewalld".into()],
                },
            },
            FirewallEvent {
                host: 1,
                order: 10,
                notify: vec![],
                kind: EventKind::SetDefaultZone("other".into()),
            },
        ];
        let fw = host_firewall(&events, 0, "FedoraServer");
        let reloaded: Vec<bool> = fw.ops.iter().map(|o| o.reloaded).collect();
        assert_eq!(reloaded, [true, true, false, true]);
        assert_eq!(fw.default_zone, "FedoraServer");
        assert_eq!(host_firewall(&events, 1, "public").default_zone, "other");
    }
}
