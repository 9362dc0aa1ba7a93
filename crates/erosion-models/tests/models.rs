//! Behaviour tests on small embedded fixtures (no files read).

use erosion_models::calibration::{choose_calibrator, fit_isotonic, fit_platt};
use erosion_models::metrics::{average_precision, brier, log_loss, roc_auc};
use erosion_models::rng::SplitMix64;
use erosion_models::thresholds::choose_thresholds;
use erosion_models::*;

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// x1 carries the signal, x2 is noise, x3 is missing for a third of the rows and its missingness
/// raises the risk; x4 is categorical-looking (0/1).
fn fixture(n: usize, seed: u64) -> (FeatureMatrix, Vec<u8>) {
    let mut rng = SplitMix64::new(seed);
    let mut x1 = Vec::new();
    let mut x2 = Vec::new();
    let mut x3 = Vec::new();
    let mut x4 = Vec::new();
    let mut y = Vec::new();
    for _ in 0..n {
        let a = rng.unit() * 4.0 - 2.0;
        let b = rng.unit();
        let missing = rng.unit() < 0.33;
        let c = if missing { f64::NAN } else { rng.unit() };
        let d = f64::from(u8::from(rng.unit() < 0.5));
        let z = 2.0 * a + if missing { 1.5 } else { -0.5 } + 0.8 * d;
        y.push(u8::from(rng.unit() < sigmoid(z)));
        x1.push(a);
        x2.push(b);
        x3.push(c);
        x4.push(d);
    }
    let x = FeatureMatrix::from_numeric_columns(vec![
        ("signal".into(), x1),
        ("noise".into(), x2),
        ("sometimes_missing".into(), x3),
        ("flag".into(), x4),
    ])
    .unwrap();
    (x, y)
}

fn quick_config(kind: ModelKind) -> TrainConfig {
    TrainConfig {
        model: kind,
        forest: ForestParams {
            n_trees: 40,
            ..ForestParams::default()
        },
        ..TrainConfig::default()
    }
}

fn holdout_auc(model: &Model, test: &FeatureMatrix, yt: &[u8]) -> f64 {
    roc_auc(yt, &model.predict_raw(test))
}

#[test]
fn each_model_learns_a_known_signal() {
    let (x, y) = fixture(800, 1);
    let (xt, yt) = fixture(400, 2);
    // Bayes AUC of the fixture is about 0.9; noise-only scoring would be about 0.5.
    let logistic = Model::Logistic(Logistic::fit(&x, &y, &LogisticParams::default()).unwrap());
    let forest = Model::Forest(
        Forest::fit(
            &x,
            &y,
            &ForestParams {
                n_trees: 40,
                ..ForestParams::default()
            },
        )
        .unwrap(),
    );
    let gbdt = Model::Gbdt(Gbdt::fit(&x, &y, &GbdtParams::default()).unwrap());
    for m in [&logistic, &forest, &gbdt] {
        let auc = holdout_auc(m, &xt, &yt);
        assert!(auc > 0.85, "{} holdout AUC {auc}", m.kind());
        // the signal matters more than the noise
        let c = m.contributions(&xt).mean_abs();
        assert!(
            c[0] > 3.0 * c[1],
            "{}: signal {} vs noise {}",
            m.kind(),
            c[0],
            c[1]
        );
    }
    // logistic recovers the sign and rough size of the signal's coefficient
    if let Model::Logistic(l) = &logistic {
        let per_unit = l.coef[0] / l.scale[0];
        assert!(per_unit > 1.4 && per_unit < 2.6, "coef per unit {per_unit}");
    }
}

#[test]
fn gbdt_routes_missing_values_natively() {
    // the label is exactly "x is missing": only a learned missing direction separates it
    let n = 400;
    let mut rng = SplitMix64::new(7);
    let mut x = Vec::new();
    let mut y = Vec::new();
    for _ in 0..n {
        let miss = rng.unit() < 0.4;
        x.push(if miss { f64::NAN } else { rng.unit() });
        y.push(u8::from(miss));
    }
    let m = FeatureMatrix::from_numeric_columns(vec![("x".into(), x)]).unwrap();
    let g = Gbdt::fit(&m, &y, &GbdtParams::default()).unwrap();
    let p = g.predict_raw(&m);
    assert!(roc_auc(&y, &p) > 0.99);
}

#[test]
fn time_based_split_never_trains_on_a_later_cutoff() {
    let mut rng = SplitMix64::new(3);
    let n = 600;
    let cutoffs: Vec<i64> = (0..n)
        .map(|_| [10, 40, 70, 100, 130][rng.below(5)])
        .collect();
    let y: Vec<u8> = (0..n).map(|_| u8::from(rng.unit() < 0.3)).collect();
    for gap in [1, 30, 31, 60, 90] {
        let folds = time_based_folds(&cutoffs, &y, 3, gap).unwrap();
        assert!(!folds.is_empty());
        for f in &folds {
            let c = f.cutoff.unwrap();
            assert!(f.valid.iter().all(|&i| cutoffs[i] == c));
            let latest = f.train.iter().map(|&i| cutoffs[i]).max().unwrap();
            assert!(
                latest <= c - gap,
                "gap {gap}: trained on {latest}, validated {c}"
            );
            assert!(f.train.iter().all(|&i| !f.valid.contains(&i)));
        }
        // the latest cutoff is always validated
        assert_eq!(folds.last().unwrap().cutoff, Some(130));
    }
    // end to end: the report records the same guarantee
    let (x, yx) = fixture(n, 4);
    let model = train(&x, &yx, Some(&cutoffs), &quick_config(ModelKind::Logistic)).unwrap();
    assert!(matches!(
        model.validation.plan,
        ValidationPlan::TimeBased { .. }
    ));
    assert_eq!(model.validation.folds.len(), 3);
    for f in &model.validation.folds {
        assert!(f.latest_train_cutoff.unwrap() < f.cutoff.unwrap());
    }
    // A column with values only from the third cutoff on (a 365-day change window on two years
    // of history) is missing in every training row of the first fold: every family still trains.
    let mut cols: Vec<(String, Vec<f64>)> = (0..x.n_cols())
        .map(|j| (x.columns()[j].name.clone(), x.column(j).to_vec()))
        .collect();
    let late: Vec<f64> = (0..n)
        .map(|i| {
            if cutoffs[i] >= 70 {
                x.get(i, 0)
            } else {
                f64::NAN
            }
        })
        .collect();
    cols.push(("late_window".into(), late));
    let xl = FeatureMatrix::from_numeric_columns(cols).unwrap();
    let m = train(&xl, &yx, Some(&cutoffs), &quick_config(ModelKind::Auto)).unwrap();
    assert_eq!(m.validation.candidates.len(), 3);
    // one cutoff only (CDNOW at 1997-10-01, say): no earlier cutoff to train on, so the plan is
    // stratified k-fold, recorded as such, exactly as for the same table without the cutoff key
    let single = vec![5i64; n];
    let config = quick_config(ModelKind::Logistic);
    let one = train(&x, &yx, Some(&single), &config).unwrap();
    assert!(matches!(
        one.validation.plan,
        ValidationPlan::StratifiedKFold { .. }
    ));
    assert!(one.validation.folds.iter().all(|f| f.cutoff.is_none()));
    let plain = train(&x, &yx, None, &config).unwrap();
    assert_eq!(
        one.predict_proba(&x).unwrap(),
        plain.predict_proba(&x).unwrap()
    );
}

#[test]
fn calibration_improves_brier_on_a_miscalibrated_score() {
    // true probability sigmoid(z); the model's score is overconfident and shifted: 3z + 1
    let mut rng = SplitMix64::new(11);
    let n = 4000;
    let mut score = Vec::new();
    let mut y = Vec::new();
    for _ in 0..n {
        let z = rng.unit() * 4.0 - 2.0;
        y.push(u8::from(rng.unit() < sigmoid(z)));
        score.push(3.0 * z + 1.0);
    }
    let (fit_s, test_s) = score.split_at(n / 2);
    let (fit_y, test_y) = y.split_at(n / 2);
    let raw: Vec<f64> = test_s.iter().map(|&s| sigmoid(s)).collect();
    let before = brier(test_y, &raw);
    for cal in [fit_platt(fit_s, fit_y), fit_isotonic(fit_s, fit_y)] {
        let p: Vec<f64> = test_s.iter().map(|&s| cal.apply(s)).collect();
        let after = brier(test_y, &p);
        assert!(
            after < before - 0.01,
            "{}: {after} vs {before}",
            cal.method()
        );
    }
    if let Calibrator::Platt { a, b } = fit_platt(fit_s, fit_y) {
        assert!(
            (a - 1.0 / 3.0).abs() < 0.05 && (b + 1.0 / 3.0).abs() < 0.15,
            "a={a} b={b}"
        );
    }
    let uncal: Vec<f64> = score.iter().map(|&s| sigmoid(s)).collect();
    let (_, report) = choose_calibrator(&score, &uncal, &y, CalibrationChoice::Auto, 0).unwrap();
    assert!(report.brier_platt_cv.min(report.brier_isotonic_cv) < report.brier_uncalibrated);

    // Scores that rank the wrong way: Platt keeps the model's order (a tiny positive slope) at
    // the base rate instead of reversing it.
    let reversed: Vec<f64> = fit_s.iter().map(|s| -s).collect();
    let Calibrator::Platt { a, .. } = fit_platt(&reversed, fit_y) else {
        unreachable!()
    };
    assert!(a > 0.0, "a={a}");
    let cal = fit_platt(&reversed, fit_y);
    let (lo, hi) = (cal.apply(-5.0), cal.apply(5.0));
    let rate = fit_y.iter().filter(|&&v| v == 1).count() as f64 / fit_y.len() as f64;
    assert!(
        lo < hi && (hi - rate).abs() < 0.01 && (lo - rate).abs() < 0.01,
        "{lo} {hi} {rate}"
    );
}

#[test]
fn contributions_add_up_to_the_raw_output() {
    let (x, y) = fixture(500, 5);
    let (xt, _) = fixture(100, 6);
    let models = [
        Model::Logistic(Logistic::fit(&x, &y, &LogisticParams::default()).unwrap()),
        Model::Gbdt(
            Gbdt::fit(
                &x,
                &y,
                &GbdtParams {
                    num_leaves: 31,
                    max_depth: None,
                    ..GbdtParams::default()
                },
            )
            .unwrap(),
        ),
        Model::Forest(
            Forest::fit(
                &x,
                &y,
                &ForestParams {
                    n_trees: 20,
                    ..ForestParams::default()
                },
            )
            .unwrap(),
        ),
    ];
    for m in &models {
        let raw = m.predict_raw(&xt);
        let c = m.contributions(&xt);
        assert_eq!(c.n_rows, xt.n_rows());
        let mut nonzero = 0;
        for (i, r) in raw.iter().enumerate() {
            assert!(
                (c.total(i) - r).abs() < 1e-9,
                "{} row {i}: {} vs {r}",
                m.kind(),
                c.total(i)
            );
            nonzero += c.row(i).iter().filter(|v| v.abs() > 1e-12).count();
        }
        assert!(
            nonzero > xt.n_rows(),
            "{}: contributions are not all in the bias",
            m.kind()
        );
    }
}

/// The one-pass scoring path (`explain_blocks`: leaf sums and TreeSHAP from the same lookup)
/// gives bit for bit what `predict_raw` and `contributions` give one at a time, for every
/// family, for trees tabulated whole (few leaves) and walked (many), across block boundaries.
#[test]
fn explain_blocks_equals_predict_raw_and_contributions_bit_for_bit() {
    let (x, y) = fixture(600, 21);
    let (xt, _) = fixture(777, 22); // three blocks of 256 and a partial one; a third missing
    let gbdt = |num_leaves| {
        Model::Gbdt(
            Gbdt::fit(
                &x,
                &y,
                &GbdtParams {
                    num_leaves,
                    max_depth: None,
                    max_rounds: 40,
                    early_stopping: None,
                    ..GbdtParams::default()
                },
            )
            .unwrap(),
        )
    };
    let models = [
        gbdt(8),
        gbdt(31),
        Model::Logistic(Logistic::fit(&x, &y, &LogisticParams::default()).unwrap()),
        Model::Forest(
            Forest::fit(
                &x,
                &y,
                &ForestParams {
                    n_trees: 15,
                    min_samples_leaf: 2,
                    ..ForestParams::default()
                },
            )
            .unwrap(),
        ),
    ];
    for m in &models {
        let raw = m.predict_raw(&xt);
        let c = m.contributions(&xt);
        let blocks = m.explain_blocks(&xt, |start, r, v| (start, r.to_vec(), v.to_vec()));
        let mut next = 0;
        for (start, r, v) in blocks {
            assert_eq!(start, next, "{}: blocks in row order", m.kind());
            let rows = start..start + r.len();
            assert_eq!(
                r.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                raw[rows.clone()]
                    .iter()
                    .map(|v| v.to_bits())
                    .collect::<Vec<_>>(),
                "{}: raw outputs of rows {rows:?}",
                m.kind()
            );
            let p = xt.n_cols();
            assert_eq!(
                v,
                c.values[start * p..(start + r.len()) * p],
                "{}",
                m.kind()
            );
            next = rows.end;
        }
        assert_eq!(next, xt.n_rows());
        // and the contributions still add up to the raw output, and for the trees equal
        // Algorithm 2 TreeSHAP (no tables, no Linear TreeSHAP) up to rounding: the forest's
        // deep trees split on the same few features again and again
        let trees = match m {
            Model::Gbdt(g) => Some((&g.trees, 1.0)),
            Model::Forest(f) => Some((&f.trees, 1.0 / f.trees.len() as f64)),
            Model::Logistic(_) => None,
        };
        for (i, r) in raw.iter().enumerate() {
            assert!((c.total(i) - r).abs() < 1e-9, "{} row {i}", m.kind());
            if let Some((trees, scale)) = trees {
                let row: Vec<f64> = (0..xt.n_cols()).map(|j| xt.get(i, j)).collect();
                let mut phi = vec![0.0; row.len()];
                for t in trees {
                    t.shap_into(&row, &mut phi, scale);
                }
                for (a, b) in phi.iter().zip(c.row(i)) {
                    assert!((a - b).abs() < 1e-9, "row {i}: {phi:?} vs {:?}", c.row(i));
                }
            }
        }
        // For trees tabulated whole (the 8-leaf GBDT), the block kernel adds exactly what the
        // per-row path adds, tree after tree: bit for bit, by separate code.
        if let Model::Gbdt(g) = m {
            if g.trees.iter().all(|t| t.nodes.len() <= 21) {
                let share = tree::SHAP_TABLE_BUDGET / g.trees.len();
                let paths: Vec<_> = g.trees.iter().map(|t| t.shap_paths(share)).collect();
                let mut scratch = tree::ShapScratch::default();
                for i in 0..xt.n_rows() {
                    let row: Vec<f64> = (0..xt.n_cols()).map(|j| xt.get(i, j)).collect();
                    let mut phi = vec![0.0; row.len()];
                    for (t, q) in g.trees.iter().zip(&paths) {
                        q.add_row(t, &row, &mut phi, 1.0, &mut scratch);
                    }
                    assert_eq!(phi, c.row(i), "row {i}");
                }
            }
        }
        if let Model::Forest(f) = m {
            let depth = f.trees.iter().map(|t| t.depth()).max().unwrap();
            assert!(depth > 10, "the forest should have deep trees: {depth}");
        }
    }
}

/// Brute-force Shapley values of one tree with the path-dependent value function
/// `v(S) = E[f(x) | x_S]` (unknown features averaged by node cover), as TreeSHAP defines it.
fn brute_force_shap(tree: &tree::Tree, row: &[f64]) -> Vec<f64> {
    fn cond(t: &tree::Tree, k: usize, row: &[f64], s: u32) -> f64 {
        let n = &t.nodes[k];
        if n.is_leaf() {
            return n.value;
        }
        let (l, r) = (n.left as usize, n.right as usize);
        if s & (1 << n.feature) != 0 {
            let x = row[n.feature as usize];
            let left = if x.is_nan() {
                n.default_left
            } else {
                x <= n.threshold
            };
            cond(t, if left { l } else { r }, row, s)
        } else {
            (t.nodes[l].cover * cond(t, l, row, s) + t.nodes[r].cover * cond(t, r, row, s))
                / n.cover
        }
    }
    let p = row.len();
    let fact = |k: usize| (1..=k).map(|v| v as f64).product::<f64>();
    let mut phi = vec![0.0; p];
    for (j, ph) in phi.iter_mut().enumerate() {
        for s in 0u32..(1 << p) {
            if s & (1 << j) != 0 {
                continue;
            }
            let size = s.count_ones() as usize;
            let w = fact(size) * fact(p - size - 1) / fact(p);
            *ph += w * (cond(tree, 0, row, s | (1 << j)) - cond(tree, 0, row, s));
        }
    }
    phi
}

#[test]
fn tree_shap_matches_brute_force_shapley_values() {
    let (x, y) = fixture(500, 8);
    let (xt, _) = fixture(30, 9);
    let mut checked = 0;
    let mut scratch = tree::ShapScratch::default();
    // 12 leaves: Linear TreeSHAP (its factors stored, and recomputed per row); 6 leaves:
    // whole-tree tables by direction pattern
    for num_leaves in [12, 6] {
        let g = Gbdt::fit(
            &x,
            &y,
            &GbdtParams {
                num_leaves,
                max_depth: None,
                max_rounds: 5,
                early_stopping: None,
                learning_rate: 0.3,
                ..GbdtParams::default()
            },
        )
        .unwrap();
        for tree in &g.trees {
            // tabulated (every table the tree allows) and the row-by-row path sums (none)
            let tabulated = tree.shap_paths(usize::MAX);
            let direct = tree.shap_paths(0);
            for i in 0..xt.n_rows() {
                let mut row: Vec<f64> = (0..xt.n_cols()).map(|j| xt.get(i, j)).collect();
                if i % 4 == 0 {
                    let j = i % row.len();
                    row[j] = f64::NAN; // missing values take the default side
                }
                let mut fast = vec![0.0; row.len()];
                tree.shap_into(&row, &mut fast, 1.0);
                let mut table = vec![0.0; row.len()];
                tabulated.add_row(tree, &row, &mut table, 1.0, &mut scratch);
                let mut paths = vec![0.0; row.len()];
                direct.add_row(tree, &row, &mut paths, 1.0, &mut scratch);
                if num_leaves == 12 {
                    assert_eq!(table, paths, "tabulated and direct path sums differ");
                }
                let slow = brute_force_shap(tree, &row);
                for (((a, b), c), d) in fast.iter().zip(&slow).zip(&table).zip(&paths) {
                    assert!(
                        (a - b).abs() < 1e-10 && (c - b).abs() < 1e-10 && (d - b).abs() < 1e-10,
                        "TreeSHAP {fast:?}, tables {table:?}, paths {paths:?} vs brute force {slow:?}"
                    );
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 60);
}

#[test]
fn bad_inputs_give_typed_errors_that_say_what_and_where() {
    let (x, y) = fixture(100, 10);
    // one class
    let ones = vec![1u8; 100];
    let err = Gbdt::fit(&x, &ones, &GbdtParams::default()).unwrap_err();
    assert_eq!(
        err,
        ModelError::OneClass {
            class: 1,
            rows: 100
        }
    );
    assert!(err.to_string().contains("only one class"));
    // length mismatch
    let err = Logistic::fit(&x, &y[..99], &LogisticParams::default()).unwrap_err();
    assert!(
        matches!(err, ModelError::LengthMismatch { ref what, expected: 100, got: 99 } if what == "labels")
    );
    // all-missing column, named
    let bad = FeatureMatrix::from_numeric_columns(vec![
        ("ok".into(), vec![1.0, 2.0, 3.0, 4.0]),
        ("empty".into(), vec![f64::NAN; 4]),
    ])
    .unwrap();
    let err = train(
        &bad,
        &[0, 1, 0, 1],
        None,
        &quick_config(ModelKind::Logistic),
    )
    .unwrap_err();
    assert_eq!(
        err,
        ModelError::AllMissing {
            column: "empty".into(),
            rows: 4
        }
    );
    assert!(err.to_string().contains("'empty'"));
    // all-missing raw column at encoding time
    let cols = vec![
        RawColumn::text("plan", vec![Some("a".into()), Some("b".into())]),
        RawColumn::text("blank", vec![Some(" ".into()), None]),
    ];
    let err = fit_spec(&cols, &EncodeOptions::default()).unwrap_err();
    assert_eq!(
        err,
        ModelError::AllMissing {
            column: "blank".into(),
            rows: 2
        }
    );
    // raw columns of different lengths
    let cols = vec![
        RawColumn::number("a", vec![Some(1.0); 3]),
        RawColumn::number("b", vec![Some(1.0); 2]),
    ];
    let err = fit_spec(&cols, &EncodeOptions::default()).unwrap_err();
    assert!(
        matches!(err, ModelError::LengthMismatch { ref what, expected: 3, got: 2 } if what == "column 'b'")
    );
    // bad matrix shape, duplicate names, infinities
    assert!(matches!(
        FeatureMatrix::new(3, vec![ColumnMeta::numeric("a")], vec![1.0; 4]),
        Err(ModelError::BadShape {
            expected: 3,
            got: 4,
            ..
        })
    ));
    assert!(matches!(
        FeatureMatrix::from_numeric_columns(vec![("a".into(), vec![1.0]), ("a".into(), vec![2.0])]),
        Err(ModelError::DuplicateColumn { .. })
    ));
    assert_eq!(
        FeatureMatrix::from_numeric_columns(vec![("a".into(), vec![1.0, f64::INFINITY])])
            .unwrap_err(),
        ModelError::Infinite {
            column: "a".into(),
            row: 1
        }
    );
    // labels other than 0/1
    let mut y2 = y.clone();
    y2[7] = 2;
    assert_eq!(
        Logistic::fit(&x, &y2, &LogisticParams::default()).unwrap_err(),
        ModelError::BadLabel { row: 7, value: 2 }
    );
    // scoring data without a column the model needs
    let model = train(&x, &y, None, &quick_config(ModelKind::Logistic)).unwrap();
    let partial = FeatureMatrix::from_numeric_columns(vec![("signal".into(), vec![0.0])]).unwrap();
    assert_eq!(
        model.predict_proba(&partial).unwrap_err(),
        ModelError::MissingColumn {
            column: "noise".into()
        }
    );
    // a numeric input that receives text at scoring time
    let cols = vec![RawColumn::text(
        "charges",
        vec![Some("1.5".into()), Some(" ".into())],
    )];
    let (spec, _) = fit_spec(&cols, &EncodeOptions::default()).unwrap();
    let err = spec
        .transform(&[RawColumn::text(
            "charges",
            vec![Some("2".into()), Some("n/a".into())],
        )])
        .unwrap_err();
    assert_eq!(
        err,
        ModelError::NotANumber {
            column: "charges".into(),
            row: 1,
            value: "n/a".into()
        }
    );
}

#[test]
fn encoding_reapplies_identically_and_handles_blanks_and_unseen_levels() {
    let s = |v: &str| Some(v.to_string());
    let cols = vec![
        RawColumn::text(
            "contract",
            vec![
                s("Month-to-month"),
                s("One year"),
                s("Two year"),
                s("Month-to-month"),
                None,
            ],
        ),
        RawColumn::text(
            "total",
            vec![s("29.85"), s(" "), s("1889.5"), s("108.15"), s("10")],
        ),
        RawColumn::number(
            "senior",
            vec![Some(0.0), Some(1.0), None, Some(0.0), Some(0.0)],
        ),
    ];
    let (spec, x) = fit_spec(&cols, &EncodeOptions::default()).unwrap();
    let names: Vec<&str> = x.columns().iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "contract=Month-to-month",
            "contract=One year",
            "contract=Two year",
            "contract=(missing)",
            "total",
            "senior"
        ]
    );
    assert!(
        x.get(1, 4).is_nan(),
        "blank TotalCharges-like text is missing"
    );
    assert_eq!(x.get(2, 4), 1889.5);
    match &spec.inputs[1].encoding {
        Encoding::Numeric {
            parsed_from_text,
            impute,
            missing_share,
        } => {
            assert!(parsed_from_text);
            assert_eq!(*impute, (29.85 + 108.15) / 2.0);
            assert_eq!(*missing_share, 0.2);
        }
        other => panic!("{other:?}"),
    }
    // round trip through JSON, then re-apply: identical matrix
    let spec2: FeatureSpec = serde_json::from_str(&serde_json::to_string(&spec).unwrap()).unwrap();
    let again = spec2.transform(&cols).unwrap();
    assert_eq!(again.columns(), x.columns());
    assert!(again
        .data()
        .iter()
        .zip(x.data())
        .all(|(a, b)| a.to_bits() == b.to_bits()));
    // unseen level and reordered columns at scoring time
    let new = vec![
        RawColumn::number("senior", vec![Some(1.0)]),
        RawColumn::text("total", vec![s("5")]),
        RawColumn::text("contract", vec![s("Three year")]),
    ];
    let m = spec.transform(&new).unwrap();
    assert_eq!(
        (0..4).map(|j| m.get(0, j)).sum::<f64>(),
        0.0,
        "unseen level sets no indicator"
    );
    assert_eq!(m.get(0, 4), 5.0);
    // rare levels beyond max_levels share (other)
    let many: Vec<Option<String>> = (0..40).map(|i| Some(format!("l{}", i % 10))).collect();
    let (spec, _) = fit_spec(
        &[RawColumn::text("c", many)],
        &EncodeOptions { max_levels: 4 },
    )
    .unwrap();
    match &spec.inputs[0].encoding {
        Encoding::OneHot { levels } => {
            assert_eq!(levels.len(), 4);
            assert_eq!(levels.last().unwrap(), "(other)");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn metrics_match_scikit_learn_definitions() {
    // values from the scikit-learn documentation examples
    let y = [0u8, 0, 1, 1];
    let s = [0.1, 0.4, 0.35, 0.8];
    assert!((roc_auc(&y, &s) - 0.75).abs() < 1e-12);
    assert!((average_precision(&y, &s) - 0.833_333_333_333_333_4).abs() < 1e-12);
    // ties get half credit
    assert!((roc_auc(&[0, 1], &[0.5, 0.5]) - 0.5).abs() < 1e-12);
    assert!((brier(&[0, 1, 1, 0], &[0.1, 0.9, 0.8, 0.3]) - 0.0375).abs() < 1e-12);
    assert!(
        (log_loss(&[1, 0, 0, 1], &[0.9, 0.1, 0.2, 0.65]) - 0.216_161_874_680_579_12).abs() < 1e-12
    );
    let (lift, capture) = metrics::lift_capture(
        &[1, 0, 0, 0, 0, 0, 0, 0, 0, 1],
        &[0.9, 0.8, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.2],
        0.1,
    );
    assert_eq!((lift, capture), (5.0, 0.5));
    let summary = MetricSummary::from_folds(vec![
        Metrics::compute(&y, &s),
        Metrics::compute(&[0, 1, 1, 0], &[0.1, 0.9, 0.8, 0.3]),
    ]);
    assert!((summary.mean.roc_auc - 0.875).abs() < 1e-12);
    assert!((summary.std.unwrap().roc_auc - 0.125 * 2f64.sqrt()).abs() < 1e-12);
}

#[test]
fn thresholds_follow_their_rule_and_bands_are_ordered() {
    let mut rng = SplitMix64::new(12);
    let p: Vec<f64> = (0..1000).map(|_| rng.unit()).collect();
    let y: Vec<u8> = p.iter().map(|&q| u8::from(rng.unit() < q)).collect();
    let t = choose_thresholds(&p, &y, &ThresholdRule::Capacity { fraction: 0.1 }).unwrap();
    assert!((t.action.flagged_share - 0.1).abs() < 0.005);
    // Ties from an isotonic step: 6 % of rows at 0.9, 12 % at 0.5, the rest lower. The 10th
    // percentile sits in the 0.5 block, which would flag 18 %; 6 % is closer to the 10 % asked.
    let stepped: Vec<f64> = (0..1000)
        .map(|i| match i {
            0..60 => 0.9,
            60..180 => 0.5,
            _ => 0.1,
        })
        .collect();
    let ties = choose_thresholds(&stepped, &y, &ThresholdRule::Capacity { fraction: 0.1 }).unwrap();
    assert_eq!(ties.action.probability, 0.9);
    assert!((ties.action.flagged_share - 0.06).abs() < 1e-12);
    // ...and when the tied block is the closer one, it is kept (14 % against 5 %)
    let near: Vec<f64> = (0..1000)
        .map(|i| match i {
            0..50 => 0.9,
            50..140 => 0.5,
            _ => 0.1,
        })
        .collect();
    let kept = choose_thresholds(&near, &y, &ThresholdRule::Capacity { fraction: 0.1 }).unwrap();
    assert_eq!(kept.action.probability, 0.5);
    let cost = choose_thresholds(
        &p,
        &y,
        &ThresholdRule::CostRatio {
            false_negative_cost: 1.0,
            false_positive_cost: 1.0,
        },
    )
    .unwrap();
    // calibrated probabilities and equal costs: the best threshold is near 0.5
    assert!(
        (cost.action.probability - 0.5).abs() < 0.1,
        "{}",
        cost.action.probability
    );
    let f1 = choose_thresholds(&p, &y, &ThresholdRule::BestF1).unwrap();
    assert!(f1.action.f1 >= t.action.f1 && f1.action.f1 >= cost.action.f1);
    let b = &t.bands;
    assert!(b.critical <= b.at_risk && b.at_risk <= b.watch);
    assert_eq!(b.band(0.99), Band::Critical);
    assert_eq!(b.band(0.01), Band::Healthy);
}

#[test]
fn auto_picks_a_model_and_says_why_and_scores_are_bit_identical() {
    let (x, y) = fixture(500, 13);
    let config = quick_config(ModelKind::Auto);
    let a = train(&x, &y, None, &config).unwrap();
    assert_eq!(a.validation.candidates.len(), 3);
    let best = a
        .validation
        .candidates
        .iter()
        .map(|c| c.metrics.mean.roc_auc)
        .fold(f64::MIN, f64::max);
    let kept = a
        .validation
        .candidates
        .iter()
        .find(|c| c.kind == a.kind)
        .unwrap();
    assert!(kept.metrics.mean.roc_auc >= best - config.prefer_simple_within);
    assert!(
        a.validation.reason.starts_with(a.kind.as_str()),
        "{}",
        a.validation.reason
    );
    assert_eq!(kept.metrics.folds.len(), 5);
    assert!(kept.metrics.std.is_some());
    // training twice gives the same model, byte for byte
    let b = train(&x, &y, None, &config).unwrap();
    assert_eq!(a.to_json().unwrap(), b.to_json().unwrap());
    // JSON round trip and thread count do not change a single bit of the scores
    for kind in [ModelKind::Logistic, ModelKind::Forest, ModelKind::Gbdt] {
        let m = train(&x, &y, None, &quick_config(kind)).unwrap();
        let p1 = m.predict_proba(&x).unwrap();
        let loaded = TrainedModel::from_json(&m.to_json().unwrap()).unwrap();
        let p2 = loaded.predict_proba(&x).unwrap();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let p3 = pool.install(|| m.predict_proba(&x).unwrap());
        for ((a, b), c) in p1.iter().zip(&p2).zip(&p3) {
            assert_eq!(a.to_bits(), b.to_bits());
            assert_eq!(a.to_bits(), c.to_bits());
        }
    }
    // Folds run side by side; the model does not depend on how many threads ran them, and
    // the progress steps add up to the plan.
    let steps = std::sync::Mutex::new(Vec::new());
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let c = one
        .install(|| train_with(&x, &y, None, &config, &|s| steps.lock().unwrap().push(s)))
        .unwrap();
    assert_eq!(a.to_json().unwrap(), c.to_json().unwrap());
    let steps = steps.into_inner().unwrap();
    assert_eq!(steps[0], TrainStep::Planned(3 * 5 + 2));
    assert_eq!(steps.len(), 1 + 3 * 5 + 2);
    assert!(steps[1..].iter().all(|s| matches!(s, TrainStep::Done(_))));
    assert_eq!(
        steps.last(),
        Some(&TrainStep::Done("global importance computed".into()))
    );
}

#[test]
fn model_card_reports_metrics_spread_and_sensitive_attributes() {
    let (x, y) = fixture(300, 14);
    let m = train(&x, &y, None, &quick_config(ModelKind::Gbdt)).unwrap();
    let card = m.model_card(&CardContext {
        title: "Test".into(),
        target: "churn within 90 days".into(),
        data_description: "fixture".into(),
        excluded_sensitive: vec!["gender".into(), "age_band".into()],
        sensitive_derived_features: vec!["flag".into()],
        caveats: vec![],
    });
    for needle in [
        "## Intended use",
        "## Data",
        "## Validation",
        "| ROC-AUC |",
        "gender, age_band",
        "derived from sensitive attributes",
        "## Caveats",
        "TreeSHAP",
    ] {
        assert!(card.contains(needle), "card lacks {needle}:\n{card}");
    }
    let std = m.validation.candidates[0]
        .metrics
        .std
        .as_ref()
        .unwrap()
        .roc_auc;
    assert!(card.contains(&format!("{std:.4}")));
    assert!(
        card.contains("(capacity: act on the top 10.0 % of customers)"),
        "{card}"
    );
    assert!(!card.contains("Capacity {"), "{card}");
    // Time-based validation: cutoffs are days since 1970-01-01, written as dates, gaps in days
    let n = x.n_rows();
    let cutoffs: Vec<i64> = (0..n).map(|i| [20089, 20180, 20271][i % 3]).collect();
    let mut config = quick_config(ModelKind::Logistic);
    config.time_min_gap = 90;
    let t = train(&x, &y, Some(&cutoffs), &config).unwrap();
    let card = t.model_card(&CardContext {
        title: "Test".into(),
        target: "churn".into(),
        data_description: String::new(),
        excluded_sensitive: vec![],
        sensitive_derived_features: vec![],
        caveats: vec![],
    });
    for needle in [
        "- Cutoffs: 2025-01-01, 2025-04-02, 2025-07-02 (3 distinct)",
        "at least 90 days earlier",
        "validate cutoff 2025-07-02",
        "can still be audited",
    ] {
        assert!(card.contains(needle), "card lacks {needle}:\n{card}");
    }
}

#[test]
fn reasons_name_the_features_that_raise_the_risk() {
    let s = |v: &str| Some(v.to_string());
    let n = 400;
    let mut rng = SplitMix64::new(15);
    let mut contract = Vec::new();
    let mut tenure = Vec::new();
    let mut y = Vec::new();
    for _ in 0..n {
        let monthly = rng.unit() < 0.5;
        let t = rng.unit() * 60.0;
        contract.push(if monthly { s("monthly") } else { s("yearly") });
        tenure.push(Some(t));
        let z = if monthly { 1.5 } else { -1.5 } - 0.05 * (t - 30.0);
        y.push(u8::from(rng.unit() < sigmoid(z)));
    }
    let cols = vec![
        RawColumn::text("contract", contract),
        RawColumn::number("tenure", tenure),
    ];
    let m = train_table(
        &cols,
        &y,
        None,
        &EncodeOptions::default(),
        &quick_config(ModelKind::Logistic),
    )
    .unwrap();
    let x = m
        .encode(&[
            RawColumn::text("contract", vec![s("monthly")]),
            RawColumn::number("tenure", vec![Some(1.0)]),
        ])
        .unwrap();
    let c = m.contributions(&x).unwrap();
    let reasons = c.top_reasons_by_source(0, 3);
    let names: Vec<&str> = reasons.iter().map(|r| r.feature.as_str()).collect();
    assert!(
        names.contains(&"contract") && names.contains(&"tenure"),
        "{names:?}"
    );
    assert!(reasons.iter().all(|r| r.contribution > 0.0));
    assert_eq!(reasons[0].label().chars().last(), Some(')'));
    let p = m.predict_proba(&x).unwrap()[0];
    assert!(p > m.training.positive_rate);
    assert_ne!(m.band(p), Band::Healthy);
}

#[test]
fn batch_scoring_equals_walking_each_tree_row_by_row() {
    // missing values, +inf thresholds and leaves at many depths go through the batch walk
    let (x, y) = fixture(3000, 21);
    let (xt, _) = fixture(700, 22);
    let g = Gbdt::fit(
        &x,
        &y,
        &GbdtParams {
            num_leaves: 31,
            max_depth: None,
            max_rounds: 60,
            early_stopping: None,
            ..GbdtParams::default()
        },
    )
    .unwrap();
    let f = Forest::fit(
        &x,
        &y,
        &ForestParams {
            n_trees: 10,
            ..ForestParams::default()
        },
    )
    .unwrap();
    let row = |i: usize| -> Vec<f64> { (0..xt.n_cols()).map(|j| xt.column(j)[i]).collect() };
    let raw = g.predict_raw(&xt);
    let prob = f.predict(&xt);
    for i in 0..xt.n_rows() {
        let r = row(i);
        let mut s = 0.0;
        for t in &g.trees {
            s += t.predict_row(&r);
        }
        assert_eq!(
            raw[i].to_bits(),
            (g.base_score + s).to_bits(),
            "gbdt row {i}"
        );
        let mut s = 0.0;
        for t in &f.trees {
            s += t.predict_row(&r);
        }
        let want = 0.0 + (1.0 / f.trees.len() as f64) * s;
        assert_eq!(prob[i].to_bits(), want.to_bits(), "forest row {i}");
    }
}

#[test]
fn gbdt_trees_do_not_depend_on_the_thread_count() {
    // enough rows that histograms are built by several threads
    let (x, y) = fixture(40_000, 23);
    let params = GbdtParams {
        num_leaves: 31,
        max_depth: None,
        max_rounds: 20,
        early_stopping: None,
        ..GbdtParams::default()
    };
    let fit_with = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| Gbdt::fit(&x, &y, &params).unwrap())
    };
    let one = fit_with(1);
    let three = fit_with(3);
    assert_eq!(one, three);
}

/// `SourceGroups::top` (a running best-k, what scoring runs per row) ranks like sorting every
/// source by (sum descending, name): ties, zeros, negatives, NaN, one-hot sums, k beyond the
/// positives.
#[test]
fn top_sources_rank_like_a_full_sort() {
    let one = |f: &str| ColumnMeta::numeric(f);
    let hot = |f: &str, l: &str| ColumnMeta::one_hot(f, l);
    let layouts = [
        vec![one("a"), one("b"), one("c"), one("d"), one("e")],
        vec![
            one("z"),
            hot("plan", "x"),
            hot("plan", "y"),
            one("b"),
            hot("plan", "(other)"),
        ],
    ];
    let mut rng = SplitMix64::new(41);
    let palette = [0.5, 0.25, 0.0, -0.25, 1.0, f64::NAN, 0.25];
    for columns in &layouts {
        let groups = SourceGroups::of(columns);
        for _ in 0..500 {
            let row: Vec<f64> = (0..columns.len())
                .map(|_| palette[(rng.unit() * palette.len() as f64) as usize % palette.len()])
                .collect();
            // the reference: sum per source in column order, sort everything
            let mut sums: Vec<(String, f64)> = Vec::new();
            for (c, &v) in columns.iter().zip(&row) {
                match sums.iter_mut().find(|(n, _)| n == c.source()) {
                    Some(e) => e.1 += v,
                    None => sums.push((c.source().to_string(), v)),
                }
            }
            sums.retain(|(_, v)| *v > 0.0);
            sums.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            for k in 0..5 {
                let got: Vec<(String, f64)> = groups
                    .top(&row, k)
                    .into_iter()
                    .map(|(g, v)| (groups.names[g].clone(), v))
                    .collect();
                let want: Vec<(String, f64)> = sums.iter().take(k).cloned().collect();
                assert_eq!(got, want, "row {row:?}, k {k}");
            }
        }
    }
}

/// Global importance averages over 5,000 training rows unless explaining a row is costly (deep
/// trees), and then over fewer, never under 1,000 (nor more than there are).
#[test]
fn importance_sample_shrinks_only_for_costly_models() {
    let (x, y) = fixture(3000, 51);
    let small = Model::Gbdt(
        Gbdt::fit(
            &x,
            &y,
            &GbdtParams {
                num_leaves: 8,
                max_rounds: 20,
                early_stopping: None,
                ..GbdtParams::default()
            },
        )
        .unwrap(),
    );
    assert_eq!(importance_rows(&small, 20_000), 5000);
    assert_eq!(importance_rows(&small, 300), 300);
    let deep = Model::Forest(
        Forest::fit(
            &x,
            &y,
            &ForestParams {
                n_trees: 300,
                min_samples_leaf: 1,
                ..ForestParams::default()
            },
        )
        .unwrap(),
    );
    assert!(deep.explain_steps() > 1e6, "{}", deep.explain_steps());
    let rows = importance_rows(&deep, 20_000);
    assert!((1000..5000).contains(&rows), "{rows}");
    assert!(small.explain_steps() < deep.explain_steps());
}

/// A forest's leaves hold at least `min_leaf_share` of the rows it is fitted on, so that its size
/// (and the cost of explaining it) stops growing with the data.
#[test]
fn forest_leaves_grow_with_the_data() {
    let (x, y) = fixture(5000, 61);
    let leaves = |share: f64| {
        let f = Forest::fit(
            &x,
            &y,
            &ForestParams {
                n_trees: 10,
                min_leaf_share: share,
                ..ForestParams::default()
            },
        )
        .unwrap();
        f.trees
            .iter()
            .map(|t| t.nodes.iter().filter(|n| n.is_leaf()).count())
            .max()
            .unwrap()
    };
    // at most 5000 × 0.632 (distinct rows of a bootstrap) / 50 leaves of 50 rows
    let (small, large) = (leaves(0.01), leaves(0.0));
    assert!(small <= 64, "{small} leaves with 50 rows or more each");
    assert!(large > 2 * small, "{large} vs {small}");
    let bad = Forest::fit(
        &x,
        &y,
        &ForestParams {
            min_leaf_share: 1.5,
            ..ForestParams::default()
        },
    );
    assert!(bad.is_err());
}

/// Linear TreeSHAP gives each row the same values whether rows go through it one at a time
/// (`ShapPaths::add_row`) or side by side in blocks (`Model::contributions`).
#[test]
fn linear_tree_shap_is_the_same_one_row_or_many() {
    let (x, y) = fixture(2000, 71);
    let (xt, _) = fixture(300, 72);
    let f = Forest::fit(
        &x,
        &y,
        &ForestParams {
            n_trees: 1,
            min_samples_leaf: 1,
            ..ForestParams::default()
        },
    )
    .unwrap();
    let tree = &f.trees[0];
    assert!(
        tree.nodes.len() > 100,
        "a deep tree: {} nodes",
        tree.nodes.len()
    );
    let c = Model::Forest(f.clone()).contributions(&xt);
    let paths = tree.shap_paths(tree::SHAP_TABLE_BUDGET);
    let mut scratch = tree::ShapScratch::default();
    for i in 0..xt.n_rows() {
        let row: Vec<f64> = (0..xt.n_cols()).map(|j| xt.get(i, j)).collect();
        let mut phi = vec![0.0; row.len()];
        paths.add_row(tree, &row, &mut phi, 1.0, &mut scratch);
        assert_eq!(phi, c.row(i), "row {i}");
    }
}
