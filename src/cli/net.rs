//! `dstplan net up|down`: arguments and output; the engine is [`crate::net`].

use clap::Subcommand;
use serde_json::json;

use super::{print_out, CliError, CmdResult, TextOrJson as Format};
use crate::{exit, net};

/// Arguments of `dstplan net`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Create N network namespaces NAME-n1…NAME-nN on one bridge (10.213.K.0/24, local only)
    Up(UpArgs),
    /// Remove a net's namespaces and bridge (nothing to remove is fine)
    Down(DownArgs),
}

#[derive(Debug, clap::Args)]
struct UpArgs {
    /// The net's name (1-8 of a-z, 0-9, `-`)
    name: String,
    /// How many namespaces (nodes)
    #[arg(long)]
    nodes: usize,
    /// Output format
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

#[derive(Debug, clap::Args)]
struct DownArgs {
    /// The net's name
    name: String,
    /// Output format
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

pub fn run(args: Args) -> CmdResult {
    match args.command {
        Cmd::Up(a) => up(a),
        Cmd::Down(a) => down(a),
    }
}

fn up(a: UpArgs) -> CmdResult {
    let machine = a.format.machine();
    let n = net::up(&a.name, a.nodes).map_err(|e| CliError::from(e).machine(machine))?;
    if machine {
        let mut v = serde_json::to_value(&n).unwrap_or_default();
        v["version"] = json!(1);
        print_out(&format!("{v}\n"));
    } else {
        let mut s = format!(
            "net {}: bridge {} on {}, host address {}\n",
            n.name, n.bridge, n.subnet, n.host_address
        );
        for node in &n.nodes {
            s.push_str(&format!("{}\t{}\n", node.netns, node.address));
        }
        print_out(&s);
        for note in &n.notes {
            eprintln!("note: {note}");
        }
    }
    Ok(exit::OK)
}

fn down(a: DownArgs) -> CmdResult {
    let machine = a.format.machine();
    let r = net::down(&a.name).map_err(|e| CliError::from(e).machine(machine))?;
    if machine {
        let mut v = serde_json::to_value(&r).unwrap_or_default();
        v["version"] = json!(1);
        print_out(&format!("{v}\n"));
        return Ok(exit::OK);
    }
    if r.namespaces.is_empty() && r.bridge.is_none() {
        print_out(&format!("net {}: nothing to remove\n", r.name));
    } else {
        print_out(&format!(
            "net {}: removed {}{}\n",
            r.name,
            r.namespaces.join(", "),
            r.bridge
                .as_deref()
                .map(|b| format!(" and bridge {b}"))
                .unwrap_or_default()
        ));
    }
    if !r.leftover_pids.is_empty() {
        eprintln!(
            "warning: processes {:?} were still running in the removed namespaces; they keep \
             them alive until they exit (kill them by pid)",
            r.leftover_pids
        );
    }
    Ok(exit::OK)
}
