//! source: every file mxlint reads, by id, with a line index.
//!
//! This is the only module that knows about lines and columns. Everything else carries byte
//! [`Span`]s; reporters ask [`SourceDb`] to turn them into 1-based line/column pairs. Columns are
//! counted in Unicode code points (what SARIF calls `unicodeCodePoints`), or in UTF-16 code units
//! for SARIF (its default column kind) and the LSP edge.

use crate::diagnostic::FileError;
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

/// Index of a file in a [`SourceDb`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// A byte range in one file. `start == end` is an insertion point. Offsets are `u32` (files
/// over 4 GiB are refused when read), which keeps spans, and every node holding them, small.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    pub file: FileId,
    start: u32,
    end: u32,
}

/// The largest file mxlint reads: offsets must fit in a [`Span`].
pub const MAX_FILE_SIZE: usize = u32::MAX as usize;

/// Text that stands for a value nobody knows before the deploy (a fact, a vaulted value, a
/// lookup run on the target). The renderer writes it; models read a value containing it as
/// unknown, never as invalid.
pub const UNKNOWN_PLACEHOLDER: &str = "__mxlint_unknown__";

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Self {
        debug_assert!(start <= end && end <= MAX_FILE_SIZE);
        Span {
            file,
            start: start as u32,
            end: end as u32,
        }
    }

    pub fn start(&self) -> usize {
        self.start as usize
    }

    pub fn end(&self) -> usize {
        self.end as usize
    }

    pub fn len(&self) -> usize {
        self.end() - self.start()
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
}

/// A 1-based line and column (column in Unicode code points).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineCol {
    pub line: usize,
    pub column: usize,
}

/// One file's text and the byte offset of each line start.
#[derive(Debug)]
pub struct SourceFile {
    path: PathBuf,
    text: Arc<str>,
    line_starts: Arc<[usize]>,
}

impl SourceFile {
    /// A file not yet in a database (built where its text is made, then added with
    /// [`SourceDb::push`]).
    pub fn new(path: PathBuf, text: String) -> Self {
        let line_starts = std::iter::once(0)
            .chain(memchr_newlines(&text).map(|i| i + 1))
            .collect::<Vec<_>>()
            .into();
        SourceFile {
            path,
            text: text.into(),
            line_starts,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn shared_text(&self) -> Arc<str> {
        Arc::clone(&self.text)
    }

    pub fn line_starts(&self) -> Arc<[usize]> {
        Arc::clone(&self.line_starts)
    }

    /// 0-based index of the line holding `offset`.
    pub fn line_index(&self, offset: usize) -> usize {
        match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        }
    }

    /// Byte range of the 0-based line `index`, without its line terminator.
    pub fn line_range(&self, index: usize) -> std::ops::Range<usize> {
        let start = self.line_starts[index];
        let mut end = self
            .line_starts
            .get(index + 1)
            .map_or(self.text.len(), |&next| next - 1);
        if end > start && self.text.as_bytes()[end - 1] == b'\r' {
            end -= 1;
        }
        start..end
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// 1-based line and column of a byte offset (clamped to the text).
    pub fn line_col(&self, offset: usize) -> LineCol {
        let offset = floor_char_boundary(&self.text, offset.min(self.text.len()));
        let index = self.line_index(offset);
        let start = self.line_starts[index];
        LineCol {
            line: index + 1,
            column: self.text[start..offset].chars().count() + 1,
        }
    }
}

impl SourceFile {
    /// 1-based line and column of a byte offset with the column in UTF-16 code units, the unit
    /// SARIF assumes by default (`columnKind: utf16CodeUnits`) and LSP's default encoding.
    pub fn line_col_utf16(&self, offset: usize) -> LineCol {
        let offset = floor_char_boundary(&self.text, offset.min(self.text.len()));
        let index = self.line_index(offset);
        let start = self.line_starts[index];
        LineCol {
            line: index + 1,
            column: self.text[start..offset].encode_utf16().count() + 1,
        }
    }
}

fn memchr_newlines(text: &str) -> impl Iterator<Item = usize> + '_ {
    text.bytes()
        .enumerate()
        .filter_map(|(i, b)| (b == b'\n').then_some(i))
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// Texts that stand in for files on disk: the unsaved buffers of an editor (`mxlint server`).
///
/// [`read_source`] and the few other readers of user files (template includes, `lookup('file')`)
/// ask it first. Paths match after making them absolute and removing `.` and `..` lexically, or
/// through the canonical path of a file that exists (a symlinked checkout). Cheap to clone; an
/// empty overlay (every `mxlint check`) costs one `is_empty` test per read.
#[derive(Clone, Debug, Default)]
pub struct Overlay {
    texts: Arc<HashMap<PathBuf, Arc<str>>>,
    /// Canonical path → key of `texts`, for files reached through another spelling.
    aliases: Arc<HashMap<PathBuf, PathBuf>>,
}

impl Overlay {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn is_empty(&self) -> bool {
        self.texts.is_empty()
    }

    /// Uses `text` for `path` from now on.
    pub fn insert(&mut self, path: &Path, text: impl Into<Arc<str>>) {
        let key = lexical_absolute(path);
        if let Ok(canonical) = path.canonicalize() {
            if canonical != key {
                Arc::make_mut(&mut self.aliases).insert(canonical, key.clone());
            }
        }
        Arc::make_mut(&mut self.texts).insert(key, text.into());
    }

    /// Reads `path` from disk again.
    pub fn remove(&mut self, path: &Path) {
        let key = lexical_absolute(path);
        if Arc::make_mut(&mut self.texts).remove(&key).is_some() {
            Arc::make_mut(&mut self.aliases).retain(|_, k| *k != key);
        }
    }

    /// The text standing in for `path`, if any.
    pub fn get(&self, path: &Path) -> Option<Arc<str>> {
        if self.is_empty() {
            return None;
        }
        let key = lexical_absolute(path);
        if let Some(text) = self.texts.get(&key) {
            return Some(Arc::clone(text));
        }
        let canonical = path.canonicalize().ok()?;
        let key = self.aliases.get(&canonical).unwrap_or(&canonical);
        self.texts.get(key).cloned()
    }

    /// Whether `path` is a file: one of the overlay's, or a regular file on disk.
    pub fn is_file(&self, path: &Path) -> bool {
        self.get(path).is_some() || path.is_file()
    }

    /// The overlay's text for `path`, else the file's.
    pub fn read_to_string(&self, path: &Path) -> std::io::Result<String> {
        match self.get(path) {
            Some(text) => Ok(text.to_string()),
            None => std::fs::read_to_string(path),
        }
    }
}

/// `path` made absolute, with `.` and `..` removed without looking at the disk.
pub(crate) fn lexical_absolute(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = PathBuf::new();
    for component in absolute.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// All files of one run.
#[derive(Debug, Default)]
pub struct SourceDb {
    files: Vec<SourceFile>,
    /// Built-in files (stock configurations) added once per run, by name (a handful).
    builtin: Vec<(String, FileId)>,
    /// Texts read instead of the files on disk (see [`Overlay`]).
    overlay: Overlay,
}

impl SourceDb {
    pub fn new() -> Self {
        Self::default()
    }

    /// A database whose [`read_source`] reads the texts of `overlay` instead of those files.
    pub fn with_overlay(overlay: Overlay) -> Self {
        SourceDb {
            overlay,
            ..Self::default()
        }
    }

    pub fn overlay(&self) -> &Overlay {
        &self.overlay
    }

    pub fn add(&mut self, path: impl Into<PathBuf>, text: String) -> FileId {
        self.push(SourceFile::new(path.into(), text))
    }

    pub fn push(&mut self, file: SourceFile) -> FileId {
        let id = FileId(u32::try_from(self.files.len()).expect("fewer than 2^32 files"));
        self.files.push(file);
        id
    }

    /// A built-in file (a distribution's stock configuration) under `name`: added on first use,
    /// the same id afterwards, so a fleet of hosts shares one copy.
    pub fn builtin(&mut self, name: &str, text: &'static str) -> FileId {
        if let Some((_, id)) = self.builtin.iter().find(|(n, _)| n == name) {
            return *id;
        }
        let id = self.add(name, text.to_string());
        self.builtin.push((name.to_string(), id));
        id
    }

    /// Whether `id` is a built-in file (see [`SourceDb::builtin`]): no user edits it.
    pub fn is_builtin(&self, id: FileId) -> bool {
        self.builtin.iter().any(|(_, b)| *b == id)
    }

    /// How many files the database holds; the next file added gets this index.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    pub fn file(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f))
    }

    pub fn text(&self, span: Span) -> &str {
        &self.file(span.file).text()[span.start()..span.end()]
    }

    /// The text at `span`, or None when the span is not in this database (a synthetic span)
    /// or not on character boundaries.
    pub fn try_text(&self, span: Span) -> Option<&str> {
        self.files
            .get(span.file.0 as usize)?
            .text()
            .get(span.start()..span.end())
    }

    /// Start and end positions of a span, both 1-based; the end column is exclusive.
    pub fn range(&self, span: Span) -> (LineCol, LineCol) {
        let file = self.file(span.file);
        (file.line_col(span.start()), file.line_col(span.end()))
    }

    /// [`SourceDb::range`] with columns in UTF-16 code units.
    pub fn range_utf16(&self, span: Span) -> (LineCol, LineCol) {
        let file = self.file(span.file);
        (
            file.line_col_utf16(span.start()),
            file.line_col_utf16(span.end()),
        )
    }
}

/// Reads a file into `db` (the overlay's text when it has one for `path`), refusing binary and
/// non-UTF-8 content.
pub fn read_source(db: &mut SourceDb, path: &Path) -> Result<FileId, FileError> {
    let error = |position, message: String| FileError {
        path: path.to_path_buf(),
        position,
        message,
    };
    let bytes = match db.overlay.get(path) {
        Some(text) => text.as_bytes().to_vec(),
        None => std::fs::read(path).map_err(|e| error(None, format!("cannot read file: {e}")))?,
    };
    if bytes.len() > crate::source::MAX_FILE_SIZE {
        return Err(error(
            None,
            "file is larger than 4 GiB; mxlint does not read it".into(),
        ));
    }
    // A NUL byte first: a binary file is "binary", whatever its UTF-8 validity.
    if let Some(at) = bytes.iter().position(|&b| b == 0) {
        return Err(error(
            Some(position_of(&bytes, at)),
            "file contains a NUL byte: this looks like a binary file, not a configuration".into(),
        ));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        let bytes = e.as_bytes();
        let at = e.utf8_error().valid_up_to();
        error(
            Some(position_of(bytes, at)),
            "file is not valid UTF-8; mxlint checks text files only".into(),
        )
    })?;
    Ok(db.add(path, text))
}

fn position_of(bytes: &[u8], at: usize) -> (usize, usize) {
    let before = &bytes[..at];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_code_points_from_one() {
        let mut db = SourceDb::new();
        let id = db.add("f", "ab\nçé = 1\r\nlast".to_string());
        let file = db.file(id);
        assert_eq!(file.line_col(0), LineCol { line: 1, column: 1 });
        assert_eq!(file.line_col(3), LineCol { line: 2, column: 1 });
        // 'ç' and 'é' are two bytes each: byte 7 is the third character of line 2.
        assert_eq!(file.line_col(7), LineCol { line: 2, column: 3 });
        assert_eq!(
            file.line_col(file.text().len()),
            LineCol { line: 3, column: 5 }
        );
        assert_eq!(&file.text()[file.line_range(1)], "çé = 1");
    }

    #[test]
    fn overlay_texts_stand_in_for_files_under_any_spelling() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real");
        std::fs::create_dir(&real).unwrap();
        let file = real.join("a.conf");
        std::fs::write(&file, "on disk\n").unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&real, &link).unwrap();

        let mut overlay = Overlay::new();
        assert!(overlay.get(&file).is_none());
        overlay.insert(&file, "in the buffer\n");
        // A path with `..` in it, and one through a symlinked directory.
        let dotted = real.join("../real/./a.conf");
        assert_eq!(overlay.get(&dotted).as_deref(), Some("in the buffer\n"));
        let linked = link.join("a.conf");
        assert_eq!(overlay.read_to_string(&linked).unwrap(), "in the buffer\n");
        let mut db = SourceDb::with_overlay(overlay.clone());
        let id = read_source(&mut db, &file).unwrap();
        assert_eq!(db.file(id).text(), "in the buffer\n");
        // A buffer with a NUL byte is refused as the file would be.
        overlay.insert(&file, "a\0b");
        let mut db = SourceDb::with_overlay(overlay.clone());
        assert!(read_source(&mut db, &file).is_err());

        overlay.remove(&linked);
        assert!(
            overlay.get(&file).is_some(),
            "removed under its own spelling only"
        );
        overlay.remove(&file);
        assert!(overlay.is_empty() && overlay.get(&linked).is_none());
        assert_eq!(overlay.read_to_string(&file).unwrap(), "on disk\n");
        // A buffer for a file that is not on disk is still a file to the overlay.
        overlay.insert(&dir.path().join("new.conf"), "x");
        assert!(overlay.is_file(&dir.path().join("new.conf")));
    }

    #[test]
    fn utf16_columns_count_astral_characters_twice() {
        let mut db = SourceDb::new();
        // 'é' is one UTF-16 unit (two bytes), '📬' two units (four bytes).
        let id = db.add("f", "x\né📬 = 1\n".to_string());
        let file = db.file(id);
        assert_eq!(file.line_col_utf16(2 + 2), LineCol { line: 2, column: 2 });
        assert_eq!(file.line_col_utf16(2 + 6), LineCol { line: 2, column: 4 });
        assert_eq!(file.line_col(2 + 6), LineCol { line: 2, column: 3 });
        let span = Span::new(id, 2, 2 + 6);
        let (start, end) = db.range_utf16(span);
        assert_eq!((start.column, end.column), (1, 4));
    }
}
