//! What a run shows as it goes: a bar over the whole run on a terminal, a
//! line per epoch.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

/// What [`Trainer::fit`](super::Trainer::fit) shows as it goes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Progress {
    /// A line per epoch on standard output, and, when standard error is a
    /// terminal, a bar with the step and total, steps per second, the time
    /// left and the running loss of the epoch. (Piped into a file or a CI
    /// log, only the lines.)
    #[default]
    Auto,
    /// The line per epoch only.
    Lines,
    /// Nothing: for a library, or a program that prints what it wants from
    /// the callbacks.
    Off,
}

/// Steps between updates of the bar's loss: often enough to read, rarely
/// enough to cost nothing.
const LOSS_EVERY: usize = 16;

/// The bar and the lines of one run.
pub(super) struct Shown {
    progress: Progress,
    bar: Option<ProgressBar>,
}

impl Shown {
    /// For a run of `total` steps, `done` of them already taken.
    pub(super) fn new(progress: Progress, total: usize, done: usize) -> Self {
        let bar = (progress == Progress::Auto && std::io::stderr().is_terminal()).then(|| {
            let style = ProgressStyle::with_template(
                "{prefix} [{bar:30}] {pos}/{len} · {rate} · ETA {eta} · loss {msg}",
            )
            .expect("a valid template")
            .with_key(
                "rate",
                |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = write!(w, "{:.0} steps/s", state.per_sec());
                },
            )
            .progress_chars("=> ");
            let bar = ProgressBar::with_draw_target(
                Some(total as u64),
                ProgressDrawTarget::stderr_with_hz(4),
            )
            .with_style(style);
            bar.set_position(done as u64);
            bar.set_prefix("epoch");
            bar.reset_eta();
            bar.enable_steady_tick(Duration::from_millis(500));
            bar
        });
        Self { progress, bar }
    }

    /// After step `step` of the run, batch `in_epoch` of epoch `epoch` of
    /// `epochs`, whose mean loss so far is `running`.
    pub(super) fn step(
        &self,
        step: usize,
        epoch: usize,
        epochs: usize,
        running: f64,
        in_epoch: usize,
    ) {
        if let Some(bar) = &self.bar {
            bar.set_position(step as u64);
            if in_epoch % LOSS_EVERY == 1 {
                bar.set_prefix(format!("epoch {epoch}/{epochs}"));
                bar.set_message(format!("{running:.4}"));
            }
        }
    }

    /// A line, printed above the bar.
    pub(super) fn line(&self, line: &str) {
        match (&self.bar, self.progress) {
            (_, Progress::Off) => {}
            (Some(bar), _) => bar.suspend(|| println!("{line}")),
            (None, _) => println!("{line}"),
        }
    }

    /// Clears the bar at the end of the run.
    pub(super) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
