//! The event vocabulary of docs/CONTRACT.md. Types outside it are kept as custom types and still
//! counted by the features.
//!
//! Names match regardless of case and separators ([`EventType::parse`]: `OPT_OUT`, `opt-out`
//! and `Opt Out` are all `opt_out`), so consent events bind whatever the export's spelling. A
//! type outside the vocabulary that is spelt almost like one of it (`optout`, `opt_outt`) is
//! still a custom type, but [`EventType::resembling`] names the type it resembles, so that
//! commands can warn instead of silently counting, say, an opt-out as a custom event.

use serde::{Deserialize, Serialize};

macro_rules! event_types {
    ($( $variant:ident => $name:literal, $family:literal, $doc:literal; )*) => {
        /// An event type the features understand.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        #[repr(u8)]
        pub enum EventType {
            $( #[doc = $doc] $variant, )*
        }

        impl EventType {
            /// Every known type, in vocabulary order.
            pub const ALL: &'static [EventType] = &[$(EventType::$variant),*];

            /// The name used in files (`purchase`, `email_open`, ...).
            pub fn as_str(self) -> &'static str {
                match self { $(EventType::$variant => $name,)* }
            }

            /// The vocabulary group (commerce, messages, site, consent, voice).
            pub fn group(self) -> &'static str {
                match self { $(EventType::$variant => $family,)* }
            }

            /// The type of an exact vocabulary name.
            fn exact(s: &str) -> Option<EventType> {
                match s { $($name => Some(EventType::$variant),)* _ => None }
            }
        }
    };
}

event_types! {
    Purchase => "purchase", "commerce", "A purchase; `value` is the amount.";
    Return => "return", "commerce", "A returned purchase.";
    Cancel => "cancel", "commerce", "Explicit end of a subscription.";
    EmailSent => "email_sent", "messages", "An email sent to the customer (`personalized` tells whether it was personalised).";
    EmailOpen => "email_open", "messages", "An email opened.";
    EmailClick => "email_click", "messages", "A click in an email.";
    Unsubscribe => "unsubscribe", "messages", "Unsubscribed from emails.";
    SpamReport => "spam_report", "messages", "Reported an email as spam.";
    Visit => "visit", "site", "A site or app visit.";
    Bounce => "bounce", "site", "Left at once (on a personalised page when `personalized` is true).";
    PersonalizedView => "personalized_view", "site", "Saw a personalised page or recommendation slot.";
    RecommendationClick => "recommendation_click", "site", "Clicked a recommendation.";
    WhyThisClick => "why_this_click", "site", "Clicked \"why am I seeing this?\".";
    PreferenceChange => "preference_change", "consent", "Changed personalisation preferences (an erosion extension of the vocabulary).";
    OptIn => "opt_in", "consent", "Consented to profiling / personalisation.";
    OptOut => "opt_out", "consent", "Objected to profiling / personalisation.";
    ConsentWithdrawn => "consent_withdrawn", "consent", "Withdrew a consent given before.";
    DataAccessRequest => "data_access_request", "consent", "Asked for a copy of their data.";
    DataDeletionRequest => "data_deletion_request", "consent", "Asked for their data to be deleted.";
    PrivacyComplaint => "privacy_complaint", "consent", "Complained about the use of their data.";
    Nps => "nps", "voice", "NPS answer; `value` 0 to 10.";
    Csat => "csat", "voice", "CSAT answer; `value` 1 to 5.";
    Review => "review", "voice", "A review; `value` 1 to 5 (or a sentiment -1 to 1).";
    SupportTicket => "support_ticket", "voice", "A support ticket opened.";
    Complaint => "complaint", "voice", "A complaint (service, not privacy).";
}

impl EventType {
    /// Parses a name from a file, regardless of case and separators ([`normalize`]); `None` for
    /// a custom type.
    pub fn parse(s: &str) -> Option<EventType> {
        EventType::exact(s).or_else(|| EventType::exact(&normalize(s)))
    }

    /// The vocabulary type a name outside the vocabulary resembles, if any: at most two edits
    /// (insertions, deletions, substitutions or swaps of neighbours) away after [`normalize`],
    /// with or without its separators; one edit for names of four or five letters, none for
    /// shorter ones (so `chat` resembles `csat`, but `app` does not resemble `nps`). `None` for
    /// a name of the vocabulary itself.
    pub fn resembling(s: &str) -> Option<EventType> {
        if EventType::parse(s).is_some() {
            return None;
        }
        let name = normalize(s);
        let bare = name.replace('_', "");
        EventType::ALL
            .iter()
            .map(|&t| {
                let known_bare = t.as_str().replace('_', "");
                let d = edits(&name, t.as_str()).min(edits(&bare, &known_bare));
                let letters = bare.chars().count().min(known_bare.chars().count());
                let limit = match letters {
                    0..=3 => 0,
                    4..=5 => 1,
                    _ => 2,
                };
                (d, t, d <= limit)
            })
            .filter(|&(_, _, close)| close)
            .min_by_key(|&(d, t, _)| (d, t))
            .map(|(_, t, _)| t)
    }
}

/// A type name as the vocabulary spells it: trimmed, lower case, every run of characters other
/// than letters and digits (spaces, `-`, `.`, `/`, ...) one `_`, none at either end.
pub fn normalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for part in s
        .split(|c: char| !c.is_alphanumeric())
        .filter(|p| !p.is_empty())
    {
        if !out.is_empty() {
            out.push('_');
        }
        out.extend(part.chars().flat_map(char::to_lowercase));
    }
    out
}

/// Optimal string alignment distance: insertions, deletions, substitutions and swaps of two
/// neighbouring characters, each one edit.
fn edits(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    // three rows of the dynamic programme: two back, one back, current
    let mut prev2 = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let sub = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + sub);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                cur[j] = cur[j].min(prev2[j - 2] + 1);
            }
        }
        prev2 = std::mem::replace(&mut prev, cur);
    }
    prev[b.len()]
}

impl std::fmt::Display for EventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for &t in EventType::ALL {
            assert_eq!(EventType::parse(t.as_str()), Some(t));
        }
        assert_eq!(EventType::parse("loyalty_points"), None);
        assert_eq!(EventType::ALL.len(), 25);
    }

    /// Case and separators do not matter: the spellings exports use are the vocabulary's type.
    #[test]
    fn spellings_of_a_type_parse_as_it() {
        for s in [
            "OPT_OUT",
            "opt-out",
            "Opt Out",
            " opt_out ",
            "opt--out",
            "opt.out",
            "Opt_Out",
        ] {
            assert_eq!(EventType::parse(s), Some(EventType::OptOut), "{s:?}");
        }
        for s in [
            "Consent-Withdrawn",
            "CONSENT WITHDRAWN",
            "consent_withdrawn",
        ] {
            assert_eq!(
                EventType::parse(s),
                Some(EventType::ConsentWithdrawn),
                "{s:?}"
            );
        }
        assert_eq!(
            EventType::parse("DATA-DELETION-REQUEST"),
            Some(EventType::DataDeletionRequest)
        );
        assert_eq!(EventType::parse("NPS"), Some(EventType::Nps));
        // no letters dropped or added: these are other names
        for s in ["optout", "opt_outt", "", "_", "loyalty points"] {
            assert_eq!(EventType::parse(s), None, "{s:?}");
        }
        assert_eq!(normalize("  Loyalty -- Points! "), "loyalty_points");
    }

    /// Near misses name the type they resemble; other custom types and vocabulary names do not.
    #[test]
    fn near_misses_name_the_type_they_resemble() {
        let cases = [
            ("optout", Some(EventType::OptOut)),
            ("opt_outt", Some(EventType::OptOut)),
            ("OptOut", Some(EventType::OptOut)),
            ("optin", Some(EventType::OptIn)),
            ("consentwithdrawn", Some(EventType::ConsentWithdrawn)),
            ("consent_withdrawal", Some(EventType::ConsentWithdrawn)),
            ("datadeletionrequest", Some(EventType::DataDeletionRequest)),
            ("purchases", Some(EventType::Purchase)),
            ("cast", Some(EventType::Csat)),
            ("opt_out", None),
            ("OPT-OUT", None),
            ("loyalty_points", None),
            ("gift_card", None),
            ("app", None),
            ("view", None),
            ("refund", None),
            ("login", None),
        ];
        for (s, want) in cases {
            assert_eq!(EventType::resembling(s), want, "{s:?}");
        }
        assert_eq!(edits("optout", "opt_out"), 1);
        assert_eq!(edits("csat", "cast"), 1);
        assert_eq!(edits("", "abc"), 3);
        assert_eq!(edits("kitten", "sitting"), 3);
    }
}
