//! A command's failure keeps the library's error as it was raised, beside the file it
//! concerns, so that a caller can match on it (and the CLI map it to an exit code).

use erosion_forecast::{ForecastError, Model};
use erosion_pipeline::audit::{AuditRequest, AuditSource};
use erosion_pipeline::forecast::{ForecastRequest, SeriesSource};
use erosion_pipeline::train::TrainRequest;
use erosion_pipeline::{Failure, Silent};
use std::path::Path;

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn an_audit_of_a_label_with_three_values_fails_with_the_fairness_error_and_its_column() {
    let d = tempfile::tempdir().unwrap();
    let preds = write(
        d.path(),
        "preds.csv",
        "y,p,g\nyes,0.2,a\nno,0.7,b\nmaybe,0.4,a\n",
    );
    let r = AuditRequest {
        source: AuditSource::Predictions {
            path: preds.clone(),
            label: "y".into(),
            score: "p".into(),
            positive: Some("yes".into()),
            decision: None,
            id: None,
        },
        customers: None,
        groups: vec!["g".into()],
        threshold: None,
        references: Vec::new(),
        min_group_size: 1,
        mitigation: None,
        bootstrap: 10,
        seed: 0,
        out: d.path().join("audit"),
    };
    let err = erosion_pipeline::audit::audit(&r, &Silent).unwrap_err();
    match &err {
        Failure::Fairness {
            file,
            column,
            error: erosion_fairness::FairnessError::TooManyLabelValues { row, .. },
        } => {
            assert_eq!(file, &preds);
            assert_eq!(column.as_deref(), Some("y"));
            assert_eq!(*row, 2);
        }
        other => panic!("expected a typed fairness error, got {other:?}"),
    }
    assert!(!err.is_environment());
    assert!(err.to_string().contains("column \"y\""), "{err}");
    assert!(!d.path().join("audit").exists(), "nothing written");
}

#[test]
fn a_series_with_a_gap_fails_with_the_forecast_error() {
    let d = tempfile::tempdir().unwrap();
    let series = write(
        d.path(),
        "series.csv",
        "unique_id,ds,y\na,2025-01-06,1\na,2025-01-13,2\na,2025-01-27,3\n",
    );
    let r = ForecastRequest {
        source: SeriesSource::Long {
            path: series.clone(),
            id_col: "unique_id".into(),
            time_col: "ds".into(),
            value_col: "y".into(),
            freq: Some(erosion_forecast::Freq::Week),
        },
        periods: 2,
        season: None,
        method: Model::Naive,
        backtest: None,
        alerts: None,
        alert_below: None,
        alert_above: None,
        anomaly_z: 3.0,
        plot: None,
        out: d.path().join("f.csv"),
    };
    match erosion_pipeline::forecast::forecast(&r, &Silent).unwrap_err() {
        Failure::Forecast { file, error } => {
            assert_eq!(file, series);
            assert!(matches!(*error, ForecastError::Gap { .. }), "{error:?}");
        }
        other => panic!("expected a typed forecast error, got {other:?}"),
    }
    assert!(!d.path().join("f.csv").exists());
}

#[test]
fn a_label_with_one_class_is_bad_input_and_nothing_is_written() {
    let d = tempfile::tempdir().unwrap();
    let table = write(d.path(), "t.csv", "x,churn\n1,0\n2,0\n3,0\n");
    let out = d.path().join("model.json");
    let r = TrainRequest {
        features: table,
        label: "churn".into(),
        positive: None,
        id: None,
        sensitive: Vec::new(),
        exclude: Vec::new(),
        allow: Vec::new(),
        family: erosion_models::ModelKind::Logistic,
        threshold: erosion_models::ThresholdRule::BestF1,
        folds: 2,
        horizon_days: None,
        seed: 0,
        out: out.clone(),
        metrics_out: None,
    };
    let err = erosion_pipeline::train::train(&r, &Silent).unwrap_err();
    assert!(
        matches!(&err, Failure::Input(erosion_core::Error::Usage(m)) if m.contains("one class only")),
        "{err:?}"
    );
    assert!(!err.is_environment());
    assert!(!out.exists() && !erosion_pipeline::train::card_path(&out).exists());
}

#[test]
fn an_output_that_cannot_be_written_is_the_environments_failure() {
    let io = std::io::Error::other("disk full");
    let f = Failure::from(erosion_core::Error::write("/x/model.json", io));
    assert!(f.is_environment());
    let usage = Failure::from(erosion_core::Error::usage("--capacity 2 is not a share"));
    assert!(!usage.is_environment());
}
