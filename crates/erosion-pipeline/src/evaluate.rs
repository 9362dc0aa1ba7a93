//! `erosion evaluate`: a bundle's metrics on a labelled table it did not train on.

use crate::{usage, write_file, Failure};
use erosion_bundle::Bundle;
use erosion_frame::{Table, TableOrigin};
use erosion_models::Evaluation;
use std::path::PathBuf;

/// What to evaluate.
#[derive(Debug, Clone)]
pub struct EvaluateRequest {
    /// The bundle.
    pub model: PathBuf,
    /// A labelled feature table (unlabelled rows are skipped).
    pub features: PathBuf,
    /// Where to write the metrics as JSON, if anywhere.
    pub out: Option<PathBuf>,
}

/// The evaluation, with what a reader needs to place it.
#[derive(Debug)]
pub struct Evaluated {
    /// The bundle evaluated.
    pub bundle: Bundle,
    /// Metrics, the decision at the action threshold and the calibration table.
    pub evaluation: Evaluation,
    /// The population the table covers, when `erosion features` made it.
    pub population: Option<String>,
}

/// Scores the labelled rows of the table and measures the model on them.
pub fn evaluate(r: &EvaluateRequest) -> Result<Evaluated, Failure> {
    if let Some(out) = &r.out {
        erosion_io::refuse_overlap(
            &[("--out", out.as_path())],
            &[
                ("--model", r.model.as_path()),
                ("--features", r.features.as_path()),
            ],
        )?;
    }
    let bundle = Bundle::read(&r.model)?;
    let table = Table::read(&r.features)?;
    let target = table.target(&bundle.target.column, bundle.target.positive.as_deref())?;
    let p = crate::train::score_table(&bundle, &table)?;
    let rows: Vec<usize> = (0..target.len()).filter(|&i| target[i].is_some()).collect();
    let y: Vec<u8> = rows.iter().filter_map(|&i| target[i]).collect();
    let p: Vec<f64> = rows.iter().map(|&i| p[i]).collect();
    if y.is_empty() {
        return Err(usage(format!(
            "{}: no labelled row in column {:?}",
            r.features.display(),
            bundle.target.column
        )));
    }
    let evaluation = bundle.model.evaluation(&y, &p);
    if let Some(out) = &r.out {
        let json = serde_json::to_vec_pretty(&evaluation).expect("an evaluation serialises");
        write_file(out, &json)?;
    }
    let population = TableOrigin::read(&r.features)?.map(|o| o.feature_config.population_rule());
    Ok(Evaluated {
        bundle,
        evaluation,
        population,
    })
}
