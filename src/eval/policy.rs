//! What an eval's mechanical command may do: split it into words (the `shlex` crate, POSIX
//! rules), allow only read-only `dstplan` subcommands, and keep every path inside the run
//! directory or the skill's fixtures.
//!
//! Grading runs commands that someone else wrote over output an agent produced, so the rule is
//! strict: a command can read, never write. `report` only with `--check`; no flag that writes
//! a file (`--html`, `--out`, `--fix`, `--force`); no `eval`, `install`, `new`, `session`, …
//! And every argument that names a path must resolve (symlinks followed) inside the run
//! directory or the fixture directory.

use std::path::{Component, Path, PathBuf};

/// Characters that only mean something to a shell. Commands run without one, so a word that
/// holds them is refused rather than passed on literally.
const SHELL_CHARS: [char; 7] = ['|', '>', '<', ';', '&', '`', '$'];

/// Split a command line into words with POSIX quoting (single quotes, double quotes,
/// backslash escapes). Refused: unbalanced quotes, a trailing backslash, a `#` comment (it
/// would silently drop the rest of the line), and shell operators.
pub fn split(line: &str) -> Result<Vec<String>, String> {
    let words = shlex::split(line)
        .ok_or("unbalanced quotes or a trailing backslash; close the quote or drop the `\\`")?;
    // shlex drops a `#` comment: compare with the line where `#` cannot start one.
    let literal = shlex::split(&line.replace('#', "\u{1}")).unwrap_or_default();
    if literal.len() != words.len() {
        return Err(
            "a word starting with `#` starts a shell comment that would drop the rest of the \
             command; quote it ('#…') if it is meant literally"
                .into(),
        );
    }
    for w in &words {
        if let Some(c) = w.chars().find(|c| SHELL_CHARS.contains(c)) {
            return Err(format!(
                "`{c}` is shell syntax; eval commands run without a shell, so pipes, \
                 redirections, `;`, `&&` and substitutions are not available, and no dstplan \
                 argument needs the character"
            ));
        }
    }
    Ok(words)
}

/// Flags that make a read-only command write a file.
const WRITING_FLAGS: [&str; 6] = ["--html", "--out", "--output", "--fix", "--force", "--write"];

/// The read-only commands: `(subcommand, sub-subcommand)`; `None` allows any (or none).
const READ_ONLY: [(&str, Option<&str>); 10] = [
    ("lint", None),
    ("rules", None),
    ("explain", None),
    ("vocab", None),
    ("inventory", None),
    ("completions", None),
    ("skills", Some("check")),
    ("history", Some("check")),
    ("history", Some("validate")),
    ("report", None),
];

/// Check that `args` (without the leading `dstplan`) is a read-only command. `report` must
/// carry `--check` (without it, it writes report.md and report.json).
pub fn check_read_only(args: &[String]) -> Result<(), String> {
    let how = "eval commands may only read (lint, rules, explain, vocab, inventory, skills \
               check, history check/validate, report --check), so grading never changes \
               files; see evals/README.md";
    // The words that name the command: not flags, and not the value of the global `--color`
    // (the only flag that can come before the subcommand).
    let mut positional: Vec<&str> = Vec::new();
    let mut words = args.iter().map(String::as_str);
    while let Some(a) = words.next() {
        if a == "--color" {
            words.next();
        } else if !a.starts_with('-') {
            positional.push(a);
        }
    }
    let Some(&sub) = positional.first() else {
        // `dstplan --version`, `dstplan --help`
        return Ok(());
    };
    let allowed = READ_ONLY
        .iter()
        .any(|(s, second)| *s == sub && second.is_none_or(|want| positional.get(1) == Some(&want)));
    if !allowed && sub != "help" {
        let what = match positional.get(1) {
            Some(next) if matches!(sub, "skills" | "history" | "session" | "eval") => {
                format!("{sub} {next}")
            }
            _ => sub.to_string(),
        };
        return Err(format!(
            "`dstplan {what}` can write files or run commands; {how}"
        ));
    }
    for a in args {
        let flag = a.split('=').next().unwrap_or(a);
        if WRITING_FLAGS.contains(&flag) {
            return Err(format!("`{flag}` writes a file; {how}"));
        }
    }
    if sub == "report" && !args.iter().any(|a| a == "--check") {
        return Err(format!(
            "`dstplan report` without `--check` writes report.md and report.json; add \
             `--check`; {how}"
        ));
    }
    Ok(())
}

/// Remove `.` and resolve `..` without touching the disk.
fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Where `path` really is: symlinks resolved for the part that exists, the rest lexical.
fn resolve(path: &Path) -> PathBuf {
    let lex = lexical(path);
    let mut existing = lex.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(c) = existing.canonicalize() {
            let mut out = c;
            for r in rest.iter().rev() {
                out.push(r);
            }
            return out;
        }
        match (existing.parent(), existing.file_name()) {
            (Some(p), Some(n)) => {
                rest.push(n.to_os_string());
                existing = p;
            }
            _ => return lex,
        }
    }
}

/// Whether a word is meant as a path: it has a separator, is `.`/`..`, or names something
/// that exists relative to the working directory.
fn looks_like_path(word: &str, cwd: &Path) -> bool {
    word.contains('/')
        || word.contains('\\')
        || word == "."
        || word == ".."
        || cwd.join(word).symlink_metadata().is_ok()
}

/// Check that every path among `args` (already substituted; flags' `=value` parts included)
/// resolves inside one of `roots`. `cwd` is where the command runs.
pub fn check_paths(args: &[String], cwd: &Path, roots: &[&Path]) -> Result<(), String> {
    let roots: Vec<PathBuf> = roots.iter().map(|r| resolve(r)).collect();
    for a in args {
        let value = match a.split_once('=') {
            Some((flag, v)) if flag.starts_with("--") => v,
            _ if a.starts_with('-') => continue,
            _ => a.as_str(),
        };
        if value.is_empty() || !looks_like_path(value, cwd) {
            continue;
        }
        let p = resolve(&cwd.join(value));
        if !roots.iter().any(|r| p.starts_with(r)) {
            return Err(format!(
                "`{value}` is outside the run directory and the skill's files/ (it resolves to \
                 {}); eval commands may only read the run ({{run}}, {{out}}) and the fixtures \
                 ({{files}})",
                p.display()
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        split(s).unwrap().into_iter().skip(1).collect()
    }

    #[test]
    fn splits_plain_and_quoted_words() {
        assert_eq!(
            split("dstplan lint  'a b'/x \"c \\\"d\\\"\" e\\ f").unwrap(),
            vec!["dstplan", "lint", "a b/x", "c \"d\"", "e f"]
        );
        assert_eq!(split("  ").unwrap(), Vec::<String>::new());
        assert_eq!(split("a ''").unwrap(), vec!["a", ""]);
        assert_eq!(split("dstplan lint 'x#1.md'").unwrap()[2], "x#1.md");
        assert_eq!(split("dstplan lint x#1.md").unwrap()[2], "x#1.md");
    }

    #[test]
    fn refuses_shell_operators_comments_and_bad_quotes() {
        for bad in [
            "dstplan lint x | head",
            "dstplan lint x > y",
            "dstplan lint x && rm y",
            "dstplan lint $(pwd)",
            "dstplan lint 'x",
            "dstplan lint \"x",
            "dstplan lint x\\",
            "dstplan lint #{out}",
        ] {
            assert!(split(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn only_read_only_commands_pass() {
        for ok in [
            "dstplan lint {out}",
            "dstplan lint {out}/plan.md --format concise",
            "dstplan report {out}/session --check",
            "dstplan history check h.jsonl --model register",
            "dstplan history validate h.jsonl",
            "dstplan skills check skills",
            "dstplan explain DST020",
            "dstplan --color never lint {out}",
            "dstplan --version",
        ] {
            assert_eq!(check_read_only(&words(ok)), Ok(()), "{ok}");
        }
        for bad in [
            "dstplan new --out /tmp/x --force",
            "dstplan report {out}/session",
            "dstplan report {out}/session --check --force",
            "dstplan history check h --model register --html /tmp/x.html",
            "dstplan history check h --model register --html=/tmp/x.html",
            "dstplan history record h",
            "dstplan install --agent all",
            "dstplan uninstall --agent all",
            "dstplan eval grade {run}",
            "dstplan session new",
            "dstplan finding new x",
            "dstplan scenario add p.md",
            "dstplan --color never new x",
        ] {
            assert!(check_read_only(&words(bad)).is_err(), "{bad}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn paths_must_stay_inside_the_roots() {
        let t = tempfile::tempdir().unwrap();
        let base = t.path().canonicalize().unwrap();
        let run = base.join("run");
        let files = base.join("files");
        std::fs::create_dir_all(run.join("out")).unwrap();
        std::fs::create_dir_all(&files).unwrap();
        std::fs::write(base.join("secret.md"), "x").unwrap();
        std::os::unix::fs::symlink(base.join("secret.md"), run.join("out/link.md")).unwrap();
        let cwd = run.join("out");
        let roots = [run.as_path(), files.as_path()];
        let check = |args: &[&str]| {
            let a: Vec<String> = args.iter().map(|s| s.to_string()).collect();
            check_paths(&a, &cwd, &roots)
        };
        assert!(check(&["lint", "plan.md"]).is_ok());
        assert!(check(&["lint", "."]).is_ok());
        assert!(check(&["lint", files.join("weak.md").to_str().unwrap()]).is_ok());
        assert!(check(&["explain", "DST020"]).is_ok());
        assert!(check(&["lint", "../../secret.md"]).is_err());
        assert!(check(&["lint", base.join("secret.md").to_str().unwrap()]).is_err());
        assert!(
            check(&["lint", "link.md"]).is_err(),
            "a symlink out is refused"
        );
        assert!(check(&["lint", "/etc"]).is_err());
        assert!(check(&["lint", "--config=/etc/x.toml"]).is_err());
    }
}
