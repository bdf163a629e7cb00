//! The only module that writes files. Every write goes to a temporary file in the target's
//! directory and is renamed into place, so a reader never sees a half-written file, and a
//! target that already exists is never replaced unless the caller says so (`--force`).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Why a write was refused or failed.
#[derive(Debug)]
pub enum WriteError {
    /// The target exists and the caller did not allow replacing it.
    Exists(PathBuf),
    /// An I/O error, with the path it happened on.
    Io(PathBuf, std::io::Error),
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WriteError::Exists(p) => write!(
                f,
                "{} already exists; refusing to overwrite it (pass --force to replace it)",
                p.display()
            ),
            WriteError::Io(p, e) => write!(f, "cannot write {}: {e}", p.display()),
        }
    }
}

impl std::error::Error for WriteError {}

/// Whether an existing target may be replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overwrite {
    /// Refuse when the target exists.
    Never,
    /// Replace the target atomically.
    Allow,
}

/// Write `bytes` to `path` atomically, creating parent directories.
///
/// With [`Overwrite::Never`] an existing target is left untouched and [`WriteError::Exists`]
/// is returned. The final step is a `rename` (or, for `Never`, a hard link that fails when the
/// target appeared meanwhile), so the target is either the old file or the complete new one.
pub fn write(path: &Path, bytes: &[u8], overwrite: Overwrite) -> Result<(), WriteError> {
    let io = |e| WriteError::Io(path.to_path_buf(), e);
    if overwrite == Overwrite::Never && path.symlink_metadata().is_ok() {
        return Err(WriteError::Exists(path.to_path_buf()));
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&dir).map_err(io)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let tmp = dir.join(format!(".{name}.dstplan-tmp-{}", std::process::id()));
    let result = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        match overwrite {
            Overwrite::Allow => fs::rename(&tmp, path),
            Overwrite::Never => {
                // A hard link fails if the target was created meanwhile; fall back to a
                // checked rename on file systems without hard links.
                match fs::hard_link(&tmp, path) {
                    Ok(()) => fs::remove_file(&tmp),
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(e),
                    Err(_) => {
                        if path.exists() {
                            Err(std::io::Error::from(std::io::ErrorKind::AlreadyExists))
                        } else {
                            fs::rename(&tmp, path)
                        }
                    }
                }
            }
        }
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    match result {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            Err(WriteError::Exists(path.to_path_buf()))
        }
        Err(e) => Err(io(e)),
    }
}

/// Write several files as one step: every temporary file is written and synced first, and only
/// then are they renamed into place, in the order given. A failure while writing (a full
/// disk) leaves every target as it was and no temporary file behind. Targets are replaced.
pub fn write_all(files: &[(&Path, &[u8])]) -> Result<(), WriteError> {
    let mut temps: Vec<(PathBuf, &Path)> = Vec::new();
    let cleanup = |temps: &[(PathBuf, &Path)]| {
        for (tmp, _) in temps {
            let _ = fs::remove_file(tmp);
        }
    };
    for (path, bytes) in files {
        let io = |e| WriteError::Io(path.to_path_buf(), e);
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let made = fs::create_dir_all(&dir).and_then(|()| {
            let tmp = dir.join(format!(
                ".{}.dstplan-tmp-{}",
                path.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "out".into()),
                std::process::id()
            ));
            let mut f = fs::File::create(&tmp)?;
            temps.push((tmp, path));
            f.write_all(bytes)?;
            f.sync_all()
        });
        if let Err(e) = made {
            cleanup(&temps);
            return Err(io(e));
        }
    }
    for (i, (tmp, path)) in temps.iter().enumerate() {
        if let Err(e) = fs::rename(tmp, path) {
            cleanup(&temps[i..]);
            return Err(WriteError::Io(path.to_path_buf(), e));
        }
    }
    Ok(())
}

/// Remove temporary files `.<name>.dstplan-tmp-PID` in `dir` whose `<name>` starts with
/// `prefix` and whose process is gone (no `/proc/PID`): leftovers of a killed run. Files of
/// live processes, and everything on a system without `/proc`, are left alone.
pub fn clean_stale_temps(dir: &Path, prefix: &str) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(rd) = fs::read_dir(dir) else { return };
    for e in rd.filter_map(Result::ok) {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix('.').filter(|r| r.starts_with(prefix)) else {
            continue;
        };
        let Some((_, pid)) = rest.rsplit_once(".dstplan-tmp-") else {
            continue;
        };
        let Ok(pid) = pid.parse::<u32>() else {
            continue;
        };
        if pid != std::process::id()
            && !Path::new(&format!("/proc/{pid}")).exists()
            && e.file_type().is_ok_and(|t| t.is_file())
        {
            let _ = fs::remove_file(e.path());
        }
    }
}

/// Append one line (a `\n` is added) to `path`, creating it and its directories. The line
/// goes out in a single `write` on a file opened with `O_APPEND`, so concurrent appenders and a
/// crash mid-way never interleave or half-write a line shorter than the pipe buffer, and the
/// data is synced before returning: a log that outlives the process that wrote it.
pub fn append_line(path: &Path, line: &str) -> Result<(), WriteError> {
    let io = |e| WriteError::Io(path.to_path_buf(), e);
    if let Some(d) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(d).map_err(io)?;
    }
    let mut buf = String::with_capacity(line.len() + 1);
    buf.push_str(line);
    buf.push('\n');
    let mut f = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(io)?;
    f.write_all(buf.as_bytes()).map_err(io)?;
    f.sync_data().map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_refuses_an_existing_file_and_leaves_it_alone() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a/b.md");
        write(&p, b"first", Overwrite::Never).unwrap();
        let err = write(&p, b"second", Overwrite::Never).unwrap_err();
        assert!(matches!(err, WriteError::Exists(_)));
        assert_eq!(fs::read(&p).unwrap(), b"first");
        write(&p, b"third", Overwrite::Allow).unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"third");
        // no temporary files are left behind
        let names: Vec<_> = fs::read_dir(p.parent().unwrap()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn append_line_adds_whole_lines_to_the_end() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x/log.jsonl");
        append_line(&p, "{\"a\":1}").unwrap();
        append_line(&p, "{\"a\":2}").unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "{\"a\":1}\n{\"a\":2}\n");
    }
}
