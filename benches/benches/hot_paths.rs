//! Hot paths in process: simulating customers and computing features over their histories.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use erosion_core::time::parse_date;
use erosion_features::{compute, FeatureConfig};
use erosion_sim::{simulate_range, SimConfig};

fn bench(c: &mut Criterion) {
    let config = SimConfig::new(5_000, 730, 7);
    let mut g = c.benchmark_group("hot_paths");
    g.sample_size(10);
    g.throughput(Throughput::Elements(5_000));
    g.bench_function("simulate 5k customers x 730 days", |b| {
        b.iter(|| simulate_range(&config, 0..5_000))
    });
    let chunk = simulate_range(&config, 0..5_000);
    let cutoff = parse_date("2025-10-01").unwrap();
    let fc = FeatureConfig::default();
    g.throughput(Throughput::Elements(chunk.events.len() as u64));
    g.bench_function("features 5k customers, one cutoff", |b| {
        b.iter(|| compute(&chunk.events, Some(&chunk.customers), &[cutoff], &fc))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
