//! One customer's life: attributes, hidden traits, weekly trust dynamics and the events that
//! follow from them.

use crate::params::{Params, SimConfig};
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

    /// Simulates customer `index` from their own random stream (seed, index) and appends their
    /// attributes, events and ground truth to the chunk.
    pub(crate) fn add_customer(&mut self, index: usize) {
        let cfg = self.cfg;
        let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
        rng.set_stream(index as u64);
        let id = format!("C{:07}", index + 1);
        let (mut life, attributes) = Life::begin(
            rng,
            cfg,
            self.start_ms,
            self.end_ms,
            std::mem::take(&mut self.pending),
        );
        self.customers.ids.push(id.clone());
        self.customers.signup.push(Some(life.signup_ms));
        for (slot, v) in attributes.iter().enumerate() {
            self.customers.attributes[slot].1.push(Some(v.to_string()));
        }

        let signup_day = life.signup_day;
        let weeks = (cfg.days as i64 + 6) / 7;
        let incident_week = cfg.incident_day.map(|d| d as i64 / 7);
        let mut month_trust: Vec<Option<f64>> = vec![None; self.month_ends.len()];
        let mut next_month = self.month_ends.partition_point(|&d| d < signup_day.max(0));
        for w in signup_day.max(0) / 7..weeks {
            let week = Week {
                index: w,
                start: w * 7,
                len: (cfg.days as i64 - w * 7).min(7),
                incident: match incident_week {
                    Some(iw) if w >= iw && w < iw + 4 => 1.0,
                    _ => 0.0,
                },
                incident_starts: incident_week == Some(w),
            };
            life.live(&week);
            // Month ends that fall in this week see the trust at the week's end.
            while next_month < self.month_ends.len() && self.month_ends[next_month] < week.start + 7
            {
                month_trust[next_month] = Some(life.trust);
                next_month += 1;
            }
            if life.churn_ms.is_some() {
                break;
            }
        }
        // After churn, trust is frozen at its last value; months before signup have none.
        for m in month_trust.iter_mut().skip(next_month) {
            *m = Some(life.trust);
        }
        let lo = self.month_ends.partition_point(|&d| d < signup_day.max(0));
        for m in month_trust.iter_mut().take(lo) {
            *m = None;
        }
        let (s, tolerance) = (life.s, life.tolerance);
        let (pending, churn_ms, erosion_ms) = life.end(self.end_ms);
        let cust = self.events.customer(&id);
        for e in &pending {
            self.events.push(
                cust,
                e.ts,
                EventKind::Known(e.kind),
                e.value,
                e.channel,
                e.personalized,
            );
        }
        self.pending = pending;
        let day_ms = |d: i64| self.start_ms + d * DAY_MS;
        let midnight = |t: i64| t - t.rem_euclid(DAY_MS);
        for (m, &d) in self.month_ends.iter().enumerate() {
            self.truth.customer_id.push(id.clone());
            self.truth.month_end.push(day_ms(d));
            self.truth.trust.push(month_trust[m]);
            self.truth.churn_date.push(churn_ms.map(midnight));
            self.truth.first_erosion_date.push(erosion_ms.map(midnight));
            self.truth.privacy_sensitivity.push(s);
            self.truth.personalization_tolerance.push(tolerance);
        }
    }
}

/// How a customer answers a personalised view.
#[derive(PartialEq)]
enum Answer {
    /// Left at once.
    Bounced,
    /// Stayed on.
    Stayed,
}

/// One week of the period, as a customer lives it.
struct Week {
    /// Week number from the start of the period.
    index: i64,
    /// First day (offset from the start of the period).
    start: i64,
    /// Days of the week inside the period (the last week may be short).
    len: i64,
    /// 1 in the four weeks from the incident, else 0.
    incident: f64,
    /// Whether the incident happens this week.
    incident_starts: bool,
}

/// One customer being simulated: their random stream, hidden traits, the company's policy
/// towards them, what changes week by week, and the events they have made so far. Every draw
/// comes from `rng`, in a fixed order, so a customer's life depends on (seed, index) alone.
struct Life<'a> {
    rng: ChaCha8Rng,
    p: &'a Params,
    /// Start of the period, epoch ms.
    start_ms: i64,
    signup_day: i64,
    signup_ms: i64,
    /// Hidden privacy sensitivity, 0..1.
    s: f64,
    /// Hidden personalisation tolerance (personalised touches a week before fatigue).
    tolerance: f64,
    /// Whether the tier is paid (a churn then writes a cancel event).
    subscription: bool,
    /// Emails a week (the company's policy for the acquisition channel).
    email_rate: f64,
    /// Log-mean of the order value.
    order_mu: f64,
    /// Week (mod 13) of the customer's NPS survey.
    nps_phase: u32,
    trust: f64,
    baseline: f64,
    profiling: bool,
    subscribed: bool,
    personalized_share: f64,
    /// End of the customer's life: the churn time, else the end of the period.
    end_ms: i64,
    churn_ms: Option<i64>,
    erosion_ms: Option<i64>,
    last_nps: Option<f64>,
    pending: Vec<Ev>,
}

impl<'a> Life<'a> {
    /// Draws attributes (region, age band, gender, tier, acquisition channel), hidden traits and
    /// the signup; returns the life and the attribute values in the customers table's order.
    fn begin(
        mut rng: ChaCha8Rng,
        cfg: &'a SimConfig,
        start_ms: i64,
        end_ms: i64,
        mut pending: Vec<Ev>,
    ) -> (Life<'a>, [&'static str; 5]) {
        let p = &cfg.params;
        let region = pick(&mut rng, &REGIONS, |r| r.1);
        let age = pick(&mut rng, &AGE_BANDS, |a| a.1);
        let gender = pick(&mut rng, &GENDERS, |g| g.1);
        let tier = pick(&mut rng, &TIERS, |t| t.1);
        let acq = pick(&mut rng, &CHANNELS, |c| c.1);
        let base_s: f64 = Beta::new(2.0, 3.0).expect("valid").sample(&mut rng);
        let s = (base_s + region.2 + age.2 + gender.2).clamp(0.0, 1.0);
        let tolerance = Gamma::new(3.0, 0.3).expect("valid").sample(&mut rng) * (1.4 - s);
        let baseline: f64 = Beta::new(7.0, 3.0).expect("valid").sample(&mut rng);
        let is_new = chance(&mut rng, p.new_customer_share);
        let signup_day: i64 = if is_new {
            rng.random_range(0..((cfg.days as f64 * 0.75) as i64).max(1))
        } else {
            -rng.random_range(1..730)
        };
        let signup_ms = start_ms + signup_day * DAY_MS + rng.random_range(21_600_000..82_800_000);
        let profiling = chance(&mut rng, 0.9);
        let subscribed = chance(&mut rng, 0.9);
        let nps_phase = rng.random_range(0..13u32);
        pending.clear();
        let mut life = Life {
            rng,
            p,
            start_ms,
            signup_day,
            signup_ms,
            s,
            tolerance,
            subscription: tier.0 != "free",
            email_rate: acq.2,
            order_mu: tier.3.ln() - 0.18,
            nps_phase,
            trust: baseline,
            baseline,
            profiling,
            subscribed,
            personalized_share: tier.2,
            end_ms,
            churn_ms: None,
            erosion_ms: None,
            last_nps: None,
            pending,
        };
        if is_new && profiling {
            life.push(signup_ms, EventType::OptIn, CH_WEB, None);
        }
        (life, [region.0, age.0, gender.0, tier.0, acq.0])
    }

    fn chance(&mut self, p: f64) -> bool {
        chance(&mut self.rng, p)
    }

    /// An event without a value.
    fn push(&mut self, ts: i64, kind: EventType, channel: u16, personalized: Option<bool>) {
        self.push_value(ts, kind, f64::NAN, channel, personalized);
    }

    fn push_value(
        &mut self,
        ts: i64,
        kind: EventType,
        value: f64,
        channel: u16,
        personalized: Option<bool>,
    ) {
        self.pending.push(Ev {
            ts,
            kind,
            value,
            channel,
            personalized,
        });
    }

    /// A random time in a random day of `week`, between 06:00 and 23:00.
    fn time_in(&mut self, week: &Week) -> i64 {
        let day = week.start + self.rng.random_range(0..week.len);
        self.start_ms + day * DAY_MS + self.rng.random_range(21_600_000..82_800_000)
    }

    /// One week: the incident, churn or deletion, messages and visits and what they cause,
    /// service, the survey, consent and privacy, then trust moves.
    fn live(&mut self, week: &Week) {
        if week.incident_starts {
            self.trust -= self.p.incident_severity * (0.4 + self.s);
            self.baseline -= 0.5 * self.p.incident_severity * self.s;
        }
        self.churn_or_deletion(week);
        let (sent, visits, touches) = self.touches(week);
        let fatigue = ((touches - self.tolerance).max(0.0)) / (self.tolerance + 0.5);
        let mut d_trust = 0.0;
        for &(t, pers) in &sent {
            self.email(t, pers, fatigue, week.incident);
        }
        for &(t, pers) in &visits {
            self.visit(t, pers, fatigue, &mut d_trust);
        }
        self.service(week, &mut d_trust);
        self.survey(week);
        self.consent_and_privacy(week, fatigue, &mut d_trust);
        // Trust moves: reversion, fatigue, service and transparency, noise.
        if self.churn_ms.is_none() {
            let p = self.p;
            self.trust += p.trust_reversion * (self.baseline - self.trust)
                - p.fatigue_erosion * fatigue * (0.5 + self.s)
                + d_trust
                + p.trust_noise * normal(&mut self.rng);
            self.trust = self.trust.clamp(0.01, 0.99);
        }
    }

    /// Churn and deletion end the customer's life this week.
    fn churn_or_deletion(&mut self, week: &Week) {
        let (s, trust) = (self.s, self.trust);
        let hazard = self.p.churn_base * (self.p.churn_slope * (0.6 - trust)).exp();
        if self.chance(hazard) {
            let t = self.time_in(week).max(self.signup_ms);
            self.churn_ms = Some(t);
            self.end_ms = t;
            if self.subscription {
                self.push(t, EventType::Cancel, CH_WEB, None);
            }
        }
        let deletion = 0.00005 + 0.002 * s * (1.0 - trust).powi(3) + 0.002 * s * week.incident;
        if self.churn_ms.is_none() && self.chance(deletion) {
            let t = self.time_in(week).max(self.signup_ms);
            self.push(t, EventType::DataDeletionRequest, CH_WEB, None);
            self.churn_ms = Some(t);
            self.end_ms = t;
        }
    }

    /// The week's emails sent and site visits, each with whether it was personalised, and the
    /// number of personalised touches (what fatigue counts).
    #[allow(clippy::type_complexity)]
    fn touches(&mut self, week: &Week) -> (Vec<(i64, bool)>, Vec<(i64, bool)>, f64) {
        let mut touches = 0.0;
        let mut sent = Vec::new();
        if self.subscribed {
            for _ in 0..poisson(&mut self.rng, self.email_rate) {
                let t = self.time_in(week);
                let pers = self.profiling && self.chance(self.personalized_share);
                if pers {
                    touches += 1.0;
                }
                sent.push((t, pers));
            }
        }
        // Engagement falls with trust.
        let n_visits = poisson(&mut self.rng, self.p.visit_rate * (0.4 + 1.2 * self.trust));
        let mut visits = Vec::with_capacity(n_visits as usize);
        for _ in 0..n_visits {
            let t = self.time_in(week);
            let pers = self.profiling && self.chance(0.6);
            if pers {
                touches += 1.0;
            }
            visits.push((t, pers));
        }
        (sent, visits, touches)
    }

    /// An email sent at `t` and the customer's answer: open, click, unsubscribe, spam report.
    fn email(&mut self, t: i64, pers: bool, fatigue: f64, incident: f64) {
        let (s, trust) = (self.s, self.trust);
        self.push(t, EventType::EmailSent, CH_EMAIL, Some(pers));
        let open_p = (0.08 + 0.4 * trust - if pers { 0.1 * fatigue } else { 0.0 }).clamp(0.01, 0.9);
        if self.chance(open_p) {
            let to = t + self.rng.random_range(360_000..108_000_000);
            self.push(to, EventType::EmailOpen, CH_EMAIL, Some(pers));
            if self.chance(0.08 + 0.25 * trust) {
                let tc = to + self.rng.random_range(10_000..600_000);
                self.push(tc, EventType::EmailClick, CH_EMAIL, Some(pers));
            }
        }
        let unsub_p =
            0.0008 + 0.012 * (1.0 - trust).powi(2) * (1.0 + fatigue) + 0.01 * incident * s;
        if self.subscribed && self.chance(unsub_p) {
            self.subscribed = false;
            let tu = t + self.rng.random_range(3_600_000..86_400_000);
            self.push(tu, EventType::Unsubscribe, CH_EMAIL, None);
        }
        if self.chance(0.0002 + 0.004 * (1.0 - trust).powi(2) * s) {
            let ts = t + self.rng.random_range(3_600_000..86_400_000);
            self.push(ts, EventType::SpamReport, CH_EMAIL, Some(pers));
        }
    }

    /// A visit at `t`: a personalised view and its answer, then perhaps a purchase. Adds the
    /// change in trust it causes to `d_trust`.
    fn visit(&mut self, t: i64, pers: bool, fatigue: f64, d_trust: &mut f64) {
        let ch = if self.chance(0.6) { CH_WEB } else { CH_APP };
        self.push(t, EventType::Visit, ch, Some(pers));
        if pers && self.personalised_view(t, ch, fatigue, d_trust) == Answer::Bounced {
            return; // the visit ends there
        }
        if self.chance(0.06 + 0.2 * self.trust) {
            self.purchase(t, ch);
        }
    }

    /// A personalised view during a visit: a bounce, or a recommendation click and a "why
    /// this?" click with perhaps a preference change, whose trust gains go to `d_trust`.
    fn personalised_view(&mut self, t: i64, ch: u16, fatigue: f64, d_trust: &mut f64) -> Answer {
        let (s, trust, p) = (self.s, self.trust, self.p);
        self.push(t + 5_000, EventType::PersonalizedView, ch, Some(true));
        let bounce_p = (0.1 + 0.25 * fatigue * (0.5 + s) + 0.2 * (1.0 - trust)).min(0.9);
        if self.chance(bounce_p) {
            self.push(t + 20_000, EventType::Bounce, ch, Some(true));
            return Answer::Bounced;
        }
        if self.chance(0.04 + 0.16 * trust) {
            *d_trust += p.recommendation_gain;
            self.push(t + 60_000, EventType::RecommendationClick, ch, Some(true));
        }
        if self.chance(0.01 + 0.05 * s) {
            *d_trust += p.transparency_gain * s;
            self.push(t + 90_000, EventType::WhyThisClick, ch, Some(true));
            if self.chance(0.4) {
                // Honoured at once: fewer personalised emails from now on.
                self.personalized_share *= 0.5;
                *d_trust += p.preference_gain;
                self.push(t + 150_000, EventType::PreferenceChange, ch, None);
            }
        }
        Answer::Stayed
    }

    /// A purchase during a visit at `t`, perhaps returned, perhaps reviewed.
    fn purchase(&mut self, t: i64, ch: u16) {
        let trust = self.trust;
        let amount: f64 = LogNormal::new(self.order_mu, 0.6)
            .expect("valid")
            .sample(&mut self.rng);
        let amount = (amount * 100.0).round() / 100.0;
        let tp = t + self.rng.random_range(60_000..1_800_000);
        let pch = if self.chance(0.1) { CH_STORE } else { ch };
        self.push_value(tp, EventType::Purchase, amount, pch, None);
        if self.chance(0.04 + 0.08 * (1.0 - trust)) {
            let tr = tp + self.rng.random_range(3..21) * DAY_MS;
            self.push_value(tr, EventType::Return, amount, pch, None);
        }
        if self.chance(0.08) {
            let r = (1.0 + 4.0 * trust + 0.8 * normal(&mut self.rng))
                .round()
                .clamp(1.0, 5.0);
            let tr = tp + self.rng.random_range(2..10) * DAY_MS;
            self.push_value(tr, EventType::Review, r, CH_WEB, None);
        }
    }

    /// Support tickets: a failure costs trust (and may bring a complaint), good service gains
    /// some (into `d_trust`); half are rated (CSAT).
    fn service(&mut self, week: &Week, d_trust: &mut f64) {
        let p = self.p;
        for _ in 0..poisson(&mut self.rng, 0.03) {
            let t = self.time_in(week);
            self.push(t, EventType::SupportTicket, CH_SUPPORT, None);
            let failure = self.chance(0.25);
            if failure {
                *d_trust -= p.service_failure_loss;
                if self.chance(0.4) {
                    let tc = t + self.rng.random_range(1..72) * 3_600_000;
                    self.push(tc, EventType::Complaint, CH_SUPPORT, None);
                }
            } else {
                *d_trust += p.good_service_gain;
            }
            if self.chance(0.5) {
                let f = if failure { 0.35 } else { 0.0 };
                let c = (1.0 + 4.0 * (self.trust - f) + 0.7 * normal(&mut self.rng))
                    .round()
                    .clamp(1.0, 5.0);
                let tc = t + self.rng.random_range(1..48) * 3_600_000;
                self.push_value(tc, EventType::Csat, c, CH_SUPPORT, None);
            }
        }
    }

    /// The NPS survey every 13 weeks; a drop of 3 or more points marks erosion.
    fn survey(&mut self, week: &Week) {
        if (week.index as u32) % 13 != self.nps_phase || !self.chance(0.25 + 0.15 * self.trust) {
            return;
        }
        let t = self.time_in(week);
        let score = (10.0 * self.trust + 1.0 + 1.3 * normal(&mut self.rng))
            .round()
            .clamp(0.0, 10.0);
        let alive = t < self.end_ms && t >= self.signup_ms;
        if let Some(prev) = self.last_nps {
            if prev - score >= 3.0 && alive {
                self.erosion_ms = Some(self.erosion_ms.map_or(t, |e| e.min(t)));
            }
        }
        if alive {
            self.last_nps = Some(score);
        }
        self.push_value(t, EventType::Nps, score, CH_EMAIL, None);
    }

    /// Opt-out and back in, consent withdrawal, privacy complaints and data access requests.
    /// A privacy complaint costs trust (into `d_trust`).
    fn consent_and_privacy(&mut self, week: &Week, fatigue: f64, d_trust: &mut f64) {
        let (s, trust, incident) = (self.s, self.trust, week.incident);
        let opt_out =
            0.0002 + 0.03 * s * (1.0 - trust).powi(3) * (1.0 + fatigue) + 0.01 * s * incident;
        if self.profiling && self.chance(opt_out) {
            self.profiling = false;
            let t = self.time_in(week);
            self.push(t, EventType::OptOut, CH_WEB, None);
        } else if !self.profiling && self.chance(0.005 * trust) {
            self.profiling = true;
            let t = self.time_in(week);
            self.push(t, EventType::OptIn, CH_WEB, None);
        }
        let withdraw = 0.0001 + 0.004 * s * (1.0 - trust).powi(3) + 0.004 * s * incident;
        if (self.profiling || self.subscribed) && self.chance(withdraw) {
            self.profiling = false;
            self.subscribed = false;
            let t = self.time_in(week);
            self.push(t, EventType::ConsentWithdrawn, CH_WEB, None);
        }
        if self.chance(0.0002 + 0.006 * s * (1.0 - trust).powi(2) + 0.02 * s * incident) {
            *d_trust -= 0.02;
            let t = self.time_in(week);
            self.push(t, EventType::PrivacyComplaint, CH_SUPPORT, None);
        }
        if self.chance(0.0003 + 0.003 * s * (1.0 - trust) + 0.01 * s * incident) {
            let t = self.time_in(week);
            self.push(t, EventType::DataAccessRequest, CH_WEB, None);
        }
    }

    /// Keeps what happened within the customer's life and the period, in time order, and
    /// dates the first erosion (the first withdrawal signal, an NPS drop, or churn). Returns
    /// the events, the churn time and the erosion time.
    fn end(mut self, period_end: i64) -> (Vec<Ev>, Option<i64>, Option<i64>) {
        let (signup, end) = (self.signup_ms, self.end_ms);
        self.pending.retain(|e| {
            e.ts >= signup
                && e.ts < period_end
                && (e.ts < end
                    || (e.ts == end
                        && matches!(e.kind, EventType::Cancel | EventType::DataDeletionRequest)))
        });
        self.pending.sort_by_key(|e| e.ts);
        let mut erosion = self.erosion_ms;
        let first_signal = self.pending.iter().find(|e| {
            matches!(
                e.kind,
                EventType::Unsubscribe
                    | EventType::SpamReport
                    | EventType::OptOut
                    | EventType::ConsentWithdrawn
                    | EventType::PrivacyComplaint
                    | EventType::DataDeletionRequest
            )
        });
        if let Some(e) = first_signal {
            erosion = Some(erosion.map_or(e.ts, |x| x.min(e.ts)));
        }
        if let Some(c) = self.churn_ms {
            erosion = Some(erosion.map_or(c, |x| x.min(c)));
        }
        (self.pending, self.churn_ms, erosion)
    }
}
