//! The scaffold's templates: embedded in the binary, overridable file by file.
//!
//! Every template ships inside the binary (`include_str!`), so `dstplan new` works from any
//! directory. `--templates DIR` replaces any of them by a file of the same relative name in
//! `DIR` (`plan-project-wide.md.j2`, `scenario.md.j2`, `skeletons/rust.j2` …); templates the
//! directory does not hold keep their built-in text. This is mdBook's theme habit: a user
//! who wants a different §0 copies one file, not the whole set.
//!
//! Templates are minijinja with `trim_blocks` and `lstrip_blocks`, no auto-escaping (the
//! output is Markdown and source code), and strict undefined variables, so a typo in an
//! override is an error naming the template and line instead of an empty string in the plan.
//! One helper is registered: `todo(text)` renders the placeholder `{{TODO: text}}` — the only
//! form `dstplan lint` accepts as "left open on purpose" (plan-format.md, Placeholders).

use std::path::{Path, PathBuf};

use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use serde::Serialize;

use super::Error;

/// Name of the change-scoped plan template.
pub const PLAN_CHANGE_SCOPED: &str = "plan-change-scoped.md.j2";
/// Name of the project-wide plan template.
pub const PLAN_PROJECT_WIDE: &str = "plan-project-wide.md.j2";
/// Name of the scenario stub template.
pub const SCENARIO: &str = "scenario.md.j2";

/// Every built-in template: (name, text).
pub const BUILTIN: &[(&str, &str)] = &[
    (
        PLAN_CHANGE_SCOPED,
        include_str!("../../templates/plan-change-scoped.md.j2"),
    ),
    (
        PLAN_PROJECT_WIDE,
        include_str!("../../templates/plan-project-wide.md.j2"),
    ),
    (SCENARIO, include_str!("../../templates/scenario.md.j2")),
    (
        "skeletons/rust.j2",
        include_str!("../../templates/skeletons/rust.j2"),
    ),
    (
        "skeletons/go.j2",
        include_str!("../../templates/skeletons/go.j2"),
    ),
    (
        "skeletons/python.j2",
        include_str!("../../templates/skeletons/python.j2"),
    ),
    (
        "skeletons/typescript.j2",
        include_str!("../../templates/skeletons/typescript.j2"),
    ),
    (
        "skeletons/shell.j2",
        include_str!("../../templates/skeletons/shell.j2"),
    ),
];

/// The placeholder text for an open decision: `{{TODO: text}}`.
pub fn todo(text: &str) -> String {
    format!("{{{{TODO: {}}}}}", text.trim())
}

/// A template set: the built-ins, with the files of an override directory on top.
#[derive(Debug)]
pub struct Templates {
    env: Environment<'static>,
    unused: Vec<String>,
}

impl Templates {
    /// The built-in templates only.
    pub fn builtin() -> Self {
        Self::load(None).expect("built-in templates compile")
    }

    /// The built-in templates with every file of `dir` that has a built-in's name on top.
    /// An unreadable or malformed override is an error naming the file.
    pub fn load(dir: Option<&Path>) -> Result<Self, Error> {
        let mut env = Environment::new();
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        env.set_keep_trailing_newline(true);
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_auto_escape_callback(|_| AutoEscape::None);
        env.add_function("todo", |text: String| todo(&text));
        if let Some(d) = dir {
            if !d.is_dir() {
                return Err(Error::new(format!(
                    "templates directory {} does not exist or is not a directory; pass a directory holding files named like the built-ins ({})",
                    d.display(),
                    names().join(", ")
                )));
            }
        }
        for (name, text) in BUILTIN {
            let over: Option<PathBuf> = dir.map(|d| d.join(name)).filter(|p| p.is_file());
            let result = match &over {
                Some(p) => {
                    let src = std::fs::read_to_string(p).map_err(|e| {
                        Error::new(format!("cannot read template: {e}")).in_file(p, None)
                    })?;
                    env.add_template_owned(name.to_string(), src)
                }
                None => env.add_template(name, text),
            };
            result.map_err(|e| template_error(&e, over.as_deref(), name))?;
        }
        let unused = dir.map(unused_files).unwrap_or_default();
        Ok(Templates { env, unused })
    }

    /// Files in the override directory that match no built-in template's name (most likely
    /// a typo: they are not used).
    pub fn unused(&self) -> &[String] {
        &self.unused
    }

    /// Render the template `name` with `ctx`.
    pub fn render<S: Serialize>(&self, name: &str, ctx: S) -> Result<String, Error> {
        let t = self
            .env
            .get_template(name)
            .map_err(|e| template_error(&e, None, name))?;
        t.render(ctx).map_err(|e| template_error(&e, None, name))
    }
}

fn unused_files(dir: &Path) -> Vec<String> {
    let known = names();
    let mut out: Vec<String> = walkdir::WalkDir::new(dir)
        .max_depth(2)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| {
            let rel = e.path().strip_prefix(dir).ok()?;
            let rel = rel.to_string_lossy().replace('\\', "/");
            (!known.contains(&rel.as_str()) && !rel.starts_with('.')).then_some(rel)
        })
        .collect();
    out.sort();
    out
}

/// Names of all built-in templates.
pub fn names() -> Vec<&'static str> {
    BUILTIN.iter().map(|(n, _)| *n).collect()
}

fn template_error(e: &minijinja::Error, file: Option<&Path>, name: &str) -> Error {
    let mut msg = format!("template {name}: {}", e.kind());
    if let Some(d) = e.detail() {
        msg.push_str(": ");
        msg.push_str(d);
    }
    msg.push_str("; fix the template (or remove the override to use the built-in one)");
    let path = file
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(name));
    Error::new(msg).in_file(&path, e.line())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn todo_renders_the_placeholder_form() {
        assert_eq!(todo(" pick a model "), "{{TODO: pick a model}}");
    }

    #[test]
    fn unknown_override_files_are_reported() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("skeletons")).unwrap();
        std::fs::write(d.path().join("scenario.md.j2"), "### Scenario {{ id }}\n").unwrap();
        std::fs::write(d.path().join("skeletons/rust.jinja"), "x").unwrap();
        let t = Templates::load(Some(d.path())).unwrap();
        assert_eq!(t.unused(), ["skeletons/rust.jinja"]);
    }

    #[test]
    fn every_builtin_compiles() {
        let t = Templates::builtin();
        for n in names() {
            assert!(t.env.get_template(n).is_ok(), "{n}");
        }
    }
}
