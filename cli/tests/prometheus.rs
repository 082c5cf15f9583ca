//! `canary judge --prometheus` against a stand-in Prometheus on 127.0.0.1 (a thread answering
//! `GET /api/v1/query_range` with canned bodies): the PromQL sent for each metric and side, the
//! range parameters, scopes from flags and from a Kayenta execution request, and the exit
//! status for a pass, a regression, an empty result and a refused query. The real server is
//! exercised by `scripts/prometheus-demo.sh`.

mod common;
use common::*;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

/// Decodes an `application/x-www-form-urlencoded` value.
fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let h = std::str::from_utf8(&b[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(h, 16).unwrap());
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

type Params = Vec<(String, String)>;

/// A matrix response with one series of 60 points, `level` plus a small repeating pattern.
fn matrix(level: f64) -> String {
    let values: Vec<serde_json::Value> = (0..60)
        .map(|i| {
            serde_json::json!([
                1_700_000_000 + 60 * i,
                format!("{}", level + (i % 7) as f64)
            ])
        })
        .collect();
    serde_json::json!({"status": "success", "data": {"resultType": "matrix",
        "result": [{"metric": {}, "values": values}]}})
    .to_string()
}

/// Starts the stand-in; returns its URL and the log of requests' parameters.
fn serve() -> (String, Arc<Mutex<Vec<Params>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let log = Arc::new(Mutex::new(Vec::new()));
    let log2 = Arc::clone(&log);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).is_err() {
                continue;
            }
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                    break;
                }
            }
            let target = request_line.split(' ').nth(1).unwrap_or("").to_owned();
            let (path, query) = target.split_once('?').unwrap_or((&target, ""));
            let params: Params = query
                .split('&')
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| (decode(k), decode(v)))
                .collect();
            let q = params
                .iter()
                .find(|(k, _)| k == "query")
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            log2.lock().unwrap().push(params);
            let (status, body) = if path != "/api/v1/query_range" {
                ("404 Not Found", "404 page not found".to_owned())
            } else if q.contains("broken") {
                (
                    "400 Bad Request",
                    r#"{"status":"error","errorType":"bad_data","error":"parse error: unexpected end of input"}"#.to_owned(),
                )
            } else if q.contains("nothing") {
                (
                    "200 OK",
                    r#"{"status":"success","data":{"resultType":"matrix","result":[]}}"#.to_owned(),
                )
            } else if q.contains("v2-bad") {
                ("200 OK", matrix(200.0))
            } else {
                ("200 OK", matrix(100.0))
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (url, log)
}

const CONFIG: &str = r#"{"name": "svc", "metrics": [
  {"name": "latency", "groups": ["l"], "scopeName": "default",
   "query": {"type": "prometheus", "customInlineTemplate": "PromQL:histogram_quantile(0.99, sum by (le) (rate(lat_bucket{v=\"${scope}\"}[1m])))"},
   "analysisConfigurations": {"canary": {"direction": "increase"}}},
  {"name": "cpu", "groups": ["s"],
   "query": {"type": "prometheus", "metricName": "cpu", "customFilterTemplate": "by-version",
             "labelBindings": ["job=\"api\""], "groupByFields": ["job"]},
   "analysisConfigurations": {"canary": {"direction": "increase"}}}],
  "templates": {"by-version": "v=\"${scope}\",region=\"${location}\""},
  "classifier": {"groupWeights": {"l": 50, "s": 50}}}"#;

fn queries(log: &Arc<Mutex<Vec<Params>>>) -> Vec<String> {
    log.lock()
        .unwrap()
        .iter()
        .map(|p| p.iter().find(|(k, _)| k == "query").unwrap().1.clone())
        .collect()
}

#[test]
fn flags_scopes_build_kayentas_queries_and_the_verdict_sets_the_exit() {
    let (url, log) = serve();
    let cfg = temp_file("prom-config.json", CONFIG);
    let run = |canary_scope: &str| {
        canary(
            &[
                "judge",
                "--config",
                cfg.to_str().unwrap(),
                "--prometheus",
                &url,
                "--start",
                "1700000000",
                "--end",
                "1700003540",
                "--step",
                "1m",
                "--baseline-scope",
                "v1",
                "--canary-scope",
                canary_scope,
                "--location",
                "eu-west-1",
            ],
            None,
        )
    };
    let out = run("v2");
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).starts_with("Pass: score"), "{}", stdout(&out));
    assert_eq!(
        queries(&log),
        [
            r#"histogram_quantile(0.99, sum by (le) (rate(lat_bucket{v="v1"}[1m])))"#,
            r#"histogram_quantile(0.99, sum by (le) (rate(lat_bucket{v="v2"}[1m])))"#,
            r#"avg(cpu{v="v1",region="eu-west-1",job="api"}) by (job)"#,
            r#"avg(cpu{v="v2",region="eu-west-1",job="api"}) by (job)"#,
        ]
    );
    let first = log.lock().unwrap()[0].clone();
    for (k, v) in [
        ("start", "1700000000"),
        ("end", "1700003540"),
        ("step", "60"),
    ] {
        assert!(
            first.contains(&(k.to_owned(), v.to_owned())),
            "{k}: {first:?}"
        );
    }

    let out = run("v2-bad");
    assert_eq!(code(&out), 1, "{}{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("Fail: score"), "{text}");
    assert!(
        text.contains("latency (High)") && text.contains("cpu (High)"),
        "{text}"
    );
}

#[test]
fn request_scopes_and_upstream_errors() {
    let (url, log) = serve();
    let cfg = temp_file("prom-config-2.json", CONFIG);
    let request = |canary_scope: &str| {
        temp_file(
            &format!("request-{canary_scope}.json"),
            &format!(
                r#"{{"scopes": {{"default": {{
                    "controlScope": {{"scope": "v1", "location": "us-east-1",
                        "start": "2023-11-14T22:13:20Z", "end": "2023-11-14T23:12:20Z", "step": 60}},
                    "experimentScope": {{"scope": "{canary_scope}", "location": "us-east-1",
                        "start": "2023-11-14T22:13:20Z", "end": "2023-11-14T23:12:20Z", "step": 60}}}}}},
                  "thresholds": {{"pass": 95, "marginal": 75}}}}"#
            ),
        )
    };
    let judge = |req: &std::path::Path, config: &std::path::Path| {
        canary(
            &[
                "judge",
                "--config",
                config.to_str().unwrap(),
                "--prometheus",
                &url,
                "--request",
                req.to_str().unwrap(),
                "--json",
            ],
            None,
        )
    };
    let out = judge(&request("v2"), &cfg);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["score"]["classification"], "Pass");
    assert!(
        stderr(&out).contains("request's `thresholds` are not used"),
        "{}",
        stderr(&out)
    );
    let q = queries(&log);
    assert_eq!(
        q[3],
        r#"avg(cpu{v="v2",region="us-east-1",job="api"}) by (job)"#
    );
    let first = log.lock().unwrap()[0].clone();
    assert!(first.contains(&("start".to_owned(), "2023-11-14T22:13:20Z".to_owned())));

    // An empty result: exit 2 naming the metric, the side and the query.
    let out = judge(&request("nothing"), &cfg);
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(
        err.contains("metric `latency`: the canary query returned no series")
            && err.contains(r#"lat_bucket{v="nothing"}"#),
        "{err}"
    );
    assert!(out.stdout.is_empty());

    // A query Prometheus refuses: exit 2 with Prometheus's message.
    let out = judge(&request("broken"), &cfg);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("bad_data") && stderr(&out).contains("unexpected end"),
        "{}",
        stderr(&out)
    );

    // A metric whose query is not a Prometheus query: named, with its type.
    let atlas = temp_file(
        "atlas-config.json",
        &CONFIG.replace(
            r#""type": "prometheus", "metricName""#,
            r#""type": "atlas", "metricName""#,
        ),
    );
    let out = judge(&request("v2"), &atlas);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("metric `cpu` has a query of type `atlas`"),
        "{}",
        stderr(&out)
    );

    // A metric whose scopeName the request lacks.
    let other = temp_file(
        "other-scope-config.json",
        &CONFIG.replace(r#""scopeName": "default""#, r#""scopeName": "eu""#),
    );
    let out = judge(&request("v2"), &other);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("scope `eu`"), "{}", stderr(&out));

    // Not a Prometheus at that path.
    let out = canary(
        &[
            "judge",
            "--config",
            cfg.to_str().unwrap(),
            "--prometheus",
            &format!("{url}/not-here"),
            "--request",
            request("v2").to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("HTTP 404"), "{}", stderr(&out));
}
