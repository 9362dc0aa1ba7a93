//! From raw table columns (text or numbers, possibly missing) to a [`FeatureMatrix`], with a
//! [`FeatureSpec`] that re-applies exactly the same encoding at scoring time.
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
    fn len(&self) -> usize {
        match self {
            RawValues::Text(v) => v.len(),
            RawValues::Number(v) => v.len(),
        }
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

/// Options of [`FeatureSpec::fit`].
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
/// matrix [`FeatureSpec::fit`] returned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureSpec {
    /// Inputs in order.
    pub inputs: Vec<InputSpec>,
}

fn parse_number(s: &str) -> Option<f64> {
    s.trim().parse::<f64>().ok().filter(|v| v.is_finite())
}

fn is_blank(s: &Option<String>) -> bool {
    s.as_deref().is_none_or(|t| t.trim().is_empty())
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Cell of a categorical column as a level string (`None` for missing).
fn level_of(values: &RawValues, i: usize) -> Option<String> {
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
    /// Learns the encoding from training columns and returns it with the encoded matrix.
    ///
    /// Fails on columns of different lengths, duplicate names, no columns, and a column with no
    /// observed value.
    pub fn fit(
        columns: &[RawColumn],
        options: &EncodeOptions,
    ) -> Result<(FeatureSpec, FeatureMatrix)> {
        if options.max_levels < 2 {
            return Err(ModelError::InvalidParameter {
                name: "max_levels".into(),
                value: options.max_levels.to_string(),
                why: "must be at least 2".into(),
            });
        }
        let n = check_columns(columns)?;
        let mut inputs = Vec::with_capacity(columns.len());
        for col in columns {
            let missing_everywhere = match &col.values {
                RawValues::Text(v) => v.iter().all(is_blank),
                RawValues::Number(v) => v.iter().all(|x| x.is_nan()),
            };
            if missing_everywhere {
                return Err(ModelError::AllMissing {
                    column: col.name.clone(),
                    rows: n,
                });
            }
            let numeric = match &col.values {
                RawValues::Number(_) => Some(false),
                RawValues::Text(v) => v
                    .iter()
                    .filter(|s| !is_blank(s))
                    .all(|s| parse_number(s.as_deref().unwrap_or_default()).is_some())
                    .then_some(true),
            };
            let encoding = match numeric {
                Some(parsed_from_text) => {
                    let vals = numeric_values(&col.name, &col.values)?;
                    let mut present: Vec<f64> =
                        vals.iter().copied().filter(|v| !v.is_nan()).collect();
                    let missing_share = (n - present.len()) as f64 / n as f64;
                    Encoding::Numeric {
                        parsed_from_text,
                        impute: median(&mut present),
                        missing_share,
                    }
                }
                None => {
                    let mut counts: HashMap<String, usize> = HashMap::new();
                    let mut any_missing = false;
                    for i in 0..n {
                        match level_of(&col.values, i) {
                            Some(l) => *counts.entry(l).or_default() += 1,
                            None => any_missing = true,
                        }
                    }
                    let mut by_freq: Vec<(String, usize)> = counts.into_iter().collect();
                    by_freq.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                    let room = options.max_levels - usize::from(any_missing);
                    let mut levels: Vec<String> = if by_freq.len() > room {
                        let mut kept: Vec<String> = by_freq
                            .iter()
                            .take(room.saturating_sub(1).max(1))
                            .map(|l| l.0.clone())
                            .collect();
                        kept.sort();
                        kept.push(OTHER_LEVEL.to_string());
                        kept
                    } else {
                        let mut kept: Vec<String> = by_freq.into_iter().map(|l| l.0).collect();
                        kept.sort();
                        kept
                    };
                    if any_missing {
                        levels.push(MISSING_LEVEL.to_string());
                    }
                    Encoding::OneHot { levels }
                }
            };
            inputs.push(InputSpec {
                name: col.name.clone(),
                encoding,
            });
        }
        let spec = FeatureSpec { inputs };
        let matrix = spec.transform(columns)?;
        Ok((spec, matrix))
    }

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

fn check_columns(columns: &[RawColumn]) -> Result<usize> {
    let first = columns.first().ok_or_else(|| ModelError::Empty {
        what: "no input columns".into(),
    })?;
    let n = first.values.len();
    if n == 0 {
        return Err(ModelError::Empty {
            what: "the input has no rows".into(),
        });
    }
    let mut seen = std::collections::HashSet::new();
    for c in columns {
        if c.values.len() != n {
            return Err(ModelError::LengthMismatch {
                what: format!("column '{}'", c.name),
                expected: n,
                got: c.values.len(),
            });
        }
        if !seen.insert(c.name.as_str()) {
            return Err(ModelError::DuplicateColumn {
                column: c.name.clone(),
            });
        }
    }
    Ok(n)
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

fn numeric_values(name: &str, values: &RawValues) -> Result<Vec<f64>> {
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
