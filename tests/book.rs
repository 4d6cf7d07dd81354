//! The book, the lessons and the transcripts stay in one piece: every
//! chapter is in `SUMMARY.md`, every lesson has its `[[bin]]`, its chapter
//! and its transcript, and every code fence says what it is (so that no
//! Rust snippet escapes the doctests, and no output fence is compiled).

use std::collections::BTreeSet;
use std::fs;

/// Fence languages the book may use. Only `rust` is compiled; the others
/// are shown as they are.
const FENCES: &[&str] = &["rust", "text", "console", "python", "toml", "bash", "svg"];

fn chapters() -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir("book/src")
        .expect("book/src")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".md") && n != "SUMMARY.md")
        .collect();
    names.sort();
    names
}

fn summary_links() -> BTreeSet<String> {
    let summary = fs::read_to_string("book/src/SUMMARY.md").expect("SUMMARY.md");
    summary
        .split("](")
        .skip(1)
        .filter_map(|rest| rest.split(')').next())
        .map(|link| link.trim().to_string())
        .collect()
}

fn lessons() -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir("lessons")
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
fn every_chapter_is_in_the_summary_and_every_link_exists() {
    let links = summary_links();
    for chapter in chapters() {
        assert!(
            links.contains(&chapter),
            "{chapter} is not linked from SUMMARY.md"
        );
    }
    for link in &links {
        assert!(
            fs::metadata(format!("book/src/{link}")).is_ok(),
            "SUMMARY.md links {link}, which does not exist"
        );
    }
}

#[test]
fn every_lesson_has_a_bin_a_chapter_and_a_transcript() {
    let manifest = fs::read_to_string("Cargo.toml").expect("Cargo.toml");
    let chapters = chapters();
    let lessons = lessons();
    assert!(!lessons.is_empty());
    for lesson in &lessons {
        let number = lesson.trim_start_matches("lesson");
        let bin = format!("name = \"{lesson}\"\npath = \"lessons/{lesson}.rs\"");
        assert!(
            manifest.contains(&bin),
            "Cargo.toml has no [[bin]] for {lesson}:\n{bin}"
        );

        let transcript = format!("lessons/output/{lesson}.txt");
        assert!(
            fs::metadata(&transcript).is_ok(),
            "{lesson} has no transcript {transcript}"
        );

        let matching: Vec<&String> = chapters
            .iter()
            .filter(|c| c.starts_with(&format!("ch{number}-")))
            .collect();
        assert_eq!(
            matching.len(),
            1,
            "{lesson} needs exactly one chapter ch{number}-*.md, found {matching:?}"
        );
        let text = fs::read_to_string(format!("book/src/{}", matching[0])).expect("chapter");
        assert!(
            text.contains(&format!("lessons/{lesson}.rs")),
            "{} does not include lessons/{lesson}.rs",
            matching[0]
        );
        assert!(
            text.contains(&format!("lessons/output/{lesson}.txt")),
            "{} does not show its transcript lessons/output/{lesson}.txt",
            matching[0]
        );
    }
    for chapter in chapters.iter().filter(|c| c.starts_with("ch")) {
        let number = &chapter[2..4];
        assert!(
            lessons.contains(&format!("lesson{number}")),
            "{chapter} has no lesson lessons/lesson{number}.rs"
        );
    }
}

#[test]
fn every_fence_names_its_language_and_no_rust_is_skipped() {
    let mut rust_fences = 0;
    for chapter in chapters() {
        let text = fs::read_to_string(format!("book/src/{chapter}")).expect("chapter");
        let mut open = false;
        for (n, line) in text.lines().enumerate() {
            let trimmed = line.trim_start();
            if !trimmed.starts_with("```") {
                continue;
            }
            if open {
                open = false;
                continue;
            }
            open = true;
            let info = trimmed.trim_start_matches('`').trim();
            let mut parts = info.split(',').map(str::trim);
            let language = parts.next().unwrap_or("");
            let at = format!("{chapter}:{}", n + 1);
            assert!(
                FENCES.contains(&language),
                "{at}: fence {info:?}; name one of {FENCES:?} (a bare fence is compiled as Rust)"
            );
            if language == "rust" {
                rust_fences += 1;
                for attr in parts {
                    assert!(
                        attr == "edition2024",
                        "{at}: `{attr}` on a Rust fence; every snippet in the book must run"
                    );
                }
            }
        }
        assert!(!open, "{chapter}: a fence is never closed");
    }
    assert!(rust_fences > 0, "the book has no Rust at all");
}
