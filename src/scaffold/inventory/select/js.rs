//! `bun test`, `vitest`, `jest`, `node --test` and `bats`: files, name patterns, configuration that narrows them.

use std::path::Path;

use regex::Regex;

use super::{flag_value, under, Sel};
use crate::scaffold::inventory::ci::{Invocation, Runner};
use crate::scaffold::inventory::Item;

pub(super) fn bats(inv: &Invocation, it: &Item) -> Sel {
    let paths: Vec<String> = inv
        .args
        .iter()
        .filter(|a| !a.starts_with('-'))
        .map(|p| crate::scaffold::inventory::ci::join_dir(&inv.cwd, p))
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

pub(super) fn js(root: &Path, inv: &Invocation, it: &Item) -> Sel {
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
    // `dir/*` (expanded by the shell) names everything under `dir`, as `dir` does
    let file_filters: Vec<String> = file_filters
        .iter()
        .map(|f| {
            let t = f.trim_end_matches("/**").trim_end_matches("/*");
            if inv.runner != Runner::Jest && t.len() < f.len() && !t.contains('*') {
                format!("{t}/")
            } else {
                f.clone()
            }
        })
        .collect();
    if !file_filters.is_empty() {
        let hit = file_filters.iter().any(|f| {
            let f = f.trim_start_matches("./");
            match inv.runner {
                // jest matches absolute paths: an anchored pattern is not evaluated
                Runner::Jest => {
                    !f.contains('^') && Regex::new(f).is_ok_and(|r| r.is_match(&it.path))
                }
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
            super::runner_name(inv.runner)
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
