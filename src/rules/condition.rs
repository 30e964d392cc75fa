//! The condition language of rules (documented in `rules/README.md`):
//!
//! ```text
//! expr    := or
//! or      := and ("or" and)*
//! and     := unary ("and" unary)*
//! unary   := "not" unary | compare
//! compare := operand (("==" | "!=" | "<" | "<=" | ">" | ">=" | "contains") operand)?
//! operand := FACT | "count(" FACT ")" | INT | "string" | true | false | "(" expr ")"
//! ```
//!
//! Evaluation is three-valued (Kleene): a fact that could not be read is
//! *unknown*, `false and unknown` is false, `true or unknown` is true, and
//! anything else touching unknown stays unknown. That is how a rule can still
//! decide when an irrelevant file is missing, and how a missing file that
//! matters turns into an `unknown` verdict instead of a silent `safe`.

use crate::facts::keys::{self, Ty};
use crate::facts::{Fact, FactTable, Value};

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Or(Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Cmp(Op, Operand, Operand),
    Truthy(Operand),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Contains,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Fact(&'static str),
    Count(&'static str),
    Int(i64),
    Str(String),
    Bool(bool),
    Group(Box<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tri {
    True,
    False,
    Unknown,
}

impl Tri {
    fn from(b: bool) -> Tri {
        if b { Tri::True } else { Tri::False }
    }
}

// ---------------------------------------------------------------- parsing

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Int(i64),
    Str(String),
    Op(Op),
    LParen,
    RParen,
}

fn lex(s: &str) -> Result<Vec<Tok>, String> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    while i < b.len() {
        let c = b[i];
        match c {
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b'(' => {
                out.push(Tok::LParen);
                i += 1
            }
            b')' => {
                out.push(Tok::RParen);
                i += 1
            }
            b'"' => {
                let start = i + 1;
                let end = s[start..].find('"').ok_or("unterminated string")? + start;
                out.push(Tok::Str(s[start..end].to_string()));
                i = end + 1;
            }
            b'=' | b'!' | b'<' | b'>' => {
                let two = s.get(i..i + 2).unwrap_or("");
                let (op, len) = match two {
                    "==" => (Op::Eq, 2),
                    "!=" => (Op::Ne, 2),
                    "<=" => (Op::Le, 2),
                    ">=" => (Op::Ge, 2),
                    _ => match c {
                        b'<' => (Op::Lt, 1),
                        b'>' => (Op::Gt, 1),
                        _ => return Err(format!("unexpected {:?} at column {}", c as char, i + 1)),
                    },
                };
                out.push(Tok::Op(op));
                i += len;
            }
            b'-' | b'0'..=b'9' => {
                let start = i;
                i += 1;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                let n = s[start..i]
                    .parse()
                    .map_err(|_| format!("bad number at column {}", start + 1))?;
                out.push(Tok::Int(n));
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let start = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'.')
                {
                    i += 1;
                }
                let w = &s[start..i];
                out.push(if w == "contains" {
                    Tok::Op(Op::Contains)
                } else {
                    Tok::Ident(w.to_string())
                });
            }
            _ => return Err(format!("unexpected {:?} at column {}", c as char, i + 1)),
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }
    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }
    fn word(&self, w: &str) -> bool {
        matches!(self.peek(), Some(Tok::Ident(x)) if x == w)
    }
    fn or(&mut self, depth: usize) -> Result<Expr, String> {
        if depth > 32 {
            return Err("expression nested too deeply".into());
        }
        let mut e = self.and(depth)?;
        while self.word("or") {
            self.pos += 1;
            e = Expr::Or(Box::new(e), Box::new(self.and(depth)?));
        }
        Ok(e)
    }
    fn and(&mut self, depth: usize) -> Result<Expr, String> {
        let mut e = self.unary(depth)?;
        while self.word("and") {
            self.pos += 1;
            e = Expr::And(Box::new(e), Box::new(self.unary(depth)?));
        }
        Ok(e)
    }
    fn unary(&mut self, depth: usize) -> Result<Expr, String> {
        if depth > 32 {
            return Err("expression nested too deeply".into());
        }
        if self.word("not") {
            self.pos += 1;
            return Ok(Expr::Not(Box::new(self.unary(depth + 1)?)));
        }
        let lhs = self.operand(depth)?;
        if let Some(Tok::Op(op)) = self.peek().cloned() {
            self.pos += 1;
            let rhs = self.operand(depth)?;
            return Ok(Expr::Cmp(op, lhs, rhs));
        }
        Ok(Expr::Truthy(lhs))
    }
    fn operand(&mut self, depth: usize) -> Result<Operand, String> {
        match self.next() {
            Some(Tok::Int(n)) => Ok(Operand::Int(n)),
            Some(Tok::Str(s)) => Ok(Operand::Str(s)),
            Some(Tok::LParen) => {
                let e = self.or(depth + 1)?;
                match self.next() {
                    Some(Tok::RParen) => Ok(Operand::Group(Box::new(e))),
                    _ => Err("missing ')'".into()),
                }
            }
            Some(Tok::Ident(w)) if w == "true" => Ok(Operand::Bool(true)),
            Some(Tok::Ident(w)) if w == "false" => Ok(Operand::Bool(false)),
            Some(Tok::Ident(w)) if w == "count" => {
                if self.next() != Some(Tok::LParen) {
                    return Err("count needs '(' FACT ')'".into());
                }
                let f = match self.next() {
                    Some(Tok::Ident(f)) => fact_name(&f)?,
                    _ => return Err("count needs a fact name".into()),
                };
                if self.next() != Some(Tok::RParen) {
                    return Err("missing ')' after count(".into());
                }
                Ok(Operand::Count(f))
            }
            Some(Tok::Ident(w)) => Ok(Operand::Fact(fact_name(&w)?)),
            Some(t) => Err(format!("unexpected {t:?}")),
            None => Err("unexpected end of condition".into()),
        }
    }
}

fn fact_name(w: &str) -> Result<&'static str, String> {
    keys::lookup(w)
        .map(|k| k.name)
        .ok_or_else(|| format!("unknown fact {w:?} (see rules/README.md for the list)"))
}

/// Parses and type-checks a condition.
pub fn parse(src: &str) -> Result<Expr, String> {
    let toks = lex(src)?;
    // Long and/or chains nest as deeply as they are long; a real condition
    // is a few dozen tokens.
    if toks.len() > 256 {
        return Err(format!(
            "condition has {} tokens; at most 256 are allowed",
            toks.len()
        ));
    }
    let mut p = Parser { toks, pos: 0 };
    let e = p.or(0)?;
    if p.pos < p.toks.len() {
        return Err(format!(
            "unexpected {:?} after the condition",
            p.toks[p.pos]
        ));
    }
    check(&e)?;
    Ok(e)
}

fn operand_ty(o: &Operand) -> Result<Ty, String> {
    Ok(match o {
        Operand::Fact(f) => keys::lookup(f).map(|k| k.ty).unwrap_or(Ty::Str),
        Operand::Count(f) => {
            if keys::lookup(f).map(|k| k.ty) != Some(Ty::List) {
                return Err(format!("count({f}) needs a list fact"));
            }
            Ty::Int
        }
        Operand::Int(_) => Ty::Int,
        Operand::Str(_) => Ty::Str,
        Operand::Bool(_) => Ty::Bool,
        Operand::Group(e) => {
            check(e)?;
            Ty::Bool
        }
    })
}

fn check(e: &Expr) -> Result<(), String> {
    match e {
        Expr::Or(a, b) | Expr::And(a, b) => {
            check(a)?;
            check(b)
        }
        Expr::Not(a) => check(a),
        Expr::Truthy(o) => match operand_ty(o)? {
            Ty::Bool => Ok(()),
            t => Err(format!(
                "a {} cannot stand alone as a condition; compare it",
                t.name()
            )),
        },
        Expr::Cmp(op, a, b) => {
            let (ta, tb) = (operand_ty(a)?, operand_ty(b)?);
            match op {
                Op::Contains if ta == Ty::List && tb == Ty::Str => Ok(()),
                Op::Contains => {
                    Err("`contains` needs a list on the left and a string on the right".into())
                }
                _ if ta != tb => Err(format!("cannot compare {} with {}", ta.name(), tb.name())),
                Op::Lt | Op::Le | Op::Gt | Op::Ge if ta != Ty::Int => {
                    Err("ordering needs numbers".into())
                }
                _ if ta == Ty::List => Err("compare lists with count() or contains".into()),
                _ => Ok(()),
            }
        }
    }
}

// ------------------------------------------------------------- evaluation

enum Val<'a> {
    V(std::borrow::Cow<'a, Value>),
    Unknown,
}

fn operand<'a>(o: &'a Operand, facts: &'a FactTable, used: &mut Vec<&'static str>) -> Val<'a> {
    use std::borrow::Cow;
    match o {
        Operand::Fact(f) | Operand::Count(f) => {
            used.push(f);
            match facts.get(f) {
                Some(Fact::Known { value, .. }) => match (o, value) {
                    (Operand::Count(_), Value::List(l)) => Val::V(Cow::Owned(Value::from(l.len()))),
                    (Operand::Count(_), _) => Val::Unknown,
                    _ => Val::V(Cow::Borrowed(value)),
                },
                _ => Val::Unknown,
            }
        }
        Operand::Int(n) => Val::V(Cow::Owned(Value::Int(*n))),
        Operand::Str(s) => Val::V(Cow::Owned(Value::Str(s.clone()))),
        Operand::Bool(b) => Val::V(Cow::Owned(Value::Bool(*b))),
        Operand::Group(e) => match eval(e, facts, used) {
            Tri::True => Val::V(Cow::Owned(Value::Bool(true))),
            Tri::False => Val::V(Cow::Owned(Value::Bool(false))),
            Tri::Unknown => Val::Unknown,
        },
    }
}

/// Evaluates `e`, appending every fact it looked at to `used`.
pub fn eval(e: &Expr, facts: &FactTable, used: &mut Vec<&'static str>) -> Tri {
    match e {
        Expr::Or(a, b) => match (eval(a, facts, used), eval(b, facts, used)) {
            (Tri::True, _) | (_, Tri::True) => Tri::True,
            (Tri::False, Tri::False) => Tri::False,
            _ => Tri::Unknown,
        },
        Expr::And(a, b) => match (eval(a, facts, used), eval(b, facts, used)) {
            (Tri::False, _) | (_, Tri::False) => Tri::False,
            (Tri::True, Tri::True) => Tri::True,
            _ => Tri::Unknown,
        },
        Expr::Not(a) => match eval(a, facts, used) {
            Tri::True => Tri::False,
            Tri::False => Tri::True,
            Tri::Unknown => Tri::Unknown,
        },
        Expr::Truthy(o) => match operand(o, facts, used) {
            Val::V(v) => Tri::from(*v == Value::Bool(true)),
            Val::Unknown => Tri::Unknown,
        },
        Expr::Cmp(op, a, b) => {
            let (Val::V(x), Val::V(y)) = (operand(a, facts, used), operand(b, facts, used)) else {
                return Tri::Unknown;
            };
            Tri::from(match (op, x.as_ref(), y.as_ref()) {
                (Op::Eq, x, y) => x == y,
                (Op::Ne, x, y) => x != y,
                (Op::Lt, Value::Int(x), Value::Int(y)) => x < y,
                (Op::Le, Value::Int(x), Value::Int(y)) => x <= y,
                (Op::Gt, Value::Int(x), Value::Int(y)) => x > y,
                (Op::Ge, Value::Int(x), Value::Int(y)) => x >= y,
                (Op::Contains, Value::List(l), Value::Str(s)) => l.iter().any(|i| i == s),
                _ => return Tri::Unknown,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::root::{ReadError, ReadErrorKind};

    fn facts() -> FactTable {
        let mut t = FactTable::default();
        t.set("module.loaded", true, vec![]);
        t.set("module.refcount", 2i64, vec![]);
        t.set("module.holders", vec!["a".to_string()], vec![]);
        t.set("module.state", "live", vec![]);
        t.unread(
            "module.permanent",
            ReadError::new("/proc/modules", ReadErrorKind::PermissionDenied),
        );
        t
    }

    fn ev(s: &str) -> Tri {
        eval(&parse(s).unwrap(), &facts(), &mut Vec::new())
    }

    #[test]
    fn evaluates_with_kleene_logic() {
        assert_eq!(
            ev("module.loaded and module.refcount > count(module.holders)"),
            Tri::True
        );
        assert_eq!(ev("module.state == \"live\""), Tri::True);
        assert_eq!(ev("module.holders contains \"a\""), Tri::True);
        assert_eq!(ev("module.permanent"), Tri::Unknown);
        assert_eq!(ev("not module.loaded and module.permanent"), Tri::False);
        assert_eq!(ev("module.loaded or module.permanent"), Tri::True);
        assert_eq!(ev("module.loaded and module.permanent"), Tri::Unknown);
        assert_eq!(ev("not (module.refcount >= 3)"), Tri::True);
        // A fact absent from the table (not gathered) is unknown too.
        assert_eq!(ev("module.builtin"), Tri::Unknown);
    }

    #[test]
    fn rejects_bad_conditions() {
        for bad in [
            "module.nope",
            "module.refcount",
            "module.refcount == \"x\"",
            "count(module.refcount) > 0",
            "module.loaded and",
            "(module.loaded",
            "module.state > \"a\"",
            "module.holders == 1",
            "module.loaded $ 1",
            "\"unterminated",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        let deep = format!("{}module.loaded{}", "(".repeat(100), ")".repeat(100));
        assert!(parse(&deep).is_err());
        assert!(parse(&"not ".repeat(10_000)).is_err());
    }
}
