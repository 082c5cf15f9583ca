//! Prometheus HTTP API `query_range` responses.
//!
//! The reader takes the body of `GET /api/v1/query_range` as returned by Prometheus (or any
//! server speaking its API: Thanos, Mimir, VictoriaMetrics):
//!
//! ```json
//! {"status": "success", "data": {"resultType": "matrix", "result": [
//!   {"metric": {"__name__": "latency", "version": "baseline"}, "values": [[1700000000, "12.5"], ...]},
//!   {"metric": {"__name__": "latency", "version": "canary"},   "values": [[1700000000, "NaN"], ...]}]}}
//! ```
//!
//! - Timestamps are Unix seconds (fractions allowed) and are converted to integer milliseconds
//!   (Prometheus's own resolution). Within a series they must be strictly increasing.
//! - Values are strings: decimal numbers, `"NaN"`, `"+Inf"`, `"-Inf"` (also `"Inf"`,
//!   `"Infinity"`, any case). A bare JSON number is accepted too.
//! - `resultType` must be `matrix` (a `query`, not `query_range`, gives `vector`: an error says
//!   so). Native-histogram series (`"histograms"`) are rejected with an error.
//! - A response with `"status": "error"` is returned as [`Error::Upstream`] carrying Prometheus's
//!   `errorType` and `error`.
//!
//! **Pairing.** [`read_query_range`] splits the series into baseline and canary by the label the
//! caller names ([`PrometheusOptions::group_label`], default `version`, with values
//! [`baseline`](PrometheusOptions::baseline) / [`canary`](PrometheusOptions::canary)), and
//! pairs the two sides of each metric by their remaining labels: the metric name (`__name__`, or
//! [`PrometheusOptions::metric`] when the query drops it) and every other label except the group
//! label and the optional [`instance label`](PrometheusOptions::instance_label). Series that
//! differ only in the instance label become instances (rows) of the same [`Series`](crate::metrics::Series). Errors:
//! a series without the group label, with a group value that is neither, two series with the
//! same labels on one side, or a label set present on one side only ("mismatched tags").
//!
//! **Alignment and gaps.** The two sides of a pair are put on one time axis (see
//! [`series`](crate::metrics::series) for the exact rule; pass the query's step with
//! [`PrometheusOptions::step_millis`] to use it instead of inferring it). A step missing from a
//! series (Prometheus omits steps with no sample) is a NaN gap of that instance, listed by
//! [`Series::gaps`](crate::metrics::Series::gaps) and handled by the [`NanPolicy`](crate::metrics::NanPolicy) given to
//! [`MetricPair::clean`].
//!
//! **Errors** are [`Error::Parse`] with format `"prometheus"`: line and column for malformed
//! JSON, else the JSON path of the offending value (`$.data.result[2].values[17][1]`).
//!
//! **Speed.** A response in Prometheus's canonical shape (no string escapes, only the keys
//! Prometheus writes) is read by a hand-written byte scanner; anything else, including every
//! invalid document, is re-read by `serde_json` with hand-written visitors, which produce the
//! typed error. Both paths convert numbers identically (tested), and neither allocates anything
//! but the output.
//!
//! **Bounded cost.** Parsing is linear in the input; pairing hashes each series' labels and its
//! instance id (duplicates are found in O(1) per series); alignment costs `O(p log p + c)` for
//! `p` points and `c` grid cells, and the cells of all pairs are limited by
//! [`PrometheusOptions::grid_limits`] ([`Error::TooLarge`] before allocating). A label given
//! twice in one `metric` object is an error at `$.data.result[k].metric.<label>`; a value
//! literal beyond the `f64` range (`"1e400"`) is an error at its point (spell an infinity
//! `"+Inf"`). Messages quote at most a bounded excerpt of the input.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io::Read;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use super::json::{PathCtx, StrictMapSeed, bad_value_reason, parse_float};
use super::series::{GridLimits, MetricPair, RawInstance, align_pair};
use crate::error::{Error, Location, Result, quote};

const FORMAT: &str = "prometheus";

use super::prom_series::MAX_ABS_MILLIS;
pub use super::prom_series::PromSeries;

/// How [`read_query_range`] pairs and aligns series (jiff-style builder; validated when used).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrometheusOptions {
    group_label: String,
    baseline: String,
    canary: String,
    instance_label: Option<String>,
    step_millis: Option<i64>,
    metric: Option<String>,
    grid_limits: GridLimits,
}

impl Default for PrometheusOptions {
    fn default() -> Self {
        PrometheusOptions {
            group_label: "version".to_owned(),
            baseline: "baseline".to_owned(),
            canary: "canary".to_owned(),
            instance_label: None,
            step_millis: None,
            metric: None,
            grid_limits: GridLimits::default(),
        }
    }
}

impl PrometheusOptions {
    /// Defaults: group label `version`, values `baseline` and `canary`, no instance label,
    /// inferred step, metric name from `__name__` (else `"unnamed"`).
    ///
    /// # Example
    /// ```
    /// use canary_analysis::metrics::prometheus::PrometheusOptions;
    /// let opts = PrometheusOptions::new().group_label("deployment").baseline("v1").canary("v2")
    ///     .instance_label("pod").step_millis(15_000).metric("latency");
    /// # let _ = opts;
    /// ```
    pub fn new() -> Self {
        Self::default()
    }
    /// The label whose value tells baseline from canary.
    pub fn group_label(mut self, label: impl Into<String>) -> Self {
        self.group_label = label.into();
        self
    }
    /// The group label's value for the baseline.
    pub fn baseline(mut self, value: impl Into<String>) -> Self {
        self.baseline = value.into();
        self
    }
    /// The group label's value for the canary.
    pub fn canary(mut self, value: impl Into<String>) -> Self {
        self.canary = value.into();
        self
    }
    /// A label (e.g. `instance`, `pod`) whose values are instances of one series.
    pub fn instance_label(mut self, label: impl Into<String>) -> Self {
        self.instance_label = Some(label.into());
        self
    }
    /// The query's step in milliseconds (otherwise inferred from the timestamps).
    pub fn step_millis(mut self, step: i64) -> Self {
        self.step_millis = Some(step);
        self
    }
    /// The metric name to use when a series has no `__name__` label (e.g. after `rate()`).
    pub fn metric(mut self, name: impl Into<String>) -> Self {
        self.metric = Some(name.into());
        self
    }
    /// The budget of aligned grid cells (default [`GridLimits::default`]; see there).
    pub fn grid_limits(mut self, limits: GridLimits) -> Self {
        self.grid_limits = limits;
        self
    }

    fn validate(&self) -> Result<()> {
        if self.group_label.is_empty() {
            return Err(Error::param("group_label", "\"\"", "must not be empty"));
        }
        if self.baseline == self.canary {
            return Err(Error::param(
                "canary",
                format!("{:?}", self.canary),
                "the baseline and canary values must differ",
            ));
        }
        if self.instance_label.as_deref() == Some(self.group_label.as_str()) {
            return Err(Error::param(
                "instance_label",
                format!("{:?}", self.group_label),
                "must differ from the group label",
            ));
        }
        if let Some(step) = self.step_millis
            && step <= 0
        {
            return Err(Error::param("step_millis", step, "must be positive"));
        }
        Ok(())
    }
}

/// Parses a `query_range` response into its series, without pairing.
///
/// # Errors
/// [`Error::Upstream`] for a `"status": "error"` response; [`Error::Parse`] (format
/// `"prometheus"`) for malformed JSON (line/column), a `resultType` other than `matrix`, a missing
/// field, a bad timestamp or value, or timestamps that are not strictly increasing (JSON path).
///
/// # Example
/// ```
/// use canary_analysis::metrics::prometheus::parse_query_range;
/// let series = parse_query_range(r#"{"status":"success","data":{"resultType":"matrix","result":[
///     {"metric":{"__name__":"up"},"values":[[1700000000,"1"],[1700000015.5,"NaN"]]}]}}"#)?;
/// assert_eq!(series[0].timestamps_millis, vec![1_700_000_000_000, 1_700_000_015_500]);
/// assert!(series[0].values[1].is_nan());
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub fn parse_query_range(json: &str) -> Result<Vec<PromSeries>> {
    if let Some(series) = super::prom_fast::parse(json) {
        return Ok(series);
    }
    parse_query_range_serde(json)
}

/// The `serde_json` path of [`parse_query_range`]: accepts every valid response and produces
/// the exact error for every invalid one.
pub(crate) fn parse_query_range_serde(json: &str) -> Result<Vec<PromSeries>> {
    let ctx = PathCtx::default();
    let mut de = serde_json::Deserializer::from_str(json);
    let parsed = TopSeed { ctx: &ctx }
        .deserialize(&mut de)
        .and_then(|r| de.end().map(|()| r));
    let top = parsed.map_err(|e| ctx.into_error(FORMAT, e))?;
    match top.status.as_deref() {
        Some("success") => {}
        Some("error") => {
            return Err(Error::Upstream {
                system: FORMAT,
                kind: quote(top.error_type.as_deref().unwrap_or("unknown")),
                message: quote(top.error.as_deref().unwrap_or_default()),
            });
        }
        Some(other) => {
            return Err(Error::Parse {
                format: FORMAT,
                location: Location::JsonPath {
                    path: "$.status".to_owned(),
                },
                reason: format!(
                    "status is {:?}, expected \"success\" or \"error\"",
                    quote(other)
                ),
            });
        }
        None => {
            return Err(Error::Parse {
                format: FORMAT,
                location: Location::JsonPath {
                    path: "$".to_owned(),
                },
                reason: "missing field `status` (is this a Prometheus API response?)".to_owned(),
            });
        }
    }
    top.data.ok_or_else(|| Error::Parse {
        format: FORMAT,
        location: Location::JsonPath {
            path: "$".to_owned(),
        },
        reason: "missing field `data`".to_owned(),
    })
}

/// Parses a `query_range` response and pairs baseline and canary series per metric (see the
/// module docs).
///
/// Pairs come in the order of their first series in the response.
///
/// # Errors
/// As [`parse_query_range`] and [`pair_series`].
///
/// # Example
/// ```
/// use canary_analysis::metrics::{CleanOptions, prometheus::{read_query_range, PrometheusOptions}};
/// let body = r#"{"status":"success","data":{"resultType":"matrix","result":[
///   {"metric":{"__name__":"latency","version":"baseline"},"values":[[0,"10"],[15,"11"],[30,"12"]]},
///   {"metric":{"__name__":"latency","version":"canary"},"values":[[0,"13"],[30,"+Inf"]]}]}}"#;
/// let pairs = read_query_range(body, &PrometheusOptions::new())?;
/// let pair = &pairs[0];
/// assert_eq!(pair.metric(), "latency");
/// let gaps = pair.canary().gaps();
/// assert_eq!((gaps[0].start_millis, gaps[0].steps), (Some(15_000), 1));
/// let cleaned = pair.clean(&CleanOptions::new())?;
/// assert_eq!(cleaned.canary().map(|s| s.values()), Some(&[13.0][..]));
/// let record = &cleaned.record().canary;
/// assert_eq!((record.removed, record.infinite), (2, 1));
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub fn read_query_range(json: &str, opts: &PrometheusOptions) -> Result<Vec<MetricPair>> {
    opts.validate()?;
    pair_series(parse_query_range(json)?, opts)
}

/// [`read_query_range`] from bytes (must be UTF-8).
///
/// # Errors
/// As [`read_query_range`]; invalid UTF-8 is an [`Error::Parse`] at its line and column.
///
/// # Example
/// ```
/// use canary_analysis::metrics::prometheus::{read_query_range_slice, PrometheusOptions};
/// let body = br#"{"status":"success","data":{"resultType":"matrix","result":[]}}"#;
/// assert!(read_query_range_slice(body, &PrometheusOptions::new())?.is_empty());
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub fn read_query_range_slice(json: &[u8], opts: &PrometheusOptions) -> Result<Vec<MetricPair>> {
    read_query_range(super::utf8(FORMAT, json)?, opts)
}

/// [`read_query_range`] from a caller-supplied reader (for example an HTTP response body).
///
/// # Errors
/// As [`read_query_range_slice`], plus [`Error::Io`] if reading fails.
///
/// # Example
/// ```
/// use canary_analysis::metrics::prometheus::{read_query_range_reader, PrometheusOptions};
/// let body = br#"{"status":"error","errorType":"bad_data","error":"invalid parameter \"query\""}"#;
/// let err = read_query_range_reader(&body[..], &PrometheusOptions::new()).unwrap_err();
/// assert!(matches!(err, canary_analysis::Error::Upstream { .. }));
/// ```
pub fn read_query_range_reader(
    reader: impl Read,
    opts: &PrometheusOptions,
) -> Result<Vec<MetricPair>> {
    let bytes = super::read_all(FORMAT, reader)?;
    read_query_range_slice(&bytes, opts)
}

/// `name{k="v",...}` for messages: each part quoted (bounded), at most 8 labels shown.
fn label_set(name: &str, labels: &BTreeMap<String, String>) -> String {
    let mut tags: Vec<String> = labels
        .iter()
        .take(8)
        .map(|(k, v)| format!("{}={:?}", quote(k), quote(v)))
        .collect();
    if labels.len() > 8 {
        tags.push(format!("… ({} labels)", labels.len()));
    }
    format!("{}{{{}}}", quote(name), tags.join(","))
}

/// Pairs parsed series into baseline/canary [`MetricPair`]s (see the module docs).
///
/// `series[k]` is reported as `$.data.result[k]` in errors.
///
/// # Errors
/// [`Error::InvalidParameter`] for invalid options; [`Error::Parse`] (JSON path of the series)
/// for a series without the group label or with an unknown group value, duplicate series, a
/// label set present on one side only, or timestamps that cannot be aligned.
///
/// # Example
/// ```
/// use std::collections::BTreeMap;
/// use canary_analysis::metrics::prometheus::{pair_series, PromSeries, PrometheusOptions};
/// let s = |v: &str, x: f64| PromSeries {
///     labels: BTreeMap::from([("job".into(), "api".into()), ("track".into(), v.into())]),
///     timestamps_millis: vec![0, 1000], values: vec![x, x],
/// };
/// let opts = PrometheusOptions::new().group_label("track").baseline("stable").canary("new")
///     .metric("rps");
/// let pairs = pair_series(vec![s("stable", 1.0), s("new", 2.0)], &opts)?;
/// assert_eq!(pairs[0].selector(), "rps{job=\"api\"}");
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub fn pair_series(series: Vec<PromSeries>, opts: &PrometheusOptions) -> Result<Vec<MetricPair>> {
    opts.validate()?;
    let at = |k: usize| Location::JsonPath {
        path: format!("$.data.result[{k}].metric"),
    };
    type Key = (String, BTreeMap<String, String>);
    struct Entry {
        key: Key,
        sides: [Vec<(RawInstance, usize)>; 2],
        /// Instance id -> index of its series, per side (duplicate check in O(1)).
        ids: [HashMap<String, usize>; 2],
    }
    let points: u64 = series.iter().map(|s| s.values.len() as u64).sum();
    let mut budget = opts.grid_limits.budget(points);
    let mut index: HashMap<Key, usize> = HashMap::new();
    let mut entries: Vec<Entry> = Vec::new();
    for (k, s) in series.into_iter().enumerate() {
        let PromSeries {
            mut labels,
            timestamps_millis,
            values,
        } = s;
        let Some(group) = labels.remove(&opts.group_label) else {
            return Err(Error::Parse {
                format: FORMAT,
                location: at(k),
                reason: format!(
                    "series {} has no label `{}`, so it is neither baseline nor canary",
                    label_set("", &labels),
                    quote(&opts.group_label)
                ),
            });
        };
        let side = if group == opts.baseline {
            0
        } else if group == opts.canary {
            1
        } else {
            return Err(Error::Parse {
                format: FORMAT,
                location: at(k),
                reason: format!(
                    "label `{}` is {:?}, expected {:?} (baseline) or {:?} (canary)",
                    quote(&opts.group_label),
                    quote(&group),
                    quote(&opts.baseline),
                    quote(&opts.canary)
                ),
            });
        };
        let instance = match &opts.instance_label {
            Some(l) => labels.remove(l).unwrap_or_default(),
            None => String::new(),
        };
        let name = labels
            .remove("__name__")
            .or_else(|| opts.metric.clone())
            .unwrap_or_else(|| "unnamed".to_owned());
        let key = (name, labels);
        let e = match index.get(&key) {
            Some(&e) => e,
            None => {
                index.insert(key.clone(), entries.len());
                entries.push(Entry {
                    key,
                    sides: [Vec::new(), Vec::new()],
                    ids: [HashMap::new(), HashMap::new()],
                });
                entries.len() - 1
            }
        };
        let entry = &mut entries[e];
        if let Some(first) = entry.ids[side].insert(instance.clone(), k) {
            return Err(Error::Parse {
                format: FORMAT,
                location: at(k),
                reason: format!(
                    "duplicate series: same labels as $.data.result[{first}]{}",
                    if opts.instance_label.is_none() {
                        " (set an instance label to keep several series per side)"
                    } else {
                        ""
                    }
                ),
            });
        }
        entry.sides[side].push((
            RawInstance {
                id: instance,
                ts: timestamps_millis,
                values,
                origin: at(k),
            },
            k,
        ));
    }
    let mut out = Vec::with_capacity(entries.len());
    for Entry { key, sides, .. } in entries {
        let [baseline, canary] = sides;
        if baseline.is_empty() || canary.is_empty() {
            let (present, missing, k) = if baseline.is_empty() {
                ("canary", "baseline", canary[0].1)
            } else {
                ("baseline", "canary", baseline[0].1)
            };
            return Err(Error::Parse {
                format: FORMAT,
                location: at(k),
                reason: format!(
                    "mismatched tags: the {present} series {} has no {missing} series with the same labels",
                    label_set(&key.0, &key.1)
                ),
            });
        }
        let strip = |v: Vec<(RawInstance, usize)>| v.into_iter().map(|(r, _)| r).collect();
        let (b, c) = align_pair(
            FORMAT,
            strip(baseline),
            strip(canary),
            opts.step_millis,
            &mut budget,
        )?;
        out.push(MetricPair::from_parts(key.0, None, key.1, b, c));
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Visitors.

struct Top {
    status: Option<String>,
    error_type: Option<String>,
    error: Option<String>,
    data: Option<Vec<PromSeries>>,
}

struct TopSeed<'c> {
    ctx: &'c PathCtx,
}

impl<'de> DeserializeSeed<'de> for TopSeed<'_> {
    type Value = Top;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> std::result::Result<Top, D::Error> {
        d.deserialize_map(self)
    }
}

fn dup<E: de::Error>(ctx: &PathCtx, path: &str) -> E {
    ctx.at(
        || path.to_owned(),
        E::custom(format!(
            "duplicate field `{}`",
            path.rsplit('.').next().unwrap_or(path)
        )),
    )
}

impl<'de> Visitor<'de> for TopSeed<'_> {
    type Value = Top;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Prometheus API response object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Top, A::Error> {
        let ctx = self.ctx;
        let mut top = Top {
            status: None,
            error_type: None,
            error: None,
            data: None,
        };
        while let Some(key) = map
            .next_key::<String>()
            .map_err(|e| ctx.at(|| "$".to_owned(), e))?
        {
            let path = format!("$.{}", quote(&key));
            let slot = match key.as_str() {
                "status" => &mut top.status,
                "errorType" => &mut top.error_type,
                "error" => &mut top.error,
                "data" => {
                    if top.data.is_some() {
                        return Err(dup(ctx, &path));
                    }
                    top.data = Some(
                        map.next_value_seed(DataSeed { ctx })
                            .map_err(|e| ctx.at(|| path.clone(), e))?,
                    );
                    continue;
                }
                _ => {
                    map.next_value::<IgnoredAny>()
                        .map_err(|e| ctx.at(|| path.clone(), e))?;
                    continue;
                }
            };
            if slot.is_some() {
                return Err(dup(ctx, &path));
            }
            *slot = Some(
                map.next_value::<String>()
                    .map_err(|e| ctx.at(|| path.clone(), e))?,
            );
        }
        Ok(top)
    }
}

struct DataSeed<'c> {
    ctx: &'c PathCtx,
}

impl<'de> DeserializeSeed<'de> for DataSeed<'_> {
    type Value = Vec<PromSeries>;
    fn deserialize<D: de::Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for DataSeed<'_> {
    type Value = Vec<PromSeries>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object {\"resultType\": \"matrix\", \"result\": [...]}")
    }
    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let ctx = self.ctx;
        let mut result_type: Option<String> = None;
        let mut result: Option<Vec<PromSeries>> = None;
        let check_type = |t: &str| -> std::result::Result<(), A::Error> {
            if t == "matrix" {
                Ok(())
            } else {
                Err(ctx.at(
                    || "$.data.resultType".to_owned(),
                    de::Error::custom(format!(
                        "resultType is {:?}, expected \"matrix\" (use /api/v1/query_range, not /api/v1/query)",
                        quote(t)
                    )),
                ))
            }
        };
        while let Some(key) = map
            .next_key::<String>()
            .map_err(|e| ctx.at(|| "$.data".to_owned(), e))?
        {
            match key.as_str() {
                "resultType" => {
                    if result_type.is_some() {
                        return Err(dup(ctx, "$.data.resultType"));
                    }
                    let t: String = map
                        .next_value()
                        .map_err(|e| ctx.at(|| "$.data.resultType".to_owned(), e))?;
                    check_type(&t)?;
                    result_type = Some(t);
                }
                "result" => {
                    if result.is_some() {
                        return Err(dup(ctx, "$.data.result"));
                    }
                    result = Some(
                        map.next_value_seed(ResultSeed { ctx })
                            .map_err(|e| ctx.at(|| "$.data.result".to_owned(), e))?,
                    );
                }
                _ => {
                    map.next_value::<IgnoredAny>()
                        .map_err(|e| ctx.at(|| format!("$.data.{}", quote(&key)), e))?;
                }
            }
        }
        if result_type.is_none() {
            return Err(ctx.at(
                || "$.data".to_owned(),
                de::Error::missing_field("resultType"),
            ));
        }
        result.ok_or_else(|| ctx.at(|| "$.data".to_owned(), de::Error::missing_field("result")))
    }
}

struct ResultSeed<'c> {
    ctx: &'c PathCtx,
}

impl<'de> DeserializeSeed<'de> for ResultSeed<'_> {
    type Value = Vec<PromSeries>;
    fn deserialize<D: de::Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ResultSeed<'_> {
    type Value = Vec<PromSeries>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of series")
    }
    fn visit_seq<A: SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        loop {
            let k = out.len();
            match seq.next_element_seed(SeriesSeed { ctx: self.ctx, k }) {
                Ok(Some(s)) => out.push(s),
                Ok(None) => return Ok(out),
                Err(e) => return Err(self.ctx.at(|| format!("$.data.result[{k}]"), e)),
            }
        }
    }
}

struct SeriesSeed<'c> {
    ctx: &'c PathCtx,
    k: usize,
}

impl<'de> DeserializeSeed<'de> for SeriesSeed<'_> {
    type Value = PromSeries;
    fn deserialize<D: de::Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for SeriesSeed<'_> {
    type Value = PromSeries;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a series object {\"metric\": {...}, \"values\": [[t, \"v\"], ...]}")
    }
    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let (ctx, k) = (self.ctx, self.k);
        let base = || format!("$.data.result[{k}]");
        let mut labels: Option<BTreeMap<String, String>> = None;
        let mut points: Option<(Vec<i64>, Vec<f64>)> = None;
        while let Some(key) = map.next_key::<String>().map_err(|e| ctx.at(base, e))? {
            match key.as_str() {
                "metric" => {
                    if labels.is_some() {
                        return Err(dup(ctx, &format!("{}.metric", base())));
                    }
                    let path = format!("{}.metric", base());
                    labels = Some(
                        map.next_value_seed(StrictMapSeed::new(ctx, &path, false))
                            .map_err(|e| ctx.at(|| path.clone(), e))?,
                    );
                }
                "values" => {
                    if points.is_some() {
                        return Err(dup(ctx, &format!("{}.values", base())));
                    }
                    points = Some(map.next_value_seed(PointsSeed { ctx, k })?);
                }
                "histograms" => {
                    return Err(ctx.at(
                        || format!("{}.histograms", base()),
                        de::Error::custom(
                            "native histogram samples are not supported; query a float series (e.g. histogram_quantile)",
                        ),
                    ));
                }
                _ => {
                    map.next_value::<IgnoredAny>()
                        .map_err(|e| ctx.at(|| format!("{}.{}", base(), quote(&key)), e))?;
                }
            }
        }
        let (timestamps_millis, values) =
            points.ok_or_else(|| ctx.at(base, de::Error::missing_field("values")))?;
        Ok(PromSeries {
            labels: labels.unwrap_or_default(),
            timestamps_millis,
            values,
        })
    }
}

struct PointsSeed<'c> {
    ctx: &'c PathCtx,
    k: usize,
}

impl<'de> DeserializeSeed<'de> for PointsSeed<'_> {
    type Value = (Vec<i64>, Vec<f64>);
    fn deserialize<D: de::Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for PointsSeed<'_> {
    type Value = (Vec<i64>, Vec<f64>);
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of [timestamp, \"value\"] points")
    }
    fn visit_seq<A: SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let (ctx, k) = (self.ctx, self.k);
        let mut ts: Vec<i64> = Vec::new();
        let mut vs: Vec<f64> = Vec::new();
        let mut prev = i64::MIN;
        loop {
            let j = ts.len();
            let point = seq
                .next_element_seed(PointSeed { ctx, k, j })
                .map_err(|e| ctx.at(|| format!("$.data.result[{k}].values[{j}]"), e))?;
            let Some((t, v)) = point else {
                return Ok((ts, vs));
            };
            let ms = (t * 1000.0).round();
            let bad = |reason: String| {
                ctx.at(
                    || format!("$.data.result[{k}].values[{j}][0]"),
                    <A::Error as de::Error>::custom(reason),
                )
            };
            if ms.is_nan() || ms.abs() > MAX_ABS_MILLIS {
                return Err(bad(format!(
                    "timestamp {t} s is out of range (|t| <= {} s)",
                    MAX_ABS_MILLIS / 1000.0
                )));
            }
            let ms = ms as i64;
            if ms <= prev {
                return Err(bad(format!(
                    "timestamp {t} s is {} the previous one; a series' timestamps must be strictly increasing",
                    if ms == prev {
                        "a duplicate of"
                    } else {
                        "before"
                    }
                )));
            }
            prev = ms;
            ts.push(ms);
            vs.push(v);
        }
    }
}

/// One `[timestamp, "value"]` point.
struct PointSeed<'c> {
    ctx: &'c PathCtx,
    k: usize,
    j: usize,
}

impl<'de> DeserializeSeed<'de> for PointSeed<'_> {
    type Value = (f64, f64);
    fn deserialize<D: de::Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for PointSeed<'_> {
    type Value = (f64, f64);
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a point [timestamp, \"value\"]")
    }
    fn visit_seq<A: SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let (ctx, k, j) = (self.ctx, self.k, self.j);
        let at = |i: usize| move || format!("$.data.result[{k}].values[{j}][{i}]");
        let t: f64 = seq
            .next_element()
            .map_err(|e| ctx.at(at(0), e))?
            .ok_or_else(|| de::Error::invalid_length(0, &self))?;
        let v = seq
            .next_element_seed(ValueSeed)
            .map_err(|e| ctx.at(at(1), e))?
            .ok_or_else(|| de::Error::invalid_length(1, &self))?;
        if seq.next_element::<IgnoredAny>()?.is_some() {
            return Err(de::Error::invalid_length(3, &self));
        }
        Ok((t, v))
    }
}

/// A sample value: a string holding a number or NaN/infinity spelling (or a bare number).
struct ValueSeed;

impl<'de> DeserializeSeed<'de> for ValueSeed {
    type Value = f64;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> std::result::Result<f64, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed {
    type Value = f64;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value string such as \"1.5\", \"NaN\", \"+Inf\" or \"-Inf\"")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> std::result::Result<f64, E> {
        self.visit_str(v)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<f64, E> {
        parse_float(v).ok_or_else(|| {
            E::custom(bad_value_reason(
                v,
                "a number, \"NaN\", \"+Inf\" or \"-Inf\"",
            ))
        })
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<f64, E> {
        Ok(v)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<f64, E> {
        Ok(v as f64)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<f64, E> {
        Ok(v as f64)
    }
}
