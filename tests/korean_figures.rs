//! The Korean edition's figures are the English figures with their words in
//! Korean: `book/src/figures/ko/NAME.svg` is `book/src/figures/NAME.svg` with
//! every `<text>` replaced by its translation in `book/po/figures.tsv`.
//!
//! A figure whose words are not all in the table, or a Korean figure that no
//! longer matches its English one, fails here. `BLESS=1 cargo test --test
//! korean_figures` writes the Korean figures again.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

fn book() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("book")
}

/// English text -> Korean text, from `book/po/figures.tsv`.
fn table() -> BTreeMap<String, String> {
    let text = fs::read_to_string(book().join("po/figures.tsv")).expect("book/po/figures.tsv");
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| {
            let (en, ko) = line
                .split_once('\t')
                .unwrap_or_else(|| panic!("figures.tsv: no tab in {line:?}"));
            (en.to_string(), ko.to_string())
        })
        .collect()
}

/// The figure with each `<text>`'s words translated; the words it has no
/// translation for are returned as errors.
fn translate(svg: &str, table: &BTreeMap<String, String>) -> Result<String, Vec<String>> {
    let mut out = String::with_capacity(svg.len());
    let mut missing = Vec::new();
    let mut rest = svg;
    while let Some(open) = rest.find("<text") {
        let body = open + rest[open..].find('>').expect("a <text> tag ends") + 1;
        let close = body + rest[body..].find("</text>").expect("a <text> element ends");
        out.push_str(&rest[..body]);
        let words = &rest[body..close];
        let trimmed = words.trim();
        match table.get(trimmed) {
            Some(korean) => out.push_str(&words.replacen(trimmed, korean, 1)),
            None if trimmed.chars().any(|c| c.is_alphabetic())
                && trimmed.parse::<f64>().is_err() =>
            {
                missing.push(trimmed.to_string());
                out.push_str(words);
            }
            None => out.push_str(words),
        }
        rest = &rest[close..];
    }
    out.push_str(rest);
    if missing.is_empty() {
        Ok(out)
    } else {
        Err(missing)
    }
}

#[test]
fn every_figure_has_a_current_korean_version() {
    let table = table();
    let bless = std::env::var("BLESS").as_deref() == Ok("1");
    let figures = book().join("src/figures");
    let mut problems = Vec::new();
    let mut checked = 0;
    let mut names: Vec<_> = fs::read_dir(&figures)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "svg"))
        .collect();
    names.sort();
    for english in names {
        let name = english.file_name().unwrap().to_string_lossy().to_string();
        let korean_path = figures.join("ko").join(&name);
        let svg = fs::read_to_string(&english).unwrap();
        match translate(&svg, &table) {
            Err(missing) => problems.push(format!(
                "{name}: no Korean in book/po/figures.tsv for {missing:?}"
            )),
            Ok(korean) if bless => fs::write(&korean_path, korean).unwrap(),
            Ok(korean) => match fs::read_to_string(&korean_path) {
                Ok(current) if current == korean => {}
                Ok(_) => problems.push(format!("figures/ko/{name} is out of date")),
                Err(e) => problems.push(format!("figures/ko/{name}: {e}")),
            },
        }
        checked += 1;
    }
    assert!(checked > 0, "no figures found in {}", figures.display());
    assert!(
        problems.is_empty(),
        "{}\n(BLESS=1 cargo test --test korean_figures writes the Korean figures)",
        problems.join("\n")
    );
}

#[test]
fn a_word_without_translation_is_reported() {
    let table = BTreeMap::from([("loss".to_string(), "손실".to_string())]);
    let svg = "<svg><text x=\"1\">\nloss\n</text><text>\n0.5\n</text><text>epoch</text></svg>";
    assert_eq!(translate(svg, &table), Err(vec!["epoch".to_string()]));
    let table = BTreeMap::from([
        ("loss".to_string(), "손실".to_string()),
        ("epoch".to_string(), "에포크".to_string()),
    ]);
    assert_eq!(
        translate(svg, &table).unwrap(),
        "<svg><text x=\"1\">\n손실\n</text><text>\n0.5\n</text><text>에포크</text></svg>"
    );
}
