//! Whether CI runs each test: the invocations read by `ci.rs` evaluated against each test's
//! file, name, scope, attributes and markers.
//!
//! Every answer is `true` (a command CI runs unconditionally selects it), `false` (no such
//! command does, and none that might: the reason names the filter, attribute or missing
//! command), or `null` when it cannot be told (a condition, an expression, a filter dstplan
//! cannot evaluate exactly, configuration not read). A wrong `false` or `true` is worse than
//! `null`, so every approximation below errs towards `null`.

use std::collections::BTreeMap;
use std::path::Path;

use regex::Regex;
use serde::Serialize;

use super::ci::{CiConfig, Runner};
use super::{Inventory, Item};

mod cargo;
mod go;
mod js;
mod pytest;

/// `ci` of one test in the JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CiRun {
    pub runs: Option<bool>,
    pub why: String,
}

/// One invocation's answer for one test.
pub(super) enum Sel {
    /// The invocation does not cover the test's package, module or files at all.
    NotHere,
    Yes,
    No(String),
    Unknown(String),
}

/// The kinds that get a `ci` verdict.
pub fn is_test(kind: &str) -> bool {
    matches!(
        kind,
        "rust-test"
            | "go-test"
            | "go-benchmark"
            | "go-fuzz"
            | "python-test"
            | "js-test"
            | "bats-test"
            | "shell-test"
    )
}

/// Fill `framework` for JS files that import no runner, and `ci` for every test.
pub fn annotate(inv: &mut Inventory, cfg: &CiConfig) {
    let root = inv.root.clone();
    let mut cache = Cache::default();
    for it in inv.items.iter_mut() {
        if (it.kind == "js-test" || it.kind == "js-suite") && it.framework.is_none() {
            it.framework = cache.js_default(&root, &it.path);
        }
        if !is_test(it.kind) {
            continue;
        }
        it.ci = Some(verdict(&root, cfg, it, &mut cache));
    }
}

pub(super) fn runner_name(r: Runner) -> &'static str {
    match r {
        Runner::Cargo => "cargo test",
        Runner::Nextest => "cargo nextest",
        Runner::Go => "go test",
        Runner::Pytest => "pytest",
        Runner::Bun => "bun test",
        Runner::Vitest => "vitest",
        Runner::Jest => "jest",
        Runner::NodeTest => "node --test",
        Runner::Bats => "bats",
    }
}

fn runners_for(it: &Item) -> &'static [Runner] {
    match it.kind {
        "rust-test" => &[Runner::Cargo, Runner::Nextest],
        "go-test" | "go-benchmark" | "go-fuzz" => &[Runner::Go],
        "python-test" => &[Runner::Pytest],
        "bats-test" => &[Runner::Bats],
        "js-test" => match it.framework {
            Some("bun:test") => &[Runner::Bun],
            Some("node:test") => &[Runner::NodeTest],
            Some("vitest") => &[Runner::Vitest, Runner::Bun],
            Some("jest") => &[Runner::Jest, Runner::Bun],
            _ => &[Runner::Bun, Runner::Vitest, Runner::Jest, Runner::NodeTest],
        },
        _ => &[],
    }
}

fn verdict(root: &Path, cfg: &CiConfig, it: &Item, cache: &mut Cache) -> CiRun {
    if it.kind == "shell-test" {
        if cfg.scripts.iter().any(|s| s == &it.path) {
            return CiRun {
                runs: Some(true),
                why: "CI executes this script".into(),
            };
        }
        return fallback(cfg, it, "no CI command executes this script".into());
    }
    let runners = runners_for(it);
    let mut yes_cond: Option<String> = None;
    let mut unknown: Option<String> = None;
    let mut no: Vec<String> = Vec::new();
    let mut no_cond_start = 0;
    for inv in cfg
        .invocations
        .iter()
        .filter(|i| runners.contains(&i.runner))
    {
        let sel = match inv.runner {
            Runner::Cargo | Runner::Nextest => cargo::cargo(root, inv, it, cache),
            Runner::Go => go::go(root, inv, it, cache),
            Runner::Pytest => pytest::pytest(root, inv, it, cache),
            Runner::Bats => js::bats(inv, it),
            _ => js::js(root, inv, it),
        };
        let at = format!("{}: `{}`", inv.source, inv.display);
        match sel {
            Sel::NotHere if inv.cwd_known => {}
            Sel::NotHere => {
                let u = inv.unresolved.clone().unwrap_or_default();
                unknown.get_or_insert_with(|| format!("{u} ({at} may run it)"));
            }
            Sel::Yes => {
                if let Some(u) = &inv.unresolved {
                    unknown.get_or_insert_with(|| format!("{u} ({at} may run it)"));
                } else if let Some(c) = &inv.condition {
                    yes_cond
                        .get_or_insert_with(|| format!("runs only under a condition: {c} ({at})"));
                } else {
                    return CiRun {
                        runs: Some(true),
                        why: format!("run by {at}"),
                    };
                }
            }
            Sel::Unknown(w) => {
                unknown.get_or_insert_with(|| format!("{w} ({at})"));
            }
            Sel::No(w) => {
                if let Some(u) = &inv.unresolved {
                    unknown.get_or_insert_with(|| format!("{u} ({at} may run it)"));
                } else {
                    let t = format!("{w} ({at})");
                    if no.contains(&t) {
                    } else if inv.condition.is_some() {
                        no.push(t);
                    } else {
                        // reasons from commands that always run come first
                        let first_cond = no_cond_start.min(no.len());
                        no.insert(first_cond, t);
                        no_cond_start = first_cond + 1;
                    }
                }
            }
        }
    }
    if let Some(w) = yes_cond.or(unknown) {
        return CiRun { runs: None, why: w };
    }
    if !no.is_empty() {
        let more = if no.len() > 1 {
            format!("; and {} more command(s) skip it", no.len() - 1)
        } else {
            String::new()
        };
        return fallback(cfg, it, format!("{}{more}", no[0]));
    }
    let names: Vec<&str> = runners.iter().map(|r| runner_name(*r)).collect();
    if !cfg.invocations.iter().any(|i| runners.contains(&i.runner)) {
        // CI runs this runner nowhere dstplan looked: the tests may well run on a CI it does
        // not read (Prow, Buildkite, a cron job), so this is not a `false`
        return CiRun {
            runs: None,
            why: if cfg.files.is_empty() {
                "no CI configuration found (.github/workflows, .gitlab-ci.yml)".into()
            } else {
                format!(
                    "no CI file read runs {}; they may run on a CI dstplan does not read",
                    names.join(" or ")
                )
            },
        };
    }
    fallback(
        cfg,
        it,
        format!(
            "CI runs {} but no command covers this test's package or files",
            names.join(" or ")
        ),
    )
}

/// A `false` unless CI has parts dstplan could not read, or no CI at all.
fn fallback(cfg: &CiConfig, _it: &Item, why: String) -> CiRun {
    if cfg.files.is_empty() && cfg.opaque.is_empty() {
        return CiRun {
            runs: None,
            why: "no CI configuration found (.github/workflows, .gitlab-ci.yml)".into(),
        };
    }
    if let Some(o) = cfg.opaque.first() {
        return CiRun {
            runs: None,
            why: format!("CI also runs what dstplan cannot read ({o}); from what it read: {why}"),
        };
    }
    CiRun {
        runs: Some(false),
        why,
    }
}

#[derive(Default)]
pub(super) struct Cache {
    files: BTreeMap<std::path::PathBuf, Option<String>>,
    tomls: BTreeMap<std::path::PathBuf, Option<std::rc::Rc<toml::Table>>>,
}

impl Cache {
    /// A TOML file, parsed once.
    pub(super) fn toml(&mut self, p: &Path) -> Option<std::rc::Rc<toml::Table>> {
        if let Some(t) = self.tomls.get(p) {
            return t.clone();
        }
        let t = self
            .read(p)
            .and_then(|t| t.parse::<toml::Table>().ok())
            .map(std::rc::Rc::new);
        self.tomls.insert(p.to_path_buf(), t.clone());
        t
    }

    pub(super) fn read(&mut self, p: &Path) -> Option<String> {
        self.files
            .entry(p.to_path_buf())
            .or_insert_with(|| {
                std::fs::metadata(p)
                    .ok()
                    .filter(|m| m.is_file() && m.len() < 1 << 20)
                    .and_then(|_| std::fs::read_to_string(p).ok())
            })
            .clone()
    }

    /// The nearest ancestor directory of `rel` (a file) holding `name`, repository-relative.
    pub(super) fn nearest(
        &mut self,
        root: &Path,
        rel: &str,
        name: &str,
        want: &str,
    ) -> Option<(String, String)> {
        let mut dir = parent(rel).to_string();
        loop {
            let p = root.join(&dir).join(name);
            if let Some(t) = self.read(&p) {
                if want.is_empty() || t.contains(want) {
                    return Some((dir, t));
                }
            }
            if dir.is_empty() {
                return None;
            }
            dir = parent(&dir).to_string();
        }
    }

    fn js_default(&mut self, root: &Path, rel: &str) -> Option<&'static str> {
        let (_, pkg) = self.nearest(root, rel, "package.json", "")?;
        let v: serde_json::Value = serde_json::from_str(&pkg).ok()?;
        let has = |k: &str| {
            ["devDependencies", "dependencies"]
                .iter()
                .any(|d| v.get(d).and_then(|m| m.get(k)).is_some())
        };
        let test_script = v
            .pointer("/scripts/test")
            .and_then(|s| s.as_str())
            .unwrap_or("");
        if test_script.contains("bun test") {
            Some("bun:test")
        } else if has("vitest") {
            Some("vitest")
        } else if has("jest") {
            Some("jest")
        } else if has("mocha") {
            Some("mocha")
        } else {
            None
        }
    }
}

pub(super) fn parent(rel: &str) -> &str {
    rel.rsplit_once('/').map_or("", |(d, _)| d)
}

/// Whether `path` lies in directory `dir` (both repository-relative; `""` is the root).
pub(super) fn under(path: &str, dir: &str) -> bool {
    dir.is_empty() || path == dir || path.starts_with(&format!("{dir}/"))
}

/// Value of a flag given as `--flag V`, `--flag=V` or (short) `-fV`; advances `i`.
pub(super) fn flag_value(args: &[String], i: &mut usize, names: &[&str]) -> Option<String> {
    let a = &args[*i];
    for n in names {
        if a == n {
            *i += 1;
            return args.get(*i).cloned().or(Some(String::new()));
        }
        if let Some(v) = a.strip_prefix(&format!("{n}=")) {
            return Some(v.to_string());
        }
        if n.len() == 2 && !n.starts_with("--") && a.starts_with(n) && a.len() > 2 {
            return Some(a[2..].to_string());
        }
    }
    None
}

pub(super) fn glob_match(pat: &str, s: &str) -> bool {
    let re = format!(
        "^{}$",
        regex::escape(pat)
            .replace("\\*", "[^/]*")
            .replace("\\?", "[^/]")
    );
    Regex::new(&re).is_ok_and(|r| r.is_match(s))
}

fn quoted(v: &[String]) -> String {
    v.iter()
        .map(|x| format!("`{x}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
