//! lsp: `mxlint server`, a Language Server over stdio (lsp-server + lsp-types).
//!
//! Findings are pushed with `textDocument/publishDiagnostics` on didOpen, didChange and
//! didSave; safe fixes are offered as `quickfix` code actions. Positions are in the encoding
//! negotiated at initialize (UTF-8 when the client offers it, else UTF-16).
//!
//! **Unsaved buffers.** The text of every open document (didOpen, then each didChange, full
//! or ranged) is kept in an [`Overlay`]; the check reads it instead of the file on disk
//! wherever it reads a file by name: templates and their includes, `lookup('file')`, tasks,
//! vars and inventory YAML, playbooks, plain configuration files. So findings follow the
//! buffer as typed, and point into the buffer's text. didClose drops the document's text (the
//! disk again). What is still read from disk: directory listings (a file that exists only in
//! an unsaved buffer is not discovered), `ansible.cfg`, and `.mxlint.yml` itself.
//!
//! **Batches.** Notifications already queued when one arrives are handled together and each
//! repository is checked once per batch, so a burst of didChange costs one check. The last
//! check's result answers code actions until the next change.
//!
//! **Settings** come from `initializationOptions` and `workspace/didChangeConfiguration` (see
//! [`settings`]): the latest replace the earlier ones; bad settings are shown to the user
//! (`window/showMessage`) and the defaults used. A new configuration re-checks every open
//! document.
//!
//! A document inside an Ansible repository (the nearest parent [`repo::is_ansible_repo`]
//! accepts) checks the whole repository with the config `check` would resolve for it; a file
//! outside one is checked alone. Findings are published for the changed document and for the
//! other open documents of the same repository. Bad input (malformed params, unknown
//! methods, URIs that are not `file:`) is logged to stderr and ignored.

pub mod settings;

use crate::config;
use crate::diagnostic::{Applicability, Diagnostic, Severity};
use crate::repo;
use crate::report::sarif::RULE_DOCS_URL;
use crate::source::{Overlay, SourceDb, SourceFile, Span};
use lsp_server::{Connection, Message, Notification, Request, Response};
use lsp_types as lt;
use serde_json::Value;
use settings::ServerSettings;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::str::FromStr;

/// The unit of LSP character offsets, negotiated at initialize.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16,
}

/// Runs the server on stdin/stdout until `exit`. `Ok(true)` when the client shut it down
/// properly (shutdown, then exit), `Ok(false)` when `exit` came without `shutdown`.
pub fn run() -> std::io::Result<bool> {
    let (connection, io_threads) = Connection::stdio();
    let clean = serve(connection)?;
    io_threads.join()?;
    Ok(clean)
}

fn serve(connection: Connection) -> std::io::Result<bool> {
    let (id, params) = connection
        .initialize_start()
        .map_err(std::io::Error::other)?;
    let init: lt::InitializeParams = serde_json::from_value(params).unwrap_or_else(|e| {
        log(format_args!(
            "malformed initialize params ({e}); using defaults"
        ));
        lt::InitializeParams::default()
    });
    let encoding = negotiate(&init);
    let result = serde_json::json!({
        "capabilities": capabilities(encoding),
        "serverInfo": {"name": "mxlint", "version": env!("CARGO_PKG_VERSION")},
    });
    connection
        .initialize_finish(id, result)
        .map_err(std::io::Error::other)?;

    let mut server = Server {
        connection: &connection,
        encoding,
        workspace: workspace_root(&init),
        open: HashMap::new(),
        overlay: Overlay::new(),
        settings: ServerSettings::default(),
        cache: HashMap::new(),
        shown_error: None,
    };
    let options = init.initialization_options.unwrap_or(Value::Null);
    server.configure(&options);
    loop {
        let Ok(first) = connection.receiver.recv() else {
            return Ok(false);
        };
        let mut batch = vec![first];
        // Notifications already queued join the batch, so a burst of didChange is checked
        // once. A request ends it: `shutdown` must find `exit` still in the queue.
        while !matches!(batch.last(), Some(Message::Request(_))) {
            match connection.receiver.try_recv() {
                Ok(message) => batch.push(message),
                Err(_) => break,
            }
        }
        let mut pending = Vec::new();
        for message in batch {
            match message {
                Message::Request(request) => {
                    if request.method != "shutdown" {
                        server.check_pending(&mut pending);
                    }
                    match connection.handle_shutdown(&request) {
                        Ok(true) => return Ok(true),
                        Ok(false) => {}
                        Err(e) => {
                            log(format_args!("{e}"));
                            return Ok(false);
                        }
                    }
                    server.request(request);
                }
                Message::Notification(note) if note.method == "exit" => return Ok(false),
                Message::Notification(note) => server.notification(note, &mut pending),
                Message::Response(_) => {}
            }
        }
        server.check_pending(&mut pending);
    }
}

fn capabilities(encoding: Encoding) -> lt::ServerCapabilities {
    lt::ServerCapabilities {
        position_encoding: Some(match encoding {
            Encoding::Utf8 => lt::PositionEncodingKind::UTF8,
            Encoding::Utf16 => lt::PositionEncodingKind::UTF16,
        }),
        text_document_sync: Some(lt::TextDocumentSyncCapability::Options(
            lt::TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(lt::TextDocumentSyncKind::FULL),
                save: Some(lt::TextDocumentSyncSaveOptions::Supported(true)),
                ..Default::default()
            },
        )),
        code_action_provider: Some(lt::CodeActionProviderCapability::Options(
            lt::CodeActionOptions {
                code_action_kinds: Some(vec![lt::CodeActionKind::QUICKFIX]),
                ..Default::default()
            },
        )),
        ..Default::default()
    }
}

/// A line on stderr, the only channel besides the protocol (stdout is the client's).
fn log(message: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "mxlint server: {message}");
}

/// UTF-8 when the client offers it (no counting needed on either side), else UTF-16, the
/// protocol's default.
fn negotiate(init: &lt::InitializeParams) -> Encoding {
    let offered = init
        .capabilities
        .general
        .as_ref()
        .and_then(|g| g.position_encodings.as_ref());
    match offered {
        Some(kinds) if kinds.contains(&lt::PositionEncodingKind::UTF8) => Encoding::Utf8,
        _ => Encoding::Utf16,
    }
}

/// The first workspace folder, else the root URI: relative paths in the settings start there.
fn workspace_root(init: &lt::InitializeParams) -> Option<PathBuf> {
    let folder = init
        .workspace_folders
        .as_ref()
        .and_then(|folders| folders.first())
        .map(|folder| folder.uri.clone());
    #[allow(deprecated)] // rootUri: the only root older clients (Neovim 0.7 included) may send
    let uri = folder.or_else(|| init.root_uri.clone())?;
    uri_to_path(uri.as_str())
}

struct Server<'c> {
    connection: &'c Connection,
    encoding: Encoding,
    workspace: Option<PathBuf>,
    /// Absolute paths of the documents the client has open, with their versions.
    open: HashMap<PathBuf, i32>,
    /// The open documents' texts, which the check reads instead of the disk.
    overlay: Overlay,
    settings: ServerSettings,
    /// The last check of each target (repository or lone file) since the last change.
    cache: HashMap<PathBuf, Rc<crate::Outcome>>,
    /// The config problem last shown to the user, so one problem is shown once.
    shown_error: Option<String>,
}

impl Server<'_> {
    /// Applies a settings object; bad settings are shown to the user and the defaults used.
    fn configure(&mut self, value: &Value) {
        self.settings = match settings::parse(value, self.workspace.as_deref()) {
            Ok(settings) => settings,
            Err(e) => {
                self.show_error(&format!("mxlint: bad settings, using the defaults:\n{e}"));
                ServerSettings::default()
            }
        };
        self.cache.clear();
    }

    fn notification(&mut self, note: Notification, pending: &mut Vec<PathBuf>) {
        if note.method == "workspace/didChangeConfiguration" {
            self.configure(settings::of_notification(&note.params));
            pending.extend(self.open.keys().cloned());
            return;
        }
        if !note.method.starts_with("textDocument/did") {
            return;
        }
        let Some(path) = document_path(&note.params) else {
            log(format_args!(
                "{}: no file: URI in the params, ignored",
                note.method
            ));
            return;
        };
        let document = &note.params["textDocument"];
        match note.method.as_str() {
            "textDocument/didOpen" => {
                let Some(text) = document["text"].as_str() else {
                    log(format_args!("didOpen without text, ignored"));
                    return;
                };
                self.overlay.insert(&path, text);
                self.open.insert(path.clone(), version(document));
            }
            "textDocument/didChange" => {
                if !self.open.contains_key(&path) {
                    log(format_args!("didChange of a document not open, ignored"));
                    return;
                }
                self.change(&path, &note.params["contentChanges"]);
                self.open.insert(path.clone(), version(document));
            }
            "textDocument/didSave" => {
                if let Some(text) = note.params["text"].as_str() {
                    self.overlay.insert(&path, text);
                }
            }
            "textDocument/didClose" => {
                self.open.remove(&path);
                self.overlay.remove(&path);
                self.publish(&path, Vec::new());
                pending.retain(|p| *p != path);
                // Other documents of the repository saw the closed buffer's text: re-check.
                if let Some(root) = repository_of(&path) {
                    pending.extend(self.open.keys().filter(|p| p.starts_with(&root)).cloned());
                }
                self.cache.clear();
                return;
            }
            _ => return,
        }
        self.cache.clear();
        if !pending.contains(&path) {
            pending.push(path);
        }
    }

    /// Applies didChange's content changes to the document's text: whole texts, or ranges in
    /// the negotiated encoding (for clients that send them although the server asks for full).
    fn change(&mut self, path: &Path, changes: &Value) {
        let Some(changes) = changes.as_array() else {
            log(format_args!("didChange without contentChanges, ignored"));
            return;
        };
        let mut text = match self.overlay.get(path) {
            Some(text) => text.to_string(),
            None => String::new(),
        };
        for change in changes {
            let Some(new_text) = change["text"].as_str() else {
                log(format_args!("a content change without text, ignored"));
                continue;
            };
            match serde_json::from_value::<lt::Range>(change["range"].clone()) {
                Ok(range) => {
                    let start = offset_of(&text, range.start, self.encoding);
                    let end = offset_of(&text, range.end, self.encoding).max(start);
                    text.replace_range(start..end, new_text);
                }
                Err(_) => text = new_text.to_string(),
            }
        }
        self.overlay.insert(path, text);
    }

    /// Checks the documents of `pending`, each repository once, and empties it.
    fn check_pending(&mut self, pending: &mut Vec<PathBuf>) {
        let mut published: HashSet<PathBuf> = HashSet::new();
        for path in std::mem::take(pending) {
            if published.contains(&path) || !self.open.contains_key(&path) {
                continue;
            }
            published.extend(self.check_and_publish(&path));
        }
    }

    fn show_error(&self, message: &str) {
        log(format_args!("{message}"));
        let params = lt::ShowMessageParams {
            typ: lt::MessageType::ERROR,
            message: message.to_string(),
        };
        self.send(Message::Notification(Notification::new(
            "window/showMessage".to_string(),
            params,
        )));
    }

    fn request(&mut self, request: Request) {
        let response = match request.method.as_str() {
            "textDocument/codeAction" => {
                match serde_json::from_value::<lt::CodeActionParams>(request.params) {
                    Ok(params) => {
                        let actions = self.code_actions(&params);
                        Response::new_ok(request.id, actions)
                    }
                    Err(e) => {
                        log(format_args!("malformed codeAction params: {e}"));
                        Response::new_err(
                            request.id,
                            lsp_server::ErrorCode::InvalidParams as i32,
                            e.to_string(),
                        )
                    }
                }
            }
            method => Response::new_err(
                request.id,
                lsp_server::ErrorCode::MethodNotFound as i32,
                format!("mxlint server does not handle {method}"),
            ),
        };
        self.send(Message::Response(response));
    }

    fn send(&self, message: Message) {
        if let Err(e) = self.connection.sender.send(message) {
            log(format_args!("cannot send: {e}"));
        }
    }

    fn publish(&self, path: &Path, diagnostics: Vec<lt::Diagnostic>) {
        let Some(uri) = path_to_uri(path) else {
            return;
        };
        let params = lt::PublishDiagnosticsParams {
            uri,
            diagnostics,
            version: self.open.get(path).copied(),
        };
        self.send(Message::Notification(Notification::new(
            "textDocument/publishDiagnostics".to_string(),
            params,
        )));
    }

    /// Checks the repository (or the lone file) `path` belongs to and publishes the findings
    /// of `path` and of every open document of that repository; returns those documents.
    fn check_and_publish(&mut self, path: &Path) -> Vec<PathBuf> {
        let (root, outcome) = self.check(path);
        let mut documents: Vec<PathBuf> = match &root {
            Some(root) => self
                .open
                .keys()
                .filter(|p| p.starts_with(root))
                .cloned()
                .collect(),
            None => Vec::new(),
        };
        if !documents.iter().any(|d| d == path) {
            documents.push(path.to_path_buf());
        }
        let mut by_file: HashMap<PathBuf, Vec<lt::Diagnostic>> = HashMap::new();
        if let Some(outcome) = &outcome {
            for d in &outcome.diagnostics {
                if outcome.db.is_builtin(d.primary.span.file) {
                    continue;
                }
                let file = absolute(outcome.db.file(d.primary.span.file).path());
                if documents.contains(&file) {
                    let lsp = to_lsp(&outcome.db, d, self.encoding);
                    by_file.entry(file).or_default().push(lsp);
                }
            }
            for error in &outcome.errors {
                let file = absolute(&error.path);
                if documents.contains(&file) {
                    let (line, column) = error.position.unwrap_or((1, 1));
                    let at = lt::Position::new(
                        line.saturating_sub(1) as u32,
                        column.saturating_sub(1) as u32,
                    );
                    by_file.entry(file).or_default().push(lt::Diagnostic {
                        range: lt::Range::new(at, at),
                        severity: Some(lt::DiagnosticSeverity::ERROR),
                        source: Some("mxlint".to_string()),
                        message: error.message.clone(),
                        ..Default::default()
                    });
                }
            }
        }
        for document in &documents {
            let diagnostics = by_file.remove(document).unwrap_or_default();
            self.publish(document, diagnostics);
        }
        documents
    }

    // `WorkspaceEdit::changes` is keyed by `Uri`, whose parsed form caches lazily (interior
    // mutability); the keys are never mutated here.
    #[allow(clippy::mutable_key_type)]
    fn code_actions(&mut self, params: &lt::CodeActionParams) -> Vec<lt::CodeActionOrCommand> {
        let Some(path) = uri_to_path(params.text_document.uri.as_str()).map(|p| absolute(&p))
        else {
            log(format_args!(
                "codeAction for a URI that is not file:, ignored"
            ));
            return Vec::new();
        };
        let (_, Some(outcome)) = self.check(&path) else {
            return Vec::new();
        };
        let mut actions = Vec::new();
        for d in &outcome.diagnostics {
            let Some(fix) = d
                .fix
                .as_ref()
                .filter(|f| f.applicability == Applicability::Safe)
            else {
                continue;
            };
            if outcome.db.is_builtin(d.primary.span.file)
                || absolute(outcome.db.file(d.primary.span.file).path()) != path
            {
                continue;
            }
            let lsp = to_lsp(&outcome.db, d, self.encoding);
            if !overlaps(&lsp.range, &params.range) {
                continue;
            }
            let mut changes: HashMap<lt::Uri, Vec<lt::TextEdit>> = HashMap::new();
            let mut complete = true;
            for edit in &fix.edits {
                let file = outcome.db.file(edit.span.file);
                match path_to_uri(&absolute(file.path())) {
                    Some(uri) if !outcome.db.is_builtin(edit.span.file) => {
                        changes.entry(uri).or_default().push(lt::TextEdit {
                            range: range(file, edit.span, self.encoding),
                            new_text: edit.replacement.clone(),
                        });
                    }
                    _ => complete = false,
                }
            }
            if !complete || changes.is_empty() {
                continue;
            }
            actions.push(lt::CodeActionOrCommand::CodeAction(lt::CodeAction {
                title: fix.message.clone(),
                kind: Some(lt::CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![lsp]),
                edit: Some(lt::WorkspaceEdit {
                    changes: Some(changes),
                    ..Default::default()
                }),
                is_preferred: Some(true),
                ..Default::default()
            }));
        }
        actions
    }

    /// Checks what `path` belongs to, with the open documents' texts: its repository
    /// (returned as the first element) or the file alone. `None` for the outcome when the
    /// config file cannot be read (shown to the user).
    fn check(&mut self, path: &Path) -> (Option<PathBuf>, Option<Rc<crate::Outcome>>) {
        let root = repository_of(path);
        let target = root.clone().unwrap_or_else(|| path.to_path_buf());
        if let Some(outcome) = self.cache.get(&target) {
            return (root, Some(Rc::clone(outcome)));
        }
        let targets = [target.as_path()];
        let source = self.settings.config_source();
        let config = match config::resolve(&source, &targets, &self.settings.overrides()) {
            Ok(config) => {
                self.shown_error = None;
                config
            }
            Err(e) => {
                let message = format!("mxlint: cannot use the config file: {e}");
                if self.shown_error.as_ref() != Some(&message) {
                    self.show_error(&message);
                    self.shown_error = Some(message);
                }
                return (root, None);
            }
        };
        let ansible = self.settings.ansible();
        let outcome = Rc::new(crate::check_targets_with_overlay(
            &targets,
            self.overlay.clone(),
            |root| ansible.options_with(root, &config.settings),
            &config.settings,
        ));
        self.cache.insert(target, Rc::clone(&outcome));
        (root, Some(outcome))
    }
}

/// The path of `params.textDocument.uri`, when it is a `file:` URI.
fn document_path(params: &Value) -> Option<PathBuf> {
    let path = uri_to_path(params.get("textDocument")?.get("uri")?.as_str()?)?;
    Some(absolute(&path))
}

fn version(document: &Value) -> i32 {
    document["version"]
        .as_i64()
        .and_then(|v| i32::try_from(v).ok())
        .unwrap_or(0)
}

/// The byte offset of an LSP position in `text`, clamped to the line's end and the text's.
pub fn offset_of(text: &str, position: lt::Position, encoding: Encoding) -> usize {
    let mut line_start = 0;
    for _ in 0..position.line {
        match text[line_start..].find('\n') {
            Some(i) => line_start += i + 1,
            None => return text.len(),
        }
    }
    let line_end = text[line_start..]
        .find('\n')
        .map_or(text.len(), |i| line_start + i);
    let mut units = 0;
    for (i, c) in text[line_start..line_end].char_indices() {
        if units >= position.character as usize {
            return line_start + i;
        }
        units += match encoding {
            Encoding::Utf8 => c.len_utf8(),
            Encoding::Utf16 => c.len_utf16(),
        };
    }
    line_end
}

/// The nearest parent directory of `path` that is an Ansible repository.
fn repository_of(path: &Path) -> Option<PathBuf> {
    path.ancestors()
        .skip(1)
        .find(|dir| repo::is_ansible_repo(dir))
        .map(Path::to_path_buf)
}

/// `path` absolute and without `.` or `..`, as the client names documents.
fn absolute(path: &Path) -> PathBuf {
    crate::source::lexical_absolute(path)
}

fn overlaps(a: &lt::Range, b: &lt::Range) -> bool {
    !(a.end < b.start || b.end < a.start)
}

/// One finding as an LSP diagnostic: hosts and help go into the message.
pub fn to_lsp(db: &SourceDb, d: &Diagnostic, encoding: Encoding) -> lt::Diagnostic {
    let file = db.file(d.primary.span.file);
    let mut message = d.message.clone();
    if !d.hosts.is_empty() {
        message.push_str(&format!(" (hosts: {})", d.hosts.join(", ")));
    }
    if let Some(help) = &d.help {
        message.push_str(&format!("\nhelp: {help}"));
    }
    let related: Vec<lt::DiagnosticRelatedInformation> = d
        .related
        .iter()
        .filter(|label| !db.is_builtin(label.span.file))
        .filter_map(|label| {
            let related = db.file(label.span.file);
            Some(lt::DiagnosticRelatedInformation {
                location: lt::Location::new(
                    path_to_uri(&absolute(related.path()))?,
                    range(related, label.span, encoding),
                ),
                message: if label.message.is_empty() {
                    "related".to_string()
                } else {
                    label.message.clone()
                },
            })
        })
        .collect();
    let href = lt::Uri::from_str(&format!("{RULE_DOCS_URL}{}.md", d.rule.code)).ok();
    lt::Diagnostic {
        range: range(file, d.primary.span, encoding),
        severity: Some(match d.severity {
            Severity::Error => lt::DiagnosticSeverity::ERROR,
            Severity::Warning => lt::DiagnosticSeverity::WARNING,
            Severity::Info => lt::DiagnosticSeverity::INFORMATION,
            Severity::Style => lt::DiagnosticSeverity::HINT,
        }),
        code: Some(lt::NumberOrString::String(d.rule.code.to_string())),
        code_description: href.map(|href| lt::CodeDescription { href }),
        source: Some("mxlint".to_string()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        ..Default::default()
    }
}

/// The LSP range of a byte span of `file`.
pub fn range(file: &SourceFile, span: Span, encoding: Encoding) -> lt::Range {
    lt::Range::new(
        position(file, span.start(), encoding),
        position(file, span.end(), encoding),
    )
}

/// The LSP position (0-based line, character in `encoding`'s units) of a byte offset,
/// clamped to the text and moved back to a character boundary.
pub fn position(file: &SourceFile, offset: usize, encoding: Encoding) -> lt::Position {
    let text = file.text();
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let line = file.line_index(offset);
    let start = file.line_range(line).start.min(offset);
    let prefix = &text[start..offset];
    let character = match encoding {
        Encoding::Utf8 => prefix.len(),
        Encoding::Utf16 => prefix.encode_utf16().count(),
    };
    lt::Position::new(
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(character).unwrap_or(u32::MAX),
    )
}

/// The path of a `file:` URI (percent-decoded); `None` for other schemes or bad escapes.
pub fn uri_to_path(uri: &str) -> Option<PathBuf> {
    let rest = uri.strip_prefix("file://")?;
    // `file:///path` (empty authority) or `file://localhost/path`.
    let rest = rest.strip_prefix("localhost").unwrap_or(rest);
    if !rest.starts_with('/') {
        return None;
    }
    let rest = rest.split(['?', '#']).next().unwrap_or(rest);
    let bytes = rest.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            decoded.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            decoded.push(bytes[i]);
            i += 1;
        }
    }
    let text = String::from_utf8(decoded).ok()?;
    Some(PathBuf::from(text))
}

/// The `file:` URI of an absolute path, percent-encoding everything but unreserved
/// characters and `/`.
pub fn path_to_uri(path: &Path) -> Option<lt::Uri> {
    let text = path.to_str()?;
    let mut uri = String::from("file://");
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            uri.push(byte as char);
        } else {
            uri.push_str(&format!("%{byte:02X}"));
        }
    }
    lt::Uri::from_str(&uri).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;

    #[test]
    fn positions_count_utf16_units_or_utf8_bytes() {
        let mut db = SourceDb::new();
        // "é" is 2 UTF-8 bytes and 1 UTF-16 unit; "😀" is 4 bytes and 2 units.
        let text = "first\n# é😀 x = 1\n".to_string();
        let x = text.find('x').unwrap();
        let id: FileId = db.add("t.conf", text);
        let file = db.file(id);
        assert_eq!(position(file, x, Encoding::Utf16), lt::Position::new(1, 6));
        assert_eq!(position(file, x, Encoding::Utf8), lt::Position::new(1, 9));
        // An offset inside the emoji moves back to its start; past the end clamps.
        let emoji = "first\n# é".len();
        assert_eq!(
            position(file, emoji + 1, Encoding::Utf16),
            lt::Position::new(1, 3)
        );
        assert_eq!(
            position(file, 10_000, Encoding::Utf16),
            lt::Position::new(2, 0)
        );
    }

    #[test]
    fn ranged_changes_land_at_their_offsets_in_either_encoding() {
        let text = "a😀b\nsecond\n";
        let at = |line, character, encoding| {
            offset_of(text, lt::Position::new(line, character), encoding)
        };
        // The emoji is 2 UTF-16 units and 4 UTF-8 bytes.
        assert_eq!(at(0, 3, Encoding::Utf16), "a😀".len());
        assert_eq!(at(0, 5, Encoding::Utf8), "a😀".len());
        assert_eq!(at(1, 2, Encoding::Utf16), "a😀b\nse".len());
        // Past the line's end clamps to it; past the last line to the text's end.
        assert_eq!(at(0, 99, Encoding::Utf16), "a😀b".len());
        assert_eq!(at(9, 0, Encoding::Utf16), text.len());
    }

    #[test]
    fn file_uris_round_trip() {
        let path = Path::new("/tmp/a b/ü.conf");
        let uri = path_to_uri(path).unwrap();
        assert_eq!(uri.as_str(), "file:///tmp/a%20b/%C3%BC.conf");
        assert_eq!(uri_to_path(uri.as_str()).unwrap(), path);
        assert_eq!(uri_to_path("untitled:Untitled-1"), None);
        assert_eq!(uri_to_path("file:///bad%zz"), None);
    }
}
