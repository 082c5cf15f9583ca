//! Criterion benchmarks of the statistics, named `area/case/size`.
//!
//! The rank tests live in `benches/stats/rank_tests.rs`, the bootstrap in
//! `benches/stats/bootstrap.rs`; this file only wires them together.
use criterion::{criterion_group, criterion_main};

#[path = "stats/bootstrap.rs"]
mod bootstrap;
#[path = "stats/rank_tests.rs"]
mod rank_tests;

criterion_group!(benches, rank_tests::benches, bootstrap::benches);
criterion_main!(benches);
