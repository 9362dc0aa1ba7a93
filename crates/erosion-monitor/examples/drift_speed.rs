//! Benchmark of the drift statistics alone: every column of a training table against every
//! column of tonight's, as raw little-endian f64 files (column after column) that
//! `benches/peers/monitor_dump.py` writes from two Parquet tables.
//!
//! `cargo run --release -p erosion-monitor --example drift_speed -- DIR [THREADS]` reads
//! `DIR/names.txt`, `DIR/train.f64`, `DIR/tonight.f64`; prints the times of building the
//! reference and of comparing, and writes `DIR/drift.json` (per column: the reference's
//! sample, edges and shares, the KS test, PSI and Jensen–Shannon) for the exactness check.

use std::time::Instant;

use erosion_monitor::{compare, Column, Distribution, InputReference, ReferenceOptions, Values};

fn read_columns(path: &str, n_cols: usize) -> Vec<Vec<f64>> {
    let bytes = std::fs::read(path).expect("read the f64 file");
    let values: Vec<f64> = bytes
        .chunks_exact(8)
        .map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes")))
        .collect();
    let rows = values.len() / n_cols;
    values.chunks_exact(rows).map(<[f64]>::to_vec).collect()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = args.get(1).expect("usage: drift_speed DIR [THREADS]");
    let threads: usize = args.get(2).map_or(2, |t| t.parse().expect("threads"));
    let names: Vec<String> = std::fs::read_to_string(format!("{dir}/names.txt"))
        .expect("names.txt")
        .lines()
        .map(str::to_string)
        .collect();
    let train = read_columns(&format!("{dir}/train.f64"), names.len());
    let tonight = read_columns(&format!("{dir}/tonight.f64"), names.len());
    let opts = ReferenceOptions::default();
    let t = Instant::now();
    let refs: Vec<InputReference> = names
        .iter()
        .zip(&train)
        .map(|(n, v)| {
            InputReference::build(
                &Column {
                    name: n,
                    values: Values::Numeric(v),
                },
                &opts,
            )
        })
        .collect();
    let build_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let chunk = names.len().div_ceil(threads.max(1));
    let drifts: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = refs
            .chunks(chunk)
            .zip(tonight.chunks(chunk))
            .map(|(r, v)| {
                s.spawn(move || {
                    r.iter()
                        .zip(v)
                        .map(|(r, v)| compare(r, Values::Numeric(v)).expect("numeric"))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("thread"))
            .collect()
    });
    let compare_s = t.elapsed().as_secs_f64();
    println!(
        "{} columns: reference of {} rows built in {build_s:.3} s; {} rows compared in {compare_s:.3} s on {threads} threads",
        names.len(),
        train.first().map_or(0, Vec::len),
        tonight.first().map_or(0, Vec::len)
    );
    let out: Vec<serde_json::Value> = refs
        .iter()
        .zip(&drifts)
        .map(|(r, d)| {
            let Distribution::Numeric {
                edges,
                shares,
                sample,
                ..
            } = &r.distribution
            else {
                unreachable!("numeric columns")
            };
            serde_json::json!({"name": r.name, "edges": edges, "shares": shares, "sample": sample,
                "ks": d.ks, "psi": d.psi, "jensen_shannon": d.jensen_shannon,
                "current": d.buckets.iter().map(|b| b.current).collect::<Vec<_>>()})
        })
        .collect();
    std::fs::write(
        format!("{dir}/drift.json"),
        serde_json::to_vec(&serde_json::json!({"build_s": build_s, "compare_s": compare_s, "threads": threads, "columns": out}))
            .expect("json"),
    )
    .expect("write drift.json");
}
