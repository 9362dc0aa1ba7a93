//! From raw table columns (text or numbers, possibly missing) to a [`FeatureMatrix`], with a
//! [`FeatureSpec`] that re-applies exactly the same encoding at scoring time (the training
//! crate, `erosion-models`, learns the spec with `fit_spec`).
//!
//! Rules, learnt on the training rows only:
//! - a text column whose non-blank values all parse as numbers is numeric; blanks become missing
//!   (Telco's `TotalCharges`);
//! - any other text column is categorical and one-hot encoded: the `max_levels - 1` most frequent
//!   levels get a column each (ties by name), rarer ones share `(other)`, and a blank or absent
//!   value gets `(missing)` when the training rows had any;
//! - at scoring time an unseen level goes to `(other)` when that column exists, else to no column.
//!
//! Numeric missing values stay NaN in the matrix (trees route them natively); the median of the
//! training rows is recorded as the imputation value models without native missing support use.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::error::{ModelError, Result};
use crate::matrix::{ColumnMeta, FeatureMatrix};

/// Level name shared by rare and unseen categories.
pub const OTHER_LEVEL: &str = "(other)";
/// Level name of a missing categorical value.
pub const MISSING_LEVEL: &str = "(missing)";

/// The values of one raw input column.
#[derive(Debug, Clone, PartialEq)]
pub enum RawValues {
    /// Text cells (`None` or blank is missing).
    Text(Vec<Option<String>>),
    /// Numeric cells (NaN is missing), 8 bytes a cell: at a million customers and a hundred
    /// inputs the raw columns are the largest thing a scoring run holds.
    Number(Vec<f64>),
}

impl RawValues {
    /// Number of cells (rows).
    pub fn len(&self) -> usize {
        match self {
            RawValues::Text(v) => v.len(),
            RawValues::Number(v) => v.len(),
        }
    }

    /// Whether the column has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One raw input column.
#[derive(Debug, Clone, PartialEq)]
pub struct RawColumn {
    /// Column name in the source table.
    pub name: String,
    /// Its cells.
    pub values: RawValues,
}

impl RawColumn {
    /// A text column.
    pub fn text(name: impl Into<String>, values: Vec<Option<String>>) -> Self {
        Self {
            name: name.into(),
            values: RawValues::Text(values),
        }
    }

    /// A numeric column (`None` is missing, stored as NaN).
    pub fn number(name: impl Into<String>, values: Vec<Option<f64>>) -> Self {
        Self::numbers(
            name,
            values.into_iter().map(|v| v.unwrap_or(f64::NAN)).collect(),
        )
    }

    /// A numeric column whose missing cells are NaN.
    pub fn numbers(name: impl Into<String>, values: Vec<f64>) -> Self {
        Self {
            name: name.into(),
            values: RawValues::Number(values),
        }
    }
}

/// Options of learning a [`FeatureSpec`] (`erosion_models::encode::fit_spec`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EncodeOptions {
    /// Most one-hot columns per categorical input, `(other)` included (at least 2).
    pub max_levels: usize,
}

impl Default for EncodeOptions {
    fn default() -> Self {
        Self { max_levels: 32 }
    }
}

/// How one input column becomes features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Encoding {
    /// Copied as a number; NaN for missing.
    Numeric {
        /// Whether the training input was text parsed as numbers.
        parsed_from_text: bool,
        /// Median of the training rows: the value imputed where a model needs one.
        impute: f64,
        /// Share of training rows that were missing.
        missing_share: f64,
    },
    /// One 0/1 column per level.
    OneHot {
        /// Levels with their own column, in column order.
        levels: Vec<String>,
    },
}

/// The encoding of one input column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputSpec {
    /// Input column name.
    pub name: String,
    /// How it is encoded.
    pub encoding: Encoding,
}

/// Names, order, types, imputation values and encodings of a model's inputs.
///
/// Serialisable; [`FeatureSpec::transform`] applied to the training columns gives back exactly the
/// matrix `erosion_models::encode::fit_spec` returned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureSpec {
    /// Inputs in order.
    pub inputs: Vec<InputSpec>,
}

/// A text cell as a number: trimmed, parsed, and finite, else `None` (the one rule of what text
/// counts as a number, in training and at scoring).
pub fn parse_number(s: &str) -> Option<f64> {
    s.trim().parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Cell of a categorical column as a level string (`None` for missing).
pub fn level_of(values: &RawValues, i: usize) -> Option<String> {
    match values {
        RawValues::Text(v) => v[i]
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string),
        RawValues::Number(v) => Some(v[i]).filter(|x| !x.is_nan()).map(|x| format!("{x}")),
    }
}

impl FeatureSpec {
    /// The feature columns this spec produces, in order.
    pub fn features(&self) -> Vec<ColumnMeta> {
        let mut out = Vec::new();
        for input in &self.inputs {
            match &input.encoding {
                Encoding::Numeric { .. } => out.push(ColumnMeta::numeric(&input.name)),
                Encoding::OneHot { levels } => {
                    out.extend(levels.iter().map(|l| ColumnMeta::one_hot(&input.name, l)))
                }
            }
        }
        out
    }

    /// Imputation value per feature column (median for numeric, 0 for one-hot), in feature order.
    pub fn impute_values(&self) -> Vec<f64> {
        let mut out = Vec::new();
        for input in &self.inputs {
            match &input.encoding {
                Encoding::Numeric { impute, .. } => out.push(*impute),
                Encoding::OneHot { levels } => out.extend(std::iter::repeat_n(0.0, levels.len())),
            }
        }
        out
    }

    /// Encodes raw columns (found by name, any order, extras ignored) into the model's matrix.
    ///
    /// Fails when an input column is absent, lengths differ, or a numeric input holds text that
    /// is not a number.
    pub fn transform(&self, columns: &[RawColumn]) -> Result<FeatureMatrix> {
        use rayon::prelude::*;
        let by_name: HashMap<&str, &RawColumn> =
            columns.iter().map(|c| (c.name.as_str(), c)).collect();
        let n = columns.first().map_or(0, |c| c.values.len());
        let mut jobs = Vec::with_capacity(self.inputs.len());
        for input in &self.inputs {
            let col =
                by_name
                    .get(input.name.as_str())
                    .ok_or_else(|| ModelError::MissingColumn {
                        column: input.name.clone(),
                    })?;
            if col.values.len() != n {
                return Err(ModelError::LengthMismatch {
                    what: format!("column '{}'", col.name),
                    expected: n,
                    got: col.values.len(),
                });
            }
            jobs.push((input, *col));
        }
        let features = self.features();
        // zeroed by the allocator (pages arrive zeroed), then each input fills its own columns
        let mut data = vec![0.0; n * features.len()];
        let mut rest = data.as_mut_slice();
        let mut parts = Vec::with_capacity(jobs.len());
        for (input, col) in jobs {
            let width = match &input.encoding {
                Encoding::Numeric { .. } => 1,
                Encoding::OneHot { levels } => levels.len(),
            };
            let (part, tail) = rest.split_at_mut(n * width);
            rest = tail;
            parts.push((input, col, part));
        }
        // inputs in parallel; the first error in input order is the one reported
        let results: Vec<Result<()>> = parts
            .into_par_iter()
            .map(|(input, col, out)| {
                match &input.encoding {
                    Encoding::Numeric { .. } => numeric_into(&col.name, &col.values, out)?,
                    Encoding::OneHot { levels } => {
                        let index: HashMap<&str, usize> = levels
                            .iter()
                            .enumerate()
                            .map(|(k, l)| (l.as_str(), k))
                            .collect();
                        let other = index.get(OTHER_LEVEL).copied();
                        let missing = index.get(MISSING_LEVEL).copied();
                        for i in 0..n {
                            let k = match level_of(&col.values, i) {
                                Some(l) => index.get(l.as_str()).copied().or(other),
                                None => missing,
                            };
                            if let Some(k) = k {
                                out[k * n + i] = 1.0;
                            }
                        }
                    }
                }
                Ok(())
            })
            .collect();
        results.into_iter().collect::<Result<Vec<()>>>()?;
        FeatureMatrix::new(n, features, data)
    }
}

/// [`numeric_values`] written into `out` (one slot per row).
fn numeric_into(name: &str, values: &RawValues, out: &mut [f64]) -> Result<()> {
    match values {
        RawValues::Number(v) => {
            if let Some(row) = v.iter().position(|x| x.is_infinite()) {
                return Err(ModelError::Infinite {
                    column: name.to_string(),
                    row,
                });
            }
            out.copy_from_slice(v);
            Ok(())
        }
        RawValues::Text(_) => {
            out.copy_from_slice(&numeric_values(name, values)?);
            Ok(())
        }
    }
}

/// A numeric input's values: numbers as they are (infinite refused), text parsed by
/// [`parse_number`] with blanks as NaN (text that is not a number refused, with its row).
pub fn numeric_values(name: &str, values: &RawValues) -> Result<Vec<f64>> {
    match values {
        RawValues::Number(v) => {
            let mut out = vec![0.0; v.len()];
            numeric_into(name, values, &mut out)?;
            Ok(out)
        }
        RawValues::Text(v) => v
            .iter()
            .enumerate()
            .map(|(row, s)| match s.as_deref().map(str::trim) {
                None | Some("") => Ok(f64::NAN),
                Some(t) => parse_number(t).ok_or_else(|| ModelError::NotANumber {
                    column: name.to_string(),
                    row,
                    value: t.to_string(),
                }),
            })
            .collect(),
    }
}
