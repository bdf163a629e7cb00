//! The report engine on a fuzzed finding file inside a valid session (the `clean` session and
//! its plan from the test fixtures, laid out as they are there): a report or an error, never a
//! panic.
#![no_main]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/common/fsutil.rs"]
mod fsutil;
use fsutil::copy_dir;

/// A copy of the fixture session (made once per process) whose S1 finding each run replaces.
fn session() -> &'static PathBuf {
    static DIR: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &DIR.get_or_init(|| {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures");
        let tmp = tempfile::tempdir().unwrap();
        let session = tmp.path().join("sessions/clean");
        copy_dir(&fixtures.join("sessions/clean"), &session);
        copy_dir(&fixtures.join("report-plans"), &tmp.path().join("report-plans"));
        (tmp, session)
    })
    .1
}

fuzz_target!(|data: &[u8]| {
    let dir = session();
    std::fs::write(dir.join("findings/S1.md"), data).unwrap();
    if let Ok(mut r) = dstplan::report::build(dir, &dstplan::report::history_oracle()) {
        let _ = dstplan::report::finish(&mut r);
    }
});
