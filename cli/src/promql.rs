//! PromQL from a Kayenta metric's query config, built the way Kayenta builds it.
//!
//! This follows `PrometheusMetricsService.buildQuery` and `QueryConfigUtils.expandCustomFilter`
//! of spinnaker/kayenta (modules `kayenta-prometheus` and `kayenta-core`), read from the
//! repository, not copied:
//!
//! 1. The custom filter is expanded first. The deprecated `customFilter` field is an error (as in
//!    Kayenta). The template is `customInlineTemplate` when it is non-empty (with Orca's
//!    `$\{` escape undone), else the config's `templates[customFilterTemplate]`; with neither,
//!    there is no custom filter. Variables `${name}` are bound, in this order (later wins), to the
//!    scope's `project`, `resourceType`, `scope` and `location` (when non-empty), the query's own
//!    `resourceType` (when non-empty), then every `extendedScopeParams` entry. An undefined
//!    variable is an error, like Apache Commons Text's `StringSubstitutor` with undefined-variable
//!    exceptions enabled (`$${x}` is a literal `${x}`, `${x:-d}` defaults to `d`).
//! 2. A custom filter starting with `PromQL:` is the whole query (the rest of the string).
//! 3. Otherwise `metricName` is required and the selector is `metricName{filters}` where
//!    `filters` are the custom filter's comma-separated tokens (Java `String.split(",")`: trailing
//!    empty tokens dropped) followed by `labelBindings`; without a custom filter the resource
//!    type decides: `gce_instance` adds `<scopeLabel>=~"<scope>-.{4}"` (when a scope is given)
//!    and `zone=~".+/[projects/<project>/]zones/<location>-.{1}"` (location required);
//!    `aws_ec2_instance` adds `asg_groupName="<scope>"` (when given) and
//!    `zone=~"<location>.{1}"` (location required); any other non-empty resource type is an error,
//!    and so is neither a resource type nor a custom filter. The query's `resourceType` wins over
//!    the scope's (`extendedScopeParams.resourceType`).
//! 4. The selector is wrapped in `avg(...)`, followed by ` by (f1,f2)` for `groupByFields`.
//!
//! The scope label (`scopeLabel` in Kayenta's Prometheus configuration) defaults to `instance`.

use std::collections::BTreeMap;

use serde_json::Value;

/// One side's canary scope, as in Kayenta's `CanaryScope` / `PrometheusCanaryScope`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scope {
    /// `scope` (e.g. a server group or a version label value).
    pub scope: Option<String>,
    /// `location` (a region).
    pub location: Option<String>,
    /// `extendedScopeParams`; `project` and `resourceType` are read from here as Kayenta does.
    pub extended: BTreeMap<String, String>,
}

impl Scope {
    fn project(&self) -> Option<&str> {
        self.extended.get("project").map(String::as_str)
    }
    fn resource_type(&self) -> Option<&str> {
        self.extended.get("resourceType").map(String::as_str)
    }
}

/// The Prometheus query config of one metric (`query` with `type: prometheus`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueryConfig {
    /// `resourceType`.
    pub resource_type: Option<String>,
    /// `metricName`.
    pub metric_name: Option<String>,
    /// `labelBindings`.
    pub label_bindings: Vec<String>,
    /// `groupByFields`.
    pub group_by_fields: Vec<String>,
    /// `customFilter` (deprecated in Kayenta: an error when set).
    pub custom_filter: Option<String>,
    /// `customInlineTemplate`.
    pub custom_inline_template: Option<String>,
    /// `customFilterTemplate`.
    pub custom_filter_template: Option<String>,
}

fn non_empty(s: &Option<String>) -> Option<&str> {
    s.as_deref().filter(|s| !s.is_empty())
}

impl QueryConfig {
    /// Reads a metric's `query` object; `metric` names it in errors. A query whose `type` is not
    /// `prometheus` is an error naming the metric and the type.
    pub fn from_json(metric: &str, query: &Value) -> Result<QueryConfig, String> {
        let obj = match query {
            Value::Object(o) => o,
            Value::Null => {
                return Err(format!(
                    "metric `{metric}` has no `query`; --prometheus needs a query of type \
                     `prometheus`"
                ));
            }
            other => {
                return Err(format!(
                    "metric `{metric}`: `query` must be an object, got {other}"
                ));
            }
        };
        match obj.get("type").and_then(Value::as_str) {
            Some("prometheus") => {}
            Some(t) => {
                return Err(format!(
                    "metric `{metric}` has a query of type `{t}`; --prometheus supports only \
                     queries of type `prometheus`"
                ));
            }
            None => {
                return Err(format!(
                    "metric `{metric}`: its query has no `type`; --prometheus supports only \
                     queries of type `prometheus`"
                ));
            }
        }
        let string = |key: &str| -> Result<Option<String>, String> {
            match obj.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(v) => Err(format!(
                    "metric `{metric}`: query.{key} must be a string, got {v}"
                )),
            }
        };
        let list = |key: &str| -> Result<Vec<String>, String> {
            match obj.get(key) {
                None | Some(Value::Null) => Ok(Vec::new()),
                Some(Value::Array(a)) => a
                    .iter()
                    .map(|v| {
                        v.as_str().map(str::to_owned).ok_or_else(|| {
                            format!("metric `{metric}`: query.{key} must hold strings, got {v}")
                        })
                    })
                    .collect(),
                Some(v) => Err(format!(
                    "metric `{metric}`: query.{key} must be a list of strings, got {v}"
                )),
            }
        };
        Ok(QueryConfig {
            resource_type: string("resourceType")?,
            metric_name: string("metricName")?,
            label_bindings: list("labelBindings")?,
            group_by_fields: list("groupByFields")?,
            custom_filter: string("customFilter")?,
            custom_inline_template: string("customInlineTemplate")?,
            custom_filter_template: string("customFilterTemplate")?,
        })
    }
}

/// The fields of Kayenta's `PrometheusCanaryMetricSetQueryConfig` (plus `type` and Kayenta's
/// `serviceType`).
const QUERY_FIELDS: &[&str] = &[
    "type",
    "serviceType",
    "resourceType",
    "metricName",
    "labelBindings",
    "groupByFields",
    "customFilter",
    "customInlineTemplate",
    "customFilterTemplate",
];

/// Warnings about the metrics' queries of a canary config (its JSON): fields of a Prometheus
/// query that neither Kayenta's query builder nor this command reads, the deprecated
/// `customFilter`, and query types `canary judge --prometheus` cannot run.
pub fn query_warnings(config: &Value) -> Vec<String> {
    let mut w = Vec::new();
    let mut other: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let metrics = config.get("metrics").and_then(Value::as_array);
    for (i, m) in metrics.into_iter().flatten().enumerate() {
        let name = m.get("name").and_then(Value::as_str).unwrap_or("?");
        let Some(q) = m.get("query").and_then(Value::as_object) else {
            continue;
        };
        match q.get("type").and_then(Value::as_str) {
            Some("prometheus") => {
                let ignored: Vec<&str> = q
                    .keys()
                    .map(String::as_str)
                    .filter(|k| !QUERY_FIELDS.contains(k))
                    .collect();
                if !ignored.is_empty() {
                    w.push(format!(
                        "metrics[{i}] `{name}`: query field(s) {} are not part of Kayenta's \
                         Prometheus query config and are ignored when the query is built",
                        ignored
                            .iter()
                            .map(|k| format!("`{k}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
                if q.get("customFilter").is_some_and(|v| !v.is_null()) {
                    w.push(format!(
                        "metrics[{i}] `{name}`: query.customFilter is deprecated and refused by \
                         Kayenta's query builder (canary judge --prometheus refuses it too); \
                         use customInlineTemplate"
                    ));
                }
            }
            Some(t) => other.entry(t.to_owned()).or_default().push(name.to_owned()),
            None => {}
        }
    }
    for (t, names) in other {
        let names: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
        w.push(format!(
            "{} metric(s) with queries of type `{t}` ({}): canary judge --prometheus cannot run \
             them (give their data with --pairs, --csv or --prometheus-response)",
            names.len(),
            names.join(", ")
        ));
    }
    w
}

/// Builds the PromQL for one metric and one side's scope (see the module docs).
///
/// `templates` is the canary config's `templates` map, `scope_label` Kayenta's `scopeLabel`.
pub fn build_query(
    query: &QueryConfig,
    templates: &BTreeMap<String, String>,
    scope: &Scope,
    scope_label: &str,
) -> Result<String, String> {
    let resource_type = non_empty(&query.resource_type)
        .or(scope.resource_type())
        .filter(|s| !s.is_empty());
    let custom = expand_custom_filter(query, templates, scope)?;
    if let Some(c) = custom.as_deref()
        && let Some(promql) = c.strip_prefix("PromQL:")
    {
        return Ok(promql.to_owned());
    }
    let Some(metric_name) = non_empty(&query.metric_name) else {
        return Err(
            "metricName is required when the query is not a complete `PromQL:` \
                    template (Kayenta: \"Metric Name is required when query type is Default.\")"
                .to_owned(),
        );
    };
    let mut filters: Vec<String> = Vec::new();
    match custom.as_deref().filter(|c| !c.is_empty()) {
        Some(c) => {
            filters.extend(java_split_comma(c));
            filters.extend(query.label_bindings.iter().cloned());
        }
        None => {
            filters.extend(query.label_bindings.iter().cloned());
            let location = scope.location.as_deref().filter(|s| !s.is_empty());
            let scope_value = scope.scope.as_deref().filter(|s| !s.is_empty());
            match resource_type {
                Some("gce_instance") => {
                    let location = location.ok_or(
                        "a location (region) is required when resourceType is `gce_instance`",
                    )?;
                    if let Some(s) = scope_value {
                        filters.push(format!("{scope_label}=~\"{s}-.{{4}}\""));
                    }
                    let mut zone = ".+/".to_owned();
                    if let Some(p) = scope.project().filter(|p| !p.is_empty()) {
                        zone.push_str(&format!("projects/{p}/"));
                    }
                    zone.push_str(&format!("zones/{location}-.{{1}}"));
                    filters.push(format!("zone=~\"{zone}\""));
                }
                Some("aws_ec2_instance") => {
                    let location = location.ok_or(
                        "a location (region) is required when resourceType is `aws_ec2_instance`",
                    )?;
                    if let Some(s) = scope_value {
                        filters.push(format!("asg_groupName=\"{s}\""));
                    }
                    filters.push(format!("zone=~\"{location}.{{1}}\""));
                }
                Some(other) => {
                    return Err(format!(
                        "there is no explicit support for resourceType `{other}`; build the \
                         query with labelBindings and customInlineTemplate (or \
                         customFilterTemplate)"
                    ));
                }
                None => {
                    return Err(
                        "either a resourceType or a custom filter (customInlineTemplate \
                                or customFilterTemplate) is required"
                            .to_owned(),
                    );
                }
            }
        }
    }
    let mut q = metric_name.to_owned();
    if !filters.is_empty() {
        q.push('{');
        q.push_str(&filters.join(","));
        q.push('}');
    }
    let mut q = format!("avg({q})");
    if !query.group_by_fields.is_empty() {
        q.push_str(&format!(" by ({})", query.group_by_fields.join(",")));
    }
    Ok(q)
}

/// Java's `s.split(",")`: trailing empty strings are removed.
fn java_split_comma(s: &str) -> Vec<String> {
    let mut parts: Vec<String> = s.split(',').map(str::to_owned).collect();
    while parts.last().is_some_and(String::is_empty) {
        parts.pop();
    }
    parts
}

fn expand_custom_filter(
    query: &QueryConfig,
    templates: &BTreeMap<String, String>,
    scope: &Scope,
) -> Result<Option<String>, String> {
    if query.custom_filter.is_some() {
        return Err(
            "query.customFilter is deprecated (Kayenta refuses it); use customInlineTemplate"
                .to_owned(),
        );
    }
    let template = match (
        non_empty(&query.custom_inline_template),
        non_empty(&query.custom_filter_template),
    ) {
        (None, None) => return Ok(None),
        (Some(inline), _) => inline.replace("$\\{", "${"),
        (None, Some(name)) => {
            if templates.is_empty() {
                return Err(format!(
                    "custom filter template `{name}` is referenced, but the config defines no \
                     templates"
                ));
            }
            let t = templates
                .get(name)
                .ok_or_else(|| format!("custom filter template `{name}` was not found"))?;
            t.replace("$\\{", "${")
        }
    };
    let mut bindings: BTreeMap<String, String> = BTreeMap::new();
    let mut bind = |k: &str, v: Option<&str>| {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            bindings.insert(k.to_owned(), v.to_owned());
        }
    };
    bind("project", scope.project());
    bind("resourceType", scope.resource_type());
    bind("scope", scope.scope.as_deref());
    bind("location", scope.location.as_deref());
    bind("resourceType", query.resource_type.as_deref());
    for (k, v) in &scope.extended {
        bindings.insert(k.clone(), v.clone());
    }
    substitute(&template, &bindings, &mut Vec::new())
        .map(Some)
        .map_err(|e| format!("problem evaluating custom filter template `{template}`: {e}"))
}

/// `${name}` substitution with `StringSubstitutor`'s defaults: escape `$${`, default `:-`,
/// values substituted recursively, a cycle or an undefined variable is an error.
fn substitute(
    text: &str,
    vars: &BTreeMap<String, String>,
    stack: &mut Vec<String>,
) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos..];
        if let Some(tail) = after.strip_prefix("$${") {
            out.push_str("${");
            rest = tail;
        } else if let Some(body) = after.strip_prefix("${") {
            let Some(end) = body.find('}') else {
                out.push_str(after);
                rest = "";
                break;
            };
            let expr = &body[..end];
            let (name, default) = match expr.split_once(":-") {
                Some((n, d)) => (n, Some(d)),
                None => (expr, None),
            };
            let value = match (vars.get(name), default) {
                (Some(v), _) => v.clone(),
                (None, Some(d)) => d.to_owned(),
                (None, None) => return Err(format!("cannot resolve variable `{name}`")),
            };
            if stack.iter().any(|s| s == name) {
                return Err(format!(
                    "infinite loop in variable interpolation: {} -> {name}",
                    stack.join(" -> ")
                ));
            }
            stack.push(name.to_owned());
            out.push_str(&substitute(&value, vars, stack)?);
            stack.pop();
            rest = &body[end + 1..];
        } else {
            out.push('$');
            rest = &after[1..];
        }
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rows of Kayenta's `PrometheusMetricsServiceSpec."Can dry-run query generation"`
    /// (kayenta-prometheus/src/test/groovy/com/netflix/kayenta/prometheus/metrics/
    /// PrometheusMetricsServiceSpec.groovy, spinnaker/kayenta at a69573be): the metric name is
    /// `some-metric-name`, the location `us-central1`, the scope label `instance`, and the
    /// templates `someTemplate` / `anotherTemplate`. Each row: label bindings, custom filter
    /// template, custom inline template, resource type, scope, extended scope params, expected.
    #[allow(clippy::type_complexity)]
    const KAYENTA_ROWS: &[(
        Option<&[&str]>,
        Option<&str>,
        Option<&str>,
        Option<&str>,
        Option<&str>,
        &[(&str, &str)],
        &str,
    )] = &[
        // Rely on paved-road composition of queries.
        (
            Some(&["a=b"]),
            None,
            None,
            Some("gce_instance"),
            Some("some-server-group"),
            &[],
            r#"avg(some-metric-name{a=b,instance=~"some-server-group-.{4}",zone=~".+/zones/us-central1-.{1}"})"#,
        ),
        (
            Some(&["a=b"]),
            None,
            Some(""),
            Some("gce_instance"),
            Some("some-server-group"),
            &[],
            r#"avg(some-metric-name{a=b,instance=~"some-server-group-.{4}",zone=~".+/zones/us-central1-.{1}"})"#,
        ),
        (
            Some(&["a=b"]),
            None,
            None,
            Some("aws_ec2_instance"),
            Some("some-server-group"),
            &[],
            r#"avg(some-metric-name{a=b,asg_groupName="some-server-group",zone=~"us-central1.{1}"})"#,
        ),
        (
            Some(&["a=b"]),
            None,
            Some(""),
            Some("aws_ec2_instance"),
            Some("some-server-group"),
            &[],
            r#"avg(some-metric-name{a=b,asg_groupName="some-server-group",zone=~"us-central1.{1}"})"#,
        ),
        // Rely on custom filters and custom filter templates.
        (
            Some(&["a=b"]),
            Some("someTemplate"),
            None,
            Some("gce_instance"),
            Some("some-app-canary"),
            &[],
            "avg(some-metric-name{some-label=some-app-canary,a=b})",
        ),
        (
            Some(&["a=b"]),
            Some("someTemplate"),
            Some("customFilter=something,andSomething=else"),
            Some("gce_instance"),
            None,
            &[],
            "avg(some-metric-name{customFilter=something,andSomething=else,a=b})",
        ),
        (
            Some(&["a=b"]),
            None,
            Some("customFilter=something,andSomething=else"),
            Some("gce_instance"),
            None,
            &[],
            "avg(some-metric-name{customFilter=something,andSomething=else,a=b})",
        ),
        (
            Some(&["a=b"]),
            None,
            Some("customFilter=something,andSomething=else"),
            Some("aws_ec2_instance"),
            None,
            &[],
            "avg(some-metric-name{customFilter=something,andSomething=else,a=b})",
        ),
        (
            Some(&["a=b"]),
            None,
            Some("customFilter=something,andSomething=else"),
            Some("anything_else"),
            None,
            &[],
            "avg(some-metric-name{customFilter=something,andSomething=else,a=b})",
        ),
        (
            Some(&["a=b"]),
            Some("anotherTemplate"),
            None,
            None,
            Some("some-baseline"),
            &[],
            "avg(some-metric-name{my-server-group=some-baseline,a=b})",
        ),
        (
            Some(&["a=b"]),
            Some("anotherTemplate"),
            None,
            Some(""),
            Some("some-canary"),
            &[],
            "avg(some-metric-name{my-server-group=some-canary,a=b})",
        ),
        // Provide fully-specified PromQl expressions (including template expansion).
        (
            None,
            None,
            Some(
                r#"PromQL:histogram_quantile(0.5, prometheus_http_response_size_bytes_bucket{instance="localhost:9090",handler="/graph"})"#,
            ),
            None,
            None,
            &[],
            r#"histogram_quantile(0.5, prometheus_http_response_size_bytes_bucket{instance="localhost:9090",handler="/graph"})"#,
        ),
        (
            None,
            None,
            Some(
                r#"PromQL:histogram_quantile(0.5, prometheus_http_response_size_bytes_bucket{instance="localhost:9090",handler="${scope}"})"#,
            ),
            None,
            Some("/graph"),
            &[],
            r#"histogram_quantile(0.5, prometheus_http_response_size_bytes_bucket{instance="localhost:9090",handler="/graph"})"#,
        ),
        (
            None,
            None,
            Some(
                r#"PromQL:histogram_quantile(${quantile}, prometheus_http_response_size_bytes_bucket{instance="localhost:9090",handler="${scope}"})"#,
            ),
            None,
            Some("/graph"),
            &[("quantile", "0.99")],
            r#"histogram_quantile(0.99, prometheus_http_response_size_bytes_bucket{instance="localhost:9090",handler="/graph"})"#,
        ),
    ];

    #[test]
    fn kayenta_dry_run_query_generation() {
        let templates: BTreeMap<String, String> = [
            ("someTemplate", "some-label=${scope}"),
            ("anotherTemplate", "my-server-group=${scope}"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        for (i, (bindings, filter_template, inline, resource_type, scope, ext, expected)) in
            KAYENTA_ROWS.iter().enumerate()
        {
            let q = QueryConfig {
                resource_type: resource_type.map(str::to_owned),
                metric_name: Some("some-metric-name".to_owned()),
                label_bindings: bindings
                    .map(|b| b.iter().map(|s| s.to_string()).collect())
                    .unwrap_or_default(),
                custom_filter_template: filter_template.map(str::to_owned),
                custom_inline_template: inline.map(str::to_owned),
                ..QueryConfig::default()
            };
            let s = Scope {
                scope: scope.map(str::to_owned),
                location: Some("us-central1".to_owned()),
                extended: ext
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            };
            let got = build_query(&q, &templates, &s, "instance")
                .unwrap_or_else(|e| panic!("row {i}: {e}"));
            assert_eq!(&got, expected, "row {i}");
        }
    }

    #[test]
    fn refusals_follow_kayenta() {
        let none = BTreeMap::new();
        let scope = Scope {
            scope: Some("sg".into()),
            ..Scope::default()
        };
        let base = QueryConfig {
            metric_name: Some("m".into()),
            ..QueryConfig::default()
        };
        // Neither a resource type nor a custom filter.
        let e = build_query(&base, &none, &scope, "instance").unwrap_err();
        assert!(
            e.contains("either a resourceType or a custom filter"),
            "{e}"
        );
        // An unknown resource type without a custom filter.
        let q = QueryConfig {
            resource_type: Some("k8s_pod".into()),
            ..base.clone()
        };
        let e = build_query(&q, &none, &scope, "instance").unwrap_err();
        assert!(e.contains("`k8s_pod`"), "{e}");
        // gce_instance without a location.
        let q = QueryConfig {
            resource_type: Some("gce_instance".into()),
            ..base.clone()
        };
        let e = build_query(&q, &none, &scope, "instance").unwrap_err();
        assert!(e.contains("location"), "{e}");
        // The deprecated customFilter.
        let q = QueryConfig {
            custom_filter: Some("a=b".into()),
            ..base.clone()
        };
        assert!(
            build_query(&q, &none, &scope, "instance")
                .unwrap_err()
                .contains("deprecated")
        );
        // A template that is referenced but missing.
        let q = QueryConfig {
            custom_filter_template: Some("t".into()),
            ..base.clone()
        };
        assert!(
            build_query(&q, &none, &scope, "instance")
                .unwrap_err()
                .contains("no templates")
        );
        // An undefined variable.
        let q = QueryConfig {
            custom_inline_template: Some("PromQL:up{x=\"${nope}\"}".into()),
            ..base.clone()
        };
        assert!(
            build_query(&q, &none, &scope, "instance")
                .unwrap_err()
                .contains("`nope`")
        );
        // No metric name outside PromQL.
        let q = QueryConfig {
            custom_inline_template: Some("a=b".into()),
            ..QueryConfig::default()
        };
        assert!(
            build_query(&q, &none, &scope, "instance")
                .unwrap_err()
                .contains("metricName")
        );
    }

    #[test]
    fn project_group_by_escapes_and_defaults() {
        let none = BTreeMap::new();
        let scope = Scope {
            scope: Some("sg-v001".into()),
            location: Some("us-east1".into()),
            extended: [("project".to_string(), "p1".to_string())].into(),
        };
        let q = QueryConfig {
            resource_type: Some("gce_instance".into()),
            metric_name: Some("cpu".into()),
            group_by_fields: vec!["zone".into(), "job".into()],
            ..QueryConfig::default()
        };
        assert_eq!(
            build_query(&q, &none, &scope, "host").unwrap(),
            r#"avg(cpu{host=~"sg-v001-.{4}",zone=~".+/projects/p1/zones/us-east1-.{1}"}) by (zone,job)"#
        );
        // Orca's escaped `$\{`, the `$${` literal, a default, a trailing comma (dropped by
        // Java's split).
        let q = QueryConfig {
            metric_name: Some("m".into()),
            custom_inline_template: Some("v=\"$\\{scope}\",w=\"${zone:-z1}\",x=\"$${y}\",".into()),
            ..QueryConfig::default()
        };
        assert_eq!(
            build_query(&q, &none, &scope, "instance").unwrap(),
            r#"avg(m{v="sg-v001",w="z1",x="${y}"})"#
        );
    }

    #[test]
    fn query_warnings_name_ignored_fields_and_other_types() {
        // The shape of Kayenta's scratch/prometheus_canary_config.json metric.
        let cfg = serde_json::json!({"metrics": [
            {"name": "cpu", "query": {"type": "prometheus", "metricName": "node_cpu",
              "aggregationPeriod": "60s", "labelBindings": ["job=\"node\""],
              "sumByFields": ["mode"]}},
            {"name": "mem", "query": {"type": "atlas", "q": "name,mem,:eq"}},
            {"name": "ok", "query": {"type": "prometheus", "metricName": "up",
              "resourceType": "gce_instance"}}]});
        let w = query_warnings(&cfg);
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(
            w[0].contains("`aggregationPeriod`, `sumByFields`"),
            "{}",
            w[0]
        );
        assert!(
            w[1].contains("`mem`") && w[1].contains("`atlas`"),
            "{}",
            w[1]
        );
    }

    #[test]
    fn other_query_types_are_named() {
        let q = serde_json::json!({"type": "atlas", "q": "name,cpu,:eq"});
        let e = QueryConfig::from_json("cpu", &q).unwrap_err();
        assert!(e.contains("`cpu`") && e.contains("`atlas`"), "{e}");
        let e = QueryConfig::from_json("cpu", &Value::Null).unwrap_err();
        assert!(e.contains("no `query`"), "{e}");
    }
}
