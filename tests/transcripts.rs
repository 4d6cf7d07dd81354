//! Every lesson prints what its transcript (`lessons/output/lessonNN.txt`)
//! says, and so what its chapter shows.
//!
//! Numbers are compared with a tolerance (another CPU may sum in another
//! order); everything else must match, ignoring whitespace (numpy pads
//! columns to the widest number, which may change with the last digit).
//!
//! `BLESS=1 cargo test --test transcripts` rewrites the transcripts on purpose.

use std::path::{Path, PathBuf};
use std::process::Command;

/// `|ours - theirs| <= ABS + REL * |theirs|`: float32 rounding, not behaviour.
const ABS: f64 = 1e-5;
const REL: f64 = 1e-4;

#[derive(Debug, PartialEq)]
enum Token {
    Text(String),
    Number(f64),
}

/// Splits text into numbers and the text between them, whitespace dropped.
fn tokens(text: &str) -> Vec<Token> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut text_run = String::new();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        let mut j = i;
        if bytes[j] == b'-' {
            j += 1;
        }
        let digits_from = j;
        while j < bytes.len() && bytes[j].is_ascii_digit() {
            j += 1;
        }
        let after_word =
            start > 0 && (bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_');
        if j > digits_from && !after_word {
            if j < bytes.len() && bytes[j] == b'.' {
                j += 1;
                while j < bytes.len() && bytes[j].is_ascii_digit() {
                    j += 1;
                }
            }
            if j < bytes.len() && (bytes[j] == b'e' || bytes[j] == b'E') {
                let mut k = j + 1;
                if k < bytes.len() && (bytes[k] == b'+' || bytes[k] == b'-') {
                    k += 1;
                }
                if k < bytes.len() && bytes[k].is_ascii_digit() {
                    while k < bytes.len() && bytes[k].is_ascii_digit() {
                        k += 1;
                    }
                    j = k;
                }
            }
            if !text_run.is_empty() {
                out.push(Token::Text(std::mem::take(&mut text_run)));
            }
            out.push(Token::Number(text[start..j].parse().expect("a number")));
            i = j;
            continue;
        }
        let c = text[i..].chars().next().expect("in bounds");
        if !c.is_whitespace() {
            text_run.push(c);
        }
        i += c.len_utf8();
    }
    if !text_run.is_empty() {
        out.push(Token::Text(text_run));
    }
    out
}

/// Where a difference first shows, or `None` when the texts agree.
fn first_difference(actual: &str, expected: &str) -> Option<String> {
    let (a, e) = (tokens(actual), tokens(expected));
    for (i, (x, y)) in a.iter().zip(&e).enumerate() {
        let same = match (x, y) {
            (Token::Number(x), Token::Number(y)) => (x - y).abs() <= ABS + REL * y.abs(),
            (x, y) => x == y,
        };
        if !same {
            return Some(format!("token {i}: printed {x:?}, transcript has {y:?}"));
        }
    }
    (a.len() != e.len()).then(|| format!("printed {} tokens, transcript has {}", a.len(), e.len()))
}

fn lesson_binary(name: &str) -> PathBuf {
    // Integration tests run from target/<profile>/deps; binaries sit one level up.
    let exe = std::env::current_exe().expect("the test's own path");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>");
    dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
}

/// The arguments a lesson's transcript was made with: lesson 16 trains for
/// a minute in release, so its transcript is the short run (`--short`).
fn lesson_args(name: &str) -> &'static [&'static str] {
    match name {
        "lesson16" => &["--short"],
        _ => &[],
    }
}

fn lessons() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir("lessons")
        .expect("lessons/")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("lesson") && n.ends_with(".rs"))
        .map(|n| n.trim_end_matches(".rs").to_string())
        .collect();
    names.sort();
    names
}

#[test]
fn every_lesson_prints_its_transcript() {
    let bless = blessing();
    let names = lessons();
    assert!(names.len() >= 5, "lessons found: {names:?}");
    let mut failures = Vec::new();
    for name in &names {
        let binary = lesson_binary(name);
        let output = Command::new(&binary)
            .args(lesson_args(name))
            .output()
            .unwrap_or_else(|e| {
                panic!("{}: {e} (is it a [[bin]] in Cargo.toml?)", binary.display())
            });
        assert!(
            output.status.success(),
            "{name} failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let stdout = String::from_utf8(output.stdout).expect("UTF-8 output");
        let transcript = Path::new("lessons/output").join(format!("{name}.txt"));
        if bless {
            std::fs::write(&transcript, &stdout).expect("write the transcript");
            continue;
        }
        let expected = std::fs::read_to_string(&transcript).unwrap_or_else(|e| {
            panic!(
                "{}: {e}; run with BLESS=1 to write it",
                transcript.display()
            )
        });
        if let Some(diff) = first_difference(&stdout, &expected) {
            failures.push(format!("{name}: {diff}"));
        }
    }
    assert!(
        failures.is_empty(),
        "lessons differ from their transcripts:\n{}",
        failures.join("\n")
    );
}

#[test]
fn lessons_print_the_same_every_run() {
    // Seeded randomness: a second run prints exactly the same bytes.
    for name in ["lesson03", "lesson05"] {
        let run = || {
            Command::new(lesson_binary(name))
                .output()
                .expect("runs")
                .stdout
        };
        assert_eq!(run(), run(), "{name} is not reproducible");
    }
}

#[test]
fn the_comparison_sees_real_differences() {
    assert_eq!(
        first_difference("x: [[ 0.5  -0.25]]", "x: [[0.5 -0.25]]"),
        None
    );
    assert_eq!(first_difference("loss 0.1234567", "loss 0.1234568"), None);
    assert!(first_difference("loss 0.1234", "loss 0.1244").is_some());
    assert!(first_difference("shape: (1, 5, 2)", "shape: (1, 5, 3)").is_some());
    assert!(first_difference("states == last: true", "states == last: false").is_some());
    assert!(first_difference("a b", "a b c").is_some());
    assert!(first_difference("lesson01", "lesson02").is_some());
}

/// `BLESS=1` rewrites the transcripts; unset (or `BLESS=0`, or anything
/// else) compares them.
fn blessing() -> bool {
    bless_asked(std::env::var_os("BLESS").as_deref())
}

fn bless_asked(value: Option<&std::ffi::OsStr>) -> bool {
    value.is_some_and(|v| v == "1")
}

#[test]
fn only_bless_1_rewrites() {
    assert!(bless_asked(Some("1".as_ref())));
    for no in ["0", "", "false", "no", "2"] {
        assert!(!bless_asked(Some(no.as_ref())), "BLESS={no:?}");
    }
    assert!(!bless_asked(None));
}
