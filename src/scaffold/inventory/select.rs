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

use super::ci::{CiConfig, Invocation, Runner};
use super::{Inventory, Item};

/// `ci` of one test in the JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CiRun {
    pub runs: Option<bool>,
    pub why: String,
}

/// One invocation's answer for one test.
enum Sel {
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

fn runner_name(r: Runner) -> &'static str {
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
            Runner::Cargo | Runner::Nextest => cargo(root, inv, it, cache),
            Runner::Go => go(root, inv, it, cache),
            Runner::Pytest => pytest(root, inv, it, cache),
            Runner::Bats => bats(inv, it),
            _ => js(root, inv, it),
        };
        let at = format!("{}: `{}`", inv.source, inv.display);
        match sel {
            Sel::NotHere => {}
            Sel::Yes => {
                if let Some(u) = &inv.unresolved {
                    unknown.get_or_insert_with(|| format!("{at} may run it: {u}"));
                } else if let Some(c) = &inv.condition {
                    yes_cond.get_or_insert_with(|| format!("{at} runs it, but {c}"));
                } else {
                    return CiRun {
                        runs: Some(true),
                        why: format!("run by {at}"),
                    };
                }
            }
            Sel::Unknown(w) => {
                unknown.get_or_insert_with(|| format!("{at}: {w}"));
            }
            Sel::No(w) => {
                if let Some(u) = &inv.unresolved {
                    unknown.get_or_insert_with(|| format!("{at} may run it: {u}"));
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
    fallback(
        cfg,
        it,
        format!(
            "no CI command runs {} where this test lives",
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
            why: format!("{why}; but CI also runs what dstplan cannot read: {o}"),
        };
    }
    CiRun {
        runs: Some(false),
        why,
    }
}

#[derive(Default)]
struct Cache {
    files: BTreeMap<std::path::PathBuf, Option<String>>,
}

impl Cache {
    fn read(&mut self, p: &Path) -> Option<String> {
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
    fn nearest(
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

fn parent(rel: &str) -> &str {
    rel.rsplit_once('/').map_or("", |(d, _)| d)
}

/// Whether `path` lies in directory `dir` (both repository-relative; `""` is the root).
fn under(path: &str, dir: &str) -> bool {
    dir.is_empty() || path == dir || path.starts_with(&format!("{dir}/"))
}

/// Value of a flag given as `--flag V`, `--flag=V` or (short) `-fV`; advances `i`.
fn flag_value(args: &[String], i: &mut usize, names: &[&str]) -> Option<String> {
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

// ---------------------------------------------------------------- cargo

struct CargoArgs {
    packages: Vec<String>,
    workspace: bool,
    exclude: Vec<String>,
    targets: Vec<String>,
    features: Vec<String>,
    all_features: bool,
    no_default: bool,
    filters: Vec<String>,
    skips: Vec<String>,
    exact: bool,
    ignored: u8, // 0 default, 1 only, 2 include
    manifest: Option<String>,
    opaque: Option<String>,
}

fn cargo_args(args: &[String], nextest: bool) -> CargoArgs {
    let mut c = CargoArgs {
        packages: vec![],
        workspace: false,
        exclude: vec![],
        targets: vec![],
        features: vec![],
        all_features: false,
        no_default: false,
        filters: vec![],
        skips: vec![],
        exact: false,
        ignored: 0,
        manifest: None,
        opaque: None,
    };
    let mut i = 0;
    let mut after = false;
    const VALUED: &[&str] = &[
        "--target",
        "--profile",
        "-j",
        "--jobs",
        "--target-dir",
        "--color",
        "--message-format",
        "-Z",
        "--config",
        "--test-threads",
        "--format",
        "--partition",
        "--retries",
        "--cargo-profile",
        "--logger",
        "--report-time",
        "--shuffle-seed",
        "--archive-file",
        "--workspace-remap",
        "--build-jobs",
        "--threads",
        "--tool-config-file",
    ];
    while i < args.len() {
        let a = args[i].clone();
        if a == "--" && !after {
            after = true;
            i += 1;
            continue;
        }
        if let Some(v) = flag_value(args, &mut i, &["-p", "--package"]) {
            c.packages.push(v);
        } else if let Some(v) = flag_value(args, &mut i, &["--exclude"]) {
            c.exclude.push(v);
        } else if let Some(v) = flag_value(args, &mut i, &["-F", "--features"]) {
            c.features.extend(
                v.split([',', ' '])
                    .filter(|x| !x.is_empty())
                    .map(|x| x.rsplit('/').next().unwrap_or(x).to_string()),
            );
        } else if let Some(v) = flag_value(args, &mut i, &["--skip"]) {
            c.skips.push(v);
        } else if let Some(v) = flag_value(args, &mut i, &["--manifest-path"]) {
            c.manifest = Some(v);
        } else if let Some(v) =
            flag_value(args, &mut i, &["--test", "--bin", "--bench", "--example"])
        {
            let kind = a
                .trim_start_matches('-')
                .split('=')
                .next()
                .unwrap_or("")
                .to_string();
            c.targets.push(format!("{kind}:{v}"));
        } else if let Some(v) = flag_value(args, &mut i, &["--run-ignored"]) {
            c.ignored = match v.as_str() {
                "only" | "ignored-only" => 1,
                "all" => 2,
                _ => 0,
            };
        } else if let Some(v) = flag_value(args, &mut i, &["-E", "--filter-expr", "--filterset"]) {
            c.opaque = Some(format!("the filterset `{v}` is not evaluated"));
        } else if VALUED.iter().any(|f| a == *f) {
            if a == "--partition" {
                c.opaque = Some("tests are partitioned across jobs".into());
            }
            i += 1;
        } else {
            match a.as_str() {
                "--workspace" | "--all" => c.workspace = true,
                "--lib" | "--bins" | "--tests" | "--benches" | "--examples" | "--doc"
                | "--all-targets" => c.targets.push(a.trim_start_matches('-').to_string()),
                "--all-features" => c.all_features = true,
                "--no-default-features" => c.no_default = true,
                "--exact" => c.exact = true,
                "--ignored" => c.ignored = 1,
                "--include-ignored" => c.ignored = 2,
                x if x.starts_with('-') => {}
                x => {
                    if x.contains("${") || x.contains('$') {
                        c.opaque = Some(format!("the filter `{x}` is not known before the run"));
                    }
                    c.filters.push(x.to_string());
                }
            }
        }
        i += 1;
    }
    let _ = nextest;
    c
}

/// The crate directory (nearest Cargo.toml with `[package]`) of a file and its name.
fn crate_of(root: &Path, rel: &str, cache: &mut Cache) -> Option<(String, String, toml::Table)> {
    let mut dir = parent(rel).to_string();
    loop {
        if let Some(t) = cache.read(&root.join(&dir).join("Cargo.toml")) {
            if let Ok(tb) = t.parse::<toml::Table>() {
                if let Some(name) = tb
                    .get("package")
                    .and_then(|p| p.get("name"))
                    .and_then(|n| n.as_str())
                {
                    return Some((dir, name.to_string(), tb));
                }
            }
        }
        if dir.is_empty() {
            return None;
        }
        dir = parent(&dir).to_string();
    }
}

/// The target a file belongs to, and the test's module path from the file.
fn cargo_target(crate_dir: &str, rel: &str) -> (String, Vec<String>) {
    let inner = if crate_dir.is_empty() {
        rel
    } else {
        &rel[crate_dir.len() + 1..]
    };
    let parts: Vec<&str> = inner.split('/').collect();
    let strip = |p: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = p
            .iter()
            .map(|s| s.trim_end_matches(".rs").to_string())
            .collect();
        if v.last()
            .is_some_and(|l| l == "mod" || l == "lib" || l == "main")
        {
            v.pop();
        }
        v
    };
    match parts.first().copied() {
        Some("tests") if parts.len() == 2 => {
            (format!("test:{}", parts[1].trim_end_matches(".rs")), vec![])
        }
        Some("tests") if parts.len() > 2 => (format!("test:{}", parts[1]), strip(&parts[2..])),
        Some("benches") if parts.len() >= 2 => (
            format!("bench:{}", parts[1].trim_end_matches(".rs")),
            strip(&parts[2..]),
        ),
        Some("examples") if parts.len() >= 2 => (
            format!("example:{}", parts[1].trim_end_matches(".rs")),
            strip(&parts[2..]),
        ),
        Some("src") if parts.get(1) == Some(&"bin") => (
            format!(
                "bin:{}",
                parts.get(2).unwrap_or(&"").trim_end_matches(".rs")
            ),
            strip(parts.get(3..).unwrap_or(&[])),
        ),
        Some("src") if parts.get(1) == Some(&"main.rs") => ("bin:main".into(), vec![]),
        Some("src") => ("lib".into(), strip(&parts[1..])),
        _ => ("other".into(), vec![]),
    }
}

fn target_selected(target: &str, flags: &[String]) -> bool {
    let kind = target.split(':').next().unwrap_or("");
    if flags.is_empty() {
        return matches!(kind, "lib" | "bin" | "test");
    }
    flags.iter().any(|f| match f.as_str() {
        "lib" => kind == "lib",
        "bins" => kind == "bin",
        "tests" => matches!(kind, "lib" | "bin" | "test"),
        "benches" => kind == "bench",
        "examples" => kind == "example",
        "all-targets" => true,
        f => f == target,
    })
}

fn glob_match(pat: &str, s: &str) -> bool {
    let re = format!(
        "^{}$",
        regex::escape(pat)
            .replace("\\*", "[^/]*")
            .replace("\\?", "[^/]")
    );
    Regex::new(&re).is_ok_and(|r| r.is_match(s))
}

fn cargo(root: &Path, inv: &Invocation, it: &Item, cache: &mut Cache) -> Sel {
    let c = cargo_args(&inv.args, inv.runner == Runner::Nextest);
    let Some((crate_dir, name, ctoml)) = crate_of(root, &it.path, cache) else {
        return Sel::NotHere;
    };
    // the workspace cargo sees from the invocation's directory
    let start = match &c.manifest {
        Some(m) => parent(&super::ci::join_dir(&inv.cwd, m)).to_string(),
        None => inv.cwd.clone(),
    };
    let mut ws_dir = start.clone();
    let ws = loop {
        if let Some(t) = cache.read(&root.join(&ws_dir).join("Cargo.toml")) {
            if let Ok(tb) = t.parse::<toml::Table>() {
                break Some(tb);
            }
        }
        if ws_dir.is_empty() {
            break None;
        }
        ws_dir = parent(&ws_dir).to_string();
    };
    let Some(ws) = ws else { return Sel::NotHere };
    let wsec = ws.get("workspace").and_then(|w| w.as_table());
    let members_of = |key: &str| -> Option<Vec<String>> {
        wsec.and_then(|w| w.get(key))
            .and_then(|m| m.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str())
                    .map(|x| super::ci::join_dir(&ws_dir, x))
                    .collect()
            })
    };
    let in_ws = |dir: &str| -> bool {
        if dir == ws_dir {
            return ws.contains_key("package");
        }
        let excluded = members_of("exclude")
            .unwrap_or_default()
            .iter()
            .any(|e| under(dir, e));
        !excluded
            && members_of("members")
                .unwrap_or_default()
                .iter()
                .any(|m| glob_match(m, dir))
    };
    if !under(&crate_dir, &ws_dir) && !in_ws(&crate_dir) {
        return Sel::NotHere;
    }
    let selected_pkg = if !c.packages.is_empty() {
        c.packages.iter().any(|p| glob_match(p, &name))
    } else if c.workspace {
        in_ws(&crate_dir) && !c.exclude.iter().any(|e| glob_match(e, &name))
    } else if let Some(dm) = members_of("default-members") {
        dm.iter().any(|m| glob_match(m, &crate_dir))
    } else if ws.contains_key("package") {
        crate_dir == ws_dir
    } else {
        in_ws(&crate_dir)
    };
    if !selected_pkg {
        return Sel::NotHere;
    }
    if let Some(o) = &c.opaque {
        return Sel::Unknown(o.clone());
    }
    let (mut target, modpath) = cargo_target(&crate_dir, &it.path);
    if let Some(dir) = target
        .strip_prefix("test:")
        .map(str::to_string)
        .filter(|d| !it.path.ends_with(&format!("tests/{d}.rs")))
    {
        let dir = dir.as_str();
        // `tests/X/…` is a target only with `tests/X/main.rs`; otherwise it is a module
        // other targets may include (`mod X;`)
        let base = if crate_dir.is_empty() {
            format!("tests/{dir}")
        } else {
            format!("{crate_dir}/tests/{dir}")
        };
        if !root.join(&base).join("main.rs").is_file() {
            target = "other".into();
        }
    }
    if target == "other" {
        return Sel::Unknown(
            "the file is not a cargo target of its own (a module other targets may include)".into(),
        );
    }
    if !target_selected(&target, &c.targets) {
        return Sel::No(format!("its target `{target}` is not built by the command"));
    }
    if let Some(g) = &it.meta.gate {
        let feats: Vec<String> = Regex::new(r#"feature\s*=\s*"([^"]+)""#)
            .expect("regex")
            .captures_iter(g)
            .map(|m| m[1].to_string())
            .collect();
        let simple =
            !g.contains("not(") && !g.contains("any(") && !g.contains("all(") && feats.len() == 1;
        let default: Vec<String> = ctoml
            .get("features")
            .and_then(|f| f.get("default"))
            .and_then(|d| d.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let on = |f: &String| {
            c.all_features || c.features.contains(f) || (!c.no_default && default.contains(f))
        };
        if !simple {
            return Sel::Unknown(format!("gated by `{g}`, not evaluated"));
        }
        if !on(&feats[0]) {
            return Sel::No(format!(
                "gated by `{g}` and the command does not enable feature `{}`",
                feats[0]
            ));
        }
    }
    if let Some(ci) = &it.meta.conditional_skip {
        return Sel::Unknown(format!("ignored under a condition ({ci})"));
    }
    if it.name.starts_with('$') && (!c.filters.is_empty() || !c.skips.is_empty()) {
        return Sel::Unknown(
            "a test generated by a macro: its name is known only per invocation".into(),
        );
    }
    let mut path: Vec<String> = modpath;
    path.extend(it.meta.scope.iter().cloned());
    path.push(it.name.clone());
    let full = path.join("::");
    let hits = |f: &String| {
        if c.exact {
            &full == f
        } else {
            full.contains(f.as_str())
        }
    };
    if !c.filters.is_empty() && !c.filters.iter().any(hits) {
        return Sel::No(format!(
            "its path `{full}` matches none of the filters {}",
            quoted(&c.filters)
        ));
    }
    if let Some(s) = c.skips.iter().find(|s| hits(s)) {
        return Sel::No(format!("skipped by `--skip {s}`"));
    }
    match (it.ignored, c.ignored) {
        (true, 0) => Sel::No(format!(
            "`#[ignore]`, and the command does not pass {}",
            if inv.runner == Runner::Nextest {
                "--run-ignored"
            } else {
                "--ignored or --include-ignored"
            }
        )),
        (false, 1) => Sel::No("the command runs only ignored tests".into()),
        _ => Sel::Yes,
    }
}

fn quoted(v: &[String]) -> String {
    v.iter()
        .map(|x| format!("`{x}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

// ---------------------------------------------------------------- go

const GO_VALUED: &[&str] = &[
    "run",
    "skip",
    "tags",
    "bench",
    "count",
    "timeout",
    "p",
    "parallel",
    "coverprofile",
    "covermode",
    "coverpkg",
    "shuffle",
    "cpu",
    "benchtime",
    "mod",
    "ldflags",
    "gcflags",
    "vet",
    "exec",
    "o",
    "C",
    "modfile",
    "asmflags",
    "installsuffix",
    "pkgdir",
    "toolexec",
    "overlay",
    "fuzz",
    "fuzztime",
    "list",
    "outputdir",
    "blockprofile",
    "cpuprofile",
    "memprofile",
    "mutexprofile",
    "trace",
    "fuzzminimizetime",
    "failfast_",
    "json_",
];

const GOOS_OTHER: &[&str] = &[
    "windows",
    "darwin",
    "freebsd",
    "netbsd",
    "openbsd",
    "solaris",
    "illumos",
    "plan9",
    "aix",
    "android",
    "ios",
    "js",
    "wasip1",
    "dragonfly",
    "arm64",
    "386",
    "arm",
    "riscv64",
    "ppc64le",
    "s390x",
    "wasm",
    "mips",
    "mipsle",
    "mips64",
    "loong64",
    "ppc64",
];

/// Evaluate a `//go:build` expression; None when it depends on the runner's OS or arch.
fn go_constraint(expr: &str, tags: &[String]) -> Option<bool> {
    let toks: Vec<String> = Regex::new(r"&&|\|\||!|\(|\)|[A-Za-z0-9_.]+")
        .expect("regex")
        .find_iter(expr)
        .map(|m| m.as_str().to_string())
        .collect();
    fn or(t: &[String], i: &mut usize, tags: &[String]) -> Option<Option<bool>> {
        let mut v = and(t, i, tags)?;
        while t.get(*i).is_some_and(|x| x == "||") {
            *i += 1;
            let r = and(t, i, tags)?;
            v = match (v, r) {
                (Some(true), _) | (_, Some(true)) => Some(true),
                (Some(false), Some(false)) => Some(false),
                _ => None,
            };
        }
        Some(v)
    }
    fn and(t: &[String], i: &mut usize, tags: &[String]) -> Option<Option<bool>> {
        let mut v = not(t, i, tags)?;
        while t.get(*i).is_some_and(|x| x == "&&") {
            *i += 1;
            let r = not(t, i, tags)?;
            v = match (v, r) {
                (Some(false), _) | (_, Some(false)) => Some(false),
                (Some(true), Some(true)) => Some(true),
                _ => None,
            };
        }
        Some(v)
    }
    fn not(t: &[String], i: &mut usize, tags: &[String]) -> Option<Option<bool>> {
        match t.get(*i).map(String::as_str) {
            Some("!") => {
                *i += 1;
                Some(not(t, i, tags)?.map(|b| !b))
            }
            Some("(") => {
                *i += 1;
                let v = or(t, i, tags)?;
                if t.get(*i).map(String::as_str) != Some(")") {
                    return None;
                }
                *i += 1;
                Some(v)
            }
            Some(id) if !matches!(id, "&&" | "||" | ")") => {
                *i += 1;
                Some(
                    if tags.iter().any(|x| x == id)
                        || matches!(id, "linux" | "unix" | "amd64" | "gc" | "cgo")
                        || id.starts_with("go1.")
                    {
                        Some(true)
                    } else if GOOS_OTHER.contains(&id) {
                        None
                    } else {
                        Some(false)
                    },
                )
            }
            _ => None,
        }
    }
    let mut i = 0;
    let v = or(&toks, &mut i, tags)?;
    if i != toks.len() {
        return None;
    }
    v
}

/// The first element of a `-run`/`-skip` pattern (the top-level test's part).
fn go_top(pat: &str) -> Option<Regex> {
    let mut depth = 0;
    let mut end = pat.len();
    for (i, ch) in pat.char_indices() {
        match ch {
            '[' | '(' => depth += 1,
            ']' | ')' => depth -= 1,
            '/' if depth == 0 => {
                end = i;
                break;
            }
            _ => {}
        }
    }
    Regex::new(&pat[..end]).ok()
}

fn go(root: &Path, inv: &Invocation, it: &Item, cache: &mut Cache) -> Sel {
    let args = &inv.args;
    let mut run = None;
    let mut skip = None;
    let mut tags: Vec<String> = Vec::new();
    let mut bench = None;
    let mut short = false;
    let mut pkgs = Vec::new();
    let mut cwd = inv.cwd.clone();
    let mut i = 0;
    while i < args.len() {
        let a = args[i].trim_start_matches('-');
        if args[i] == "-args" || args[i] == "--args" {
            break;
        }
        if !args[i].starts_with('-') {
            pkgs.push(args[i].clone());
            i += 1;
            continue;
        }
        let (k, v) = match a.split_once('=') {
            Some((k, v)) => (k.to_string(), Some(v.to_string())),
            None => (a.to_string(), None),
        };
        let v = if GO_VALUED.contains(&k.as_str()) && v.is_none() {
            i += 1;
            args.get(i).cloned()
        } else {
            v
        };
        match k.as_str() {
            "run" => run = v,
            "skip" => skip = v,
            "bench" => bench = v,
            "tags" => tags.extend(
                v.unwrap_or_default()
                    .split([',', ' '])
                    .filter(|x| !x.is_empty())
                    .map(str::to_string),
            ),
            "short" => short = v.as_deref() != Some("false"),
            "C" => cwd = super::ci::join_dir(&cwd, &v.unwrap_or_default()),
            _ => {}
        }
        i += 1;
    }
    // module of the invocation and of the test
    let Some((mod_dir, gomod)) = cache.nearest(root, &format!("{cwd}/x"), "go.mod", "") else {
        return Sel::NotHere;
    };
    let Some((test_mod, _)) = cache.nearest(root, &it.path, "go.mod", "") else {
        return Sel::NotHere;
    };
    if test_mod != mod_dir {
        return Sel::NotHere;
    }
    let module = gomod
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("module ")
                .map(|m| m.trim().trim_matches('"').to_string())
        })
        .unwrap_or_default();
    let pkg_dir = parent(&it.path);
    if pkg_dir
        .split('/')
        .any(|c| c == "testdata" || c.starts_with('_') || c.starts_with('.'))
    {
        return Sel::No("in a directory go test ignores".into());
    }
    if pkgs.is_empty() {
        pkgs.push(".".into());
    }
    let mut covered = false;
    for p in &pkgs {
        if p.contains('$') {
            return Sel::Unknown(format!(
                "the package pattern `{p}` is not known before the run"
            ));
        }
        let (rel, recursive) = match p.strip_suffix("/...") {
            Some(b) => (b.to_string(), true),
            None if p == "..." || p == "all" => (".".into(), true),
            None => (p.clone(), false),
        };
        let dir = if rel.starts_with('.') {
            super::ci::join_dir(&cwd, &rel)
        } else if let Some(r) = rel.strip_prefix(&module) {
            super::ci::join_dir(&mod_dir, r.trim_start_matches('/'))
        } else if rel.contains('*') {
            return Sel::Unknown(format!("the package pattern `{p}` is not evaluated"));
        } else {
            continue; // another module's import path
        };
        if (recursive && under(pkg_dir, &dir)) || pkg_dir == dir {
            covered = true;
        }
    }
    if !covered {
        return Sel::NotHere;
    }
    if let Some(g) = &it.meta.gate {
        match go_constraint(g, &tags) {
            None => {
                return Sel::Unknown(format!(
                    "`//go:build {g}` depends on the runner's OS or architecture"
                ))
            }
            Some(false) => {
                return Sel::No(format!(
                    "`//go:build {g}` is not satisfied by the command's tags ({})",
                    if tags.is_empty() {
                        "none".to_string()
                    } else {
                        tags.join(",")
                    }
                ))
            }
            Some(true) => {}
        }
    }
    if it.kind == "go-benchmark" {
        return match bench {
            None => Sel::No("benchmarks run only with -bench".into()),
            Some(b) => match go_top(&b) {
                Some(r) if r.is_match(&it.name) => Sel::Yes,
                Some(_) => Sel::No(format!("`-bench {b}` does not match it")),
                None => Sel::Unknown(format!(
                    "`-bench {b}` is not a pattern dstplan can evaluate"
                )),
            },
        };
    }
    if let Some(r) = &run {
        match go_top(r) {
            Some(re) if re.is_match(&it.name) => {}
            Some(_) => return Sel::No(format!("`-run {r}` does not match it")),
            None => {
                return Sel::Unknown(format!("`-run {r}` is not a pattern dstplan can evaluate"))
            }
        }
    }
    if let Some(s) = &skip {
        let simple = !s.contains('/');
        match go_top(s) {
            Some(re) if re.is_match(&it.name) && simple => {
                return Sel::No(format!("skipped by `-skip {s}`"))
            }
            Some(re) if re.is_match(&it.name) => {
                return Sel::Unknown(format!("`-skip {s}` skips some of its subtests"))
            }
            Some(_) => {}
            None => {
                return Sel::Unknown(format!("`-skip {s}` is not a pattern dstplan can evaluate"))
            }
        }
    }
    if short && it.meta.short {
        return Sel::Unknown("it reads testing.Short() and the command passes -short".into());
    }
    Sel::Yes
}

// ---------------------------------------------------------------- pytest

/// pytest's configuration: (dir, addopts, testpaths, custom discovery, norecursedirs, markers).
struct PyConf {
    dir: String,
    file: String,
    addopts: Vec<String>,
    testpaths: Vec<String>,
    custom: Option<String>,
    norecurse: Option<Vec<String>>,
    markers: Vec<String>,
}

fn ini_section(text: &str, section: &str) -> Option<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    let mut inside = false;
    let mut key: Option<String> = None;
    let mut found = false;
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with('[') {
            inside = t == format!("[{section}]");
            found |= inside;
            key = None;
            continue;
        }
        if !inside || t.is_empty() || t.starts_with('#') || t.starts_with(';') {
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if let Some(k) = &key {
                let e: &mut String = out.entry(k.clone()).or_default();
                e.push('\n');
                e.push_str(t);
            }
            continue;
        }
        if let Some((k, v)) = t.split_once('=') {
            key = Some(k.trim().to_string());
            out.insert(k.trim().to_string(), v.trim().to_string());
        }
    }
    found.then_some(out)
}

fn py_conf(root: &Path, cwd: &str, cache: &mut Cache) -> Option<PyConf> {
    let mut dir = cwd.to_string();
    loop {
        for (file, section) in [
            ("pytest.ini", "pytest"),
            ("pyproject.toml", ""),
            ("tox.ini", "pytest"),
            ("setup.cfg", "tool:pytest"),
        ] {
            let Some(text) = cache.read(&root.join(&dir).join(file)) else {
                continue;
            };
            let map: BTreeMap<String, String> = if section.is_empty() {
                let Ok(tb) = text.parse::<toml::Table>() else {
                    continue;
                };
                let Some(o) = tb
                    .get("tool")
                    .and_then(|t| t.get("pytest"))
                    .and_then(|t| t.get("ini_options"))
                    .and_then(|t| t.as_table())
                else {
                    continue;
                };
                o.iter()
                    .map(|(k, v)| {
                        let s = match v {
                            toml::Value::String(s) => s.clone(),
                            toml::Value::Array(a) => a
                                .iter()
                                .filter_map(|x| x.as_str())
                                .collect::<Vec<_>>()
                                .join("\n"),
                            other => format!("{other:?}"),
                        };
                        (k.clone(), s)
                    })
                    .collect()
            } else {
                match ini_section(&text, section) {
                    Some(m) => m,
                    None => continue,
                }
            };
            let list = |k: &str| -> Vec<String> {
                map.get(k)
                    .map(|v| v.split_whitespace().map(str::to_string).collect())
                    .unwrap_or_default()
            };
            let custom = ["python_files", "python_classes", "python_functions"]
                .iter()
                .find(|k| map.contains_key(**k))
                .map(|k| format!("{file} sets `{k}`"));
            return Some(PyConf {
                dir: dir.clone(),
                file: super::ci::join_dir(&dir, file),
                addopts: map
                    .get("addopts")
                    .and_then(|a| shlex::split(&a.replace('\n', " ")))
                    .unwrap_or_default(),
                testpaths: list("testpaths"),
                custom,
                norecurse: map
                    .get("norecursedirs")
                    .map(|v| v.split_whitespace().map(str::to_string).collect()),
                markers: map
                    .get("markers")
                    .map(|m| {
                        m.lines()
                            .map(|l| l.trim().to_string())
                            .filter(|l| !l.is_empty())
                            .collect()
                    })
                    .unwrap_or_default(),
            });
        }
        if dir.is_empty() {
            return None;
        }
        dir = parent(&dir).to_string();
    }
}

/// Evaluate a `-k` or `-m` expression; `ident` answers each word.
fn bool_expr(expr: &str, ident: &dyn Fn(&str) -> Option<bool>) -> Option<bool> {
    let toks: Vec<String> = Regex::new(r"\(|\)|[^\s()]+")
        .expect("regex")
        .find_iter(expr)
        .map(|m| m.as_str().to_string())
        .collect();
    fn or(
        t: &[String],
        i: &mut usize,
        f: &dyn Fn(&str) -> Option<bool>,
    ) -> Result<Option<bool>, ()> {
        let mut v = and(t, i, f)?;
        while t.get(*i).is_some_and(|x| x == "or") {
            *i += 1;
            let r = and(t, i, f)?;
            v = match (v, r) {
                (Some(true), _) | (_, Some(true)) => Some(true),
                (Some(false), Some(false)) => Some(false),
                _ => None,
            };
        }
        Ok(v)
    }
    fn and(
        t: &[String],
        i: &mut usize,
        f: &dyn Fn(&str) -> Option<bool>,
    ) -> Result<Option<bool>, ()> {
        let mut v = not(t, i, f)?;
        while t.get(*i).is_some_and(|x| x == "and") {
            *i += 1;
            let r = not(t, i, f)?;
            v = match (v, r) {
                (Some(false), _) | (_, Some(false)) => Some(false),
                (Some(true), Some(true)) => Some(true),
                _ => None,
            };
        }
        Ok(v)
    }
    fn not(
        t: &[String],
        i: &mut usize,
        f: &dyn Fn(&str) -> Option<bool>,
    ) -> Result<Option<bool>, ()> {
        match t.get(*i).map(String::as_str) {
            Some("not") => {
                *i += 1;
                Ok(not(t, i, f)?.map(|b| !b))
            }
            Some("(") => {
                *i += 1;
                let v = or(t, i, f)?;
                if t.get(*i).map(String::as_str) != Some(")") {
                    return Err(());
                }
                *i += 1;
                Ok(v)
            }
            Some(id) if !matches!(id, "and" | "or" | ")") => {
                *i += 1;
                if id.contains('(') || id.contains('=') {
                    return Ok(None);
                }
                Ok(f(id))
            }
            _ => Err(()),
        }
    }
    let mut i = 0;
    let v = or(&toks, &mut i, ident).ok()?;
    if i != toks.len() {
        return None;
    }
    v
}

fn pytest(root: &Path, inv: &Invocation, it: &Item, cache: &mut Cache) -> Sel {
    let conf = py_conf(root, &inv.cwd, cache);
    let mut args: Vec<String> = conf.as_ref().map(|c| c.addopts.clone()).unwrap_or_default();
    args.extend(inv.args.iter().cloned());
    let mut k = None;
    let mut m = None;
    let mut paths = Vec::new();
    let mut ignores = Vec::new();
    let mut deselect = Vec::new();
    const VALUED: &[&str] = &[
        "-p",
        "-n",
        "-c",
        "-o",
        "--cov-report",
        "--junitxml",
        "--junit-xml",
        "--rootdir",
        "--durations",
        "--maxfail",
        "--tb",
        "--log-level",
        "--basetemp",
        "--timeout",
        "--dist",
        "--cov-config",
        "-r",
        "-W",
        "--confcutdir",
        "--import-mode",
        "--reruns",
        "--numprocesses",
        "--html",
        "--capture",
        "--log-cli-level",
        "--color",
        "--override-ini",
        "--ignore-glob",
        "--rootdir",
        "--cov-fail-under",
    ];
    let mut i = 0;
    while i < args.len() {
        if let Some(v) = flag_value(&args, &mut i, &["-k"]) {
            k = Some(v);
        } else if let Some(v) = flag_value(&args, &mut i, &["-m"]) {
            m = Some(v);
        } else if let Some(v) = flag_value(&args, &mut i, &["--ignore"]) {
            ignores.push(super::ci::join_dir(&inv.cwd, &v));
        } else if let Some(v) = flag_value(&args, &mut i, &["--deselect"]) {
            deselect.push(v);
        } else if args[i] == "--collect-only"
            || args[i] == "--co"
            || args[i] == "--lf"
            || args[i] == "--last-failed"
        {
            return Sel::NotHere;
        } else if args[i] == "--ignore-glob"
            || args[i].starts_with("--ignore-glob=")
            || args[i] == "--pyargs"
        {
            return Sel::Unknown(format!("`{}` is not evaluated", args[i]));
        } else if VALUED.contains(&args[i].as_str()) {
            i += 1;
        } else if !args[i].starts_with('-') {
            paths.push(args[i].clone());
        }
        i += 1;
    }
    if let Some(c) = conf.as_ref().and_then(|c| c.custom.clone()) {
        return Sel::Unknown(format!("{c} (custom discovery is not evaluated)"));
    }
    let base_paths: Vec<(String, Option<String>)> = if !paths.is_empty() {
        paths
            .iter()
            .map(|p| match p.split_once("::") {
                Some((f, n)) => (super::ci::join_dir(&inv.cwd, f), Some(n.to_string())),
                None => (super::ci::join_dir(&inv.cwd, p), None),
            })
            .collect()
    } else if let Some(c) = conf.as_ref().filter(|c| !c.testpaths.is_empty()) {
        c.testpaths
            .iter()
            .map(|t| (super::ci::join_dir(&c.dir, t), None))
            .collect()
    } else {
        vec![(inv.cwd.clone(), None)]
    };
    let scoped: Vec<String> = it
        .meta
        .scope
        .iter()
        .cloned()
        .chain([it.name.clone()])
        .collect();
    let node = scoped.join("::");
    let in_paths = base_paths.iter().any(|(p, n)| {
        under(&it.path, p)
            && n.as_ref().is_none_or(|n| {
                node == *n
                    || node.starts_with(&format!("{n}::"))
                    || node.starts_with(&format!("{n}["))
            })
    });
    if !in_paths {
        if base_paths.iter().any(|(p, _)| p.contains('*')) {
            return Sel::Unknown("a path glob is not evaluated".into());
        }
        return Sel::NotHere;
    }
    if base_paths
        .iter()
        .any(|(p, n)| n.is_some() && under(&it.path, p))
        && it.name.contains('[')
    {
        return Sel::Unknown("a node ID selection is not evaluated for parametrized tests".into());
    }
    let rel_dir = parent(&it.path);
    let start = base_paths
        .iter()
        .find(|(p, _)| under(&it.path, p))
        .map(|(p, _)| p.clone())
        .unwrap_or_default();
    let below: Vec<&str> = rel_dir
        .strip_prefix(&start)
        .unwrap_or(rel_dir)
        .split('/')
        .filter(|x| !x.is_empty())
        .collect();
    let norecurse = conf
        .as_ref()
        .and_then(|c| c.norecurse.clone())
        .unwrap_or_else(|| {
            [
                "*.egg",
                ".*",
                "_darcs",
                "build",
                "CVS",
                "dist",
                "node_modules",
                "venv",
                "{arch}",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect()
        });
    if let Some(d) = below
        .iter()
        .find(|d| norecurse.iter().any(|p| glob_match(p, d)))
    {
        return Sel::No(format!(
            "pytest does not recurse into `{d}` (norecursedirs)"
        ));
    }
    if ignores.iter().any(|g| under(&it.path, g)) {
        return Sel::No("excluded by `--ignore`".into());
    }
    let file = it.path.rsplit('/').next().unwrap_or("");
    let nodeid = format!("{}::{node}", it.path);
    if deselect
        .iter()
        .any(|d| nodeid.ends_with(d.as_str()) || d.ends_with(&format!("{file}::{node}")))
    {
        return Sel::No("excluded by `--deselect`".into());
    }
    // markers may also be added by hooks in conftest.py
    let hooks = {
        let mut d = parent(&it.path).to_string();
        let mut found = false;
        loop {
            if cache
                .read(&root.join(&d).join("conftest.py"))
                .is_some_and(|t| t.contains("add_marker"))
            {
                found = true;
                break;
            }
            if d.is_empty() {
                break;
            }
            d = parent(&d).to_string();
        }
        found
    };
    if let Some(expr) = &m {
        if hooks {
            return Sel::Unknown(
                "a conftest.py adds markers at collection; `-m` not evaluated".into(),
            );
        }
        let marks = &it.meta.markers;
        match bool_expr(expr, &|w| Some(marks.iter().any(|x| x == w))) {
            Some(true) => {}
            Some(false) => {
                let declared = conf.as_ref().map(|c| (c.file.clone(), c.markers.clone()));
                let note = declared
                    .and_then(|(f, ms)| {
                        let names: Vec<&str> = ms
                            .iter()
                            .map(|l| l.split(':').next().unwrap_or("").trim())
                            .filter(|n| expr.contains(n))
                            .collect();
                        (!names.is_empty()).then(|| {
                            format!(
                                " (marker {} declared in {f})",
                                quoted(&names.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                            )
                        })
                    })
                    .unwrap_or_default();
                return Sel::No(format!("deselected by `-m \"{expr}\"`{note}"));
            }
            None => return Sel::Unknown(format!("`-m \"{expr}\"` is not evaluated")),
        }
    }
    if let Some(expr) = &k {
        let lname = it.name.to_lowercase();
        let strong: Vec<String> = std::iter::once(lname.clone())
            .chain(it.meta.scope.iter().map(|x| x.to_lowercase()))
            .chain([file.to_lowercase()])
            .chain(it.meta.markers.iter().map(|x| x.to_lowercase()))
            .collect();
        let weak: Vec<String> = it.path.split('/').map(|x| x.to_lowercase()).collect();
        let f = |w: &str| {
            let w = w.to_lowercase();
            if strong.iter().any(|s| s.contains(&w)) {
                Some(true)
            } else if weak.iter().any(|s| s.contains(&w)) || hooks {
                None
            } else {
                Some(false)
            }
        };
        match bool_expr(expr, &f) {
            Some(true) => {}
            Some(false) => return Sel::No(format!("deselected by `-k \"{expr}\"`")),
            None => {
                return Sel::Unknown(format!("`-k \"{expr}\"` is not evaluated exactly for it"))
            }
        }
    }
    if it.ignored {
        return Sel::No("marked skip (`@pytest.mark.skip`)".into());
    }
    if let Some(c) = &it.meta.conditional_skip {
        return Sel::Unknown(format!("skipped under a condition ({c})"));
    }
    Sel::Yes
}

// ---------------------------------------------------------------- bats, JS

fn bats(inv: &Invocation, it: &Item) -> Sel {
    let paths: Vec<String> = inv
        .args
        .iter()
        .filter(|a| !a.starts_with('-'))
        .map(|p| super::ci::join_dir(&inv.cwd, p))
        .collect();
    if paths.iter().any(|p| under(&it.path, p)) {
        if inv
            .args
            .iter()
            .any(|a| a == "-f" || a.starts_with("--filter"))
        {
            return Sel::Unknown("a bats `--filter` is not evaluated".into());
        }
        return Sel::Yes;
    }
    Sel::NotHere
}

fn js(root: &Path, inv: &Invocation, it: &Item) -> Sel {
    if !under(&it.path, &inv.cwd) {
        return Sel::NotHere;
    }
    let rel = if inv.cwd.is_empty() {
        it.path.as_str()
    } else {
        &it.path[inv.cwd.len() + 1..]
    };
    let file = rel.rsplit('/').next().unwrap_or("");
    let stem_ok = |exts: &[&str]| exts.iter().any(|e| file.ends_with(e));
    let js_ext = [".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs", ".mts", ".cts"];
    if !stem_ok(&js_ext) {
        return Sel::NotHere;
    }
    let (name_flags, default_match): (&[&str], bool) = match inv.runner {
        Runner::Bun => (
            &["-t", "--test-name-pattern"],
            [".test.", "_test.", ".spec.", "_spec."]
                .iter()
                .any(|p| file.contains(p)),
        ),
        Runner::Vitest => (
            &["-t", "--testNamePattern"],
            [".test.", ".spec."].iter().any(|p| file.contains(p)),
        ),
        Runner::Jest => (
            &["-t", "--testNamePattern"],
            rel.contains("__tests__/") || [".test.", ".spec."].iter().any(|p| file.contains(p)),
        ),
        _ => (
            &["--test-name-pattern"],
            (file.contains(".test.")
                || file.contains("-test.")
                || file.contains("_test.")
                || file.starts_with("test-")
                || file.starts_with("test.")
                || rel.split('/').any(|d| d == "test"))
                && !file.ends_with("ts")
                && !file.ends_with("tsx"),
        ),
    };
    // configuration that narrows or widens the files
    let configs: &[&str] = match inv.runner {
        Runner::Vitest => &[
            "vitest.config.ts",
            "vitest.config.js",
            "vitest.config.mts",
            "vitest.config.mjs",
            "vite.config.ts",
            "vite.config.js",
            "vite.config.mts",
            "vitest.workspace.ts",
            "vitest.workspace.js",
        ],
        Runner::Jest => &[
            "jest.config.js",
            "jest.config.ts",
            "jest.config.cjs",
            "jest.config.mjs",
            "jest.config.json",
        ],
        Runner::Bun => &["bunfig.toml"],
        _ => &[],
    };
    for c in configs {
        let p = root.join(&inv.cwd).join(c);
        if let Ok(t) = std::fs::read_to_string(&p) {
            let keys: &[&str] = match inv.runner {
                Runner::Bun => &["root", "pathIgnorePatterns"],
                Runner::Jest => &[
                    "testMatch",
                    "testRegex",
                    "roots",
                    "testPathIgnorePatterns",
                    "projects",
                ],
                _ => &["include", "exclude", "dir", "root", "projects", "workspace"],
            };
            if let Some(k) = keys.iter().find(|k| t.contains(**k)) {
                return Sel::Unknown(format!("{c} sets `{k}`, which is not evaluated"));
            }
        }
    }
    if inv.runner == Runner::Jest {
        if let Ok(t) = std::fs::read_to_string(root.join(&inv.cwd).join("package.json")) {
            if t.contains("\"jest\"")
                && [
                    "testMatch",
                    "testRegex",
                    "roots",
                    "testPathIgnorePatterns",
                    "projects",
                ]
                .iter()
                .any(|k| t.contains(k))
            {
                return Sel::Unknown("package.json's `jest` settings are not evaluated".into());
            }
        }
    }
    let mut name_pat = None;
    let mut file_filters = Vec::new();
    let mut i = 0;
    let args = &inv.args;
    while i < args.len() {
        if let Some(v) = flag_value(args, &mut i, name_flags) {
            name_pat = Some(v);
        } else if let Some(v) =
            flag_value(args, &mut i, &["--testPathPattern", "--testPathPatterns"])
        {
            file_filters.push(v);
        } else if args[i].starts_with("--project")
            || args[i] == "--dir"
            || args[i] == "--root"
            || args[i] == "--shard"
            || args[i].starts_with("--shard=")
            || args[i] == "--changed"
            || args[i] == "--onlyChanged"
            || args[i] == "-o"
            || args[i] == "--test-skip-pattern"
            || args[i].starts_with("--test-skip-pattern=")
            || args[i] == "--testPathIgnorePatterns"
        {
            return Sel::Unknown(format!("`{}` is not evaluated", args[i]));
        } else if !args[i].starts_with('-') {
            file_filters.push(args[i].clone());
        } else if matches!(
            args[i].as_str(),
            "--reporter"
                | "--coverage.reporter"
                | "--timeout"
                | "--pool"
                | "--environment"
                | "--config"
                | "-c"
                | "--maxWorkers"
                | "-w"
                | "--preload"
                | "--rerun-each"
                | "--bail"
                | "--test-reporter"
                | "--test-reporter-destination"
                | "--test-concurrency"
        ) {
            if matches!(args[i].as_str(), "--config" | "-c" | "--preload") {
                return Sel::Unknown(format!("`{}` is not evaluated", args[i]));
            }
            i += 1;
        }
        i += 1;
    }
    if !file_filters.is_empty() {
        let hit = file_filters.iter().any(|f| {
            let f = f.trim_start_matches("./");
            match inv.runner {
                Runner::Jest => Regex::new(f).is_ok_and(|r| r.is_match(&it.path)),
                Runner::NodeTest => !f.contains('*') && (under(rel, f.trim_end_matches('/'))),
                _ => rel.contains(f),
            }
        });
        if !hit {
            if file_filters
                .iter()
                .any(|f| f.contains('*') || f.contains('$'))
            {
                return Sel::Unknown("a file glob or variable is not evaluated".into());
            }
            return Sel::NotHere;
        }
    } else if !default_match {
        return Sel::No(format!(
            "`{}` does not pick up `{file}` by its default file pattern",
            super::select::runner_name(inv.runner)
        ));
    }
    if let Some(p) = &name_pat {
        match Regex::new(p) {
            Ok(r) if r.is_match(&it.name) && !p.contains('^') => {}
            Ok(_) if it.meta.described => {
                return Sel::Unknown(format!("name pattern `{p}` may match its describe prefix"))
            }
            Ok(_) => return Sel::No(format!("its name does not match `{p}`")),
            Err(_) => return Sel::Unknown(format!("name pattern `{p}` is not evaluated")),
        }
    }
    if it.ignored {
        return Sel::No("marked `.skip`, `.todo` or `x…`".into());
    }
    Sel::Yes
}
