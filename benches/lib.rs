//! Benches of erosion's hot paths (`cargo bench -p erosion-benches`). The comparisons with
//! Python peers are in `peers/` and write `BENCHMARKS.md`.
