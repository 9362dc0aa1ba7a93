//! The behaviour simulator behind `erosion simulate`.
//!
//! No public data set has purchases, email engagement, consent events, privacy complaints and
//! survey answers together. This crate generates them from a small causal model (documented in
//! `docs/SIMULATOR.md`): every customer has a latent trust level that personalisation above
//! their tolerance erodes, that good service and transparency repair, and that a company-wide
//! incident drops; events follow from trust, and the ground truth (trust at every month end,
//! churn and first erosion dates) is returned beside them.
//!
//! Each customer draws from their own random stream (the seed and their index), so the output
//! is the same whatever the chunking or the number of threads. The crate writes no files: it
//! hands [`Chunk`]s to the caller, which keeps memory bounded at any scale.

mod customer;
mod params;

pub use params::{Params, SimConfig};

use erosion_core::{Customers, EventLog};
use rayon::prelude::*;

/// The ground truth of a chunk of customers, one row per customer and month end.
#[derive(Debug, Clone, Default)]
pub struct Truth {
    /// Customer id per row.
    pub customer_id: Vec<String>,
    /// Month end (epoch ms, midnight UTC of the month's last day) per row.
    pub month_end: Vec<i64>,
    /// Latent trust (0..1) at the month end; `None` before signup.
    pub trust: Vec<Option<f64>>,
    /// Date the customer churned (stopped all activity), if they did within the simulation.
    pub churn_date: Vec<Option<i64>>,
    /// Date of the customer's first erosion event (as docs/CONTRACT.md defines it), if any.
    pub first_erosion_date: Vec<Option<i64>>,
    /// The customer's hidden privacy sensitivity (0..1).
    pub privacy_sensitivity: Vec<f64>,
    /// The customer's hidden tolerance, in personalised touches per week.
    pub personalization_tolerance: Vec<f64>,
}

/// Customers, events and truth for a contiguous range of customers.
#[derive(Debug, Clone, Default)]
pub struct Chunk {
    /// One row per customer, with attributes.
    pub customers: Customers,
    /// Their events, ordered by customer then time.
    pub events: EventLog,
    /// Their ground truth.
    pub truth: Truth,
}

/// Simulates customers `range` (indices into `0..config.customers`).
pub fn simulate_range(config: &SimConfig, range: std::ops::Range<usize>) -> Chunk {
    let mut chunk = customer::ChunkBuilder::new(config, range.len());
    for i in range {
        chunk.add_customer(i);
    }
    chunk.finish()
}

/// Simulates every customer, in chunks of `config.chunk_size`, `threads` chunks at a time in
/// parallel, handing the chunks to `sink` in customer order. Memory holds at most
/// `threads` chunks at once.
pub fn simulate<E>(
    config: &SimConfig,
    mut sink: impl FnMut(Chunk) -> Result<(), E>,
) -> Result<(), E> {
    let n = config.customers;
    let size = config.chunk_size.max(1);
    let per_round = rayon::current_num_threads().max(1) * 2;
    let starts: Vec<usize> = (0..n).step_by(size).collect();
    for round in starts.chunks(per_round) {
        let chunks: Vec<Chunk> = round
            .par_iter()
            .map(|&s| simulate_range(config, s..(s + size).min(n)))
            .collect();
        for c in chunks {
            sink(c)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
