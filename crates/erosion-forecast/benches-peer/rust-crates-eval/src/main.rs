//! Scores augurs and anofox-forecast models on M4 Weekly (sMAPE, MASE with m = 1, OWA vs
//! naive, which is Naive2 for Weekly). One model per run; prints one line with wall time.
//! Failures and non-finite forecasts are counted and replaced by the naive forecast.
use std::time::Instant;

fn read_wide(path: &str) -> Vec<(String, Vec<f64>)> {
    let s = std::fs::read_to_string(path).unwrap();
    let mut out = Vec::new();
    for (i, line) in s.lines().enumerate() {
        if i == 0 {
            continue;
        }
        let mut it = line.split(',').map(|c| c.trim_matches('"'));
        let id = it.next().unwrap().to_string();
        let vals: Vec<f64> = it
            .filter(|c| !c.is_empty())
            .map(|c| c.parse().unwrap())
            .collect();
        out.push((id, vals));
    }
    out
}

fn smape(y: &[f64], f: &[f64]) -> f64 {
    y.iter()
        .zip(f)
        .map(|(a, b)| {
            let d = a.abs() + b.abs();
            if d == 0.0 {
                0.0
            } else {
                200.0 * (a - b).abs() / d
            }
        })
        .sum::<f64>()
        / y.len() as f64
}
fn mase(ins: &[f64], y: &[f64], f: &[f64]) -> f64 {
    let scale = ins.windows(2).map(|w| (w[1] - w[0]).abs()).sum::<f64>() / (ins.len() - 1) as f64;
    y.iter().zip(f).map(|(a, b)| (a - b).abs()).sum::<f64>() / y.len() as f64 / scale
}

fn ts(v: &[f64]) -> anofox_forecast::core::TimeSeries {
    use chrono::{TimeZone, Utc};
    let t0 = Utc.with_ymd_and_hms(1990, 1, 1, 0, 0, 0).unwrap();
    let stamps = (0..v.len())
        .map(|i| t0 + chrono::Duration::weeks(i as i64))
        .collect();
    anofox_forecast::core::TimeSeries::univariate(stamps, v.to_vec()).unwrap()
}

fn anofox_run<F: anofox_forecast::models::Forecaster>(
    mut m: F,
    y: &[f64],
    h: usize,
) -> Result<Vec<f64>, String> {
    m.fit(&ts(y)).map_err(|e| e.to_string())?;
    let f = m.predict(h).map_err(|e| e.to_string())?;
    Ok(f.primary().to_vec())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let train = read_wide(&args[1]);
    let test = read_wide(&args[2]);
    let model = args[3].as_str();
    let limit: usize = args
        .get(4)
        .map(|s| s.parse().unwrap())
        .unwrap_or(train.len());
    let h = 13;
    let (mut s_sum, mut m_sum, mut nb_s, mut nb_m, mut fails, mut nans) =
        (0.0, 0.0, 0.0, 0.0, 0, 0);
    let t = Instant::now();
    let n = limit.min(train.len());
    for k in 0..n {
        let y = &train[k].1;
        let yt = &test[k].1;
        let naive = vec![*y.last().unwrap(); h];
        let res: Result<Vec<f64>, String> = match model {
            "naive" => Ok(naive.clone()),
            "augurs_autoets" => {
                use augurs::{Fit, Predict};
                augurs::ets::AutoETS::new(1, "ZZN")
                    .map_err(|e| e.to_string())
                    .and_then(|m| m.fit(y).map_err(|e| e.to_string()))
                    .and_then(|f| f.predict(h, None).map_err(|e| e.to_string()))
                    .map(|f| f.point)
            }
            "augurs_mstl_ets" => {
                use augurs::{Fit, Predict};
                if y.len() < 2 * 52 + 1 {
                    augurs::ets::AutoETS::new(1, "ZZN")
                        .map_err(|e| e.to_string())
                        .and_then(|m| m.fit(y).map_err(|e| e.to_string()))
                        .and_then(|f| f.predict(h, None).map_err(|e| e.to_string()))
                        .map(|f| f.point)
                } else {
                    let trend = augurs::ets::AutoETS::non_seasonal().into_trend_model();
                    let m = augurs::mstl::MSTLModel::new(vec![52], trend);
                    m.fit(y)
                        .map_err(|e| e.to_string())
                        .and_then(|f| f.predict(h, None).map_err(|e| e.to_string()))
                        .map(|f| f.point)
                }
            }
            "anofox_autoets" => anofox_run(
                anofox_forecast::models::exponential::AutoETS::non_seasonal(),
                y,
                h,
            ),
            "anofox_autoets52" => anofox_run(
                anofox_forecast::models::exponential::AutoETS::with_period(52),
                y,
                h,
            ),
            "anofox_autoarima" => {
                anofox_run(anofox_forecast::models::arima::AutoARIMA::new(), y, h)
            }
            "anofox_autoarima52" => anofox_run(
                anofox_forecast::models::arima::AutoARIMA::seasonal(52),
                y,
                h,
            ),
            "anofox_theta" => anofox_run(anofox_forecast::models::theta::Theta::new(), y, h),
            "anofox_theta52" => {
                anofox_run(anofox_forecast::models::theta::Theta::seasonal(52), y, h)
            }
            "anofox_autotheta" => {
                anofox_run(anofox_forecast::models::theta::AutoTheta::new(), y, h)
            }
            "anofox_autotheta52" => anofox_run(
                anofox_forecast::models::theta::AutoTheta::seasonal(52),
                y,
                h,
            ),
            other => panic!("unknown model {other}"),
        };
        let f = match res {
            Ok(f) if f.len() == h && f.iter().all(|v| v.is_finite()) => f,
            Ok(_) => {
                nans += 1;
                naive.clone()
            }
            Err(e) => {
                if fails < 3 {
                    eprintln!("{}: {e}", train[k].0);
                }
                fails += 1;
                naive.clone()
            }
        };
        s_sum += smape(yt, &f);
        m_sum += mase(y, yt, &f);
        nb_s += smape(yt, &naive);
        nb_m += mase(y, yt, &naive);
    }
    let secs = t.elapsed().as_secs_f64();
    let nf = n as f64;
    let (s, m, ns, nm) = (s_sum / nf, m_sum / nf, nb_s / nf, nb_m / nf);
    println!("{model:22} n={n} sMAPE={s:.3} MASE={m:.3} OWA={:.3} (naive2 {ns:.3}/{nm:.3}) fails={fails} nonfinite={nans} time={secs:.1}s",
        0.5 * (s / ns + m / nm));
}
