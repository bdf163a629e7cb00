//! Dependencies run one way (ARCHITECTURE.md): `cli` → engines → `plan` / `vocab` → `diag`,
//! `fsx`, `error`. This test reads `src/` as text, builds the module graph from `crate::…` and
//! `super::…` paths (test modules excluded), and fails on an upward import or a cycle.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The layer of each top-level module: a module may import only modules of a lower layer,
/// or of its own layer when the graph stays acyclic. `error` sits below everything because
/// every layer returns it (it knows `fsx`'s write error to convert it).
const LAYERS: &[(&str, u8)] = &[
    ("cli", 4),
    ("lint", 3),
    ("report", 3),
    ("session", 3),
    ("scaffold", 3),
    ("history", 3),
    ("install", 3),
    ("skills", 3),
    ("eval", 3),
    ("fault", 3),
    ("net", 3),
    ("plan", 2),
    ("vocab", 2),
    ("diag", 1),
    ("fsx", 1),
    ("exit", 1),
    ("error", 1),
];

fn layer(m: &str) -> Option<u8> {
    LAYERS.iter().find(|(n, _)| *n == m).map(|(_, l)| *l)
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The file's code without its `#[cfg(test)]` module (by convention, the end of the file).
fn non_test_code(text: &str) -> &str {
    match text.find("#[cfg(test)]\nmod ") {
        Some(i) => &text[..i],
        None => text,
    }
}

/// Module path of a file under src/: `src/history/models.rs` → ["history", "models"].
fn module_path(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap();
    let mut parts: Vec<String> = rel
        .iter()
        .map(|c| c.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap();
    let stem = last.trim_end_matches(".rs");
    if stem != "mod" && stem != "lib" && stem != "main" {
        parts.push(stem.to_string());
    }
    parts
}

/// Every module path this code names, resolved to absolute paths from the crate root.
fn references(code: &str, here: &[String]) -> Vec<Vec<String>> {
    let re = regex::Regex::new(r"\b((?:crate|super)(?:::[A-Za-z_][A-Za-z0-9_]*)+)").unwrap();
    let mut out = Vec::new();
    for c in re.captures_iter(code) {
        let segs: Vec<&str> = c[1].split("::").collect();
        let mut path: Vec<String> = Vec::new();
        let mut rest = &segs[..];
        if rest[0] == "crate" {
            rest = &rest[1..];
        } else {
            path = here.to_vec();
            while rest.first() == Some(&"super") {
                path.pop();
                rest = &rest[1..];
            }
        }
        path.extend(rest.iter().map(|s| s.to_string()));
        out.push(path);
    }
    out
}

struct Graph {
    /// Top-level module → modules it imports.
    top: BTreeMap<String, BTreeSet<String>>,
    /// Within each top-level module: submodule → sibling submodules it imports.
    inner: BTreeMap<String, BTreeMap<String, BTreeSet<String>>>,
    /// (file, top-level module it reaches into `cli` from).
    cli_imports: Vec<String>,
}

fn graph() -> Graph {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut g = Graph {
        top: BTreeMap::new(),
        inner: BTreeMap::new(),
        cli_imports: Vec::new(),
    };
    let known: BTreeSet<&str> = LAYERS.iter().map(|(n, _)| *n).collect();
    for f in &files {
        let here = module_path(&src, f);
        let Some(top) = here.first().cloned() else {
            continue; // lib.rs, main.rs
        };
        let text = fs::read_to_string(f).unwrap();
        for r in references(non_test_code(&text), &here) {
            let Some(target) = r.first() else { continue };
            if !known.contains(target.as_str()) {
                continue;
            }
            if target == "cli" && top != "cli" {
                g.cli_imports.push(f.display().to_string());
            }
            if *target != top {
                g.top.entry(top.clone()).or_default().insert(target.clone());
            } else if here.len() >= 2 && r.len() >= 2 && r[1] != here[1] {
                let inner = g.inner.entry(top.clone()).or_default();
                inner
                    .entry(here[1].clone())
                    .or_default()
                    .insert(r[1].clone());
            }
        }
    }
    g
}

/// A cycle in `edges`, if any, as the list of nodes on it.
fn find_cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match state.get(n) {
            Some(2) => return None,
            Some(1) => {
                let i = stack.iter().position(|s| s == n).unwrap();
                let mut cyc = stack[i..].to_vec();
                cyc.push(n.to_string());
                return Some(cyc);
            }
            _ => {}
        }
        state.insert(n.to_string(), 1);
        stack.push(n.to_string());
        for m in edges.get(n).into_iter().flatten() {
            if let Some(c) = visit(m, edges, state, stack) {
                return Some(c);
            }
        }
        stack.pop();
        state.insert(n.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in edges.keys() {
        if let Some(c) = visit(n, edges, &mut state, &mut Vec::new()) {
            return Some(c);
        }
    }
    None
}

#[test]
fn nothing_outside_cli_imports_cli() {
    let g = graph();
    assert!(
        g.cli_imports.is_empty(),
        "these files import from `cli` (engines must return crate::error::Error and take what \
         they need as arguments): {:?}",
        g.cli_imports
    );
}

#[test]
fn every_import_points_down_or_sideways_without_a_cycle() {
    let g = graph();
    for (from, tos) in &g.top {
        let lf = layer(from).unwrap_or_else(|| panic!("module `{from}` has no layer in LAYERS"));
        for to in tos {
            let lt = layer(to).unwrap();
            assert!(
                lt <= lf,
                "`{from}` (layer {lf}) imports `{to}` (layer {lt}): dependencies run one way"
            );
        }
    }
    if let Some(c) = find_cycle(&g.top) {
        panic!("import cycle between top-level modules: {}", c.join(" → "));
    }
}

#[test]
fn no_module_has_a_cycle_among_its_submodules() {
    let g = graph();
    for (top, edges) in &g.inner {
        if let Some(c) = find_cycle(edges) {
            panic!("import cycle inside `{top}`: {}", c.join(" → "));
        }
    }
}

#[test]
fn the_checker_sees_a_planted_upward_import_and_cycle() {
    let here = vec!["report".to_string(), "render".to_string()];
    let refs = references("use crate::cli::CliError; use super::rules::X;", &here);
    assert_eq!(refs[0], ["cli", "CliError"]);
    assert_eq!(refs[1], ["report", "rules", "X"]);
    let mut e: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    e.entry("a".into()).or_default().insert("b".into());
    e.entry("b".into()).or_default().insert("a".into());
    assert!(find_cycle(&e).is_some());
}
