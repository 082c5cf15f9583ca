//! Bounded fuzzing of every reader: random bytes and mutated valid inputs must give `Ok` or a
//! typed `Err`, never a panic, and every run must stay within a memory and time budget: peak
//! bytes allocated on the thread (counting allocator) at most [`BASE_BYTES`] +
//! [`BYTES_PER_INPUT_BYTE`] x the input size, wall time at most [`MAX_TIME`]. The readers run
//! with a small [`GridLimits`] so the grid budget, not the default 32 MiB base, is what the
//! memory bound tests. Runs under plain `cargo test` (a few hundred cases per reader).
mod ingest_common;

use std::time::Duration;

use canary_analysis::metrics::GridLimits;
use canary_analysis::metrics::csv::{CsvOptions, read_csv_slice};
use canary_analysis::metrics::kayenta::read_metric_set_pairs_slice;
use canary_analysis::metrics::prometheus::{PrometheusOptions, read_query_range_slice};
use canary_analysis::metrics::{CleanOptions, NanPolicy, ndarray::clean_view};
use proptest::prelude::*;

const KAYENTA: &str = include_str!("../fixtures/metrics/kayenta/pairs.json");
const PROMETHEUS: &str = include_str!("../fixtures/metrics/prometheus/query_range.json");
const CSV_LONG: &str = include_str!("../fixtures/metrics/csv/long.csv");
const CSV_WIDE: &str = include_str!("../fixtures/metrics/csv/wide.csv");

/// Bytes that matter to the formats, to make mutations hit structure.
const INTERESTING: &[u8] = b"[]{}\",:\n\r\\ -+.eE0123456789NaInfnul";

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Delete(usize, usize),
    Insert(usize, u8),
    Truncate(usize),
    Duplicate(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        (any::<usize>(), 1usize..16).prop_map(|(i, n)| Mutation::Delete(i, n)),
        (any::<usize>(), prop::sample::select(INTERESTING))
            .prop_map(|(i, b)| Mutation::Insert(i, b)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), 1usize..64).prop_map(|(i, n)| Mutation::Duplicate(i, n)),
    ]
}

fn mutate(base: &str, muts: &[Mutation]) -> Vec<u8> {
    let mut v = base.as_bytes().to_vec();
    for m in muts {
        let len = v.len().max(1);
        match *m {
            Mutation::Flip(i, b) => {
                if !v.is_empty() {
                    v[i % len] = b;
                }
            }
            Mutation::Delete(i, n) => {
                let i = i % len;
                let end = (i + n).min(v.len());
                if i < end {
                    v.drain(i..end);
                }
            }
            Mutation::Insert(i, b) => v.insert(i % (v.len() + 1), b),
            Mutation::Truncate(i) => v.truncate(i % (v.len() + 1)),
            Mutation::Duplicate(i, n) => {
                let i = i % len;
                let end = (i + n).min(v.len());
                let chunk: Vec<u8> = v[i.min(end)..end].to_vec();
                v.splice(end..end, chunk);
            }
        }
    }
    v
}

/// Fixed cost allowed per run (parser state, small maps), bytes.
const BASE_BYTES: usize = 256 << 10;
/// Allowed peak bytes per input byte (output series, labels, grid within the small budget).
const BYTES_PER_INPUT_BYTE: usize = 256;
/// Wall time allowed per run (generous: the machine may be loaded).
const MAX_TIME: Duration = Duration::from_secs(2);

fn limits() -> GridLimits {
    GridLimits::new().base_cells(1 << 12).cells_per_point(64)
}

/// Runs `f` on `input` and checks the memory and time budget.
fn bounded(what: &str, input: &[u8], f: impl FnOnce()) {
    let ((), peak, time) = ingest_common::measure(f);
    let budget = BASE_BYTES + BYTES_PER_INPUT_BYTE * input.len();
    assert!(
        peak <= budget,
        "{what}: peak {peak} bytes > budget {budget} for {} input bytes",
        input.len()
    );
    assert!(time <= MAX_TIME, "{what}: {time:?}");
}

fn kayenta(bytes: &[u8]) {
    bounded("kayenta", bytes, || {
        if let Ok(pairs) = read_metric_set_pairs_slice(bytes) {
            for p in pairs {
                let _ = p.clean(&CleanOptions::new());
            }
        }
    });
}

fn prometheus(bytes: &[u8]) {
    for opts in [
        PrometheusOptions::new(),
        PrometheusOptions::new().instance_label("instance"),
        PrometheusOptions::new()
            .instance_label("instance")
            .step_millis(60_000),
        PrometheusOptions::new()
            .instance_label("instance")
            .step_millis(1),
    ] {
        let opts = opts.grid_limits(limits());
        bounded("prometheus", bytes, || {
            if let Ok(pairs) = read_query_range_slice(bytes, &opts) {
                for p in pairs {
                    let _ = p.clean(&CleanOptions::new().policy(NanPolicy::Replace(0.0)));
                    let _ = p.baseline().gaps();
                }
            }
        });
    }
}

fn csv(bytes: &[u8]) {
    for opts in [CsvOptions::new(), CsvOptions::new().step_millis(60_000)] {
        let opts = opts.grid_limits(limits());
        bounded("csv", bytes, || {
            if let Ok(pairs) = read_csv_slice(bytes, &opts) {
                for p in pairs {
                    let _ = p.clean(&CleanOptions::new().policy(NanPolicy::Fail));
                    let _ = p.canary().gaps();
                }
            }
        });
    }
}

/// Runs every reader on the bytes; also cleans whatever it reads, which must not panic either.
fn all_readers(bytes: &[u8]) {
    kayenta(bytes);
    prometheus(bytes);
    csv(bytes);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        all_readers(&bytes);
    }

    #[test]
    fn random_structural_bytes_never_panic(bytes in prop::collection::vec(prop::sample::select(INTERESTING), 0..256)) {
        all_readers(&bytes);
    }

    #[test]
    fn mutated_kayenta_never_panics(muts in prop::collection::vec(mutation(), 1..6)) {
        kayenta(&mutate(KAYENTA, &muts));
    }

    #[test]
    fn mutated_prometheus_never_panics(muts in prop::collection::vec(mutation(), 1..6)) {
        prometheus(&mutate(PROMETHEUS, &muts));
    }

    #[test]
    fn mutated_csv_never_panics(muts in prop::collection::vec(mutation(), 1..6), wide in any::<bool>()) {
        csv(&mutate(if wide { CSV_WIDE } else { CSV_LONG }, &muts));
    }

    #[test]
    fn arbitrary_matrices_never_panic(
        rows in 0usize..4, cols in 0usize..6,
        vals in prop::collection::vec(prop_oneof![any::<f64>(), Just(f64::NAN), Just(f64::INFINITY)], 24),
        policy in prop_oneof![Just(NanPolicy::Remove), Just(NanPolicy::Fail), any::<f64>().prop_map(NanPolicy::Replace)],
    ) {
        let m = ndarray::Array2::from_shape_fn((rows, cols), |(i, j)| vals[i * 6 + j]);
        bounded("ndarray", &vec![0u8; 8 * m.len()], || {
            let _ = clean_view("m", m.view(), policy);
            let _ = clean_view("m", m.t(), policy);
            let _ = canary_analysis::metrics::ndarray::pair_from_views(
                "m", m.view(), m.t(), canary_analysis::metrics::Timestamps::Unknown);
        });
    }
}
