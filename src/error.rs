//! The crate's one error type.
//!
//! Every fallible function returns [`Result<T>`](Result). Variants carry the context a user needs to
//! fix the input: which metric or parameter, which file position, and why.

use std::fmt;

/// Where in an input document a parse error was found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Location {
    /// A 1-based line and column in a text document (JSON or CSV).
    LineColumn {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// A 1-based line (record) in a line-oriented document, such as a CSV row or a JSONL line.
    Line {
        /// 1-based line.
        line: usize,
    },
    /// A JSON path such as `$.data.result[3].values[17][1]`.
    JsonPath {
        /// The path, in `$`-rooted dotted/bracket notation.
        path: String,
    },
    /// The position is not known (for example an empty document).
    Unknown,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::LineColumn { line, column } => write!(f, "line {line}, column {column}"),
            Location::Line { line } => write!(f, "line {line}"),
            Location::JsonPath { path } => write!(f, "{path}"),
            Location::Unknown => f.write_str("unknown position"),
        }
    }
}

/// Everything that can go wrong in this crate.
///
/// The enum is `#[non_exhaustive]`: match the variants you act on and keep a catch-all arm.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A sample or series holds values the operation cannot use (empty, NaN, infinite, too few
    /// points, mismatched lengths).
    #[error("invalid sample `{metric}`: {reason}")]
    InvalidSample {
        /// The metric or sample the problem is in (`"baseline"`, `"canary"`, or a metric name).
        metric: String,
        /// What is wrong.
        reason: String,
    },
    /// An option or argument is out of its domain.
    #[error("invalid parameter `{name}` = {value}: {reason}")]
    InvalidParameter {
        /// The parameter's name as the user spells it (e.g. `"confidence"`).
        name: String,
        /// The offending value, formatted.
        value: String,
        /// What the domain is.
        reason: String,
    },
    /// A document could not be read.
    #[error("cannot parse {format} at {location}: {reason}")]
    Parse {
        /// The format being read (`"kayenta"`, `"prometheus"`, `"csv"`, `"json"`, ...).
        format: &'static str,
        /// Where the problem is.
        location: Location,
        /// What is wrong.
        reason: String,
    },
    /// The data make the requested statistic undefined (all observations tied, zero variance,
    /// a degenerate bootstrap acceleration, ...).
    #[error("{statistic} is undefined for these data: {reason}")]
    Degenerate {
        /// The statistic or method that cannot be computed.
        statistic: String,
        /// Why.
        reason: String,
    },
    /// A configuration (for example a Kayenta canary config) is inconsistent.
    #[error("invalid configuration at {path}: {reason}")]
    Config {
        /// Where in the configuration (a JSON path or a metric/group name).
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// A metric source answered with an error instead of data (for example a Prometheus API
    /// response with `"status": "error"`).
    #[error("{system} returned an error ({kind}): {message}")]
    Upstream {
        /// The source (`"prometheus"`).
        system: &'static str,
        /// The source's error class (Prometheus `errorType`, e.g. `"bad_data"`).
        kind: String,
        /// The source's message.
        message: String,
    },
    /// A benchmark result file (criterion, Google Benchmark, `go test -bench`) could not be read
    /// or holds unusable samples; names the file and, where known, the benchmark.
    #[error("benchmark results `{file}`{}: {reason}", benchmark.as_ref().map(|b| format!(", benchmark `{b}`")).unwrap_or_default())]
    Bench {
        /// The file (as the caller labelled it, usually its path).
        file: String,
        /// The benchmark the problem is in, when known.
        benchmark: Option<String>,
        /// What is wrong (with a line or JSON path where known).
        reason: String,
    },
    /// Reading from a host-supplied reader failed.
    #[error("I/O error while reading {format}: {source}")]
    Io {
        /// The format being read.
        format: &'static str,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// An input or a requested computation would exceed a resource limit (memory or work). It is
    /// raised **before** the allocation or the work, so a hostile input cannot exhaust the host;
    /// every limit is an option with a documented default that a host can raise.
    #[error("{what} is too large: {requested} requested, the limit is {limit}")]
    TooLarge {
        /// What would be too large (e.g. `"aligned grid cells"`, `"exact null distribution"`).
        what: String,
        /// The limit in force, in the same unit as `requested`.
        limit: u64,
        /// What the input or call asked for.
        requested: u64,
    },
    /// An error raised by a host-implemented trait (metric source, deployment action, ...).
    #[error("host error: {0}")]
    Host(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Shorthand for [`Error::InvalidParameter`].
    pub(crate) fn param(name: &str, value: impl fmt::Display, reason: impl Into<String>) -> Self {
        Error::InvalidParameter {
            name: name.to_owned(),
            value: value.to_string(),
            reason: reason.into(),
        }
    }

    /// Shorthand for [`Error::InvalidSample`].
    pub(crate) fn sample(metric: &str, reason: impl Into<String>) -> Self {
        Error::InvalidSample {
            metric: metric.to_owned(),
            reason: reason.into(),
        }
    }

    /// Shorthand for [`Error::TooLarge`].
    #[allow(dead_code)]
    pub(crate) fn too_large(what: impl Into<String>, limit: u64, requested: u64) -> Self {
        Error::TooLarge {
            what: what.into(),
            limit,
            requested,
        }
    }

    /// Shorthand for [`Error::Degenerate`].
    pub(crate) fn degenerate(statistic: &str, reason: impl Into<String>) -> Self {
        Error::Degenerate {
            statistic: statistic.to_owned(),
            reason: reason.into(),
        }
    }
}

/// The longest excerpt of user input quoted in an error message, in characters.
pub(crate) const MAX_QUOTE_CHARS: usize = 80;

/// Quotes user input for an error message, cut to [`MAX_QUOTE_CHARS`] characters (with `…` and
/// the total length when cut), so a hostile input cannot make an unbounded message.
#[allow(dead_code)]
pub(crate) fn quote(s: &str) -> String {
    let mut chars = s.char_indices();
    match chars.nth(MAX_QUOTE_CHARS) {
        None => s.to_owned(),
        Some((cut, _)) => format!("{}… ({} bytes in all)", &s[..cut], s.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_bounds_long_input_and_keeps_short_input() {
        assert_eq!(quote("version"), "version");
        let long = "é".repeat(10_000);
        let q = quote(&long);
        assert!(q.chars().count() < MAX_QUOTE_CHARS + 40, "{q}");
        assert!(q.ends_with("(20000 bytes in all)"), "{q}");
    }
}
