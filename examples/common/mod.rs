//! What the MNIST examples share: the per-epoch progress bar and log, and
//! writing the results.

use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};
use katachi::checkpoint;
use katachi::param::Parameters;

/// A progress bar over one epoch's `steps`, labelled with the epoch; the
/// message shows the latest loss.
pub fn epoch_bar(epoch: usize, steps: usize) -> ProgressBar {
    let style = ProgressStyle::with_template("epoch {prefix:>3} [{bar:30}] {pos}/{len} loss {msg}")
        .expect("a valid template")
        .progress_chars("=> ");
    let bar = ProgressBar::new(steps as u64).with_style(style);
    bar.set_prefix(epoch.to_string());
    bar
}

/// Writes the weights to `out/weights.safetensors` (atomically: a run
/// stopped mid-save keeps the previous epoch's) and returns the path. Called
/// after every epoch, so a run stopped with Ctrl-C keeps its last epoch.
///
/// # Errors
/// If `out` cannot be created or the weights cannot be written.
pub fn save_weights<N: Parameters>(net: &N, out: &Path) -> Result<PathBuf, katachi::Error> {
    std::fs::create_dir_all(out).map_err(|e| katachi::Error::io(out, e))?;
    let weights = out.join("weights.safetensors");
    checkpoint::save(net, &weights)?;
    Ok(weights)
}

/// Writes the final weights and the curves (`curves.png`) to `out`, and
/// prints where they went and the last test accuracy.
///
/// # Errors
/// If the weights cannot be written (the curves are optional: a failure
/// there is printed, not returned).
pub fn save_results<N: Parameters>(
    net: &N,
    out: &Path,
    history: &[EpochLog],
) -> Result<(), katachi::Error> {
    let weights = save_weights(net, out)?;
    println!("weights: {}", weights.display());
    let curves = out.join("curves.png");
    match plot::curves(&curves, history) {
        Ok(()) => println!("curves: {}", curves.display()),
        Err(e) => println!("curves: not written ({e})"),
    }
    if let Some(last) = history.last() {
        println!("test accuracy: {:.4}", last.test);
    }
    Ok(())
}

/// A thread pool of `threads` threads (0: one per core) that runs `job`.
///
/// # Errors
/// If the pool cannot be started, or what `job` returns.
pub fn with_threads<T>(
    threads: usize,
    job: impl FnOnce() -> Result<T, katachi::Error> + Send,
) -> Result<T, katachi::Error>
where
    T: Send,
{
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| katachi::Error::Setting {
            setting: "--threads".to_string(),
            value: threads.to_string(),
            expected: format!("the thread pool could not start: {e}"),
        })?;
    pool.install(job)
}

/// Flag values checked when the command line is read, so a bad one is
/// refused up front with a message about that flag (clap names the flag).
pub mod flag {
    /// More threads than this many per core only contend for the cores.
    const THREADS_PER_CORE: usize = 4;

    /// A whole number of at least 1 (`--epochs`, `--batch`).
    pub fn positive(text: &str) -> Result<usize, String> {
        match text.parse::<usize>() {
            Ok(0) => Err("must be at least 1".to_string()),
            Ok(n) => Ok(n),
            Err(e) => Err(format!("not a whole number: {e}")),
        }
    }

    /// A learning rate: a finite number above 0.
    pub fn learning_rate(text: &str) -> Result<f64, String> {
        let lr = number(text)?;
        if lr > 0.0 {
            Ok(lr)
        } else {
            Err("a learning rate must be above 0".to_string())
        }
    }

    /// A weight decay: a finite number of at least 0.
    pub fn weight_decay(text: &str) -> Result<f64, String> {
        let decay = number(text)?;
        if decay >= 0.0 {
            Ok(decay)
        } else {
            Err("a weight decay must be 0 or more".to_string())
        }
    }

    /// A thread count: 0 (one per core) up to a few per core.
    pub fn threads(text: &str) -> Result<usize, String> {
        let threads = text
            .parse::<usize>()
            .map_err(|e| format!("not a whole number: {e}"))?;
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let most = cores * THREADS_PER_CORE;
        if threads > most {
            Err(format!(
                "this machine has {cores} cores; use at most {most} threads (0: one per core)"
            ))
        } else {
            Ok(threads)
        }
    }

    fn number(text: &str) -> Result<f64, String> {
        let x = text
            .parse::<f64>()
            .map_err(|e| format!("not a number: {e}"))?;
        if x.is_finite() {
            Ok(x)
        } else {
            Err("must be a finite number".to_string())
        }
    }
}

/// One epoch's numbers, for the log and the curves.
pub struct EpochLog {
    /// Mean training loss over the epoch's batches.
    pub loss: f64,
    /// Accuracy on (part of) the training set.
    pub train: f64,
    /// Accuracy on the test set.
    pub test: f64,
}

/// The loss and accuracy curves as a PNG.
pub mod plot {
    use std::path::Path;

    use plotters::prelude::*;
    use plotters::style::{FontStyle, register_font};

    use super::EpochLog;

    /// Fonts tried, in order, for the labels. The chart is drawn without
    /// labels when none is found.
    const FONTS: [&str; 3] = [
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
        "/System/Library/Fonts/Supplemental/Arial.ttf",
    ];

    fn register_a_font() -> bool {
        FONTS.iter().any(|path| match std::fs::read(path) {
            // plotters keeps the font for the life of the program.
            Ok(bytes) => register_font(
                "sans-serif",
                FontStyle::Normal,
                Box::leak(bytes.into_boxed_slice()),
            )
            .is_ok(),
            Err(_) => false,
        })
    }

    /// Draws the loss and the accuracies per epoch into `path`.
    pub fn curves(path: &Path, history: &[EpochLog]) -> Result<(), Box<dyn std::error::Error>> {
        let labels = register_a_font();
        let root = BitMapBackend::new(path, (1000, 420)).into_drawing_area();
        root.fill(&WHITE)?;
        let (left, right) = root.split_horizontally(500);
        let epochs = history.len() as f64;

        let max_loss = history.iter().map(|h| h.loss).fold(0.0, f64::max) * 1.1;
        let mut loss_chart = ChartBuilder::on(&left);
        loss_chart
            .margin(15)
            .x_label_area_size(35)
            .y_label_area_size(50);
        if labels {
            loss_chart.caption("training loss", ("sans-serif", 20));
        }
        let mut loss_chart =
            loss_chart.build_cartesian_2d(1.0..epochs.max(2.0), 0.0..max_loss.max(1e-3))?;
        let mut mesh = loss_chart.configure_mesh();
        if labels {
            mesh.x_desc("epoch").y_desc("loss");
        } else {
            mesh.disable_x_axis().disable_y_axis();
        }
        mesh.draw()?;
        loss_chart.draw_series(LineSeries::new(
            history
                .iter()
                .enumerate()
                .map(|(i, h)| (i as f64 + 1.0, h.loss)),
            &RED,
        ))?;

        let low = history
            .iter()
            .map(|h| h.train.min(h.test))
            .fold(1.0, f64::min);
        let mut acc_chart = ChartBuilder::on(&right);
        acc_chart
            .margin(15)
            .x_label_area_size(35)
            .y_label_area_size(50);
        if labels {
            acc_chart.caption("accuracy (train red, test blue)", ("sans-serif", 20));
        }
        let mut acc_chart =
            acc_chart.build_cartesian_2d(1.0..epochs.max(2.0), (low - 0.01).max(0.0)..1.0)?;
        let mut mesh = acc_chart.configure_mesh();
        if labels {
            mesh.x_desc("epoch").y_desc("accuracy");
        } else {
            mesh.disable_x_axis().disable_y_axis();
        }
        mesh.draw()?;
        acc_chart.draw_series(LineSeries::new(
            history
                .iter()
                .enumerate()
                .map(|(i, h)| (i as f64 + 1.0, h.train)),
            &RED,
        ))?;
        acc_chart.draw_series(LineSeries::new(
            history
                .iter()
                .enumerate()
                .map(|(i, h)| (i as f64 + 1.0, h.test)),
            &BLUE,
        ))?;
        root.present()?;
        Ok(())
    }
}
