//! Stage timings for diagnostics: with `EROSION_TIMINGS=1` (any value but empty or `0`), the
//! loading, feature and scoring stages print how long they took to stderr. Output files never
//! depend on it.

use std::sync::OnceLock;
use std::time::Instant;

/// Whether `EROSION_TIMINGS` asks for stage timings on stderr (read once per process).
pub fn timings_enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| {
        std::env::var_os("EROSION_TIMINGS").is_some_and(|v| v != "0" && !v.is_empty())
    })
}

/// Prints `what` and the seconds since `since` to stderr when timings are on.
pub fn timing(what: impl std::fmt::Display, since: Instant) {
    if timings_enabled() {
        eprintln!("[timing] {what}: {:.3} s", since.elapsed().as_secs_f64());
    }
}
