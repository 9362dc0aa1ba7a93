//! `auto`: per-series choice between ETS, ARIMA, Theta and their mean by a rolling-origin
//! backtest on the series' own history. The mean is the default; a single model replaces it
//! only when it beats the mean at every origin and by a clear margin (see [`choose`]).

use crate::forecast::{auto_ets, ForecastConfig};
use crate::metrics;
use crate::models::{self, arima, theta, Fitted};

/// Candidate names in the order they are scored; the combination comes first so that it wins
/// ties (it is the safer choice when the backtest cannot tell the models apart).
const CANDIDATES: [&str; 4] = ["combination", "ets", "arima", "theta"];

/// Fewest training points an origin may leave.
const MIN_TRAIN: usize = 8;

fn fit_three(y: &[f64], m: usize, h: usize) -> [Fitted; 3] {
    [
        auto_ets(y, m, h),
        arima::auto(y, m, h),
        theta::theta(y, m, h),
    ]
}

fn comb(members: &[Fitted; 3]) -> Fitted {
    let name = format!(
        "mean({}; {}; {})",
        members[0].name, members[1].name, members[2].name
    );
    models::combine(name, members)
}

/// Backtest scores (MASE per origin) of the four candidates, or `None` when the series is too
/// short for a single origin.
pub(crate) fn candidate_scores(y: &[f64], cfg: &ForecastConfig) -> Option<Vec<[f64; 4]>> {
    let (n, h, m) = (y.len(), cfg.horizon, cfg.season);
    let mut per_fold = Vec::new();
    for j in 0..cfg.auto_folds {
        let Some(train_len) = n.checked_sub(h * (j + 1)) else {
            break;
        };
        if train_len < MIN_TRAIN {
            break;
        }
        let train = &y[..train_len];
        let test = &y[train_len..train_len + h];
        let three = fit_three(train, m, h);
        let c = comb(&three);
        let all = [&c, &three[0], &three[1], &three[2]];
        per_fold.push(all.map(|f| metrics::mase(train, test, &f.mean, 1)));
    }
    (!per_fold.is_empty()).then_some(per_fold)
}

/// The combination unless one single model beats it at every origin and by at least
/// [`MARGIN`] on average: a backtest over a few origins is noisy, and an averaged forecast is
/// the better default when the evidence for one model is not consistent.
fn choose(per_fold: &[[f64; 4]]) -> usize {
    let k = per_fold.len() as f64;
    let mean = |c: usize| per_fold.iter().map(|f| f[c]).sum::<f64>() / k;
    let mut best = 0;
    for c in 1..4 {
        let wins_everywhere = per_fold.iter().all(|f| f[c] < f[0]);
        if wins_everywhere && mean(c) < (1.0 - MARGIN) * mean(0) && mean(c) < mean(best) {
            best = c;
        }
    }
    best
}

/// Relative improvement over the combination a single model needs to be chosen.
const MARGIN: f64 = 0.10;

/// Chooses and fits. The fitted name says which candidate won, e.g. `auto: theta -> Theta`.
pub(crate) fn select(y: &[f64], cfg: &ForecastConfig) -> Fitted {
    let (h, m) = (cfg.horizon, cfg.season);
    let choice = candidate_scores(y, cfg).map_or(0, |s| choose(&s));
    let mut f = match CANDIDATES[choice] {
        "ets" => auto_ets(y, m, h),
        "arima" => arima::auto(y, m, h),
        "theta" => theta::theta(y, m, h),
        _ => comb(&fit_three(y, m, h)),
    };
    f.name = format!("auto: {} -> {}", CANDIDATES[choice], f.name);
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_single_model_needs_consistent_and_clear_wins() {
        // Theta better on average but not at every origin: keep the combination.
        assert_eq!(choose(&[[1.0, 1.2, 1.1, 0.5], [1.0, 1.2, 1.1, 1.05]]), 0);
        // ETS better everywhere but by under 10 %: keep the combination.
        assert_eq!(choose(&[[1.0, 0.95, 1.1, 1.2], [1.0, 0.93, 1.1, 1.2]]), 0);
        // ARIMA better everywhere and by far: choose it.
        assert_eq!(choose(&[[1.0, 0.95, 0.5, 1.2], [1.0, 0.93, 0.6, 1.2]]), 2);
    }

    #[test]
    fn auto_picks_the_exact_model_on_a_pure_trend() {
        let y: Vec<f64> = (0..60)
            .map(|t| 5.0 + 2.0 * t as f64 + 0.05 * (t as f64 * 2.4).sin())
            .collect();
        let f = select(&y, &ForecastConfig::new(6, 1));
        assert!(!f.name.starts_with("auto: combination"), "{}", f.name);
    }
}
