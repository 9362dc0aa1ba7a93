//! The training reference: a compact description of each input's distribution and of the
//! calibrated score's, small enough to travel inside the model bundle.

use serde::{Deserialize, Serialize};

use crate::stats::{bin_of, quantile_edges, shares};

/// The values of one column, as the model sees them before encoding.
#[derive(Debug, Clone, Copy)]
pub enum Values<'a> {
    /// Numbers; NaN is missing.
    Numeric(&'a [f64]),
    /// Text; `None` or blank is missing.
    Categorical(&'a [Option<String>]),
}

impl Values<'_> {
    /// Number of cells.
    pub fn len(&self) -> usize {
        match self {
            Values::Numeric(v) => v.len(),
            Values::Categorical(v) => v.len(),
        }
    }

    /// Whether there are no cells.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A named column.
#[derive(Debug, Clone, Copy)]
pub struct Column<'a> {
    /// Column name.
    pub name: &'a str,
    /// Its cells.
    pub values: Values<'a>,
}

/// How a reference is built.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReferenceOptions {
    /// Quantile bins per numeric column (fewer when values repeat).
    pub bins: usize,
    /// Most raw values kept per numeric column for the Kolmogorov–Smirnov test: the sorted
    /// values at evenly spaced ranks, so the same data always gives the same sample.
    pub sample: usize,
    /// Most categories kept per text column (by frequency, ties by name); the rest share
    /// `other_share`.
    pub max_categories: usize,
}

impl Default for ReferenceOptions {
    fn default() -> Self {
        Self {
            bins: 10,
            sample: 10_000,
            max_categories: 50,
        }
    }
}

/// One category and its share of the non-missing values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoryShare {
    /// The value.
    pub value: String,
    /// Its share of non-missing cells.
    pub share: f64,
}

/// The distribution of one column's non-missing values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Distribution {
    /// A numeric column.
    Numeric {
        /// Interior bin edges (right-closed bins, see [`crate::stats::bin_of`]).
        edges: Vec<f64>,
        /// Share of non-missing values in each of the `edges.len() + 1` bins.
        shares: Vec<f64>,
        /// Sorted sample of the non-missing values (all of them up to the option's size).
        sample: Vec<f64>,
        /// Non-missing values the sample was drawn from.
        sampled_from: usize,
    },
    /// A text column.
    Categorical {
        /// The most frequent categories, most frequent first.
        categories: Vec<CategoryShare>,
        /// Share of every other category together.
        other_share: f64,
    },
}

/// The reference of one column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputReference {
    /// Column name.
    pub name: String,
    /// Rows described.
    pub rows: usize,
    /// Share of rows missing.
    pub missing_share: f64,
    /// Distribution of the rest.
    pub distribution: Distribution,
}

/// The training reference of a model: every input and the calibrated score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reference {
    /// How it was built.
    pub options: ReferenceOptions,
    /// Rows it describes.
    pub rows: usize,
    /// What the score reference is ("out-of-fold calibrated probability", ...).
    pub score_source: String,
    /// One per input column, in the model's order.
    pub inputs: Vec<InputReference>,
    /// The calibrated probability, when known.
    pub score: Option<InputReference>,
}

fn is_missing_text(v: &Option<String>) -> bool {
    v.as_deref().is_none_or(|t| t.trim().is_empty())
}

impl InputReference {
    /// Describes one column.
    pub fn build(column: &Column, options: &ReferenceOptions) -> InputReference {
        let rows = column.values.len();
        let (missing, distribution) = match column.values {
            Values::Numeric(v) => numeric(v, options),
            Values::Categorical(v) => categorical(v, options),
        };
        InputReference {
            name: column.name.to_string(),
            rows,
            missing_share: if rows == 0 {
                0.0
            } else {
                missing as f64 / rows as f64
            },
            distribution,
        }
    }
}

/// Evenly spaced ranks of `sorted`, at most `size` of them.
fn rank_sample(sorted: &[f64], size: usize) -> Vec<f64> {
    if sorted.len() <= size {
        return sorted.to_vec();
    }
    let n = sorted.len();
    (0..size)
        .map(|i| sorted[((2 * i + 1) * n) / (2 * size)])
        .collect()
}

fn numeric(values: &[f64], options: &ReferenceOptions) -> (usize, Distribution) {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    sorted.sort_by(f64::total_cmp);
    let missing = values.len() - sorted.len();
    let edges = quantile_edges(&sorted, options.bins);
    let mut counts = vec![0usize; edges.len() + 1];
    for &v in &sorted {
        counts[bin_of(&edges, v)] += 1;
    }
    let distribution = Distribution::Numeric {
        shares: shares(&counts),
        sample: rank_sample(&sorted, options.sample),
        sampled_from: sorted.len(),
        edges,
    };
    (missing, distribution)
}

/// Counts of each non-missing category, most frequent first (ties by name).
pub(crate) fn category_counts(values: &[Option<String>]) -> (usize, Vec<(String, usize)>) {
    let mut counts: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    let mut missing = 0;
    for v in values {
        match v {
            Some(s) if !is_missing_text(v) => *counts.entry(s.trim()).or_default() += 1,
            _ => missing += 1,
        }
    }
    let mut list: Vec<(String, usize)> = counts
        .into_iter()
        .map(|(k, c)| (k.to_string(), c))
        .collect();
    list.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    (missing, list)
}

fn categorical(values: &[Option<String>], options: &ReferenceOptions) -> (usize, Distribution) {
    let (missing, list) = category_counts(values);
    let present = (values.len() - missing).max(1) as f64;
    let kept = list.len().min(options.max_categories);
    let other: usize = list[kept..].iter().map(|c| c.1).sum();
    let categories = list[..kept]
        .iter()
        .map(|(v, c)| CategoryShare {
            value: v.clone(),
            share: *c as f64 / present,
        })
        .collect();
    let distribution = Distribution::Categorical {
        categories,
        other_share: other as f64 / present,
    };
    (missing, distribution)
}

impl Reference {
    /// The reference of `columns` (the model's inputs before encoding) and, when given, of
    /// the calibrated score of the same rows; `score_source` says which score it is.
    pub fn build(
        columns: &[Column],
        score: Option<&[f64]>,
        score_source: &str,
        options: &ReferenceOptions,
    ) -> Reference {
        let rows = columns.first().map_or(0, |c| c.values.len());
        Reference {
            options: options.clone(),
            rows,
            score_source: score_source.to_string(),
            inputs: columns
                .iter()
                .map(|c| InputReference::build(c, options))
                .collect(),
            score: score.map(|s| {
                InputReference::build(
                    &Column {
                        name: SCORE_NAME,
                        values: Values::Numeric(s),
                    },
                    options,
                )
            }),
        }
    }

    /// The reference of input `name`.
    pub fn input(&self, name: &str) -> Option<&InputReference> {
        self.inputs.iter().find(|i| i.name == name)
    }
}

/// The name the score's reference and drift go by.
pub const SCORE_NAME: &str = "erosion_probability";
