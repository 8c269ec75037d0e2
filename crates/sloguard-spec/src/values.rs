//! Values that validate themselves while the spec is read, so their errors carry the line and
//! column of the value at fault.

use std::fmt;
use std::time::Duration;

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use sloguard_core::duration::parse_duration;
use sloguard_core::model::Objective;

/// A percentage strictly between 0 and 100.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Percent(pub(crate) f64);

impl<'de> Deserialize<'de> for Percent {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Checked inside the visitor, so the error carries the position of the number itself.
        struct V;
        impl Visitor<'_> for V {
            type Value = Percent;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a percentage such as 99.9")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Percent, E> {
                // The engine's own check, so the spec and the builder say the same thing.
                Objective::from_percent(v)
                    .map(|_| Percent(v))
                    .map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Percent, E> {
                self.visit_f64(v as f64)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Percent, E> {
                self.visit_f64(v as f64)
            }
        }
        d.deserialize_f64(V)
    }
}

/// A duration written as `300ms`, `5m`, `30d`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct DurationText(pub(crate) Duration);

impl<'de> Deserialize<'de> for DurationText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = DurationText;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration such as \"300ms\", \"5m\" or \"30d\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<DurationText, E> {
                parse_duration(v).map(DurationText).map_err(E::custom)
            }
        }
        d.deserialize_str(V)
    }
}

/// A `{ "availability": 99.9 }` shorthand value: a number, or a map with the objective.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ObjectiveOrMap<T>(pub(crate) Either<T>);

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Either<T> {
    Objective(Percent),
    Map(T),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for ObjectiveOrMap<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = ObjectiveOrMap<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an objective in percent (99.9) or a map with `objective`")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Percent::deserialize(de::value::F64Deserializer::<E>::new(v))
                    .map(|p| ObjectiveOrMap(Either::Objective(p)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                self.visit_f64(v as f64)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                self.visit_f64(v as f64)
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(|t| ObjectiveOrMap(Either::Map(t)))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// A label value as YAML writes it: a string, or a number or boolean taken as its text (`tier:
/// 2`, `generated: true`), as Sloth's Go reader takes them.
#[cfg(feature = "tools")]
#[derive(Clone, Debug, PartialEq, Eq)]
struct ScalarText(String);

#[cfg(feature = "tools")]
impl<'de> Deserialize<'de> for ScalarText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = ScalarText;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a label value: a string, number or boolean")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ScalarText, E> {
                Ok(ScalarText(v.to_owned()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<ScalarText, E> {
                Ok(ScalarText(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ScalarText, E> {
                Ok(ScalarText(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ScalarText, E> {
                Ok(ScalarText(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<ScalarText, E> {
                Ok(ScalarText(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// A map of labels whose values may be written as numbers or booleans ([`ScalarText`]).
#[cfg(feature = "tools")]
pub(crate) fn scalar_map<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<std::collections::BTreeMap<String, String>, D::Error> {
    let map: std::collections::BTreeMap<String, ScalarText> = Deserialize::deserialize(d)?;
    Ok(map.into_iter().map(|(k, v)| (k, v.0)).collect())
}
