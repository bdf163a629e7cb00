//! The operation types the models and their fast paths share, so neither imports the other.

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
