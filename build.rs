//! Turns the book's chapters into doctests of the library.
//!
//! mdBook's own `mdbook test` cannot link this crate, so the chapters are
//! compiled by rustdoc instead: every `book/src/*.md` has its `{{#include}}`
//! and `{{#rustdoc_include}}` directives expanded (mdBook's rules, anchors
//! included) into `OUT_DIR/book/`, and `OUT_DIR/book_chapters.rs` gives
//! each chapter a module whose doc comment is the expanded chapter.
//! `src/lib.rs` includes that file under `#[cfg(doctest)]`, so no chapter can
//! be left out.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets this"));
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets this"));
    let src = root.join("book/src");
    println!("cargo::rerun-if-changed=book/src");
    println!("cargo::rerun-if-changed=lessons");
    println!("cargo::rerun-if-env-changed=BLESS");

    let mut chapters: Vec<PathBuf> = fs::read_dir(&src)
        .map(|dir| {
            dir.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "md"))
                .collect()
        })
        .unwrap_or_default();
    chapters.sort();

    fs::create_dir_all(out.join("book")).expect("OUT_DIR is writable");
    let mut modules = String::new();
    for chapter in &chapters {
        let text = fs::read_to_string(chapter).expect("a chapter is UTF-8 text");
        let expanded = expand(&text, chapter.parent().expect("a chapter is in book/src"));
        let name = chapter
            .file_name()
            .expect("a file")
            .to_string_lossy()
            .into_owned();
        let target = out.join("book").join(&name);
        fs::write(&target, expanded).expect("OUT_DIR is writable");
        let module = name.trim_end_matches(".md").replace(['-', '.'], "_");
        writeln!(
            modules,
            "#[doc = include_str!({:?})]\npub mod {module} {{}}",
            target.display().to_string()
        )
        .expect("writing to a String");
    }
    fs::write(out.join("book_chapters.rs"), modules).expect("OUT_DIR is writable");
}

/// Expands `{{#include …}}` and `{{#rustdoc_include …}}` as mdBook does.
/// (`tests/book.rs` uses it too, to measure the listings as rendered.)
pub(crate) fn expand(text: &str, dir: &Path) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{#") {
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        let Some(end) = after.find("}}") else {
            out.push_str(after);
            return out;
        };
        let directive = after[3..end].trim();
        let (kind, arg) = directive
            .split_once(char::is_whitespace)
            .unwrap_or((directive, ""));
        match kind {
            "include" | "rustdoc_include" => {
                // No rerun-if-changed of its own: book/src and lessons/ are watched.
                out.push_str(&include(arg.trim(), dir, kind == "rustdoc_include"));
            }
            _ => out.push_str(&after[..end + 2]),
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

/// One include: `path`, `path:anchor`, `path:start:end` (1-based lines).
fn include(arg: &str, dir: &Path, rustdoc: bool) -> String {
    let mut parts = arg.splitn(2, ':');
    let path = dir.join(parts.next().unwrap_or(""));
    let selector = parts.next();
    let text = match fs::read_to_string(&path) {
        Ok(text) => text,
        // A transcript not yet written can be blessed: `BLESS=1 cargo test
        // --test transcripts` builds with a placeholder, writes it, and the
        // next build reads it. Anything else missing stops the build.
        Err(e) if !rustdoc && blessing() => {
            println!("cargo::warning=book include {}: {e}", path.display());
            return format!("MISSING: {}", path.display());
        }
        Err(e) => panic!(
            "book include {} (from {{{{#{}include {arg}}}}}): {e}",
            path.display(),
            if rustdoc { "rustdoc_" } else { "" }
        ),
    };
    let lines: Vec<&str> = text.lines().collect();
    let is_marker = |l: &str| marker(l, "ANCHOR:").is_some() || marker(l, "ANCHOR_END:").is_some();

    // Which lines are shown; with rustdoc_include the others are kept hidden (`# `).
    let shown: Vec<bool> = match selector {
        None => vec![true; lines.len()],
        Some(sel)
            if sel
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_digit() || c == ':') =>
        {
            let mut bounds = sel.splitn(2, ':');
            let from = bounds
                .next()
                .and_then(|s| s.parse::<usize>().ok())
                .unwrap_or(1);
            let to = match bounds.next() {
                None => from,
                Some("") => lines.len(),
                Some(s) => s.parse().unwrap_or(lines.len()),
            };
            (1..=lines.len())
                .map(|n| n >= from.max(1) && n <= to)
                .collect()
        }
        Some(anchor) => {
            let mut inside = false;
            lines
                .iter()
                .map(|l| {
                    if marker(l, "ANCHOR_END:") == Some(anchor) {
                        inside = false;
                    } else if marker(l, "ANCHOR:") == Some(anchor) {
                        inside = true;
                    }
                    inside
                })
                .collect()
        }
    };
    if let Some(anchor) = selector
        && !shown.iter().any(|s| *s)
    {
        panic!(
            "book include {}: anchor or lines {anchor:?} select nothing",
            path.display()
        );
    }

    let mut out = String::new();
    for (line, show) in lines.iter().zip(shown) {
        if is_marker(line) {
            continue;
        }
        if show {
            out.push_str(line);
            out.push('\n');
        } else if rustdoc {
            out.push_str("# ");
            out.push_str(line);
            out.push('\n');
        }
    }
    // mdBook drops the final newline of an include.
    if out.ends_with('\n') {
        out.pop();
    }
    out
}

/// Whether the transcripts are being rewritten (`BLESS=1`, as
/// `tests/transcripts.rs` reads it).
fn blessing() -> bool {
    std::env::var_os("BLESS").is_some_and(|v| v == "1")
}

/// The name in an `ANCHOR: name` or `ANCHOR_END: name` marker on this line.
fn marker<'a>(line: &'a str, tag: &str) -> Option<&'a str> {
    let at = line.find(tag)?;
    let name = line[at + tag.len()..].trim_start();
    let end = name
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
        .unwrap_or(name.len());
    (end > 0).then(|| &name[..end])
}
