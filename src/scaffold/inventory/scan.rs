//! Reading test files: one scanner per language (Rust attributes and inline modules, Go
//! test functions and build constraints, pytest functions, classes and markers, JS/TS `it` /
//! `test` / `describe`, bats), plus harness files (make and just targets, compose, CI, fault
//! injection). Only this file knows test syntax.

use std::sync::LazyLock;

use regex::bytes::Regex;

use super::{Class, Meta};

re!(pub(super) RUST_PRE, r"#\[test\]|::test\b|#\[test\(");
re!(RUST_TEST_ATTR, r"^(?:[A-Za-z_][A-Za-z0-9_]*::)*test\b");
re!(
    RUST_FN,
    r#"^(?:pub(?:\([^)]*\))?\s+)?(?:const\s+)?(?:async\s+)?(?:unsafe\s+)?(?:extern\s+"[^"]*"\s+)?fn\s+([A-Za-z_][A-Za-z0-9_]*)"#
);
re!(
    RUST_MACRO_FN,
    r"^(?:pub(?:\([^)]*\))?\s+)?(?:async\s+)?fn\s+(\$[A-Za-z_][A-Za-z0-9_]*)"
);
re!(
    GO_TEST,
    r"(?m)^func[ \t]+((Test|Benchmark|Fuzz)(?:[^a-z\W]\w*)?)[ \t]*\([ \t]*\w+[ \t]+\*testing\.([TBF])[ \t]*\)"
);
re!(
    PY_TEST,
    r"(?m)^([ \t]*)(?:(?:async[ \t]+)?def[ \t]+(test\w*)[ \t]*\(|class[ \t]+(Test\w*)[ \t]*[:(])"
);
re!(PY_MARK, r"pytest\.mark\.(\w+)");
re!(PY_MODMARK, r"(?m)^pytestmark[ \t]*=[ \t]*(.+)$");
re!(GO_BUILD, r"(?m)^//go:build[ \t]+(.+?)[ \t]*$");
re!(
    RUST_MOD,
    r"^(?:pub(?:\([^)]*\))?\s+)?mod\s+([A-Za-z_][A-Za-z0-9_]*)\s*\{"
);
re!(
    JS_TEST,
    r#"(?m)^[ \t]*(x|f)?(it|test|describe)(?:\.(\w+))?[ \t]*\((?:[ \t]*(['"`])([^'"`\n]*)['"`])?"#
);
re!(BATS_TEST, r#"(?m)^[ \t]*@test[ \t]+(['"])(.*?)['"]"#);
re!(
    MAKE_TARGET,
    r"(?m)^([A-Za-z0-9_.%/\-][A-Za-z0-9_.%/ \t\-]*?)[ \t]*::?(?:[^=]|$)"
);
re!(
    JUST_RECIPE,
    r"(?m)^@?([A-Za-z_][A-Za-z0-9_-]*)(?:[ \t]+[^:\n]*)?[ \t]*:(?:[^=]|$)"
);
re!(NAME_KEYWORD, r"(?i)test|chaos|bench");
re!(
    FAULT,
    r"\b(?:pkill|killall|kill)[ \t]+(?:-s[ \t]+|-)(?:9|KILL|SIGKILL|STOP|SIGSTOP)\b|\biptables\b|\btc[ \t]+qdisc\b|\bnetem\b|[Tt]oxiproxy|\bpumba\b"
);
re!(CI_NAME, r"(?m)^name:[ \t]*(.+?)[ \t]*$");

/// Line numbers for byte offsets, computed incrementally (offsets must not decrease).
struct Lines<'a> {
    buf: &'a [u8],
    pos: usize,
    line: usize,
}

impl<'a> Lines<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Lines {
            buf,
            pos: 0,
            line: 1,
        }
    }
    fn at(&mut self, off: usize) -> usize {
        if off < self.pos {
            self.pos = 0;
            self.line = 1;
        }
        self.line += self.buf[self.pos..off]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        self.pos = off;
        self.line
    }
}

fn s(b: &[u8]) -> String {
    String::from_utf8_lossy(b).trim().to_string()
}

fn trim_start(b: &[u8]) -> &[u8] {
    let i = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    &b[i..]
}

/// Net `{` minus `}` on a line of Rust, outside `//` comments, strings and char literals.
fn brace_delta(t: &[u8]) -> i32 {
    let mut d = 0;
    let mut i = 0;
    let mut in_str = false;
    while i < t.len() {
        let c = t[i];
        if in_str {
            if c == b'\\' {
                i += 1;
            } else if c == b'"' {
                in_str = false;
            }
        } else {
            match c {
                b'/' if t.get(i + 1) == Some(&b'/') => break,
                b'"' => in_str = true,
                b'\'' if t.get(i + 2) == Some(&b'\'') => i += 2,
                b'{' => d += 1,
                b'}' => d -= 1,
                _ => {}
            }
        }
        i += 1;
    }
    d
}

/// A line of Rust without its trailing `//` comment (one outside string literals).
fn strip_line_comment(t: &[u8]) -> &[u8] {
    let mut in_str = false;
    let mut i = 0;
    while i < t.len() {
        match t[i] {
            b'\\' if in_str => i += 1,
            b'"' => in_str = !in_str,
            b'/' if !in_str && t.get(i + 1) == Some(&b'/') => return &t[..i],
            _ => {}
        }
        i += 1;
    }
    t
}

/// The closing delimiter (`"#`, `"##` …) of a raw string literal the line opens and does not
/// close, if any.
fn open_raw_string(line: &[u8]) -> Option<Vec<u8>> {
    let code = strip_line_comment(line);
    let mut open = None;
    let mut i = 0;
    while i < code.len() {
        if code[i] == b'r'
            && (i == 0 || !(code[i - 1].is_ascii_alphanumeric() || code[i - 1] == b'_'))
        {
            let hashes = code[i + 1..].iter().take_while(|&&c| c == b'#').count();
            if code.get(i + 1 + hashes) == Some(&b'"') {
                let mut close = vec![b'"'];
                close.extend(std::iter::repeat_n(b'#', hashes));
                let body = i + 2 + hashes;
                match memchr::memmem::find(&code[body.min(code.len())..], &close) {
                    Some(e) => i = body + e + close.len(),
                    None => {
                        open = Some(close);
                        break;
                    }
                }
                continue;
            }
        }
        i += 1;
    }
    open
}

/// `#![cfg(X)]`, `[cfg(X)`, `cfg(X)` → `X`.
fn cfg_inner(gate: &str) -> String {
    let g = gate.trim().trim_start_matches("#!").trim_start_matches('#');
    let g = g.trim_start_matches('[').trim_end_matches(']');
    let g = g.strip_prefix("cfg(").unwrap_or(g);
    g.strip_suffix(')').unwrap_or(g).trim().to_string()
}

/// Rust: attributes collected above each `fn`; a test attribute makes it a test. Inline
/// `mod x {` blocks are tracked (by brace depth) for the test's path.
fn scan_rust(buf: &[u8], out: &mut Vec<Found>) {
    let mut test_attr: Option<String> = None;
    let mut ignored = false;
    let mut cond_ignore: Option<String> = None;
    let mut gate: Option<String> = None;
    let mut file_gate: Option<String> = None;
    let mut attr = Vec::new();
    let mut depth: i32 = 0;
    let mut braces: i32 = 0;
    let mut mods: Vec<(String, i32, Option<String>)> = Vec::new();
    // inside a raw string literal spanning lines (`r#"…"#`): test code there is data
    let mut raw_close: Option<Vec<u8>> = None;
    for (i, raw) in buf.split(|&b| b == b'\n').enumerate() {
        if let Some(close) = &raw_close {
            if memchr::memmem::find(raw, close).is_some() {
                raw_close = None;
            }
            continue;
        }
        if let Some(close) = open_raw_string(raw) {
            raw_close = Some(close);
        }
        let t = trim_start(raw);
        if depth > 0 || t.starts_with(b"#[") || t.starts_with(b"#![") {
            if depth == 0 {
                attr.clear();
            }
            // a trailing `// comment` is not part of the attribute
            let code = strip_line_comment(t);
            attr.extend_from_slice(code);
            attr.push(b' ');
            for &c in code {
                match c {
                    b'[' => depth += 1,
                    b']' => depth -= 1,
                    _ => {}
                }
            }
            if depth <= 0 {
                depth = 0;
                if attr.starts_with(b"#!") {
                    let inner = attr.get(3..).unwrap_or(&[]);
                    if inner.starts_with(b"cfg(") && !inner.starts_with(b"cfg(test)") {
                        file_gate = Some(s(inner).trim_end_matches(']').to_string());
                    }
                    continue;
                }
                let inner = attr.get(2..).unwrap_or(&[]);
                if RUST_TEST_ATTR.is_match(inner) {
                    let a = s(&attr);
                    test_attr = Some(a.split_whitespace().collect::<Vec<_>>().join(" "));
                } else if inner.starts_with(b"ignore")
                    && inner
                        .get(6)
                        .is_none_or(|c| !c.is_ascii_alphanumeric() && *c != b'_')
                {
                    ignored = true;
                } else if inner.starts_with(b"cfg_attr(")
                    && inner.windows(6).any(|w| w == b"ignore")
                {
                    cond_ignore = Some(s(&attr));
                } else if inner.starts_with(b"cfg(") && inner.windows(7).any(|w| w == b"feature") {
                    gate = Some(s(inner).trim_end_matches(']').to_string());
                }
            }
            continue;
        }
        if t.is_empty() || t.starts_with(b"//") {
            continue;
        }
        if let Some(c) = RUST_MOD.captures(t) {
            mods.push((s(&c[1]), braces + 1, gate.take()));
        }
        if let Some(a) = test_attr.take() {
            let scope: Vec<String> = mods.iter().map(|m| m.0.clone()).collect();
            // every enclosing gate must hold: the fn's, its modules', the file's
            let gates: Vec<String> = gate
                .iter()
                .chain(mods.iter().filter_map(|m| m.2.as_ref()))
                .chain(file_gate.iter())
                .map(|g| cfg_inner(g))
                .collect();
            let gate = match gates.len() {
                0 => None,
                1 => Some(format!("cfg({})", gates[0])),
                _ => Some(format!("cfg(all({}))", gates.join(", "))),
            };
            let meta = Meta {
                scope,
                gate,
                conditional_skip: cond_ignore.clone(),
                ..Meta::default()
            };
            if let Some(c) = RUST_FN.captures(t) {
                out.push(Found {
                    kind: "rust-test",
                    name: s(&c[1]),
                    line: i + 1,
                    ignored,
                    detail: Some(a),
                    meta,
                });
            } else if let Some(c) = RUST_MACRO_FN.captures(t) {
                // `#[test] fn $name()` in a macro_rules! body: one test per invocation
                out.push(Found {
                    kind: "rust-test",
                    name: s(&c[1]),
                    line: i + 1,
                    ignored,
                    detail: Some(format!("{a} in a macro: one test per invocation")),
                    meta,
                });
            }
        }
        ignored = false;
        cond_ignore = None;
        gate = None;
        braces += brace_delta(t);
        while mods.last().is_some_and(|m| braces < m.1) {
            mods.pop();
        }
    }
}

/// The decorator lines right above offset `start`, nearest first.
fn decorators(buf: &[u8], start: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut end = buf[..start].iter().rposition(|&b| b == b'\n');
    while let Some(e) = end {
        let s0 = buf[..e]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1);
        let line = trim_start(&buf[s0..e]);
        if !line.starts_with(b"@") {
            break;
        }
        out.push(s(line));
        end = if s0 == 0 { None } else { Some(s0 - 1) };
    }
    out
}

/// pytest markers named in decorators or a `pytestmark` value.
fn markers_in(text: &str, out: &mut Vec<String>) {
    for c in PY_MARK.captures_iter(text.as_bytes()) {
        let m = s(&c[1]);
        if !out.contains(&m) {
            out.push(m);
        }
    }
}

/// Whether the line holding `off` is a comment line (`//`, `#` not followed by `[` or `!`,
/// `*` inside a block comment, `--`): a mechanism named in prose is not a harness.
fn in_comment(buf: &[u8], off: usize) -> bool {
    let start = buf[..off]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    let line = trim_start(&buf[start..off]);
    line.starts_with(b"//")
        || line.starts_with(b"--")
        || line.starts_with(b"* ")
        || (line.starts_with(b"#") && !line.starts_with(b"#[") && !line.starts_with(b"#!"))
}

pub(super) struct Found {
    pub(super) kind: &'static str,
    pub(super) name: String,
    pub(super) line: usize,
    pub(super) ignored: bool,
    pub(super) detail: Option<String>,
    pub(super) meta: Meta,
}

pub(super) fn scan_file(class: Class, buf: &[u8], out: &mut Vec<Found>) {
    let mut lines = Lines::new(buf);
    match class {
        Class::Rust => {
            if RUST_PRE.is_match(buf) {
                scan_rust(buf, out);
            }
        }
        Class::Go => {
            let go_build = GO_BUILD.captures(buf).map(|c| s(&c[1]));
            for c in GO_TEST.captures_iter(buf) {
                let kind = match &c[3] {
                    b"T" => "go-test",
                    b"B" => "go-benchmark",
                    _ => "go-fuzz",
                };
                let expect = match &c[2] {
                    b"Test" => b"T",
                    b"Benchmark" => b"B",
                    _ => b"F",
                };
                if &c[3] != expect {
                    continue;
                }
                let at = c.get(1).expect("group").start();
                let body_end =
                    memchr::memmem::find(&buf[at..], b"\nfunc ").map_or(buf.len(), |e| at + e);
                out.push(Found {
                    kind,
                    name: s(&c[1]),
                    line: lines.at(at),
                    ignored: false,
                    detail: None,
                    meta: Meta {
                        gate: go_build.clone(),
                        short: memchr::memmem::find(&buf[at..body_end], b"testing.Short()")
                            .is_some(),
                        ..Meta::default()
                    },
                });
            }
        }
        Class::Python => {
            let mut module_marks = Vec::new();
            for c in PY_MODMARK.captures_iter(buf) {
                markers_in(&s(&c[1]), &mut module_marks);
            }
            // classes open at an indentation: (indent, name, markers, skip)
            let mut classes: Vec<(usize, String, Vec<String>, Option<bool>)> = Vec::new();
            for c in PY_TEST.captures_iter(buf) {
                let indent = c.get(1).map_or(0, |m| m.len());
                while classes.last().is_some_and(|k| k.0 >= indent) {
                    classes.pop();
                }
                let whole = c.get(0).expect("match");
                let decos = decorators(buf, whole.start());
                let mut marks = Vec::new();
                let mut skip: Option<bool> = None;
                for d in &decos {
                    markers_in(d, &mut marks);
                    if d.starts_with("@pytest.mark.skipif")
                        || d.starts_with("@unittest.skipIf")
                        || d.starts_with("@unittest.skipUnless")
                    {
                        skip.get_or_insert(false);
                    } else if d.starts_with("@pytest.mark.skip") || d.starts_with("@unittest.skip")
                    {
                        skip = Some(true);
                    }
                }
                if let Some(m) = c.get(3) {
                    let name = s(m.as_bytes());
                    out.push(Found {
                        kind: "python-test-class",
                        name: name.clone(),
                        line: lines.at(m.start()),
                        ignored: skip == Some(true),
                        detail: None,
                        meta: Meta {
                            markers: marks.clone(),
                            ..Meta::default()
                        },
                    });
                    classes.push((indent, name, marks, skip));
                    continue;
                }
                let Some(m) = c.get(2) else { continue };
                if indent > 0 && classes.is_empty() {
                    continue; // a function nested in a function: not collected
                }
                let mut all = marks;
                let mut scope = Vec::new();
                if let Some(k) = classes.last() {
                    scope.push(k.1.clone());
                    for x in &k.2 {
                        if !all.contains(x) {
                            all.push(x.clone());
                        }
                    }
                    if skip.is_none() {
                        skip = k.3;
                    }
                }
                for x in &module_marks {
                    if !all.contains(x) {
                        all.push(x.clone());
                    }
                }
                if skip.is_none() && module_marks.iter().any(|m| m == "skip") {
                    skip = Some(true);
                }
                out.push(Found {
                    kind: "python-test",
                    name: s(m.as_bytes()),
                    line: lines.at(m.start()),
                    ignored: skip == Some(true),
                    detail: None,
                    meta: Meta {
                        scope,
                        conditional_skip: (skip == Some(false))
                            .then(|| "a `skipif` decorator".to_string()),
                        markers: all,
                        ..Meta::default()
                    },
                });
            }
        }
        Class::Js => {
            let described = memchr::memmem::find(buf, b"describe").is_some();
            for c in JS_TEST.captures_iter(buf) {
                let modifier = c.get(3).map(|m| m.as_bytes());
                if modifier.is_some_and(|m| {
                    !matches!(
                        m,
                        b"only" | b"skip" | b"todo" | b"each" | b"concurrent" | b"failing"
                    )
                }) {
                    continue; // `test.setup(`, `it.foo(`: not a test
                }
                let kind = if &c[2] == b"describe" {
                    "js-suite"
                } else {
                    "js-test"
                };
                let ignored = c.get(1).is_some_and(|m| m.as_bytes() == b"x")
                    || modifier.is_some_and(|m| m == b"skip" || m == b"todo");
                let name = c
                    .get(5)
                    .map(|m| s(m.as_bytes()))
                    .unwrap_or_else(|| "(computed name)".into());
                let m2 = c.get(2).expect("group");
                out.push(Found {
                    kind,
                    name,
                    line: lines.at(m2.start()),
                    ignored,
                    detail: None,
                    meta: Meta {
                        described,
                        ..Meta::default()
                    },
                });
            }
        }
        Class::Bats => {
            for c in BATS_TEST.captures_iter(buf) {
                out.push(Found {
                    kind: "bats-test",
                    name: s(&c[2]),
                    line: lines.at(c.get(0).expect("m").start()),
                    ignored: false,
                    detail: None,
                    meta: Meta::default(),
                });
            }
        }
        Class::ShellTest => out.push(Found {
            kind: "shell-test",
            name: String::new(),
            line: 1,
            ignored: false,
            detail: None,
            meta: Meta::default(),
        }),
        Class::Compose => out.push(Found {
            kind: "compose",
            name: String::new(),
            line: 1,
            ignored: false,
            detail: None,
            meta: Meta::default(),
        }),
        Class::Ci => out.push(Found {
            kind: "ci-workflow",
            name: String::new(),
            line: 1,
            ignored: false,
            detail: CI_NAME
                .captures(buf)
                .map(|c| s(&c[1]).trim_matches(['"', '\'']).to_string()),
            meta: Meta::default(),
        }),
        Class::Make | Class::Just => {
            let (re, kind) = if class == Class::Make {
                (&*MAKE_TARGET, "make-target")
            } else {
                (&*JUST_RECIPE, "just-recipe")
            };
            if NAME_KEYWORD.is_match(buf) {
                for c in re.captures_iter(buf) {
                    let m = c.get(1).expect("group");
                    let names = s(m.as_bytes());
                    let line = lines.at(m.start());
                    for n in names.split_whitespace() {
                        if n.starts_with('.')
                            || (class == Class::Just
                                && matches!(n, "set" | "alias" | "export" | "import" | "mod"))
                        {
                            continue;
                        }
                        if NAME_KEYWORD.is_match(n.as_bytes()) {
                            out.push(Found {
                                kind,
                                name: n.to_string(),
                                line,
                                ignored: false,
                                detail: None,
                                meta: Meta::default(),
                            });
                        }
                    }
                }
            }
        }
        Class::Script => {}
    }
    // Fault injection: scripts and harness files always; source files only when they hold tests.
    let check_faults = match class {
        Class::Rust | Class::Go | Class::Python | Class::Js => !out.is_empty(),
        _ => true,
    };
    if check_faults {
        let mut first = None;
        let mut mechs: Vec<String> = Vec::new();
        for m in FAULT.find_iter(buf) {
            if in_comment(buf, m.start()) {
                continue;
            }
            first.get_or_insert(m.start());
            let t = s(m.as_bytes());
            let t = t.split_whitespace().collect::<Vec<_>>().join(" ");
            if !mechs.contains(&t) {
                mechs.push(t);
            }
        }
        if let Some(off) = first {
            out.push(Found {
                kind: "fault-injection",
                name: mechs.join(", "),
                line: Lines::new(buf).at(off),
                ignored: false,
                detail: Some(mechs.join(", ")),
                meta: Meta::default(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(class: Class, src: &str) -> Vec<(String, String, usize, bool)> {
        let mut v = Vec::new();
        scan_file(class, src.as_bytes(), &mut v);
        v.into_iter()
            .map(|f| (f.kind.to_string(), f.name, f.line, f.ignored))
            .collect()
    }

    #[test]
    fn rust_attributes_in_any_order_and_multiline() {
        let src = "#[test]\nfn a() {}\n\n#[ignore]\n#[test]\nfn b() {}\n#[tokio::test(\n  flavor = \"multi_thread\"\n)]\n#[ignore = \"slow\"]\nasync fn c() {}\n#[test_case(1)]\nfn d() {}\nmacro_rules! t { ($name:ident) => {\n    #[test]\n    fn $name() {}\n} }\n";
        let f = found(Class::Rust, src);
        assert_eq!(
            f,
            vec![
                ("rust-test".into(), "a".into(), 2, false),
                ("rust-test".into(), "b".into(), 6, true),
                ("rust-test".into(), "c".into(), 11, true),
                ("rust-test".into(), "$name".into(), 16, false),
            ]
        );
    }

    #[test]
    fn tests_inside_multi_line_raw_strings_are_data() {
        let src =
            "const SRC: &str = r#\"\n#[test]\nfn in_a_string() {}\n\"#;\n#[test]\nfn real() {}\n";
        let names: Vec<_> = found(Class::Rust, src).into_iter().map(|f| f.1).collect();
        assert_eq!(names, vec!["real".to_string()]);
    }

    #[test]
    fn make_targets_skip_assignments_and_specials() {
        let src = ".PHONY: test\nCC := gcc\ntest: build\n\tgo test ./...\nchaos-test bench:\nbuild:\nX = a:b\n";
        let names: Vec<_> = found(Class::Make, src)
            .into_iter()
            .map(|(_, n, l, _)| (n, l))
            .collect();
        assert_eq!(
            names,
            vec![
                ("test".into(), 3),
                ("chaos-test".into(), 5),
                ("bench".into(), 5)
            ]
        );
    }

    #[test]
    fn go_requires_matching_testing_type() {
        let src = "package x\nfunc TestA(t *testing.T) {}\nfunc TestMain(m *testing.M) {}\nfunc Testing(t *testing.T) {}\nfunc BenchmarkB(b *testing.B) {}\nfunc FuzzC(f *testing.F) {}\n";
        let names: Vec<_> = found(Class::Go, src)
            .into_iter()
            .map(|(k, n, l, _)| (k, n, l))
            .collect();
        assert_eq!(
            names,
            vec![
                ("go-test".into(), "TestA".into(), 2),
                ("go-benchmark".into(), "BenchmarkB".into(), 5),
                ("go-fuzz".into(), "FuzzC".into(), 6),
            ]
        );
    }
}
