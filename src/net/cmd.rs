//! Running external tools (`ip`, `iptables`, `tc`, `docker`, …) as argument vectors, and the
//! checks that say which privilege or tool is missing before anything is changed.

use std::process::{Command, Stdio};

use crate::error::Error;

/// What one command did.
#[derive(Debug, Clone)]
pub struct Ran {
    pub argv: Vec<String>,
    pub ok: bool,
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Ran {
    /// The first line of stderr (or stdout), for error messages.
    pub fn why(&self) -> String {
        let s = if self.stderr.trim().is_empty() {
            &self.stdout
        } else {
            &self.stderr
        };
        match s.lines().map(str::trim).find(|l| !l.is_empty()) {
            Some(l) => l.to_string(),
            None => match self.code {
                Some(c) => format!("exit status {c}, no output"),
                None => "killed by a signal, no output".to_string(),
            },
        }
    }
}

/// An argument vector from string slices.
pub fn argv(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}

/// Run `argv` to completion (stdin closed, output captured). A program that cannot be started
/// is an environment error naming it.
pub fn run(argv: &[String]) -> Result<Ran, Error> {
    let (prog, args) = argv
        .split_first()
        .ok_or_else(|| Error::internal("internal: an empty command"))?;
    let out = Command::new(prog)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| {
            Error::environment(format!(
                "cannot run `{prog}` ({e}); install it (see `dstplan fault --help`) or put it on PATH"
            ))
        })?;
    Ok(Ran {
        argv: argv.to_vec(),
        ok: out.status.success(),
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

/// Run `argv` and fail with its stderr when it exits non-zero.
pub fn run_ok(argv: &[String]) -> Result<Ran, Error> {
    let r = run(argv)?;
    if r.ok {
        Ok(r)
    } else {
        Err(Error::environment(format!(
            "`{}` failed: {}",
            argv.join(" "),
            r.why()
        )))
    }
}

/// Whether a program is on PATH.
pub fn has_tool(prog: &str) -> bool {
    let Some(path) = std::env::var_os("PATH") else {
        return false;
    };
    std::env::split_paths(&path).any(|d| {
        let p = d.join(prog);
        p.is_file()
            && std::fs::metadata(&p)
                .map(|m| {
                    use std::os::unix::fs::PermissionsExt;
                    m.permissions().mode() & 0o111 != 0
                })
                .unwrap_or(false)
    })
}

/// Fail with an environment error unless `prog` is on PATH; `package` is the Debian package
/// that provides it.
pub fn require_tool(prog: &str, package: &str, needed_for: &str) -> Result<(), Error> {
    if has_tool(prog) {
        return Ok(());
    }
    Err(Error::environment(format!(
        "`{prog}` is not installed, and {needed_for} needs it; install it with \
         `apt-get install {package}` (or your distribution's package) and retry"
    )))
}

/// Whether this process runs with effective uid 0.
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// Fail with an environment error unless this process is root.
pub fn require_root(what: &str) -> Result<(), Error> {
    if is_root() {
        return Ok(());
    }
    // SAFETY: getuid has no preconditions and cannot fail.
    let uid = unsafe { libc::getuid() };
    Err(Error::environment(format!(
        "{what} needs root and this process runs as uid {uid}; run it as root (sudo dstplan …)"
    )))
}
