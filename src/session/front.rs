//! A fast path for finding front matter: the plain YAML subset `finding new` writes (block
//! mappings of `key: value` lines, plain or quoted scalars, flow lists of scalars, comments)
//! read straight into a JSON value. Anything outside that subset — anchors, tags, block
//! scalars, block lists, multi-line scalars, floats, unusual escapes, tabs, duplicate keys —
//! returns `None`, and the caller parses with serde-saphyr as before, so the fast path never
//! decides an error and never reads a document differently (a test compares both on every
//! finding in the repository and on generated edge cases).

use serde_json::{Map, Number, Value};

/// Deepest mapping nesting the fast path reads (the budget's depth limit is higher).
const MAX_DEPTH: usize = 8;
/// Most scalars the fast path reads (the budget's node limit is higher).
const MAX_NODES: usize = 5_000;

/// The front matter as a value, or `None` when it is not in the simple subset.
pub fn parse(front: &str) -> Option<Value> {
    let mut lines: Vec<(usize, &str)> = Vec::new();
    for raw in front.split('\n') {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.contains('\t') {
            return None;
        }
        let body = line.trim_start_matches(' ');
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        if body.starts_with("---") || body.starts_with("...") || body.starts_with('%') {
            return None;
        }
        lines.push((line.len() - body.len(), body));
    }
    if lines.is_empty() {
        return Some(Value::Null);
    }
    let mut pos = 0;
    let mut nodes = 0;
    let v = mapping(&lines, &mut pos, 0, 0, &mut nodes)?;
    (pos == lines.len()).then_some(v)
}

fn mapping(
    lines: &[(usize, &str)],
    pos: &mut usize,
    indent: usize,
    depth: usize,
    nodes: &mut usize,
) -> Option<Value> {
    if depth > MAX_DEPTH {
        return None;
    }
    let mut map = Map::new();
    while let Some(&(ind, body)) = lines.get(*pos) {
        if ind < indent {
            break;
        }
        if ind > indent {
            return None;
        }
        let (key, rest) = split_key(body)?;
        if map.contains_key(key) {
            return None;
        }
        *pos += 1;
        *nodes += 1;
        if *nodes > MAX_NODES {
            return None;
        }
        let value = if rest.is_empty() {
            match lines.get(*pos) {
                Some(&(next, _)) if next > indent => mapping(lines, pos, next, depth + 1, nodes)?,
                _ => Value::Null,
            }
        } else {
            // A value on the line may not continue on the next, more indented line.
            if lines.get(*pos).is_some_and(|&(next, _)| next > indent) {
                return None;
            }
            value(rest, nodes)?
        };
        map.insert(key.to_string(), value);
    }
    Some(Value::Object(map))
}

/// `key: rest` with a plain key of letters, digits, `_`, `-`, `.`, `/`.
fn split_key(body: &str) -> Option<(&str, &str)> {
    let i = body.find(':')?;
    let key = &body[..i];
    if key.is_empty()
        || !key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'/'))
        || !key.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
    {
        return None;
    }
    let rest = &body[i + 1..];
    if !rest.is_empty() && !rest.starts_with(' ') {
        return None;
    }
    Some((key, strip_comment(rest.trim_start_matches(' '))))
}

/// Drop a trailing ` # comment` outside quotes and flow lists; trailing spaces too.
fn strip_comment(s: &str) -> &str {
    let b = s.as_bytes();
    let (mut in_single, mut in_double) = (false, false);
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' if in_double => i += 1,
            b'"' if !in_single => in_double = !in_double,
            b'\'' if !in_double => in_single = !in_single,
            b'#' if !in_single && !in_double && (i == 0 || b[i - 1] == b' ') => {
                return s[..i].trim_end_matches(' ');
            }
            _ => {}
        }
        i += 1;
    }
    s.trim_end_matches(' ')
}

fn value(s: &str, nodes: &mut usize) -> Option<Value> {
    if let Some(inner) = s.strip_prefix('[') {
        let inner = inner.strip_suffix(']')?;
        let mut items = Vec::new();
        for part in split_flow(inner)? {
            let part = part.trim_matches(' ');
            if part.is_empty() {
                return None;
            }
            *nodes += 1;
            items.push(scalar(part)?);
        }
        if *nodes > MAX_NODES {
            return None;
        }
        return Some(Value::Array(items));
    }
    scalar(s)
}

/// Split a flow list's inside at commas outside quotes; `None` on nested collections.
fn split_flow(s: &str) -> Option<Vec<&str>> {
    if s.trim_matches(' ').is_empty() {
        return Some(Vec::new());
    }
    let b = s.as_bytes();
    let (mut in_single, mut in_double) = (false, false);
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' if in_double => i += 1,
            b'"' if !in_single => in_double = !in_double,
            b'\'' if !in_double => in_single = !in_single,
            b'[' | b']' | b'{' | b'}' if !in_single && !in_double => return None,
            b',' if !in_single && !in_double => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    if in_single || in_double {
        return None;
    }
    out.push(&s[start..]);
    Some(out)
}

fn scalar(s: &str) -> Option<Value> {
    if let Some(inner) = s.strip_prefix('"') {
        return double_quoted(inner.strip_suffix('"')?).map(Value::String);
    }
    if let Some(inner) = s.strip_prefix('\'') {
        let inner = inner.strip_suffix('\'')?;
        if inner.replace("''", "").contains('\'') {
            return None;
        }
        return Some(Value::String(inner.replace("''", "'")));
    }
    plain(s)
}

fn double_quoted(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return None,
            '\\' => match chars.next()? {
                '"' => out.push('"'),
                '\\' => out.push('\\'),
                '/' => out.push('/'),
                'n' => out.push('\n'),
                't' => out.push('\t'),
                _ => return None,
            },
            c => out.push(c),
        }
    }
    Some(out)
}

/// A plain scalar: null, a boolean, a decimal integer, or a string. Anything YAML might read
/// another way (floats, octal, hex, `.inf`, indicators at the start, `: ` or ` #` inside)
/// is left to the full parser.
fn plain(s: &str) -> Option<Value> {
    let first = s.chars().next()?;
    if matches!(
        first,
        '&' | '*' | '!' | '|' | '>' | '{' | '}' | '[' | ']' | '@' | '`' | '%' | '?' | ','
    ) || (first == '-' && (s.len() == 1 || s.as_bytes()[1] == b' '))
        || s.contains(": ")
        || s.ends_with(':')
        || s.contains(" #")
    {
        return None;
    }
    // serde-saphyr reads the YAML 1.1 words as booleans too (`yes`, `on`, `y`).
    match s {
        "null" | "Null" | "NULL" | "~" => return Some(Value::Null),
        "true" | "True" | "TRUE" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "y" | "Y" => {
            return Some(Value::Bool(true))
        }
        "false" | "False" | "FALSE" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "n" | "N" => {
            return Some(Value::Bool(false))
        }
        _ => {}
    }
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        if digits.len() > 1 && digits.starts_with('0') {
            return None;
        }
        let n: i64 = s.parse().ok()?;
        return Some(Value::Number(Number::from(n)));
    }
    // Number-like, special or YAML 1.1 words: leave to the full parser.
    let lower = s.to_ascii_lowercase();
    if s.starts_with(['.', '+', '-']) && s.len() > 1
        || s.bytes().next().is_some_and(|b| b.is_ascii_digit()) && looks_numeric(s)
        || matches!(
            lower.as_str(),
            "yes" | "no" | "on" | "off" | "y" | "n" | "true" | "false" | "null" | ".inf" | ".nan"
        )
    {
        return None;
    }
    Some(Value::String(s.to_string()))
}

/// Whether a string starting with a digit could be read as a number (`1e3`, `1.5`, `0x1f`,
/// `1_000`): everything but letters-and-digits words with a non-numeric letter.
fn looks_numeric(s: &str) -> bool {
    s.bytes().all(|b| {
        b.is_ascii_hexdigit()
            || matches!(
                b,
                b'.' | b'_' | b'x' | b'o' | b'+' | b'-' | b'e' | b'E' | b':'
            )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full(front: &str) -> Option<Value> {
        crate::session::finding::full_parse(front).ok()
    }

    /// Where the fast path answers, it answers exactly as serde-saphyr does.
    fn agree(front: &str) -> bool {
        match parse(front) {
            None => false,
            Some(v) => {
                assert_eq!(
                    Some(&v),
                    full(front).as_ref(),
                    "fast path differs on:\n{front}"
                );
                true
            }
        }
    }

    #[test]
    fn scalars_read_exactly_as_the_full_parser_reads_them() {
        let values = [
            "yes",
            "no",
            "n/a",
            "on",
            "off",
            "Yes",
            "NO",
            "y",
            "n",
            "true",
            "False",
            "TRUE",
            "null",
            "~",
            "Null",
            "0",
            "12",
            "-3",
            "+4",
            "007",
            "1.5",
            "1e3",
            ".5",
            "0x1F",
            "0o17",
            "1_000",
            ".inf",
            "-.inf",
            ".nan",
            "2026-11-23T10:20:00Z",
            "2026-11-23",
            "10:20",
            "S5/api",
            "PASS-hardening",
            "a b c",
            "it's",
            "x#y",
            "a: b",
            "\"q\"",
            "'single ''quoted'''",
            "\"esc \\\" \\\\ \\n\"",
            "\"\\u00e9\"",
            "[F1, F3]",
            "[]",
            "[1, two, \"3\"]",
            "[a, [b]]",
            "{a: 1}",
            "&anchor x",
            "*ref",
            "!tag x",
            "|",
            ">",
            "unknown — pending re-run on alternative harness/host",
            "9223372036854775808",
            "-",
            "- x",
            "@x",
            "`x`",
            "%x",
            "?x",
            "100%",
            "P0",
            "e1",
            "1a",
            "abc # comment",
            "\"tab\\tx\"",
            "\"unterminated",
            "'x",
            "ü",
            "12:30:00",
            "1:2",
            "Y",
            "N",
            "ON",
            "Off",
            "YES",
            "yEs",
            "nUll",
            "tRue",
            "-0",
            "+0",
            "0.0",
            "-1",
            "00",
            "+",
            "--",
            "a\r",
        ];
        let mut fast = 0;
        for v in values {
            let front = format!("key: {v}\nnested:\n  inner: {v}\n");
            if agree(&front) {
                fast += 1;
            }
        }
        assert!(
            fast > 30,
            "the fast path should cover the common scalars ({fast})"
        );
    }

    #[test]
    fn every_finding_in_the_repository_reads_the_same_both_ways() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        for dir in ["tests/fixtures", "verification", "evals", "examples"] {
            collect(&root.join(dir), &mut files);
        }
        let (mut seen, mut fast) = (0, 0);
        for f in files {
            let Ok(text) = std::fs::read_to_string(&f) else {
                continue;
            };
            let Some(rest) = text.strip_prefix("---\n") else {
                continue;
            };
            let Some(end) = rest.find("\n---\n") else {
                continue;
            };
            let front = &rest[..end + 1];
            if !front.contains("verdict:") {
                continue;
            }
            seen += 1;
            if agree(front) {
                fast += 1;
            }
        }
        assert!(seen > 20, "found {seen} findings");
        assert!(fast * 2 > seen, "fast path read {fast} of {seen}");
    }

    #[test]
    fn structure_outside_the_subset_falls_back() {
        for front in [
            "a:\n  - x\n  - y\n",
            "a: |\n  text\n",
            "a: x\n  continued\n",
            "a: 1\na: 2\n",
            "a: &x 1\nb: *x\n",
            "a:\tb\n",
            "\"quoted key\": 1\n",
            "a: {b: 1}\n",
        ] {
            assert_eq!(parse(front), None, "{front}");
        }
        assert!(agree(
            "a:\n  b:\n    c: 1\n  d: x\ne: [1, 2]\n# comment\nf: \"s\" # trailing\n"
        ));
        assert!(agree("a:\n"));
        assert!(agree(""));
    }

    fn collect(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                collect(&p, out);
            } else if p.extension().is_some_and(|x| x == "md") {
                out.push(p);
            }
        }
    }
}
