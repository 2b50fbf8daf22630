//! The input position, whitespace and comments, identifiers, and the limits that keep the
//! recursive parser (and hcl-edit's checks it would have to repeat) out of the way.

use std::ops::Range;

use hcl_edit::repr::SetSpan;

/// The fast path gave up; the caller parses with hcl-edit instead.
#[derive(Debug)]
pub(super) struct Bail;

pub(super) type PResult<T> = Result<T, Bail>;

/// hcl-edit refuses more than 64 nested levels; we count more often than it does (every
/// sub-expression), so giving up well below keeps us from accepting what it would refuse.
const MAX_DEPTH: u32 = 40;

/// hcl-edit refuses more than 128 binary operators on one path of an expression tree; we count
/// all operators of an attribute's value, a bound on any path.
const MAX_OPERATORS: u32 = 100;

pub(super) struct Cursor<'a> {
    pub text: &'a str,
    pub bytes: &'a [u8],
    pub pos: usize,
    depth: u32,
    operators: u32,
}

pub(super) fn spanned<T: SetSpan>(mut value: T, span: Range<usize>) -> T {
    value.set_span(span);
    value
}

pub(super) fn is_id_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

pub(super) fn is_id_continue(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

impl<'a> Cursor<'a> {
    pub fn new(text: &'a str) -> Cursor<'a> {
        Cursor {
            text,
            bytes: text.as_bytes(),
            pos: 0,
            depth: 0,
            operators: 0,
        }
    }

    #[inline]
    pub fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    #[inline]
    pub fn peek_at(&self, n: usize) -> Option<u8> {
        self.bytes.get(self.pos + n).copied()
    }

    #[inline]
    pub fn at(&self, s: &[u8]) -> bool {
        self.bytes[self.pos..].starts_with(s)
    }

    #[inline]
    pub fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    pub fn expect(&mut self, b: u8) -> PResult<()> {
        if self.eat(b) {
            Ok(())
        } else {
            Err(Bail)
        }
    }

    pub fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Bail);
        }
        Ok(())
    }

    pub fn leave(&mut self) {
        self.depth -= 1;
    }

    /// Starts counting the operators of a new attribute value.
    pub fn reset_operators(&mut self) {
        self.operators = 0;
    }

    pub fn count_operator(&mut self) -> PResult<()> {
        self.operators += 1;
        if self.operators > MAX_OPERATORS {
            return Err(Bail);
        }
        Ok(())
    }

    fn skip_blanks(&mut self, newlines: bool) {
        while let Some(b) = self.peek() {
            if b == b' ' || b == b'\t' || (newlines && b == b'\n') {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    /// `/* ... */`; false (nothing consumed) when not at one or when it is not closed.
    fn inline_comment(&mut self) -> bool {
        if !self.at(b"/*") {
            return false;
        }
        match memfind(&self.bytes[self.pos + 2..], b"*/") {
            Some(i) => {
                self.pos += 2 + i + 2;
                true
            }
            None => false,
        }
    }

    /// `#` or `//` up to the end of the line (the newline is not consumed).
    pub fn line_comment(&mut self) -> bool {
        if self.peek() == Some(b'#') || self.at(b"//") {
            self.pos = match self.bytes[self.pos..].iter().position(|&b| b == b'\n') {
                Some(i) => self.pos + i,
                None => self.bytes.len(),
            };
            true
        } else {
            false
        }
    }

    /// Spaces, tabs and inline comments (hcl-edit's `sp`).
    pub fn sp(&mut self) {
        loop {
            self.skip_blanks(false);
            if !self.inline_comment() {
                return;
            }
        }
    }

    /// Whitespace with newlines and all comments (hcl-edit's `ws`).
    pub fn ws(&mut self) {
        loop {
            self.skip_blanks(true);
            if !(self.line_comment() || self.inline_comment()) {
                return;
            }
        }
    }

    /// `ws` where the expression being parsed may span lines, else `sp`.
    pub fn skip(&mut self, newlines: bool) {
        if newlines {
            self.ws();
        } else {
            self.sp();
        }
    }

    /// An identifier. Non-ASCII identifier characters are left to hcl-edit.
    pub fn ident(&mut self) -> PResult<Range<usize>> {
        let start = self.pos;
        match self.peek() {
            Some(b) if is_id_start(b) => self.pos += 1,
            _ => return Err(Bail),
        }
        while let Some(b) = self.peek() {
            if is_id_continue(b) {
                self.pos += 1;
            } else if b >= 0x80 {
                return Err(Bail);
            } else {
                break;
            }
        }
        Ok(start..self.pos)
    }

    /// After `ws`: whether `for` starts a `for` expression (hcl-edit wants a space, tab,
    /// newline or comment after it, so that `format(...)` is not one).
    pub fn at_for(&mut self) -> bool {
        let save = self.pos;
        self.ws();
        let yes =
            self.at(b"for") && matches!(self.peek_at(3), Some(b' ' | b'\t' | b'#' | b'/' | b'\n'));
        self.pos = save;
        yes
    }
}

fn memfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}
