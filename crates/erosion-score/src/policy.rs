//! Reasons in words and the recommended-action policy.

use erosion_features::Family;
use erosion_models::{Band, RawColumn, RawValues, Reason};

/// No action: the customer is healthy, or nothing the policy knows drives the risk.
pub const NONE: &str = "none";

/// The policy that turns a band and the family of the top reason into an action.
///
/// Rules, in order (the first that matches wins):
/// 1. band `healthy` → [`ActionPolicy::healthy`] (`none`);
/// 2. the top reason's feature name starts with one of [`ActionPolicy::by_feature_prefix`]
///    → that action (privacy complaints and data access requests → `send_transparency_notice`);
/// 3. the top reason's family is in [`ActionPolicy::by_family`] → that action;
/// 4. otherwise (no reason, or a column of a user's own table the catalogue does not know)
///    → [`ActionPolicy::fallback`].
///
/// The top reason is the source column that raised this customer's risk the most. Customers
/// who objected to profiling are never scored, so they never get an action.
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
}

impl Default for ActionPolicy {
    /// The default policy:
    ///
    /// | top reason                                    | action                             |
    /// |-----------------------------------------------|------------------------------------|
    /// | (band healthy)                                | `none`                             |
    /// | `privacy_complaints*`, `data_access_requests*`| `send_transparency_notice`         |
    /// | family exposure (personalisation fatigue)     | `reduce_personalization_frequency` |
    /// | family engagement (unsubscribes, spam, opens) | `reduce_personalization_frequency` |
    /// | family transparency (consent, preferences)    | `offer_preference_center`          |
    /// | family voice (complaints, low CSAT/NPS)       | `service_recovery_outreach`        |
    /// | family trust (trust-equation components)      | `service_recovery_outreach`        |
    /// | family activity (recency, frequency, value)   | `retention_offer`                  |
    /// | anything else                                 | `retention_offer`                  |
    fn default() -> Self {
        ActionPolicy {
            healthy: NONE,
            by_feature_prefix: vec![
                ("privacy_complaints", "send_transparency_notice"),
                ("data_access_requests", "send_transparency_notice"),
            ],
            by_family: vec![
                (Family::Exposure, "reduce_personalization_frequency"),
                (Family::Engagement, "reduce_personalization_frequency"),
                (Family::Transparency, "offer_preference_center"),
                (Family::Voice, "service_recovery_outreach"),
                (Family::Trust, "service_recovery_outreach"),
                (Family::Activity, "retention_offer"),
            ],
            fallback: "retention_offer",
        }
    }
}

impl ActionPolicy {
    /// The action for a customer in `band` whose top reason is `top` (with its family, when
    /// the feature catalogue knows it).
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
}

/// A feature name in words: `email_open_rate_30d` → `email open rate in the last 30 days`.
pub fn words(name: &str) -> String {
    let (stem, window) = match name.rsplit_once('_') {
        Some((stem, last))
            if last.len() > 1
                && last.ends_with('d')
                && last[..last.len() - 1].bytes().all(|b| b.is_ascii_digit()) =>
        {
            (stem, Some(&last[..last.len() - 1]))
        }
        _ => (name, None),
    };
    let stem = match stem {
        "recency_days" => "days since the last purchase",
        "days_since_last_activity" => "days since the last purchase or visit",
        "consent_opted_out" => "opted out of personalisation",
        "nps_last" => "latest NPS",
        "csat_last" => "latest CSAT",
        other => other,
    };
    let mut s = stem.replace('_', " ");
    if let Some(w) = window {
        s.push_str(&format!(" in the last {w} days"));
    }
    s
}

fn number(v: f64) -> String {
    if v == v.trunc() && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

/// One reason in words, with the customer's value and the signed contribution on the
/// model's raw scale (log-odds for logistic regression and GBDT, probability for the forest);
/// a positive contribution raises the risk. For example `email open rate in the last 30 days
/// 0.05 (+0.41)` or `no purchase for 94 days, usually every 30 (+0.62)`.
pub fn describe(reason: &Reason, row: usize, inputs: &[RawColumn]) -> String {
    let phrase = Phrase::new(&reason.feature, inputs);
    phrase.describe(reason.contribution, row)
}

/// What [`describe`] needs of one source column, looked up once: its words, its input column,
/// and for `recency_days` the usual gap between purchases.
struct Phrase<'a> {
    feature: &'a str,
    words: String,
    input: Option<&'a RawColumn>,
    gap: Option<&'a RawColumn>,
}

impl<'a> Phrase<'a> {
    fn new(feature: &'a str, inputs: &'a [RawColumn]) -> Self {
        let find = |name: &str| inputs.iter().find(|c| c.name == name);
        Phrase {
            feature,
            words: words(feature),
            input: find(feature),
            gap: (feature == "recency_days")
                .then(|| find("purchase_gap_mean_days"))
                .flatten(),
        }
    }

    fn describe(&self, contribution: f64, row: usize) -> String {
        let value = self.input.and_then(|col| match &col.values {
            RawValues::Number(v) => Some(v[row]).filter(|x| !x.is_nan()).map(number),
            // Numeric text (CSV tables read as text) is shown as a number.
            RawValues::Text(v) => v[row].as_deref().map(|t| match t.trim().parse::<f64>() {
                Ok(x) if x.is_finite() => number(x),
                _ => t.to_string(),
            }),
        });
        let gap = self.gap.and_then(|col| match &col.values {
            RawValues::Number(v) => Some(v[row]).filter(|x| !x.is_nan()),
            RawValues::Text(_) => None,
        });
        use std::fmt::Write;
        let f = self.feature;
        let mut out = String::with_capacity(self.words.len() + 24);
        // writing into a String cannot fail
        let _ = match (f, value) {
            ("recency_days", Some(v)) => match gap {
                Some(g) => write!(out, "no purchase for {v} days, usually every {}", number(g)),
                None => write!(out, "no purchase for {v} days"),
            },
            (_, Some(v)) if v == "1" && is_flag(f) => out.write_str(&self.words),
            (_, Some(v)) => write!(out, "{} {v}", self.words),
            (_, None) => write!(out, "{} unknown", self.words),
        };
        let _ = write!(out, " ({contribution:+.2})");
        out
    }
}

/// [`describe`] for many rows: the source columns' phrases prepared once (the columns of a
/// model's [`SourceGroups`], by index).
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
    pub fn describe(&self, g: usize, contribution: f64, row: usize) -> String {
        self.phrases[g].describe(contribution, row)
    }
}

fn is_flag(name: &str) -> bool {
    matches!(
        name,
        "has_cancelled"
            | "unsubscribed"
            | "consent_opted_in"
            | "consent_opted_out"
            | "consent_withdrawn"
    )
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
        assert_eq!(words("tenure_days"), "tenure days");
        assert_eq!(words("recency_days"), "days since the last purchase");
    }

    #[test]
    fn reasons_read_like_sentences() {
        let inputs = vec![
            RawColumn::number("recency_days", vec![Some(94.0)]),
            RawColumn::number("purchase_gap_mean_days", vec![Some(30.0)]),
            RawColumn::number("unsubscribed", vec![Some(1.0)]),
            RawColumn::text("Contract", vec![Some("Month-to-month".into())]),
            RawColumn::text("visits_30d", vec![Some("3.0".into())]),
        ];
        let r = |f: &str, c: f64| Reason {
            feature: f.into(),
            contribution: c,
        };
        assert_eq!(
            describe(&r("recency_days", 0.62), 0, &inputs),
            "no purchase for 94 days, usually every 30 (+0.62)"
        );
        assert_eq!(
            describe(&r("unsubscribed", 0.4), 0, &inputs),
            "unsubscribed (+0.40)"
        );
        assert_eq!(
            describe(&r("visits_30d", 0.2), 0, &inputs),
            "visits in the last 30 days 3 (+0.20)"
        );
        assert_eq!(
            describe(&r("Contract", 0.1), 0, &inputs),
            "Contract Month-to-month (+0.10)"
        );
    }

    #[test]
    fn policy_maps_band_and_family() {
        let p = ActionPolicy::default();
        let ex = Some(("personalization_fatigue_30d", Some(Family::Exposure)));
        assert_eq!(p.action(Band::Healthy, ex), "none");
        assert_eq!(
            p.action(Band::Critical, ex),
            "reduce_personalization_frequency"
        );
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
}
