//! A self-contained HTML report of a judge result: no network, no script, inline SVG only.
//!
//! [`render_html`] is a pure function from a [`CanaryJudgeResult`] and the metric data to a
//! `String`. The page shows the verdict and score (with the coverage of the default judge), the
//! sentence of the metric that most drives the verdict, the config's warnings, the
//! group scores, and the metrics: those that decide the verdict first (High, Low,
//! NodataFailMetric, Error), then the undecided (InsufficientData, Nodata), then the passing
//! metrics as one line each (badge, name, sizes, the test closest to firing) that expands
//! (`<details>`) to the full card.
//!
//! A card says which test decided the metric ("decided by the upper-tail test ...", with its
//! effect, threshold, p-value and adjusted p-value) and draws that test's picture: for a tail
//! test the tail where it lives (the survival function `P(X > x)` of both sides on a log axis
//! over the upper half of the data, the baseline maximum marked and the canary points beyond
//! it dotted; the lower tail mirrored), for the location test the shift interval against the
//! no-regression band (Kayenta: `tolerance * |estimate|`; default judge: the practical margin),
//! for a rate test the rate ratio against its band on a log axis; then the empirical CDFs of
//! baseline and canary overlaid (a logarithmic axis when the data are positive and span more
//! than 50x) and the full reason.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::judge::result::{
    CanaryJudgeResult, Classification, Effect, MetricResult, Side, TestKind, TestOutcome, Verdict,
};
use crate::metrics::MetricPair;

/// A pair's name and pooled baseline and canary values.
type Pooled<'a> = (&'a str, Vec<f64>, Vec<f64>);

const BASE_COLOR: &str = "#1f77b4";
const CANARY_COLOR: &str = "#e6550d";
const MAX_POINTS: usize = 400;

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn verdict_color(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "#2ca02c",
        Verdict::Marginal => "#d4a017",
        _ => "#d62728",
    }
}

fn class_color(c: Classification) -> &'static str {
    match c {
        Classification::Pass => "#2ca02c",
        Classification::High | Classification::Low | Classification::NodataFailMetric => "#d62728",
        Classification::Error => "#7f7f7f",
        _ => "#d4a017",
    }
}

/// About four significant digits, trailing zeros trimmed.
fn fmt_num(x: f64) -> String {
    if !x.is_finite() {
        return format!("{x}");
    }
    let a = x.abs();
    if a != 0.0 && !(1e-3..1e6).contains(&a) {
        return format!("{x:.3e}");
    }
    let decimals = if a == 0.0 {
        0
    } else {
        (3 - a.log10().floor() as i32).clamp(0, 6) as usize
    };
    let s = format!("{x:.decimals$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        &s
    };
    if s == "-0" { "0".into() } else { s.into() }
}

/// Empirical CDFs of baseline and canary as one SVG.
fn ecdf_svg(control: &[f64], experiment: &[f64]) -> String {
    let clean = |v: &[f64]| {
        let mut s: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
        s.sort_unstable_by(f64::total_cmp);
        s
    };
    let (b, c) = (clean(control), clean(experiment));
    let (w, h, ml, mr, mt, mb) = (460.0, 200.0, 48.0, 12.0, 10.0, 34.0);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="ecdf" width="{w}" height="{h}" viewBox="0 0 {w} {h}" xmlns="http://www.w3.org/2000/svg" role="img"><title>Empirical CDFs of baseline and canary</title>"#
    );
    if b.is_empty() && c.is_empty() {
        let _ = write!(
            svg,
            r##"<text x="{}" y="{}" text-anchor="middle" fill="#666">no data</text></svg>"##,
            w / 2.0,
            h / 2.0
        );
        return svg;
    }
    let lo = b
        .first()
        .into_iter()
        .chain(c.first())
        .copied()
        .fold(f64::INFINITY, f64::min);
    let hi = b
        .last()
        .into_iter()
        .chain(c.last())
        .copied()
        .fold(f64::NEG_INFINITY, f64::max);
    let log = lo > 0.0 && hi / lo > 50.0;
    let tr = |x: f64| if log { x.log10() } else { x };
    let (tlo, thi) = if tr(hi) > tr(lo) {
        (tr(lo), tr(hi))
    } else {
        (tr(lo) - 0.5, tr(hi) + 0.5)
    };
    let pw = w - ml - mr;
    let ph = h - mt - mb;
    let sx = |x: f64| ml + (tr(x) - tlo) / (thi - tlo) * pw;
    let sy = |p: f64| mt + (1.0 - p) * ph;
    // Axes and grid.
    let _ = write!(
        svg,
        r##"<rect x="{ml}" y="{mt}" width="{pw}" height="{ph}" fill="#fafafa" stroke="#ccc"/>"##
    );
    for q in [0.25, 0.5, 0.75, 1.0] {
        let y = sy(q);
        let _ = write!(
            svg,
            r##"<line x1="{ml}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="#e5e5e5"/><text x="{}" y="{:.1}" font-size="10" text-anchor="end" fill="#555">{q}</text>"##,
            ml + pw,
            ml - 4.0,
            y + 3.0
        );
    }
    for k in 0..=4 {
        let t = tlo + (thi - tlo) * k as f64 / 4.0;
        let x = if log { 10f64.powf(t) } else { t };
        let px = ml + pw * k as f64 / 4.0;
        let anchor = match k {
            0 => "start",
            4 => "end",
            _ => "middle",
        };
        let _ = write!(
            svg,
            r##"<text x="{px:.1}" y="{:.1}" font-size="10" text-anchor="{anchor}" fill="#555">{}</text>"##,
            mt + ph + 13.0,
            fmt_num(x)
        );
    }
    let _ = write!(
        svg,
        r##"<text x="{:.1}" y="{:.1}" font-size="10" text-anchor="middle" fill="#555">value{}</text>"##,
        ml + pw / 2.0,
        h - 4.0,
        if log { " (log scale)" } else { "" }
    );
    for (data, color) in [(&b, BASE_COLOR), (&c, CANARY_COLOR)] {
        if data.is_empty() {
            continue;
        }
        let n = data.len();
        let step = n.div_ceil(MAX_POINTS).max(1);
        let mut d = format!("M{:.1},{:.1}", sx(data[0]), sy(0.0));
        let mut i = 0;
        while i < n {
            let j = (i + step).min(n);
            let x = sx(data[j - 1]);
            let _ = write!(d, " H{x:.1} V{:.1}", sy(j as f64 / n as f64));
            i = j;
        }
        let _ = write!(d, " H{:.1}", ml + pw);
        let _ = write!(
            svg,
            r#"<path d="{d}" fill="none" stroke="{color}" stroke-width="1.8"/>"#
        );
    }
    svg.push_str("</svg>");
    svg
}

/// A tail regression drawn where it lives: the survival function `P(X > x)` of both sides on a
/// log axis over the upper half of the pooled data (`upper`), or the CDF `P(X <= x)` on a log
/// axis over the lower half, with the baseline's extreme marked.
fn tail_svg(control: &[f64], experiment: &[f64], upper: bool, t: &TestOutcome) -> String {
    let clean = |v: &[f64]| {
        let mut s: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
        s.sort_unstable_by(f64::total_cmp);
        s
    };
    let (b, c) = (clean(control), clean(experiment));
    let (w, h, ml, mr, mt, mb) = (460.0, 200.0, 48.0, 12.0, 10.0, 34.0);
    let mut svg = format!(
        r#"<svg class="tail" width="{w}" height="{h}" viewBox="0 0 {w} {h}" xmlns="http://www.w3.org/2000/svg" role="img"><title>{} tail of baseline and canary</title>"#,
        if upper { "Upper" } else { "Lower" }
    );
    if b.is_empty() || c.is_empty() {
        svg.push_str("</svg>");
        return svg;
    }
    let mut pooled: Vec<f64> = b.iter().chain(&c).copied().collect();
    pooled.sort_unstable_by(f64::total_cmp);
    let mid = pooled[pooled.len() / 2];
    let (lo, hi) = if upper {
        (mid, pooled[pooled.len() - 1])
    } else {
        (pooled[0], mid)
    };
    let log_x = lo > 0.0 && hi / lo > 50.0;
    let tr = |x: f64| if log_x { x.log10() } else { x };
    let (tlo, thi) = if tr(hi) > tr(lo) {
        (tr(lo), tr(hi))
    } else {
        (tr(lo) - 0.5, tr(hi) + 0.5)
    };
    let nmax = b.len().max(c.len()) as f64;
    // y: log10 of the tail probability, from 1/(2 nmax) to 1/2.
    let (ylo, yhi) = ((0.5 / nmax).log10(), 0.5f64.log10());
    let pw = w - ml - mr;
    let ph = h - mt - mb;
    let sx = |x: f64| ml + ((tr(x) - tlo) / (thi - tlo)).clamp(0.0, 1.0) * pw;
    let sy = |p: f64| mt + (1.0 - ((p.max(0.5 / nmax).log10() - ylo) / (yhi - ylo))) * ph;
    let _ = write!(
        svg,
        r##"<rect x="{ml}" y="{mt}" width="{pw}" height="{ph}" fill="#fafafa" stroke="#ccc"/>"##
    );
    let mut dec = 0.5f64;
    while dec >= 0.5 / nmax {
        let y = sy(dec);
        let _ = write!(
            svg,
            r##"<line x1="{ml}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="#e5e5e5"/><text x="{}" y="{:.1}" font-size="10" text-anchor="end" fill="#555">{}</text>"##,
            ml + pw,
            ml - 4.0,
            y + 3.0,
            fmt_num(dec)
        );
        dec /= 10.0;
    }
    for k in 0..=4 {
        let tv = tlo + (thi - tlo) * k as f64 / 4.0;
        let x = if log_x { 10f64.powf(tv) } else { tv };
        let anchor = match k {
            0 => "start",
            4 => "end",
            _ => "middle",
        };
        let _ = write!(
            svg,
            r##"<text x="{:.1}" y="{:.1}" font-size="10" text-anchor="{anchor}" fill="#555">{}</text>"##,
            ml + pw * k as f64 / 4.0,
            mt + ph + 13.0,
            fmt_num(x)
        );
    }
    let _ = write!(
        svg,
        r##"<text x="{:.1}" y="{:.1}" font-size="10" text-anchor="middle" fill="#555">value{}; {} (log scale)</text>"##,
        ml + pw / 2.0,
        h - 4.0,
        if log_x { " (log scale)" } else { "" },
        if upper {
            "share above x, P(X &gt; x)"
        } else {
            "share at or below x, P(X &#8804; x)"
        }
    );
    // The baseline's extreme.
    let ext = if upper { b[b.len() - 1] } else { b[0] };
    let _ = write!(
        svg,
        r##"<line x1="{x:.1}" x2="{x:.1}" y1="{mt}" y2="{:.1}" stroke="#555" stroke-dasharray="3,3"/><text x="{:.1}" y="{:.1}" font-size="10" fill="#555" text-anchor="{}">baseline {}</text>"##,
        mt + ph,
        if upper { sx(ext) - 3.0 } else { sx(ext) + 3.0 },
        mt + 12.0,
        if upper { "end" } else { "start" },
        if upper { "max" } else { "min" },
        x = sx(ext)
    );
    for (data, color) in [(&b, BASE_COLOR), (&c, CANARY_COLOR)] {
        let n = data.len() as f64;
        let mut d = String::new();
        // Step function through each order statistic in the window.
        for (i, &x) in data.iter().enumerate() {
            if x < lo || x > hi {
                continue;
            }
            let p = if upper {
                (n - i as f64 - 1.0) / n
            } else {
                (i as f64 + 1.0) / n
            };
            if p <= 0.0 {
                continue;
            }
            let _ = write!(
                d,
                "{}{:.1},{:.1} ",
                if d.is_empty() { "M" } else { "L" },
                sx(x),
                sy(p)
            );
        }
        if !d.is_empty() {
            let _ = write!(
                svg,
                r#"<path d="{d}" fill="none" stroke="{color}" stroke-width="1.8"/>"#
            );
        }
        if std::ptr::eq(data, &c) {
            // The canary points beyond the baseline's extreme, as dots on the axis.
            for &x in data
                .iter()
                .filter(|&&x| if upper { x > ext } else { x < ext })
            {
                let _ = write!(
                    svg,
                    r#"<circle cx="{:.1}" cy="{:.1}" r="2.5" fill="{color}"/>"#,
                    sx(x),
                    mt + ph - 4.0
                );
            }
        }
    }
    let _ = write!(
        svg,
        r##"<text x="{:.1}" y="{:.1}" font-size="10" fill="#333">{}</text></svg>"##,
        ml + 6.0,
        mt + ph - 10.0,
        esc(&format!(
            "{} test: p {}, adjusted {}",
            t.test.as_str(),
            fmt_num(t.p_value),
            t.adjusted_p_value.map_or("-".into(), fmt_num)
        ))
    );
    svg
}

/// The shift interval against the band, as one SVG.
/// The location effect and its band: the reason's when the location test decided, else the
/// default judge's location test.
fn location(r: &MetricResult) -> Option<(Effect, f64)> {
    if let Some(reason) = r.reason()
        && reason.test == TestKind::Location
    {
        return Some((reason.effect, reason.threshold));
    }
    r.analysis
        .tests
        .iter()
        .find(|t| t.test == TestKind::Location)
        .map(|t| (t.effect, t.threshold))
}

fn interval_svg(r: &MetricResult) -> Option<String> {
    let (effect, threshold) = location(r)?;
    let est = effect.estimate;
    let band = threshold.abs();
    let (lo, hi) = match (effect.lower, effect.upper) {
        (Some(l), Some(u)) if l.is_finite() && u.is_finite() => (Some(l), Some(u)),
        _ => (None, None),
    };
    if !est.is_finite() {
        return None;
    }
    let mut vals = vec![est, band, -band];
    vals.extend(lo);
    vals.extend(hi);
    let m = vals.iter().fold(0.0f64, |m, v| m.max(v.abs())) * 1.15;
    let m = if m > 0.0 { m } else { 1.0 };
    let (w, h, ml, mr) = (460.0, 64.0, 12.0, 12.0);
    let pw = w - ml - mr;
    let sx = |x: f64| ml + (x + m) / (2.0 * m) * pw;
    let y = 26.0;
    let mut svg = format!(
        r#"<svg class="interval" width="{w}" height="{h}" viewBox="0 0 {w} {h}" xmlns="http://www.w3.org/2000/svg" role="img"><title>Shift interval against the band</title>"#
    );
    let _ = write!(
        svg,
        r##"<rect x="{:.1}" y="{}" width="{:.1}" height="24" fill="#d9f0d3" stroke="#8fbf87"/>"##,
        sx(-band),
        y - 12.0,
        (sx(band) - sx(-band)).max(1.0)
    );
    let _ = write!(
        svg,
        r##"<line x1="{ml}" x2="{:.1}" y1="{y}" y2="{y}" stroke="#999"/><line x1="{:.1}" x2="{:.1}" y1="{}" y2="{}" stroke="#555" stroke-dasharray="2,2"/>"##,
        ml + pw,
        sx(0.0),
        sx(0.0),
        y - 16.0,
        y + 16.0
    );
    if let (Some(l), Some(u)) = (lo, hi) {
        let _ = write!(
            svg,
            r##"<line x1="{:.1}" x2="{:.1}" y1="{y}" y2="{y}" stroke="#222" stroke-width="3"/><line x1="{:.1}" x2="{:.1}" y1="{}" y2="{}" stroke="#222" stroke-width="2"/><line x1="{:.1}" x2="{:.1}" y1="{}" y2="{}" stroke="#222" stroke-width="2"/>"##,
            sx(l),
            sx(u),
            sx(l),
            sx(l),
            y - 7.0,
            y + 7.0,
            sx(u),
            sx(u),
            y - 7.0,
            y + 7.0
        );
    }
    let _ = write!(
        svg,
        r##"<circle cx="{:.1}" cy="{y}" r="4.5" fill="{}"/>"##,
        sx(est),
        class_color(r.classification)
    );
    let label = match (lo, hi) {
        (Some(l), Some(u)) => format!(
            "location shift {} [{}, {}], band &#177;{}",
            fmt_num(est),
            fmt_num(l),
            fmt_num(u),
            fmt_num(band)
        ),
        _ => format!(
            "location shift {}, band &#177;{}",
            fmt_num(est),
            fmt_num(band)
        ),
    };
    let _ = write!(
        svg,
        r##"<text x="{:.1}" y="{}" font-size="11" text-anchor="middle" fill="#333">{label}</text></svg>"##,
        ml + pw / 2.0,
        h - 6.0
    );
    Some(svg)
}

/// A count metric's rate ratio against its band `[1 - margin, 1 + margin]`, on a log2 axis.
fn rate_svg(r: &MetricResult) -> Option<String> {
    let t = r.analysis.tests.iter().find(|t| t.test == TestKind::Rate)?;
    let ratio = t.effect.estimate;
    let hi_band = if t.threshold >= 1.0 {
        t.threshold
    } else {
        2.0 - t.threshold
    };
    let lo_band = 2.0 - hi_band;
    if lo_band.is_nan() || lo_band <= 0.0 || ratio.is_nan() {
        return None;
    }
    let l2 = |x: f64| x.log2();
    let finite = ratio.is_finite() && ratio > 0.0;
    let m = if finite {
        l2(ratio).abs().max(l2(hi_band)).max(-l2(lo_band)) * 1.25
    } else {
        l2(hi_band).max(-l2(lo_band)) * 4.0
    };
    let (w, h, ml, mr) = (460.0, 64.0, 12.0, 12.0);
    let pw = w - ml - mr;
    let sx = |v: f64| ml + (v + m) / (2.0 * m) * pw;
    let y = 26.0;
    let mut svg = format!(
        r#"<svg class="interval" width="{w}" height="{h}" viewBox="0 0 {w} {h}" xmlns="http://www.w3.org/2000/svg" role="img"><title>Rate ratio against the band</title>"#
    );
    let _ = write!(
        svg,
        r##"<rect x="{:.1}" y="{}" width="{:.1}" height="24" fill="#d9f0d3" stroke="#8fbf87"/><line x1="{ml}" x2="{:.1}" y1="{y}" y2="{y}" stroke="#999"/><line x1="{:.1}" x2="{:.1}" y1="{}" y2="{}" stroke="#555" stroke-dasharray="2,2"/>"##,
        sx(l2(lo_band)),
        y - 12.0,
        (sx(l2(hi_band)) - sx(l2(lo_band))).max(1.0),
        ml + pw,
        sx(0.0),
        sx(0.0),
        y - 16.0,
        y + 16.0
    );
    let px = if finite {
        sx(l2(ratio).clamp(-m, m))
    } else if ratio > 0.0 {
        ml + pw - 5.0
    } else {
        ml + 5.0
    };
    let _ = write!(
        svg,
        r##"<circle cx="{px:.1}" cy="{y}" r="4.5" fill="{}"/><text x="{:.1}" y="{}" font-size="11" text-anchor="middle" fill="#333">rate ratio {} (log scale), band [{}, {}]</text></svg>"##,
        class_color(r.classification),
        ml + pw / 2.0,
        h - 6.0,
        if finite {
            fmt_num(ratio)
        } else {
            "&#8734; (zero baseline)".into()
        },
        fmt_num(lo_band),
        fmt_num(hi_band)
    );
    Some(svg)
}

/// 0: decides the verdict (High, Low, NodataFailMetric, Error); 1: undecided (InsufficientData,
/// Nodata); 2: Pass.
fn rank(r: &MetricResult) -> u8 {
    match r.classification {
        Classification::Pass => 2,
        Classification::High
        | Classification::Low
        | Classification::NodataFailMetric
        | Classification::Error => 0,
        _ => 1,
    }
}

/// The test that decided the metric (the first that fired), if any.
fn deciding(r: &MetricResult) -> Option<&TestOutcome> {
    r.analysis.tests.iter().find(|t| t.regression)
}

/// The test closest to firing (smallest adjusted p-value).
fn closest(r: &MetricResult) -> Option<&TestOutcome> {
    r.analysis.tests.iter().min_by(|a, b| {
        a.adjusted_p_value
            .unwrap_or(a.p_value)
            .total_cmp(&b.adjusted_p_value.unwrap_or(b.p_value))
    })
}

/// A human name for a test.
fn test_label(t: &TestOutcome) -> &'static str {
    match (t.test, t.side) {
        (TestKind::Location, _) => "location test (Mann-Whitney)",
        (TestKind::Tail, Side::Decrease) => "lower-tail test (exceedances below the baseline min)",
        (TestKind::Tail, _) => "upper-tail test (exceedances above the baseline max)",
        (TestKind::Rate, _) => "rate test",
    }
}

/// One line for a passing metric.
fn summary_line(r: &MetricResult) -> String {
    let closest = closest(r).map_or(String::new(), |t| {
        format!(
            "; closest: {} test p {}, adjusted {}",
            t.test.as_str(),
            fmt_num(t.p_value),
            t.adjusted_p_value.map_or("-".into(), fmt_num)
        )
    });
    format!(
        "<span class=\"badge\" style=\"background:{}\">{}</span> <b>{}</b> <span class=\"reason\">n {} / {}; mean ratio {}{}</span>",
        class_color(r.classification),
        r.classification.as_str(),
        esc(&r.name),
        r.baseline_stats().map_or(0, |s| s.count),
        r.canary_stats().map_or(0, |s| s.count),
        r.result_metadata.ratio.map_or("-".into(), fmt_num),
        esc(&closest)
    )
}

/// The card of one metric: what decided it, that test's picture, the distributions, the reason.
fn metric_card(r: &MetricResult, data: Option<&Pooled<'_>>) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<div class=\"metric{}\"><h3>{} <span class=\"badge\" style=\"background:{}\">{}</span>{}{}</h3>",
        if r.muted { " muted" } else { "" },
        esc(&r.name),
        class_color(r.classification),
        r.classification.as_str(),
        if r.critical { " <b>critical</b>" } else { "" },
        if r.muted { " (muted)" } else { "" }
    );
    let fired = deciding(r);
    if let Some(t) = fired {
        let _ = write!(
            h,
            "<div class=\"decided\">decided by the <b>{}</b> ({}): {} {}{} against the threshold {}; p {}, adjusted {}</div>",
            test_label(t),
            match t.side {
                Side::Increase => "increase",
                Side::Decrease => "decrease",
                _ => "either",
            },
            esc(&t.detail),
            fmt_num(t.effect.estimate),
            match (t.effect.lower, t.effect.upper) {
                (Some(l), Some(u)) => format!(" [{}, {}]", fmt_num(l), fmt_num(u)),
                _ => String::new(),
            },
            fmt_num(t.threshold),
            fmt_num(t.p_value),
            t.adjusted_p_value.map_or("-".into(), fmt_num)
        );
    } else if !r.analysis.tests.is_empty() {
        h.push_str("<div class=\"decided\">no test fired</div>");
    }
    let _ = write!(
        h,
        "<p class=\"sentence\">{}</p><div class=\"reason\">groups: {}; n baseline {}, n canary {}; mean ratio {}</div>",
        esc(r.sentence()),
        esc(&r.groups.join(", ")),
        r.baseline_stats()
            .map_or("no data".into(), |s| s.count.to_string()),
        r.canary_stats()
            .map_or("no data".into(), |s| s.count.to_string()),
        r.result_metadata
            .ratio
            .map_or("none (a side has no data)".into(), fmt_num)
    );
    h.push_str("<div class=\"plots\">");
    let tail = fired.filter(|t| t.test == TestKind::Tail);
    match (tail, data) {
        (Some(t), Some(d)) => {
            h.push_str(&tail_svg(&d.1, &d.2, t.side != Side::Decrease, t));
            h.push_str(&ecdf_svg(&d.1, &d.2));
        }
        _ => {
            if let Some(svg) = interval_svg(r).or_else(|| rate_svg(r)) {
                h.push_str(&svg);
            }
            if let Some(d) = data {
                h.push_str(&ecdf_svg(&d.1, &d.2));
            }
        }
    }
    h.push_str("</div>");
    let _ = write!(
        h,
        "<p class=\"reason\">{}</p></div>",
        esc(r.classification_reason.as_deref().unwrap_or(""))
    );
    h
}

const STYLE: &str = "body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px;color:#222;background:#fff}\
h1{font-size:22px;margin:0 0 8px}h2{font-size:17px;margin:22px 0 8px}\
.badge{display:inline-block;padding:3px 10px;border-radius:4px;color:#fff;font-weight:600}\
.summary{display:flex;gap:18px;align-items:center;flex-wrap:wrap;margin-bottom:8px}\
table{border-collapse:collapse}td,th{padding:4px 10px;border-bottom:1px solid #eee;text-align:left;font-size:13px}\
.bar{background:#eee;width:160px;height:10px;border-radius:2px}.bar>div{height:10px;border-radius:2px}\
.metric{border:1px solid #ddd;border-radius:6px;padding:10px 14px;margin:10px 0}\
.metric h3{margin:0 0 6px;font-size:15px}.reason{font-size:12px;color:#444;margin:6px 0;word-break:break-word}\
.plots{display:flex;flex-wrap:wrap;gap:14px;align-items:flex-start}.legend{font-size:12px}\
.sw{display:inline-block;width:14px;height:3px;vertical-align:middle;margin:0 4px 0 10px}.muted{opacity:.6}\
.decided{font-size:13px;margin:4px 0}details.pass{border-bottom:1px solid #eee;padding:3px 0}\
details.pass summary{cursor:pointer;font-size:13px}details.pass .badge{padding:1px 6px;font-size:11px}\
h3.passes{font-size:14px;margin:16px 0 4px;color:#444}";

/// Renders the report page (see the module docs). `metrics` supplies the raw values for the
/// distribution plots, matched to results by name (several pairs of one name in order).
///
/// # Example
/// ```
/// use canary_analysis::prelude::*;
/// use canary_analysis::judge::report::render_html;
/// use canary_analysis::metrics::read_metric_set_pairs;
/// let cfg = CanaryConfig::from_json(r#"{"metrics": [{"name": "latency", "groups": ["g"]}]}"#)?;
/// let pairs = read_metric_set_pairs(r#"[{"name": "latency",
///     "values": {"control": [1, 2, 3, 4, 5], "experiment": [2, 3, 4, 5, 6]}}]"#)?;
/// let result = KayentaJudge::new(cfg, Thresholds::new(95.0, 75.0)?)?.judge(&pairs)?;
/// let html = render_html(&result, &pairs);
/// assert!(html.starts_with("<!DOCTYPE html>") && html.contains("<svg"));
/// # Ok::<(), canary_analysis::Error>(())
/// ```
pub fn render_html(result: &CanaryJudgeResult, pairs: &[MetricPair]) -> String {
    let metrics: Vec<Pooled<'_>> = pairs
        .iter()
        .map(|p| {
            (
                p.metric(),
                p.baseline().values().collect(),
                p.canary().values().collect(),
            )
        })
        .collect();
    let mut by_name: BTreeMap<&str, Vec<&Pooled<'_>>> = BTreeMap::new();
    for m in &metrics {
        by_name.entry(m.0).or_default().push(m);
    }
    let mut used: BTreeMap<&str, usize> = BTreeMap::new();
    let s = &result.score;
    let mut h = String::with_capacity(16 * 1024);
    let _ = write!(
        h,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Canary report: {}</title><style>{STYLE}</style></head><body>",
        s.classification.as_str()
    );
    let _ = write!(
        h,
        "<h1>Canary analysis</h1><div class=\"summary\"><span class=\"badge\" style=\"background:{}\">{}</span><span>score <b>{}</b></span><span>judge {}</span><span>coverage {}</span></div>",
        verdict_color(s.classification),
        s.classification.as_str(),
        fmt_num(s.score),
        esc(&result.judge_name),
        fmt_num(result.coverage)
    );
    if !s.classification_reason.is_empty() {
        let _ = write!(
            h,
            "<p class=\"reason\">{}</p>",
            esc(&s.classification_reason)
        );
    }
    if let Some(w) = result.worst()
        && w.classification != Classification::Pass
    {
        let _ = write!(h, "<p><b>{}</b></p>", esc(w.sentence()));
    }
    if !result.warnings.is_empty() {
        h.push_str("<h2>Warnings</h2><ul>");
        for w in &result.warnings {
            let _ = write!(h, "<li>{}</li>", esc(w));
        }
        h.push_str("</ul>");
    }
    h.push_str("<h2>Groups</h2><table><tr><th>group</th><th>score</th><th></th><th>weight</th><th>note</th></tr>");
    for g in &result.group_scores {
        let color = if g.no_data {
            "#bbb"
        } else if g.score >= 95.0 {
            "#2ca02c"
        } else if g.score >= 75.0 {
            "#d4a017"
        } else {
            "#d62728"
        };
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td><div class=\"bar\"><div style=\"width:{:.0}%;background:{color}\"></div></div></td><td>{}</td><td>{}</td></tr>",
            esc(&g.name),
            if g.no_data {
                "no data".into()
            } else {
                fmt_num(g.score)
            },
            g.score.clamp(0.0, 100.0),
            fmt_num(g.weight),
            esc(&g.classification_reason)
        );
    }
    h.push_str("</table><h2>Metrics</h2>");
    let _ = write!(
        h,
        "<div class=\"legend\"><span class=\"sw\" style=\"background:{BASE_COLOR}\"></span>baseline (control)<span class=\"sw\" style=\"background:{CANARY_COLOR}\"></span>canary (experiment)<span class=\"sw\" style=\"background:#d9f0d3;height:10px\"></span>no-regression band</div>"
    );
    // Deciding metrics first (flagged, failed, errors), then the undecided, then the passes;
    // the data are matched by name and position before reordering.
    let mut cards: Vec<(u8, usize, &MetricResult, Option<&Pooled<'_>>)> = Vec::new();
    for (i, r) in result.results.iter().enumerate() {
        let k = used.entry(r.name.as_str()).or_default();
        let data = by_name
            .get(r.name.as_str())
            .and_then(|v| v.get(*k))
            .copied();
        *k += 1;
        cards.push((rank(r), i, r, data));
    }
    cards.sort_by_key(|c| (c.0, c.1));
    let passes = cards.iter().filter(|c| c.0 == 2).count();
    for (j, &(group, _, r, data)) in cards.iter().enumerate() {
        if group == 2 && (j == 0 || cards[j - 1].0 != 2) {
            let _ = write!(
                h,
                "<h3 class=\"passes\">{passes} passing metric{}</h3>",
                if passes == 1 { "" } else { "s" }
            );
        }
        let card = metric_card(r, data);
        if group == 2 {
            let _ = write!(
                h,
                "<details class=\"pass\"><summary>{}</summary>{card}</details>",
                summary_line(r)
            );
        } else {
            h.push_str(&card);
        }
    }
    h.push_str("</body></html>\n");
    h
}
