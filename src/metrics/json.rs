//! Shared JSON machinery for the readers: error positions and lenient float values.
//!
//! The readers drive `serde_json` with hand-written visitors (no intermediate
//! `serde_json::Value`), so memory is the output plus a constant. When a visitor rejects a value
//! it records the JSON path of that value in a [`PathCtx`]; when the document is malformed the
//! `serde_json` error's line and column are used instead.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use serde::de;

use crate::error::{Error, Location, quote};

/// Records the JSON path of the innermost semantic error.
#[derive(Debug, Default)]
pub(crate) struct PathCtx {
    path: RefCell<Option<String>>,
}

impl PathCtx {
    /// Records `path` unless an inner (more precise) path was recorded already.
    pub(crate) fn record(&self, path: impl FnOnce() -> String) {
        let mut slot = self.path.borrow_mut();
        if slot.is_none() {
            *slot = Some(path());
        }
    }

    /// Wraps an error: records the path and returns the error unchanged.
    pub(crate) fn at<E>(&self, path: impl FnOnce() -> String, e: E) -> E {
        self.record(path);
        e
    }

    /// Converts a `serde_json` error into the crate's error.
    ///
    /// Syntax errors and premature end of input get the line and column; data errors (wrong
    /// types, missing fields, bad values) get the JSON path recorded by the visitors.
    pub(crate) fn into_error(self, format: &'static str, e: serde_json::Error) -> Error {
        let msg = bound_message(strip_position(&e));
        let path = self.path.into_inner();
        match e.classify() {
            serde_json::error::Category::Data => {
                let location = match path {
                    Some(path) => Location::JsonPath { path },
                    None => line_column(&e),
                };
                let reason = if e.line() > 0 {
                    format!("{msg} (line {}, column {})", e.line(), e.column())
                } else {
                    msg
                };
                Error::Parse {
                    format,
                    location,
                    reason,
                }
            }
            serde_json::error::Category::Eof => Error::Parse {
                format,
                location: line_column(&e),
                reason: format!("{msg} (the document is truncated or empty)"),
            },
            _ => Error::Parse {
                format,
                location: line_column(&e),
                reason: msg,
            },
        }
    }
}

fn line_column(e: &serde_json::Error) -> Location {
    if e.line() == 0 {
        Location::Unknown
    } else {
        Location::LineColumn {
            line: e.line(),
            column: e.column(),
        }
    }
}

/// Cuts a message to 400 characters: serde_json's own messages may quote a whole input string
/// (`invalid type: string "..."`); the crate's own reasons are shorter and quote input through
/// [`quote`] already.
fn bound_message(msg: String) -> String {
    match msg.char_indices().nth(400) {
        None => msg,
        Some((cut, _)) => format!("{}… ({} bytes in all)", &msg[..cut], msg.len()),
    }
}

/// The error message without serde_json's " at line L column C" suffix.
fn strip_position(e: &serde_json::Error) -> String {
    let s = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    match s.strip_suffix(&suffix) {
        Some(m) => m.to_owned(),
        None => s,
    }
}

/// A JSON object of string keys read into a `BTreeMap`, refusing a key that appears twice
/// (serde's own map impl keeps the last one silently). The duplicate is reported at
/// `{path}.{key}`; `null` is an empty map when `nullable`.
pub(crate) struct StrictMapSeed<'c, 'p, V> {
    pub(crate) ctx: &'c PathCtx,
    pub(crate) path: &'p str,
    pub(crate) nullable: bool,
    pub(crate) value: PhantomData<V>,
}

impl<'c, 'p, V> StrictMapSeed<'c, 'p, V> {
    pub(crate) fn new(ctx: &'c PathCtx, path: &'p str, nullable: bool) -> Self {
        StrictMapSeed {
            ctx,
            path,
            nullable,
            value: PhantomData,
        }
    }
}

impl<'de, V: de::Deserialize<'de>> de::DeserializeSeed<'de> for StrictMapSeed<'_, '_, V> {
    type Value = BTreeMap<String, V>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        if self.nullable {
            d.deserialize_any(self)
        } else {
            d.deserialize_map(self)
        }
    }
}

impl<'de, V: de::Deserialize<'de>> de::Visitor<'de> for StrictMapSeed<'_, '_, V> {
    type Value = BTreeMap<String, V>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        if self.nullable {
            Ok(BTreeMap::new())
        } else {
            Err(E::invalid_type(de::Unexpected::Unit, &self))
        }
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        self.visit_unit()
    }
    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = BTreeMap::new();
        while let Some(key) = map.next_key::<String>()? {
            let key_path = || format!("{}.{}", self.path, quote(&key));
            let v: V = map.next_value().map_err(|e| self.ctx.at(key_path, e))?;
            if out.contains_key(&key) {
                return Err(self.ctx.at(
                    key_path,
                    de::Error::custom(format!("duplicate key `{}`", quote(&key))),
                ));
            }
            out.insert(key, v);
        }
        Ok(out)
    }
}

/// Parses the special non-finite spellings used by metric sources (`NaN`, `+Inf`, `-Inf`,
/// `Infinity`, `-Infinity`, any case). Returns `None` for anything else.
pub(crate) fn special_float(s: &str) -> Option<f64> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if body.eq_ignore_ascii_case("nan") {
        Some(f64::NAN)
    } else if body.eq_ignore_ascii_case("inf") || body.eq_ignore_ascii_case("infinity") {
        Some(if neg {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        })
    } else {
        None
    }
}

/// Exact powers of ten representable in `f64`.
pub(crate) const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// Clinger's fast path: a plain decimal `[-+]digits[.digits]` with at most 15 significant digits
/// is `m / 10^k` with `m < 2^53` and `10^k` both exact, so one IEEE division gives the correctly
/// rounded result, the same as `str::parse`. Returns `None` for anything else.
#[inline]
fn fast_decimal(s: &[u8]) -> Option<f64> {
    let (neg, b) = match s.first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let mut m: u64 = 0;
    let mut digits = 0usize;
    let mut frac = 0usize;
    let mut seen_dot = false;
    for &c in b {
        match c {
            b'0'..=b'9' => {
                m = m * 10 + u64::from(c - b'0');
                digits += 1;
                frac += usize::from(seen_dot);
                if digits > 15 {
                    return None;
                }
            }
            b'.' if !seen_dot => seen_dot = true,
            _ => return None,
        }
    }
    if digits == 0 {
        return None;
    }
    let v = m as f64 / POW10[frac];
    Some(if neg { -v } else { v })
}

/// Parses a decimal number or a special spelling (see [`special_float`]).
///
/// A numeric literal beyond the `f64` range (`1e400`) is `None`, not an infinity: only an
/// explicit spelling (`Inf`, `+Inf`, `Infinity`, ...) is an infinite value. Use
/// [`overflows`] to tell that case apart in the error message.
#[inline]
pub(crate) fn parse_float(s: &str) -> Option<f64> {
    if let Some(v) = fast_decimal(s.as_bytes()) {
        return Some(v);
    }
    // Rust's parser accepts "inf"/"nan" too, but also "infinity" only in some spellings; keep the
    // accepted set explicit and documented.
    if numeric(s) {
        s.parse::<f64>().ok().filter(|v| v.is_finite())
    } else {
        special_float(s)
    }
}

/// Whether `s` starts like a numeric literal (`[-+]` then a digit or `.`).
fn numeric(s: &str) -> bool {
    let b = s.as_bytes();
    match b.first() {
        Some(c) if c.is_ascii_digit() || *c == b'.' => true,
        Some(b'-' | b'+') => b.len() > 1 && (b[1].is_ascii_digit() || b[1] == b'.'),
        _ => false,
    }
}

/// Whether `s` is a valid numeric literal whose value is beyond the `f64` range.
pub(crate) fn overflows(s: &str) -> bool {
    numeric(s) && s.parse::<f64>().is_ok_and(f64::is_infinite)
}

/// The reason for a value [`parse_float`] refused, with the input quoted (bounded).
pub(crate) fn bad_value_reason(s: &str, expected: &str) -> String {
    if overflows(s) {
        format!(
            "number {} is beyond the range of f64 (|x| <= 1.8e308); write an infinity as Inf",
            quote(s)
        )
    } else {
        format!("invalid value {:?}: expected {expected}", quote(s))
    }
}

/// A JSON value that is a number, `null` (NaN) or a string spelling a non-finite value.
pub(crate) struct LenientFloat;

impl<'de> de::Visitor<'de> for LenientFloat {
    type Value = f64;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number, null, or one of the strings \"NaN\", \"Infinity\", \"-Infinity\"")
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
        Ok(v)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
        Ok(v as f64)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
        Ok(v as f64)
    }
    fn visit_unit<E: de::Error>(self) -> Result<f64, E> {
        Ok(f64::NAN)
    }
    fn visit_none<E: de::Error>(self) -> Result<f64, E> {
        Ok(f64::NAN)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<f64, E> {
        special_float(v).ok_or_else(|| {
            E::custom(format!(
                "invalid value: string {:?}, expected a number, null, \"NaN\", \"Infinity\" or \"-Infinity\"",
                quote(v)
            ))
        })
    }
}

impl<'de> de::DeserializeSeed<'de> for LenientFloat {
    type Value = f64;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<f64, D::Error> {
        d.deserialize_any(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_spellings() {
        assert!(special_float("NaN").unwrap().is_nan());
        assert_eq!(special_float("+Inf"), Some(f64::INFINITY));
        assert_eq!(special_float("-Inf"), Some(f64::NEG_INFINITY));
        assert_eq!(special_float("-Infinity"), Some(f64::NEG_INFINITY));
        assert_eq!(special_float("nope"), None);
        assert_eq!(parse_float("1e3"), Some(1000.0));
        assert_eq!(parse_float("-.5"), Some(-0.5));
        assert_eq!(parse_float(""), None);
        assert_eq!(parse_float("-"), None);
        assert_eq!(parse_float("1.2.3"), None);
        assert_eq!(parse_float("."), None);
        assert_eq!(parse_float("5."), Some(5.0));
        assert_eq!(parse_float("1e400"), None);
        assert_eq!(parse_float("-1e400"), None);
        assert_eq!(parse_float("1e-400"), Some(0.0));
        assert!(overflows("1e400") && overflows("-1E309") && !overflows("Inf"));
        assert_eq!(parse_float("+Inf"), Some(f64::INFINITY));
    }

    #[test]
    fn fast_decimal_agrees_with_std_parse() {
        // The fast path must be bit-identical to the correctly rounded std parser.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let digits = 1 + (x % 15) as usize;
            let m = x % 10u64.pow(digits as u32);
            let mut s = format!("{m:0digits$}");
            let dot = (x >> 40) as usize % (digits + 1);
            if dot < digits {
                s.insert(dot, '.');
            }
            if (x >> 50) & 1 == 1 {
                s.insert(0, '-');
            }
            let want: f64 = s.parse().unwrap();
            let got = fast_decimal(s.as_bytes()).unwrap();
            assert_eq!(got.to_bits(), want.to_bits(), "{s}");
        }
    }
}
