//! Running one eval's assertions over a run directory.
//!
//! A command is split into words first, then the placeholders in each word are replaced, so a
//! substituted path is always exactly one argument:
//! `{out}` → the run's `out/` directory (the run directory itself when it has no `out/`),
//! `{files}` → the skill's fixture directory (`files/` next to `evals.json`),
//! `{run}` → the run directory. Each command runs with the grading binary, with the output
//! directory as its working directory, stdin closed, in its own process group, and a timeout;
//! a command that does not finish in time is killed with everything it started (the whole
//! group) and its assertion fails. Before it runs, every path among its arguments must
//! resolve inside the run directory or the fixtures ([`super::policy::check_paths`]). Output tails are kept for the person
//! reading `grading.json`, with the substituted paths turned back into their placeholders so
//! the file does not depend on where the repository was checked out.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::{check_command, Eval, EvalError, EvalFile};

/// How to run the commands.
#[derive(Debug, Clone)]
pub struct Options {
    /// The `dstplan` binary that runs each command.
    pub exe: PathBuf,
    /// Per-command time limit.
    pub timeout: Duration,
    /// Whether `dstplan` accepts a command's arguments (the CLI's parser).
    pub accepts: super::Accepts,
}

/// The outcome of grading one run: the content of `grading.json`, fields in file order.
#[derive(Debug, Clone, Serialize)]
pub struct Grading {
    /// Format version (1).
    pub version: u32,
    /// The eval's id as written in `evals.json` (number or string).
    pub eval_id: serde_json::Value,
    /// The evals file's `skill_name`.
    pub skill_name: String,
    /// One row per assertion, in the eval's order.
    pub assertions: Vec<Row>,
    /// Counts over the rows.
    pub summary: Summary,
}

/// One graded assertion.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// The assertion's words.
    pub text: String,
    /// `mechanical` or `judged`.
    pub kind: &'static str,
    /// The command as written in `evals.json` (placeholders not substituted).
    pub command: Option<String>,
    /// The exit code that passes.
    pub expect_exit: Option<i32>,
    /// The exit code observed; null when killed by the timeout or a signal.
    pub exit: Option<i32>,
    /// true / false for mechanical assertions, null for judged ones.
    pub passed: Option<bool>,
    /// `passed`, `failed` or `needs-judgement`.
    pub status: &'static str,
    /// The last 2,000 bytes of stdout, paths turned back into placeholders.
    pub stdout_tail: Option<String>,
    /// The same for stderr, plus a note when the grader killed the command.
    pub stderr_tail: Option<String>,
}

/// Mechanical assertions run / passed / failed, judged assertions left open.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct Summary {
    pub mechanical: usize,
    pub passed: usize,
    pub failed: usize,
    pub judged: usize,
}

const TAIL_BYTES: usize = 2000;

fn tail(bytes: &[u8]) -> String {
    let s = String::from_utf8_lossy(bytes);
    if s.len() <= TAIL_BYTES {
        return s.into_owned();
    }
    let mut start = s.len() - TAIL_BYTES;
    while !s.is_char_boundary(start) {
        start += 1;
    }
    format!("…{}", &s[start..])
}

/// What running one command produced.
struct Ran {
    exit: Option<i32>,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    note: Option<String>,
}

fn run_command(opts: &Options, args: &[String], cwd: &Path) -> Ran {
    let mut cmd = Command::new(&opts.exe);
    cmd.args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env("NO_COLOR", "1");
    // Its own process group, so the timeout ends everything it started, not just the child.
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let child = cmd.spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            return Ran {
                exit: None,
                stdout: Vec::new(),
                stderr: Vec::new(),
                note: Some(format!("could not start {}: {e}", opts.exe.display())),
            }
        }
    };
    let reader = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = r.read_to_end(&mut buf);
            buf
        })
    };
    let out_t = child.stdout.take().map(|s| reader(Box::new(s)));
    let err_t = child.stderr.take().map(|s| reader(Box::new(s)));
    let start = Instant::now();
    let mut note = None;
    let status = loop {
        match child.try_wait() {
            Ok(Some(st)) => break Some(st),
            Ok(None) if start.elapsed() >= opts.timeout => {
                kill_group(&mut child);
                let _ = child.wait();
                note = Some(format!(
                    "killed after {} s without finishing",
                    opts.timeout.as_secs()
                ));
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => {
                note = Some(format!("could not wait for the command: {e}"));
                kill_group(&mut child);
                break None;
            }
        }
    };
    let stdout = out_t.and_then(|t| t.join().ok()).unwrap_or_default();
    let stderr = err_t.and_then(|t| t.join().ok()).unwrap_or_default();
    let exit = status.and_then(|s| s.code());
    if status.is_some() && exit.is_none() {
        note = Some("ended by a signal".into());
    }
    Ran {
        exit,
        stdout,
        stderr,
        note,
    }
}

/// Kill the child's whole process group (it was started as the group's leader), then the
/// child itself in case the group is already gone.
fn kill_group(child: &mut std::process::Child) {
    #[cfg(unix)]
    if let Ok(pid) = libc::pid_t::try_from(child.id()) {
        // SAFETY: kill(2) with a negative pid signals the group; no memory is shared.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
    let _ = child.kill();
}

/// The directories a run's commands see.
struct Places {
    out: PathBuf,
    files: PathBuf,
    run: PathBuf,
}

impl Places {
    fn new(run_dir: &Path, evals: &EvalFile) -> Places {
        let abs = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
        let run = abs(run_dir);
        let out = if run.join("out").is_dir() {
            run.join("out")
        } else {
            run.clone()
        };
        let base = evals
            .path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let files = abs(&if base.as_os_str().is_empty() {
            PathBuf::from("files")
        } else {
            base.join("files")
        });
        Places { out, files, run }
    }

    /// `(placeholder, value)` pairs, longest value first so the reverse mapping of tails
    /// prefers the most specific placeholder.
    fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut v = vec![
            ("{out}", self.out.display().to_string()),
            ("{files}", self.files.display().to_string()),
            ("{run}", self.run.display().to_string()),
        ];
        v.sort_by_key(|(_, s)| std::cmp::Reverse(s.len()));
        v
    }

    /// Replace the placeholders in one word of an already split command, so a path with
    /// spaces or quotes stays one argument. One pass over the word: a substituted path that
    /// itself contains `{files}` (a run directory named `5-{files}`) is never substituted
    /// again.
    fn substitute(&self, word: &str) -> String {
        let pairs = self.pairs();
        let mut out = String::with_capacity(word.len());
        let mut rest = word;
        while let Some((i, k, v)) = pairs
            .iter()
            .filter_map(|(k, v)| rest.find(k).map(|i| (i, *k, v)))
            .min_by_key(|(i, _, _)| *i)
        {
            out.push_str(&rest[..i]);
            out.push_str(v);
            rest = &rest[i + k.len()..];
        }
        out.push_str(rest);
        out
    }

    /// Turn substituted paths in output back into placeholders, in one pass (longest path
    /// first at each position), so a placeholder put back is never read as a path again.
    fn unsubstitute(&self, text: &str) -> String {
        let pairs: Vec<_> = self
            .pairs()
            .into_iter()
            .filter(|(_, v)| !v.is_empty())
            .collect();
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some((i, k, v)) = pairs
            .iter()
            .filter_map(|(k, v)| rest.find(v.as_str()).map(|i| (i, *k, v)))
            .min_by_key(|(i, _, v)| (*i, std::cmp::Reverse(v.len())))
        {
            out.push_str(&rest[..i]);
            out.push_str(k);
            rest = &rest[i + v.len()..];
        }
        out.push_str(rest);
        out
    }
}

/// Grade `run_dir` against the eval named `eval_id` in `evals`.
pub fn grade(
    evals: &EvalFile,
    eval_id: &str,
    run_dir: &Path,
    opts: &Options,
) -> Result<Grading, EvalError> {
    let eval: &Eval = evals
        .evals
        .iter()
        .find(|e| e.id == eval_id)
        .ok_or_else(|| {
            let known: Vec<&str> = evals.evals.iter().map(|e| e.id.as_str()).collect();
            EvalError::at_path(
                &evals.path,
                None,
                format!(
                    "no eval has id `{eval_id}` (known ids: {}); fix run.json's eval_id or the \
                     run directory's name",
                    known.join(", ")
                ),
            )
        })?;
    let places = Places::new(run_dir, evals);
    let mut rows = Vec::new();
    let (mut mechanical, mut passed, mut failed, mut judged) = (0, 0, 0, 0);
    for a in &eval.assertions {
        match a.mechanical() {
            None => {
                judged += 1;
                rows.push(Row {
                    text: a.text().to_string(),
                    kind: "judged",
                    command: None,
                    expect_exit: None,
                    exit: None,
                    passed: None,
                    status: "needs-judgement",
                    stdout_tail: None,
                    stderr_tail: None,
                });
            }
            Some((cmd, expect)) => {
                mechanical += 1;
                let args: Vec<String> = check_command(cmd, opts.accepts)
                    .map_err(|m| EvalError::at_path(&evals.path, None, m))?
                    .iter()
                    .map(|w| places.substitute(w))
                    .collect();
                super::policy::check_paths(&args, &places.out, &[&places.run, &places.files])
                    .map_err(|m| {
                        EvalError::at_path(&evals.path, None, format!("command `{cmd}`: {m}"))
                    })?;
                let ran = run_command(opts, &args, &places.out);
                let ok = ran.exit == Some(expect);
                if ok {
                    passed += 1;
                } else {
                    failed += 1;
                }
                let mut stderr = places.unsubstitute(&tail(&ran.stderr));
                if let Some(n) = &ran.note {
                    if !stderr.is_empty() && !stderr.ends_with('\n') {
                        stderr.push('\n');
                    }
                    stderr.push_str(&format!("[dstplan eval grade: {n}]"));
                }
                rows.push(Row {
                    text: a.text().to_string(),
                    kind: "mechanical",
                    command: Some(cmd.to_string()),
                    expect_exit: Some(expect),
                    exit: ran.exit,
                    passed: Some(ok),
                    status: if ok { "passed" } else { "failed" },
                    stdout_tail: Some(places.unsubstitute(&tail(&ran.stdout))),
                    stderr_tail: Some(stderr),
                });
            }
        }
    }
    Ok(Grading {
        version: 1,
        eval_id: eval.id_json.clone(),
        skill_name: evals.skill_name.clone(),
        assertions: rows,
        summary: Summary {
            mechanical,
            passed,
            failed,
            judged,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_past_its_timeout_is_killed_and_has_no_exit_code() {
        let sleep = Path::new("/bin/sleep");
        if !sleep.exists() {
            return;
        }
        let opts = Options {
            exe: sleep.to_path_buf(),
            timeout: Duration::from_millis(300),
            accepts: |_| Ok(()),
        };
        let start = Instant::now();
        let ran = run_command(&opts, &["30".to_string()], Path::new("."));
        assert!(start.elapsed() < Duration::from_secs(10));
        assert_eq!(ran.exit, None);
        assert!(ran.note.unwrap().contains("killed"));
    }

    /// Whether a process is gone (or a zombie waiting to be reaped).
    #[cfg(target_os = "linux")]
    fn gone(pid: &str) -> bool {
        match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            Err(_) => true,
            Ok(stat) => stat
                .rsplit_once(") ")
                .is_some_and(|(_, rest)| rest.starts_with('Z') || rest.starts_with('X')),
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_timeout_kills_what_the_command_started_too() {
        let sh = Path::new("/bin/sh");
        if !sh.exists() {
            return;
        }
        let t = tempfile::tempdir().unwrap();
        let pidfile = t.path().join("pid");
        let opts = Options {
            exe: sh.to_path_buf(),
            timeout: Duration::from_millis(500),
            accepts: |_| Ok(()),
        };
        let script = format!("sleep 300 & echo $! > '{}'; wait", pidfile.display());
        let ran = run_command(&opts, &["-c".to_string(), script], t.path());
        assert_eq!(ran.exit, None);
        let pid = std::fs::read_to_string(&pidfile).unwrap();
        let pid = pid.trim();
        let start = Instant::now();
        while !gone(pid) && start.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(gone(pid), "the grandchild {pid} outlived the timeout");
    }

    #[test]
    fn placeholders_in_substituted_paths_are_left_alone() {
        let places = Places {
            out: PathBuf::from("/r/5-{files}/out"),
            files: PathBuf::from("/s/files"),
            run: PathBuf::from("/r/5-{files}"),
        };
        assert_eq!(
            places.substitute("{out}/plan.md"),
            "/r/5-{files}/out/plan.md"
        );
        assert_eq!(
            places.substitute("x={files}/a:{run}"),
            "x=/s/files/a:/r/5-{files}"
        );
        assert_eq!(
            places.unsubstitute("read /r/5-{files}/out/plan.md and /s/files/w.md"),
            "read {out}/plan.md and {files}/w.md"
        );
    }

    #[test]
    fn tails_keep_the_end_on_a_char_boundary() {
        let long = "é".repeat(TAIL_BYTES);
        let t = tail(long.as_bytes());
        assert!(t.starts_with('…'));
        assert!(t.len() <= TAIL_BYTES + '…'.len_utf8() + 1);
        assert_eq!(tail(b"short"), "short");
    }
}
