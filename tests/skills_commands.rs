//! Every `dstplan …` invocation the skills (and INSTALL.md / USAGE.md) tell an agent to run
//! must exist: the subcommand's `--help` exits 0 and lists every `--flag` the invocation uses.
//!
//! Invocations are taken from inline code and code blocks only. The subcommand path is found
//! by descending through the `Commands:` lists of `--help`, so positional arguments
//! (`<slug>`, `FILE`, `S3`) are never mistaken for subcommands.

mod common;
use common::*;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// Commands whose real argument parsers live in this branch; the rest are stubs until merged.
const BUILT_HERE: &[&str] = &["skills", "install", "uninstall", "vocab"];

#[derive(Debug, Clone)]
struct Invocation {
    place: String,
    text: String,
}

fn documents() -> Vec<PathBuf> {
    let mut docs: Vec<PathBuf> = walkdir::WalkDir::new(root().join("skills"))
        .into_iter()
        .filter_map(Result::ok)
        .map(|e| e.into_path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    for extra in ["INSTALL.md", "USAGE.md"] {
        let p = root().join(extra);
        if p.is_file() {
            docs.push(p);
        }
    }
    docs.sort();
    docs
}

/// Code snippets of a Markdown text with their 1-based line: inline code spans, and each
/// logical line of a code block (backslash continuations joined).
fn code_snippets(text: &str) -> Vec<(usize, String)> {
    use pulldown_cmark::{Event, Parser, Tag, TagEnd};
    let line_of = |off: usize| text[..off].matches('\n').count() + 1;
    let mut out = Vec::new();
    let mut in_block: Option<usize> = None;
    let mut block = String::new();
    for (ev, range) in Parser::new(text).into_offset_iter() {
        match ev {
            Event::Code(c) => out.push((line_of(range.start), c.to_string())),
            Event::Start(Tag::CodeBlock(_)) => {
                in_block = Some(line_of(range.start) + 1);
                block.clear();
            }
            Event::Text(t) if in_block.is_some() => block.push_str(&t),
            Event::End(TagEnd::CodeBlock) => {
                let first = in_block.take().unwrap_or(0);
                let mut pending = String::new();
                let mut start = first;
                for (i, l) in block.lines().enumerate() {
                    if pending.is_empty() {
                        start = first + i;
                    }
                    if let Some(cont) = l.strip_suffix('\\') {
                        pending.push_str(cont);
                        pending.push(' ');
                    } else {
                        pending.push_str(l);
                        out.push((start, std::mem::take(&mut pending)));
                    }
                }
                if !pending.is_empty() {
                    out.push((start, pending));
                }
            }
            _ => {}
        }
    }
    out
}

/// Every `dstplan …` invocation in a snippet, cut at shell separators and comments.
fn invocations_in(snippet: &str) -> Vec<String> {
    let re = regex::Regex::new(r"(?:^|[^A-Za-z0-9_./~$-])dstplan[ \t]+").unwrap();
    let mut out = Vec::new();
    for m in re.find_iter(snippet) {
        let rest = &snippet[m.end()..];
        let mut end = rest.len();
        for sep in [
            " | ", ";", " && ", " || ", ")", " #", " >", " 2>", "`", "\"",
        ] {
            if let Some(i) = rest.find(sep) {
                end = end.min(i);
            }
        }
        let inv = rest[..end].trim();
        if !inv.is_empty() {
            out.push(inv.to_string());
        }
    }
    out
}

fn all_invocations() -> Vec<Invocation> {
    let mut out = Vec::new();
    for doc in documents() {
        let text = std::fs::read_to_string(&doc).unwrap();
        let rel = doc.strip_prefix(root()).unwrap().display().to_string();
        for (line, snippet) in code_snippets(&text) {
            for inv in invocations_in(&snippet) {
                out.push(Invocation {
                    place: format!("{rel}:{line}"),
                    text: inv,
                });
            }
        }
    }
    out
}

/// `dstplan <path> --help`: (exit code, help text), cached.
struct Helps(BTreeMap<Vec<String>, (Option<i32>, String)>);

impl Helps {
    fn get(&mut self, path: &[String]) -> &(Option<i32>, String) {
        self.0.entry(path.to_vec()).or_insert_with(|| {
            let o = bin()
                .args(path)
                .arg("--help")
                .output()
                .expect("run dstplan --help");
            (
                o.status.code(),
                format!(
                    "{}{}",
                    String::from_utf8_lossy(&o.stdout),
                    String::from_utf8_lossy(&o.stderr)
                ),
            )
        })
    }

    /// Subcommand names listed under `Commands:` in the help of `path`.
    fn subcommands(&mut self, path: &[String]) -> BTreeSet<String> {
        let (_, help) = self.get(path);
        let mut out = BTreeSet::new();
        let mut in_commands = false;
        for line in help.lines() {
            if line.trim_end() == "Commands:" {
                in_commands = true;
                continue;
            }
            if in_commands {
                if line.trim().is_empty() || !line.starts_with(' ') {
                    break;
                }
                if let Some(name) = line.split_whitespace().next() {
                    if name != "help" {
                        out.insert(name.to_string());
                    }
                }
            }
        }
        out
    }
}

fn has_flag(help: &str, flag: &str) -> bool {
    help.match_indices(flag).any(|(i, _)| {
        help[i + flag.len()..]
            .chars()
            .next()
            .is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '-'))
    })
}

/// Check invocations; `only` restricts to those whose first word is in it.
fn check(only: Option<&[&str]>) -> (usize, Vec<String>) {
    let flag_re = regex::Regex::new(r"--[a-z][a-z0-9-]*").unwrap();
    let mut helps = Helps(BTreeMap::new());
    let mut problems = Vec::new();
    let mut checked = 0;
    for inv in all_invocations() {
        let tokens: Vec<&str> = inv.text.split_whitespace().collect();
        if let (Some(only), Some(first)) = (only, tokens.first()) {
            if !only.contains(first) {
                continue;
            }
        }
        checked += 1;
        let mut path: Vec<String> = Vec::new();
        for tok in &tokens {
            if tok.starts_with('-') {
                break;
            }
            if helps.subcommands(&path).contains(*tok) {
                path.push(tok.to_string());
            } else {
                break;
            }
        }
        if path.is_empty() && tokens.first().is_some_and(|t| !t.starts_with('-')) {
            problems.push(format!(
                "{}: `dstplan {}`: `{}` is not a dstplan subcommand",
                inv.place, inv.text, tokens[0]
            ));
            continue;
        }
        let (code, help) = helps.get(&path).clone();
        if code != Some(0) {
            problems.push(format!(
                "{}: `dstplan {} --help` exited {code:?}",
                inv.place,
                path.join(" ")
            ));
            continue;
        }
        for flag in flag_re.find_iter(&inv.text) {
            if !has_flag(&help, flag.as_str()) {
                problems.push(format!(
                    "{}: `dstplan {}` uses {}, which `dstplan {} --help` does not list",
                    inv.place,
                    inv.text,
                    flag.as_str(),
                    path.join(" ")
                ));
            }
        }
    }
    (checked, problems)
}

#[test]
fn the_skills_name_every_command_of_the_workflow() {
    let invs = all_invocations();
    let texts: Vec<&str> = invs.iter().map(|i| i.text.as_str()).collect();
    for prefix in [
        "new ",
        "inventory",
        "scenario add ",
        "lint ",
        "explain ",
        "session new ",
        "finding new ",
        "history validate ",
        "history check ",
        "net up ",
        "fault start ",
        "fault undo --all",
        "report ",
        "skills check",
        "install ",
        "uninstall ",
    ] {
        assert!(
            texts.iter().any(|t| t.starts_with(prefix)),
            "no `dstplan {prefix}…` invocation found in the skills or INSTALL/USAGE"
        );
    }
    // --flag extraction sees flags inside brackets and after placeholders
    assert_eq!(
        invocations_in("x $(dstplan new <slug> --mode change-scoped|project-wide [--base REV]) y"),
        vec!["new <slug> --mode change-scoped|project-wide [--base REV]"]
    );
    assert!(invocations_in("cargo install --path ~/.local/share/dstplan --locked").is_empty());
}

#[test]
fn invocations_of_commands_built_in_this_branch_match_their_help() {
    let (checked, problems) = check(Some(BUILT_HERE));
    assert!(
        checked >= 5,
        "only {checked} invocations of {BUILT_HERE:?} found"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_dstplan_invocation_matches_its_help() {
    let (checked, problems) = check(None);
    assert!(checked >= 20, "only {checked} invocations found");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
