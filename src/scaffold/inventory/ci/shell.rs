//! Shell text CI runs, command by command: word splitting (shlex), `${{ … }}` / `$VAR` /
//! make-variable expansion, `cd`/`export`, and the wrappers followed to a test runner
//! (make targets, just recipes, package.json scripts, local scripts).

use std::collections::BTreeMap;

use super::wrappers::{just, make, package_json, package_script};
use super::{join_dir, CiConfig, Ctx, Invocation, Runner, MAX_CI_FILE, MAX_DEPTH, MAX_EXPANSIONS};

/// Split one shell line into commands at `&&`, `||`, `;`, `|` and `&` outside quotes; drop a
/// trailing comment.
fn split_commands(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut chars = line.chars().peekable();
    let mut prev_space = true;
    while let Some(c) = chars.next() {
        match quote {
            Some(q) => {
                cur.push(c);
                if c == q {
                    quote = None;
                } else if c == '\\' && q == '"' {
                    if let Some(n) = chars.next() {
                        cur.push(n);
                    }
                }
            }
            None => match c {
                '\'' | '"' => {
                    quote = Some(c);
                    cur.push(c);
                }
                '\\' => {
                    cur.push(c);
                    if let Some(n) = chars.next() {
                        cur.push(n);
                    }
                }
                '#' if prev_space => break,
                ';' | '|' | '&' => {
                    if c != ';' && chars.peek() == Some(&c) {
                        chars.next();
                    }
                    out.push(std::mem::take(&mut cur));
                }
                _ => cur.push(c),
            },
        }
        prev_space = c.is_whitespace();
    }
    out.push(cur);
    out.into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Expand `${{ … }}`, `$VAR`, `${VAR}` and make's `$(VAR)` in one command; returns the
/// expanded command lines (several for a matrix) or why it cannot be expanded.
fn expand(
    ctx: &Ctx<'_>,
    cmd: &str,
    make_vars: Option<&BTreeMap<String, String>>,
) -> Result<Vec<String>, String> {
    let mut outs = vec![String::new()];
    let mut rest = cmd;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("${{") {
            let Some(end) = after.find("}}") else {
                return Err(format!("unterminated expression in `{cmd}`"));
            };
            let expr = after[..end].trim();
            rest = &after[end + 2..];
            if let Some(k) = expr.strip_prefix("env.") {
                let v = ctx
                    .env
                    .get(k)
                    .ok_or_else(|| format!("`${{{{ {expr} }}}}` is not set in the workflow"))?;
                outs.iter_mut().for_each(|o| o.push_str(v));
            } else if let Some(k) = expr.strip_prefix("matrix.") {
                let vals = ctx.matrix.as_ref().and_then(|m| m.get(k)).ok_or_else(|| {
                    format!("`${{{{ {expr} }}}}` comes from a matrix dstplan cannot expand")
                })?;
                if outs.len() * vals.len() > MAX_EXPANSIONS {
                    return Err(format!(
                        "the matrix behind `{cmd}` has too many combinations"
                    ));
                }
                outs = outs
                    .iter()
                    .flat_map(|o| vals.iter().map(move |v| format!("{o}{v}")))
                    .collect();
            } else {
                return Err(format!("`${{{{ {expr} }}}}` is not known before the run"));
            }
            continue;
        }
        if let Some(after) = [
            "$(dirname \"$0\")",
            "$(dirname $0)",
            "$(dirname \"${BASH_SOURCE[0]}\")",
        ]
        .iter()
        .find_map(|p| rest.strip_prefix(p))
        {
            if let Some(me) = ctx.env.get("0") {
                let d = me.rsplit_once('/').map_or(".", |(d, _)| d);
                outs.iter_mut()
                    .for_each(|o| o.push_str(if d.is_empty() { "/" } else { d }));
                rest = after;
                continue;
            }
        }
        if let Some(after) = rest.strip_prefix("$(") {
            if let Some(vars) = make_vars {
                if let Some(end) = after.find(')') {
                    let k = &after[..end];
                    if let Some(v) = vars.get(k).or_else(|| ctx.env.get(k)) {
                        outs.iter_mut().for_each(|o| o.push_str(v));
                        rest = &after[end + 1..];
                        continue;
                    }
                    if k == "MAKE" {
                        outs.iter_mut().for_each(|o| o.push_str("make"));
                        rest = &after[end + 1..];
                        continue;
                    }
                }
            }
            return Err(format!(
                "`{cmd}` uses a command substitution or make variable dstplan cannot expand"
            ));
        }
        if let Some(after) = rest.strip_prefix('$') {
            let (name, len) = if let Some(b) = after.strip_prefix('{') {
                match b.find('}') {
                    Some(e) => (&b[..e], e + 2),
                    None => return Err(format!("unterminated `${{` in `{cmd}`")),
                }
            } else {
                let n = after
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(after.len());
                (&after[..n], n)
            };
            if name.is_empty() {
                outs.iter_mut().for_each(|o| o.push('$'));
                rest = after;
                continue;
            }
            let v = make_vars
                .and_then(|m| m.get(name))
                .or_else(|| ctx.env.get(name))
                .ok_or_else(|| format!("`${name}` is not set where CI runs `{cmd}`"))?;
            outs.iter_mut().for_each(|o| o.push_str(v));
            rest = &after[len..];
            continue;
        }
        let c = rest.chars().next().expect("non-empty");
        outs.iter_mut().for_each(|o| o.push(c));
        rest = &rest[c.len_utf8()..];
    }
    Ok(outs)
}

/// Read a shell script (a `run:` block, a recipe, a package.json script) command by command.
pub(super) fn script(ctx: &Ctx<'_>, text: &str, cfg: &mut CiConfig) {
    script_with(ctx, text, cfg, None);
}

pub(super) fn script_with(
    ctx: &Ctx<'_>,
    text: &str,
    cfg: &mut CiConfig,
    make_vars: Option<&BTreeMap<String, String>>,
) {
    let mut ctx = ctx.clone();
    let joined = text.replace("\\\r\n", " ").replace("\\\n", " ");
    let mut nesting: Vec<String> = Vec::new();
    for line in joined.lines() {
        for cmd in split_commands(line) {
            let mut words: Vec<&str> = cmd.split_whitespace().collect();
            // shell control words: commands inside run only sometimes
            while let Some(w) = words.first().copied() {
                match w {
                    "if" | "while" | "until" | "for" | "case" | "elif" => {
                        if w != "elif" {
                            nesting.push(w.to_string());
                        }
                        words.clear();
                    }
                    "then" | "do" | "else" | "{" | "!" => {
                        words.remove(0);
                    }
                    "fi" | "done" | "esac" => {
                        nesting.pop();
                        words.clear();
                    }
                    _ => break,
                }
            }
            if words.is_empty() {
                continue;
            }
            let cmd = words.join(" ");
            let mut inner = ctx.clone();
            if !nesting.is_empty() && inner.condition.is_none() {
                inner.condition = Some(format!(
                    "inside a shell `{}` in {}",
                    nesting[nesting.len() - 1],
                    ctx.source
                ));
            }
            match expand(&inner, &cmd, make_vars) {
                Ok(lines) => {
                    for l in lines {
                        let Some(argv) = shlex::split(&l) else {
                            continue;
                        };
                        command(&mut ctx, &inner, argv, &cmd, None, cfg);
                    }
                }
                Err(why) => {
                    // still recognise the runner, with the reason it cannot be resolved
                    let argv: Vec<String> = cmd.split_whitespace().map(str::to_string).collect();
                    command(&mut ctx, &inner, argv, &cmd, Some(why), cfg);
                }
            }
        }
    }
}

/// Handle one command: update the context (`cd`, `export`), follow a wrapper, or record a
/// test runner.
fn command(
    state: &mut Ctx<'_>,
    ctx: &Ctx<'_>,
    mut argv: Vec<String>,
    display: &str,
    unresolved: Option<String>,
    cfg: &mut CiConfig,
) {
    // leading assignments and prefixes
    let mut env_here = BTreeMap::new();
    while let Some(w) = argv.first() {
        if let Some((k, v)) = w.split_once('=') {
            if !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                env_here.insert(k.to_string(), v.to_string());
                argv.remove(0);
                continue;
            }
        }
        match w.as_str() {
            "sudo" | "time" | "env" | "command" | "exec" | "xvfb-run" | "nice" | "-E" => {
                argv.remove(0);
            }
            "timeout" => {
                argv.remove(0);
                while argv.first().is_some_and(|a| a.starts_with('-')) {
                    argv.remove(0);
                }
                if !argv.is_empty() {
                    argv.remove(0);
                }
            }
            _ => break,
        }
    }
    let Some(prog) = argv.first().cloned() else {
        // a bare assignment line: `X=1` sets a shell variable for later lines
        state.env.extend(env_here);
        return;
    };
    let mut ctx = ctx.clone();
    ctx.env.extend(env_here);
    let args = &argv[1..];
    let a = |i: usize| args.get(i).map(String::as_str);
    let unresolved = unresolved.or_else(|| {
        ctx.env
            .get("__cwd_unknown")
            .map(|w| format!("an earlier `cd` cannot be resolved ({w})"))
    });
    let record = |runner: Runner, rest: &[String], cfg: &mut CiConfig| {
        cfg.invocations.push(Invocation {
            runner,
            args: rest.to_vec(),
            cwd: ctx.cwd.clone(),
            source: ctx.source.clone(),
            display: display.to_string(),
            condition: ctx.condition.clone(),
            unresolved: unresolved.clone(),
            os: ctx.os,
            rustflags: ctx.env.get("RUSTFLAGS").cloned(),
            cwd_known: !ctx.env.contains_key("__cwd_unknown"),
        });
    };
    let base = prog.rsplit('/').next().unwrap_or(&prog).to_string();
    // a wrapper whose arguments are not known cannot be followed
    let wrapper = matches!(
        base.as_str(),
        "make" | "gmake" | "just" | "bash" | "sh" | "zsh"
    ) || (matches!(base.as_str(), "npm" | "yarn" | "pnpm" | "bun")
        && a(0) != Some("test"))
        || prog.starts_with("./")
        || prog.ends_with(".sh");
    if wrapper {
        if let Some(u) = &unresolved {
            cfg.opaque
                .push(format!("{} (`{display}`: {u})", ctx.source));
            return;
        }
    }
    match base.as_str() {
        "cd" | "pushd" => match &unresolved {
            None => state.cwd = join_dir(&state.cwd, a(0).unwrap_or("")),
            Some(why) => {
                state.env.insert("__cwd_unknown".into(), why.clone());
            }
        },
        "export" => {
            for kv in args {
                if let Some((k, v)) = kv.split_once('=') {
                    state.env.insert(k.to_string(), v.to_string());
                }
            }
        }
        "cargo" => {
            let mut i = 0;
            while a(i).is_some_and(|x| x.starts_with('+') || x == "--locked" || x == "--frozen") {
                i += 1;
            }
            match (a(i), a(i + 1)) {
                (Some("test" | "t"), _) => record(Runner::Cargo, &args[i + 1..], cfg),
                (Some("nextest"), Some("run" | "r")) => {
                    record(Runner::Nextest, &args[i + 2..], cfg)
                }
                (Some("llvm-cov"), Some("nextest")) => record(Runner::Nextest, &args[i + 2..], cfg),
                (Some("llvm-cov"), Some("test")) => record(Runner::Cargo, &args[i + 2..], cfg),
                (Some("llvm-cov"), _) => record(Runner::Cargo, &args[i + 1..], cfg),
                (Some("make"), Some(t)) => {
                    cfg.opaque
                        .push(format!("{} (`cargo make {t}` is not read)", ctx.source));
                }
                _ => {}
            }
        }
        "go" if a(0) == Some("test") => record(Runner::Go, &args[1..], cfg),
        "gotestsum" => {
            if let Some(p) = args.iter().position(|x| x == "--") {
                record(Runner::Go, &args[p + 1..], cfg);
            } else {
                record(Runner::Go, &[], cfg);
            }
        }
        "pytest" | "py.test" => record(Runner::Pytest, args, cfg),
        "python" | "python3" | "coverage" => {
            let m = args.iter().position(|x| x == "-m");
            if let Some(m) = m {
                if a(m + 1) == Some("pytest") {
                    record(Runner::Pytest, &args[m + 2..], cfg);
                } else if a(m + 1) == Some("unittest") {
                    cfg.opaque.push(format!(
                        "{} (`python -m unittest` is not evaluated)",
                        ctx.source
                    ));
                }
            } else if let Some(p) = a(0).filter(|p| p.ends_with(".py")) {
                let _ = p;
            }
        }
        "uv" | "poetry" | "pipenv" | "hatch" | "pdm" | "rye" if a(0) == Some("run") => {
            let mut rest = args[1..].to_vec();
            while rest.first().is_some_and(|x| x.starts_with('-')) {
                rest.remove(0);
            }
            command(state, &ctx, rest, display, unresolved, cfg);
        }
        "tox" | "nox" => cfg.opaque.push(format!(
            "{} (`{base}` environments are not read)",
            ctx.source
        )),
        "bun" => match a(0) {
            Some("test") => record(Runner::Bun, &args[1..], cfg),
            // `bun run file.ts` runs a file, not a package.json script
            Some("run")
                if args[1..]
                    .iter()
                    .find(|x| !x.starts_with('-'))
                    .is_some_and(|x| {
                        [".ts", ".js", ".mjs", ".cjs", ".tsx", ".jsx"]
                            .iter()
                            .any(|e| x.ends_with(e))
                    }) => {}
            Some("run") => package_script(state, &ctx, &args[1..], display, cfg),
            Some("x") => command(state, &ctx, args[1..].to_vec(), display, unresolved, cfg),
            _ => {}
        },
        "bunx" | "npx" | "pnpx" => {
            let mut rest = args.to_vec();
            while rest.first().is_some_and(|x| x.starts_with('-')) {
                rest.remove(0);
            }
            command(state, &ctx, rest, display, unresolved, cfg);
        }
        "npm" | "yarn" | "pnpm" => match a(0) {
            Some("test" | "t") => {
                let mut rest = vec!["test".to_string()];
                rest.extend(args[1..].iter().cloned());
                package_script(state, &ctx, &rest, display, cfg);
            }
            Some("run" | "run-script") => package_script(state, &ctx, &args[1..], display, cfg),
            Some("exec") | Some("dlx") => {
                let mut rest = args[1..].to_vec();
                if rest.first().is_some_and(|x| x == "--") {
                    rest.remove(0);
                }
                command(state, &ctx, rest, display, unresolved, cfg);
            }
            Some(x) if base != "npm" && !x.starts_with('-') => {
                if package_json(ctx.root, &ctx.cwd).is_some_and(|p| {
                    p.pointer(&format!("/scripts/{}", x.replace('/', "~1")))
                        .is_some()
                }) {
                    package_script(state, &ctx, args, display, cfg);
                } else {
                    command(state, &ctx, args.to_vec(), display, unresolved, cfg);
                }
            }
            _ => {}
        },
        "vitest" => {
            let rest: Vec<String> = args
                .iter()
                .skip_while(|x| matches!(x.as_str(), "run"))
                .cloned()
                .collect();
            if a(0).is_some_and(|x| matches!(x, "bench" | "list" | "typecheck" | "init")) {
                return;
            }
            record(Runner::Vitest, &rest, cfg);
        }
        "jest" => record(Runner::Jest, args, cfg),
        "node" if args.iter().any(|x| x == "--test") => {
            let rest: Vec<String> = args.iter().filter(|x| *x != "--test").cloned().collect();
            record(Runner::NodeTest, &rest, cfg);
        }
        "bats" => record(Runner::Bats, args, cfg),
        "make" | "gmake" => make(state, &ctx, args, cfg),
        "just" => just(state, &ctx, args, cfg),
        "bash" | "sh" | "zsh" => {
            let script_arg = args.iter().find(|x| !x.starts_with('-'));
            if let Some(s) = script_arg {
                run_script_file(&ctx, s, cfg);
            }
        }
        _ if prog.starts_with("./") || prog.starts_with("../") || prog.ends_with(".sh") => {
            run_script_file(&ctx, &prog, cfg);
        }
        _ => {}
    }
}

pub(super) fn run_script_file(ctx: &Ctx<'_>, path: &str, cfg: &mut CiConfig) {
    if let Some(w) = ctx.env.get("__cwd_unknown") {
        cfg.opaque.push(format!("{} ({w})", ctx.source));
        return;
    }
    let rel = join_dir(&ctx.cwd, path);
    let full = ctx.root.join(&rel);
    if ctx.depth >= MAX_DEPTH {
        return;
    }
    let text = match std::fs::metadata(&full) {
        Ok(m) if m.is_file() && m.len() <= MAX_CI_FILE => std::fs::read_to_string(&full).ok(),
        _ => None,
    };
    let Some(text) = text else {
        if !path.contains('$') {
            cfg.opaque.push(format!(
                "{} (runs `{path}`, which is not readable here)",
                ctx.source
            ));
        }
        return;
    };
    cfg.scripts.push(rel.clone());
    let mut inner = ctx.clone();
    inner.depth += 1;
    // `$0` as the script sees it: its path as invoked, relative to where it runs
    inner.env.insert("0".into(), path.to_string());
    inner.source = format!("{} → {rel}", ctx.source);
    script(&inner, &text, cfg);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_commands_outside_quotes() {
        assert_eq!(
            split_commands("cd a && cargo test -- --skip 'x;y' | tee out # note"),
            vec!["cd a", "cargo test -- --skip 'x;y'", "tee out"]
        );
    }
}
