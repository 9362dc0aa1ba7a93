//! The computation: one pass over each customer's events before the cutoff.

use crate::catalogue::{emit, Family, Sink};
use crate::population::{membership, LeftOut};
use crate::{FeatureConfig, EROSION_EVENTS};
use erosion_core::time::DAY_MS;
use erosion_core::timings::timing;
use erosion_core::{Customers, EventKind, EventLog, EventType};
use rayon::prelude::*;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::time::Instant;

const NK: usize = 32;

/// Aggregates of one customer's history before one cutoff.
pub(crate) struct Ctx {
    cur_counts: Vec<[u32; NK]>,
    prev_counts: Vec<[u32; NK]>,
    pub(crate) custom: Vec<Vec<f64>>,
    pub(crate) money: Vec<f64>,
    pub(crate) activity_cur: Vec<f64>,
    pub(crate) activity_prev: Vec<f64>,
    pub(crate) pers_touches: Vec<f64>,
    pub(crate) pers_responses: Vec<f64>,
    pub(crate) pers_bounce: Vec<f64>,
    pub(crate) recency_days: f64,
    pub(crate) last_activity_days: f64,
    pub(crate) tenure_days: f64,
    pub(crate) n_purchase: u32,
    pub(crate) sum_purchase: f64,
    pub(crate) gap_mean: f64,
    pub(crate) gap_std: f64,
    pub(crate) cancelled: bool,
    pub(crate) unsubscribed: bool,
    pub(crate) spam_total: f64,
    pub(crate) access_total: f64,
    pub(crate) privacy_total: f64,
    /// 0 unknown, 1 opted in, 2 opted out, 3 withdrawn.
    pub(crate) consent: u8,
    pub(crate) consent_days: f64,
    pub(crate) nps_last: f64,
    pub(crate) nps_prev: f64,
    pub(crate) nps_mean: f64,
    pub(crate) csat_last: f64,
    pub(crate) csat_prev: f64,
    pub(crate) csat_mean: f64,
    pub(crate) review_mean: f64,
    /// Activity events per week in each of the last [`WEEKS`] weeks (0 = the latest).
    pub(crate) activity_weeks: [f64; WEEKS],
    /// Days of history the rates can see: from the first event (or signup) to the cutoff.
    pub(crate) history_days: f64,
    /// Days since the latest NPS answer 2 or more points below the one before it.
    pub(crate) nps_drop_days: f64,
    /// Days since the customer's latest event of any type (messages sent to them included).
    pub(crate) last_event_days: f64,
    /// Days since the latest event the customer made (any type but `email_sent`).
    pub(crate) last_engagement_days: f64,
    /// Events of any type in each window (known and custom).
    pub(crate) events_cur: Vec<f64>,
    /// Days since the latest NPS answer.
    pub(crate) nps_days: f64,
    /// NPS and CSAT answers weighted by recency (half-life [`RECENT_HALF_LIFE_DAYS`]).
    pub(crate) nps_recent: f64,
    pub(crate) csat_recent: f64,
}

/// Half-life of the recency-weighted NPS and CSAT means, in days.
pub(crate) const RECENT_HALF_LIFE_DAYS: f64 = 180.0;

/// Recency-weighted mean: sums of weight x value and of weights.
#[derive(Default, Clone, Copy)]
struct Recent(f64, f64);

impl Recent {
    fn add(&mut self, value: f64, age_days: f64) {
        let w = (-age_days * std::f64::consts::LN_2 / RECENT_HALF_LIFE_DAYS).exp();
        self.0 += w * value;
        self.1 += w;
    }
    fn mean(self) -> f64 {
        if self.1 > 0.0 {
            self.0 / self.1
        } else {
            f64::NAN
        }
    }
}

/// Weeks of weekly activity counts for the activity slope.
pub(crate) const WEEKS: usize = 13;

impl Ctx {
    pub(crate) fn empty(windows: usize, custom: usize) -> Ctx {
        Ctx {
            cur_counts: vec![[0; NK]; windows],
            prev_counts: vec![[0; NK]; windows],
            custom: vec![vec![0.0; custom]; windows],
            money: vec![0.0; windows],
            activity_cur: vec![0.0; windows],
            activity_prev: vec![0.0; windows],
            pers_touches: vec![0.0; windows],
            pers_responses: vec![0.0; windows],
            pers_bounce: vec![0.0; windows],
            recency_days: f64::NAN,
            last_activity_days: f64::NAN,
            tenure_days: 0.0,
            n_purchase: 0,
            sum_purchase: 0.0,
            gap_mean: f64::NAN,
            gap_std: f64::NAN,
            cancelled: false,
            unsubscribed: false,
            spam_total: 0.0,
            access_total: 0.0,
            privacy_total: 0.0,
            consent: 0,
            consent_days: f64::NAN,
            nps_last: f64::NAN,
            nps_prev: f64::NAN,
            nps_mean: f64::NAN,
            csat_last: f64::NAN,
            csat_prev: f64::NAN,
            csat_mean: f64::NAN,
            review_mean: f64::NAN,
            activity_weeks: [0.0; WEEKS],
            history_days: 0.0,
            nps_drop_days: f64::NAN,
            last_event_days: f64::NAN,
            last_engagement_days: f64::NAN,
            events_cur: vec![0.0; windows],
            nps_days: f64::NAN,
            nps_recent: f64::NAN,
            csat_recent: f64::NAN,
        }
    }

    /// Count of a known type in window `i`.
    pub(crate) fn cur(&self, i: usize, t: EventType) -> f64 {
        self.cur_counts[i][t as usize] as f64
    }

    /// Count of a known type in the window before window `i`.
    pub(crate) fn prev(&self, i: usize, t: EventType) -> f64 {
        self.prev_counts[i][t as usize] as f64
    }

    /// Personalisation fatigue over window `i` of `w` days.
    fn fatigue(&self, i: usize, w: u32) -> f64 {
        let touches = self.pers_touches[i];
        if touches <= 0.0 {
            return 0.0;
        }
        let per_week = touches / (w as f64 / 7.0);
        per_week * (1.0 - (self.pers_responses[i] / touches).min(1.0))
    }

    /// Credibility, reliability, intimacy and self-orientation (see the catalogue).
    pub(crate) fn trust_parts(&self, cfg: &FeatureConfig) -> [f64; 4] {
        let closest = |target: i64| {
            (0..cfg.windows.len())
                .min_by_key(|&i| (cfg.windows[i] as i64 - target).abs())
                .unwrap_or(0)
        };
        let (c, r) = (closest(365), closest(90));
        if cfg.windows.is_empty() {
            return [1.0, 1.0, 0.5, 1.0];
        }
        use EventType as T;
        let objected = (self.consent == 2 || self.consent == 3) as u8 as f64;
        let credibility = 1.0
            / (1.0
                + self.cur(c, T::PrivacyComplaint)
                + self.cur(c, T::SpamReport)
                + 0.5 * self.cur(c, T::DataAccessRequest)
                + 2.0 * objected);
        let service = 1.0
            / (1.0
                + self.cur(c, T::Complaint)
                + 0.5 * (self.cur(c, T::SupportTicket) + self.cur(c, T::Return)));
        let reliability = if self.csat_mean.is_nan() {
            service
        } else {
            0.5 * (service + (self.csat_mean - 1.0) / 4.0)
        };
        let sent = self.cur(r, T::EmailSent);
        let mut parts = Vec::with_capacity(2);
        if sent > 0.0 {
            parts.push((self.cur(r, T::EmailOpen) / sent).min(1.0));
        }
        if !self.nps_last.is_nan() {
            parts.push(self.nps_last / 10.0);
        }
        let intimacy = if parts.is_empty() {
            0.5
        } else {
            parts.iter().sum::<f64>() / parts.len() as f64
        };
        let self_orientation = 1.0 + self.fatigue(r, cfg.windows[r]).min(9.0);
        [credibility, reliability, intimacy, self_orientation]
    }

    #[allow(clippy::too_many_lines)] // known debt: split when next changed
    fn build(
        log: &EventLog,
        events: &[u32],
        cutoff: i64,
        cfg: &FeatureConfig,
        custom_map: &[Option<usize>],
        n_custom: usize,
        signup: Option<i64>,
    ) -> Ctx {
        use EventType as T;
        let mut c = Ctx::empty(cfg.windows.len(), n_custom);
        let wms: Vec<i64> = cfg.windows.iter().map(|&w| w as i64 * DAY_MS).collect();
        let days = |ts: i64| (cutoff - ts) as f64 / DAY_MS as f64;
        let mut last_purchase_day: Option<i64> = None;
        let mut gaps: Vec<f64> = Vec::new();
        let (mut nps_n, mut nps_sum, mut csat_n, mut csat_sum) = (0u32, 0.0, 0u32, 0.0);
        let (mut rev_n, mut rev_sum) = (0u32, 0.0);
        let first_ts = events.first().map(|&i| log.timestamp[i as usize]);
        let (mut nps_recent, mut csat_recent) = (Recent::default(), Recent::default());
        for &e in events {
            let e = e as usize;
            let ts = log.timestamp[e];
            let age = cutoff - ts;
            let v = log.value[e];
            let pers = log.personalized[e];
            let kind = log.kind[e];
            let is_activity = matches!(kind, EventKind::Known(t) if cfg.activity.contains(&t));
            c.last_event_days = days(ts);
            if kind != EventKind::Known(T::EmailSent) {
                c.last_engagement_days = days(ts);
            }
            if is_activity {
                c.last_activity_days = days(ts);
                let week = (age / (7 * DAY_MS)) as usize;
                if week < WEEKS {
                    c.activity_weeks[week] += 1.0;
                }
            }
            let (touch, response, pbounce) = match kind {
                EventKind::Known(T::EmailSent) => (pers == Some(true), false, false),
                EventKind::Known(T::PersonalizedView) => (true, false, false),
                EventKind::Known(T::EmailOpen | T::EmailClick) => {
                    (false, pers == Some(true), false)
                }
                EventKind::Known(T::RecommendationClick) => (false, true, false),
                EventKind::Known(T::Bounce) => (false, false, pers != Some(false)),
                _ => (false, false, false),
            };
            for (i, &w) in wms.iter().enumerate() {
                if age < w {
                    match kind {
                        EventKind::Known(t) => c.cur_counts[i][t as usize] += 1,
                        EventKind::Custom(k) => {
                            if let Some(slot) = custom_map[k as usize] {
                                c.custom[i][slot] += 1.0;
                            }
                        }
                    }
                    if kind == EventKind::Known(T::Purchase) && !v.is_nan() {
                        c.money[i] += v;
                    }
                    c.activity_cur[i] += is_activity as u8 as f64;
                    c.events_cur[i] += 1.0;
                    c.pers_touches[i] += touch as u8 as f64;
                    c.pers_responses[i] += response as u8 as f64;
                    c.pers_bounce[i] += pbounce as u8 as f64;
                } else if age < 2 * w {
                    if let EventKind::Known(t) = kind {
                        c.prev_counts[i][t as usize] += 1;
                    }
                    c.activity_prev[i] += is_activity as u8 as f64;
                }
            }
            let EventKind::Known(t) = kind else { continue };
            match t {
                T::Purchase => {
                    c.n_purchase += 1;
                    if !v.is_nan() {
                        c.sum_purchase += v;
                    }
                    c.recency_days = days(ts);
                    let day = ts.div_euclid(DAY_MS);
                    if let Some(prev) = last_purchase_day {
                        if day > prev {
                            gaps.push((day - prev) as f64);
                        }
                    }
                    last_purchase_day = Some(day);
                }
                T::Cancel => c.cancelled = true,
                T::Unsubscribe => c.unsubscribed = true,
                T::SpamReport => c.spam_total += 1.0,
                T::DataAccessRequest => c.access_total += 1.0,
                T::PrivacyComplaint => c.privacy_total += 1.0,
                T::OptIn | T::OptOut | T::ConsentWithdrawn => {
                    c.consent = match t {
                        T::OptIn => 1,
                        T::OptOut => 2,
                        _ => 3,
                    };
                    c.consent_days = days(ts);
                }
                T::Nps if !v.is_nan() => {
                    if c.nps_last - v >= 2.0 {
                        c.nps_drop_days = days(ts);
                    }
                    c.nps_prev = c.nps_last;
                    c.nps_last = v;
                    c.nps_days = days(ts);
                    nps_recent.add(v, days(ts));
                    nps_n += 1;
                    nps_sum += v;
                }
                T::Csat if !v.is_nan() => {
                    c.csat_prev = c.csat_last;
                    c.csat_last = v;
                    csat_recent.add(v, days(ts));
                    csat_n += 1;
                    csat_sum += v;
                }
                T::Review if !v.is_nan() => {
                    rev_n += 1;
                    rev_sum += v;
                }
                _ => {}
            }
        }
        c.nps_recent = nps_recent.mean();
        c.csat_recent = csat_recent.mean();
        if nps_n > 0 {
            c.nps_mean = nps_sum / nps_n as f64;
        }
        if csat_n > 0 {
            c.csat_mean = csat_sum / csat_n as f64;
        }
        if rev_n > 0 {
            c.review_mean = rev_sum / rev_n as f64;
        }
        if !gaps.is_empty() {
            let m = gaps.iter().sum::<f64>() / gaps.len() as f64;
            c.gap_mean = m;
            if gaps.len() >= 2 {
                let var =
                    gaps.iter().map(|g| (g - m) * (g - m)).sum::<f64>() / (gaps.len() - 1) as f64;
                c.gap_std = var.sqrt();
            }
        }
        let start = match (signup, first_ts) {
            (Some(s), Some(f)) if s < cutoff => s.min(f),
            (_, Some(f)) => f,
            (Some(s), None) => s,
            (None, None) => cutoff,
        };
        c.tenure_days = days(start).max(0.0);
        c.history_days = first_ts.map_or(0.0, |f| days(f).max(0.0));
        c
    }

    /// Activity events per day over the longest window, or over the customer's history when
    /// that is shorter (at least a week): their own baseline rhythm.
    pub(crate) fn activity_per_day(&self, cfg: &FeatureConfig) -> f64 {
        self.per_day_over_longest(&self.activity_cur, cfg)
    }

    /// Events of any type per day over the longest window, or over the customer's history when
    /// that is shorter (at least a week).
    pub(crate) fn events_per_day(&self, cfg: &FeatureConfig) -> f64 {
        self.per_day_over_longest(&self.events_cur, cfg)
    }

    /// A per-window count (`counts[i]` for window `i`) per day over the longest window, or over
    /// the customer's history when that is shorter (at least a week); NaN with no window.
    fn per_day_over_longest(&self, counts: &[f64], cfg: &FeatureConfig) -> f64 {
        let Some(i) = (0..cfg.windows.len()).max_by_key(|&i| cfg.windows[i]) else {
            return f64::NAN;
        };
        let span = (cfg.windows[i] as f64).min(self.history_days).max(7.0);
        counts[i] / span
    }

    /// Least-squares slope of the weekly activity counts over the last [`WEEKS`] weeks (or the
    /// weeks of history, at least 4), per week, relative to the mean weekly count (+0.1).
    pub(crate) fn activity_slope(&self) -> f64 {
        let n = ((self.history_days / 7.0).floor() as usize).min(WEEKS);
        if n < 4 {
            return f64::NAN;
        }
        // x = weeks from the oldest (0) to the latest (n - 1).
        let ys = || (0..n).map(|k| self.activity_weeks[n - 1 - k]);
        let mean_x = (n - 1) as f64 / 2.0;
        let mean_y = ys().sum::<f64>() / n as f64;
        let (mut sxy, mut sxx) = (0.0, 0.0);
        for (k, y) in ys().enumerate() {
            let dx = k as f64 - mean_x;
            sxy += dx * (y - mean_y);
            sxx += dx * dx;
        }
        sxy / sxx / (mean_y + 0.1)
    }
}

struct Values(Vec<f64>);

impl Sink for Values {
    fn put(
        &mut self,
        _family: Family,
        _name: std::fmt::Arguments<'_>,
        _description: std::fmt::Arguments<'_>,
        _missing: &'static str,
        value: f64,
    ) {
        self.0.push(value);
    }
}

/// A feature table: one row per (customer, cutoff), ordered by cutoff then customer id.
#[derive(Debug, Clone, Default)]
pub struct FeatureTable {
    /// Feature names, in catalogue order.
    pub names: Vec<String>,
    /// Customer id per row.
    pub customer_id: Vec<String>,
    /// Cutoff per row (epoch ms).
    pub cutoff: Vec<i64>,
    /// One column per feature, NaN where missing.
    pub columns: Vec<Vec<f64>>,
    /// `churn` label per row; `None` when the horizon is not fully observed.
    pub churn: Vec<Option<bool>>,
    /// `erosion` label per row; `None` when the horizon is not fully observed.
    pub erosion: Vec<Option<bool>>,
    /// The customers with events who are not in the population at a cutoff, and why
    /// ([`crate::membership`]), ordered like the rows.
    pub left_out: Vec<LeftOutRow>,
    /// The moment the data is observed until (labels need cutoff + horizon <= it).
    pub observed_until: i64,
}

impl FeatureTable {
    /// Appends the rows (and left-out customers) of a table with the same features.
    pub fn append(&mut self, mut other: FeatureTable) {
        debug_assert_eq!(self.names, other.names, "the same features");
        for (col, more) in self.columns.iter_mut().zip(&mut other.columns) {
            col.append(more);
        }
        self.customer_id.append(&mut other.customer_id);
        self.cutoff.append(&mut other.cutoff);
        self.churn.append(&mut other.churn);
        self.erosion.append(&mut other.erosion);
        self.left_out.append(&mut other.left_out);
    }
}

/// A customer left out of the population at a cutoff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeftOutRow {
    /// The customer, as an index into the log's `customer_ids`.
    pub customer: u32,
    /// The cutoff (epoch ms).
    pub cutoff: i64,
    /// Why.
    pub reason: LeftOut,
}

impl FeatureTable {
    /// Customers left out at `cutoff`, per reason in [`LeftOut::ALL`] order.
    pub fn left_out_counts(&self, cutoff: i64) -> [usize; 4] {
        let mut n = [0; 4];
        for r in self.left_out.iter().filter(|r| r.cutoff == cutoff) {
            n[LeftOut::ALL
                .iter()
                .position(|&x| x == r.reason)
                .expect("a reason")] += 1;
        }
        n
    }

    /// The distinct cutoffs, ascending.
    pub fn cutoffs(&self) -> Vec<i64> {
        let mut c: Vec<i64> = self
            .cutoff
            .iter()
            .chain(self.left_out.iter().map(|r| &r.cutoff))
            .copied()
            .collect();
        c.sort_unstable();
        c.dedup();
        c
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.customer_id.len()
    }

    /// Whether the table has no rows.
    pub fn is_empty(&self) -> bool {
        self.customer_id.is_empty()
    }
}

enum Outcome {
    Row {
        values: Vec<f64>,
        churn: Option<bool>,
        erosion: Option<bool>,
    },
    LeftOut(LeftOut),
}

/// Computes features and labels for every customer in the population at each cutoff.
///
/// A customer is in the table at cutoff `C` when [`crate::membership`] says they are still a
/// customer there (no deletion request anywhere, not cancelled, active in the
/// `active_within_days` window); the others are listed in [`FeatureTable::left_out`].
pub fn compute(
    log: &EventLog,
    customers: Option<&Customers>,
    cutoffs: &[i64],
    cfg: &FeatureConfig,
) -> FeatureTable {
    let mut whole: Option<FeatureTable> = None;
    let add = |table| {
        match &mut whole {
            None => whole = Some(table),
            Some(w) => w.append(table),
        }
        Ok::<(), std::convert::Infallible>(())
    };
    let Ok(()) = compute_by_cutoff(log, customers, cutoffs, cfg, add);
    whole.expect("compute_by_cutoff gives a table or more")
}

/// [`compute`] a cutoff at a time: `each` is given the table of each cutoff in turn (the
/// events are ordered once for all of them), so that only one cutoff's rows need be held;
/// without cutoffs, one empty table (its feature names and `observed_until`). The first error
/// of `each` ends it.
#[allow(clippy::too_many_lines)] // known debt: split when next changed
pub fn compute_by_cutoff<E>(
    log: &EventLog,
    customers: Option<&Customers>,
    cutoffs: &[i64],
    cfg: &FeatureConfig,
    mut each: impl FnMut(FeatureTable) -> Result<(), E>,
) -> Result<(), E> {
    let custom: Vec<String> = cfg
        .custom_types
        .clone()
        .unwrap_or_else(|| log.custom_types.clone());
    let custom_map: Vec<Option<usize>> = log
        .custom_types
        .iter()
        .map(|t| custom.iter().position(|c| c == t))
        .collect();
    let names: Vec<String> = crate::catalogue(cfg, &custom)
        .into_iter()
        .map(|d| d.name)
        .collect();
    let observed_until = cfg.observed_until_for(log.time_range());
    let horizon = cfg.horizon_days as i64 * DAY_MS;
    let signups: HashMap<&str, i64, BuildHasherDefault<IdHasher>> = customers
        .map(|c| {
            c.ids
                .iter()
                .zip(&c.signup)
                .filter_map(|(id, s)| s.map(|s| (id.as_str(), s)))
                .collect()
        })
        .unwrap_or_default();

    let t = Instant::now();
    let (order, groups) = order_by_customer_time(log);
    timing("order events by customer and time", t);
    let t = Instant::now();

    // Rows are ordered by cutoff, then customer id: customers in id order (a stable sort, so
    // equal ids would keep the order of their first appearance), computed a chunk at a time
    // and appended to the columns, so no other copy of the table is ever held.
    let customer_of = |&(a, _): &(usize, usize)| log.customer[order[a] as usize];
    let mut by_id = groups;
    let id_of = |g: &(usize, usize)| log.customer_ids[customer_of(g) as usize].as_str();
    // Customers are numbered in order of first appearance: often already in id order.
    if !by_id.is_sorted_by(|x, y| id_of(x) <= id_of(y)) {
        by_id.par_sort_by(|x, y| id_of(x).cmp(id_of(y)));
    }
    let signup: Vec<Option<i64>> = by_id
        .par_iter()
        .map(|g| signups.get(id_of(g)).copied())
        .collect();
    timing("customers in id order", t);

    let n_features = names.len();
    let outcome = |(a, b): (usize, usize), signup: Option<i64>, cutoff: i64| {
        let events = &order[a..b];
        let end = events.partition_point(|&e| log.timestamp[e as usize] < cutoff);
        let prefix = &events[..end];
        if let Err(why) = membership(log, events, cutoff, cfg) {
            return Outcome::LeftOut(why);
        }
        let ctx = Ctx::build(log, prefix, cutoff, cfg, &custom_map, custom.len(), signup);
        let mut values = Values(Vec::with_capacity(n_features));
        emit(&ctx, cfg, &custom, &mut values);
        let (churn, erosion) = if cutoff + horizon <= observed_until {
            let h_end = events.partition_point(|&e| log.timestamp[e as usize] < cutoff + horizon);
            let (c, e) = labels(log, &events[end..h_end], ctx.nps_last, cfg);
            (Some(c), Some(e))
        } else {
            (None, None)
        };
        Outcome::Row {
            values: values.0,
            churn,
            erosion,
        }
    };

    const CHUNK: usize = 1 << 14;
    let new_table = || FeatureTable {
        columns: vec![Vec::new(); names.len()],
        names: names.clone(),
        observed_until,
        ..FeatureTable::default()
    };
    if cutoffs.is_empty() {
        return each(new_table());
    }
    for &cutoff in cutoffs {
        let t = Instant::now();
        let mut table = new_table();
        // At most one row per customer and cutoff: no growth (and no slack) beyond that.
        for col in table.columns.iter_mut() {
            col.reserve_exact(by_id.len());
        }
        table.customer_id.reserve_exact(by_id.len());
        table.cutoff.reserve_exact(by_id.len());
        table.churn.reserve_exact(by_id.len());
        table.erosion.reserve_exact(by_id.len());
        for (groups, signup) in by_id.chunks(CHUNK).zip(signup.chunks(CHUNK)) {
            let outcomes: Vec<Outcome> = groups
                .par_iter()
                .zip(signup.par_iter())
                .map(|(&g, &s)| outcome(g, s, cutoff))
                .collect();
            for (o, g) in outcomes.into_iter().zip(groups) {
                match o {
                    Outcome::Row {
                        values,
                        churn,
                        erosion,
                    } => {
                        let cust = customer_of(g) as usize;
                        table.customer_id.push(log.customer_ids[cust].clone());
                        table.cutoff.push(cutoff);
                        for (col, v) in table.columns.iter_mut().zip(values) {
                            col.push(v);
                        }
                        table.churn.push(churn);
                        table.erosion.push(erosion);
                    }
                    Outcome::LeftOut(reason) => table.left_out.push(LeftOutRow {
                        customer: customer_of(g),
                        cutoff,
                        reason,
                    }),
                }
            }
        }
        for col in table.columns.iter_mut() {
            col.shrink_to_fit();
        }
        table.customer_id.shrink_to_fit();
        table.cutoff.shrink_to_fit();
        table.churn.shrink_to_fit();
        table.erosion.shrink_to_fit();
        timing("assemble the table", t);
        each(table)?;
    }
    Ok(())
}

/// A fast hasher for customer ids (FxHash's mixing, eight bytes at a time, and a finaliser
/// that spreads every byte over the low bits): the signup
/// lookup hashes a million ids, which SipHash makes a noticeable cost. Not meant to resist
/// adversarial keys; the ids come from the user's own files.
#[derive(Default, Clone, Copy)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let w = u64::from_le_bytes(c.try_into().expect("eight bytes"));
            self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(K);
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut b = [0u8; 8];
            b[..rest.len()].copy_from_slice(rest);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(b)).wrapping_mul(K);
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.0 = (self.0.rotate_left(5) ^ i as u64).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn finish(&self) -> u64 {
        // MurmurHash3's finaliser: the table indexes by the low bits, which the multiplications
        // above leave depending on the first bytes only (often a common prefix such as "C000").
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

/// Event indices ordered by (customer, timestamp, position in the log), the order of
/// [`EventLog::order_by_customer_time`], and the `(start, end)` range of each customer's events
/// in it (customers without events have none).
///
/// Customers are dense interned ids, so this is a counting sort: per-chunk histograms, then a
/// parallel scatter in which every chunk writes its own slots (each customer's indices come out
/// ascending), then a stable sort by time of the customers whose events are not already in time
/// order (most logs are written in time order, so that is usually a check).
pub(crate) fn order_by_customer_time(log: &EventLog) -> (Vec<u32>, Vec<(usize, usize)>) {
    let n = log.len();
    let n_customers = log
        .customer
        .iter()
        .copied()
        .max()
        .map_or(0, |m| m as usize + 1)
        .max(log.customer_ids.len());
    let chunks = rayon::current_num_threads().clamp(1, 8).min(n.max(1));
    let chunk_len = n.div_ceil(chunks).max(1);
    // Per chunk: events per customer, turned into each chunk's first slot per customer.
    let mut slots: Vec<Vec<u32>> = log
        .customer
        .par_chunks(chunk_len)
        .map(|part| {
            let mut h = vec![0u32; n_customers];
            for &c in part {
                h[c as usize] += 1;
            }
            h
        })
        .collect();
    let mut groups = Vec::new();
    let mut next = 0usize;
    for c in 0..n_customers {
        let start = next;
        for h in slots.iter_mut() {
            let k = h[c] as usize;
            h[c] = next as u32;
            next += k;
        }
        if next > start {
            groups.push((start, next));
        }
    }
    debug_assert_eq!(next, n);
    let mut order = vec![0u32; n];
    {
        let out = SharedSlots(order.as_mut_ptr());
        log.customer
            .par_chunks(chunk_len)
            .zip(slots.par_iter_mut())
            .enumerate()
            .for_each(|(k, (part, slot))| {
                let base = k * chunk_len;
                for (j, &c) in part.iter().enumerate() {
                    let at = &mut slot[c as usize];
                    // SAFETY: the slots of a chunk and customer are a range of their own
                    // (prefix sums over customers, then chunks), each written once, all < n.
                    unsafe { out.write(*at as usize, (base + j) as u32) };
                    *at += 1;
                }
            });
    }
    drop(slots);
    // Within a customer the indices ascend; put them in time order (stable: ties keep it).
    let ts = &log.timestamp;
    // Blocks of whole customers: (their slots of the order, their groups).
    type Block<'a> = (&'a mut [u32], &'a [(usize, usize)]);
    let mut blocks: Vec<Block> = Vec::new();
    let target = (n / (rayon::current_num_threads() * 16).max(1)).max(4096);
    let (mut rest, mut g0, mut offset) = (order.as_mut_slice(), 0usize, 0usize);
    while g0 < groups.len() {
        let mut g1 = g0;
        while g1 < groups.len() && groups[g1].1 - groups[g0].0 < target {
            g1 += 1;
        }
        let g1 = g1.max(g0 + 1);
        let end = groups[g1 - 1].1;
        let (block, tail) = rest.split_at_mut(end - offset);
        blocks.push((block, &groups[g0..g1]));
        rest = tail;
        offset = end;
        g0 = g1;
    }
    blocks.into_par_iter().for_each(|(block, gs)| {
        let base = gs[0].0;
        for &(a, b) in gs {
            let events = &mut block[a - base..b - base];
            if !events
                .windows(2)
                .all(|w| ts[w[0] as usize] <= ts[w[1] as usize])
            {
                events.sort_by_key(|&i| ts[i as usize]);
            }
        }
    });
    (order, groups)
}

/// A pointer to the order being scattered, shared by the chunks that fill disjoint slots.
#[derive(Clone, Copy)]
struct SharedSlots(*mut u32);

// SAFETY: every slot is written by exactly one chunk (see `order_by_customer_time`).
unsafe impl Send for SharedSlots {}
unsafe impl Sync for SharedSlots {}

impl SharedSlots {
    /// # Safety
    /// `at` is in bounds and no other thread reads or writes it meanwhile.
    unsafe fn write(self, at: usize, value: u32) {
        unsafe { *self.0.add(at) = value };
    }
}

/// The labels from the events in the horizon: (churn, erosion).
fn labels(log: &EventLog, horizon: &[u32], nps_before: f64, cfg: &FeatureConfig) -> (bool, bool) {
    let mut active = false;
    let mut cancelled = false;
    let mut eroded = false;
    let mut prev_nps = nps_before;
    for &e in horizon {
        let EventKind::Known(t) = log.kind[e as usize] else {
            continue;
        };
        if cfg.activity.contains(&t) {
            active = true;
        }
        if t == EventType::Cancel {
            cancelled = true;
        }
        if EROSION_EVENTS.contains(&t) {
            eroded = true;
        }
        if t == EventType::Nps {
            let v = log.value[e as usize];
            if !v.is_nan() {
                if prev_nps - v >= 3.0 {
                    eroded = true;
                }
                prev_nps = v;
            }
        }
    }
    let churn = !active || cancelled;
    (churn, eroded || churn)
}
