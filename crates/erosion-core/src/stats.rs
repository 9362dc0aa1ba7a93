//! The standard normal distribution, one home for the crates that test with it (the fairness
//! audit's intervals, the monitor's share test).

/// Quantile function of the standard normal distribution (Wichura's AS 241,
/// PPND16: about 16 significant digits). `p` must be in (0, 1).
// The coefficients are Wichura's, verbatim.
#[allow(clippy::excessive_precision)]
pub fn normal_quantile(p: f64) -> f64 {
    assert!(
        p > 0.0 && p < 1.0,
        "normal_quantile needs p in (0, 1), got {p}"
    );
    let q = p - 0.5;
    if q.abs() <= 0.425 {
        let r = 0.180625 - q * q;
        return q
            * (((((((2509.0809287301227 * r + 33430.575583588128) * r + 67265.770927008700)
                * r
                + 45921.953931549871)
                * r
                + 13731.693765509461)
                * r
                + 1971.5909503065513)
                * r
                + 133.14166789178438)
                * r
                + 3.3871328727963665)
            / (((((((5226.4952788525454 * r + 28729.085735721943) * r + 39307.895800092710)
                * r
                + 21213.794301586595)
                * r
                + 5394.1960214247511)
                * r
                + 687.18700749205791)
                * r
                + 42.313330701600911)
                * r
                + 1.0);
    }
    let mut r = if q < 0.0 { p } else { 1.0 - p };
    r = (-r.ln()).sqrt();
    let val = if r <= 5.0 {
        r -= 1.6;
        (((((((7.7454501427834141e-4 * r + 0.022723844989269184) * r + 0.24178072517745061) * r
            + 1.2704582524523684)
            * r
            + 3.6478483247632045)
            * r
            + 5.7694972214606914)
            * r
            + 4.6303378461565453)
            * r
            + 1.4234371107496835)
            / (((((((1.0507500716444169e-9 * r + 5.4759380849953449e-4) * r
                + 0.015198666563616457)
                * r
                + 0.14810397642748007)
                * r
                + 0.68976733498510005)
                * r
                + 1.6763848301838038)
                * r
                + 2.0531916266377588)
                * r
                + 1.0)
    } else {
        r -= 5.0;
        (((((((2.0103343992922881e-7 * r + 2.7115555687434876e-5) * r + 0.0012426609473880784)
            * r
            + 0.026532189526576124)
            * r
            + 0.29656057182850489)
            * r
            + 1.7848265399172913)
            * r
            + 5.4637849111641144)
            * r
            + 6.6579046435011033)
            / (((((((2.0442631033899397e-15 * r + 1.4215117583164459e-7) * r
                + 1.8463183175100548e-5)
                * r
                + 7.8686913114561326e-4)
                * r
                + 0.014875361290850615)
                * r
                + 0.13692988092273581)
                * r
                + 0.59983220655588794)
                * r
                + 1.0)
    };
    if q < 0.0 {
        -val
    } else {
        val
    }
}

/// Standard normal distribution function, `erfc(-x / sqrt 2) / 2` with libm's `erfc`
/// (relative error near machine precision in both tails, so a p-value of 1e-80 is 1e-80 and
/// not a floor of the method; 0 below about -38.5, where it underflows).
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x / std::f64::consts::SQRT_2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_quantile_known_values() {
        assert!((normal_quantile(0.975) - 1.959_963_984_540_054).abs() < 1e-14);
        assert!((normal_quantile(0.5)).abs() < 1e-16);
        assert!((normal_quantile(0.995) - 2.575_829_303_548_900_4).abs() < 1e-13);
        assert!((normal_quantile(1e-10) + 6.361_340_902_404_056).abs() < 1e-11);
        assert!((normal_quantile(0.025) + normal_quantile(0.975)).abs() < 1e-15);
    }

    #[test]
    fn normal_cdf_inverts_the_quantile() {
        assert!((normal_cdf(1.959_963_984_540_054) - 0.975).abs() < 1e-14);
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-15);
        assert!((normal_cdf(-1.0) - 0.158_655_253_931_457_05).abs() < 1e-14);
        assert_eq!(normal_cdf(-50.0), 0.0);
        assert_eq!(normal_cdf(50.0), 1.0);
        assert!(normal_cdf(f64::NAN).is_nan());
        // scipy.stats.norm.cdf in the far tail, where the p-values of a million rows live.
        for (x, want) in [
            (-20.0, 2.753_624_118_606_155_6e-89),
            (-8.0, 6.220_960_574_271_74e-16),
        ] {
            assert!(
                (normal_cdf(x) / want - 1.0).abs() < 1e-13,
                "{x}: {}",
                normal_cdf(x)
            );
        }
    }
}
