//! The `.keras` zip: reading its entries with bounded memory, writing one.

use std::io::{Cursor, Read, Write};

use super::fail;
use crate::Result;

/// The most any entry may inflate to, whatever the file's size.
const HARD_LIMIT: u64 = 1 << 31;

/// A model's config is a few kilobytes of JSON.
const CONFIG_LIMIT: u64 = 16 << 20;

/// Deflate cannot shrink data more than about 1032 times: an entry that
/// inflates beyond that many times its stored size (plus a little) is a
/// bomb, not a model.
const MAX_RATIO: u64 = 1032;

/// The entries of a `.keras` file that the loader reads.
pub(crate) struct KerasArchive {
    pub config: Vec<u8>,
    pub weights: Vec<u8>,
}

/// Reads `config.json` and `model.weights.h5` out of a `.keras` zip.
/// Sizes the zip declares are not believed: each entry is read through a
/// limit set by its compressed size, and a CRC mismatch is an error.
pub(crate) fn read(bytes: &[u8]) -> Result<KerasArchive> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| fail(format!("not a readable .keras zip: {e}")))?;
    let mut entry = |name: &str, cap: u64| -> Result<Vec<u8>> {
        let mut file = zip.by_name(name).map_err(|e| match e {
            zip::result::ZipError::FileNotFound => fail(format!(
                "the .keras zip has no {name} (a Keras 3 file holds config.json and model.weights.h5)"
            )),
            e => fail(format!("{name}: cannot read it from the zip: {e}")),
        })?;
        if file.encrypted() {
            return Err(fail(format!(
                "{name}: encrypted zip entries are not supported"
            )));
        }
        let limit = file
            .compressed_size()
            .saturating_mul(MAX_RATIO)
            .saturating_add(1 << 16)
            .min(cap);
        let mut out = Vec::new();
        (&mut file)
            .take(limit + 1)
            .read_to_end(&mut out)
            .map_err(|e| fail(format!("{name}: corrupt zip entry: {e}")))?;
        if out.len() as u64 > limit {
            return Err(fail(format!(
                "{name}: inflates to more than {limit} bytes from {} stored (a compression bomb?)",
                file.compressed_size()
            )));
        }
        if out.len() as u64 != file.size() {
            return Err(fail(format!(
                "{name}: the zip declares {} bytes, the entry holds {}",
                file.size(),
                out.len()
            )));
        }
        Ok(out)
    };
    let config = entry("config.json", CONFIG_LIMIT)?;
    let weights = entry("model.weights.h5", HARD_LIMIT)?;
    Ok(KerasArchive { config, weights })
}

/// A `.keras` zip of the given entries, stored (not compressed) as Keras
/// writes them.
pub(crate) fn write(entries: &[(&str, &[u8])]) -> Result<Vec<u8>> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .large_file(
            entries
                .iter()
                .any(|(_, b)| b.len() as u64 >= u32::MAX as u64),
        );
    for (name, bytes) in entries {
        zip.start_file(*name, options)
            .and_then(|_| zip.write_all(bytes).map_err(Into::into))
            .map_err(|e| fail(format!("writing {name} into the zip: {e}")))?;
    }
    let cursor = zip
        .finish()
        .map_err(|e| fail(format!("finishing the zip: {e}")))?;
    Ok(cursor.into_inner())
}
