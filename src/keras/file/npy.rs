//! `.npy` arrays in and out, by hand: the header is checked against the
//! bytes that follow it, so a shape that declares more than the file holds
//! is refused before anything is allocated.

use std::path::Path;

use ndarray::{ArrayD, IxDyn, ShapeBuilder};

use super::fail;
use crate::{Error, Result};

/// The largest header accepted (numpy writes well under 1 KiB).
const MAX_HEADER: usize = 1 << 16;

/// Integers beyond this are not all exact in `f32`.
const MAX_EXACT_INT: i64 = 1 << 24;

/// An input array read from `.npy`, as `f32`.
#[derive(Clone, Debug)]
pub struct NpyInput {
    /// The numpy dtype it was stored as: `"float32"`, `"float64"`, `"int32"`, `"int64"`.
    pub dtype: &'static str,
    pub array: ArrayD<f32>,
}

/// Reads a float32, float64, int32 or int64 `.npy` file as `f32`; errors
/// name the file.
pub fn read_npy(path: impl AsRef<Path>) -> Result<NpyInput> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|source| Error::Io {
        path: path.display().to_string(),
        source,
    })?;
    read_npy_bytes(&bytes).map_err(|e| e.in_source(path.display()))
}

fn header_value<'a>(header: &'a str, key: &str) -> Result<&'a str> {
    let pattern = format!("'{key}':");
    let start = header
        .find(&pattern)
        .ok_or_else(|| fail(format!("npy header: no {key:?} in {header:?}")))?
        + pattern.len();
    Ok(header[start..].trim_start())
}

/// Reads `.npy` bytes (format versions 1 to 3).
pub fn read_npy_bytes(bytes: &[u8]) -> Result<NpyInput> {
    let rest = bytes
        .strip_prefix(b"\x93NUMPY")
        .ok_or_else(|| fail("not a .npy file (no \\x93NUMPY magic)"))?;
    let (major, rest) = match rest {
        [major, _minor, rest @ ..] => (*major, rest),
        _ => return Err(fail("truncated .npy header")),
    };
    let (header_len, rest) = match (major, rest) {
        (1, [a, b, rest @ ..]) => (u16::from_le_bytes([*a, *b]) as usize, rest),
        (2 | 3, [a, b, c, d, rest @ ..]) => (u32::from_le_bytes([*a, *b, *c, *d]) as usize, rest),
        (1..=3, _) => return Err(fail("truncated .npy header")),
        (v, _) => return Err(fail(format!("unsupported .npy format version {v}"))),
    };
    if header_len > MAX_HEADER || header_len > rest.len() {
        return Err(fail(format!(
            "npy header: declares {header_len} bytes, the file has {} after it",
            rest.len()
        )));
    }
    let (header, data) = rest.split_at(header_len);
    let header = std::str::from_utf8(header).map_err(|_| fail("npy header: not text"))?;
    let descr = header_value(header, "descr")?;
    let descr = descr
        .strip_prefix('\'')
        .and_then(|d| d.split('\'').next())
        .ok_or_else(|| fail(format!("npy header: descr is not a string: {header:?}")))?;
    let (dtype, size) = match descr {
        "<f4" => ("float32", 4),
        "<f8" => ("float64", 8),
        "<i4" => ("int32", 4),
        "<i8" => ("int64", 8),
        other => {
            return Err(fail(format!(
                "unsupported dtype {other:?}; expected little-endian float32, float64, int32 or int64 ('<f4', '<f8', '<i4', '<i8')"
            )));
        }
    };
    let fortran = header_value(header, "fortran_order")?;
    let fortran = if fortran.starts_with("True") {
        true
    } else if fortran.starts_with("False") {
        false
    } else {
        return Err(fail(format!(
            "npy header: fortran_order is not True or False: {header:?}"
        )));
    };
    let shape_text = header_value(header, "shape")?;
    let shape_text = shape_text
        .strip_prefix('(')
        .and_then(|s| s.split(')').next())
        .ok_or_else(|| fail(format!("npy header: shape is not a tuple: {header:?}")))?;
    let shape = shape_text
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.trim_end_matches('L')
                .parse::<usize>()
                .map_err(|_| fail(format!("npy header: shape {shape_text:?} is not sizes")))
        })
        .collect::<Result<Vec<usize>>>()?;
    let count = shape
        .iter()
        .try_fold(1usize, |a, d| a.checked_mul(*d))
        .filter(|n| n.checked_mul(size).is_some_and(|b| b == data.len()))
        .ok_or_else(|| {
            fail(format!(
                "shape ({shape_text}) of {dtype} needs a different number of bytes than the {} the file holds (truncated, or a shape that is not believed)",
                data.len()
            ))
        })?;
    let chunks = data.chunks_exact(size);
    let mut values = Vec::with_capacity(count);
    match dtype {
        "float32" => values.extend(chunks.map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))),
        "float64" => {
            values.extend(chunks.map(|c| {
                f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]) as f32
            }))
        }
        _ => {
            for (i, c) in chunks.enumerate() {
                let v = if size == 4 {
                    i32::from_le_bytes([c[0], c[1], c[2], c[3]]) as i64
                } else {
                    i64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]])
                };
                if v.abs() > MAX_EXACT_INT {
                    return Err(fail(format!(
                        "value {v} at flat index {i} is too large to be a token id here (at most {MAX_EXACT_INT})"
                    )));
                }
                values.push(v as f32);
            }
        }
    }
    let dims = IxDyn(&shape);
    let array = if fortran {
        ArrayD::from_shape_vec(dims.f(), values)
    } else {
        ArrayD::from_shape_vec(dims, values)
    }
    .map_err(|e| fail(format!("npy data: {e}")))?;
    Ok(NpyInput { dtype, array })
}

/// Writes an `f32` array as a `.npy` file (format 1.0, C order).
pub fn write_npy_f32(path: impl AsRef<Path>, array: &ArrayD<f32>) -> Result<()> {
    let path = path.as_ref();
    let shape: Vec<String> = array.shape().iter().map(usize::to_string).collect();
    let shape = match shape.len() {
        1 => format!("({},)", shape[0]),
        _ => format!("({})", shape.join(", ")),
    };
    let mut header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': {shape}, }}");
    while !(10 + header.len() + 1).is_multiple_of(64) {
        header.push(' ');
    }
    header.push('\n');
    let mut bytes = Vec::with_capacity(10 + header.len() + 4 * array.len());
    bytes.extend_from_slice(b"\x93NUMPY\x01\x00");
    let len = u16::try_from(header.len()).map_err(|_| fail("npy header too long"))?;
    bytes.extend_from_slice(&len.to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    for v in array.iter() {
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    std::fs::write(path, bytes).map_err(|source| Error::Io {
        path: path.display().to_string(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_arrays_read_back() {
        let dir = std::env::temp_dir().join(format!("rnn-basics-npy-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("a.npy");
        for shape in [vec![3], vec![2, 3], vec![2, 1, 4], vec![]] {
            let n: usize = shape.iter().product();
            let a = ArrayD::from_shape_vec(IxDyn(&shape), (0..n).map(|i| i as f32 * 0.5).collect())
                .unwrap();
            write_npy_f32(&path, &a).unwrap();
            let back = read_npy(&path).unwrap();
            assert_eq!(back.dtype, "float32");
            assert_eq!(back.array, a);
        }
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_shape_larger_than_the_data_is_refused() {
        let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
        let header =
            "{'descr': '<f4', 'fortran_order': False, 'shape': (100000000000, 100000000), }\n";
        bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
        bytes.extend_from_slice(header.as_bytes());
        bytes.extend_from_slice(&[0; 16]);
        let e = read_npy_bytes(&bytes).unwrap_err().to_string();
        assert!(e.contains("not believed"), "{e}");
    }
}
