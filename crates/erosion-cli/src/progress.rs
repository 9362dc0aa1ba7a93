//! Progress bars and notes on stderr: the CLI's [`Observer`]. Bars are hidden when stderr is
//! not a terminal or with `--quiet`; notes and warnings are always printed.

use erosion_pipeline::Observer;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Mutex;

/// A bar over `len` units, or a hidden one.
pub fn bar(len: u64, what: &str, quiet: bool) -> ProgressBar {
    let pb = ProgressBar::new(len);
    if quiet || !std::io::stderr().is_terminal() {
        pb.set_draw_target(ProgressDrawTarget::hidden());
    } else {
        pb.set_draw_target(ProgressDrawTarget::stderr());
    }
    pb.set_style(
        ProgressStyle::with_template(
            "[{bar:30}] {pos}/{len} {elapsed} elapsed, about {eta} left: {msg}",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    pb.set_message(what.to_string());
    pb
}

/// Draws each stage of a library command as a bar; prints notes and warnings on stderr.
pub struct Bars {
    quiet: bool,
    current: Mutex<Option<ProgressBar>>,
}

impl Bars {
    /// Bars drawn unless `quiet`.
    pub fn new(quiet: bool) -> Self {
        Bars {
            quiet,
            current: Mutex::new(None),
        }
    }

    fn with_bar(&self, f: impl FnOnce(&ProgressBar)) {
        if let Some(pb) = self
            .current
            .lock()
            .expect("no panic holds the bar")
            .as_ref()
        {
            f(pb);
        }
    }

    /// Clears the last bar (before printing a summary on stdout).
    pub fn clear(&self) {
        if let Some(pb) = self.current.lock().expect("no panic holds the bar").take() {
            pb.finish_and_clear();
        }
    }
}

impl Drop for Bars {
    fn drop(&mut self) {
        self.clear();
    }
}

impl Observer for Bars {
    fn stage(&self, name: &str, total: u64) {
        self.clear();
        *self.current.lock().expect("no panic holds the bar") = Some(bar(total, name, self.quiet));
    }

    fn progress(&self, done: u64, what: &str) {
        self.with_bar(|pb| {
            pb.set_position(done);
            pb.set_message(what.to_string());
        });
    }

    fn note(&self, text: &str) {
        self.say("note", text);
    }

    fn warning(&self, text: &str) {
        self.say("warning", text);
    }
}

impl Bars {
    /// A line on stderr, drawn above the bar when one shows.
    fn say(&self, kind: &str, text: &str) {
        match self
            .current
            .lock()
            .expect("no panic holds the bar")
            .as_ref()
        {
            Some(pb) => pb.suspend(|| erosion_io::errln!("{kind}: {text}")),
            None => erosion_io::errln!("{kind}: {text}"),
        }
    }
}
