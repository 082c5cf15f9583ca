//! Serde helpers for `f64` values that may be non-finite.
//!
//! JSON numbers cannot be NaN or infinite, and plain serde_json writes them as `null` and then
//! fails to read them back. The crate's convention (shared with its fixtures) is to write finite
//! values as JSON numbers and the others as the strings `"NaN"`, `"Infinity"` and `"-Infinity"`;
//! reading also accepts `null` as NaN. Used by every result type with a possibly infinite field
//! (one-sided interval ends, undefined ratios).

/// Serde for an `f64` that may be non-finite: numbers, or `"NaN"`, `"Infinity"`, `"-Infinity"`.
pub(crate) mod nonfinite {
    use serde::{Deserialize, Deserializer, Serializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Repr {
        Num(f64),
        Str(String),
        Null(()),
    }

    pub(crate) fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        if v.is_finite() {
            s.serialize_f64(*v)
        } else if v.is_nan() {
            s.serialize_str("NaN")
        } else if *v > 0.0 {
            s.serialize_str("Infinity")
        } else {
            s.serialize_str("-Infinity")
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        match Repr::deserialize(d)? {
            Repr::Num(x) => Ok(x),
            Repr::Null(()) => Ok(f64::NAN),
            Repr::Str(s) => match s.as_str() {
                "NaN" => Ok(f64::NAN),
                "Infinity" => Ok(f64::INFINITY),
                "-Infinity" => Ok(f64::NEG_INFINITY),
                other => Err(serde::de::Error::custom(format!(
                    "`{other}` is not a number, \"NaN\", \"Infinity\" or \"-Infinity\""
                ))),
            },
        }
    }
}

/// [`nonfinite`] for `Option<f64>` (`None` is skipped by the fields using it).
pub(crate) mod nonfinite_opt {
    use serde::{Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(x) => super::nonfinite::serialize(x, s),
            None => s.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        super::nonfinite::deserialize(d).map(Some)
    }
}
