//! fhir-sdk's typed model read from the tree [`crate::json`] already parsed, instead of from the
//! bytes a second time: serde's derived readers walk the nodes, strings are handed over
//! borrowed, and nothing is tokenised, unescaped or written out as JSON again (a Bundle's
//! parts were serialised for the model to parse). The readers see what serde_json would show
//! them — numbers as unsigned, signed or floating point by their literal, the same visitor
//! calls — so the model refuses the same documents with the same reasons.

use std::borrow::Cow;
use std::fmt;

use serde::de::value::BorrowedStrDeserializer;
use serde::de::{self, DeserializeSeed, Deserializer, Visitor};
use serde::forward_to_deserialize_any;

use crate::json::{Node, Value};

/// Why the model refused a value (serde's message, without a position).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeError(pub String);

impl fmt::Display for TreeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TreeError {}

impl de::Error for TreeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        TreeError(msg.to_string())
    }
}

/// Members of an object read on their own, left out of the object's reading.
pub type Skip = fn(&str, &Node<'_>) -> bool;

/// A node to read the model from; `skip` names members of the node's own object to leave out.
#[derive(Clone, Copy)]
pub struct Tree<'n> {
    node: &'n Node<'n>,
    skip: Option<Skip>,
}

impl<'n> Tree<'n> {
    pub fn new(node: &'n Node<'_>) -> Self {
        Self { node, skip: None }
    }

    /// The node without the members of its object that `skip`, if any, names.
    pub fn without(node: &'n Node<'_>, skip: Option<Skip>) -> Self {
        Self { node, skip }
    }
}

/// A number literal as serde_json reads it: an integer as `u64` or `i64` when it fits, else
/// (and a fraction or exponent always) as `f64`, which must be finite.
fn number<'de, V: Visitor<'de>>(literal: &str, visitor: V) -> Result<V::Value, TreeError> {
    let integer = !literal.contains(['.', 'e', 'E']);
    if integer {
        if let Ok(n) = literal.parse::<u64>() {
            return visitor.visit_u64(n);
        }
        if let Ok(n) = literal.parse::<i64>() {
            return visitor.visit_i64(n);
        }
    }
    match literal.parse::<f64>() {
        Ok(f) if f.is_finite() => visitor.visit_f64(f),
        _ => Err(TreeError("number out of range".into())),
    }
}

impl<'de> Deserializer<'de> for Tree<'de> {
    type Error = TreeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TreeError> {
        match &self.node.value {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Number(literal) => number(literal, visitor),
            Value::String(text) => visitor.visit_borrowed_str(text),
            Value::Array(items) => {
                let mut elements = Elements(items.iter());
                let value = visitor.visit_seq(&mut elements)?;
                match elements.0.len() {
                    0 => Ok(value),
                    _ => Err(TreeError("trailing elements in an array".into())),
                }
            }
            Value::Object(members) => visitor.visit_map(Members {
                members: members.iter(),
                value: None,
                skip: self.skip,
            }),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TreeError> {
        match self.node.value {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, TreeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, TreeError> {
        match &self.node.value {
            Value::String(text) => {
                let text: &'de str = text;
                visitor.visit_enum(BorrowedStrDeserializer::new(text))
            }
            Value::Object(members) if members.len() == 1 => {
                let (key, value) = &members[0];
                visitor.visit_enum(Variant { key, value })
            }
            Value::Object(_) => Err(TreeError("expected an object of one member".into())),
            _ => Err(TreeError("expected value".into())),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TreeError> {
        visitor.visit_unit()
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct identifier
    }
}

struct Elements<'de>(std::slice::Iter<'de, Node<'de>>);

impl<'de> de::SeqAccess<'de> for Elements<'de> {
    type Error = TreeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, TreeError> {
        self.0
            .next()
            .map(|node| seed.deserialize(Tree::new(node)))
            .transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

struct Members<'de> {
    members: std::slice::Iter<'de, (Cow<'de, str>, Node<'de>)>,
    value: Option<&'de Node<'de>>,
    skip: Option<Skip>,
}

impl<'de> de::MapAccess<'de> for Members<'de> {
    type Error = TreeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, TreeError> {
        for (key, value) in self.members.by_ref() {
            if self.skip.is_some_and(|skip| skip(key, value)) {
                continue;
            }
            self.value = Some(value);
            let key: &'de str = key;
            return seed
                .deserialize(BorrowedStrDeserializer::new(key))
                .map(Some);
        }
        Ok(None)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, TreeError> {
        let value = self
            .value
            .take()
            .ok_or_else(|| TreeError("a member's value read before its name".into()))?;
        seed.deserialize(Tree::new(value))
    }

    fn size_hint(&self) -> Option<usize> {
        self.skip.is_none().then(|| self.members.len())
    }
}

/// An enum written as an object of one member: the variant's name and its content.
struct Variant<'de> {
    key: &'de str,
    value: &'de Node<'de>,
}

impl<'de> de::EnumAccess<'de> for Variant<'de> {
    type Error = TreeError;
    type Variant = Tree<'de>;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, Tree<'de>), TreeError> {
        let variant = seed.deserialize(BorrowedStrDeserializer::new(self.key))?;
        Ok((variant, Tree::new(self.value)))
    }
}

impl<'de> de::VariantAccess<'de> for Tree<'de> {
    type Error = TreeError;

    fn unit_variant(self) -> Result<(), TreeError> {
        de::Deserialize::deserialize(self)
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, TreeError> {
        seed.deserialize(self)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _: usize, visitor: V) -> Result<V::Value, TreeError> {
        self.deserialize_any(visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, TreeError> {
        self.deserialize_any(visitor)
    }
}
