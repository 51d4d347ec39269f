//! Enums as the tree writes them: a name as a scalar (`status: valid`), a name as the only key of a
//! mapping (`- provision: { … }`), or a placeholder's first variant.

use super::Want;
use super::de::{De, KeyDe, PLACEHOLDER, Problem, TreeError};
use crate::scenario::tree::{Entry, Kind, Seg};
use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};

/// `status: valid`: a variant written as a scalar.
pub(super) struct ScalarEnum {
    /// The scalar as text (`4821` as well as `valid`).
    pub(super) variant: String,
    pub(super) path: Vec<Seg>,
}

impl<'de> de::EnumAccess<'de> for ScalarEnum {
    type Error = TreeError;
    type Variant = ScalarVariant;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, ScalarVariant), TreeError> {
        let value = seed.deserialize(KeyDe {
            key: &self.variant,
            at: (self.path.clone(), false),
        })?;
        Ok((
            value,
            ScalarVariant {
                variant: self.variant,
                path: self.path,
            },
        ))
    }
}

pub(super) struct ScalarVariant {
    variant: String,
    path: Vec<Seg>,
}

impl ScalarVariant {
    fn body<T>(self) -> Result<T, TreeError> {
        Err(TreeError {
            problem: Problem::Shape(Want::VariantBody(self.variant)),
            at: Some((self.path, false)),
        })
    }
}

impl<'de> de::VariantAccess<'de> for ScalarVariant {
    type Error = TreeError;

    fn unit_variant(self) -> Result<(), TreeError> {
        Ok(())
    }
    fn newtype_variant_seed<T: DeserializeSeed<'de>>(
        self,
        _seed: T,
    ) -> Result<T::Value, TreeError> {
        self.body()
    }
    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, _v: V) -> Result<V::Value, TreeError> {
        self.body()
    }
    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        _v: V,
    ) -> Result<V::Value, TreeError> {
        self.body()
    }
}

/// `- provision: { … }`: a variant written as the only key of a mapping.
pub(super) struct MapEnum<'a> {
    pub(super) entry: &'a Entry,
    pub(super) de: De<'a>,
}

impl<'de, 'a> de::EnumAccess<'de> for MapEnum<'a> {
    type Error = TreeError;
    type Variant = MapVariant<'a>;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, MapVariant<'a>), TreeError> {
        let value = seed.deserialize(KeyDe {
            key: &self.entry.key,
            at: (self.de.path.clone(), true),
        })?;
        Ok((
            value,
            MapVariant {
                name: &self.entry.key,
                de: self.de,
            },
        ))
    }
}

pub(super) struct MapVariant<'a> {
    name: &'a str,
    de: De<'a>,
}

impl<'de> de::VariantAccess<'de> for MapVariant<'_> {
    type Error = TreeError;

    fn unit_variant(self) -> Result<(), TreeError> {
        match self.de.node.kind {
            Kind::Null | Kind::Placeholder => Ok(()),
            _ => self.de.want(Want::NoBody(self.name.to_string())),
        }
    }
    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, TreeError> {
        seed.deserialize(self.de)
    }
    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, v: V) -> Result<V::Value, TreeError> {
        de::Deserializer::deserialize_seq(self.de, v)
    }
    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, TreeError> {
        de::Deserializer::deserialize_struct(self.de, "", fields, v)
    }
}

/// A placeholder enum: its first variant, with a placeholder body.
pub(super) struct PlaceholderEnum {
    pub(super) variant: &'static str,
    pub(super) path: Vec<Seg>,
}

impl<'de> de::EnumAccess<'de> for PlaceholderEnum {
    type Error = TreeError;
    type Variant = De<'static>;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, De<'static>), TreeError> {
        let d: de::value::StrDeserializer<'_, TreeError> = self.variant.into_deserializer();
        let value = seed.deserialize(d)?;
        Ok((value, De::new(&PLACEHOLDER, self.path)))
    }
}

impl<'de> de::VariantAccess<'de> for De<'static> {
    type Error = TreeError;

    fn unit_variant(self) -> Result<(), TreeError> {
        Ok(())
    }
    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, TreeError> {
        seed.deserialize(self)
    }
    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, v: V) -> Result<V::Value, TreeError> {
        de::Deserializer::deserialize_seq(self, v)
    }
    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, TreeError> {
        de::Deserializer::deserialize_struct(self, "", fields, v)
    }
}
