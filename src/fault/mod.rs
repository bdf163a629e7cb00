//! Fault injection for execution sessions: start, heal and list faults, with their landing
//! probes recorded in the session's fault log (`log`).
//!
//! - [`log`]: the fault log format (`artifacts/<S>/faults.jsonl`), the clock it shares with
//!   histories, and reading a session's log back (used by `report` and `history record`).
//! - [`targets`]: `pid:N`, `container:NAME`, `netns:NAME`, `compose:SERVICE` and what they
//!   resolve to.
//! - [`nemeses`]: each nemesis as steps (apply + undo recipe) and a landing probe.
//! - [`probes`]: the probes, user `--probe` commands, and the landing verdict.
//! - [`host`]: clock-skew (libfaketime's timestamp file) and disk-full (a data dir's mount).
//! - [`state`]: the per-fault state file that makes `undo --all` survive a crashed harness.

pub mod host;
pub mod log;
pub mod nemeses;
pub mod probes;
pub mod state;
pub mod targets;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use crate::error::Error;
use crate::net::cmd;
use log::{Event, FaultRecord, Landed};
use nemeses::{Action, Plan, Probe};
use state::{State, Status};
use targets::Target;

/// A `fault start` request.
#[derive(Debug, Clone, Default)]
pub struct StartRequest {
    pub nemesis: String,
    pub session: PathBuf,
    pub scenario: String,
    pub targets: Vec<String>,
    /// `--probe NAME=CMD`, already split.
    pub probes: Vec<(String, String)>,
    pub knobs: nemeses::Knobs,
}

/// Check a scenario key: it names a directory under `artifacts/`.
fn check_scenario(s: &str) -> Result<(), Error> {
    let ok = !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        && !s.starts_with('.');
    if ok {
        Ok(())
    } else {
        Err(Error::new(format!(
            "--scenario `{s}` is not a scenario key such as S5 or S5.A1 (letters, digits, `.`, \
             `_`, `-`); it names the directory artifacts/<scenario>/ of the fault log"
        )))
    }
}

fn check_session(dir: &Path) -> Result<(), Error> {
    if dir.is_dir() {
        Ok(())
    } else {
        Err(Error::at_path(
            dir,
            None,
            "is not a session directory; create one with `dstplan session new` or pass an \
             existing --session DIR",
        ))
    }
}

/// Six hex digits naming the session in firewall chain names, so faults of two sessions on one
/// namespace never share a chain (FNV-1a of the session's canonical path).
fn session_tag(session: &Path) -> String {
    let p = std::fs::canonicalize(session).unwrap_or_else(|_| session.to_path_buf());
    let mut h: u32 = 0x811c_9dc5;
    for b in p.as_os_str().as_encoded_bytes() {
        h = (h ^ u32::from(*b)).wrapping_mul(0x0100_0193);
    }
    format!("{:06x}", h & 0x00ff_ffff)
}

/// Split `NAME=CMD`.
pub fn parse_probe(s: &str) -> Result<(String, String), Error> {
    match s.split_once('=') {
        Some((n, c)) if !n.trim().is_empty() && !c.trim().is_empty() => {
            Ok((n.trim().to_string(), c.to_string()))
        }
        _ => Err(Error::new(format!(
            "--probe `{s}` is not NAME=CMD; give e.g. --probe leader='etcdctl endpoint status'"
        ))),
    }
}

/// Apply a fault: resolve targets and tools (refusing with nothing changed), claim an id,
/// save each step's undo before running the step, measure, and log the start. On a failed step
/// everything begun is undone and the state file removed.
pub fn start(req: &StartRequest) -> Result<FaultRecord, Error> {
    check_session(&req.session)?;
    check_scenario(&req.scenario)?;
    let nemesis = nemeses::canonical(&req.nemesis)?;
    if req.targets.is_empty() {
        return Err(Error::new(
            "no --target given; name what to fault with --target pid:N, container:NAME, \
             netns:NAME or compose:SERVICE",
        ));
    }
    let targets: Vec<(String, Target)> = req
        .targets
        .iter()
        .map(|t| Target::parse(t).map(|p| (t.clone(), p)))
        .collect::<Result<_, _>>()?;
    cmd::require_root(&format!("`dstplan fault start {nemesis}`"))?;
    let placeholder = State {
        id: String::new(),
        nemesis: nemesis.to_string(),
        scenario: req.scenario.clone(),
        targets: req.targets.clone(),
        status: Status::Applying,
        created_ts: log::now_ns(),
        start_ts: None,
        plan: Plan {
            steps: vec![],
            probe: Probe::ProcState { pids: vec![] },
            self_healing: false,
        },
        begun: 0,
        commands: vec![],
        before: Default::default(),
        during: Default::default(),
        user_probe_cmds: req.probes.clone(),
        user_before: Default::default(),
        user_during: Default::default(),
    };
    let mut st = state::create(&req.session, placeholder)?;
    let mut knobs = req.knobs.clone();
    knobs.restart_log =
        log::path(&req.session, &req.scenario).with_file_name(format!("restart-{}.log", st.id));
    knobs.state_dir = req.session.join(state::DIR);
    knobs.tag = session_tag(&req.session);
    let planned = match nemesis {
        "clock-skew" => host::clock_plan(&st.id, &targets, &knobs, &knobs.state_dir),
        "disk-full" => host::disk_plan(&st.id, &targets, &knobs),
        _ => nemeses::plan(nemesis, &st.id, &targets, &knobs),
    };
    st.plan = match planned {
        Ok(p) => p,
        Err(e) => {
            let _ = std::fs::remove_file(state::path(&req.session, &st.id));
            return Err(e);
        }
    };
    st.before = probes::measure(&st.plan.probe);
    st.user_before = user_probes(&st.user_probe_cmds);
    st.start_ts = Some(log::now_ns());
    for i in 0..st.plan.steps.len() {
        st.begun = i + 1;
        state::save(&req.session, &st)?;
        let step = st.plan.steps[i].apply.clone();
        st.commands.push(step.clone());
        let failed = match cmd::run(&step) {
            Ok(r) if r.ok => None,
            Ok(r) => Some(
                nemeses::kernel_feature_error(&step, &r.why()).unwrap_or_else(|| {
                    Error::environment(format!("`{}` failed: {}", step.join(" "), r.why()))
                }),
            ),
            Err(e) => Some(e),
        };
        if let Some(mut e) = failed {
            // A command that failed changed nothing: undo only the steps before it (its own
            // undo could remove what someone else made, such as a chain of the same name).
            st.begun = i;
            let (undone, _) = run_undo(&mut st);
            let rolled = begun_probe(&st.plan, st.begun);
            let (healed, why) = probes::healed(&rolled, &probes::measure(&rolled));
            if healed {
                let _ = std::fs::remove_file(state::path(&req.session, &st.id));
                e.message = format!(
                    "{}; rolled back the {undone} step(s) already applied{}",
                    e.message,
                    if matches!(st.plan.probe, Probe::ProcGone { .. }) && undone > 1 {
                        " (processes already killed stay down unless --restart was given)"
                    } else {
                        ", nothing is left applied"
                    }
                );
            } else {
                // Keep the state file: `undo --all` retries the undo.
                let _ = state::save(&req.session, &st);
                e.message = format!(
                    "{}; the rollback did not take ({why}); run `dstplan fault undo --all \
                     --session {}`",
                    e.message,
                    req.session.display()
                );
            }
            return Err(e);
        }
    }
    st.during = probes::measure_during(&st.plan.probe, &st.before);
    st.user_during = user_probes(&st.user_probe_cmds);
    st.status = Status::Active;
    state::save(&req.session, &st)?;
    let rec = record(&st, Event::Start, None, BTreeMap::new(), BTreeMap::new());
    log::append(&req.session, &rec)?;
    if st.plan.self_healing {
        return stop(&req.session, &st.id);
    }
    Ok(rec)
}

/// The probe restricted to what the first `begun` steps made: the DROP chains they created
/// (a chain of the same name that a failed `-N` met belongs to someone else).
fn begun_probe(plan: &Plan, begun: usize) -> Probe {
    match &plan.probe {
        Probe::DropCounters { chains } => Probe::DropCounters {
            chains: chains
                .iter()
                .filter(|(net, _, chain)| {
                    let prefix = net.exec(&[]);
                    plan.steps[..begun].iter().any(|s| {
                        s.apply.starts_with(&prefix)
                            && s.apply.ends_with(&["-N".to_string(), chain.clone()])
                    })
                })
                .cloned()
                .collect(),
        },
        p => p.clone(),
    }
}

fn user_probes(cmds: &[(String, String)]) -> probes::Values {
    cmds.iter()
        .map(|(n, c)| (n.clone(), probes::user_probe(c)))
        .collect()
}

/// Run the undo of every begun step, last first; returns how many steps were undone and the
/// ids of restarted processes. Undo commands that find nothing to undo fail harmlessly and are
/// still recorded.
fn run_undo(st: &mut State) -> (usize, Vec<u32>) {
    let steps: Vec<_> = st.plan.steps[..st.begun].to_vec();
    let mut spawned = Vec::new();
    for step in steps.iter().rev() {
        for a in &step.undo {
            st.commands.push(a.argv());
            match a {
                Action::Run(argv) => {
                    let _ = cmd::run(argv);
                }
                Action::Spawn { shell, log } => spawned.extend(spawn(shell, log)),
            }
        }
    }
    (steps.len(), spawned)
}

/// Start `sh -c SHELL` detached in its own process group, output appended to `log`; its pid.
fn spawn(shell: &str, log: &Path) -> Option<u32> {
    use std::os::unix::process::CommandExt;
    use std::process::Stdio;
    if let Some(d) = log.parent() {
        let _ = std::fs::create_dir_all(d);
    }
    let out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log);
    let mut c = std::process::Command::new("sh");
    c.arg("-c").arg(shell).stdin(Stdio::null());
    // Never hand the member dstplan's own stdout: a caller reading it would wait for the member.
    match out.and_then(|f| Ok((f.try_clone()?, f))) {
        Ok((f, g)) => c.stdout(f).stderr(g),
        Err(_) => c.stdout(Stdio::null()).stderr(Stdio::null()),
    };
    c.process_group(0);
    c.spawn().ok().map(|child| child.id())
}

fn record(
    st: &State,
    event: Event,
    end_ts: Option<i64>,
    after: probes::Values,
    user_after: probes::Values,
) -> FaultRecord {
    let mut probes = BTreeMap::new();
    probes.insert("before".to_string(), st.before.clone());
    if st.status != Status::Applying {
        probes.insert("during".to_string(), st.during.clone());
    }
    let mut user = BTreeMap::new();
    if !st.user_probe_cmds.is_empty() {
        user.insert("before".to_string(), st.user_before.clone());
        user.insert("during".to_string(), st.user_during.clone());
    }
    if event == Event::Stop {
        probes.insert("after".to_string(), after);
        if !st.user_probe_cmds.is_empty() {
            user.insert("after".to_string(), user_after);
        }
    }
    let (landed, why) = if st.status == Status::Applying {
        (
            Landed::UNKNOWN,
            "the harness stopped while the fault was being applied, so it was never measured"
                .to_string(),
        )
    } else {
        probes::landed(&st.plan.probe, &st.before, &st.during)
    };
    FaultRecord {
        version: log::VERSION,
        event,
        id: st.id.clone(),
        nemesis: st.nemesis.clone(),
        scenario: st.scenario.clone(),
        targets: st.targets.clone(),
        start_ts: st.start_ts.unwrap_or(st.created_ts),
        end_ts,
        fault_epoch: st.id.clone(),
        commands: st.commands.clone(),
        probes,
        user_probes: user,
        landed,
        landed_why: why,
    }
}

/// What `stop` did to a fault that was already healed.
fn already_stopped(session: &Path, st: &State) -> Result<FaultRecord, Error> {
    log::read_session(session)?
        .remove(&st.id)
        .ok_or_else(|| Error::new(format!("fault {} is healed but not in the log", st.id)))
}

/// Heal one fault: re-measure (final counters), undo every begun step, measure after, log the
/// stop. Stopping a healed fault changes nothing and returns its last record.
pub fn stop(session: &Path, id: &str) -> Result<FaultRecord, Error> {
    check_session(session)?;
    // One healer at a time (a `--for` timer and an `undo --all` may race): the second one finds
    // the fault stopped and changes nothing.
    state::load(session, id)?;
    let _lock = state::lock(session)?;
    let mut st = state::load(session, id)?;
    if st.status == Status::Stopped {
        return already_stopped(session, &st);
    }
    cmd::require_root(&format!("`dstplan fault stop {id}`"))?;
    if st.status == Status::Active
        && matches!(
            st.plan.probe,
            Probe::DropCounters { .. } | Probe::Netem { .. }
        )
    {
        // Counters keep counting until the heal: the last reading before it is the one to
        // judge. A reading that vanished since the start (a chain someone removed) keeps its
        // start value; the other probes were judged when the fault was applied.
        for (k, v) in probes::measure(&st.plan.probe) {
            if !v.is_null() || !st.during.contains_key(&k) {
                st.during.insert(k, v);
            }
        }
    }
    if st.status == Status::Active && !st.user_probe_cmds.is_empty() {
        // The stop line's `during` user readings are the last ones before the heal (the start
        // line keeps those taken right after applying): what the fault did by its end.
        st.user_during = user_probes(&st.user_probe_cmds);
    }
    let (_, restarted) = run_undo(&mut st);
    let end = log::now_ns();
    let mut after = probes::measure_after(&st.plan.probe);
    if let Probe::ProcGone { restart: true, .. } = st.plan.probe {
        std::thread::sleep(Duration::from_millis(300));
        for p in restarted {
            after.insert("restarted pid".into(), serde_json::json!(p));
            after.insert(
                "restarted state".into(),
                serde_json::json!(probes::proc_state(p)),
            );
        }
    }
    let (ok, why) = probes::healed(&st.plan.probe, &after);
    if !ok {
        // Still (partly) in effect: no stop line, the state stays open, and a retry runs the
        // (tolerant) undo again.
        state::save(session, &st)?;
        return Err(Error::environment(format!(
            "fault {id}: the heal did not take ({why}); inspect the target and retry `dstplan \
             fault stop {id} --session {}` or `dstplan fault undo --all --session {}`",
            session.display(),
            session.display()
        )));
    }
    after.insert("healed".into(), serde_json::json!(true));
    let user_after = user_probes(&st.user_probe_cmds);
    let rec = record(&st, Event::Stop, Some(end), after, user_after);
    log::append(session, &rec)?;
    st.status = Status::Stopped;
    state::save(session, &st)?;
    Ok(rec)
}

/// Heal every fault of the session that is not stopped (including ones a crashed harness left
/// mid-apply). Idempotent: a second run heals nothing.
pub fn undo_all(session: &Path) -> Result<Vec<FaultRecord>, Error> {
    check_session(session)?;
    let open: Vec<State> = state::all(session)?
        .into_iter()
        .filter(|s| s.status != Status::Stopped)
        .collect();
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for s in open {
        match stop(session, &s.id) {
            Ok(r) => out.push(r),
            Err(e) => errors.push(e.message),
        }
    }
    if !errors.is_empty() {
        return Err(Error::environment(errors.join("; ")));
    }
    Ok(out)
}

/// One row of `fault list`.
#[derive(Debug, Clone, Serialize)]
pub struct Listed {
    pub id: String,
    pub nemesis: String,
    pub scenario: String,
    pub targets: Vec<String>,
    /// `active`, `stopped`, or `applying` (a harness died mid-apply; `undo --all` heals it).
    pub status: String,
    pub landed: Landed,
    pub landed_why: String,
    pub start_ts: i64,
    pub end_ts: Option<i64>,
}

/// Every fault of the session: the fault logs, plus state files of faults that never reached
/// the log.
pub fn list(session: &Path) -> Result<Vec<Listed>, Error> {
    check_session(session)?;
    let logged = log::read_session(session)?;
    let states: BTreeMap<String, State> = state::all(session)?
        .into_iter()
        .map(|s| (s.id.clone(), s))
        .collect();
    let mut rows: Vec<Listed> = logged
        .values()
        .map(|r| Listed {
            id: r.id.clone(),
            nemesis: r.nemesis.clone(),
            scenario: r.scenario.clone(),
            targets: r.targets.clone(),
            status: match (r.event, states.get(&r.id).map(|s| s.status)) {
                (Event::Stop, _) | (_, Some(Status::Stopped)) => "stopped",
                _ => "active",
            }
            .into(),
            landed: r.landed,
            landed_why: r.landed_why.clone(),
            start_ts: r.start_ts,
            end_ts: r.end_ts,
        })
        .collect();
    for s in states.values().filter(|s| !logged.contains_key(&s.id)) {
        rows.push(Listed {
            id: s.id.clone(),
            nemesis: s.nemesis.clone(),
            scenario: s.scenario.clone(),
            targets: s.targets.clone(),
            status: "applying".into(),
            landed: Landed::UNKNOWN,
            landed_why: "never measured: the harness stopped while applying it".into(),
            start_ts: s.start_ts.unwrap_or(s.created_ts),
            end_ts: None,
        });
    }
    rows.sort_by_key(|r| r.id.trim_start_matches('F').parse::<u64>().unwrap_or(0));
    Ok(rows)
}

/// Parse `--for`: `500ms`, `30s`, `2m`, or plain seconds.
pub fn parse_duration(s: &str) -> Result<Duration, Error> {
    let t = s.trim();
    let (num, mult) = if let Some(n) = t.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = t.strip_suffix('m') {
        (n, 60.0)
    } else if let Some(n) = t.strip_suffix('h') {
        (n, 3600.0)
    } else {
        (t, 1.0)
    };
    match num.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v * mult <= 86_400.0 => {
            Ok(Duration::from_secs_f64(v * mult))
        }
        _ => Err(Error::new(format!(
            "--for `{s}` is not a duration; give e.g. 500ms, 15s or 2m (at most 24h)"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_probe_flags_parse() {
        assert_eq!(parse_duration("15s").unwrap(), Duration::from_secs(15));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert!(parse_duration("soon").is_err() && parse_duration("0s").is_err());
        assert_eq!(
            parse_probe("leader=etcdctl endpoint status -w json").unwrap(),
            ("leader".into(), "etcdctl endpoint status -w json".into())
        );
        assert!(parse_probe("=x").is_err() && parse_probe("x").is_err());
    }
}
