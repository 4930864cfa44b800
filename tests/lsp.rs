//! `mxlint server` spoken to over stdin/stdout as an editor would: Content-Length framed
//! JSON-RPC, initialize, didOpen, didChange with unsaved text, settings, publishDiagnostics,
//! codeAction, shutdown and exit.

use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

mod support;

const TIMEOUT: Duration = Duration::from_secs(60);

struct Client {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
    next_id: i64,
}

impl Client {
    fn start() -> Self {
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("mxlint"))
            .arg("server")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn mxlint server");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let messages = support::lsp_messages(stdout);
        Client {
            child,
            stdin,
            messages,
            next_id: 1,
        }
    }

    fn send(&mut self, message: Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("write");
        self.stdin.flush().expect("flush");
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Sends a request and returns its response's `result`.
    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        let response = self.wait_for(|m| m["id"] == json!(id) && m.get("method").is_none());
        assert!(response.get("error").is_none(), "{method}: {response}");
        response["result"].clone()
    }

    /// The next message `matches` accepts, skipping others; panics after [`TIMEOUT`].
    fn wait_for(&self, matches: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.messages.recv_timeout(left) {
                Ok(message) if matches(&message) => return message,
                Ok(_) => {}
                Err(e) => panic!("no expected message from mxlint server: {e}"),
            }
        }
    }

    fn wait_exit(&mut self) -> std::process::ExitStatus {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(Instant::now() < deadline, "server did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn diagnostics_for(&self, uri: &str) -> Vec<Value> {
        let message = self.wait_for(|m| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
        });
        message["params"]["diagnostics"]
            .as_array()
            .expect("diagnostics array")
            .clone()
    }

    /// initialize (with the workspace `root` and `options` as initializationOptions), then
    /// initialized.
    fn initialize(&mut self, root: &Path, options: Value) {
        self.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": file_uri(root),
                "capabilities": {},
                "initializationOptions": options,
            }),
        );
        self.notify("initialized", json!({}));
    }

    /// didChange with the whole new text, as a client syncing in full does.
    fn change(&mut self, uri: &str, version: i64, text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({
                "textDocument": {"uri": uri, "version": version},
                "contentChanges": [{"text": text}],
            }),
        );
    }

    fn configure(&mut self, settings: Value) {
        self.notify(
            "workspace/didChangeConfiguration",
            json!({ "settings": settings }),
        );
    }

    fn shutdown(&mut self) {
        assert_eq!(self.request("shutdown", Value::Null), Value::Null);
        self.notify("exit", Value::Null);
        let status = self.wait_exit();
        assert!(status.success(), "{status}");
    }

    fn open(&mut self, path: &Path, language: &str) -> String {
        let uri = file_uri(path);
        let text = std::fs::read_to_string(path).expect("read document");
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": language, "version": 1, "text": text}}),
        );
        uri
    }
}

fn file_uri(path: &Path) -> String {
    // The test paths are plain ASCII without spaces: no escaping needed.
    format!("file://{}", path.display())
}

fn example(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/mail-fleet")
        .join(relative)
}

/// A copy of the example repository in a temporary directory, and that directory.
fn example_copy() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("mail-fleet");
    support::copy_tree(&example(""), &root);
    (dir, root)
}

/// `(code, 0-based line)` of each diagnostic, sorted.
fn lines(diagnostics: &[Value]) -> Vec<(String, u64)> {
    let mut out: Vec<(String, u64)> = diagnostics
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap_or("-").to_string(),
                d["range"]["start"]["line"].as_u64().unwrap_or(u64::MAX),
            )
        })
        .collect();
    out.sort();
    out
}

fn codes(diagnostics: &[Value]) -> Vec<&str> {
    diagnostics
        .iter()
        .filter_map(|d| d["code"].as_str())
        .collect()
}

#[test]
fn server_publishes_findings_and_offers_safe_fixes() {
    let mut client = Client::start();
    let init = client.request(
        "initialize",
        json!({
            "processId": null,
            "rootUri": null,
            "capabilities": {"general": {"positionEncodings": ["utf-16"]}},
        }),
    );
    assert_eq!(init["capabilities"]["positionEncoding"], "utf-16");
    assert_eq!(init["capabilities"]["textDocumentSync"]["change"], 1);
    client.notify("initialized", json!({}));

    // A template of the example repository: the repository is checked, the finding lands on
    // the template's line 8 (0-based 7).
    let master = client.open(&example("roles/postfix/templates/master.cf.j2"), "jinja");
    let diagnostics = client.diagnostics_for(&master);
    let mx401 = diagnostics
        .iter()
        .find(|d| d["code"] == "MX401")
        .unwrap_or_else(|| panic!("no MX401 in {diagnostics:#?}"));
    assert_eq!(mx401["range"]["start"]["line"], 7, "{mx401}");
    assert_eq!(mx401["source"], "mxlint");
    assert_eq!(mx401["severity"], 1);
    assert!(mx401["codeDescription"]["href"]
        .as_str()
        .is_some_and(|href| href.ends_with("/rules/MX401.md")));
    assert!(mx401["message"].as_str().unwrap_or("").contains("587"));

    let dovecot = client.open(&example("roles/dovecot/templates/dovecot.conf.j2"), "jinja");
    let diagnostics = client.diagnostics_for(&dovecot);
    let found = codes(&diagnostics);
    assert!(
        found.contains(&"MX301") && found.contains(&"MX302"),
        "{diagnostics:#?}"
    );

    // A plain dovecot.conf outside any repository: MX301 with its safe fix.
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = dir.path().join("dovecot.conf");
    std::fs::write(&conf, "protocols = imap\n").expect("write");
    let conf_uri = client.open(&conf, "dovecot");
    let diagnostics = client.diagnostics_for(&conf_uri);
    assert!(codes(&diagnostics).contains(&"MX301"), "{diagnostics:#?}");
    let actions = client.request(
        "textDocument/codeAction",
        json!({
            "textDocument": {"uri": conf_uri},
            "range": {"start": {"line": 0, "character": 0}, "end": {"line": 1, "character": 0}},
            "context": {"diagnostics": diagnostics},
        }),
    );
    let actions = actions.as_array().expect("code actions");
    let fix = actions
        .iter()
        .find(|a| a["kind"] == "quickfix" && a["diagnostics"][0]["code"] == "MX301")
        .unwrap_or_else(|| panic!("no MX301 quickfix in {actions:#?}"));
    let edits = fix["edit"]["changes"][&conf_uri]
        .as_array()
        .expect("edits for the file");
    assert!(
        edits.iter().any(|e| e["newText"]
            .as_str()
            .is_some_and(|t| t.contains("default_vsz_limit"))),
        "{fix:#}"
    );

    // Malformed params are ignored, not fatal: the server still answers afterwards.
    client.notify("textDocument/didOpen", json!({"textDocument": 42}));
    let bad = client.next_id;
    client.next_id += 1;
    client.send(json!({"jsonrpc": "2.0", "id": bad, "method": "textDocument/codeAction", "params": {"x": 1}}));
    let response = client.wait_for(|m| m["id"] == json!(bad));
    assert!(response.get("error").is_some(), "{response}");

    assert_eq!(client.request("shutdown", Value::Null), Value::Null);
    client.notify("exit", Value::Null);
    let status = client.wait_exit();
    assert!(status.success(), "{status}");
}

#[test]
fn close_clears_diagnostics_and_exit_without_shutdown_is_code_1() {
    let mut client = Client::start();
    client.request("initialize", json!({"capabilities": {}}));
    client.notify("initialized", json!({}));
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = dir.path().join("dovecot.conf");
    std::fs::write(&conf, "protocols = imap\n").expect("write");
    let uri = client.open(&conf, "dovecot");
    assert!(codes(&client.diagnostics_for(&uri)).contains(&"MX301"));
    client.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": uri}}),
    );
    assert_eq!(client.diagnostics_for(&uri), Vec::<Value>::new());

    client.notify("exit", Value::Null);
    let status = client.wait_exit();
    assert_eq!(status.code(), Some(1));
}

#[test]
fn unsaved_text_moves_and_clears_findings_while_the_disk_stays_as_it_was() {
    let (_dir, root) = example_copy();
    let template = root.join("roles/dovecot/templates/dovecot.conf.j2");
    let vars = root.join("host_vars/imap02.us.example.org.yml");
    let on_disk = |path: &Path| std::fs::read(path).expect("read from disk");
    let (template_before, vars_before) = (on_disk(&template), on_disk(&vars));
    let saved = String::from_utf8(template_before.clone()).expect("UTF-8 template");

    let mut client = Client::start();
    client.initialize(&root, Value::Null);
    let uri = client.open(&template, "jinja");
    let saved_lines = lines(&client.diagnostics_for(&uri));
    let line_of = |found: &[(String, u64)], code: &str| {
        found
            .iter()
            .find(|(c, _)| c == code)
            .map(|(_, line)| *line)
            .unwrap_or_else(|| panic!("no {code} in {found:?}"))
    };
    let (mx301, mx302) = (
        line_of(&saved_lines, "MX301"),
        line_of(&saved_lines, "MX302"),
    );

    // Three lines typed at the top, not saved: every finding moves down three lines.
    client.change(&uri, 2, &format!("# a\n# b\n# c\n{saved}"));
    let moved = lines(&client.diagnostics_for(&uri));
    let shifted: Vec<(String, u64)> = saved_lines
        .iter()
        .map(|(code, line)| (code.clone(), line + 3))
        .collect();
    assert_eq!(moved, shifted);

    // The setting typed unconditionally: MX301 (unset on three hosts) goes away.
    let fixed = saved.replace(
        "{% if dovecot_vsz_limit is defined %}",
        "default_vsz_limit = 1G\n{% if dovecot_vsz_limit is defined %}",
    );
    assert_ne!(
        fixed, saved,
        "the example template changed; update this test"
    );
    client.change(&uri, 3, &fixed);
    let found = client.diagnostics_for(&uri);
    assert!(!codes(&found).contains(&"MX301"), "{found:#?}");
    assert!(codes(&found).contains(&"MX302"), "{found:#?}");

    // An unsaved vars file counts too: imap02's 512M raised to 2G clears MX302 in the
    // template, which is republished as an open document of the same repository.
    let vars_uri = client.open(&vars, "yaml");
    client.diagnostics_for(&uri);
    let raised = String::from_utf8(vars_before.clone())
        .expect("UTF-8 vars")
        .replace("512M", "2G");
    client.change(&vars_uri, 2, &raised);
    let found = client.diagnostics_for(&uri);
    assert_eq!(codes(&found), Vec::<&str>::new(), "{found:#?}");

    // A burst of changes: the last text wins (and is checked at least once).
    for version in 4..=8 {
        let text = if version % 2 == 0 { &saved } else { &fixed };
        client.change(&uri, version, text);
    }
    let last = client.wait_for(|m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == uri
            && m["params"]["version"] == 8
    });
    let found = last["params"]["diagnostics"].as_array().expect("array");
    assert_eq!(codes(found), ["MX301"], "{found:#?}");
    assert_eq!(line_of(&lines(found), "MX301"), mx301);

    // Closing the vars buffer discards its text: the disk's 512M is back.
    client.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": vars_uri}}),
    );
    let found = lines(&client.diagnostics_for(&uri));
    assert_eq!(line_of(&found, "MX302"), mx302, "{found:?}");
    client.shutdown();

    assert_eq!(
        on_disk(&template),
        template_before,
        "the template on disk changed"
    );
    assert_eq!(on_disk(&vars), vars_before, "the vars file on disk changed");
}

#[test]
fn settings_map_onto_check_options_and_bad_ones_are_shown() {
    let (dir, root) = example_copy();
    let template = root.join("roles/dovecot/templates/dovecot.conf.j2");
    let mut client = Client::start();
    client.initialize(&root, json!({"ignore": ["MX301"]}));
    let uri = client.open(&template, "jinja");
    let found = client.diagnostics_for(&uri);
    assert_eq!(codes(&found), ["MX302"], "{found:#?}");

    // `limit`: only the EU hosts, none of which sets the too-small 512M.
    client.configure(json!({"mxlint": {"limit": "imap_eu"}}));
    let found = client.diagnostics_for(&uri);
    assert_eq!(codes(&found), ["MX301"], "{found:#?}");
    let message = found[0]["message"].as_str().unwrap_or("");
    assert!(
        message.contains("imap01.eu") && !message.contains(".us."),
        "{message}"
    );

    // `extraVars` defines the limit on every host: nothing left.
    client.configure(json!({"extraVars": ["dovecot_vsz_limit=2G"]}));
    assert_eq!(client.diagnostics_for(&uri), Vec::<Value>::new());

    // `config`: a file outside the repository (relative to the workspace root) that selects
    // only MX3 and ignores MX302.
    std::fs::write(
        dir.path().join("lint.yml"),
        "select: [MX3]\nignore: [MX302]\n",
    )
    .expect("write config");
    client.configure(json!({"config": "../lint.yml", "inventory": ["inventory.ini"]}));
    let found = client.diagnostics_for(&uri);
    assert_eq!(codes(&found), ["MX301"], "{found:#?}");

    // Bad settings: one error message naming each problem, and the defaults apply.
    client.configure(json!({"ignore": ["MX999"], "isolatd": true}));
    let shown = client.wait_for(|m| m["method"] == "window/showMessage");
    let text = shown["params"]["message"].as_str().unwrap_or("");
    assert_eq!(shown["params"]["type"], 1, "{shown}");
    assert!(text.contains("MX999"), "{text}");
    assert!(text.contains("did you mean `isolated`"), "{text}");
    let found = client.diagnostics_for(&uri);
    let found = codes(&found);
    assert!(
        found.contains(&"MX301") && found.contains(&"MX302"),
        "{found:?}"
    );

    // A config file that cannot be read: shown, and the server goes on.
    client.configure(json!({"config": "/nonexistent/.mxlint.yml"}));
    let shown = client.wait_for(|m| m["method"] == "window/showMessage");
    let text = shown["params"]["message"].as_str().unwrap_or("");
    assert!(text.contains("/nonexistent/.mxlint.yml"), "{text}");
    assert_eq!(client.diagnostics_for(&uri), Vec::<Value>::new());
    client.configure(json!({"isolated": true}));
    let found = client.diagnostics_for(&uri);
    assert!(codes(&found).contains(&"MX301"), "{found:#?}");
    client.shutdown();
}
