//! Per-core speed of the GBDT learner on a real wide table: fits `erosion train`'s default GBDT
//! settings for a fixed number of rounds (no early stopping) on a column-major f64 dump of a
//! feature table, and prints wall and CPU seconds and the training ROC-AUC (a fingerprint: the
//! same inputs must give the same AUC to the last digit). For profiling (`perf record`) and for
//! comparing a change against its parent on the same machine.
//!
//! ```sh
//! RAYON_NUM_THREADS=1 cargo run --release -p erosion-models --example gbdt_profile -- DIR ROUNDS
//! ```
//!
//! `DIR` holds `x.f64` (column-major little-endian f64, `n * p` values) and `y.u8` (`n` labels).

use erosion_core::timings::cpu_seconds;
use std::time::Instant;

use erosion_models::metrics::roc_auc;
use erosion_models::{FeatureMatrix, Gbdt, GbdtParams, Learner};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = args.get(1).map_or("/work/bench-data/prof", String::as_str);
    let rounds: usize = args.get(2).map_or(200, |s| s.parse().expect("rounds"));
    let y = std::fs::read(format!("{dir}/y.u8")).expect("y.u8");
    let bytes = std::fs::read(format!("{dir}/x.f64")).expect("x.f64");
    let data: Vec<f64> = bytes
        .chunks_exact(8)
        .map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes")))
        .collect();
    let n = y.len();
    let p = data.len() / n;
    let names = (0..p)
        .map(|j| erosion_models::ColumnMeta::numeric(format!("x{j}")))
        .collect();
    let x = FeatureMatrix::new(n, names, data).expect("matrix");
    let params = GbdtParams {
        max_rounds: rounds,
        early_stopping: None,
        ..GbdtParams::default()
    };
    let (t, c) = (Instant::now(), cpu_seconds());
    let m = Gbdt::fit(&x, &y, &params).expect("fit");
    let (wall, cpu) = (t.elapsed().as_secs_f64(), cpu_seconds() - c);
    let auc = roc_auc(&y, &m.predict_raw(&x));
    println!(
        "{{\"rows\": {n}, \"features\": {p}, \"rounds\": {rounds}, \"wall_s\": {wall:.3}, \"cpu_s\": {cpu:.2}, \"train_auc\": {auc:.12}}}"
    );
}
