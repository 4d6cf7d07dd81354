//! Reading fields out of JSON with errors that say which field and why.

use ndarray::{ArrayD, IxDyn};
use serde_json::{Map, Value};

use crate::{Error, Result};

/// The largest layer size a case may ask for.
pub(crate) const MAX_SIZE: usize = 1 << 24;

/// A JSON object with the path that led to it, for error messages.
#[derive(Clone, Copy)]
pub(crate) struct Obj<'a> {
    map: &'a Map<String, Value>,
    path: &'a str,
}

/// A short description of a JSON value, for "got ..." in messages.
pub(crate) fn describe(v: &Value) -> String {
    let s = match v {
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    };
    if s.chars().count() > 40 {
        let cut: String = s.chars().take(37).collect();
        format!("{cut}...")
    } else {
        s
    }
}

fn wrong(path: &str, expected: &str, got: &Value) -> Error {
    Error::format(
        "",
        format!("{path}: expected {expected}, got {}", describe(got)),
    )
}

impl<'a> Obj<'a> {
    /// `v` as an object, or an error naming `path`.
    pub(crate) fn new(v: &'a Value, path: &'a str) -> Result<Self> {
        match v {
            Value::Object(map) => Ok(Obj { map, path }),
            other => Err(wrong(path, "an object", other)),
        }
    }

    fn field_path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    /// Fails on a key that is not in `known`, so that a setting this crate
    /// does not implement is never silently ignored.
    pub(crate) fn only_keys(&self, known: &[&str]) -> Result<()> {
        match self.map.keys().find(|k| !known.contains(&k.as_str())) {
            Some(k) => Err(Error::format(
                "",
                format!(
                    "{}: unsupported key {k:?}; known keys are {}",
                    if self.path.is_empty() {
                        "top level"
                    } else {
                        self.path
                    },
                    known.join(", ")
                ),
            )),
            None => Ok(()),
        }
    }

    pub(crate) fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    /// Whether the key is present, even as `null`.
    pub(crate) fn has(&self, key: &str) -> bool {
        self.map.contains_key(key)
    }

    pub(crate) fn required(&self, key: &str) -> Result<&'a Value> {
        self.get(key)
            .ok_or_else(|| Error::format("", format!("{}: missing", self.field_path(key))))
    }

    pub(crate) fn string(&self, key: &str) -> Result<&'a str> {
        let v = self.required(key)?;
        v.as_str()
            .ok_or_else(|| wrong(&self.field_path(key), "a string", v))
    }

    pub(crate) fn opt_string(&self, key: &str) -> Result<Option<&'a str>> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => v
                .as_str()
                .map(Some)
                .ok_or_else(|| wrong(&self.field_path(key), "a string", v)),
        }
    }

    /// A layer size: a positive integer, at most [`MAX_SIZE`] (so that no
    /// product of sizes can overflow).
    pub(crate) fn positive(&self, key: &str) -> Result<usize> {
        let v = self.required(key)?;
        as_positive(v).filter(|n| *n <= MAX_SIZE).ok_or_else(|| {
            wrong(
                &self.field_path(key),
                &format!("a positive integer up to {MAX_SIZE}"),
                v,
            )
        })
    }

    pub(crate) fn opt_usize(&self, key: &str) -> Result<Option<usize>> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => as_usize(v)
                .map(Some)
                .ok_or_else(|| wrong(&self.field_path(key), "a non-negative integer", v)),
        }
    }

    pub(crate) fn flag(&self, key: &str, default: bool) -> Result<bool> {
        match self.get(key) {
            None => Ok(default),
            Some(v) => v
                .as_bool()
                .ok_or_else(|| wrong(&self.field_path(key), "true or false", v)),
        }
    }

    pub(crate) fn list(&self, key: &str) -> Result<&'a [Value]> {
        let v = self.required(key)?;
        v.as_array()
            .map(|a| a.as_slice())
            .ok_or_else(|| wrong(&self.field_path(key), "a list", v))
    }

    pub(crate) fn opt_list(&self, key: &str) -> Result<Option<&'a [Value]>> {
        if self.get(key).is_none() {
            return Ok(None);
        }
        self.list(key).map(Some)
    }
}

fn as_usize(v: &Value) -> Option<usize> {
    v.as_u64().and_then(|n| usize::try_from(n).ok())
}

fn as_positive(v: &Value) -> Option<usize> {
    as_usize(v).filter(|n| *n > 0)
}

/// A shape: a list of non-negative integers (`null` allowed where `allow_none`).
pub(crate) fn shape(v: &Value, path: &str, allow_none: bool) -> Result<Vec<Option<usize>>> {
    let Some(items) = v.as_array() else {
        return Err(wrong(path, "a shape (a list of sizes)", v));
    };
    items
        .iter()
        .enumerate()
        .map(|(i, d)| match d {
            Value::Null if allow_none => Ok(None),
            d => as_usize(d)
                .filter(|n| *n <= MAX_SIZE)
                .map(Some)
                .ok_or_else(|| {
                    wrong(
                        &format!("{path}[{i}]"),
                        &format!("a size from 0 to {MAX_SIZE}"),
                        d,
                    )
                }),
        })
        .collect()
}

/// An array written as `{"shape": [...], "data": [...]}`, data in row-major order.
pub(crate) fn array(v: &Value, path: &str) -> Result<ArrayD<f32>> {
    let obj = Obj::new(v, path)?;
    let dims: Vec<usize> = shape(obj.required("shape")?, &format!("{path}.shape"), false)?
        .into_iter()
        .map(|d| d.expect("no None without allow_none"))
        .collect();
    let data = obj.list("data")?;
    let expected = dims
        .iter()
        .try_fold(1usize, |n, d| n.checked_mul(*d))
        .ok_or_else(|| Error::format("", format!("{path}.shape: {dims:?} is too large")))?;
    if data.len() != expected {
        return Err(Error::format(
            "",
            format!(
                "{path}: shape {} holds {expected} numbers, but data has {}",
                crate::show::shape(&dims),
                data.len()
            ),
        ));
    }
    let values = data
        .iter()
        .enumerate()
        .map(|(i, x)| {
            x.as_f64()
                .map(|x| x as f32)
                .ok_or_else(|| wrong(&format!("{path}.data[{i}]"), "a number", x))
        })
        .collect::<Result<Vec<f32>>>()?;
    Ok(ArrayD::from_shape_vec(IxDyn(&dims), values).expect("length checked above"))
}
