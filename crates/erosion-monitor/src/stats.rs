//! Distribution distances on shares: the population stability index and the Jensen–Shannon
//! distance; quantile bin edges and binning.

/// Share a bin is raised to in [`psi`] when it is smaller (empty bins included), so that a bin
/// empty on one side gives a large but finite term. The same floor Evidently uses.
pub const PSI_EPSILON: f64 = 1e-4;

/// Population stability index `sum (a_i - e_i) ln(a_i / e_i)` of `actual` shares against
/// `expected` shares (same bins, each summing to 1), with both shares floored at
/// [`PSI_EPSILON`] (not renormalised). 0 for identical shares; above 0.2 is usually read as a
/// shift that matters, 0.1–0.2 as a moderate one.
pub fn psi(expected: &[f64], actual: &[f64]) -> f64 {
    expected
        .iter()
        .zip(actual)
        .map(|(&e, &a)| {
            let (e, a) = (e.max(PSI_EPSILON), a.max(PSI_EPSILON));
            (a - e) * (a / e).ln()
        })
        .sum()
}

/// Jensen–Shannon distance with logarithms in base 2 (in `[0, 1]`), as
/// `scipy.spatial.distance.jensenshannon(p, q, base=2)` computes it: both vectors are first
/// divided by their sums; `None` when either sums to 0.
pub fn jensen_shannon(p: &[f64], q: &[f64]) -> Option<f64> {
    let (sp, sq): (f64, f64) = (p.iter().sum(), q.iter().sum());
    if sp <= 0.0 || sq <= 0.0 {
        return None;
    }
    let rel_entr = |a: f64, b: f64| {
        if a == 0.0 {
            0.0
        } else if b > 0.0 {
            a * (a / b).ln()
        } else {
            f64::INFINITY
        }
    };
    let mut total = 0.0;
    for (&a, &b) in p.iter().zip(q) {
        let (a, b) = (a / sp, b / sq);
        let m = (a + b) / 2.0;
        total += rel_entr(a, m) + rel_entr(b, m);
    }
    let js = total / 2.0 / std::f64::consts::LN_2;
    Some(js.max(0.0).sqrt())
}

/// Interior bin edges at the `1/bins, 2/bins, ...` quantiles of `sorted` (ascending, no NaN),
/// linearly interpolated as NumPy's default `np.quantile` does, with repeated edges removed
/// (a feature with few distinct values gets fewer bins). Empty input, no edges.
pub fn quantile_edges(sorted: &[f64], bins: usize) -> Vec<f64> {
    if sorted.is_empty() || bins < 2 {
        return Vec::new();
    }
    let mut edges: Vec<f64> = Vec::with_capacity(bins - 1);
    let last = (sorted.len() - 1) as f64;
    for k in 1..bins {
        let pos = last * (k as f64 / bins as f64);
        let lo = pos.floor() as usize;
        let hi = (lo + 1).min(sorted.len() - 1);
        let frac = pos - lo as f64;
        let e = sorted[lo] + (sorted[hi] - sorted[lo]) * frac;
        if edges.last() != Some(&e) {
            edges.push(e);
        }
    }
    edges
}

/// Bin of `x` among `edges`: bin `i` holds `edges[i-1] < x <= edges[i]` (right-closed), bin 0
/// everything up to the first edge, the last bin everything above the last edge.
pub fn bin_of(edges: &[f64], x: f64) -> usize {
    edges.partition_point(|&e| e < x)
}

/// Shares of each of `bins` counts (all 0 when the total is 0).
pub fn shares(counts: &[usize]) -> Vec<f64> {
    let total: usize = counts.iter().sum();
    counts
        .iter()
        .map(|&c| {
            if total == 0 {
                0.0
            } else {
                c as f64 / total as f64
            }
        })
        .collect()
}
