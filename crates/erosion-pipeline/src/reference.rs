//! The drift reference `erosion train` keeps in the bundle, and the model's inputs as the
//! model reads them: one definition for training (which builds the reference) and for
//! `erosion monitor` (which compares a night's inputs with it).

use erosion_models::{Encoding, RawColumn, RawValues, TrainedModel};
use erosion_monitor::{Column, Reference, ReferenceOptions, Values};
use std::collections::HashMap;

/// The model's inputs among `raw` (moved out of it), in the spec's order, as the model reads
/// them: a text column the model parsed as numbers is parsed the same way (a cell that is not a
/// finite number is missing). Errs with the name of an input `raw` lacks.
pub fn model_inputs(model: &TrainedModel, raw: Vec<RawColumn>) -> Result<Vec<RawColumn>, String> {
    let spec = model
        .spec
        .as_ref()
        .ok_or_else(|| "the model was not trained from table columns".to_string())?;
    let mut by_name: HashMap<String, RawColumn> =
        raw.into_iter().map(|c| (c.name.clone(), c)).collect();
    spec.inputs
        .iter()
        .map(|input| {
            let col = by_name
                .remove(&input.name)
                .ok_or_else(|| input.name.clone())?;
            Ok(as_the_model_reads(&input.encoding, col))
        })
        .collect()
}

fn as_the_model_reads(encoding: &Encoding, col: RawColumn) -> RawColumn {
    match (encoding, col.values) {
        (Encoding::Numeric { .. }, RawValues::Text(v)) => RawColumn::numbers(
            col.name,
            v.iter()
                .map(|s| {
                    s.as_deref()
                        .and_then(|t| t.trim().parse::<f64>().ok())
                        .filter(|x| x.is_finite())
                        .unwrap_or(f64::NAN)
                })
                .collect(),
        ),
        (Encoding::OneHot { .. }, RawValues::Number(v)) => RawColumn::text(
            col.name,
            v.iter()
                .map(|x| (!x.is_nan()).then(|| x.to_string()))
                .collect(),
        ),
        (_, values) => RawColumn {
            name: col.name,
            values,
        },
    }
}

/// A raw column as the monitor reads it.
pub fn as_column(c: &RawColumn) -> Column<'_> {
    Column {
        name: &c.name,
        values: match &c.values {
            RawValues::Number(v) => Values::Numeric(v),
            RawValues::Text(v) => Values::Categorical(v),
        },
    }
}

/// What the score reference of a bundle is.
pub const SCORE_SOURCE: &str = "calibrated out-of-fold probabilities of the kept family (the \
     training rows validation scored, each by a model not fitted on it: the scores the \
     calibrator and the action threshold were fitted on)";

/// The training reference `erosion train` stores in the bundle: every model input of the
/// training rows `raw`, and the calibrated out-of-fold probabilities `validation` (in-sample
/// scores of the final model would be more spread than any new night's, most of all for a
/// forest, and the score would drift on a quiet night).
pub fn training_reference(
    model: &TrainedModel,
    raw: &[RawColumn],
    validation: &erosion_models::ValidationScores,
) -> Result<Reference, erosion_models::ModelError> {
    let inputs = model_inputs(model, raw.to_vec())
        .map_err(|name| erosion_models::ModelError::MissingColumn { column: name })?;
    let columns: Vec<Column> = inputs.iter().map(as_column).collect();
    Ok(Reference::build(
        &columns,
        Some(&validation.calibrated),
        SCORE_SOURCE,
        &ReferenceOptions::default(),
    ))
}
