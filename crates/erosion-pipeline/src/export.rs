//! `erosion export`: a model bundle as a standard ONNX model for other engines.

use crate::{write_file, Failure};
use erosion_bundle::Bundle;
use std::path::PathBuf;

/// What to export.
#[derive(Debug, Clone)]
pub struct ExportRequest {
    /// The bundle.
    pub model: PathBuf,
    /// The ONNX file to write.
    pub out: PathBuf,
}

/// What an export wrote.
#[derive(Debug, Clone)]
pub struct Exported {
    /// Size of the ONNX file.
    pub bytes: usize,
    /// Number of graph inputs (raw columns when the model holds a feature spec).
    pub inputs: usize,
}

/// Writes the bundle's model as ONNX (preprocessing inside the graph when it can).
pub fn export(r: &ExportRequest) -> Result<Exported, Failure> {
    erosion_io::refuse_overlap(
        &[("--out", r.out.as_path())],
        &[("--model", r.model.as_path())],
    )?;
    let bundle = Bundle::read(&r.model)?;
    let bytes = erosion_onnx::export_onnx(&bundle.model).map_err(|error| Failure::Export {
        file: r.model.clone(),
        error,
    })?;
    let inputs = erosion_onnx::graph_inputs(&bundle.model, erosion_onnx::InputLayout::Auto)
        .map(|i| i.len())
        .unwrap_or(0);
    write_file(&r.out, &bytes)?;
    Ok(Exported {
        bytes: bytes.len(),
        inputs,
    })
}
