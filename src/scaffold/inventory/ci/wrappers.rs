//! The wrappers CI calls test runners through: package.json scripts (`npm run`, `yarn`,
//! `pnpm`, `bun run`), Makefile targets (with simple variables and prerequisites) and just
//! recipes.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use super::shell::{script, script_with};
use super::{join_dir, rel_of, scalar, CiConfig, Ctx, MAX_CI_FILE, MAX_DEPTH};

pub(super) fn package_json(root: &Path, cwd: &str) -> Option<Value> {
    let p = root.join(cwd).join("package.json");
    let m = std::fs::metadata(&p).ok()?;
    if m.len() > MAX_CI_FILE {
        return None;
    }
    serde_json::from_str(&std::fs::read_to_string(p).ok()?).ok()
}

/// `npm run NAME [-- ARGS]`: run package.json's script with the extra arguments appended.
pub(super) fn package_script(
    state: &mut Ctx<'_>,
    ctx: &Ctx<'_>,
    args: &[String],
    _display: &str,
    cfg: &mut CiConfig,
) {
    if let Some(w) = ctx.env.get("__cwd_unknown") {
        cfg.opaque.push(format!("{} ({w})", ctx.source));
        return;
    }
    let mut args: Vec<String> = args
        .iter()
        .skip_while(|x| x.starts_with('-') && *x != "--")
        .cloned()
        .collect();
    if args.is_empty() {
        return;
    }
    let name = args.remove(0);
    if args.first().is_some_and(|x| x == "--") {
        args.remove(0);
    }
    if ctx.depth >= MAX_DEPTH {
        return;
    }
    let Some(pkg) = package_json(ctx.root, &ctx.cwd) else {
        cfg.opaque.push(format!(
            "{} (runs script `{name}` but {}package.json is not readable)",
            ctx.source,
            if ctx.cwd.is_empty() {
                String::new()
            } else {
                format!("{}/", ctx.cwd)
            }
        ));
        return;
    };
    let Some(body) = pkg
        .pointer(&format!(
            "/scripts/{}",
            name.replace('~', "~0").replace('/', "~1")
        ))
        .and_then(scalar)
    else {
        return;
    };
    let extra: Vec<String> = args
        .iter()
        .map(|a| {
            shlex::try_quote(a)
                .map(|q| q.into_owned())
                .unwrap_or_else(|_| a.clone())
        })
        .collect();
    let line = if extra.is_empty() {
        body
    } else {
        format!("{body} {}", extra.join(" "))
    };
    let mut inner = ctx.clone();
    inner.depth += 1;
    inner.source = format!("{} → package.json script `{name}`", ctx.source);
    script(&inner, &line, cfg);
    let _ = state;
}

/// A Makefile read for its simple variables and the recipes of its targets.
struct Makefile {
    vars: BTreeMap<String, String>,
    /// target → (prerequisites, recipe lines)
    rules: BTreeMap<String, (Vec<String>, Vec<String>)>,
    first: Option<String>,
}

fn read_makefile(text: &str) -> Makefile {
    let mut mk = Makefile {
        vars: BTreeMap::new(),
        rules: BTreeMap::new(),
        first: None,
    };
    let text = text.replace("\\\n", " ");
    let mut current: Vec<String> = Vec::new();
    for line in text.lines() {
        if let Some(r) = line.strip_prefix('\t') {
            for t in &current {
                if let Some(rule) = mk.rules.get_mut(t) {
                    rule.1.push(r.to_string());
                }
            }
            continue;
        }
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        current.clear();
        let assign = ["::=", ":=", "?=", "+=", "="]
            .iter()
            .filter_map(|op| t.find(op).map(|i| (i, *op)))
            .min_by_key(|(i, _)| *i);
        let colon = t.find(':');
        if let Some((i, op)) = assign {
            if colon.is_none_or(|c| c >= i) {
                let k = t[..i].trim().trim_start_matches("export ").trim();
                let v = t[i + op.len()..].trim().to_string();
                if op == "+=" {
                    let e = mk.vars.entry(k.to_string()).or_default();
                    if !e.is_empty() {
                        e.push(' ');
                    }
                    e.push_str(&v);
                } else if op != "?=" || !mk.vars.contains_key(k) {
                    mk.vars.insert(k.to_string(), v);
                }
                continue;
            }
        }
        if let Some(c) = colon {
            let targets: Vec<String> = t[..c].split_whitespace().map(str::to_string).collect();
            let rest = t[c..].trim_start_matches(':');
            let (prereq, inline) = match rest.split_once(';') {
                Some((p, r)) => (p, Some(r.trim().to_string())),
                None => (rest, None),
            };
            let prereqs: Vec<String> = prereq.split_whitespace().map(str::to_string).collect();
            for tg in &targets {
                if tg.starts_with('.') {
                    continue;
                }
                if mk.first.is_none() && !tg.contains('%') {
                    mk.first = Some(tg.clone());
                }
                let e = mk.rules.entry(tg.clone()).or_default();
                e.0.extend(prereqs.iter().cloned());
                if let Some(r) = &inline {
                    e.1.push(r.clone());
                }
                current.push(tg.clone());
            }
        }
    }
    mk
}

pub(super) fn make(state: &mut Ctx<'_>, ctx: &Ctx<'_>, args: &[String], cfg: &mut CiConfig) {
    if let Some(w) = ctx.env.get("__cwd_unknown") {
        cfg.opaque.push(format!("{} ({w})", ctx.source));
        return;
    }
    let mut dir = ctx.cwd.clone();
    let mut file: Option<String> = None;
    let mut targets = Vec::new();
    let mut vars = BTreeMap::new();
    let mut i = 0;
    while i < args.len() {
        let x = &args[i];
        if x == "-C" || x == "--directory" {
            dir = join_dir(&dir, args.get(i + 1).map_or("", String::as_str));
            i += 2;
            continue;
        }
        if x == "-f" || x == "--file" || x == "--makefile" {
            file = args.get(i + 1).cloned();
            i += 2;
            continue;
        }
        if let Some(d) = x.strip_prefix("-C") {
            dir = join_dir(&dir, d);
        } else if x.starts_with('-') {
        } else if let Some((k, v)) = x.split_once('=') {
            vars.insert(k.to_string(), v.to_string());
        } else {
            targets.push(x.clone());
        }
        i += 1;
    }
    let names: Vec<String> = match &file {
        Some(f) => vec![f.clone()],
        None => vec!["GNUmakefile".into(), "makefile".into(), "Makefile".into()],
    };
    let found = names
        .iter()
        .map(|n| ctx.root.join(join_dir(&dir, n)))
        .find(|p| p.is_file());
    let Some(path) = found else {
        cfg.opaque.push(format!(
            "{} (runs make in `{}` but finds no Makefile)",
            ctx.source,
            if dir.is_empty() { "." } else { &dir }
        ));
        return;
    };
    if ctx.depth >= MAX_DEPTH {
        return;
    }
    let Ok(text) = std::fs::read_to_string(&path) else {
        return;
    };
    let mk = read_makefile(&text);
    let mut mvars = mk.vars.clone();
    mvars.extend(vars);
    if targets.is_empty() {
        targets.extend(mk.first.clone());
    }
    let mut seen = Vec::new();
    let mut inner = ctx.clone();
    inner.cwd = dir;
    inner.depth += 1;
    let rel = rel_of(ctx.root, &path);
    for t in targets {
        make_target(&inner, &mk, &mvars, &t, &rel, &mut seen, cfg);
    }
    let _ = state;
}

fn make_target(
    ctx: &Ctx<'_>,
    mk: &Makefile,
    vars: &BTreeMap<String, String>,
    target: &str,
    rel: &str,
    seen: &mut Vec<String>,
    cfg: &mut CiConfig,
) {
    if seen.iter().any(|s| s == target) || seen.len() > 64 {
        return;
    }
    seen.push(target.to_string());
    let Some((prereqs, recipe)) = mk.rules.get(target) else {
        return;
    };
    for p in prereqs {
        make_target(ctx, mk, vars, p, rel, seen, cfg);
    }
    let mut inner = ctx.clone();
    inner.source = format!("{} → {rel} target `{target}`", ctx.source);
    let body: Vec<String> = recipe
        .iter()
        .map(|l| l.trim_start_matches(['@', '-', '+', ' ']).to_string())
        .collect();
    script_with(&inner, &body.join("\n"), cfg, Some(vars));
}

pub(super) fn just(state: &mut Ctx<'_>, ctx: &Ctx<'_>, args: &[String], cfg: &mut CiConfig) {
    if let Some(w) = ctx.env.get("__cwd_unknown") {
        cfg.opaque.push(format!("{} ({w})", ctx.source));
        return;
    }
    let dir = ctx.cwd.clone();
    let path = ["justfile", "Justfile", ".justfile"]
        .iter()
        .map(|n| ctx.root.join(join_dir(&dir, n)))
        .find(|p| p.is_file());
    let Some(path) = path else {
        cfg.opaque
            .push(format!("{} (runs just but finds no justfile)", ctx.source));
        return;
    };
    if ctx.depth >= MAX_DEPTH {
        return;
    }
    let Ok(text) = std::fs::read_to_string(&path) else {
        return;
    };
    // recipes: `name params: deps` at column 0, body indented
    let mut recipes: BTreeMap<String, (Vec<String>, bool, Vec<String>)> = BTreeMap::new();
    let mut vars = BTreeMap::new();
    let mut first = None;
    let mut current: Option<String> = None;
    for line in text.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some(c) = &current {
                if let Some(r) = recipes.get_mut(c) {
                    r.2.push(line.trim().to_string());
                }
            }
            continue;
        }
        current = None;
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') || t.starts_with('[') {
            continue;
        }
        if let Some((k, v)) = t.split_once(":=") {
            let v = v.trim().trim_matches(['"', '\'']).to_string();
            vars.insert(k.trim().trim_start_matches("export ").to_string(), v);
            continue;
        }
        if let Some((head, deps)) = t.split_once(':') {
            let mut words = head.trim_start_matches('@').split_whitespace();
            let Some(name) = words.next() else { continue };
            if matches!(name, "set" | "alias" | "import" | "mod" | "export") {
                continue;
            }
            let has_params = words.next().is_some();
            first.get_or_insert_with(|| name.to_string());
            recipes.insert(
                name.to_string(),
                (
                    deps.split_whitespace().map(str::to_string).collect(),
                    has_params,
                    Vec::new(),
                ),
            );
            current = Some(name.to_string());
        }
    }
    let target = args.iter().find(|x| !x.starts_with('-')).cloned().or(first);
    let Some(target) = target else { return };
    let rel = rel_of(ctx.root, &path);
    let mut stack = vec![target];
    let mut seen = Vec::new();
    while let Some(t) = stack.pop() {
        if seen.contains(&t) || seen.len() > 64 {
            continue;
        }
        seen.push(t.clone());
        let Some((deps, params, body)) = recipes.get(&t) else {
            continue;
        };
        stack.extend(deps.iter().rev().cloned());
        let mut inner = ctx.clone();
        inner.depth += 1;
        inner.source = format!("{} → {rel} recipe `{t}`", ctx.source);
        let mut text = body
            .iter()
            .map(|l| l.trim_start_matches(['@', '-']).to_string())
            .collect::<Vec<_>>()
            .join("\n");
        // `{{var}}` interpolation: known variables only
        let mut ok = true;
        while let Some(s) = text.find("{{") {
            let Some(e) = text[s..].find("}}") else { break };
            let k = text[s + 2..s + e].trim().to_string();
            match vars.get(&k) {
                Some(v) => text.replace_range(s..s + e + 2, v),
                None => {
                    ok = false;
                    text.replace_range(s..s + e + 2, &format!("${{__just_{k}}}"));
                }
            }
        }
        let _ = (params, ok);
        script(&inner, &text, cfg);
    }
    let _ = state;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn makefile_targets_and_variables() {
        let mk = read_makefile("GO ?= go\nTAGS := e2e\ntest: unit\n\t@$(GO) test -tags $(TAGS) ./...\nunit:\n\tgo test ./...\n");
        assert_eq!(mk.first.as_deref(), Some("test"));
        assert_eq!(mk.rules["test"].0, vec!["unit"]);
        assert_eq!(mk.vars["TAGS"], "e2e");
    }
}
