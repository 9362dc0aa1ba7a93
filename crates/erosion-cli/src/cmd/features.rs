//! `erosion features`: the feature table from events, point in time, with labels.

use crate::args::FeaturesArgs;
use erosion_core::time::{format_date, parse_date, DAY_MS};
use erosion_core::Error;
use erosion_features::{catalogue, compute, FeatureConfig, FeatureTable, LeftOut};
use erosion_io::timing;
use std::time::Instant;

/// Parses a duration with its unit, `90d` or `13w`, into days; a bare number is refused (every
/// duration carries its unit).
pub fn parse_days(s: &str, flag: &str) -> Result<u32, Error> {
    let s = s.trim();
    let (num, mult) = if let Some(n) = s.strip_suffix('d') {
        (n, 1)
    } else if let Some(n) = s.strip_suffix('w') {
        (n, 7)
    } else if s.parse::<u32>().is_ok() {
        return Err(Error::usage(format!(
            "{flag} {s:?} needs a unit: {s}d for days (or weeks, e.g. 13w)"
        )));
    } else {
        (s, 0)
    };
    match num.parse::<u32>().ok().and_then(|n| n.checked_mul(mult)) {
        Some(n) if n > 0 => Ok(n),
        _ => Err(Error::usage(format!(
            "{flag} {s:?} is not a positive duration with its unit (e.g. 90d or 13w)"
        ))),
    }
}

/// `--windows` in days, each once: a window given twice (`30d,30d`, or `28d,4w`) would name two
/// feature columns alike, so it is refused (exit 2) rather than silently dropped.
pub fn parse_windows(given: &[String]) -> Result<Vec<u32>, Error> {
    let mut windows: Vec<u32> = Vec::with_capacity(given.len());
    for (i, w) in given.iter().enumerate() {
        let d = parse_days(w, "--windows")?;
        if let Some(j) = windows.iter().position(|&x| x == d) {
            return Err(Error::usage(format!(
                "--windows {}: {:?} and {:?} are both {d} days; give each window once (e.g. 30d,90d,365d)",
                given.join(","),
                given[j],
                given[i]
            )));
        }
        windows.push(d);
    }
    Ok(windows)
}

/// Expands `--as-of` values, each a date or `START..END/STEP`, into sorted, distinct cutoffs.
pub fn cutoffs(as_of: &[String]) -> Result<Vec<i64>, Error> {
    let date = |s: &str| {
        parse_date(s).ok_or_else(|| {
            Error::usage(format!(
                "--as-of {s:?} is not a date (YYYY-MM-DD) or dates START..END/STEP"
            ))
        })
    };
    let mut out = Vec::new();
    for r in as_of {
        let Some((span, step)) = r.split_once('/') else {
            out.push(date(r)?);
            continue;
        };
        let bad = || {
            Error::usage(format!(
                "--as-of {r:?} is not START..END/STEP (e.g. 2024-06-01..2025-06-01/30d)"
            ))
        };
        let (a, b) = span.split_once("..").ok_or_else(bad)?;
        let (a, b) = (date(a)?, date(b)?);
        let step = parse_days(step, "--as-of step")? as i64 * DAY_MS;
        if b < a {
            return Err(bad());
        }
        let mut t = a;
        while t <= b {
            out.push(t);
            t += step;
        }
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

pub fn run(a: &FeaturesArgs, quiet: bool) -> anyhow::Result<()> {
    let windows = parse_windows(&a.windows)?;
    let horizon_days = parse_days(&a.horizon, "--horizon")?;
    let active_within_days = match a.active_within.as_deref().map(str::trim) {
        None => Some(horizon_days),
        Some("all") => None,
        Some(d) => Some(parse_days(d, "--active-within")?),
    };
    let mut config = FeatureConfig {
        windows,
        horizon_days,
        active_within_days,
        ..FeatureConfig::default()
    };
    if let Some(d) = &a.observed_until {
        config.observed_until = Some(parse_date(d).ok_or_else(|| {
            Error::usage(format!("--observed-until {d:?} is not a date (YYYY-MM-DD)"))
        })?);
    }
    if a.list {
        let custom: Vec<String> = Vec::new();
        let cat = catalogue(&config, &custom);
        if a.json {
            erosion_io::outln!("{}", serde_json::to_string_pretty(&cat)?);
        } else {
            for d in &cat {
                erosion_io::outln!(
                    "{:<40} {:<13} {}  [missing: {}]",
                    d.name,
                    d.family.as_str(),
                    d.description,
                    d.missing
                );
            }
            erosion_io::outln!(
                "({} features; custom event types add custom_<type>_<window>d)",
                cat.len()
            );
        }
        return Ok(());
    }
    let events = a
        .events
        .as_deref()
        .ok_or_else(|| Error::usage("--events is required (or --list)"))?;
    let out = a
        .out
        .as_deref()
        .ok_or_else(|| Error::usage("--out is required"))?;
    let sidecar = erosion_io::note_sidecar(out);
    let mut outputs = vec![("--out", out)];
    if !matches!(
        out.extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some("parquet" | "pq")
    ) {
        outputs.push(("the table's note", sidecar.as_path()));
    }
    let mut inputs = vec![("--events", events)];
    if let Some(c) = a.customers.as_deref() {
        inputs.push(("--customers", c));
    }
    erosion_io::refuse_overlap(&outputs, &inputs)?;
    let cutoffs = cutoffs(&a.as_of)?;
    if cutoffs.is_empty() {
        return Err(
            Error::usage("give at least one --as-of DATE (or dates START..END/STEP)").into(),
        );
    }
    let pb = crate::progress::bar(3, "loading events and customers", quiet);
    let t = Instant::now();
    let log = super::load::events(events, &a.file)?;
    super::load::warn_lookalikes(events, &log);
    pb.inc(1);
    pb.set_message(format!(
        "features of {} customers at {} cutoff(s)",
        log.customer_ids.len(),
        cutoffs.len()
    ));
    let customers = a
        .customers
        .as_deref()
        .map(|p| super::load::customers(p, &a.file))
        .transpose()?;
    timing(format_args!("load events and customers"), t);
    let t = Instant::now();
    let table = compute(&log, customers.as_ref(), &cutoffs, &config);
    timing(format_args!("compute: {} rows", table.len()), t);
    // The table is all that is left to write: free the inputs first.
    drop(log);
    drop(customers);
    pb.inc(1);
    pb.set_message(format!("writing {} rows to {}", table.len(), out.display()));
    if table.is_empty() {
        return Err(Error::usage(format!(
            "{}: no customer is in the population ({}) at the cutoff(s) {}",
            events.display(),
            config.population_rule(),
            cutoffs
                .iter()
                .map(|&c| format_date(c))
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .into());
    }
    let t = Instant::now();
    let mut df = erosion_frame::feature_frame(&table);
    timing(format_args!("feature frame"), t);
    let t = Instant::now();
    let made = erosion_frame::TableOrigin::new(&config, table.observed_until);
    erosion_frame::write_feature_table(out, &mut df, &made)?;
    timing(format_args!("write {}", out.display()), t);
    pb.finish_and_clear();
    print_summary(&table, &config);
    erosion_io::outln!("wrote {}", out.display());
    Ok(())
}

/// Prints rows per cutoff, label rates and exclusions.
pub fn print_summary(t: &FeatureTable, config: &FeatureConfig) {
    erosion_io::out!("{}", summary(t, config));
}

/// Rows per cutoff, label rates and who was left out of the population, by reason.
pub fn summary(t: &FeatureTable, config: &FeatureConfig) -> String {
    use std::fmt::Write;
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{} rows x {} features; labels over {} days, data observed until {}",
        t.len(),
        t.names.len(),
        config.horizon_days,
        format_date(t.observed_until)
    );
    let _ = writeln!(o, "population: {}", config.population_rule());
    for cutoff in t.cutoffs() {
        let left = t.left_out_counts(cutoff);
        let rows: Vec<usize> = (0..t.len()).filter(|&i| t.cutoff[i] == cutoff).collect();
        let labelled: Vec<usize> = rows
            .iter()
            .copied()
            .filter(|&i| t.churn[i].is_some())
            .collect();
        let rate = |l: &[Option<bool>]| {
            if labelled.is_empty() {
                "unlabelled".to_string()
            } else {
                let k = labelled.iter().filter(|&&i| l[i] == Some(true)).count();
                format!("{:.1} %", 100.0 * k as f64 / labelled.len() as f64)
            }
        };
        let why: Vec<String> = LeftOut::ALL
            .iter()
            .zip(left)
            .filter(|(_, n)| *n > 0)
            .map(|(r, n)| format!("{n} {}", r.as_str()))
            .collect();
        let _ = writeln!(
            o,
            "  cutoff {}: {} customers, churn {}, erosion {}; left out: {}",
            format_date(cutoff),
            rows.len(),
            rate(&t.churn),
            rate(&t.erosion),
            if why.is_empty() {
                "none".to_string()
            } else {
                why.join(", ")
            }
        );
    }
    o
}
