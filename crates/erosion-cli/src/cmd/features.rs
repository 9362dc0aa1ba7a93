//! `erosion features`: the feature table from events, point in time, with labels.

use crate::args::FeaturesArgs;
use erosion_core::time::{parse_date, DAY_MS};
use erosion_core::Error;
use erosion_features::{catalogue, FeatureConfig};
use erosion_pipeline::features::FeaturesRequest;

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

/// The feature config the flags describe.
fn config(a: &FeaturesArgs) -> Result<FeatureConfig, Error> {
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
    Ok(config)
}

/// `--list`: the catalogue of features the config makes, as a table or JSON.
fn list(config: &FeatureConfig, json: bool) -> anyhow::Result<()> {
    let cat = catalogue(config, &[]);
    if json {
        erosion_io::outln!("{}", serde_json::to_string_pretty(&cat)?);
        return Ok(());
    }
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
    Ok(())
}

pub fn run(a: &FeaturesArgs, quiet: bool) -> anyhow::Result<()> {
    let config = config(a)?;
    if a.list {
        return list(&config, a.json);
    }
    let events = a
        .events
        .clone()
        .ok_or_else(|| Error::usage("--events is required (or --list)"))?;
    let out = a
        .out
        .clone()
        .ok_or_else(|| Error::usage("--out is required"))?;
    let request = FeaturesRequest {
        events,
        events_options: super::load::event_options(&a.file)?,
        customers: a.customers.clone(),
        customers_options: super::load::customer_options(&a.file),
        cutoffs: cutoffs(&a.as_of)?,
        config,
        out,
        memory: a.memory.plan()?,
    };
    let bars = crate::progress::Bars::new(quiet);
    let built = erosion_pipeline::features::build(&request, &bars)?;
    bars.clear();
    erosion_io::out!("{}", built.summary);
    erosion_io::outln!("wrote {}", built.out.display());
    Ok(())
}
