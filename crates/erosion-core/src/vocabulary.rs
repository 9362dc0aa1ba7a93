//! The event vocabulary of PRODUCT.md. Types outside it are kept as custom types and still
//! counted by the features.

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

            /// Parses a name from a file; `None` for a custom type.
            pub fn parse(s: &str) -> Option<EventType> {
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
}
