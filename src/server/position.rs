//! Byte offsets ↔ LSP positions. The engine's spans are byte ranges of the file's text; LSP counts
//! a line's characters in the negotiated encoding: UTF-16 code units unless client and server
//! agreed on UTF-8 (`positionEncoding`, LSP 3.17).

/// How a position's `character` counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16,
}

impl Encoding {
    /// The encoding to use given the client's `general.positionEncodings`: UTF-8 when offered
    /// (no conversion), else UTF-16, which every client supports.
    pub fn negotiate(offered: Option<&[lsp_types::PositionEncodingKind]>) -> Encoding {
        let utf8 =
            offered.is_some_and(|kinds| kinds.contains(&lsp_types::PositionEncodingKind::UTF8));
        if utf8 {
            Encoding::Utf8
        } else {
            Encoding::Utf16
        }
    }

    pub fn kind(self) -> lsp_types::PositionEncodingKind {
        match self {
            Encoding::Utf8 => lsp_types::PositionEncodingKind::UTF8,
            Encoding::Utf16 => lsp_types::PositionEncodingKind::UTF16,
        }
    }

    fn width(self, c: char) -> u32 {
        match self {
            Encoding::Utf8 => c.len_utf8() as u32,
            Encoding::Utf16 => c.len_utf16() as u32,
        }
    }
}

/// The start offset of every line of a text (lines end at `\n`; a `\r` before it belongs to the
/// line, as a position past it is one a client never sends).
#[derive(Debug, Clone)]
pub struct Lines {
    starts: Vec<usize>,
}

impl Lines {
    pub fn new(text: &str) -> Lines {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        Lines { starts }
    }

    /// The position of byte `offset` (clamped to the text, moved back to a character boundary).
    pub fn position(&self, text: &str, offset: usize, enc: Encoding) -> lsp_types::Position {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self
            .starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1);
        let start = self.starts.get(line).copied().unwrap_or(0);
        let character = match enc {
            Encoding::Utf8 => (offset - start) as u32,
            Encoding::Utf16 => text[start..offset].chars().map(|c| enc.width(c)).sum(),
        };
        lsp_types::Position::new(line as u32, character)
    }

    /// The byte offset of a position: a line past the end is the end of the text, a character
    /// past the line's end is its end (before the `\n`), and one inside a character (half of a
    /// UTF-16 surrogate pair, a byte inside a UTF-8 sequence) is that character's start.
    pub fn offset(&self, text: &str, pos: lsp_types::Position, enc: Encoding) -> usize {
        let Some(&start) = self.starts.get(pos.line as usize) else {
            return text.len();
        };
        let end = self
            .starts
            .get(pos.line as usize + 1)
            .map_or(text.len(), |next| next - 1);
        let mut counted = 0u32;
        for (i, c) in text[start..end].char_indices() {
            let width = enc.width(c);
            if counted + width > pos.character {
                return start + i;
            }
            counted += width;
        }
        end
    }

    pub fn range(
        &self,
        text: &str,
        bytes: std::ops::Range<usize>,
        enc: Encoding,
    ) -> lsp_types::Range {
        lsp_types::Range::new(
            self.position(text, bytes.start, enc),
            self.position(text, bytes.end, enc),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lsp_types::Position;

    #[test]
    fn utf16_counts_code_units_and_utf8_bytes() {
        // `é` is 2 bytes and 1 UTF-16 unit; `😀` 4 bytes and 2 units.
        let text = "{\"Sid\": \"é😀\", \"Action\": \"*\"}\nx";
        let lines = Lines::new(text);
        let star = text.find("\"*\"").map(|i| i + 1).unwrap_or_default();
        let utf16 = lines.position(text, star, Encoding::Utf16);
        let utf8 = lines.position(text, star, Encoding::Utf8);
        assert_eq!(utf16, Position::new(0, star as u32 - 3));
        assert_eq!(utf8, Position::new(0, star as u32));
        assert_eq!(lines.offset(text, utf16, Encoding::Utf16), star);
        assert_eq!(lines.offset(text, utf8, Encoding::Utf8), star);
        assert_eq!(
            lines.position(text, text.len(), Encoding::Utf16),
            Position::new(1, 1)
        );
    }

    #[test]
    fn out_of_range_positions_are_clamped() {
        let text = "ab\r\n😀c\n";
        let lines = Lines::new(text);
        assert_eq!(
            lines.offset(text, Position::new(9, 0), Encoding::Utf16),
            text.len()
        );
        // Past the end of line 0: its end, before the `\n`.
        assert_eq!(lines.offset(text, Position::new(0, 99), Encoding::Utf16), 3);
        // Inside the surrogate pair: the emoji's start.
        assert_eq!(lines.offset(text, Position::new(1, 1), Encoding::Utf16), 4);
        assert_eq!(lines.offset(text, Position::new(1, 2), Encoding::Utf16), 8);
        // A byte offset inside a character moves back to its start.
        assert_eq!(lines.position(text, 6, Encoding::Utf8), Position::new(1, 0));
    }
}
