//! Configuration and the parameters of the generative model (see `docs/SIMULATOR.md`).

use chrono::NaiveDate;

/// What to simulate.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Number of customers.
    pub customers: usize,
    /// Length of the observed period in days.
    pub days: u32,
    /// Seed of every random stream.
    pub seed: u64,
    /// First day of the observed period.
    pub start: NaiveDate,
    /// Day (from `start`) of the company-wide incident (a data breach), if any.
    pub incident_day: Option<u32>,
    /// Customers per chunk handed to the sink.
    pub chunk_size: usize,
    /// The model's parameters.
    pub params: Params,
}

impl SimConfig {
    /// The defaults of `erosion simulate`: start 2024-01-01, incident at 60 % of the period.
    pub fn new(customers: usize, days: u32, seed: u64) -> Self {
        SimConfig {
            customers,
            days,
            seed,
            start: NaiveDate::from_ymd_opt(2024, 1, 1).expect("valid date"),
            incident_day: Some((days as f64 * 0.6) as u32),
            chunk_size: 10_000,
            params: Params::default(),
        }
    }
}

/// Parameters of the generative model, with the defaults `docs/SIMULATOR.md` documents.
/// Rates are per week unless named otherwise.
#[derive(Debug, Clone)]
pub struct Params {
    /// Weekly pull of trust back towards the customer's baseline.
    pub trust_reversion: f64,
    /// Trust lost per unit of personalisation fatigue, scaled by (0.5 + sensitivity).
    pub fatigue_erosion: f64,
    /// Trust gained per recommendation click (relevant personalisation).
    pub recommendation_gain: f64,
    /// Trust gained when a preference change is honoured (transparency repairs).
    pub preference_gain: f64,
    /// Trust gained when "why am I seeing this?" is answered.
    pub transparency_gain: f64,
    /// Trust lost per service failure.
    pub service_failure_loss: f64,
    /// Trust gained per support ticket resolved well.
    pub good_service_gain: f64,
    /// Weekly trust noise (standard deviation).
    pub trust_noise: f64,
    /// Trust drop at the incident, scaled by (0.4 + sensitivity).
    pub incident_severity: f64,
    /// Weekly churn hazard at trust 0.6.
    pub churn_base: f64,
    /// How steeply the churn hazard grows as trust falls: hazard = base * exp(k * (0.6 - trust)).
    pub churn_slope: f64,
    /// Site visits per week at full engagement.
    pub visit_rate: f64,
    /// Share of customers who sign up during the period (the rest predate it).
    pub new_customer_share: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            trust_reversion: 0.03,
            fatigue_erosion: 0.02,
            recommendation_gain: 0.004,
            preference_gain: 0.03,
            transparency_gain: 0.01,
            service_failure_loss: 0.06,
            good_service_gain: 0.01,
            trust_noise: 0.015,
            incident_severity: 0.2,
            churn_base: 0.0045,
            churn_slope: 5.0,
            visit_rate: 0.22,
            new_customer_share: 0.6,
        }
    }
}
