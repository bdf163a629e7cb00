//! Exit codes, one decision written down once (see `shared/spec/cli-contract.md`).

/// Success: nothing at error level was found.
pub const OK: i32 = 0;
/// The command worked and found problems (lint errors, report rule breaches, a history violation).
pub const FOUND: i32 = 1;
/// The command could not do its job: bad arguments, unreadable or malformed input, refusing to
/// overwrite. The message says what and how to fix it.
pub const FAILED: i32 = 2;
/// `dstplan history check` only: undecided within the time/state budget.
pub const UNKNOWN: i32 = 3;
