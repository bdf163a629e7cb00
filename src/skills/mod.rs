//! Checks for Agent Skills packs (`dstplan skills check`).
//!
//! A skill is a directory holding `SKILL.md`: strict YAML front matter between two `---` lines,
//! then Markdown. The rules are those of the Agent Skills format (name, description, known
//! keys, relative links that resolve) plus one of ours: `metadata.version` equals the version of
//! this binary, so a skill pack and the CLI it names move together. Nothing here prints or
//! writes; the command in `cli/skills.rs` renders the [`Issue`]s.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// The front-matter keys the Agent Skills format defines.
pub const KNOWN_KEYS: &[&str] = &[
    "name",
    "description",
    "license",
    "compatibility",
    "metadata",
    "allowed-tools",
];

/// Longest allowed `name`.
pub const NAME_MAX: usize = 64;
/// Longest allowed `description`.
pub const DESCRIPTION_MAX: usize = 1024;
/// Longest allowed `compatibility`.
pub const COMPATIBILITY_MAX: usize = 500;
/// Above this many lines, a SKILL.md is too long to load whole (advice, a warning).
pub const BODY_LINES_ADVICE: usize = 500;

/// How serious an [`Issue`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    /// The lower-case name used in output.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One problem found in a skill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub severity: Severity,
    pub path: PathBuf,
    /// 1-based line, when the problem has a place.
    pub line: Option<usize>,
    pub message: String,
}

impl Issue {
    fn error(path: &Path, line: Option<usize>, message: impl Into<String>) -> Self {
        Issue {
            severity: Severity::Error,
            path: path.to_path_buf(),
            line,
            message: message.into(),
        }
    }

    fn warning(path: &Path, line: Option<usize>, message: impl Into<String>) -> Self {
        Issue {
            severity: Severity::Warning,
            path: path.to_path_buf(),
            line,
            message: message.into(),
        }
    }
}

/// The front matter of a skill, as far as it could be read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Frontmatter {
    pub name: Option<String>,
    pub description: Option<String>,
    /// `metadata.version`, when present and a string.
    pub version: Option<String>,
}

/// The outcome of checking one skill directory.
#[derive(Debug, Clone)]
pub struct SkillReport {
    pub dir: PathBuf,
    pub frontmatter: Frontmatter,
    pub issues: Vec<Issue>,
}

/// Why a pack could not be checked at all (exit 2): the library error.
pub use crate::error::Error as CheckError;

/// The skill directories under `dir`: `dir` itself when it holds a `SKILL.md`, otherwise every
/// immediate subdirectory that holds one, sorted by name.
pub fn discover(dir: &Path) -> Result<Vec<PathBuf>, CheckError> {
    let meta = fs::metadata(dir).map_err(|e| {
        CheckError::new(format!(
            "cannot read {}: {e}; pass the directory that holds the skills (default: ./skills)",
            dir.display()
        ))
    })?;
    if !meta.is_dir() {
        return Err(CheckError::new(format!(
            "{} is not a directory; pass a skills directory or one skill's directory",
            dir.display()
        )));
    }
    if dir.join("SKILL.md").is_file() {
        return Ok(vec![dir.to_path_buf()]);
    }
    let entries = fs::read_dir(dir)
        .map_err(|e| CheckError::new(format!("cannot list {}: {e}", dir.display())))?;
    let mut out = Vec::new();
    for entry in entries {
        let entry =
            entry.map_err(|e| CheckError::new(format!("cannot list {}: {e}", dir.display())))?;
        let p = entry.path();
        if p.is_dir() && p.join("SKILL.md").is_file() {
            out.push(p);
        }
    }
    out.sort();
    if out.is_empty() {
        return Err(CheckError::new(format!(
            "no skills found in {}: neither it nor any directory directly below it holds a SKILL.md",
            dir.display()
        )));
    }
    Ok(out)
}

/// Check every skill under `dir` (see [`discover`]) against the rules, with `version` the
/// version every `metadata.version` must equal.
pub fn check_pack(dir: &Path, version: &str) -> Result<Vec<SkillReport>, CheckError> {
    let mut reports = Vec::new();
    for skill in discover(dir)? {
        reports.push(check_skill(&skill, version)?);
    }
    Ok(reports)
}

/// Check one skill directory.
pub fn check_skill(dir: &Path, version: &str) -> Result<SkillReport, CheckError> {
    let path = dir.join("SKILL.md");
    let bytes = fs::read(&path)
        .map_err(|e| CheckError::new(format!("cannot read {}: {e}", path.display())))?;
    let mut issues = Vec::new();
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(_) => {
            issues.push(Issue::error(
                &path,
                None,
                "SKILL.md is not valid UTF-8; save it as UTF-8",
            ));
            return Ok(SkillReport {
                dir: dir.to_path_buf(),
                frontmatter: Frontmatter::default(),
                issues,
            });
        }
    };
    let dir_name = dir
        .canonicalize()
        .unwrap_or_else(|_| dir.to_path_buf())
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (frontmatter, body_start) =
        check_frontmatter(&path, &text, &dir_name, version, &mut issues);

    let lines = text.lines().count();
    if lines > BODY_LINES_ADVICE {
        issues.push(Issue::warning(
            &path,
            None,
            format!(
                "SKILL.md has {lines} lines; keep it under {BODY_LINES_ADVICE} and move detail into reference files linked from it"
            ),
        ));
    }
    check_links(&path, &text, body_start, &mut issues);
    // Every other Markdown file of the skill must have working relative links too.
    for md in markdown_files(dir) {
        if md == path {
            continue;
        }
        match fs::read_to_string(&md) {
            Ok(t) => check_links(&md, &t, 0, &mut issues),
            Err(e) => issues.push(Issue::error(&md, None, format!("cannot read: {e}"))),
        }
    }
    issues.sort_by(|a, b| (&a.path, a.line, a.severity).cmp(&(&b.path, b.line, b.severity)));
    Ok(SkillReport {
        dir: dir.to_path_buf(),
        frontmatter,
        issues,
    })
}

/// Split off the front matter: `(yaml, first line number of the yaml, byte offset of the body)`.
fn split_frontmatter(text: &str) -> Option<(&str, usize)> {
    let rest = text
        .strip_prefix("---\n")
        .or_else(|| text.strip_prefix("---\r\n"))?;
    let mut offset = text.len() - rest.len();
    for line in rest.split_inclusive('\n') {
        if line.trim_end_matches(['\r', '\n']) == "---" {
            let yaml = &text[text.len() - rest.len()..offset];
            return Some((yaml, offset + line.len()));
        }
        offset += line.len();
    }
    None
}

/// Read and check the front matter; returns what was read and the byte offset of the body.
fn check_frontmatter(
    path: &Path,
    text: &str,
    dir_name: &str,
    version: &str,
    issues: &mut Vec<Issue>,
) -> (Frontmatter, usize) {
    let mut fm = Frontmatter::default();
    let Some((yaml, body_start)) = split_frontmatter(text) else {
        issues.push(Issue::error(
            path,
            Some(1),
            "SKILL.md must start with YAML front matter: a `---` line, `name:` and `description:`, then a closing `---` line",
        ));
        return (fm, 0);
    };
    let value: serde_json::Value = match serde_saphyr::from_str(yaml) {
        Ok(v) => v,
        Err(e) => {
            let msg = e.to_string();
            let first = msg.lines().next().unwrap_or("").to_string();
            issues.push(Issue::error(
                path,
                Some(2),
                format!("front matter is not valid YAML: {first}; quote values that contain `: ` or start with a special character"),
            ));
            return (fm, body_start);
        }
    };
    let Some(map) = value.as_object() else {
        issues.push(Issue::error(
            path,
            Some(2),
            "front matter must be a YAML mapping of keys to values (name, description, …)",
        ));
        return (fm, body_start);
    };
    let line_of = |key: &str| -> Option<usize> {
        yaml.lines()
            .position(|l| l.starts_with(&format!("{key}:")))
            .map(|i| i + 2)
    };
    for key in map.keys() {
        if !KNOWN_KEYS.contains(&key.as_str()) {
            issues.push(Issue::error(
                path,
                line_of(key),
                format!(
                    "unknown front-matter key `{key}`; the allowed keys are {}; put extra data under `metadata`",
                    KNOWN_KEYS.join(", ")
                ),
            ));
        }
    }

    // name
    match map.get("name") {
        None => issues.push(Issue::error(
            path,
            Some(1),
            format!("front matter has no `name`; add `name: {dir_name}`"),
        )),
        Some(serde_json::Value::String(name)) => {
            for problem in name_problems(name) {
                issues.push(Issue::error(path, line_of("name"), problem));
            }
            if name != dir_name {
                issues.push(Issue::error(
                    path,
                    line_of("name"),
                    format!("`name` is `{name}` but the directory is `{dir_name}`; they must be equal (rename one)"),
                ));
            }
            fm.name = Some(name.clone());
        }
        Some(_) => issues.push(Issue::error(
            path,
            line_of("name"),
            "`name` must be a string",
        )),
    }

    // description
    match map.get("description") {
        None => issues.push(Issue::error(
            path,
            Some(1),
            "front matter has no `description`; say what the skill does and when to use it (1–1024 characters)",
        )),
        Some(serde_json::Value::String(d)) => {
            let n = d.chars().count();
            if d.trim().is_empty() {
                issues.push(Issue::error(
                    path,
                    line_of("description"),
                    "`description` is empty; say what the skill does and when to use it",
                ));
            } else if n > DESCRIPTION_MAX {
                issues.push(Issue::error(
                    path,
                    line_of("description"),
                    format!("`description` has {n} characters; the limit is {DESCRIPTION_MAX}"),
                ));
            }
            fm.description = Some(d.clone());
        }
        Some(_) => issues.push(Issue::error(
            path,
            line_of("description"),
            "`description` must be a string",
        )),
    }

    for key in ["license", "compatibility", "allowed-tools"] {
        if let Some(v) = map.get(key) {
            if !v.is_string() {
                issues.push(Issue::error(
                    path,
                    line_of(key),
                    format!("`{key}` must be a string"),
                ));
            }
        }
    }
    if let Some(serde_json::Value::String(c)) = map.get("compatibility") {
        let n = c.chars().count();
        if c.trim().is_empty() || n > COMPATIBILITY_MAX {
            issues.push(Issue::error(
                path,
                line_of("compatibility"),
                format!("`compatibility` must be 1–{COMPATIBILITY_MAX} characters (it has {n})"),
            ));
        }
    }

    // metadata: a map of strings; metadata.version equals the binary's version
    match map.get("metadata") {
        None => issues.push(Issue::error(
            path,
            Some(1),
            format!("front matter has no `metadata`; add `metadata: {{version: \"{version}\"}}`"),
        )),
        Some(serde_json::Value::Object(meta)) => {
            for (k, v) in meta {
                if !v.is_string() {
                    issues.push(Issue::error(
                        path,
                        line_of("metadata"),
                        format!("`metadata.{k}` must be a string (quote it: `{k}: \"…\"`)"),
                    ));
                }
            }
            match meta.get("version") {
                Some(serde_json::Value::String(v)) => {
                    if v != version {
                        issues.push(Issue::error(
                            path,
                            line_of("metadata"),
                            format!("`metadata.version` is \"{v}\" but this dstplan is {version}; set it to \"{version}\" (skills and CLI are released together)"),
                        ));
                    }
                    fm.version = Some(v.clone());
                }
                Some(_) => {}
                None => issues.push(Issue::error(
                    path,
                    line_of("metadata"),
                    format!("`metadata` has no `version`; add `version: \"{version}\"`"),
                )),
            }
        }
        Some(_) => issues.push(Issue::error(
            path,
            line_of("metadata"),
            "`metadata` must be a mapping of string keys to string values",
        )),
    }
    (fm, body_start)
}

/// What is wrong with a skill name under the Agent Skills rules (empty when nothing).
pub fn name_problems(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let n = name.chars().count();
    if n == 0 || n > NAME_MAX {
        out.push(format!(
            "`name` must be 1–{NAME_MAX} characters (it has {n})"
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        out.push(format!(
            "`name` may hold only lowercase letters, digits and hyphens; `{c}` is not allowed"
        ));
    }
    if name.starts_with('-') || name.ends_with('-') {
        out.push("`name` may not start or end with a hyphen".into());
    }
    if name.contains("--") {
        out.push("`name` may not contain two hyphens in a row".into());
    }
    out
}

/// Every `.md` file under a skill directory, sorted.
fn markdown_files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .follow_links(false)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    out.sort();
    out
}

/// Check that every relative link and image in the Markdown resolves to an existing file.
fn check_links(path: &Path, text: &str, body_start: usize, issues: &mut Vec<Issue>) {
    use pulldown_cmark::{Event, Parser, Tag};
    let base = path.parent().unwrap_or(Path::new("."));
    let body = &text[body_start..];
    let first_line = text[..body_start].lines().count();
    let mut seen = BTreeSet::new();
    for (event, range) in Parser::new(body).into_offset_iter() {
        let dest = match event {
            Event::Start(Tag::Link { dest_url, .. })
            | Event::Start(Tag::Image { dest_url, .. }) => dest_url.to_string(),
            _ => continue,
        };
        if is_external(&dest) {
            continue;
        }
        let target = dest.split(['#', '?']).next().unwrap_or("");
        if target.is_empty() {
            continue;
        }
        let line = first_line + body[..range.start].matches('\n').count() + 1;
        if !seen.insert((target.to_string(), line)) {
            continue;
        }
        if Path::new(target).is_absolute() {
            issues.push(Issue::error(
                path,
                Some(line),
                format!("link `{dest}` is an absolute path; link relative to this file so the skill works wherever it is installed"),
            ));
            continue;
        }
        // Markdown link targets are URLs: `%20`, `%23` (`#`), `%C3%A9` … all decode. A
        // sequence that does not decode to UTF-8 is a broken link.
        let decoded = match percent_encoding::percent_decode_str(target).decode_utf8() {
            Ok(d) => d.into_owned(),
            Err(_) => {
                issues.push(Issue::error(
                    path,
                    Some(line),
                    format!("link `{dest}` percent-decodes to bytes that are not UTF-8; fix its %XX escapes"),
                ));
                continue;
            }
        };
        if !base.join(&decoded).exists() {
            issues.push(Issue::error(
                path,
                Some(line),
                format!(
                    "link `{dest}` does not resolve: {} does not exist",
                    base.join(&decoded).display()
                ),
            ));
        } else if path.file_name().is_some_and(|n| n == "SKILL.md") {
            // Agents load referenced files on demand; keep them one level below SKILL.md.
            let parts: Vec<_> = Path::new(&decoded)
                .components()
                .filter(|c| !matches!(c, std::path::Component::CurDir))
                .collect();
            let inside = !matches!(parts.first(), Some(std::path::Component::ParentDir));
            if inside && parts.len() > 2 {
                issues.push(Issue::warning(
                    path,
                    Some(line),
                    format!("link `{dest}` is nested {} levels deep; keep files referenced from SKILL.md one level deep (for example references/{})", parts.len() - 1, parts.last().map(|c| c.as_os_str().to_string_lossy()).unwrap_or_default()),
                ));
            }
        }
    }
}

fn is_external(dest: &str) -> bool {
    if dest.starts_with('#') || dest.starts_with("//") {
        return true;
    }
    // a URL scheme: letters, digits, +, -, . followed by ':'
    match dest.find(':') {
        Some(i) if i > 1 => dest[..i]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '-' || c == '.'),
        _ => false,
    }
}

/// Read only the front matter of a `SKILL.md` (for installed-skill version checks): `None`
/// when it cannot be read.
pub fn read_frontmatter(skill_md: &Path) -> Option<Frontmatter> {
    let text = fs::read_to_string(skill_md).ok()?;
    let (yaml, _) = split_frontmatter(&text)?;
    let value: serde_json::Value = serde_saphyr::from_str(yaml).ok()?;
    let s = |k: &str| value.get(k).and_then(|v| v.as_str()).map(str::to_string);
    Some(Frontmatter {
        name: s("name"),
        description: s("description"),
        version: value
            .get("metadata")
            .and_then(|m| m.get("version"))
            .and_then(|v| v.as_str())
            .map(str::to_string),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn skill(root: &Path, name: &str, skill_md: &str) -> PathBuf {
        let d = root.join(name);
        fs::create_dir_all(&d).unwrap();
        fs::write(d.join("SKILL.md"), skill_md).unwrap();
        d
    }

    fn messages(r: &SkillReport) -> Vec<String> {
        r.issues
            .iter()
            .map(|i| format!("{}: {}", i.severity.as_str(), i.message))
            .collect()
    }

    #[test]
    fn a_good_skill_has_no_issues() {
        let t = tempfile::tempdir().unwrap();
        let d = skill(
            t.path(),
            "good-skill",
            "---\nname: good-skill\ndescription: Does a thing. Use when a thing is needed.\nmetadata:\n  version: \"1.2.3\"\nlicense: MIT\n---\n# Good\n\nSee [the ref](references/x.md) and [web](https://example.com).\n",
        );
        fs::create_dir_all(d.join("references")).unwrap();
        fs::write(d.join("references/x.md"), "# x\n[back](../SKILL.md)\n").unwrap();
        let r = check_skill(&d, "1.2.3").unwrap();
        assert!(r.issues.is_empty(), "{:?}", messages(&r));
        assert_eq!(r.frontmatter.version.as_deref(), Some("1.2.3"));
    }

    #[test]
    fn names_follow_the_rules() {
        assert!(name_problems("abc-1").is_empty());
        assert_eq!(name_problems("Abc").len(), 1);
        assert_eq!(name_problems("-abc").len(), 1);
        assert_eq!(name_problems("a--b").len(), 1);
        assert_eq!(name_problems("").len(), 1);
        assert_eq!(name_problems(&"a".repeat(65)).len(), 1);
    }

    #[test]
    fn every_rule_fires_on_a_bad_skill() {
        let t = tempfile::tempdir().unwrap();
        let long: String = "line\n".repeat(510);
        let d = skill(
            t.path(),
            "bad-skill",
            &format!("---\nname: Bad_Skill\ndescription: \"\"\ntools: x\nmetadata:\n  version: \"0.0.1\"\n---\n[gone](references/missing.md)\n[abs](/etc/passwd)\n{long}"),
        );
        fs::create_dir_all(d.join("references/deep")).unwrap();
        fs::write(d.join("references/deep/x.md"), "x").unwrap();
        let md = fs::read_to_string(d.join("SKILL.md")).unwrap();
        fs::write(
            d.join("SKILL.md"),
            md.replace("[abs]", "[deep](references/deep/x.md)\n[abs]"),
        )
        .unwrap();
        let r = check_skill(&d, "1.0.0").unwrap();
        let all = messages(&r).join("\n");
        for needle in [
            "unknown front-matter key `tools`",
            "may hold only lowercase",
            "the directory is `bad-skill`",
            "`description` is empty",
            "`metadata.version` is \"0.0.1\"",
            "references/missing.md` does not resolve",
            "absolute path",
            "warning: SKILL.md has",
            "warning: link `references/deep/x.md` is nested 2 levels deep",
        ] {
            assert!(all.contains(needle), "missing {needle:?} in\n{all}");
        }
    }

    #[test]
    fn invalid_yaml_and_missing_frontmatter_are_errors_not_panics() {
        let t = tempfile::tempdir().unwrap();
        let d = skill(
            t.path(),
            "s",
            "---\nname: s\ndescription: use this: when: broken\n  - x\n---\nbody\n",
        );
        let r = check_skill(&d, "1").unwrap();
        assert!(
            messages(&r).join("\n").contains("not valid YAML"),
            "{:?}",
            messages(&r)
        );
        let d2 = skill(t.path(), "s2", "# no front matter\n");
        let r2 = check_skill(&d2, "1").unwrap();
        assert!(messages(&r2)[0].contains("must start with YAML front matter"));
        let d3 = skill(
            t.path(),
            "s3",
            "---\nname: s3\nname: s3\ndescription: d\nmetadata: {version: \"1\"}\n---\n",
        );
        let r3 = check_skill(&d3, "1").unwrap();
        assert!(
            messages(&r3).join("\n").contains("not valid YAML"),
            "{:?}",
            messages(&r3)
        );
    }

    #[test]
    fn discover_takes_one_skill_or_a_pack_and_refuses_an_empty_dir() {
        let t = tempfile::tempdir().unwrap();
        assert!(discover(t.path())
            .unwrap_err()
            .message
            .contains("no skills found"));
        let a = skill(t.path(), "a", "x");
        skill(t.path(), "b", "x");
        assert_eq!(discover(t.path()).unwrap().len(), 2);
        assert_eq!(discover(&a).unwrap(), vec![a.clone()]);
        assert!(discover(&t.path().join("nope")).is_err());
    }
}
