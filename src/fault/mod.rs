//! Fault injection for execution sessions: start, heal and list faults, with their landing
//! probes recorded in the session's fault log (`log`).
//!
//! - [`log`]: the fault log format (`artifacts/<S>/faults.jsonl`), the clock it shares with
//!   histories, and reading a session's log back (used by `report` and `history record`).

pub mod log;
