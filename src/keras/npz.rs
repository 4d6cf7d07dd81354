//! Reading weights that numpy saved: `np.savez("w.npz", *model.get_weights())`.

use std::fs::File;
use std::io::{Read, Seek};
use std::path::Path;

use ndarray::{ArrayD, IxDyn, OwnedRepr};
use ndarray_npy::NpzReader;

use crate::{Error, Result};

/// The arrays of a `.npz` file in the order `np.savez(*arrays)` wrote them
/// (`arr_0`, `arr_1`, ... by number; other names after them, sorted).
/// float64 arrays are converted to float32.
///
/// ```python
/// # Python, after training a Keras model:
/// import numpy as np
/// np.savez("weights.npz", *model.get_weights())
/// ```
pub fn read_npz(path: impl AsRef<Path>) -> Result<Vec<ArrayD<f32>>> {
    let path = path.as_ref();
    let shown = path.display().to_string();
    let file = File::open(path).map_err(|e| Error::Io {
        path: shown.clone(),
        source: e,
    })?;
    read_npz_from(file, &shown)
}

/// [`read_npz`] from any reader (a file, bytes in memory); `source_name`
/// names it in errors.
pub fn read_npz_from(reader: impl Read + Seek, source_name: &str) -> Result<Vec<ArrayD<f32>>> {
    let bad = |what: String| Error::format(source_name, what);
    let mut npz = NpzReader::new(reader)
        .map_err(|e| bad(format!("not a .npz file (a zip of .npy arrays): {e}")))?;
    let mut names = npz
        .names()
        .map_err(|e| bad(format!("cannot list the arrays: {e}")))?;
    if names.is_empty() {
        return Err(bad("holds no arrays".to_string()));
    }
    names.sort_by_key(|n| order_key(n));
    names
        .iter()
        .map(|name| {
            let as_f32 = npz.by_name::<OwnedRepr<f32>, IxDyn>(name);
            match as_f32 {
                Ok(a) => Ok(a),
                Err(_) => npz
                    .by_name::<OwnedRepr<f64>, IxDyn>(name)
                    .map(|a| a.mapv(|v| v as f32))
                    .map_err(|e| {
                        bad(format!(
                            "array {name:?}: expected float32 or float64 numbers: {e}"
                        ))
                    }),
            }
        })
        .collect()
}

/// `arr_10` after `arr_9`: numpy's names sorted by their number.
fn order_key(name: &str) -> (u8, usize, String) {
    let stem = name.trim_end_matches(".npy");
    match stem
        .strip_prefix("arr_")
        .and_then(|n| n.parse::<usize>().ok())
    {
        Some(n) => (0, n, String::new()),
        None => (1, 0, stem.to_string()),
    }
}
