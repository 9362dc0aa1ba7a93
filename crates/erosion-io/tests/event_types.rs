//! Event types bind by meaning whatever the file's format and spelling: `OPT_OUT`, `opt-out` and
//! `Opt Out` load as `opt_out` from CSV, Parquet and NDJSON alike, and near misses are reported.

use erosion_core::{EventKind, EventType};
use erosion_io::polars::prelude::*;
use erosion_io::{load_events, summarize, write_table};

fn frame() -> DataFrame {
    let types = [
        "OPT_OUT",
        "opt-out",
        "Opt Out",
        "Consent-Withdrawn",
        "purchase",
        "optout",
        "optout",
        "loyalty_points",
    ];
    let n = types.len();
    df!(
        "customer_id" => (0..n).map(|i| format!("c{i}")).collect::<Vec<_>>(),
        "timestamp" => vec!["2025-01-02"; n],
        "event_type" => types,
    )
    .unwrap()
}

#[test]
fn spellings_of_consent_types_load_alike_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let mut kinds = Vec::new();
    for ext in ["csv", "parquet", "ndjson"] {
        let path = dir.path().join(format!("events.{ext}"));
        if ext == "ndjson" {
            let mut f = std::fs::File::create(&path).unwrap();
            JsonWriter::new(&mut f)
                .with_json_format(JsonFormat::JsonLines)
                .finish(&mut frame())
                .unwrap();
        } else {
            write_table(&path, &mut frame()).unwrap();
        }
        let log = load_events(&path, &Default::default()).unwrap();
        let opt_out = EventKind::Known(EventType::OptOut);
        assert_eq!(log.kind[..3], [opt_out; 3], "{ext}");
        assert_eq!(
            log.kind[3],
            EventKind::Known(EventType::ConsentWithdrawn),
            "{ext}"
        );
        assert_eq!(log.consent_events(), 4, "{ext}");
        assert_eq!(log.custom_types, ["optout", "loyalty_points"], "{ext}");
        kinds.push(log.kind);
    }
    assert!(kinds.windows(2).all(|w| w[0] == w[1]));
}

#[test]
fn validate_reports_a_near_miss_with_its_count_and_the_type_it_resembles() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.csv");
    write_table(&path, &mut frame()).unwrap();
    let log = load_events(&path, &Default::default()).unwrap();
    let summary = summarize(&log, None);
    assert_eq!(summary.lookalikes.len(), 1);
    assert_eq!(summary.lookalikes[0].events, 2);
    let text = summary.to_string();
    assert!(
        text.contains("warning: event type \"optout\" (2 events)")
            && text.contains("resembles \"opt_out\""),
        "{text}"
    );
    assert!(text.contains("resembles opt_out)"), "{text}");
    assert!(!text.contains("\"loyalty_points\" ("), "{text}");
    // near misses are warnings, not problems: validate still exits 0 on them
    assert!(!summary.has_problems());
}
