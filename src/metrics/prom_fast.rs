//! Fast path for Prometheus `query_range` responses in their canonical shape.
//!
//! A byte scanner that accepts a strict subset of JSON: the keys Prometheus writes
//! (`status: "success"`, `data.resultType: "matrix"`, `data.result[].metric`,
//! `data.result[].values`, `warnings`/`infos` string arrays), strings without escapes, and
//! well-formed points. Anything else (an escape, an unknown key, an error response, a bad value,
//! a duplicate or decreasing timestamp, malformed JSON) makes it return `None`, and the caller
//! re-reads the document with the `serde_json` visitors, which produce the exact typed error.
//!
//! Every number is converted exactly as the slow path converts it, so the two agree bit for bit
//! (checked by the `ingest_fuzz` tests).

use std::collections::BTreeMap;

use super::json::{POW10, parse_float};
use super::prom_series::{MAX_ABS_MILLIS, PromSeries};

struct Scanner<'a> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
}

impl<'a> Scanner<'a> {
    #[inline]
    fn ws(&mut self) {
        while let Some(&c) = self.b.get(self.i) {
            if matches!(c, b' ' | b'\t' | b'\n' | b'\r') {
                self.i += 1;
            } else {
                break;
            }
        }
    }

    #[inline]
    fn eat(&mut self, c: u8) -> Option<()> {
        self.ws();
        if self.b.get(self.i) == Some(&c) {
            self.i += 1;
            Some(())
        } else {
            None
        }
    }

    /// Peeks the next non-whitespace byte.
    #[inline]
    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.b.get(self.i).copied()
    }

    /// A string without escapes or control characters.
    #[inline]
    fn string(&mut self) -> Option<&'a str> {
        self.eat(b'"')?;
        let start = self.i;
        loop {
            let c = *self.b.get(self.i)?;
            if c == b'"' {
                let out = &self.s[start..self.i];
                self.i += 1;
                return Some(out);
            }
            if c == b'\\' || c < 0x20 {
                return None;
            }
            self.i += 1;
        }
    }

    /// A JSON number (strict grammar); returns its text.
    #[inline]
    fn number(&mut self) -> Option<&'a str> {
        self.ws();
        let start = self.i;
        let b = self.b;
        let mut i = self.i;
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        match b.get(i) {
            Some(b'0') => i += 1,
            Some(b'1'..=b'9') => {
                while b.get(i).is_some_and(u8::is_ascii_digit) {
                    i += 1;
                }
            }
            _ => return None,
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            let d = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if i == d {
                return None;
            }
        }
        if matches!(b.get(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(b.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            let d = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if i == d {
                return None;
            }
        }
        self.i = i;
        Some(&self.s[start..i])
    }

    /// `{ "k": <f>, ... }` calling `f` with each key.
    fn object(&mut self, mut f: impl FnMut(&mut Self, &'a str) -> Option<()>) -> Option<()> {
        self.eat(b'{')?;
        if self.peek()? == b'}' {
            self.i += 1;
            return Some(());
        }
        loop {
            let key = self.string()?;
            self.eat(b':')?;
            f(self, key)?;
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// `[ <f>, ... ]`.
    fn array(&mut self, mut f: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.eat(b'[')?;
        if self.peek()? == b']' {
            self.i += 1;
            return Some(());
        }
        loop {
            f(self)?;
            match self.peek()? {
                b',' => self.i += 1,
                b']' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }
}

/// A timestamp in seconds, converted as serde_json + the slow path do: the JSON number as `f64`
/// (integers via `i64`/`u64`, others correctly rounded), then `round(t * 1000)`.
#[inline]
fn timestamp_millis(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    let digits = b.strip_prefix(b"-").unwrap_or(b);
    let t = if digits.len() <= 18 && digits.iter().all(u8::is_ascii_digit) {
        text.parse::<i64>().ok()? as f64
    } else {
        text.parse::<f64>().ok()?
    };
    let ms = (t * 1000.0).round();
    if ms.is_nan() || ms.abs() > MAX_ABS_MILLIS {
        return None;
    }
    Some(ms as i64)
}

impl Scanner<'_> {
    /// A point's timestamp in ms. Integers (the common case) are converted exactly, which is
    /// what the slow path's `round(t as f64 * 1000)` gives for `|t| <= 9e12`; others go through
    /// [`timestamp_millis`].
    #[inline]
    fn timestamp(&mut self) -> Option<i64> {
        self.ws();
        let start = self.i;
        let b = self.b;
        let mut i = start;
        let neg = b.get(i) == Some(&b'-');
        i += usize::from(neg);
        let first = i;
        let mut n: i64 = 0;
        while let Some(&c) = b.get(i) {
            if !c.is_ascii_digit() || i - first >= 13 {
                break;
            }
            n = n * 10 + i64::from(c - b'0');
            i += 1;
        }
        let simple = i > first
            && !(b[first] == b'0' && i - first > 1)
            && !matches!(b.get(i), Some(b'.' | b'e' | b'E' | b'0'..=b'9'));
        if simple {
            self.i = i;
            let ms = if neg { -n } else { n } * 1000;
            return (ms.unsigned_abs() <= MAX_ABS_MILLIS as u64).then_some(ms);
        }
        timestamp_millis(self.number()?)
    }

    /// A point's value string, decoded like [`parse_float`] (the inline loop is its Clinger fast
    /// path; anything else is handed to `parse_float` itself).
    #[inline]
    fn value(&mut self) -> Option<f64> {
        self.eat(b'"')?;
        let start = self.i;
        let b = self.b;
        let mut i = start;
        let neg = b.get(i) == Some(&b'-');
        i += usize::from(neg);
        let (mut m, mut digits, mut frac, mut dot) = (0u64, 0usize, 0usize, false);
        loop {
            match *b.get(i)? {
                c @ b'0'..=b'9' if digits < 15 => {
                    m = m * 10 + u64::from(c - b'0');
                    digits += 1;
                    frac += usize::from(dot);
                }
                b'.' if !dot => dot = true,
                b'"' if digits > 0 => {
                    self.i = i + 1;
                    let v = m as f64 / POW10[frac];
                    return Some(if neg { -v } else { v });
                }
                _ => break,
            }
            i += 1;
        }
        // Slow spelling (NaN, +Inf, exponent, long mantissa): back to the opening quote, read
        // the whole string and hand it to `parse_float`.
        self.i = start - 1;
        parse_float(self.string()?)
    }
}

fn points(sc: &mut Scanner<'_>) -> Option<(Vec<i64>, Vec<f64>)> {
    let mut ts: Vec<i64> = Vec::new();
    let mut vs: Vec<f64> = Vec::new();
    let mut prev = i64::MIN;
    sc.eat(b'[')?;
    if sc.peek()? == b']' {
        sc.i += 1;
        return Some((ts, vs));
    }
    loop {
        sc.eat(b'[')?;
        let t = sc.timestamp()?;
        sc.eat(b',')?;
        let v = sc.value()?;
        sc.eat(b']')?;
        if t <= prev {
            return None;
        }
        prev = t;
        ts.push(t);
        vs.push(v);
        match sc.peek()? {
            b',' => sc.i += 1,
            b']' => {
                sc.i += 1;
                return Some((ts, vs));
            }
            _ => return None,
        }
    }
}

fn series(sc: &mut Scanner<'_>) -> Option<PromSeries> {
    let mut labels: Option<BTreeMap<String, String>> = None;
    let mut pts = None;
    sc.object(|sc, key| match key {
        "metric" if labels.is_none() => {
            let mut m = BTreeMap::new();
            sc.object(|sc, k| {
                let v = sc.string()?;
                m.insert(k.to_owned(), v.to_owned()).is_none().then_some(())
            })?;
            labels = Some(m);
            Some(())
        }
        "values" if pts.is_none() => {
            pts = Some(points(sc)?);
            Some(())
        }
        _ => None,
    })?;
    let (timestamps_millis, values) = pts?;
    Some(PromSeries {
        labels: labels.unwrap_or_default(),
        timestamps_millis,
        values,
    })
}

/// Parses a canonical `query_range` success response, or returns `None` (see the module docs).
pub(crate) fn parse(json: &str) -> Option<Vec<PromSeries>> {
    let mut sc = Scanner {
        s: json,
        b: json.as_bytes(),
        i: 0,
    };
    let mut status = false;
    let mut data: Option<Vec<PromSeries>> = None;
    let mut notes = (false, false);
    sc.object(|sc, key| match key {
        "status" if !status => {
            status = sc.string()? == "success";
            status.then_some(())
        }
        "data" if data.is_none() => {
            let mut result_type = false;
            let mut result: Option<Vec<PromSeries>> = None;
            sc.object(|sc, key| match key {
                "resultType" if !result_type => {
                    result_type = sc.string()? == "matrix";
                    result_type.then_some(())
                }
                "result" if result.is_none() => {
                    let mut out = Vec::new();
                    sc.array(|sc| {
                        out.push(series(sc)?);
                        Some(())
                    })?;
                    result = Some(out);
                    Some(())
                }
                _ => None,
            })?;
            if !result_type {
                return None;
            }
            data = Some(result?);
            Some(())
        }
        "warnings" if !notes.0 => {
            notes.0 = true;
            sc.array(|sc| sc.string().map(|_| ()))
        }
        "infos" if !notes.1 => {
            notes.1 = true;
            sc.array(|sc| sc.string().map(|_| ()))
        }
        _ => None,
    })?;
    sc.ws();
    if sc.i != sc.b.len() || !status {
        return None;
    }
    data
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_documents_take_the_fast_path_and_agree_with_serde() {
        let doc = include_str!("../../fixtures/metrics/prometheus/query_range.json");
        let fast = parse(doc).expect("the shipped fixture is canonical");
        let slow = crate::metrics::prometheus::parse_query_range_serde(doc).unwrap();
        assert_eq!(fast.len(), slow.len());
        for (f, s) in fast.iter().zip(&slow) {
            assert_eq!(f.labels, s.labels);
            assert_eq!(f.timestamps_millis, s.timestamps_millis);
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&f.values), bits(&s.values));
        }
        let compact = r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1.5,"1"],[2,"+Inf"]]}]},"warnings":["w"]}"#;
        assert!(parse(compact).is_some());
        for not_canonical in [
            r#"{"status":"error","errorType":"bad_data","error":"x"}"#,
            r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#,
            r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"a":"\""},"values":[]}]}}"#,
            r#"{"status":"success","data":{"resultType":"matrix","result":[{"values":[[2,"1"],[1,"1"]]}]}}"#,
            r#"{"status":"success","data":{"resultType":"matrix","result":[]}} x"#,
            r#"{"status":"success","data":{"resultType":"matrix","result":[{"values":[[01,"1"]]}]}}"#,
            r#"{"status":"success","data":{"resultType":"matrix","result":[{"values":[[1,"x"]]}]}}"#,
            r#"{"status":"success","data":{"resultType":"matrix","result":[{"values":[[1,"1"]]}]"#,
        ] {
            assert!(parse(not_canonical).is_none(), "{not_canonical}");
        }
    }
}

#[cfg(test)]
mod equivalence {
    use proptest::prelude::*;

    use super::parse;
    use crate::metrics::prometheus::parse_query_range_serde;

    fn ws() -> impl Strategy<Value = &'static str> {
        prop::sample::select(&["", "", "", " ", "\n", " \t\r\n "][..])
    }

    /// Formats a time in ms as Prometheus might (or as a hand-written document might).
    fn format_ts(ms: i64, form: u8) -> String {
        let (s, f) = (ms.div_euclid(1000), ms.rem_euclid(1000));
        match form % 6 {
            0 if f == 0 => s.to_string(),
            0 | 1 => format!("{s}.{f:03}"),
            2 => format!("{:e}", ms as f64 / 1000.0),
            3 => format!("{s}.{f:03}4999"),
            4 => format!("{s}.{f:03}5001"),
            _ => format!("{}", ms as f64 / 1000.0),
        }
    }

    fn valid_value() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<f64>().prop_map(|v| format!("{v}")),
            any::<f64>().prop_map(|v| format!("{v:e}")),
            (any::<u32>(), 0u32..12)
                .prop_map(|(m, k)| format!("{}", m as f64 / 10f64.powi(k as i32))),
            (0u64..10_000_000_000_000_000_000).prop_map(|m| format!("{m}.5")),
            prop::sample::select(
                &[
                    "NaN", "+Inf", "-Inf", "Inf", "-0", "0.0", "-.5", "5.", "1e-400"
                ][..]
            )
            .prop_map(str::to_owned),
        ]
    }

    fn value() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<f64>().prop_map(|v| format!("{v}")),
            any::<f64>().prop_map(|v| format!("{v:e}")),
            (any::<u32>(), 0u32..12)
                .prop_map(|(m, k)| format!("{}", m as f64 / 10f64.powi(k as i32))),
            (0u64..10_000_000_000_000_000_000).prop_map(|m| format!("{m}.5")),
            prop::sample::select(
                &[
                    "NaN", "+Inf", "-Inf", "Inf", "-0", "0.0", "-.5", "5.", "1e400", "x", "", "-"
                ][..]
            )
            .prop_map(str::to_owned),
        ]
    }

    fn document() -> impl Strategy<Value = String> {
        document_with(value().boxed())
    }

    fn document_with(value: BoxedStrategy<String>) -> impl Strategy<Value = String> {
        let point = (ws(), 1i64..100_000, any::<u8>(), ws(), value, ws());
        let series = (
            prop::collection::vec(
                (
                    prop::sample::select(&["a", "b", "__name__", "version"][..]),
                    prop::sample::select(&["x", "y", "baseline", "canary"][..]),
                ),
                0..3,
            ),
            prop::collection::vec(point, 0..6),
            ws(),
            0i64..4_000_000_000_000,
        );
        (
            prop::collection::vec(series, 0..4),
            ws(),
            any::<bool>(),
            any::<bool>(),
        )
            .prop_map(|(series, w, warn, data_first)| {
                let result: Vec<String> = series
                    .into_iter()
                    .map(|(labels, points, w2, start)| {
                        // Distinct keys: a duplicate label is an error (tests/ingest_attacks.rs).
                        let mut seen = std::collections::HashSet::new();
                        let labels: Vec<String> = labels
                            .iter()
                            .filter(|(k, _)| seen.insert(*k))
                            .map(|(k, v)| format!("\"{k}\":{w2}\"{v}\""))
                            .collect();
                        let mut ms = start;
                        let points: Vec<String> = points
                            .into_iter()
                            .map(|(a, step, form, b, v, c)| {
                                ms += step;
                                format!("{a}[{},{b}\"{v}\"{c}]", format_ts(ms, form))
                            })
                            .collect();
                        format!(
                            "{{\"metric\":{{{}}},{w2}\"values\":[{}]}}",
                            labels.join(","),
                            points.join(",")
                        )
                    })
                    .collect();
                let data = format!(
                    "\"data\":{w}{{\"resultType\":\"matrix\",\"result\":[{}]}}",
                    result.join(",")
                );
                let status = "\"status\":\"success\"".to_owned();
                let mut parts = if data_first {
                    vec![data, status]
                } else {
                    vec![status, data]
                };
                if warn {
                    parts.push("\"warnings\":[\"w\"]".to_owned());
                }
                format!("{w}{{{}}}{w}", parts.join(&format!(",{w}")))
            })
    }

    fn same(a: &[super::PromSeries], b: &[super::PromSeries]) -> bool {
        a.len() == b.len()
            && a.iter().zip(b).all(|(x, y)| {
                x.labels == y.labels
                    && x.timestamps_millis == y.timestamps_millis
                    && x.values.len() == y.values.len()
                    && x.values
                        .iter()
                        .zip(&y.values)
                        .all(|(p, q)| p.to_bits() == q.to_bits())
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 1000, failure_persistence: None, ..ProptestConfig::default() })]

        /// Whatever the fast path accepts, the serde path accepts with bit-identical output.
        #[test]
        fn fast_path_agrees_with_serde(doc in document()) {
            let slow = parse_query_range_serde(&doc);
            if let Some(fast) = parse(&doc) {
                let slow = slow.expect("the fast path accepted a document the serde path rejects");
                prop_assert!(same(&fast, &slow), "{doc}");
            }
        }

        /// Mutated documents: the fast path never accepts what the serde path rejects.
        #[test]
        fn fast_path_never_accepts_more(doc in document(), cut in any::<usize>(), byte in prop::sample::select(&b"[]{},:\"0.-e "[..])) {
            let mut bytes = doc.into_bytes();
            let i = cut % (bytes.len() + 1);
            bytes.insert(i, byte);
            if let Ok(doc) = String::from_utf8(bytes)
                && let Some(fast) = parse(&doc)
            {
                let slow = parse_query_range_serde(&doc).expect("fast accepted, serde rejected");
                prop_assert!(same(&fast, &slow), "{doc}");
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 500, failure_persistence: None, ..ProptestConfig::default() })]

        /// Valid documents without escapes always take the fast path (so the agreement above is
        /// exercised), unless their labels repeat a key.
        #[test]
        fn valid_documents_take_the_fast_path(doc in document_with(valid_value().boxed())) {
            let slow = parse_query_range_serde(&doc);
            let fast = parse(&doc);
            if !doc.contains("\"a\":\"x\",\"a\"") {
                prop_assert!(slow.is_ok(), "{doc}: {slow:?}");
            }
            if let (Ok(slow), Some(fast)) = (&slow, &fast) {
                prop_assert!(same(fast, slow), "{doc}");
            }
        }
    }

    #[test]
    fn canonical_generated_documents_take_the_fast_path() {
        let doc = r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"a":"x"},"values":[[1795424400,"1.25"],[1795424415.5,"NaN"],[1795424430,"1e-3"]]}]}}"#;
        assert!(parse(doc).is_some());
    }
}
