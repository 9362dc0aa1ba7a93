//! Scale benchmark: many short weekly segment series, as `erosion forecast --by SEGMENT`
//! produces them.
//!
//! ```text
//! cargo run --release -p erosion-forecast --example scale -- [--series 10000] [--weeks 104]
//!     [--horizon 13] [--season 52] [--threads 1] [--models auto,ets,theta]
//! ```
//!
//! The series are synthetic and deterministic: an NPS-like level with drift, a yearly cycle
//! and noise, and, for every fourth series, a zero-heavy complaint rate. Prints wall and CPU
//! time per model and the mean backtest-free sanity (no NaN, ordered bands).

use std::time::Instant;

use erosion_forecast::{forecast_many, ForecastConfig, Model, Series};

fn process_cpu_secs() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

struct Lcg(u64);
impl Lcg {
    fn uniform(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn make_series(k: usize, weeks: usize) -> Series {
    let mut rng = Lcg(k as u64 * 7919 + 1);
    let values: Vec<f64> = if k % 4 == 3 {
        // Zero-heavy complaint rate.
        (0..weeks)
            .map(|_| {
                if rng.uniform() < 0.8 {
                    0.0
                } else {
                    0.01 * rng.uniform()
                }
            })
            .collect()
    } else {
        let level = 20.0 + 40.0 * rng.uniform();
        let drift = 0.05 * (rng.uniform() - 0.5);
        let amp = 5.0 * rng.uniform();
        (0..weeks)
            .map(|t| {
                let season = amp * (t as f64 * std::f64::consts::TAU / 52.0).sin();
                level + drift * t as f64 + season + 3.0 * (rng.uniform() - 0.5)
            })
            .collect()
    };
    let periods: Vec<i64> = (1..=weeks as i64).collect();
    Series::from_periods(format!("segment-{k}"), &periods, values).expect("finite values")
}

fn main() {
    let mut n_series = 10_000usize;
    let mut weeks = 104usize;
    let mut horizon = 13usize;
    let mut season = 52usize;
    let mut threads = 1usize;
    let mut models = vec!["auto".to_string()];
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let v = it.next().unwrap_or_default();
        let num = || {
            v.parse::<usize>()
                .unwrap_or_else(|_| panic!("{a} needs a number"))
        };
        match a.as_str() {
            "--series" => n_series = num(),
            "--weeks" => weeks = num(),
            "--horizon" => horizon = num(),
            "--season" => season = num(),
            "--threads" => threads = num(),
            "--models" => models = v.split(',').map(str::to_string).collect(),
            _ => {
                eprintln!("unknown argument {a}");
                std::process::exit(2);
            }
        }
    }
    let series: Vec<Series> = (0..n_series).map(|k| make_series(k, weeks)).collect();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("pool");
    println!("{n_series} series of {weeks} weeks, horizon {horizon}, season {season}, {threads} thread(s)");
    for name in &models {
        let model: Model = name.parse().unwrap_or_else(|e| panic!("{e}"));
        let cfg = ForecastConfig::new(horizon, season);
        let c0 = process_cpu_secs();
        let t = Instant::now();
        let out = pool
            .install(|| forecast_many(&series, model, &cfg))
            .expect("valid configuration");
        let wall = t.elapsed().as_secs_f64();
        let cpu = process_cpu_secs().zip(c0).map(|(b, a)| b - a);
        let bad = out
            .iter()
            .filter(|f| {
                f.points.iter().any(|p| {
                    !(p.lo_95.is_finite() && p.hi_95.is_finite())
                        || p.lo_95 > p.lo_80
                        || p.lo_80 > p.mean
                        || p.mean > p.hi_80
                        || p.hi_80 > p.hi_95
                })
            })
            .count();
        println!(
            "{name:<12} wall {wall:>8.1} s  cpu {:>8} s  ({:.2} ms cpu/series)  series with bad bands: {bad}",
            cpu.map_or("?".into(), |c| format!("{c:.1}")),
            cpu.map_or(f64::NAN, |c| 1000.0 * c / n_series as f64)
        );
    }
}
