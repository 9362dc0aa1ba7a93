//! L2-regularised logistic regression on standardised inputs, fitted exactly by Newton's method.
//!
//! Objective (scikit-learn's `LogisticRegression(C=c)` with the default L2 penalty and an
//! unpenalised intercept): `sum_i logloss_i + |w|^2 / (2c)`, over inputs imputed with the
//! training median and standardised with the training mean and standard deviation.

pub use erosion_inference::logistic::*;

use crate::error::{ModelError, Result};
use crate::matrix::{check_labels, FeatureMatrix};
use crate::Learner;

fn median_of(col: &[f64]) -> f64 {
    let mut v: Vec<f64> = col.iter().copied().filter(|x| !x.is_nan()).collect();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Solves `a x = b` for a symmetric positive definite `a` (row-major `d x d`) by Cholesky.
fn cholesky_solve(a: &mut [f64], b: &mut [f64], d: usize) -> bool {
    for j in 0..d {
        let mut s = a[j * d + j];
        for k in 0..j {
            s -= a[j * d + k] * a[j * d + k];
        }
        if s <= 0.0 || !s.is_finite() {
            return false;
        }
        let l = s.sqrt();
        a[j * d + j] = l;
        for i in j + 1..d {
            let mut s = a[i * d + j];
            for k in 0..j {
                s -= a[i * d + k] * a[j * d + k];
            }
            a[i * d + j] = s / l;
        }
    }
    for i in 0..d {
        let mut s = b[i];
        for k in 0..i {
            s -= a[i * d + k] * b[k];
        }
        b[i] = s / a[i * d + i];
    }
    for i in (0..d).rev() {
        let mut s = b[i];
        for k in i + 1..d {
            s -= a[k * d + i] * b[k];
        }
        b[i] = s / a[i * d + i];
    }
    true
}

impl Learner for Logistic {
    type Params = LogisticParams;

    /// Fits on all rows of `x`.
    #[allow(clippy::too_many_lines)] // known debt: split when next changed
    fn fit(x: &FeatureMatrix, y: &[u8], params: &LogisticParams) -> Result<Logistic> {
        x.check_trainable()?;
        check_labels(y, x.n_rows())?;
        if !(params.c > 0.0 && params.c.is_finite()) {
            return Err(ModelError::InvalidParameter {
                name: "c".into(),
                value: params.c.to_string(),
                why: "must be a positive number".into(),
            });
        }
        let (n, p) = (x.n_rows(), x.n_cols());
        let mut impute = Vec::with_capacity(p);
        let mut mean = Vec::with_capacity(p);
        let mut scale = Vec::with_capacity(p);
        // standardised design, column-major
        let mut z = Vec::with_capacity(n * p);
        for j in 0..p {
            let col = x.column(j);
            let fill = median_of(col);
            let filled: Vec<f64> = col
                .iter()
                .map(|&v| if v.is_nan() { fill } else { v })
                .collect();
            let m = filled.iter().sum::<f64>() / n as f64;
            let var = filled.iter().map(|v| (v - m).powi(2)).sum::<f64>() / n as f64;
            let s = if var > 1e-24 { var.sqrt() } else { 1.0 };
            z.extend(filled.iter().map(|v| (v - m) / s));
            impute.push(fill);
            mean.push(m);
            scale.push(s);
        }
        let d = p + 1; // coefficients then intercept
        let yf: Vec<f64> = y.iter().map(|&v| f64::from(v)).collect();
        let pos = yf.iter().sum::<f64>();
        let mut beta = vec![0.0; d];
        beta[p] = (pos / (n as f64 - pos)).ln();
        let inv_c = 1.0 / params.c;
        let objective = |beta: &[f64], eta: &[f64]| -> f64 {
            let mut loss = 0.0;
            for (e, t) in eta.iter().zip(&yf) {
                let sp = if *e > 0.0 {
                    e + (-e).exp().ln_1p()
                } else {
                    e.exp().ln_1p()
                };
                loss += sp - t * e;
            }
            loss + 0.5 * inv_c * beta[..p].iter().map(|b| b * b).sum::<f64>()
        };
        let linear = |beta: &[f64]| -> Vec<f64> {
            let mut eta = vec![beta[p]; n];
            for j in 0..p {
                let b = beta[j];
                if b != 0.0 {
                    for (e, zz) in eta.iter_mut().zip(&z[j * n..(j + 1) * n]) {
                        *e += b * zz;
                    }
                }
            }
            eta
        };
        let mut eta = linear(&beta);
        let mut obj = objective(&beta, &eta);
        let mut iterations = 0;
        for it in 0..params.max_iter {
            iterations = it + 1;
            let mut w = vec![0.0; n];
            let mut r = vec![0.0; n];
            for i in 0..n {
                let q = 1.0 / (1.0 + (-eta[i]).exp());
                w[i] = (q * (1.0 - q)).max(1e-12);
                r[i] = q - yf[i];
            }
            // gradient and hessian
            let mut g = vec![0.0; d];
            let mut h = vec![0.0; d * d];
            for j in 0..p {
                let zj = &z[j * n..(j + 1) * n];
                g[j] = zj.iter().zip(&r).map(|(a, b)| a * b).sum::<f64>() + inv_c * beta[j];
                let wz: Vec<f64> = zj.iter().zip(&w).map(|(a, b)| a * b).collect();
                for k in 0..=j {
                    let zk = &z[k * n..(k + 1) * n];
                    let v = wz.iter().zip(zk).map(|(a, b)| a * b).sum::<f64>();
                    h[j * d + k] = v;
                    h[k * d + j] = v;
                }
                h[j * d + j] += inv_c;
                let v = wz.iter().sum::<f64>();
                h[j * d + p] = v;
                h[p * d + j] = v;
            }
            g[p] = r.iter().sum();
            h[p * d + p] = w.iter().sum::<f64>();
            let mut step = g.clone();
            if !cholesky_solve(&mut h, &mut step, d) {
                break;
            }
            // damped Newton: halve the step until the objective does not increase
            let mut t = 1.0;
            let mut accepted = false;
            for _ in 0..30 {
                let cand: Vec<f64> = beta.iter().zip(&step).map(|(b, s)| b - t * s).collect();
                let cand_eta = linear(&cand);
                let cand_obj = objective(&cand, &cand_eta);
                if cand_obj <= obj {
                    let change = step.iter().map(|s| (t * s).abs()).fold(0.0, f64::max);
                    beta = cand;
                    eta = cand_eta;
                    obj = cand_obj;
                    accepted = true;
                    if change < params.tol {
                        t = 0.0;
                    }
                    break;
                }
                t /= 2.0;
            }
            if !accepted || t == 0.0 {
                break;
            }
        }
        let intercept = beta[p];
        beta.truncate(p);
        Ok(Logistic {
            impute,
            mean,
            scale,
            coef: beta,
            intercept,
            iterations,
        })
    }
}
