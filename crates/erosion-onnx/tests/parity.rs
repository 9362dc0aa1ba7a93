//! Parity with ONNX Runtime: trains small models of every kind and calibration on a synthetic
//! table (numbers with missing values, numbers stored as text, categorical text with rare, unseen
//! and missing levels), exports them, and has `tests/onnx_parity.py` score the exports with ONNX
//! Runtime against `TrainedModel::predict_proba` (max abs difference 1e-5).
//!
//! The interpreter is `$EROSION_PYTHON` when set. Otherwise the tests bring their own: a
//! virtualenv outside the repository (`$EROSION_ONNX_VENV`, default
//! `~/.cache/erosion/venv-onnx`) with the pinned `onnxruntime` and `numpy`, made with `python3 -m
//! venv` and pip the first time (about a minute) and reused after. They never skip: with no
//! Python or no package index they fail and say what to do.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The packages the parity script needs, pinned to the versions BENCHMARKS.md measured.
const PACKAGES: [&str; 2] = ["onnxruntime==1.32.0", "numpy==2.4.6"];

/// The interpreter for the parity script: `$EROSION_PYTHON`, or a virtualenv made once.
fn python() -> &'static str {
    static PYTHON: OnceLock<String> = OnceLock::new();
    PYTHON.get_or_init(|| {
        if let Ok(p) = std::env::var("EROSION_PYTHON") {
            return p;
        }
        let venv = std::env::var("EROSION_ONNX_VENV").map(PathBuf::from).unwrap_or_else(|_| {
            let home = std::env::var("HOME").unwrap_or_else(|_| "/tmp".into());
            Path::new(&home).join(".cache/erosion/venv-onnx")
        });
        let py = venv.join("bin/python");
        let ready = |py: &Path| {
            Command::new(py)
                .args(["-c", "import onnxruntime, numpy"])
                .output()
                .is_ok_and(|o| o.status.success())
        };
        if !ready(&py) {
            let step = |cmd: &mut Command, what: &str| {
                let out = cmd.output().unwrap_or_else(|e| {
                    panic!("cannot {what} ({e}); set EROSION_PYTHON to a Python 3 with onnxruntime and numpy")
                });
                assert!(
                    out.status.success(),
                    "cannot {what}; set EROSION_PYTHON to a Python 3 with onnxruntime and numpy:\n{}",
                    String::from_utf8_lossy(&out.stderr)
                );
            };
            eprintln!("making {} for the ONNX parity tests (once)", venv.display());
            step(
                Command::new("python3").arg("-m").arg("venv").arg(&venv),
                &format!("make a virtualenv at {}", venv.display()),
            );
            step(
                Command::new(&py)
                    .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check"])
                    .args(PACKAGES),
                &format!("pip install {} into {}", PACKAGES.join(" "), venv.display()),
            );
        }
        py.to_string_lossy().into_owned()
    })
}

use erosion_models::rng::SplitMix64;
use erosion_models::{
    train_table, CalibrationChoice, Calibrator, EncodeOptions, ForestParams, GbdtParams, Model,
    ModelKind, RawColumn, RawValues, TrainConfig, TrainedModel,
};
use erosion_onnx::{
    export_onnx, export_onnx_with, graph_inputs, ExportOptions, InputKind, InputLayout, OnnxError,
};

const TOLERANCE: f64 = 1e-5;
const PLANS: [&str; 6] = ["basic", "plus", "pro", "family", "student", "legacy"];
const REGIONS: [&str; 3] = ["north", "south", "west"];

/// A synthetic customer table. With `scoring`, it also holds what training never saw: plans and
/// regions outside the training levels, and blank regions (training had none).
fn table(n: usize, seed: u64, scoring: bool) -> (Vec<RawColumn>, Vec<u8>) {
    let mut rng = SplitMix64::new(seed);
    let (mut tenure, mut charges, mut total, mut plan, mut region, mut y) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    for i in 0..n {
        let t = (rng.unit() * 60.0).floor();
        let missing_tenure = rng.unit() < 0.12;
        let c = 20.0 + rng.unit() * 80.0;
        // plans: three common ones, three rare ones (they share `(other)`), some missing
        let u = rng.unit();
        let p = if u < 0.08 {
            None
        } else if u < 0.9 {
            Some(PLANS[(u * 100.0) as usize % 3])
        } else {
            Some(PLANS[3 + (u * 1000.0) as usize % 3])
        };
        let mut r = Some(REGIONS[(rng.unit() * 3.0) as usize % 3]);
        let mut p = p.map(str::to_string);
        if scoring && i % 7 == 3 {
            p = Some("premium-unseen".into());
        }
        if scoring && i % 11 == 5 {
            r = None;
        }
        let r = match r {
            Some(_) if scoring && i % 13 == 6 => Some("east-unseen".to_string()),
            r => r.map(str::to_string),
        };
        let z = -1.0
            + 0.04 * (30.0 - if missing_tenure { 45.0 } else { t })
            + 0.015 * (c - 60.0)
            + match p.as_deref() {
                Some("basic") => 0.8,
                Some("pro") => -0.7,
                None => 1.0,
                _ => 0.0,
            }
            + if r.as_deref() == Some("south") {
                0.5
            } else {
                0.0
            };
        y.push(u8::from(rng.unit() < 1.0 / (1.0 + (-z).exp())));
        tenure.push((!missing_tenure).then_some(t));
        charges.push(Some(c));
        // total charges as text, blank for brand-new customers (Telco's TotalCharges)
        total.push(Some(if t == 0.0 {
            " ".to_string()
        } else {
            format!("{:.2}", t * c)
        }));
        plan.push(p);
        region.push(r);
    }
    let cols = vec![
        RawColumn::number("tenure", tenure),
        RawColumn::number("monthly_charges", charges),
        RawColumn::text("total_charges", total),
        RawColumn::text("plan", plan),
        RawColumn::text("region", region),
    ];
    (cols, y)
}

fn config(kind: ModelKind, calibration: CalibrationChoice) -> TrainConfig {
    TrainConfig {
        model: kind,
        folds: 3,
        calibration,
        forest: ForestParams {
            n_trees: 25,
            min_samples_leaf: 5,
            ..ForestParams::default()
        },
        gbdt: GbdtParams {
            max_rounds: 60,
            learning_rate: 0.1,
            early_stopping: None,
            ..GbdtParams::default()
        },
        ..TrainConfig::default()
    }
}

fn train(kind: ModelKind, calibration: CalibrationChoice) -> TrainedModel {
    let (cols, y) = table(600, 7, false);
    let options = EncodeOptions { max_levels: 4 };
    let model = train_table(&cols, &y, None, &options, &config(kind, calibration)).unwrap();
    assert_eq!(model.kind, kind);
    model
}

/// Rows to score: fresh rows with unseen and missing levels, then the training rows (whose
/// values sit right next to the trees' thresholds).
fn scoring_rows() -> Vec<RawColumn> {
    let (fresh, _) = table(300, 99, true);
    let (train, _) = table(600, 7, false);
    fresh
        .into_iter()
        .zip(train)
        .map(|(a, b)| {
            let values = match (a.values, b.values) {
                (RawValues::Number(mut x), RawValues::Number(y)) => {
                    x.extend(y);
                    RawValues::Number(x)
                }
                (RawValues::Text(mut x), RawValues::Text(y)) => {
                    x.extend(y);
                    RawValues::Text(x)
                }
                _ => unreachable!("same column types"),
            };
            RawColumn {
                name: a.name,
                values,
            }
        })
        .collect()
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) || s != s.trim() {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn number(v: f64) -> String {
    if v.is_nan() {
        String::new()
    } else {
        // Display of f64 is the shortest text that parses back to the same bits
        format!("{v}")
    }
}

/// Writes the model and a CSV of its graph inputs with erosion's probabilities; returns the two
/// paths.
fn write_case(
    dir: &Path,
    name: &str,
    model: &TrainedModel,
    layout: InputLayout,
    rows: &[RawColumn],
) -> (PathBuf, PathBuf, Vec<f64>) {
    let bytes = export_onnx_with(model, &ExportOptions { layout }).unwrap();
    let model_path = dir.join(format!("{name}.onnx"));
    std::fs::write(&model_path, bytes).unwrap();

    let x = model.encode(rows).unwrap();
    let expected = model.predict_proba(&x).unwrap();
    let inputs = graph_inputs(model, layout).unwrap();
    let n = x.n_rows();
    let cells: Vec<Vec<String>> = inputs
        .iter()
        .map(|input| match layout {
            InputLayout::EncodedFeatures => {
                let j = x
                    .columns()
                    .iter()
                    .position(|c| c.name == input.name)
                    .unwrap();
                x.column(j).iter().map(|&v| number(v)).collect()
            }
            _ => {
                let col = rows.iter().find(|c| c.name == input.name).unwrap();
                match (&col.values, input.kind) {
                    (RawValues::Number(v), InputKind::Number) => {
                        v.iter().map(|&c| number(c)).collect()
                    }
                    // numbers kept as text in the table: the caller parses them
                    (RawValues::Text(v), InputKind::Number) => v
                        .iter()
                        .map(|c| match c.as_deref().map(str::trim) {
                            None | Some("") => String::new(),
                            Some(t) => number(t.parse::<f64>().unwrap()),
                        })
                        .collect(),
                    (RawValues::Text(v), InputKind::Text) => v
                        .iter()
                        .map(|c| csv_field(c.as_deref().map_or("", str::trim)))
                        .collect(),
                    (RawValues::Number(_), InputKind::Text) => {
                        unreachable!("numeric columns are never one-hot encoded")
                    }
                }
            }
        })
        .collect();
    let mut text = String::new();
    for input in &inputs {
        write!(text, "{},", csv_field(&input.name)).unwrap();
    }
    text.push_str("expected_probability\n");
    for (i, p) in expected.iter().enumerate() {
        for col in &cells {
            write!(text, "{},", col[i]).unwrap();
        }
        writeln!(text, "{}", number(*p)).unwrap();
    }
    assert_eq!(cells.first().map_or(n, Vec::len), n);
    let csv_path = dir.join(format!("{name}.csv"));
    std::fs::write(&csv_path, text).unwrap();
    (model_path, csv_path, expected)
}

struct Run {
    success: bool,
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run_parity(cases: &[(PathBuf, PathBuf)]) -> Run {
    let python = python();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/onnx_parity.py");
    let mut cmd = Command::new(python);
    cmd.arg(&script)
        .arg("--tolerance")
        .arg(TOLERANCE.to_string());
    for (m, c) in cases {
        cmd.arg(m).arg(c);
    }
    let out = cmd.output().unwrap_or_else(|e| {
        panic!("cannot run `{python}` (set EROSION_PYTHON to a Python 3 with onnxruntime): {e}")
    });
    let run = Run {
        success: out.status.success(),
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    if run.code == Some(3) {
        panic!(
            "`{python}` lacks onnxruntime: install it with `{python} -m pip install onnxruntime \
             numpy`, or set EROSION_PYTHON to an interpreter that has it.\n{}",
            run.stderr
        );
    }
    run
}

/// Runs the cases, requires every one to agree, and returns `(case, max_abs_diff)`.
fn assert_parity(cases: &[(PathBuf, PathBuf)]) -> Vec<(String, f64)> {
    let run = run_parity(cases);
    eprintln!("{}{}", run.stdout, run.stderr);
    assert!(
        run.success,
        "ONNX Runtime disagrees with erosion (exit {:?}):\n{}\n{}",
        run.code, run.stdout, run.stderr
    );
    let diffs: Vec<(String, f64)> = run
        .stdout
        .lines()
        .filter_map(|l| {
            let case = l.strip_prefix("case=")?.split(' ').next()?.to_string();
            let d = l.split("max_abs_diff=").nth(1)?.split(' ').next()?;
            Some((case, d.parse().ok()?))
        })
        .collect();
    assert_eq!(
        diffs.len(),
        cases.len(),
        "one result per case:\n{}",
        run.stdout
    );
    for (case, d) in &diffs {
        assert!(*d <= TOLERANCE, "{case}: {d}");
    }
    diffs
}

#[test]
fn every_kind_and_calibration_matches_onnx_runtime() {
    let dir = tempfile::tempdir().unwrap();
    let rows = scoring_rows();
    let mut cases = Vec::new();
    for kind in [ModelKind::Logistic, ModelKind::Forest, ModelKind::Gbdt] {
        for cal in [CalibrationChoice::Platt, CalibrationChoice::Isotonic] {
            let model = train(kind, cal);
            let method = model.calibrator.method();
            assert_eq!(method, format!("{cal:?}").to_lowercase());
            if let Calibrator::Isotonic { x, .. } = &model.calibrator {
                assert!(x.len() > 3, "a real staircase: {} knots", x.len());
            }
            for (layout, tag) in [
                (InputLayout::RawColumns, "raw"),
                (InputLayout::EncodedFeatures, "encoded"),
            ] {
                let name = format!("{kind}-{method}-{tag}");
                let (m, c, expected) = write_case(dir.path(), &name, &model, layout, &rows);
                assert!(
                    expected.iter().any(|&p| p != expected[0]),
                    "{name}: constant predictions test nothing"
                );
                cases.push((m, c));
            }
        }
    }
    let diffs = assert_parity(&cases);
    eprintln!("max abs difference per case (tolerance {TOLERANCE:e}):");
    for (case, d) in diffs {
        eprintln!("  {case}: {d:.3e}");
    }
}

/// A logistic model whose feature order differs from its spec's (the graph reorders columns),
/// and calibrators at the edges of what `Calibrator::Isotonic` allows: one knot, and repeated
/// knots (steps).
#[test]
fn reordered_features_and_edge_calibrators_match() {
    let dir = tempfile::tempdir().unwrap();
    let rows = scoring_rows();
    let mut reordered = train(ModelKind::Logistic, CalibrationChoice::Platt);
    reordered.features.reverse();
    let Model::Logistic(m) = &mut reordered.model else {
        unreachable!()
    };
    for v in [&mut m.impute, &mut m.mean, &mut m.scale, &mut m.coef] {
        v.reverse();
    }
    let base = train(ModelKind::Gbdt, CalibrationChoice::Platt);
    let mut one_knot = base.clone();
    one_knot.calibrator = Calibrator::Isotonic {
        x: vec![0.25],
        y: vec![0.3],
    };
    let mut steps = base.clone();
    steps.calibrator = Calibrator::Isotonic {
        x: vec![-2.0, -0.5, -0.5, 0.0, 0.4, 0.4, 0.4, 1.5],
        y: vec![0.05, 0.1, 0.3, 0.35, 0.4, 0.6, 0.7, 0.95],
    };
    let mut cases = Vec::new();
    for (name, model) in [
        ("logistic-reordered", &reordered),
        ("gbdt-one-knot", &one_knot),
        ("gbdt-steps", &steps),
    ] {
        let (m, c, _) = write_case(dir.path(), name, model, InputLayout::RawColumns, &rows);
        cases.push((m, c));
    }
    assert_parity(&cases);
}

/// The check itself fails when the probabilities differ: a wrong expectation is caught.
#[test]
fn parity_check_fails_on_a_wrong_probability() {
    let dir = tempfile::tempdir().unwrap();
    let rows = scoring_rows();
    let model = train(ModelKind::Gbdt, CalibrationChoice::Isotonic);
    let (m, c, _) = write_case(
        dir.path(),
        "tampered",
        &model,
        InputLayout::RawColumns,
        &rows,
    );
    let text = std::fs::read_to_string(&c).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let (head, last) = lines[5].rsplit_once(',').unwrap();
    let p: f64 = last.parse().unwrap();
    lines[5] = format!("{head},{}", p + 3.0 * TOLERANCE);
    std::fs::write(&c, lines.join("\n") + "\n").unwrap();
    let run = run_parity(&[(m, c)]);
    assert!(
        !run.success,
        "a difference of 3x the tolerance passed:\n{}",
        run.stdout
    );
    assert!(run.stdout.contains("FAILED"), "{}", run.stdout);
}

#[test]
fn raw_inputs_follow_the_spec() {
    let model = train(ModelKind::Logistic, CalibrationChoice::Platt);
    let inputs = graph_inputs(&model, InputLayout::Auto).unwrap();
    let names: Vec<(&str, InputKind)> = inputs.iter().map(|i| (i.name.as_str(), i.kind)).collect();
    assert_eq!(
        names,
        [
            ("tenure", InputKind::Number),
            ("monthly_charges", InputKind::Number),
            ("total_charges", InputKind::Number),
            ("plan", InputKind::Text),
            ("region", InputKind::Text),
        ]
    );
    let encoded = graph_inputs(&model, InputLayout::EncodedFeatures).unwrap();
    assert_eq!(encoded.len(), model.features.len());
    assert!(encoded.iter().any(|i| i.name == "plan=(other)"));
    assert!(encoded.iter().any(|i| i.name == "plan=(missing)"));
}

#[test]
fn refuses_what_it_cannot_export() {
    let mut model = train(ModelKind::Forest, CalibrationChoice::Platt);
    let mut no_spec = model.clone();
    no_spec.spec = None;
    assert!(matches!(
        export_onnx_with(
            &no_spec,
            &ExportOptions {
                layout: InputLayout::RawColumns
            }
        ),
        Err(OnnxError::NoFeatureSpec)
    ));
    // without a spec the default is encoded features
    let inputs = graph_inputs(&no_spec, InputLayout::Auto).unwrap();
    assert_eq!(inputs.len(), model.features.len());
    assert!(export_onnx(&no_spec).is_ok());

    let mut bad_threshold = model.clone();
    if let Model::Forest(f) = &mut bad_threshold.model {
        let node = f.trees[0].nodes.iter_mut().find(|n| !n.is_leaf()).unwrap();
        node.threshold = f64::NAN;
    }
    assert!(matches!(
        export_onnx(&bad_threshold),
        Err(OnnxError::InvalidModel(_))
    ));

    model.calibrator = Calibrator::Isotonic {
        x: vec![1.0, 0.0],
        y: vec![0.2, 0.3],
    };
    assert!(matches!(
        export_onnx(&model),
        Err(OnnxError::InvalidModel(_))
    ));

    let mut clash = train(ModelKind::Logistic, CalibrationChoice::Platt);
    if let Some(spec) = &mut clash.spec {
        spec.inputs[0].name = "probability".into();
    }
    assert!(matches!(
        export_onnx(&clash),
        Err(OnnxError::InvalidInputName(_))
    ));
}
