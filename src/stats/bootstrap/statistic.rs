//! The built-in statistics on a buffer, on a resample, and left-one-out (jackknife).

use super::Statistic;
use super::resample::Stream;
use crate::stats::quantile::{lerp, midpoint, type7_position as position};

/// The smallest value of a non-empty slice.
#[inline]
fn min_of(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::INFINITY, f64::min)
}

/// Number of observations cut from each end by a trimmed mean (`scipy.stats.trim_mean`).
#[inline]
pub(crate) fn trim_count(n: usize, proportion: f64) -> usize {
    (proportion * n as f64).floor() as usize
}

/// The sum of a slice (fixed left-to-right order in four lanes).
#[inline]
pub(crate) fn sum(v: &[f64]) -> f64 {
    let mut acc = [0.0f64; 4];
    let mut chunks = v.chunks_exact(4);
    for c in &mut chunks {
        acc[0] += c[0];
        acc[1] += c[1];
        acc[2] += c[2];
        acc[3] += c[3];
    }
    let mut tail = 0.0;
    for &x in chunks.remainder() {
        tail += x;
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

/// The statistic of `buf` (non-empty), reordering `buf` in place (selection, never a full sort).
pub(crate) fn in_place(stat: Statistic, buf: &mut [f64]) -> f64 {
    let n = buf.len();
    match stat {
        Statistic::Mean => sum(buf) / n as f64,
        Statistic::Median => {
            let mid = n / 2;
            let (left, m, _) = buf.select_nth_unstable_by(mid, f64::total_cmp);
            let upper = *m;
            if n % 2 == 1 {
                upper
            } else {
                // the lower middle value is the largest of the left part
                let lower = left.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                midpoint(lower, upper)
            }
        }
        Statistic::Quantile(p) => {
            let (k, frac) = position(n, p);
            let (_, a, right) = buf.select_nth_unstable_by(k, f64::total_cmp);
            let a = *a;
            if frac > 0.0 {
                lerp(a, min_of(right), frac)
            } else {
                a
            }
        }
        Statistic::TrimmedMean(prop) => {
            let g = trim_count(n, prop);
            if g == 0 {
                return sum(buf) / n as f64;
            }
            let keep = n - 2 * g;
            // g smallest to the left of position g, then the `keep` smallest of the rest first
            let (_, _, _) = buf.select_nth_unstable_by(g, f64::total_cmp);
            let tail = &mut buf[g..];
            if keep < tail.len() {
                let _ = tail.select_nth_unstable_by(keep, f64::total_cmp);
            }
            sum(&tail[..keep]) / keep as f64
        }
    }
}

/// The statistic of one resample of `sample`, drawn from `stream`; `buf` is scratch space.
#[inline]
pub(crate) fn resampled(
    stat: Statistic,
    sample: &[f64],
    stream: &mut Stream,
    buf: &mut Vec<f64>,
) -> f64 {
    let n = sample.len();
    match stat {
        Statistic::Mean => {
            // indices a chunk at a time, summed in four lanes (a fixed order)
            let mut idx = [0usize; CHUNK];
            let mut acc = [0.0f64; 4];
            let mut left = n;
            while left > 0 {
                let chunk = left.min(CHUNK);
                left -= chunk;
                stream.indices(n, &mut idx[..chunk]);
                let mut quads = idx[..chunk].chunks_exact(4);
                for q in &mut quads {
                    acc[0] += sample[q[0]];
                    acc[1] += sample[q[1]];
                    acc[2] += sample[q[2]];
                    acc[3] += sample[q[3]];
                }
                for (lane, &i) in quads.remainder().iter().enumerate() {
                    acc[lane] += sample[i];
                }
            }
            ((acc[0] + acc[1]) + (acc[2] + acc[3])) / n as f64
        }
        Statistic::Quantile(p) => {
            let (k, frac) = position(n, p);
            let two = frac > 0.0;
            // order statistics k (and k + 1) are among the `n - k` largest or the `k + 2`
            // smallest values; a tail that small is selected while drawing
            if n - k <= n / TAIL {
                let (a, b) = tail_select(sample, stream, buf, n - k, true);
                if two { lerp(a, b, frac) } else { a }
            } else if k + 2 <= n / TAIL {
                let (b, a) = tail_select(sample, stream, buf, k + 1 + usize::from(two), false);
                if two { lerp(a, b, frac) } else { b }
            } else {
                draw(sample, stream, buf);
                in_place(stat, buf)
            }
        }
        _ => {
            draw(sample, stream, buf);
            in_place(stat, buf)
        }
    }
}

/// Indices drawn per call of [`Stream::indices`].
const CHUNK: usize = 256;

/// Appends `count` values drawn from `sample` to `buf`.
#[inline]
fn extend_draws(sample: &[f64], stream: &mut Stream, buf: &mut Vec<f64>, count: usize) {
    let n = sample.len();
    let mut idx = [0usize; CHUNK];
    let mut left = count;
    while left > 0 {
        let chunk = left.min(CHUNK);
        left -= chunk;
        stream.indices(n, &mut idx[..chunk]);
        buf.extend(idx[..chunk].iter().map(|&i| sample[i]));
    }
}

/// Replaces `buf` with one resample of `sample` (`n` draws with replacement, in order).
#[inline]
pub(crate) fn draw(sample: &[f64], stream: &mut Stream, buf: &mut Vec<f64>) {
    buf.clear();
    extend_draws(sample, stream, buf, sample.len());
}

/// A quantile's tail is selected while drawing when it holds at most `n / TAIL` values.
const TAIL: usize = 16;

/// Draws one resample of `sample` (the same draws as filling a buffer) and selects its `m`
/// largest (`largest = true`) or smallest values (`1 <= m < n`) without storing the rest:
/// candidates beyond the current threshold are appended to `buf`; when `buf` holds `4m` of
/// them, `select_nth_unstable_by` keeps the `m` most extreme and the threshold moves to the
/// m-th. A value equal to the threshold is never needed: `m` values at least as extreme are
/// already kept. Returns the m-th most extreme value and the next one outward (the m-th largest
/// and the (m-1)-th largest, or the m-th and (m-1)-th smallest), in the order of
/// `f64::total_cmp`; both equal the m-th when `m = 1`.
fn tail_select(
    sample: &[f64],
    stream: &mut Stream,
    buf: &mut Vec<f64>,
    m: usize,
    largest: bool,
) -> (f64, f64) {
    use std::cmp::Ordering;
    let n = sample.len();
    // `order` sorts the most extreme values first
    let order = |a: &f64, b: &f64| {
        if largest {
            b.total_cmp(a)
        } else {
            a.total_cmp(b)
        }
    };
    let cap = (4 * m).max(64);
    let compact = |buf: &mut Vec<f64>| {
        buf.select_nth_unstable_by(m - 1, order);
        buf.truncate(m);
        buf[m - 1]
    };
    buf.clear();
    let first = cap.min(n);
    extend_draws(sample, stream, buf, first);
    let mut threshold = compact(buf);
    // indices are drawn a chunk at a time (the same sequence), so that drawing and testing
    // run as two tight loops
    let mut idx = [0usize; CHUNK];
    let mut left = n - first;
    while left > 0 {
        let chunk = left.min(CHUNK);
        left -= chunk;
        stream.indices(n, &mut idx[..chunk]);
        for &i in &idx[..chunk] {
            let v = sample[i];
            if order(&v, &threshold) == Ordering::Less {
                buf.push(v);
                if buf.len() == cap {
                    threshold = compact(buf);
                }
            }
        }
    }
    let root = compact(buf);
    let next = buf[..m - 1].iter().copied().max_by(order).unwrap_or(root);
    (root, next)
}

/// The statistic of `sample` with observation `i` left out, for every `i` (the jackknife), in
/// O(n) for the mean and O(n log n) (one sort) for the others: leaving out the observation at
/// sorted position `r` shifts the order statistics at or above `r` down by one, so each
/// left-one-out order statistic, quantile or trimmed sum is read off the sorted sample.
/// Requires `sample.len() >= 2`. Values are returned in the order of `sample`.
pub(crate) fn leave_one_out(stat: Statistic, sample: &[f64]) -> Vec<f64> {
    let n = sample.len();
    debug_assert!(n >= 2);
    let m = n - 1; // size of each jackknife sample
    if let Statistic::Mean = stat {
        let total = sum(sample);
        return sample.iter().map(|&x| (total - x) / m as f64).collect();
    }
    // order[r] = index in `sample` of the r-th smallest value
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| sample[a].total_cmp(&sample[b]).then(a.cmp(&b)));
    let sorted: Vec<f64> = order.iter().map(|&i| sample[i]).collect();
    // the k-th smallest (0-based) of the sorted sample without position r
    let kth = |k: usize, r: usize| if k < r { sorted[k] } else { sorted[k + 1] };
    let mut by_rank = vec![0.0; n];
    match stat {
        Statistic::Mean => unreachable!("handled above"),
        Statistic::Median => {
            for (r, slot) in by_rank.iter_mut().enumerate() {
                let mid = m / 2;
                *slot = if m % 2 == 1 {
                    kth(mid, r)
                } else {
                    midpoint(kth(mid - 1, r), kth(mid, r))
                };
            }
        }
        Statistic::Quantile(p) => {
            let (k, frac) = position(m, p);
            for (r, slot) in by_rank.iter_mut().enumerate() {
                *slot = if frac > 0.0 {
                    lerp(kth(k, r), kth(k + 1, r), frac)
                } else {
                    kth(k, r)
                };
            }
        }
        Statistic::TrimmedMean(prop) => {
            let g = trim_count(m, prop);
            let keep = m - 2 * g;
            // kept positions g..g+keep of the jackknife sample map to sorted positions:
            // r < g: g+1..=g+keep; r >= g+keep: g..g+keep; otherwise g..=g+keep without r.
            let above = sum(&sorted[g + 1..g + 1 + keep]);
            let below = sum(&sorted[g..g + keep]);
            let span = sum(&sorted[g..g + keep + 1]);
            for (r, slot) in by_rank.iter_mut().enumerate() {
                let s = if r < g {
                    above
                } else if r >= g + keep {
                    below
                } else {
                    span - sorted[r]
                };
                *slot = s / keep as f64;
            }
        }
    }
    let mut out = vec![0.0; n];
    for (r, &i) in order.iter().enumerate() {
        out[i] = by_rank[r];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn direct(stat: Statistic, v: &[f64]) -> f64 {
        let mut s = v.to_vec();
        s.sort_by(f64::total_cmp);
        let n = s.len();
        match stat {
            Statistic::Mean => s.iter().sum::<f64>() / n as f64,
            Statistic::Median => {
                if n % 2 == 1 {
                    s[n / 2]
                } else {
                    (s[n / 2 - 1] + s[n / 2]) / 2.0
                }
            }
            Statistic::Quantile(p) => {
                let h = (n - 1) as f64 * p;
                let k = h.floor() as usize;
                if k + 1 < n {
                    s[k] + (h - k as f64) * (s[k + 1] - s[k])
                } else {
                    s[k]
                }
            }
            Statistic::TrimmedMean(prop) => {
                let g = (prop * n as f64).floor() as usize;
                let kept = &s[g..n - g];
                kept.iter().sum::<f64>() / kept.len() as f64
            }
        }
    }

    fn stats() -> Vec<Statistic> {
        vec![
            Statistic::Mean,
            Statistic::Median,
            Statistic::Quantile(0.0),
            Statistic::Quantile(0.3),
            Statistic::Quantile(0.99),
            Statistic::Quantile(1.0),
            Statistic::TrimmedMean(0.0),
            Statistic::TrimmedMean(0.1),
            Statistic::TrimmedMean(0.25),
            Statistic::TrimmedMean(0.49),
        ]
    }

    fn data() -> Vec<Vec<f64>> {
        vec![
            vec![3.0, 1.0],
            vec![5.0, 1.0, 4.0],
            vec![2.0, 7.0, 1.0, 8.0, 2.0, 8.0, 1.0, 8.0, 2.0, 8.0, 4.0],
            (0..40)
                .map(|i| ((i * 37) % 17) as f64 * 0.5 - 3.0)
                .collect(),
            (0..57)
                .map(|i| (((i * 7919) % 101) as f64).ln_1p())
                .collect(),
        ]
    }

    #[test]
    fn in_place_matches_sorting_definitions() {
        for v in data() {
            for stat in stats() {
                let mut buf = v.clone();
                let got = in_place(stat, &mut buf);
                let want = direct(stat, &v);
                assert!(
                    (got - want).abs() <= 1e-12 * (1.0 + want.abs()),
                    "{stat:?} {v:?}: {got} vs {want}"
                );
            }
        }
    }

    #[test]
    fn resampled_quantiles_equal_selection_on_the_same_draws() {
        use super::super::resample::block_streams;
        let v: Vec<f64> = (0..2000)
            .map(|i| (((i * 7919) % 1543) as f64 * 0.37).sin() * 100.0)
            .collect();
        let ties: Vec<f64> = (0..500).map(|i| f64::from(i % 7)).collect();
        for data in [&v, &ties] {
            let n = data.len();
            for p in [
                0.0, 0.0005, 0.001, 0.01, 0.05, 0.3, 0.5, 0.95, 0.99, 0.999, 0.9995, 1.0,
            ] {
                for seed in 0..3 {
                    let mut s1 = block_streams(seed, 1).remove(0);
                    let mut s2 = block_streams(seed, 1).remove(0);
                    let mut buf = Vec::new();
                    let got = resampled(Statistic::Quantile(p), data, &mut s1, &mut buf);
                    let mut draws: Vec<f64> = (0..n).map(|_| data[s2.index(n)]).collect();
                    let want = in_place(Statistic::Quantile(p), &mut draws);
                    assert_eq!(got.to_bits(), want.to_bits(), "p = {p}, n = {n}");
                    // the streams are in the same state afterwards
                    assert_eq!(s1.index(1 << 20), s2.index(1 << 20));
                }
            }
        }
    }

    #[test]
    fn fast_jackknife_matches_direct_leave_one_out() {
        for v in data() {
            for stat in stats() {
                let fast = leave_one_out(stat, &v);
                for (i, &got) in fast.iter().enumerate() {
                    let mut rest = v.clone();
                    rest.remove(i);
                    let want = direct(stat, &rest);
                    assert!(
                        (got - want).abs() <= 1e-12 * (1.0 + want.abs()),
                        "{stat:?} {v:?} i={i}: {got} vs {want}"
                    );
                }
            }
        }
    }
}
