//! Timestamps: milliseconds since the Unix epoch, UTC, as `i64` everywhere in memory.

use chrono::{DateTime, NaiveDate, NaiveDateTime};

/// Milliseconds in a day.
pub const DAY_MS: i64 = 86_400_000;

/// Parses RFC 3339 (`2024-03-01T10:00:00Z`), `YYYY-MM-DD HH:MM:SS[.f]`, `YYYY-MM-DDTHH:MM:SS[.f]`
/// (read as UTC) or `YYYY-MM-DD` into epoch milliseconds. With `format`, uses that chrono
/// format instead (a date-only format such as `%Y%m%d` is midnight UTC).
pub fn parse_timestamp(s: &str, format: Option<&str>) -> Option<i64> {
    let s = s.trim();
    if let Some(fmt) = format {
        if let Ok(dt) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(dt.and_utc().timestamp_millis());
        }
        return NaiveDate::parse_from_str(s, fmt)
            .ok()
            .map(|d| d.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp_millis());
    }
    if s.len() == 10 {
        return parse_date(s);
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Some(dt.timestamp_millis());
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(dt.and_utc().timestamp_millis());
        }
    }
    None
}

/// Parses `YYYY-MM-DD` into epoch milliseconds at midnight UTC.
pub fn parse_date(s: &str) -> Option<i64> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .ok()
        .map(|d| d.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp_millis())
}

/// Formats epoch milliseconds as `YYYY-MM-DD`.
pub fn format_date(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_else(|| format!("<invalid time {ms}>"))
}

/// Formats epoch milliseconds as RFC 3339 with a `Z`.
pub fn format_timestamp(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms)
        .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| format!("<invalid time {ms}>"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_forms() {
        let d = parse_timestamp("1997-01-01", None).unwrap();
        assert_eq!(format_date(d), "1997-01-01");
        assert_eq!(parse_timestamp("19970101", Some("%Y%m%d")), Some(d));
        assert_eq!(parse_timestamp("1997-01-01T00:00:00Z", None), Some(d));
        assert_eq!(parse_timestamp("1997-01-01 00:00:00", None), Some(d));
        assert_eq!(
            parse_timestamp("1997-01-01T02:00:00+02:00", None),
            Some(d),
            "offsets are converted to UTC"
        );
        assert_eq!(parse_timestamp("yesterday", None), None);
        assert_eq!(parse_timestamp("1997-13-01", None), None);
    }
}
