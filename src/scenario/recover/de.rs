//! The deserializer over a [`Node`] tree: serde's own types drive it, and every problem comes back as a
//! [`TreeError`] that knows the path of the node (or key) at fault.

use super::Want;
use super::variants::{MapEnum, PlaceholderEnum, ScalarEnum};
use crate::scenario::Pos;
use crate::scenario::tree::{Entry, Kind, Node, Seg};
use serde::de::{self, DeserializeSeed, Visitor};
use std::fmt;

#[derive(Debug)]
pub(super) enum Problem {
    UnknownField {
        field: String,
        expected: &'static [&'static str],
    },
    UnknownVariant {
        variant: String,
        expected: &'static [&'static str],
    },
    MissingField(&'static str),
    DuplicateField(&'static str),
    Shape(Want),
    Other(String),
}

/// A problem and where it is: the path of the node, and whether it is about the key of the entry at the
/// end of the path rather than its value.
#[derive(Debug)]
pub struct TreeError {
    pub(super) problem: Problem,
    pub(super) at: Option<(Vec<Seg>, bool)>,
}

impl fmt::Display for TreeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.problem)
    }
}

impl std::error::Error for TreeError {}

impl de::Error for TreeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        TreeError::new(Problem::Other(msg.to_string()))
    }
    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        TreeError::new(Problem::UnknownField {
            field: field.to_string(),
            expected,
        })
    }
    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        TreeError::new(Problem::UnknownVariant {
            variant: variant.to_string(),
            expected,
        })
    }
    fn missing_field(field: &'static str) -> Self {
        TreeError::new(Problem::MissingField(field))
    }
    fn duplicate_field(field: &'static str) -> Self {
        TreeError::new(Problem::DuplicateField(field))
    }
}

impl TreeError {
    fn new(problem: Problem) -> TreeError {
        TreeError { problem, at: None }
    }
}

/// Placeholders' children.
pub(super) static PLACEHOLDER: Node = Node {
    pos: Pos::START,
    span: None,
    kind: Kind::Placeholder,
};

/// Deserializes the node at `path`.
pub(super) struct De<'a> {
    pub(super) node: &'a Node,
    pub(super) path: Vec<Seg>,
}

impl<'a> De<'a> {
    pub(super) fn new(node: &'a Node, path: Vec<Seg>) -> De<'a> {
        De { node, path }
    }
    pub(super) fn child(&self, node: &'a Node, seg: Seg) -> De<'a> {
        let mut path = self.path.clone();
        path.push(seg);
        De { node, path }
    }
    /// Puts errors that do not know where they are here.
    fn here<T>(path: &[Seg], r: Result<T, TreeError>) -> Result<T, TreeError> {
        r.map_err(|mut e| {
            if e.at.is_none() {
                e.at = Some((path.to_vec(), false));
            }
            e
        })
    }
    pub(super) fn want<T>(&self, want: Want) -> Result<T, TreeError> {
        Err(TreeError {
            problem: Problem::Shape(want),
            at: Some((self.path.clone(), false)),
        })
    }
    fn int<'de, V: Visitor<'de>>(self, v: V) -> Result<V::Value, TreeError> {
        let node = self.node;
        let path = self.path.clone();
        let r = match &node.kind {
            Kind::Int(i) => v.visit_i64(*i),
            Kind::UInt(u) => v.visit_u64(*u),
            Kind::Placeholder => v.visit_u64(0),
            _ => return self.want(Want::Int),
        };
        Self::here(&path, r)
    }
    fn float<'de, V: Visitor<'de>>(self, v: V) -> Result<V::Value, TreeError> {
        let node = self.node;
        let path = self.path.clone();
        let r = match &node.kind {
            Kind::Float(f) => v.visit_f64(*f),
            Kind::Int(i) => v.visit_i64(*i),
            Kind::UInt(u) => v.visit_u64(*u),
            Kind::Placeholder => v.visit_f64(0.0),
            _ => return self.want(Want::Float),
        };
        Self::here(&path, r)
    }
    fn seq<'de, V: Visitor<'de>>(self, v: V) -> Result<V::Value, TreeError> {
        let node = self.node;
        let path = self.path.clone();
        let r = match &node.kind {
            Kind::Seq(items) => v.visit_seq(SeqAcc {
                items,
                index: 0,
                path: self.path.clone(),
            }),
            Kind::Null | Kind::Placeholder => v.visit_seq(SeqAcc {
                items: &[],
                index: 0,
                path: self.path.clone(),
            }),
            _ => return self.want(Want::Seq),
        };
        Self::here(&path, r)
    }
}

macro_rules! ints {
    ($($m:ident)*) => {$(
        fn $m<V: Visitor<'de>>(self, v: V) -> Result<V::Value, TreeError> { self.int(v) }
    )*};
}

impl<'de> de::Deserializer<'de> for De<'_> {
    type Error = TreeError;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, TreeError> {
        let node = self.node;
        let path = self.path.clone();
        let r = match &node.kind {
            Kind::Null | Kind::Placeholder => v.visit_unit(),
            Kind::Bool(b) => v.visit_bool(*b),
            Kind::Int(i) => v.visit_i64(*i),
            Kind::UInt(u) => v.visit_u64(*u),
            Kind::Float(f) => v.visit_f64(*f),
            Kind::Str(s) => v.visit_str(s),
            Kind::Seq(_) => return self.seq(v),
            Kind::Map(entries) => v.visit_map(MapAcc {
                entries,
                index: 0,
                path: self.path.clone(),
            }),
        };
        Self::here(&path, r)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, v: V) -> Result<V::Value, TreeError> {
        let node = self.node;
        let path = self.path.clone();
        let r = match &node.kind {
            Kind::Bool(b) => v.visit_bool(*b),
            Kind::Placeholder => v.visit_bool(false),
            _ => return self.want(Want::Bool),
        };
        Self::here(&path, r)
    }

    ints!(deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_i128
          deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128);

    fn deserialize_f32<V: Visitor<'de>>(self, v: V) -> Result<V::Value, TreeError> {
        self.float(v)
    }
    fn deserialize_f64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, TreeError> {
        self.float(v)
    }

    fn deserialize_str<V: Visitor<'de>>(self, v: V) -> Result<V::Value, TreeError> {
        let node = self.node;
        let path = self.path.clone();
        let r = match &node.kind {
            Kind::Str(s) => v.visit_str(s),
            Kind::Placeholder => v.visit_str(""),
            Kind::Null => return self.want(Want::Value),
            Kind::Seq(_) | Kind::Map(_) => return self.want(Want::Scalar),
            _ => match node.scalar() {
                Some(s) => v.visit_string(s),
                None => return self.want(Want::Scalar),
            },
        };
        Self::here(&path, r)
    }
    fn deserialize_string<V: Visitor<'de>>(self, v: V) -> Result<V::Value, TreeError> {
        self.deserialize_str(v)
    }
    fn deserialize_char<V: Visitor<'de>>(self, v: V) -> Result<V::Value, TreeError> {
        self.deserialize_str(v)
    }
    fn deserialize_bytes<V: Visitor<'de>>(self, v: V) -> Result<V::Value, TreeError> {
        self.deserialize_str(v)
    }
    fn deserialize_byte_buf<V: Visitor<'de>>(self, v: V) -> Result<V::Value, TreeError> {
        self.deserialize_str(v)
    }
    fn deserialize_identifier<V: Visitor<'de>>(self, v: V) -> Result<V::Value, TreeError> {
        self.deserialize_str(v)
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, TreeError> {
        let node = self.node;
        let path = self.path.clone();
        let r = match &node.kind {
            Kind::Null | Kind::Placeholder => v.visit_none(),
            _ => v.visit_some(self),
        };
        Self::here(&path, r)
    }

    fn deserialize_unit<V: Visitor<'de>>(self, v: V) -> Result<V::Value, TreeError> {
        let node = self.node;
        let path = self.path.clone();
        match &node.kind {
            Kind::Null | Kind::Placeholder => Self::here(&path, v.visit_unit()),
            _ => self.want(Want::Value),
        }
    }
    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        v: V,
    ) -> Result<V::Value, TreeError> {
        self.deserialize_unit(v)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        v: V,
    ) -> Result<V::Value, TreeError> {
        let path = self.path.clone();
        Self::here(&path, v.visit_newtype_struct(self))
    }

    fn deserialize_seq<V: Visitor<'de>>(self, v: V) -> Result<V::Value, TreeError> {
        self.seq(v)
    }
    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, v: V) -> Result<V::Value, TreeError> {
        self.seq(v)
    }
    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        v: V,
    ) -> Result<V::Value, TreeError> {
        self.seq(v)
    }

    fn deserialize_map<V: Visitor<'de>>(self, v: V) -> Result<V::Value, TreeError> {
        self.deserialize_struct("", &[], v)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, TreeError> {
        let node = self.node;
        let path = self.path.clone();
        let r = match &node.kind {
            Kind::Map(entries) => v.visit_map(MapAcc {
                entries,
                index: 0,
                path: self.path.clone(),
            }),
            Kind::Null => v.visit_map(MapAcc {
                entries: &[],
                index: 0,
                path: self.path.clone(),
            }),
            Kind::Placeholder => v.visit_map(PlaceholderMap {
                fields,
                index: 0,
                path: self.path.clone(),
            }),
            _ => return self.want(Want::Map((!fields.is_empty()).then_some(fields))),
        };
        Self::here(&path, r)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, TreeError> {
        let node = self.node;
        let path = self.path.clone();
        let r = match &node.kind {
            Kind::Str(_) | Kind::Int(_) | Kind::UInt(_) | Kind::Bool(_) | Kind::Float(_) => v
                .visit_enum(ScalarEnum {
                    variant: node.scalar().unwrap_or_default(),
                    path: self.path.clone(),
                }),
            Kind::Map(entries) if entries.len() == 1 => match entries.first() {
                Some(entry) => v.visit_enum(MapEnum {
                    entry,
                    de: self.child(&entry.value, Seg::Entry(0)),
                }),
                None => return self.want(Want::Enum(variants)),
            },
            Kind::Placeholder => v.visit_enum(PlaceholderEnum {
                variant: variants.first().copied().unwrap_or(""),
                path: self.path.clone(),
            }),
            _ => return self.want(Want::Enum(variants)),
        };
        Self::here(&path, r)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, TreeError> {
        let path = self.path.clone();
        Self::here(&path, v.visit_unit())
    }
}

/// A key (or a variant name) as a string; errors are placed at `at`.
pub(super) struct KeyDe<'a> {
    pub(super) key: &'a str,
    pub(super) at: (Vec<Seg>, bool),
}

impl<'de> de::Deserializer<'de> for KeyDe<'_> {
    type Error = TreeError;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, TreeError> {
        v.visit_str(self.key).map_err(|mut e: TreeError| {
            if e.at.is_none() {
                e.at = Some(self.at);
            }
            e
        })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

struct SeqAcc<'a> {
    items: &'a [Node],
    index: usize,
    path: Vec<Seg>,
}

impl<'de> de::SeqAccess<'de> for SeqAcc<'_> {
    type Error = TreeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, TreeError> {
        let Some(item) = self.items.get(self.index) else {
            return Ok(None);
        };
        let mut path = self.path.clone();
        path.push(Seg::Index(self.index));
        self.index += 1;
        seed.deserialize(De::new(item, path)).map(Some)
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len().saturating_sub(self.index))
    }
}

struct MapAcc<'a> {
    entries: &'a [Entry],
    index: usize,
    path: Vec<Seg>,
}

impl MapAcc<'_> {
    fn entry_path(&self) -> Vec<Seg> {
        let mut path = self.path.clone();
        path.push(Seg::Entry(self.index));
        path
    }
}

impl<'de> de::MapAccess<'de> for MapAcc<'_> {
    type Error = TreeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, TreeError> {
        let Some(entry) = self.entries.get(self.index) else {
            return Ok(None);
        };
        seed.deserialize(KeyDe {
            key: &entry.key,
            at: (self.entry_path(), true),
        })
        .map(Some)
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, TreeError> {
        let path = self.entry_path();
        let node = self
            .entries
            .get(self.index)
            .map_or(&PLACEHOLDER, |e| &e.value);
        self.index += 1;
        seed.deserialize(De::new(node, path))
    }
}

/// A placeholder struct: every field present, each a placeholder.
struct PlaceholderMap {
    fields: &'static [&'static str],
    index: usize,
    path: Vec<Seg>,
}

impl<'de> de::MapAccess<'de> for PlaceholderMap {
    type Error = TreeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, TreeError> {
        let Some(field) = self.fields.get(self.index) else {
            return Ok(None);
        };
        seed.deserialize(KeyDe {
            key: field,
            at: (self.path.clone(), false),
        })
        .map(Some)
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, TreeError> {
        self.index += 1;
        seed.deserialize(De::new(&PLACEHOLDER, self.path.clone()))
    }
}
