//! Learning the encoding of raw table columns ([`fit_spec`]); applying it is
//! [`FeatureSpec::transform`] in `erosion-inference`, re-exported here.
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

pub use erosion_inference::encode::*;
use erosion_inference::{FeatureMatrix, ModelError, Result};

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

/// Learns the encoding from training columns and returns it with the encoded matrix (which
/// [`FeatureSpec::transform`] of the same columns gives back exactly).
///
/// Fails on columns of different lengths, duplicate names, no columns, and a column with no
/// observed value.
pub fn fit_spec(
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
                let mut present: Vec<f64> = vals.iter().copied().filter(|v| !v.is_nan()).collect();
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
