//! `dstplan fault start|stop|undo|list`: arguments and output; the engine is
//! [`crate::fault`].

use std::path::PathBuf;

use clap::Subcommand;
use serde_json::json;

use super::{print_out, CliError, CmdResult, TextOrJson as Format};
use crate::exit;
use crate::fault::{self, log::FaultRecord, nemeses::Knobs, StartRequest};

/// Arguments of `dstplan fault`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Apply a fault, measure whether it landed, and log it (prints the fault id)
    Start(StartArgs),
    /// Heal one fault and log the heal
    Stop(StopArgs),
    /// Heal every fault still active in the session (also after a crashed harness)
    Undo(UndoArgs),
    /// List the session's faults
    List(ListArgs),
}

#[derive(Debug, clap::Args)]
struct StartArgs {
    /// A canonical nemesis ID from `dstplan vocab` (process-pause, process-stop, process-kill,
    /// container-restart, partition-full, partition-asymmetric, partition-minority,
    /// leader-isolation, packet-loss, latency, disk-full, clock-skew; aliases such as kill-9 are
    /// accepted and logged as the canonical ID)
    nemesis: String,
    /// The session directory (the log goes to DIR/artifacts/<scenario>/faults.jsonl)
    #[arg(long, value_name = "DIR")]
    session: PathBuf,
    /// The scenario the fault belongs to (S5, S5.A1, …)
    #[arg(long, value_name = "S")]
    scenario: String,
    /// What to fault: pid:N, container:NAME, netns:NAME or compose:SERVICE (repeatable; for
    /// partitions, the side to cut off)
    #[arg(long = "target", value_name = "T", required = true)]
    targets: Vec<String>,
    /// Heal after this long (500ms, 15s, 2m) instead of leaving the fault active
    #[arg(long = "for", value_name = "DURATION")]
    for_: Option<String>,
    /// A command whose output is recorded before, during and after the fault (repeatable)
    #[arg(long = "probe", value_name = "NAME=CMD")]
    probes: Vec<String>,
    /// process-kill, process-stop: the shell command (run with `sh -c`, detached) that restarts
    /// the member when the fault is healed; its output goes to artifacts/<S>/restart-<ID>.log
    #[arg(long, value_name = "CMD")]
    restart: Option<String>,
    /// packet-loss: the share of packets to drop, in percent
    #[arg(long, value_name = "PERCENT", default_value = "30")]
    loss: f64,
    /// latency: the delay added to every packet, in milliseconds
    #[arg(long, value_name = "MS", default_value = "200")]
    delay: u64,
    /// clock-skew: how far to move the targets' clocks (+90s, -5m; whole seconds)
    #[arg(
        long,
        value_name = "OFFSET",
        default_value = "+60s",
        allow_hyphen_values = true
    )]
    skew: String,
    /// disk-full: the member's data directory, on a mount of its own (it is filled)
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

/// `+90s`, `-5m`, `30s` → signed whole seconds.
fn parse_skew(s: &str) -> Result<i64, crate::error::Error> {
    let (sign, rest) = match s.strip_prefix('-') {
        Some(r) => (-1, r),
        None => (1, s.strip_prefix('+').unwrap_or(s)),
    };
    let d = fault::parse_duration(rest).map_err(|_| {
        crate::error::Error::new(format!(
            "--skew `{s}` is not an offset; give e.g. +90s, -5m or +1h (whole seconds)"
        ))
    })?;
    if d.subsec_nanos() != 0 {
        return Err(crate::error::Error::new(format!(
            "--skew `{s}` is not whole seconds; libfaketime offsets are given in seconds"
        )));
    }
    Ok(sign * d.as_secs() as i64)
}

#[derive(Debug, clap::Args)]
struct StopArgs {
    /// The fault id (F1, F2, …)
    id: String,
    /// The session directory
    #[arg(long, value_name = "DIR")]
    session: PathBuf,
    /// Output format
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

#[derive(Debug, clap::Args)]
struct UndoArgs {
    /// Heal every active fault (required: there is no partial undo)
    #[arg(long, required = true)]
    all: bool,
    /// The session directory
    #[arg(long, value_name = "DIR")]
    session: PathBuf,
    /// Output format
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

#[derive(Debug, clap::Args)]
struct ListArgs {
    /// The session directory
    #[arg(long, value_name = "DIR")]
    session: PathBuf,
    /// Output format
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

pub fn run(args: Args) -> CmdResult {
    match args.command {
        Cmd::Start(a) => start(a),
        Cmd::Stop(a) => stop(a),
        Cmd::Undo(a) => undo(a),
        Cmd::List(a) => list(a),
    }
}

fn landed_text(r: &FaultRecord) -> String {
    serde_json::to_value(r.landed)
        .map(|v| v.to_string().trim_matches('"').to_string())
        .unwrap_or_default()
}

fn summary(r: &FaultRecord) -> serde_json::Value {
    json!({
        "id": r.id,
        "event": r.event,
        "nemesis": r.nemesis,
        "scenario": r.scenario,
        "targets": r.targets,
        "start_ts": r.start_ts,
        "end_ts": r.end_ts,
        "fault_epoch": r.fault_epoch,
        "landed": r.landed,
        "landed_why": r.landed_why,
    })
}

fn describe(r: &FaultRecord) -> String {
    let state = match r.end_ts {
        None => "active",
        Some(_) => "healed",
    };
    format!(
        "{} {} on {} ({state}): landed {}: {}",
        r.id,
        r.nemesis,
        r.targets.join(" "),
        landed_text(r),
        r.landed_why
    )
}

fn start(a: StartArgs) -> CmdResult {
    let machine = a.format.machine();
    let err = |e: crate::error::Error| CliError::from(e).machine(machine);
    let duration = a
        .for_
        .as_deref()
        .map(fault::parse_duration)
        .transpose()
        .map_err(err)?;
    let probes = a
        .probes
        .iter()
        .map(|p| fault::parse_probe(p))
        .collect::<Result<Vec<_>, _>>()
        .map_err(err)?;
    if !(a.loss > 0.0 && a.loss <= 100.0) {
        return Err(err(crate::error::Error::new(format!(
            "--loss {} is not a percentage in (0, 100]; give e.g. --loss 30",
            a.loss
        ))));
    }
    let skew_secs = parse_skew(&a.skew).map_err(err)?;
    let req = StartRequest {
        nemesis: a.nemesis,
        session: a.session.clone(),
        scenario: a.scenario,
        targets: a.targets,
        probes,
        knobs: Knobs {
            restart: a.restart,
            restart_log: PathBuf::new(),
            loss_percent: a.loss,
            delay_ms: a.delay,
            skew_secs,
            data_dir: a.data_dir,
            state_dir: PathBuf::new(),
            tag: String::new(),
        },
    };
    if duration.is_some() {
        catch_interrupts();
    }
    let mut rec = fault::start(&req).map_err(err)?;
    if !machine {
        print_out(&format!("{}\n", rec.id));
        eprintln!("{}", describe(&rec));
    }
    if let (Some(d), None) = (duration, rec.end_ts) {
        if !wait_unless_interrupted(d) && !machine {
            eprintln!("interrupted: healing {} now", rec.id);
        }
        rec = fault::stop(&a.session, &rec.id).map_err(err)?;
        if !machine {
            eprintln!("{}", describe(&rec));
        }
    }
    if machine {
        let mut v = summary(&rec);
        v["version"] = json!(1);
        print_out(&format!("{v}\n"));
    }
    Ok(exit::OK)
}

static INTERRUPTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    INTERRUPTED.store(true, std::sync::atomic::Ordering::SeqCst);
}

/// Note SIGINT and SIGTERM instead of dying, so Ctrl-C on `fault start --for` heals the fault
/// instead of leaving it for `undo --all`. Installed before the fault is applied.
fn catch_interrupts() {
    for sig in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
        unsafe { libc::signal(sig, on_signal as *const () as libc::sighandler_t) };
    }
}

/// Sleep for `d`, cut short by a caught SIGINT or SIGTERM. Returns false when interrupted.
fn wait_unless_interrupted(d: std::time::Duration) -> bool {
    use std::sync::atomic::Ordering;
    let end = std::time::Instant::now() + d;
    while !INTERRUPTED.load(Ordering::SeqCst) {
        let now = std::time::Instant::now();
        if now >= end {
            return true;
        }
        std::thread::sleep((end - now).min(std::time::Duration::from_millis(50)));
    }
    false
}

fn stop(a: StopArgs) -> CmdResult {
    let machine = a.format.machine();
    let rec = fault::stop(&a.session, &a.id).map_err(|e| CliError::from(e).machine(machine))?;
    if machine {
        let mut v = summary(&rec);
        v["version"] = json!(1);
        print_out(&format!("{v}\n"));
    } else {
        print_out(&format!("{}\n", describe(&rec)));
    }
    Ok(exit::OK)
}

fn undo(a: UndoArgs) -> CmdResult {
    let machine = a.format.machine();
    debug_assert!(a.all);
    let recs = fault::undo_all(&a.session).map_err(|e| CliError::from(e).machine(machine))?;
    if machine {
        let v = json!({"version": 1, "healed": recs.iter().map(summary).collect::<Vec<_>>()});
        print_out(&format!("{v}\n"));
    } else if recs.is_empty() {
        print_out("no active faults; nothing to heal\n");
    } else {
        let mut s = String::new();
        for r in &recs {
            s.push_str(&describe(r));
            s.push('\n');
        }
        print_out(&s);
    }
    Ok(exit::OK)
}

fn list(a: ListArgs) -> CmdResult {
    let machine = a.format.machine();
    let rows = fault::list(&a.session).map_err(|e| CliError::from(e).machine(machine))?;
    if machine {
        let v = json!({"version": 1, "faults": rows});
        print_out(&format!("{v}\n"));
        return Ok(exit::OK);
    }
    if rows.is_empty() {
        print_out("no faults in this session\n");
        return Ok(exit::OK);
    }
    let mut s = String::new();
    for r in &rows {
        let landed = serde_json::to_value(r.landed)
            .map(|v| v.to_string().trim_matches('"').to_string())
            .unwrap_or_default();
        s.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\tlanded {}\n",
            r.id,
            r.status,
            r.nemesis,
            r.scenario,
            r.targets.join(" "),
            landed
        ));
    }
    print_out(&s);
    Ok(exit::OK)
}
