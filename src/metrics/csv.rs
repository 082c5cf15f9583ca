//! CSV metric files, long and wide.
//!
//! **Long format**: one observation per row; the header names the columns (any order, names
//! case-insensitive), `instance` is optional:
//!
//! ```text
//! metric,group,timestamp,value,instance
//! latency,baseline,1700000000,12.5,pod-a
//! latency,canary,1700000000,NaN,pod-x
//! ```
//!
//! **Wide format**: one column per group (headers equal to [`CsvOptions::baseline`] /
//! [`CsvOptions::canary`], default `baseline` and `canary`); `metric` and `instance` are optional
//! (without `metric`, the metric is named by [`CsvOptions::metric`], default `"value"`):
//!
//! ```text
//! timestamp,baseline,canary
//! 2026-11-23T09:00:00Z,12.5,13.0
//! 2026-11-23T09:01:00Z,,13.2
//! ```
//!
//! The format is detected from the header: a `group` column means long, else baseline and canary
//! columns mean wide. Other columns are an error (a typo in a header should not silently drop
//! data).
//!
//! **Fields.** Separated by commas (or [`CsvOptions::delimiter`]); a field may be quoted with
//! `"` (a doubled `""` inside is a quote; quoted fields cannot span lines). Surrounding spaces are
//! trimmed. Lines end with `\n` or `\r\n`; blank lines are skipped.
//! - `timestamp`: Unix seconds (integer or decimal, e.g. `1700000000.25`) or RFC 3339
//!   (`2026-11-23T09:00:00Z`, `2026-11-23 09:00:00.5+01:00`); stored as integer milliseconds.
//! - `value`: a decimal number; `NaN`, `Inf`, `+Inf`, `-Inf`, `Infinity` (any case); an empty
//!   field is a gap (NaN).
//! - `group` (long format): exactly the baseline or canary name.
//!
//! **Pairing and gaps.** Rows are grouped by metric, group and instance (rows may come in any
//! order); each metric must have baseline and canary rows. A timestamp appearing twice for the same
//! metric, group and instance is an error naming both lines. Both sides of a metric are aligned on
//! one axis as described in [`series`](crate::metrics::series); a step an instance lacks is a NaN
//! gap, subject to the [`NanPolicy`](crate::metrics::NanPolicy) given to
//! [`MetricPair::clean`].
//!
//! **Errors** are [`Error::Parse`] with format `"csv"`: [`Location::LineColumn`] (1-based line,
//! 1-based byte column of the field) for a bad field, [`Location::Line`] for a ragged row, a
//! missing group or a duplicate timestamp.
//!
//! **Limits.** At most `u32::MAX` lines. Memory is the output plus 20 bytes per row.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::Read;

use serde::{Deserialize, Serialize};

use super::json::parse_float;
use super::series::{MetricPair, RawInstance, align_pair};
use crate::error::{Error, Location, Result};

const FORMAT: &str = "csv";

/// How [`read_csv`] reads a file (jiff-style builder; validated when used).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CsvOptions {
    baseline: String,
    canary: String,
    metric: String,
    step_millis: Option<i64>,
    delimiter: u8,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            baseline: "baseline".to_owned(),
            canary: "canary".to_owned(),
            metric: "value".to_owned(),
            step_millis: None,
            delimiter: b',',
        }
    }
}

impl CsvOptions {
    /// Defaults: groups `baseline` / `canary`, metric name `value` for wide files without a
    /// `metric` column, inferred step, comma delimiter.
    ///
    /// # Example
    /// ```
    /// use canary_analysis::metrics::csv::CsvOptions;
    /// let opts = CsvOptions::new().baseline("v1").canary("v2").step_millis(60_000).delimiter(b';');
    /// # let _ = opts;
    /// ```
    pub fn new() -> Self {
        Self::default()
    }
    /// The baseline group's name (long format `group` value, wide format column).
    pub fn baseline(mut self, name: impl Into<String>) -> Self {
        self.baseline = name.into();
        self
    }
    /// The canary group's name.
    pub fn canary(mut self, name: impl Into<String>) -> Self {
        self.canary = name.into();
        self
    }
    /// The metric name for a wide file without a `metric` column.
    pub fn metric(mut self, name: impl Into<String>) -> Self {
        self.metric = name.into();
        self
    }
    /// The sampling step in milliseconds (otherwise inferred).
    pub fn step_millis(mut self, step: i64) -> Self {
        self.step_millis = Some(step);
        self
    }
    /// The field delimiter (ASCII, not `"`, CR or LF).
    pub fn delimiter(mut self, delimiter: u8) -> Self {
        self.delimiter = delimiter;
        self
    }

    fn validate(&self) -> Result<()> {
        if self.baseline.is_empty() || self.canary.is_empty() || self.baseline == self.canary {
            return Err(Error::param(
                "canary",
                format!("{:?}", self.canary),
                "the baseline and canary names must be non-empty and differ",
            ));
        }
        if !self.delimiter.is_ascii() || matches!(self.delimiter, b'"' | b'\r' | b'\n') {
            return Err(Error::param(
                "delimiter",
                format!("{:?}", self.delimiter as char),
                "must be an ASCII character other than '\"', CR and LF",
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

/// Reads a long or wide CSV file (detected from the header) into baseline/canary pairs, one per
/// metric, in order of first appearance.
///
/// # Errors
/// [`Error::Parse`] (format `"csv"`) for an empty file, a header that is neither format, a
/// ragged row, a bad timestamp, value or group, a duplicate timestamp, or a metric with rows for
/// one group only; [`Error::InvalidParameter`] for invalid options.
///
/// # Example
/// ```
/// use canary_analysis::metrics::{CleanOptions, csv::{read_csv, CsvOptions}};
/// let text = "metric,group,timestamp,value\n\
///             rps,baseline,0,10\nrps,baseline,60,11\nrps,baseline,120,12\n\
///             rps,canary,0,12\nrps,canary,120,NaN\n";
/// let pairs = read_csv(text, &CsvOptions::new())?;
/// assert_eq!(pairs[0].canary().gaps()[0].start_millis, Some(60_000));
/// let cleaned = pairs[0].clean(&CleanOptions::new())?;
/// assert_eq!(cleaned.canary().map(|s| s.values()), Some(&[12.0][..]));
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub fn read_csv(text: &str, opts: &CsvOptions) -> Result<Vec<MetricPair>> {
    opts.validate()?;
    let mut rows = Rows::new(text, opts.delimiter);
    let mut header = Vec::new();
    let Some(header_line) = rows.next_row(&mut header)? else {
        return Err(Error::Parse {
            format: FORMAT,
            location: Location::Line { line: 1 },
            reason: "the file is empty (expected a header row)".to_owned(),
        });
    };
    let layout = Layout::from_header(header_line, &header, opts)?;
    let mut acc = Accumulator::default();
    let mut fields = Vec::with_capacity(header.len());
    while let Some(line) = rows.next_row(&mut fields)? {
        if fields.len() != layout.width {
            return Err(Error::Parse {
                format: FORMAT,
                location: Location::Line { line },
                reason: format!(
                    "expected {} fields as in the header, found {}",
                    layout.width,
                    fields.len()
                ),
            });
        }
        let line32 = u32::try_from(line).map_err(|_| Error::Parse {
            format: FORMAT,
            location: Location::Line { line },
            reason: "more than 4,294,967,295 lines".to_owned(),
        })?;
        let field = |i: usize| fields[i].1.as_ref();
        let col = |i: usize| fields[i].0;
        let ts = parse_timestamp(field(layout.timestamp)).ok_or_else(|| Error::Parse {
            format: FORMAT,
            location: Location::LineColumn {
                line,
                column: col(layout.timestamp),
            },
            reason: format!(
                "invalid timestamp {:?}: expected Unix seconds or RFC 3339",
                field(layout.timestamp)
            ),
        })?;
        let value = |i: usize| -> Result<f64> {
            let f = field(i);
            if f.is_empty() {
                return Ok(f64::NAN);
            }
            parse_float(f).ok_or_else(|| Error::Parse {
                format: FORMAT,
                location: Location::LineColumn {
                    line,
                    column: col(i),
                },
                reason: format!("invalid value {f:?}: expected a number, NaN, Inf or empty"),
            })
        };
        let metric = layout.metric.map_or(opts.metric.as_str(), field);
        let instance = layout.instance.map_or("", field);
        match layout.kind {
            Kind::Long { group, value: vi } => {
                let g = field(group);
                let side = if same(g, &opts.baseline) {
                    0
                } else if same(g, &opts.canary) {
                    1
                } else {
                    return Err(Error::Parse {
                        format: FORMAT,
                        location: Location::LineColumn {
                            line,
                            column: col(group),
                        },
                        reason: format!(
                            "group is {g:?}, expected {:?} or {:?}",
                            opts.baseline, opts.canary
                        ),
                    });
                };
                let v = value(vi)?;
                acc.push(metric, instance, side, ts, v, line32)?;
            }
            Kind::Wide { baseline, canary } => {
                let (b, c) = (value(baseline)?, value(canary)?);
                acc.push(metric, instance, 0, ts, b, line32)?;
                acc.push(metric, instance, 1, ts, c, line32)?;
            }
        }
    }
    acc.finish(opts)
}

/// [`read_csv`] from bytes (must be UTF-8).
///
/// # Errors
/// As [`read_csv`]; invalid UTF-8 is an [`Error::Parse`] at its line and column.
///
/// # Example
/// ```
/// use canary_analysis::metrics::csv::{read_csv_slice, CsvOptions};
/// let pairs = read_csv_slice(b"timestamp,baseline,canary\n0,1,2\n60,1.5,\n", &CsvOptions::new())?;
/// assert_eq!(pairs[0].metric(), "value");
/// assert_eq!(pairs[0].canary().gap_steps(), 1);
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub fn read_csv_slice(bytes: &[u8], opts: &CsvOptions) -> Result<Vec<MetricPair>> {
    read_csv(super::utf8(FORMAT, bytes)?, opts)
}

/// [`read_csv`] from a caller-supplied reader (read to the end first).
///
/// # Errors
/// As [`read_csv_slice`], plus [`Error::Io`] if reading fails.
///
/// # Example
/// ```
/// use canary_analysis::metrics::csv::{read_csv_reader, CsvOptions};
/// let file = &b"metric,group,timestamp,value\nm,baseline,0,1\nm,canary,0,2\n"[..];
/// assert_eq!(read_csv_reader(file, &CsvOptions::new())?.len(), 1);
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub fn read_csv_reader(reader: impl Read, opts: &CsvOptions) -> Result<Vec<MetricPair>> {
    let bytes = super::read_all(FORMAT, reader)?;
    read_csv_slice(&bytes, opts)
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Long { group: usize, value: usize },
    Wide { baseline: usize, canary: usize },
}

#[derive(Debug)]
struct Layout {
    width: usize,
    timestamp: usize,
    metric: Option<usize>,
    instance: Option<usize>,
    kind: Kind,
}

impl Layout {
    fn from_header(
        line: usize,
        header: &[(usize, Cow<'_, str>)],
        opts: &CsvOptions,
    ) -> Result<Layout> {
        let mut cols: HashMap<String, usize> = HashMap::new();
        for (i, (column, name)) in header.iter().enumerate() {
            let key = name.to_ascii_lowercase();
            if cols.insert(key, i).is_some() {
                return Err(Error::Parse {
                    format: FORMAT,
                    location: Location::LineColumn {
                        line,
                        column: *column,
                    },
                    reason: format!("duplicate column {name:?}"),
                });
            }
        }
        let find = |n: &str| cols.get(&n.to_ascii_lowercase()).copied();
        let bad = |reason: String| Error::Parse {
            format: FORMAT,
            location: Location::Line { line },
            reason,
        };
        let (kind, known): (Kind, Vec<String>) = if let Some(group) = find("group") {
            let value = find("value").ok_or_else(|| {
                bad("long format (has `group`) needs a `value` column".to_owned())
            })?;
            if find("metric").is_none() {
                return Err(bad(
                    "long format (has `group`) needs a `metric` column".to_owned()
                ));
            }
            (
                Kind::Long { group, value },
                vec![
                    "metric".into(),
                    "group".into(),
                    "timestamp".into(),
                    "value".into(),
                    "instance".into(),
                ],
            )
        } else if let (Some(baseline), Some(canary)) = (find(&opts.baseline), find(&opts.canary)) {
            (
                Kind::Wide { baseline, canary },
                vec![
                    "metric".into(),
                    "timestamp".into(),
                    "instance".into(),
                    opts.baseline.to_ascii_lowercase(),
                    opts.canary.to_ascii_lowercase(),
                ],
            )
        } else {
            return Err(bad(format!(
                "the header is neither long format (metric,group,timestamp,value[,instance]) nor wide format (timestamp,{},{}[,metric][,instance])",
                opts.baseline, opts.canary
            )));
        };
        let timestamp =
            find("timestamp").ok_or_else(|| bad("missing column `timestamp`".to_owned()))?;
        if let Some((column, name)) = header
            .iter()
            .find(|(_, n)| !known.contains(&n.to_ascii_lowercase()))
        {
            return Err(Error::Parse {
                format: FORMAT,
                location: Location::LineColumn {
                    line,
                    column: *column,
                },
                reason: format!("unknown column {name:?}"),
            });
        }
        Ok(Layout {
            width: header.len(),
            timestamp,
            metric: find("metric"),
            instance: find("instance"),
            kind,
        })
    }
}

/// Row iterator: fills the fields of the next non-blank row with their 1-based byte columns.
struct Rows<'a> {
    text: &'a str,
    pos: usize,
    line: usize,
    delimiter: u8,
}

#[inline]
fn is_blank(c: u8) -> bool {
    c == b' ' || c == b'\t'
}

impl<'a> Rows<'a> {
    fn new(text: &'a str, delimiter: u8) -> Self {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        Rows {
            text,
            pos: 0,
            line: 0,
            delimiter,
        }
    }

    /// Fills `fields` with the next non-blank row's fields and returns its line number.
    ///
    /// One pass over the bytes: fields end at the delimiter, rows at `\n` (a `\r` before it is
    /// dropped); spaces and tabs around unquoted fields are trimmed.
    fn next_row(&mut self, fields: &mut Vec<(usize, Cow<'a, str>)>) -> Result<Option<usize>> {
        let text = self.text;
        let b = text.as_bytes();
        let delim = self.delimiter;
        loop {
            if self.pos >= b.len() {
                return Ok(None);
            }
            self.line += 1;
            fields.clear();
            let line_start = self.pos;
            let mut i = self.pos;
            let mut blank = true;
            loop {
                while i < b.len() && is_blank(b[i]) && b[i] != delim {
                    i += 1;
                }
                let column = i - line_start + 1;
                if i < b.len() && b[i] == b'"' {
                    blank = false;
                    let (field, next) = quoted(text, i, delim, self.line, line_start)?;
                    fields.push((column, Cow::Owned(field)));
                    i = next;
                } else {
                    let start = i;
                    i = find2(b, i, delim, b'\n');
                    let mut end = i;
                    while end > start && (is_blank(b[end - 1]) || b[end - 1] == b'\r') {
                        end -= 1;
                    }
                    blank &= end == start && (i >= b.len() || b[i] == b'\n');
                    fields.push((column, Cow::Borrowed(&text[start..end])));
                }
                if i >= b.len() || b[i] == b'\n' {
                    self.pos = i + 1;
                    break;
                }
                // b[i] is the delimiter.
                i += 1;
            }
            if !(blank && fields.len() == 1) {
                return Ok(Some(self.line));
            }
        }
    }
}

/// The index of the first byte at or after `i` equal to `x` or `y`, or `b.len()`.
///
/// Scans eight bytes at a time: a byte of `w ^ splat(x)` is zero where `w` has `x`, and
/// `(v - 0x01..01) & !v & 0x80..80` flags the lowest zero byte of `v` exactly (flags above it
/// may be spurious, so only the lowest is used).
#[inline]
fn find2(b: &[u8], mut i: usize, x: u8, y: u8) -> usize {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let (mx, my) = (LO * u64::from(x), LO * u64::from(y));
    while let Some(chunk) = b.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        let (a, c) = (w ^ mx, w ^ my);
        let z = (a.wrapping_sub(LO) & !a & HI) | (c.wrapping_sub(LO) & !c & HI);
        if z != 0 {
            return i + (z.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < b.len() && b[i] != x && b[i] != y {
        i += 1;
    }
    i
}

/// Parses a quoted field starting at `b[i] == '"'`; returns it and the index of the byte after
/// it (a delimiter, `\n` or the end).
fn quoted(
    text: &str,
    i: usize,
    delim: u8,
    line: usize,
    line_start: usize,
) -> Result<(String, usize)> {
    let b = text.as_bytes();
    let column = i - line_start + 1;
    let mut s = String::new();
    let mut j = i + 1;
    loop {
        let Some(q) = b[j..].iter().position(|&c| c == b'"' || c == b'\n') else {
            return Err(unterminated(line, column));
        };
        if b[j + q] == b'\n' {
            return Err(unterminated(line, column));
        }
        s.push_str(&text[j..j + q]);
        j += q + 1;
        if j < b.len() && b[j] == b'"' {
            s.push('"');
            j += 1;
        } else {
            break;
        }
    }
    while j < b.len() && (is_blank(b[j]) || b[j] == b'\r') && b[j] != delim {
        j += 1;
    }
    if j < b.len() && b[j] != delim && b[j] != b'\n' {
        return Err(Error::Parse {
            format: FORMAT,
            location: Location::LineColumn {
                line,
                column: j - line_start + 1,
            },
            reason: "unexpected character after a quoted field".to_owned(),
        });
    }
    Ok((s, j))
}

fn unterminated(line: usize, column: usize) -> Error {
    Error::Parse {
        format: FORMAT,
        location: Location::LineColumn { line, column },
        reason: "unterminated quoted field (quoted fields cannot span lines)".to_owned(),
    }
}

#[derive(Debug, Default)]
struct Acc {
    ts: Vec<i64>,
    vals: Vec<f64>,
    lines: Vec<u32>,
    sorted: bool,
}

#[derive(Debug)]
struct Slot {
    metric: String,
    instance: String,
    sides: [Acc; 2],
}

#[derive(Debug, Default)]
struct Accumulator {
    slots: Vec<Slot>,
    index: HashMap<String, usize>,
    scratch: String,
    last: Option<usize>,
}

impl Accumulator {
    fn push(
        &mut self,
        metric: &str,
        instance: &str,
        side: usize,
        ts: i64,
        v: f64,
        line: u32,
    ) -> Result<()> {
        let slot = match self.last {
            Some(s)
                if same(&self.slots[s].metric, metric)
                    && same(&self.slots[s].instance, instance) =>
            {
                s
            }
            _ => {
                self.scratch.clear();
                self.scratch.push_str(metric);
                self.scratch.push('\u{1f}');
                self.scratch.push_str(instance);
                let s = match self.index.get(self.scratch.as_str()) {
                    Some(&s) => s,
                    None => {
                        self.index.insert(self.scratch.clone(), self.slots.len());
                        self.slots.push(Slot {
                            metric: metric.to_owned(),
                            instance: instance.to_owned(),
                            sides: [
                                Acc {
                                    sorted: true,
                                    ..Acc::default()
                                },
                                Acc {
                                    sorted: true,
                                    ..Acc::default()
                                },
                            ],
                        });
                        self.slots.len() - 1
                    }
                };
                self.last = Some(s);
                s
            }
        };
        let slot = &mut self.slots[slot];
        let acc = &mut slot.sides[side];
        if let (Some(&prev), Some(&prev_line)) = (acc.ts.last(), acc.lines.last()) {
            if ts == prev {
                return Err(duplicate(
                    &slot.metric,
                    &slot.instance,
                    side,
                    ts,
                    prev_line,
                    line,
                ));
            }
            if ts < prev {
                acc.sorted = false;
            }
        }
        acc.ts.push(ts);
        acc.vals.push(v);
        acc.lines.push(line);
        Ok(())
    }

    fn finish(self, opts: &CsvOptions) -> Result<Vec<MetricPair>> {
        // Group slots (instances) by metric, in order of first appearance.
        let mut order: Vec<String> = Vec::new();
        let mut by_metric: HashMap<String, Vec<Slot>> = HashMap::new();
        for slot in self.slots {
            by_metric
                .entry(slot.metric.clone())
                .or_insert_with(|| {
                    order.push(slot.metric.clone());
                    Vec::new()
                })
                .push(slot);
        }
        let mut out = Vec::with_capacity(order.len());
        for metric in order {
            let slots = by_metric.remove(&metric).unwrap_or_default();
            let mut sides: [Vec<RawInstance>; 2] = [Vec::new(), Vec::new()];
            let mut first_line = [None, None];
            for slot in slots {
                let Slot {
                    metric: m,
                    instance,
                    sides: [b, c],
                } = slot;
                for (side, mut acc) in [(0usize, b), (1usize, c)] {
                    if acc.ts.is_empty() {
                        continue;
                    }
                    if !acc.sorted {
                        let mut idx: Vec<usize> = (0..acc.ts.len()).collect();
                        idx.sort_by_key(|&i| acc.ts[i]);
                        if let Some(w) = idx.windows(2).find(|w| acc.ts[w[0]] == acc.ts[w[1]]) {
                            return Err(duplicate(
                                &m,
                                &instance,
                                side,
                                acc.ts[w[0]],
                                acc.lines[w[0]].min(acc.lines[w[1]]),
                                acc.lines[w[0]].max(acc.lines[w[1]]),
                            ));
                        }
                        acc.ts = idx.iter().map(|&i| acc.ts[i]).collect();
                        acc.vals = idx.iter().map(|&i| acc.vals[i]).collect();
                    }
                    let line = acc.lines.iter().copied().min().unwrap_or(1) as usize;
                    first_line[side] = Some(first_line[side].map_or(line, |l: usize| l.min(line)));
                    sides[side].push(RawInstance {
                        id: instance.clone(),
                        ts: acc.ts,
                        values: acc.vals,
                        origin: Location::Line { line },
                    });
                }
            }
            let [baseline, canary] = sides;
            if baseline.is_empty() || canary.is_empty() {
                let (present, missing, line) = if baseline.is_empty() {
                    (&opts.canary, &opts.baseline, first_line[1])
                } else {
                    (&opts.baseline, &opts.canary, first_line[0])
                };
                return Err(Error::Parse {
                    format: FORMAT,
                    location: Location::Line {
                        line: line.unwrap_or(1),
                    },
                    reason: format!("metric {metric:?} has {present} rows but no {missing} rows"),
                });
            }
            let (b, c) = align_pair(FORMAT, baseline, canary, opts.step_millis)?;
            out.push(MetricPair::from_parts(
                metric,
                None,
                Default::default(),
                b,
                c,
            ));
        }
        Ok(out)
    }
}

/// String equality for the short keys compared on every row. A plain byte loop: glibc's
/// vectorized `memcmp` uses masked loads that can be very slow on short strings near a page end
/// (measured: 60% of the time of a 10^7-row file).
#[inline]
fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

fn duplicate(metric: &str, instance: &str, side: usize, ts: i64, first: u32, second: u32) -> Error {
    let group = if side == 0 { "baseline" } else { "canary" };
    let inst = if instance.is_empty() {
        String::new()
    } else {
        format!(", instance {instance:?}")
    };
    Error::Parse {
        format: FORMAT,
        location: Location::Line {
            line: second as usize,
        },
        reason: format!(
            "duplicate timestamp {ts} ms for metric {metric:?}, {group}{inst}: also on line {first}"
        ),
    }
}

/// Largest timestamp magnitude accepted, in ms.
const MAX_ABS_MILLIS: i64 = 9_000_000_000_000_000;

/// Unix seconds (integer or decimal) or RFC 3339, to milliseconds.
pub(crate) fn parse_timestamp(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() >= 10 && b[4] == b'-' && b[0].is_ascii_digit() {
        return parse_rfc3339(b);
    }
    if !b.is_empty() && b.iter().all(|c| c.is_ascii_digit())
        || (b.len() > 1 && b[0] == b'-' && b[1..].iter().all(|c| c.is_ascii_digit()))
    {
        let secs: i64 = s.parse().ok()?;
        return secs.checked_mul(1000).filter(|m| m.abs() <= MAX_ABS_MILLIS);
    }
    // Decimal seconds; reject NaN/inf spellings.
    if !b
        .iter()
        .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'-' | b'+' | b'e' | b'E'))
    {
        return None;
    }
    let secs: f64 = s.parse().ok()?;
    let ms = (secs * 1000.0).round();
    (ms.abs() <= MAX_ABS_MILLIS as f64).then_some(ms as i64)
}

fn digits(b: &[u8]) -> Option<i64> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0i64, |a, &c| a * 10 + i64::from(c - b'0')))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's days-from-civil).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `YYYY-MM-DD[T ]HH:MM:SS[.fff...](Z|±HH:MM)`.
fn parse_rfc3339(b: &[u8]) -> Option<i64> {
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't' | b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let (y, mo, d) = (digits(&b[0..4])?, digits(&b[5..7])?, digits(&b[8..10])?);
    let (h, mi, s) = (
        digits(&b[11..13])?,
        digits(&b[14..16])?,
        digits(&b[17..19])?,
    );
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let month_days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&mo)
        || d < 1
        || d > month_days[(mo - 1) as usize]
        || h > 23
        || mi > 59
        || s > 60
    {
        return None;
    }
    let mut i = 19;
    let mut millis = 0i64;
    if b[i] == b'.' {
        let start = i + 1;
        i = start;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return None;
        }
        let frac = &b[start..i];
        let mut scaled = 0i64;
        for k in 0..4 {
            scaled = scaled * 10 + frac.get(k).map_or(0, |c| i64::from(c - b'0'));
        }
        // Round to the nearest millisecond (half up) from the first four digits.
        millis = (scaled + 5) / 10;
    }
    let offset_min = match b.get(i) {
        Some(b'Z' | b'z') if i + 1 == b.len() => 0,
        Some(&sign @ (b'+' | b'-')) if i + 6 == b.len() && b[i + 3] == b':' => {
            let (oh, om) = (digits(&b[i + 1..i + 3])?, digits(&b[i + 4..i + 6])?);
            if oh > 23 || om > 59 {
                return None;
            }
            let o = oh * 60 + om;
            if sign == b'-' { -o } else { o }
        }
        _ => return None,
    };
    let days = days_from_civil(y, mo, d);
    let secs =
        days * 86_400 + h * 3600 + mi * 60 + s.min(59) + i64::from(s == 60) - offset_min * 60;
    Some(secs * 1000 + millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find2_matches_a_plain_scan() {
        let text = b"abc,def\nghijklmnopqrstuvwxyz,0123456789\n,\n\xff\x80,";
        for start in 0..text.len() {
            for (x, y) in [(b',', b'\n'), (b';', b'\n'), (0x80, 0xff)] {
                let want = (start..text.len())
                    .find(|&i| text[i] == x || text[i] == y)
                    .unwrap_or(text.len());
                assert_eq!(find2(text, start, x, y), want, "start {start} x {x} y {y}");
            }
        }
    }

    #[test]
    fn rfc3339_epoch_and_offsets() {
        // The epoch itself and the definition of an offset are exact by construction.
        assert_eq!(parse_timestamp("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_timestamp("1970-01-01T01:00:00+01:00"), Some(0));
        assert_eq!(parse_timestamp("1970-01-01 00:00:00.25Z"), Some(250));
        assert_eq!(parse_timestamp("1970-01-02T00:00:00Z"), Some(86_400_000));
        assert_eq!(parse_timestamp("2026-02-30T00:00:00Z"), None);
        assert_eq!(parse_timestamp("2026-11-23T09:00:00"), None);
        assert_eq!(parse_timestamp("12"), Some(12_000));
        assert_eq!(parse_timestamp("1.5"), Some(1_500));
        assert_eq!(parse_timestamp("NaN"), None);
        assert_eq!(parse_timestamp(""), None);
    }
}
