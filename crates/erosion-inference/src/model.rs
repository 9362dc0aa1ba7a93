//! The three model families behind one enum, and their explanations.

use std::fmt;
use std::str::FromStr;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{ModelError, Result};
use crate::forest::Forest;
use crate::gbdt::Gbdt;
use crate::logistic::Logistic;
use crate::matrix::{ColumnMeta, FeatureMatrix};
use crate::tree::explain_blocks;

/// Which model to train.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    /// Regularised logistic regression.
    Logistic,
    /// Random forest.
    Forest,
    /// Gradient-boosted trees.
    Gbdt,
    /// Try all three, keep the best by validation ROC-AUC.
    Auto,
}

impl ModelKind {
    /// Name as the CLI spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            ModelKind::Logistic => "logistic",
            ModelKind::Forest => "forest",
            ModelKind::Gbdt => "gbdt",
            ModelKind::Auto => "auto",
        }
    }
}

impl fmt::Display for ModelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ModelKind {
    type Err = ModelError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "logistic" => Ok(ModelKind::Logistic),
            "forest" => Ok(ModelKind::Forest),
            "gbdt" => Ok(ModelKind::Gbdt),
            "auto" => Ok(ModelKind::Auto),
            other => Err(ModelError::InvalidParameter {
                name: "model".into(),
                value: other.into(),
                why: "expected logistic, forest, gbdt or auto".into(),
            }),
        }
    }
}

/// Scale of a model's raw output, in which its contributions add up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RawScale {
    /// Log-odds (logistic, GBDT).
    LogOdds,
    /// Probability (random forest: mean of leaf shares).
    Probability,
}

/// A fitted model of one family.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "family", rename_all = "snake_case")]
pub enum Model {
    /// Logistic regression.
    Logistic(Logistic),
    /// Random forest.
    Forest(Forest),
    /// Gradient-boosted trees.
    Gbdt(Gbdt),
}

/// Probabilities are clipped to `[EPS, 1 - EPS]` before a forest's output is turned into log-odds.
const EPS: f64 = 1e-6;

impl Model {
    /// Family.
    pub fn kind(&self) -> ModelKind {
        match self {
            Model::Logistic(_) => ModelKind::Logistic,
            Model::Forest(_) => ModelKind::Forest,
            Model::Gbdt(_) => ModelKind::Gbdt,
        }
    }

    /// Scale of [`Model::predict_raw`].
    pub fn raw_scale(&self) -> RawScale {
        match self {
            Model::Forest(_) => RawScale::Probability,
            _ => RawScale::LogOdds,
        }
    }

    /// Raw output per row: log-odds, or probability for the forest. `x` must have the training
    /// columns in training order.
    pub fn predict_raw(&self, x: &FeatureMatrix) -> Vec<f64> {
        match self {
            Model::Logistic(m) => m.predict_raw(x),
            Model::Forest(m) => m.predict(x),
            Model::Gbdt(m) => m.predict_raw(x),
        }
    }

    /// Log-odds score per row (the forest's probability is clipped and turned into log-odds):
    /// what calibrators take.
    pub fn score(&self, x: &FeatureMatrix) -> Vec<f64> {
        let raw = self.predict_raw(x);
        match self.raw_scale() {
            RawScale::LogOdds => raw,
            RawScale::Probability => raw.into_iter().map(|p| self.score_of_raw(p)).collect(),
        }
    }

    /// [`Model::score`] of one raw output.
    pub fn score_of_raw(&self, raw: f64) -> f64 {
        match self.raw_scale() {
            RawScale::LogOdds => raw,
            RawScale::Probability => {
                let p = raw.clamp(EPS, 1.0 - EPS);
                (p / (1.0 - p)).ln()
            }
        }
    }

    /// The model's own (uncalibrated) probability of a score.
    pub fn score_to_probability(score: f64) -> f64 {
        1.0 / (1.0 + (-score).exp())
    }

    /// Per-row, per-feature contributions that add up to [`Model::predict_raw`]:
    /// exact for logistic (`coef_j * z_j`), exact path-dependent TreeSHAP for the trees.
    pub fn contributions(&self, x: &FeatureMatrix) -> Contributions {
        let (base, scale) = self.expected_raw();
        let values = self.explain_blocks(x, |_, _, phi| phi.to_vec()).concat();
        Contributions {
            scale,
            base,
            features: x.columns().iter().map(|c| c.name.clone()).collect(),
            columns: x.columns().to_vec(),
            n_rows: x.n_rows(),
            values,
        }
    }

    /// The expected raw output (the base of [`Model::contributions`]) and its scale.
    pub fn expected_raw(&self) -> (f64, RawScale) {
        match self {
            Model::Logistic(m) => (m.intercept, RawScale::LogOdds),
            Model::Gbdt(m) => (
                m.base_score + m.trees.iter().map(|t| t.expected_value()).sum::<f64>(),
                RawScale::LogOdds,
            ),
            Model::Forest(m) => (
                m.trees.iter().map(|t| t.expected_value()).sum::<f64>()
                    * (1.0 / m.trees.len() as f64),
                RawScale::Probability,
            ),
        }
    }

    /// Raw outputs and contributions together, a block of rows at a time, without holding every
    /// row's contributions at once (what scoring millions of customers needs): calls
    /// `f(first_row, raw, values)` for each block of consecutive rows, where `raw` is bit for bit
    /// [`Model::predict_raw`] of those rows and `values` their row-major contributions, bit for bit
    /// [`Model::contributions`]. Blocks run in parallel; the results come back in row order.
    /// For the trees this is one pass: a tree's leaf and its contributions come from the same
    /// lookup.
    pub fn explain_blocks<B: Send>(
        &self,
        x: &FeatureMatrix,
        f: impl Fn(usize, &[f64], &[f64]) -> B + Sync,
    ) -> Vec<B> {
        let (n, p) = (x.n_rows(), x.n_cols());
        match self {
            Model::Logistic(m) => {
                let raw = m.predict_raw(x);
                const ROWS: usize = 256;
                (0..n.div_ceil(ROWS))
                    .into_par_iter()
                    .map(|b| {
                        let start = b * ROWS;
                        let rows = start..(start + ROWS).min(n);
                        let mut phi = vec![0.0; rows.len() * p];
                        for (i, out) in rows.clone().zip(phi.chunks_mut(p.max(1))) {
                            for (j, o) in out.iter_mut().enumerate() {
                                *o = m.coef[j] * m.standardise(j, x.get(i, j));
                            }
                        }
                        f(start, &raw[rows], &phi)
                    })
                    .collect()
            }
            Model::Gbdt(m) => explain_blocks(&m.trees, x.data(), n, p, m.base_score, 1.0, 1.0, f),
            Model::Forest(m) => {
                let s = 1.0 / m.trees.len() as f64;
                explain_blocks(&m.trees, x.data(), n, p, 0.0, s, s, f)
            }
        }
    }

    /// A measure of the work of explaining one row: the feature count for logistic regression;
    /// for the trees, nodes times half the depth per tree (Linear TreeSHAP's cost).
    pub fn explain_steps(&self) -> f64 {
        let trees = match self {
            Model::Logistic(m) => return m.coef.len() as f64,
            Model::Forest(m) => &m.trees,
            Model::Gbdt(m) => &m.trees,
        };
        trees
            .iter()
            .map(|t| (t.nodes.len() * t.depth().div_ceil(2).max(1)) as f64)
            .sum()
    }

    /// Split-gain importance per feature (trees only), normalised to sum to 1.
    pub fn gain_importance(&self, n_features: usize) -> Option<Vec<f64>> {
        let trees = match self {
            Model::Logistic(_) => return None,
            Model::Forest(m) => &m.trees,
            Model::Gbdt(m) => &m.trees,
        };
        let mut g = vec![0.0; n_features];
        for t in trees {
            for node in t.nodes.iter().filter(|n| !n.is_leaf()) {
                g[node.feature as usize] += node.gain;
            }
        }
        let total: f64 = g.iter().sum();
        if total > 0.0 {
            g.iter_mut().for_each(|v| *v /= total);
        }
        Some(g)
    }
}

/// One reason behind a score: a feature and how much it pushed the raw output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reason {
    /// Feature (or source column, for [`Contributions::top_reasons_by_source`]).
    pub feature: String,
    /// Contribution on the model's raw scale; positive raises the risk.
    pub contribution: f64,
}

impl Reason {
    /// `feature (+)` or `feature (-)`: the direction in which it moved the risk.
    pub fn label(&self) -> String {
        format!(
            "{} ({})",
            self.feature,
            if self.contribution >= 0.0 { '+' } else { '-' }
        )
    }
}

/// Source columns of a model's features, for ranking reasons by source.
#[derive(Debug, Clone)]
pub struct SourceGroups {
    /// Source column names, in order of first appearance.
    pub names: Vec<String>,
    /// Per feature, the index of its source in `names`.
    pub of: Vec<usize>,
}

impl SourceGroups {
    /// The source columns of `columns` (a model's features, in order).
    pub fn of(columns: &[ColumnMeta]) -> SourceGroups {
        let mut names: Vec<String> = Vec::new();
        let mut of = Vec::with_capacity(columns.len());
        for c in columns {
            let g = match names.iter().position(|s| s == c.source()) {
                Some(g) => g,
                None => {
                    names.push(c.source().to_string());
                    names.len() - 1
                }
            };
            of.push(g);
        }
        SourceGroups { names, of }
    }

    /// The `k` sources with the largest summed contributions towards risk in one row's
    /// contributions (`row[j]` for feature `j`): positive sums only, largest first, ties by name.
    pub fn top_reasons(&self, row: &[f64], k: usize) -> Vec<Reason> {
        self.top(row, k)
            .into_iter()
            .map(|(g, contribution)| Reason {
                feature: self.names[g].clone(),
                contribution,
            })
            .collect()
    }

    /// [`SourceGroups::top_reasons`] as `(index into names, summed contribution)`, without
    /// copying names.
    pub fn top(&self, row: &[f64], k: usize) -> Vec<(usize, f64)> {
        // largest first, ties by name: the order of a sort by (sum descending, name)
        let before = |a: (usize, f64), b: (usize, f64)| {
            a.1 > b.1 || (a.1 == b.1 && self.names[a.0] < self.names[b.0])
        };
        let mut best: Vec<(usize, f64)> = Vec::with_capacity(k + 1);
        let mut offer = |g: usize, v: f64| {
            // positive sums only (NaN is not)
            if k == 0 || v.is_nan() || v <= 0.0 {
                return;
            }
            if best.len() == k && !before((g, v), best[k - 1]) {
                return;
            }
            let at = best
                .iter()
                .position(|&b| before((g, v), b))
                .unwrap_or(best.len());
            best.insert(at, (g, v));
            best.truncate(k);
        };
        if self.of.iter().enumerate().all(|(j, &g)| j == g) {
            // one feature per source (no one-hot columns): the sums are the values
            for (g, &v) in row.iter().enumerate().take(self.of.len()) {
                offer(g, v);
            }
        } else {
            let mut agg = vec![0.0; self.names.len()];
            let mut seen = vec![false; self.names.len()];
            for (&g, &v) in self.of.iter().zip(row) {
                // the first column of a source starts its sum, as a fresh sum would
                agg[g] = if seen[g] { agg[g] + v } else { v };
                seen[g] = true;
            }
            for (g, &v) in agg.iter().enumerate() {
                offer(g, v);
            }
        }
        best
    }
}

/// Per-row contributions: `base + sum_j values[i][j]` is row `i`'s raw output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contributions {
    /// Scale in which they add up.
    pub scale: RawScale,
    /// Expected raw output (the same for every row).
    pub base: f64,
    /// Feature names, in column order.
    pub features: Vec<String>,
    /// Column descriptions (to group one-hot columns by source).
    pub columns: Vec<ColumnMeta>,
    /// Rows.
    pub n_rows: usize,
    /// Row-major `n_rows x features.len()` contributions.
    pub values: Vec<f64>,
}

impl Contributions {
    /// Contributions of row `i`.
    pub fn row(&self, i: usize) -> &[f64] {
        let p = self.features.len();
        &self.values[i * p..(i + 1) * p]
    }

    /// `base + sum` of row `i`: equals the model's raw output up to rounding.
    pub fn total(&self, i: usize) -> f64 {
        self.base + self.row(i).iter().sum::<f64>()
    }

    /// The `k` source columns whose summed contributions raise row `i`'s risk most (positive
    /// sums only, largest first, ties by name): one-hot columns count for their source
    /// (`Contract` rather than `Contract=Month-to-month`). Scoring many rows computes
    /// [`SourceGroups::of`] once and calls [`SourceGroups::top`] per row instead.
    pub fn top_reasons_by_source(&self, i: usize, k: usize) -> Vec<Reason> {
        SourceGroups::of(&self.columns).top_reasons(self.row(i), k)
    }

    /// Mean absolute contribution per feature over the rows.
    pub fn mean_abs(&self) -> Vec<f64> {
        let p = self.features.len();
        let mut m = vec![0.0; p];
        for i in 0..self.n_rows {
            for (a, v) in m.iter_mut().zip(self.row(i)) {
                *a += v.abs() / self.n_rows as f64;
            }
        }
        m
    }
}
