//! The embedded data files (`rules/*.toml`), parsed at build time (`build.rs`)
//! into static trees, and a serde deserializer over them: the same structs
//! that read a site's TOML read these, without a TOML parse on every run.
//! Spans are kept, so `toml::Spanned` fields (and the line numbers of
//! errors) work as they do on text.

use serde::de::value::BorrowedStrDeserializer;
use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;

pub struct Node {
    /// Byte range in the source file.
    pub span: (usize, usize),
    pub value: Value,
}

pub enum Value {
    Str(&'static str),
    Int(i64),
    Bool(bool),
    Array(&'static [Node]),
    Table(&'static [(&'static str, Node)]),
}

include!(concat!(env!("OUT_DIR"), "/baked.rs"));

/// Every tree with the file it came from, which is embedded too.
pub const FILES: &[(&str, &Node, &str)] = &[
    ("rules/core.toml", &CORE, include_str!("../rules/core.toml")),
    (
        "rules/users.toml",
        &USERS,
        include_str!("../rules/users.toml"),
    ),
    (
        "rules/devices.toml",
        &DEVICES,
        include_str!("../rules/devices.toml"),
    ),
    (
        "rules/kernel-refs.toml",
        &KERNEL_REFS,
        include_str!("../rules/kernel-refs.toml"),
    ),
];

/// The tree of an embedded file by its path (`rules/core.toml`).
pub fn tree(path: &str) -> &'static Node {
    FILES
        .iter()
        .find(|(p, _, _)| *p == path)
        .map(|(_, n, _)| *n)
        .unwrap_or_else(|| panic!("{path} is not embedded"))
}

/// An error with the span of the node it is about, when known.
#[derive(Debug)]
pub struct Error {
    pub message: String,
    pub span: Option<(usize, usize)>,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error {
            message: msg.to_string(),
            span: None,
        }
    }
}

/// `T` from an embedded tree.
pub fn from_tree<T: de::Deserialize<'static>>(node: &'static Node) -> Result<T, Error> {
    T::deserialize(node)
}

// serde_spanned's protocol: a struct with this name and these fields asks the
// format for the value's byte range (what the toml crate does for its text).
const SPANNED: &str = "$__serde_spanned_private_Spanned";
const SPANNED_START: &str = "$__serde_spanned_private_start";
const SPANNED_END: &str = "$__serde_spanned_private_end";
const SPANNED_VALUE: &str = "$__serde_spanned_private_value";

impl Node {
    fn with_span(&self, mut e: Error) -> Error {
        e.span.get_or_insert(self.span);
        e
    }
}

impl<'de> de::Deserializer<'de> for &'static Node {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        let r = match &self.value {
            Value::Str(s) => v.visit_borrowed_str(s),
            Value::Int(i) => v.visit_i64(*i),
            Value::Bool(b) => v.visit_bool(*b),
            Value::Array(a) => v.visit_seq(Seq(a.iter())),
            Value::Table(t) => v.visit_map(Map {
                items: t.iter(),
                next: None,
            }),
        };
        r.map_err(|e| self.with_span(e))
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        v.visit_some(self)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, Error> {
        if name == SPANNED && fields == [SPANNED_START, SPANNED_END, SPANNED_VALUE] {
            return v.visit_map(Spanned {
                node: self,
                field: 0,
            });
        }
        self.deserialize_any(v)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, Error> {
        match &self.value {
            Value::Str(s) => v
                .visit_enum(s.into_deserializer())
                .map_err(|e: Error| self.with_span(e)),
            _ => Err(self.with_span(de::Error::custom("expected a string naming a variant"))),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        v: V,
    ) -> Result<V::Value, Error> {
        v.visit_newtype_struct(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map identifier
        ignored_any
    }
}

struct Seq(std::slice::Iter<'static, Node>);

impl<'de> SeqAccess<'de> for Seq {
    type Error = Error;
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        self.0.next().map(|n| seed.deserialize(n)).transpose()
    }
}

struct Map {
    items: std::slice::Iter<'static, (&'static str, Node)>,
    next: Option<&'static Node>,
}

impl<'de> MapAccess<'de> for Map {
    type Error = Error;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let Some((k, n)) = self.items.next() else {
            return Ok(None);
        };
        self.next = Some(n);
        seed.deserialize(BorrowedStrDeserializer::new(k))
            .map(Some)
            .map_err(|e: Error| n.with_span(e))
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let n = self
            .next
            .take()
            .expect("serde asks for a key before its value");
        seed.deserialize(n)
    }
}

/// The three fields of serde_spanned's protocol, in its order.
struct Spanned {
    node: &'static Node,
    field: usize,
}

impl<'de> MapAccess<'de> for Spanned {
    type Error = Error;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let key = match self.field {
            0 => SPANNED_START,
            1 => SPANNED_END,
            2 => SPANNED_VALUE,
            _ => return Ok(None),
        };
        seed.deserialize(BorrowedStrDeserializer::new(key))
            .map(Some)
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        self.field += 1;
        match self.field {
            1 => seed.deserialize(self.node.span.0.into_deserializer()),
            2 => seed.deserialize(self.node.span.1.into_deserializer()),
            _ => seed.deserialize(self.node),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Raw {
        #[serde(default)]
        rule: Vec<RawRule>,
        #[serde(default)]
        verdict_step: Vec<serde::de::IgnoredAny>,
    }

    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct RawRule {
        id: toml::Spanned<String>,
        #[serde(flatten)]
        rest: std::collections::BTreeMap<String, toml::Value>,
    }

    /// The baked tree reads exactly as the TOML text does, spans included.
    #[test]
    fn trees_read_as_the_text_does() {
        for (path, tree, text) in FILES {
            let from_text: toml::Value = toml::from_str(text).unwrap();
            let from_tree: toml::Value = from_tree(tree).unwrap();
            assert_eq!(from_text, from_tree, "{path}");
        }
        let (_, tree, text) = FILES[0];
        let a: Raw = toml::from_str(text).unwrap();
        let b: Raw = from_tree(tree).unwrap();
        assert!(!a.rule.is_empty());
        for (x, y) in a.rule.iter().zip(&b.rule) {
            assert_eq!(x.id.get_ref(), y.id.get_ref());
            assert_eq!(x.id.span(), y.id.span(), "{}", x.id.get_ref());
        }
        assert_eq!(a, b);
    }

    #[test]
    fn errors_carry_the_span_of_their_node() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Wrong {
            rule: Vec<std::collections::BTreeMap<String, u32>>,
        }
        let (_, tree, text) = FILES[0];
        let e = from_tree::<Wrong>(tree).unwrap_err();
        let (start, _) = e.span.expect("a span");
        // The first value that is not a number: the first rule's first key.
        assert!(
            text[start..].starts_with('"'),
            "{}",
            &text[start..start + 20]
        );
    }
}
