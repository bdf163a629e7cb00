//! The repository's main test language and its TypeScript test runner, from an inventory:
//! they pick `scenario add`'s default `--language` and the TypeScript skeleton's import.

use std::collections::BTreeMap;

use super::Inventory;
use crate::scaffold::skeleton::Language;

/// What the scaffold takes from the repository's tests.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Detected {
    /// The language with the most tests (ties: the vocabulary's order), with its count.
    pub language: Option<(Language, usize)>,
    /// The JS/TS runner most test files use (`bun:test`, `vitest`, `jest`, `node:test`).
    pub ts_runner: Option<&'static str>,
}

fn language_of(kind: &str) -> Option<Language> {
    match kind {
        "rust-test" => Some(Language::Rust),
        "go-test" | "go-benchmark" | "go-fuzz" => Some(Language::Go),
        "python-test" => Some(Language::Python),
        "js-test" => Some(Language::TypeScript),
        "bats-test" | "shell-test" => Some(Language::Shell),
        _ => None,
    }
}

/// Count tests per language and JS/TS files per runner (fixture directories excluded).
pub fn detect(inv: &Inventory) -> Detected {
    let mut langs: BTreeMap<usize, usize> = BTreeMap::new();
    let mut runners: BTreeMap<&'static str, std::collections::BTreeSet<&str>> = BTreeMap::new();
    for it in inv
        .items
        .iter()
        .filter(|i| !super::suites::is_fixture(&i.path))
    {
        if let Some(l) = language_of(it.kind) {
            let idx = Language::ALL.iter().position(|x| *x == l).unwrap_or(0);
            *langs.entry(idx).or_default() += 1;
        }
        if it.kind == "js-test" {
            if let Some(fw @ ("bun:test" | "vitest" | "jest" | "node:test")) = it.framework {
                runners.entry(fw).or_default().insert(it.path.as_str());
            }
        }
    }
    let language = langs
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map(|(i, n)| (Language::ALL[*i], *n));
    let ts_runner = runners
        .iter()
        .max_by(|a, b| a.1.len().cmp(&b.1.len()).then(b.0.cmp(a.0)))
        .map(|(r, _)| *r);
    Detected {
        language,
        ts_runner,
    }
}
