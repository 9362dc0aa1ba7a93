//! Binary classification metrics, defined as scikit-learn defines them.

use serde::{Deserialize, Serialize};

/// Fraction of rows whose lift and capture are reported.
pub const TOP_FRACTION: f64 = 0.10;

/// Area under the ROC curve (ties get half credit, as in `sklearn.metrics.roc_auc_score`).
///
/// NaN when `y` has one class.
pub fn roc_auc(y: &[u8], score: &[f64]) -> f64 {
    let mut idx: Vec<usize> = (0..y.len()).collect();
    idx.sort_by(|&a, &b| score[a].total_cmp(&score[b]));
    let (mut rank_sum, mut i) = (0.0, 0);
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && score[idx[j + 1]] == score[idx[i]] {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0;
        rank_sum += rank * idx[i..=j].iter().filter(|&&t| y[t] == 1).count() as f64;
        i = j + 1;
    }
    let np = y.iter().filter(|&&v| v == 1).count() as f64;
    let nn = y.len() as f64 - np;
    if np == 0.0 || nn == 0.0 {
        return f64::NAN;
    }
    (rank_sum - np * (np + 1.0) / 2.0) / (np * nn)
}

/// Average precision, `sum_k (R_k - R_{k-1}) P_k` over distinct score thresholds from the top
/// (`sklearn.metrics.average_precision_score`). NaN without positives.
pub fn average_precision(y: &[u8], score: &[f64]) -> f64 {
    let mut idx: Vec<usize> = (0..y.len()).collect();
    idx.sort_by(|&a, &b| score[b].total_cmp(&score[a]));
    let total_pos = y.iter().filter(|&&v| v == 1).count() as f64;
    if total_pos == 0.0 {
        return f64::NAN;
    }
    let (mut tp, mut seen, mut prev_recall, mut ap, mut i) = (0.0, 0.0, 0.0, 0.0, 0);
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && score[idx[j + 1]] == score[idx[i]] {
            j += 1;
        }
        for &t in &idx[i..=j] {
            tp += f64::from(y[t]);
            seen += 1.0;
        }
        let recall = tp / total_pos;
        ap += (recall - prev_recall) * (tp / seen);
        prev_recall = recall;
        i = j + 1;
    }
    ap
}

/// Mean squared error of probabilities.
pub fn brier(y: &[u8], p: &[f64]) -> f64 {
    y.iter()
        .zip(p)
        .map(|(&t, &q)| (q - f64::from(t)).powi(2))
        .sum::<f64>()
        / y.len() as f64
}

/// Mean negative log-likelihood, probabilities clipped to `[1e-15, 1 - 1e-15]`.
pub fn log_loss(y: &[u8], p: &[f64]) -> f64 {
    let eps = 1e-15;
    y.iter()
        .zip(p)
        .map(|(&t, &q)| {
            let q = q.clamp(eps, 1.0 - eps);
            if t == 1 {
                -q.ln()
            } else {
                -(1.0 - q).ln()
            }
        })
        .sum::<f64>()
        / y.len() as f64
}

/// Lift and capture of the top `fraction` of rows by score: (precision there / base rate,
/// share of all positives found there). Ties at the cut are broken by row order.
pub fn lift_capture(y: &[u8], score: &[f64], fraction: f64) -> (f64, f64) {
    let n = y.len();
    let k = ((n as f64 * fraction).ceil() as usize).clamp(1, n.max(1));
    let mut idx: Vec<usize> = (0..n).collect();
    idx.sort_by(|&a, &b| score[b].total_cmp(&score[a]).then(a.cmp(&b)));
    let total_pos = y.iter().filter(|&&v| v == 1).count() as f64;
    let top_pos = idx[..k].iter().filter(|&&i| y[i] == 1).count() as f64;
    let base = total_pos / n as f64;
    ((top_pos / k as f64) / base, top_pos / total_pos)
}

/// One bin of a calibration table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationBin {
    /// Lower edge of predicted probability (inclusive).
    pub lower: f64,
    /// Upper edge (exclusive, except the last bin).
    pub upper: f64,
    /// Rows in the bin.
    pub count: usize,
    /// Mean predicted probability of those rows (NaN when empty).
    pub mean_predicted: f64,
    /// Observed positive rate of those rows (NaN when empty).
    pub observed_rate: f64,
}

/// Calibration table with `bins` equal-width probability bins (like `sklearn.calibration.calibration_curve`
/// with `strategy="uniform"`, but empty bins are kept).
pub fn calibration_table(y: &[u8], p: &[f64], bins: usize) -> Vec<CalibrationBin> {
    let mut sum_p = vec![0.0; bins];
    let mut sum_y = vec![0.0; bins];
    let mut count = vec![0usize; bins];
    for (&t, &q) in y.iter().zip(p) {
        let b = ((q * bins as f64) as usize).min(bins - 1);
        sum_p[b] += q;
        sum_y[b] += f64::from(t);
        count[b] += 1;
    }
    (0..bins)
        .map(|b| CalibrationBin {
            lower: b as f64 / bins as f64,
            upper: (b + 1) as f64 / bins as f64,
            count: count[b],
            mean_predicted: sum_p[b] / count[b] as f64,
            observed_rate: sum_y[b] / count[b] as f64,
        })
        .collect()
}

/// The scalar metrics of one evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// ROC-AUC.
    pub roc_auc: f64,
    /// PR-AUC as average precision.
    pub pr_auc: f64,
    /// Brier score.
    pub brier: f64,
    /// Log-loss.
    pub log_loss: f64,
    /// Lift in the top 10 % by score.
    pub lift_top10: f64,
    /// Share of positives captured in the top 10 %.
    pub capture_top10: f64,
    /// Rows evaluated.
    pub rows: usize,
    /// Positive rate of those rows.
    pub positive_rate: f64,
}

impl Metrics {
    /// All scalar metrics of probabilities `p` against labels `y`.
    pub fn compute(y: &[u8], p: &[f64]) -> Metrics {
        let (lift_top10, capture_top10) = lift_capture(y, p, TOP_FRACTION);
        Metrics {
            roc_auc: roc_auc(y, p),
            pr_auc: average_precision(y, p),
            brier: brier(y, p),
            log_loss: log_loss(y, p),
            lift_top10,
            capture_top10,
            rows: y.len(),
            positive_rate: y.iter().filter(|&&v| v == 1).count() as f64 / y.len() as f64,
        }
    }

    fn values(&self) -> [f64; 6] {
        [
            self.roc_auc,
            self.pr_auc,
            self.brier,
            self.log_loss,
            self.lift_top10,
            self.capture_top10,
        ]
    }

    fn from_values(v: [f64; 6], rows: usize, positive_rate: f64) -> Metrics {
        Metrics {
            roc_auc: v[0],
            pr_auc: v[1],
            brier: v[2],
            log_loss: v[3],
            lift_top10: v[4],
            capture_top10: v[5],
            rows,
            positive_rate,
        }
    }
}

/// Metrics over validation folds: per fold, their mean and sample standard deviation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricSummary {
    /// Metrics of each validation fold, in fold order.
    pub folds: Vec<Metrics>,
    /// Mean over folds (`rows` is the total, `positive_rate` the pooled rate).
    pub mean: Metrics,
    /// Sample standard deviation over folds (n - 1); `None` with a single fold.
    pub std: Option<Metrics>,
}

impl MetricSummary {
    /// Summarises per-fold metrics (at least one).
    pub fn from_folds(folds: Vec<Metrics>) -> MetricSummary {
        let k = folds.len() as f64;
        let rows: usize = folds.iter().map(|m| m.rows).sum();
        let pos: f64 = folds.iter().map(|m| m.positive_rate * m.rows as f64).sum();
        let mut mean = [0.0; 6];
        for m in &folds {
            for (a, v) in mean.iter_mut().zip(m.values()) {
                *a += v / k;
            }
        }
        let std = (folds.len() > 1).then(|| {
            let mut s = [0.0; 6];
            for m in &folds {
                for ((a, v), mu) in s.iter_mut().zip(m.values()).zip(mean) {
                    *a += (v - mu).powi(2) / (k - 1.0);
                }
            }
            Metrics::from_values(s.map(f64::sqrt), 0, 0.0)
        });
        MetricSummary {
            mean: Metrics::from_values(mean, rows, pos / rows as f64),
            std,
            folds,
        }
    }
}
