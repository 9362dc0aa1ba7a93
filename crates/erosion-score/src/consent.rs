//! What a run knows about consent: the suppression list, where the input's own consent
//! information comes from, the refusal of input that carries none, and the record of it all
//! that goes with the scores.

use erosion_core::{Error, EventLog, EventType, Lookalike};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// The consent columns of a feature table (`erosion features` writes both, 1 when the latest
/// consent event before the cutoff is a withdrawal / an opt-out).
pub const CONSENT_COLUMNS: [&str; 2] = ["consent_withdrawn", "consent_opted_out"];

/// The key of the run record in the scores' Parquet metadata (or `<scores>.erosion.json`
/// beside a CSV).
pub const RUN_NOTE_KEY: &str = "erosion.scoring_run";

/// A suppression list: ids never to score.
#[derive(Debug, Clone)]
pub struct SuppressList {
    /// The file.
    pub path: PathBuf,
    /// Its ids.
    pub ids: HashSet<String>,
}

/// How many of a suppression list's ids matched the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuppressCount {
    /// The file.
    pub path: PathBuf,
    /// Distinct ids in it.
    pub ids: usize,
    /// Of them, ids of input customers (whatever the partition).
    pub matched: usize,
}

/// Where a run's consent decisions came from; written with the scores and printed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConsentReport {
    /// The input's own consent information (consent events, consent columns); `None` when it
    /// carries none.
    pub input: Option<String>,
    /// The suppression list, if given.
    pub suppress: Option<SuppressCount>,
    /// The run said consent is handled upstream (`--consent-handled-upstream`).
    pub handled_upstream: bool,
}

/// The consent settings of a run.
#[derive(Debug, Clone, Copy)]
pub struct Rules<'a> {
    /// The suppression list.
    pub suppress: Option<&'a SuppressList>,
    /// `--consent-handled-upstream`.
    pub upstream: bool,
}

impl Rules<'_> {
    /// Whether the id is on the suppression list.
    pub fn suppressed(&self, id: &str) -> bool {
        self.suppress.is_some_and(|s| s.ids.contains(id))
    }

    /// Refuses input without consent information (`found` is what is missing) when the run has
    /// no suppression list and does not say that consent is handled upstream.
    pub fn require(&self, found: &Result<String, String>, input: &Path) -> Result<(), Error> {
        let missing = match found {
            Err(missing) if self.suppress.is_none() && !self.upstream => missing,
            _ => return Ok(()),
        };
        Err(Error::usage(format!(
            "{}: no consent information: {missing}, and no --suppress list was given, so \
             erosion-score cannot tell who objected to profiling and scores no one. Give the \
             consent events (raw histories) or the consent_opted_out and consent_withdrawn columns \
             (a feature table; `erosion features` writes them), or --suppress FILE; if the input \
             already leaves out every customer who opted out or withdrew consent, pass \
             --consent-handled-upstream (the scores then record it).",
            input.display()
        )))
    }
}

/// The consent information of an event log, or what is missing (naming any type that looks
/// like a consent type but is spelt otherwise).
pub fn in_events(log: &EventLog) -> Result<String, String> {
    in_event_counts(log.consent_events(), &log.lookalike_types())
}

/// [`in_events`] from a log's counts: its consent events and its lookalike types (an events
/// file spilled to partitions is counted as it is read, never held whole).
pub fn in_event_counts(consent_events: usize, lookalikes: &[Lookalike]) -> Result<String, String> {
    let n = consent_events;
    if n > 0 {
        return Ok(format!(
            "{n} consent events (opt_in, opt_out, consent_withdrawn)"
        ));
    }
    let near: Vec<String> = lookalikes
        .iter()
        .filter(|l| {
            matches!(
                l.resembles,
                EventType::OptIn | EventType::OptOut | EventType::ConsentWithdrawn
            )
        })
        .map(|l| format!("{:?} resembles {}", l.name, l.resembles))
        .collect();
    let hint = if near.is_empty() {
        String::new()
    } else {
        format!(" (but {}: spell it so)", near.join(", "))
    };
    Err(format!(
        "the events hold no opt_in, opt_out or consent_withdrawn event{hint}"
    ))
}

/// The consent columns a table has, or what is missing.
pub fn in_columns(has: impl Fn(&str) -> bool) -> Result<String, String> {
    let present: Vec<&str> = CONSENT_COLUMNS.iter().copied().filter(|c| has(c)).collect();
    if present.is_empty() {
        return Err(
            "the table has neither a consent_opted_out nor a consent_withdrawn column".into(),
        );
    }
    Ok(format!("columns {}", present.join(", ")))
}

/// Reads a suppression list ([`parse_suppress`]); `id_column` is the header a first line may
/// carry besides `customer_id` and `id`.
pub fn read_suppress(path: &Path, id_column: &str) -> Result<SuppressList, Error> {
    if !path.exists() {
        return Err(Error::MissingFile {
            path: path.to_path_buf(),
        });
    }
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let unreadable = |message: &str| Error::Unreadable {
        path: path.to_path_buf(),
        format: "a suppression list (UTF-8 text, one customer id a line)".into(),
        message: message.into(),
    };
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(unreadable("it is UTF-16 text; save it as UTF-8"));
    }
    let text = String::from_utf8(bytes).map_err(|e| unreadable(&e.to_string()))?;
    Ok(SuppressList {
        path: path.to_path_buf(),
        ids: parse_suppress(&text, path, id_column)?,
    })
}

/// The ids of a suppression list: one a line, the first field of a line when it has several
/// (`id,reason`; comma, semicolon or tab), double quotes around it removed (`"C001"`, `""`
/// inside for a quote), surrounding spaces trimmed. A UTF-8 byte-order mark, CRLF line ends,
/// blank lines, lines starting with `#` and a header line (a first field of `customer_id`,
/// `id` or `id_column`, any case) are skipped. A line whose first field is empty or has an
/// unclosed quote is an error naming the file and the line.
pub fn parse_suppress(text: &str, path: &Path, id_column: &str) -> Result<HashSet<String>, Error> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut ids = HashSet::new();
    let mut first = true;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let id = first_field(line).ok_or_else(|| Error::BadValue {
            path: path.to_path_buf(),
            column: "customer id (first field)".into(),
            row: n + 1,
            value: line.to_string(),
            expected: "a customer id, optionally in double quotes and followed by ,reason".into(),
        })?;
        let header = first
            && ["customer_id", "id", id_column]
                .iter()
                .any(|h| id.eq_ignore_ascii_case(h));
        first = false;
        if !header {
            ids.insert(id);
        }
    }
    Ok(ids)
}

/// The first field of a line, unquoted and trimmed; `None` when it is empty or its quote is not
/// closed.
fn first_field(line: &str) -> Option<String> {
    let field = match line.strip_prefix('"') {
        Some(rest) => {
            let mut out = String::new();
            let mut chars = rest.chars().peekable();
            loop {
                match chars.next()? {
                    '"' if chars.peek() == Some(&'"') => {
                        chars.next();
                        out.push('"');
                    }
                    '"' => break out,
                    c => out.push(c),
                }
            }
        }
        None => line
            .split([',', ';', '\t'])
            .next()
            .unwrap_or_default()
            .to_string(),
    };
    let field = field.trim();
    (!field.is_empty()).then(|| field.to_string())
}

impl SuppressList {
    /// How many of its ids are among `input` ids.
    pub fn count(&self, input: &[String]) -> SuppressCount {
        SuppressCount {
            path: self.path.clone(),
            ids: self.ids.len(),
            matched: input.iter().filter(|id| self.ids.contains(*id)).count(),
        }
    }
}

impl ConsentReport {
    /// One line per source, for the run's stderr summary.
    pub fn lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        match (&self.input, self.handled_upstream) {
            (Some(s), false) => out.push(format!("consent: from the input's {s}")),
            (Some(s), true) => out.push(format!(
                "consent: handled upstream (--consent-handled-upstream); the input's {s} applied as well"
            )),
            (None, true) => out.push(
                "consent: handled upstream (--consent-handled-upstream); the input carries none, \
                 the scores record that"
                    .into(),
            ),
            (None, false) => {}
        }
        if let Some(s) = &self.suppress {
            out.push(format!(
                "consent: suppression list {}: {} ids, {} of them input customers",
                s.path.display(),
                s.ids,
                s.matched
            ));
        }
        out
    }

    /// A warning when a non-empty suppression list matched no input customer (the wrong file,
    /// or ids that are not in its first field).
    pub fn warning(&self) -> Option<String> {
        let s = self.suppress.as_ref()?;
        (s.ids > 0 && s.matched == 0).then(|| {
            format!(
                "warning: none of the {} ids of the suppression list {} is an input customer; is it \
                 the right file, with the customer id first on each line?",
                s.ids,
                s.path.display()
            )
        })
    }

    /// The run record written with the scores (JSON).
    pub fn note(&self, model_id: &str, warnings: &[String]) -> String {
        let suppress = self.suppress.as_ref().map(|s| {
            serde_json::json!({
                "file": s.path.display().to_string(),
                "ids": s.ids,
                "matched_input_customers": s.matched,
            })
        });
        serde_json::json!({
            "made_by": format!("erosion-score {}", env!("CARGO_PKG_VERSION")),
            "model_id": model_id,
            "consent": {
                "input": self.input,
                "suppress": suppress,
                "handled_upstream": self.handled_upstream,
            },
            "warnings": warnings,
        })
        .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Vec<String> {
        let mut ids: Vec<String> = parse_suppress(text, Path::new("s.txt"), "customerID")
            .unwrap()
            .into_iter()
            .collect();
        ids.sort();
        ids
    }

    /// A BOM, CRLF, quotes, a header, comments and `id,reason` lines: the ids and nothing else.
    #[test]
    fn suppression_lists_as_exports_write_them() {
        let text = "\u{feff}customer_id,reason\r\n\"C001\",\"asked by phone\"\r\n\r\n# ops\r\nC002,complaint\r\n  C003  \r\n\"C,4\"\r\nC005;x\r\nC006\tx\r\n\"say \"\"hi\"\"\"\r\n";
        assert_eq!(
            parse(text),
            ["C,4", "C001", "C002", "C003", "C005", "C006", "say \"hi\""]
        );
        // headers: customer_id, id or the bundle's id column, any case, first line only
        assert_eq!(parse("ID\nC1\nid\n"), ["C1", "id"]);
        assert_eq!(parse("\"CustomerId\"\r\nC1"), ["C1"]);
        assert_eq!(parse("C1\n"), ["C1"]);
        assert!(parse("").is_empty());
    }

    #[test]
    fn a_line_without_an_id_names_the_file_and_line() {
        for (text, row) in [("C1\n,reason\n", 2), ("C1\n\n\"C2\n", 3)] {
            let e = parse_suppress(text, Path::new("s.txt"), "customer_id")
                .unwrap_err()
                .to_string();
            assert!(
                e.contains("s.txt") && e.contains(&format!("row {row}")),
                "{e}"
            );
        }
    }

    #[test]
    fn utf16_lists_are_refused_with_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.txt");
        std::fs::write(&path, [0xFF, 0xFE, b'C', 0, b'1', 0]).unwrap();
        let e = read_suppress(&path, "customer_id").unwrap_err().to_string();
        assert!(e.contains("UTF-16") && e.contains("UTF-8"), "{e}");
    }

    #[test]
    fn input_without_consent_is_refused_unless_handled_upstream() {
        let list = SuppressList {
            path: "s.txt".into(),
            ids: HashSet::new(),
        };
        let rules = |suppress, upstream| Rules { suppress, upstream };
        let input = Path::new("features.csv");
        let none = in_columns(|_| false);
        let e = rules(None, false)
            .require(&none, input)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("features.csv")
                && e.contains("neither a consent_opted_out nor a consent_withdrawn column")
                && e.contains("--consent-handled-upstream"),
            "{e}"
        );
        assert!(rules(None, true).require(&none, input).is_ok());
        assert!(rules(Some(&list), false).require(&none, input).is_ok());
        let some = in_columns(|c| c == "consent_opted_out");
        assert_eq!(some.as_deref(), Ok("columns consent_opted_out"));
        assert!(rules(None, false).require(&some, input).is_ok());
    }
}
