//! The lint JSON object of `cli-contract.md`:
//!
//! ```json
//! {"version": 1,
//!  "files": [{"path": "testing-plans/x.md", "errors": 1, "warnings": 0}],
//!  "diagnostics": [{"path": "…", "line": 42, "column": 1, "end_line": 42, "severity": "error",
//!                   "code": "DST020", "message": "…", "help": "…"}]}
//! ```

use serde::Serialize;

use super::FileReport;

#[derive(Serialize)]
struct Out<'a> {
    version: u32,
    files: Vec<FileOut<'a>>,
    diagnostics: Vec<DiagOut<'a>>,
}

#[derive(Serialize)]
struct FileOut<'a> {
    path: &'a str,
    errors: usize,
    warnings: usize,
}

/// One diagnostic in the JSON shape shared by `lint` and `report`.
#[derive(Serialize)]
pub struct DiagOut<'a> {
    pub path: &'a str,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub severity: &'static str,
    pub code: &'a str,
    pub message: &'a str,
    pub help: &'a str,
}

pub(super) fn render(files: &[FileReport]) -> String {
    let out = Out {
        version: 1,
        files: files
            .iter()
            .map(|f| FileOut {
                path: &f.path,
                errors: f.errors(),
                warnings: f.warnings(),
            })
            .collect(),
        diagnostics: files
            .iter()
            .flat_map(|f| {
                f.diagnostics.iter().map(move |d| DiagOut {
                    path: &f.path,
                    line: d.line,
                    column: d.column,
                    end_line: d.end_line,
                    severity: d.severity.as_str(),
                    code: d.code,
                    message: &d.message,
                    help: &d.help,
                })
            })
            .collect(),
    };
    let mut s = serde_json::to_string_pretty(&out).expect("serialisable");
    s.push('\n');
    s
}
