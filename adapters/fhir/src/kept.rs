//! The typed model's re-serialisation laid over the document as written. fhir-sdk silently
//! drops what it cannot read (a malformed `value[x]`, an unknown element); serialising what it
//! kept straight against the tree — a serde `Serializer` that walks the tree beside it —
//! marks every member and element the model wrote, and whatever is left unmarked is removed
//! from the tree and listed with its JSON path. Nothing the model writes is built: no strings
//! copied, no intermediate value (a tree of the model's shape cost a fifth of a conversion).
//!
//! Text with a control character (U+0000–U+001F other than tab, CR and LF) is not a FHIR
//! string: it is removed and listed the same way.

use std::borrow::Cow;

use serde::ser::{self, Serialize};

use crate::json::{Node, Value};
use crate::model;
use crate::readable::Loss;
use crate::tree::Skip;

/// Why the model's value could not be laid over the tree (a map key that is not a string).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct KeptError(String);

impl ser::Error for KeptError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        KeptError(msg.to_string())
    }
}

/// Keeps of `node` what `model` (read from it) writes, in place, and appends to `losses` what
/// it does not, at `path`; members of `node`'s own object that `skip` names (read on their
/// own) are left as they are.
pub fn keep<T: Serialize + ?Sized>(
    model: &T,
    node: &mut Node<'_>,
    skip: Option<Skip>,
    path: &mut String,
    losses: &mut Vec<Loss>,
) -> Result<(), KeptError> {
    model.serialize(Keeper {
        node,
        skip,
        path,
        losses,
    })
}

/// Serialises a value of the model against `node`.
struct Keeper<'k, 'a> {
    node: &'k mut Node<'a>,
    skip: Option<Skip>,
    path: &'k mut String,
    losses: &'k mut Vec<Loss>,
}

impl<'k, 'a> Keeper<'k, 'a> {
    /// The model wrote a value: text with a control character is refused whatever the model
    /// made of it.
    fn checked_text(&mut self) {
        // Only text with an escape is owned, and a control character can only come from one:
        // the parser refuses them raw.
        let Value::String(Cow::Owned(text)) = &self.node.value else {
            return;
        };
        // Byte by byte: no byte of a multi-byte UTF-8 sequence is below 0x80.
        if let Some(c) = text.bytes().find(|b| forbidden_control(*b)) {
            self.losses.push(Loss {
                path: self.path.clone(),
                offset: self.node.offset,
                reason: Some(format!(
                    "the text contains the control character U+{:04X}, which FHIR strings may not hold",
                    u32::from(c)
                )),
            });
            self.node.value = Value::Null;
        }
    }

    fn leaf(mut self) -> Result<(), KeptError> {
        self.checked_text();
        Ok(())
    }

    fn object(mut self) -> Members<'k, 'a> {
        self.checked_text();
        let Keeper {
            node,
            skip,
            path,
            losses,
        } = self;
        let members = match &mut node.value {
            Value::Object(members) => Some(members),
            _ => None,
        };
        let written = Written::for_len(members.as_ref().map_or(0, |m| m.len()));
        Members {
            members,
            written,
            cursor: 0,
            skip,
            key: None,
            path,
            losses,
        }
    }

    fn array(mut self) -> Elements<'k, 'a> {
        self.checked_text();
        let items = match &mut self.node.value {
            Value::Array(items) => Some(items),
            _ => None,
        };
        Elements {
            items,
            next: 0,
            path: self.path,
            losses: self.losses,
        }
    }
}

/// An element the model did not write: listed, with the reason its data type gives.
fn lost(node: &Node<'_>, element: &str, path: &str, losses: &mut Vec<Loss>) {
    if node.is_empty() {
        return;
    }
    losses.push(Loss {
        path: path.to_owned(),
        offset: node.offset,
        reason: model::choice_error(element, crate::tree::Tree::new(node)),
    });
}

/// A C0 control character FHIR strings may not contain (all but tab, CR and LF).
fn forbidden_control(byte: u8) -> bool {
    byte < b' ' && !matches!(byte, b'\t' | b'\r' | b'\n')
}

/// Appends `[i]` to a JSON path (every array element's path is written, so not through
/// `format!`'s machinery).
pub fn push_index(path: &mut String, i: usize) {
    path.push('[');
    path.push_str(itoa::Buffer::new().format(i));
    path.push(']');
}

/// Which members of an object the model wrote: a word of bits for objects of up to 64
/// members (all that FHIR defines), a vector beyond.
enum Written {
    Bits(u64),
    Many(Vec<bool>),
}

impl Written {
    fn for_len(len: usize) -> Self {
        if len <= 64 {
            Written::Bits(0)
        } else {
            Written::Many(vec![false; len])
        }
    }

    fn mark(&mut self, i: usize) {
        match self {
            Written::Bits(bits) => *bits |= 1 << i,
            Written::Many(flags) => flags[i] = true,
        }
    }

    fn contains(&self, i: usize) -> bool {
        match self {
            Written::Bits(bits) => bits & (1 << i) != 0,
            Written::Many(flags) => flags[i],
        }
    }
}

/// The members of an object the model writes, found in the tree's object.
struct Members<'k, 'a> {
    /// `None` when the tree holds no object here: nothing to keep or drop.
    members: Option<&'k mut Vec<(Cow<'a, str>, Node<'a>)>>,
    written: Written,
    /// Where to look for the next member first: the model writes members in the order
    /// documents usually have them, so the search is mostly one step.
    cursor: usize,
    skip: Option<Skip>,
    /// A map's key, between `serialize_key` and `serialize_value`.
    key: Option<String>,
    path: &'k mut String,
    losses: &'k mut Vec<Loss>,
}

impl Members<'_, '_> {
    fn member<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<(), KeptError> {
        let Some(members) = self.members.as_deref_mut() else {
            return Ok(());
        };
        let skip = self.skip;
        let from = self.cursor.min(members.len());
        let found = (from..members.len()).chain(0..from).find(|&i| {
            let (name, node) = &members[i];
            name == key && !self.written.contains(i) && !skip.is_some_and(|s| s(name, node))
        });
        let Some(i) = found else {
            // Written by the model but not in the tree (a default): nothing to keep.
            return Ok(());
        };
        self.written.mark(i);
        self.cursor = i + 1;
        let len = self.path.len();
        self.path.push('.');
        self.path.push_str(key);
        let kept = value.serialize(Keeper {
            node: &mut members[i].1,
            skip: None,
            path: self.path,
            losses: self.losses,
        });
        self.path.truncate(len);
        kept
    }

    fn end(self) -> Result<(), KeptError> {
        let Some(members) = self.members else {
            return Ok(());
        };
        let mut i = 0;
        members.retain(|(key, node)| {
            let keep = self.written.contains(i) || self.skip.is_some_and(|s| s(key, node));
            if !keep {
                let len = self.path.len();
                self.path.push('.');
                self.path.push_str(key);
                lost(node, key, self.path, self.losses);
                self.path.truncate(len);
            }
            i += 1;
            keep
        });
        Ok(())
    }
}

/// The elements of an array the model writes, matched to the tree's by position.
struct Elements<'k, 'a> {
    items: Option<&'k mut Vec<Node<'a>>>,
    next: usize,
    path: &'k mut String,
    losses: &'k mut Vec<Loss>,
}

impl Elements<'_, '_> {
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), KeptError> {
        let i = self.next;
        self.next += 1;
        let Some(node) = self.items.as_deref_mut().and_then(|items| items.get_mut(i)) else {
            return Ok(());
        };
        let len = self.path.len();
        push_index(self.path, i);
        let kept = value.serialize(Keeper {
            node,
            skip: None,
            path: self.path,
            losses: self.losses,
        });
        self.path.truncate(len);
        kept
    }

    fn end(self) -> Result<(), KeptError> {
        let Some(items) = self.items else {
            return Ok(());
        };
        for (i, item) in items.iter().enumerate().skip(self.next) {
            let len = self.path.len();
            push_index(self.path, i);
            lost(item, "", self.path, self.losses);
            self.path.truncate(len);
        }
        items.truncate(self.next);
        Ok(())
    }
}

impl<'k, 'a> ser::Serializer for Keeper<'k, 'a> {
    type Ok = ();
    type Error = KeptError;
    type SerializeSeq = Elements<'k, 'a>;
    type SerializeTuple = Elements<'k, 'a>;
    type SerializeTupleStruct = Elements<'k, 'a>;
    type SerializeTupleVariant = Elements<'k, 'a>;
    type SerializeMap = Members<'k, 'a>;
    type SerializeStruct = Members<'k, 'a>;
    type SerializeStructVariant = Members<'k, 'a>;

    fn serialize_bool(self, _: bool) -> Result<(), KeptError> {
        self.leaf()
    }
    fn serialize_i8(self, _: i8) -> Result<(), KeptError> {
        self.leaf()
    }
    fn serialize_i16(self, _: i16) -> Result<(), KeptError> {
        self.leaf()
    }
    fn serialize_i32(self, _: i32) -> Result<(), KeptError> {
        self.leaf()
    }
    fn serialize_i64(self, _: i64) -> Result<(), KeptError> {
        self.leaf()
    }
    fn serialize_u8(self, _: u8) -> Result<(), KeptError> {
        self.leaf()
    }
    fn serialize_u16(self, _: u16) -> Result<(), KeptError> {
        self.leaf()
    }
    fn serialize_u32(self, _: u32) -> Result<(), KeptError> {
        self.leaf()
    }
    fn serialize_u64(self, _: u64) -> Result<(), KeptError> {
        self.leaf()
    }
    fn serialize_f32(self, _: f32) -> Result<(), KeptError> {
        self.leaf()
    }
    fn serialize_f64(self, _: f64) -> Result<(), KeptError> {
        self.leaf()
    }
    fn serialize_char(self, _: char) -> Result<(), KeptError> {
        self.leaf()
    }
    fn serialize_str(self, _: &str) -> Result<(), KeptError> {
        self.leaf()
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), KeptError> {
        self.leaf()
    }
    fn serialize_none(self) -> Result<(), KeptError> {
        self.leaf()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), KeptError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), KeptError> {
        self.leaf()
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), KeptError> {
        self.leaf()
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
    ) -> Result<(), KeptError> {
        self.leaf()
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), KeptError> {
        value.serialize(self)
    }
    /// Written as serde_json writes it: an object of one member, the variant's name.
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), KeptError> {
        let mut members = self.object();
        members.member(variant, value)?;
        members.end()
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Elements<'k, 'a>, KeptError> {
        Ok(self.array())
    }
    fn serialize_tuple(self, _: usize) -> Result<Elements<'k, 'a>, KeptError> {
        Ok(self.array())
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Elements<'k, 'a>, KeptError> {
        Ok(self.array())
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Elements<'k, 'a>, KeptError> {
        Ok(self.array())
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Members<'k, 'a>, KeptError> {
        Ok(self.object())
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Members<'k, 'a>, KeptError> {
        Ok(self.object())
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Members<'k, 'a>, KeptError> {
        Ok(self.object())
    }
}

/// Serde's sequence-like traits all mean "the next element" here.
macro_rules! elements {
    ($($trait:ident :: $method:ident),*) => {$(
        impl ser::$trait for Elements<'_, '_> {
            type Ok = ();
            type Error = KeptError;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), KeptError> {
                self.element(value)
            }
            fn end(self) -> Result<(), KeptError> {
                Elements::end(self)
            }
        }
    )*};
}

elements!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

impl ser::SerializeMap for Members<'_, '_> {
    type Ok = ();
    type Error = KeptError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), KeptError> {
        self.key = Some(key.serialize(KeySerializer)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), KeptError> {
        let key = self
            .key
            .take()
            .ok_or_else(|| KeptError("a map value without its key".into()))?;
        self.member(&key, value)
    }
    fn end(self) -> Result<(), KeptError> {
        Members::end(self)
    }
}

/// A struct's and a struct variant's fields are members by their names.
macro_rules! fields {
    ($($trait:ident),*) => {$(
        impl ser::$trait for Members<'_, '_> {
            type Ok = ();
            type Error = KeptError;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<(), KeptError> {
                self.member(key, value)
            }
            fn end(self) -> Result<(), KeptError> {
                Members::end(self)
            }
        }
    )*};
}

fields!(SerializeStruct, SerializeStructVariant);

/// Reads a map key: JSON keys are strings.
struct KeySerializer;

impl ser::Serializer for KeySerializer {
    type Ok = String;
    type Error = KeptError;
    type SerializeSeq = ser::Impossible<String, KeptError>;
    type SerializeTuple = ser::Impossible<String, KeptError>;
    type SerializeTupleStruct = ser::Impossible<String, KeptError>;
    type SerializeTupleVariant = ser::Impossible<String, KeptError>;
    type SerializeMap = ser::Impossible<String, KeptError>;
    type SerializeStruct = ser::Impossible<String, KeptError>;
    type SerializeStructVariant = ser::Impossible<String, KeptError>;

    fn serialize_str(self, v: &str) -> Result<String, KeptError> {
        Ok(v.to_owned())
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<String, KeptError> {
        Ok(variant.to_owned())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<String, KeptError> {
        value.serialize(self)
    }
    fn serialize_bool(self, _: bool) -> Result<String, KeptError> {
        Err(not_a_string())
    }
    fn serialize_i8(self, _: i8) -> Result<String, KeptError> {
        Err(not_a_string())
    }
    fn serialize_i16(self, _: i16) -> Result<String, KeptError> {
        Err(not_a_string())
    }
    fn serialize_i32(self, _: i32) -> Result<String, KeptError> {
        Err(not_a_string())
    }
    fn serialize_i64(self, _: i64) -> Result<String, KeptError> {
        Err(not_a_string())
    }
    fn serialize_u8(self, _: u8) -> Result<String, KeptError> {
        Err(not_a_string())
    }
    fn serialize_u16(self, _: u16) -> Result<String, KeptError> {
        Err(not_a_string())
    }
    fn serialize_u32(self, _: u32) -> Result<String, KeptError> {
        Err(not_a_string())
    }
    fn serialize_u64(self, _: u64) -> Result<String, KeptError> {
        Err(not_a_string())
    }
    fn serialize_f32(self, _: f32) -> Result<String, KeptError> {
        Err(not_a_string())
    }
    fn serialize_f64(self, _: f64) -> Result<String, KeptError> {
        Err(not_a_string())
    }
    fn serialize_char(self, v: char) -> Result<String, KeptError> {
        Ok(v.to_string())
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<String, KeptError> {
        Err(not_a_string())
    }
    fn serialize_none(self) -> Result<String, KeptError> {
        Err(not_a_string())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<String, KeptError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<String, KeptError> {
        Err(not_a_string())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<String, KeptError> {
        Err(not_a_string())
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<String, KeptError> {
        Err(not_a_string())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, KeptError> {
        Err(not_a_string())
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, KeptError> {
        Err(not_a_string())
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, KeptError> {
        Err(not_a_string())
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, KeptError> {
        Err(not_a_string())
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, KeptError> {
        Err(not_a_string())
    }
    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, KeptError> {
        Err(not_a_string())
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, KeptError> {
        Err(not_a_string())
    }
}

fn not_a_string() -> KeptError {
    KeptError("a map key that is not a string".into())
}

#[cfg(test)]
mod tests {
    use serde::Serialize;

    use super::*;
    use crate::json;

    #[derive(Serialize)]
    struct Inner {
        a: u8,
        #[serde(skip_serializing_if = "Option::is_none")]
        gone: Option<u8>,
    }

    #[derive(Serialize)]
    enum Choice {
        #[serde(rename = "valueQuantity")]
        Quantity(Inner),
    }

    #[derive(Serialize)]
    struct Outer {
        name: &'static str,
        list: Vec<Inner>,
        #[serde(flatten)]
        value: Option<Choice>,
    }

    /// Whether the tree has exactly the members and elements serde_json writes for the model.
    fn same(node: &Node<'_>, json: &serde_json::Value) -> bool {
        match (&node.value, json) {
            (Value::Object(members), serde_json::Value::Object(map)) => {
                members.len() == map.len()
                    && members
                        .iter()
                        .all(|(k, n)| map.get(k.as_ref()).is_some_and(|v| same(n, v)))
            }
            (Value::Array(items), serde_json::Value::Array(values)) => {
                items.len() == values.len() && items.iter().zip(values).all(|(n, v)| same(n, v))
            }
            (Value::Object(_) | Value::Array(_), _) => false,
            (_, v) => !v.is_object() && !v.is_array(),
        }
    }

    #[test]
    fn what_the_model_writes_is_kept_and_the_rest_is_listed_by_path() {
        let model = Outer {
            name: "x",
            list: vec![
                Inner { a: 1, gone: None },
                Inner {
                    a: 2,
                    gone: Some(3),
                },
            ],
            value: Some(Choice::Quantity(Inner { a: 4, gone: None })),
        };
        let text = br#"{"name": "x", "extra": {"b": 1},
            "list": [{"a": 1, "gone": "?"}, {"a": 2, "gone": 3}, {"a": 9}, {}],
            "valueQuantity": {"a": 4, "b": 5}, "empty": []}"#;
        let mut tree = json::parse(text).unwrap();
        let mut losses = Vec::new();
        keep(&model, &mut tree, None, &mut "$".into(), &mut losses).unwrap();
        assert!(
            same(&tree, &serde_json::to_value(&model).unwrap()),
            "{tree:?}"
        );
        losses.sort_by_key(|loss| loss.offset);
        let paths: Vec<_> = losses.iter().map(|l| l.path.as_str()).collect();
        // Empty values carry nothing: dropped without a word.
        assert_eq!(
            paths,
            [
                "$.extra",
                "$.list[0].gone",
                "$.list[2]",
                "$.valueQuantity.b"
            ]
        );
        assert!(losses.iter().all(|l| l.reason.is_none()));
    }

    #[test]
    fn members_read_on_their_own_stay_and_a_malformed_choice_says_why() {
        #[derive(Serialize)]
        struct Shell {
            id: &'static str,
        }
        let text = br#"{"id": "b", "entry": [{"x": 1}], "valueQuantity": "abc"}"#;
        let mut tree = json::parse(text).unwrap();
        let mut losses = Vec::new();
        let entries: Skip = |key, _| key == "entry";
        keep(
            &Shell { id: "b" },
            &mut tree,
            Some(entries),
            &mut "$".into(),
            &mut losses,
        )
        .unwrap();
        assert_eq!(tree.array("entry").len(), 1);
        assert_eq!(losses.len(), 1);
        assert_eq!(losses[0].path, "$.valueQuantity");
        let reason = losses[0].reason.as_deref().unwrap();
        assert!(reason.contains("invalid type: string \"abc\""), "{reason}");
    }

    #[test]
    fn objects_of_more_than_64_members_are_kept_member_by_member() {
        let members: Vec<String> = (0..100).map(|i| format!("\"m{i}\": {i}")).collect();
        let text = format!("{{{}}}", members.join(", "));
        let mut tree = json::parse(text.as_bytes()).unwrap();
        let model: std::collections::BTreeMap<String, u32> = (0..100)
            .filter(|i| i % 3 == 0)
            .map(|i| (format!("m{i}"), i))
            .collect();
        let mut losses = Vec::new();
        keep(&model, &mut tree, None, &mut "$".into(), &mut losses).unwrap();
        assert_eq!(tree.members().len(), 34);
        assert_eq!(losses.len(), 66);
        assert_eq!(losses[0].path, "$.m1");
    }
}
