//! The few things the loaders read from HDF5, on `hdf5-pure`: string
//! attributes, and float datasets whose shape is checked before any data
//! is read. Only known paths are opened, so a link that loops is never
//! walked.

use ndarray::{ArrayD, IxDyn};

use super::fail;
use crate::{Result, show};

/// An HDF5 file held in memory.
pub(crate) struct H5 {
    file: hdf5_pure::File,
    /// What the messages call it: `model.weights.h5`, `model.h5`.
    label: String,
}

fn h5_error(label: &str, what: &str, e: impl std::fmt::Display) -> crate::Error {
    fail(format!("{label}: {what}: {e}"))
}

impl H5 {
    /// Parses the file's superblock and root group.
    pub(crate) fn from_bytes(bytes: Vec<u8>, label: &str) -> Result<H5> {
        if !hdf5_pure::is_hdf5_bytes(&bytes) {
            return Err(fail(format!(
                "{label}: not an HDF5 file (no HDF5 signature)"
            )));
        }
        let len = bytes.len() as u64;
        let file = hdf5_pure::File::from_bytes(bytes)
            .map_err(|e| h5_error(label, "corrupt or unsupported HDF5", e))?;
        // As the HDF5 library does: a file shorter than the end its
        // superblock records has lost its tail.
        let sb = file.superblock();
        let end = sb.eof_address.saturating_add(sb.base_address.get());
        if end > len {
            return Err(fail(format!(
                "{label}: truncated HDF5 file: its superblock records {end} bytes, it has {len}"
            )));
        }
        Ok(H5 {
            file,
            label: label.to_string(),
        })
    }

    /// The file's size in bytes.
    pub(crate) fn len(&self) -> usize {
        self.file.as_bytes().len()
    }

    fn group(&self, path: &str) -> Result<Option<hdf5_pure::Group>> {
        if path.is_empty() || path == "/" {
            return Ok(Some(self.file.root()));
        }
        // An absent group and a corrupt one both end here; either way the
        // caller says which path it needed.
        Ok(self.file.group(path).ok())
    }

    /// Whether a group exists at `path`.
    pub(crate) fn has_group(&self, path: &str) -> Result<bool> {
        Ok(self.group(path)?.is_some())
    }

    /// The names of the datasets directly in a group (empty when there is
    /// no such group).
    pub(crate) fn datasets_in(&self, path: &str) -> Result<Vec<String>> {
        match self.group(path)? {
            None => Ok(Vec::new()),
            Some(g) => g
                .datasets()
                .map_err(|e| h5_error(&self.label, &format!("group {path}"), e)),
        }
    }

    /// A string attribute (scalar or array) of a group, `None` when absent.
    /// An empty numeric array (what h5py writes for an empty list) reads as
    /// no strings.
    pub(crate) fn attr_strings(&self, group: &str, name: &str) -> Result<Option<Vec<String>>> {
        let Some(g) = self.group(group)? else {
            return Ok(None);
        };
        let attrs = g
            .attrs()
            .map_err(|e| h5_error(&self.label, &format!("attributes of {group:?}"), e))?;
        let Some(value) = attrs.get(name) else {
            return Ok(None);
        };
        if let Some(strings) = value.as_strings() {
            return Ok(Some(strings.to_vec()));
        }
        use hdf5_pure::AttrValue as A;
        match value {
            A::F64Array(v) if v.is_empty() => Ok(Some(Vec::new())),
            A::F32Array(v) if v.is_empty() => Ok(Some(Vec::new())),
            _ => Err(fail(format!(
                "{}: attribute {name:?} of {group:?} is not a string",
                self.label
            ))),
        }
    }

    /// One string attribute.
    pub(crate) fn attr_string(&self, group: &str, name: &str) -> Result<Option<String>> {
        match self.attr_strings(group, name)? {
            None => Ok(None),
            Some(v) if v.len() == 1 => Ok(v.into_iter().next()),
            Some(v) => Err(fail(format!(
                "{}: attribute {name:?} of {group:?}: expected one string, got {}",
                self.label,
                v.len()
            ))),
        }
    }

    /// Reads a float dataset after checking that its shape is `expected`
    /// (so a shape the file declares is never believed before it is known
    /// to be the one the model needs). `what` names it in messages.
    pub(crate) fn read_f32(
        &self,
        path: &str,
        expected: &[usize],
        what: &str,
    ) -> Result<ArrayD<f32>> {
        let ds = self.file.dataset(path).map_err(|_| {
            fail(format!(
                "{what}: missing (no dataset {path} in {})",
                self.label
            ))
        })?;
        let shape = ds
            .shape()
            .map_err(|e| h5_error(&self.label, &format!("dataset {path}"), e))?;
        let fits = shape.len() == expected.len()
            && shape.iter().zip(expected).all(|(a, b)| *a == *b as u64);
        if !fits {
            let shape: Vec<String> = shape.iter().map(u64::to_string).collect();
            return Err(fail(format!(
                "{what} ({path}): expected shape {}, got ({})",
                show::shape(expected),
                shape.join(", ")
            )));
        }
        let dtype = ds
            .dtype()
            .map_err(|e| h5_error(&self.label, &format!("dataset {path}"), e))?;
        let data = match dtype {
            hdf5_pure::DType::F32 | hdf5_pure::DType::F64 => ds
                .read_f32()
                .map_err(|e| h5_error(&self.label, &format!("dataset {path}"), e))?,
            other => {
                return Err(fail(format!(
                    "{what} ({path}): expected float32 numbers, got {other}"
                )));
            }
        };
        let array = ArrayD::from_shape_vec(IxDyn(expected), data).map_err(|_| {
            fail(format!(
                "{what} ({path}): the data does not fill shape {}",
                show::shape(expected)
            ))
        })?;
        // A weight that is NaN or infinite is a damaged file, not a model.
        crate::error::check_finite(what, path, &array).map_err(|e| fail(e.to_string()))?;
        Ok(array)
    }
}
