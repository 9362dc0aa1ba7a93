//! Reasons in words and the recommended-action policy.
//!
//! Every reason is one phrase from [`PHRASES`], the single table that says how each catalogue
//! feature reads to a person (words, unit, rounding, and what a missing value means), followed
//! by its direction: `(raises risk)` or `(lowers risk)`. The signed contributions themselves go
//! to a separate column for analysts (`reason_weights`, see the crate docs).

use erosion_features::Family;
use erosion_inference::encode::parse_number;
use erosion_inference::{Band, RawColumn, RawValues, Reason};

/// No action: the customer is healthy, or nothing the policy knows drives the risk.
pub const NONE: &str = "none";

/// The action that only makes sense for a customer who receives messages.
pub const REDUCE_FREQUENCY: &str = "reduce_personalization_frequency";

/// The policy that turns a band and the families of the reasons into an action.
///
/// For one reason ([`ActionPolicy::action`]), in order (the first that matches wins):
/// 1. band `healthy` → [`ActionPolicy::healthy`] (`none`);
/// 2. the reason's feature name starts with one of [`ActionPolicy::by_feature_prefix`]
///    → that action (privacy complaints and data access requests → `send_transparency_notice`);
/// 3. the reason's family is in [`ActionPolicy::by_family`] → that action;
/// 4. otherwise (no reason, or a column of a user's own table the catalogue does not know)
///    → [`ActionPolicy::fallback`].
///
/// A customer's action ([`ActionPolicy::choose`]) is that of their top reason (the source
/// column that raised their risk the most) when it applies to them. An action in
/// [`ActionPolicy::needs_messages`] (`reduce_personalization_frequency`) applies only to a
/// customer who receives messages: at least one email sent **and** a personalised touch in the
/// shortest window ([`Messaged`]: `emails_sent_<w>d` and `personalized_touches_per_week_<w>d`
/// of the smallest `w` among the model's inputs; a column the model does not read does not
/// count against the customer). When it does not apply, the next reason's action is taken
/// (reason 2, then 3); when no reason gives an action that applies, the action is `none`:
/// nothing the policy knows addresses what drives this customer's risk, so nothing is
/// recommended rather than something the reasons contradict. Customers who objected to
/// profiling are never scored, so they never get an action.
#[derive(Debug, Clone)]
pub struct ActionPolicy {
    /// Action for healthy customers.
    pub healthy: &'static str,
    /// Feature-name prefixes checked before the family (first match wins).
    pub by_feature_prefix: Vec<(&'static str, &'static str)>,
    /// Action per feature family.
    pub by_family: Vec<(Family, &'static str)>,
    /// Action when neither matches.
    pub fallback: &'static str,
    /// Actions that apply only to customers who receive messages in the shortest window.
    pub needs_messages: Vec<&'static str>,
}

impl Default for ActionPolicy {
    /// The default policy:
    ///
    /// | reason                                        | action                             |
    /// |-----------------------------------------------|------------------------------------|
    /// | (band healthy)                                | `none`                             |
    /// | `privacy_complaints*`, `data_access_requests*`| `send_transparency_notice`         |
    /// | family exposure (personalisation fatigue)     | `reduce_personalization_frequency`*|
    /// | family engagement (unsubscribes, spam, opens) | `reduce_personalization_frequency`*|
    /// | family transparency (consent, preferences)    | `offer_preference_center`          |
    /// | family voice (complaints, low CSAT/NPS)       | `service_recovery_outreach`        |
    /// | family trust (trust-equation components)      | `service_recovery_outreach`        |
    /// | family activity (recency, frequency, value)   | `retention_offer`                  |
    /// | anything else                                 | `retention_offer`                  |
    ///
    /// \* only for customers who receive messages; otherwise the next reason decides, and
    /// `none` when no reason is left.
    fn default() -> Self {
        ActionPolicy {
            healthy: NONE,
            by_feature_prefix: vec![
                ("privacy_complaints", "send_transparency_notice"),
                ("data_access_requests", "send_transparency_notice"),
            ],
            by_family: vec![
                (Family::Exposure, REDUCE_FREQUENCY),
                (Family::Engagement, REDUCE_FREQUENCY),
                (Family::Transparency, "offer_preference_center"),
                (Family::Voice, "service_recovery_outreach"),
                (Family::Trust, "service_recovery_outreach"),
                (Family::Activity, "retention_offer"),
            ],
            fallback: "retention_offer",
            needs_messages: vec![REDUCE_FREQUENCY],
        }
    }
}

impl ActionPolicy {
    /// The action for a customer in `band` whose top reason is `top` (with its family, when
    /// the feature catalogue knows it), not asking whether it applies to them.
    pub fn action(&self, band: Band, top: Option<(&str, Option<Family>)>) -> &'static str {
        if band == Band::Healthy {
            return self.healthy;
        }
        let Some((feature, family)) = top else {
            return self.fallback;
        };
        if let Some((_, a)) = self
            .by_feature_prefix
            .iter()
            .find(|(p, _)| feature.starts_with(p))
        {
            return a;
        }
        family
            .and_then(|f| self.by_family.iter().find(|(g, _)| *g == f))
            .map(|(_, a)| *a)
            .unwrap_or(self.fallback)
    }

    /// The action for a customer in `band` whose risk reasons are `reasons` (largest first),
    /// who receives messages or not (`messaged`, [`Messaged::at`]): the first reason's action
    /// that applies to them, `none` when none does (the rule in the type's docs).
    pub fn choose(
        &self,
        band: Band,
        reasons: &[(&str, Option<Family>)],
        messaged: bool,
    ) -> &'static str {
        if band == Band::Healthy {
            return self.healthy;
        }
        if reasons.is_empty() {
            return self.fallback;
        }
        reasons
            .iter()
            .map(|&r| self.action(band, Some(r)))
            .find(|a| messaged || !self.needs_messages.contains(a))
            .unwrap_or(NONE)
    }
}

/// Whether a customer receives messages in the shortest window: looks up
/// `emails_sent_<w>d` and `personalized_touches_per_week_<w>d` of the smallest `w` among the
/// inputs once, then answers per row.
pub struct Messaged<'a> {
    columns: Vec<&'a RawColumn>,
}

impl<'a> Messaged<'a> {
    /// The message columns of the shortest window among `inputs`.
    pub fn new(inputs: &'a [RawColumn]) -> Self {
        let shortest = |stem: &str| {
            inputs
                .iter()
                .filter_map(|c| match split_window(&c.name) {
                    (s, Some(w)) if s == stem => w.parse::<u32>().ok().map(|w| (w, c)),
                    _ => None,
                })
                .min_by_key(|(w, _)| *w)
                .map(|(_, c)| c)
        };
        Messaged {
            columns: ["emails_sent", "personalized_touches_per_week"]
                .into_iter()
                .filter_map(shortest)
                .collect(),
        }
    }

    /// True unless a message column says the customer of `row` got none (0 or missing).
    pub fn at(&self, row: usize) -> bool {
        self.columns
            .iter()
            .all(|c| value_at(c, row).is_some_and(|v| v > 0.0))
    }
}

fn value_at(col: &RawColumn, row: usize) -> Option<f64> {
    match &col.values {
        RawValues::Number(v) => Some(v[row]).filter(|x| !x.is_nan()),
        RawValues::Text(v) => v[row].as_deref().and_then(parse_number),
    }
}

/// `email_open_rate_30d` → (`email_open_rate`, `Some("30")`); names without a `_<digits>d`
/// window are returned whole.
fn split_window(name: &str) -> (&str, Option<&str>) {
    match name.rsplit_once('_') {
        Some((stem, last))
            if last.len() > 1
                && last.ends_with('d')
                && last[..last.len() - 1].bytes().all(|b| b.is_ascii_digit()) =>
        {
            (stem, Some(&last[..last.len() - 1]))
        }
        _ => (name, None),
    }
}

/// A feature name in words, for columns [`PHRASES`] does not know:
/// `email_open_rate_30d` → `email open rate in the last 30 days`.
pub fn words(name: &str) -> String {
    let (stem, window) = split_window(name);
    let mut s = stem.replace('_', " ");
    if let Some(w) = window {
        s.push_str(&format!(" in the last {w} days"));
    }
    s
}

/// How a value is written in a phrase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Whole days: `529.35` → `529`.
    Days,
    /// A share as a whole percentage: `0.19` → `19 %`.
    Rate,
    /// A whole count: `2`.
    Count,
    /// Money, two decimals: `12.50`.
    Money,
    /// One decimal: `2.4`.
    Decimal1,
    /// Two decimals: `0.45`.
    Decimal2,
    /// A survey answer, whole or with one decimal: `3`, `7.5`.
    Score,
    /// A difference of two shares in percentage points: `-0.22` → `down 22 points`.
    RateChange,
    /// A difference of survey answers: `-3` → `down 3 points`.
    ScoreChange,
    /// A log ratio as a percent change: `ln(0.6)` → `down 40 %`.
    LogChange,
    /// A relative change as a percent: `-0.05` → `down 5 %`.
    Change,
    /// A 0/1 flag: [`PhraseRule::text`] when set, [`PhraseRule::off`] when not.
    Flag,
}

/// How one catalogue feature (or family of windowed features) reads to a person.
///
/// In `text`, `off` and `missing`: `{v}` is the value written in `unit`, `{w}` the window in
/// days (the `_<w>d` suffix of the name), `{s}` an `s` unless the value is 1 (plurals), and
/// `{name}` the event type of a custom feature.
#[derive(Debug, Clone, Copy)]
pub struct PhraseRule {
    /// The feature name without its window suffix (`complaints` for `complaints_30d`); a stem
    /// ending in `_` is a prefix (`custom_` for `custom_<type>_<w>d`).
    pub stem: &'static str,
    /// The phrase.
    pub text: &'static str,
    /// How the value is written.
    pub unit: Unit,
    /// For flags, the phrase when not set; for counts, when not empty, the phrase when the
    /// value rounds to 0 (`no usual event missed` rather than `about 0 usual events missed`).
    pub off: &'static str,
    /// The phrase when the value is missing (what missing means), or `None` when missing says
    /// nothing a person can use: the reason is then skipped and the next one taken.
    pub missing: Option<&'static str>,
}

const fn p(stem: &'static str, text: &'static str, unit: Unit) -> PhraseRule {
    PhraseRule {
        stem,
        text,
        unit,
        off: "",
        missing: None,
    }
}

const fn pm(
    stem: &'static str,
    text: &'static str,
    unit: Unit,
    missing: &'static str,
) -> PhraseRule {
    PhraseRule {
        stem,
        text,
        unit,
        off: "",
        missing: Some(missing),
    }
}

const fn flag(stem: &'static str, on: &'static str, off: &'static str) -> PhraseRule {
    PhraseRule {
        stem,
        text: on,
        unit: Unit::Flag,
        off,
        missing: None,
    }
}

/// The phrase of every catalogue feature (`erosion_features::catalogue`), in one place.
/// Columns not listed (a user's own table) read as their name in words and the value to
/// three significant digits ([`words`]).
#[rustfmt::skip]
pub const PHRASES: &[PhraseRule] = {
    use Unit::*;
    &[
        // Activity.
        pm("recency_days", "no purchase for {v} day{s}", Days, "no purchase yet"),
        p("days_since_last_activity", "no purchase or visit for {v} day{s}", Days),
        p("tenure_days", "customer for {v} day{s}", Days),
        p("purchases_total", "{v} purchase{s} in all", Count),
        p("monetary_total", "spent {v} in all", Money),
        pm("monetary_mean", "spends {v} a purchase on average", Money, "no purchase yet"),
        pm("purchase_gap_mean_days", "buys every {v} day{s} on average", Days, "fewer than 2 purchases"),
        pm("purchase_gap_std_days", "purchase gaps vary by {v} day{s}", Days, "fewer than 3 purchases"),
        pm("overdue_ratio", "{v} times their usual gap since the last purchase", Decimal1, "fewer than 2 purchases"),
        flag("has_cancelled", "cancelled a subscription", "never cancelled a subscription"),
        p("purchases", "{v} purchase{s} in {w} days", Count),
        p("monetary", "spent {v} in {w} days", Money),
        p("returns", "{v} return{s} in {w} days", Count),
        p("activity", "{v} purchase{s} or visit{s} in {w} days", Count),
        p("activity_trend", "activity {v} on the {w} days before", LogChange),
        p("activity_per_week", "usually {v} purchases or visits a week", Decimal1),
        PhraseRule { off: "no usual purchase or visit missed since the last one", ..p("activity_missed", "about {v} usual purchase{s} or visit{s} missed since the last one", Count) },
        p("activity_vs_baseline", "activity {v} on their usual", LogChange),
        p("activity_slope_13w", "weekly activity {v} a week over 13 weeks", Change),
        p("days_since_last_event", "nothing from or to them for {v} day{s}", Days),
        pm("days_since_last_engagement", "no action of theirs for {v} day{s}", Days, "never acted on a message"),
        PhraseRule { off: "no usual event missed since the last one", ..p("events_missed", "about {v} usual event{s} missed since the last one", Count) },
        pm("purchases_per_visit", "buys on {v} of visits ({w} days)", Rate, "no visit in {w} days"),
        // Engagement.
        p("emails_sent", "{v} email{s} sent in {w} days", Count),
        pm("email_open_rate", "opens {v} of emails ({w} days)", Rate, "no email sent in {w} days"),
        pm("email_click_rate", "clicks {v} of emails ({w} days)", Rate, "no email sent in {w} days"),
        p("email_open_rate_change", "open rate {v} on the {w} days before", RateChange),
        p("email_open_rate_vs_baseline", "open rate {v} on their usual", RateChange),
        pm("email_clicks_per_open", "clicks in {v} of the emails they open ({w} days)", Rate, "opened no email in {w} days"),
        p("visits", "{v} visit{s} in {w} days", Count),
        p("personalized_bounces", "left {v} personalised page{s} at once in {w} days", Count),
        p("recommendation_clicks", "{v} recommendation click{s} in {w} days", Count),
        flag("unsubscribed", "unsubscribed from emails", "subscribed to emails"),
        p("spam_reports_total", "{v} email{s} reported as spam", Count),
        // Exposure.
        p("personalized_touches_per_week", "{v} personalised messages a week ({w} days)", Decimal1),
        pm("personalized_response_rate", "responds to {v} of personalised messages ({w} days)", Rate, "no personalised message in {w} days"),
        p("personalization_fatigue", "{v} unanswered personalised messages a week ({w} days)", Decimal1),
        p("recommendation_clicks_per_view", "clicks recommendations on {v} of personalised pages ({w} days)", Rate),
        p("personalized_bounce_rate", "leaves {v} of personalised pages at once ({w} days)", Rate),
        // Transparency.
        p("why_this_clicks", "asked \"why am I seeing this?\" {v} time{s} in {w} days", Count),
        p("why_this_per_personalized_touch", "asks \"why am I seeing this?\" on {v} of personalised messages ({w} days)", Rate),
        p("preference_changes", "{v} preference change{s} in {w} days", Count),
        p("data_access_requests", "{v} data access request{s} in {w} days", Count),
        p("data_access_requests_total", "{v} data access request{s} in all", Count),
        flag("consent_opted_in", "opted in to personalisation", "not opted in to personalisation"),
        flag("consent_opted_out", "opted out of personalisation", "not opted out of personalisation"),
        flag("consent_withdrawn", "withdrew consent", "consent not withdrawn"),
        pm("days_since_consent_change", "consent choice changed {v} day{s} ago", Days, "no consent choice recorded"),
        // Voice.
        pm("nps_last", "NPS {v} of 10", Score, "no NPS answer yet"),
        pm("nps_mean", "NPS {v} of 10 on average", Score, "no NPS answer yet"),
        pm("nps_recent", "recent NPS {v} of 10", Score, "no NPS answer yet"),
        p("nps_change", "NPS {v} on the answer before", ScoreChange),
        p("nps_vs_mean", "latest NPS {v} on their average", ScoreChange),
        pm("days_since_nps", "last NPS answer {v} day{s} ago", Days, "no NPS answer yet"),
        pm("days_since_nps_drop", "NPS fell 2 points or more {v} day{s} ago", Days, "no drop in NPS"),
        pm("csat_last", "CSAT {v} of 5", Score, "no CSAT answer yet"),
        pm("csat_mean", "CSAT {v} of 5 on average", Score, "no CSAT answer yet"),
        pm("csat_recent", "recent CSAT {v} of 5", Score, "no CSAT answer yet"),
        p("csat_change", "CSAT {v} on the answer before", ScoreChange),
        pm("review_mean", "reviews {v} on average", Score, "no review yet"),
        p("complaints", "{v} complaint{s} in {w} days", Count),
        p("support_tickets", "{v} support ticket{s} in {w} days", Count),
        p("privacy_complaints", "{v} privacy complaint{s} in {w} days", Count),
        p("privacy_complaints_total", "{v} privacy complaint{s} in all", Count),
        // Trust equation.
        p("trust_credibility", "credibility with their data {v} of 1", Decimal2),
        p("trust_reliability", "service reliability {v} of 1", Decimal2),
        p("trust_intimacy", "engagement with us {v} of 1", Decimal2),
        p("trust_self_orientation", "unsolicited volume {v} of 10", Decimal1),
        p("trust_index", "trust index {v} of 3", Decimal2),
        // Custom event types.
        p("custom_", "{v} {name} event{s} in {w} days", Count),
    ]
};

/// The rule for a feature name and its window and custom name, if [`PHRASES`] knows it.
fn rule_of(name: &str) -> Option<(&'static PhraseRule, Option<&str>, &str)> {
    let (stem, window) = split_window(name);
    let rule = PHRASES.iter().find(|r| {
        let fits = if r.stem.ends_with('_') {
            stem.len() > r.stem.len() && stem.starts_with(r.stem)
        } else {
            stem == r.stem
        };
        // a rule that names a window needs one, and one without cannot take one
        fits && (r.text.contains("{w}") == window.is_some())
    })?;
    let custom = stem
        .strip_prefix(rule.stem)
        .filter(|_| rule.stem.ends_with('_'));
    Some((rule, window, custom.unwrap_or("")))
}

fn change(v: f64, digits: usize, suffix: &str) -> String {
    let s = format!("{:.digits$}", v.abs());
    if s.trim_start_matches(['0', '.']).is_empty() {
        return "unchanged".into();
    }
    let dir = if v < 0.0 { "down" } else { "up" };
    // "up 1 point", "down 3 points"
    let suffix = match suffix.strip_suffix('s') {
        Some(one) if s == "1" => one,
        _ => suffix,
    };
    format!("{dir} {s}{suffix}")
}

/// `v` in `unit`, and whether it reads as one (for plurals).
fn format_value(v: f64, unit: Unit) -> (String, bool) {
    let whole = |x: f64| {
        let r = x.round();
        // no "-0"
        (format!("{}", r + 0.0), r == 1.0)
    };
    match unit {
        Unit::Days | Unit::Count => whole(v),
        Unit::Rate => (format!("{} %", (100.0 * v).round() + 0.0), false),
        Unit::Money => (format!("{v:.2}"), false),
        Unit::Decimal1 => (format!("{v:.1}"), false),
        Unit::Decimal2 => (format!("{v:.2}"), false),
        Unit::Score => {
            let s = format!("{v:.1}");
            let s = s.strip_suffix(".0").map(str::to_string).unwrap_or(s);
            let one = s == "1";
            (s, one)
        }
        Unit::RateChange => (change(100.0 * v, 0, " points"), false),
        Unit::ScoreChange => {
            // whole points when whole: "down 3 points", "up 1 point", "down 0.5 points"
            let whole = (v - v.round()).abs() < 0.05;
            (change(v, if whole { 0 } else { 1 }, " points"), false)
        }
        Unit::LogChange => (change(100.0 * v.exp_m1(), 0, " %"), false),
        Unit::Change => (change(100.0 * v, 0, " %"), false),
        Unit::Flag => (String::new(), false),
    }
}

/// `v` to three significant digits (whole numbers as they are, and numbers of 100 or more to
/// the unit), trailing zeros dropped: `529.35` → `529`, `1.4532` → `1.45`, `0.012345` →
/// `0.0123`.
pub fn significant(v: f64) -> String {
    if v == v.trunc() && v.abs() < 1e15 {
        return format!("{}", v + 0.0);
    }
    let magnitude = v.abs().log10().floor() as i32;
    let digits = (2 - magnitude).max(0) as usize;
    let s = format!("{v:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// The phrase of `feature` for the customer of `row` in `inputs`, without direction:
/// `no purchase or visit for 529 days`, `opens 19 % of emails (365 days)`, `NPS 3 of 10`,
/// `no NPS answer yet`. `None` when the value is missing and missing says nothing a person
/// can use ([`PhraseRule::missing`]).
pub fn phrase(feature: &str, row: usize, inputs: &[RawColumn]) -> Option<String> {
    Phrase::new(feature, inputs).phrase(row)
}

/// One reason in words with its direction: the [`phrase`] and `(raises risk)` for a positive
/// contribution, `(lowers risk)` otherwise. For example `no purchase for 94 days, usually every
/// 30 (raises risk)` or `opens 45 % of emails (30 days) (lowers risk)`. `None` when the phrase
/// is skipped.
pub fn describe(reason: &Reason, row: usize, inputs: &[RawColumn]) -> Option<String> {
    Phrase::new(&reason.feature, inputs).describe(reason.contribution, row)
}

/// The direction words of a contribution.
pub fn direction(contribution: f64) -> &'static str {
    if contribution > 0.0 {
        "raises risk"
    } else {
        "lowers risk"
    }
}

/// A second column that completes a phrase: `no purchase for 94 days, usually every 30`,
/// `opens 19 % of emails (30 days), down from 41 %`.
#[derive(Clone, Copy)]
enum Companion {
    /// `purchase_gap_mean_days` beside `recency_days`.
    UsualGap,
    /// `email_open_rate_change_<w>d` beside `email_open_rate_<w>d`: the rate of the window before.
    RateBefore,
}

/// What [`describe`] needs of one source column, looked up once: its rule with the window and
/// custom name filled in, its input column, and its [`Companion`] column.
struct Phrase<'a> {
    feature: &'a str,
    rule: Option<(Unit, String, String, Option<String>)>,
    input: Option<&'a RawColumn>,
    companion: Option<(&'a RawColumn, Companion)>,
}

impl<'a> Phrase<'a> {
    fn new(feature: &'a str, inputs: &'a [RawColumn]) -> Self {
        let find = |name: &str| inputs.iter().find(|c| c.name == name);
        let rule = rule_of(feature).map(|(r, w, name)| {
            let fill = |t: &str| t.replace("{w}", w.unwrap_or("")).replace("{name}", name);
            (r.unit, fill(r.text), fill(r.off), r.missing.map(fill))
        });
        Phrase {
            feature,
            rule,
            input: find(feature),
            companion: match split_window(feature) {
                ("recency_days", None) => {
                    find("purchase_gap_mean_days").map(|c| (c, Companion::UsualGap))
                }
                ("email_open_rate", Some(w)) => find(&format!("email_open_rate_change_{w}d"))
                    .map(|c| (c, Companion::RateBefore)),
                _ => None,
            },
        }
    }

    fn phrase(&self, row: usize) -> Option<String> {
        let value = self.input.and_then(|c| value_at(c, row));
        let Some((unit, text, off, missing)) = &self.rule else {
            return Some(self.generic(row));
        };
        let Some(v) = value else {
            // a value that is present but not a number (text): the generic phrase
            if self.input.is_some_and(|c| matches!(&c.values, RawValues::Text(t) if t[row].as_deref().is_some_and(|s| !s.trim().is_empty()))) {
                return Some(self.generic(row));
            }
            return missing.clone();
        };
        if *unit == Unit::Flag {
            return Some(if v >= 0.5 { text.clone() } else { off.clone() });
        }
        let (s, one) = format_value(v, *unit);
        if *unit == Unit::Count && s == "0" && !off.is_empty() {
            return Some(off.clone());
        }
        let mut out = text
            .replace("{v}", &s)
            .replace("{s}", if one { "" } else { "s" });
        match self
            .companion
            .and_then(|(c, k)| value_at(c, row).map(|x| (x, k)))
        {
            Some((gap, Companion::UsualGap)) => {
                out.push_str(&format!(
                    ", usually every {}",
                    format_value(gap, Unit::Days).0
                ));
            }
            Some((change, Companion::RateBefore)) => {
                let (before, _) = format_value(v - change, Unit::Rate);
                if before != s {
                    let dir = if change < 0.0 { "down" } else { "up" };
                    out.push_str(&format!(", {dir} from {before}"));
                }
            }
            None => {}
        }
        Some(out)
    }

    /// The name in words and the value to three significant digits (text as it is).
    fn generic(&self, row: usize) -> String {
        let words = words(self.feature);
        let value = self.input.and_then(|col| match &col.values {
            RawValues::Number(v) => Some(v[row]).filter(|x| !x.is_nan()).map(significant),
            RawValues::Text(v) => v[row]
                .as_deref()
                .map(|t| parse_number(t).map_or_else(|| t.to_string(), significant)),
        });
        match value {
            Some(v) => format!("{words} {v}"),
            None => format!("{words} unknown"),
        }
    }

    fn describe(&self, contribution: f64, row: usize) -> Option<String> {
        self.phrase(row)
            .map(|p| format!("{p} ({})", direction(contribution)))
    }
}

/// [`describe`] for many rows: the source columns' phrases prepared once (the columns of a
/// model's [`erosion_inference::SourceGroups`], by index).
pub struct Phrases<'a> {
    phrases: Vec<Phrase<'a>>,
}

impl<'a> Phrases<'a> {
    /// Phrases for the source columns `names` read from `inputs`.
    pub fn new(names: &'a [String], inputs: &'a [RawColumn]) -> Self {
        Phrases {
            phrases: names.iter().map(|n| Phrase::new(n, inputs)).collect(),
        }
    }

    /// [`describe`] of source column `g` (index into the names) for `row`.
    pub fn describe(&self, g: usize, contribution: f64, row: usize) -> Option<String> {
        self.phrases[g].describe(contribution, row)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_expand_windows() {
        assert_eq!(
            words("email_open_rate_30d"),
            "email open rate in the last 30 days"
        );
        assert_eq!(words("tenure"), "tenure");
    }

    fn one(name: &str, v: Option<f64>) -> Vec<RawColumn> {
        vec![RawColumn::number(name, vec![v])]
    }

    /// The phrase table: days, rates, counts, money, scores, changes, flags, missing values
    /// phrased by what they mean or skipped, custom features and the generic fallback.
    #[test]
    fn phrase_table_cases() {
        let cases: &[(&str, Option<f64>, Option<&str>)] = &[
            // days: whole days
            (
                "days_since_last_activity",
                Some(529.35),
                Some("no purchase or visit for 529 days"),
            ),
            ("recency_days", Some(1.2), Some("no purchase for 1 day")),
            ("recency_days", None, Some("no purchase yet")),
            // rates: whole percentages
            (
                "email_open_rate_365d",
                Some(0.1904),
                Some("opens 19 % of emails (365 days)"),
            ),
            (
                "email_open_rate_30d",
                None,
                Some("no email sent in 30 days"),
            ),
            (
                "personalized_response_rate_90d",
                Some(0.5),
                Some("responds to 50 % of personalised messages (90 days)"),
            ),
            // counts: integers, singular and plural
            ("complaints_30d", Some(2.0), Some("2 complaints in 30 days")),
            ("complaints_30d", Some(1.0), Some("1 complaint in 30 days")),
            (
                "emails_sent_30d",
                Some(0.0),
                Some("0 emails sent in 30 days"),
            ),
            (
                "custom_loyalty_scan_90d",
                Some(3.0),
                Some("3 loyalty_scan events in 90 days"),
            ),
            // money: two decimals
            ("monetary_90d", Some(120.5), Some("spent 120.50 in 90 days")),
            // survey answers
            ("nps_last", Some(3.0), Some("NPS 3 of 10")),
            ("nps_last", None, Some("no NPS answer yet")),
            ("csat_recent", Some(2.46), Some("recent CSAT 2.5 of 5")),
            // changes in words
            (
                "email_open_rate_change_90d",
                Some(-0.22),
                Some("open rate down 22 points on the 90 days before"),
            ),
            (
                "nps_change",
                Some(-3.0),
                Some("NPS down 3 points on the answer before"),
            ),
            (
                "csat_change",
                Some(1.0),
                Some("CSAT up 1 point on the answer before"),
            ),
            (
                "nps_vs_mean",
                Some(-0.5),
                Some("latest NPS down 0.5 points on their average"),
            ),
            (
                "events_missed",
                Some(6.1),
                Some("about 6 usual events missed since the last one"),
            ),
            (
                "events_missed",
                Some(0.3),
                Some("no usual event missed since the last one"),
            ),
            (
                "activity_trend_30d",
                Some((0.6f64).ln()),
                Some("activity down 40 % on the 30 days before"),
            ),
            (
                "activity_vs_baseline",
                Some(0.0),
                Some("activity unchanged on their usual"),
            ),
            // missing values that say nothing a person can use are skipped
            ("email_open_rate_change_30d", None, None),
            ("nps_change", None, None),
            // flags
            ("unsubscribed", Some(1.0), Some("unsubscribed from emails")),
            (
                "has_cancelled",
                Some(0.0),
                Some("never cancelled a subscription"),
            ),
            // trust equation, rounded
            ("trust_index", Some(1.4532), Some("trust index 1.45 of 3")),
            // unknown columns: the generic words, three significant digits
            ("MonthlyCharges", Some(70.3456), Some("MonthlyCharges 70.3")),
            ("tenure", Some(12.0), Some("tenure 12")),
            ("ratio_x", Some(0.012345), Some("ratio x 0.0123")),
            ("ratio_x", None, Some("ratio x unknown")),
        ];
        for (name, v, want) in cases {
            let got = phrase(name, 0, &one(name, *v));
            assert_eq!(got.as_deref(), *want, "{name} {v:?}");
        }
        // text columns: numbers are numbers, other text as it is
        let inputs = vec![
            RawColumn::text("Contract", vec![Some("Month-to-month".into())]),
            RawColumn::text("visits_30d", vec![Some("3.0".into())]),
        ];
        assert_eq!(
            phrase("Contract", 0, &inputs).unwrap(),
            "Contract Month-to-month"
        );
        assert_eq!(
            phrase("visits_30d", 0, &inputs).unwrap(),
            "3 visits in 30 days"
        );
    }

    #[test]
    fn reasons_carry_direction_words_not_weights() {
        let inputs = vec![
            RawColumn::number("recency_days", vec![Some(94.0)]),
            RawColumn::number("purchase_gap_mean_days", vec![Some(30.4)]),
            RawColumn::number("email_open_rate_30d", vec![Some(0.45)]),
        ];
        let r = |f: &str, c: f64| Reason {
            feature: f.into(),
            contribution: c,
        };
        assert_eq!(
            describe(&r("recency_days", 0.62), 0, &inputs).unwrap(),
            "no purchase for 94 days, usually every 30 (raises risk)"
        );
        assert_eq!(
            describe(&r("email_open_rate_30d", -0.3), 0, &inputs).unwrap(),
            "opens 45 % of emails (30 days) (lowers risk)"
        );
        // with the change on the window before: where the rate comes from
        let inputs = vec![
            RawColumn::number("email_open_rate_30d", vec![Some(0.19), Some(0.3), None]),
            RawColumn::number(
                "email_open_rate_change_30d",
                vec![Some(-0.22), Some(0.001), None],
            ),
        ];
        let opens = |row| phrase("email_open_rate_30d", row, &inputs);
        assert_eq!(
            opens(0).unwrap(),
            "opens 19 % of emails (30 days), down from 41 %"
        );
        assert_eq!(opens(1).unwrap(), "opens 30 % of emails (30 days)");
        assert_eq!(opens(2).unwrap(), "no email sent in 30 days");
    }

    /// Every catalogue feature of the default configuration has its own phrase.
    #[test]
    fn every_catalogue_feature_has_a_phrase() {
        let cfg = erosion_features::FeatureConfig::default();
        for d in erosion_features::catalogue(&cfg, &["loyalty_scan".to_string()]) {
            assert!(rule_of(&d.name).is_some(), "{} has no phrase", d.name);
        }
    }

    #[test]
    fn policy_maps_band_and_family() {
        let p = ActionPolicy::default();
        let ex = Some(("personalization_fatigue_30d", Some(Family::Exposure)));
        assert_eq!(p.action(Band::Healthy, ex), "none");
        assert_eq!(p.action(Band::Critical, ex), REDUCE_FREQUENCY);
        assert_eq!(
            p.action(
                Band::Watch,
                Some(("privacy_complaints_90d", Some(Family::Voice)))
            ),
            "send_transparency_notice"
        );
        assert_eq!(
            p.action(Band::AtRisk, Some(("csat_last", Some(Family::Voice)))),
            "service_recovery_outreach"
        );
        assert_eq!(
            p.action(
                Band::AtRisk,
                Some(("preference_changes_30d", Some(Family::Transparency)))
            ),
            "offer_preference_center"
        );
        assert_eq!(
            p.action(Band::AtRisk, Some(("recency_days", Some(Family::Activity)))),
            "retention_offer"
        );
        assert_eq!(
            p.action(Band::AtRisk, Some(("Contract", None))),
            "retention_offer"
        );
    }

    /// No frequency reduction for a customer who gets no messages: the next reason's action,
    /// or `none` when no reason is left.
    #[test]
    fn no_frequency_reduction_without_messages() {
        let p = ActionPolicy::default();
        let fatigue = ("personalization_fatigue_30d", Some(Family::Exposure));
        let opens = ("email_open_rate_30d", Some(Family::Engagement));
        let recency = ("recency_days", Some(Family::Activity));
        assert_eq!(
            p.choose(Band::Critical, &[fatigue, recency], true),
            REDUCE_FREQUENCY
        );
        assert_eq!(
            p.choose(Band::Critical, &[fatigue, recency], false),
            "retention_offer"
        );
        assert_eq!(p.choose(Band::Critical, &[fatigue, opens], false), NONE);
        assert_eq!(p.choose(Band::Healthy, &[recency], true), NONE);
        assert_eq!(p.choose(Band::Watch, &[], false), "retention_offer");

        // who gets messages: an email and a personalised touch in the shortest window
        let inputs = vec![
            RawColumn::number("emails_sent_90d", vec![Some(5.0), Some(5.0), Some(5.0)]),
            RawColumn::number("emails_sent_30d", vec![Some(0.0), Some(2.0), Some(2.0)]),
            RawColumn::number(
                "personalized_touches_per_week_30d",
                vec![Some(1.0), Some(0.5), Some(0.0)],
            ),
        ];
        let m = Messaged::new(&inputs);
        assert_eq!((m.at(0), m.at(1), m.at(2)), (false, true, false));
        // a model that reads no message column cannot tell: it counts as messaged
        assert!(Messaged::new(&one("recency_days", Some(3.0))).at(0));
    }
}
