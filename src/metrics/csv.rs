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
//! **Fields.** Records are read by the [`csv`](https://docs.rs/csv) crate as RFC 4180: fields
//! separated by commas (or [`CsvOptions::delimiter`]); a field that starts with `"` is quoted, a
//! doubled `""` inside is a quote, and a quoted field may contain delimiters and line breaks
//! (it may span lines). A quoted field must be closed and be followed only by blanks and the
//! delimiter or the line end (else an error at that place). Surrounding ASCII whitespace of a
//! field is trimmed. Lines end with `\n` or `\r\n`; blank lines are skipped; a UTF-8 byte-order
//! mark is ignored.
//! - `timestamp`: Unix seconds (integer or decimal, e.g. `1700000000.25`) or RFC 3339
//!   (`2026-11-23T09:00:00Z`, `2026-11-23 09:00:00.5+01:00`), parsed by
//!   [`jiff`](https://docs.rs/jiff) (which also takes the ISO 8601 forms it documents, such as
//!   a missing seconds field or a `[UTC]` annotation, and reads a leap second `:60` as `:59`); an
//!   offset is required. Stored as integer milliseconds, rounded half up.
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
//! **Limits.** At most `u32::MAX` lines. Memory is the output plus 20 bytes per row; the
//! aligned grids of all metrics together are limited by [`CsvOptions::grid_limits`]
//! ([`Error::TooLarge`] before allocating). Time is `O(r log r + c)` for `r` rows and `c` grid
//! cells.

use std::collections::HashMap;
use std::io::Read;

use serde::{Deserialize, Serialize};

use super::json::{bad_value_reason, parse_float};
use super::series::{GridLimits, MetricPair, RawInstance, align_pair};
use crate::error::{Error, Location, Result, quote};

const FORMAT: &str = "csv";

/// How [`read_csv`] reads a file (jiff-style builder; validated when used).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CsvOptions {
    baseline: String,
    canary: String,
    metric: String,
    step_millis: Option<i64>,
    delimiter: u8,
    grid_limits: GridLimits,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            baseline: "baseline".to_owned(),
            canary: "canary".to_owned(),
            metric: "value".to_owned(),
            step_millis: None,
            delimiter: b',',
            grid_limits: GridLimits::default(),
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
    /// The budget of aligned grid cells (default [`GridLimits::default`]; see there).
    pub fn grid_limits(mut self, limits: GridLimits) -> Self {
        self.grid_limits = limits;
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
    let Some(header_line) = rows.next_row()? else {
        return Err(Error::Parse {
            format: FORMAT,
            location: Location::Line { line: 1 },
            reason: "the file is empty (expected a header row)".to_owned(),
        });
    };
    let layout = Layout::from_header(header_line, &rows, opts)?;
    let mut acc = Accumulator::default();
    let mut timestamps = TimestampParser::default();
    while let Some(line) = rows.next_row()? {
        if rows.len() != layout.width {
            return Err(Error::Parse {
                format: FORMAT,
                location: Location::Line { line },
                reason: format!(
                    "expected {} fields as in the header, found {}",
                    layout.width,
                    rows.len()
                ),
            });
        }
        let line32 = u32::try_from(line).map_err(|_| Error::Parse {
            format: FORMAT,
            location: Location::Line { line },
            reason: "more than 4,294,967,295 lines".to_owned(),
        })?;
        let field = |i: usize| rows.field(i);
        let ts = timestamps
            .parse(field(layout.timestamp))
            .ok_or_else(|| Error::Parse {
                format: FORMAT,
                location: rows.location(layout.timestamp),
                reason: format!(
                    "invalid timestamp {:?}: expected Unix seconds or RFC 3339",
                    quote(field(layout.timestamp))
                ),
            })?;
        let value = |i: usize| -> Result<f64> {
            let f = field(i);
            if f.is_empty() {
                return Ok(f64::NAN);
            }
            parse_float(f).ok_or_else(|| Error::Parse {
                format: FORMAT,
                location: rows.location(i),
                reason: bad_value_reason(f, "a number, NaN, Inf or empty"),
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
                        location: rows.location(group),
                        reason: format!(
                            "group is {:?}, expected {:?} or {:?}",
                            quote(g),
                            quote(&opts.baseline),
                            quote(&opts.canary)
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
    fn from_header(line: usize, header: &Rows<'_>, opts: &CsvOptions) -> Result<Layout> {
        let mut cols: HashMap<String, usize> = HashMap::new();
        for i in 0..header.len() {
            let name = header.field(i);
            if cols.insert(name.to_ascii_lowercase(), i).is_some() {
                return Err(Error::Parse {
                    format: FORMAT,
                    location: header.location(i),
                    reason: format!("duplicate column {:?}", quote(name)),
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
        if let Some(i) =
            (0..header.len()).find(|&i| !known.contains(&header.field(i).to_ascii_lowercase()))
        {
            return Err(Error::Parse {
                format: FORMAT,
                location: header.location(i),
                reason: format!("unknown column {:?}", quote(header.field(i))),
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

/// Row reader: RFC 4180 records by the `csv` crate (quoted fields may span lines), with the
/// fields of the current row trimmed and each field's place computed on demand for errors.
///
/// **Fast path.** A document with no `"` and no `\r` at all has no quoting to interpret: its
/// records are its lines and its fields the text between delimiters, which is exactly what the
/// `csv` crate reads from it (checked by a property test). Such documents (the usual
/// machine-written export) are split directly, borrowing every field from the input; the bench
/// (`ingest/csv_long`) measured the `csv` crate's record loop alone at about 60% of the old
/// whole-file time, which would break the 10% throughput budget. Any other document goes
/// through the `csv` crate.
struct Rows<'a> {
    text: &'a str,
    mode: Mode<'a>,
    /// Field byte ranges of the current record in `text` (fast path).
    spans: Vec<(usize, usize)>,
    /// Byte offset and 1-based line where the current record starts.
    start: usize,
    line: usize,
    delimiter: u8,
    /// Whether the current record's raw text has a quote (its fields are then unescaped copies,
    /// not slices of the input).
    quoted: bool,
}

enum Mode<'a> {
    Plain {
        pos: usize,
    },
    Csv {
        reader: Box<csv::Reader<&'a [u8]>>,
        record: csv::ByteRecord,
        has_quotes: bool,
    },
}

impl<'a> Rows<'a> {
    fn new(text: &'a str, delimiter: u8) -> Self {
        Self::build(text, delimiter, false)
    }

    /// `force_csv` sends every document through the `csv` crate (tests compare the paths).
    fn build(text: &'a str, delimiter: u8, force_csv: bool) -> Self {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let b = text.as_bytes();
        let has_quotes = b.contains(&b'"');
        let mode = if force_csv || has_quotes || b.contains(&b'\r') {
            let reader = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .delimiter(delimiter)
                .from_reader(b);
            Mode::Csv {
                reader: Box::new(reader),
                record: csv::ByteRecord::new(),
                has_quotes,
            }
        } else {
            Mode::Plain { pos: 0 }
        };
        Rows {
            text,
            mode,
            spans: Vec::new(),
            start: 0,
            line: 0,
            delimiter,
            quoted: false,
        }
    }

    /// Reads the next non-blank row and returns its (first) line number.
    fn next_row(&mut self) -> Result<Option<usize>> {
        loop {
            if !self.read()? {
                return Ok(None);
            }
            if !(self.len() == 1 && self.field(0).is_empty()) {
                return Ok(Some(self.line));
            }
        }
    }

    /// Reads the next record (blank or not); `false` at the end.
    fn read(&mut self) -> Result<bool> {
        let text = self.text;
        let b = text.as_bytes();
        match &mut self.mode {
            Mode::Plain { pos } => {
                if *pos >= b.len() {
                    return Ok(false);
                }
                self.line += 1;
                self.start = *pos;
                self.spans.clear();
                let mut i = *pos;
                loop {
                    let end = find2(b, i, self.delimiter, b'\n');
                    self.spans.push((i, end));
                    if end >= b.len() || b[end] == b'\n' {
                        *pos = end + 1;
                        return Ok(true);
                    }
                    i = end + 1;
                }
            }
            Mode::Csv {
                reader,
                record,
                has_quotes,
            } => {
                let more = reader.read_byte_record(record).map_err(|e| Error::Parse {
                    format: FORMAT,
                    location: e.position().map_or(Location::Unknown, |p| Location::Line {
                        line: p.line() as usize,
                    }),
                    reason: quote(&e.to_string()),
                })?;
                if !more {
                    return Ok(false);
                }
                (self.start, self.line) = record
                    .position()
                    .map_or((0, 1), |p| (p.byte() as usize, p.line() as usize));
                // The crate's position is where it started reading, before the blank lines it
                // skips: step over them to the record itself.
                while let Some(&c @ (b'\r' | b'\n')) = b.get(self.start) {
                    if c == b'\n' || b.get(self.start + 1) != Some(&b'\n') {
                        self.line += 1;
                    }
                    self.start += 1;
                }
                self.quoted = false;
                if *has_quotes {
                    let end = (reader.position().byte() as usize).min(b.len());
                    let raw = &b[self.start.min(end)..end];
                    if raw.contains(&b'"') {
                        self.quoted = true;
                        check_quoting(raw, self.delimiter, self.line)?;
                    }
                }
                Ok(true)
            }
        }
    }

    fn len(&self) -> usize {
        match &self.mode {
            Mode::Plain { .. } => self.spans.len(),
            Mode::Csv { record, .. } => record.len(),
        }
    }

    /// Field `i` of the current row, surrounding ASCII whitespace trimmed.
    ///
    /// Fields of a record without quotes are borrowed from the input text; a quoted record's
    /// fields are the `csv` crate's unescaped bytes, UTF-8 because the input is and only ASCII
    /// quotes were removed.
    fn field(&self, i: usize) -> &str {
        match &self.mode {
            Mode::Plain { .. } => self
                .spans
                .get(i)
                .and_then(|&(a, b)| self.text.get(a..b))
                .map_or("", str::trim_ascii),
            Mode::Csv { record, .. } => {
                let Some(bytes) = record.get(i) else {
                    return "";
                };
                if !self.quoted
                    && let Some(r) = record.range(i)
                {
                    let off = self.start + r.start + i;
                    // The comparison is cheap insurance that the offset arithmetic matched.
                    if let Some(f) = self.text.get(off..off + r.len())
                        && f.as_bytes() == bytes
                    {
                        return f.trim_ascii();
                    }
                }
                std::str::from_utf8(bytes).map_or("", str::trim_ascii)
            }
        }
    }

    /// The 1-based line and byte column where field `i` of the current row starts (after
    /// leading blanks), for errors. Walks the record's raw bytes once.
    fn location(&self, i: usize) -> Location {
        let b = self.text.as_bytes();
        let (mut j, mut line, mut line_start, mut k, mut quoted) =
            (self.start, self.line, self.start, 0, false);
        while j < b.len() && k < i {
            match b[j] {
                b'"' => quoted = !quoted,
                b'\n' if quoted => {
                    line += 1;
                    line_start = j + 1;
                }
                b'\n' => break,
                c if c == self.delimiter && !quoted => k += 1,
                _ => {}
            }
            j += 1;
        }
        while j < b.len() && matches!(b[j], b' ' | b'\t') && b[j] != self.delimiter {
            j += 1;
        }
        Location::LineColumn {
            line,
            column: j - line_start + 1,
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

/// Checks RFC 4180 quoting of one raw record (which holds a quote): a field that starts with
/// `"` must end with a closing `"` (a doubled `""` inside is a quote) followed only by blanks,
/// then a delimiter or the end of the line. The `csv` crate reads such mistakes leniently (an
/// unterminated quote swallows the rest of the file), so they are caught here with their place.
fn check_quoting(raw: &[u8], delim: u8, line: usize) -> Result<()> {
    let (mut i, mut line, mut line_start) = (0, line, 0usize);
    let at = |line: usize, line_start: usize, i: usize| Location::LineColumn {
        line,
        column: i - line_start + 1,
    };
    loop {
        // Start of a field.
        while i < raw.len() && matches!(raw[i], b' ' | b'\t') && raw[i] != delim {
            i += 1;
        }
        if i < raw.len() && raw[i] == b'"' {
            let open = at(line, line_start, i);
            i += 1;
            loop {
                match raw.get(i) {
                    None => {
                        return Err(Error::Parse {
                            format: FORMAT,
                            location: open,
                            reason: "unterminated quoted field".to_owned(),
                        });
                    }
                    Some(b'"') if raw.get(i + 1) == Some(&b'"') => i += 2,
                    Some(b'"') => {
                        i += 1;
                        break;
                    }
                    Some(b'\n') => {
                        line += 1;
                        i += 1;
                        line_start = i;
                    }
                    Some(_) => i += 1,
                }
            }
            while i < raw.len() && matches!(raw[i], b' ' | b'\t' | b'\r') && raw[i] != delim {
                i += 1;
            }
            if i < raw.len() && raw[i] != delim && raw[i] != b'\n' {
                return Err(Error::Parse {
                    format: FORMAT,
                    location: at(line, line_start, i),
                    reason: "unexpected character after a quoted field".to_owned(),
                });
            }
        } else {
            while i < raw.len() && raw[i] != delim && raw[i] != b'\n' {
                i += 1;
            }
        }
        match raw.get(i) {
            Some(&c) if c == delim => i += 1,
            _ => return Ok(()),
        }
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
        let points: u64 = self
            .slots
            .iter()
            .map(|s| (s.sides[0].ts.len() + s.sides[1].ts.len()) as u64)
            .sum();
        let mut budget = opts.grid_limits.budget(points);
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
                    reason: format!(
                        "metric {:?} has {} rows but no {} rows",
                        quote(&metric),
                        quote(present),
                        quote(missing)
                    ),
                });
            }
            let (b, c) = align_pair(FORMAT, baseline, canary, opts.step_millis, &mut budget)?;
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
        format!(", instance {:?}", quote(instance))
    };
    Error::Parse {
        format: FORMAT,
        location: Location::Line {
            line: second as usize,
        },
        reason: format!(
            "duplicate timestamp {ts} ms for metric {:?}, {group}{inst}: also on line {first}",
            quote(metric)
        ),
    }
}

/// Largest timestamp magnitude accepted, in ms.
const MAX_ABS_MILLIS: i64 = 9_000_000_000_000_000;

/// Unix seconds (integer or decimal) or RFC 3339, to milliseconds.
pub(crate) fn parse_timestamp(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() >= 10 && b[4] == b'-' && b[0].is_ascii_digit() {
        return parse_rfc3339(s);
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

/// RFC 3339 (`YYYY-MM-DD[T ]HH:MM:SS[.fff...](Z|±HH:MM)`) by `jiff`'s Temporal/ISO 8601
/// parser, rounded to the nearest millisecond (half up).
fn parse_rfc3339(s: &str) -> Option<i64> {
    let ts: jiff::Timestamp = s.parse().ok()?;
    let ms = (ts.as_nanosecond() + 500_000).div_euclid(1_000_000);
    i64::try_from(ms).ok().filter(|m| m.abs() <= MAX_ABS_MILLIS)
}

/// Timestamp parsing for one file, with a fast path for the canonical UTC shape
/// `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z`.
///
/// The fast path exists because `benches/ingest.rs` (`ingest/csv_rfc3339`) measured `jiff`'s
/// full parse at several times the cost of the rest of the row. It keeps `jiff` as the parser
/// of record: the date (`YYYY-MM-DD`) is parsed and validated by `jiff` and cached (rows of a
/// file share few dates), only the time-of-day digits are read here (hours <= 23, minutes and
/// seconds <= 59), and any other shape, including a leap second or an offset other than `Z`,
/// goes to [`parse_rfc3339`]. A unit test checks the two agree.
#[derive(Debug, Default)]
struct TimestampParser {
    /// The last date prefix seen and its midnight in ms since the epoch.
    date: Option<([u8; 10], i64)>,
}

impl TimestampParser {
    fn parse(&mut self, s: &str) -> Option<i64> {
        let b = s.as_bytes();
        if b.len() >= 20
            && b[4] == b'-'
            && b[10] == b'T'
            && b[b.len() - 1] == b'Z'
            && let Some(ms) = self.fast(b)
        {
            return Some(ms);
        }
        parse_timestamp(s)
    }

    fn fast(&mut self, b: &[u8]) -> Option<i64> {
        let two = |i: usize| -> Option<i64> {
            let (x, y) = (b[i].wrapping_sub(b'0'), b[i + 1].wrapping_sub(b'0'));
            (x < 10 && y < 10).then(|| i64::from(x) * 10 + i64::from(y))
        };
        if b[13] != b':' || b[16] != b':' {
            return None;
        }
        let (h, mi, sec) = (two(11)?, two(14)?, two(17)?);
        if h > 23 || mi > 59 || sec > 59 {
            return None;
        }
        let frac = &b[19..b.len() - 1];
        let frac_ms = match frac {
            [] => 0,
            [b'.', digits @ ..] if (1..=9).contains(&digits.len()) => {
                let mut ns = 0i64;
                for k in 0..9 {
                    let d = match digits.get(k) {
                        Some(&c) if c.is_ascii_digit() => i64::from(c - b'0'),
                        Some(_) => return None,
                        None => 0,
                    };
                    ns = ns * 10 + d;
                }
                (ns + 500_000) / 1_000_000
            }
            _ => return None,
        };
        let mut key = [0u8; 10];
        key.copy_from_slice(&b[..10]);
        let day = match self.date {
            Some((k, day)) if k == key => day,
            _ => {
                let text = std::str::from_utf8(&key).ok()?;
                let date: jiff::civil::Date = text.parse().ok()?;
                let midnight = jiff::tz::Offset::UTC
                    .to_timestamp(date.to_datetime(jiff::civil::Time::midnight()))
                    .ok()?;
                let day = midnight.as_millisecond();
                self.date = Some((key, day));
                day
            }
        };
        let ms = day + (h * 3600 + mi * 60 + sec) * 1000 + frac_ms;
        (ms.abs() <= MAX_ABS_MILLIS).then_some(ms)
    }
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

    fn records(text: &str, delimiter: u8, force_csv: bool) -> Vec<(usize, Vec<String>)> {
        let mut rows = Rows::build(text, delimiter, force_csv);
        let mut out = Vec::new();
        while let Some(line) = rows.next_row().unwrap() {
            out.push((
                line,
                (0..rows.len()).map(|i| rows.field(i).to_owned()).collect(),
            ));
        }
        out
    }

    #[test]
    fn plain_fast_path_reads_what_the_csv_crate_reads() {
        let alphabet = ['a', '1', ',', ';', '\n', ' ', '\t', 'é', '.'];
        let mut x: u64 = 0x853c_49e6_748f_ea9b;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let len = (x % 40) as usize;
            let mut y = x;
            let text: String = (0..len)
                .map(|_| {
                    y = y.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                    alphabet[(y >> 33) as usize % alphabet.len()]
                })
                .collect();
            for delimiter in [b',', b';'] {
                assert_eq!(
                    records(&text, delimiter, false),
                    records(&text, delimiter, true),
                    "{text:?}"
                );
            }
        }
    }

    #[test]
    fn timestamp_fast_path_agrees_with_jiff() {
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut p = TimestampParser::default();
        for _ in 0..100_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let f = |k: u32, m: u64| (x >> k) % m;
            let mut s = format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
                1900 + f(0, 300),
                f(9, 14),
                f(13, 33),
                f(19, 26),
                f(24, 62),
                f(30, 62)
            );
            let digits = f(36, 11) as usize;
            if digits > 0 {
                s.push('.');
                for k in 0..digits {
                    s.push(char::from(b'0' + f(40 + k as u32 * 2, 10) as u8));
                }
            }
            s.push(if f(60, 8) == 0 { 'z' } else { 'Z' });
            assert_eq!(p.parse(&s), parse_rfc3339(&s), "{s}");
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
        // Identities of the definition (jiff parses; we round to the millisecond, half up).
        let t = |s: &str| parse_timestamp(s).unwrap();
        let z = t("2026-11-23T09:00:00Z");
        assert_eq!(t("2026-11-23t09:00:00z"), z);
        assert_eq!(t("2026-11-23 10:00:00.5+01:00"), z + 500);
        assert_eq!(t("2026-11-23T09:00:00.0005Z"), z + 1);
        assert_eq!(t("2026-11-23T09:00:00.00049Z"), z);
        assert_eq!(t("1969-12-31T23:59:59.9995Z"), 0);
        // A leap second is read as :59 (jiff's rule).
        assert_eq!(t("2026-11-23T09:00:60Z"), z + 59_000);
        assert_eq!(parse_timestamp(""), None);
    }
}
