//! Bodies, attributes and blocks.

use hcl_edit::structure::{Attribute, Block, BlockLabel, Body, Structure};
use hcl_edit::{Decorated, Ident};

use super::cursor::{is_id_start, spanned, Bail, Cursor, PResult};
use super::expr::root_expr;
use super::template::quoted_plain;

pub(super) fn parse_file(text: &str) -> PResult<Body> {
    let mut cur = Cursor::new(text);
    let body = structures(&mut cur)?;
    cur.ws();
    if cur.pos != text.len() {
        return Err(Bail);
    }
    Ok(body)
}

/// Structures, each on its own line; the span ends after the last one's newline. Stops before
/// whatever does not start a structure (`}` or the end).
fn structures(cur: &mut Cursor<'_>) -> PResult<Body> {
    let start = cur.pos;
    let mut end = start;
    let mut body = Body::new();
    let mut at_eof = false;
    loop {
        let save = cur.pos;
        cur.ws();
        match cur.peek() {
            Some(b) if is_id_start(b) => {}
            Some(b) if b >= 0x80 => return Err(Bail),
            _ => {
                cur.pos = save;
                break;
            }
        }
        let structure = structure(cur)?;
        if let Structure::Attribute(attr) = structure {
            // hcl-edit refuses a redefined attribute.
            body.try_push(attr).map_err(|_| Bail)?;
        } else {
            body.push(structure);
        }
        cur.sp();
        cur.line_comment();
        match cur.peek() {
            Some(b'\n') => cur.pos += 1,
            None => at_eof = true,
            _ => return Err(Bail),
        }
        end = cur.pos;
    }
    body.set_prefer_omit_trailing_newline(at_eof);
    Ok(spanned(body, start..end))
}

fn structure(cur: &mut Cursor<'_>) -> PResult<Structure> {
    let start = cur.pos;
    let ident = ident(cur)?;
    cur.sp();
    let structure = match cur.peek() {
        Some(b'=') => {
            cur.pos += 1;
            cur.sp();
            let value = root_expr(cur)?;
            Structure::Attribute(Attribute::new(ident, value))
        }
        Some(b'{') => {
            let mut block = Block::new(ident);
            block.body = block_body(cur)?;
            Structure::Block(block)
        }
        Some(b) if b == b'"' || is_id_start(b) => {
            let mut block = Block::new(ident);
            block.labels = labels(cur)?;
            block.body = block_body(cur)?;
            Structure::Block(block)
        }
        _ => return Err(Bail),
    };
    Ok(spanned(structure, start..cur.pos))
}

fn ident(cur: &mut Cursor<'_>) -> PResult<Decorated<Ident>> {
    let r = cur.ident()?;
    let ident = Decorated::new(Ident::new_unchecked(&cur.text[r.clone()]));
    Ok(spanned(ident, r))
}

fn labels(cur: &mut Cursor<'_>) -> PResult<Vec<BlockLabel>> {
    let mut labels = Vec::new();
    loop {
        let start = cur.pos;
        let label = match cur.peek() {
            // A label is a plain string: `${` in it is an error.
            Some(b'"') => BlockLabel::String(Decorated::new(quoted_plain(cur)?)),
            Some(b) if is_id_start(b) => BlockLabel::Ident(ident(cur)?),
            Some(b) if b >= 0x80 => return Err(Bail),
            _ => return Ok(labels),
        };
        labels.push(spanned(label, start..cur.pos));
        cur.sp();
    }
}

fn block_body(cur: &mut Cursor<'_>) -> PResult<Body> {
    cur.expect(b'{')?;
    cur.enter()?;
    let open = cur.pos;
    cur.sp();
    cur.line_comment();
    let body = if cur.peek() == Some(b'\n') {
        let start = cur.pos;
        cur.pos += 1;
        let mut body = structures(cur)?;
        cur.ws();
        body.set_prefer_omit_trailing_newline(false);
        spanned(body, start..cur.pos)
    } else {
        // `{ key = value }` on one line (or `{}`): hcl-edit gives this body no span.
        cur.pos = open;
        cur.sp();
        let mut body = Body::new();
        body.set_prefer_oneline(true);
        if cur.peek() != Some(b'}') {
            let start = cur.pos;
            let key = ident(cur)?;
            cur.sp();
            cur.expect(b'=')?;
            cur.sp();
            let value = root_expr(cur)?;
            body.push(spanned(Attribute::new(key, value), start..cur.pos));
            cur.sp();
        }
        body
    };
    cur.expect(b'}')?;
    cur.leave();
    Ok(body)
}
