//! A self-contained HTML report of a judge result: no network, no script, inline SVG only.
//!
//! [`render_html`] is a pure function from a [`CanaryJudgeResult`] and the metric data to a
//! `String`. The page shows the verdict and score (with the coverage of the default judge), the
//! sentence of the metric that most drives the verdict, the config's warnings, the
//! group scores, and per metric: the classification, the reason, the empirical CDFs of baseline
//! and canary overlaid (a logarithmic axis when the data are positive and span more than 50x),
//! and the shift interval against the no-regression band (Kayenta: `tolerance * |estimate|`;
//! default judge: the practical margin).

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::judge::result::{
    CanaryJudgeResult, Classification, Effect, MetricResult, TestKind, Verdict,
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

const STYLE: &str = "body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px;color:#222;background:#fff}\
h1{font-size:22px;margin:0 0 8px}h2{font-size:17px;margin:22px 0 8px}\
.badge{display:inline-block;padding:3px 10px;border-radius:4px;color:#fff;font-weight:600}\
.summary{display:flex;gap:18px;align-items:center;flex-wrap:wrap;margin-bottom:8px}\
table{border-collapse:collapse}td,th{padding:4px 10px;border-bottom:1px solid #eee;text-align:left;font-size:13px}\
.bar{background:#eee;width:160px;height:10px;border-radius:2px}.bar>div{height:10px;border-radius:2px}\
.metric{border:1px solid #ddd;border-radius:6px;padding:10px 14px;margin:10px 0}\
.metric h3{margin:0 0 6px;font-size:15px}.reason{font-size:12px;color:#444;margin:6px 0;word-break:break-word}\
.plots{display:flex;flex-wrap:wrap;gap:14px;align-items:flex-start}.legend{font-size:12px}\
.sw{display:inline-block;width:14px;height:3px;vertical-align:middle;margin:0 4px 0 10px}.muted{opacity:.6}";

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
    for r in &result.results {
        let k = used.entry(r.name.as_str()).or_default();
        let data = by_name
            .get(r.name.as_str())
            .and_then(|v| v.get(*k))
            .copied();
        *k += 1;
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
        let count = |s: Option<&crate::judge::result::SideStats>| {
            s.map_or("no data".to_string(), |s| s.count.to_string())
        };
        let ratio = match (
            r.baseline_stats(),
            r.canary_stats(),
            r.result_metadata.ratio,
        ) {
            (Some(b), Some(c), Some(x)) if b.count > 0 && c.count > 0 => fmt_num(x),
            _ => "none (a side has no data)".into(),
        };
        let _ = write!(
            h,
            "<p class=\"sentence\">{}</p><div class=\"reason\">groups: {}; n baseline {}, n canary {}; mean ratio {}</div>",
            esc(r.sentence()),
            esc(&r.groups.join(", ")),
            count(r.baseline_stats()),
            count(r.canary_stats()),
            ratio
        );
        h.push_str("<div class=\"plots\">");
        if let Some(d) = data {
            h.push_str(&ecdf_svg(&d.1, &d.2));
        }
        if let Some(svg) = interval_svg(r).or_else(|| rate_svg(r)) {
            h.push_str(&svg);
        }
        h.push_str("</div>");
        let _ = write!(
            h,
            "<p class=\"reason\">{}</p></div>",
            esc(r.classification_reason.as_deref().unwrap_or(""))
        );
    }
    h.push_str("</body></html>\n");
    h
}
