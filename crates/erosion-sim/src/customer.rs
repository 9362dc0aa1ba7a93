//! One customer's life: attributes, hidden traits, weekly trust dynamics and the events that
//! follow from them.

use crate::params::SimConfig;
use crate::{Chunk, Truth};
use chrono::{Datelike, NaiveDate};
use erosion_core::model::EventLogBuilder;
use erosion_core::time::DAY_MS;
use erosion_core::{Customers, EventKind, EventType};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Beta, Distribution, Gamma, LogNormal, Poisson, StandardNormal};

const REGIONS: [(&str, f64, f64); 4] = [
    // name, share, privacy-sensitivity shift (the north is the strict-privacy market)
    ("north", 0.30, 0.15),
    ("south", 0.25, -0.05),
    ("east", 0.25, 0.0),
    ("west", 0.20, 0.0),
];
const AGE_BANDS: [(&str, f64, f64); 6] = [
    ("18-24", 0.12, -0.10),
    ("25-34", 0.22, -0.05),
    ("35-44", 0.22, 0.0),
    ("45-54", 0.18, 0.05),
    ("55-64", 0.14, 0.10),
    ("65+", 0.12, 0.15),
];
const GENDERS: [(&str, f64, f64); 3] = [
    ("female", 0.49, 0.05),
    ("male", 0.49, 0.0),
    ("nonbinary", 0.02, 0.08),
];
// name, share, personalised share of emails (the company's policy), mean order value
const TIERS: [(&str, f64, f64, f64); 3] = [
    ("free", 0.50, 0.80, 35.0),
    ("standard", 0.35, 0.60, 55.0),
    ("premium", 0.15, 0.50, 90.0),
];
// name, share, emails per week (the company's policy per acquisition segment)
const CHANNELS: [(&str, f64, f64); 5] = [
    ("organic", 0.30, 0.45),
    ("paid_search", 0.25, 0.60),
    ("social", 0.20, 0.75),
    ("referral", 0.15, 0.40),
    ("email", 0.10, 0.90),
];

// Channel indices, interned in this order by ChunkBuilder::new.
const CH_EMAIL: u16 = 0;
const CH_WEB: u16 = 1;
const CH_APP: u16 = 2;
const CH_STORE: u16 = 3;
const CH_SUPPORT: u16 = 4;

fn pick<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T], share: impl Fn(&T) -> f64) -> &'a T {
    let u: f64 = rng.random();
    let mut acc = 0.0;
    for it in items {
        acc += share(it);
        if u < acc {
            return it;
        }
    }
    items.last().expect("non-empty")
}

fn poisson(rng: &mut ChaCha8Rng, lambda: f64) -> u32 {
    if lambda <= 0.0 {
        return 0;
    }
    Poisson::new(lambda).expect("positive rate").sample(rng) as u32
}

fn chance(rng: &mut ChaCha8Rng, p: f64) -> bool {
    rng.random::<f64>() < p
}

fn normal(rng: &mut ChaCha8Rng) -> f64 {
    StandardNormal.sample(rng)
}

/// One pending event of the customer being simulated.
struct Ev {
    ts: i64,
    kind: EventType,
    value: f64,
    channel: u16,
    personalized: Option<bool>,
}

pub(crate) struct ChunkBuilder<'a> {
    cfg: &'a SimConfig,
    start_ms: i64,
    end_ms: i64,
    /// Month ends as day offsets from the start, within the period.
    month_ends: Vec<i64>,
    events: EventLogBuilder,
    customers: Customers,
    truth: Truth,
    pending: Vec<Ev>,
}

impl<'a> ChunkBuilder<'a> {
    pub(crate) fn new(cfg: &'a SimConfig, n: usize) -> Self {
        let start_ms = cfg
            .start
            .and_hms_opt(0, 0, 0)
            .expect("midnight")
            .and_utc()
            .timestamp_millis();
        let mut month_ends = Vec::new();
        let mut d = cfg.start;
        let last = cfg.start + chrono::Days::new(cfg.days.saturating_sub(1) as u64);
        while d <= last {
            let next_month = if d.month() == 12 {
                NaiveDate::from_ymd_opt(d.year() + 1, 1, 1)
            } else {
                NaiveDate::from_ymd_opt(d.year(), d.month() + 1, 1)
            }
            .expect("valid date");
            let end = next_month.pred_opt().expect("valid date");
            if end <= last {
                month_ends.push((end - cfg.start).num_days());
            }
            d = next_month;
        }
        let mut events = EventLogBuilder::with_capacity(n * 80);
        for ch in ["email", "web", "app", "store", "support"] {
            events.channel(Some(ch));
        }
        let attributes = [
            "region",
            "age_band",
            "gender",
            "tier",
            "acquisition_channel",
        ]
        .iter()
        .map(|a| (a.to_string(), Vec::with_capacity(n)))
        .collect();
        ChunkBuilder {
            cfg,
            start_ms,
            end_ms: start_ms + cfg.days as i64 * DAY_MS,
            month_ends,
            events,
            customers: Customers {
                ids: Vec::with_capacity(n),
                signup: Vec::with_capacity(n),
                attributes,
            },
            truth: Truth::default(),
            pending: Vec::with_capacity(256),
        }
    }

    pub(crate) fn finish(self) -> Chunk {
        Chunk {
            customers: self.customers,
            events: self.events.finish(),
            truth: self.truth,
        }
    }

    /// A time within day `day` (offset from the start), between 06:00 and 23:00.
    fn time_in_day(&self, rng: &mut ChaCha8Rng, day: i64) -> i64 {
        self.start_ms + day * DAY_MS + rng.random_range(21_600_000..82_800_000)
    }

    pub(crate) fn add_customer(&mut self, index: usize) {
        let cfg = self.cfg;
        let p = &cfg.params;
        let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
        rng.set_stream(index as u64);
        let id = format!("C{:07}", index + 1);

        // Attributes and hidden traits.
        let region = pick(&mut rng, &REGIONS, |r| r.1);
        let age = pick(&mut rng, &AGE_BANDS, |a| a.1);
        let gender = pick(&mut rng, &GENDERS, |g| g.1);
        let tier = pick(&mut rng, &TIERS, |t| t.1);
        let acq = pick(&mut rng, &CHANNELS, |c| c.1);
        let base_s: f64 = Beta::new(2.0, 3.0).expect("valid").sample(&mut rng);
        let s = (base_s + region.2 + age.2 + gender.2).clamp(0.0, 1.0);
        let tolerance = Gamma::new(3.0, 0.3).expect("valid").sample(&mut rng) * (1.4 - s);
        let mut baseline: f64 = Beta::new(7.0, 3.0).expect("valid").sample(&mut rng);
        let mut trust = baseline;
        let is_new = chance(&mut rng, p.new_customer_share);
        let signup_day: i64 = if is_new {
            rng.random_range(0..((cfg.days as f64 * 0.75) as i64).max(1))
        } else {
            -rng.random_range(1..730)
        };
        let signup_ms = self.time_in_day(&mut rng, signup_day);
        let mut profiling = chance(&mut rng, 0.9);
        let mut subscribed = chance(&mut rng, 0.9);
        let mut personalized_share = tier.2;
        let email_rate = acq.2;
        let order_mu = tier.3.ln() - 0.18;
        let nps_phase = rng.random_range(0..13u32);
        let subscription = tier.0 != "free";

        self.customers.ids.push(id.clone());
        self.customers.signup.push(Some(signup_ms));
        for (slot, v) in [region.0, age.0, gender.0, tier.0, acq.0]
            .iter()
            .enumerate()
        {
            self.customers.attributes[slot].1.push(Some(v.to_string()));
        }

        self.pending.clear();
        if is_new && profiling {
            self.pending.push(Ev {
                ts: signup_ms,
                kind: EventType::OptIn,
                value: f64::NAN,
                channel: CH_WEB,
                personalized: None,
            });
        }

        let weeks = (cfg.days as i64 + 6) / 7;
        let incident_week = cfg.incident_day.map(|d| d as i64 / 7);
        let first_week = signup_day.max(0) / 7;
        let mut end_ms = self.end_ms; // moves to the churn time
        let mut churn_ms: Option<i64> = None;
        let mut erosion_ms: Option<i64> = None;
        let mut last_nps: Option<f64> = None;
        let mut month_trust: Vec<Option<f64>> = vec![None; self.month_ends.len()];
        let mut next_month = self.month_ends.partition_point(|&d| d < signup_day.max(0));

        for w in first_week..weeks {
            let week_start = w * 7;
            let week_len = (cfg.days as i64 - week_start).min(7);
            let day_in_week = |rng: &mut ChaCha8Rng| week_start + rng.random_range(0..week_len);
            let incident_bump = match incident_week {
                Some(iw) if w >= iw && w < iw + 4 => 1.0,
                _ => 0.0,
            };
            if incident_week == Some(w) {
                trust -= p.incident_severity * (0.4 + s);
                baseline -= 0.5 * p.incident_severity * s;
            }

            // Churn and deletion end the customer's life this week.
            let hazard = p.churn_base * (p.churn_slope * (0.6 - trust)).exp();
            if chance(&mut rng, hazard) {
                let d = day_in_week(&mut rng);
                let t = self.time_in_day(&mut rng, d).max(signup_ms);
                churn_ms = Some(t);
                end_ms = t;
                if subscription {
                    self.pending.push(Ev {
                        ts: t,
                        kind: EventType::Cancel,
                        value: f64::NAN,
                        channel: CH_WEB,
                        personalized: None,
                    });
                }
            }
            let deletion = 0.00005 + 0.002 * s * (1.0 - trust).powi(3) + 0.002 * s * incident_bump;
            if churn_ms.is_none() && chance(&mut rng, deletion) {
                let d = day_in_week(&mut rng);
                let t = self.time_in_day(&mut rng, d).max(signup_ms);
                self.pending.push(Ev {
                    ts: t,
                    kind: EventType::DataDeletionRequest,
                    value: f64::NAN,
                    channel: CH_WEB,
                    personalized: None,
                });
                churn_ms = Some(t);
                end_ms = t;
            }

            // Messages.
            let mut touches = 0.0;
            let mut sent = Vec::new();
            if subscribed {
                for _ in 0..poisson(&mut rng, email_rate) {
                    let d = day_in_week(&mut rng);
                    let t = self.time_in_day(&mut rng, d);
                    let pers = profiling && chance(&mut rng, personalized_share);
                    if pers {
                        touches += 1.0;
                    }
                    sent.push((t, pers));
                }
            }
            // Site visits (engagement falls with trust).
            let n_visits = poisson(&mut rng, p.visit_rate * (0.4 + 1.2 * trust));
            let mut visits = Vec::with_capacity(n_visits as usize);
            for _ in 0..n_visits {
                let d = day_in_week(&mut rng);
                let t = self.time_in_day(&mut rng, d);
                let pers = profiling && chance(&mut rng, 0.6);
                if pers {
                    touches += 1.0;
                }
                visits.push((t, pers));
            }
            let fatigue = ((touches - tolerance).max(0.0)) / (tolerance + 0.5);

            let mut d_trust = 0.0;
            for &(t, pers) in &sent {
                self.pending.push(Ev {
                    ts: t,
                    kind: EventType::EmailSent,
                    value: f64::NAN,
                    channel: CH_EMAIL,
                    personalized: Some(pers),
                });
                let open_p =
                    (0.08 + 0.4 * trust - if pers { 0.1 * fatigue } else { 0.0 }).clamp(0.01, 0.9);
                if chance(&mut rng, open_p) {
                    let to = t + rng.random_range(360_000..108_000_000);
                    self.pending.push(Ev {
                        ts: to,
                        kind: EventType::EmailOpen,
                        value: f64::NAN,
                        channel: CH_EMAIL,
                        personalized: Some(pers),
                    });
                    if chance(&mut rng, 0.08 + 0.25 * trust) {
                        self.pending.push(Ev {
                            ts: to + rng.random_range(10_000..600_000),
                            kind: EventType::EmailClick,
                            value: f64::NAN,
                            channel: CH_EMAIL,
                            personalized: Some(pers),
                        });
                    }
                }
                let unsub_p = 0.0008
                    + 0.012 * (1.0 - trust).powi(2) * (1.0 + fatigue)
                    + 0.01 * incident_bump * s;
                if subscribed && chance(&mut rng, unsub_p) {
                    subscribed = false;
                    self.pending.push(Ev {
                        ts: t + rng.random_range(3_600_000..86_400_000),
                        kind: EventType::Unsubscribe,
                        value: f64::NAN,
                        channel: CH_EMAIL,
                        personalized: None,
                    });
                }
                if chance(&mut rng, 0.0002 + 0.004 * (1.0 - trust).powi(2) * s) {
                    self.pending.push(Ev {
                        ts: t + rng.random_range(3_600_000..86_400_000),
                        kind: EventType::SpamReport,
                        value: f64::NAN,
                        channel: CH_EMAIL,
                        personalized: Some(pers),
                    });
                }
            }
            for &(t, pers) in &visits {
                let ch = if chance(&mut rng, 0.6) {
                    CH_WEB
                } else {
                    CH_APP
                };
                self.pending.push(Ev {
                    ts: t,
                    kind: EventType::Visit,
                    value: f64::NAN,
                    channel: ch,
                    personalized: Some(pers),
                });
                if pers {
                    self.pending.push(Ev {
                        ts: t + 5_000,
                        kind: EventType::PersonalizedView,
                        value: f64::NAN,
                        channel: ch,
                        personalized: Some(true),
                    });
                    let bounce_p =
                        (0.1 + 0.25 * fatigue * (0.5 + s) + 0.2 * (1.0 - trust)).min(0.9);
                    if chance(&mut rng, bounce_p) {
                        self.pending.push(Ev {
                            ts: t + 20_000,
                            kind: EventType::Bounce,
                            value: f64::NAN,
                            channel: ch,
                            personalized: Some(true),
                        });
                        continue;
                    }
                    if chance(&mut rng, 0.04 + 0.16 * trust) {
                        d_trust += p.recommendation_gain;
                        self.pending.push(Ev {
                            ts: t + 60_000,
                            kind: EventType::RecommendationClick,
                            value: f64::NAN,
                            channel: ch,
                            personalized: Some(true),
                        });
                    }
                    if chance(&mut rng, 0.01 + 0.05 * s) {
                        d_trust += p.transparency_gain * s;
                        self.pending.push(Ev {
                            ts: t + 90_000,
                            kind: EventType::WhyThisClick,
                            value: f64::NAN,
                            channel: ch,
                            personalized: Some(true),
                        });
                        if chance(&mut rng, 0.4) {
                            // Honoured at once: fewer personalised emails from now on.
                            personalized_share *= 0.5;
                            d_trust += p.preference_gain;
                            self.pending.push(Ev {
                                ts: t + 150_000,
                                kind: EventType::PreferenceChange,
                                value: f64::NAN,
                                channel: ch,
                                personalized: None,
                            });
                        }
                    }
                }
                if chance(&mut rng, 0.06 + 0.2 * trust) {
                    let amount: f64 = LogNormal::new(order_mu, 0.6)
                        .expect("valid")
                        .sample(&mut rng);
                    let tp = t + rng.random_range(60_000..1_800_000);
                    let pch = if chance(&mut rng, 0.1) { CH_STORE } else { ch };
                    self.pending.push(Ev {
                        ts: tp,
                        kind: EventType::Purchase,
                        value: (amount * 100.0).round() / 100.0,
                        channel: pch,
                        personalized: None,
                    });
                    if chance(&mut rng, 0.04 + 0.08 * (1.0 - trust)) {
                        self.pending.push(Ev {
                            ts: tp + rng.random_range(3..21) * DAY_MS,
                            kind: EventType::Return,
                            value: (amount * 100.0).round() / 100.0,
                            channel: pch,
                            personalized: None,
                        });
                    }
                    if chance(&mut rng, 0.08) {
                        let r = (1.0 + 4.0 * trust + 0.8 * normal(&mut rng))
                            .round()
                            .clamp(1.0, 5.0);
                        self.pending.push(Ev {
                            ts: tp + rng.random_range(2..10) * DAY_MS,
                            kind: EventType::Review,
                            value: r,
                            channel: CH_WEB,
                            personalized: None,
                        });
                    }
                }
            }

            // Service.
            for _ in 0..poisson(&mut rng, 0.03) {
                let d = day_in_week(&mut rng);
                let t = self.time_in_day(&mut rng, d);
                self.pending.push(Ev {
                    ts: t,
                    kind: EventType::SupportTicket,
                    value: f64::NAN,
                    channel: CH_SUPPORT,
                    personalized: None,
                });
                let failure = chance(&mut rng, 0.25);
                if failure {
                    d_trust -= p.service_failure_loss;
                    if chance(&mut rng, 0.4) {
                        self.pending.push(Ev {
                            ts: t + rng.random_range(1..72) * 3_600_000,
                            kind: EventType::Complaint,
                            value: f64::NAN,
                            channel: CH_SUPPORT,
                            personalized: None,
                        });
                    }
                } else {
                    d_trust += p.good_service_gain;
                }
                if chance(&mut rng, 0.5) {
                    let f = if failure { 0.35 } else { 0.0 };
                    let c = (1.0 + 4.0 * (trust - f) + 0.7 * normal(&mut rng))
                        .round()
                        .clamp(1.0, 5.0);
                    self.pending.push(Ev {
                        ts: t + rng.random_range(1..48) * 3_600_000,
                        kind: EventType::Csat,
                        value: c,
                        channel: CH_SUPPORT,
                        personalized: None,
                    });
                }
            }

            // Survey every 13 weeks.
            if (w as u32) % 13 == nps_phase && chance(&mut rng, 0.25 + 0.15 * trust) {
                let d = day_in_week(&mut rng);
                let t = self.time_in_day(&mut rng, d);
                let score = (10.0 * trust + 1.0 + 1.3 * normal(&mut rng))
                    .round()
                    .clamp(0.0, 10.0);
                if let Some(prev) = last_nps {
                    if prev - score >= 3.0 && t < end_ms && t >= signup_ms {
                        erosion_ms = Some(erosion_ms.map_or(t, |e: i64| e.min(t)));
                    }
                }
                if t < end_ms && t >= signup_ms {
                    last_nps = Some(score);
                }
                self.pending.push(Ev {
                    ts: t,
                    kind: EventType::Nps,
                    value: score,
                    channel: CH_EMAIL,
                    personalized: None,
                });
            }

            // Consent and privacy.
            if profiling
                && chance(
                    &mut rng,
                    0.0002
                        + 0.03 * s * (1.0 - trust).powi(3) * (1.0 + fatigue)
                        + 0.01 * s * incident_bump,
                )
            {
                profiling = false;
                let d = day_in_week(&mut rng);
                self.pending.push(Ev {
                    ts: self.time_in_day(&mut rng, d),
                    kind: EventType::OptOut,
                    value: f64::NAN,
                    channel: CH_WEB,
                    personalized: None,
                });
            } else if !profiling && chance(&mut rng, 0.005 * trust) {
                profiling = true;
                let d = day_in_week(&mut rng);
                self.pending.push(Ev {
                    ts: self.time_in_day(&mut rng, d),
                    kind: EventType::OptIn,
                    value: f64::NAN,
                    channel: CH_WEB,
                    personalized: None,
                });
            }
            if (profiling || subscribed)
                && chance(
                    &mut rng,
                    0.0001 + 0.004 * s * (1.0 - trust).powi(3) + 0.004 * s * incident_bump,
                )
            {
                profiling = false;
                subscribed = false;
                let d = day_in_week(&mut rng);
                self.pending.push(Ev {
                    ts: self.time_in_day(&mut rng, d),
                    kind: EventType::ConsentWithdrawn,
                    value: f64::NAN,
                    channel: CH_WEB,
                    personalized: None,
                });
            }
            if chance(
                &mut rng,
                0.0002 + 0.006 * s * (1.0 - trust).powi(2) + 0.02 * s * incident_bump,
            ) {
                d_trust -= 0.02;
                let d = day_in_week(&mut rng);
                self.pending.push(Ev {
                    ts: self.time_in_day(&mut rng, d),
                    kind: EventType::PrivacyComplaint,
                    value: f64::NAN,
                    channel: CH_SUPPORT,
                    personalized: None,
                });
            }
            if chance(
                &mut rng,
                0.0003 + 0.003 * s * (1.0 - trust) + 0.01 * s * incident_bump,
            ) {
                let d = day_in_week(&mut rng);
                self.pending.push(Ev {
                    ts: self.time_in_day(&mut rng, d),
                    kind: EventType::DataAccessRequest,
                    value: f64::NAN,
                    channel: CH_WEB,
                    personalized: None,
                });
            }

            // Trust moves: reversion, fatigue, service and transparency, noise.
            if churn_ms.is_none() {
                trust += p.trust_reversion * (baseline - trust)
                    - p.fatigue_erosion * fatigue * (0.5 + s)
                    + d_trust
                    + p.trust_noise * normal(&mut rng);
                trust = trust.clamp(0.01, 0.99);
            }
            // Month ends that fall in this week see the trust at the week's end.
            while next_month < self.month_ends.len() && self.month_ends[next_month] < week_start + 7
            {
                month_trust[next_month] = Some(trust);
                next_month += 1;
            }
            if churn_ms.is_some() {
                break;
            }
        }
        // After churn, trust is frozen at its last value.
        let last_trust = trust;
        for m in month_trust.iter_mut().skip(next_month) {
            *m = Some(last_trust);
        }
        let lo = self.month_ends.partition_point(|&d| d < signup_day.max(0));
        // Months before signup have no trust.
        for m in month_trust.iter_mut().take(lo) {
            *m = None;
        }

        // Keep what happened within the customer's life and the period, in time order.
        let end = end_ms;
        let period_end = self.end_ms;
        self.pending.retain(|e| {
            e.ts >= signup_ms
                && e.ts < period_end
                && (e.ts < end
                    || (e.ts == end
                        && matches!(e.kind, EventType::Cancel | EventType::DataDeletionRequest)))
        });
        self.pending.sort_by_key(|e| e.ts);
        for e in &self.pending {
            if matches!(
                e.kind,
                EventType::Unsubscribe
                    | EventType::SpamReport
                    | EventType::OptOut
                    | EventType::ConsentWithdrawn
                    | EventType::PrivacyComplaint
                    | EventType::DataDeletionRequest
            ) {
                erosion_ms = Some(erosion_ms.map_or(e.ts, |x| x.min(e.ts)));
                break;
            }
        }
        if let Some(c) = churn_ms {
            erosion_ms = Some(erosion_ms.map_or(c, |x| x.min(c)));
        }
        let cust = self.events.customer(&id);
        for e in &self.pending {
            self.events.push(
                cust,
                e.ts,
                EventKind::Known(e.kind),
                e.value,
                e.channel,
                e.personalized,
            );
        }
        let day_ms = |d: i64| self.start_ms + d * DAY_MS;
        for (m, &d) in self.month_ends.iter().enumerate() {
            self.truth.customer_id.push(id.clone());
            self.truth.month_end.push(day_ms(d));
            self.truth.trust.push(month_trust[m]);
            self.truth
                .churn_date
                .push(churn_ms.map(|t| t - t.rem_euclid(DAY_MS)));
            self.truth
                .first_erosion_date
                .push(erosion_ms.map(|t| t - t.rem_euclid(DAY_MS)));
            self.truth.privacy_sensitivity.push(s);
            self.truth.personalization_tolerance.push(tolerance);
        }
    }
}
