//! `erosion export`: flags to an [`ExportRequest`], and what was written printed.

use crate::args::ExportArgs;
use erosion_pipeline::export::ExportRequest;

pub fn run(a: &ExportArgs) -> anyhow::Result<()> {
    // `--format` has one choice (clap refuses others): the match says where a second goes.
    match a.format {
        crate::args::ExportFormat::Onnx => {}
    }
    let e = erosion_pipeline::export::export(&ExportRequest {
        model: a.model.clone(),
        out: a.out.clone(),
    })?;
    erosion_io::outln!(
        "wrote {} ({} bytes, {} inputs, output `{}`)",
        a.out.display(),
        e.bytes,
        e.inputs,
        erosion_onnx::OUTPUT_NAME
    );
    Ok(())
}
