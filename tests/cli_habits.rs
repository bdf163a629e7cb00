//! Linter habits through the binary: `--color auto|always|never` on every command (auto
//! honours NO_COLOR, CLICOLOR_FORCE and whether the stream is a terminal), shell completions,
//! and no progress line when stderr is not a terminal.

mod common;
use common::*;

const MIXED: &str = "tests/fixtures/plans/formats/mixed.md";
const ESC: &str = "\x1b[";

fn with_env(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut c = bin();
    c.args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

#[test]
fn color_always_colours_even_into_a_pipe() {
    let o = run(&["lint", "--color", "always", MIXED]);
    assert_exit(&o, 1);
    assert!(stdout(&o).contains(ESC), "{}", stdout(&o));
    // the flag is global: before the subcommand too
    let o = run(&["--color=always", "lint", MIXED]);
    assert!(stdout(&o).contains(ESC));
}

#[test]
fn color_never_wins_over_clicolor_force() {
    let o = with_env(
        &["lint", "--color", "never", MIXED],
        &[("CLICOLOR_FORCE", "1")],
    );
    assert_exit(&o, 1);
    assert!(!stdout(&o).contains(ESC), "{}", stdout(&o));
    let o = with_env(
        &["explain", "NOPE", "--color", "never"],
        &[("CLICOLOR_FORCE", "1")],
    );
    assert_exit(&o, 2);
    assert!(stderr(&o).starts_with("error: "), "{}", stderr(&o));
}

#[test]
fn color_auto_is_plain_into_a_pipe_and_follows_the_environment() {
    // the default is auto; a pipe is not a terminal
    let o = run(&["lint", MIXED]);
    assert!(!stdout(&o).contains(ESC), "{}", stdout(&o));
    let o = run(&["lint", "--color", "auto", MIXED]);
    assert!(!stdout(&o).contains(ESC));
    // CLICOLOR_FORCE forces it in auto, NO_COLOR turns it off again
    let o = with_env(&["lint", MIXED], &[("CLICOLOR_FORCE", "1")]);
    assert!(stdout(&o).contains(ESC), "{}", stdout(&o));
    let o = with_env(
        &["lint", MIXED],
        &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")],
    );
    assert!(!stdout(&o).contains(ESC));
}

#[test]
fn errors_are_coloured_only_when_asked() {
    let o = run(&["explain", "NOPE", "--color", "always"]);
    assert_exit(&o, 2);
    assert!(
        stderr(&o).contains(ESC) && stderr(&o).contains("error:"),
        "{}",
        stderr(&o)
    );
    let o = run(&["explain", "NOPE"]);
    assert!(stderr(&o).starts_with("error: "), "{}", stderr(&o));
}

#[test]
fn every_command_takes_color_and_bad_values_are_exit_2() {
    for args in [
        &["vocab", "--color", "never"][..],
        &["rules", "--color", "always"],
        &["explain", "DST020", "--color", "auto"],
        &["skills", "check", "skills", "--color", "never"],
        &["completions", "bash", "--color", "never"],
        &[
            "history",
            "validate",
            "tests/fixtures/sessions/clean/artifacts/S1/history.jsonl",
            "--color",
            "never",
        ],
    ] {
        let o = run(args);
        assert_exit(&o, 0);
    }
    let o = run(&["rules", "--color", "sometimes"]);
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("sometimes"), "{}", stderr(&o));
}

#[test]
fn completions_cover_the_commands_for_each_shell() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef dstplan"),
        ("fish", "complete -c dstplan"),
        ("elvish", "edit:completion:arg-completer[dstplan]"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let o = run(&["completions", shell]);
        assert_exit(&o, 0);
        let text = stdout(&o);
        assert!(text.contains(marker), "{shell}: {text}");
        for sub in ["lint", "history", "install", "completions"] {
            assert!(text.contains(sub), "{shell} lacks {sub}");
        }
        assert!(text.contains("color"), "{shell} completes the global flag");
    }
    let o = run(&["completions", "tcsh"]);
    assert_exit(&o, 2);
}

#[test]
fn the_bash_script_is_valid_bash() {
    if !require(std::path::Path::new("/bin/bash").exists(), "bash") {
        return;
    }
    let o = run(&["completions", "bash"]);
    let t = tempfile::tempdir().unwrap();
    let f = t.path().join("dstplan.bash");
    std::fs::write(&f, &o.stdout).unwrap();
    let check = std::process::Command::new("bash")
        .arg("-n")
        .arg(&f)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
}

#[test]
fn no_progress_line_when_stderr_is_not_a_terminal() {
    let o = run(&[
        "history",
        "check",
        "tests/fixtures/sessions/clean/artifacts/S1/history.jsonl",
        "--model",
        "register",
    ]);
    assert!(!stderr(&o).contains('\r'), "{:?}", stderr(&o));
    assert!(!stderr(&o).contains("checking "), "{:?}", stderr(&o));
    let o = run(&["report", "tests/fixtures/sessions/clean", "--check"]);
    assert!(!stderr(&o).contains('\r'), "{:?}", stderr(&o));
}
