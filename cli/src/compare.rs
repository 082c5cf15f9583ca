//! `canary compare`: compare two benchmark-suite runs (criterion directories, Google Benchmark
//! JSON or `go test -bench` text). All file and directory I/O lives here; the statistics are
//! `canary_analysis::bench`.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use canary_analysis::bench::criterion::{read_benchmark_json, read_sample_json};
use canary_analysis::bench::google::read_google_benchmark;
use canary_analysis::bench::gotest::read_go_bench;
use canary_analysis::bench::report::{render_html, render_table};
use canary_analysis::bench::{CompareOptions, ReadLimits, Samples, compare};
use canary_analysis::stats::multiplicity::Correction;
use clap::{Args, ValueEnum};

use crate::Failure;

pub(crate) const COMPARE_HELP: &str = "\
Inputs (--old and --new, each a directory or a file):
  a directory    criterion results (a copy of target/criterion): every <id>/<baseline>/sample.json
                 below it; a benchmark with one saved baseline needs no flag, --baseline NAME (or
                 --old-baseline / --new-baseline) picks one where there are several; a list
                 A,B,C takes several runs (interleaved rounds) and compares one value per run,
                 its median: on a machine whose speed varies between processes the run, not the
                 sample, is the unit (scripts/bench-compare.sh)
  *.json file    Google Benchmark --benchmark_out JSON (repetitions; aggregates skipped), or one
                 criterion sample.json
  other file     `go test -bench` output (benchstat's input, e.g. -count=20)

Per benchmark: change = Hodges-Lehmann ratio new/old on log times with its 95% interval;
p = two-sided Mann-Whitney U; p adj = Holm across the suite (--correction bh for
Benjamini-Hochberg). Verdict `slower` (a regression) = adj p <= alpha AND the whole interval
above 1 + margin; `faster` symmetric; `too few samples` when even complete separation could not
reach alpha / m, with the samples a side that would be needed. --drop-disturbed G leaves out,
per side, values more than G slower than that side's median (runs slowed by other tenants).

Exit status:
  0  no regression beyond the margin
  1  at least one benchmark is slower beyond the margin
  2  bad input or bad usage";

/// Multiplicity correction across the suite.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum CorrectionArg {
    /// Holm: family-wise error rate, any dependence (default).
    Holm,
    /// Benjamini-Hochberg: false discovery rate.
    Bh,
}

#[derive(Debug, Args)]
pub(crate) struct CompareArgs {
    /// The old (baseline) results: a criterion directory, Google Benchmark JSON or go test text.
    #[arg(long)]
    old: PathBuf,
    /// The new (canary) results, in any of the same formats.
    #[arg(long)]
    new: PathBuf,
    /// Practical margin: only a change beyond this fraction counts (0.02 = 2%).
    #[arg(long, default_value_t = 0.02)]
    margin: f64,
    /// Suite-wide level of the corrected tests.
    #[arg(long, default_value_t = 0.05)]
    alpha: f64,
    /// Multiplicity correction across the suite.
    #[arg(long, value_enum, default_value_t = CorrectionArg::Holm)]
    correction: CorrectionArg,
    /// Leave out, on each side, values more than this fraction slower than the side's median
    /// (runs disturbed by other tenants of the machine; see the bench module docs). Off by
    /// default.
    #[arg(long, value_name = "FRACTION")]
    drop_disturbed: Option<f64>,
    /// Print the comparison as JSON instead of the table.
    #[arg(long)]
    json: bool,
    /// Also write a self-contained HTML report (table and per-benchmark ECDFs) to this file.
    #[arg(long, value_name = "OUT")]
    html: Option<PathBuf>,
    /// The criterion baseline to read on both sides (where a benchmark has several); a
    /// comma-separated list compares one value (the median) per listed run.
    #[arg(long, value_name = "NAME[,NAME...]")]
    baseline: Option<String>,
    /// The criterion baseline(s) of --old (overrides --baseline).
    #[arg(long, value_name = "NAME[,NAME...]")]
    old_baseline: Option<String>,
    /// The criterion baseline(s) of --new (overrides --baseline).
    #[arg(long, value_name = "NAME[,NAME...]")]
    new_baseline: Option<String>,
}

/// Largest number of directory entries visited under a criterion directory.
const MAX_ENTRIES: usize = 1_000_000;
/// Deepest directory nesting visited.
const MAX_DEPTH: usize = 32;

pub(crate) fn run(args: &CompareArgs) -> Result<ExitCode, Failure> {
    let limits = ReadLimits::new();
    let old_bl = args.old_baseline.as_deref().or(args.baseline.as_deref());
    let new_bl = args.new_baseline.as_deref().or(args.baseline.as_deref());
    let old = load(&args.old, old_bl, &limits)?;
    let new = load(&args.new, new_bl, &limits)?;
    let opts = CompareOptions::new()
        .margin(args.margin)
        .alpha(args.alpha)
        .drop_disturbed(args.drop_disturbed)
        .correction(match args.correction {
            CorrectionArg::Holm => Correction::Holm,
            CorrectionArg::Bh => Correction::BenjaminiHochberg,
        });
    let suite = compare(&old, &new, &opts)?;
    if let Some(out) = &args.html {
        std::fs::write(out, render_html(&old, &new, &suite))
            .map_err(|e| Failure(format!("cannot write {}: {e}", out.display())))?;
    }
    let mut stdout = io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut stdout, &suite)?;
        writeln!(stdout)?;
    } else {
        write!(stdout, "{}", render_table(&suite))?;
    }
    stdout.flush()?;
    Ok(if suite.has_regression() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn read_limited(path: &Path, limits: &ReadLimits) -> Result<String, Failure> {
    let meta = std::fs::metadata(path)
        .map_err(|e| Failure(format!("cannot read {}: {e}", path.display())))?;
    if meta.len() > limits.get_max_bytes() as u64 {
        return Err(Failure(format!(
            "{}: {} bytes, more than the {} byte limit",
            path.display(),
            meta.len(),
            limits.get_max_bytes()
        )));
    }
    crate::read(path)
}

/// Reads one side: a criterion directory, or a file in any supported format.
fn load(path: &Path, baseline: Option<&str>, limits: &ReadLimits) -> Result<Vec<Samples>, Failure> {
    let meta = std::fs::metadata(path)
        .map_err(|e| Failure(format!("cannot read {}: {e}", path.display())))?;
    if meta.is_dir() {
        return load_criterion_dir(path, baseline, limits);
    }
    let label = path.display().to_string();
    let text = read_limited(path, limits)?;
    if path.file_name().is_some_and(|n| n == "sample.json") {
        let name = criterion_name(path.parent().unwrap_or(path), path, limits)?;
        return Ok(vec![read_sample_json(&label, &name, &text, limits)?]);
    }
    if text.trim_start().starts_with('{') {
        Ok(read_google_benchmark(&label, &text, limits)?)
    } else {
        Ok(read_go_bench(&label, &text, limits)?)
    }
}

/// The benchmark's name: `full_id` of the `benchmark.json` next to `sample`, else the
/// benchmark directory's path below the root.
fn criterion_name(fallback: &Path, sample: &Path, limits: &ReadLimits) -> Result<String, Failure> {
    let bj = sample.with_file_name("benchmark.json");
    if bj.is_file() {
        let text = read_limited(&bj, limits)?;
        return Ok(read_benchmark_json(
            &bj.display().to_string(),
            &text,
            limits,
        )?);
    }
    Ok(fallback.display().to_string())
}

fn load_criterion_dir(
    root: &Path,
    baseline: Option<&str>,
    limits: &ReadLimits,
) -> Result<Vec<Samples>, Failure> {
    // benchmark directory -> baseline name -> sample.json path
    let mut found: BTreeMap<PathBuf, BTreeMap<String, PathBuf>> = BTreeMap::new();
    let mut stack = vec![(root.to_path_buf(), 0usize)];
    let mut entries = 0usize;
    while let Some((dir, depth)) = stack.pop() {
        let rd = std::fs::read_dir(&dir)
            .map_err(|e| Failure(format!("cannot read {}: {e}", dir.display())))?;
        for entry in rd {
            let entry =
                entry.map_err(|e| Failure(format!("cannot read {}: {e}", dir.display())))?;
            entries += 1;
            if entries > MAX_ENTRIES {
                return Err(Failure(format!(
                    "{}: more than {MAX_ENTRIES} directory entries",
                    root.display()
                )));
            }
            let ft = entry
                .file_type()
                .map_err(|e| Failure(format!("cannot read {}: {e}", entry.path().display())))?;
            let p = entry.path();
            if ft.is_dir() {
                if depth < MAX_DEPTH {
                    stack.push((p, depth + 1));
                }
            } else if ft.is_file() && entry.file_name() == "sample.json" {
                let base_dir = p.parent().expect("a file has a parent");
                let (Some(bench_dir), Some(bl)) = (base_dir.parent(), base_dir.file_name()) else {
                    continue;
                };
                found
                    .entry(bench_dir.to_path_buf())
                    .or_default()
                    .insert(bl.to_string_lossy().into_owned(), p.clone());
            }
        }
    }
    if found.is_empty() {
        return Err(Failure(format!(
            "{}: no criterion results (no <benchmark>/<baseline>/sample.json below it)",
            root.display()
        )));
    }
    let names: Option<Vec<&str>> = baseline.map(|b| b.split(',').map(str::trim).collect());
    if let Some(n) = &names {
        let distinct: std::collections::BTreeSet<&str> = n.iter().copied().collect();
        if n.iter().any(|x| x.is_empty()) || distinct.len() != n.len() {
            return Err(Failure(format!(
                "--baseline `{}`: an empty or repeated name in the list (each run counts once)",
                baseline.unwrap_or_default()
            )));
        }
    }
    let mut picked: Vec<(PathBuf, Vec<PathBuf>)> = Vec::new();
    for (bench_dir, baselines) in &found {
        let rel = bench_dir.strip_prefix(root).unwrap_or(bench_dir);
        let samples: Vec<PathBuf> = match &names {
            Some(names) => names
                .iter()
                .filter_map(|n| baselines.get(*n).cloned())
                .collect(),
            None if baselines.len() == 1 => baselines.values().cloned().collect(),
            None => {
                return Err(Failure(format!(
                    "{}: benchmark `{}` has several saved baselines ({}); pick one with \
                     --baseline NAME (or --old-baseline / --new-baseline)",
                    root.display(),
                    rel.display(),
                    baselines.keys().cloned().collect::<Vec<_>>().join(", ")
                )));
            }
        };
        if !samples.is_empty() {
            picked.push((rel.to_path_buf(), samples));
        }
    }
    if picked.is_empty() {
        let all: std::collections::BTreeSet<&String> =
            found.values().flat_map(|b| b.keys()).collect();
        return Err(Failure(format!(
            "{}: no benchmark has a saved baseline `{}` (found: {})",
            root.display(),
            baseline.unwrap_or_default(),
            all.into_iter().cloned().collect::<Vec<_>>().join(", ")
        )));
    }
    let several = names.as_ref().is_some_and(|n| n.len() > 1);
    let mut out = Vec::with_capacity(picked.len());
    for (rel, samples) in picked {
        let name = criterion_name(&rel, &samples[0], limits)?;
        let mut runs = Vec::with_capacity(samples.len());
        for sample in &samples {
            let text = read_limited(sample, limits)?;
            runs.push(read_sample_json(
                &sample.display().to_string(),
                &name,
                &text,
                limits,
            )?);
        }
        if several {
            out.push(Samples::per_run(name, &runs)?);
        } else {
            out.extend(runs);
        }
    }
    Ok(out)
}
