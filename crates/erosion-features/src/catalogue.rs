//! The feature catalogue: one place that names, describes and orders every feature. The
//! computation emits values through the same [`emit`] function, so the catalogue and the
//! columns cannot drift apart.

use crate::compute::Ctx;
use crate::FeatureConfig;
use serde::Serialize;

/// A feature family, a lens for reports and for the reasons given to marketers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    /// Recency, frequency, monetary value, rhythm and trend of activity.
    Activity,
    /// Email and site engagement.
    Engagement,
    /// Personalised touches and the response they get (fatigue).
    Exposure,
    /// Transparency, control and consent.
    Transparency,
    /// Surveys, reviews, tickets and complaints.
    Voice,
    /// The trust equation: (credibility + reliability + intimacy) / self-orientation.
    Trust,
    /// Counts of custom event types.
    Custom,
}

impl Family {
    /// The family's name in files.
    pub fn as_str(self) -> &'static str {
        match self {
            Family::Activity => "activity",
            Family::Engagement => "engagement",
            Family::Exposure => "exposure",
            Family::Transparency => "transparency",
            Family::Voice => "voice",
            Family::Trust => "trust",
            Family::Custom => "custom",
        }
    }
}

/// A feature's documentation.
#[derive(Debug, Clone, Serialize)]
pub struct FeatureDef {
    /// Column name.
    pub name: String,
    /// Family.
    pub family: Family,
    /// What it measures.
    pub description: String,
    /// When it is missing (NaN), or "never".
    pub missing: &'static str,
}

/// Receives features in catalogue order.
pub(crate) trait Sink {
    fn put(
        &mut self,
        family: Family,
        name: std::fmt::Arguments<'_>,
        description: std::fmt::Arguments<'_>,
        missing: &'static str,
        value: f64,
    );
}

struct Catalogue(Vec<FeatureDef>);

impl Sink for Catalogue {
    fn put(
        &mut self,
        family: Family,
        name: std::fmt::Arguments<'_>,
        description: std::fmt::Arguments<'_>,
        missing: &'static str,
        _value: f64,
    ) {
        self.0.push(FeatureDef {
            name: name.to_string(),
            family,
            description: description.to_string(),
            missing,
        });
    }
}

/// The catalogue for a configuration and the custom types of a log.
pub fn catalogue(config: &FeatureConfig, custom_types: &[String]) -> Vec<FeatureDef> {
    let ctx = Ctx::empty(config.windows.len(), custom_types.len());
    let mut c = Catalogue(Vec::new());
    emit(&ctx, config, custom_types, &mut c);
    c.0
}

const NEVER: &str = "never";

fn ratio(num: f64, den: f64) -> f64 {
    if den > 0.0 {
        num / den
    } else {
        f64::NAN
    }
}

/// Emits every feature of one (customer, cutoff) in catalogue order: one function per family
/// (a new family is one more function here, a [`Family`] variant and what it needs in `Ctx`).
pub(crate) fn emit(ctx: &Ctx, cfg: &FeatureConfig, custom: &[String], s: &mut impl Sink) {
    emit_activity(ctx, cfg, s);
    emit_engagement(ctx, cfg, s);
    emit_exposure(ctx, cfg, s);
    emit_transparency(ctx, cfg, s);
    emit_voice(ctx, cfg, s);
    emit_trust(ctx, cfg, s);
    emit_change(ctx, cfg, s);
    emit_custom(ctx, cfg, custom, s);
}

/// Recency, frequency, monetary value, rhythm and trend of activity.
fn emit_activity(ctx: &Ctx, cfg: &FeatureConfig, s: &mut impl Sink) {
    use erosion_core::EventType as T;
    use Family::*;
    let ws = &cfg.windows;
    s.put(
        Activity,
        format_args!("recency_days"),
        format_args!("days since the last purchase"),
        "no purchase before the cutoff",
        ctx.recency_days,
    );
    s.put(
        Activity,
        format_args!("days_since_last_activity"),
        format_args!("days since the last activity event (purchase or visit by default)"),
        NEVER,
        ctx.last_activity_days,
    );
    s.put(
        Activity,
        format_args!("tenure_days"),
        format_args!("days since signup (or the first event when the signup date is unknown)"),
        NEVER,
        ctx.tenure_days,
    );
    s.put(
        Activity,
        format_args!("purchases_total"),
        format_args!("purchases before the cutoff"),
        NEVER,
        ctx.n_purchase as f64,
    );
    s.put(
        Activity,
        format_args!("monetary_total"),
        format_args!("total purchase value before the cutoff"),
        NEVER,
        ctx.sum_purchase,
    );
    s.put(
        Activity,
        format_args!("monetary_mean"),
        format_args!("mean purchase value"),
        "no purchase",
        ratio(ctx.sum_purchase, ctx.n_purchase as f64),
    );
    s.put(
        Activity,
        format_args!("purchase_gap_mean_days"),
        format_args!("mean days between consecutive purchases (the customer's rhythm)"),
        "fewer than 2 purchases",
        ctx.gap_mean,
    );
    s.put(
        Activity,
        format_args!("purchase_gap_std_days"),
        format_args!("standard deviation of the days between purchases"),
        "fewer than 3 purchases",
        ctx.gap_std,
    );
    s.put(
        Activity,
        format_args!("overdue_ratio"),
        format_args!("recency_days / purchase_gap_mean_days: how overdue against their own rhythm"),
        "fewer than 2 purchases",
        if ctx.gap_mean > 0.0 {
            ctx.recency_days / ctx.gap_mean
        } else {
            f64::NAN
        },
    );
    s.put(
        Activity,
        format_args!("has_cancelled"),
        format_args!("1 when a subscription was cancelled before the cutoff"),
        NEVER,
        ctx.cancelled as u8 as f64,
    );
    for (i, w) in ws.iter().enumerate() {
        s.put(
            Activity,
            format_args!("purchases_{w}d"),
            format_args!("purchases in the last {w} days"),
            NEVER,
            ctx.cur(i, T::Purchase),
        );
        s.put(
            Activity,
            format_args!("monetary_{w}d"),
            format_args!("purchase value in the last {w} days"),
            NEVER,
            ctx.money[i],
        );
        s.put(
            Activity,
            format_args!("returns_{w}d"),
            format_args!("returns in the last {w} days"),
            NEVER,
            ctx.cur(i, T::Return),
        );
        s.put(
            Activity,
            format_args!("activity_{w}d"),
            format_args!("activity events in the last {w} days"),
            NEVER,
            ctx.activity_cur[i],
        );
        s.put(Activity, format_args!("activity_trend_{w}d"), format_args!("ln((activity in the last {w} days + 1) / (activity in the {w} days before + 1)); negative when slowing down"), NEVER, ((ctx.activity_cur[i] + 1.0) / (ctx.activity_prev[i] + 1.0)).ln());
    }
}

/// Email and site engagement.
fn emit_engagement(ctx: &Ctx, cfg: &FeatureConfig, s: &mut impl Sink) {
    use erosion_core::EventType as T;
    use Family::*;
    let ws = &cfg.windows;
    for (i, w) in ws.iter().enumerate() {
        let sent = ctx.cur(i, T::EmailSent);
        let open = ratio(ctx.cur(i, T::EmailOpen), sent);
        let open_prev = ratio(ctx.prev(i, T::EmailOpen), ctx.prev(i, T::EmailSent));
        s.put(
            Engagement,
            format_args!("emails_sent_{w}d"),
            format_args!("emails sent in the last {w} days"),
            NEVER,
            sent,
        );
        s.put(
            Engagement,
            format_args!("email_open_rate_{w}d"),
            format_args!("opens / emails sent in the last {w} days"),
            "no email sent in the window",
            open,
        );
        s.put(
            Engagement,
            format_args!("email_click_rate_{w}d"),
            format_args!("clicks / emails sent in the last {w} days"),
            "no email sent in the window",
            ratio(ctx.cur(i, T::EmailClick), sent),
        );
        s.put(
            Engagement,
            format_args!("email_open_rate_change_{w}d"),
            format_args!("open rate in the last {w} days minus the {w} days before"),
            "no email sent in either window",
            open - open_prev,
        );
        s.put(
            Engagement,
            format_args!("visits_{w}d"),
            format_args!("site and app visits in the last {w} days"),
            NEVER,
            ctx.cur(i, T::Visit),
        );
        s.put(
            Engagement,
            format_args!("personalized_bounces_{w}d"),
            format_args!("bounces on personalised pages in the last {w} days"),
            NEVER,
            ctx.pers_bounce[i],
        );
        s.put(
            Engagement,
            format_args!("recommendation_clicks_{w}d"),
            format_args!("recommendation clicks in the last {w} days"),
            NEVER,
            ctx.cur(i, T::RecommendationClick),
        );
    }
    s.put(
        Engagement,
        format_args!("unsubscribed"),
        format_args!("1 when the customer unsubscribed from emails before the cutoff"),
        NEVER,
        ctx.unsubscribed as u8 as f64,
    );
    s.put(
        Engagement,
        format_args!("spam_reports_total"),
        format_args!("emails reported as spam before the cutoff"),
        NEVER,
        ctx.spam_total,
    );
}

/// Personalised touches and the response they get.
fn emit_exposure(ctx: &Ctx, cfg: &FeatureConfig, s: &mut impl Sink) {
    use Family::*;
    let ws = &cfg.windows;
    for (i, w) in ws.iter().enumerate() {
        let touches = ctx.pers_touches[i];
        let per_week = touches / (*w as f64 / 7.0);
        let response = ratio(ctx.pers_responses[i], touches);
        s.put(
            Exposure,
            format_args!("personalized_touches_per_week_{w}d"),
            format_args!("personalised emails and page views per week over the last {w} days"),
            NEVER,
            per_week,
        );
        s.put(Exposure, format_args!("personalized_response_rate_{w}d"), format_args!("(opens and clicks of personalised emails + recommendation clicks) / personalised touches, last {w} days"), "no personalised touch in the window", response);
        s.put(Exposure, format_args!("personalization_fatigue_{w}d"), format_args!("personalised touches per week x (1 - response rate), last {w} days: more touches, fewer responses"), NEVER, if touches > 0.0 { per_week * (1.0 - response.min(1.0)) } else { 0.0 });
    }
}

/// Transparency, control and consent.
fn emit_transparency(ctx: &Ctx, cfg: &FeatureConfig, s: &mut impl Sink) {
    use erosion_core::EventType as T;
    use Family::*;
    let ws = &cfg.windows;
    for (i, w) in ws.iter().enumerate() {
        s.put(
            Transparency,
            format_args!("why_this_clicks_{w}d"),
            format_args!("\"why am I seeing this?\" clicks in the last {w} days"),
            NEVER,
            ctx.cur(i, T::WhyThisClick),
        );
        s.put(
            Transparency,
            format_args!("preference_changes_{w}d"),
            format_args!("preference changes in the last {w} days"),
            NEVER,
            ctx.cur(i, T::PreferenceChange),
        );
        s.put(
            Transparency,
            format_args!("data_access_requests_{w}d"),
            format_args!("data access requests in the last {w} days"),
            NEVER,
            ctx.cur(i, T::DataAccessRequest),
        );
    }
    s.put(
        Transparency,
        format_args!("data_access_requests_total"),
        format_args!("data access requests before the cutoff"),
        NEVER,
        ctx.access_total,
    );
    s.put(
        Transparency,
        format_args!("consent_opted_in"),
        format_args!("1 when the latest consent event is opt_in"),
        NEVER,
        (ctx.consent == 1) as u8 as f64,
    );
    s.put(
        Transparency,
        format_args!("consent_opted_out"),
        format_args!("1 when the latest consent event is opt_out"),
        NEVER,
        (ctx.consent == 2) as u8 as f64,
    );
    s.put(
        Transparency,
        format_args!("consent_withdrawn"),
        format_args!("1 when the latest consent event is consent_withdrawn"),
        NEVER,
        (ctx.consent == 3) as u8 as f64,
    );
    s.put(
        Transparency,
        format_args!("days_since_consent_change"),
        format_args!("days since the latest opt_in, opt_out or consent_withdrawn"),
        "no consent event before the cutoff",
        ctx.consent_days,
    );
}

/// Surveys, reviews, tickets and complaints.
fn emit_voice(ctx: &Ctx, cfg: &FeatureConfig, s: &mut impl Sink) {
    use erosion_core::EventType as T;
    use Family::*;
    let ws = &cfg.windows;
    s.put(
        Voice,
        format_args!("nps_last"),
        format_args!("latest NPS answer (0-10)"),
        "no NPS answer",
        ctx.nps_last,
    );
    s.put(
        Voice,
        format_args!("nps_mean"),
        format_args!("mean NPS answer"),
        "no NPS answer",
        ctx.nps_mean,
    );
    s.put(
        Voice,
        format_args!("nps_change"),
        format_args!("latest NPS answer minus the one before"),
        "fewer than 2 NPS answers",
        ctx.nps_last - ctx.nps_prev,
    );
    s.put(
        Voice,
        format_args!("csat_last"),
        format_args!("latest CSAT answer (1-5)"),
        "no CSAT answer",
        ctx.csat_last,
    );
    s.put(
        Voice,
        format_args!("csat_mean"),
        format_args!("mean CSAT answer"),
        "no CSAT answer",
        ctx.csat_mean,
    );
    s.put(
        Voice,
        format_args!("csat_change"),
        format_args!("latest CSAT answer minus the one before"),
        "fewer than 2 CSAT answers",
        ctx.csat_last - ctx.csat_prev,
    );
    s.put(
        Voice,
        format_args!("review_mean"),
        format_args!("mean review score or sentiment"),
        "no review",
        ctx.review_mean,
    );
    for (i, w) in ws.iter().enumerate() {
        s.put(
            Voice,
            format_args!("complaints_{w}d"),
            format_args!("service complaints in the last {w} days"),
            NEVER,
            ctx.cur(i, T::Complaint),
        );
        s.put(
            Voice,
            format_args!("support_tickets_{w}d"),
            format_args!("support tickets in the last {w} days"),
            NEVER,
            ctx.cur(i, T::SupportTicket),
        );
        s.put(
            Voice,
            format_args!("privacy_complaints_{w}d"),
            format_args!("privacy complaints in the last {w} days"),
            NEVER,
            ctx.cur(i, T::PrivacyComplaint),
        );
    }
    s.put(
        Voice,
        format_args!("privacy_complaints_total"),
        format_args!("privacy complaints before the cutoff"),
        NEVER,
        ctx.privacy_total,
    );
}

/// The trust equation, on the window closest to 365 days for counts and to 90 days for rates.
fn emit_trust(ctx: &Ctx, cfg: &FeatureConfig, s: &mut impl Sink) {
    use Family::*;
    let t = ctx.trust_parts(cfg);
    s.put(Trust, format_args!("trust_credibility"), format_args!("1 / (1 + privacy complaints + spam reports + data access requests / 2 in the count window + 2 if consent is withdrawn or opted out): do they believe what we do with their data (0-1]"), NEVER, t[0]);
    s.put(Trust, format_args!("trust_reliability"), format_args!("mean of (csat_mean - 1) / 4 when answered and 1 / (1 + complaints + (tickets + returns) / 2 in the count window): does the service work (0-1]"), NEVER, t[1]);
    s.put(Trust, format_args!("trust_intimacy"), format_args!("mean of the email open rate in the rate window and nps_last / 10, where defined, else 0.5: do they engage (0-1)"), NEVER, t[2]);
    s.put(Trust, format_args!("trust_self_orientation"), format_args!("1 + min(9, personalisation fatigue in the rate window): unsolicited personalised volume against engagement [1-10]"), NEVER, t[3]);
    s.put(
        Trust,
        format_args!("trust_index"),
        format_args!("(credibility + reliability + intimacy) / self-orientation (0-3]"),
        NEVER,
        (t[0] + t[1] + t[2]) / t[3],
    );
}

/// Counts of each custom event type per window.
fn emit_custom(ctx: &Ctx, cfg: &FeatureConfig, custom: &[String], s: &mut impl Sink) {
    use Family::*;
    let ws = &cfg.windows;
    for (k, name) in custom.iter().enumerate() {
        for (i, w) in ws.iter().enumerate() {
            s.put(
                Custom,
                format_args!("custom_{name}_{w}d"),
                format_args!("{name} events in the last {w} days"),
                NEVER,
                ctx.custom[i][k],
            );
        }
    }
}

/// Change within a customer who is still here: their behaviour against their own baseline.
#[allow(clippy::too_many_lines)] // known debt: split when next changed
fn emit_change(ctx: &Ctx, cfg: &FeatureConfig, s: &mut impl Sink) {
    use erosion_core::EventType as T;
    use Family::*;
    let ws = &cfg.windows;
    let closest = |target: u32| (0..ws.len()).min_by_key(|&i| ws[i].abs_diff(target));
    let per_day = ctx.activity_per_day(cfg);
    s.put(
        Activity,
        format_args!("activity_per_week"),
        format_args!("activity events per week over the longest window (or the history, when shorter): the customer's own rhythm"),
        "no windows configured",
        7.0 * per_day,
    );
    s.put(
        Activity,
        format_args!("activity_missed"),
        format_args!("activities their own rhythm expected since the latest one: activity_per_week / 7 x days_since_last_activity; large when they went quiet"),
        "no activity before the cutoff",
        per_day * ctx.last_activity_days,
    );
    let short = (0..ws.len()).min_by_key(|&i| ws[i]);
    let recent = short.map_or(f64::NAN, |i| {
        ((ctx.activity_cur[i] + 0.5) / (per_day * ws[i] as f64 + 0.5)).ln()
    });
    s.put(
        Activity,
        format_args!("activity_vs_baseline"),
        format_args!("ln((activity in the shortest window + 0.5) / (what their own rhythm expects in it + 0.5)); negative when below their usual"),
        "no windows configured",
        recent,
    );
    s.put(
        Activity,
        format_args!("activity_slope_13w"),
        format_args!("least-squares slope of weekly activity over the last 13 weeks, relative to the weekly mean (+0.1); negative when fading"),
        "less than 4 weeks of history",
        ctx.activity_slope(),
    );
    s.put(
        Activity,
        format_args!("days_since_last_event"),
        format_args!("days since the customer's latest event of any type, messages sent to them included: long when nothing comes from or reaches them any more"),
        NEVER,
        ctx.last_event_days,
    );
    s.put(
        Activity,
        format_args!("days_since_last_engagement"),
        format_args!("days since the latest event the customer made (any type but email_sent)"),
        "only emails sent to them",
        ctx.last_engagement_days,
    );
    s.put(
        Activity,
        format_args!("events_missed"),
        format_args!("events of any type their own rhythm expected since the latest one: events per day over the longest window x days_since_last_event"),
        "no windows configured",
        ctx.events_per_day(cfg) * ctx.last_event_days,
    );
    emit_response(ctx, cfg, s);
    let q = closest(90);
    let conversion = q.map_or(f64::NAN, |i| {
        ratio(ctx.cur(i, T::Purchase), ctx.cur(i, T::Visit))
    });
    let qw = q.map_or(0, |i| ws[i]);
    s.put(
        Activity,
        format_args!("purchases_per_visit_{qw}d"),
        format_args!("purchases / visits in the last {qw} days"),
        "no visit in the window",
        conversion,
    );
    let (lo, hi) = (short, (0..ws.len()).max_by_key(|&i| ws[i]));
    let open_change = match (lo, hi) {
        (Some(a), Some(b)) => {
            ratio(ctx.cur(a, T::EmailOpen), ctx.cur(a, T::EmailSent))
                - ratio(ctx.cur(b, T::EmailOpen), ctx.cur(b, T::EmailSent))
        }
        _ => f64::NAN,
    };
    s.put(
        Engagement,
        format_args!("email_open_rate_vs_baseline"),
        format_args!("open rate in the shortest window minus the open rate in the longest; negative when opening less than they used to"),
        "no email sent in the shortest window",
        open_change,
    );
    let why = q.map_or(f64::NAN, |i| {
        ratio(ctx.cur(i, T::WhyThisClick), ctx.pers_touches[i])
    });
    s.put(
        Transparency,
        format_args!("why_this_per_personalized_touch_{qw}d"),
        format_args!("\"why am I seeing this?\" clicks per personalised touch in the last {qw} days: questioning the personalisation"),
        "no personalised touch in the window",
        why,
    );
    s.put(
        Voice,
        format_args!("days_since_nps"),
        format_args!("days since the latest NPS answer: how old nps_last is"),
        "no NPS answer",
        ctx.nps_days,
    );
    let half = crate::compute::RECENT_HALF_LIFE_DAYS;
    s.put(
        Voice,
        format_args!("nps_recent"),
        format_args!("mean NPS answer weighted by recency (an answer {half} days old counts half): the customer's current view"),
        "no NPS answer",
        ctx.nps_recent,
    );
    s.put(
        Voice,
        format_args!("csat_recent"),
        format_args!(
            "mean CSAT answer weighted by recency (an answer {half} days old counts half)"
        ),
        "no CSAT answer",
        ctx.csat_recent,
    );
    s.put(
        Voice,
        format_args!("nps_vs_mean"),
        format_args!("latest NPS answer minus the customer's mean answer"),
        "no NPS answer",
        ctx.nps_last - ctx.nps_mean,
    );
    s.put(
        Voice,
        format_args!("days_since_nps_drop"),
        format_args!("days since the latest NPS answer 2 or more points below the one before"),
        "no such drop",
        ctx.nps_drop_days,
    );
}

/// Response rates over the longest window, where counts are largest: how the customer answers
/// what reaches them (clicks per open, recommendation clicks and bounces per personalised view).
fn emit_response(ctx: &Ctx, cfg: &FeatureConfig, s: &mut impl Sink) {
    use erosion_core::EventType as T;
    use Family::*;
    let ws = &cfg.windows;
    let Some(i) = (0..ws.len()).max_by_key(|&i| ws[i]) else {
        return;
    };
    let w = ws[i];
    let views = ctx.cur(i, T::PersonalizedView);
    s.put(
        Engagement,
        format_args!("email_clicks_per_open_{w}d"),
        format_args!("email clicks / email opens in the last {w} days"),
        "no email opened in the window",
        ratio(ctx.cur(i, T::EmailClick), ctx.cur(i, T::EmailOpen)),
    );
    s.put(
        Exposure,
        format_args!("recommendation_clicks_per_view_{w}d"),
        format_args!("recommendation clicks / personalised views in the last {w} days"),
        "no personalised view in the window",
        ratio(ctx.cur(i, T::RecommendationClick), views),
    );
    s.put(
        Exposure,
        format_args!("personalized_bounce_rate_{w}d"),
        format_args!(
            "bounces after a personalised touch / personalised views in the last {w} days"
        ),
        "no personalised view in the window",
        ratio(ctx.pers_bounce[i], views),
    );
}
