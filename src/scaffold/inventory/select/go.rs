//! `go test`: modules, package patterns, `-run`, `-skip`, `-bench`, `-short`, build tags.

use std::path::Path;

use regex::Regex;

use super::{parent, under, Cache, Sel};
use crate::scaffold::inventory::ci::Invocation;
use crate::scaffold::inventory::Item;

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

/// In the tag list: the command runs on a Linux x86-64 runner.
const LINUX_RUNNER: &str = "\u{0}linux-runner";

/// The build constraint a file name implies (`x_windows_test.go`, `x_linux_arm64_test.go`).
fn name_constraint(path: &str) -> Option<String> {
    let name = path.rsplit('/').next().unwrap_or(path);
    let stem = name.strip_suffix("_test.go")?;
    let parts: Vec<&str> = stem.split('_').collect();
    let is_os = |p: &str| p == "linux" || (GOOS_OTHER.contains(&p) && !is_arch(p));
    let n = parts.len();
    if n >= 3 && is_os(parts[n - 2]) && is_arch(parts[n - 1]) {
        return Some(format!("{} && {}", parts[n - 2], parts[n - 1]));
    }
    if n >= 2 && (is_os(parts[n - 1]) || is_arch(parts[n - 1])) {
        return Some(parts[n - 1].to_string());
    }
    None
}

fn is_arch(p: &str) -> bool {
    matches!(
        p,
        "amd64"
            | "arm64"
            | "386"
            | "arm"
            | "riscv64"
            | "ppc64le"
            | "s390x"
            | "wasm"
            | "mips"
            | "mipsle"
            | "mips64"
            | "loong64"
            | "ppc64"
    )
}

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
                // OS and architecture are known only for a Linux (x86-64) runner
                let linux = tags.iter().any(|x| x == LINUX_RUNNER);
                Some(
                    if tags.iter().any(|x| x == id) || id == "gc" || id.starts_with("go1.") {
                        Some(true)
                    } else if matches!(id, "linux" | "unix" | "amd64" | "cgo") {
                        linux.then_some(true)
                    } else if GOOS_OTHER.contains(&id) {
                        linux.then_some(false)
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

pub(super) fn go(root: &Path, inv: &Invocation, it: &Item, cache: &mut Cache) -> Sel {
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
            "C" => cwd = crate::scaffold::inventory::ci::join_dir(&cwd, &v.unwrap_or_default()),
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
            crate::scaffold::inventory::ci::join_dir(&cwd, &rel)
        } else if let Some(r) = rel.strip_prefix(&module) {
            crate::scaffold::inventory::ci::join_dir(&mod_dir, r.trim_start_matches('/'))
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
    let gate = match (&it.meta.gate, name_constraint(&it.path)) {
        (Some(g), Some(n)) => Some(format!("({g}) && ({n})")),
        (Some(g), None) => Some(g.clone()),
        (None, n) => n,
    };
    let shown_tags = if tags.is_empty() {
        "none".to_string()
    } else {
        tags.join(",")
    };
    if inv.os == Some("linux") {
        tags.push(LINUX_RUNNER.to_string());
    }
    if let Some(g) = &gate {
        match go_constraint(g, &tags) {
            None => {
                return Sel::Unknown(format!(
                    "`//go:build {g}` depends on the runner's OS or architecture"
                ))
            }
            Some(false) => {
                return Sel::No(format!(
                    "`//go:build {g}` is not satisfied by the command's tags ({})",
                    shown_tags
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
