//! `path:line:col: severity[CODE] message`, one line per diagnostic.

use super::FileReport;

pub(super) fn render(files: &[FileReport]) -> String {
    let mut s = String::new();
    for f in files {
        for d in &f.diagnostics {
            s.push_str(&format!(
                "{}:{}:{}: {}[{}] {}\n",
                f.path,
                d.line,
                d.column,
                d.severity.as_str(),
                d.code,
                d.message
            ));
        }
    }
    s
}
