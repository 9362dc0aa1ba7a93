//! Checks forust-ml 0.8 and perpetual 3.0.0-rc.2 against erosion's Telco bar
//! (stratified 5-fold, seed 0, ROC-AUC; gbdt must reach 0.840).
//! Same hand parser, one-hot encoding and fold assignment as erosion-models' telco_cv example.
//! Run: CARGO_TARGET_DIR=/work/target-gbdt-eval cargo run --release -- PATH/Telco-Customer-Churn.csv
use std::time::Instant;

struct SplitMix(u64);
impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// fold per row: per class, shuffle (Fisher-Yates, SplitMix64(seed)) then deal round robin.
fn stratified_folds(y: &[f64], k: usize, seed: u64) -> Vec<usize> {
    let mut fold = vec![0; y.len()];
    let mut rng = SplitMix(seed);
    for class in [0.0, 1.0] {
        let mut idx: Vec<usize> = (0..y.len()).filter(|&i| y[i] == class).collect();
        for i in (1..idx.len()).rev() {
            let j = rng.below(i + 1);
            idx.swap(i, j);
        }
        for (pos, &i) in idx.iter().enumerate() {
            fold[i] = pos % k;
        }
    }
    fold
}

fn auc(score: &[f64], y: &[f64]) -> f64 {
    let mut idx: Vec<usize> = (0..y.len()).collect();
    idx.sort_by(|&a, &b| score[a].total_cmp(&score[b]));
    let (mut rank_sum, mut i) = (0.0, 0);
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && score[idx[j + 1]] == score[idx[i]] {
            j += 1;
        }
        let r = (i + j) as f64 / 2.0 + 1.0;
        for &t in &idx[i..=j] {
            if y[t] == 1.0 {
                rank_sum += r;
            }
        }
        i = j + 1;
    }
    let np = y.iter().filter(|&&v| v == 1.0).count() as f64;
    let nn = y.len() as f64 - np;
    (rank_sum - np * (np + 1.0) / 2.0) / (np * nn)
}

/// Telco: drop customerID, target Churn=Yes, numeric columns parsed (blank -> NaN), others one-hot.
fn load(path: &str) -> (Vec<f64>, usize, usize, Vec<f64>) {
    let text = std::fs::read_to_string(path).expect("read csv");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let rows: Vec<Vec<&str>> = lines
        .filter(|l| !l.is_empty())
        .map(|l| l.split(',').collect())
        .collect();
    let n = rows.len();
    let mut cols: Vec<Vec<f64>> = Vec::new();
    let mut y = vec![0.0; n];
    for (c, name) in header.iter().enumerate() {
        if *name == "customerID" {
            continue;
        }
        if *name == "Churn" {
            for (i, r) in rows.iter().enumerate() {
                y[i] = if r[c] == "Yes" { 1.0 } else { 0.0 };
            }
            continue;
        }
        let numeric = rows
            .iter()
            .all(|r| r[c].trim().is_empty() || r[c].trim().parse::<f64>().is_ok());
        if numeric {
            cols.push(
                rows.iter()
                    .map(|r| r[c].trim().parse::<f64>().unwrap_or(f64::NAN))
                    .collect(),
            );
        } else {
            let mut levels: Vec<&str> = rows.iter().map(|r| r[c]).collect();
            levels.sort();
            levels.dedup();
            for l in levels {
                cols.push(
                    rows.iter()
                        .map(|r| if r[c] == l { 1.0 } else { 0.0 })
                        .collect(),
                );
            }
        }
    }
    let p = cols.len();
    (cols.concat(), n, p, y)
}

fn subset(x: &[f64], n: usize, p: usize, rows: &[usize]) -> Vec<f64> {
    let mut out = Vec::with_capacity(rows.len() * p);
    for j in 0..p {
        out.extend(rows.iter().map(|&i| x[j * n + i]));
    }
    out
}

fn cv(
    name: &str,
    x: &[f64],
    n: usize,
    p: usize,
    y: &[f64],
    fit_predict: &dyn Fn(&[f64], usize, &[f64], &[f64], usize) -> Vec<f64>,
) {
    let folds = stratified_folds(y, 5, 0);
    let mut aucs = Vec::new();
    let t = Instant::now();
    for k in 0..5 {
        let tr: Vec<usize> = (0..n).filter(|&i| folds[i] != k).collect();
        let te: Vec<usize> = (0..n).filter(|&i| folds[i] == k).collect();
        let xtr = subset(x, n, p, &tr);
        let xte = subset(x, n, p, &te);
        let ytr: Vec<f64> = tr.iter().map(|&i| y[i]).collect();
        let yte: Vec<f64> = te.iter().map(|&i| y[i]).collect();
        let s = fit_predict(&xtr, tr.len(), &ytr, &xte, te.len());
        aucs.push(auc(&s, &yte));
    }
    let m = aucs.iter().sum::<f64>() / 5.0;
    let sd = (aucs.iter().map(|a| (a - m).powi(2)).sum::<f64>() / 4.0).sqrt();
    println!(
        "{name:<55} AUC {m:.4} ± {sd:.4}  ({:.1}s)",
        t.elapsed().as_secs_f64()
    );
}

/// Speed on the data written by `../gbdt_speed_peer.py`: 200 trees, depth 5 (<= 32 leaves), 255 bins.
fn speed(dir: &str) {
    let read = |name: &str| -> (Vec<f64>, Vec<f64>) {
        let b = std::fs::read(format!("{dir}/{name}_x.f64")).expect("x");
        let x = b
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
            .collect();
        let y = std::fs::read(format!("{dir}/{name}_y.u8"))
            .expect("y")
            .into_iter()
            .map(f64::from)
            .collect();
        (x, y)
    };
    let (xtr, ytr) = read("train");
    let (xte, yte) = read("test");
    let (ntr, nte) = (ytr.len(), yte.len());
    let t = Instant::now();
    let mut m = forust_ml::GradientBooster::default()
        .set_iterations(200)
        .set_learning_rate(0.1)
        .set_max_depth(5)
        .set_l2(0.0)
        .set_nbins(255)
        .set_parallel(true);
    m.fit_unweighted(&forust_ml::Matrix::new(&xtr, ntr, 30), &ytr, None)
        .unwrap();
    let fit = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let s = m.predict(&forust_ml::Matrix::new(&xte, nte, 30), true);
    let pred = t.elapsed().as_secs_f64();
    println!(
        "forust-ml 200 trees depth 5: fit {fit:.2} s, predict 1M {pred:.2} s, test AUC {:.4}",
        auc(&s, &yte)
    );
}

fn main() {
    let path = std::env::args()
        .nth(1)
        .expect("usage: gbdt-crates-eval TELCO.csv | SPEED_DIR");
    if std::path::Path::new(&path).is_dir() {
        return speed(&path);
    }
    let (x, n, p, y) = load(&path);
    println!(
        "Telco: {n} rows x {p} columns, positives {}",
        y.iter().sum::<f64>()
    );
    for (iters, lr, depth) in [
        (10, 0.3, 5),
        (100, 0.1, 3),
        (200, 0.05, 4),
        (300, 0.03, 3),
        (500, 0.02, 3),
    ] {
        cv(
            &format!("forust-ml iters={iters} lr={lr} depth={depth}"),
            &x,
            n,
            p,
            &y,
            &|xtr, ntr, ytr, xte, nte| {
                let mut m = forust_ml::GradientBooster::default()
                    .set_iterations(iters)
                    .set_learning_rate(lr)
                    .set_max_depth(depth)
                    .set_parallel(false);
                m.fit_unweighted(&forust_ml::Matrix::new(xtr, ntr, p), ytr, None)
                    .unwrap();
                m.predict(&forust_ml::Matrix::new(xte, nte, p), false)
            },
        );
    }
    for budget in [0.3f32, 0.5, 1.0, 1.5] {
        cv(
            &format!("perpetual budget={budget}"),
            &x,
            n,
            p,
            &y,
            &|xtr, ntr, ytr, xte, nte| {
                let mut m = perpetual::PerpetualBooster::default()
                    .set_objective(perpetual::objective::Objective::LogLoss)
                    .set_budget(budget)
                    .set_num_threads(Some(1));
                m.fit(&perpetual::Matrix::new(xtr, ntr, p), ytr, None, None)
                    .unwrap();
                m.predict(&perpetual::Matrix::new(xte, nte, p), false)
            },
        );
    }
}
