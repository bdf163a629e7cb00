//! The session's fault log: one JSON line per fault start and stop, in
//! `<session>/artifacts/<scenario>/faults.jsonl`, on the clock histories use.
//!
//! The log is the ground truth `report` verifies landing against and `history record` takes
//! fault epochs from. A fault's state is its last line: `event: "start"` while active,
//! `event: "stop"` once healed. Readers take the last line per id.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// The file name of a scenario's fault log inside `artifacts/<scenario>/`.
pub const FILE_NAME: &str = "faults.jsonl";

/// The format version written in every line.
pub const VERSION: u32 = 1;

/// Nanoseconds on `CLOCK_MONOTONIC`: the clock of fault logs and of histories recorded by
/// `dstplan history record` (the same value as Python's `time.monotonic_ns()` or
/// `clock_gettime(CLOCK_MONOTONIC)` in any process on this machine since boot).
pub fn now_ns() -> i64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_MONOTONIC is always supported on Linux.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    debug_assert_eq!(rc, 0);
    // time_t and c_long are i64 on the 64-bit Linux targets dstplan builds for.
    let (sec, nsec): (i64, i64) = (ts.tv_sec, ts.tv_nsec);
    sec.saturating_mul(1_000_000_000).saturating_add(nsec)
}

/// Whether a line records the start or the end of a fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Event {
    Start,
    Stop,
}

/// What the probes say about whether the fault took effect. Never `Yes` on the injector's
/// exit code alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Landed {
    /// `true` or `false`.
    Known(bool),
    /// `"unknown"`: the probes could not tell.
    Unknown(UnknownWord),
}

/// The literal `"unknown"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UnknownWord {
    Unknown,
}

impl Landed {
    pub const UNKNOWN: Landed = Landed::Unknown(UnknownWord::Unknown);

    pub fn is_true(self) -> bool {
        self == Landed::Known(true)
    }
}

/// One line of the fault log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultRecord {
    pub version: u32,
    pub event: Event,
    /// `F1`, `F2`, … unique within the session.
    pub id: String,
    /// A canonical nemesis ID from `dstplan vocab`.
    pub nemesis: String,
    pub scenario: String,
    /// As given: `pid:N`, `container:NAME`, `netns:NAME`, `compose:SERVICE`.
    pub targets: Vec<String>,
    /// [`now_ns`] when the fault was applied.
    pub start_ts: i64,
    /// [`now_ns`] when it was healed; `null` while active.
    pub end_ts: Option<i64>,
    /// The value `history record` writes into `fault_epoch` for ops invoked in the window.
    pub fault_epoch: String,
    /// Every command run to apply (and, on `stop`, to heal) the fault, as argument vectors.
    #[serde(default)]
    pub commands: Vec<Vec<String>>,
    /// Built-in landing probes: phase (`before`, `during`, `after`) → probe name → value.
    #[serde(default)]
    pub probes: BTreeMap<String, BTreeMap<String, serde_json::Value>>,
    /// User `--probe NAME=CMD` outputs: phase → name → output.
    #[serde(default)]
    pub user_probes: BTreeMap<String, BTreeMap<String, serde_json::Value>>,
    pub landed: Landed,
    /// Why `landed` is what it is, in one sentence.
    #[serde(default)]
    pub landed_why: String,
}

impl FaultRecord {
    /// Whether the fault's window `[start_ts, end_ts]` (open-ended while active) meets
    /// `[from, to]` (closed intervals).
    pub fn overlaps(&self, from: i64, to: i64) -> bool {
        self.start_ts <= to && self.end_ts.is_none_or(|e| e >= from)
    }
}

/// The fault log path of a scenario.
pub fn path(session: &Path, scenario: &str) -> PathBuf {
    session.join("artifacts").join(scenario).join(FILE_NAME)
}

/// Append a record to its scenario's log.
pub fn append(session: &Path, rec: &FaultRecord) -> Result<(), Error> {
    let line = serde_json::to_string(rec)
        .map_err(|e| Error::internal(format!("internal: cannot serialise a fault record: {e}")))?;
    crate::fsx::append_line(&path(session, &rec.scenario), &line)?;
    Ok(())
}

/// Every record of one log file, in file order. A line that does not parse is an error with
/// its line number (a log is written only by dstplan; an edited log is not trusted silently).
pub fn read_file(file: &Path) -> Result<Vec<FaultRecord>, Error> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| Error::at_path(file, None, format!("cannot read the fault log: {e}")))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let rec: FaultRecord = serde_json::from_str(line).map_err(|e| {
            Error::at_path(
                file,
                Some(i + 1),
                format!(
                    "not a fault record ({e}); fault logs are written by `dstplan fault`, \
                     restore the line or remove the file"
                ),
            )
        })?;
        out.push(rec);
    }
    Ok(out)
}

/// The latest state of every fault in a session (all `artifacts/*/faults.jsonl`), by id.
/// A session without fault logs has no faults.
pub fn read_session(session: &Path) -> Result<BTreeMap<String, FaultRecord>, Error> {
    let mut faults = BTreeMap::new();
    let artifacts = session.join("artifacts");
    let Ok(dirs) = std::fs::read_dir(&artifacts) else {
        return Ok(faults);
    };
    let mut files: Vec<PathBuf> = dirs
        .filter_map(|e| e.ok())
        .map(|e| e.path().join(FILE_NAME))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    for f in files {
        for rec in read_file(&f)? {
            faults.insert(rec.id.clone(), rec);
        }
    }
    Ok(faults)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(id: &str, event: Event, end: Option<i64>, landed: Landed) -> FaultRecord {
        FaultRecord {
            version: VERSION,
            event,
            id: id.into(),
            nemesis: "process-pause".into(),
            scenario: "S2".into(),
            targets: vec!["pid:1".into()],
            start_ts: 100,
            end_ts: end,
            fault_epoch: id.into(),
            commands: vec![],
            probes: BTreeMap::new(),
            user_probes: BTreeMap::new(),
            landed,
            landed_why: String::new(),
        }
    }

    #[test]
    fn the_last_line_per_id_is_the_fault_state_and_landed_round_trips() {
        let t = tempfile::tempdir().unwrap();
        append(t.path(), &rec("F1", Event::Start, None, Landed::UNKNOWN)).unwrap();
        append(
            t.path(),
            &rec("F1", Event::Stop, Some(200), Landed::Known(true)),
        )
        .unwrap();
        append(
            t.path(),
            &rec("F2", Event::Start, None, Landed::Known(false)),
        )
        .unwrap();
        let text = std::fs::read_to_string(path(t.path(), "S2")).unwrap();
        assert!(text
            .lines()
            .next()
            .unwrap()
            .contains(r#""landed":"unknown""#));
        let s = read_session(t.path()).unwrap();
        assert_eq!(s["F1"].event, Event::Stop);
        assert!(s["F1"].landed.is_true());
        assert!(s["F1"].overlaps(150, 300) && !s["F1"].overlaps(201, 300));
        assert!(
            s["F2"].overlaps(10_000, 20_000),
            "an active fault is open-ended"
        );
        assert!(!s["F2"].overlaps(0, 99));
    }

    #[test]
    fn a_damaged_line_is_an_error_with_its_line() {
        let t = tempfile::tempdir().unwrap();
        append(t.path(), &rec("F1", Event::Start, None, Landed::UNKNOWN)).unwrap();
        crate::fsx::append_line(&path(t.path(), "S2"), "{not json").unwrap();
        let e = read_session(t.path()).unwrap_err();
        assert_eq!(e.line, Some(2));
    }

    #[test]
    fn the_clock_moves_forward() {
        let a = now_ns();
        let b = now_ns();
        assert!(a > 0 && b >= a);
    }
}
