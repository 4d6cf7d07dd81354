//! Numpy-style printing, so that a lesson's printout reads like the notebook's.
//!
//! [`array()`] follows numpy's `str(array)` for float32 (numpy's defaults:
//! 8 digits at most, shortest round-trip digits, a line width of 75,
//! arrays of more than 1000 numbers summarised with `...`), and [`shape`]
//! prints a shape the way Python prints a tuple.
//!
//! | numpy | here |
//! | --- | --- |
//! | `print(x)` | `println!("{}", show::array(&x))` |
//! | `print(x.shape)` | `println!("{}", show::shape(x.shape()))` |
//!
//! ```
//! use ndarray::array;
//! use rnn_basics::show;
//!
//! let x = array![[[1.0f32, 0.0, 0.0, 0.0]]];
//! assert_eq!(show::array(&x), "[[[1. 0. 0. 0.]]]");
//! assert_eq!(show::shape(x.shape()), "(1, 1, 4)");
//!
//! let y = array![[-0.7443333f32, -0.62206656]];
//! assert_eq!(show::array(&y), "[[-0.7443333  -0.62206656]]");
//! ```

use ndarray::{ArrayBase, Data, Dimension, IxDyn};

/// numpy's `linewidth`.
const LINE_WIDTH: usize = 75;
/// numpy's `precision`: at most this many digits after the point.
const PRECISION: usize = 8;
/// numpy's `threshold`: arrays with more elements are summarised.
const THRESHOLD: usize = 1000;
/// numpy's `edgeitems`: elements kept at each end of a summarised axis.
const EDGE_ITEMS: usize = 3;

/// A shape as Python prints a tuple: `(1, 5, 2)`, `(8,)`, `()`.
pub fn shape(dims: &[usize]) -> String {
    tuple(dims.iter().map(|d| d.to_string()))
}

/// A shape with unknown sizes, as Keras prints it: `(None, 3)`.
pub fn shape_opt(dims: &[Option<usize>]) -> String {
    tuple(
        dims.iter()
            .map(|d| d.map_or_else(|| "None".to_string(), |d| d.to_string())),
    )
}

fn tuple(items: impl Iterator<Item = String>) -> String {
    let items: Vec<String> = items.collect();
    match items.len() {
        1 => format!("({},)", items[0]),
        _ => format!("({})", items.join(", ")),
    }
}

/// One number as Python prints a float: shortest round-trip digits, `1.0`, `0.25`.
pub fn scalar(x: f32) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.into();
    }
    let s = x.to_string();
    if s.contains('.') { s } else { format!("{s}.0") }
}

/// An array as numpy's `str()` prints a float32 array.
pub fn array<S, D>(a: &ArrayBase<S, D>) -> String
where
    S: Data<Elem = f32>,
    D: Dimension,
{
    let a = a.view().into_dyn();
    if a.ndim() == 0 {
        let v = a[IxDyn(&[])];
        return FloatFormat::new(&[v]).format(v);
    }
    if a.is_empty() {
        return "[]".to_string();
    }
    let summarise = a.len() > THRESHOLD;
    let mut shown = Vec::new();
    collect_shown(&a, summarise, &mut Vec::new(), &mut shown);
    let format = FloatFormat::new(&shown);
    let mut printer = Printer {
        a: &a,
        format: &|v| format.format(v),
        summarise,
    };
    printer.recurse(&mut Vec::new(), " ", LINE_WIDTH)
}

/// An integer array as numpy prints one: `[[ 7  8  8  4  0]]`, every number
/// padded to the widest.
///
/// ```
/// use ndarray::array;
/// assert_eq!(rnn_basics::show::ints(&array![[7usize, 10], [0, 3]]), "[[ 7 10]\n [ 0  3]]");
/// ```
pub fn ints<S, D>(a: &ArrayBase<S, D>) -> String
where
    S: Data<Elem = usize>,
    D: Dimension,
{
    let a = a.view().into_dyn();
    if a.ndim() == 0 {
        return a[IxDyn(&[])].to_string();
    }
    if a.is_empty() {
        return "[]".to_string();
    }
    let summarise = a.len() > THRESHOLD;
    let mut shown = Vec::new();
    collect_shown(&a, summarise, &mut Vec::new(), &mut shown);
    let width = shown.iter().map(|v| v.to_string().len()).max().unwrap_or(1);
    let mut printer = Printer {
        a: &a,
        format: &|v: usize| format!("{v:>width$}"),
        summarise,
    };
    printer.recurse(&mut Vec::new(), " ", LINE_WIDTH)
}

/// The elements numpy looks at to choose the format: all of them, or the
/// edges of every axis when the array is summarised.
fn collect_shown<T: Copy>(
    a: &ndarray::ArrayViewD<T>,
    summarise: bool,
    index: &mut Vec<usize>,
    out: &mut Vec<T>,
) {
    if index.len() == a.ndim() {
        out.push(a[IxDyn(index)]);
        return;
    }
    for i in shown_indices(a.shape()[index.len()], summarise) {
        let Some(i) = i else { continue };
        index.push(i);
        collect_shown(a, summarise, index, out);
        index.pop();
    }
}

/// The indices printed along an axis of length `n`; `None` stands for `...`.
fn shown_indices(n: usize, summarise: bool) -> Vec<Option<usize>> {
    if summarise && n > 2 * EDGE_ITEMS {
        (0..EDGE_ITEMS)
            .map(Some)
            .chain(std::iter::once(None))
            .chain((n - EDGE_ITEMS..n).map(Some))
            .collect()
    } else {
        (0..n).map(Some).collect()
    }
}

struct Printer<'a, 'b, T> {
    a: &'a ndarray::ArrayViewD<'b, T>,
    format: &'a dyn Fn(T) -> String,
    summarise: bool,
}

impl<T: Copy> Printer<'_, '_, T> {
    /// numpy's `_formatArray` recursion, with its line wrapping.
    fn recurse(&mut self, index: &mut Vec<usize>, hanging: &str, width: usize) -> String {
        let axis = index.len();
        let axes_left = self.a.ndim() - axis;
        if axes_left == 0 {
            return (self.format)(self.a[IxDyn(index)]);
        }
        let next_hanging = format!("{hanging} ");
        let next_width = width - 1;
        let items = shown_indices(self.a.shape()[axis], self.summarise);
        let mut s = String::new();
        if axes_left == 1 {
            let elem_width = width - 1;
            let mut line = hanging.to_string();
            for (k, item) in items.iter().enumerate() {
                let word = match item {
                    Some(i) => {
                        index.push(*i);
                        let w = self.recurse(index, &next_hanging, next_width);
                        index.pop();
                        w
                    }
                    None => "...".to_string(),
                };
                let needs_wrap = line.len() + word.len() > elem_width && line.len() > hanging.len();
                if needs_wrap {
                    s.push_str(line.trim_end());
                    s.push('\n');
                    line = hanging.to_string();
                }
                line.push_str(&word);
                if k + 1 < items.len() {
                    line.push(' ');
                }
            }
            s.push_str(&line);
        } else {
            let line_sep = "\n".repeat(axes_left - 1);
            for (k, item) in items.iter().enumerate() {
                let nested = match item {
                    Some(i) => {
                        index.push(*i);
                        let n = self.recurse(index, &next_hanging, next_width);
                        index.pop();
                        n
                    }
                    None => "...".to_string(),
                };
                s.push_str(hanging);
                s.push_str(&nested);
                if k + 1 < items.len() {
                    s.push_str(&line_sep);
                }
            }
        }
        format!("[{}]", &s[hanging.len()..])
    }
}

/// numpy's `FloatingFormat` in its default `maxprec` mode.
struct FloatFormat {
    scientific: bool,
    pad_left: usize,
    pad_right: usize,
    /// Digits after the point of the mantissa (scientific only).
    precision: usize,
    /// Digits of the exponent (scientific only).
    exp_digits: usize,
}

impl FloatFormat {
    fn new(values: &[f32]) -> Self {
        let finite: Vec<f32> = values.iter().copied().filter(|v| v.is_finite()).collect();
        let abs_nonzero: Vec<f32> = finite
            .iter()
            .filter(|v| **v != 0.0)
            .map(|v| v.abs())
            .collect();
        let scientific = if abs_nonzero.is_empty() {
            false
        } else {
            let max = abs_nonzero.iter().copied().fold(0.0f32, f32::max);
            let min = abs_nonzero.iter().copied().fold(f32::INFINITY, f32::min);
            max >= 1e8 || min < 1e-4 || max / min > 1000.0
        };
        let mut f = FloatFormat {
            scientific,
            pad_left: 0,
            pad_right: 0,
            precision: 0,
            exp_digits: 0,
        };
        if scientific {
            for v in &finite {
                let (int, frac, exp) = scientific_parts(*v);
                f.pad_left = f.pad_left.max(int.len());
                f.precision = f.precision.max(frac.len());
                f.exp_digits = f
                    .exp_digits
                    .max(exp.unsigned_abs().to_string().len().max(2));
            }
            f.pad_right = f.exp_digits + 2 + f.precision;
        } else {
            for v in &finite {
                let (int, frac) = positional_parts(*v);
                f.pad_left = f.pad_left.max(int.len());
                f.pad_right = f.pad_right.max(frac.len());
            }
        }
        if finite.len() != values.len() {
            let neg_inf = values.iter().any(|v| v.is_infinite() && *v < 0.0);
            let offset = f.pad_right + 1;
            let inf_len = 3 + usize::from(neg_inf);
            f.pad_left = f
                .pad_left
                .max(3usize.saturating_sub(offset))
                .max(inf_len.saturating_sub(offset));
        }
        f
    }

    fn format(&self, v: f32) -> String {
        if !v.is_finite() {
            let word = if v.is_nan() {
                "nan"
            } else if v > 0.0 {
                "inf"
            } else {
                "-inf"
            };
            let width = self.pad_left + self.pad_right + 1;
            return format!("{word:>width$}");
        }
        if self.scientific {
            // Every mantissa gets the column's digits, the value's own (as
            // numpy's `min_digits` does), not zeros.
            let s = format!("{v:.prec$e}", prec = self.precision);
            let (mantissa, exp) = s.split_once('e').expect("{:e} always writes an exponent");
            let exp: i32 = exp.parse().expect("an exponent is an integer");
            let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
            let sign = if exp < 0 { '-' } else { '+' };
            format!(
                "{int:>pl$}.{frac}e{sign}{e:0>ed$}",
                pl = self.pad_left,
                e = exp.unsigned_abs(),
                ed = self.exp_digits
            )
        } else {
            let (int, frac) = positional_parts(v);
            format!(
                "{int:>pl$}.{frac:<pr$}",
                pl = self.pad_left,
                pr = self.pad_right
            )
        }
    }
}

/// Integer and fraction digits of the shortest round-trip positional form,
/// cut to [`PRECISION`] digits after the point.
fn positional_parts(v: f32) -> (String, String) {
    let mut s = v.to_string();
    if let Some(dot) = s.find('.')
        && s.len() - dot - 1 > PRECISION
    {
        s = format!("{v:.PRECISION$}");
        s = s.trim_end_matches('0').to_string();
    }
    match s.split_once('.') {
        Some((i, f)) => (i.to_string(), f.to_string()),
        None => (s, String::new()),
    }
}

/// Mantissa integer digits, fraction digits and exponent of the shortest
/// round-trip scientific form, cut to [`PRECISION`] digits after the point.
fn scientific_parts(v: f32) -> (String, String, i32) {
    let mut s = format!("{v:e}");
    let (mantissa, _) = s.split_once('e').expect("{:e} always writes an exponent");
    if mantissa
        .split_once('.')
        .is_some_and(|(_, f)| f.len() > PRECISION)
    {
        s = format!("{v:.PRECISION$e}");
        let (m, e) = s.split_once('e').expect("{:e} always writes an exponent");
        let m = m.trim_end_matches('0');
        s = format!("{m}e{e}");
    }
    let (mantissa, exp) = s.split_once('e').expect("{:e} always writes an exponent");
    let exp: i32 = exp.parse().expect("an exponent is an integer");
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    (int.to_string(), frac.to_string(), exp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array, Array2, array};

    #[test]
    fn shapes_print_like_python_tuples() {
        assert_eq!(shape(&[1, 5, 2]), "(1, 5, 2)");
        assert_eq!(shape(&[8]), "(8,)");
        assert_eq!(shape(&[]), "()");
        assert_eq!(shape_opt(&[None, Some(3)]), "(None, 3)");
    }

    #[test]
    fn integers_print_with_a_trailing_point() {
        let x = array![[[1.0f32, 0., 0., 0.], [0., 1., 0., 0.]]];
        assert_eq!(array(&x), "[[[1. 0. 0. 0.]\n  [0. 1. 0. 0.]]]");
    }

    #[test]
    fn columns_align_as_in_the_notebook() {
        // Printed by numpy in the course's notebook (cell 9).
        let x = array![[
            [0.55751115f32, -0.03657092],
            [-0.09109628, -0.07576436],
            [-0.6083758, -0.42523402],
            [-0.82363915, -0.70352316],
            [-0.75052005, -0.93014526]
        ]];
        let expected = "[[[ 0.55751115 -0.03657092]\n  [-0.09109628 -0.07576436]\n  [-0.6083758  -0.42523402]\n  [-0.82363915 -0.70352316]\n  [-0.75052005 -0.93014526]]]";
        assert_eq!(array(&x), expected);
    }

    #[test]
    fn blocks_of_a_3d_array_are_separated_by_a_blank_line() {
        let x = Array::from_shape_vec((2, 1, 2), vec![0.5f32, -0.25, 1.0, 2.0]).unwrap();
        assert_eq!(array(&x), "[[[ 0.5  -0.25]]\n\n [[ 1.    2.  ]]]");
    }

    #[test]
    fn long_rows_wrap_at_75_columns() {
        // numpy: print(np.full((1, 8), 0.9999977, dtype=np.float32))
        let x = Array2::from_elem((1, 8), 0.9999977f32);
        let expected = "[[0.9999977 0.9999977 0.9999977 0.9999977 0.9999977 0.9999977 0.9999977\n  0.9999977]]";
        assert_eq!(array(&x), expected);
    }

    #[test]
    fn tiny_and_huge_values_switch_to_scientific() {
        let x = array![1.0f32, 1e-5];
        assert_eq!(array(&x), "[1.e+00 1.e-05]");
        let y = array![1.5f32, 2.5e-5];
        assert_eq!(array(&y), "[1.5e+00 2.5e-05]");
    }

    #[test]
    fn digits_are_cut_at_eight() {
        let x = array![0.001234567f32];
        assert_eq!(array(&x), "[0.00123457]");
    }

    #[test]
    fn non_finite_values_are_padded_to_the_column() {
        let x = array![f32::NAN, 0.5, f32::NEG_INFINITY];
        assert_eq!(array(&x), "[ nan  0.5 -inf]");
    }

    #[test]
    fn big_arrays_are_summarised() {
        let x = Array::from_shape_fn(2000, |i| i as f32);
        assert_eq!(
            array(&x),
            "[0.000e+00 1.000e+00 2.000e+00 ... 1.997e+03 1.998e+03 1.999e+03]"
        );
    }

    #[test]
    fn scalars_print_like_python_floats() {
        assert_eq!(scalar(1.0), "1.0");
        assert_eq!(scalar(0.25), "0.25");
    }
}
