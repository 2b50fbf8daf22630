//! Quoted strings, string templates (`"a-${b}"`) and heredocs.

use hcl_edit::expr::Expression;
use hcl_edit::repr::SetSpan;
use hcl_edit::template::{
    Element, HeredocTemplate, Interpolation, StringTemplate, Strip, Template,
};
use hcl_edit::{Decorated, Ident, Span as _, Spanned};

use super::cursor::{is_id_continue, spanned, Bail, Cursor, PResult};
use super::expr::expr;

/// A quoted string without interpolation (a block label).
pub(super) fn quoted_plain(cur: &mut Cursor<'_>) -> PResult<String> {
    cur.expect(b'"')?;
    let mut s = String::new();
    match quoted_literal(cur, &mut s)? {
        Stop::Quote => {
            cur.pos += 1;
            Ok(s)
        }
        _ => Err(Bail),
    }
}

/// A quoted string: `Expression::String` without `${`, else a `StringTemplate`. The caller
/// sets the span.
pub(super) fn quoted(cur: &mut Cursor<'_>) -> PResult<Expression> {
    cur.expect(b'"')?;
    let mut s = String::new();
    let mut start = cur.pos;
    let mut stop = quoted_literal(cur, &mut s)?;
    if let Stop::Quote = stop {
        // hcl-edit's plain string: no `${`.
        cur.pos += 1;
        return Ok(Expression::String(Decorated::new(s)));
    }
    let mut elements: Vec<Element> = Vec::new();
    loop {
        if cur.pos > start {
            let lit = std::mem::take(&mut s);
            elements.push(Element::Literal(spanned(Spanned::new(lit), start..cur.pos)));
        }
        match stop {
            Stop::Quote => {
                cur.pos += 1;
                break;
            }
            Stop::Interpolation => elements.push(interpolation(cur)?),
            Stop::HeredocEnd => return Err(Bail),
        }
        start = cur.pos;
        stop = quoted_literal(cur, &mut s)?;
    }
    Ok(Expression::StringTemplate(StringTemplate::from(elements)))
}

enum Stop {
    Quote,
    Interpolation,
    /// Only in heredocs: the newline before the closing delimiter.
    HeredocEnd,
}

/// Reads literal text of a quoted string into `out`, with escapes, up to the closing quote or a
/// `${` (not consumed). Template directives and bad escapes give up.
fn quoted_literal(cur: &mut Cursor<'_>, out: &mut String) -> PResult<Stop> {
    loop {
        let run = cur.pos;
        while let Some(b) = cur.peek() {
            if matches!(b, b'"' | b'\\' | b'$' | b'%') {
                break;
            }
            cur.pos += 1;
        }
        out.push_str(&cur.text[run..cur.pos]);
        match cur.peek() {
            None => return Err(Bail),
            Some(b'"') => return Ok(Stop::Quote),
            Some(b'\\') => {
                cur.pos += 1;
                escape(cur, out)?;
            }
            Some(_) => {
                if let Some(stop) = marker(cur, out)? {
                    return Ok(stop);
                }
            }
        }
    }
}

/// At `$` or `%`: an escaped marker (`$${`, `%%{`, read as text), a `${` (not consumed), a
/// directive (gives up), or a plain character.
fn marker(cur: &mut Cursor<'_>, out: &mut String) -> PResult<Option<Stop>> {
    if cur.at(b"$${") {
        out.push_str("${");
        cur.pos += 3;
    } else if cur.at(b"%%{") {
        out.push_str("%{");
        cur.pos += 3;
    } else if cur.at(b"${") {
        return Ok(Some(Stop::Interpolation));
    } else if cur.at(b"%{") {
        return Err(Bail);
    } else {
        out.push(char::from(cur.bytes[cur.pos]));
        cur.pos += 1;
    }
    Ok(None)
}

fn escape(cur: &mut Cursor<'_>, out: &mut String) -> PResult<()> {
    let c = match cur.peek() {
        Some(b'n') => '\n',
        Some(b'r') => '\r',
        Some(b't') => '\t',
        Some(b'\\') => '\\',
        Some(b'"') => '"',
        Some(b'u') => return unicode(cur, 4, out),
        Some(b'U') => return unicode(cur, 8, out),
        _ => return Err(Bail),
    };
    cur.pos += 1;
    out.push(c);
    Ok(())
}

fn unicode(cur: &mut Cursor<'_>, n: usize, out: &mut String) -> PResult<()> {
    let start = cur.pos + 1;
    let hex = cur.text.get(start..start + n).ok_or(Bail)?;
    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Bail);
    }
    let code = u32::from_str_radix(hex, 16).map_err(|_| Bail)?;
    out.push(char::from_u32(code).ok_or(Bail)?);
    cur.pos = start + n;
    Ok(())
}

/// `${ expr }`, with `~` strip markers.
fn interpolation(cur: &mut Cursor<'_>) -> PResult<Element> {
    let start = cur.pos;
    cur.pos += 2;
    let strip_start = cur.eat(b'~');
    cur.ws();
    let value = expr(cur, true)?;
    cur.ws();
    let strip_end = cur.eat(b'~');
    cur.expect(b'}')?;
    let mut interp = Interpolation::new(value);
    interp.strip = Strip::from((strip_start, strip_end));
    Ok(Element::Interpolation(spanned(interp, start..cur.pos)))
}

/// `<<EOF` or `<<-EOF`, its lines and the closing delimiter. The caller sets the span.
pub(super) fn heredoc(cur: &mut Cursor<'_>) -> PResult<Expression> {
    if !cur.at(b"<<") {
        return Err(Bail);
    }
    cur.pos += 2;
    let indented = cur.eat(b'-');
    let delim = cur.ident()?;
    let delim = &cur.text[delim];
    cur.expect(b'\n')?;
    let start = cur.pos;
    let mut elements: Vec<Element> = Vec::new();
    let mut s = String::new();
    loop {
        let lit_start = cur.pos;
        let stop = heredoc_literal(cur, delim, &mut s)?;
        if cur.pos > lit_start {
            let lit = std::mem::take(&mut s);
            elements.push(Element::Literal(spanned(
                Spanned::new(lit),
                lit_start..cur.pos,
            )));
        }
        match stop {
            Stop::HeredocEnd => break,
            Stop::Interpolation => elements.push(interpolation(cur)?),
            Stop::Quote => return Err(Bail),
        }
    }
    // The newline before the delimiter ends the last literal.
    let nl = cur.pos;
    cur.pos += 1;
    match elements.last_mut() {
        Some(Element::Literal(lit)) => {
            let lit_start = lit.span().map_or(nl, |r| r.start);
            lit.value_mut().push('\n');
            lit.set_span(lit_start..cur.pos);
        }
        _ => elements.push(Element::Literal(spanned(
            Spanned::new("\n".to_string()),
            nl..cur.pos,
        ))),
    }
    let template = spanned(Template::from(elements), start..cur.pos);
    while matches!(cur.peek(), Some(b' ' | b'\t')) {
        cur.pos += 1;
    }
    // Found by `heredoc_literal`: the delimiter, not followed by an identifier character.
    cur.pos += delim.len();
    let mut heredoc = HeredocTemplate::new(Ident::new_unchecked(delim), template);
    if indented {
        heredoc.dedent();
    }
    Ok(Expression::HeredocTemplate(Box::new(heredoc)))
}

/// Heredoc text up to `${` or the newline that starts the closing line (neither consumed). No
/// backslash escapes here. A heredoc without its closing line gives up (hcl-edit then reads it
/// as an empty one, a case not worth copying).
fn heredoc_literal(cur: &mut Cursor<'_>, delim: &str, out: &mut String) -> PResult<Stop> {
    loop {
        let run = cur.pos;
        while let Some(b) = cur.peek() {
            if matches!(b, b'\n' | b'$' | b'%') {
                break;
            }
            cur.pos += 1;
        }
        out.push_str(&cur.text[run..cur.pos]);
        match cur.peek() {
            None => return Err(Bail),
            Some(b'\n') => {
                if closes(cur, delim)? {
                    return Ok(Stop::HeredocEnd);
                }
                out.push('\n');
                cur.pos += 1;
            }
            Some(_) => {
                if let Some(stop) = marker(cur, out)? {
                    return Ok(stop);
                }
            }
        }
    }
}

/// At a newline: whether the next line is the closing delimiter (after spaces and tabs).
fn closes(cur: &Cursor<'_>, delim: &str) -> PResult<bool> {
    let mut i = cur.pos + 1;
    while matches!(cur.bytes.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    if !cur.bytes[i..].starts_with(delim.as_bytes()) {
        return Ok(false);
    }
    match cur.bytes.get(i + delim.len()) {
        Some(&b) if b >= 0x80 => Err(Bail),
        Some(&b) => Ok(!is_id_continue(b)),
        None => Ok(true),
    }
}
