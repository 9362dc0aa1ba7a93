//! Behaviour of every model on small embedded fixtures: known series are recovered, intervals
//! widen with the horizon, degenerate series work, bad input gives the typed error.

use chrono::NaiveDate;
use erosion_forecast::{
    alerts, backtest, backtest_many, forecast, AlertConfig, AlertKind, Forecast, ForecastConfig,
    ForecastError, Freq, Model, Series, TimePoint,
};

/// Small deterministic wiggle so that fixtures are not exactly noise-free.
fn wiggle(t: usize) -> f64 {
    0.05 * ((t as f64) * 2.399_963).sin()
}

fn periods(n: usize) -> Vec<i64> {
    (1..=n as i64).collect()
}

fn series(id: &str, y: Vec<f64>) -> Series {
    Series::from_periods(id, &periods(y.len()), y).unwrap()
}

fn means(f: &Forecast) -> Vec<f64> {
    f.points.iter().map(|p| p.mean).collect()
}

fn assert_sane(f: &Forecast, what: &str) {
    for p in &f.points {
        let v = [p.lo_95, p.lo_80, p.mean, p.hi_80, p.hi_95];
        assert!(v.iter().all(|x| x.is_finite()), "{what}: non-finite {p:?}");
        assert!(
            v.windows(2).all(|w| w[0] <= w[1] + 1e-9),
            "{what}: bands out of order {p:?}"
        );
    }
}

const ALL: [Model; 12] = Model::ALL;

#[test]
fn every_model_recovers_a_level() {
    let y: Vec<f64> = (0..60).map(|t| 20.0 + wiggle(t)).collect();
    let s = series("level", y);
    for model in ALL {
        let f = forecast(&s, model, &ForecastConfig::new(6, 4)).unwrap();
        assert_sane(&f, model.name());
        for v in means(&f) {
            assert!((v - 20.0).abs() < 0.3, "{model}: {v} ({})", f.fitted_model);
        }
    }
}

#[test]
fn trend_models_recover_a_pure_trend() {
    let y: Vec<f64> = (0..60).map(|t| 5.0 + 2.0 * t as f64 + wiggle(t)).collect();
    let s = series("trend", y);
    let cfg = ForecastConfig::new(6, 1);
    for model in [
        Model::Holt,
        Model::Damped,
        Model::Ets,
        Model::Arima,
        Model::Auto,
        Model::HoltWintersAdditive,
    ] {
        let f = forecast(&s, model, &cfg).unwrap();
        assert_sane(&f, model.name());
        for (i, v) in means(&f).iter().enumerate() {
            let want = 5.0 + 2.0 * (60 + i) as f64;
            // Damped trends flatten by design: allow phi^k of the slope to go.
            let tol = if model == Model::Damped { 2.0 } else { 0.5 };
            assert!(
                (v - want).abs() < tol,
                "{model} step {}: {v} vs {want} ({})",
                i + 1,
                f.fitted_model
            );
        }
    }
    // Standard Theta extrapolates half the slope (it is SES with drift b/2): rising, by ~1.
    let f = forecast(&s, Model::Theta, &cfg).unwrap();
    let m = means(&f);
    for w in m.windows(2) {
        assert!((w[1] - w[0] - 1.0).abs() < 0.05, "theta: {m:?}");
    }
    // Naive repeats the last value.
    let f = forecast(&s, Model::Naive, &cfg).unwrap();
    assert!(means(&f).iter().all(|v| (v - s.values()[59]).abs() < 1e-12));
}

#[test]
fn seasonal_models_recover_a_pure_season() {
    let pattern = [8.0, 12.0, 15.0, 9.0];
    let y: Vec<f64> = (0..48).map(|t| pattern[t % 4] + wiggle(t)).collect();
    let s = series("season", y);
    let cfg = ForecastConfig::new(8, 4);
    for model in [
        Model::SeasonalNaive,
        Model::HoltWintersAdditive,
        Model::HoltWintersMultiplicative,
        Model::Ets,
        Model::Arima,
        Model::Theta,
        Model::Combination,
        Model::Auto,
    ] {
        let f = forecast(&s, model, &cfg).unwrap();
        assert_sane(&f, model.name());
        for (i, v) in means(&f).iter().enumerate() {
            let want = pattern[(48 + i) % 4];
            assert!(
                (v - want).abs() < 0.5,
                "{model} step {}: {v} vs {want} ({})",
                i + 1,
                f.fitted_model
            );
        }
    }
}

#[test]
fn intervals_widen_with_the_horizon() {
    // A random walk with drift-free steps from a fixed generator.
    let mut y = vec![100.0];
    let mut state: u64 = 42;
    for _ in 0..119 {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        let u = (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
        let last = *y.last().unwrap();
        y.push(last + 4.0 * u);
    }
    let s = series("walk", y);
    for model in ALL {
        let f = forecast(&s, model, &ForecastConfig::new(12, 1)).unwrap();
        assert_sane(&f, model.name());
        let w: Vec<f64> = f.points.iter().map(|p| p.hi_95 - p.lo_95).collect();
        assert!(w[0] > 0.0, "{model}: zero-width band ({})", f.fitted_model);
        assert!(
            w[11] > w[0] * 1.2,
            "{model}: band does not widen: {w:?} ({})",
            f.fitted_model
        );
        for p in &f.points {
            assert!(
                p.hi_95 - p.lo_95 > p.hi_80 - p.lo_80,
                "{model}: 95 inside 80"
            );
        }
    }
}

#[test]
fn constant_and_all_zero_series_forecast_their_value_without_nan() {
    for (name, value) in [("constant", 7.5), ("zeros", 0.0)] {
        for n in [1usize, 2, 3, 5, 30, 120] {
            let s = series(name, vec![value; n]);
            for model in ALL {
                let f = forecast(&s, model, &ForecastConfig::new(5, 4)).unwrap();
                assert_sane(&f, &format!("{name} n={n} {model}"));
                for v in means(&f) {
                    assert!(
                        (v - value).abs() < 1e-6,
                        "{name} n={n} {model}: {v} ({})",
                        f.fitted_model
                    );
                }
            }
        }
    }
}

#[test]
fn short_and_zero_heavy_series_work() {
    let zero_heavy: Vec<f64> = (0..40)
        .map(|t| if t % 9 == 4 { 1.0 } else { 0.0 })
        .collect();
    let short = vec![3.0, 4.0, 3.5];
    for y in [zero_heavy, short, vec![1.0, 0.0]] {
        let s = series("x", y);
        for model in ALL {
            let mut cfg = ForecastConfig::new(4, 7);
            cfg.non_negative = true;
            let f = forecast(&s, model, &cfg).unwrap();
            assert_sane(&f, model.name());
            assert!(f.points.iter().all(|p| p.lo_95 >= 0.0));
        }
    }
}

#[test]
fn forecast_times_continue_the_index() {
    let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
    let dates: Vec<NaiveDate> = (0..10)
        .map(|k| d(2024, 1, 1) + chrono::Duration::weeks(k))
        .collect();
    let s = Series::from_dates("w", &dates, (0..10).map(f64::from).collect(), None).unwrap();
    let f = forecast(&s, Model::Naive, &ForecastConfig::new(2, 1)).unwrap();
    assert_eq!(f.points[0].time, TimePoint::Date(d(2024, 3, 11)));
    assert_eq!(f.points[1].time, TimePoint::Date(d(2024, 3, 18)));
    let months = [d(2024, 1, 31), d(2024, 2, 29), d(2024, 3, 31)];
    let s = Series::from_dates("m", &months, vec![1.0, 2.0, 3.0], None).unwrap();
    assert!(matches!(
        s.index(),
        erosion_forecast::TimeIndex::Dates {
            freq: Freq::Month,
            ..
        }
    ));
    assert_eq!(s.future_times(1), vec![TimePoint::Date(d(2024, 4, 30))]);
}

#[test]
fn bad_input_gives_typed_errors() {
    let d = |day| NaiveDate::from_ymd_opt(2024, 1, day).unwrap();
    // A missing week.
    let err =
        Series::from_dates("north", &[d(1), d(8), d(22)], vec![1.0, 2.0, 3.0], None).unwrap_err();
    match &err {
        ForecastError::Gap {
            series,
            position,
            expected,
            found,
            ..
        } => {
            assert_eq!(series, "north");
            assert_eq!(*position, 2);
            assert_eq!(expected, "2024-01-15");
            assert_eq!(found, "2024-01-22");
        }
        other => panic!("expected a gap, got {other:?}"),
    }
    assert!(err.to_string().contains("north"));
    // A gap in integer periods, and a duplicate.
    assert!(matches!(
        Series::from_periods("p", &[1, 2, 4], vec![1.0; 3]),
        Err(ForecastError::Gap { position: 2, .. })
    ));
    assert!(matches!(
        Series::from_periods("p", &[1, 2, 2], vec![1.0; 3]),
        Err(ForecastError::Unordered { position: 2, .. })
    ));
    // A non-finite value names the point.
    match Series::from_periods("south", &[1, 2, 3], vec![1.0, f64::NAN, 3.0]) {
        Err(ForecastError::NonFinite {
            series,
            position,
            time,
            ..
        }) => {
            assert_eq!(
                (series.as_str(), position, time.as_str()),
                ("south", 1, "2")
            );
        }
        other => panic!("expected non-finite, got {other:?}"),
    }
    // Horizon 0, season 0, empty, length mismatch, unknown model.
    let s = series("ok", vec![1.0, 2.0, 3.0]);
    assert_eq!(
        forecast(&s, Model::Ets, &ForecastConfig::new(0, 1)).unwrap_err(),
        ForecastError::ZeroHorizon
    );
    assert_eq!(
        forecast(&s, Model::Ets, &ForecastConfig::new(3, 0)).unwrap_err(),
        ForecastError::ZeroSeason
    );
    assert!(matches!(
        Series::from_periods("e", &[], vec![]),
        Err(ForecastError::Empty { .. })
    ));
    assert!(matches!(
        Series::from_periods("e", &[1, 2], vec![1.0]),
        Err(ForecastError::LengthMismatch { .. })
    ));
    assert!(matches!(
        "prophet".parse::<Model>(),
        Err(ForecastError::UnknownModel(_))
    ));
    // A backtest that cannot fit its origins.
    assert!(matches!(
        backtest(&s, &[Model::Naive], &ForecastConfig::new(2, 1), 3),
        Err(ForecastError::TooShort { min: 9, len: 3, .. })
    ));
}

#[test]
fn model_names_round_trip() {
    for m in Model::ALL {
        assert_eq!(m.name().parse::<Model>().unwrap(), m);
    }
}

#[test]
fn backtest_scores_each_origin() {
    let pattern = [8.0, 12.0, 15.0, 9.0];
    let y: Vec<f64> = (0..40).map(|t| pattern[t % 4] + wiggle(t)).collect();
    let s = series("season", y);
    let res = backtest(
        &s,
        &[Model::SeasonalNaive, Model::Naive],
        &ForecastConfig::new(4, 4),
        3,
    )
    .unwrap();
    assert_eq!(res.len(), 2);
    let (sn, nv) = (&res[0], &res[1]);
    assert_eq!(sn.folds.len(), 3);
    assert_eq!(
        sn.folds.iter().map(|f| f.train_len).collect::<Vec<_>>(),
        vec![28, 32, 36]
    );
    assert_eq!(sn.folds[2].origin, TimePoint::Period(36));
    // MASE is scaled by the in-sample seasonal naive error, so seasonal naive scores about 1
    // and naive far worse.
    assert!(sn.mase < 1.5 && sn.smape < 2.0, "{sn:?}");
    assert!(nv.mase > 10.0 * sn.mase && nv.smape > 10.0, "{nv:?}");
    assert!(sn.coverage_95 > 0.9, "{sn:?}");
    // Many series at once: the short one fails alone.
    let short = series("short", vec![1.0, 2.0]);
    let many = backtest_many(&[s, short], &[Model::Naive], &ForecastConfig::new(4, 4), 3);
    assert!(many[0].is_ok());
    assert!(matches!(many[1], Err(ForecastError::TooShort { .. })));
}

#[test]
fn alerts_for_threshold_crossings_and_anomalies() {
    // A falling NPS-like series: the forecast goes below 30 within the horizon.
    let y: Vec<f64> = (0..40).map(|t| 50.0 - 0.5 * t as f64 + wiggle(t)).collect();
    let s = series("falling", y);
    let f = forecast(&s, Model::Holt, &ForecastConfig::new(13, 1)).unwrap();
    let cfg = AlertConfig {
        below: Some(27.8),
        ..AlertConfig::default()
    };
    let a = alerts(&s, &f, &cfg).unwrap();
    let below: Vec<_> = a
        .iter()
        .filter(|a| a.kind == AlertKind::ForecastBelow)
        .collect();
    assert_eq!(below.len(), 1, "{a:?}");
    // 50 - 0.5 t < 27.8  <=>  t > 44.4: first at t = 45, step 6 (period 46).
    assert_eq!(below[0].steps_ahead, 6, "{:?}", below[0]);
    assert_eq!(below[0].time, TimePoint::Period(46));
    assert!(below[0].distance < 0.0 && below[0].confidence > 0.5);
    assert!(!a.iter().any(|a| a.kind == AlertKind::Anomaly), "{a:?}");
    // Nothing above 100.
    let cfg = AlertConfig {
        above: Some(100.0),
        ..AlertConfig::default()
    };
    assert!(alerts(&s, &f, &cfg).unwrap().is_empty());

    // The same series with a collapse in the last week: an anomaly.
    let mut y2: Vec<f64> = (0..40).map(|t| 50.0 - 0.5 * t as f64 + wiggle(t)).collect();
    y2[39] -= 8.0;
    let s2 = series("incident", y2);
    let f2 = forecast(&s2, Model::Holt, &ForecastConfig::new(4, 1)).unwrap();
    let a2 = alerts(&s2, &f2, &AlertConfig::default()).unwrap();
    let anomaly = a2
        .iter()
        .find(|a| a.kind == AlertKind::Anomaly)
        .expect("anomaly alert");
    assert_eq!(anomaly.time, TimePoint::Period(40));
    assert!(
        anomaly.score < -3.0 && anomaly.distance < -5.0,
        "{anomaly:?}"
    );
    assert!(anomaly.message.contains("incident"));
    // A stricter threshold silences it.
    let lax = AlertConfig {
        anomaly_z: 1e7,
        ..AlertConfig::default()
    };
    assert!(alerts(&s2, &f2, &lax).unwrap().is_empty());
}

#[test]
fn zero_heavy_rate_with_a_burst_is_an_anomaly() {
    // A complaint rate that is 0 most weeks, then jumps.
    let mut y: Vec<f64> = (0..30)
        .map(|t| if t % 7 == 3 { 0.01 } else { 0.0 })
        .collect();
    y[29] = 0.2;
    let s = series("complaints", y);
    let f = forecast(&s, Model::Naive, &ForecastConfig::new(4, 1)).unwrap();
    let a = alerts(&s, &f, &AlertConfig::default()).unwrap();
    assert!(
        a.iter()
            .any(|a| a.kind == AlertKind::Anomaly && a.score > 3.0),
        "{a:?}"
    );
}
