//! The facts about one module, as named values that rules can test and renderers
//! can show. Every value carries the evidence it came from (the path read and
//! what it said), and a value that could not be read says why instead.

use super::keys::{self, Ty};
use crate::root::ReadError;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Value {
    Bool(bool),
    Int(i64),
    Str(String),
    List(Vec<String>),
}

impl Value {
    pub fn ty(&self) -> Ty {
        match self {
            Value::Bool(_) => Ty::Bool,
            Value::Int(_) => Ty::Int,
            Value::Str(_) => Ty::Str,
            Value::List(_) => Ty::List,
        }
    }

    /// How the value reads in a sentence.
    pub fn display(&self) -> String {
        match self {
            Value::Bool(b) => if *b { "yes" } else { "no" }.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Str(s) => s.clone(),
            Value::List(l) if l.is_empty() => "none".to_string(),
            Value::List(l) => l.join(", "),
        }
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}
impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::Int(i)
    }
}
impl From<usize> for Value {
    fn from(i: usize) -> Value {
        Value::Int(i64::try_from(i).unwrap_or(i64::MAX))
    }
}
impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Str(s)
    }
}
impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Str(s.to_string())
    }
}
impl From<Vec<String>> for Value {
    fn from(l: Vec<String>) -> Value {
        Value::List(l)
    }
}

pub use crate::model::Evidence;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fact {
    Known {
        value: Value,
        evidence: Vec<Evidence>,
    },
    Unread(ReadError),
}

#[derive(Debug, Clone, Default)]
pub struct FactTable {
    map: BTreeMap<&'static str, Fact>,
}

impl FactTable {
    /// Records a value. The key must be one of the documented keys and the value
    /// of its declared type: a mismatch is a programming error caught by tests.
    pub fn set(&mut self, key: &'static str, value: impl Into<Value>, evidence: Vec<Evidence>) {
        let value = value.into();
        debug_assert!(
            keys::lookup(key).is_some_and(|k| k.ty == value.ty()),
            "fact {key} undocumented or wrong type"
        );
        self.map.insert(key, Fact::Known { value, evidence });
    }

    pub fn unread(&mut self, key: &'static str, err: ReadError) {
        debug_assert!(keys::lookup(key).is_some(), "fact {key} undocumented");
        self.map.insert(key, Fact::Unread(err));
    }

    /// Sets from a read result, keeping the error when the read failed.
    pub fn set_result<T: Into<Value>>(
        &mut self,
        key: &'static str,
        r: Result<(T, Vec<Evidence>), ReadError>,
    ) {
        match r {
            Ok((v, ev)) => self.set(key, v, ev),
            Err(e) => self.unread(key, e),
        }
    }

    pub fn get(&self, key: &str) -> Option<&Fact> {
        self.map.get(key)
    }

    pub fn value(&self, key: &str) -> Option<&Value> {
        match self.map.get(key) {
            Some(Fact::Known { value, .. }) => Some(value),
            _ => None,
        }
    }

    pub fn bool(&self, key: &str) -> Option<bool> {
        match self.value(key) {
            Some(Value::Bool(b)) => Some(*b),
            _ => None,
        }
    }

    pub fn int(&self, key: &str) -> Option<i64> {
        match self.value(key) {
            Some(Value::Int(i)) => Some(*i),
            _ => None,
        }
    }

    pub fn str(&self, key: &str) -> Option<&str> {
        match self.value(key) {
            Some(Value::Str(s)) => Some(s),
            _ => None,
        }
    }

    pub fn list(&self, key: &str) -> &[String] {
        match self.value(key) {
            Some(Value::List(l)) => l,
            _ => &[],
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &Fact)> {
        self.map.iter().map(|(k, v)| (*k, v))
    }
}
