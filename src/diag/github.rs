//! GitHub Actions workflow commands: `::error file=…,line=…,col=…,title=CODE::message`.

use super::{FileReport, Severity};

/// Escape a workflow command's message (`%`, CR, LF).
pub fn esc_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escape a workflow command's property value (the message escapes plus `:` and `,`).
pub fn esc_prop(s: &str) -> String {
    esc_data(s).replace(':', "%3A").replace(',', "%2C")
}

pub(super) fn render(files: &[FileReport]) -> String {
    let mut s = String::new();
    for f in files {
        for d in &f.diagnostics {
            let level = match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            s.push_str(&format!(
                "::{level} file={},line={},col={},endLine={},title={}::{}\n",
                esc_prop(&f.path),
                d.line,
                d.column,
                d.end_line,
                esc_prop(d.code),
                esc_data(&format!("{} (help: {})", d.message, d.help))
            ));
        }
    }
    s
}
