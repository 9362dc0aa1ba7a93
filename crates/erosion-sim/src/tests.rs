use super::*;
use erosion_core::{EventKind, EventType};

fn small() -> SimConfig {
    SimConfig::new(400, 365, 11)
}

#[test]
fn same_seed_same_output_whatever_the_chunking() {
    let c = small();
    let whole = simulate_range(&c, 0..400);
    let mut parts = Vec::new();
    let mut c2 = c.clone();
    c2.chunk_size = 37;
    simulate(&c2, |ch| -> Result<(), ()> {
        parts.push(ch);
        Ok(())
    })
    .unwrap();
    let ids: Vec<String> = parts.iter().flat_map(|p| p.customers.ids.clone()).collect();
    assert_eq!(ids, whole.customers.ids);
    let ts: Vec<i64> = parts
        .iter()
        .flat_map(|p| p.events.timestamp.clone())
        .collect();
    assert_eq!(ts, whole.events.timestamp);
    let values: Vec<u64> = parts
        .iter()
        .flat_map(|p| {
            p.events
                .value
                .iter()
                .map(|v| v.to_bits())
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(
        values,
        whole
            .events
            .value
            .iter()
            .map(|v| v.to_bits())
            .collect::<Vec<_>>()
    );
    let other = simulate_range(&SimConfig::new(400, 365, 12), 0..400);
    assert_ne!(other.events.timestamp, whole.events.timestamp);
}

#[test]
fn events_are_ordered_and_inside_the_period() {
    let c = small();
    let ch = simulate_range(&c, 0..400);
    let start = c
        .start
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp_millis();
    let end = start + c.days as i64 * erosion_core::time::DAY_MS;
    for i in 1..ch.events.len() {
        let same = ch.events.customer[i] == ch.events.customer[i - 1];
        assert!(!same || ch.events.timestamp[i] >= ch.events.timestamp[i - 1]);
    }
    assert!(ch.events.timestamp.iter().all(|&t| t >= start && t < end));
    // Scores stay in their documented ranges.
    for i in 0..ch.events.len() {
        let v = ch.events.value[i];
        match ch.events.kind[i] {
            EventKind::Known(EventType::Nps) => assert!((0.0..=10.0).contains(&v)),
            EventKind::Known(EventType::Csat) => assert!((1.0..=5.0).contains(&v)),
            EventKind::Known(EventType::Purchase) => assert!(v > 0.0),
            _ => {}
        }
    }
}

#[test]
fn nobody_acts_after_churn_or_deletion() {
    let c = small();
    let ch = simulate_range(&c, 0..400);
    // truth rows: one per customer per month end; churn date per customer
    let months = ch.truth.customer_id.len() / 400;
    for (k, id) in ch.customers.ids.iter().enumerate() {
        let Some(churn) = ch.truth.churn_date[k * months] else {
            continue;
        };
        let cust = ch.events.customer_ids.iter().position(|x| x == id);
        let Some(cust) = cust else { continue };
        let last = (0..ch.events.len())
            .filter(|&i| ch.events.customer[i] as usize == cust)
            .map(|i| ch.events.timestamp[i])
            .max()
            .unwrap();
        assert!(
            last < churn + erosion_core::time::DAY_MS,
            "{id} acts after churning"
        );
    }
}

/// The documented rates (docs/SIMULATOR.md, "Rates") on a 20k-customer run.
struct Rates {
    events_per_customer: f64,
    yearly_churn: f64,
    open_rate: f64,
    click_rate: f64,
    optout_yearly: f64,
    unsubscribe_yearly: f64,
    privacy_complaint_yearly: f64,
    nps_mean: f64,
    /// (opt-out share, churn share) of customers whose trust fell by 0.15 or more in year 1
    fell: (f64, f64),
    /// the same for customers whose trust held
    held: (f64, f64),
}

fn rates(ch: &Chunk, config: &SimConfig) -> Rates {
    use std::collections::HashMap;
    let n = ch.customers.len();
    let start = config
        .start
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp_millis();
    let year = 365 * erosion_core::time::DAY_MS;
    let months = ch.truth.customer_id.len() / n;
    let idx: HashMap<&str, usize> = ch
        .events
        .customer_ids
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i))
        .collect();
    // opted out in year two
    let mut per_cust_optout = vec![false; ch.events.customer_ids.len()];
    let (mut sent, mut opens, mut clicks, mut unsub, mut optout, mut pc) = (0, 0, 0, 0, 0, 0);
    let (mut nps_sum, mut nps_n) = (0.0, 0);
    for i in 0..ch.events.len() {
        match ch.events.kind[i] {
            EventKind::Known(EventType::EmailSent) => sent += 1,
            EventKind::Known(EventType::EmailOpen) => opens += 1,
            EventKind::Known(EventType::EmailClick) => clicks += 1,
            EventKind::Known(EventType::Unsubscribe) => unsub += 1,
            EventKind::Known(EventType::PrivacyComplaint) => pc += 1,
            EventKind::Known(EventType::OptOut) => {
                optout += 1;
                if ch.events.timestamp[i] >= start + year {
                    per_cust_optout[ch.events.customer[i] as usize] = true;
                }
            }
            EventKind::Known(EventType::Nps) => {
                nps_sum += ch.events.value[i];
                nps_n += 1;
            }
            _ => {}
        }
    }
    // customer-years observed: from max(signup, start) to churn or the end
    let end = start + config.days as i64 * erosion_core::time::DAY_MS;
    let mut years = 0.0;
    let (mut at_risk, mut churned_y1) = (0, 0);
    let (mut fell, mut held) = ((0.0, 0.0, 0.0), (0.0, 0.0, 0.0));
    for k in 0..n {
        let signup = ch.customers.signup[k].unwrap();
        let churn = ch.truth.churn_date[k * months];
        let from = signup.max(start);
        let to = churn.unwrap_or(end).min(end);
        years += (to - from).max(0) as f64 / year as f64;
        if signup < start {
            at_risk += 1;
            if churn.is_some_and(|c| c < start + year) {
                churned_y1 += 1;
            }
            // Causal check: customers still active after a year whose trust fell by 0.15
            // or more over it, against those whose trust held; outcomes in year two.
            let active_y1 = churn.is_none_or(|c| c >= start + year);
            if active_y1 {
                let t0 = ch.truth.trust[k * months].unwrap();
                let t1 = ch.truth.trust[k * months + 11].unwrap();
                let opted = idx
                    .get(ch.customers.ids[k].as_str())
                    .is_some_and(|&c| per_cust_optout[c]) as u8 as f64;
                let churned = churn.is_some() as u8 as f64;
                let slot = if t1 <= t0 - 0.15 {
                    &mut fell
                } else {
                    &mut held
                };
                slot.0 += 1.0;
                slot.1 += opted;
                slot.2 += churned;
            }
        }
    }
    Rates {
        events_per_customer: ch.events.len() as f64 / n as f64,
        yearly_churn: churned_y1 as f64 / at_risk as f64,
        open_rate: opens as f64 / sent as f64,
        click_rate: clicks as f64 / sent as f64,
        optout_yearly: optout as f64 / years,
        unsubscribe_yearly: unsub as f64 / years,
        privacy_complaint_yearly: pc as f64 / years,
        nps_mean: nps_sum / nps_n as f64,
        fell: (fell.1 / fell.0, fell.2 / fell.0),
        held: (held.1 / held.0, held.2 / held.0),
    }
}

#[test]
fn documented_rates_and_causal_structure_hold_on_20k_customers() {
    let config = SimConfig::new(20_000, 730, 7);
    let mut chunks = Vec::new();
    simulate(&config, |c| -> Result<(), ()> {
        chunks.push(c);
        Ok(())
    })
    .unwrap();
    // measure per chunk and combine (each chunk is a random sample of customers)
    let all: Vec<Rates> = chunks.iter().map(|c| rates(c, &config)).collect();
    let mean = |f: &dyn Fn(&Rates) -> f64| all.iter().map(f).sum::<f64>() / all.len() as f64;
    let r = Rates {
        events_per_customer: mean(&|r| r.events_per_customer),
        yearly_churn: mean(&|r| r.yearly_churn),
        open_rate: mean(&|r| r.open_rate),
        click_rate: mean(&|r| r.click_rate),
        optout_yearly: mean(&|r| r.optout_yearly),
        unsubscribe_yearly: mean(&|r| r.unsubscribe_yearly),
        privacy_complaint_yearly: mean(&|r| r.privacy_complaint_yearly),
        nps_mean: mean(&|r| r.nps_mean),
        fell: (mean(&|r| r.fell.0), mean(&|r| r.fell.1)),
        held: (mean(&|r| r.held.0), mean(&|r| r.held.1)),
    };
    println!(
        "events/customer {:.1}, yearly churn {:.3}, open {:.3}, click {:.3}, opt-outs/yr {:.4}, \
unsubscribes/yr {:.4}, privacy complaints/yr {:.4}, nps mean {:.2}, trust fell: opt-out {:.3} churn {:.3}; held: opt-out {:.3} churn {:.3}",
        r.events_per_customer, r.yearly_churn, r.open_rate, r.click_rate, r.optout_yearly,
        r.unsubscribe_yearly, r.privacy_complaint_yearly, r.nps_mean, r.fell.0, r.fell.1, r.held.0, r.held.1
    );
    // Documented in docs/SIMULATOR.md ("Rates"), measured on this run; ranges allow for the
    // sampling noise of 20k customers and nothing more.
    assert!((60.0..95.0).contains(&r.events_per_customer));
    assert!((0.18..0.28).contains(&r.yearly_churn));
    assert!((0.24..0.33).contains(&r.open_rate));
    assert!((0.05..0.09).contains(&r.click_rate));
    assert!((0.06..0.13).contains(&r.optout_yearly));
    assert!((0.07..0.14).contains(&r.unsubscribe_yearly));
    assert!((6.6..7.6).contains(&r.nps_mean));
    // Causal structure: trust that fell is followed by more opt-outs and more churn.
    assert!(
        r.fell.0 > 1.5 * r.held.0,
        "opt-outs: fell {} held {}",
        r.fell.0,
        r.held.0
    );
    assert!(
        r.fell.1 > 1.3 * r.held.1,
        "churn: fell {} held {}",
        r.fell.1,
        r.held.1
    );
}
