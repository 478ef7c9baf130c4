//! What the typed model kept of a document, without its values: which members each object
//! has and how many elements each array has. [`crate::readable`] needs no more than that to
//! see what the model dropped (the values themselves come from the document as written), so the
//! model is serialised into this instead of a `serde_json::Value`: no strings copied, no maps
//! built, a fraction of the time.

use std::borrow::Cow;

use serde::ser::{self, Serialize};

/// The shape of one value the model wrote.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Shape {
    /// A string, number, boolean or null.
    #[default]
    Leaf,
    /// An object's members, in the order the model wrote them.
    Object(Vec<(Cow<'static, str>, Shape)>),
    Array(Vec<Shape>),
}

#[cfg(test)]
impl Shape {
    /// The member `key` of an object.
    pub fn get(&self, key: &str) -> Option<&Shape> {
        match self {
            Shape::Object(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
}

/// Why a value could not be serialised (a map key that is not a string).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ShapeError(String);

impl ser::Error for ShapeError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        ShapeError(msg.to_string())
    }
}

/// The shape of `value` as serde would write it.
pub fn shape_of<T: Serialize + ?Sized>(value: &T) -> Result<Shape, ShapeError> {
    value.serialize(ShapeSerializer)
}

struct ShapeSerializer;

/// Collects an object's members (structs, maps and struct variants alike).
pub struct Members {
    members: Vec<(Cow<'static, str>, Shape)>,
    key: Option<String>,
}

/// Collects an array's elements (sequences and tuples alike).
pub struct Elements(Vec<Shape>);

impl ser::Serializer for ShapeSerializer {
    type Ok = Shape;
    type Error = ShapeError;
    type SerializeSeq = Elements;
    type SerializeTuple = Elements;
    type SerializeTupleStruct = Elements;
    type SerializeTupleVariant = Elements;
    type SerializeMap = Members;
    type SerializeStruct = Members;
    type SerializeStructVariant = Members;

    fn serialize_bool(self, _: bool) -> Result<Shape, ShapeError> {
        Ok(Shape::Leaf)
    }
    fn serialize_i8(self, _: i8) -> Result<Shape, ShapeError> {
        Ok(Shape::Leaf)
    }
    fn serialize_i16(self, _: i16) -> Result<Shape, ShapeError> {
        Ok(Shape::Leaf)
    }
    fn serialize_i32(self, _: i32) -> Result<Shape, ShapeError> {
        Ok(Shape::Leaf)
    }
    fn serialize_i64(self, _: i64) -> Result<Shape, ShapeError> {
        Ok(Shape::Leaf)
    }
    fn serialize_u8(self, _: u8) -> Result<Shape, ShapeError> {
        Ok(Shape::Leaf)
    }
    fn serialize_u16(self, _: u16) -> Result<Shape, ShapeError> {
        Ok(Shape::Leaf)
    }
    fn serialize_u32(self, _: u32) -> Result<Shape, ShapeError> {
        Ok(Shape::Leaf)
    }
    fn serialize_u64(self, _: u64) -> Result<Shape, ShapeError> {
        Ok(Shape::Leaf)
    }
    fn serialize_f32(self, _: f32) -> Result<Shape, ShapeError> {
        Ok(Shape::Leaf)
    }
    fn serialize_f64(self, _: f64) -> Result<Shape, ShapeError> {
        Ok(Shape::Leaf)
    }
    fn serialize_char(self, _: char) -> Result<Shape, ShapeError> {
        Ok(Shape::Leaf)
    }
    fn serialize_str(self, _: &str) -> Result<Shape, ShapeError> {
        Ok(Shape::Leaf)
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<Shape, ShapeError> {
        Ok(Shape::Leaf)
    }
    fn serialize_none(self) -> Result<Shape, ShapeError> {
        Ok(Shape::Leaf)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Shape, ShapeError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Shape, ShapeError> {
        Ok(Shape::Leaf)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<Shape, ShapeError> {
        Ok(Shape::Leaf)
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
    ) -> Result<Shape, ShapeError> {
        Ok(Shape::Leaf)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<Shape, ShapeError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Shape, ShapeError> {
        Ok(Shape::Object(vec![(
            Cow::Borrowed(variant),
            shape_of(value)?,
        )]))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Elements, ShapeError> {
        Ok(Elements(Vec::with_capacity(len.unwrap_or(0))))
    }
    fn serialize_tuple(self, len: usize) -> Result<Elements, ShapeError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<Elements, ShapeError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        len: usize,
    ) -> Result<Elements, ShapeError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Members, ShapeError> {
        Ok(Members {
            members: Vec::with_capacity(len.unwrap_or(0)),
            key: None,
        })
    }
    fn serialize_struct(self, _: &'static str, len: usize) -> Result<Members, ShapeError> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        len: usize,
    ) -> Result<Members, ShapeError> {
        self.serialize_map(Some(len))
    }
}

impl ser::SerializeSeq for Elements {
    type Ok = Shape;
    type Error = ShapeError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ShapeError> {
        self.0.push(shape_of(value)?);
        Ok(())
    }
    fn end(self) -> Result<Shape, ShapeError> {
        Ok(Shape::Array(self.0))
    }
}

impl ser::SerializeTuple for Elements {
    type Ok = Shape;
    type Error = ShapeError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ShapeError> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<Shape, ShapeError> {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeTupleStruct for Elements {
    type Ok = Shape;
    type Error = ShapeError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ShapeError> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<Shape, ShapeError> {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeTupleVariant for Elements {
    type Ok = Shape;
    type Error = ShapeError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ShapeError> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<Shape, ShapeError> {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeMap for Members {
    type Ok = Shape;
    type Error = ShapeError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), ShapeError> {
        self.key = Some(key.serialize(KeySerializer)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ShapeError> {
        let key = self
            .key
            .take()
            .ok_or_else(|| ShapeError("a map value without its key".into()))?;
        self.members.push((Cow::Owned(key), shape_of(value)?));
        Ok(())
    }
    fn end(self) -> Result<Shape, ShapeError> {
        Ok(Shape::Object(self.members))
    }
}

impl ser::SerializeStruct for Members {
    type Ok = Shape;
    type Error = ShapeError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), ShapeError> {
        self.members.push((Cow::Borrowed(key), shape_of(value)?));
        Ok(())
    }
    fn end(self) -> Result<Shape, ShapeError> {
        Ok(Shape::Object(self.members))
    }
}

impl ser::SerializeStructVariant for Members {
    type Ok = Shape;
    type Error = ShapeError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), ShapeError> {
        ser::SerializeStruct::serialize_field(self, key, value)
    }
    fn end(self) -> Result<Shape, ShapeError> {
        ser::SerializeStruct::end(self)
    }
}

/// Reads a map key: JSON keys are strings.
struct KeySerializer;

impl ser::Serializer for KeySerializer {
    type Ok = String;
    type Error = ShapeError;
    type SerializeSeq = ser::Impossible<String, ShapeError>;
    type SerializeTuple = ser::Impossible<String, ShapeError>;
    type SerializeTupleStruct = ser::Impossible<String, ShapeError>;
    type SerializeTupleVariant = ser::Impossible<String, ShapeError>;
    type SerializeMap = ser::Impossible<String, ShapeError>;
    type SerializeStruct = ser::Impossible<String, ShapeError>;
    type SerializeStructVariant = ser::Impossible<String, ShapeError>;

    fn serialize_str(self, v: &str) -> Result<String, ShapeError> {
        Ok(v.to_owned())
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<String, ShapeError> {
        Ok(variant.to_owned())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<String, ShapeError> {
        value.serialize(self)
    }
    fn serialize_bool(self, _: bool) -> Result<String, ShapeError> {
        Err(not_a_string())
    }
    fn serialize_i8(self, _: i8) -> Result<String, ShapeError> {
        Err(not_a_string())
    }
    fn serialize_i16(self, _: i16) -> Result<String, ShapeError> {
        Err(not_a_string())
    }
    fn serialize_i32(self, _: i32) -> Result<String, ShapeError> {
        Err(not_a_string())
    }
    fn serialize_i64(self, _: i64) -> Result<String, ShapeError> {
        Err(not_a_string())
    }
    fn serialize_u8(self, _: u8) -> Result<String, ShapeError> {
        Err(not_a_string())
    }
    fn serialize_u16(self, _: u16) -> Result<String, ShapeError> {
        Err(not_a_string())
    }
    fn serialize_u32(self, _: u32) -> Result<String, ShapeError> {
        Err(not_a_string())
    }
    fn serialize_u64(self, _: u64) -> Result<String, ShapeError> {
        Err(not_a_string())
    }
    fn serialize_f32(self, _: f32) -> Result<String, ShapeError> {
        Err(not_a_string())
    }
    fn serialize_f64(self, _: f64) -> Result<String, ShapeError> {
        Err(not_a_string())
    }
    fn serialize_char(self, v: char) -> Result<String, ShapeError> {
        Ok(v.to_string())
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<String, ShapeError> {
        Err(not_a_string())
    }
    fn serialize_none(self) -> Result<String, ShapeError> {
        Err(not_a_string())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<String, ShapeError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<String, ShapeError> {
        Err(not_a_string())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<String, ShapeError> {
        Err(not_a_string())
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<String, ShapeError> {
        Err(not_a_string())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, ShapeError> {
        Err(not_a_string())
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, ShapeError> {
        Err(not_a_string())
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, ShapeError> {
        Err(not_a_string())
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, ShapeError> {
        Err(not_a_string())
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, ShapeError> {
        Err(not_a_string())
    }
    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, ShapeError> {
        Err(not_a_string())
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, ShapeError> {
        Err(not_a_string())
    }
}

fn not_a_string() -> ShapeError {
    ShapeError("a map key that is not a string".into())
}

#[cfg(test)]
mod tests {
    use serde::Serialize;

    use super::*;

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

    #[test]
    fn the_shape_is_what_serde_json_would_write_without_the_values() {
        let outer = Outer {
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
        let shape = shape_of(&outer).unwrap();
        let written = serde_json::to_value(&outer).unwrap();
        // Every member serde_json writes is in the shape, and nothing else.
        fn same(shape: &Shape, json: &serde_json::Value) -> bool {
            match (shape, json) {
                (Shape::Object(members), serde_json::Value::Object(map)) => {
                    members.len() == map.len()
                        && members
                            .iter()
                            .all(|(k, s)| map.get(k.as_ref()).is_some_and(|v| same(s, v)))
                }
                (Shape::Array(items), serde_json::Value::Array(values)) => {
                    items.len() == values.len() && items.iter().zip(values).all(|(s, v)| same(s, v))
                }
                (Shape::Leaf, v) => !v.is_object() && !v.is_array(),
                _ => false,
            }
        }
        assert!(same(&shape, &written), "{shape:?} vs {written}");
        assert!(shape.get("valueQuantity").is_some());
        assert!(shape.get("gone").is_none());
    }
}
