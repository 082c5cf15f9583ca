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
//! `control` is the **baseline** and `experiment` the **canary**. Values are dense arrays with a
//! gap written as NaN; sources differ in how they spell it, so a value may be a JSON number,
//! `null`, or one of the strings `"NaN"`, `"Infinity"`, `"-Infinity"` (any case, optional sign,
//! `"Inf"` also accepted). Gaps and infinities are kept as `f64::NAN` / `±inf` here; apply a
//! [`NanPolicy`](crate::metrics::NanPolicy) with
//! [`Sample::with_policy`](crate::metrics::Sample::with_policy), or convert with
//! [`MetricSetPair::to_pair`] and use [`MetricPair::clean`], to get samples.
//!
//! Only `name` and `values` (with both `control` and `experiment`) are required; `id`, `tags`,
//! `scopes` and `attributes` may be absent or `null`, and unknown fields are ignored (Kayenta adds
//! fields over versions). A document is a JSON array of pairs or a single pair object.
//!
//! **Errors.** Malformed JSON (truncated, empty, trailing garbage) is an
//! [`Error::Parse`](crate::Error::Parse) with [`Location::LineColumn`](crate::Location); a
//! well-formed document with a wrong type, a missing or duplicate field, or an unreadable value
//! is an `Error::Parse` whose location is the JSON path of the offending value, e.g.
//! `$[3].values.experiment[17]`.
//!
//! **Memory and size.** Values are parsed straight into `Vec<f64>` (8 bytes per value, against at
//! least 2 bytes of input per value), with no intermediate JSON tree; there is no length limit
//! beyond available memory (10^7-point series are tested).

use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::ser::SerializeSeq;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::json::{LenientFloat, PathCtx};
use super::series::{Instance, MetricPair, Series, Timestamps};
use crate::error::Result;

const FORMAT: &str = "kayenta";

/// One Kayenta metric-set pair: a metric's baseline (`control`) and canary (`experiment`) values.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MetricSetPair {
    /// The metric name.
    pub name: String,
    /// Kayenta's pair id, if given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The tag set this pair is for (empty if absent).
    pub tags: BTreeMap<String, String>,
    /// The values: `control` (baseline) and `experiment` (canary).
    pub values: PairValues,
    /// The time scope of each side, keyed `"control"` / `"experiment"` (may be empty).
    pub scopes: BTreeMap<String, Scope>,
    /// Free-form attributes (Kayenta puts the queries here); may be empty.
    pub attributes: BTreeMap<String, serde_json::Value>,
}

/// The two value arrays of a [`MetricSetPair`]; gaps are `f64::NAN`.
///
/// Serialized in Kayenta's spelling, with non-finite values as the strings `"NaN"`,
/// `"Infinity"`, `"-Infinity"`.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct PairValues {
    /// Baseline values (Kayenta's `control`).
    #[serde(serialize_with = "ser_values")]
    pub control: Vec<f64>,
    /// Canary values (Kayenta's `experiment`).
    #[serde(serialize_with = "ser_values")]
    pub experiment: Vec<f64>,
}

/// The time scope of one side of a pair.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Scope {
    /// Start of the series, ISO 8601.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_time_iso: Option<String>,
    /// Start of the series, milliseconds since the Unix epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_time_millis: Option<i64>,
    /// Spacing of the values, milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step_millis: Option<i64>,
}

impl MetricSetPair {
    /// Converts the pair to a [`MetricPair`]: one single-instance [`Series`] per side, on a
    /// regular axis when that side's scope has both `startTimeMillis` and a positive
    /// `stepMillis`, else with [`Timestamps::Unknown`].
    ///
    /// # Example
    /// ```
    /// use canary_analysis::metrics::{NanPolicy, kayenta::read_metric_set_pairs};
    /// let pairs = read_metric_set_pairs(r#"[{"name": "m",
    ///     "values": {"control": [1, "NaN", 3], "experiment": [2, 4]},
    ///     "scopes": {"control": {"startTimeMillis": 0, "stepMillis": 1000}}}]"#)?;
    /// let pair = pairs[0].to_pair();
    /// assert_eq!(pair.baseline.gaps()[0].start_millis, Some(1000));
    /// let cleaned = pair.clean(NanPolicy::Remove)?;
    /// assert_eq!(cleaned.baseline.removed, 1);
    /// # Ok::<(), canary_analysis::Error>(())
    /// ```
    pub fn to_pair(&self) -> MetricPair {
        let side = |key: &str, values: &[f64]| {
            let timestamps = match self.scopes.get(key) {
                Some(Scope {
                    start_time_millis: Some(start_millis),
                    step_millis: Some(step_millis),
                    ..
                }) if *step_millis > 0 => Timestamps::Regular {
                    start_millis: *start_millis,
                    step_millis: *step_millis,
                },
                _ => Timestamps::Unknown,
            };
            Series {
                timestamps,
                instances: vec![Instance {
                    id: String::new(),
                    values: values.to_vec(),
                }],
            }
        };
        MetricPair {
            metric: self.name.clone(),
            tags: self.tags.clone(),
            baseline: side("control", &self.values.control),
            canary: side("experiment", &self.values.experiment),
        }
    }
}

/// Reads a JSON array of Kayenta metric-set pairs (a single pair object is also accepted).
///
/// # Errors
/// [`Error::Parse`](crate::Error::Parse) with format `"kayenta"`: line and column for malformed JSON (including an
/// empty or truncated document), the JSON path of the value for a wrong type, a missing
/// `name`/`values`/`control`/`experiment`, a duplicate field, or a value that is neither a number,
/// `null` nor a NaN/infinity string.
///
/// # Example
/// ```
/// use canary_analysis::metrics::kayenta::read_metric_set_pairs;
/// let pairs = read_metric_set_pairs(
///     r#"[{"name": "errors", "values": {"control": [1, "NaN", 3], "experiment": [2, null]}}]"#,
/// )?;
/// assert_eq!(pairs[0].name, "errors");
/// assert!(pairs[0].values.control[1].is_nan());
/// assert!(pairs[0].values.experiment[1].is_nan());
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub fn read_metric_set_pairs(json: &str) -> Result<Vec<MetricSetPair>> {
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
/// As [`read_metric_set_pairs`]; invalid UTF-8 is an [`Error::Parse`](crate::Error::Parse) at the offending line and
/// column.
///
/// # Example
/// ```
/// use canary_analysis::metrics::kayenta::read_metric_set_pairs_slice;
/// let pairs = read_metric_set_pairs_slice(br#"{"name": "m", "values": {"control": [], "experiment": []}}"#)?;
/// assert_eq!(pairs.len(), 1);
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub fn read_metric_set_pairs_slice(json: &[u8]) -> Result<Vec<MetricSetPair>> {
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
/// assert_eq!(pairs[0].values.experiment, vec![2.0]);
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub fn read_metric_set_pairs_reader(reader: impl Read) -> Result<Vec<MetricSetPair>> {
    let bytes = super::read_all(FORMAT, reader)?;
    read_metric_set_pairs_slice(&bytes)
}

impl<'de> Deserialize<'de> for MetricSetPair {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let ctx = PathCtx::default();
        d.deserialize_map(PairVisitor {
            ctx: &ctx,
            base: "$".to_owned(),
        })
    }
}

impl<'de> Deserialize<'de> for PairValues {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let ctx = PathCtx::default();
        d.deserialize_map(ValuesVisitor {
            ctx: &ctx,
            base: "$",
        })
    }
}

fn ser_values<S: Serializer>(values: &[f64], s: S) -> std::result::Result<S::Ok, S::Error> {
    let mut seq = s.serialize_seq(Some(values.len()))?;
    for &v in values {
        if v.is_finite() {
            seq.serialize_element(&v)?;
        } else if v.is_nan() {
            seq.serialize_element("NaN")?;
        } else if v > 0.0 {
            seq.serialize_element("Infinity")?;
        } else {
            seq.serialize_element("-Infinity")?;
        }
    }
    seq.end()
}

struct TopSeed<'c> {
    ctx: &'c PathCtx,
}

impl<'de> DeserializeSeed<'de> for TopSeed<'_> {
    type Value = Vec<MetricSetPair>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TopSeed<'_> {
    type Value = Vec<MetricSetPair>;
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
    type Value = MetricSetPair;
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
    type Value = MetricSetPair;
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
        let mut tags: Option<Option<BTreeMap<String, String>>> = None;
        let mut values = None;
        let mut scopes: Option<Option<BTreeMap<String, Scope>>> = None;
        let mut attributes: Option<Option<BTreeMap<String, serde_json::Value>>> = None;
        while let Some(key) = map
            .next_key::<String>()
            .map_err(|e| ctx.at(|| base.to_owned(), e))?
        {
            match key.as_str() {
                "name" => set_once(ctx, base, "name", &mut name, map.next_value())?,
                "id" => set_once(ctx, base, "id", &mut id, map.next_value())?,
                "tags" => set_once(ctx, base, "tags", &mut tags, map.next_value())?,
                "values" => {
                    let v = map.next_value_seed(ValuesSeed { ctx, base });
                    set_once(ctx, base, "values", &mut values, v)?
                }
                "scopes" => set_once(ctx, base, "scopes", &mut scopes, map.next_value())?,
                "attributes" => {
                    set_once(ctx, base, "attributes", &mut attributes, map.next_value())?
                }
                _ => {
                    map.next_value::<IgnoredAny>()
                        .map_err(|e| ctx.at(|| format!("{base}.{key}"), e))?;
                }
            }
        }
        let name =
            name.ok_or_else(|| ctx.at(|| base.to_owned(), de::Error::missing_field("name")))?;
        let values =
            values.ok_or_else(|| ctx.at(|| base.to_owned(), de::Error::missing_field("values")))?;
        Ok(MetricSetPair {
            name,
            id: id.flatten(),
            tags: tags.flatten().unwrap_or_default(),
            values,
            scopes: scopes.flatten().unwrap_or_default(),
            attributes: attributes.flatten().unwrap_or_default(),
        })
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
                        .map_err(|e| ctx.at(|| format!("{base}.{key}"), e))?;
                    continue;
                }
            };
            let path = format!("{base}.{key}");
            let v = map.next_value_seed(FloatArraySeed { ctx, path: &path });
            set_once(ctx, &base, &key, slot, v)?;
        }
        let control =
            control.ok_or_else(|| ctx.at(|| base.clone(), de::Error::missing_field("control")))?;
        let experiment = experiment
            .ok_or_else(|| ctx.at(|| base.clone(), de::Error::missing_field("experiment")))?;
        Ok(PairValues {
            control,
            experiment,
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
