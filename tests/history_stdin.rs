//! `-` reads the history from standard input for `history validate` and `history check`, with
//! the same verdicts, the same byte-order-mark handling and the same errors (named `<stdin>`).

mod common;
use common::*;

const OK: &str = concat!(
    "{\"op_id\":1,\"process_id\":0,\"invoke_ts\":1,\"complete_ts\":2,\"op_type\":\"write\",\"key\":\"x\",\"input\":1,\"output\":null,\"error\":null,\"timeout_marker\":false,\"node_seen\":null,\"fault_epoch\":null}\n",
    "{\"op_id\":2,\"process_id\":1,\"invoke_ts\":3,\"complete_ts\":4,\"op_type\":\"read\",\"key\":\"x\",\"input\":null,\"output\":1,\"error\":null,\"timeout_marker\":false,\"node_seen\":null,\"fault_epoch\":null}\n",
);

#[test]
fn check_and_validate_read_standard_input() {
    let o = run_with_stdin(
        &["history", "check", "-", "--model", "register"],
        OK.as_bytes(),
    );
    assert_exit(&o, 0);
    let stale = OK.replace("\"output\":1", "\"output\":7");
    let o = run_with_stdin(
        &["history", "check", "-", "--model", "register"],
        stale.as_bytes(),
    );
    assert_exit(&o, 1);
    let bom = format!("\u{feff}{OK}");
    let o = run_with_stdin(
        &["history", "validate", "-", "--format", "json"],
        bom.as_bytes(),
    );
    assert_exit(&o, 0);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["path"], "<stdin>");
    assert_eq!(v["ops"], 2);
}

#[test]
fn a_broken_line_on_standard_input_is_exit_2_with_its_line() {
    let broken = format!("{OK}{{not json\n");
    let o = run_with_stdin(&["history", "validate", "-"], broken.as_bytes());
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("<stdin>:3"), "{}", stderr(&o));
}
