//! Source files, byte spans and the line index that turns spans into lines and columns.
//!
//! Spans are byte ranges everywhere in the pipeline; lines and columns exist only at output time,
//! computed from a [`LineIndex`] (1-based lines, columns counted in characters).

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Decodes input bytes: UTF-8 (a BOM is dropped), or an error naming the first bad byte.
pub fn bytes_to_text(bytes: Vec<u8>) -> Result<String, String> {
    match String::from_utf8(bytes) {
        Ok(mut text) => {
            if text.starts_with('\u{feff}') {
                // Keep byte offsets honest: replace the BOM with nothing only at the very start.
                text.replace_range(..3, "");
            }
            Ok(text)
        }
        Err(e) => Err(format!(
            "file is not valid UTF-8 (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        )),
    }
}

/// Index of a file inside one [`SourceMap`]. File 0 is the file the run started from; files that
/// frontends load on the way (a `file("x.json")` reference) get the next ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct FileId(pub u32);

/// A byte range in one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Self {
        Span {
            file,
            start: saturate(start),
            end: saturate(end.max(start)),
        }
    }

    /// The smallest span covering both (both must be in the same file; otherwise `self` wins).
    pub fn cover(self, other: Span) -> Span {
        if self.file != other.file {
            return self;
        }
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }
}

fn saturate(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// A value together with where it was written.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Located<T> {
    pub value: T,
    pub span: Span,
}

impl<T> Located<T> {
    pub fn new(value: T, span: Span) -> Self {
        Located { value, span }
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Located<U> {
        Located {
            value: f(self.value),
            span: self.span,
        }
    }

    pub fn as_ref(&self) -> Located<&T> {
        Located {
            value: &self.value,
            span: self.span,
        }
    }
}

impl<T: fmt::Display> fmt::Display for Located<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.value.fmt(f)
    }
}

/// One file's bytes, its path as the user named it, and a lazily built line index.
#[derive(Debug)]
pub struct SourceFile {
    pub path: PathBuf,
    pub text: String,
    index: OnceLock<LineIndex>,
}

impl SourceFile {
    pub fn new(path: impl Into<PathBuf>, text: String) -> Self {
        SourceFile {
            path: path.into(),
            text,
            index: OnceLock::new(),
        }
    }

    pub fn line_index(&self) -> &LineIndex {
        self.index.get_or_init(|| LineIndex::new(&self.text))
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn position(&self, offset: u32) -> Position {
        self.line_index().position(&self.text, offset as usize)
    }

    pub fn slice(&self, span: Span) -> &str {
        let start = floor_char_boundary(&self.text, span.start as usize);
        let end = floor_char_boundary(&self.text, span.end as usize).max(start);
        &self.text[start..end]
    }

    pub fn display_path(&self) -> String {
        display_path(&self.path)
    }
}

/// Paths print with forward slashes and without a leading `./`, the same on every platform.
pub fn display_path(path: &Path) -> String {
    let s = path.to_string_lossy().replace('\\', "/");
    match s.strip_prefix("./") {
        Some(rest) if !rest.is_empty() => rest.to_string(),
        _ => s,
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    offset = offset.min(text.len());
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// 1-based line and character column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Position {
    pub line: u32,
    pub column: u32,
}

/// Byte offsets of line starts, so a position costs a binary search plus one line's char count.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<u32>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0u32];
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                starts.push(saturate(i + 1));
            }
        }
        LineIndex { starts }
    }

    pub fn line_count(&self) -> usize {
        self.starts.len()
    }

    /// Byte range of 0-based line `line`, without its line terminator.
    pub fn line_range(&self, text: &str, line: usize) -> std::ops::Range<usize> {
        let start = self.starts.get(line).map_or(text.len(), |s| *s as usize);
        let mut end = self
            .starts
            .get(line + 1)
            .map_or(text.len(), |s| *s as usize - 1);
        if end > start && text.as_bytes().get(end - 1) == Some(&b'\r') {
            end -= 1;
        }
        start..end.max(start)
    }

    pub fn position(&self, text: &str, offset: usize) -> Position {
        let offset = floor_char_boundary(text, offset);
        let line = match self.starts.binary_search(&saturate(offset)) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let line_start = self.starts[line] as usize;
        let column = text[line_start..offset].chars().count() + 1;
        Position {
            line: saturate(line + 1),
            column: saturate(column),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_characters_not_bytes() {
        let text = "{\n  \"Sid\": \"Ünïcödé\", \"x\": 1\n}";
        let file = SourceFile::new("a.json", text.to_string());
        let x = text.find("\"x\"").unwrap();
        assert_eq!(
            file.position(x as u32),
            Position {
                line: 2,
                column: 21
            }
        );
        assert_eq!(file.position(0), Position { line: 1, column: 1 });
        let last = text.len() as u32;
        assert_eq!(file.position(last), Position { line: 3, column: 2 });
    }

    #[test]
    fn line_range_strips_crlf() {
        let text = "ab\r\ncd";
        let index = LineIndex::new(text);
        assert_eq!(&text[index.line_range(text, 0)], "ab");
        assert_eq!(&text[index.line_range(text, 1)], "cd");
    }

    #[test]
    fn slice_never_splits_a_character() {
        let file = SourceFile::new("a", "aé".to_string());
        assert_eq!(file.slice(Span::new(FileId(0), 0, 2)), "a");
    }
}

/// The files of one input: the file named on the command line (id 0) and the files its frontend
/// loaded on the way (`file("policy.json")` in Terraform).
#[derive(Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
    /// Files this input read as `templatefile()` templates: text of another language until its
    /// variables are filled, so linted only through this input (see [`SourceMap::templates`]).
    templates: Vec<FileId>,
    /// The repository root every read of this input stays in ([`crate::root`]); found from the
    /// main file's path on first use unless given.
    root: OnceLock<PathBuf>,
}

impl SourceMap {
    pub fn new(main: SourceFile) -> Self {
        SourceMap {
            files: vec![main],
            templates: Vec::new(),
            root: OnceLock::new(),
        }
    }

    /// A map whose reads stay inside `root` (canonical, as [`crate::root::of`] gives it: the root
    /// of the path named on the command line, which a file found by a folder scan shares).
    pub fn with_root(main: SourceFile, root: PathBuf) -> Self {
        SourceMap {
            files: vec![main],
            templates: Vec::new(),
            root: OnceLock::from(root),
        }
    }

    /// The repository root of this input: given, or the one of the main file's path.
    pub fn root(&self) -> &Path {
        self.root.get_or_init(|| crate::root::of(&self.main().path))
    }

    pub fn add(&mut self, file: SourceFile) -> FileId {
        self.files.push(file);
        FileId(saturate(self.files.len() - 1))
    }

    /// The id of the file with this path and text, adding it when it is not in the map yet (one
    /// module file reached through several module calls is one file of the output).
    pub fn find_or_add(&mut self, path: &std::path::Path, text: &str) -> FileId {
        match self
            .files
            .iter()
            .position(|f| f.path == path && f.text == text)
        {
            Some(i) => FileId(saturate(i)),
            None => self.add(SourceFile::new(path.to_path_buf(), text.to_string())),
        }
    }

    /// The file behind an id. Ids come from this map, so an unknown id falls back to the main file
    /// rather than failing output.
    pub fn get(&self, id: FileId) -> &SourceFile {
        self.files
            .get(id.0 as usize)
            .or_else(|| self.files.first())
            .expect("a SourceMap always holds its main file")
    }

    /// Records that `id` was read as a `templatefile()` template.
    pub fn mark_template(&mut self, id: FileId) {
        if id != FileId(0) && !self.templates.contains(&id) {
            self.templates.push(id);
        }
    }

    /// The files read as `templatefile()` templates (never the main file).
    pub fn templates(&self) -> impl Iterator<Item = &SourceFile> {
        self.templates.iter().map(|id| self.get(*id))
    }

    pub fn main(&self) -> &SourceFile {
        self.get(FileId(0))
    }

    pub fn files(&self) -> &[SourceFile] {
        &self.files
    }

    /// Path, start and end position of a span.
    pub fn locate(&self, span: Span) -> Location {
        let file = self.get(span.file);
        Location {
            path: file.display_path(),
            start: file.position(span.start),
            end: file.position(span.end),
        }
    }
}

/// A span resolved for output.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Location {
    pub path: String,
    pub start: Position,
    pub end: Position,
}

/// Malformed input: where and what. Reported as `path:line:col: message`, exit code 2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub file: FileId,
    /// `None` when the problem is the file as a whole (unreadable, not UTF-8).
    pub span: Option<Span>,
    pub message: String,
}

impl ParseError {
    pub fn at(span: Span, message: impl Into<String>) -> Self {
        ParseError {
            file: span.file,
            span: Some(span),
            message: message.into(),
        }
    }

    pub fn whole(file: FileId, message: impl Into<String>) -> Self {
        ParseError {
            file,
            span: None,
            message: message.into(),
        }
    }
}
