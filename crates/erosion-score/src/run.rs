//! The scoring pipeline: inputs, exclusions, partition, features, model, outputs.

use crate::consent::{self, ConsentReport, Rules, SuppressList};
use crate::partition_of;
use crate::policy::{ActionPolicy, Messaged, Phrases};
use erosion_bundle::Bundle;
use erosion_core::time::{format_date, parse_date, DAY_MS};
use erosion_core::{Customers, Error, EventKind, EventLog, EventType};
use erosion_features::{catalogue, compute, Family};
use erosion_frame::Table;
use erosion_inference::{RawColumn, SourceGroups};
use erosion_io::polars::prelude::*;
use erosion_io::timing;
use rayon::prelude::*;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Where the customers come from.
#[derive(Debug, Clone)]
pub enum Source {
    /// Raw histories: events, customers, as-of date (`YYYY-MM-DD`).
    Raw {
        /// Events file.
        events: PathBuf,
        /// Customers file.
        customers: PathBuf,
        /// Scoring date.
        as_of: String,
    },
    /// A ready feature table, with an optional as-of date for tables without `cutoff`.
    Features {
        /// Feature table.
        path: PathBuf,
        /// As-of date when the table has no `cutoff` column.
        as_of: Option<String>,
    },
}

/// Everything a run needs.
#[derive(Debug, Clone)]
pub struct Options {
    /// Model bundle.
    pub model: PathBuf,
    /// Input.
    pub source: Source,
    /// Scores output.
    pub out: PathBuf,
    /// Exclusions output (default: beside `out`).
    pub exclusions: Option<PathBuf>,
    /// Ids not to score ([`consent::parse_suppress`]).
    pub suppress: Option<PathBuf>,
    /// `(I, N)`.
    pub partition: Option<(u32, u32)>,
    /// The input already leaves out every customer who objected: score input that carries no
    /// consent information (recorded with the scores).
    pub consent_handled_upstream: bool,
    /// Raw mode: the events whole in memory, or customers in ranges spilled to disk (the
    /// same outputs either way; see "Memory" in the crate docs).
    pub memory: erosion_io::spill::MemoryPlan,
}

/// Why a run failed: bad input (exit 2), the environment (exit 1: a file that cannot be
/// written, a full disk) or a bug (exit 1).
#[derive(Debug)]
pub enum Failure {
    /// Bad usage or input.
    Input(Error),
    /// The environment failed (writing an output); the error keeps the I/O error's message.
    Environment(Error),
    /// Internal error (for example the counts do not add up).
    Internal(String),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        if e.is_environment() {
            Failure::Environment(e)
        } else {
            Failure::Input(e)
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Input(e) | Failure::Environment(e) => {
                write!(f, "{e}")?;
                // the causes, as anyhow's `{:#}` prints them
                let mut cause = std::error::Error::source(e);
                while let Some(c) = cause {
                    write!(f, ": {c}")?;
                    cause = c.source();
                }
                Ok(())
            }
            Failure::Internal(m) => write!(f, "internal error: {m}"),
        }
    }
}

/// Its `Display` already prints the causes (as anyhow's `{:#}` would), so it names no source.
impl std::error::Error for Failure {}

/// What a run did.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// Input customers (customers file rows, or feature table rows).
    pub input: usize,
    /// Of them, in the partition.
    pub in_partition: usize,
    /// Scored.
    pub scored: usize,
    /// Excluded, per reason (sorted by reason).
    pub excluded: Vec<(&'static str, usize)>,
    /// Scored customers per band, from healthy to critical (bands with none included).
    pub bands: Counts,
    /// Scored customers per recommended action, most frequent first.
    pub actions: Counts,
    /// Where the exclusions went (`None` when scored in memory: [`score_loaded`]).
    pub exclusions_path: Option<PathBuf>,
    /// The manifest written last ([`crate::outputs`]): trust the outputs only when it is present
    /// and matches them (`None` when scored in memory).
    pub manifest_path: Option<PathBuf>,
    /// Where the consent decisions came from (also recorded with the scores).
    pub consent: ConsentReport,
    /// Warnings about the input (event types spelt almost like consent or other vocabulary
    /// types, a suppression list that matched no one); also recorded with the scores.
    pub warnings: Vec<String>,
}

impl Summary {
    /// Excluded in total.
    pub fn excluded_total(&self) -> usize {
        self.excluded.iter().map(|(_, n)| n).sum()
    }

    /// Adds the counts of another part of the same night (disjoint customers, scored under the
    /// same consent decision): reasons sorted and actions most frequent first, as [`run`] gives
    /// them; the suppression list's matches summed; warnings appended.
    pub(crate) fn add(&mut self, other: Summary) {
        fn merge(into: &mut Counts, from: Counts) {
            for (k, n) in from {
                count(into, k, n);
            }
        }
        self.input += other.input;
        self.in_partition += other.in_partition;
        self.scored += other.scored;
        merge(&mut self.excluded, other.excluded);
        self.excluded.sort();
        merge(&mut self.bands, other.bands);
        merge(&mut self.actions, other.actions);
        most_frequent_first(&mut self.actions);
        match (&mut self.consent.suppress, other.consent.suppress) {
            (Some(mine), Some(theirs)) => mine.matched += theirs.matched,
            (mine @ None, theirs) => *mine = theirs,
            (Some(_), None) => {}
        }
        self.warnings.extend(other.warnings);
    }
}

/// Rows ready for the model. Customers are named by their index in `ids` (each id is held
/// once, however many lists it is in).
struct Prepared {
    /// Every input customer's id, in input order.
    ids: Vec<String>,
    /// The customers to score, in `columns` order.
    scored: Vec<u32>,
    /// As-of date per scored row (days since 1970-01-01).
    as_of: Vec<Option<i64>>,
    /// Model inputs (raw columns) of the rows to score.
    columns: Vec<RawColumn>,
    /// Feature family by column name.
    families: HashMap<String, Family>,
    /// Excluded customers.
    excluded: Vec<(u32, &'static str)>,
    /// The input customers in the partition.
    in_partition: Vec<u32>,
    /// The input file models errors are reported against.
    path: PathBuf,
    /// The input's own consent information, if any.
    consent: Option<String>,
    /// Warnings about the input.
    warnings: Vec<String>,
}

fn internal(e: impl std::fmt::Display) -> Failure {
    Failure::Internal(e.to_string())
}

fn in_partition(id: &str, p: Option<(u32, u32)>) -> bool {
    p.is_none_or(|(i, n)| partition_of(id, n) == i)
}

/// The warnings about an events file's types spelt almost like a vocabulary type, each said
/// on stderr as it is made.
pub(crate) fn say_type_warnings(
    lookalikes: &[erosion_core::Lookalike],
    events: &Path,
) -> Vec<String> {
    let warnings: Vec<String> = lookalikes
        .iter()
        .map(|l| format!("warning: {}: {l}", events.display()))
        .collect();
    for w in &warnings {
        erosion_io::errln!("{w}");
    }
    warnings
}

/// An as-of date (`YYYY-MM-DD`) as epoch milliseconds at its midnight UTC, or the usage error
/// naming `--as-of`.
pub fn as_of_ms(s: &str) -> Result<i64, Error> {
    parse_date(s).ok_or_else(|| Error::usage(format!("--as-of {s:?} is not a date (YYYY-MM-DD)")))
}

/// An input already in memory, what [`score_loaded`] scores: [`run`] loads its files into one,
/// the Python package (`python/`) converts Arrow tables into one.
#[allow(clippy::large_enum_variant)] // one value per run, built once and moved into the run
pub enum Loaded {
    /// Raw histories, loaded by `erosion_io::load_events` / `load_customers` (or their
    /// `*_from_frame` twins, which check the same things).
    Raw {
        /// The events.
        events: EventLog,
        /// The input customers.
        customers: Customers,
        /// Scoring date (`YYYY-MM-DD`).
        as_of: String,
        /// What errors and warnings name as the events' file.
        name: PathBuf,
    },
    /// A ready feature table (its `path` is what errors name).
    Features {
        /// The table.
        table: Table,
        /// As-of date (`YYYY-MM-DD`) when the table has no `cutoff` column.
        as_of: Option<String>,
    },
}

/// Who is in scope and how consent is decided, whatever the input.
#[derive(Debug, Clone, Default)]
pub struct Scope<'a> {
    /// Ids not to score.
    pub suppress: Option<&'a SuppressList>,
    /// The input already leaves out every customer who objected (`--consent-handled-upstream`).
    pub consent_handled_upstream: bool,
    /// `(I, N)`: only the customers of partition I of N.
    pub partition: Option<(u32, u32)>,
    /// The whole input's consent information, when the input scored here is a part of it that
    /// was checked as a whole ([`consent::in_type_counts`]; a Spark partition may hold no consent
    /// event while the night's input does): it replaces the part's own in the refusal of input
    /// without consent information and in the run record. Every exclusion is still decided
    /// from the part's own events, which hold all of each of its customers' events.
    pub whole_input_consent: Option<String>,
}

impl Scope<'_> {
    /// The consent settings these customers are scored under.
    pub fn rules(&self) -> Rules<'_> {
        Rules {
            suppress: self.suppress,
            upstream: self.consent_handled_upstream,
        }
    }
}

/// A night scored in memory: the two tables [`run`] writes, its summary and its run record.
pub struct Night {
    /// The scores, ordered by customer id (columns in the crate docs).
    pub scores: DataFrame,
    /// The exclusions, `customer_id, reason`, ordered by customer id.
    pub exclusions: DataFrame,
    /// What the night did (no paths: nothing was written).
    pub summary: Summary,
    /// The run record (JSON) that goes with the scores under [`consent::RUN_NOTE_KEY`].
    pub note: String,
}

/// Runs the whole job; writes the outputs only when every check passed, as one commit under a
/// lock ([`crate::outputs`]).
pub fn run(o: &Options) -> Result<Summary, Failure> {
    let exclusions_path = o
        .exclusions
        .clone()
        .unwrap_or_else(|| default_exclusions(&o.out));
    for p in [&o.out, &exclusions_path] {
        let ext = erosion_io::extension_of(p);
        if !matches!(ext.as_str(), "csv" | "parquet" | "pq") {
            return Err(Error::UnknownExtension {
                path: p.clone(),
                ext: format!(".{ext}"),
            }
            .into());
        }
    }
    // Before any work: no output may be an input or another output, and no other run may be
    // writing these outputs.
    let manifest_path = crate::outputs::manifest_path(&o.out);
    let lock_path = crate::outputs::lock_path(&o.out);
    let sidecar = erosion_io::note_sidecar(&o.out);
    let mut outputs: Vec<(&str, &Path)> =
        vec![("--out", &o.out), ("--exclusions", &exclusions_path)];
    if !matches!(erosion_io::extension_of(&o.out).as_str(), "parquet" | "pq") {
        outputs.push(("the scores' run record", &sidecar));
    }
    outputs.push(("the manifest", &manifest_path));
    outputs.push(("the lock", &lock_path));
    let mut inputs: Vec<(&str, &Path)> = vec![("--model", &o.model)];
    match &o.source {
        Source::Raw {
            events, customers, ..
        } => {
            inputs.push(("--events", events));
            inputs.push(("--customers", customers));
        }
        Source::Features { path, .. } => inputs.push(("--features", path)),
    }
    if let Some(s) = &o.suppress {
        inputs.push(("--suppress", s));
    }
    erosion_io::refuse_overlap(&outputs, &inputs)?;
    let _lock = crate::outputs::Lock::acquire(&o.out)?;

    let t = Instant::now();
    let bundle = Bundle::read(&o.model)?;
    timing(format_args!("read bundle"), t);
    let id_col = bundle.id_column.as_deref().unwrap_or("customer_id");
    let suppress: Option<SuppressList> = o
        .suppress
        .as_deref()
        .map(|p| consent::read_suppress(p, id_col))
        .transpose()?;
    let scope = Scope {
        suppress: suppress.as_ref(),
        consent_handled_upstream: o.consent_handled_upstream,
        partition: o.partition,
        whole_input_consent: None,
    };
    if let Some(note) = cost_note(&bundle) {
        erosion_io::errln!("{note}");
    }
    // CSV is for people: probabilities to 4 decimals, trust scores to 1; Parquet keeps full
    // precision (the probabilities equal `erosion evaluate`'s bit for bit).
    let for_people = !matches!(erosion_io::extension_of(&o.out).as_str(), "parquet" | "pq");
    if let Source::Raw {
        events,
        customers,
        as_of,
    } = &o.source
    {
        if let Some(spill) = o.memory.spill(events, &o.out)? {
            let raw = crate::spilled::Raw {
                events,
                customers,
                as_of,
                spill: &spill,
            };
            // The parts are staged and committed before the spill, parts included, is removed.
            let night = crate::spilled::score(&bundle, &raw, &scope, for_people)?;
            let note = Some((consent::RUN_NOTE_KEY, night.note.as_str()));
            let mut staged = crate::outputs::stage_parts(
                "exclusions",
                &exclusions_path,
                &night.exclusions,
                None,
            )?;
            staged.extend(crate::outputs::stage_parts(
                "scores",
                &o.out,
                &night.scores,
                note,
            )?);
            crate::outputs::commit(&o.out, &bundle.model_id, staged)?;
            let mut summary = night.summary;
            summary.exclusions_path = Some(exclusions_path);
            summary.manifest_path = Some(manifest_path);
            return Ok(summary);
        }
    }
    let input = load(&o.source)?;
    let mut night = score_loaded(&bundle, input, &scope, for_people)?;
    night.summary.exclusions_path = Some(exclusions_path.clone());
    night.summary.manifest_path = Some(manifest_path);
    let t = Instant::now();
    let mut staged =
        crate::outputs::stage("exclusions", &exclusions_path, &mut night.exclusions, None)?;
    staged.extend(crate::outputs::stage(
        "scores",
        &o.out,
        &mut night.scores,
        Some((consent::RUN_NOTE_KEY, &night.note)),
    )?);
    crate::outputs::commit(&o.out, &bundle.model_id, staged)?;
    timing(format_args!("write outputs"), t);
    Ok(night.summary)
}

/// Loads a run's input files: the as-of date is checked first, then the customers and the
/// events (raw mode) or the feature table.
fn load(source: &Source) -> Result<Loaded, Failure> {
    let t = Instant::now();
    let loaded = match source {
        Source::Raw {
            events,
            customers,
            as_of,
        } => {
            as_of_ms(as_of)?;
            let customers = erosion_io::load_customers(customers, &Default::default())?;
            timing(format_args!("load customers"), t);
            Loaded::Raw {
                events: erosion_io::load_events(events, &Default::default())?,
                customers,
                as_of: as_of.clone(),
                name: events.clone(),
            }
        }
        Source::Features { path, as_of } => {
            if let Some(d) = as_of {
                as_of_ms(d)?;
            }
            let table = Table::read(path)?;
            timing(format_args!("read feature table"), t);
            Loaded::Features {
                table,
                as_of: as_of.clone(),
            }
        }
    };
    Ok(loaded)
}

/// Scores an input already in memory: consent exclusions, the partition, features (raw mode),
/// the model, reasons and actions, the counts check, and the two output tables (`for_people`:
/// probabilities rounded to 4 decimals and trust scores to 1, as in a CSV). Writes nothing;
/// [`run`] is this plus loading the files and one commit of the outputs, so a probability here
/// is `erosion-score`'s bit for bit. The caller says [`cost_note`] before, when it has one.
pub fn score_loaded(
    bundle: &Bundle,
    input: Loaded,
    scope: &Scope,
    for_people: bool,
) -> Result<Night, Failure> {
    let part = score_part(bundle, input, scope, for_people, TypeWarnings::Say)?;
    let mut summary = part.summary;
    night_warnings(bundle, &mut summary);
    let note = summary.consent.note(&bundle.model_id, &summary.warnings);
    Ok(Night {
        scores: part.scores,
        exclusions: part.exclusions,
        summary,
        note,
    })
}

/// Whether scoring a loaded log says the warnings about its event types (types spelt almost
/// like a vocabulary type), or leaves them to whoever read the whole input: a spilled run says
/// them once for the file, not once per range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TypeWarnings {
    Say,
    Said,
}

/// One scored input, before the warnings about a whole night ([`night_warnings`]): what
/// [`score_loaded`] returns once, and a spilled run once per range of customers.
pub(crate) struct Part {
    /// The scores, ordered by customer id.
    pub(crate) scores: DataFrame,
    /// The exclusions, ordered by customer id.
    pub(crate) exclusions: DataFrame,
    /// Its counts (checked), consent report and warnings about the input.
    pub(crate) summary: Summary,
}

/// [`score_loaded`] without the night's warnings: consent exclusions, the partition, features
/// (raw mode), the model, reasons and actions, the counts check and the two tables.
pub(crate) fn score_part(
    bundle: &Bundle,
    input: Loaded,
    scope: &Scope,
    for_people: bool,
    type_warnings: TypeWarnings,
) -> Result<Part, Failure> {
    let rules = scope.rules();
    let t = Instant::now();
    let prep = match input {
        Loaded::Raw {
            events,
            customers,
            as_of,
            name,
        } => prepare_raw(
            bundle,
            events,
            customers,
            &name,
            as_of_ms(&as_of)?,
            scope,
            type_warnings,
        )?,
        Loaded::Features { table, as_of } => {
            let as_of = as_of
                .as_deref()
                .map(|s| as_of_ms(s).map(|ms| ms.div_euclid(DAY_MS)))
                .transpose()?;
            prepare_table(table, bundle, as_of, &rules, scope)?
        }
    };
    timing(format_args!("prepare inputs"), t);
    let t = Instant::now();
    let scores = score(bundle, &prep)?;
    timing(format_args!("score"), t);
    let t = Instant::now();
    let summary = summarise(&prep, &scores, bundle, scope)?;
    timing(format_args!("check counts"), t);
    let t = Instant::now();
    let scores = scores_frame(bundle, &prep, &scores, for_people).map_err(internal)?;
    let exclusions = exclusions_frame(&prep.ids, &prep.excluded).map_err(internal)?;
    timing(format_args!("output frames"), t);
    Ok(Part {
        scores,
        exclusions,
        summary,
    })
}

/// The warnings about a whole night, added to its summary: consent decided by the suppression
/// list or upstream only, and an action threshold whose promised share the scores no longer
/// keep (said on stderr as it is found).
pub(crate) fn night_warnings(bundle: &Bundle, summary: &mut Summary) {
    summary.warnings.extend(summary.consent.warning());
    if let Some(w) = capacity_warning(&bundle.model.thresholds, &summary.bands) {
        erosion_io::errln!("{w}");
        summary.warnings.push(w);
    }
}

/// The summary of a scored input, after the invariant is checked: every customer of the
/// partition in exactly one output (ids are unique, so a customer is an index).
fn summarise(
    prep: &Prepared,
    scores: &Scores,
    bundle: &Bundle,
    scope: &Scope,
) -> Result<Summary, Failure> {
    let mut seen: Vec<u32> = prep
        .scored
        .iter()
        .copied()
        .chain(prep.excluded.iter().map(|&(c, _)| c))
        .collect();
    seen.par_sort_unstable();
    let mut expected = prep.in_partition.clone();
    expected.par_sort_unstable();
    let mut by_reason: Vec<(&'static str, usize)> = Vec::new();
    for &(_, r) in &prep.excluded {
        count(&mut by_reason, r, 1);
    }
    by_reason.sort();
    let consent = ConsentReport {
        input: prep.consent.clone(),
        suppress: scope.suppress.map(|s| s.count(&prep.ids)),
        handled_upstream: scope.consent_handled_upstream,
    };
    let (bands, actions) = band_and_action_counts(bundle, scores);
    let summary = Summary {
        input: prep.ids.len(),
        in_partition: prep.in_partition.len(),
        scored: prep.scored.len(),
        excluded: by_reason,
        bands,
        actions,
        exclusions_path: None,
        manifest_path: None,
        consent,
        warnings: prep.warnings.clone(),
    };
    if seen != expected {
        return Err(Failure::Internal(format!(
            "the counts do not add up: {} customers in the partition, {} scored + {} excluded = {}; nothing written",
            summary.in_partition,
            summary.scored,
            summary.excluded_total(),
            seen.len()
        )));
    }
    Ok(summary)
}

/// Explaining one customer takes more than this many steps ([`erosion_inference::Model::explain_steps`])
/// before [`cost_note`] warns: about 30 times the demo's GBDT (884 trees of 15 nodes).
const COSTLY_STEPS: f64 = 1e6;

/// A warning for models whose exact reasons are slow to compute per customer (a forest grown on
/// a large table can hold millions of nodes), printed before the work starts so that an
/// unattended night's log says why it took long.
pub fn cost_note(bundle: &Bundle) -> Option<String> {
    let steps = bundle.model.model.explain_steps();
    (steps > COSTLY_STEPS).then(|| {
        format!(
            "note: this {} model takes about {steps:.1e} steps to explain each customer (exact TreeSHAP \
             visits every tree node; the demo's GBDT takes about 3e4), so scoring many customers will \
             be slow. For nightly scoring at scale prefer `erosion train --family gbdt`.",
            bundle.model.kind
        )
    })
}

/// `scores.csv` → `scores.exclusions.csv`.
pub fn default_exclusions(out: &Path) -> PathBuf {
    let stem = out
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "scores".into());
    let ext = out
        .extension()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "csv".into());
    out.with_file_name(format!("{stem}.exclusions.{ext}"))
}

/// Per log customer: `Some(reason)` when consent at `as_of` or a deletion request anywhere in
/// the data (before or after `as_of`: erasure is not only forward) excludes them.
fn consent_exclusions(log: &EventLog, as_of: i64) -> Vec<Option<&'static str>> {
    let n = log.customer_ids.len();
    let mut latest: Vec<Option<(i64, usize, EventType)>> = vec![None; n];
    let mut deleted = vec![false; n];
    for e in 0..log.len() {
        let ts = log.timestamp[e];
        let c = log.customer[e] as usize;
        if log.kind[e] == EventKind::Known(EventType::DataDeletionRequest) {
            deleted[c] = true;
        }
        if ts >= as_of {
            continue;
        }
        match log.kind[e] {
            EventKind::Known(
                t @ (EventType::OptIn | EventType::OptOut | EventType::ConsentWithdrawn),
            ) if latest[c].is_none_or(|(lt, le, _)| (ts, e) > (lt, le)) => {
                latest[c] = Some((ts, e, t));
            }
            _ => {}
        }
    }
    (0..n)
        .map(|c| {
            if deleted[c] {
                Some("deletion_request")
            } else {
                match latest[c] {
                    Some((_, _, EventType::OptOut)) => Some("opted_out"),
                    Some((_, _, EventType::ConsentWithdrawn)) => Some("consent_withdrawn"),
                    _ => None,
                }
            }
        })
        .collect()
}

/// The events of the customers `keep` marks, with the same interning tables (so the features,
/// custom types included, are exactly those of the whole log). Compacts the columns in place:
/// at a million customers the log is the largest thing in memory, and a filtered copy beside
/// it would double the peak.
fn filter_log(mut log: EventLog, keep: &[bool]) -> EventLog {
    let kept: Vec<bool> = log.customer.iter().map(|&c| keep[c as usize]).collect();
    fn compact<T: Copy>(v: &mut Vec<T>, kept: &[bool]) {
        let mut w = 0;
        for r in 0..v.len() {
            if kept[r] {
                v[w] = v[r];
                w += 1;
            }
        }
        v.truncate(w);
    }
    compact(&mut log.customer, &kept);
    compact(&mut log.timestamp, &kept);
    compact(&mut log.kind, &kept);
    compact(&mut log.value, &kept);
    compact(&mut log.channel, &kept);
    compact(&mut log.personalized, &kept);
    log
}

fn prepare_raw(
    bundle: &Bundle,
    log: EventLog,
    customers_t: Customers,
    events: &Path,
    as_of: i64,
    scope: &Scope,
    type_warnings: TypeWarnings,
) -> Result<Prepared, Failure> {
    let partition = scope.partition;
    let rules = scope.rules();
    // Before any work: near misses of the vocabulary, then the refusal of a log without consent.
    let warnings = match type_warnings {
        TypeWarnings::Say => say_type_warnings(&log.lookalike_types(), events),
        TypeWarnings::Said => Vec::new(),
    };
    let found = match &scope.whole_input_consent {
        Some(whole) => Ok(whole.clone()),
        None => consent::in_events(&log),
    };
    rules.require(&found, events)?;
    let t = Instant::now();
    let consent = consent_exclusions(&log, as_of);
    let index: HashMap<&str, usize> = log
        .customer_ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    let mut keep = vec![false; log.customer_ids.len()];
    let mut excluded = Vec::new();
    let mut in_part = Vec::new();
    let mut to_score: Vec<u32> = Vec::new();
    for (c, id) in customers_t.ids.iter().enumerate() {
        if !in_partition(id, partition) {
            continue;
        }
        let c = c as u32;
        in_part.push(c);
        let li = index.get(id.as_str()).copied();
        let reason = li
            .and_then(|i| consent[i])
            .or_else(|| rules.suppressed(id).then_some("suppressed"));
        match (reason, li) {
            (Some(r), _) => excluded.push((c, r)),
            (None, None) => excluded.push((c, "no_activity")),
            (None, Some(i)) => {
                keep[i] = true;
                to_score.push(c);
            }
        }
    }
    let custom = log.custom_types.clone();
    let log = filter_log(log, &keep);
    timing(format_args!("consent, partition, filter the log"), t);
    // The bundle's own configuration (windows, population rule), never a default, so that the
    // features are those the model was trained on.
    let cfg = bundle.feature_config.clone().unwrap_or_default();
    let table = compute(&log, Some(&customers_t), &[as_of], &cfg);
    let left_out: HashMap<String, &'static str> = table
        .left_out
        .iter()
        .map(|r| {
            (
                log.customer_ids[r.customer as usize].clone(),
                r.reason.as_str(),
            )
        })
        .collect();
    drop(log);
    let t = Instant::now();
    let row_of: HashMap<&str, u32> = customers_t
        .ids
        .iter()
        .enumerate()
        .map(|(c, id)| (id.as_str(), c as u32))
        .collect();
    let scored: Vec<u32> = table
        .customer_id
        .iter()
        .map(|id| {
            row_of
                .get(id.as_str())
                .copied()
                .ok_or_else(|| internal(format!("features for {id}, who is not an input customer")))
        })
        .collect::<Result<_, _>>()?;
    let has_features: HashSet<u32> = scored.iter().copied().collect();
    for &c in &to_score {
        if !has_features.contains(&c) {
            let id = customers_t.ids[c as usize].as_str();
            excluded.push((c, left_out.get(id).copied().unwrap_or("no_activity")));
        }
    }
    drop(left_out);
    let families = catalogue(&cfg, &custom)
        .into_iter()
        .map(|d| (d.name, d.family))
        .collect();
    // Exactly the frame `erosion features` writes and `erosion evaluate` reads back, turned
    // into model inputs by the same code: one path, so the probabilities agree bit for bit.
    let frame = Table::from_frame(events, erosion_frame::feature_frame(&table));
    let columns = frame.raw_columns(&bundle.excluded)?;
    timing(format_args!("ids, model input columns"), t);
    drop(row_of);
    Ok(Prepared {
        as_of: vec![Some(as_of.div_euclid(DAY_MS)); table.len()],
        ids: customers_t.ids,
        scored,
        columns,
        families,
        excluded,
        in_partition: in_part,
        path: events.to_path_buf(),
        consent: found.ok(),
        warnings,
    })
}

fn prepare_table(
    table: Table,
    bundle: &Bundle,
    as_of: Option<i64>,
    rules: &Rules,
    scope: &Scope,
) -> Result<Prepared, Failure> {
    let partition = scope.partition;
    let path = table.path.as_path();
    let found = match &scope.whole_input_consent {
        Some(whole) => Ok(whole.clone()),
        None => consent::in_columns(|c| table.has(c)),
    };
    rules.require(&found, path)?;
    let t = Instant::now();
    let id_col = bundle.id_column.as_deref().unwrap_or("customer_id");
    let raw_ids = table.strings(id_col)?;
    let mut ids = Vec::with_capacity(raw_ids.len());
    for (row, v) in raw_ids.into_iter().enumerate() {
        match v.filter(|s| !s.trim().is_empty()) {
            Some(id) => ids.push(id),
            None => {
                return Err(Error::BadValue {
                    path: path.to_path_buf(),
                    column: id_col.to_string(),
                    row: row + 1,
                    value: String::new(),
                    expected: "a customer id".into(),
                }
                .into())
            }
        }
    }
    let mut first: HashMap<&str, usize> = HashMap::with_capacity(ids.len());
    for (row, id) in ids.iter().enumerate() {
        let id = id.as_str();
        if let Some(&f) = first.get(id) {
            return Err(Error::DuplicateCustomer {
                path: path.to_path_buf(),
                column: id_col.to_string(),
                row: row + 1,
                id: id.to_string(),
                first_row: f + 1,
            }
            .into());
        }
        first.insert(id, row);
    }
    drop(first);
    let cutoffs: Option<Vec<i64>> = table.cutoffs()?;
    let withdrawn = table.flags("consent_withdrawn")?;
    let opted_out = table.flags("consent_opted_out")?;
    let mut mask = Vec::with_capacity(ids.len());
    let mut excluded = Vec::new();
    let mut in_part = Vec::new();
    let mut scored = Vec::new();
    let mut scored_as_of = Vec::new();
    for (row, id) in ids.iter().enumerate() {
        let c = row as u32;
        let inside = in_partition(id, partition);
        let flag = |c: &Option<Vec<bool>>| c.as_ref().is_some_and(|v| v[row]);
        let reason = if !inside {
            None
        } else if flag(&withdrawn) {
            Some("consent_withdrawn")
        } else if flag(&opted_out) {
            Some("opted_out")
        } else if rules.suppressed(id) {
            Some("suppressed")
        } else {
            None
        };
        if inside {
            in_part.push(c);
        }
        if let Some(r) = reason {
            excluded.push((c, r));
        }
        let score = inside && reason.is_none();
        if score {
            scored.push(c);
            scored_as_of.push(match &cutoffs {
                Some(days) => Some(days[row]),
                None => as_of,
            });
        }
        mask.push(score);
    }
    timing(format_args!("ids, consent, partition"), t);
    let t = Instant::now();
    let columns = table.raw_columns_where(&bundle.excluded, Some(&mask))?;
    timing(format_args!("model input columns"), t);
    let cfg = bundle.feature_config.clone().unwrap_or_default();
    let mut families: HashMap<String, Family> = catalogue(&cfg, &[])
        .into_iter()
        .map(|d| (d.name, d.family))
        .collect();
    for c in &columns {
        if c.name.starts_with("custom_") && !families.contains_key(&c.name) {
            families.insert(c.name.clone(), Family::Custom);
        }
    }
    Ok(Prepared {
        ids,
        scored,
        as_of: scored_as_of,
        columns,
        families,
        excluded,
        in_partition: in_part,
        path: path.to_path_buf(),
        consent: found.ok(),
        warnings: Vec::new(),
    })
}

/// Reasons shown per customer.
const REASONS: usize = 3;
/// Candidates looked at beyond [`REASONS`], for phrases skipped because their value is missing.
const SPARE: usize = 3;

/// One customer's reasons in words and their signed contributions (same order).
#[derive(Default)]
struct Reasons {
    text: [Option<String>; REASONS],
    weights: Vec<f64>,
}

impl Reasons {
    /// `+2.6412;+0.4100;-0.0031`, or `None` when there is no reason.
    fn weights(&self) -> Option<String> {
        (!self.weights.is_empty()).then(|| {
            self.weights
                .iter()
                .map(|w| format!("{w:+.4}"))
                .collect::<Vec<_>>()
                .join(";")
        })
    }
}

struct Scores {
    p: Vec<f64>,
    reasons: Vec<Reasons>,
    actions: Vec<&'static str>,
}

/// A count per named outcome (band, action, exclusion reason).
pub type Counts = Vec<(&'static str, usize)>;

/// When the model's action threshold was set to flag a share of customers (`--capacity`) and
/// tonight it flags a share that chance alone would not give (beyond three binomial standard
/// errors, with at least 100 scored), says so and why: the scores have moved since training.
fn capacity_warning(thresholds: &erosion_inference::Thresholds, bands: &Counts) -> Option<String> {
    let erosion_inference::ThresholdRule::Capacity { fraction } = thresholds.rule else {
        return None;
    };
    let n: usize = bands.iter().map(|(_, k)| k).sum();
    let flagged = bands
        .iter()
        .find(|(b, _)| *b == "critical")
        .map_or(0, |b| b.1);
    if n < 100 {
        return None;
    }
    let share = flagged as f64 / n as f64;
    let se = (fraction * (1.0 - fraction) / n as f64).sqrt();
    if (share - fraction).abs() <= 3.0 * se {
        return None;
    }
    Some(format!(
        "warning: the action threshold (p >= {:.4}) flags {:.1} % of the {n} scored customers; \
         it was set to flag {:.1} % on validation ({:.1} to {:.1} % expected by chance here). \
         Tonight's scores have moved from the training data's (another population, or drift): \
         retrain on recent cutoffs, or act on the top {:.1} % by probability",
        thresholds.action.probability,
        100.0 * share,
        100.0 * fraction,
        100.0 * (fraction - 3.0 * se).max(0.0),
        100.0 * (fraction + 3.0 * se),
        100.0 * fraction,
    ))
}

/// Adds `n` to `key`'s count, appending the key when it is new (counts keep the order keys
/// first came in).
fn count(counts: &mut Counts, key: &'static str, n: usize) {
    match counts.iter_mut().find(|(q, _)| *q == key) {
        Some(e) => e.1 += n,
        None => counts.push((key, n)),
    }
}

/// Actions as the summary lists them: most frequent first, ties by name.
fn most_frequent_first(actions: &mut Counts) {
    actions.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
}

/// How many scored customers landed in each band and each action.
fn band_and_action_counts(bundle: &Bundle, s: &Scores) -> (Counts, Counts) {
    use erosion_inference::Band;
    let mut bands: Counts = [Band::Healthy, Band::Watch, Band::AtRisk, Band::Critical]
        .iter()
        .map(|b| (b.as_str(), 0))
        .collect();
    for &p in &s.p {
        let b = bundle.model.band(p).as_str();
        if let Some(e) = bands.iter_mut().find(|(q, _)| *q == b) {
            e.1 += 1;
        }
    }
    let mut actions: Counts = Vec::new();
    for &a in &s.actions {
        count(&mut actions, a, 1);
    }
    most_frequent_first(&mut actions);
    (bands, actions)
}

fn score(bundle: &Bundle, prep: &Prepared) -> Result<Scores, Failure> {
    if prep.scored.is_empty() {
        return Ok(Scores {
            p: Vec::new(),
            reasons: Vec::new(),
            actions: Vec::new(),
        });
    }
    let model_err = |e: erosion_inference::ModelError| {
        Failure::Input(Error::Usage(format!("{}: {e}", prep.path.display())))
    };
    let m = &bundle.model;
    let t = Instant::now();
    let x = m.encode(&prep.columns).map_err(model_err)?;
    timing(format_args!("encode"), t);
    let t = Instant::now();
    let policy = ActionPolicy::default();
    let groups = SourceGroups::of(&m.features);
    let phrases = Phrases::new(&groups.names, &prep.columns);
    let messaged = Messaged::new(&prep.columns);
    let family: Vec<Option<Family>> = groups
        .names
        .iter()
        .map(|n| prep.families.get(n).copied())
        .collect();
    let width = m.features.len();
    // One pass per block of rows: probabilities and contributions, then the reasons and the
    // action of each row, without holding every row's contributions at once.
    let blocks = m
        .score_blocks(&x, |start, p, values| {
            let mut flipped = vec![0.0; width];
            p.iter()
                .enumerate()
                .map(|(r, &pi)| {
                    let row = &values[r * width..(r + 1) * width];
                    let band = m.band(pi);
                    // Healthy customers: what protects them (the largest contributions that
                    // lower the risk); the others: what raises it. A few more candidates than
                    // shown, for phrases skipped because their value is missing.
                    let candidates = if band == erosion_inference::Band::Healthy {
                        for (f, v) in flipped.iter_mut().zip(row) {
                            *f = -v;
                        }
                        groups
                            .top(&flipped, REASONS + SPARE)
                            .into_iter()
                            .map(|(g, c)| (g, -c))
                            .collect()
                    } else {
                        groups.top(row, REASONS + SPARE)
                    };
                    let mut reasons = Reasons::default();
                    let mut shown: Vec<(&str, Option<Family>)> = Vec::with_capacity(REASONS);
                    for (g, c) in candidates {
                        if shown.len() == REASONS {
                            break;
                        }
                        if let Some(text) = phrases.describe(g, c, start + r) {
                            reasons.text[shown.len()] = Some(text);
                            reasons.weights.push(c);
                            shown.push((groups.names[g].as_str(), family[g]));
                        }
                    }
                    let action = policy.choose(band, &shown, messaged.at(start + r));
                    (pi, reasons, action)
                })
                .collect::<Vec<_>>()
        })
        .map_err(model_err)?;
    drop(x);
    let n = prep.scored.len();
    let mut s = Scores {
        p: Vec::with_capacity(n),
        reasons: Vec::with_capacity(n),
        actions: Vec::with_capacity(n),
    };
    for (p, r, a) in blocks.into_iter().flatten() {
        s.p.push(p);
        s.reasons.push(r);
        s.actions.push(a);
    }
    timing(format_args!("probabilities, reasons and actions"), t);
    Ok(s)
}

/// Rounds `x` to `decimals` when `round` (the CSV output), else keeps it whole.
fn rounded(x: f64, decimals: i32, round: bool) -> f64 {
    if round {
        let k = 10f64.powi(decimals);
        (x * k).round() / k
    } else {
        x
    }
}

/// The scores as written: `round` (CSV) writes probabilities to 4 decimals and trust scores
/// to 1; bands and actions always come from the full-precision probability.
fn scores_frame(
    bundle: &Bundle,
    prep: &Prepared,
    s: &Scores,
    round: bool,
) -> PolarsResult<DataFrame> {
    // ids are unique, so an unstable sort is deterministic
    let id = |i: usize| prep.ids[prep.scored[i] as usize].as_str();
    let mut order: Vec<usize> = (0..prep.scored.len()).collect();
    order.par_sort_unstable_by(|&a, &b| id(a).cmp(id(b)));
    // each distinct as-of date written once
    let mut days: Vec<i64> = prep.as_of.iter().flatten().copied().collect();
    days.sort_unstable();
    days.dedup();
    let labels: HashMap<i64, String> = days
        .into_iter()
        .map(|d| (d, format_date(d * DAY_MS)))
        .collect();
    let m = &bundle.model;
    fn strs<'a>(
        order: &[usize],
        name: &str,
        f: impl Fn(usize) -> Option<&'a str> + Sync,
    ) -> Column {
        Column::new(
            name.into(),
            order
                .par_iter()
                .map(|&i| f(i))
                .collect::<Vec<Option<&str>>>(),
        )
    }
    fn nums(order: &[usize], name: &str, f: impl Fn(usize) -> f64 + Sync) -> Column {
        Column::new(
            name.into(),
            order.par_iter().map(|&i| f(i)).collect::<Vec<f64>>(),
        )
    }
    let columns = vec![
        strs(&order, "customer_id", |i| Some(id(i))),
        strs(&order, "as_of", |i| {
            prep.as_of[i]
                .and_then(|d| labels.get(&d))
                .map(String::as_str)
        }),
        nums(&order, "erosion_probability", |i| rounded(s.p[i], 4, round)),
        nums(&order, "trust_score", |i| {
            rounded(m.trust_score(s.p[i]), 1, round)
        }),
        strs(&order, "band", |i| Some(m.band(s.p[i]).as_str())),
        strs(&order, "reason_1", |i| s.reasons[i].text[0].as_deref()),
        strs(&order, "reason_2", |i| s.reasons[i].text[1].as_deref()),
        strs(&order, "reason_3", |i| s.reasons[i].text[2].as_deref()),
        strs(&order, "recommended_action", |i| Some(s.actions[i])),
        strs(&order, "model_id", |_| Some(bundle.model_id.as_str())),
        Column::new(
            "reason_weights".into(),
            order
                .par_iter()
                .map(|&i| s.reasons[i].weights())
                .collect::<Vec<Option<String>>>(),
        ),
    ];
    DataFrame::new(order.len(), columns)
}

fn exclusions_frame(ids: &[String], excluded: &[(u32, &'static str)]) -> PolarsResult<DataFrame> {
    let mut rows: Vec<(&str, &'static str)> = excluded
        .iter()
        .map(|&(c, r)| (ids[c as usize].as_str(), r))
        .collect();
    rows.par_sort_unstable();
    DataFrame::new(
        rows.len(),
        vec![
            Column::new(
                "customer_id".into(),
                rows.iter().map(|r| r.0).collect::<Vec<&str>>(),
            ),
            Column::new(
                "reason".into(),
                rows.iter().map(|r| r.1).collect::<Vec<&str>>(),
            ),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use erosion_inference::{Bands, OperatingPoint, ThresholdRule, Thresholds};

    fn thresholds(rule: ThresholdRule) -> Thresholds {
        Thresholds {
            rule,
            action: OperatingPoint {
                probability: 0.393,
                flagged_share: 0.1,
                precision: 0.5,
                recall: 0.2,
                f1: 0.28,
            },
            bands: Bands {
                watch: 80.0,
                at_risk: 70.0,
                critical: 60.7,
            },
        }
    }

    fn bands(critical: usize, others: usize) -> Counts {
        vec![
            ("healthy", others),
            ("watch", 0),
            ("at_risk", 0),
            ("critical", critical),
        ]
    }

    #[test]
    fn a_capacity_the_scores_no_longer_keep_is_named() {
        let cap = thresholds(ThresholdRule::Capacity { fraction: 0.1 });
        // 10.5 % of 2,000: within chance (3 standard errors are 2 points)
        assert_eq!(capacity_warning(&cap, &bands(210, 1790)), None);
        // 25 % of 2,000: the promise is not kept, and the warning says so and why
        let w = capacity_warning(&cap, &bands(500, 1500)).expect("a warning");
        for needle in [
            "flags 25.0 %",
            "2000 scored",
            "10.0 % on validation",
            "moved",
        ] {
            assert!(w.contains(needle), "{needle}: {w}");
        }
        // too few to tell, or a rule that promises no share: nothing to say
        assert_eq!(capacity_warning(&cap, &bands(25, 25)), None);
        let f1 = thresholds(ThresholdRule::BestF1);
        assert_eq!(capacity_warning(&f1, &bands(500, 1500)), None);
    }
}
