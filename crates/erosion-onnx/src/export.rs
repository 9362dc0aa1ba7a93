//! Assembles the graph: inputs and preprocessing, the model's score, calibration.

use erosion_inference::encode::{MISSING_LEVEL, OTHER_LEVEL};
use erosion_inference::{Calibrator, Encoding, FeatureSpec, Model, TrainedModel};

use crate::graph::{attr_int, attr_ints, attr_strings, Graph, INTERNAL_PREFIX, ML_DOMAIN};
use crate::proto::{data_type, ModelProto, OperatorSetIdProto, StringStringEntryProto};
use crate::trees::{count_at_or_below, tree_sum};
use crate::{
    ExportOptions, GraphInput, InputKind, InputLayout, OnnxError, ML_OPSET, ONNX_OPSET, OUTPUT_NAME,
};

/// ONNX IR version written (the one that goes with opset 15).
const IR_VERSION: i64 = 8;

/// The forest's probability is clipped to `[EPS, 1 - EPS]` before it becomes log-odds; the same
/// constant as `erosion_inference::model`.
const FOREST_EPS: f64 = 1e-6;

/// The graph inputs of `model` under `layout`, in order.
pub(crate) fn graph_inputs(
    model: &TrainedModel,
    layout: InputLayout,
) -> Result<Vec<GraphInput>, OnnxError> {
    let inputs = match resolve(model, layout)? {
        Resolved::Raw(spec) => spec
            .inputs
            .iter()
            .map(|i| match &i.encoding {
                Encoding::Numeric {
                    parsed_from_text,
                    impute,
                    ..
                } => GraphInput {
                    name: i.name.clone(),
                    kind: InputKind::Number,
                    description: format!(
                        "numeric column `{}`{}; NaN where missing (training median {impute})",
                        i.name,
                        if *parsed_from_text {
                            " (text in training: pass the parsed number)"
                        } else {
                            ""
                        }
                    ),
                },
                Encoding::OneHot { levels } => GraphInput {
                    name: i.name.clone(),
                    kind: InputKind::Text,
                    description: format!(
                        "categorical column `{}`, trimmed text; \"\" where missing; levels: {}",
                        i.name,
                        levels.join(", ")
                    ),
                },
            })
            .collect(),
        Resolved::Encoded => model
            .features
            .iter()
            .map(|f| GraphInput {
                name: f.name.clone(),
                kind: InputKind::Number,
                description: format!("encoded feature `{}`; NaN where missing", f.name),
            })
            .collect::<Vec<_>>(),
    };
    for i in &inputs {
        if i.name.is_empty() || i.name.starts_with(INTERNAL_PREFIX) || i.name == OUTPUT_NAME {
            return Err(OnnxError::InvalidInputName(i.name.clone()));
        }
    }
    Ok(inputs)
}

enum Resolved<'a> {
    Raw(&'a FeatureSpec),
    Encoded,
}

fn resolve(model: &TrainedModel, layout: InputLayout) -> Result<Resolved<'_>, OnnxError> {
    match (layout, &model.spec) {
        (InputLayout::Auto | InputLayout::RawColumns, Some(spec)) => Ok(Resolved::Raw(spec)),
        (InputLayout::RawColumns, None) => Err(OnnxError::NoFeatureSpec),
        (InputLayout::Auto | InputLayout::EncodedFeatures, _) => Ok(Resolved::Encoded),
    }
}

/// Builds the whole model.
pub(crate) fn build(
    model: &TrainedModel,
    options: &ExportOptions,
) -> Result<ModelProto, OnnxError> {
    if model.features.is_empty() {
        return Err(OnnxError::InvalidModel("the model has no features".into()));
    }
    let inputs = graph_inputs(model, options.layout)?;
    let mut g = Graph::default();
    for i in &inputs {
        let t = match i.kind {
            InputKind::Number => data_type::DOUBLE,
            InputKind::Text => data_type::STRING,
        };
        g.input(&i.name, t, i.description.clone());
    }
    let x = match resolve(model, options.layout)? {
        Resolved::Raw(spec) => raw_preprocessing(&mut g, model, spec)?,
        Resolved::Encoded => {
            let cols: Vec<String> = inputs.iter().map(|i| g.unsqueeze(&i.name, 1)).collect();
            concat(&mut g, &cols)
        }
    };
    let score = model_score(&mut g, model, &x)?;
    calibrate(&mut g, &model.calibrator, &score, OUTPUT_NAME)?;
    g.output(
        OUTPUT_NAME,
        data_type::DOUBLE,
        "calibrated probability of the positive class, one per row".into(),
    );
    let doc = format!(
        "erosion {} model with {} calibration: calibrated probability of the positive class. \
         Inputs: {}.",
        model.kind,
        model.calibrator.method(),
        inputs
            .iter()
            .map(|i| format!("{} ({})", i.name, i.kind.onnx_type()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let metadata = vec![
        entry("erosion.model_kind", model.kind.as_str()),
        entry("erosion.calibration", model.calibrator.method()),
        entry(
            "erosion.inputs",
            &inputs
                .iter()
                .map(|i| i.name.as_str())
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        entry(
            "erosion.features",
            &model
                .features
                .iter()
                .map(|f| f.name.as_str())
                .collect::<Vec<_>>()
                .join("\n"),
        ),
    ];
    Ok(ModelProto {
        ir_version: IR_VERSION,
        opset_import: vec![
            OperatorSetIdProto {
                domain: String::new(),
                version: ONNX_OPSET,
            },
            OperatorSetIdProto {
                domain: ML_DOMAIN.into(),
                version: ML_OPSET,
            },
        ],
        producer_name: "erosion".into(),
        producer_version: env!("CARGO_PKG_VERSION").into(),
        domain: "erosion".into(),
        // The layout's version is the bundle's (its header); a graph has no version of its own.
        model_version: 0,
        doc_string: doc.clone(),
        graph: Some(g.finish("erosion", doc)),
        metadata_props: metadata,
    })
}

fn entry(key: &str, value: &str) -> StringStringEntryProto {
    StringStringEntryProto {
        key: key.into(),
        value: value.into(),
    }
}

fn concat(g: &mut Graph, parts: &[String]) -> String {
    if parts.len() == 1 {
        return parts[0].clone();
    }
    let refs: Vec<&str> = parts.iter().map(String::as_str).collect();
    g.op("Concat", &refs, vec![attr_int("axis", 1)], None)
}

/// Raw columns to the `[N, p]` double matrix of the model's features, as `FeatureSpec::transform`
/// builds it: numbers copied (NaN stays NaN), text one-hot encoded with the `(other)` and
/// `(missing)` rules. Columns come out in the model's feature order.
fn raw_preprocessing(
    g: &mut Graph,
    model: &TrainedModel,
    spec: &FeatureSpec,
) -> Result<String, OnnxError> {
    let mut parts = Vec::new();
    for input in &spec.inputs {
        match &input.encoding {
            Encoding::Numeric { .. } => parts.push(g.unsqueeze(&input.name, 1)),
            Encoding::OneHot { levels } => {
                if levels.is_empty() {
                    return Err(OnnxError::InvalidModel(format!(
                        "categorical input `{}` has no levels",
                        input.name
                    )));
                }
                let index = |l: &str| levels.iter().position(|v| v == l).map(|k| k as i64);
                // a blank cell is missing; an unknown level goes to (other), else to no column
                let mut keys: Vec<&str> = levels.iter().map(String::as_str).collect();
                let mut values: Vec<i64> = (0..levels.len() as i64).collect();
                keys.push("");
                values.push(index(MISSING_LEVEL).unwrap_or(-1));
                let default = index(OTHER_LEVEL).unwrap_or(-1);
                let code = g.ml_op(
                    "LabelEncoder",
                    &[&input.name],
                    vec![
                        attr_strings("keys_strings", &keys),
                        attr_ints("values_int64s", values),
                        attr_int("default_int64", default),
                    ],
                );
                let code = g.unsqueeze(&code, 1);
                let k = levels.len() as i64;
                let ids = g.const_i64("levels", &[k], (0..k).collect());
                let hot = g.op("Equal", &[&code, &ids], vec![], None);
                parts.push(g.cast(&hot, data_type::DOUBLE));
            }
        }
    }
    let x = concat(g, &parts);
    // the spec's feature order, then the model's
    let produced: Vec<String> = spec.features().into_iter().map(|c| c.name).collect();
    let wanted: Vec<&str> = model.features.iter().map(|c| c.name.as_str()).collect();
    if produced
        .iter()
        .map(String::as_str)
        .eq(wanted.iter().copied())
    {
        return Ok(x);
    }
    let mut perm = Vec::with_capacity(wanted.len());
    for w in &wanted {
        let j = produced
            .iter()
            .position(|p| p == w)
            .ok_or_else(|| OnnxError::SpecMismatch((*w).to_string()))?;
        perm.push(j as i64);
    }
    let idx = g.const_i64("feature_order", &[perm.len() as i64], perm);
    Ok(g.op("Gather", &[&x, &idx], vec![attr_int("axis", 1)], None))
}

/// The model's log-odds score (`Model::score`) of every row of the `[N, p]` matrix `x`, as `[N]`.
fn model_score(g: &mut Graph, model: &TrainedModel, x: &str) -> Result<String, OnnxError> {
    let p = model.features.len();
    match &model.model {
        Model::Logistic(m) => {
            for (name, v) in [
                ("impute", &m.impute),
                ("mean", &m.mean),
                ("scale", &m.scale),
                ("coef", &m.coef),
            ] {
                if v.len() != p {
                    return Err(OnnxError::InvalidModel(format!(
                        "logistic {name} has {} values for {p} features",
                        v.len()
                    )));
                }
                if v.iter().any(|c| !c.is_finite()) {
                    return Err(OnnxError::InvalidModel(format!(
                        "logistic {name} holds a non-finite value"
                    )));
                }
            }
            let dims = [1, p as i64];
            let impute = g.const_f64("impute", &dims, m.impute.clone());
            let mean = g.const_f64("mean", &dims, m.mean.clone());
            let scale = g.const_f64("scale", &dims, m.scale.clone());
            let coef = g.const_f64("coef", &[p as i64, 1], m.coef.clone());
            let intercept = g.scalar_f64("intercept", m.intercept);
            let nan = g.op("IsNaN", &[x], vec![], None);
            let filled = g.op("Where", &[&nan, &impute, x], vec![], None);
            let centred = g.op("Sub", &[&filled, &mean], vec![], None);
            let z = g.op("Div", &[&centred, &scale], vec![], None);
            let dot = g.op("MatMul", &[&z, &coef], vec![], None);
            let dot = g.squeeze(&dot, 1);
            Ok(g.op("Add", &[&intercept, &dot], vec![], None))
        }
        Model::Gbdt(m) => {
            check_trees_features(m.n_features, p)?;
            let sum = tree_sum(g, x, &m.trees, p)?;
            let base = g.scalar_f64("base_score", m.base_score);
            Ok(g.op("Add", &[&base, &sum], vec![], None))
        }
        Model::Forest(m) => {
            check_trees_features(m.n_features, p)?;
            let sum = tree_sum(g, x, &m.trees, p)?;
            let scale = g.scalar_f64("inv_trees", 1.0 / m.trees.len() as f64);
            let prob = g.op("Mul", &[&scale, &sum], vec![], None);
            let lo = g.scalar_f64("eps", FOREST_EPS);
            let hi = g.scalar_f64("one_minus_eps", 1.0 - FOREST_EPS);
            let prob = g.op("Max", &[&prob, &lo], vec![], None);
            let prob = g.op("Min", &[&prob, &hi], vec![], None);
            let one = g.scalar_f64("one", 1.0);
            let rest = g.op("Sub", &[&one, &prob], vec![], None);
            let odds = g.op("Div", &[&prob, &rest], vec![], None);
            Ok(g.op("Log", &[&odds], vec![], None))
        }
    }
}

fn check_trees_features(n_features: usize, p: usize) -> Result<(), OnnxError> {
    if n_features != p {
        return Err(OnnxError::InvalidModel(format!(
            "the trees were grown on {n_features} features, the model lists {p}"
        )));
    }
    Ok(())
}

/// `Calibrator::apply` on the `[N]` score, written to `out`.
fn calibrate(g: &mut Graph, cal: &Calibrator, s: &str, out: &str) -> Result<(), OnnxError> {
    match cal {
        Calibrator::Platt { a, b } => {
            if !(a.is_finite() && b.is_finite()) {
                return Err(OnnxError::InvalidModel(
                    "Platt calibration has a non-finite parameter".into(),
                ));
            }
            let a = g.scalar_f64("platt_a", *a);
            let b = g.scalar_f64("platt_b", *b);
            let z = g.op("Mul", &[&a, s], vec![], None);
            let z = g.op("Add", &[&z, &b], vec![], None);
            g.op("Sigmoid", &[&z], vec![], Some(out));
        }
        Calibrator::Isotonic { x, y } => {
            let k = x.len();
            if k == 0 || y.len() != k {
                return Err(OnnxError::InvalidModel(format!(
                    "isotonic calibration has {k} knots and {} values",
                    y.len()
                )));
            }
            if x.iter().chain(y).any(|v| !v.is_finite()) || x.windows(2).any(|w| w[1] < w[0]) {
                return Err(OnnxError::InvalidModel(
                    "isotonic knots must be finite and non-decreasing".into(),
                ));
            }
            isotonic(g, x, y, s, out);
        }
    }
    Ok(())
}

/// Isotonic interpolation with the arithmetic of `Calibrator::apply`, op for op: the segment
/// `k = #{x_j <= s}` clamped to `[1, K-1]` (a binary search as a one-tree ensemble), then
/// `y0 + (y1 - y0) * (s - x0) / (x1 - x0)`, `y1` where `x1 == x0`, and the end values outside.
fn isotonic(g: &mut Graph, xs: &[f64], ys: &[f64], s: &str, out: &str) {
    let k = xs.len();
    let first_y = g.scalar_f64("iso_y_first", ys[0]);
    if k == 1 {
        let zero = g.scalar_f64("zero", 0.0);
        // constant: y[0] for every row (the Add keeps the batch shape)
        let zeros = g.op("Mul", &[s, &zero], vec![], None);
        g.op("Add", &[&zeros, &first_y], vec![], Some(out));
        return;
    }
    let search = count_at_or_below(xs, 1, k - 1);
    let s2 = g.unsqueeze(s, 1);
    let seg = search.add_to(g, &s2);
    let seg = g.cast(&seg, data_type::INT64);
    let hi_idx = g.squeeze(&seg, 1);
    let one = g.const_i64("one", &[], vec![1]);
    let lo_idx = g.op("Sub", &[&hi_idx, &one], vec![], None);
    let kx = g.const_f64("iso_x", &[k as i64], xs.to_vec());
    let ky = g.const_f64("iso_y", &[k as i64], ys.to_vec());
    let x0 = g.op("Gather", &[&kx, &lo_idx], vec![attr_int("axis", 0)], None);
    let x1 = g.op("Gather", &[&kx, &hi_idx], vec![attr_int("axis", 0)], None);
    let y0 = g.op("Gather", &[&ky, &lo_idx], vec![attr_int("axis", 0)], None);
    let y1 = g.op("Gather", &[&ky, &hi_idx], vec![attr_int("axis", 0)], None);
    let dy = g.op("Sub", &[&y1, &y0], vec![], None);
    let ds = g.op("Sub", &[s, &x0], vec![], None);
    let dx = g.op("Sub", &[&x1, &x0], vec![], None);
    let num = g.op("Mul", &[&dy, &ds], vec![], None);
    let frac = g.op("Div", &[&num, &dx], vec![], None);
    let interp = g.op("Add", &[&y0, &frac], vec![], None);
    let flat = g.op("Equal", &[&x1, &x0], vec![], None);
    let inner = g.op("Where", &[&flat, &y1, &interp], vec![], None);
    let last_x = g.scalar_f64("iso_x_last", xs[k - 1]);
    let last_y = g.scalar_f64("iso_y_last", ys[k - 1]);
    let above = g.op("GreaterOrEqual", &[s, &last_x], vec![], None);
    let upper = g.op("Where", &[&above, &last_y, &inner], vec![], None);
    let first_x = g.scalar_f64("iso_x_first", xs[0]);
    let below = g.op("LessOrEqual", &[s, &first_x], vec![], None);
    g.op("Where", &[&below, &first_y, &upper], vec![], Some(out));
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use erosion_models::{train, CalibrationChoice, FeatureMatrix, ModelKind, TrainConfig};
    use prost::Message;

    use super::*;
    use crate::proto::type_proto;

    fn small_model(kind: ModelKind, calibration: CalibrationChoice) -> TrainedModel {
        let n = 240;
        let a: Vec<f64> = (0..n).map(|i| ((i * 37) % 101) as f64 / 10.0).collect();
        let b: Vec<f64> = (0..n)
            .map(|i| if i % 9 == 0 { f64::NAN } else { (i % 7) as f64 })
            .collect();
        let y: Vec<u8> = (0..n)
            .map(|i| u8::from(a[i] + if b[i].is_nan() { 4.0 } else { b[i] } > 8.0 + (i % 3) as f64))
            .collect();
        let x =
            FeatureMatrix::from_numeric_columns(vec![("a".into(), a), ("b".into(), b)]).unwrap();
        let mut config = TrainConfig {
            model: kind,
            folds: 3,
            calibration,
            ..TrainConfig::default()
        };
        config.forest.n_trees = 10;
        config.gbdt.max_rounds = 20;
        config.gbdt.early_stopping = None;
        train(&x, &y, None, &config).unwrap()
    }

    /// The bytes decode, declare the opsets, and form a graph in which every value a node reads
    /// was defined before (an input, an initializer or an earlier node's output).
    #[test]
    fn graphs_are_well_formed() {
        for kind in [ModelKind::Logistic, ModelKind::Forest, ModelKind::Gbdt] {
            for cal in [CalibrationChoice::Platt, CalibrationChoice::Isotonic] {
                let model = small_model(kind, cal);
                let bytes = crate::export_onnx(&model).unwrap();
                let decoded = ModelProto::decode(bytes.as_slice()).unwrap();
                assert_eq!(decoded.ir_version, IR_VERSION);
                let opsets: Vec<(&str, i64)> = decoded
                    .opset_import
                    .iter()
                    .map(|o| (o.domain.as_str(), o.version))
                    .collect();
                assert_eq!(opsets, [("", ONNX_OPSET), (ML_DOMAIN, ML_OPSET)]);
                let graph = decoded.graph.unwrap();
                let inputs: Vec<&str> = graph.input.iter().map(|i| i.name.as_str()).collect();
                assert_eq!(inputs, ["a", "b"]);
                for i in &graph.input {
                    let Some(type_proto::Value::TensorType(t)) =
                        i.r#type.as_ref().and_then(|t| t.value.as_ref())
                    else {
                        panic!("tensor input")
                    };
                    assert_eq!(t.elem_type, data_type::DOUBLE);
                }
                assert_eq!(graph.output.len(), 1);
                assert_eq!(graph.output[0].name, OUTPUT_NAME);
                let mut defined: HashSet<&str> = graph
                    .input
                    .iter()
                    .map(|i| i.name.as_str())
                    .chain(graph.initializer.iter().map(|t| t.name.as_str()))
                    .collect();
                for node in &graph.node {
                    for i in &node.input {
                        assert!(
                            defined.contains(i.as_str()),
                            "{kind}/{cal:?}: {i} undefined"
                        );
                    }
                    for o in &node.output {
                        assert!(
                            defined.insert(o.as_str()),
                            "{kind}/{cal:?}: {o} defined twice"
                        );
                    }
                }
                assert!(defined.contains(OUTPUT_NAME));
                let uses_trees = graph
                    .node
                    .iter()
                    .any(|n| n.op_type == "TreeEnsembleRegressor" && n.domain == ML_DOMAIN);
                let isotonic = matches!(model.calibrator, Calibrator::Isotonic { .. });
                assert_eq!(uses_trees, kind != ModelKind::Logistic || isotonic);
            }
        }
    }
}
