//! `erosion-score`: the nightly job that scores every customer with a model bundle written by
//! `erosion train`.
//!
//! # Inputs
//! - **Raw histories** (`--events F --customers F --as-of DATE`): the features are computed with
//!   `erosion_features::compute` and the bundle's own [`erosion_features::FeatureConfig`] (the
//!   windows and population rule of the `erosion features` run that made its training table;
//!   the default only for bundles trained on a user's own table), the very same code and
//!   settings as `erosion features`, at the single cutoff `as_of` (midnight UTC; events
//!   strictly before it count). The input customers are the rows of the customers file.
//! - **A feature table** (`--features F`): one row per customer; the input customers are its
//!   rows. The id column is the bundle's id column (default `customer_id`); `as_of` is the row's
//!   `cutoff` when the table has one, otherwise `--as-of`, otherwise empty.
//!
//! Either way the table becomes model inputs exactly as in `erosion train` / `erosion evaluate`
//! (every column but the bundle's excluded ones; numbers and booleans as numbers, text as
//! text; dates are not inputs), so a probability here equals `erosion evaluate`'s bit for bit.
//!
//! # Who is not scored (`--exclusions F`, columns `customer_id, reason`)
//! In this order, the first that applies:
//! - `deletion_request`: a `data_deletion_request` event anywhere in the data, before or after
//!   as-of (erasure is not only forward; only the id is written);
//! - `consent_withdrawn` / `opted_out`: the latest `opt_in`/`opt_out`/`consent_withdrawn` event
//!   before as-of is a withdrawal / an opt-out, the types matched regardless of case and
//!   separators (`OPT_OUT`, `opt-out`, `Opt Out`; [`erosion_core::EventType::parse`]). In
//!   features mode: the table's `consent_withdrawn` / `consent_opted_out` column is set, read by
//!   meaning whatever the format (`erosion_frame::Table::flags`: `1`, `1.0`, `true`, `yes` set;
//!   `0`, `false`, `no`, blank or null not set; any other value stops the run, exit 2, naming
//!   file, column and row), so a CSV and a Parquet of one table exclude the same customers;
//! - `suppressed`: the id is in `--suppress FILE` ([`consent::parse_suppress`]: one id a line, or
//!   the first field of `id,reason` lines; double quotes, a UTF-8 byte-order mark, CRLF, a header
//!   line `customer_id`/`id`/the bundle's id column, blank lines and `#` comments are fine);
//! - raw mode, customers outside the population ([`erosion_features::membership`], the rule
//!   `erosion features` applies): `cancelled` (a `cancel` before as-of that no purchase or visit
//!   followed), `lapsed` (no purchase or visit in the bundle's `active_within_days` before
//!   as-of), `no_activity` (none ever, or no event at all). A feature table made by
//!   `erosion features` holds population rows only, so features mode needs no such rule.
//!
//! # Consent information
//! An input must be able to say that a customer objected: raw histories with at least one
//! `opt_in`, `opt_out` or `consent_withdrawn` event, a feature table with a `consent_opted_out`
//! or `consent_withdrawn` column, or a `--suppress` list. Without any, the run is refused
//! (exit 2, before any work, with what to do) unless it passes `--consent-handled-upstream`
//! (the input already leaves out everyone who objected). Event types spelt almost like a
//! vocabulary type (`optout`, `opt_outt`; [`erosion_core::EventType::resembling`]) are counted
//! as custom types and reported as warnings with their count (and named in the refusal when
//! they look like consent types). stderr says where the consent decisions came from and how
//! many of the suppression list's ids are input customers (a warning when none is), even with
//! `--quiet`; the scores carry the same as a run record (JSON under
//! [`consent::RUN_NOTE_KEY`] in the Parquet key-value metadata, or in `<scores>.erosion.json`
//! beside a CSV): the input's consent information, the list's file, ids and matches,
//! `handled_upstream`, and the warnings.
//!
//! Every input customer of the partition is in exactly one of the two outputs; the command
//! prints the counts and fails (exit 1, nothing written) if they do not add up. Without
//! `--exclusions`, exclusions go to `<out stem>.exclusions.<ext>` beside `--out`.
//!
//! # Cost
//! Every scored customer gets exact TreeSHAP reasons, whose cost grows with the model's tree
//! nodes: the demo's GBDT (884 trees of 15 nodes) scores a million customers in seconds; the
//! default 300-tree forest grown on 250,000 rows (260,000 nodes) takes about 3 ms per customer.
//! [`run::cost_note`] warns on stderr before the work starts when a model is that costly.
//!
//! # Output (`--out F`, CSV or Parquet by extension), ordered by customer id
//! `customer_id, as_of, erosion_probability, trust_score, band, reason_1, reason_2, reason_3,
//! recommended_action, model_id, reason_weights` (this order; new columns are added at the end):
//! - `erosion_probability`: the bundle's calibrated probability; in a CSV rounded to 4 decimals,
//!   in Parquet in full precision (equal to `erosion evaluate`'s bit for bit);
//! - `trust_score` = 100 × (1 − probability), so 0 to 100 and higher is more trust; in a CSV
//!   rounded to 1 decimal, in Parquet in full precision;
//! - `band`: `healthy`, `watch`, `at_risk` or `critical` from the bundle's band edges (always
//!   from the full-precision probability);
//! - `reason_1..3`, for people: for a customer in `watch`, `at_risk` or `critical`, the source
//!   columns that raised the risk most; for a `healthy` customer, those that lowered it most
//!   (what protects them). Each is a plain phrase with a rounded value in its unit and the
//!   direction, for example `no purchase or visit for 529 days (raises risk)`,
//!   `opens 45 % of emails (30 days) (lowers risk)`, `no NPS answer yet (raises risk)`
//!   ([`policy::PHRASES`] holds every phrase; columns it does not know read as their name in
//!   words with the value to 3 significant digits). A column whose value is missing where
//!   missing says nothing a person can use (an open-rate change with no email in either window)
//!   is skipped and the next one taken. Empty when fewer contribute;
//! - `recommended_action`: [`policy::ActionPolicy`] (default table and rule in its docs)
//!   applied to the band and the families (from `erosion_features::catalogue`) of the reasons:
//!   `reason_1`'s action when it applies to the customer (no
//!   `reduce_personalization_frequency` for a customer sent no email or no personalised touch
//!   in the shortest window), else the next reason's, else `none`;
//! - `reason_weights`, for analysts: the signed contributions of `reason_1..3` on the model's
//!   raw scale (log-odds for logistic regression and GBDT, probability for the forest),
//!   `;`-separated in the reasons' order with 4 decimals (`+2.6412;+0.4100;+0.1021`; negative
//!   for a healthy customer's protective reasons); empty when there is no reason.
//!
//! The summary counts the scored customers per band and per action. `critical` is the bundle's
//! action threshold, a fixed probability: when the model was trained to flag a share
//! (`--capacity`) and tonight's share differs from it by more than three binomial standard
//! errors (100 or more scored), a warning says so and why (the scores moved since training) and
//! is recorded with the scores; the threshold itself is not moved.
//!
//! # Partitions (`--partition I/N`)
//! A customer belongs to partition `fnv1a64(id bytes) % N` ([`partition_of`]: 64-bit FNV-1a,
//! offset basis 0xcbf29ce484222325, prime 0x100000001b3), applied before any feature is computed,
//! so the N partitions are disjoint and together are the whole, on any machine.
//!
//! # In memory ([`run::score_loaded`]: the Python package, Spark)
//! [`run::run`] loads the files, calls [`run::score_loaded`] and commits what it returns; the
//! Python package (`python/`) calls `score_loaded` on Arrow tables converted by the loaders' own
//! code, so every rule above holds there unchanged. The one rule about a whole night, the
//! refusal of input without consent information, is decided on the part given unless the caller
//! checked the whole night first ([`consent::in_type_counts`] over the counts of its event
//! types) and passes the result as [`run::Scope::whole_input_consent`]: a Spark bucket may hold
//! no consent event while the night does. Every exclusion of a customer depends on that
//! customer's own events only, so a part that holds all of each of its customers' events
//! excludes exactly whom the whole run would.
//!
//! # Memory (raw mode: `--memory-budget`, `--spill-partitions`, `--spill-dir`)
//! Events whose estimated peak (48 bytes an event) fits `--memory-budget` (default 4 GiB) are
//! held whole. Larger ones, or any with `--spill-partitions N` (N >= 2), are spilled
//! ([`erosion_io::spill`]): read twice a batch at a time in any row order, cut into N ranges of
//! customer ids, each range's events written compressed to a hidden directory beside `--out`
//! (or in `--spill-dir`); the night's consent information is decided from the whole file's
//! event type counts, as for a Spark bucket above; then each range is scored by the very
//! function [`run::score_loaded`] runs (consent, erasure and suppression exclusions, the
//! partition, the bundle's features, the population, scores, reasons, actions), as a part of
//! that checked whole, its scores and exclusions written as parts beside the spill, and
//! the parts concatenated in id order into the staged outputs. The outputs, the run record and
//! the summary are the in-memory run's, value for value (CSV byte for byte); the spill is
//! removed on success and on failure.
//!
//! # Safety: one commit of a night's outputs ([`outputs`])
//! Before any work, an output path equal to an input (`--model`, `--events`, `--customers`,
//! `--features`, `--suppress`) or to another output (`--exclusions` equal to `--out`, by any
//! spelling: paths are compared canonicalised) is refused, exit 2. The run then takes the lock
//! `<out>.lock` (created exclusively, holding its pid): while another live process holds it the
//! run is refused, exit 2, naming the lock and what to do; a lock whose process is no longer
//! running (no `/proc/<pid>`, a killed run) is taken over with a note. The lock is removed at
//! the end.
//!
//! Only after every check passed, the scores, the exclusions and (CSV) the run record
//! `<out>.erosion.json` are written whole to temporary files beside their destinations; the
//! previous `<out>.manifest.json` is removed, the files are renamed into place, and the new
//! manifest (each file's name, rows, bytes and SHA-256) is written last. **Trust a night's
//! scores and exclusions only when `<out>.manifest.json` is present and matches them**
//! ([`outputs::verify`]): a run killed before the renames leaves the previous files (and their
//! manifest) untouched; killed between the renames, it leaves no manifest. Reruns give
//! identical bytes.
//!
//! Nothing is printed with `println!`: a closed stdout (`| head`) ends quietly, a full one is
//! reported after the outputs are written (exit 1).
//!
//! Exit codes: 0 success, 2 bad usage or bad input (the message names the file, column and row;
//! an output path equal to an input or another output; outputs locked by a running run), 1 an
//! environment failure (an output that cannot be written, stdout full; the I/O error is the
//! cause) or an internal error.

pub mod consent;
pub mod outputs;
pub mod policy;
pub mod run;
mod spilled;

/// 64-bit FNV-1a of `bytes`.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The partition (0-based, of `n`) of a customer id.
pub fn partition_of(id: &str, n: u32) -> u32 {
    (fnv1a64(id.as_bytes()) % u64::from(n)) as u32
}

/// Parses `I/N` (0 <= I < N).
pub fn parse_partition(s: &str) -> Result<(u32, u32), erosion_core::Error> {
    let bad = || {
        erosion_core::Error::usage(format!(
            "--partition {s:?} is not I/N with 0 <= I < N (for example 0/8)"
        ))
    };
    let (i, n) = s.split_once('/').ok_or_else(bad)?;
    let i: u32 = i.trim().parse().map_err(|_| bad())?;
    let n: u32 = n.trim().parse().map_err(|_| bad())?;
    if n == 0 || i >= n {
        return Err(bad());
    }
    Ok((i, n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_known_values() {
        // Reference values of 64-bit FNV-1a.
        assert_eq!(fnv1a64(b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a64(b"a"), 0xaf63dc4c8601ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x85944171f73967e8);
    }

    #[test]
    fn partitions_parse() {
        assert_eq!(parse_partition("2/8").unwrap(), (2, 8));
        for bad in ["8/8", "1/0", "x/2", "3", "-1/2"] {
            assert!(parse_partition(bad).is_err(), "{bad}");
        }
    }
}
