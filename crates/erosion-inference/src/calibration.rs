//! Probability calibration: Platt scaling or isotonic regression, chosen on out-of-fold data
//! when training (`erosion-models`); here, the fitted map and how it was chosen.

use serde::{Deserialize, Serialize};

/// A map from a model's log-odds score to a calibrated probability.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum Calibrator {
    /// `p = 1 / (1 + exp(-(a * score + b)))`.
    Platt {
        /// Slope.
        a: f64,
        /// Intercept.
        b: f64,
    },
    /// Non-decreasing piecewise-linear map through `(x[k], y[k])`, constant outside
    /// (scikit-learn's `IsotonicRegression(out_of_bounds="clip")`).
    Isotonic {
        /// Knot scores, non-decreasing.
        x: Vec<f64>,
        /// Knot probabilities, non-decreasing.
        y: Vec<f64>,
    },
}

impl Calibrator {
    /// Calibrated probability of a score.
    pub fn apply(&self, s: f64) -> f64 {
        match self {
            Calibrator::Platt { a, b } => 1.0 / (1.0 + (-(a * s + b)).exp()),
            Calibrator::Isotonic { x, y } => {
                if s <= x[0] {
                    return y[0];
                }
                if s >= x[x.len() - 1] {
                    return y[y.len() - 1];
                }
                let k = x.partition_point(|&v| v <= s);
                let (x0, x1, y0, y1) = (x[k - 1], x[k], y[k - 1], y[k]);
                if x1 == x0 {
                    y1
                } else {
                    y0 + (y1 - y0) * (s - x0) / (x1 - x0)
                }
            }
        }
    }

    /// Method name (`platt` or `isotonic`).
    pub fn method(&self) -> &'static str {
        match self {
            Calibrator::Platt { .. } => "platt",
            Calibrator::Isotonic { .. } => "isotonic",
        }
    }
}

/// Which calibration method to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CalibrationChoice {
    /// Pick the one with the lower cross-validated Brier score.
    Auto,
    /// Platt scaling.
    Platt,
    /// Isotonic regression.
    Isotonic,
}

/// How the calibrator was chosen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationReport {
    /// Method kept.
    pub method: String,
    /// Rows of out-of-fold scores it was fitted on.
    pub rows: usize,
    /// Brier score of the uncalibrated out-of-fold probabilities.
    pub brier_uncalibrated: f64,
    /// 5-fold cross-validated Brier score of Platt scaling on those rows.
    pub brier_platt_cv: f64,
    /// 5-fold cross-validated Brier score of isotonic regression on those rows.
    pub brier_isotonic_cv: f64,
}
