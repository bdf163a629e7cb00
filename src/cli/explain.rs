//! `dstplan explain CODE`: a rule's documentation, with a bad and a good example.

use super::{print_out, CliError, CmdResult, TextOrJson as Format};
use crate::exit;

/// Arguments of `dstplan explain`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A rule code (`DST020`) or name (`unknown-reference`)
    code: String,
    /// Output format
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

pub fn run(args: Args) -> CmdResult {
    let Some(r) = crate::lint::find_rule(&args.code) else {
        return Err(CliError::new(format!(
            "`{}` is not a rule code or name; `dstplan rules` lists them",
            args.code
        )));
    };
    let s = match args.format {
        Format::Text => format!("{} {} ({})\n\n{}\ndefined in {}\n", r.code, r.name, r.severity.as_str(), r.doc.trim_end(), r.file),
        Format::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&serde_json::json!({"code": r.code, "name": r.name, "severity": r.severity.as_str(), "summary": r.summary, "explanation": r.doc, "file": r.file})).expect("json")
        ),
    };
    print_out(&s);
    Ok(exit::OK)
}
