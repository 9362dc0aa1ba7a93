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
            RawScale::Probability => raw
                .into_iter()
                .map(|p| {
                    let p = p.clamp(EPS, 1.0 - EPS);
                    (p / (1.0 - p)).ln()
                })
                .collect(),
        }
    }

    /// The model's own (uncalibrated) probability of a score.
    pub fn score_to_probability(score: f64) -> f64 {
        1.0 / (1.0 + (-score).exp())
    }

    /// Per-row, per-feature contributions that add up to [`Model::predict_raw`]:
    /// exact for logistic (`coef_j * z_j`), exact path-dependent TreeSHAP for the trees.
    pub fn contributions(&self, x: &FeatureMatrix) -> Contributions {
        let (n, p) = (x.n_rows(), x.n_cols());
        let names: Vec<String> = x.columns().iter().map(|c| c.name.clone()).collect();
        let mut values = vec![0.0; n * p];
        let (base, scale) = match self {
            Model::Logistic(m) => {
                values.par_chunks_mut(p).enumerate().for_each(|(i, out)| {
                    for (j, o) in out.iter_mut().enumerate() {
                        *o = m.coef[j] * m.standardise(j, x.get(i, j));
                    }
                });
                (m.intercept, RawScale::LogOdds)
            }
            Model::Gbdt(m) => {
                tree_contributions(&m.trees, x, &mut values, 1.0);
                let base = m.base_score + m.trees.iter().map(|t| t.expected_value()).sum::<f64>();
                (base, RawScale::LogOdds)
            }
            Model::Forest(m) => {
                let s = 1.0 / m.trees.len() as f64;
                tree_contributions(&m.trees, x, &mut values, s);
                let base = m.trees.iter().map(|t| t.expected_value()).sum::<f64>() * s;
                (base, RawScale::Probability)
            }
        };
        Contributions {
            scale,
            base,
            features: names,
            columns: x.columns().to_vec(),
            n_rows: n,
            values,
        }
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

fn tree_contributions(
    trees: &[crate::tree::Tree],
    x: &FeatureMatrix,
    values: &mut [f64],
    scale: f64,
) {
    use crate::tree::{ShapScratch, SHAP_TABLE_BUDGET};
    let p = x.n_cols();
    if p == 0 {
        return;
    }
    let share = SHAP_TABLE_BUDGET / trees.len().max(1);
    let paths: Vec<_> = trees.par_iter().map(|t| t.shap_paths(share)).collect();
    // Blocks of rows, tree by tree over the block so that a tree's tables stay in cache while
    // the block's rows go by; each row still adds its trees in tree order, so the bits are the
    // same whatever the threads.
    const ROWS: usize = 256;
    values
        .par_chunks_mut(p * ROWS)
        .enumerate()
        .for_each(|(b, block)| {
            let mut s = ShapScratch::default();
            let m = block.len() / p;
            let mut rows = vec![0.0; m * p];
            for (r, row) in rows.chunks_mut(p).enumerate() {
                for (j, v) in row.iter_mut().enumerate() {
                    *v = x.get(b * ROWS + r, j);
                }
            }
            for (t, paths) in trees.iter().zip(&paths) {
                for (row, out) in rows.chunks(p).zip(block.chunks_mut(p)) {
                    paths.add_row(t, row, out, scale, &mut s);
                }
            }
        });
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

/// Source columns of a model's features (see [`Contributions::source_groups`]).
#[derive(Debug, Clone)]
pub struct SourceGroups {
    /// Source column names, in order of first appearance.
    pub names: Vec<String>,
    /// Per feature, the index of its source in `names`.
    pub of: Vec<usize>,
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

    /// The `k` features with the largest contributions towards risk (positive ones only,
    /// largest first).
    pub fn top_reasons(&self, i: usize, k: usize) -> Vec<Reason> {
        top(
            self.features
                .iter()
                .cloned()
                .zip(self.row(i).iter().copied())
                .collect(),
            k,
        )
    }

    /// Like [`Contributions::top_reasons`] with one-hot columns summed per source column
    /// (`Contract` rather than `Contract=Month-to-month`).
    pub fn top_reasons_by_source(&self, i: usize, k: usize) -> Vec<Reason> {
        self.top_reasons_in(&self.source_groups(), i, k)
    }

    /// The source columns and which one each feature belongs to: compute once, then call
    /// [`Contributions::top_reasons_in`] per row (what scoring millions of rows does).
    pub fn source_groups(&self) -> SourceGroups {
        let mut names: Vec<String> = Vec::new();
        let mut of = Vec::with_capacity(self.columns.len());
        for c in &self.columns {
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

    /// [`Contributions::top_reasons_by_source`] with the groups computed beforehand: the same
    /// reasons, in the same order, with the same sums.
    pub fn top_reasons_in(&self, groups: &SourceGroups, i: usize, k: usize) -> Vec<Reason> {
        let mut agg = vec![0.0; groups.names.len()];
        let mut seen = vec![false; groups.names.len()];
        for (&g, &v) in groups.of.iter().zip(self.row(i)) {
            // the first column of a source starts its sum, as a fresh sum would
            agg[g] = if seen[g] { agg[g] + v } else { v };
            seen[g] = true;
        }
        let mut idx: Vec<usize> = (0..agg.len()).filter(|&g| agg[g] > 0.0).collect();
        idx.sort_by(|&a, &b| {
            agg[b]
                .total_cmp(&agg[a])
                .then_with(|| groups.names[a].cmp(&groups.names[b]))
        });
        idx.into_iter()
            .take(k)
            .map(|g| Reason {
                feature: groups.names[g].clone(),
                contribution: agg[g],
            })
            .collect()
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

fn top(mut items: Vec<(String, f64)>, k: usize) -> Vec<Reason> {
    items.retain(|(_, v)| *v > 0.0);
    items.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    items
        .into_iter()
        .take(k)
        .map(|(feature, contribution)| Reason {
            feature,
            contribution,
        })
        .collect()
}
