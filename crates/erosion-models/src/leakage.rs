//! The leakage guard: what `erosion train` checks about each input column before it trains.
//!
//! A model is only as honest as its inputs. A column that is the label under another name
//! (`ChurnFlag` beside `Churn`), or was filled in after the outcome, trains to a ROC-AUC of 1.0
//! and predicts nothing in production. [`screen`] looks at each column alone:
//!
//! - **refused** (the run stops unless the column is allowed): a column whose single-column
//!   ROC-AUC, on the rows where it has a value, is at least [`GuardOptions::refuse_auc`] (0.99) or
//!   at most `1 - refuse_auc`; or whose name shadows the target's (case and separators ignored,
//!   the column's name contains the target's: `ChurnFlag`, `churn_label`, `is_churn` for `Churn`;
//!   a target name shorter than 4 characters must be one of the column name's words);
//! - **warned about**: a single-column ROC-AUC of at least [`GuardOptions::warn_auc`] (0.95) or
//!   at most `1 - warn_auc`. A column that agrees with the label on 97 % of rows has a ROC-AUC
//!   near 0.97; so do strong honest predictors in some tables, so this is a warning, not a stop;
//! - **dropped with a note**: a column with no value in any row; an id-like text column (at
//!   least [`GuardOptions::id_min_rows`] values, [`GuardOptions::id_distinct_share`] of them
//!   distinct), which one-hot encoding would turn into a column per customer; a date-like text
//!   column ([`GuardOptions::date_share`] of its values are dates), which would become a column
//!   per day and cannot carry to later data. Allowed columns are not dropped for being id- or
//!   date-like.
//!
//! The single-column ROC-AUC of a numeric column (or text that is all numbers) ranks its values;
//! of a categorical column, it ranks each level's positive rate, with levels seen fewer than
//! [`GuardOptions::rare_level`] times pooled (so that many small levels do not separate the target
//! by chance). It is computed only with at least [`GuardOptions::min_rows`] rows with a value
//! and both classes among them.

use std::collections::HashMap;

use crate::encode::{RawColumn, RawValues};
use crate::metrics::roc_auc;

/// Thresholds of [`screen`].
#[derive(Debug, Clone, PartialEq)]
pub struct GuardOptions {
    /// Columns exempt from the leakage and id/date checks (`--allow`).
    pub allow: Vec<String>,
    /// Refuse at a single-column ROC-AUC at least this (or at most one minus it).
    pub refuse_auc: f64,
    /// Warn at a single-column ROC-AUC at least this (or at most one minus it).
    pub warn_auc: f64,
    /// Share of distinct values that makes a text column id-like.
    pub id_distinct_share: f64,
    /// Fewest non-blank values for the id-like check.
    pub id_min_rows: usize,
    /// Share of non-blank values that parse as dates that makes a text column date-like.
    pub date_share: f64,
    /// Levels seen fewer times than this are pooled for the single-column ROC-AUC.
    pub rare_level: usize,
    /// Fewest rows with a value for a single-column ROC-AUC.
    pub min_rows: usize,
}

impl Default for GuardOptions {
    fn default() -> Self {
        Self {
            allow: Vec::new(),
            refuse_auc: 0.99,
            warn_auc: 0.95,
            id_distinct_share: 0.95,
            id_min_rows: 20,
            date_share: 0.9,
            rare_level: 10,
            min_rows: 20,
        }
    }
}

/// Why a column was left out with a note.
#[derive(Debug, Clone, PartialEq)]
pub enum DropReason {
    /// No value in any row.
    AllMissing,
    /// Nearly every value distinct.
    IdLike {
        /// Distinct values.
        distinct: usize,
        /// Non-blank values.
        values: usize,
    },
    /// The values are dates.
    DateLike {
        /// One of them.
        example: String,
    },
}

/// A column left out with a note.
#[derive(Debug, Clone, PartialEq)]
pub struct Dropped {
    /// Column name.
    pub name: String,
    /// Why.
    pub reason: DropReason,
}

/// A column that predicts the target suspiciously well on its own.
#[derive(Debug, Clone, PartialEq)]
pub struct Suspect {
    /// Column name.
    pub name: String,
    /// Its single-column ROC-AUC on the rows where it has a value, when computed.
    pub auc: Option<f64>,
    /// Rows with a value.
    pub rows: usize,
    /// Whether its name shadows the target's.
    pub shadows_target: bool,
    /// Whether its ROC-AUC is beyond the refusal threshold.
    pub separates: bool,
}

impl Suspect {
    /// What is wrong with it, in words.
    pub fn describe(&self, target: &str) -> String {
        let rows = self.rows;
        let mut what = Vec::new();
        match (self.auc, self.separates) {
            (Some(a), true) => what.push(format!(
                "alone it separates {target:?} with ROC-AUC {a:.4} on the {rows} rows where it has a value"
            )),
            (Some(a), false) if !self.shadows_target => what.push(format!(
                "alone it predicts {target:?} with ROC-AUC {a:.4} on the {rows} rows where it has a value"
            )),
            _ => {}
        }
        if self.shadows_target {
            what.push(match (self.auc, self.separates) {
                (Some(a), false) => {
                    format!("its name shadows the target {target:?} (alone its ROC-AUC is {a:.4})")
                }
                _ => format!("its name shadows the target {target:?}"),
            });
        }
        format!("column {:?}: {}", self.name, what.join(" and "))
    }
}

/// What [`screen`] decided.
#[derive(Debug, Clone, Default)]
pub struct Screening {
    /// The columns to train on, in their order.
    pub kept: Vec<RawColumn>,
    /// Columns left out, with the reason (to say on stderr).
    pub dropped: Vec<Dropped>,
    /// Columns that stop the run (not allowed).
    pub refused: Vec<Suspect>,
    /// Columns that would have been refused but are allowed.
    pub allowed: Vec<Suspect>,
    /// Columns worth a warning.
    pub warned: Vec<Suspect>,
}

impl Screening {
    /// The message that stops the run, if a column is refused.
    pub fn refusal(&self, target: &str) -> Option<String> {
        if self.refused.is_empty() {
            return None;
        }
        let names: Vec<&str> = self.refused.iter().map(|s| s.name.as_str()).collect();
        let lines: Vec<String> = self.refused.iter().map(|s| s.describe(target)).collect();
        Some(format!(
            "possible target leakage: {}. A column like this is usually the label under another name or \
was recorded after the outcome, and a model trained on it predicts nothing in production. \
Leave it out with --exclude {} or, if it is truly known before the outcome, keep it with --allow {}",
            lines.join("; "),
            names.join(","),
            names.join(",")
        ))
    }
}

/// Lower-case letters and digits of a name, separators dropped.
fn normalise(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The words of a name: split at separators and at lower-to-upper case changes.
fn words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in s.chars() {
        if !c.is_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        cur.extend(c.to_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Whether a column's name shadows the target's (see the module documentation).
pub fn shadows_target(column: &str, target: &str) -> bool {
    let (c, t) = (normalise(column), normalise(target));
    if t.is_empty() || c == t {
        return !t.is_empty();
    }
    if t.chars().count() >= 4 {
        c.contains(&t)
    } else {
        words(column).contains(&t)
    }
}

fn is_blank(s: &Option<String>) -> bool {
    s.as_deref().is_none_or(|t| t.trim().is_empty())
}

use crate::encode::parse_number as number;

/// Whether text starts with a calendar date: `YYYY-MM-DD`, `YYYY/MM/DD`, `DD/MM/YYYY`,
/// `MM/DD/YYYY` (`-`, `/` or `.` between), optionally followed by a time.
pub fn looks_like_date(s: &str) -> bool {
    let s = s.trim();
    let head: String = s
        .chars()
        .take_while(|c| c.is_ascii_digit() || matches!(c, '-' | '/' | '.'))
        .collect();
    let rest = &s[head.len()..];
    if !(rest.is_empty() || rest.starts_with(['T', ' ', 't'])) {
        return false;
    }
    let parts: Vec<&str> = head.split(['-', '/', '.']).collect();
    if parts.len() != 3 || parts.iter().any(|p| p.is_empty()) {
        return false;
    }
    let n: Vec<u32> = match parts.iter().map(|p| p.parse::<u32>()).collect() {
        Ok(n) => n,
        Err(_) => return false,
    };
    let md = |m: u32, d: u32| (1..=12).contains(&m) && (1..=31).contains(&d);
    if parts[0].len() == 4 {
        md(n[1], n[2])
    } else if parts[2].len() == 4 && parts[0].len() <= 2 && parts[1].len() <= 2 {
        md(n[1], n[0]) || md(n[0], n[1])
    } else {
        false
    }
}

/// The single-column ROC-AUC of a column on its rows with a value, and how many those are.
pub fn single_column_auc(
    values: &RawValues,
    y: &[u8],
    opts: &GuardOptions,
) -> (Option<f64>, usize) {
    let mut ys = Vec::new();
    let mut score = Vec::new();
    match values {
        RawValues::Number(v) => {
            for (x, &t) in v.iter().zip(y) {
                if !x.is_nan() {
                    score.push(*x);
                    ys.push(t);
                }
            }
        }
        RawValues::Text(v) => {
            let present: Vec<(usize, &str)> = v
                .iter()
                .enumerate()
                .filter(|(_, s)| !is_blank(s))
                .map(|(i, s)| (i, s.as_deref().unwrap_or_default().trim()))
                .collect();
            if present.iter().all(|(_, s)| number(s).is_some()) {
                for (i, s) in &present {
                    score.push(number(s).unwrap_or(f64::NAN));
                    ys.push(y[*i]);
                }
            } else {
                // each level scored by its positive rate; rare levels pooled
                let mut counts: HashMap<&str, (usize, usize)> = HashMap::new();
                for (i, s) in &present {
                    let e = counts.entry(s).or_default();
                    e.0 += 1;
                    e.1 += y[*i] as usize;
                }
                let (mut rare_n, mut rare_pos) = (0usize, 0usize);
                for (n, p) in counts.values() {
                    if *n < opts.rare_level {
                        rare_n += n;
                        rare_pos += p;
                    }
                }
                for (i, s) in &present {
                    let (n, p) = counts[s];
                    let rate = if n < opts.rare_level {
                        rare_pos as f64 / rare_n as f64
                    } else {
                        p as f64 / n as f64
                    };
                    score.push(rate);
                    ys.push(y[*i]);
                }
            }
        }
    }
    let rows = ys.len();
    let pos = ys.iter().filter(|&&t| t == 1).count();
    if rows < opts.min_rows || pos == 0 || pos == rows {
        return (None, rows);
    }
    let auc = roc_auc(&ys, &score);
    (auc.is_finite().then_some(auc), rows)
}

fn drop_reason(col: &RawColumn, opts: &GuardOptions) -> Option<DropReason> {
    match &col.values {
        RawValues::Number(v) => v
            .iter()
            .all(|x| x.is_nan())
            .then_some(DropReason::AllMissing),
        RawValues::Text(v) => {
            let present: Vec<&str> = v
                .iter()
                .filter(|s| !is_blank(s))
                .map(|s| s.as_deref().unwrap_or_default().trim())
                .collect();
            if present.is_empty() {
                return Some(DropReason::AllMissing);
            }
            if present.iter().all(|s| number(s).is_some()) {
                return None;
            }
            let dates = present.iter().filter(|s| looks_like_date(s)).count();
            if dates as f64 >= opts.date_share * present.len() as f64 {
                let example = present.iter().find(|s| looks_like_date(s))?.to_string();
                return Some(DropReason::DateLike { example });
            }
            if present.len() >= opts.id_min_rows {
                let mut distinct: Vec<&str> = present.clone();
                distinct.sort_unstable();
                distinct.dedup();
                if distinct.len() as f64 >= opts.id_distinct_share * present.len() as f64 {
                    return Some(DropReason::IdLike {
                        distinct: distinct.len(),
                        values: present.len(),
                    });
                }
            }
            None
        }
    }
}

/// Screens the input columns of a model of `target` against its labels `y` (one per row).
/// Columns named in `opts.allow` skip the leakage and id/date checks (not the all-missing one).
pub fn screen(columns: Vec<RawColumn>, y: &[u8], target: &str, opts: &GuardOptions) -> Screening {
    let mut out = Screening::default();
    for col in columns {
        let allowed = opts.allow.iter().any(|a| a == &col.name);
        match drop_reason(&col, opts) {
            Some(DropReason::AllMissing) => {
                out.dropped.push(Dropped {
                    name: col.name,
                    reason: DropReason::AllMissing,
                });
                continue;
            }
            Some(reason) if !allowed => {
                out.dropped.push(Dropped {
                    name: col.name,
                    reason,
                });
                continue;
            }
            _ => {}
        }
        let (auc, rows) = single_column_auc(&col.values, y, opts);
        let shadows = shadows_target(&col.name, target);
        let beyond = |t: f64| auc.is_some_and(|a| a >= t || a <= 1.0 - t);
        let suspect = Suspect {
            name: col.name.clone(),
            auc,
            rows,
            shadows_target: shadows,
            separates: beyond(opts.refuse_auc),
        };
        if shadows || suspect.separates {
            if allowed {
                out.allowed.push(suspect);
            } else {
                out.refused.push(suspect);
            }
        } else if beyond(opts.warn_auc) && !allowed {
            out.warned.push(suspect);
        }
        out.kept.push(col);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(n: usize) -> Vec<u8> {
        (0..n).map(|i| u8::from(i % 4 == 0)).collect()
    }

    #[test]
    fn names_that_shadow_the_target() {
        for c in [
            "ChurnFlag",
            "churn_label",
            "is_churn",
            "CHURN",
            "Churn-Yes",
            "churned",
        ] {
            assert!(shadows_target(c, "Churn"), "{c}");
        }
        for c in ["tenure", "Contract", "MonthlyCharges", "customerID"] {
            assert!(!shadows_target(c, "Churn"), "{c}");
        }
        // a short target must be a word of the name
        assert!(shadows_target("y_copy", "y"));
        assert!(shadows_target("LabelY", "y"));
        assert!(!shadows_target("yearly_spend", "y"));
    }

    #[test]
    fn dates() {
        for s in [
            "2024-01-05",
            "2024/1/5",
            "05/01/2024",
            "12.31.2024",
            "2024-01-05T10:00:00Z",
            "2024-01-05 10:00",
        ] {
            assert!(looks_like_date(s), "{s}");
        }
        for s in [
            "Month-to-month",
            "7590-VHVEG",
            "2024-13-45",
            "1-2-3",
            "29.85",
            "Yes",
        ] {
            assert!(!looks_like_date(s), "{s}");
        }
    }

    #[test]
    fn a_copy_of_the_label_is_refused_and_an_allowed_one_kept() {
        let n = 200;
        let y = labels(n);
        let copy: Vec<Option<String>> = y
            .iter()
            .map(|&t| Some(if t == 1 { "Yes" } else { "No" }.to_string()))
            .collect();
        let noise: Vec<f64> = (0..n).map(|i| ((i * 37) % 101) as f64).collect();
        let cols = vec![
            RawColumn::text("Leak", copy.clone()),
            RawColumn::numbers("noise", noise),
        ];
        let s = screen(cols.clone(), &y, "target", &GuardOptions::default());
        assert_eq!(s.refused.len(), 1);
        assert_eq!(s.refused[0].name, "Leak");
        assert_eq!(s.refused[0].auc, Some(1.0));
        let msg = s.refusal("target").unwrap();
        assert!(
            msg.contains("\"Leak\"")
                && msg.contains("ROC-AUC 1.0000")
                && msg.contains("--allow Leak"),
            "{msg}"
        );
        let opts = GuardOptions {
            allow: vec!["Leak".into()],
            ..GuardOptions::default()
        };
        let s = screen(cols, &y, "target", &opts);
        assert!(s.refusal("target").is_none());
        assert_eq!(s.allowed.len(), 1);
        assert_eq!(s.kept.len(), 2);
    }

    #[test]
    fn an_inverted_numeric_copy_is_refused_too() {
        let y = labels(100);
        let inv: Vec<f64> = y.iter().map(|&t| 1.0 - t as f64).collect();
        let s = screen(
            vec![RawColumn::numbers("x", inv)],
            &y,
            "t",
            &GuardOptions::default(),
        );
        assert_eq!(s.refused[0].auc, Some(0.0));
    }

    #[test]
    fn many_small_levels_do_not_look_like_leakage() {
        // 200 rows, 40 levels of 5: in-sample level rates would separate by chance
        let y = labels(200);
        let v: Vec<Option<String>> = (0..200)
            .map(|i| Some(format!("l{}", (i * 7) % 40)))
            .collect();
        let s = screen(
            vec![RawColumn::text("city", v)],
            &y,
            "t",
            &GuardOptions::default(),
        );
        assert!(s.refused.is_empty() && s.warned.is_empty(), "{s:?}");
    }

    #[test]
    fn id_date_and_empty_columns_are_dropped_with_their_reason() {
        let n = 50;
        let y = labels(n);
        let cols = vec![
            RawColumn::text("id", (0..n).map(|i| Some(format!("C-{i:04}"))).collect()),
            RawColumn::text(
                "signup",
                (0..n)
                    .map(|i| Some(format!("2024-02-{:02}", 1 + i % 28)))
                    .collect(),
            ),
            RawColumn::text("empty", vec![None; n]),
            RawColumn::numbers("nan", vec![f64::NAN; n]),
            RawColumn::text(
                "plan",
                (0..n).map(|i| Some(format!("p{}", i % 3))).collect(),
            ),
        ];
        let s = screen(cols.clone(), &y, "t", &GuardOptions::default());
        let reasons: Vec<(&str, &DropReason)> = s
            .dropped
            .iter()
            .map(|d| (d.name.as_str(), &d.reason))
            .collect();
        assert!(matches!(
            reasons[0],
            (
                "id",
                DropReason::IdLike {
                    distinct: 50,
                    values: 50
                }
            )
        ));
        assert!(matches!(
            reasons[1],
            ("signup", DropReason::DateLike { .. })
        ));
        assert!(matches!(reasons[2], ("empty", DropReason::AllMissing)));
        assert!(matches!(reasons[3], ("nan", DropReason::AllMissing)));
        assert_eq!(s.kept.len(), 1);
        // allowed: an id-like column stays, an empty one still goes
        let opts = GuardOptions {
            allow: vec!["id".into(), "empty".into()],
            ..GuardOptions::default()
        };
        let s = screen(cols, &y, "t", &opts);
        assert_eq!(
            s.kept.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
            ["id", "plan"]
        );
    }
}
