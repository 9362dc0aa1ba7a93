//! Flag spellings that changed when both binaries got one vocabulary (issue 16): the one table
//! of them, and the check that turns an old spelling into an error naming the new one (exit 2)
//! before clap parses, instead of clap's "unexpected argument". Uses only `std`, so the
//! integration tests read the same table (`#[path]`) and run every row against the binary.

/// A flag spelling that changed.
#[derive(Debug, Clone, Copy)]
pub struct Renamed {
    /// The `erosion` commands where `old` was a flag.
    pub commands: &'static [&'static str],
    /// The old spelling, e.g. `--target`.
    pub old: &'static str,
    /// The flag that replaces it, e.g. `--label`.
    pub new: &'static str,
    /// What the new flag takes or why it changed, shown with the error.
    pub note: &'static str,
}

/// Every renamed or removed flag of `erosion` (`erosion-score`'s flags did not change).
pub const RENAMED: &[Renamed] = &[
    Renamed {
        commands: &["simulate", "demo"],
        old: "--customers",
        new: "--n-customers",
        note: "a count of customers is --n-customers N; --customers is always a customers file",
    },
    Renamed {
        commands: &["simulate"],
        old: "--days",
        new: "--duration",
        note: "a duration with its unit, e.g. --duration 730d",
    },
    Renamed {
        commands: &["simulate"],
        old: "--incident-day",
        new: "--incident-after",
        note: "a duration after --start with its unit, e.g. --incident-after 438d",
    },
    Renamed {
        commands: &["features"],
        old: "--cutoff",
        new: "--as-of",
        note: "--as-of DATE, repeatable; a point in time is --as-of in every command",
    },
    Renamed {
        commands: &["features"],
        old: "--cutoffs",
        new: "--as-of",
        note: "--as-of takes the same START..END/STEP ranges, e.g. --as-of 2024-06-01..2025-06-01/30d",
    },
    Renamed {
        commands: &["train"],
        old: "--target",
        new: "--label",
        note: "the column of true outcomes is --label COL in every command",
    },
    Renamed {
        commands: &["train"],
        old: "--model",
        new: "--family",
        note: "--family auto|logistic|forest|gbdt; --model FILE is always a model bundle (train writes it with --out)",
    },
    Renamed {
        commands: &["audit"],
        old: "--pred",
        new: "--decision",
        note: "--decision COL, the column of ready-made decisions",
    },
    Renamed {
        commands: &["forecast"],
        old: "--model",
        new: "--method",
        note: "--method auto|ets|arima|theta|...; --model FILE is always a model bundle",
    },
    Renamed {
        commands: &["forecast"],
        old: "--horizon",
        new: "--periods",
        note: "--periods N counts periods of --freq; --horizon is a duration (90d) elsewhere",
    },
    Renamed {
        commands: &["forecast"],
        old: "--until",
        new: "--as-of",
        note: "--as-of DATE: only events before it count",
    },
    Renamed {
        commands: &["forecast"],
        old: "--id",
        new: "--series-id-col",
        note: "column flags end in -col, as --timestamp-col and --value-col",
    },
    Renamed {
        commands: &["forecast"],
        old: "--time",
        new: "--timestamp-col",
        note: "the same column flag as for events files",
    },
    Renamed {
        commands: &["forecast"],
        old: "--value",
        new: "--value-col",
        note: "the same column flag as for events files",
    },
];

/// The first old spelling in `args` (the arguments after the program name), as the error to
/// print: `None` when there is none. The command is the first argument that is not a flag
/// (only flags without a value, `-q`/`--quiet`/`--help`/`--version`, may come before it);
/// arguments after `--` are values, never flags.
pub fn old_spelling<S: AsRef<str>>(args: &[S]) -> Option<String> {
    let mut it = args.iter().map(|a| -> &str { a.as_ref() });
    let command = it.find(|a| !a.starts_with('-'))?;
    for arg in it.take_while(|a| *a != "--") {
        let flag = arg.split_once('=').map_or(arg, |(f, _)| f);
        if let Some(r) = RENAMED
            .iter()
            .find(|r| r.old == flag && r.commands.contains(&command))
        {
            return Some(format!(
                "`erosion {command} {}` is now `{}`: {}\n\n\
                 Flags were renamed so that each means one thing in both binaries; the table of \
                 old and new spellings is in docs/CONTRACT.md, \"Flags\".",
                r.old, r.new, r.note
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_old_spelling_names_its_new_one_in_its_commands_only() {
        for r in RENAMED {
            for c in r.commands {
                for arg in [r.old.to_string(), format!("{}=x", r.old)] {
                    let msg =
                        old_spelling(&["-q", *c, "--out", "x", arg.as_str(), "v"]).expect(r.old);
                    assert!(msg.contains(r.new) && msg.contains(r.old), "{msg}");
                }
            }
            // after `--` it is a value, not a flag
            assert_eq!(old_spelling(&[r.commands[0], "--", r.old]), None);
        }
        // the same spelling is fine where it still means what it meant
        assert_eq!(old_spelling(&["audit", "--customers", "c.csv"]), None);
        assert_eq!(old_spelling(&["evaluate", "--model", "m.json"]), None);
        assert_eq!(old_spelling(&["features", "--horizon", "90d"]), None);
        assert_eq!(old_spelling::<&str>(&[]), None);
    }

    #[test]
    fn each_old_spelling_is_listed_once_per_command() {
        for (i, a) in RENAMED.iter().enumerate() {
            for b in &RENAMED[i + 1..] {
                let shared = a.commands.iter().any(|c| b.commands.contains(c));
                assert!(!(shared && a.old == b.old), "{} twice", a.old);
            }
        }
    }
}
