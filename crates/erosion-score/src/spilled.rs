//! Raw-mode scoring of events too large to hold whole: the events spilled to ranges of
//! customer ids ([`erosion_io::spill`]), then each range scored as the whole input would be
//! (the same [`crate::run`] functions: consent and erasure exclusions, suppression, the
//! partition, features, the population's exclusions, scores, reasons and actions), its scores
//! and exclusions written to Parquet parts in the spill directory, and the parts concatenated
//! in range order into the staged outputs ([`crate::outputs::stage_parts`]). Ranges follow the
//! id order, so the outputs are in id order as the whole input's are, and equal them value for
//! value (byte for byte for CSV).

use crate::consent::{self, ConsentReport, Rules, SuppressList};
use crate::run::{
    exclusions_frame, for_people, internal, prepare_log, score as score_rows, scores_frame, Done,
    Failure, Frames, Options, Origin, Tally,
};
use erosion_bundle::Bundle;
use erosion_io::spill::{spill_events, SpillOptions};
use erosion_io::timing;
use std::path::Path;
use std::time::Instant;

/// A raw-mode input to spill.
pub(crate) struct Raw<'a> {
    /// Events file.
    pub(crate) events: &'a Path,
    /// Customers file.
    pub(crate) customers: &'a Path,
    /// Scoring moment (epoch ms, midnight UTC).
    pub(crate) as_of: i64,
    /// Where and in how many partitions.
    pub(crate) spill: &'a SpillOptions,
}

/// Scores a raw input range by range; the outputs are left as parts for [`crate::run`] to
/// stage and commit (the spill directory, parts included, is removed when this returns or
/// fails: the parts are staged before).
pub(crate) fn score(
    o: &Options,
    bundle: &Bundle,
    rules: &Rules,
    suppress: Option<&SuppressList>,
    raw: &Raw,
) -> Result<(Done, erosion_io::spill::SpilledEvents), Failure> {
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
    let warnings: Vec<String> = spilled
        .lookalikes
        .iter()
        .map(|l| format!("warning: {}: {l}", raw.events.display()))
        .collect();
    for w in &warnings {
        erosion_io::errln!("{w}");
    }
    let found = consent::in_event_counts(spilled.consent_events, &spilled.lookalikes);
    rules.require(&found, raw.events)?;
    let consent = ConsentReport {
        input: found.ok(),
        suppress: suppress.map(|s| s.count(&customers.ids)),
        handled_upstream: o.consent_handled_upstream,
    };
    let mut cfg = bundle.feature_config.clone().unwrap_or_default();
    cfg.observed_until = Some(cfg.observed_until_for(spilled.time_range));
    let round = for_people(&o.out);
    let mut tally = Tally::default();
    let (mut scores, mut exclusions) = (Vec::new(), Vec::new());
    for (p, part) in spilled.split_customers(customers).into_iter().enumerate() {
        let t = Instant::now();
        let log = spilled.load(p)?;
        let origin = Origin {
            path: raw.events,
            consent: consent.input.clone(),
            warnings: Vec::new(),
        };
        let prep = prepare_log(
            bundle,
            log,
            part,
            raw.as_of,
            rules,
            o.partition,
            &cfg,
            origin,
        )?;
        let s = score_rows(bundle, &prep)?;
        tally.add(Tally::of(bundle, &prep, &s)?);
        let path = spilled.dir().join(format!("scores-{p}.parquet"));
        let mut df = scores_frame(bundle, &prep, &s, round).map_err(internal)?;
        erosion_io::write_table(&path, &mut df)?;
        scores.push(path);
        let path = spilled.dir().join(format!("exclusions-{p}.parquet"));
        let mut df = exclusions_frame(&prep.ids, &prep.excluded).map_err(internal)?;
        erosion_io::write_table(&path, &mut df)?;
        exclusions.push(path);
        timing(
            format_args!("partition {p}: {} input customers", prep.ids.len()),
            t,
        );
    }
    let done = Done {
        tally,
        consent,
        warnings,
        frames: Frames::Parts { scores, exclusions },
    };
    Ok((done, spilled))
}
