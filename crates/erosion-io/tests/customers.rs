//! Customers tables: typed date columns with gaps, and duplicates.

use erosion_io::polars::prelude::*;
use erosion_io::{load_customers, write_table};

#[test]
fn a_parquet_signup_date_with_nulls_loads_as_unknown_signups() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("customers.parquet");
    // 2024-01-01 is day 19723 since the epoch.
    let signup = Int32Chunked::from_iter_options(
        "signup_date".into(),
        [Some(19723), None, Some(19724)].into_iter(),
    )
    .into_date()
    .into_column();
    let mut df = DataFrame::new(
        3,
        vec![
            Column::new("customer_id".into(), ["a", "b", "c"]),
            signup,
            Column::new("region".into(), ["north", "south", "north"]),
        ],
    )
    .unwrap();
    write_table(&path, &mut df).unwrap();
    let c = load_customers(&path, &Default::default()).unwrap();
    assert_eq!(c.ids, ["a", "b", "c"]);
    let day = 86_400_000;
    assert_eq!(c.signup, [Some(19723 * day), None, Some(19724 * day)]);
}

#[test]
fn duplicate_customers_name_both_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("customers.csv");
    std::fs::write(&path, "customer_id,region\na,north\nb,south\na,east\n").unwrap();
    let err = load_customers(&path, &Default::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("customers.csv") && err.contains("\"a\""),
        "{err}"
    );
}
