//! Writing to standard output without panicking. `println!` panics when stdout is a closed pipe
//! (`erosion features --list | head -1`) or a full device; the binaries print through
//! [`outln!`](crate::outln) / [`out!`](crate::out) and [`errln!`](crate::errln) instead.
//! A failed write to stdout is remembered (the first error) and later writes are skipped, so
//! a command still finishes its real work (a model file, scores) and the binary's `main`
//! then asks [`stdout_failure`]: a broken pipe ends quietly with exit 0 (as `rg` and `grep`
//! do), any other error (a full device) is an environment failure, exit 1, with the I/O error
//! as the cause.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

static FAILED: Mutex<Option<std::io::Error>> = Mutex::new(None);
static SILENT: AtomicBool = AtomicBool::new(false);

/// `--quiet` in both binaries: from now on [`outln!`](crate::outln) and [`out!`](crate::out)
/// write nothing (no summaries on stdout); [`errln!`](crate::errln) (errors, warnings, notes)
/// still writes, and files are written as without it.
pub fn silence_stdout() {
    SILENT.store(true, Ordering::Relaxed);
}

/// Writes `args` to stdout (flushed), remembering the first error instead of panicking;
/// nothing after [`silence_stdout`].
pub fn write_stdout(args: std::fmt::Arguments<'_>) {
    if SILENT.load(Ordering::Relaxed) {
        return;
    }
    let mut failed = FAILED.lock().unwrap_or_else(|e| e.into_inner());
    if failed.is_some() {
        return;
    }
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|()| out.flush()) {
        *failed = Some(e);
    }
}

/// Writes `args` to stderr, ignoring errors (there is nowhere left to report them).
pub fn write_stderr(args: std::fmt::Arguments<'_>) {
    let _ = std::io::stderr().lock().write_fmt(args);
}

/// The first error writing to stdout, if any (taken: a second call returns `None`).
pub fn stdout_failure() -> Option<std::io::Error> {
    FAILED.lock().unwrap_or_else(|e| e.into_inner()).take()
}

/// How a command that did its work ends, judged by its stdout: exit 0 when every write
/// succeeded or the reader stopped reading (a broken pipe: `| head`), otherwise exit 1 with the
/// I/O error on stderr (the command's files were written first). One judgement for both binaries.
pub fn exit_after_success() -> std::process::ExitCode {
    match stdout_failure() {
        None => std::process::ExitCode::SUCCESS,
        Some(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::ExitCode::SUCCESS,
        Some(e) => {
            write_stderr(format_args!(
                "error: writing to standard output (every output file was written): {e}\n"
            ));
            std::process::ExitCode::from(1)
        }
    }
}

/// `println!` that never panics: see the [module docs](crate::stdout).
#[macro_export]
macro_rules! outln {
    () => { $crate::stdout::write_stdout(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::stdout::write_stdout(format_args!("{}\n", format_args!($($arg)*))) };
}

/// `print!` that never panics.
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => { $crate::stdout::write_stdout(format_args!($($arg)*)) };
}

/// `eprintln!` that never panics (a closed stderr is ignored).
#[macro_export]
macro_rules! errln {
    () => { $crate::stdout::write_stderr(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::stdout::write_stderr(format_args!("{}\n", format_args!($($arg)*))) };
}
