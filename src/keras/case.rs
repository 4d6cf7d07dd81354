//! One Keras reference case: a layer config, its weights, an input, and
//! what Keras returned (the format of `tests/keras_cases/README.md`).

use std::path::Path;

use ndarray::{Array2, ArrayD, Ix2};
use serde_json::Value;

use super::config::LayerConfig;
use super::json::{self, Obj};
use crate::{Error, Result, show};

/// An array with Keras's name for it (`kernel`, `0/forward/bias`, `input`).
#[derive(Clone, Debug, PartialEq)]
pub struct NamedArray {
    pub name: String,
    pub array: ArrayD<f32>,
}

/// One row of Keras's `model.summary()`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SummaryRow {
    /// The layer's type: `"LSTM"`, `"Dense"`, ...
    pub layer_type: String,
    /// With `None` for an unknown batch.
    pub output_shape: Vec<Option<usize>>,
    pub params: usize,
}

/// A reference case, read and checked against its format.
#[derive(Clone, Debug)]
pub struct Case {
    pub name: String,
    /// Which Keras and TensorFlow produced it.
    pub reference: String,
    pub layer: LayerConfig,
    /// In Keras's `get_weights()` order.
    pub weights: Vec<NamedArray>,
    pub input: ArrayD<f32>,
    /// `(batch, time)`: `true` where the step counts.
    pub mask: Option<Array2<bool>>,
    pub initial_state: Option<Vec<Array2<f32>>>,
    /// What Keras returned, in its order.
    pub expected: Vec<ArrayD<f32>>,
    /// Keras's summary rows (Sequential cases).
    pub summary: Option<Vec<SummaryRow>>,
    pub total_params: Option<usize>,
    /// The weights of `sum(output * cotangent)` for the gradient check.
    pub cotangent: Option<ArrayD<f32>>,
    /// Gradients with respect to every weight, then `input` (none for a
    /// model that reads token ids: its first layer is `Embedding`).
    pub expected_gradients: Option<Vec<NamedArray>>,
}

const CASE_KEYS: &[&str] = &[
    "name",
    "reference",
    "note",
    "layer",
    "weights",
    "input",
    "mask",
    "initial_state",
    "expected",
    "summary",
    "total_params",
    "cotangent",
    "expected_gradients",
];

impl Case {
    /// Reads a case file. Errors name the file and what is wrong with it.
    pub fn load(path: impl AsRef<Path>) -> Result<Case> {
        let path = path.as_ref();
        let source = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| Error::Io {
            path: source.clone(),
            source: e,
        })?;
        Case::parse(&text, &source)
    }

    /// Reads a case from JSON text; `source_name` names it in errors.
    pub fn parse(text: &str, source_name: &str) -> Result<Case> {
        let value: Value = serde_json::from_str(text)
            .map_err(|e| Error::format(source_name, format!("not valid JSON: {e}")))?;
        Case::from_json(&value).map_err(|e| e.in_source(source_name))
    }

    fn from_json(v: &Value) -> Result<Case> {
        let top = Obj::new(v, "")?;
        top.only_keys(CASE_KEYS)?;
        let layer = LayerConfig::from_json(top.required("layer")?, "layer")?;
        let named = |key: &str| -> Result<Vec<NamedArray>> {
            top.list(key)?
                .iter()
                .enumerate()
                .map(|(i, w)| {
                    let path = format!("{key}[{i}]");
                    let name = Obj::new(w, &path)?.string("name")?.to_string();
                    Ok(NamedArray {
                        name,
                        array: json::array(w, &path)?,
                    })
                })
                .collect()
        };
        let input = json::array(top.required("input")?, "input")?;
        let mask = match top.get("mask") {
            None => None,
            Some(m) => Some(mask(m)?),
        };
        let initial_state = match top.opt_list("initial_state")? {
            None => None,
            Some(states) => Some(
                states
                    .iter()
                    .enumerate()
                    .map(|(i, s)| matrix(s, &format!("initial_state[{i}]")))
                    .collect::<Result<_>>()?,
            ),
        };
        let expected = top
            .list("expected")?
            .iter()
            .enumerate()
            .map(|(i, e)| json::array(e, &format!("expected[{i}]")))
            .collect::<Result<Vec<_>>>()?;
        if expected.is_empty() {
            return Err(Error::format("", "expected: the list is empty"));
        }
        let summary = match top.opt_list("summary")? {
            None => None,
            Some(rows) => Some(
                rows.iter()
                    .enumerate()
                    .map(|(i, r)| summary_row(r, &format!("summary[{i}]")))
                    .collect::<Result<_>>()?,
            ),
        };
        let cotangent = top
            .get("cotangent")
            .map(|c| json::array(c, "cotangent"))
            .transpose()?;
        let expected_gradients = if top.get("expected_gradients").is_some() {
            Some(named("expected_gradients")?)
        } else {
            None
        };
        if expected_gradients.is_some() != cotangent.is_some() {
            return Err(Error::format(
                "",
                "expected_gradients and cotangent come together: one is missing",
            ));
        }
        let weights = named("weights")?;
        if let Some(grads) = &expected_gradients {
            gradient_names(grads, &weights, layer.takes_token_ids())?;
        }
        Ok(Case {
            name: top.string("name")?.to_string(),
            reference: top.opt_string("reference")?.unwrap_or("").to_string(),
            layer,
            weights,
            input,
            mask,
            initial_state,
            expected,
            summary,
            total_params: top.opt_usize("total_params")?,
            cotangent,
            expected_gradients,
        })
    }
}

/// The gradients are named as the weights, in their order, then `input`;
/// token ids have no gradient, so then there is no `input`.
fn gradient_names(grads: &[NamedArray], weights: &[NamedArray], token_ids: bool) -> Result<()> {
    let mut want: Vec<&str> = weights.iter().map(|w| w.name.as_str()).collect();
    if !token_ids {
        want.push("input");
    }
    for (i, g) in grads.iter().enumerate() {
        match want.get(i) {
            Some(name) if *name == g.name => {}
            Some(name) => {
                return Err(Error::format(
                    "",
                    format!(
                        "expected_gradients[{i}]: expected {name} (the weights' names in their order, then input), got {}",
                        g.name
                    ),
                ));
            }
            None if token_ids && g.name == "input" => {
                return Err(Error::format(
                    "",
                    format!(
                        "expected_gradients[{i}] (input): the input is token ids (the first layer is Embedding), which have no gradient"
                    ),
                ));
            }
            None => {
                return Err(Error::format(
                    "",
                    format!(
                        "expected_gradients[{i}] ({}): more gradients than weights and input",
                        g.name
                    ),
                ));
            }
        }
    }
    if grads.len() < want.len() {
        return Err(Error::format(
            "",
            format!(
                "expected_gradients: the gradient of {} is missing",
                want[grads.len()]
            ),
        ));
    }
    Ok(())
}

fn matrix(v: &Value, path: &str) -> Result<Array2<f32>> {
    let a = json::array(v, path)?;
    let dims = show::shape(a.shape());
    a.into_dimensionality::<Ix2>().map_err(|_| {
        Error::format(
            "",
            format!("{path}: expected a 2-D array, got shape {dims}"),
        )
    })
}

fn mask(v: &Value) -> Result<Array2<bool>> {
    let m = matrix(v, "mask")?;
    if let Some(bad) = m.iter().find(|x| **x != 0.0 && **x != 1.0) {
        return Err(Error::format(
            "",
            format!("mask: expected 0 or 1, got {bad}"),
        ));
    }
    Ok(m.mapv(|x| x == 1.0))
}

fn summary_row(v: &Value, path: &str) -> Result<SummaryRow> {
    let row = Obj::new(v, path)?;
    row.only_keys(&["type", "output_shape", "params"])?;
    Ok(SummaryRow {
        layer_type: row.string("type")?.to_string(),
        output_shape: json::shape(
            row.required("output_shape")?,
            &format!("{path}.output_shape"),
            true,
        )?,
        params: row
            .opt_usize("params")?
            .ok_or_else(|| Error::format("", format!("{path}.params: missing")))?,
    })
}
