//! Speed of erosion's gbdt against LightGBM on the same rows: fit on 200,000 x 30, predict on
//! 1,000,000 x 30. The peer and the data are `benches/peers/gbdt_speed_peer.py`; make the data
//! once, then run both sides (the harness, `benches/peers/harness.py --only gbdt_speed`, does it
//! all and writes the section of `BENCHMARKS.md`):
//!
//! ```sh
//! python benches/peers/gbdt_speed_peer.py --make-data /work/bench-data/gbdt-speed
//! RAYON_NUM_THREADS=1 cargo run --release -p erosion-models --example gbdt_speed -- /work/bench-data/gbdt-speed 3
//! python benches/peers/gbdt_speed_peer.py --data /work/bench-data/gbdt-speed --threads 1 --runs 3
//! ```
//!
//! Arguments: the data directory (default `/work/bench-data/gbdt-speed`) and the number of runs
//! (default 1); threads from `RAYON_NUM_THREADS` (default: all cores). Same settings as the peer:
//! 200 trees, 31 leaves, 255 bins, learning rate 0.1, at least 20 rows and 1e-3 hessian a leaf, no
//! L2, no depth limit, no subsampling, no early stopping. "fit" is `Gbdt::fit` (binning included),
//! "predict" is `predict_raw` on the test rows; loading the files is not timed. Prints one JSON
//! line per run and a summary line (medians).

use erosion_core::timings::cpu_seconds;
use std::time::Instant;

use erosion_models::metrics::roc_auc;
use erosion_models::{FeatureMatrix, Gbdt, GbdtParams, Learner};

const P: usize = 30;

fn read(dir: &str, name: &str) -> (FeatureMatrix, Vec<u8>) {
    let bytes = std::fs::read(format!("{dir}/{name}_x.f64"))
        .unwrap_or_else(|e| panic!("{dir}/{name}_x.f64: {e} (make the data with benches/peers/gbdt_speed_peer.py --make-data)"));
    let data: Vec<f64> = bytes
        .chunks_exact(8)
        .map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes")))
        .collect();
    let y = std::fs::read(format!("{dir}/{name}_y.u8")).expect("labels");
    let names = (0..P)
        .map(|j| erosion_models::ColumnMeta::numeric(format!("x{j}")))
        .collect();
    (FeatureMatrix::new(y.len(), names, data).expect("matrix"), y)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args
        .next()
        .unwrap_or_else(|| "/work/bench-data/gbdt-speed".into());
    let runs: usize = args.next().map_or(1, |r| r.parse().expect("runs"));
    let (xtr, ytr) = read(&dir, "train");
    let (xte, yte) = read(&dir, "test");
    let params = GbdtParams {
        max_rounds: 200,
        learning_rate: 0.1,
        num_leaves: 31,
        max_depth: None,
        min_data_in_leaf: 20,
        min_sum_hessian_in_leaf: 1e-3,
        lambda_l2: 0.0,
        max_bin: 255,
        feature_fraction: 1.0,
        bagging_fraction: 1.0,
        early_stopping: None,
        ..GbdtParams::default()
    };
    let threads = rayon::current_num_threads();
    let (mut fits, mut preds) = (Vec::new(), Vec::new());
    let mut auc = f64::NAN;
    for _ in 0..runs.max(1) {
        let (t, c) = (Instant::now(), cpu_seconds());
        let m = Gbdt::fit(&xtr, &ytr, &params).expect("fit");
        let (fit_s, fit_cpu) = (t.elapsed().as_secs_f64(), cpu_seconds() - c);
        let (t, c) = (Instant::now(), cpu_seconds());
        let s = m.predict_raw(&xte);
        let (pred_s, pred_cpu) = (t.elapsed().as_secs_f64(), cpu_seconds() - c);
        auc = roc_auc(&yte, &s);
        fits.push(fit_s);
        preds.push(pred_s);
        println!(
            "{{\"tool\": \"erosion\", \"version\": \"{}\", \"threads\": {threads}, \"fit_s\": {fit_s}, \
             \"predict_s\": {pred_s}, \"fit_cpu_s\": {fit_cpu}, \"predict_cpu_s\": {pred_cpu}, \
             \"auc\": {auc}, \"trees\": {}}}",
            env!("CARGO_PKG_VERSION"),
            m.trees.len()
        );
    }
    println!(
        "{{\"tool\": \"erosion\", \"summary\": true, \"threads\": {threads}, \"fit_median_s\": {}, \
         \"predict_median_s\": {}, \"auc\": {auc}}}",
        median(fits),
        median(preds)
    );
}
