//! `mxlint server` spoken to over stdin/stdout as an editor would: Content-Length framed
//! JSON-RPC, initialize, didOpen, publishDiagnostics, codeAction, shutdown and exit.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

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
        let (tx, messages) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(message) = read_message(&mut reader) {
                if tx.send(message).is_err() {
                    break;
                }
            }
        });
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

fn read_message(reader: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(value) = line.strip_prefix("Content-Length:") {
            length = value.trim().parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
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
