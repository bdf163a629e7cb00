//! The only module that writes files. Every write goes to a temporary file in the target's
//! directory and is renamed into place, so a reader never sees a half-written file, and a
//! target that already exists is never replaced unless the caller says so (`--force`).
//! It also opens the user's input files for reading ([`open_regular`], [`read_text_bounded`]):
//! regular files only (a FIFO would block forever, `/dev/zero` never ends), size-bounded.

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

/// Replace the file at `path` with `bytes` atomically, in place: when `path` is a symbolic
/// link, the file it points to is replaced (the temporary file goes in that file's directory)
/// and the link stays a link. The file keeps its permissions. For edits of a user's own file
/// (`scenario add`, `lint --fix`).
pub fn replace_in_place(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    let target = if path
        .symlink_metadata()
        .is_ok_and(|m| m.file_type().is_symlink())
    {
        fs::canonicalize(path).map_err(|e| WriteError::Io(path.to_path_buf(), e))?
    } else {
        path.to_path_buf()
    };
    let perms = fs::metadata(&target).ok().map(|m| m.permissions());
    write(&target, bytes, Overwrite::Allow)?;
    if let Some(p) = perms {
        fs::set_permissions(&target, p).map_err(|e| WriteError::Io(target.clone(), e))?;
    }
    Ok(())
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

/// Why an input file was not read.
#[derive(Debug)]
pub enum ReadError {
    /// Not a regular file (a directory, a FIFO, a device, a socket): what it is.
    NotRegular(PathBuf, &'static str),
    /// Larger than the bound, in bytes.
    TooLarge(PathBuf, u64),
    /// Not UTF-8 text: the 1-based line of the first bad byte.
    NotUtf8(PathBuf, usize),
    /// An I/O error, with the path it happened on.
    Io(PathBuf, std::io::Error),
}

impl ReadError {
    /// The file it is about.
    pub fn path(&self) -> &Path {
        match self {
            ReadError::NotRegular(p, _)
            | ReadError::TooLarge(p, _)
            | ReadError::NotUtf8(p, _)
            | ReadError::Io(p, _) => p,
        }
    }

    /// The message without the path.
    pub fn message(&self) -> String {
        match self {
            ReadError::NotRegular(_, kind) => format!(
                "not a regular file but {kind}; give the path of a regular file (copy a stream to a file first)"
            ),
            ReadError::TooLarge(_, max) => format!(
                "larger than {max} bytes, the most dstplan reads from such a file; split it or give the right file"
            ),
            ReadError::NotUtf8(_, _) => {
                "not UTF-8 text (invalid byte sequence); save it as UTF-8".to_string()
            }
            ReadError::Io(_, e) => format!("cannot read: {e}"),
        }
    }

    /// The line the error is on, when it is about one.
    pub fn line(&self) -> Option<usize> {
        match self {
            ReadError::NotUtf8(_, l) => Some(*l),
            _ => None,
        }
    }
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line() {
            Some(l) => write!(f, "{}:{l}: {}", self.path().display(), self.message()),
            None => write!(f, "{}: {}", self.path().display(), self.message()),
        }
    }
}

impl std::error::Error for ReadError {}

fn kind_of(ft: fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if ft.is_dir() {
        "a directory"
    } else if ft.is_fifo() {
        "a FIFO (named pipe)"
    } else if ft.is_char_device() {
        "a character device"
    } else if ft.is_block_device() {
        "a block device"
    } else if ft.is_socket() {
        "a socket"
    } else {
        "a special file"
    }
}

/// Open `path` for reading if it is a regular file (symbolic links followed), without ever
/// blocking on a FIFO; returns the file and its size.
pub fn open_regular(path: &Path) -> Result<(fs::File, u64), ReadError> {
    use std::os::unix::fs::OpenOptionsExt;
    let io = |e| ReadError::Io(path.to_path_buf(), e);
    let meta = fs::metadata(path).map_err(io)?;
    if !meta.file_type().is_file() {
        return Err(ReadError::NotRegular(
            path.to_path_buf(),
            kind_of(meta.file_type()),
        ));
    }
    // O_NONBLOCK: if the path was swapped for a FIFO since the check, `open` still returns.
    let file = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if !meta.file_type().is_file() {
        return Err(ReadError::NotRegular(
            path.to_path_buf(),
            kind_of(meta.file_type()),
        ));
    }
    Ok((file, meta.len()))
}

/// Open a regular file of at most `max_bytes` bytes as a buffered reader that stops after
/// `max_bytes` even if the file grows meanwhile.
pub fn open_bounded(
    path: &Path,
    max_bytes: u64,
) -> Result<std::io::BufReader<std::io::Take<fs::File>>, ReadError> {
    use std::io::Read;
    let (file, len) = open_regular(path)?;
    if len > max_bytes {
        return Err(ReadError::TooLarge(path.to_path_buf(), max_bytes));
    }
    Ok(std::io::BufReader::with_capacity(
        1 << 16,
        file.take(max_bytes),
    ))
}

/// The UTF-8 byte order mark some editors put at the start of a file.
pub const BOM: &str = "\u{feff}";

/// A line as read, trimmed; on the first line (`first`) also without a leading byte order
/// mark, which some editors write and which is not part of the content.
pub fn trim_line(buf: &str, first: bool) -> &str {
    let text = buf.trim();
    if first {
        text.strip_prefix(BOM).unwrap_or(text).trim_start()
    } else {
        text
    }
}

/// Read a regular file of at most `max_bytes` bytes. Refuses directories, FIFOs and devices
/// instead of blocking or reading forever.
pub fn read_bytes_bounded(path: &Path, max_bytes: u64) -> Result<Vec<u8>, ReadError> {
    use std::io::Read;
    let (file, len) = open_regular(path)?;
    if len > max_bytes {
        return Err(ReadError::TooLarge(path.to_path_buf(), max_bytes));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    file.take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| ReadError::Io(path.to_path_buf(), e))?;
    if bytes.len() as u64 > max_bytes {
        return Err(ReadError::TooLarge(path.to_path_buf(), max_bytes));
    }
    Ok(bytes)
}

/// Read a regular file of at most `max_bytes` as UTF-8 text, without a leading byte order
/// mark. Refuses directories, FIFOs and devices instead of blocking or reading forever.
pub fn read_text_bounded(path: &Path, max_bytes: u64) -> Result<String, ReadError> {
    let bytes = read_bytes_bounded(path, max_bytes)?;
    match String::from_utf8(bytes) {
        Ok(mut s) => {
            if s.starts_with(BOM) {
                s.drain(..BOM.len());
            }
            Ok(s)
        }
        Err(e) => {
            let upto = e.utf8_error().valid_up_to();
            let line = 1 + e.as_bytes()[..upto].iter().filter(|&&b| b == b'\n').count();
            Err(ReadError::NotUtf8(path.to_path_buf(), line))
        }
    }
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

    #[test]
    fn reading_refuses_what_is_not_a_regular_file_and_bounds_the_size() {
        let dir = tempfile::tempdir().unwrap();
        let e = read_text_bounded(dir.path(), 10).unwrap_err();
        assert!(e.message().contains("a directory"), "{e}");
        let e = read_text_bounded(Path::new("/dev/zero"), 10).unwrap_err();
        assert!(e.message().contains("character device"), "{e}");
        let p = dir.path().join("a.txt");
        fs::write(&p, "\u{feff}hi\n").unwrap();
        assert_eq!(read_text_bounded(&p, 100).unwrap(), "hi\n");
        assert!(matches!(
            read_text_bounded(&p, 3),
            Err(ReadError::TooLarge(_, 3))
        ));
        fs::write(&p, b"ok\nok\n\xff\n").unwrap();
        assert_eq!(read_text_bounded(&p, 100).unwrap_err().line(), Some(3));
    }
}
