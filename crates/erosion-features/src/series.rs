//! Trust metrics per segment and period, built from events: the series `erosion forecast`
//! forecasts.

use erosion_core::time::DAY_MS;
use erosion_core::{Customers, EventKind, EventLog, EventType};
use std::collections::{BTreeMap, HashMap};

/// A trust metric measured per period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrustMetric {
    /// Net Promoter Score of the period's answers: % promoters (9-10) minus % detractors
    /// (0-6), from -100 to 100.
    Nps,
    /// Mean CSAT answer of the period (1-5).
    Csat,
    /// (opt_out + consent_withdrawn) per active customer in the period.
    OptoutRate,
    /// unsubscribe per active customer in the period.
    UnsubscribeRate,
    /// (complaint + privacy_complaint) per active customer in the period.
    ComplaintRate,
}

impl std::str::FromStr for TrustMetric {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "nps" => TrustMetric::Nps,
            "csat" => TrustMetric::Csat,
            "optout_rate" => TrustMetric::OptoutRate,
            "unsubscribe_rate" => TrustMetric::UnsubscribeRate,
            "complaint_rate" => TrustMetric::ComplaintRate,
            _ => {
                return Err(format!(
                    "unknown metric {s:?}; expected nps, csat, optout_rate, unsubscribe_rate or complaint_rate"
                ))
            }
        })
    }
}

impl TrustMetric {
    /// The metric's name as the CLI spells it (`optout_rate`); [`std::str::FromStr`] reads it.
    pub fn as_str(self) -> &'static str {
        match self {
            TrustMetric::Nps => "nps",
            TrustMetric::Csat => "csat",
            TrustMetric::OptoutRate => "optout_rate",
            TrustMetric::UnsubscribeRate => "unsubscribe_rate",
            TrustMetric::ComplaintRate => "complaint_rate",
        }
    }

    /// Whether the metric is a share of active customers (never below zero).
    pub fn is_rate(self) -> bool {
        self.as_str().ends_with("_rate")
    }

    /// The metric in words, for titles: "NPS", "Opt-out rate".
    pub fn title(self) -> &'static str {
        match self {
            TrustMetric::Nps => "NPS",
            TrustMetric::Csat => "CSAT",
            TrustMetric::OptoutRate => "Opt-out rate",
            TrustMetric::UnsubscribeRate => "Unsubscribe rate",
            TrustMetric::ComplaintRate => "Complaint rate",
        }
    }

    /// How a chart's value axis shows the metric: its label with the unit, and the factor from
    /// the metric's values to that unit (rates are drawn per 100 active customers).
    pub fn axis(self) -> (&'static str, f64) {
        match self {
            TrustMetric::Nps => ("NPS (-100 to 100)", 1.0),
            TrustMetric::Csat => ("mean CSAT answer (1 to 5)", 1.0),
            TrustMetric::OptoutRate => ("opt-outs per 100 active customers", 100.0),
            TrustMetric::UnsubscribeRate => ("unsubscribes per 100 active customers", 100.0),
            TrustMetric::ComplaintRate => ("complaints per 100 active customers", 100.0),
        }
    }
}

/// Period length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// Calendar days.
    Day,
    /// Weeks starting on Monday.
    Week,
    /// Calendar months.
    Month,
}

impl Period {
    /// Start (epoch ms) of the period holding `ts`.
    pub fn start_of(self, ts: i64) -> i64 {
        let day = ts.div_euclid(DAY_MS);
        match self {
            Period::Day => day * DAY_MS,
            // 1970-01-01 was a Thursday: Monday-based weeks start 3 days earlier.
            Period::Week => ((day + 3).div_euclid(7) * 7 - 3) * DAY_MS,
            Period::Month => {
                let d = chrono::DateTime::from_timestamp_millis(day * DAY_MS)
                    .expect("valid time")
                    .date_naive();
                use chrono::Datelike;
                chrono::NaiveDate::from_ymd_opt(d.year(), d.month(), 1)
                    .expect("valid date")
                    .and_hms_opt(0, 0, 0)
                    .expect("midnight")
                    .and_utc()
                    .timestamp_millis()
            }
        }
    }

    /// Start of the period after the one starting at `start`.
    pub fn next(self, start: i64) -> i64 {
        match self {
            Period::Day => start + DAY_MS,
            Period::Week => start + 7 * DAY_MS,
            Period::Month => self.start_of(start + 32 * DAY_MS),
        }
    }
}

/// One segment's series: consecutive period starts and values (no gaps, all finite).
#[derive(Debug, Clone, PartialEq)]
pub struct MetricSeries {
    /// Segment value (`all` without a segment column).
    pub segment: String,
    /// Period starts (epoch ms).
    pub periods: Vec<i64>,
    /// Metric per period.
    pub values: Vec<f64>,
    /// Answers or active customers behind each value (0 where a survey metric was carried
    /// forward from the previous period).
    pub support: Vec<u32>,
}

#[derive(Default, Clone)]
struct Cell {
    active: HashMap<u32, ()>,
    numerator: f64,
    answers: u32,
    sum: f64,
    promoters: u32,
    detractors: u32,
}

/// Builds the metric per segment and period from events strictly before `until` (all events
/// when `None`). Rates count the customers with any event in the period as active; survey
/// metrics with no answer in a period carry the previous period's value forward (and the
/// first answered value backward), so series have no gaps. Segments come from the customers'
/// `segment` attribute (customers without it are `(missing)`). Customers with a data deletion
/// request anywhere in the log are erased: none of their events reaches a series.
#[allow(clippy::too_many_lines)] // known debt: split when next changed
pub fn trust_metric_series(
    log: &EventLog,
    customers: Option<&Customers>,
    segment: Option<&str>,
    metric: TrustMetric,
    period: Period,
    until: Option<i64>,
) -> Result<Vec<MetricSeries>, String> {
    let seg_of: Vec<String> = match (segment, customers) {
        (None, _) => vec!["all".to_string(); log.customer_ids.len()],
        (Some(col), Some(c)) => {
            let values = c
                .attribute(col)
                .ok_or_else(|| format!("the customers table has no column {col:?}"))?;
            let map: HashMap<&str, &str> = c
                .ids
                .iter()
                .zip(values)
                .map(|(id, v)| (id.as_str(), v.as_deref().unwrap_or("(missing)")))
                .collect();
            log.customer_ids
                .iter()
                .map(|id| map.get(id.as_str()).unwrap_or(&"(missing)").to_string())
                .collect()
        }
        (Some(col), None) => {
            return Err(format!("segment {col:?} needs the customers table"));
        }
    };
    // Erasure: a customer with a data deletion request anywhere in the data is in no series
    // (not as an answer, an event or an active customer), whatever `until` is.
    let mut erased = vec![false; log.customer_ids.len()];
    for i in 0..log.len() {
        if log.kind[i] == EventKind::Known(EventType::DataDeletionRequest) {
            erased[log.customer[i] as usize] = true;
        }
    }
    let mut cells: BTreeMap<(String, i64), Cell> = BTreeMap::new();
    let (mut first, mut last) = (i64::MAX, i64::MIN);
    for i in 0..log.len() {
        let ts = log.timestamp[i];
        if until.is_some_and(|u| ts >= u) || erased[log.customer[i] as usize] {
            continue;
        }
        let p = period.start_of(ts);
        first = first.min(p);
        last = last.max(p);
        let cust = log.customer[i];
        let cell = cells.entry((seg_of[cust as usize].clone(), p)).or_default();
        cell.active.insert(cust, ());
        let EventKind::Known(t) = log.kind[i] else {
            continue;
        };
        let v = log.value[i];
        use EventType as T;
        match (metric, t) {
            (TrustMetric::OptoutRate, T::OptOut | T::ConsentWithdrawn)
            | (TrustMetric::UnsubscribeRate, T::Unsubscribe)
            | (TrustMetric::ComplaintRate, T::Complaint | T::PrivacyComplaint) => {
                cell.numerator += 1.0
            }
            (TrustMetric::Nps, T::Nps) if !v.is_nan() => {
                cell.answers += 1;
                cell.promoters += (v >= 9.0) as u32;
                cell.detractors += (v <= 6.0) as u32;
            }
            (TrustMetric::Csat, T::Csat) if !v.is_nan() => {
                cell.answers += 1;
                cell.sum += v;
            }
            _ => {}
        }
    }
    if first > last {
        return Ok(Vec::new());
    }
    let mut periods = Vec::new();
    let mut p = first;
    while p <= last {
        periods.push(p);
        p = period.next(p);
    }
    let mut segments: Vec<String> = cells.keys().map(|(s, _)| s.clone()).collect();
    segments.dedup();
    let empty = Cell::default();
    let mut out = Vec::new();
    for seg in segments {
        let mut values = Vec::with_capacity(periods.len());
        let mut support = Vec::with_capacity(periods.len());
        for &p in &periods {
            let c = cells.get(&(seg.clone(), p)).unwrap_or(&empty);
            let (v, n) = match metric {
                TrustMetric::Nps if c.answers > 0 => (
                    100.0 * (c.promoters as f64 - c.detractors as f64) / c.answers as f64,
                    c.answers,
                ),
                TrustMetric::Csat if c.answers > 0 => (c.sum / c.answers as f64, c.answers),
                TrustMetric::Nps | TrustMetric::Csat => (f64::NAN, 0),
                _ => {
                    let active = c.active.len() as u32;
                    let rate = if active > 0 {
                        c.numerator / active as f64
                    } else {
                        0.0
                    };
                    (rate, active)
                }
            };
            values.push(v);
            support.push(n);
        }
        // carry survey values forward, and the first one backward
        if let Some(first_ok) = values.iter().position(|v| !v.is_nan()) {
            let f = values[first_ok];
            for v in values.iter_mut().take(first_ok) {
                *v = f;
            }
            for k in first_ok + 1..values.len() {
                if values[k].is_nan() {
                    values[k] = values[k - 1];
                }
            }
        } else {
            continue; // a segment without a single answer has no series
        }
        out.push(MetricSeries {
            segment: seg,
            periods: periods.clone(),
            values,
            support,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use erosion_core::model::{EventLogBuilder, NO_CHANNEL};
    use erosion_core::time::parse_date;

    #[test]
    fn weekly_rates_and_nps_per_segment() {
        let mut b = EventLogBuilder::default();
        let d = |s: &str| parse_date(s).unwrap();
        let mut push = |id: &str, day: &str, kind: &str, v: f64| {
            let c = b.customer(id);
            let k = b.kind(kind);
            b.push(c, d(day) + 3_600_000, k, v, NO_CHANNEL, None);
        };
        // 2024-01-01 is a Monday
        push("a", "2024-01-01", "visit", f64::NAN);
        push("b", "2024-01-02", "opt_out", f64::NAN);
        push("a", "2024-01-03", "nps", 10.0);
        push("b", "2024-01-03", "nps", 3.0);
        push("a", "2024-01-15", "nps", 9.0);
        let log = b.finish();
        let rates = trust_metric_series(
            &log,
            None,
            None,
            TrustMetric::OptoutRate,
            Period::Week,
            None,
        )
        .unwrap();
        assert_eq!(rates.len(), 1);
        assert_eq!(
            rates[0].periods.len(),
            3,
            "three weeks, the empty middle one included"
        );
        assert_eq!(rates[0].values, vec![0.5, 0.0, 0.0]);
        let nps =
            trust_metric_series(&log, None, None, TrustMetric::Nps, Period::Week, None).unwrap();
        // week 1: one promoter, one detractor -> 0; week 2 carried forward; week 3: 100
        assert_eq!(nps[0].values, vec![0.0, 0.0, 100.0]);
        assert_eq!(nps[0].support, vec![2, 0, 1]);
        let cut = trust_metric_series(
            &log,
            None,
            None,
            TrustMetric::Nps,
            Period::Week,
            Some(d("2024-01-08")),
        )
        .unwrap();
        assert_eq!(cut[0].values, vec![0.0]);
        assert_eq!(Period::Week.start_of(d("2024-01-07")), d("2024-01-01"));
        assert_eq!(Period::Month.next(d("2024-01-01")), d("2024-02-01"));
    }

    #[test]
    fn erased_customers_reach_no_series_even_after_until() {
        let mut b = EventLogBuilder::default();
        let d = |s: &str| parse_date(s).unwrap();
        let mut push = |id: &str, day: &str, kind: &str, v: f64| {
            let c = b.customer(id);
            let k = b.kind(kind);
            b.push(c, d(day) + 3_600_000, k, v, NO_CHANNEL, None);
        };
        push("a", "2024-01-01", "nps", 10.0);
        push("b", "2024-01-02", "nps", 0.0);
        push("b", "2024-01-03", "opt_out", f64::NAN);
        // b asks for deletion weeks after the series' end
        push("b", "2024-03-01", "data_deletion_request", f64::NAN);
        let log = b.finish();
        let until = Some(d("2024-01-08"));
        let nps =
            trust_metric_series(&log, None, None, TrustMetric::Nps, Period::Week, until).unwrap();
        assert_eq!(
            (nps[0].values.clone(), nps[0].support.clone()),
            (vec![100.0], vec![1])
        );
        let opt = trust_metric_series(
            &log,
            None,
            None,
            TrustMetric::OptoutRate,
            Period::Week,
            until,
        )
        .unwrap();
        assert_eq!(opt[0].values, vec![0.0]);
    }
}
