//! Raw-mode scoring of events too large to hold whole: the events spilled to ranges of
//! customer ids ([`erosion_io::spill`]), then each range scored by [`run::score_part`], the
//! function every in-memory night goes through ([`run::score_loaded`]), as a part of a whole
//! whose consent information was decided from the whole file's event types
//! ([`Scope::whole_input_consent`], as the Spark example does for its buckets). Each range's
//! scores and exclusions are written to Parquet parts in the spill directory, and the parts
//! concatenated in range order into the staged outputs ([`crate::outputs::stage_parts`]).
//! Ranges follow the id order, so the outputs are in id order as the whole input's are, and
//! equal them value for value (byte for byte for CSV).

use crate::consent::{self, ConsentReport};
use crate::run::{
    self, as_of_ms, night_warnings, say_type_warnings, Failure, Loaded, Scope, Summary,
    TypeWarnings,
};
use erosion_bundle::Bundle;
use erosion_io::spill::{spill_events, SpillOptions, SpilledEvents};
use erosion_io::timing;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// A raw-mode input to spill.
pub(crate) struct Raw<'a> {
    /// Events file.
    pub(crate) events: &'a Path,
    /// Customers file.
    pub(crate) customers: &'a Path,
    /// Scoring date (`YYYY-MM-DD`).
    pub(crate) as_of: &'a str,
    /// Where and in how many ranges.
    pub(crate) spill: &'a SpillOptions,
}

/// A night scored range by range: its parts, in id order, wait in the spill directory, which
/// goes when this is dropped (after the caller staged them).
pub(crate) struct SpilledNight {
    /// What the night did.
    pub(crate) summary: Summary,
    /// The run record that goes with the scores.
    pub(crate) note: String,
    /// Parquet files of the scores, in id order.
    pub(crate) scores: Vec<PathBuf>,
    /// Parquet files of the exclusions, in id order.
    pub(crate) exclusions: Vec<PathBuf>,
    /// The spill directory, removed on drop.
    _spill: SpilledEvents,
}

/// Spills the events, decides the night's consent information and type warnings from the whole
/// file, then scores range by range.
pub(crate) fn score(
    bundle: &Bundle,
    raw: &Raw,
    scope: &Scope,
    for_people: bool,
) -> Result<SpilledNight, Failure> {
    as_of_ms(raw.as_of)?;
    let t = Instant::now();
    // Scoring reads the ids and signups only: at millions of customers the attributes would
    // cost more than a range's events.
    let only_ids = erosion_io::CustomerLoadOptions {
        attributes: false,
        ..Default::default()
    };
    let customers = erosion_io::load_customers(raw.customers, &only_ids)?;
    timing(format_args!("load customers"), t);
    let spilled = spill_events(raw.events, &Default::default(), raw.spill)?;
    // Before any work: near misses of the vocabulary, then the refusal of a log without consent.
    let warnings = say_type_warnings(&spilled.lookalikes, raw.events);
    let found = consent::in_type_counts(&spilled.type_counts);
    scope.rules().require(&found, raw.events)?;
    let whole = Scope {
        whole_input_consent: found.clone().ok(),
        ..scope.clone()
    };
    let mut summary = Summary {
        consent: ConsentReport {
            input: found.ok(),
            suppress: None,
            handled_upstream: scope.consent_handled_upstream,
        },
        warnings,
        ..Summary::default()
    };
    let (mut scores, mut exclusions) = (Vec::new(), Vec::new());
    let mut parts = spilled.split_customers(customers).into_iter();
    spilled.for_each_range(|p, log| -> Result<(), Failure> {
        let t = Instant::now();
        let input = Loaded::Raw {
            events: log,
            customers: parts.next().unwrap_or_default(),
            as_of: raw.as_of.to_string(),
            name: raw.events.to_path_buf(),
        };
        let mut part = run::score_part(bundle, input, &whole, for_people, TypeWarnings::Said)?;
        let customers = part.summary.input;
        summary.add(part.summary);
        let path = spilled.dir().join(format!("scores-{p}.parquet"));
        erosion_io::write_table(&path, &mut part.scores)?;
        scores.push(path);
        let path = spilled.dir().join(format!("exclusions-{p}.parquet"));
        erosion_io::write_table(&path, &mut part.exclusions)?;
        exclusions.push(path);
        timing(format_args!("range {p}: {customers} input customers"), t);
        Ok(())
    })?;
    night_warnings(bundle, &mut summary);
    let note = summary.consent.note(&bundle.model_id, &summary.warnings);
    Ok(SpilledNight {
        summary,
        note,
        scores,
        exclusions,
        _spill: spilled,
    })
}
