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
use super::prometheus::{MAX_ABS_MILLIS, PromSeries};

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
        // Slow spelling (NaN, +Inf, exponent, long mantissa): find the closing quote.
        self.i = start;
        loop {
            let c = *self.b.get(self.i)?;
            if c == b'"' {
                let text = &self.s[start..self.i];
                self.i += 1;
                return parse_float(text);
            }
            if c == b'\\' || c < 0x20 {
                return None;
            }
            self.i += 1;
        }
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
