//! Each statistic on fixtures: KS and Kolmogorov survival values computed by SciPy 1.17.1
//! (`ks_2samp(a, b)`, `kstwo.sf(x, n)`, `jensenshannon(p, q, base=2)`) for the same data, and
//! PSI by hand.

use erosion_monitor::ks::{kolmogorov_sf, ks_2samp, KsMethod};
use erosion_monitor::stats::{bin_of, jensen_shannon, psi, quantile_edges, PSI_EPSILON};

/// The quasi-random sample `frac(i * mult)^power + shift`, i < n (as the SciPy script built it).
fn gen(n: usize, mult: f64, shift: f64, power: f64) -> Vec<f64> {
    (0..n)
        .map(|i| ((i as f64 * mult) % 1.0).powf(power) + shift)
        .collect()
}

const A: f64 = 0.618033988749895;
const B: f64 = 0.4142135623730951;

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol || (a - b).abs() <= tol * b.abs()
}

/// (n1, power1, shift1, n2, power2, shift2, SciPy's statistic, SciPy's p-value)
type Case = (usize, f64, f64, usize, f64, f64, f64, f64);

#[test]
fn ks_2samp_matches_scipy_on_every_path() {
    // (n1, power1, shift1, n2, power2, shift2, scipy statistic, scipy p-value)
    let cases: [Case; 9] = [
        (50, 1.0, 0.0, 50, 1.0, 0.1, 0.14, 0.7166468440414822),
        (40, 1.0, 0.0, 65, 1.3, 0.05, 0.075, 0.9965681013086983),
        (
            12000,
            1.0,
            0.0,
            100,
            1.0,
            0.02,
            0.026083333333333236,
            0.9999993401613463,
        ),
        (
            12000,
            1.0,
            0.0,
            100,
            1.0,
            0.2,
            0.20458333333333334,
            0.00041309271850321525,
        ),
        (20000, 1.0, 0.0, 5000, 1.0, 0.0, 0.00045000000000006146, 1.0),
        (
            20000,
            1.0,
            0.0,
            5000,
            1.05,
            0.0,
            0.018199999999999994,
            0.13955530098034297,
        ),
        (
            20000,
            1.0,
            0.0,
            5000,
            1.3,
            0.0,
            0.09654999999999997,
            6.603410671456596e-33,
        ),
        (
            300,
            1.0,
            0.0,
            300,
            1.5,
            0.0,
            0.15333333333333332,
            0.0017015674192205016,
        ),
        (
            2000,
            1.0,
            0.0,
            3001,
            1.1,
            0.0,
            0.0358807064311896,
            0.08820467342239698,
        ),
    ];
    for (n1, p1, s1, n2, p2, s2, d, p) in cases {
        let a = gen(n1, A, s1, p1);
        let b = gen(n2, B, s2, p2);
        let r = ks_2samp(&a, &b).unwrap();
        assert!(
            close(r.statistic, d, 1e-12),
            "{n1} vs {n2}: D {} scipy {d}",
            r.statistic
        );
        assert!(
            close(r.p_value, p, 1e-9),
            "{n1} vs {n2}: p {} scipy {p}",
            r.p_value
        );
        let swapped = ks_2samp(&b, &a).unwrap();
        assert_eq!(swapped.statistic, r.statistic);
        let exact = n1.max(n2) <= 10_000;
        assert_eq!(r.method == KsMethod::Exact, exact, "{n1} vs {n2}");
    }
}

#[test]
fn kolmogorov_survival_matches_scipy_kstwo() {
    let cases = [
        (100, 0.05, 0.9532159710635725),      // Durbin's matrix
        (100, 0.12, 0.1033037490181987),      // Pomeranz
        (100, 0.3, 1.7719869892662917e-08),   // twice Smirnov
        (4000, 0.02, 0.08043072865191048),    // Pelz-Good
        (4000, 0.005, 0.9999579167316341),    // Pelz-Good, near 1
        (4000, 0.03, 0.0014620752069361704),  // twice Smirnov
        (200000, 0.002, 0.39995085369038097), // Pelz-Good, n above 100000
        (130, 0.6, 2.783839212724185e-45),    // x >= 0.5
        (500, 0.0015, 1.0),                   // n x <= 1
    ];
    for (n, x, want) in cases {
        let got = kolmogorov_sf(n, x);
        assert!(close(got, want, 1e-9), "n {n} x {x}: {got} scipy {want}");
    }
}

#[test]
fn ks_of_identical_samples_is_zero_with_p_one() {
    let a = gen(200, A, 0.0, 1.0);
    let r = ks_2samp(&a, &a).unwrap();
    assert_eq!(r.statistic, 0.0);
    assert_eq!(r.p_value, 1.0);
}

#[test]
fn ks_of_disjoint_samples_by_hand() {
    // Every value of b above every value of a: D = 1; exact p = 2 / C(6, 3) = 0.1.
    let r = ks_2samp(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0]).unwrap();
    assert_eq!(r.statistic, 1.0);
    assert!(close(r.p_value, 0.1, 1e-12), "{}", r.p_value);
}

#[test]
fn ks_with_ties_by_hand() {
    // F_a: 0.5 at 1, 1 at 2; F_b: 0 below 2, 0.5 at 2, 1 at 3. Largest gap 0.5 (at 1 and 2).
    let r = ks_2samp(&[1.0, 2.0], &[2.0, 3.0]).unwrap();
    assert_eq!(r.statistic, 0.5);
}

#[test]
fn ks_of_an_empty_sample_is_none() {
    assert!(ks_2samp(&[], &[1.0]).is_none());
    assert!(ks_2samp(&[1.0], &[f64::NAN]).is_none());
}

#[test]
fn psi_by_hand() {
    // (0.5-0.25) ln 2 + (0.5-0.75) ln(2/3) = 0.25 (ln 2 - ln 2/3) = 0.25 ln 3
    let v = psi(&[0.25, 0.75], &[0.5, 0.5]);
    assert!((v - 0.25 * 3f64.ln()).abs() < 1e-15, "{v}");
    assert_eq!(psi(&[0.3, 0.7], &[0.3, 0.7]), 0.0);
    // An empty bin is floored at the epsilon: (1e-4 - 0.5) ln(1e-4 / 0.5) + (1 - 0.5) ln 2.
    let v = psi(&[0.5, 0.5], &[0.0, 1.0]);
    let want = (PSI_EPSILON - 0.5) * (PSI_EPSILON / 0.5).ln() + 0.5 * 2f64.ln();
    assert!((v - want).abs() < 1e-12, "{v} {want}");
}

#[test]
fn jensen_shannon_matches_scipy() {
    let v = jensen_shannon(&[0.2, 0.3, 0.5, 0.0], &[0.1, 0.1, 0.4, 0.4]).unwrap();
    assert!((v - 0.5039997748737592).abs() < 1e-12, "{v}");
    assert_eq!(jensen_shannon(&[1.0, 0.0], &[1.0, 0.0]), Some(0.0));
    assert_eq!(jensen_shannon(&[1.0, 0.0], &[0.0, 1.0]), Some(1.0));
    assert_eq!(jensen_shannon(&[0.0], &[1.0]), None);
}

#[test]
fn quantile_edges_and_bins_by_hand() {
    let sorted: Vec<f64> = (1..=9).map(f64::from).collect();
    // np.quantile(1..9, [0.25, 0.5, 0.75]) = 3, 5, 7
    assert_eq!(quantile_edges(&sorted, 4), vec![3.0, 5.0, 7.0]);
    // repeated values collapse to fewer edges
    assert_eq!(quantile_edges(&[0.0, 0.0, 0.0, 0.0, 1.0], 4), vec![0.0]);
    let edges = [3.0, 5.0, 7.0];
    assert_eq!(bin_of(&edges, 3.0), 0);
    assert_eq!(bin_of(&edges, 3.5), 1);
    assert_eq!(bin_of(&edges, 7.0), 2);
    assert_eq!(bin_of(&edges, 100.0), 3);
}
