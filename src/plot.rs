//! Figures for the book, drawn as SVG with plotters: loss curves, heat
//! maps of hidden states, and gradient norms on a log scale.

use std::path::Path;

use ndarray::Array2;
use plotters::prelude::*;

use crate::{Error, Result};

fn drawing_error(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::format(path.display(), format!("cannot draw the figure: {e}"))
}

/// A line chart of one loss per epoch, written to `path` as SVG.
///
/// ```
/// let path = std::env::temp_dir().join("rnn_basics_loss_doc.svg");
/// rnn_basics::plot::loss_curve(&path, "training loss", &[0.7, 0.5, 0.2, 0.1])?;
/// assert!(std::fs::read_to_string(&path)?.starts_with("<svg"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn loss_curve(path: &Path, title: &str, losses: &[f32]) -> Result<()> {
    if losses.is_empty() || losses.iter().any(|l| !l.is_finite()) {
        return Err(Error::config(
            "loss_curve",
            "needs at least one loss, all finite",
        ));
    }
    let top = losses.iter().copied().fold(0.0f32, f32::max) * 1.05;
    let top = if top > 0.0 { top } else { 1.0 };
    let root = SVGBackend::new(path, (640, 360)).into_drawing_area();
    let draw = || -> std::result::Result<(), Box<dyn std::error::Error + '_>> {
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(52)
            .build_cartesian_2d(1f32..(losses.len().max(2)) as f32, 0f32..top)?;
        chart
            .configure_mesh()
            .x_desc("epoch")
            .y_desc("loss")
            .x_label_formatter(&|x| format!("{x:.0}"))
            .light_line_style(WHITE.mix(0.0))
            .draw()?;
        chart.draw_series(LineSeries::new(
            losses.iter().enumerate().map(|(i, l)| ((i + 1) as f32, *l)),
            RGBColor(31, 119, 180).stroke_width(2),
        ))?;
        root.present()?;
        Ok(())
    };
    draw().map_err(|e| drawing_error(path, e))
}

/// A colour for a number in `[-1, 1]`: blue for -1, white for 0, red for 1.
fn diverging(v: f32) -> RGBColor {
    let v = v.clamp(-1.0, 1.0);
    let fade = ((1.0 - v.abs()) * 255.0) as u8;
    if v >= 0.0 {
        RGBColor(255, fade, fade)
    } else {
        RGBColor(fade, fade, 255)
    }
}

/// Heat maps of hidden states side by side, one panel per `(title,
/// states)` with states `(time, units)` in `[-1, 1]`, written to `path` as SVG.
///
/// ```
/// use ndarray::Array2;
/// let path = std::env::temp_dir().join("rnn_basics_states_doc.svg");
/// let states = Array2::from_shape_fn((10, 8), |(t, u)| ((t * u) as f32 / 70.0).tanh());
/// rnn_basics::plot::state_maps(&path, &[("states", &states)])?;
/// # Ok::<(), rnn_basics::Error>(())
/// ```
pub fn state_maps(path: &Path, panels: &[(&str, &Array2<f32>)]) -> Result<()> {
    if panels.is_empty() || panels.iter().any(|(_, s)| s.is_empty()) {
        return Err(Error::config(
            "state_maps",
            "needs at least one panel, none empty",
        ));
    }
    let width = 330 * panels.len() as u32;
    let root = SVGBackend::new(path, (width, 360)).into_drawing_area();
    let draw = || -> std::result::Result<(), Box<dyn std::error::Error + '_>> {
        root.fill(&WHITE)?;
        let areas = root.split_evenly((1, panels.len()));
        for (area, (title, states)) in areas.iter().zip(panels) {
            let (time, units) = states.dim();
            let mut chart = ChartBuilder::on(area)
                .caption(*title, ("sans-serif", 16))
                .margin(10)
                .x_label_area_size(32)
                .y_label_area_size(36)
                .build_cartesian_2d(0..units, 0..time)?;
            chart
                .configure_mesh()
                .disable_mesh()
                .x_desc("hidden unit")
                .y_desc("time step")
                .x_labels(units.min(10))
                .y_labels(time.min(10))
                .draw()?;
            chart.draw_series(states.indexed_iter().map(|((t, u), v)| {
                Rectangle::new([(u, t), (u + 1, t + 1)], diverging(*v).filled())
            }))?;
        }
        root.present()?;
        Ok(())
    };
    draw().map_err(|e| drawing_error(path, e))
}

/// Lines of positive numbers against a step count on a log scale, one per
/// `(label, values)` with a legend: gradient norms against the distance
/// `T - t` they travelled back, `values[d]` at distance `d`, written to
/// `path` as SVG.
///
/// ```
/// let path = std::env::temp_dir().join("rnn_basics_gradients_doc.svg");
/// let fading: Vec<f32> = (0..30).map(|d| 0.7f32.powi(d)).collect();
/// let growing: Vec<f32> = (0..30).map(|d| 1.1f32.powi(d)).collect();
/// rnn_basics::plot::gradient_norms(
///     &path,
///     "gradient norm against distance",
///     &[("fading", &fading), ("growing", &growing)],
/// )?;
/// # Ok::<(), rnn_basics::Error>(())
/// ```
pub fn gradient_norms(path: &Path, title: &str, lines: &[(&str, &[f32])]) -> Result<()> {
    let all = || lines.iter().flat_map(|(_, values)| values.iter().copied());
    if lines.is_empty()
        || lines.iter().any(|(_, values)| values.is_empty())
        || all().any(|v| !(v.is_finite() && v > 0.0))
    {
        return Err(Error::config(
            "gradient_norms",
            "needs at least one line, none empty, every value finite and above 0",
        ));
    }
    // Whole powers of ten around the values, for a log scale.
    let low = 10f32.powf(all().fold(f32::INFINITY, f32::min).log10().floor());
    let high = 10f32.powf(all().fold(0.0f32, f32::max).log10().ceil());
    let high = if high > low { high } else { low * 10.0 };
    let steps = lines.iter().map(|(_, v)| v.len()).max().unwrap_or(1);
    const COLOURS: [RGBColor; 5] = [
        RGBColor(31, 119, 180),
        RGBColor(255, 127, 14),
        RGBColor(44, 160, 44),
        RGBColor(214, 39, 40),
        RGBColor(148, 103, 189),
    ];
    let root = SVGBackend::new(path, (640, 400)).into_drawing_area();
    let draw = || -> std::result::Result<(), Box<dyn std::error::Error + '_>> {
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(60)
            .build_cartesian_2d(0f32..(steps.max(2) - 1) as f32, (low..high).log_scale())?;
        chart
            .configure_mesh()
            .x_desc("distance T - t (steps)")
            .y_desc("gradient norm")
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&|y| format!("{y:.0e}"))
            .light_line_style(WHITE.mix(0.0))
            .draw()?;
        for (i, (label, values)) in lines.iter().enumerate() {
            let colour = COLOURS[i % COLOURS.len()];
            chart
                .draw_series(LineSeries::new(
                    values.iter().enumerate().map(|(d, v)| (d as f32, *v)),
                    colour.stroke_width(2),
                ))?
                .label(*label)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerLeft)
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK.mix(0.3))
            .draw()?;
        root.present()?;
        Ok(())
    };
    draw().map_err(|e| drawing_error(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gradient_norms_draws_one_line_per_series_and_refuses_zero() {
        let path = std::env::temp_dir().join("rnn_basics_gradient_norms_test.svg");
        let (a, b) = ([1.0f32, 0.1, 0.01], [1.0f32, 2.0, 4.0, 8.0]);
        gradient_norms(&path, "test", &[("a", &a), ("b", &b)]).expect("draws");
        let svg = std::fs::read_to_string(&path).expect("written");
        // Each series: its line and its legend sample, in its own colour.
        assert_eq!(svg.matches("stroke=\"#1F77B4\"").count(), 2, "{svg}");
        assert_eq!(svg.matches("stroke=\"#FF7F0E\"").count(), 2, "{svg}");
        assert!(svg.contains(">\na\n</text>") && svg.contains(">\nb\n</text>"));
        for bad in [0.0f32, -1.0, f32::NAN, f32::INFINITY] {
            let values = [1.0f32, bad];
            assert!(gradient_norms(&path, "test", &[("bad", &values)]).is_err());
        }
        assert!(gradient_norms(&path, "test", &[]).is_err());
        assert!(gradient_norms(&path, "test", &[("empty", &[])]).is_err());
    }
}
