//! What CI runs: test commands read from GitHub Actions workflows, then GitLab CI, following
//! the Makefile / justfile / package.json scripts and local shell scripts they call.
//!
//! The result is a list of [`Invocation`]s (one test runner command line each, with where it
//! came from, its working directory and whether it runs only under a condition) and a list of
//! things that were seen but could not be read ([`CiConfig::opaque`]); the selection logic in
//! `select.rs` turns those into a per-test `ci.runs` verdict. Shell words are split with the
//! `shlex` crate; `${{ … }}` expressions are expanded only for `env.X` and `matrix.X` (when
//! the matrix is a plain list); anything else stays unresolved and makes a verdict `null`.
//! Commands other than test runners and the wrappers above are taken not to run tests.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

/// Files larger than this are not read as CI configuration.
const MAX_CI_FILE: u64 = 1024 * 1024;
/// How deep wrappers (make → npm run → script …) are followed.
const MAX_DEPTH: usize = 6;
/// Matrix expansions per command line.
const MAX_EXPANSIONS: usize = 32;

/// A test runner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runner {
    Cargo,
    Nextest,
    Go,
    Pytest,
    Bun,
    Vitest,
    Jest,
    NodeTest,
    Bats,
}

/// One test runner command line CI runs.
#[derive(Debug, Clone)]
pub struct Invocation {
    pub runner: Runner,
    /// The runner's arguments (after `cargo test`, `go test`, `pytest`, …).
    pub args: Vec<String>,
    /// Working directory relative to the repository root (`""` = the root).
    pub cwd: String,
    /// Where it comes from, e.g. ``.github/workflows/ci.yml job `test` ``.
    pub source: String,
    /// The command as written, for messages.
    pub display: String,
    /// Set when the command runs only under a condition (`if:`, `rules:`, a shell `if`).
    pub condition: Option<String>,
    /// Set when part of the command could not be resolved (an expression, a variable).
    pub unresolved: Option<String>,
    /// The runner's OS (`linux`, `macos`, `windows`) when the job names it plainly.
    pub os: Option<&'static str>,
    /// `RUSTFLAGS` as the command sees it (None = not set).
    pub rustflags: Option<String>,
}

/// Everything read from the CI configuration.
#[derive(Debug, Clone, Default)]
pub struct CiConfig {
    /// CI files read (repository-relative).
    pub files: Vec<String>,
    pub invocations: Vec<Invocation>,
    /// Shell scripts CI executes (repository-relative), for `shell-test` items.
    pub scripts: Vec<String>,
    /// What CI runs that could not be read (a local action, an include, a missing script).
    pub opaque: Vec<String>,
}

/// Read the CI configuration of the repository at `root`.
pub fn read(root: &Path) -> CiConfig {
    let mut cfg = CiConfig::default();
    let wf = root.join(".github/workflows");
    let mut workflows: Vec<_> = std::fs::read_dir(&wf)
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "yml" || x == "yaml"))
                .collect()
        })
        .unwrap_or_default();
    workflows.sort();
    for p in workflows {
        let rel = rel_of(root, &p);
        match read_yaml(&p) {
            Ok(v) => {
                cfg.files.push(rel.clone());
                github(root, &rel, &v, &mut cfg);
            }
            Err(e) => cfg.opaque.push(format!("{rel} ({e})")),
        }
    }
    let gl = root.join(".gitlab-ci.yml");
    if gl.is_file() {
        match read_yaml(&gl) {
            Ok(v) => {
                cfg.files.push(".gitlab-ci.yml".into());
                gitlab(root, &v, &mut cfg);
            }
            Err(e) => cfg.opaque.push(format!(".gitlab-ci.yml ({e})")),
        }
    }
    // a CI entry script by convention (e.g. this repository's `.ci/run`), read like a job
    for entry in [
        ".ci/run",
        ".ci/run.sh",
        "ci/run.sh",
        "ci/test.sh",
        "scripts/ci.sh",
    ] {
        if root.join(entry).is_file() {
            cfg.files.push(entry.into());
            let ctx = Ctx {
                root,
                source: "CI entry script".into(),
                cwd: String::new(),
                env: BTreeMap::new(),
                matrix: Some(BTreeMap::new()),
                condition: None,
                depth: 0,
                os: None,
            };
            run_script_file(&ctx, entry, &mut cfg);
        }
    }
    for other in [
        ".circleci/config.yml",
        "Jenkinsfile",
        "azure-pipelines.yml",
        ".travis.yml",
        "bitbucket-pipelines.yml",
        ".drone.yml",
    ] {
        if root.join(other).is_file() {
            cfg.opaque
                .push(format!("{other} (this CI system is not read by dstplan)"));
        }
    }
    cfg.scripts.sort();
    cfg.scripts.dedup();
    cfg
}

fn rel_of(root: &Path, p: &Path) -> String {
    p.strip_prefix(root)
        .unwrap_or(p)
        .to_string_lossy()
        .replace('\\', "/")
}

fn budget() -> serde_saphyr::Budget {
    let mut b = serde_saphyr::Budget::default();
    b.max_reader_input_bytes = Some(MAX_CI_FILE as usize);
    b.max_events = 200_000;
    b.max_aliases = 256;
    b.max_anchors = 256;
    b.max_depth = 40;
    b.max_documents = 1;
    b.max_nodes = 100_000;
    b.max_total_scalar_bytes = MAX_CI_FILE as usize;
    b.max_merge_keys = 256;
    b
}

fn read_yaml(p: &Path) -> Result<Value, String> {
    let meta = std::fs::metadata(p).map_err(|e| e.to_string())?;
    if meta.len() > MAX_CI_FILE {
        return Err(format!("larger than {MAX_CI_FILE} bytes, not read"));
    }
    let text = std::fs::read_to_string(p).map_err(|e| e.to_string())?;
    let options = serde_saphyr::options! { budget: Some(budget()), emit_comments: false };
    serde_saphyr::from_str_with_options::<Value>(&text, options).map_err(|e| {
        format!(
            "not valid YAML: {}",
            e.to_string().lines().next().unwrap_or("")
        )
    })
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn env_of(v: Option<&Value>, into: &mut BTreeMap<String, String>) {
    if let Some(Value::Object(m)) = v {
        for (k, v) in m {
            if let Some(s) = scalar(v) {
                into.insert(k.clone(), s);
            }
        }
    }
}

/// Whether an `if:` condition always holds.
fn trivially_true(cond: &str) -> bool {
    let c = cond
        .trim()
        .trim_start_matches("${{")
        .trim_end_matches("}}")
        .trim();
    matches!(
        c,
        "true" | "always()" | "success()" | "!cancelled()" | "${{ true }}"
    )
}

/// Shell context while reading one script.
#[derive(Clone)]
struct Ctx<'a> {
    root: &'a Path,
    source: String,
    cwd: String,
    env: BTreeMap<String, String>,
    /// `matrix.X` → its values (plain lists only); `None` = a matrix that cannot be expanded.
    matrix: Option<BTreeMap<String, Vec<String>>>,
    condition: Option<String>,
    depth: usize,
    os: Option<&'static str>,
}

fn github(root: &Path, rel: &str, v: &Value, cfg: &mut CiConfig) {
    let mut wf_env = BTreeMap::new();
    env_of(v.get("env"), &mut wf_env);
    let wf_wd = v
        .pointer("/defaults/run/working-directory")
        .and_then(scalar);
    let Some(Value::Object(jobs)) = v.get("jobs") else {
        return;
    };
    for (name, job) in jobs {
        let source = format!("{rel} job `{name}`");
        if let Some(u) = job.get("uses").and_then(scalar) {
            if u.starts_with("./") && !u.starts_with("./.github/workflows/") {
                cfg.opaque.push(format!("{source} (calls {u})"));
            }
            continue;
        }
        let mut env = wf_env.clone();
        env_of(job.get("env"), &mut env);
        let matrix = match job.pointer("/strategy/matrix") {
            None => Some(BTreeMap::new()),
            Some(Value::Object(m)) => {
                let mut out = BTreeMap::new();
                let mut ok = true;
                for (k, v) in m {
                    if k == "include" || k == "exclude" {
                        ok = false;
                        continue;
                    }
                    match v {
                        Value::Array(a) => {
                            let vals: Vec<String> = a.iter().filter_map(scalar).collect();
                            if vals.len() == a.len() {
                                out.insert(k.clone(), vals);
                            }
                        }
                        _ => ok = false,
                    }
                }
                // include/exclude only matter when a command uses a key they may change
                if ok {
                    Some(out)
                } else {
                    Some(out).filter(|_| false)
                }
            }
            Some(_) => None,
        };
        let os = match job.get("runs-on").and_then(scalar) {
            Some(r) if r.contains("${{") => None,
            Some(r) if r.contains("ubuntu") || r.contains("linux") => Some("linux"),
            Some(r) if r.contains("macos") => Some("macos"),
            Some(r) if r.contains("windows") => Some("windows"),
            _ => None,
        };
        let job_cond = job
            .get("if")
            .and_then(scalar)
            .filter(|c| !trivially_true(c))
            .map(|c| format!("job `{name}` runs only if `{c}`"));
        let job_wd = job
            .pointer("/defaults/run/working-directory")
            .and_then(scalar)
            .or_else(|| wf_wd.clone());
        let Some(Value::Array(steps)) = job.get("steps") else {
            continue;
        };
        for (i, step) in steps.iter().enumerate() {
            let step_name = step
                .get("name")
                .and_then(scalar)
                .unwrap_or_else(|| format!("step {}", i + 1));
            let mut env = env.clone();
            env_of(step.get("env"), &mut env);
            let cond = step
                .get("if")
                .and_then(scalar)
                .filter(|c| !trivially_true(c))
                .map(|c| format!("step `{step_name}` runs only if `{c}`"))
                .or_else(|| job_cond.clone());
            if let Some(u) = step.get("uses").and_then(scalar) {
                if u.starts_with("./") {
                    cfg.opaque
                        .push(format!("{source} (uses the local action {u})"));
                } else if u.contains("cargo") {
                    let with = step.get("with");
                    if with
                        .and_then(|w| w.get("command"))
                        .and_then(scalar)
                        .as_deref()
                        == Some("test")
                    {
                        let args = with.and_then(|w| w.get("args")).and_then(scalar);
                        let line = format!("cargo test {}", args.unwrap_or_default());
                        let ctx = Ctx {
                            root,
                            source: source.clone(),
                            cwd: String::new(),
                            env,
                            matrix: matrix.clone(),
                            condition: cond,
                            depth: 0,
                            os,
                        };
                        script(&ctx, &line, cfg);
                    }
                }
                continue;
            }
            let Some(run) = step.get("run").and_then(scalar) else {
                continue;
            };
            let wd = step
                .get("working-directory")
                .and_then(scalar)
                .or_else(|| job_wd.clone())
                .unwrap_or_default();
            if wd.contains("${{") {
                env.insert(
                    "__cwd_unknown".into(),
                    format!("working-directory `{wd}` is an expression"),
                );
            }
            let ctx = Ctx {
                root,
                source: source.clone(),
                cwd: if wd.contains("${{") {
                    String::new()
                } else {
                    join_dir("", &wd)
                },
                env,
                matrix: matrix.clone(),
                condition: cond,
                depth: 0,
                os,
            };
            script(&ctx, &run, cfg);
        }
    }
}

const GITLAB_RESERVED: &[&str] = &[
    "stages",
    "variables",
    "default",
    "include",
    "workflow",
    "image",
    "services",
    "before_script",
    "after_script",
    "cache",
    "pages",
];

fn script_lines(v: Option<&Value>, out: &mut Vec<String>) {
    match v {
        Some(Value::String(s)) => out.push(s.clone()),
        Some(Value::Array(a)) => {
            for x in a {
                script_lines(Some(x), out);
            }
        }
        _ => {}
    }
}

fn gitlab(root: &Path, v: &Value, cfg: &mut CiConfig) {
    let Value::Object(top) = v else { return };
    if top.contains_key("include") {
        cfg.opaque
            .push(".gitlab-ci.yml (`include:` pulls in configuration not read)".into());
    }
    let mut env = BTreeMap::new();
    env_of(top.get("variables"), &mut env);
    let mut default_before = Vec::new();
    script_lines(
        top.get("before_script")
            .or_else(|| top.get("default").and_then(|d| d.get("before_script"))),
        &mut default_before,
    );
    for (name, job) in top {
        if name.starts_with('.') || GITLAB_RESERVED.contains(&name.as_str()) {
            continue;
        }
        let Value::Object(j) = job else { continue };
        let source = format!(".gitlab-ci.yml job `{name}`");
        let mut lines = Vec::new();
        script_lines(j.get("script"), &mut lines);
        if lines.is_empty() {
            if j.contains_key("extends") || j.contains_key("trigger") {
                cfg.opaque.push(format!(
                    "{source} (its script comes from `extends`/`trigger`)"
                ));
            }
            continue;
        }
        let mut before = Vec::new();
        script_lines(j.get("before_script"), &mut before);
        if !j.contains_key("before_script") {
            before = default_before.clone();
        }
        let mut jenv = env.clone();
        env_of(j.get("variables"), &mut jenv);
        let cond = if j.contains_key("rules") || j.contains_key("only") || j.contains_key("except")
        {
            Some(format!("job `{name}` runs only under its `rules`/`only`"))
        } else if j.get("when").and_then(scalar).as_deref() == Some("manual") {
            Some(format!("job `{name}` is manual"))
        } else {
            None
        };
        let ctx = Ctx {
            root,
            source,
            cwd: String::new(),
            env: jenv,
            matrix: if j.contains_key("parallel") {
                None
            } else {
                Some(BTreeMap::new())
            },
            condition: cond,
            depth: 0,
            os: Some("linux"),
        };
        let all: Vec<String> = before.into_iter().chain(lines).collect();
        script(&ctx, &all.join("\n"), cfg);
    }
}

/// `dir` joined to `base` (both repository-relative), normalised; `..` past the root stays.
pub fn join_dir(base: &str, dir: &str) -> String {
    let mut parts: Vec<&str> = if dir.starts_with('/') {
        Vec::new()
    } else {
        base.split('/').filter(|p| !p.is_empty()).collect()
    };
    for p in dir.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

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
fn script(ctx: &Ctx<'_>, text: &str, cfg: &mut CiConfig) {
    script_with(ctx, text, cfg, None);
}

fn script_with(
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
        });
    };
    let base = prog.rsplit('/').next().unwrap_or(&prog).to_string();
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

fn run_script_file(ctx: &Ctx<'_>, path: &str, cfg: &mut CiConfig) {
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

fn package_json(root: &Path, cwd: &str) -> Option<Value> {
    let p = root.join(cwd).join("package.json");
    let m = std::fs::metadata(&p).ok()?;
    if m.len() > MAX_CI_FILE {
        return None;
    }
    serde_json::from_str(&std::fs::read_to_string(p).ok()?).ok()
}

/// `npm run NAME [-- ARGS]`: run package.json's script with the extra arguments appended.
fn package_script(
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

fn make(state: &mut Ctx<'_>, ctx: &Ctx<'_>, args: &[String], cfg: &mut CiConfig) {
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

fn just(state: &mut Ctx<'_>, ctx: &Ctx<'_>, args: &[String], cfg: &mut CiConfig) {
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
    fn splits_commands_outside_quotes() {
        assert_eq!(
            split_commands("cd a && cargo test -- --skip 'x;y' | tee out # note"),
            vec!["cd a", "cargo test -- --skip 'x;y'", "tee out"]
        );
    }

    #[test]
    fn makefile_targets_and_variables() {
        let mk = read_makefile("GO ?= go\nTAGS := e2e\ntest: unit\n\t@$(GO) test -tags $(TAGS) ./...\nunit:\n\tgo test ./...\n");
        assert_eq!(mk.first.as_deref(), Some("test"));
        assert_eq!(mk.rules["test"].0, vec!["unit"]);
        assert_eq!(mk.vars["TAGS"], "e2e");
    }
}

#[cfg(test)]
mod gitlab_tests {
    use super::*;

    #[test]
    fn gitlab_jobs_follow_make_and_mark_rules_as_conditions() {
        let dir = std::env::temp_dir().join(format!("dstplan-gl-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join(".gitlab-ci.yml"),
            "variables:\n  PKGS: ./...\n.tmpl:\n  script: [go test ./x]\nunit:\n  script:\n    - make unit\nnightly:\n  rules:\n    - if: $CI_PIPELINE_SOURCE == \"schedule\"\n  script: go test -tags e2e $PKGS\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("Makefile"),
            "unit:\n\tcargo test -p kv -- --skip slow\n",
        )
        .unwrap();
        let cfg = read(&dir);
        std::fs::remove_dir_all(&dir).unwrap();
        let got: Vec<(Runner, Vec<String>, bool)> = cfg
            .invocations
            .iter()
            .map(|i| (i.runner, i.args.clone(), i.condition.is_some()))
            .collect();
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            got,
            vec![
                (Runner::Go, v(&["-tags", "e2e", "./..."]), true),
                (
                    Runner::Cargo,
                    v(&["-p", "kv", "--", "--skip", "slow"]),
                    false
                ),
            ]
        );
    }
}
