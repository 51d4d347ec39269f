//! A YAML document as a tree of nodes with their positions, for the passes that must see every node even
//! when the file does not match its schema ([`super::recover`]) or that must point at values of any key
//! ([`super::secrets`]).

use super::error::Pos;
use serde::Deserialize;
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;
use std::fmt;

/// One node: where it is and what it holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Where the node starts (1-based).
    pub pos: Pos,
    /// Byte offset and length of the node in the source, when known.
    pub span: Option<(usize, usize)>,
    /// What it holds.
    pub kind: Kind,
}

/// What a node holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// `~`, `null` or nothing.
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
    /// Stands in for a node whose problem is already reported: it deserializes as anything, so that the
    /// rest of the document can still be checked.
    Placeholder,
}

/// One `key: value` of a mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The key as written (non-string keys in their YAML spelling).
    pub key: String,
    /// Where the key is.
    pub key_pos: Pos,
    pub value: Node,
}

/// One step of a path from the root to a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seg {
    /// The value of the n-th entry of a mapping.
    Entry(usize),
    /// The n-th element of a sequence.
    Index(usize),
}

impl Node {
    /// Parses a whole document; `None` when it is not YAML at all (the strict parser reports why) or empty.
    pub fn parse(source: &str) -> Option<Node> {
        let raw: Spanned<Raw> = super::parse::parse_lenient(source)?;
        Some(Node::from_spanned(raw))
    }

    fn from_spanned(s: Spanned<Raw>) -> Node {
        let loc = s.referenced;
        let pos = Pos::from_location(&loc).unwrap_or(Pos::START);
        let span = loc
            .span()
            .byte_offset()
            .zip(loc.span().byte_len())
            .and_then(|(o, l)| Some((usize::try_from(o).ok()?, usize::try_from(l).ok()?)));
        let kind = match s.value {
            Raw::Null => Kind::Null,
            Raw::Bool(b) => Kind::Bool(b),
            Raw::Int(i) => Kind::Int(i),
            Raw::UInt(u) => Kind::UInt(u),
            Raw::Float(f) => Kind::Float(f),
            Raw::Str(s) => Kind::Str(s),
            Raw::Seq(items) => Kind::Seq(items.into_iter().map(Node::from_spanned).collect()),
            Raw::Map(entries) => Kind::Map(
                entries
                    .into_iter()
                    .map(|(k, v)| Entry {
                        key: k.value,
                        key_pos: Pos::from_location(&k.referenced).unwrap_or(pos),
                        value: Node::from_spanned(v),
                    })
                    .collect(),
            ),
        };
        Node { pos, span, kind }
    }

    /// A placeholder at `pos`.
    pub fn placeholder(pos: Pos) -> Node {
        Node {
            pos,
            span: None,
            kind: Kind::Placeholder,
        }
    }

    /// The node at `path`, if there is one.
    pub fn at(&self, path: &[Seg]) -> Option<&Node> {
        let mut node = self;
        for seg in path {
            node = match (seg, &node.kind) {
                (Seg::Entry(i), Kind::Map(entries)) => &entries.get(*i)?.value,
                (Seg::Index(i), Kind::Seq(items)) => items.get(*i)?,
                _ => return None,
            };
        }
        Some(node)
    }

    /// The node at `path`, mutably.
    pub fn at_mut(&mut self, path: &[Seg]) -> Option<&mut Node> {
        let mut node = self;
        for seg in path {
            node = match (seg, &mut node.kind) {
                (Seg::Entry(i), Kind::Map(entries)) => &mut entries.get_mut(*i)?.value,
                (Seg::Index(i), Kind::Seq(items)) => items.get_mut(*i)?,
                _ => return None,
            };
        }
        Some(node)
    }

    /// The entries of a mapping node (none for other nodes).
    pub fn entries(&self) -> &[Entry] {
        match &self.kind {
            Kind::Map(e) => e,
            _ => &[],
        }
    }

    /// The value of `key` in a mapping node.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entries()
            .iter()
            .find(|e| e.key == key)
            .map(|e| &e.value)
    }

    /// The scalar as text (`None` for collections, null and placeholders).
    pub fn scalar(&self) -> Option<String> {
        Some(match &self.kind {
            Kind::Bool(b) => b.to_string(),
            Kind::Int(i) => i.to_string(),
            Kind::UInt(u) => u.to_string(),
            Kind::Float(f) => f.to_string(),
            Kind::Str(s) => s.clone(),
            _ => return None,
        })
    }

    /// Calls `f` on every node with its path, parents before children.
    pub fn walk(&self, f: &mut dyn FnMut(&[Seg], &Node)) {
        fn go(node: &Node, path: &mut Vec<Seg>, f: &mut dyn FnMut(&[Seg], &Node)) {
            f(path, node);
            match &node.kind {
                Kind::Map(entries) => {
                    for (i, e) in entries.iter().enumerate() {
                        path.push(Seg::Entry(i));
                        go(&e.value, path, f);
                        path.pop();
                    }
                }
                Kind::Seq(items) => {
                    for (i, n) in items.iter().enumerate() {
                        path.push(Seg::Index(i));
                        go(n, path, f);
                        path.pop();
                    }
                }
                _ => {}
            }
        }
        go(self, &mut Vec::new(), f);
    }

    /// The key of the entry whose value is at `path` (the nearest one above, for list elements), and
    /// whether the node is a list element under it.
    pub fn key_of(&self, path: &[Seg]) -> Option<(&str, bool)> {
        let mut element = false;
        for n in (0..path.len()).rev() {
            match path.get(n) {
                Some(Seg::Index(_)) => element = true,
                Some(Seg::Entry(i)) => {
                    let parent = self.at(path.get(..n)?)?;
                    return parent.entries().get(*i).map(|e| (e.key.as_str(), element));
                }
                None => return None,
            }
        }
        None
    }
}

/// What serde-saphyr hands over for any node.
enum Raw {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(String),
    Seq(Vec<Spanned<Raw>>),
    Map(Vec<(Spanned<String>, Spanned<Raw>)>),
}

impl<'de> Deserialize<'de> for Raw {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Raw, D::Error> {
        d.deserialize_any(RawVisitor)
    }
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = Raw;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML node")
    }
    fn visit_unit<E>(self) -> Result<Raw, E> {
        Ok(Raw::Null)
    }
    fn visit_none<E>(self) -> Result<Raw, E> {
        Ok(Raw::Null)
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Raw, D::Error> {
        Raw::deserialize(d)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Raw, E> {
        Ok(Raw::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Raw, E> {
        Ok(Raw::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Raw, E> {
        Ok(Raw::UInt(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Raw, E> {
        Ok(Raw::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Raw, E> {
        Ok(Raw::Str(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Raw, E> {
        Ok(Raw::Str(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Raw, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<Raw>>()? {
            items.push(item);
        }
        Ok(Raw::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Raw, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Spanned<String>>()? {
            let value = map.next_value::<Spanned<Raw>>()?;
            entries.push((key, value));
        }
        Ok(Raw::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_know_where_they_are() {
        let src = "suite: s\nscenarios:\n  - id: a\n    steps:\n      - revoke: { on: p, password: \"AB12\" }\n";
        let root = Node::parse(src).unwrap();
        let sc = root.get("scenarios").unwrap();
        let Kind::Seq(items) = &sc.kind else {
            panic!("{sc:?}")
        };
        let step = items[0].get("steps").unwrap();
        let Kind::Seq(steps) = &step.kind else {
            panic!()
        };
        let revoke = steps[0].get("revoke").unwrap();
        let pw = revoke.get("password").unwrap();
        assert_eq!(pw.kind, Kind::Str("AB12".into()));
        assert_eq!(
            pw.pos,
            Pos {
                line: 5,
                column: 36
            }
        );
        let (off, len) = pw.span.unwrap();
        assert_eq!(&src[off..off + len], "\"AB12\"");
        let e = &revoke.entries()[1];
        assert_eq!(
            (e.key.as_str(), e.key_pos),
            (
                "password",
                Pos {
                    line: 5,
                    column: 26
                }
            )
        );
    }

    #[test]
    fn key_of_names_the_nearest_key_above() {
        let root = Node::parse("rules: [R1, R2]\n").unwrap();
        assert_eq!(
            root.key_of(&[Seg::Entry(0), Seg::Index(1)]),
            Some(("rules", true))
        );
        assert_eq!(root.key_of(&[Seg::Entry(0)]), Some(("rules", false)));
        assert_eq!(root.key_of(&[]), None);
    }
}
