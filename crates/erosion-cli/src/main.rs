//! `erosion`: the data scientist's command-line tool. A thin layer over the library crates:
//! it parses flags, loads through erosion-io, calls the libraries and writes results.
//!
//! Exit codes: 0 success, 2 bad usage or bad input (the message names the file, the column and
//! the row; an output path equal to an input), 1 an environment or internal failure (standard
//! output full: the files are written first, the I/O error is the cause). A closed standard
//! output (`| head`) ends quietly with 0. A flag spelling that changed (`renamed`) is a usage
//! error, exit 2, naming the new spelling. `erosion monitor --fail-on-alert` ends with 3 when it
//! raised an alert (its files written).

mod args;
mod cmd;
mod progress;
mod renamed;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    if let Some(msg) = renamed::old_spelling(&argv) {
        erosion_io::errln!("error: {msg}");
        return ExitCode::from(2);
    }
    let cli = match args::Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            // clap prints help and version on stdout with success, usage errors on stderr.
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    if cli.quiet && !prints_its_output(&cli.command) {
        erosion_io::stdout::silence_stdout();
    }
    match try_main(cli) {
        // Output goes through `erosion_io::outln!`, which never panics: a failed write to stdout
        // is kept (the command still writes its files) and judged here.
        Ok(()) => erosion_io::stdout::exit_after_success(),
        Err(err) => {
            if err.is::<cmd::monitor::AlertsRaised>() {
                erosion_io::errln!("{err}");
            } else {
                erosion_io::errln!("error: {err:#}");
            }
            ExitCode::from(exit_code(&err))
        }
    }
}

/// The one place errors become exit codes: 3 drift alerts under `--fail-on-alert`, 2 bad input
/// or usage, 1 the environment's failure (an output that cannot be written) or a bug.
fn exit_code(err: &anyhow::Error) -> u8 {
    if err.is::<cmd::monitor::AlertsRaised>() {
        return 3;
    }
    let environment = if let Some(f) = err.downcast_ref::<erosion_pipeline::Failure>() {
        f.is_environment()
    } else if let Some(e) = err.downcast_ref::<erosion_core::Error>() {
        e.is_environment()
    } else {
        true
    };
    if environment {
        1
    } else {
        2
    }
}

/// Commands whose standard output is what was asked for, not a summary: `--quiet` keeps it.
fn prints_its_output(c: &args::Command) -> bool {
    use args::Command::*;
    matches!(c, Validate(_) | Evaluate(_)) || matches!(c, Features(a) if a.list)
}

fn try_main(cli: args::Cli) -> anyhow::Result<()> {
    match cli.command {
        args::Command::Simulate(a) => cmd::simulate::run(&a, cli.quiet),
        args::Command::Validate(a) => cmd::validate::run(&a),
        args::Command::Features(a) => cmd::features::run(&a, cli.quiet),
        args::Command::Train(a) => cmd::train::run_train(&a, cli.quiet),
        args::Command::Evaluate(a) => cmd::train::run_evaluate(&a),
        args::Command::Audit(a) => cmd::audit::run(&a, cli.quiet),
        args::Command::Forecast(a) => cmd::forecast::run(&a, cli.quiet),
        args::Command::Export(a) => cmd::export::run(&a),
        args::Command::Demo(a) => cmd::demo::run(&a, cli.quiet),
        args::Command::Monitor(a) => cmd::monitor::run(&a),
    }
}
