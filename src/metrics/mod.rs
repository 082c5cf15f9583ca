//! Metric ingestion: one pair type from every reader, validated samples, and the one
//! non-finite policy.
//!
//! - [`MetricPair`], [`Series`], [`Instance`], [`Timestamps`]: a metric's baseline and canary
//!   series (a time axis and one row per instance, NaN = gap), with its tags and optional
//!   Kayenta id. Every reader returns `Vec<MetricPair>`.
//! - [`clean`]: [`MetricPair::clean`] with [`CleanOptions`] ([`NanPolicy`] and [`Combine`])
//!   gives a [`CleanedPair`]: each side a validated [`Sample`] (non-empty, all finite) or "no
//!   data", plus a serializable [`CleanRecord`]. The module states the rule for NaN and `±inf`
//!   that every layer follows.
//! - [`Sample`], [`Sample::with_policy`], [`Summary`]: validated samples of plain values.
//! - [`kayenta`]: Kayenta metric-set pairs (JSON).
//! - [`prometheus`]: Prometheus HTTP API `query_range` responses, paired by a label.
//! - [`ndarray`]: `ArrayView1`/`ArrayView2` (instances x time), borrowed without a copy when
//!   contiguous and clean.
//! - [`csv`]: CSV files in long (`metric,group,timestamp,value[,instance]`) and wide
//!   (`timestamp,baseline,canary`) layout.
//!
//! Every reader is pure: it parses a `&str`, a `&[u8]` or a caller-supplied [`std::io::Read`],
//! and never touches the network or the file system. Errors are
//! [`Error::Parse`] values naming the position in the input
//! ([`Location`]): line and column for malformed text, a JSON path for a
//! well-formed document with a wrong value.

use std::io::Read;

use crate::error::{Error, Location, Result};

pub mod clean;
pub mod csv;
mod json;
pub mod kayenta;
pub mod ndarray;
mod prom_fast;
mod prom_series;
pub mod prometheus;
mod sample;
pub mod series;

pub use clean::{Aggregate, CleanOptions, CleanRecord, CleanedPair, Combine, SideRecord};
pub use kayenta::read_metric_set_pairs;
pub use sample::{Cleaned, NanPolicy, Sample, Summary, count_finite};
pub use series::{Gap, GridLimits, Instance, MetricPair, Series, Timestamps};

/// Checks that `bytes` are UTF-8, reporting the line and column of the first bad byte.
pub(crate) fn utf8<'a>(format: &'static str, bytes: &'a [u8]) -> Result<&'a str> {
    std::str::from_utf8(bytes).map_err(|e| {
        let good = &bytes[..e.valid_up_to()];
        let line = good.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = good.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
        let column = String::from_utf8_lossy(&good[line_start..]).chars().count() + 1;
        Error::Parse {
            format,
            location: Location::LineColumn { line, column },
            reason: "the input is not valid UTF-8".to_owned(),
        }
    })
}

/// Reads a caller-supplied reader to the end.
pub(crate) fn read_all(format: &'static str, mut reader: impl Read) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    reader
        .read_to_end(&mut buf)
        .map_err(|source| Error::Io { format, source })?;
    Ok(buf)
}
