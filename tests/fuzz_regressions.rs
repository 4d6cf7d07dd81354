//! Inputs the fuzz targets (see `fuzz/README.md`) found troublesome, or
//! that probe the readers' edges, run through the same code: each must give
//! a result or an error, never a panic.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;

use rnn_basics::keras::{Case, check_case, read_npz_from};

fn files(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.sort();
    files
}

fn case_json(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(case) = Case::parse(text, "regression.json")
    {
        let _ = check_case(&case);
    }
}

fn npz(data: &[u8]) {
    let _ = read_npz_from(std::io::Cursor::new(data), "regression.npz");
}

#[test]
fn saved_inputs_do_not_panic() {
    let mut checked = 0;
    for (dir, target) in [
        ("tests/fuzz_regressions/case_json", case_json as fn(&[u8])),
        ("tests/fuzz_regressions/npz", npz as fn(&[u8])),
    ] {
        for file in files(dir) {
            let data = std::fs::read(&file).unwrap();
            assert!(
                catch_unwind(AssertUnwindSafe(|| target(&data))).is_ok(),
                "{} panics",
                file.display()
            );
            checked += 1;
        }
    }
    assert!(checked >= 10, "only {checked} regression inputs");
}
