//! The M4 competition's wide CSV layout and its evaluation (Makridakis, Spiliotis &
//! Assimakopoulos 2020; the organisers' `Benchmarks and Evaluation.R`).

use std::path::Path;

use crate::error::{ForecastError, Result};
use crate::metrics;
use crate::stats;

/// One row of an M4 file: the id (`V1`) and the values that follow, padding removed.
#[derive(Debug, Clone, PartialEq)]
pub struct M4Row {
    /// Series id, e.g. `W1`.
    pub id: String,
    /// Observations in time order.
    pub values: Vec<f64>,
}

/// Reads an M4 file in the organisers' wide layout: a header, then `"id","v1","v2",...` with
/// shorter rows right-padded by empty cells. Fails on a non-numeric cell, naming line and column.
pub fn read_wide_csv(path: &Path) -> Result<Vec<M4Row>> {
    let text = std::fs::read_to_string(path).map_err(|e| ForecastError::Io {
        path: path.display().to_string(),
        reason: e.to_string(),
    })?;
    parse_wide_csv(&text, &path.display().to_string())
}

/// [`read_wide_csv`] on text already in memory; `source` names it in errors.
pub fn parse_wide_csv(text: &str, source: &str) -> Result<Vec<M4Row>> {
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if i == 0 || line.trim().is_empty() {
            continue;
        }
        let mut cells = line.split(',').map(|c| c.trim().trim_matches('"'));
        let id = cells.next().unwrap_or_default().to_string();
        let mut values = Vec::new();
        for (j, c) in cells.enumerate() {
            if c.is_empty() {
                continue;
            }
            let v: f64 = c.parse().map_err(|_| ForecastError::M4Parse {
                path: source.to_string(),
                line: i + 1,
                reason: format!("column V{}: `{c}` is not a number", j + 2),
            })?;
            if !v.is_finite() {
                return Err(ForecastError::M4Parse {
                    path: source.to_string(),
                    line: i + 1,
                    reason: format!("column V{}: `{c}` is not finite", j + 2),
                });
            }
            values.push(v);
        }
        if values.is_empty() {
            return Err(ForecastError::M4Parse {
                path: source.to_string(),
                line: i + 1,
                reason: format!("series `{id}` has no values"),
            });
        }
        rows.push(M4Row { id, values });
    }
    Ok(rows)
}

/// The Naive2 benchmark: naive on data seasonally adjusted by classical multiplicative
/// decomposition when M4's 90 % seasonality test at lag `m` passes (`m = 1`: plain naive).
pub fn naive2(insample: &[f64], m: usize, h: usize) -> Vec<f64> {
    let n = insample.len();
    match stats::m4_seasonal_indices(insample, m) {
        Some(si) => {
            let last = insample[n - 1] / si[(n - 1) % m];
            (0..h).map(|i| last * si[(n + i) % m]).collect()
        }
        None => vec![insample[n - 1]; h],
    }
}

/// Mean sMAPE and MASE of one method over a set of series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Accuracy {
    /// Mean over series of the per-series sMAPE (percent).
    pub smape: f64,
    /// Mean over series of the per-series MASE.
    pub mase: f64,
}

impl Accuracy {
    /// OWA relative to `naive2`.
    pub fn owa(&self, naive2: &Accuracy) -> f64 {
        metrics::owa(self.smape, self.mase, naive2.smape, naive2.mase)
    }
}

/// Scores forecasts against the test rows the M4 way: sMAPE and MASE per series (MASE scaled
/// by the in-sample naive error at lag `m`), then averaged over series.
pub fn evaluate(train: &[M4Row], test: &[M4Row], forecasts: &[Vec<f64>], m: usize) -> Accuracy {
    let k = train.len().min(test.len()).min(forecasts.len());
    let mut s = 0.0;
    let mut q = 0.0;
    for i in 0..k {
        s += metrics::smape(&test[i].values, &forecasts[i]);
        q += metrics::mase(&train[i].values, &test[i].values, &forecasts[i], m);
    }
    Accuracy {
        smape: s / k.max(1) as f64,
        mase: q / k.max(1) as f64,
    }
}

/// Interval scores of 95 % bands the M4 way: MSIS (mean scaled interval score, α = 0.05, scaled
/// like MASE) and coverage, both averaged over series.
pub fn evaluate_intervals(
    train: &[M4Row],
    test: &[M4Row],
    lo95: &[Vec<f64>],
    hi95: &[Vec<f64>],
    m: usize,
) -> (f64, f64) {
    let k = train.len().min(test.len()).min(lo95.len()).min(hi95.len());
    let alpha = 0.05;
    let mut msis = 0.0;
    let mut cov = 0.0;
    for i in 0..k {
        let y = &test[i].values;
        let h = y.len().min(lo95[i].len()).min(hi95[i].len());
        let mut score = 0.0;
        for t in 0..h {
            let (l, u) = (lo95[i][t], hi95[i][t]);
            score += (u - l)
                + if y[t] < l {
                    2.0 / alpha * (l - y[t])
                } else {
                    0.0
                }
                + if y[t] > u {
                    2.0 / alpha * (y[t] - u)
                } else {
                    0.0
                };
        }
        let mut scale = metrics::mase_scale(&train[i].values, m);
        if scale <= 0.0 {
            scale = 1.0;
        }
        msis += score / h.max(1) as f64 / scale;
        cov += metrics::coverage(&y[..h], &lo95[i][..h], &hi95[i][..h]);
    }
    (msis / k.max(1) as f64, cov / k.max(1) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_padded_rows_and_reports_bad_cells() {
        let text =
            "\"V1\",\"V2\",\"V3\",\"V4\"\n\"W1\",\"1.5\",\"2\",\"3\"\n\"W2\",\"4\",\"5\",\"\"\n";
        let rows = parse_wide_csv(text, "t.csv").unwrap();
        assert_eq!(rows[1].values, vec![4.0, 5.0]);
        let bad = "\"V1\",\"V2\"\n\"W1\",\"x\"\n";
        match parse_wide_csv(bad, "t.csv") {
            Err(ForecastError::M4Parse { line, reason, .. }) => {
                assert_eq!(line, 2);
                assert!(reason.contains("V2"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
    }
}
