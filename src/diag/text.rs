//! rustc-style diagnostics via annotate-snippets: the message with its code, the source
//! line with a caret under the offending text, and the help.

use annotate_snippets::{AnnotationKind, Level, Renderer, Snippet};

use super::{FileReport, Severity};

pub(super) fn render(files: &[FileReport], color: bool) -> String {
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let mut s = String::new();
    let (mut errors, mut warnings) = (0, 0);
    for f in files {
        let src = f.source.as_str();
        for d in &f.diagnostics {
            // the snippet is the diagnostic's first line only: enough to see the text, cheap
            let ls = src[..d.start.min(src.len())]
                .rfind('\n')
                .map_or(0, |i| i + 1);
            let le = src[ls..].find('\n').map_or(src.len(), |i| ls + i);
            let line = &src[ls..le];
            let mut a = (d.start.max(ls) - ls).min(line.len());
            while a > 0 && !line.is_char_boundary(a) {
                a -= 1;
            }
            let mut b = (d.end.min(le).max(d.start) - ls).min(line.len());
            if b <= a {
                b = line[a..].chars().next().map_or(a, |c| a + c.len_utf8());
            }
            while b < line.len() && !line.is_char_boundary(b) {
                b += 1;
            }
            let level = match d.severity {
                Severity::Error => Level::ERROR,
                Severity::Warning => Level::WARNING,
            };
            let mut snippet = Snippet::source(line)
                .line_start(d.line)
                .path(f.path.as_str());
            if !line.is_empty() {
                snippet = snippet.annotation(AnnotationKind::Primary.span(a..b));
            }
            let report = &[level
                .primary_title(d.message.as_str())
                .id(d.code)
                .element(snippet)
                .element(Level::HELP.message(d.help.as_str()))];
            s.push_str(&renderer.render(report));
            s.push_str("\n\n");
        }
        errors += f.errors();
        warnings += f.warnings();
    }
    let plans = files.len();
    s.push_str(&format!(
        "{plans} plan{} checked: {errors} error{}, {warnings} warning{}\n",
        if plans == 1 { "" } else { "s" },
        if errors == 1 { "" } else { "s" },
        if warnings == 1 { "" } else { "s" }
    ));
    s
}
