//! `cargo test` / `cargo nextest run`: workspace, packages, targets, features, filters, `--skip`, `--exact`, ignored tests.

use std::path::Path;

use super::{flag_value, parent, under, Cache, Sel};
use super::{glob_match, quoted};
use crate::scaffold::inventory::ci::{Invocation, Runner};
use crate::scaffold::inventory::Item;

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
    release: bool,
    target: Option<String>,
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
        release: false,
        target: None,
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
        } else if let Some(v) = flag_value(args, &mut i, &["--target"]) {
            c.target = Some(v);
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
                "--release" | "-r" => c.release = true,
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
fn crate_of(
    root: &Path,
    rel: &str,
    cache: &mut Cache,
) -> Option<(String, String, std::rc::Rc<toml::Table>)> {
    let mut dir = parent(rel).to_string();
    loop {
        if let Some(tb) = cache.toml(&root.join(&dir).join("Cargo.toml")) {
            {
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

pub(super) fn cargo(root: &Path, inv: &Invocation, it: &Item, cache: &mut Cache) -> Sel {
    let c = cargo_args(&inv.args, inv.runner == Runner::Nextest);
    let Some((crate_dir, name, ctoml)) = crate_of(root, &it.path, cache) else {
        return Sel::NotHere;
    };
    // the workspace cargo sees from the invocation's directory
    let start = match &c.manifest {
        Some(m) => parent(&crate::scaffold::inventory::ci::join_dir(&inv.cwd, m)).to_string(),
        None => inv.cwd.clone(),
    };
    let mut ws_dir = start.clone();
    let ws = loop {
        if let Some(tb) = cache.toml(&root.join(&ws_dir).join("Cargo.toml")) {
            {
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
                    .map(|x| crate::scaffold::inventory::ci::join_dir(&ws_dir, x))
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
    if let Some(p) = c.packages.iter().find(|p| p.contains('$')) {
        return Sel::Unknown(format!("the package `{p}` is not known before the run"));
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
    // targets declared by hand may be off by default, renamed or without libtest
    if let Some(w) = declared_target_issue(&ctoml, &target) {
        return w;
    }
    if !target_selected(&target, &c.targets) {
        return Sel::No(format!("its target `{target}` is not built by the command"));
    }
    let cfg_ctx = CfgCtx {
        features: enabled_features(&c, &ctoml),
        os: match c.target.as_deref() {
            Some(t) if t.contains("linux") => Some("linux"),
            Some(t) if t.contains("apple") => Some("macos"),
            Some(t) if t.contains("windows") => Some("windows"),
            Some(_) => None,
            None => inv.os,
        },
        rustflags: custom_cfgs(root, inv, cache),
        release: c.release,
    };
    if let Some(g) = &it.meta.gate {
        let pred = cfg_predicate(g);
        match eval_cfg(pred, &cfg_ctx) {
            Some(true) => {}
            Some(false) => {
                return Sel::No(format!("`#[cfg({pred})]` is false for the command"));
            }
            None => return Sel::Unknown(format!("`#[cfg({pred})]` is not known for the command")),
        }
    }
    if let Some(ci) = &it.meta.conditional_skip {
        let inner = ci
            .trim_start_matches("#[")
            .trim_start_matches("cfg_attr(")
            .trim_end_matches(']');
        let pred = top_level_first(inner);
        match eval_cfg(pred, &cfg_ctx) {
            Some(false) => {}
            Some(true) if c.ignored != 0 => {}
            Some(true) => {
                return Sel::No(format!(
                    "ignored when `{pred}` holds, as it does for the command (`{ci}`)"
                ))
            }
            None => {
                return Sel::Unknown(format!(
                    "ignored under a condition not known for the command (`{ci}`)"
                ))
            }
        }
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

/// What `[lib]`, `[[bin]]`, `[[test]]` and `autotests` say about the test's target.
fn declared_target_issue(ctoml: &toml::Table, target: &str) -> Option<Sel> {
    let flag = |t: &toml::Value, k: &str| t.get(k).and_then(|v| v.as_bool());
    let (kind, name) = target.split_once(':').unwrap_or((target, ""));
    match kind {
        "lib" => {
            let lib = ctoml.get("lib")?;
            if flag(lib, "test") == Some(false) {
                return Some(Sel::No("`[lib] test = false` in Cargo.toml".into()));
            }
            if flag(lib, "harness") == Some(false) {
                return Some(Sel::Unknown("`[lib] harness = false`: not libtest".into()));
            }
            None
        }
        "bin" => {
            let bins = ctoml.get("bin")?.as_array()?;
            bins.iter()
                .any(|b| flag(b, "test") == Some(false) || flag(b, "harness") == Some(false))
                .then(|| Sel::Unknown("a `[[bin]]` sets test or harness = false".into()))
        }
        "test" => {
            let tests: Vec<&toml::Value> = ctoml
                .get("test")
                .and_then(|t| t.as_array())
                .map(|a| a.iter().collect())
                .unwrap_or_default();
            let this = tests
                .iter()
                .find(|t| t.get("name").and_then(|n| n.as_str()) == Some(name));
            if this.is_some_and(|t| flag(t, "harness") == Some(false)) {
                return Some(Sel::Unknown(format!(
                    "`[[test]] name = \"{name}\"` has harness = false: not libtest"
                )));
            }
            let auto = ctoml.get("package").and_then(|p| flag(p, "autotests"));
            if auto != Some(false) || this.is_some() {
                return None;
            }
            Some(if tests.iter().any(|t| t.get("path").is_some()) {
                Sel::Unknown("`autotests = false`; the `[[test]]` paths are not matched".into())
            } else {
                Sel::No("`autotests = false` and no `[[test]]` declares this file".into())
            })
        }
        _ => None,
    }
}

/// What `#[cfg(…)]` predicates are evaluated against.
struct CfgCtx {
    /// Enabled features of the test's crate; None = all of them.
    features: Option<Vec<String>>,
    os: Option<&'static str>,
    /// `--cfg` names from RUSTFLAGS; None = unknown (set in `.cargo/config.toml`).
    rustflags: Option<Vec<String>>,
    release: bool,
}

/// The features the command enables for the test's crate, closed over `[features]`.
fn enabled_features(c: &CargoArgs, ctoml: &toml::Table) -> Option<Vec<String>> {
    if c.all_features {
        return None;
    }
    let table = ctoml.get("features").and_then(|f| f.as_table());
    let mut on: Vec<String> = c.features.clone();
    if !c.no_default {
        on.push("default".into());
    }
    let mut i = 0;
    while i < on.len() {
        if let Some(list) = table.and_then(|t| t.get(&on[i])).and_then(|v| v.as_array()) {
            for f in list.iter().filter_map(|x| x.as_str()) {
                if !f.contains(':') && !f.contains('/') && !on.iter().any(|x| x == f) {
                    on.push(f.to_string());
                }
            }
        }
        i += 1;
    }
    Some(on)
}

/// `--cfg` names the command's RUSTFLAGS set, unless `.cargo/config.toml` may set more.
fn custom_cfgs(root: &Path, inv: &Invocation, cache: &mut Cache) -> Option<Vec<String>> {
    for f in [".cargo/config.toml", ".cargo/config"] {
        let p = root.join(&inv.cwd).join(f);
        if cache.read(&p).is_some_and(|t| t.contains("rustflags")) {
            return None;
        }
    }
    let flags = inv.rustflags.clone().unwrap_or_default();
    let words: Vec<&str> = flags.split_whitespace().collect();
    let mut cfgs: Vec<String> = words
        .windows(2)
        .filter(|w| w[0] == "--cfg")
        .map(|w| w[1].to_string())
        .collect();
    if flags.contains("panic=abort") {
        cfgs.push("panic=abort".into());
    }
    Some(cfgs)
}

/// `#[cfg(X)]`, `#![cfg(X)]`, `cfg(X)` → `X`.
fn cfg_predicate(gate: &str) -> &str {
    let g = gate.trim().trim_start_matches("#!").trim_start_matches('#');
    let g = g.trim_start_matches('[').trim_end_matches(']');
    let g = g.strip_prefix("cfg(").unwrap_or(g);
    g.strip_suffix(')').unwrap_or(g).trim()
}

/// The text before the first top-level comma.
fn top_level_first(s: &str) -> &str {
    let mut depth = 0;
    let mut in_str = false;
    for (i, ch) in s.char_indices() {
        match ch {
            '"' => in_str = !in_str,
            '(' if !in_str => depth += 1,
            ')' if !in_str => depth -= 1,
            ',' if !in_str && depth == 0 => return s[..i].trim(),
            _ => {}
        }
    }
    s.trim()
}

/// Evaluate a cfg predicate: Some(value) when every part is known for the command.
fn eval_cfg(pred: &str, cx: &CfgCtx) -> Option<bool> {
    let p = pred.trim();
    for (op, all) in [("all(", true), ("any(", false)] {
        if let Some(inner) = p.strip_prefix(op).and_then(|r| r.strip_suffix(')')) {
            let mut unknown = false;
            let mut rest = inner;
            while !rest.trim().is_empty() {
                let part = top_level_first(rest);
                rest = rest.trim_start()[part.len()..].trim_start();
                rest = rest.strip_prefix(',').unwrap_or(rest);
                match eval_cfg(part, cx) {
                    Some(v) if v != all => return Some(v),
                    Some(_) => {}
                    None => unknown = true,
                }
            }
            return if unknown { None } else { Some(all) };
        }
    }
    if let Some(inner) = p.strip_prefix("not(").and_then(|r| r.strip_suffix(')')) {
        return eval_cfg(inner, cx).map(|v| !v);
    }
    if let Some((k, v)) = p.split_once('=') {
        let v = v.trim().trim_matches('"');
        let os = cx.os;
        return match k.trim() {
            "feature" => Some(
                cx.features
                    .as_ref()
                    .is_none_or(|f| f.iter().any(|x| x == v)),
            ),
            "target_os" => os.map(|o| o == v),
            "target_family" => os.map(|o| {
                if o == "windows" {
                    v == "windows"
                } else {
                    v == "unix"
                }
            }),
            "target_pointer_width" => os.map(|_| v == "64"),
            "target_has_atomic" => os.map(|_| matches!(v, "8" | "16" | "32" | "64" | "ptr")),
            "panic" => cx.rustflags.as_ref().map(|f| {
                v == if f.iter().any(|x| x == "panic=abort") {
                    "abort"
                } else {
                    "unwind"
                }
            }),
            _ => None,
        };
    }
    match p {
        "test" => Some(true),
        "debug_assertions" => Some(!cx.release),
        "miri" | "doc" | "doctest" => Some(false),
        "unix" => cx.os.map(|o| o != "windows"),
        "windows" => cx.os.map(|o| o == "windows"),
        x if x.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && !x.is_empty() => {
            cx.rustflags.as_ref().map(|f| f.iter().any(|c| c == x))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cx(features: &[&str], os: Option<&'static str>, cfgs: Option<&[&str]>) -> CfgCtx {
        CfgCtx {
            features: Some(features.iter().map(|s| s.to_string()).collect()),
            os,
            rustflags: cfgs.map(|c| c.iter().map(|s| s.to_string()).collect()),
            release: false,
        }
    }

    #[test]
    fn cfg_predicates_are_known_only_when_every_part_is() {
        let linux = cx(&["full"], Some("linux"), Some(&[]));
        assert_eq!(eval_cfg(r#"feature = "full""#, &linux), Some(true));
        assert_eq!(eval_cfg(r#"feature = "net""#, &linux), Some(false));
        assert_eq!(
            eval_cfg(r#"all(feature = "full", not(target_os = "wasi"))"#, &linux),
            Some(true)
        );
        assert_eq!(eval_cfg("any(windows, miri)", &linux), Some(false));
        assert_eq!(eval_cfg("tokio_unstable", &linux), Some(false));
        let unknown_os = cx(&["full"], None, None);
        assert_eq!(eval_cfg(r#"not(target_os = "wasi")"#, &unknown_os), None);
        assert_eq!(eval_cfg("tokio_unstable", &unknown_os), None);
        // a false part decides `all` even when another part is unknown
        assert_eq!(
            eval_cfg(r#"all(feature = "net", target_os = "linux")"#, &unknown_os),
            Some(false)
        );
        assert_eq!(cfg_predicate("#![cfg(feature = \"x\")]"), "feature = \"x\"");
        assert_eq!(top_level_first("miri, ignore = \"slow, really\""), "miri");
    }
}
