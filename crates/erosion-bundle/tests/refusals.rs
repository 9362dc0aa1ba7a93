//! The bundle reads back exactly what was written, and refuses, with what to do, every file it
//! cannot score correctly: a changed byte, an unknown or newer format, a newer erosion, a file
//! that is not a bundle; and input that lacks a feature or has it with another type.

use erosion_bundle::{Bundle, Fingerprint, TargetDef};
use erosion_models::{EncodeOptions, ModelKind, RawColumn, TrainConfig};
use sha2::Digest;
use std::path::{Path, PathBuf};

/// A small table with a known signal: churn rises with `complaints` and falls with `tenure`.
fn table(n: usize) -> (Vec<RawColumn>, Vec<u8>) {
    let mut tenure = Vec::new();
    let mut complaints = Vec::new();
    let mut plan = Vec::new();
    let mut y = Vec::new();
    for i in 0..n {
        let t = (i * 7 % 48) as f64;
        let c = (i * 3 % 5) as f64;
        tenure.push(Some(t));
        complaints.push(if i % 11 == 0 { None } else { Some(c) });
        plan.push(Some(["basic", "plus", "pro"][i % 3].to_string()));
        y.push(u8::from(c * 10.0 - t + (i % 13) as f64 > 10.0));
    }
    (
        vec![
            RawColumn::number("tenure", tenure),
            RawColumn::number("complaints", complaints),
            RawColumn::text("plan", plan),
        ],
        y,
    )
}

fn bundle() -> Bundle {
    let (cols, y) = table(300);
    let config = TrainConfig {
        model: ModelKind::Logistic,
        ..TrainConfig::default()
    };
    let model = erosion_models::train_table(&cols, &y, None, &EncodeOptions::default(), &config)
        .expect("training");
    Bundle {
        model_id: String::new(),
        tool_version: erosion_bundle::TOOL_VERSION.into(),
        target: TargetDef {
            column: "churn".into(),
            positive: None,
            definition: "churn (test)".into(),
        },
        id_column: None,
        sensitive: Vec::new(),
        excluded: vec!["churn".into()],
        fingerprint: Fingerprint {
            file: "train.csv".into(),
            sha256: String::new(),
            rows: y.len(),
            labelled_rows: y.len(),
            cutoff_range: None,
        },
        feature_config: None,
        model,
        reference: None,
    }
}

fn written(dir: &Path) -> (PathBuf, Bundle) {
    let path = dir.join("model.json");
    let mut b = bundle();
    b.write(&path).unwrap();
    (path, b)
}

/// The header line and the payload of a written bundle.
fn parts(path: &Path) -> (serde_json::Value, Vec<u8>) {
    let bytes = std::fs::read(path).unwrap();
    let nl = bytes.iter().position(|&b| b == b'\n').unwrap();
    (
        serde_json::from_slice(&bytes[..nl]).unwrap(),
        bytes[nl + 1..].to_vec(),
    )
}

fn with_header(dir: &Path, name: &str, header: &serde_json::Value, payload: &[u8]) -> PathBuf {
    let path = dir.join(name);
    let mut bytes = serde_json::to_vec(header).unwrap();
    bytes.push(b'\n');
    bytes.extend_from_slice(payload);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn refusal(path: &Path) -> String {
    match Bundle::read(path) {
        Ok(_) => panic!("{} was read, not refused", path.display()),
        Err(e) => e.to_string(),
    }
}

#[test]
fn round_trip_scores_bit_for_bit() {
    let dir = tempfile::tempdir().unwrap();
    let (path, before) = written(dir.path());
    let after = Bundle::read(&path).unwrap();
    assert_eq!(after.model_id, before.model_id);
    assert_eq!(after.model_id.len(), 12);
    let (cols, _) = table(120);
    let p0 = before
        .model
        .predict_proba(&before.model.encode(&cols).unwrap())
        .unwrap();
    let p1 = after
        .model
        .predict_proba(&after.model.encode(&cols).unwrap())
        .unwrap();
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&p0), bits(&p1));
    // Writing the same model again gives the same bytes.
    let again = dir.path().join("again.json");
    let mut b = before.clone();
    b.write(&again).unwrap();
    assert_eq!(
        std::fs::read(&path).unwrap(),
        std::fs::read(&again).unwrap()
    );
}

#[test]
fn a_changed_byte_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = written(dir.path());
    let mut bytes = std::fs::read(&path).unwrap();
    let nl = bytes.iter().position(|&b| b == b'\n').unwrap();
    let i = nl + (bytes.len() - nl) / 2;
    bytes[i] = if bytes[i] == b'1' { b'2' } else { b'1' };
    std::fs::write(&path, &bytes).unwrap();
    let e = refusal(&path);
    assert!(e.contains("checksum mismatch"), "{e}");
    assert!(e.contains("retrain or restore"), "{e}");
    assert!(e.contains("model.json"), "{e}");
}

#[test]
fn newer_format_and_newer_tool_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = written(dir.path());
    let (header, payload) = parts(&path);

    let mut h = header.clone();
    h["format_version"] = (erosion_bundle::BUNDLE_FORMAT_VERSION + 1).into();
    let e = refusal(&with_header(dir.path(), "next.json", &h, &payload));
    assert!(e.contains("newer") && e.contains("upgrade erosion"), "{e}");

    let mut h = header.clone();
    h["tool_version"] = "99.0.0".into();
    let e = refusal(&with_header(dir.path(), "tool99.json", &h, &payload));
    assert!(
        e.contains("erosion 99.0.0") && e.contains("upgrade erosion"),
        "{e}"
    );

    let mut h = header.clone();
    h["tool_version"] = "not a version".into();
    let e = refusal(&with_header(dir.path(), "toolbad.json", &h, &payload));
    assert!(e.contains("upgrade erosion"), "{e}");

    // An older erosion's bundle of the same format reads.
    let mut h = header;
    h["tool_version"] = "0.0.1".into();
    assert!(Bundle::read(&with_header(dir.path(), "old.json", &h, &payload)).is_ok());
}

/// Format 1 kept a second version number inside the model (`format_version`); format 2 has the
/// header's only. A format-1 bundle still reads, and scores as it did.
#[test]
fn a_format_1_bundle_still_reads() {
    let dir = tempfile::tempdir().unwrap();
    let (path, written) = written(dir.path());
    let (header, payload) = parts(&path);
    let mut value: serde_json::Value = serde_json::from_slice(&payload).unwrap();
    value["model"]["format_version"] = 1.into();
    let old_payload = serde_json::to_vec(&value).unwrap();
    let mut h = header;
    h["format_version"] = 1.into();
    let digest = sha2::Sha256::digest(&old_payload);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    h["checksum"] = format!("sha256:{hex}").into();
    let read = Bundle::read(&with_header(dir.path(), "v1.json", &h, &old_payload)).unwrap();
    assert_eq!(read.model, written.model);
}

#[test]
fn unknown_formats_and_non_bundles_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = written(dir.path());
    let (header, payload) = parts(&path);

    let mut h = header.clone();
    h["format_version"] = 0.into();
    let e = refusal(&with_header(dir.path(), "v0.json", &h, &payload));
    assert!(e.contains("unknown bundle format version 0"), "{e}");

    let mut h = header;
    h["format"] = "pickle".into();
    let e = refusal(&with_header(dir.path(), "pickle.json", &h, &payload));
    assert!(e.contains("\"pickle\""), "{e}");

    let flat = dir.path().join("flat.json");
    std::fs::write(&flat, b"{\"model\": 1}").unwrap();
    let e = refusal(&flat);
    assert!(e.contains("no header line"), "{e}");

    let csv = dir.path().join("table.csv");
    std::fs::write(&csv, b"a,b\n1,2\n").unwrap();
    let e = refusal(&csv);
    assert!(e.contains("not a bundle header"), "{e}");

    let e = refusal(&dir.path().join("nope.json"));
    assert!(e.contains("nope.json"), "{e}");
}

#[test]
fn input_without_a_feature_or_with_another_type_is_refused() {
    let b = bundle();
    let (mut cols, _) = table(20);
    cols.retain(|c| c.name != "tenure");
    let e = b.model.encode(&cols).unwrap_err().to_string();
    assert!(e.contains("tenure"), "{e}");

    let (mut cols, _) = table(20);
    cols[0] = RawColumn::text(
        "tenure",
        (0..20).map(|i| Some(format!("month {i}"))).collect(),
    );
    let e = b.model.encode(&cols).unwrap_err().to_string();
    assert!(e.contains("tenure") && e.contains("month 0"), "{e}");
}

#[test]
fn the_monitoring_reference_is_optional_and_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    // Without one (as every bundle written before monitoring): no `reference` key at all.
    let (path, _) = written(dir.path());
    let (_, payload) = parts(&path);
    let json: serde_json::Value = serde_json::from_slice(&payload).unwrap();
    assert!(json.get("reference").is_none());
    assert!(Bundle::read(&path).unwrap().reference.is_none());
    // With one: read back as written.
    let x: Vec<f64> = (0..50).map(f64::from).collect();
    let reference = erosion_monitor::Reference::build(
        &[erosion_monitor::Column {
            name: "tenure",
            values: erosion_monitor::Values::Numeric(&x),
        }],
        Some(&x),
        "test",
        &erosion_monitor::ReferenceOptions::default(),
    );
    let with = dir.path().join("with.json");
    let mut b = bundle();
    b.reference = Some(reference.clone());
    b.write(&with).unwrap();
    assert_eq!(Bundle::read(&with).unwrap().reference, Some(reference));
}
