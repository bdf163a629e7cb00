//! Leftovers found over the whole source after the walk: placeholders (`{{TODO…}}`, template
//! braces, angle-bracket words Markdown hides as HTML) and `dstplan-disable` directives.

use super::blocks::{Kind, Pass};
use super::model::*;
use super::Span;

fn in_code(spans: &[Span], off: usize) -> bool {
    let i = spans.partition_point(|s| s.start <= off);
    i > 0 && off < spans[i - 1].end
}

/// HTML elements (and SVG/MathML roots) that are not template leftovers.
const HTML_ELEMENTS: &[&str] = &[
    "a",
    "abbr",
    "address",
    "area",
    "article",
    "aside",
    "audio",
    "b",
    "bdi",
    "bdo",
    "big",
    "blockquote",
    "body",
    "br",
    "button",
    "canvas",
    "caption",
    "center",
    "cite",
    "code",
    "col",
    "colgroup",
    "data",
    "dd",
    "del",
    "details",
    "dfn",
    "div",
    "dl",
    "dt",
    "em",
    "embed",
    "fieldset",
    "figcaption",
    "figure",
    "font",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "head",
    "header",
    "hr",
    "html",
    "i",
    "iframe",
    "img",
    "input",
    "ins",
    "kbd",
    "label",
    "legend",
    "li",
    "link",
    "main",
    "map",
    "mark",
    "math",
    "meta",
    "meter",
    "nav",
    "noscript",
    "object",
    "ol",
    "optgroup",
    "option",
    "output",
    "p",
    "param",
    "picture",
    "pre",
    "progress",
    "q",
    "rp",
    "rt",
    "ruby",
    "s",
    "samp",
    "script",
    "section",
    "select",
    "small",
    "source",
    "span",
    "strike",
    "strong",
    "style",
    "sub",
    "summary",
    "sup",
    "svg",
    "table",
    "tbody",
    "td",
    "template",
    "textarea",
    "tfoot",
    "th",
    "thead",
    "time",
    "title",
    "tr",
    "track",
    "tt",
    "u",
    "ul",
    "var",
    "video",
    "wbr",
];

pub(super) fn find_placeholders(src: &str, pass: &Pass, plan: &mut Plan) {
    let mut code = pass.code_spans.clone();
    code.sort();
    let mut i = 0;
    let finder = memchr::memmem::Finder::new("{{");
    while let Some(p) = src.as_bytes().get(i..).and_then(|s| finder.find(s)) {
        let at = i + p;
        let rest = &src[at + 2..];
        let line_end = rest.find('\n').unwrap_or(rest.len());
        let close = rest[..line_end].find("}}").map(|c| c + 2);
        let end = at + 2 + close.unwrap_or(line_end.min(60));
        let end = (at + 2..=end.min(src.len()))
            .rev()
            .find(|&e| src.is_char_boundary(e))
            .unwrap_or(at + 2);
        let inner = rest.trim_start();
        let kind = if inner
            .get(..4)
            .is_some_and(|w| w.eq_ignore_ascii_case("todo"))
        {
            Some(PlaceholderKind::Todo)
        } else if !in_code(&code, at)
            && inner
                .chars()
                .next()
                .is_some_and(|c| c.is_alphabetic() || c == '_')
        {
            Some(PlaceholderKind::Template)
        } else {
            None
        };
        if let Some(kind) = kind {
            plan.placeholders.push(Placeholder {
                kind,
                text: src[at..end].to_string(),
                span: Span::new(at, end),
            });
            i = end.max(at + 2);
        } else {
            i = at + 2;
        }
    }
    for (raw, span) in &pass.html {
        if in_code(&code, span.start) {
            continue;
        }
        let mut j = 0;
        while let Some(p) = raw.get(j..).and_then(|s| s.find('<')) {
            let at = j + p;
            let t = &raw[at + 1..];
            if t.starts_with("!--") {
                j = at + 1 + t.find("-->").map_or(t.len(), |e| e + 3);
                continue;
            }
            let t2 = t.strip_prefix('/').unwrap_or(t);
            let name: String = t2
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            let close = t.find('>').map_or(t.len().min(40), |e| e + 1);
            if !name.is_empty()
                && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && !HTML_ELEMENTS.contains(&name.to_ascii_lowercase().as_str())
            {
                let start = span.start + at;
                let end = (start + 1 + close).min(span.end.max(start + 1));
                let text = src.get(start..end).unwrap_or(&raw[at..]).to_string();
                plan.placeholders.push(Placeholder {
                    kind: PlaceholderKind::Angle,
                    text,
                    span: Span::new(start, end),
                });
            }
            j = at + 1;
        }
    }
    plan.placeholders.sort_by_key(|p| p.span.start);
    plan.placeholders.dedup_by_key(|p| p.span.start);
}

pub(super) fn find_directives(src: &str, pass: &Pass, plan: &mut Plan) {
    for (raw, span) in &pass.html {
        let mut rest = raw.as_str();
        while let Some(p) = rest.find("dstplan-disable") {
            let after = &rest[p + "dstplan-disable".len()..];
            let end = after.find("-->").unwrap_or(after.len());
            let body = after[..end].trim();
            let (codes_part, reason) = match body.find(':') {
                Some(c) => (&body[..c], body[c + 1..].trim()),
                None => (body, ""),
            };
            let codes: Vec<String> = codes_part
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter(|s| !s.is_empty())
                .map(|s| s.to_ascii_uppercase())
                .collect();
            let target = directive_target(src, pass, span.end);
            plan.directives.push(Directive {
                codes,
                reason: reason.to_string(),
                span: *span,
                target,
            });
            rest = &after[end..];
        }
    }
}

/// The element after a directive: a heading extends to the next heading of the same or a
/// higher level; any other block is itself.
fn directive_target(src: &str, pass: &Pass, after: usize) -> Span {
    // the outline is in source order
    let blocks = &pass.outline;
    let from = blocks.partition_point(|b| b.1.start < after);
    let Some(i) = blocks[from..]
        .iter()
        .position(|b| b.0 != Kind::Html)
        .map(|k| from + k)
    else {
        return Span::new(after, after);
    };
    let (kind, span) = blocks[i];
    if let Kind::Heading(level) = kind {
        let end = blocks[i + 1..]
            .iter()
            .find(|n| matches!(n.0, Kind::Heading(l) if l <= level))
            .map_or(src.len(), |n| n.1.start);
        Span::new(span.start, end)
    } else {
        span
    }
}
