//! M4 evaluation of erosion's forecasting models, as the M4 organisers define it.
//!
//! ```text
//! cargo run --release -p erosion-forecast --example m4_eval -- \
//!     ../shared/data/m4/Weekly-train.csv ../shared/data/m4/Weekly-test.csv \
//!     [--horizon 13] [--season 52] [--mase-m 1] [--threads 1] [--models ets,arima,theta,...]
//!     [--peer-python /work/venv-forecast/bin/python] [--peer-models AutoETS:1,AutoARIMA,Theta,AutoTheta]
//! ```
//!
//! Prints sMAPE, MASE (in-sample naive scale at lag `--mase-m`, 1 for Weekly as M4-info says),
//! OWA against Naive2 (computed here on the same files) and wall time for each model, beside
//! the published M4 benchmark rows for Weekly and, with `--peer-python`, statsforecast's
//! AutoETS, AutoARIMA, Theta and AutoTheta run by `benches/peers/statsforecast_m4.py` in the same
//! run on the same files. Rows named `M4 ...` replicate the organisers' benchmarks (frequency 1,
//! so no seasonal adjustment for Weekly) to check this implementation against their numbers.

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use erosion_forecast::m4::{self, Accuracy, M4Row};
use erosion_forecast::{forecast_many, ForecastConfig, Model, Series};

/// Published Weekly values from the M4 organisers' `Evaluation and Ranks.xlsx`
/// (see shared/data/m4/published_benchmarks.md): (name, sMAPE, MASE, OWA).
const PUBLISHED_WEEKLY: [(&str, f64, f64, f64); 8] = [
    ("Naive2", 9.161, 2.777, 1.000),
    ("SES", 9.012, 2.685, 0.975),
    ("Holt", 9.708, 2.420, 0.966),
    ("Damped", 8.866, 2.404, 0.917),
    ("Theta", 9.093, 2.637, 0.971),
    ("Com", 8.944, 2.432, 0.926),
    ("Submission 118 (Smyl, winner)", 7.817, 2.356, 0.851),
    ("RNN", 15.220, 5.132, 1.755),
];

struct Args {
    train: PathBuf,
    test: PathBuf,
    horizon: usize,
    season: usize,
    mase_m: usize,
    threads: usize,
    models: Vec<String>,
    peer_python: Option<String>,
    peer_models: Option<String>,
    limit: Option<usize>,
}

fn parse_args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let mut pos = Vec::new();
    let mut a = Args {
        train: PathBuf::new(),
        test: PathBuf::new(),
        horizon: 13,
        season: 52,
        mase_m: 1,
        threads: 1,
        models: [
            "m4-ses",
            "m4-holt",
            "m4-damped",
            "m4-theta",
            "m4-com",
            "ets",
            "arima",
            "theta",
            "combination",
            "auto",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        peer_python: None,
        peer_models: None,
        limit: None,
    };
    while let Some(arg) = it.next() {
        let mut val = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--horizon" => a.horizon = val("--horizon")?.parse().map_err(|e| format!("{e}"))?,
            "--season" => a.season = val("--season")?.parse().map_err(|e| format!("{e}"))?,
            "--mase-m" => a.mase_m = val("--mase-m")?.parse().map_err(|e| format!("{e}"))?,
            "--threads" => a.threads = val("--threads")?.parse().map_err(|e| format!("{e}"))?,
            "--models" => {
                a.models = val("--models")?
                    .split(',')
                    .map(|s| s.trim().to_string())
                    .collect()
            }
            "--peer-python" => a.peer_python = Some(val("--peer-python")?),
            "--peer-models" => a.peer_models = Some(val("--peer-models")?),
            "--limit" => a.limit = Some(val("--limit")?.parse().map_err(|e| format!("{e}"))?),
            "-h" | "--help" => {
                return Err(
                    "usage: m4_eval TRAIN.csv TEST.csv [--horizon 13] [--season 52] \
                     [--mase-m 1] [--threads 1] [--models m4-ses,...,auto] [--peer-python PY] \
                     [--peer-models AutoETS:1,...] [--limit N]"
                        .into(),
                )
            }
            _ => pos.push(arg),
        }
    }
    if pos.len() != 2 {
        return Err("expected two paths: the M4 train CSV and the test CSV (try --help)".into());
    }
    a.train = PathBuf::from(&pos[0]);
    a.test = PathBuf::from(&pos[1]);
    Ok(a)
}

struct Row {
    name: String,
    acc: Accuracy,
    secs: Option<f64>,
    cpu: Option<f64>,
    /// MSIS and coverage of the 95 % intervals, where the method has intervals.
    intervals: Option<(f64, f64)>,
    source: &'static str,
}

/// CPU time (user + system) of this process in seconds, from /proc (Linux); None elsewhere.
fn process_cpu_secs() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// Point forecasts, 95 % bands (empty for M4's Com, which has none), wall and CPU seconds.
struct Timed {
    mean: Vec<Vec<f64>>,
    lo95: Vec<Vec<f64>>,
    hi95: Vec<Vec<f64>>,
    wall: f64,
    cpu: Option<f64>,
}

fn run_model(
    name: &str,
    train: &[M4Row],
    args: &Args,
    pool: &rayon::ThreadPool,
) -> Result<Timed, String> {
    let h = args.horizon;
    // `m4-*` rows replicate the organisers' benchmarks: frequency 1 for Weekly.
    let (model_name, season) = match name.strip_prefix("m4-") {
        Some(rest) => (rest, 1),
        None => (name, args.season),
    };
    let series: Vec<Series> = train
        .iter()
        .map(|r| {
            let periods: Vec<i64> = (1..=r.values.len() as i64).collect();
            Series::from_periods(r.id.clone(), &periods, r.values.clone())
        })
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    let t = Instant::now();
    let c0 = process_cpu_secs();
    let (mean, lo95, hi95) = if model_name == "com" {
        // M4's Com: the mean of SES, Holt and Damped.
        let cfg = ForecastConfig::new(h, season);
        let parts: Vec<Vec<erosion_forecast::Forecast>> = [Model::Ses, Model::Holt, Model::Damped]
            .iter()
            .map(|m| pool.install(|| forecast_many(&series, *m, &cfg)))
            .collect::<Result<_, _>>()
            .map_err(|e| e.to_string())?;
        let mean = (0..series.len())
            .map(|i| {
                (0..h)
                    .map(|k| parts.iter().map(|p| p[i].points[k].mean).sum::<f64>() / 3.0)
                    .collect()
            })
            .collect();
        (mean, Vec::new(), Vec::new())
    } else {
        let model: Model = model_name
            .parse()
            .map_err(|e: erosion_forecast::ForecastError| e.to_string())?;
        let cfg = ForecastConfig::new(h, season);
        let f = pool
            .install(|| forecast_many(&series, model, &cfg))
            .map_err(|e| e.to_string())?;
        let get = |g: fn(&erosion_forecast::ForecastPoint) -> f64| -> Vec<Vec<f64>> {
            f.iter().map(|f| f.points.iter().map(g).collect()).collect()
        };
        (get(|p| p.mean), get(|p| p.lo_95), get(|p| p.hi_95))
    };
    let cpu = process_cpu_secs().zip(c0).map(|(b, a)| b - a);
    Ok(Timed {
        mean,
        lo95,
        hi95,
        wall: t.elapsed().as_secs_f64(),
        cpu,
    })
}

fn peer_rows(python: &str, args: &Args) -> Vec<Row> {
    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../benches/peers/statsforecast_m4.py");
    eprintln!("running {} {} ...", python, script.display());
    let out = Command::new(python)
        .arg(&script)
        .arg(&args.train)
        .arg(&args.test)
        .args(["--horizon", &args.horizon.to_string()])
        .args(["--season", &args.season.to_string()])
        .args(["--mase-m", &args.mase_m.to_string()])
        .args(["--tsv"])
        .args(
            args.peer_models
                .as_ref()
                .map(|m| vec!["--models".to_string(), m.clone()])
                .unwrap_or_default(),
        )
        .output();
    let out = match out {
        Ok(o) if o.status.success() => o,
        Ok(o) => {
            eprintln!(
                "peer script failed:\n{}",
                String::from_utf8_lossy(&o.stderr)
            );
            return Vec::new();
        }
        Err(e) => {
            eprintln!("cannot run {python}: {e}");
            return Vec::new();
        }
    };
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            if c.len() != 6 || c[0] == "model" {
                return None;
            }
            Some(Row {
                name: format!("statsforecast {}", c[0]),
                acc: Accuracy {
                    smape: c[1].parse().ok()?,
                    mase: c[2].parse().ok()?,
                },
                secs: c[4].parse().ok(),
                cpu: c[5].parse().ok(),
                intervals: None,
                source: "statsforecast (this run)",
            })
        })
        .collect()
}

#[allow(clippy::too_many_lines)] // known debt: split when next changed
fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let (mut train, mut test) = match (
        m4::read_wide_csv(&args.train),
        m4::read_wide_csv(&args.test),
    ) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    if train.len() != test.len() || train.iter().zip(&test).any(|(a, b)| a.id != b.id) {
        eprintln!("train and test files do not list the same series in the same order");
        std::process::exit(2);
    }
    if let Some(bad) = test.iter().find(|r| r.values.len() != args.horizon) {
        eprintln!(
            "test series {} has {} values, expected the horizon {}",
            bad.id,
            bad.values.len(),
            args.horizon
        );
        std::process::exit(2);
    }
    if let Some(k) = args.limit {
        // Development aid: the first k series only (OWA then is not comparable to M4's).
        train.truncate(k);
        test.truncate(k);
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads)
        .build()
        .expect("thread pool");
    let naive2: Vec<Vec<f64>> = train
        .iter()
        .map(|r| m4::naive2(&r.values, args.mase_m, args.horizon))
        .collect();
    let n2 = m4::evaluate(&train, &test, &naive2, args.mase_m);
    let mut rows = vec![Row {
        name: "Naive2 (computed here)".into(),
        acc: n2,
        secs: None,
        cpu: None,
        intervals: None,
        source: "erosion",
    }];
    for name in &args.models {
        eprintln!("forecasting {} series with {name} ...", train.len());
        match run_model(name, &train, &args, &pool) {
            Ok(timed) => {
                let label = match name.strip_prefix("m4-") {
                    Some(r) => format!("{r} (M4 benchmark setup, m=1)"),
                    None => format!("{name} (season {})", args.season),
                };
                rows.push(Row {
                    name: label,
                    acc: m4::evaluate(&train, &test, &timed.mean, args.mase_m),
                    secs: Some(timed.wall),
                    cpu: timed.cpu,
                    intervals: (!timed.lo95.is_empty()).then(|| {
                        m4::evaluate_intervals(&train, &test, &timed.lo95, &timed.hi95, args.mase_m)
                    }),
                    source: "erosion",
                });
            }
            Err(e) => {
                eprintln!("{name}: {e}");
                std::process::exit(2);
            }
        }
    }
    if let Some(py) = &args.peer_python {
        rows.extend(peer_rows(py, &args));
    }
    println!(
        "\nM4 evaluation: {} series, horizon {}, MASE lag {}, OWA vs Naive2 computed on these files; \
         erosion on {} thread(s)\n",
        train.len(),
        args.horizon,
        args.mase_m,
        args.threads
    );
    println!(
        "| {:<44} | {:>7} | {:>6} | {:>6} | {:>7} | {:>6} | {:>8} | {:>8} | {:<26} |",
        "method", "sMAPE", "MASE", "OWA", "MSIS95", "cov95", "wall s", "cpu s", "source"
    );
    println!(
        "|{:-<46}|{:->9}|{:->8}|{:->8}|{:->9}|{:->8}|{:->10}|{:->10}|{:-<28}|",
        "", "", "", "", "", "", "", "", ""
    );
    for r in &rows {
        println!(
            "| {:<44} | {:>7.3} | {:>6.3} | {:>6.3} | {:>7} | {:>6} | {:>8} | {:>8} | {:<26} |",
            r.name,
            r.acc.smape,
            r.acc.mase,
            r.acc.owa(&n2),
            r.intervals.map_or("".into(), |i| format!("{:.2}", i.0)),
            r.intervals.map_or("".into(), |i| format!("{:.3}", i.1)),
            r.secs.map_or("".into(), |s| format!("{s:.1}")),
            r.cpu.map_or("".into(), |s| format!("{s:.1}")),
            r.source
        );
    }
    let weekly = train.len() == 359 && args.horizon == 13;
    if weekly {
        for (name, s, m, o) in PUBLISHED_WEEKLY {
            println!(
                "| {:<44} | {:>7.3} | {:>6.3} | {:>6.3} | {:>7} | {:>6} | {:>8} | {:>8} | {:<26} |",
                name, s, m, o, "", "", "", "", "M4 published (Weekly)"
            );
        }
        println!(
            "\nM4 published 95 % intervals, Weekly: MSIS Naive 26.358, ETS 20.386, ARIMA 19.575; \
             ACD = |coverage - 0.95| Naive 0.001, ETS 0.014, ARIMA 0.005"
        );
    }
}
