//! `keras-parity`: checks this crate against Keras's own numbers.
//!
//! ```text
//! cargo run --release --bin keras-parity -- tests/keras_cases [more files or folders]
//! ```
//!
//! One line per case with its largest absolute difference, then
//! `N passed, M failed`. Exit status: 0 when every case passes, 1 when one
//! fails, 2 when a file cannot be read or does not fit the format.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use rnn_basics::keras::{Case, Outcome, TOLERANCE, check_case};

/// `println!`, except that a reader who stops reading (`| head`) ends the
/// output, not the run: the exit status still tells the whole result.
macro_rules! say {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() || args.iter().any(|a| a == "-h" || a == "--help") {
        eprintln!("usage: keras-parity CASE.json|FOLDER [...]");
        eprintln!(
            "Checks each Keras reference case (tolerance {TOLERANCE:e}); see tests/keras_cases/README.md."
        );
        return ExitCode::from(2);
    }
    let mut files = Vec::new();
    let mut unreadable = 0;
    for arg in &args {
        match case_files(Path::new(arg)) {
            Ok(found) => files.extend(found),
            Err(message) => {
                say!("error: {arg}: {message}");
                unreadable += 1;
            }
        }
    }

    let (mut passed, mut failed, mut skipped) = (0, 0, 0);
    for file in &files {
        let shown = file.display();
        let case = match Case::load(file) {
            Ok(case) => case,
            Err(e) => {
                say!("error: {e}");
                unreadable += 1;
                continue;
            }
        };
        match check_case(&case) {
            Ok(Outcome::Passed { max_abs_diff }) => {
                passed += 1;
                say!("pass  {:<40} max |diff| {max_abs_diff:.2e}", case.name);
            }
            Ok(Outcome::Failed {
                max_abs_diff,
                reason,
            }) => {
                failed += 1;
                let diff = max_abs_diff.map_or("-".to_string(), |d| format!("{d:.2e}"));
                say!("FAIL  {:<40} max |diff| {diff}  {reason}", case.name);
            }
            Ok(Outcome::Skipped { reason }) => {
                skipped += 1;
                say!("skip  {:<40} {reason}", case.name);
            }
            Err(e) => {
                say!("error: {shown}: {e}");
                unreadable += 1;
            }
        }
    }

    let mut summary = format!("{passed} passed, {failed} failed");
    if skipped > 0 {
        summary += &format!(", {skipped} skipped");
    }
    if unreadable > 0 {
        summary += &format!(", {unreadable} unreadable");
    }
    say!("{summary}");
    if unreadable > 0 {
        ExitCode::from(2)
    } else if failed > 0 || passed == 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// The `.json` files a path names: itself, or a folder's, sorted.
fn case_files(path: &Path) -> Result<Vec<PathBuf>, String> {
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if !meta.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err("no .json case files in this folder".into());
    }
    Ok(files)
}
