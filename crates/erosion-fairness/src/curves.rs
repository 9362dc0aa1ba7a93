//! Passes over the rows in score order for exact point estimates and curves:
//! the exact ROC-AUC numerators, ROC curve points, calibration bins.

use crate::compute::{AucAcc, Sums};
use crate::prep::Prepared;

/// Exact Mann-Whitney numerators per grouping and group (ties count 1/2).
pub(crate) fn exact_auc_nums(prep: &Prepared) -> Vec<Vec<f64>> {
    let scores = &prep.sorted_scores;
    prep.groupings
        .iter()
        .map(|grouping| {
            let mut acc = AucAcc::new(grouping.n_groups());
            let mut key = 0u64;
            for p in 0..prep.n {
                if p > 0 && scores[p] != scores[p - 1] {
                    key += 1;
                }
                let g = grouping.cell_group[prep.sorted_cells[p] as usize] as usize;
                acc.push(key, g, prep.sorted_labels[p], 1.0);
            }
            acc.flush();
            acc.num
        })
        .collect()
}

/// ROC curve points `(fpr, tpr)` per grouping and group, from (0, 0) to (1, 1),
/// thinned so that consecutive kept points differ by at least `1 / max_points`
/// in one coordinate. Empty for a group without both classes.
pub(crate) fn roc_curves(
    prep: &Prepared,
    sums: &[Vec<Sums>],
    max_points: usize,
) -> Vec<Vec<Vec<(f64, f64)>>> {
    let step = 1.0 / max_points as f64;
    let scores = &prep.sorted_scores;
    prep.groupings
        .iter()
        .zip(sums)
        .map(|(grouping, gsums)| {
            let k = grouping.n_groups();
            let mut curves: Vec<Vec<(f64, f64)>> = vec![vec![(0.0, 0.0)]; k];
            let mut tp = vec![0.0f64; k];
            let mut fp = vec![0.0f64; k];
            let mut in_run = vec![false; k];
            let mut touched: Vec<usize> = Vec::new();
            for p in (0..prep.n).rev() {
                let g = grouping.cell_group[prep.sorted_cells[p] as usize] as usize;
                if prep.sorted_labels[p] {
                    tp[g] += 1.0;
                } else {
                    fp[g] += 1.0;
                }
                if !in_run[g] {
                    in_run[g] = true;
                    touched.push(g);
                }
                if p > 0 && scores[p - 1] == scores[p] {
                    continue;
                }
                for g in touched.drain(..) {
                    in_run[g] = false;
                    let (pos, neg) = (gsums[g].pos(), gsums[g].neg());
                    if pos == 0.0 || neg == 0.0 {
                        continue;
                    }
                    let pt = (fp[g] / neg, tp[g] / pos);
                    let curve = &mut curves[g];
                    let last = *curve.last().expect("curves start with (0, 0)");
                    let is_end = tp[g] == pos && fp[g] == neg;
                    if is_end || (pt.0 - last.0).abs() >= step || (pt.1 - last.1).abs() >= step {
                        curve.push(pt);
                    }
                }
            }
            for (g, curve) in curves.iter_mut().enumerate() {
                if gsums[g].pos() == 0.0 || gsums[g].neg() == 0.0 {
                    curve.clear();
                }
            }
            curves
        })
        .collect()
}

/// One bin of a calibration curve: rows, sum of scores and positives.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct CalBin {
    pub count: f64,
    pub score_sum: f64,
    pub positives: f64,
}

/// Equal-width calibration bins over [0, 1] per grouping and group (a score of
/// exactly 1 falls in the last bin, as in scikit-learn's `calibration_curve`).
pub(crate) fn calibration_bins(prep: &Prepared, bins: usize) -> Vec<Vec<Vec<CalBin>>> {
    let mut out: Vec<Vec<Vec<CalBin>>> = prep
        .groupings
        .iter()
        .map(|g| vec![vec![CalBin::default(); bins]; g.n_groups()])
        .collect();
    for p in 0..prep.n {
        let s = prep.sorted_scores[p];
        let b = ((s * bins as f64) as usize).min(bins - 1);
        let cell = prep.sorted_cells[p] as usize;
        for (gi, grouping) in prep.groupings.iter().enumerate() {
            let c = &mut out[gi][grouping.cell_group[cell] as usize][b];
            c.count += 1.0;
            c.score_sum += s;
            if prep.sorted_labels[p] {
                c.positives += 1.0;
            }
        }
    }
    out
}
