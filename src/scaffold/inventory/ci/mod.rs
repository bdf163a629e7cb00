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

mod shell;
mod wrappers;

use shell::{run_script_file, script};

/// Files larger than this are not read as CI configuration.
pub(super) const MAX_CI_FILE: u64 = 1024 * 1024;
/// How deep wrappers (make → npm run → script …) are followed.
pub(super) const MAX_DEPTH: usize = 6;
/// Matrix expansions per command line.
pub(super) const MAX_EXPANSIONS: usize = 32;

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
    /// False when the working directory could not be resolved (then `cwd` is a guess).
    pub cwd_known: bool,
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

pub(super) fn rel_of(root: &Path, p: &Path) -> String {
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

pub(super) fn scalar(v: &Value) -> Option<String> {
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
            match scalar(v) {
                // an expression is known only at run time: the variable stays unknown
                Some(s) if !s.contains("${{") => {
                    into.insert(k.clone(), s);
                }
                _ => {
                    into.remove(k);
                }
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
pub(super) struct Ctx<'a> {
    pub(super) root: &'a Path,
    pub(super) source: String,
    pub(super) cwd: String,
    pub(super) env: BTreeMap<String, String>,
    /// `matrix.X` → its values (plain lists only); `None` = a matrix that cannot be expanded.
    pub(super) matrix: Option<BTreeMap<String, Vec<String>>>,
    pub(super) condition: Option<String>,
    pub(super) depth: usize,
    pub(super) os: Option<&'static str>,
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
            Some(Value::Object(m)) => plain_matrix(m),
            Some(_) => None,
        };
        let os_of = |r: &str| {
            if r.contains("ubuntu") || r.contains("linux") {
                Some("linux")
            } else if r.contains("macos") {
                Some("macos")
            } else if r.contains("windows") {
                Some("windows")
            } else {
                None
            }
        };
        let os = match job.get("runs-on").and_then(scalar) {
            // `${{ matrix.os }}`: known when every value names the same OS
            Some(r) if r.contains("${{") => {
                let key = r
                    .trim()
                    .strip_prefix("${{")
                    .and_then(|x| x.strip_suffix("}}"))
                    .and_then(|x| x.trim().strip_prefix("matrix."))
                    .map(str::to_string);
                let vals = key.and_then(|k| matrix.as_ref().and_then(|m| m.get(&k)).cloned());
                match vals.as_deref() {
                    Some([first, rest @ ..]) => {
                        let o = os_of(first);
                        if rest.iter().all(|x| os_of(x) == o) {
                            o
                        } else {
                            None
                        }
                    }
                    _ => None,
                }
            }
            Some(r) => os_of(&r),
            None => None,
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
                    let ctx = Ctx {
                        root,
                        source: format!("{source} → {u}"),
                        cwd: String::new(),
                        env: env.clone(),
                        matrix: matrix.clone(),
                        condition: cond.clone(),
                        depth: 1,
                        os,
                    };
                    local_action(&ctx, u.trim_start_matches("./"), cfg);
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

/// A matrix dstplan can expand: keys with plain lists of scalars, or a single `include`
/// entry and nothing else; None with `exclude`, several `include` entries or expressions.
fn plain_matrix(m: &serde_json::Map<String, Value>) -> Option<BTreeMap<String, Vec<String>>> {
    let mut out = BTreeMap::new();
    for (k, v) in m {
        match (k.as_str(), v) {
            ("include", Value::Array(a)) if a.len() == 1 && m.len() == 1 => {
                let Value::Object(entry) = &a[0] else {
                    return None;
                };
                for (k, v) in entry {
                    out.insert(k.clone(), vec![scalar(v)?]);
                }
            }
            ("include" | "exclude", _) => return None,
            (_, Value::Array(a)) => {
                let vals: Vec<String> = a.iter().filter_map(scalar).collect();
                if vals.len() != a.len() {
                    return None;
                }
                out.insert(k.clone(), vals);
            }
            _ => return None,
        }
    }
    Some(out)
}

/// A local composite action (`uses: ./path`): its `run:` steps, read like the job's own.
fn local_action(ctx: &Ctx<'_>, dir: &str, cfg: &mut CiConfig) {
    let base = ctx.root.join(dir);
    let file = ["action.yml", "action.yaml"]
        .iter()
        .map(|f| base.join(f))
        .find(|p| p.is_file());
    let Some(v) = file.and_then(|f| read_yaml(&f).ok()) else {
        cfg.opaque
            .push(format!("{} (the local action is not readable)", ctx.source));
        return;
    };
    if v.pointer("/runs/using").and_then(scalar).as_deref() != Some("composite") {
        cfg.opaque.push(format!(
            "{} (a local action that is not composite)",
            ctx.source
        ));
        return;
    }
    let Some(Value::Array(steps)) = v.pointer("/runs/steps") else {
        return;
    };
    for step in steps {
        let mut inner = ctx.clone();
        env_of(step.get("env"), &mut inner.env);
        if let Some(c) = step
            .get("if")
            .and_then(scalar)
            .filter(|c| !trivially_true(c))
        {
            inner.condition = Some(format!("a step of {} runs only if `{c}`", ctx.source));
        }
        if let Some(u) = step.get("uses").and_then(scalar) {
            if u.starts_with("./") && ctx.depth < MAX_DEPTH {
                inner.depth += 1;
                local_action(&inner, u.trim_start_matches("./"), cfg);
            }
            continue;
        }
        let Some(run) = step.get("run").and_then(scalar) else {
            continue;
        };
        if let Some(wd) = step.get("working-directory").and_then(scalar) {
            if wd.contains("${{") {
                inner.env.insert(
                    "__cwd_unknown".into(),
                    format!("working-directory `{wd}` is an expression"),
                );
            } else {
                inner.cwd = join_dir("", &wd);
            }
        }
        script(&inner, &run, cfg);
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

/// A GitLab job with its `extends` applied in GitLab's order (each template in turn, then
/// the job's own keys, later ones winning), with `variables` merged key by key. None when a
/// template is not in this file.
fn extended(
    top: &serde_json::Map<String, Value>,
    job: &serde_json::Map<String, Value>,
    depth: usize,
) -> Option<serde_json::Map<String, Value>> {
    let names: Vec<String> = match job.get("extends") {
        None => return Some(job.clone()),
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a.iter().filter_map(scalar).collect(),
        Some(_) => return None,
    };
    if depth > 10 {
        return None;
    }
    let mut out = serde_json::Map::new();
    let mut vars = serde_json::Map::new();
    let mut layers = Vec::new();
    for n in &names {
        let Some(Value::Object(t)) = top.get(n) else {
            return None;
        };
        layers.push(extended(top, t, depth + 1)?);
    }
    layers.push(job.clone());
    for layer in layers {
        for (k, v) in layer {
            if k == "variables" {
                if let Value::Object(m) = v {
                    vars.extend(m);
                }
            } else if k != "extends" {
                out.insert(k, v);
            }
        }
    }
    if !vars.is_empty() {
        out.insert("variables".into(), Value::Object(vars));
    }
    Some(out)
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
        let Value::Object(own) = job else { continue };
        let source = format!(".gitlab-ci.yml job `{name}`");
        let Some(j) = extended(top, own, 0) else {
            cfg.opaque.push(format!(
                "{source} (`extends` names a job this file does not define)"
            ));
            continue;
        };
        let j = &j;
        let mut lines = Vec::new();
        script_lines(j.get("script"), &mut lines);
        if lines.is_empty() {
            if j.contains_key("trigger") {
                cfg.opaque
                    .push(format!("{source} (triggers another pipeline)"));
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

#[cfg(test)]
mod gitlab_tests {
    use super::*;

    #[test]
    fn gitlab_jobs_follow_make_and_mark_rules_as_conditions() {
        let dir = std::env::temp_dir().join(format!("dstplan-gl-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join(".gitlab-ci.yml"),
            "variables:\n  PKGS: ./...\n.tmpl:\n  script: [go test ./x]\nunit:\n  script:\n    - make unit\nextended:\n  extends: .tmpl\n  variables:\n    X: \"1\"\nnightly:\n  rules:\n    - if: $CI_PIPELINE_SOURCE == \"schedule\"\n  script: go test -tags e2e $PKGS\n",
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
                (Runner::Go, v(&["./x"]), false),
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
