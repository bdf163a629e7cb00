//! Test skeletons: one template per skeleton language (`vocab::SKELETON_LANGUAGES`).
//!
//! A skeleton is the `Skeleton:` code block of a scenario, and later the first version of the
//! test file in the SUT. It opens with a provenance header in the language's comment syntax
//! (plan path, scenario ID and name, claims it falsifies) so whoever meets the test file knows
//! which claim it exists to falsify. Inside the plan the header carries no hash: the plan would
//! have to contain its own hash. When a skeleton is written out into the SUT
//! ([`skeleton_file`]), the plan's sha256 is added, so a reviewer can tell whether the test was
//! made from the plan as it stands today.

use std::path::Path;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::templates::Templates;
use super::Error;
use crate::fsx;

/// A skeleton language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    Rust,
    Go,
    Python,
    TypeScript,
    Shell,
}

impl Language {
    /// Every language, in the vocabulary's order.
    pub const ALL: [Language; 5] = [
        Language::Rust,
        Language::Go,
        Language::Python,
        Language::TypeScript,
        Language::Shell,
    ];

    /// Parse a language name, case-insensitive; common short names (`rs`, `py`, `ts`, `sh`,
    /// `bash`, `golang`) are accepted.
    pub fn parse(s: &str) -> Option<Language> {
        match s.trim().to_ascii_lowercase().as_str() {
            "rust" | "rs" => Some(Language::Rust),
            "go" | "golang" => Some(Language::Go),
            "python" | "py" => Some(Language::Python),
            "typescript" | "ts" => Some(Language::TypeScript),
            "shell" | "sh" | "bash" => Some(Language::Shell),
            _ => None,
        }
    }

    /// The canonical name (`Skeleton language:` value).
    pub fn as_str(self) -> &'static str {
        match self {
            Language::Rust => "rust",
            Language::Go => "go",
            Language::Python => "python",
            Language::TypeScript => "typescript",
            Language::Shell => "shell",
        }
    }

    /// The template holding this language's skeleton.
    pub fn template(self) -> String {
        format!("skeletons/{}.j2", self.as_str())
    }

    /// A suggested test file path in the SUT for a scenario name.
    pub fn target_hint(self, name: &str) -> String {
        match self {
            Language::Rust => format!("tests/dst/{name}.rs"),
            Language::Go => format!("dst/{name}_test.go"),
            Language::Python => format!("tests/dst/test_{name}.py"),
            Language::TypeScript => format!("tests/dst/{name}.test.ts"),
            Language::Shell => format!("tests/dst/{name}_test.sh"),
        }
    }
}

/// What a skeleton's provenance header and names are made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkeletonCtx {
    /// The plan's path, relative to the repository root when there is one.
    pub plan_path: String,
    /// `S3`.
    pub scenario_id: String,
    /// The scenario's claim-shaped name (snake_case), or a placeholder.
    pub name: String,
    /// Claim IDs the scenario falsifies.
    pub claims: Vec<String>,
    /// The TypeScript test runner the repository uses (`bun:test`, `vitest`, `jest`,
    /// `node:test`; from `dstplan inventory`), None = unknown.
    pub ts_runner: Option<&'static str>,
}

#[derive(Serialize)]
struct Ctx<'a> {
    plan_path: &'a str,
    scenario_id: &'a str,
    name: &'a str,
    go_name: String,
    py_name: &'a str,
    claims: String,
    sha: Option<&'a str>,
    /// The module the TypeScript skeleton imports `test` from ("" = unknown).
    ts_module: &'a str,
}

/// `wait_confirmed_appends` → `WaitConfirmedAppends` (a placeholder stays as it is).
pub fn camel(name: &str) -> String {
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return name.to_string();
    }
    name.split('_')
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut cs = w.chars();
            match cs.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + cs.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// Render the skeleton for `lang` with the built-in templates. `with_sha` adds the plan's
/// sha256 to the provenance header (only for a skeleton written out into the SUT).
pub fn render_skeleton(
    lang: Language,
    ctx: &SkeletonCtx,
    with_sha: Option<&str>,
) -> Result<String, Error> {
    render_skeleton_with(&Templates::builtin(), lang, ctx, with_sha)
}

/// [`render_skeleton`] with a given template set (`--templates` overrides).
pub fn render_skeleton_with(
    templates: &Templates,
    lang: Language,
    ctx: &SkeletonCtx,
    with_sha: Option<&str>,
) -> Result<String, Error> {
    let py_name = ctx.name.strip_prefix("test_").unwrap_or(&ctx.name);
    let c = Ctx {
        plan_path: &ctx.plan_path,
        scenario_id: &ctx.scenario_id,
        name: &ctx.name,
        go_name: camel(&ctx.name),
        py_name,
        claims: ctx.claims.join(", "),
        sha: with_sha,
        ts_module: match ctx.ts_runner {
            Some("jest") => "@jest/globals",
            Some(r @ ("bun:test" | "vitest" | "node:test")) => r,
            _ => "",
        },
    };
    templates.render(&lang.template(), c)
}

/// Lowercase hex sha256 of the plan's bytes.
pub fn plan_sha256(plan: &[u8]) -> String {
    let digest = Sha256::digest(plan);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The text of a skeleton written out as a test file into the SUT: the provenance header
/// carries the sha256 of `plan_bytes`.
pub fn skeleton_file(
    templates: &Templates,
    lang: Language,
    ctx: &SkeletonCtx,
    plan_bytes: &[u8],
) -> Result<String, Error> {
    let sha = plan_sha256(plan_bytes);
    render_skeleton_with(templates, lang, ctx, Some(&sha))
}

/// Write [`skeleton_file`] to `target` (atomically, never over an existing file).
pub fn write_skeleton_file(
    templates: &Templates,
    target: &Path,
    lang: Language,
    ctx: &SkeletonCtx,
    plan_bytes: &[u8],
) -> Result<(), Error> {
    let text = skeleton_file(templates, lang, ctx, plan_bytes)?;
    fsx::write(target, text.as_bytes(), fsx::Overwrite::Never)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> SkeletonCtx {
        SkeletonCtx {
            plan_path: "testing-plans/x.md".into(),
            scenario_id: "S3".into(),
            name: "acked_writes_survive".into(),
            claims: vec!["C1".into(), "C3".into()],
            ts_runner: None,
        }
    }

    #[test]
    fn the_typescript_skeleton_imports_the_detected_runner() {
        let mut c = ctx();
        let vitest = render_skeleton(Language::TypeScript, &c, None).unwrap();
        assert!(vitest.contains("import { test } from \"vitest\"; // {{TODO:"));
        c.ts_runner = Some("bun:test");
        let bun = render_skeleton(Language::TypeScript, &c, None).unwrap();
        assert!(
            bun.contains("import { test } from \"bun:test\";\n"),
            "{bun}"
        );
        assert!(!bun.contains("vitest"), "{bun}");
        c.ts_runner = Some("jest");
        let jest = render_skeleton(Language::TypeScript, &c, None).unwrap();
        assert!(jest.contains("from \"@jest/globals\";"), "{jest}");
    }

    #[test]
    fn every_language_has_a_provenance_header_in_its_comment_syntax() {
        for lang in Language::ALL {
            let s = render_skeleton(lang, &ctx(), None).unwrap();
            let comment = match lang {
                Language::Rust => "//! ",
                Language::Go | Language::TypeScript => "// ",
                Language::Python => "",
                Language::Shell => "# ",
            };
            assert!(
                s.contains(&format!("{comment}plan: testing-plans/x.md")),
                "{lang:?}:\n{s}"
            );
            assert!(s.contains("S3"), "{lang:?}");
            assert!(s.contains("falsifies: C1, C3"), "{lang:?}");
            assert!(s.contains("{{TODO: "), "{lang:?}");
            assert!(!s.contains("sha256"), "{lang:?}");
            assert!(
                vocab_has(lang.as_str()),
                "{lang:?} is a vocabulary language"
            );
        }
    }

    fn vocab_has(l: &str) -> bool {
        crate::vocab::SKELETON_LANGUAGES.contains(&l)
    }

    #[test]
    fn writing_out_refuses_to_replace_an_existing_test() {
        let t = Templates::builtin();
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("tests/dst/acked.py");
        write_skeleton_file(&t, &target, Language::Python, &ctx(), b"v1").unwrap();
        let first = std::fs::read_to_string(&target).unwrap();
        assert!(first.contains(&format!("plan sha256: {}", plan_sha256(b"v1"))));
        assert!(first.contains("def test_acked_writes_survive():"));
        let err = write_skeleton_file(&t, &target, Language::Python, &ctx(), b"v2").unwrap_err();
        assert!(err.message.contains("already exists"), "{err}");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), first);
    }

    #[test]
    fn the_sha_appears_only_when_written_out() {
        let t = Templates::builtin();
        let s = skeleton_file(&t, Language::Go, &ctx(), b"plan").unwrap();
        assert!(s.contains(&format!("// plan sha256: {}", plan_sha256(b"plan"))));
        assert!(s.contains("func TestAckedWritesSurvive(t *testing.T)"));
    }
}
