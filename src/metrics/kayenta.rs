//! Kayenta metric-set pairs.
//!
//! Kayenta (Spinnaker's automated canary analysis) hands its judge one *metric-set pair* per
//! metric and tag set:
//!
//! ```json
//! {"name": "latency", "id": "a1", "tags": {"region": "eu"},
//!  "values": {"control": [1.0, "NaN", 2.0], "experiment": [1.5, null, 2.5]},
//!  "scopes": {"control": {"startTimeIso": "2026-11-23T09:00:00Z",
//!                         "startTimeMillis": 1795424400000, "stepMillis": 60000}},
//!  "attributes": {"control": {"query": "..."}}}
//! ```
//!
//! `control` is the **baseline** and `experiment` the **canary**. [`read_metric_set_pairs`]
//! returns one [`MetricPair`] per pair, each side a single-instance [`Series`] (empty instance
//! id), with Kayenta's `id` and `tags`:
//! - **Axis.** A side whose scope has both `startTimeMillis` and a positive `stepMillis` gets
//!   the regular axis `start + i * step`; otherwise the axis is [`Timestamps::Unknown`]
//!   (positions only). `startTimeIso` and `attributes` are read and not kept.
//! - **Values.** Dense arrays with a gap written as NaN; sources differ in how they spell it, so
//!   a value may be a JSON number, `null` (a gap), or one of the strings `"NaN"`,
//!   `"Infinity"`, `"-Infinity"` (any case, optional sign, `"Inf"` also accepted). Gaps are kept
//!   as `f64::NAN` and spelled infinities as `±inf`; a numeric literal beyond the `f64` range
//!   (`1e400`) is an error, the rule every reader follows (see [`clean`](super::clean)).
//!   [`MetricPair::clean`] applies the [`NanPolicy`](crate::metrics::NanPolicy) once.
//! - **No data.** `"values": {}` (or a missing `control` / `experiment`, or an empty array) is
//!   a side with no data, not an error; the judge reports it as absent.
//!
//! Only `name` (non-empty) and `values` are required; `id`, `tags`, `scopes` and `attributes`
//! may be absent or `null`, and unknown fields are ignored (Kayenta adds fields over versions).
//! A document is a JSON array of pairs or a single pair object.
//!
//! **Errors.** Malformed JSON (truncated, empty, trailing garbage) is an
//! [`Error::Parse`](crate::Error::Parse) with [`Location::LineColumn`](crate::Location); a
//! well-formed document with a wrong type, a missing or duplicate field, or an unreadable value
//! is an `Error::Parse` whose location is the JSON path of the offending value, e.g.
//! `$[3].values.experiment[17]`.
//!
//! **Memory, time and size.** Values are parsed straight into `Vec<f64>` (8 bytes per value,
//! against at least 2 bytes of input per value), with no intermediate JSON tree, so memory is at
//! most about 4 x the input plus the names and tags; time is linear in the input. Error
//! messages quote at most a bounded excerpt of the input. There is no length limit beyond that
//! (10^7-point series are tested).
//!
//! **Duplicates and range.** A key given twice in `tags` or `scopes` is an error at
//! `$[i].tags.<key>` (a duplicate pair field at `$[i].<field>`); a number beyond the `f64` range
//! is an error at its line and column.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::json::{LenientFloat, PathCtx, StrictMapSeed};
use super::series::{Instance, MetricPair, Series, Timestamps};
use crate::error::{Result, quote};

const FORMAT: &str = "kayenta";

/// The time scope of one side of a pair (only the fields that give an axis are kept).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct Scope {
    start_time_millis: Option<i64>,
    step_millis: Option<i64>,
}

impl Scope {
    fn axis(scope: Option<&Scope>) -> Timestamps {
        match scope {
            Some(Scope {
                start_time_millis: Some(start_millis),
                step_millis: Some(step_millis),
            }) if *step_millis > 0 => Timestamps::Regular {
                start_millis: *start_millis,
                step_millis: *step_millis,
            },
            _ => Timestamps::Unknown,
        }
    }
}

/// Reads a JSON array of Kayenta metric-set pairs (a single pair object is also accepted) into
/// [`MetricPair`]s, in document order (see the module docs).
///
/// # Errors
/// [`Error::Parse`](crate::Error::Parse) with format `"kayenta"`: line and column for malformed
/// JSON (including an empty or truncated document), the JSON path of the value for a wrong type,
/// a missing or empty `name`, a missing `values`, a duplicate field, a value that is neither a
/// number, `null` nor a NaN/infinity string, or a number beyond the `f64` range.
///
/// # Example
/// ```
/// use canary_analysis::metrics::{CleanOptions, Timestamps, read_metric_set_pairs};
/// let pairs = read_metric_set_pairs(
///     r#"[{"name": "errors", "id": "a1", "tags": {"region": "eu"},
///          "values": {"control": [1, "NaN", 3], "experiment": [2, null]},
///          "scopes": {"control": {"startTimeMillis": 0, "stepMillis": 1000}}}]"#,
/// )?;
/// let p = &pairs[0];
/// assert_eq!((p.metric(), p.id(), p.tags()["region"].as_str()), ("errors", Some("a1"), "eu"));
/// assert_eq!(p.baseline().gaps()[0].start_millis, Some(1000));
/// assert_eq!(p.canary().timestamps(), &Timestamps::Unknown);
/// let c = p.clean(&CleanOptions::new())?;
/// assert_eq!(c.baseline().map(|s| s.values()), Some(&[1.0, 3.0][..]));
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub fn read_metric_set_pairs(json: &str) -> Result<Vec<MetricPair>> {
    let ctx = PathCtx::default();
    let mut de = serde_json::Deserializer::from_str(json);
    let parsed = TopSeed { ctx: &ctx }
        .deserialize(&mut de)
        .and_then(|pairs| de.end().map(|()| pairs));
    parsed.map_err(|e| ctx.into_error(FORMAT, e))
}

/// [`read_metric_set_pairs`] from bytes (must be UTF-8).
///
/// # Errors
/// As [`read_metric_set_pairs`]; invalid UTF-8 is an [`Error::Parse`](crate::Error::Parse) at
/// the offending line and column.
///
/// # Example
/// ```
/// use canary_analysis::metrics::kayenta::read_metric_set_pairs_slice;
/// let pairs = read_metric_set_pairs_slice(br#"{"name": "m", "values": {}}"#)?;
/// assert!(pairs[0].baseline().is_empty() && pairs[0].canary().is_empty()); // no data
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub fn read_metric_set_pairs_slice(json: &[u8]) -> Result<Vec<MetricPair>> {
    read_metric_set_pairs(super::utf8(FORMAT, json)?)
}

/// [`read_metric_set_pairs`] from a caller-supplied reader (read to the end first).
///
/// # Errors
/// As [`read_metric_set_pairs_slice`], plus [`Error::Io`](crate::Error::Io) if reading fails.
///
/// # Example
/// ```
/// use canary_analysis::metrics::kayenta::read_metric_set_pairs_reader;
/// let doc = br#"[{"name": "m", "values": {"control": [1], "experiment": [2]}}]"#;
/// let pairs = read_metric_set_pairs_reader(&doc[..])?;
/// assert_eq!(pairs[0].canary().instances()[0].values(), &[2.0]);
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub fn read_metric_set_pairs_reader(reader: impl Read) -> Result<Vec<MetricPair>> {
    let bytes = super::read_all(FORMAT, reader)?;
    read_metric_set_pairs_slice(&bytes)
}

/// The two value arrays of a pair (`control` = baseline, `experiment` = canary); a missing one
/// is empty.
struct PairValues {
    control: Vec<f64>,
    experiment: Vec<f64>,
}

struct TopSeed<'c> {
    ctx: &'c PathCtx,
}

impl<'de> DeserializeSeed<'de> for TopSeed<'_> {
    type Value = Vec<MetricPair>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TopSeed<'_> {
    type Value = Vec<MetricPair>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of metric-set pairs or a single metric-set pair object")
    }
    fn visit_seq<A: SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        loop {
            let i = out.len();
            let seed = PairSeed {
                ctx: self.ctx,
                base: format!("$[{i}]"),
            };
            match seq.next_element_seed(seed) {
                Ok(Some(p)) => out.push(p),
                Ok(None) => return Ok(out),
                Err(e) => return Err(self.ctx.at(|| format!("$[{i}]"), e)),
            }
        }
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> std::result::Result<Self::Value, A::Error> {
        PairVisitor {
            ctx: self.ctx,
            base: "$".to_owned(),
        }
        .visit_map(map)
        .map(|p| vec![p])
    }
}

struct PairSeed<'c> {
    ctx: &'c PathCtx,
    base: String,
}

impl<'de> DeserializeSeed<'de> for PairSeed<'_> {
    type Value = MetricPair;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_map(PairVisitor {
            ctx: self.ctx,
            base: self.base,
        })
    }
}

struct PairVisitor<'c> {
    ctx: &'c PathCtx,
    base: String,
}

fn set_once<T, E: de::Error>(
    ctx: &PathCtx,
    base: &str,
    field: &str,
    slot: &mut Option<T>,
    value: std::result::Result<T, E>,
) -> std::result::Result<(), E> {
    let value = value.map_err(|e| ctx.at(|| format!("{base}.{field}"), e))?;
    if slot.is_some() {
        return Err(ctx.at(
            || format!("{base}.{field}"),
            E::custom(format!("duplicate field `{field}`")),
        ));
    }
    *slot = Some(value);
    Ok(())
}

impl<'de> Visitor<'de> for PairVisitor<'_> {
    type Value = MetricPair;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a metric-set pair object with `name` and `values`")
    }
    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let (ctx, base) = (self.ctx, self.base.as_str());
        let mut name = None;
        let mut id: Option<Option<String>> = None;
        let mut tags: Option<BTreeMap<String, String>> = None;
        let mut values = None;
        let mut scopes: Option<BTreeMap<String, Scope>> = None;
        let mut attributes: Option<IgnoredAny> = None;
        while let Some(key) = map
            .next_key::<String>()
            .map_err(|e| ctx.at(|| base.to_owned(), e))?
        {
            match key.as_str() {
                "name" => set_once(ctx, base, "name", &mut name, map.next_value())?,
                "id" => set_once(ctx, base, "id", &mut id, map.next_value())?,
                "tags" => {
                    let path = format!("{base}.tags");
                    let v = map.next_value_seed(StrictMapSeed::new(ctx, &path, true));
                    set_once(ctx, base, "tags", &mut tags, v)?
                }
                "values" => {
                    let v = map.next_value_seed(ValuesSeed { ctx, base });
                    set_once(ctx, base, "values", &mut values, v)?
                }
                "scopes" => {
                    let path = format!("{base}.scopes");
                    let v = map.next_value_seed(StrictMapSeed::new(ctx, &path, true));
                    set_once(ctx, base, "scopes", &mut scopes, v)?
                }
                "attributes" => {
                    set_once(ctx, base, "attributes", &mut attributes, map.next_value())?
                }
                _ => {
                    map.next_value::<IgnoredAny>()
                        .map_err(|e| ctx.at(|| format!("{base}.{}", quote(&key)), e))?;
                }
            }
        }
        let name: String =
            name.ok_or_else(|| ctx.at(|| base.to_owned(), de::Error::missing_field("name")))?;
        if name.is_empty() {
            return Err(ctx.at(
                || format!("{base}.name"),
                de::Error::custom("the metric name must not be empty"),
            ));
        }
        let values: PairValues =
            values.ok_or_else(|| ctx.at(|| base.to_owned(), de::Error::missing_field("values")))?;
        let _ = attributes;
        let scopes = scopes.unwrap_or_default();
        let side = |key: &str, values: Vec<f64>| {
            Series::from_aligned(
                Scope::axis(scopes.get(key)),
                vec![Instance::new(String::new(), values)],
            )
        };
        Ok(MetricPair::from_parts(
            name,
            id.flatten(),
            tags.unwrap_or_default(),
            side("control", values.control),
            side("experiment", values.experiment),
        ))
    }
}

struct ValuesSeed<'c, 'b> {
    ctx: &'c PathCtx,
    base: &'b str,
}

impl<'de> DeserializeSeed<'de> for ValuesSeed<'_, '_> {
    type Value = PairValues;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_map(ValuesVisitor {
            ctx: self.ctx,
            base: self.base,
        })
    }
}

struct ValuesVisitor<'c, 'b> {
    ctx: &'c PathCtx,
    base: &'b str,
}

impl<'de> Visitor<'de> for ValuesVisitor<'_, '_> {
    type Value = PairValues;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object {\"control\": [...], \"experiment\": [...]}")
    }
    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let ctx = self.ctx;
        let base = format!("{}.values", self.base);
        let mut control = None;
        let mut experiment = None;
        while let Some(key) = map
            .next_key::<String>()
            .map_err(|e| ctx.at(|| base.clone(), e))?
        {
            let slot = match key.as_str() {
                "control" => &mut control,
                "experiment" => &mut experiment,
                _ => {
                    map.next_value::<IgnoredAny>()
                        .map_err(|e| ctx.at(|| format!("{base}.{}", quote(&key)), e))?;
                    continue;
                }
            };
            let path = format!("{base}.{key}");
            let v = map.next_value_seed(FloatArraySeed { ctx, path: &path });
            set_once(ctx, &base, &key, slot, v)?;
        }
        Ok(PairValues {
            control: control.unwrap_or_default(),
            experiment: experiment.unwrap_or_default(),
        })
    }
}

/// A JSON array of lenient floats (numbers, null, NaN/infinity strings), recording the index of a
/// bad element.
pub(crate) struct FloatArraySeed<'c, 'p> {
    pub(crate) ctx: &'c PathCtx,
    pub(crate) path: &'p str,
}

impl<'de> DeserializeSeed<'de> for FloatArraySeed<'_, '_> {
    type Value = Vec<f64>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for FloatArraySeed<'_, '_> {
    type Value = Vec<f64>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of numbers (null or \"NaN\" for gaps)")
    }
    fn visit_seq<A: SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1 << 16));
        loop {
            match seq.next_element_seed(LenientFloat) {
                Ok(Some(v)) => out.push(v),
                Ok(None) => return Ok(out),
                Err(e) => {
                    let i = out.len();
                    return Err(self.ctx.at(|| format!("{}[{i}]", self.path), e));
                }
            }
        }
    }
}
