//! Corrupted Keras files, made by flipping and cutting bytes of real ones:
//! each is refused with an error or (where the damage misses everything
//! read) loads, and none makes a reader panic, not even one the loader
//! would catch. One test in its own binary, so that the panic hook it sets
//! counts only its own panics.

use std::io::{Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use rnn_basics::keras::file;

static PANICS: AtomicUsize = AtomicUsize::new(0);

fn read(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/keras_files")
            .join(name),
    )
    .unwrap()
}

fn entry(archive: &[u8], name: &str) -> Vec<u8> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(archive)).unwrap();
    let mut out = Vec::new();
    zip.by_name(name).unwrap().read_to_end(&mut out).unwrap();
    out
}

fn keras_zip(config: &[u8], weights: &[u8]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, bytes) in [("config.json", config), ("model.weights.h5", weights)] {
        zip.start_file(name, options).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// Variants of `bytes`: each byte at a stride flipped three ways, and cuts.
fn variants(bytes: &[u8], stride: usize) -> impl Iterator<Item = Vec<u8>> + '_ {
    let flips = (0..bytes.len()).step_by(stride).flat_map(move |i| {
        [0xFFu8, 0x00, 0x80].into_iter().map(move |x| {
            let mut v = bytes.to_vec();
            v[i] = if x == 0x80 { v[i] ^ x } else { x };
            v
        })
    });
    let cuts = (0..bytes.len())
        .step_by(stride * 4)
        .map(move |n| bytes[..n].to_vec());
    flips.chain(cuts)
}

#[test]
fn corrupted_files_never_panic_a_reader() {
    std::panic::set_hook(Box::new(|info| {
        PANICS.fetch_add(1, Ordering::SeqCst);
        eprintln!("{info}");
    }));
    let mut tried = 0;
    let mut refused = 0;
    // A legacy .h5 file, whole.
    let legacy = read("legacy_lstm_bidirectional.h5");
    for v in variants(&legacy, 11) {
        tried += 1;
        refused += file::load_model_bytes(&v).is_err() as usize;
    }
    // A .keras file's weights, damaged inside a well-formed zip.
    let keras = read("embedding_mask_bidirectional.keras");
    let config = entry(&keras, "config.json");
    let weights = entry(&keras, "model.weights.h5");
    for v in variants(&weights, 11) {
        tried += 1;
        refused += file::load_model_bytes(&keras_zip(&config, &v)).is_err() as usize;
    }
    // The zip itself, and its config.
    for v in variants(&keras, 97).chain(variants(&config, 5).map(|c| keras_zip(&c, &weights))) {
        tried += 1;
        refused += file::load_model_bytes(&v).is_err() as usize;
    }
    // A cut file is always refused (a flipped byte in a weight's numbers
    // is not something a file without checksums can tell).
    for (name, bytes) in [("legacy", &legacy), ("keras", &keras)] {
        for n in (0..bytes.len()).step_by(13) {
            tried += 1;
            refused += 1;
            assert!(
                file::load_model_bytes(&bytes[..n]).is_err(),
                "{name} cut at {n} loads"
            );
        }
    }
    // What the fuzz targets found (fuzz/README.md): each still gives a
    // result or an error, and what loads survives the writer.
    let regressions = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_regressions");
    let mut found = 0;
    for target in ["keras_file", "keras_h5"] {
        let Ok(dir) = std::fs::read_dir(regressions.join(target)) else {
            continue;
        };
        for file in dir {
            let data = std::fs::read(file.unwrap().path()).unwrap();
            found += 1;
            if target == "keras_h5" {
                let _ = file::load_keras_parts(&config, &data);
            }
            if let Ok(model) = file::load_model_bytes(&data) {
                let again = file::load_model_bytes(&file::keras_bytes(&model).unwrap()).unwrap();
                assert_eq!(again.weights(), model.weights());
            }
        }
    }
    assert!(found >= 1, "no fuzz regressions found");
    let _ = std::panic::take_hook();
    assert_eq!(PANICS.load(Ordering::SeqCst), 0, "panics in {tried} files");
    println!("{tried} corrupted files, {refused} refused, no panic");
}
