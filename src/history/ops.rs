//! The operation types the models and their fast paths share, so neither imports the other,
//! and the one real-time rule every checker uses ([`precedes`]).

/// Whether an op that completed at `complete` (`None`: never, or unknown) precedes one invoked
/// at `invoke` in real time. Intervals are closed (`shared/spec/history-format.md`): an op
/// invoked exactly when another completed touches it and is concurrent with it, so it may be
/// ordered either way. The `linear` search, `zones`, `chain`, `queue` and `invariants` all
/// decide order by this rule, so they agree on the same history.
pub fn precedes(complete: Option<i64>, invoke: i64) -> bool {
    complete.is_some_and(|c| c < invoke)
}

/// Register op: `read` (ok only), `write`, `cas`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RegOp {
    Read(u32),
    Write(u32),
    /// expected, new, reported outcome (`None` when indeterminate).
    Cas(u32, u32, Option<bool>),
}

/// Map op on a key that sees appends: the state is the string value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum StrOp {
    Get(Box<str>),
    Put(Box<str>),
    Append(Box<str>),
}
