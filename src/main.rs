//! The `dstplan` binary: parse arguments, run the command, exit with its code. Nothing else.

fn main() {
    std::process::exit(dstplan::cli::main());
}
