//! Reading metrics from a live Prometheus: one `query_range` per metric and side, the PromQL
//! built from the metric's Kayenta query config ([`crate::promql`]), the two sides paired by
//! their remaining labels.

use std::collections::BTreeMap;
use std::time::Duration;

use canary_analysis::Error;
use canary_analysis::metrics::MetricPair;
use canary_analysis::metrics::prometheus::{
    PromSeries, PrometheusOptions, pair_series, parse_query_range,
};
use serde_json::Value;

use crate::progress::Progress;
use crate::promql::{QueryConfig, Scope, build_query};

/// The label the command adds to tell the two sides apart while pairing.
const SIDE_LABEL: &str = "__canary_side__";
/// The largest response body read (bytes).
const BODY_LIMIT: u64 = 1 << 30;

/// The baseline (control) and canary (experiment) scope of one scope name.
#[derive(Debug, Clone, PartialEq)]
pub struct ScopePair {
    /// Kayenta's `controlScope`.
    pub baseline: Scope,
    /// Kayenta's `experimentScope`.
    pub canary: Scope,
}

/// A time range: `start`/`end` as given (RFC 3339 or Unix seconds), `step` in seconds.
#[derive(Debug, Clone, PartialEq)]
pub struct Range {
    /// Start, passed to Prometheus as given.
    pub start: String,
    /// End, passed to Prometheus as given.
    pub end: String,
    /// Step in seconds.
    pub step_secs: f64,
}

/// Parses a step: seconds (`15`, `0.5`) or a duration with `ms`, `s`, `m`, `h` or `d`.
pub fn parse_step(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let (num, mult) = if let Some(n) = t.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = t.strip_suffix('m') {
        (n, 60.0)
    } else if let Some(n) = t.strip_suffix('h') {
        (n, 3600.0)
    } else if let Some(n) = t.strip_suffix('d') {
        (n, 86400.0)
    } else {
        (t, 1.0)
    };
    match num.parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 && x * mult >= 0.001 => Ok(x * mult),
        _ => Err(format!(
            "--step must be a positive number of seconds or a duration like 15s or 1m, got `{s}`"
        )),
    }
}

/// What Kayenta's canary execution request (`--request`) gives: the scopes by name and, when
/// every scope agrees, a time range.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// `scopes.<name>`.
    pub scopes: BTreeMap<String, ScopePair>,
    /// The range of the first scope with `start`, `end` and `step`.
    pub range: Option<Range>,
    /// Whether the request carries `thresholds`.
    pub has_thresholds: bool,
}

fn time_value(v: &Value, path: &str) -> Result<String, String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(format!(
            "{path} must be an RFC 3339 time or Unix seconds, got {other}"
        )),
    }
}

fn scope_of(v: &Value, path: &str) -> Result<(Scope, Option<Range>), String> {
    let obj = v
        .as_object()
        .ok_or_else(|| format!("{path} must be an object"))?;
    let string = |k: &str| -> Result<Option<String>, String> {
        match obj.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(format!("{path}.{k} must be a string, got {other}")),
        }
    };
    let mut extended = BTreeMap::new();
    match obj.get("extendedScopeParams") {
        None | Some(Value::Null) => {}
        Some(Value::Object(m)) => {
            for (k, v) in m {
                let s = match v {
                    Value::String(s) => s.clone(),
                    Value::Number(_) | Value::Bool(_) => v.to_string(),
                    other => {
                        return Err(format!(
                            "{path}.extendedScopeParams.{k} must be a string, got {other}"
                        ));
                    }
                };
                extended.insert(k.clone(), s);
            }
        }
        Some(other) => {
            return Err(format!(
                "{path}.extendedScopeParams must be an object, got {other}"
            ));
        }
    }
    let scope = Scope {
        scope: string("scope")?,
        location: string("location")?,
        extended,
    };
    let range = match (obj.get("start"), obj.get("end"), obj.get("step")) {
        (Some(s), Some(e), Some(step)) if !s.is_null() && !e.is_null() && !step.is_null() => {
            let step = match step {
                Value::Number(n) => n.as_f64().ok_or("step")?.to_string(),
                Value::String(s) => s.clone(),
                other => return Err(format!("{path}.step must be seconds, got {other}")),
            };
            Some(Range {
                start: time_value(s, &format!("{path}.start"))?,
                end: time_value(e, &format!("{path}.end"))?,
                step_secs: parse_step(&step).map_err(|e| format!("{path}.step: {e}"))?,
            })
        }
        _ => None,
    };
    Ok((scope, range))
}

/// Reads Kayenta's canary execution request JSON.
pub fn read_request(text: &str) -> Result<Request, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("invalid JSON: {e}"))?;
    let scopes = v
        .get("scopes")
        .and_then(Value::as_object)
        .ok_or("the request has no `scopes` object")?;
    if scopes.is_empty() {
        return Err("the request's `scopes` is empty".to_owned());
    }
    let mut out = BTreeMap::new();
    let mut range = None;
    for (name, pair) in scopes {
        let get = |k: &str| {
            pair.get(k)
                .ok_or_else(|| format!("scopes.{name} has no `{k}`"))
        };
        let (baseline, r1) =
            scope_of(get("controlScope")?, &format!("scopes.{name}.controlScope"))?;
        let (canary, r2) = scope_of(
            get("experimentScope")?,
            &format!("scopes.{name}.experimentScope"),
        )?;
        if range.is_none() {
            range = r1.or(r2);
        }
        out.insert(name.clone(), ScopePair { baseline, canary });
    }
    Ok(Request {
        scopes: out,
        range,
        has_thresholds: v.get("thresholds").is_some_and(|t| !t.is_null()),
    })
}

/// The Prometheus connection.
#[derive(Debug)]
pub struct Client {
    base: String,
    agent: ureq::Agent,
}

impl Client {
    /// A client for `url` (e.g. `http://127.0.0.1:9090`), with a per-request timeout.
    pub fn new(url: &str, timeout: Duration) -> Result<Client, String> {
        let base = url.trim_end_matches('/').to_owned();
        if !base.starts_with("http://") {
            return Err(format!(
                "--prometheus must be an http:// URL (this build has no TLS), got `{url}`"
            ));
        }
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            // Prometheus answers a bad query with 400 and a JSON error body: read it.
            .http_status_as_error(false)
            .build()
            .new_agent();
        Ok(Client { base, agent })
    }

    /// `GET /api/v1/query_range`, returning the parsed series.
    pub fn query_range(&self, query: &str, range: &Range) -> Result<Vec<PromSeries>, String> {
        let url = format!("{}/api/v1/query_range", self.base);
        let step = format!("{}", range.step_secs);
        let mut resp = self
            .agent
            .get(&url)
            .query("query", query)
            .query("start", &range.start)
            .query("end", &range.end)
            .query("step", &step)
            .call()
            .map_err(|e| format!("cannot query Prometheus at {}: {e}", self.base))?;
        let status = resp.status().as_u16();
        let body = resp
            .body_mut()
            .with_config()
            .limit(BODY_LIMIT)
            .read_to_vec()
            .map_err(|e| format!("reading the response from {url}: {e}"))?;
        let text = String::from_utf8_lossy(&body);
        match parse_query_range(&text) {
            Ok(series) => Ok(series),
            Err(Error::Upstream { kind, message, .. }) => Err(format!(
                "Prometheus refused the query (HTTP {status}, {kind}): {message}\n  query: {query}"
            )),
            Err(e) if status != 200 => {
                let snippet: String = text.chars().take(200).collect();
                Err(format!(
                    "HTTP {status} from {url} (is this a Prometheus server?): {snippet}\n  \
                     ({e})"
                ))
            }
            Err(e) => Err(format!("the response to `{query}`: {e}")),
        }
    }
}

/// Everything needed to read every config metric from Prometheus.
#[derive(Debug)]
pub struct Fetch<'a> {
    /// The connection.
    pub client: &'a Client,
    /// The canary config as JSON (its metrics' `name`, `query` and `scopeName`; the library
    /// has validated it already).
    pub config: &'a Value,
    /// The config's `templates` map.
    pub templates: &'a BTreeMap<String, String>,
    /// Scopes by name.
    pub scopes: &'a BTreeMap<String, ScopePair>,
    /// The range.
    pub range: &'a Range,
    /// Kayenta's `scopeLabel`.
    pub scope_label: &'a str,
}

/// The PromQL of every config metric, baseline and canary: `(metric, baseline, canary)`.
pub fn queries(f: &Fetch<'_>) -> Result<Vec<(String, String, String)>, String> {
    let mut out = Vec::new();
    let metrics = f
        .config
        .get("metrics")
        .and_then(Value::as_array)
        .ok_or("the config has no `metrics` array")?;
    for m in metrics {
        let name = m
            .get("name")
            .and_then(Value::as_str)
            .ok_or("a config metric has no name")?;
        let q = QueryConfig::from_json(name, m.get("query").unwrap_or(&Value::Null))?;
        let given_scope = m.get("scopeName").and_then(Value::as_str);
        let scope_name = given_scope.unwrap_or("default");
        let pair = match f.scopes.get(scope_name) {
            Some(p) => p,
            None if f.scopes.len() == 1 && given_scope.is_none() => {
                f.scopes.values().next().expect("one scope")
            }
            None => {
                let known: Vec<&str> = f.scopes.keys().map(String::as_str).collect();
                return Err(format!(
                    "metric `{name}` uses scope `{scope_name}`, which the request does not \
                     define (it has {known:?})"
                ));
            }
        };
        let build = |s: &Scope, side: &str| {
            build_query(&q, f.templates, s, f.scope_label)
                .map_err(|e| format!("metric `{name}` ({side} query): {e}"))
        };
        out.push((
            name.to_owned(),
            build(&pair.baseline, "baseline")?,
            build(&pair.canary, "canary")?,
        ));
    }
    Ok(out)
}

/// Runs every metric's two queries and pairs the sides.
pub fn fetch_pairs(f: &Fetch<'_>, progress: &mut Progress) -> Result<Vec<MetricPair>, String> {
    let qs = queries(f)?;
    let total = qs.len();
    let mut pairs = Vec::new();
    for (k, (metric, bq, cq)) in qs.into_iter().enumerate() {
        let mut sides = Vec::new();
        for (side, q) in [("baseline", &bq), ("canary", &cq)] {
            progress.show(&format!(
                "querying Prometheus: metric {}/{total} `{metric}` ({side})",
                k + 1
            ));
            let series = f
                .client
                .query_range(q, f.range)
                .map_err(|e| format!("metric `{metric}` ({side}): {e}"))?;
            if series.is_empty() {
                return Err(format!(
                    "metric `{metric}`: the {side} query returned no series between {} and {} \
                     (does the metric exist, and do the scope's labels match?)\n  query: {q}",
                    f.range.start, f.range.end
                ));
            }
            for mut s in series {
                s.labels.remove("__name__");
                s.labels.insert(SIDE_LABEL.to_owned(), side.to_owned());
                sides.push(s);
            }
        }
        let opts = PrometheusOptions::new()
            .group_label(SIDE_LABEL)
            .baseline("baseline")
            .canary("canary")
            .metric(metric.clone())
            .step_millis((f.range.step_secs * 1000.0).round() as i64);
        let paired = pair_series(sides, &opts).map_err(|e| {
            format!("metric `{metric}`: pairing the baseline and canary series: {e}")
        })?;
        pairs.extend(paired);
    }
    progress.clear();
    Ok(pairs)
}

/// Reads a saved `query_range` response (`[METRIC=]PATH`): baseline and canary told apart by
/// `opts`' group label; `metric` (when given) names every series.
pub fn read_saved(
    text: &str,
    metric: Option<&str>,
    opts: &PrometheusOptions,
) -> Result<Vec<MetricPair>, String> {
    let mut series = parse_query_range(text).map_err(|e| e.to_string())?;
    if let Some(m) = metric {
        for s in &mut series {
            s.labels.remove("__name__");
        }
        let opts = opts.clone().metric(m);
        pair_series(series, &opts).map_err(|e| e.to_string())
    } else {
        pair_series(series, opts).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps() {
        assert_eq!(parse_step("15").unwrap(), 15.0);
        assert_eq!(parse_step("1m").unwrap(), 60.0);
        assert_eq!(parse_step("500ms").unwrap(), 0.5);
        assert!(parse_step("0").is_err());
        assert!(parse_step("-5s").is_err());
        assert!(parse_step("x").is_err());
    }

    #[test]
    fn request_scopes() {
        let r = read_request(
            r#"{"scopes": {"default": {
                 "controlScope": {"scope": "v1", "location": "eu", "start": "2026-01-01T00:00:00Z",
                                  "end": "2026-01-01T01:00:00Z", "step": 60,
                                  "extendedScopeParams": {"project": "p"}},
                 "experimentScope": {"scope": "v2", "location": "eu"}}},
               "thresholds": {"pass": 90, "marginal": 50}}"#,
        )
        .unwrap();
        let d = &r.scopes["default"];
        assert_eq!(d.baseline.scope.as_deref(), Some("v1"));
        assert_eq!(d.canary.scope.as_deref(), Some("v2"));
        assert_eq!(d.baseline.extended["project"], "p");
        let range = r.range.unwrap();
        assert_eq!(range.step_secs, 60.0);
        assert_eq!(range.start, "2026-01-01T00:00:00Z");
        assert!(r.has_thresholds);
        assert!(read_request(r#"{"scopes": {}}"#).is_err());
        assert!(read_request(r#"{"scopes": {"a": {"controlScope": {}}}}"#).is_err());
    }
}
