//! Speed of erosion's gbdt against LightGBM on the same rows (see `benches-peer/gbdt_speed_peer.py`,
//! which writes the data first): fit on 200,000 x 30, predict on 1,000,000 x 30.
//!
//! `cargo run --release -p erosion-models --example gbdt_speed -- [DIR]` (default `/tmp/erosion-speed`).
//! Same settings as the peer: 200 trees, 31 leaves, 255 bins, learning rate 0.1, at least 20 rows a
//! leaf, min hessian 1e-3, no L2, no subsampling, no early stopping, no depth limit.

use std::time::Instant;

use erosion_models::metrics::roc_auc;
use erosion_models::{FeatureMatrix, Gbdt, GbdtParams};

const P: usize = 30;

fn read(dir: &str, name: &str) -> (FeatureMatrix, Vec<u8>) {
    let bytes = std::fs::read(format!("{dir}/{name}_x.f64"))
        .unwrap_or_else(|e| panic!("{dir}/{name}_x.f64: {e}"));
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

/// CPU seconds (user + system, all threads) this process has used so far, from `/proc/self/stat`
/// (Linux; `None` elsewhere). Robust to other load on the machine, unlike wall time.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "/tmp/erosion-speed".into());
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
        early_stopping: None,
        ..GbdtParams::default()
    };
    let (mut fits, mut preds, mut fit_cpu, mut pred_cpu) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut auc = 0.0;
    for _ in 0..3 {
        let (t, c) = (Instant::now(), cpu_seconds().unwrap_or(f64::NAN));
        let m = Gbdt::fit(&xtr, &ytr, &params).expect("fit");
        fits.push(t.elapsed().as_secs_f64());
        fit_cpu.push(cpu_seconds().unwrap_or(f64::NAN) - c);
        let (t, c) = (Instant::now(), cpu_seconds().unwrap_or(f64::NAN));
        let s = m.predict_raw(&xte);
        preds.push(t.elapsed().as_secs_f64());
        pred_cpu.push(cpu_seconds().unwrap_or(f64::NAN) - c);
        auc = roc_auc(&yte, &s);
    }
    let show = |v: &[f64]| {
        v.iter()
            .map(|x| format!("{x:.2}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    println!(
        "erosion gbdt ({} threads): fit wall {} s (median {:.2}), cpu median {:.2} s; \
         predict 1M wall {} s (median {:.2}), cpu median {:.2} s; test AUC {auc:.4}",
        rayon::current_num_threads(),
        show(&fits),
        median(fits.clone()),
        median(fit_cpu),
        show(&preds),
        median(preds.clone()),
        median(pred_cpu)
    );
}
