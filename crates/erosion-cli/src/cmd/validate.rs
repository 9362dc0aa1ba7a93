//! `erosion validate`: load as every command does, summarise, list problems.

use crate::args::ValidateArgs;
use erosion_core::Error;

pub fn run(a: &ValidateArgs) -> anyhow::Result<()> {
    let log = super::load::events(&a.events, &a.file)?;
    let customers = a
        .customers
        .as_deref()
        .map(|p| super::load::customers(p, &a.file))
        .transpose()?;
    let summary = erosion_io::summarize(&log, customers.as_ref());
    erosion_io::outln!("{}", a.events.display());
    erosion_io::out!("{summary}");
    if summary.has_problems() {
        return Err(Error::Usage(format!(
            "{}: {} problem(s) in the input, listed above",
            a.events.display(),
            summary.problems.len() + summary.more_problems
        ))
        .into());
    }
    Ok(())
}
