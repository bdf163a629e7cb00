//! Nemeses that act on a host resource rather than a process or a link: `clock-skew` (through
//! libfaketime's timestamp file) and `disk-full` (filling a data dir's own mount).

use std::path::{Path, PathBuf};

use super::nemeses::{Action, Knobs, Plan, Probe, Step};
use super::targets::Target;
use crate::error::Error;
use crate::fsx::{self, Overwrite};
use crate::net::cmd::{self, argv};

/// The libfaketime settings a target process was started with.
#[derive(Debug, Clone)]
pub struct Faketime {
    pub preload: String,
    pub file: String,
    pub no_cache: bool,
}

/// Read `LD_PRELOAD` (naming libfaketime) and `FAKETIME_TIMESTAMP_FILE` from
/// `/proc/PID/environ`.
pub fn faketime_of(pid: u32) -> Option<Faketime> {
    let env = std::fs::read(format!("/proc/{pid}/environ")).ok()?;
    let mut preload = None;
    let mut file = None;
    let mut no_cache = false;
    for var in env.split(|b| *b == 0) {
        let v = String::from_utf8_lossy(var);
        if let Some(p) = v.strip_prefix("LD_PRELOAD=") {
            preload = p
                .split([' ', ':'])
                .find(|x| x.contains("libfaketime"))
                .map(str::to_string);
        } else if let Some(f) = v.strip_prefix("FAKETIME_TIMESTAMP_FILE=") {
            file = Some(f.to_string());
        } else if v == "FAKETIME_NO_CACHE=1" {
            no_cache = true;
        }
    }
    Some(Faketime {
        preload: preload?,
        file: file?,
        no_cache,
    })
}

/// `clock-skew`: write the offset into each target's libfaketime timestamp file (the undo
/// writes the previous content back). A process not started under libfaketime is refused:
/// no running process's clock can be moved from outside without it.
pub fn clock_plan(
    id: &str,
    targets: &[(String, Target)],
    k: &Knobs,
    state_dir: &Path,
) -> Result<Plan, Error> {
    cmd::require_tool("cp", "coreutils", "clock-skew")?;
    cmd::require_tool("date", "coreutils", "clock-skew")?;
    let mut steps = Vec::new();
    let mut clocks = Vec::new();
    let offset = format!("{:+}", k.skew_secs);
    for (given, t) in targets {
        for pid in t.pids(given)? {
            let ft = faketime_of(pid).ok_or_else(|| {
                Error::environment(format!(
                    "target {given}: process {pid} was not started under libfaketime (no \
                     LD_PRELOAD of libfaketime and FAKETIME_TIMESTAMP_FILE in \
                     /proc/{pid}/environ), and a running process's clock cannot be moved from \
                     outside; restart the member with `env LD_PRELOAD=/usr/lib/x86_64-linux-gnu/\
                     faketime/libfaketime.so.1 FAKETIME_TIMESTAMP_FILE=/tmp/clock-<node> \
                     FAKETIME_NO_CACHE=1 <command>` (package faketime)"
                ))
            })?;
            let host_file = root_path(pid, &ft.file);
            let before = std::fs::read_to_string(&host_file).unwrap_or_else(|_| "+0\n".into());
            let n = clocks.len();
            let saved = state_dir.join(format!("{id}.clock{n}.before"));
            let skewed = state_dir.join(format!("{id}.clock{n}.skew"));
            fsx::write(&saved, before.as_bytes(), Overwrite::Allow)?;
            fsx::write(&skewed, format!("{offset}\n").as_bytes(), Overwrite::Allow)?;
            let host = host_file.display().to_string();
            steps.push(Step {
                apply: argv(&["cp", &skewed.display().to_string(), &host]),
                undo: vec![Action::Run(argv(&[
                    "cp",
                    &saved.display().to_string(),
                    &host,
                ]))],
            });
            clocks.push((pid, ft.preload, ft.file, ft.no_cache));
        }
    }
    Ok(Plan {
        steps,
        probe: Probe::Clock {
            clocks,
            expect_secs: k.skew_secs,
        },
        self_healing: false,
    })
}

/// A path inside a process's mount namespace, as the host sees it.
fn root_path(pid: u32, p: &str) -> PathBuf {
    let same = std::fs::read_link(format!("/proc/{pid}/root")).is_ok_and(|r| r == Path::new("/"));
    if same {
        PathBuf::from(p)
    } else {
        PathBuf::from(format!("/proc/{pid}/root{p}"))
    }
}

/// Read a target's clock: `date +%s%N` under the target's libfaketime settings, in its mount
/// namespace, minus the real clock read at the same moment, in milliseconds.
pub fn clock_skew_ms(pid: u32, preload: &str, file: &str) -> Option<i64> {
    let mut a = argv(&["nsenter", "-t", &pid.to_string(), "-m", "env"]);
    a.push(format!("LD_PRELOAD={preload}"));
    a.push(format!("FAKETIME_TIMESTAMP_FILE={file}"));
    a.extend(argv(&["FAKETIME_NO_CACHE=1", "date", "+%s%N"]));
    let t0 = real_ns();
    let r = cmd::run(&a).ok().filter(|r| r.ok)?;
    let t1 = real_ns();
    let theirs: i128 = r.stdout.trim().parse().ok()?;
    let ours = (t0 + t1) / 2;
    i64::try_from((theirs - ours) / 1_000_000).ok()
}

fn real_ns() -> i128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i128)
        .unwrap_or(0)
}

/// `disk-full`: fill the file system of `--data-dir` with one preallocated file (the undo
/// removes it). Refuses a data dir on the root file system, which would fill the whole host.
pub fn disk_plan(id: &str, targets: &[(String, Target)], k: &Knobs) -> Result<Plan, Error> {
    cmd::require_tool("fallocate", "util-linux", "disk-full")?;
    for (given, t) in targets {
        if matches!(t, Target::Pid(_)) {
            t.pids(given)?;
        }
    }
    let dir = k.data_dir.as_ref().ok_or_else(|| {
        Error::new(
            "disk-full needs --data-dir DIR: the member's data directory, on a mount of its own \
             (for example `mount -t tmpfs -o size=256m tmpfs DIR` before starting the member)",
        )
    })?;
    if !dir.is_dir() {
        return Err(Error::at_path(
            dir,
            None,
            "is not a directory; give the member's data directory as --data-dir",
        ));
    }
    let dev = |p: &Path| {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(p).map(|m| m.dev()).ok()
    };
    if dev(dir) == dev(Path::new("/")) {
        return Err(Error::at_path(
            dir,
            None,
            "is on the root file system, and filling it would fill the whole host; give the \
             data dir a size-limited mount of its own first (`mount -t tmpfs -o size=256m tmpfs \
             DIR` or a loop-mounted image) and start the member on it",
        ));
    }
    let free = free_bytes(dir).ok_or_else(|| {
        Error::at_path(
            dir,
            None,
            "cannot read the file system's free space (statvfs)",
        )
    })?;
    let fill = dir.join(format!(".dstplan-fill-{id}"));
    let fill_s = fill.display().to_string();
    Ok(Plan {
        steps: vec![Step {
            apply: argv(&["fallocate", "-l", &free.max(4096).to_string(), &fill_s]),
            undo: vec![Action::Run(argv(&["rm", "-f", &fill_s]))],
        }],
        probe: Probe::Disk {
            dir: dir.clone(),
            probe_file: dir.join(format!(".dstplan-probe-{id}")),
        },
        self_healing: false,
    })
}

/// Bytes an unprivileged writer can still use on the file system of `dir`.
pub fn free_bytes(dir: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    // SAFETY: `c` is a valid NUL-terminated path and `st` a writable statvfs.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(c.as_ptr(), &mut st) } != 0 {
        return None;
    }
    Some(st.f_bavail.saturating_mul(st.f_frsize))
}

/// Try to write 64 KiB in `dir` (then remove it): `"ok"`, `"ENOSPC"`, or the error.
pub fn write_probe(file: &Path) -> String {
    use std::io::Write;
    let r = std::fs::File::create(file).and_then(|mut f| {
        f.write_all(&[0u8; 65536])?;
        f.sync_all()
    });
    let _ = std::fs::remove_file(file);
    match r {
        Ok(()) => "ok".into(),
        Err(e) if e.raw_os_error() == Some(libc::ENOSPC) => "ENOSPC".into(),
        Err(e) => e.to_string(),
    }
}
