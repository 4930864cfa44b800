//! diagnostic: what a rule reports — code, severity, message, labelled spans, help and fix.
//!
//! Library code produces [`Diagnostic`]s and [`FileError`]s as data; only `report/` turns them
//! into text.

use crate::rules::Rule;
use crate::source::Span;
use serde::Serialize;

/// How serious a finding is, ShellCheck's four levels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Style,
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Style => "style",
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "style" => Some(Severity::Style),
            "info" => Some(Severity::Info),
            "warning" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

/// A span with a short text shown beside it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

impl Label {
    pub fn new(span: Span, message: impl Into<String>) -> Self {
        Label {
            span,
            message: message.into(),
        }
    }
}

/// Replace the text at `span` with `replacement` (an empty span inserts).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Edit {
    pub span: Span,
    pub replacement: String,
    /// The text the edit means to replace, when the rule knows it: a fix is applied only while
    /// the file still holds exactly that there (a rename must not land on `{{ var }}`).
    pub expected: Option<String>,
}

impl Edit {
    pub fn new(span: Span, replacement: impl Into<String>) -> Self {
        Edit {
            span,
            replacement: replacement.into(),
            expected: None,
        }
    }

    /// The edit applies only where the file holds `text` at its span.
    pub fn expecting(mut self, text: impl Into<String>) -> Self {
        self.expected = Some(text.into());
        self
    }
}

/// Whether a fix can be applied without a human looking at it (ruff's terms).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Applicability {
    Safe,
    Unsafe,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    pub message: String,
    pub applicability: Applicability,
    pub edits: Vec<Edit>,
}

/// One finding.
#[derive(Clone, Debug)]
pub struct Diagnostic {
    pub rule: &'static Rule,
    pub severity: Severity,
    pub message: String,
    pub primary: Label,
    pub related: Vec<Label>,
    pub help: Option<String>,
    pub hosts: Vec<String>,
    pub fix: Option<Fix>,
}

impl Diagnostic {
    /// A finding of `rule` at its default severity.
    pub fn new(rule: &'static Rule, span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            rule,
            severity: rule.severity,
            message: message.into(),
            primary: Label::new(span, ""),
            related: Vec::new(),
            hosts: Vec::new(),
            help: None,
            fix: None,
        }
    }

    pub fn label(mut self, message: impl Into<String>) -> Self {
        self.primary.message = message.into();
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn related(mut self, span: Span, message: impl Into<String>) -> Self {
        self.related.push(Label::new(span, message));
        self
    }

    /// Names a host the finding occurs on (findings about rendered files always do).
    pub fn with_host(mut self, host: &str) -> Self {
        self.hosts.push(host.to_string());
        self
    }

    pub fn fix(mut self, fix: Fix) -> Self {
        self.fix = Some(fix);
        self
    }

    /// Sort key: file, position, code.
    pub fn sort_key(&self) -> (Span, &'static str) {
        (self.primary.span, self.rule.code)
    }
}

/// A file mxlint could not check at all (unreadable, binary, not UTF-8). Ends the run with 2.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileError {
    pub path: std::path::PathBuf,
    /// 1-based line and column when the problem has a place (e.g. the first invalid byte).
    pub position: Option<(usize, usize)>,
    pub message: String,
}

impl std::fmt::Display for FileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.position {
            Some((line, column)) => write!(
                f,
                "{}:{line}:{column}: {}",
                self.path.display(),
                self.message
            ),
            None => write!(f, "{}: {}", self.path.display(), self.message),
        }
    }
}
