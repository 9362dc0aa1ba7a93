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

/// CPU seconds (user + system, all threads) this process has used so far, from
/// `/proc/self/stat` (Linux; NaN elsewhere): less sensitive than wall time to other load on a
/// shared machine. For benchmarks and examples.
pub fn cpu_seconds() -> f64 {
    let read = || -> Option<f64> {
        let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        let after = &stat[stat.rfind(')')? + 2..];
        let f: Vec<&str> = after.split_whitespace().collect();
        let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
        Some(ticks / 100.0)
    };
    read().unwrap_or(f64::NAN)
}
