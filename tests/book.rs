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

/// The chapters' `{{#include}}` expansion, the very code `build.rs` runs for
/// the doctests, so that the listings are measured as mdBook shows them.
#[allow(dead_code)]
#[path = "../build.rs"]
mod build_script;

/// The widest code line that fits the page: the content column of a 1200 px
/// window holds about 88 characters of monospace text.
const MAX_LISTING_COLUMNS: usize = 88;

/// Columns a line takes in a monospace font: Hangul and CJK take two.
fn columns(line: &str) -> usize {
    line.chars()
        .map(|c| match c as u32 {
            0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF => 2,
            0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 => 2,
            _ if c == '\t' => 4,
            _ => 1,
        })
        .sum()
}

/// A Rust line mdBook hides until the reader asks: `# ...` or a lone `#`.
fn hidden_in_rust(line: &str) -> bool {
    let rest = line.trim_start();
    rest == "#" || rest.starts_with("# ")
}

/// Every code line a reader sees in `chapter`, includes expanded:
/// (line of the expanded chapter, fence language, the line).
fn shown_code_lines(chapter: &str) -> Vec<(usize, String, String)> {
    let dir = std::path::Path::new("book/src");
    let text = fs::read_to_string(dir.join(chapter)).expect("chapter");
    let expanded = build_script::expand(&text, dir);
    let mut language: Option<String> = None;
    let mut lines = Vec::new();
    for (n, line) in expanded.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") {
            language = match language {
                Some(_) => None,
                None => {
                    let info = trimmed.trim_start_matches('`');
                    Some(info.split(',').next().unwrap_or("").trim().to_string())
                }
            };
            continue;
        }
        match &language {
            Some(lang) if lang == "rust" && hidden_in_rust(line) => {}
            Some(lang) => lines.push((n + 1, lang.clone(), line.to_string())),
            None => {}
        }
    }
    lines
}

#[test]
fn no_code_line_is_wider_than_the_page() {
    let mut wide = Vec::new();
    for chapter in chapters() {
        for (n, language, line) in shown_code_lines(&chapter) {
            let width = columns(&line);
            if width > MAX_LISTING_COLUMNS {
                wide.push(format!("{chapter}:{n} ({language}, {width}): {line}"));
            }
        }
    }
    assert!(
        wide.is_empty(),
        "{} code lines are wider than {MAX_LISTING_COLUMNS} columns and would \
         scroll sideways (line numbers are of the chapter with its includes expanded):\n{}",
        wide.len(),
        wide.join("\n")
    );
}

#[test]
fn the_width_check_sees_what_a_reader_sees() {
    assert_eq!(columns("abc"), 3);
    assert_eq!(columns("은닉 상태"), 9);
    assert!(hidden_in_rust("    # fn main() {"));
    assert!(hidden_in_rust("#"));
    assert!(!hidden_in_rust("#[derive(Debug)]"));
    assert!(!hidden_in_rust("let x = 1; // # not hidden"));
}

/// Every `![alt](path)` in the chapters: a `[` or `]` in the alt text ends
/// the image early and the page shows the Markdown instead of the figure.
#[test]
fn every_image_parses_and_its_file_exists() {
    let mut images = 0;
    for chapter in chapters() {
        let text = fs::read_to_string(format!("book/src/{chapter}")).expect("chapter");
        let mut in_fence = false;
        for (n, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("```") {
                in_fence = !in_fence;
            }
            if in_fence {
                continue;
            }
            // Inline code (`array![...]`) is not an image: keep what is outside backticks.
            let prose: String = line.split('`').step_by(2).collect::<Vec<_>>().join(" ");
            let mut rest = prose.as_str();
            while let Some(start) = rest.find("![") {
                let at = format!("{chapter}:{}", n + 1);
                let after = &rest[start + 2..];
                let close = after
                    .find("](")
                    .unwrap_or_else(|| panic!("{at}: an image with no `](`"));
                let alt = &after[..close];
                assert!(
                    !alt.contains(['[', ']']),
                    "{at}: the alt text {alt:?} has a bracket, which ends the image early"
                );
                let target = &after[close + 2..];
                let end = target
                    .find(')')
                    .unwrap_or_else(|| panic!("{at}: an image with no `)`"));
                let path = &target[..end];
                assert!(
                    fs::metadata(format!("book/src/{path}")).is_ok(),
                    "{at}: the image {path} does not exist"
                );
                images += 1;
                rest = &target[end..];
            }
        }
    }
    assert!(images > 0, "the book has no figures at all");
}
