//! The curves of a run: the training loss per step (smoothed) with each
//! epoch's mean marked, and the train and test accuracy per epoch, as PNG
//! or SVG.

use std::path::Path;

use katachi::train::Report;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};

/// Fonts tried, in order, for the labels. Without one the charts are drawn
/// without text.
const FONTS: [&str; 3] = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/System/Library/Fonts/Supplemental/Arial.ttf",
];

/// Steps averaged into each point of the smoothed loss: about a fiftieth
/// of the run.
fn window(steps: usize) -> usize {
    (steps / 50).max(1)
}

const SIZE: (u32, u32) = (1000, 420);

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

/// Draws the curves of `report` into `path`: SVG if it ends in `.svg`,
/// else PNG.
pub fn curves(path: &Path, report: &Report) -> Result<(), Box<dyn std::error::Error>> {
    let labels = register_a_font();
    if path.extension().is_some_and(|e| e == "svg") {
        draw(
            SVGBackend::new(path, SIZE).into_drawing_area(),
            report,
            labels,
        )
    } else {
        draw(
            BitMapBackend::new(path, SIZE).into_drawing_area(),
            report,
            labels,
        )
    }
}

fn draw<B: DrawingBackend>(
    root: DrawingArea<B, Shift>,
    report: &Report,
    labels: bool,
) -> Result<(), Box<dyn std::error::Error>>
where
    B::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let (left, right) = root.split_horizontally(SIZE.0 / 2);
    let epochs = report.epochs.last().map_or(1, |e| e.epoch).max(1) as f64;
    // The first epoch's last step: how many steps an epoch has.
    let per_epoch = report.epochs.first().map_or(1, |e| e.step.max(1)) as f64;
    loss_chart(&left, report, epochs, per_epoch, labels)?;
    accuracy_chart(&right, report, epochs, labels)?;
    root.present()?;
    Ok(())
}

/// Whole epochs only on the x axis.
fn epoch_label(x: &f64) -> String {
    if (x - x.round()).abs() < 1e-9 {
        format!("{x:.0}")
    } else {
        String::new()
    }
}

fn loss_chart<B: DrawingBackend>(
    area: &DrawingArea<B, Shift>,
    report: &Report,
    epochs: f64,
    per_epoch: f64,
    labels: bool,
) -> Result<(), Box<dyn std::error::Error>>
where
    B::ErrorType: 'static,
{
    let w = window(report.steps.len());
    let smoothed: Vec<(f64, f64)> = (report.steps.chunks(w))
        .map(|chunk| {
            let mean = chunk.iter().map(|s| s.loss).sum::<f64>() / chunk.len() as f64;
            let last = chunk.last().expect("chunks are not empty");
            (last.step as f64 / per_epoch, mean)
        })
        .collect();
    let top = smoothed.iter().map(|p| p.1).fold(0.0, f64::max) * 1.1;
    let mut chart = ChartBuilder::on(area);
    chart.margin(15).x_label_area_size(35).y_label_area_size(50);
    if labels {
        chart.caption("training loss", ("sans-serif", 20));
    }
    let mut chart = chart.build_cartesian_2d(0.0..epochs, 0.0..top.max(1e-3))?;
    let mut mesh = chart.configure_mesh();
    mesh.x_labels(epochs as usize + 1)
        .x_label_formatter(&epoch_label);
    if labels {
        mesh.x_desc("epoch").y_desc("loss");
    } else {
        mesh.disable_x_axis().disable_y_axis();
    }
    mesh.draw()?;
    let smooth = chart.draw_series(LineSeries::new(smoothed, &RED))?;
    if labels {
        smooth
            .label(format!("per step, mean of {w}"))
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED));
    }
    let marks = (report.epochs.iter())
        .map(|e| Circle::new((e.step as f64 / per_epoch, e.loss), 4, BLUE.filled()));
    let marks = chart.draw_series(marks)?;
    if labels {
        marks
            .label("epoch mean")
            .legend(|(x, y)| Circle::new((x + 10, y), 4, BLUE.filled()));
        chart
            .configure_series_labels()
            .border_style(BLACK)
            .background_style(WHITE)
            .draw()?;
    }
    Ok(())
}

fn accuracy_chart<B: DrawingBackend>(
    area: &DrawingArea<B, Shift>,
    report: &Report,
    epochs: f64,
    labels: bool,
) -> Result<(), Box<dyn std::error::Error>>
where
    B::ErrorType: 'static,
{
    let series = |name: &str| -> Vec<(f64, f64)> {
        (report.epochs.iter())
            .filter_map(|e| Some((e.epoch as f64, e.get(name)?)))
            .collect()
    };
    let (train, test) = (series("train_accuracy"), series("test_accuracy"));
    let low = train.iter().chain(&test).map(|p| p.1).fold(1.0, f64::min);
    let mut chart = ChartBuilder::on(area);
    chart.margin(15).x_label_area_size(35).y_label_area_size(50);
    if labels {
        chart.caption("accuracy", ("sans-serif", 20));
    }
    let mut chart = chart.build_cartesian_2d(0.0..epochs, (low - 0.01).max(0.0)..1.0)?;
    let mut mesh = chart.configure_mesh();
    mesh.x_labels(epochs as usize + 1)
        .x_label_formatter(&epoch_label);
    if labels {
        mesh.x_desc("epoch").y_desc("accuracy");
    } else {
        mesh.disable_x_axis().disable_y_axis();
    }
    mesh.draw()?;
    for (points, name, color) in [(train, "train", RED), (test, "test", BLUE)] {
        chart.draw_series(points.iter().map(|&p| Circle::new(p, 3, color.filled())))?;
        let line = chart.draw_series(LineSeries::new(points, color))?;
        if labels {
            line.label(name)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color));
        }
    }
    if labels {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .border_style(BLACK)
            .background_style(WHITE)
            .draw()?;
    }
    Ok(())
}
