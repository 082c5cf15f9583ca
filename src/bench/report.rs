//! Rendering of a [`SuiteComparison`]: a benchstat-style text table and a self-contained HTML
//! report with one ECDF panel per benchmark (inline SVG, no scripts, no network references).

use std::fmt::Write as _;

use super::{Samples, SuiteComparison, Verdict};

/// Formats nanoseconds with a unit and four significant digits (`1.234µs`).
///
/// # Example
/// ```
/// use canary_analysis::bench::report::format_ns;
/// assert_eq!(format_ns(1234.0), "1.234µs");
/// assert_eq!(format_ns(12.5), "12.50ns");
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub fn format_ns(ns: f64) -> String {
    let (v, unit) = if ns >= 1e9 {
        (ns / 1e9, "s")
    } else if ns >= 1e6 {
        (ns / 1e6, "ms")
    } else if ns >= 1e3 {
        (ns / 1e3, "µs")
    } else {
        (ns, "ns")
    };
    let digits = if v >= 100.0 {
        1
    } else if v >= 10.0 {
        2
    } else {
        3
    };
    format!("{v:.digits$}{unit}")
}

fn pct(r: f64) -> String {
    format!("{:+.2}%", (r - 1.0) * 100.0)
}

/// The change column: `+5.10% [+3.20%, +7.00%]`.
fn change(b: &super::BenchmarkComparison) -> String {
    format!(
        "{} [{}, {}]",
        pct(b.ratio),
        pct(b.ratio_lower),
        pct(b.ratio_upper)
    )
}

fn verdict_text(b: &super::BenchmarkComparison) -> String {
    match (b.verdict, b.samples_needed) {
        (Verdict::TooFewSamples, Some(n)) => format!("too few samples (need {n} a side)"),
        (Verdict::NoChange, _) if b.significant => "no change (within margin)".to_owned(),
        (v, _) => v.as_str().to_owned(),
    }
}

/// Renders the benchstat-style table: name, old and new medians (with `n`), the change with
/// its interval, the raw and adjusted p-values, and the verdict, then a summary line.
///
/// # Example
/// ```
/// use canary_analysis::bench::{compare, report::render_table, CompareOptions, Samples};
/// let s = Samples::new("sort/n=10", vec![100.0, 101.0, 99.0, 102.0, 98.0])?;
/// let suite = compare(&[s.clone()], &[s], &CompareOptions::new())?;
/// let table = render_table(&suite);
/// assert!(table.contains("sort/n=10") && table.contains("no change"));
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub fn render_table(suite: &SuiteComparison) -> String {
    let head = vec![
        "name".to_owned(),
        "old".to_owned(),
        "new".to_owned(),
        format!("change [{:.0}% CI]", suite.confidence * 100.0),
        "p".to_owned(),
        "p adj".to_owned(),
        "verdict".to_owned(),
    ];
    let mut rows = vec![head];
    for b in &suite.benchmarks {
        rows.push(vec![
            b.name.clone(),
            format!("{} n={}", format_ns(b.old_median_ns), b.n_old),
            format!("{} n={}", format_ns(b.new_median_ns), b.n_new),
            change(b),
            format!("{:.3}", b.p_value),
            format!("{:.3}", b.adjusted_p),
            verdict_text(b),
        ]);
    }
    let mut widths = [0usize; 7];
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    for r in &rows {
        let mut line = String::new();
        for (k, (w, c)) in widths.iter().zip(r).enumerate() {
            let pad = w - c.chars().count();
            if k == 0 || k == 6 {
                line.push_str(c);
                line.push_str(&" ".repeat(pad));
            } else {
                line.push_str(&" ".repeat(pad));
                line.push_str(c);
            }
            line.push_str("  ");
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    let count = |v: Verdict| suite.benchmarks.iter().filter(|b| b.verdict == v).count();
    let _ = writeln!(
        out,
        "\n{} benchmarks: {} slower, {} faster, {} no change, {} too few samples \
         (margin {:.1}%, {:?} at alpha {} across the suite)",
        suite.benchmarks.len(),
        count(Verdict::Slower),
        count(Verdict::Faster),
        count(Verdict::NoChange),
        count(Verdict::TooFewSamples),
        suite.margin * 100.0,
        suite.correction,
        suite.alpha
    );
    let (d_old, d_new) = suite
        .benchmarks
        .iter()
        .fold((0, 0), |(a, b), r| (a + r.dropped_old, b + r.dropped_new));
    if d_old + d_new > 0 {
        let _ = writeln!(
            out,
            "left out as disturbed (more than the threshold slower than their side's median): \
             {d_old} old and {d_new} new values"
        );
    }
    for name in &suite.only_old {
        let _ = writeln!(out, "only in old: {name}");
    }
    for name in &suite.only_new {
        let _ = writeln!(out, "only in new: {name}");
    }
    out
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// One ECDF panel: old in grey, new in colour, log-scaled time axis.
fn ecdf_svg(old: &[f64], new: &[f64]) -> String {
    let (w, h, pad) = (360.0, 160.0, 30.0);
    let lo = old.iter().chain(new).copied().fold(f64::INFINITY, f64::min);
    let hi = old
        .iter()
        .chain(new)
        .copied()
        .fold(f64::NEG_INFINITY, f64::max);
    let (llo, lhi) = (lo.ln(), if hi > lo { hi.ln() } else { lo.ln() + 1e-9 });
    let x = |t: f64| pad + (t.ln() - llo) / (lhi - llo) * (w - 2.0 * pad);
    let y = |q: f64| h - pad + q * (-(h - 2.0 * pad));
    let path = |s: &[f64]| {
        let mut v = s.to_vec();
        v.sort_unstable_by(f64::total_cmp);
        let n = v.len() as f64;
        let mut d = format!("M{:.1},{:.1}", x(v[0]), y(0.0));
        for (i, t) in v.iter().enumerate() {
            let _ = write!(
                d,
                " L{:.1},{:.1} L{:.1},{:.1}",
                x(*t),
                y(i as f64 / n),
                x(*t),
                y((i + 1) as f64 / n)
            );
        }
        let _ = write!(d, " L{:.1},{:.1}", w - pad, y(1.0));
        d
    };
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" \
         viewBox=\"0 0 {w} {h}\" role=\"img\">\
         <rect x=\"{pad}\" y=\"{pad}\" width=\"{iw}\" height=\"{ih}\" fill=\"none\" stroke=\"#ccc\"/>\
         <path d=\"{po}\" fill=\"none\" stroke=\"#777\" stroke-width=\"1.5\"/>\
         <path d=\"{pn}\" fill=\"none\" stroke=\"#c0392b\" stroke-width=\"1.5\"/>\
         <text x=\"{pad}\" y=\"{ty}\" font-size=\"10\">{l}</text>\
         <text x=\"{tx}\" y=\"{ty}\" font-size=\"10\" text-anchor=\"end\">{r}</text>\
         <text x=\"{pad}\" y=\"20\" font-size=\"10\"><tspan fill=\"#777\">old</tspan> \
         <tspan fill=\"#c0392b\">new</tspan> (ECDF, log time)</text></svg>",
        iw = w - 2.0 * pad,
        ih = h - 2.0 * pad,
        po = path(old),
        pn = path(new),
        ty = h - 10.0,
        tx = w - pad,
        l = esc(&format_ns(lo)),
        r = esc(&format_ns(hi)),
    )
}

/// Renders a self-contained HTML report: the summary table and, per benchmark, the ECDFs of
/// the old and new samples (inline SVG). `old` and `new` are the suites given to
/// [`compare`](super::compare); benchmarks are found by name.
///
/// # Example
/// ```
/// use canary_analysis::bench::{compare, report::render_html, CompareOptions, Samples};
/// let old = vec![Samples::new("a", vec![10.0, 11.0, 12.0, 13.0])?];
/// let new = vec![Samples::new("a", vec![10.5, 11.5, 12.5, 13.5])?];
/// let suite = compare(&old, &new, &CompareOptions::new())?;
/// let html = render_html(&old, &new, &suite);
/// assert!(html.contains("<svg") && !html.contains("https://"));
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub fn render_html(old: &[Samples], new: &[Samples], suite: &SuiteComparison) -> String {
    let find = |s: &'_ [Samples], n: &str| {
        s.iter()
            .find(|b| b.name() == n)
            .map(|b| b.times_ns().to_vec())
    };
    let mut out = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>canary compare</title><style>\
         body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}\
         td,th{padding:2px 8px;border-bottom:1px solid #eee;text-align:right}\
         td:first-child,th:first-child{text-align:left}.slower{color:#c0392b;font-weight:bold}\
         .faster{color:#27ae60}.panel{display:inline-block;margin:8px;vertical-align:top}\
         </style></head><body><h1>Benchmark comparison</h1>",
    );
    let _ = write!(
        out,
        "<p>Change = Hodges-Lehmann ratio new/old on log times with its {:.0}% interval; \
         p = two-sided Mann-Whitney U, adjusted with {:?} across {} benchmarks at alpha {}; \
         a regression is slower with adjusted p &le; alpha and the whole interval above +{:.1}%.</p>",
        suite.confidence * 100.0,
        suite.correction,
        suite.family_size,
        suite.alpha,
        suite.margin * 100.0
    );
    out.push_str(
        "<table><tr><th>name</th><th>old</th><th>new</th><th>change [interval]</th>\
         <th>p</th><th>p adj</th><th>verdict</th></tr>",
    );
    for (k, b) in suite.benchmarks.iter().enumerate() {
        let class = match b.verdict {
            Verdict::Slower => "slower",
            Verdict::Faster => "faster",
            _ => "",
        };
        let _ = write!(
            out,
            "<tr class=\"{class}\"><td><a href=\"#b{k}\">{}</a></td><td>{} (n={})</td>\
             <td>{} (n={})</td><td>{}</td><td>{:.3}</td><td>{:.3}</td><td>{}</td></tr>",
            esc(&b.name),
            esc(&format_ns(b.old_median_ns)),
            b.n_old,
            esc(&format_ns(b.new_median_ns)),
            b.n_new,
            esc(&change(b)),
            b.p_value,
            b.adjusted_p,
            esc(&verdict_text(b)),
        );
    }
    out.push_str("</table><h2>Distributions</h2>");
    for (k, b) in suite.benchmarks.iter().enumerate() {
        if let (Some(o), Some(n)) = (find(old, &b.name), find(new, &b.name)) {
            let _ = write!(
                out,
                "<div class=\"panel\" id=\"b{k}\"><div><b>{}</b> {} {}</div>{}</div>",
                esc(&b.name),
                esc(&change(b)),
                esc(&verdict_text(b)),
                ecdf_svg(&o, &n),
            );
        }
    }
    out.push_str("</body></html>\n");
    out
}
