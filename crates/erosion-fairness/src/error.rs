//! Typed validation errors: each says what is wrong and, where it can, at which row.

/// Why an audit could not run. Every variant names the offending input and, for
/// per-row problems, the row.
///
/// Rows are reported as `row`, the 0-based index into the slices given to the
/// audit; the message also prints the 1-based data row (`row + 1`), which is the
/// line number in a CSV file after its header.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FairnessError {
    /// The input has no rows.
    #[error("no rows to audit: the labels are empty")]
    Empty,
    /// A column does not have as many values as there are labels.
    #[error("{what} has {found} values but there are {expected} labels")]
    LengthMismatch {
        /// Which input (e.g. `scores`, `decisions`, `group column 'gender'`).
        what: String,
        /// Number of labels.
        expected: usize,
        /// Number of values found.
        found: usize,
    },
    /// A score is not a finite number in `[0, 1]`.
    #[error("score at row index {row} (data row {}) is {value}, which is not a probability in [0, 1]", row + 1)]
    ScoreOutOfRange {
        /// 0-based row index.
        row: usize,
        /// The offending value (may be NaN or infinite).
        value: f64,
    },
    /// No group column was given.
    #[error("no group column given: a fairness audit needs at least one group column")]
    NoGroups,
    /// A group column name is empty or given twice.
    #[error("group column name '{0}' is empty or given more than once")]
    BadGroupColumnName(String),
    /// A column named in the settings (e.g. a reference group) is not one of the group columns.
    #[error("group column '{column}' does not exist; the group columns are: {available}")]
    UnknownGroupColumn {
        /// Name asked for.
        column: String,
        /// Comma-separated list of known group columns.
        available: String,
    },
    /// A reference group value does not occur in its column.
    #[error("reference group '{value}' does not occur in group column '{column}'; its values are: {available}")]
    UnknownReferenceGroup {
        /// Group column.
        column: String,
        /// Value asked for.
        value: String,
        /// Comma-separated list of the values that occur.
        available: String,
    },
    /// The chosen reference group is smaller than `min_group_size`.
    #[error("reference group '{group}' of {grouping} has only {count} rows, fewer than min_group_size = {min}: its rates are not evidence enough to compare others against")]
    ReferenceTooSmall {
        /// Grouping name.
        grouping: String,
        /// Group label.
        group: String,
        /// Rows in the group.
        count: u64,
        /// The configured minimum.
        min: usize,
    },
    /// A string label column has more than two distinct values.
    #[error("label at row index {row} (data row {}) is '{value}', a third value besides {seen}: a label must be binary", row + 1)]
    TooManyLabelValues {
        /// 0-based row index of the first third value.
        row: usize,
        /// The third value.
        value: String,
        /// The two values seen before it, quoted and comma-separated.
        seen: String,
    },
    /// A numeric label is not 0 or 1.
    #[error("label at row index {row} (data row {}) is {value}, but labels must be 0 or 1", row + 1)]
    LabelNotBinary {
        /// 0-based row index.
        row: usize,
        /// The offending value.
        value: f64,
    },
    /// The positive class of a string label cannot be determined.
    #[error("cannot tell which label value is the positive class among {values}: name it (e.g. --positive VALUE)")]
    AmbiguousPositiveLabel {
        /// The label values seen, quoted and comma-separated.
        values: String,
    },
    /// The named positive label value does not occur.
    #[error("positive label '{positive}' does not occur in the labels; they are: {values}")]
    PositiveLabelAbsent {
        /// The value asked for.
        positive: String,
        /// The values that occur, quoted and comma-separated.
        values: String,
    },
    /// A setting is out of its range.
    #[error("invalid setting {name} = {value}: {why}")]
    InvalidConfig {
        /// Setting name.
        name: &'static str,
        /// Its value, printed.
        value: String,
        /// What is expected.
        why: &'static str,
    },
}
