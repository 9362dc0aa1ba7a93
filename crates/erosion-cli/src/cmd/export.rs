//! `erosion export`: a model bundle as a standard ONNX model for other engines.

use crate::args::ExportArgs;
use erosion_bundle::Bundle;
use erosion_core::Error;
use std::io::Write;

/// What an export wrote.
pub struct Exported {
    pub bytes: usize,
    pub inputs: usize,
}

pub fn run(a: &ExportArgs) -> anyhow::Result<()> {
    let e = export(a)?;
    erosion_io::outln!(
        "wrote {} ({} bytes, {} inputs, output `{}`)",
        a.out.display(),
        e.bytes,
        e.inputs,
        erosion_onnx::OUTPUT_NAME
    );
    Ok(())
}

pub fn export(a: &ExportArgs) -> Result<Exported, Error> {
    // `--format` has one choice (clap refuses others): the match says where a second goes.
    match a.format {
        crate::args::ExportFormat::Onnx => {}
    }
    let bundle = Bundle::read(&a.model)?;
    let bytes = erosion_onnx::export_onnx(&bundle.model).map_err(|e| {
        Error::usage(format!(
            "{}: the model cannot be exported to ONNX: {e}",
            a.model.display()
        ))
    })?;
    let inputs = erosion_onnx::graph_inputs(&bundle.model, erosion_onnx::InputLayout::Auto)
        .map(|i| i.len())
        .unwrap_or(0);
    erosion_io::atomic_write(&a.out, |w| {
        w.write_all(&bytes).map_err(|e| Error::write(&a.out, e))
    })?;
    Ok(Exported {
        bytes: bytes.len(),
        inputs,
    })
}
