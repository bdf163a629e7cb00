//! `dstplan rules`: list the lint rules (code, name, default severity, summary).

use super::{print_out, CmdResult, TextOrJson as Format};
use crate::exit;

/// Arguments of `dstplan rules`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Output format
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

pub fn run(args: Args) -> CmdResult {
    let rules = crate::lint::registry();
    let s = match args.format {
        Format::Text => {
            let mut s = String::new();
            for r in &rules {
                s.push_str(&format!(
                    "{}  {:<34} {:<8} {}\n",
                    r.code,
                    r.name,
                    r.severity.as_str(),
                    r.summary
                ));
            }
            s
        }
        Format::Json => {
            let v: Vec<_> = rules
                .iter()
                .map(|r| serde_json::json!({"code": r.code, "name": r.name, "severity": r.severity.as_str(), "summary": r.summary}))
                .collect();
            format!("{}\n", serde_json::to_string_pretty(&v).expect("json"))
        }
    };
    print_out(&s);
    Ok(exit::OK)
}
