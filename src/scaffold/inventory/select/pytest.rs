//! `pytest`: configuration (addopts, testpaths, markers), paths, node IDs, `-k`, `-m`, skip markers.

use std::collections::BTreeMap;
use std::path::Path;

use regex::Regex;

use super::{flag_value, parent, under, Cache, Sel};
use super::{glob_match, quoted};
use crate::scaffold::inventory::ci::Invocation;
use crate::scaffold::inventory::Item;

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
                file: crate::scaffold::inventory::ci::join_dir(&dir, file),
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

pub(super) fn pytest(root: &Path, inv: &Invocation, it: &Item, cache: &mut Cache) -> Sel {
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
            ignores.push(crate::scaffold::inventory::ci::join_dir(&inv.cwd, &v));
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
    if let Some(p) = paths.iter().find(|p| p.contains('$')) {
        return Sel::Unknown(format!("the path `{p}` is not known before the run"));
    }
    let base_paths: Vec<(String, Option<String>)> = if !paths.is_empty() {
        paths
            .iter()
            .map(|p| match p.split_once("::") {
                Some((f, n)) => (
                    crate::scaffold::inventory::ci::join_dir(&inv.cwd, f),
                    Some(n.to_string()),
                ),
                None => (crate::scaffold::inventory::ci::join_dir(&inv.cwd, p), None),
            })
            .collect()
    } else if let Some(c) = conf.as_ref().filter(|c| !c.testpaths.is_empty()) {
        c.testpaths
            .iter()
            .map(|t| (crate::scaffold::inventory::ci::join_dir(&c.dir, t), None))
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
