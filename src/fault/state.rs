//! A fault's state on disk, `<session>/fault-state/<ID>.json`: its plan, how many steps have
//! begun, and its probe readings. Each step's undo is saved here before the step runs, so
//! `fault undo --all` heals what a crashed harness left behind.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::nemeses::Plan;
use super::probes::Values;
use crate::error::Error;
use crate::fsx::{self, Overwrite};

/// The directory of fault state files inside a session.
pub const DIR: &str = "fault-state";

/// Where a fault is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Steps are being applied (a crash here leaves `begun` steps to undo).
    Applying,
    /// Applied and logged.
    Active,
    /// Healed and logged.
    Stopped,
}

/// One fault's state file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct State {
    pub id: String,
    pub nemesis: String,
    pub scenario: String,
    pub targets: Vec<String>,
    pub status: Status,
    /// When the state file was made (the window start if a crash came before `start_ts`).
    pub created_ts: i64,
    pub start_ts: Option<i64>,
    pub plan: Plan,
    /// Steps whose undo must run on heal: the first `begun` steps of the plan.
    pub begun: usize,
    #[serde(default)]
    pub commands: Vec<Vec<String>>,
    #[serde(default)]
    pub before: Values,
    #[serde(default)]
    pub during: Values,
    /// `--probe NAME=CMD`, in the order given.
    #[serde(default)]
    pub user_probe_cmds: Vec<(String, String)>,
    #[serde(default)]
    pub user_before: Values,
    #[serde(default)]
    pub user_during: Values,
}

/// The state file of a fault.
pub fn path(session: &Path, id: &str) -> PathBuf {
    session.join(DIR).join(format!("{id}.json"))
}

/// Save (replace) a state file.
pub fn save(session: &Path, st: &State) -> Result<(), Error> {
    let text = serde_json::to_string_pretty(st)
        .map_err(|e| Error::internal(format!("internal: cannot serialise fault state: {e}")))?;
    fsx::write(&path(session, &st.id), text.as_bytes(), Overwrite::Allow)?;
    Ok(())
}

/// Read one state file.
pub fn load(session: &Path, id: &str) -> Result<State, Error> {
    let p = path(session, id);
    let text = std::fs::read_to_string(&p).map_err(|_| {
        Error::new(format!(
            "no fault {id} in session {} (no {}); list the session's faults with `dstplan \
             fault list --session {}`",
            session.display(),
            p.display(),
            session.display()
        ))
    })?;
    serde_json::from_str(&text).map_err(|e| {
        Error::at_path(
            &p,
            None,
            format!("not a fault state file ({e}); it is written by `dstplan fault`, restore it"),
        )
    })
}

/// Every state file in the session, ordered by id number.
pub fn all(session: &Path) -> Result<Vec<State>, Error> {
    let mut ids: Vec<String> = match std::fs::read_dir(session.join(DIR)) {
        Ok(rd) => rd
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                e.file_name()
                    .to_str()?
                    .strip_suffix(".json")
                    .filter(|s| s.starts_with('F'))
                    .map(str::to_string)
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    ids.sort_by_key(|s| id_number(s));
    ids.iter().map(|id| load(session, id)).collect()
}

fn id_number(id: &str) -> u64 {
    id.strip_prefix('F')
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// Claim the next free id (`F<n>`, one past every id in the state files and the fault logs)
/// by creating its state file; concurrent starts never get the same id.
pub fn create(session: &Path, mut st: State) -> Result<State, Error> {
    let logged = super::log::read_session(session)?;
    let mut n = logged
        .keys()
        .map(|k| id_number(k))
        .chain(all(session)?.iter().map(|s| id_number(&s.id)))
        .max()
        .unwrap_or(0)
        + 1;
    loop {
        st.id = format!("F{n}");
        let text = serde_json::to_string_pretty(&st)
            .map_err(|e| Error::internal(format!("internal: cannot serialise fault state: {e}")))?;
        match fsx::write(&path(session, &st.id), text.as_bytes(), Overwrite::Never) {
            Ok(()) => return Ok(st),
            Err(fsx::WriteError::Exists(_)) => n += 1,
            Err(e) => return Err(e.into()),
        }
    }
}

/// An exclusive lock on the session's fault state (`fault-state/.lock`), released on drop.
pub struct Lock {
    _file: std::fs::File,
}

/// Take the session's fault-state lock, waiting for another holder.
pub fn lock(session: &Path) -> Result<Lock, Error> {
    use std::os::fd::AsRawFd;
    let dir = session.join(DIR);
    let p = dir.join(".lock");
    let f = std::fs::create_dir_all(&dir)
        .and_then(|()| {
            std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&p)
        })
        .map_err(|e| Error::at_path(&p, None, format!("cannot open the lock file: {e}")))?;
    // SAFETY: flock on a descriptor we own; the lock goes with the descriptor.
    if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) } != 0 {
        return Err(Error::at_path(
            &p,
            None,
            format!("cannot lock: {}", std::io::Error::last_os_error()),
        ));
    }
    Ok(Lock { _file: f })
}
