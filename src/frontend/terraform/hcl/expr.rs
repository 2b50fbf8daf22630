//! Expressions.
//!
//! hcl-edit lets an expression continue on the next line (`a\n  + b`, `a\n  .b`) only in some
//! places: inside `(...)`, `[...]`, `${...}` and call arguments, and, oddly, in the rest of any
//! expression once it has read an array, a call's arguments or a `for` object (each sets the
//! flag of the expression being read). `newlines` below is that flag; a sub-expression starts
//! with its parent's flag or a fixed one, exactly where hcl-edit's does.

use hcl_edit::expr::{
    Array, BinaryOp, BinaryOperator, Conditional, Expression, ForCond, ForExpr, ForIntro, FuncArgs,
    FuncCall, FuncName, Object, ObjectKey, ObjectValue, ObjectValueAssignment,
    ObjectValueTerminator, Parenthesis, Splat, Traversal, TraversalOperator, UnaryOp,
    UnaryOperator,
};
use hcl_edit::repr::SetSpan;
use hcl_edit::{Decorated, Ident, Number, Span as _, Spanned};

use super::cursor::{is_id_start, spanned, Bail, Cursor, PResult};
use super::template::{heredoc, quoted};

/// An attribute's value.
pub(super) fn root_expr(cur: &mut Cursor<'_>) -> PResult<Expression> {
    cur.reset_operators();
    expr(cur, false)
}

/// A whole expression: operators and a conditional included.
pub(super) fn expr(cur: &mut Cursor<'_>, newlines: bool) -> PResult<Expression> {
    cur.enter()?;
    let mut newlines = newlines;
    let start = cur.pos;
    let mut e = term(cur, &mut newlines)?;
    loop {
        let save = cur.pos;
        cur.skip(newlines);
        match (cur.peek(), cur.peek_at(1)) {
            (Some(b'?'), Some(_)) => {
                cur.pos += 1;
                cur.skip(newlines);
                let t = expr(cur, newlines)?;
                cur.skip(newlines);
                cur.expect(b':')?;
                cur.skip(newlines);
                let f = expr(cur, newlines)?;
                e = Expression::Conditional(Box::new(Conditional::new(e, t, f)));
                e.set_span(start..cur.pos);
                break;
            }
            (Some(a), Some(b))
                if !(a == b'/' && (b == b'/' || b == b'*'))
                    && ((a == b'=' && b == b'=')
                        || matches!(
                            a,
                            b'!' | b'<' | b'>' | b'+' | b'-' | b'*' | b'/' | b'%' | b'&' | b'|'
                        )) =>
            {
                cur.pos = save;
                e = binary_ops(cur, e, newlines)?;
                e.set_span(start..cur.pos);
            }
            _ => {
                cur.pos = save;
                break;
            }
        }
    }
    cur.leave();
    Ok(e)
}

fn binary_operator(cur: &mut Cursor<'_>) -> Option<BinaryOperator> {
    let (a, b) = (cur.peek()?, cur.peek_at(1));
    let (op, len) = match (a, b) {
        (b'=', Some(b'=')) => (BinaryOperator::Eq, 2),
        (b'!', Some(b'=')) => (BinaryOperator::NotEq, 2),
        (b'<', Some(b'=')) => (BinaryOperator::LessEq, 2),
        (b'<', _) => (BinaryOperator::Less, 1),
        (b'>', Some(b'=')) => (BinaryOperator::GreaterEq, 2),
        (b'>', _) => (BinaryOperator::Greater, 1),
        (b'+', _) => (BinaryOperator::Plus, 1),
        (b'-', _) => (BinaryOperator::Minus, 1),
        (b'*', _) => (BinaryOperator::Mul, 1),
        (b'/', Some(b'/' | b'*')) => return None,
        (b'/', _) => (BinaryOperator::Div, 1),
        (b'%', _) => (BinaryOperator::Mod, 1),
        (b'&', Some(b'&')) => (BinaryOperator::And, 2),
        (b'|', Some(b'|')) => (BinaryOperator::Or, 2),
        _ => return None,
    };
    cur.pos += len;
    Some(op)
}

/// A chain of binary operators after `first`, grouped by precedence (all left-associative).
fn binary_ops(cur: &mut Cursor<'_>, first: Expression, newlines: bool) -> PResult<Expression> {
    let mut operands = vec![first];
    let mut operators: Vec<Decorated<BinaryOperator>> = Vec::new();
    let mut chained = 0;
    loop {
        let save = cur.pos;
        cur.skip(newlines);
        let op_start = cur.pos;
        let Some(op) = binary_operator(cur) else {
            if chained == 0 {
                return Err(Bail);
            }
            cur.pos = save;
            break;
        };
        cur.count_operator()?;
        chained += 1;
        let op = spanned(Decorated::new(op), op_start..cur.pos);
        cur.skip(newlines);
        let mut child_newlines = newlines;
        let rhs = term(cur, &mut child_newlines)?;
        let prec = op.precedence();
        while operators.last().is_some_and(|top| top.precedence() >= prec) {
            reduce(&mut operands, &mut operators)?;
        }
        operators.push(op);
        operands.push(rhs);
    }
    while !operators.is_empty() {
        reduce(&mut operands, &mut operators)?;
    }
    operands.pop().ok_or(Bail)
}

fn reduce(
    operands: &mut Vec<Expression>,
    operators: &mut Vec<Decorated<BinaryOperator>>,
) -> PResult<()> {
    let (Some(rhs), Some(lhs), Some(op)) = (operands.pop(), operands.pop(), operators.pop()) else {
        return Err(Bail);
    };
    let span = match (lhs.span(), rhs.span()) {
        (Some(l), Some(r)) => l.start..r.end,
        _ => return Err(Bail),
    };
    let mut e = Expression::BinaryOp(Box::new(BinaryOp::new(lhs, op, rhs)));
    e.set_span(span);
    operands.push(e);
    Ok(())
}

/// A term and its traversals (`a.b[0].*`); sets `newlines` as hcl-edit sets its state's flag.
fn term(cur: &mut Cursor<'_>, newlines: &mut bool) -> PResult<Expression> {
    let start = cur.pos;
    let mut e = match cur.peek().ok_or(Bail)? {
        b'"' => quoted(cur)?,
        b'[' => {
            *newlines = true;
            array(cur)?
        }
        b'{' => object(cur, newlines)?,
        b'0'..=b'9' => number(cur)?,
        b'<' => heredoc(cur)?,
        b'-' => match neg_number(cur)? {
            Some(n) => n,
            None => unary(cur, UnaryOperator::Neg, *newlines)?,
        },
        b'!' => unary(cur, UnaryOperator::Not, *newlines)?,
        b'(' => parenthesis(cur)?,
        b if is_id_start(b) => identlike(cur, newlines)?,
        _ => return Err(Bail),
    };
    e.set_span(start..cur.pos);
    let save = cur.pos;
    cur.skip(*newlines);
    match (cur.peek(), cur.peek_at(1)) {
        (Some(b'.'), Some(b)) if b != b'.' => {}
        (Some(b'['), Some(_)) => {}
        _ => {
            cur.pos = save;
            return Ok(e);
        }
    }
    let mut operators = Vec::new();
    loop {
        let op_start = cur.pos;
        let op = match cur.peek() {
            Some(b'.') => {
                cur.pos += 1;
                cur.ws();
                get_attr(cur)?
            }
            Some(b'[') => {
                cur.pos += 1;
                cur.ws();
                let inner_start = cur.pos;
                let op = if cur.eat(b'*') {
                    TraversalOperator::FullSplat(Decorated::new(Splat))
                } else {
                    TraversalOperator::Index(expr(cur, true)?)
                };
                let op = spanned(op, inner_start..cur.pos);
                cur.ws();
                cur.expect(b']')?;
                op
            }
            _ => return Err(Bail),
        };
        operators.push(spanned(Decorated::new(op), op_start..cur.pos));
        // Another operator may follow; `..` is not one (it starts a `...`).
        let save = cur.pos;
        cur.skip(*newlines);
        let next = match (cur.peek(), cur.peek_at(1)) {
            (Some(b'.'), Some(b'.')) => false,
            (Some(b'.' | b'['), _) => true,
            _ => false,
        };
        if !next {
            cur.pos = save;
            break;
        }
    }
    let mut e = Expression::Traversal(Box::new(Traversal::new(e, operators)));
    e.set_span(start..cur.pos);
    Ok(e)
}

/// After `.` and whitespace: `*`, a legacy index `0` or an attribute name.
fn get_attr(cur: &mut Cursor<'_>) -> PResult<TraversalOperator> {
    let start = cur.pos;
    let op = match cur.peek() {
        Some(b'*') => {
            cur.pos += 1;
            TraversalOperator::AttrSplat(Decorated::new(Splat))
        }
        Some(b'0'..=b'9') => {
            while matches!(cur.peek(), Some(b'0'..=b'9')) {
                cur.pos += 1;
            }
            // `.0.1` is one fractional number to Terraform, which it refuses as an index, and
            // hcl-edit reads no digit after a leading zero (`.03`): hcl-edit reports both.
            let leading_zero = cur.text.as_bytes()[start] == b'0' && cur.pos - start > 1;
            if leading_zero
                || (cur.peek() == Some(b'.') && matches!(cur.peek_at(1), Some(b'0'..=b'9')))
            {
                return Err(Bail);
            }
            let index: u64 = cur.text[start..cur.pos].parse().map_err(|_| Bail)?;
            TraversalOperator::LegacyIndex(Decorated::new(index))
        }
        Some(b) if is_id_start(b) => {
            let r = cur.ident()?;
            TraversalOperator::GetAttr(Decorated::new(Ident::new_unchecked(&cur.text[r])))
        }
        _ => return Err(Bail),
    };
    Ok(spanned(op, start..cur.pos))
}

fn number(cur: &mut Cursor<'_>) -> PResult<Expression> {
    Ok(Expression::Number(hcl_edit::Formatted::new(number_value(
        cur,
    )?)))
}

fn digits(cur: &mut Cursor<'_>) -> bool {
    let start = cur.pos;
    while matches!(cur.peek(), Some(b'0'..=b'9')) {
        cur.pos += 1;
    }
    cur.pos > start
}

fn number_value(cur: &mut Cursor<'_>) -> PResult<Number> {
    let start = cur.pos;
    if !digits(cur) {
        return Err(Bail);
    }
    let mut float = false;
    if cur.peek() == Some(b'.') && matches!(cur.peek_at(1), Some(b'0'..=b'9')) {
        cur.pos += 1;
        digits(cur);
        float = true;
    }
    if matches!(cur.peek(), Some(b'e' | b'E')) {
        // hcl-edit commits to an exponent at the `e`: `1e` is an error, not `1` then `e`.
        cur.pos += 1;
        if matches!(cur.peek(), Some(b'+' | b'-')) {
            cur.pos += 1;
        }
        if !digits(cur) {
            return Err(Bail);
        }
        float = true;
    }
    let text = &cur.text[start..cur.pos];
    if float {
        let f: f64 = text.parse().map_err(|_| Bail)?;
        return Number::from_f64(f).ok_or(Bail);
    }
    match text.parse::<u64>() {
        Ok(n) => Ok(Number::from(n)),
        Err(_) => {
            let f: f64 = text.parse().map_err(|_| Bail)?;
            Number::from_f64(f).ok_or(Bail)
        }
    }
}

/// `-1`, `- 2.5`: a negative number literal, or `None` (nothing consumed) for unary minus.
fn neg_number(cur: &mut Cursor<'_>) -> PResult<Option<Expression>> {
    let save = cur.pos;
    cur.pos += 1;
    cur.sp();
    if !matches!(cur.peek(), Some(b'0'..=b'9')) {
        cur.pos = save;
        return Ok(None);
    }
    let n = number_value(cur)?;
    Ok(Some(Expression::Number(hcl_edit::Formatted::new(-n))))
}

fn unary(cur: &mut Cursor<'_>, op: UnaryOperator, newlines: bool) -> PResult<Expression> {
    let op = spanned(Spanned::new(op), cur.pos..cur.pos + 1);
    cur.pos += 1;
    cur.sp();
    cur.enter()?;
    let mut child_newlines = newlines;
    let operand = term(cur, &mut child_newlines)?;
    cur.leave();
    Ok(Expression::UnaryOp(Box::new(UnaryOp::new(op, operand))))
}

fn parenthesis(cur: &mut Cursor<'_>) -> PResult<Expression> {
    cur.expect(b'(')?;
    cur.ws();
    let inner = expr(cur, true)?;
    cur.ws();
    cur.expect(b')')?;
    Ok(Expression::Parenthesis(Box::new(Parenthesis::new(inner))))
}

fn decorated_ident(cur: &mut Cursor<'_>) -> PResult<Decorated<Ident>> {
    let r = cur.ident()?;
    let ident = Decorated::new(Ident::new_unchecked(&cur.text[r.clone()]));
    Ok(spanned(ident, r))
}

/// A variable, `null`, `true`, `false`, or a function call (`f(...)`, `provider::p::f(...)`).
fn identlike(cur: &mut Cursor<'_>, newlines: &mut bool) -> PResult<Expression> {
    let name = decorated_ident(cur)?;
    let save = cur.pos;
    cur.skip(*newlines);
    let namespaced = cur.at(b"::");
    if !namespaced && cur.peek() != Some(b'(') {
        cur.pos = save;
        return Ok(match name.as_str() {
            "null" => Expression::null(),
            "true" => Expression::from(true),
            "false" => Expression::from(false),
            _ => Expression::Variable(Decorated::new(name.into_value())),
        });
    }
    let mut func_name = FuncName::new(name);
    if namespaced {
        let mut parts = vec![func_name.name];
        while cur.at(b"::") {
            cur.pos += 2;
            cur.skip(*newlines);
            parts.push(decorated_ident(cur)?);
            cur.skip(*newlines);
        }
        func_name.name = parts.pop().ok_or(Bail)?;
        func_name.namespace = parts;
    }
    *newlines = true;
    let args = func_args(cur)?;
    Ok(Expression::FuncCall(Box::new(FuncCall::new(
        func_name, args,
    ))))
}

fn func_args(cur: &mut Cursor<'_>) -> PResult<FuncArgs> {
    cur.expect(b'(')?;
    let mut args = FuncArgs::new();
    let save = cur.pos;
    cur.ws();
    if starts_arg(cur) {
        comma_separated(cur, |e| args.push(e), |cur| !starts_arg(cur))?;
        if cur.eat(b',') {
            args.set_trailing_comma(true);
        } else if cur.at(b"...") {
            cur.pos += 3;
            args.set_expand_final(true);
        } else if cur.peek() == Some(b'.') {
            return Err(Bail);
        }
    } else {
        cur.pos = save;
    }
    cur.ws();
    cur.expect(b')')?;
    Ok(args)
}

/// Expressions separated by commas, each handed to `push`, up to where `ends` says the list ends
/// after a comma; that last comma is left unread, for the caller to record as a trailing comma.
fn comma_separated(
    cur: &mut Cursor<'_>,
    mut push: impl FnMut(Expression),
    ends: impl Fn(&Cursor<'_>) -> bool,
) -> PResult<()> {
    loop {
        push(expr(cur, true)?);
        cur.ws();
        if cur.peek() != Some(b',') {
            return Ok(());
        }
        let comma = cur.pos;
        cur.pos += 1;
        cur.ws();
        if ends(cur) {
            cur.pos = comma;
            return Ok(());
        }
    }
}

fn starts_arg(cur: &Cursor<'_>) -> bool {
    !matches!(cur.peek(), None | Some(b',' | b'.' | b')'))
}

fn array(cur: &mut Cursor<'_>) -> PResult<Expression> {
    cur.expect(b'[')?;
    if cur.at_for() {
        let e = for_list(cur)?;
        cur.expect(b']')?;
        return Ok(e);
    }
    let mut array = Array::new();
    let save = cur.pos;
    cur.ws();
    if cur.peek() != Some(b']') {
        comma_separated(cur, |e| array.push(e), |cur| cur.peek() == Some(b']'))?;
    } else {
        cur.pos = save;
    }
    if cur.eat(b',') {
        array.set_trailing_comma(true);
    }
    cur.ws();
    cur.expect(b']')?;
    Ok(Expression::Array(array))
}

/// `for k, v in coll :` after `ws`.
fn for_intro(cur: &mut Cursor<'_>) -> PResult<ForIntro> {
    cur.ws();
    let start = cur.pos;
    if !cur.at(b"for") {
        return Err(Bail);
    }
    cur.pos += 3;
    cur.ws();
    let first = decorated_ident(cur)?;
    cur.ws();
    let second = if cur.eat(b',') {
        cur.ws();
        let second = decorated_ident(cur)?;
        cur.ws();
        Some(second)
    } else {
        None
    };
    if !cur.at(b"in") {
        return Err(Bail);
    }
    cur.pos += 2;
    cur.ws();
    let collection = expr(cur, false)?;
    cur.ws();
    cur.expect(b':')?;
    let intro = match second {
        Some(value) => {
            let mut intro = ForIntro::new(value, collection);
            intro.key_var = Some(first);
            intro
        }
        None => ForIntro::new(first, collection),
    };
    Ok(spanned(intro, start..cur.pos))
}

/// `if cond` after `ws` (its span takes the whitespace after `cond`), or `None`.
fn for_cond(cur: &mut Cursor<'_>, newlines: bool) -> PResult<Option<ForCond>> {
    let save = cur.pos;
    cur.ws();
    if !cur.at(b"if") {
        cur.pos = save;
        return Ok(None);
    }
    let start = cur.pos;
    cur.pos += 2;
    cur.ws();
    let cond = expr(cur, newlines)?;
    cur.ws();
    Ok(Some(spanned(ForCond::new(cond), start..cur.pos)))
}

fn for_list(cur: &mut Cursor<'_>) -> PResult<Expression> {
    let intro = for_intro(cur)?;
    cur.ws();
    let value = expr(cur, true)?;
    cur.ws();
    let mut e = ForExpr::new(intro, value);
    e.cond = for_cond(cur, true)?;
    Ok(Expression::ForExpr(Box::new(e)))
}

fn object(cur: &mut Cursor<'_>, newlines: &mut bool) -> PResult<Expression> {
    cur.expect(b'{')?;
    if cur.at_for() {
        *newlines = true;
        let e = for_object(cur)?;
        cur.expect(b'}')?;
        return Ok(e);
    }
    let mut object = Object::new();
    loop {
        cur.ws();
        match cur.peek() {
            None => return Err(Bail),
            Some(b'}') => break,
            Some(_) => {}
        }
        let key_start = cur.pos;
        let key = match expr(cur, false)? {
            // A bare name is a key, not a variable.
            Expression::Variable(v) => ObjectKey::Ident(Decorated::new(v.into_value())),
            // Their equality reads raw text hcl-edit has and we do not.
            Expression::Object(_) | Expression::Array(_) | Expression::ForExpr(_) => {
                return Err(Bail)
            }
            e => ObjectKey::Expression(e),
        };
        let key = spanned(key, key_start..cur.pos);
        // Terraform accepts a key written twice, the last value winning (hcl-edit rejects it).
        if object.contains_key(&key) {
            object.remove(&key);
        }
        cur.sp();
        let assignment = match cur.peek() {
            Some(b'=') => ObjectValueAssignment::Equals,
            Some(b':') => ObjectValueAssignment::Colon,
            _ => return Err(Bail),
        };
        cur.pos += 1;
        cur.sp();
        let mut value = ObjectValue::new(expr(cur, false)?);
        value.set_assignment(assignment);
        cur.sp();
        let terminator = match cur.peek() {
            Some(b'}') => {
                value.set_terminator(ObjectValueTerminator::None);
                object.insert(key, value);
                break;
            }
            Some(b'\n') => ObjectValueTerminator::Newline,
            Some(b',') => ObjectValueTerminator::Comma,
            Some(b'#' | b'/') => {
                if !cur.line_comment() || cur.peek() != Some(b'\n') {
                    return Err(Bail);
                }
                ObjectValueTerminator::Newline
            }
            _ => return Err(Bail),
        };
        cur.pos += 1;
        value.set_terminator(terminator);
        object.insert(key, value);
    }
    cur.pos += 1;
    Ok(Expression::Object(object))
}

fn for_object(cur: &mut Cursor<'_>) -> PResult<Expression> {
    let intro = for_intro(cur)?;
    cur.ws();
    let key = expr(cur, false)?;
    cur.ws();
    if !cur.at(b"=>") {
        return Err(Bail);
    }
    cur.pos += 2;
    cur.ws();
    let value = expr(cur, false)?;
    cur.ws();
    let mut e = ForExpr::new(intro, value);
    e.key_expr = Some(key);
    if cur.at(b"...") {
        cur.pos += 3;
        cur.ws();
        e.grouping = true;
    }
    e.cond = for_cond(cur, true)?;
    Ok(Expression::ForExpr(Box::new(e)))
}
