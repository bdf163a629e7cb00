//! The skills' reference pages show the vocabulary; this test keeps them equal to it.
//!
//! A page marks each list it shows with `<!-- dstplan:vocab LIST -->` … `<!-- /dstplan:vocab -->`.
//! Inside, every top-level bullet (`- ` at the start of a line) is one item: its first
//! backticked span. The items must equal `dstplan vocab --format json`'s list of that name,
//! in order. Headings, prose and indented sub-bullets inside a block are ignored.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

mod common;
use common::root;

const OPEN: &str = "<!-- dstplan:vocab ";
const CLOSE: &str = "<!-- /dstplan:vocab -->";

/// Lists that must be shown on at least one page.
const REQUIRED: &[&str] = &[
    "claim_categories",
    "models",
    "checkers",
    "nemeses",
    "verdicts",
    "technique_cards",
    "audits_green_but_broken",
    "audits_weak_oracle",
    "blames",
    "failure_types",
    "headlines",
];

/// The headings every technique card carries.
const CARD_SECTIONS: &[&str] = &[
    "When to use",
    "What it finds",
    "What it misses",
    "Tools",
    "Key papers",
    "Cost",
];

#[derive(Debug, PartialEq, Eq)]
struct Block {
    list: String,
    line: usize,
    items: Vec<String>,
}

/// Parse every marked block of a page. Errors: an unclosed block, a nested opening, a stray
/// closing, a bullet with no backticked item.
fn parse_blocks(text: &str) -> Result<Vec<Block>, String> {
    let mut out = Vec::new();
    let mut current: Option<Block> = None;
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let t = line.trim();
        if let Some(rest) = t.strip_prefix(OPEN) {
            if let Some(b) = &current {
                return Err(format!(
                    "line {n}: a block opens inside the `{}` block of line {}",
                    b.list, b.line
                ));
            }
            let list = rest.trim_end_matches("-->").trim().to_string();
            current = Some(Block {
                list,
                line: n,
                items: Vec::new(),
            });
        } else if t == CLOSE {
            match current.take() {
                Some(b) => out.push(b),
                None => return Err(format!("line {n}: a closing marker with no open block")),
            }
        } else if let Some(b) = current.as_mut() {
            if let Some(bullet) = line.strip_prefix("- ") {
                let item = bullet
                    .split('`')
                    .nth(1)
                    .filter(|_| bullet.matches('`').count() >= 2)
                    .ok_or_else(|| format!("line {n}: bullet without a backticked item"))?;
                b.items.push(item.to_string());
            }
        }
    }
    if let Some(b) = current {
        return Err(format!(
            "line {}: the `{}` block is never closed",
            b.line, b.list
        ));
    }
    Ok(out)
}

fn vocab() -> BTreeMap<String, Vec<String>> {
    let out = common::bin()
        .args(["vocab", "--format", "json"])
        .output()
        .expect("run dstplan vocab");
    assert!(out.status.success(), "dstplan vocab failed: {out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("vocab json");
    v["lists"]
        .as_object()
        .expect("lists object")
        .iter()
        .map(|(k, items)| {
            let items = items
                .as_array()
                .expect("list array")
                .iter()
                .map(|i| i.as_str().expect("string item").to_string())
                .collect();
            (k.clone(), items)
        })
        .collect()
}

fn skill_pages() -> Vec<PathBuf> {
    let mut pages: Vec<PathBuf> = walkdir::WalkDir::new(root().join("skills"))
        .into_iter()
        .filter_map(Result::ok)
        .map(|e| e.into_path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    pages.sort();
    pages
}

fn rel(p: &Path) -> String {
    p.strip_prefix(root()).unwrap_or(p).display().to_string()
}

#[test]
fn every_marked_block_equals_the_vocabulary() {
    let vocab = vocab();
    let mut problems = Vec::new();
    let mut shown = BTreeSet::new();
    let pages = skill_pages();
    assert!(!pages.is_empty(), "no Markdown under skills/");
    for page in &pages {
        let text = std::fs::read_to_string(page).unwrap();
        let blocks = match parse_blocks(&text) {
            Ok(b) => b,
            Err(e) => {
                problems.push(format!("{}: {e}", rel(page)));
                continue;
            }
        };
        for b in blocks {
            let Some(expected) = vocab.get(&b.list) else {
                problems.push(format!(
                    "{}:{}: `{}` is not a vocabulary list (known: {})",
                    rel(page),
                    b.line,
                    b.list,
                    vocab.keys().cloned().collect::<Vec<_>>().join(", ")
                ));
                continue;
            };
            shown.insert(b.list.clone());
            if &b.items != expected {
                let missing: Vec<_> = expected.iter().filter(|e| !b.items.contains(e)).collect();
                let extra: Vec<_> = b.items.iter().filter(|i| !expected.contains(i)).collect();
                problems.push(format!(
                    "{}:{}: block `{}` differs from `dstplan vocab`: missing {missing:?}, extra {extra:?}{}",
                    rel(page),
                    b.line,
                    b.list,
                    if missing.is_empty() && extra.is_empty() {
                        " (order differs)"
                    } else {
                        ""
                    }
                ));
            }
        }
    }
    for list in REQUIRED {
        if !shown.contains(*list) {
            problems.push(format!(
                "no page under skills/ shows the `{list}` list in a marked block"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_technique_card_exists_with_its_sections() {
    let vocab = vocab();
    let cards = &vocab["technique_cards"];
    let dir = root().join("skills/designing-distributed-system-tests/references");
    let mut problems = Vec::new();
    for card in cards {
        let p = dir.join(format!("{card}.md"));
        let Ok(text) = std::fs::read_to_string(&p) else {
            problems.push(format!("{} is missing", rel(&p)));
            continue;
        };
        for section in CARD_SECTIONS {
            let found = text
                .lines()
                .any(|l| l.starts_with("## ") && l[3..].trim_start().starts_with(section));
            if !found {
                problems.push(format!("{} has no `## {section}` section", rel(&p)));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_nemesis_names_a_landing_signal_and_an_undo() {
    let path =
        root().join("skills/executing-distributed-system-tests/references/nemesis-catalogue.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let start = text
        .find("<!-- dstplan:vocab nemeses -->")
        .expect("nemeses block");
    let end = start + text[start..].find(CLOSE).expect("closed");
    let mut current: Option<(String, bool, bool)> = None;
    let mut problems = Vec::new();
    let mut check = |c: &Option<(String, bool, bool)>| {
        if let Some((id, landing, undo)) = c {
            if !landing || !undo {
                problems.push(format!("nemesis `{id}`: landing {landing}, undo {undo}"));
            }
        }
    };
    for line in text[start..end].lines() {
        if let Some(b) = line.strip_prefix("- ") {
            check(&current);
            current = Some((b.split('`').nth(1).unwrap_or("").to_string(), false, false));
        } else if let Some(c) = current.as_mut() {
            let t = line.trim_start();
            c.1 |= t.starts_with("- Landing:");
            c.2 |= t.starts_with("- Undo:");
        }
    }
    check(&current);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_block_parser_rejects_what_it_should() {
    let ok = "x\n<!-- dstplan:vocab models -->\n## h\n- `a` — one\n  - `sub` ignored\n- `b`\n<!-- /dstplan:vocab -->\n";
    assert_eq!(
        parse_blocks(ok).unwrap(),
        vec![Block {
            list: "models".into(),
            line: 2,
            items: vec!["a".into(), "b".into()]
        }]
    );
    assert!(parse_blocks("<!-- dstplan:vocab models -->\n- `a`\n")
        .unwrap_err()
        .contains("never closed"));
    assert!(parse_blocks("<!-- /dstplan:vocab -->\n").is_err());
    assert!(parse_blocks("<!-- dstplan:vocab a -->\n<!-- dstplan:vocab b -->\n").is_err());
    assert!(
        parse_blocks("<!-- dstplan:vocab a -->\n- no code\n<!-- /dstplan:vocab -->\n").is_err()
    );
}
