//! L2-regularised logistic regression on standardised inputs, fitted exactly by Newton's method.
//!
//! Objective (scikit-learn's `LogisticRegression(C=c)` with the default L2 penalty and an
//! unpenalised intercept): `sum_i logloss_i + |w|^2 / (2c)`, over inputs imputed with the
//! training median and standardised with the training mean and standard deviation.
//!
//! This module holds the fitted form and its prediction; `erosion_models::Learner` fits it.

use serde::{Deserialize, Serialize};

use crate::matrix::FeatureMatrix;

/// Hyperparameters of [`Logistic`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogisticParams {
    /// Inverse regularisation strength (scikit-learn's `C`).
    pub c: f64,
    /// Most Newton iterations.
    pub max_iter: usize,
    /// Stop when the largest coefficient change falls below this.
    pub tol: f64,
}

impl Default for LogisticParams {
    fn default() -> Self {
        Self {
            c: 1.0,
            max_iter: 100,
            tol: 1e-10,
        }
    }
}

/// A trained logistic regression: `log-odds = intercept + sum_j coef_j * z_j` where
/// `z_j = (x_j - mean_j) / scale_j` and a missing `x_j` is replaced by `impute_j`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Logistic {
    /// Median of each training column (replaces missing values).
    pub impute: Vec<f64>,
    /// Mean of each (imputed) training column.
    pub mean: Vec<f64>,
    /// Standard deviation of each (imputed) training column; 1 for a constant column.
    pub scale: Vec<f64>,
    /// Coefficients on the standardised scale.
    pub coef: Vec<f64>,
    /// Intercept.
    pub intercept: f64,
    /// Newton iterations used.
    pub iterations: usize,
}

impl Logistic {
    /// Standardised value of `v` in column `j`.
    #[inline]
    pub fn standardise(&self, j: usize, v: f64) -> f64 {
        let v = if v.is_nan() { self.impute[j] } else { v };
        (v - self.mean[j]) / self.scale[j]
    }

    /// Log-odds for every row of a column-major buffer of `n` rows.
    pub fn predict_raw_buffer(&self, data: &[f64], n: usize) -> Vec<f64> {
        let mut out = vec![self.intercept; n];
        for (j, &b) in self.coef.iter().enumerate() {
            for (o, &v) in out.iter_mut().zip(&data[j * n..(j + 1) * n]) {
                *o += b * self.standardise(j, v);
            }
        }
        out
    }

    /// Log-odds for every row of `x` (columns in training order).
    pub fn predict_raw(&self, x: &FeatureMatrix) -> Vec<f64> {
        self.predict_raw_buffer(x.data(), x.n_rows())
    }
}
