//! Probability calibration: Platt scaling or isotonic regression, chosen on out-of-fold data.

pub use erosion_inference::calibration::*;

use crate::error::Result;
use crate::metrics::brier;
use crate::validation::stratified_k_fold;

/// Platt scaling fitted by Newton's method on Platt's smoothed targets
/// (`(N+ + 1)/(N+ + 2)` and `1/(N- + 2)`), as scikit-learn does, except that the slope is kept
/// positive: a calibrator never reverses the model's ranking (a fitted slope at or below zero
/// becomes a tiny positive one at the base rate).
pub fn fit_platt(score: &[f64], y: &[u8]) -> Calibrator {
    let np = y.iter().filter(|&&v| v == 1).count() as f64;
    let nn = y.len() as f64 - np;
    let hi = (np + 1.0) / (np + 2.0);
    let lo = 1.0 / (nn + 2.0);
    let t: Vec<f64> = y.iter().map(|&v| if v == 1 { hi } else { lo }).collect();
    let (mut a, mut b) = (1.0, 0.0);
    let nll = |a: f64, b: f64| -> f64 {
        score
            .iter()
            .zip(&t)
            .map(|(&s, &ti)| {
                let z = a * s + b;
                let sp = if z > 0.0 {
                    z + (-z).exp().ln_1p()
                } else {
                    z.exp().ln_1p()
                };
                sp - ti * z
            })
            .sum()
    };
    let mut cur = nll(a, b);
    for _ in 0..100 {
        let (mut ga, mut gb, mut haa, mut hab, mut hbb) = (0.0, 0.0, 1e-12, 0.0, 1e-12);
        for (&s, &ti) in score.iter().zip(&t) {
            let q = 1.0 / (1.0 + (-(a * s + b)).exp());
            let r = q - ti;
            let w = q * (1.0 - q);
            ga += r * s;
            gb += r;
            haa += w * s * s;
            hab += w * s;
            hbb += w;
        }
        let det = haa * hbb - hab * hab;
        if det.abs() < 1e-300 {
            break;
        }
        let da = (hbb * ga - hab * gb) / det;
        let db = (haa * gb - hab * ga) / det;
        let mut step = 1.0;
        let mut moved = false;
        for _ in 0..30 {
            let (na, nb) = (a - step * da, b - step * db);
            let v = nll(na, nb);
            if v <= cur {
                a = na;
                b = nb;
                cur = v;
                moved = true;
                break;
            }
            step /= 2.0;
        }
        if !moved || (step * da).abs().max((step * db).abs()) < 1e-10 {
            break;
        }
    }
    if a <= 0.0 {
        // The out-of-fold scores ranked the wrong way (no skill, or a shift between the
        // validation folds): a decreasing map would turn the final model's order upside down.
        // Keep its order with a slope too small to matter and the base rate as the level.
        let spread = {
            let m = score.iter().sum::<f64>() / score.len().max(1) as f64;
            (score.iter().map(|s| (s - m) * (s - m)).sum::<f64>() / score.len().max(1) as f64)
                .sqrt()
        };
        let rate = t.iter().sum::<f64>() / t.len().max(1) as f64;
        a = 1e-6 / spread.max(1e-12);
        b = (rate / (1.0 - rate)).ln() - a * score.iter().sum::<f64>() / score.len().max(1) as f64;
    }
    Calibrator::Platt { a, b }
}

/// Isotonic regression by pool-adjacent-violators; ties in the score are pooled first.
pub fn fit_isotonic(score: &[f64], y: &[u8]) -> Calibrator {
    let mut idx: Vec<usize> = (0..score.len()).collect();
    idx.sort_by(|&a, &b| score[a].total_cmp(&score[b]));
    // blocks: (sum y, count, first score, last score)
    let mut blocks: Vec<(f64, f64, f64, f64)> = Vec::new();
    for &i in &idx {
        let (s, v) = (score[i], f64::from(y[i]));
        match blocks.last_mut() {
            Some(last) if last.3 == s => {
                last.0 += v;
                last.1 += 1.0;
            }
            _ => blocks.push((v, 1.0, s, s)),
        }
        while blocks.len() > 1 {
            let k = blocks.len();
            if blocks[k - 2].0 / blocks[k - 2].1 >= blocks[k - 1].0 / blocks[k - 1].1 {
                let last = blocks.pop().expect("two blocks");
                let prev = blocks.last_mut().expect("one block");
                prev.0 += last.0;
                prev.1 += last.1;
                prev.3 = last.3;
            } else {
                break;
            }
        }
    }
    let mut x = Vec::new();
    let mut yv = Vec::new();
    for &(sy, c, first, last) in &blocks {
        let m = sy / c;
        x.push(first);
        yv.push(m);
        if last > first {
            x.push(last);
            yv.push(m);
        }
    }
    Calibrator::Isotonic { x, y: yv }
}

/// Fits a calibrator on out-of-fold `(score, y)`; with [`CalibrationChoice::Auto`], the method with
/// the lower 5-fold cross-validated Brier score on those rows (Platt on ties).
///
/// `uncalibrated` is the model's own probability for each score (for the report).
pub fn choose_calibrator(
    score: &[f64],
    uncalibrated: &[f64],
    y: &[u8],
    choice: CalibrationChoice,
    seed: u64,
) -> Result<(Calibrator, CalibrationReport)> {
    let folds = stratified_k_fold(y, 5, seed ^ 0x6361_6C69)?;
    let mut pred_platt = vec![0.0; y.len()];
    let mut pred_iso = vec![0.0; y.len()];
    for f in &folds {
        let s: Vec<f64> = f.train.iter().map(|&i| score[i]).collect();
        let t: Vec<u8> = f.train.iter().map(|&i| y[i]).collect();
        let platt = fit_platt(&s, &t);
        let iso = fit_isotonic(&s, &t);
        for &i in &f.valid {
            pred_platt[i] = platt.apply(score[i]);
            pred_iso[i] = iso.apply(score[i]);
        }
    }
    let bp = brier(y, &pred_platt);
    let bi = brier(y, &pred_iso);
    let use_isotonic = match choice {
        CalibrationChoice::Auto => bi < bp,
        CalibrationChoice::Platt => false,
        CalibrationChoice::Isotonic => true,
    };
    let cal = if use_isotonic {
        fit_isotonic(score, y)
    } else {
        fit_platt(score, y)
    };
    Ok((
        cal.clone(),
        CalibrationReport {
            method: cal.method().to_string(),
            rows: y.len(),
            brier_uncalibrated: brier(y, uncalibrated),
            brier_platt_cv: bp,
            brier_isotonic_cv: bi,
        },
    ))
}
