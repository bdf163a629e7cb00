//! SARIF 2.1.0 for code scanning (GitHub's subset): typed structs serialised with serde.
//!
//! One run; the rule table the caller passes in (descriptions, `help.markdown` = the rule's
//! explain text, `helpUri` = its page under `docs/rules/`); one result per diagnostic with a
//! percent-encoded artifact URI, a region whose `endLine` is the last line it covers, and a
//! `partialFingerprints` entry that survives line moves (rule + file + normalised message,
//! which names the scenario or claim). Paths relative to the working directory stay relative
//! to `%SRCROOT%`; `../` paths and absolute paths are resolved against it, and the run then
//! says what `%SRCROOT%` is in `originalUriBaseIds`.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{Diagnostic, FileReport, RuleInfo, Severity};

/// The base every relative artifact URI is resolved against: the directory dstplan ran in.
pub const SRCROOT: &str = "%SRCROOT%";

/// The `partialFingerprints` key (versioned: change it when the recipe changes).
pub const FINGERPRINT_KEY: &str = "dstplanFingerprint/v1";

/// Characters a URI path segment may not hold literally (RFC 3986): controls, space, the
/// delimiters `"#%<>?[\]^`{|}`, and `/` (segments are encoded one at a time).
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}')
    .add(b'/');

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    original_uri_base_ids: Option<BTreeMap<&'static str, BaseLocation>>,
    column_kind: &'static str,
    results: Vec<SarifResult<'a>>,
}

#[derive(Serialize)]
struct Tool<'a> {
    driver: Driver<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver<'a> {
    name: &'static str,
    semantic_version: &'static str,
    information_uri: &'static str,
    rules: Vec<ReportingDescriptor<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReportingDescriptor<'a> {
    id: &'a str,
    name: &'a str,
    short_description: Text,
    full_description: Text,
    help: Help,
    help_uri: String,
    default_configuration: Configuration,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct Help {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct BaseLocation {
    uri: String,
    description: Message,
}

#[derive(Serialize)]
struct Message {
    text: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule_index: Option<usize>,
    level: &'static str,
    message: Message,
    locations: Vec<Location>,
    partial_fingerprints: BTreeMap<&'static str, String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: PhysicalLocation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    start_column: usize,
    end_line: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_column: Option<usize>,
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// The page documenting a rule: `docs/rules/<CODE>.md` in the repository.
pub fn help_uri(code: &str) -> String {
    format!(
        "{}/blob/main/docs/rules/{code}.md",
        env!("CARGO_PKG_REPOSITORY")
    )
}

/// Percent-encode a `/`-separated relative path, segment by segment.
fn encode_path(path: &str) -> String {
    path.split('/')
        .map(|s| utf8_percent_encode(s, SEGMENT).to_string())
        .collect::<Vec<_>>()
        .join("/")
}

/// `file://` URI of an absolute path (a directory gets a trailing `/`).
fn file_uri(abs: &Path, dir: bool) -> String {
    let text = abs.to_string_lossy().replace('\\', "/");
    let text = text.trim_start_matches('/');
    let mut uri = format!("file:///{}", encode_path(text));
    if dir && !uri.ends_with('/') {
        uri.push('/');
    }
    uri
}

/// Remove `.` and resolve `..` without touching the disk.
fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// Where a file is, as SARIF says it: `(uri, uriBaseId)`, and whether `%SRCROOT%` must be
/// defined for a reader to find it.
fn artifact(path: &str, cwd: Option<&Path>) -> (ArtifactLocation, bool) {
    let slashed = path.replace('\\', "/");
    let p = Path::new(&slashed);
    let plain = p.is_relative() && !p.components().any(|c| c == Component::ParentDir);
    if plain {
        let rel = lexical(p);
        let rel = rel.to_string_lossy().replace('\\', "/");
        return (
            ArtifactLocation {
                uri: encode_path(&rel),
                uri_base_id: Some(SRCROOT),
            },
            false,
        );
    }
    let Some(cwd) = cwd else {
        // Without a working directory a `../` path stays relative to the base.
        return (
            ArtifactLocation {
                uri: encode_path(&lexical(p).to_string_lossy().replace('\\', "/")),
                uri_base_id: Some(SRCROOT),
            },
            true,
        );
    };
    let abs = lexical(&cwd.join(p));
    if let Ok(rel) = abs.strip_prefix(cwd) {
        return (
            ArtifactLocation {
                uri: encode_path(&rel.to_string_lossy().replace('\\', "/")),
                uri_base_id: Some(SRCROOT),
            },
            true,
        );
    }
    if p.is_relative() {
        return (
            ArtifactLocation {
                uri: encode_path(&lexical(p).to_string_lossy().replace('\\', "/")),
                uri_base_id: Some(SRCROOT),
            },
            true,
        );
    }
    (
        ArtifactLocation {
            uri: file_uri(&abs, false),
            uri_base_id: None,
        },
        false,
    )
}

/// The region a diagnostic covers: `endLine` is the line of its last character (a span that
/// ends with a newline does not reach into the next line), `endColumn` the column after it.
fn region(d: &Diagnostic, source: &str) -> Region {
    let start = d.start.min(source.len());
    let mut end = d.end.min(source.len()).max(start);
    let bytes = source.as_bytes();
    while end > start && matches!(bytes[end - 1], b'\n' | b'\r') {
        end -= 1;
    }
    if end == start || !source.is_char_boundary(end) || !source.is_char_boundary(start) {
        return Region {
            start_line: d.line,
            start_column: d.column,
            end_line: d.line,
            end_column: None,
        };
    }
    let end_line = d.line + source[start..end].bytes().filter(|&b| b == b'\n').count();
    let line_start = source[..end].rfind('\n').map_or(0, |i| i + 1);
    let end_column = source[line_start..end].chars().count() + 1;
    Region {
        start_line: d.line,
        start_column: d.column,
        end_line,
        end_column: Some(end_column),
    }
}

/// A rule's doc comment as Markdown: the one space every `///` line starts with removed.
pub fn doc_markdown(doc: &str) -> String {
    let mut out = String::with_capacity(doc.len());
    for line in doc.trim_end().lines() {
        out.push_str(line.strip_prefix(' ').unwrap_or(line));
        out.push('\n');
    }
    out
}

/// Message text that does not change when the plan's lines move: whitespace collapsed, line
/// and column numbers replaced by `#`.
pub fn normalise_message(message: &str) -> String {
    let words: Vec<&str> = message.split_whitespace().collect();
    let mut out = Vec::with_capacity(words.len());
    let mut after_line_word = false;
    for w in words {
        let numeric = w
            .trim_end_matches([',', '.', ';', ')'])
            .chars()
            .all(|c| c.is_ascii_digit() || c == '-' || c == '–');
        if after_line_word && numeric && w.chars().any(|c| c.is_ascii_digit()) {
            out.push("#".to_string());
        } else {
            out.push(w.to_string());
        }
        let lw = w
            .trim_matches(|c: char| !c.is_alphanumeric())
            .to_lowercase();
        after_line_word = matches!(lw.as_str(), "line" | "lines" | "column" | "col");
    }
    out.join(" ")
}

/// The fingerprint of one result: rule, file and normalised message (which names the scenario
/// or claim), plus its rank among identical results in the file so twins stay distinct.
fn fingerprint(code: &str, path: &str, message: &str, rank: usize) -> String {
    let mut h = Sha256::new();
    for part in [code, path, &normalise_message(message)] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    let digest = h.finalize();
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("{hex}:{rank}")
}

pub(super) fn render(files: &[FileReport], rules: &[RuleInfo]) -> String {
    let cwd = std::env::current_dir().ok();
    let rule_objs = rules
        .iter()
        .map(|r| ReportingDescriptor {
            id: r.code,
            name: r.name,
            short_description: Text {
                text: r.summary.to_string(),
            },
            full_description: Text {
                text: doc_markdown(r.doc),
            },
            help: Help {
                text: format!(
                    "{}\n\n{}\n`dstplan explain {}` prints this text.",
                    r.summary,
                    doc_markdown(r.doc),
                    r.code
                ),
                markdown: format!(
                    "{}\n`dstplan explain {}` prints this text; see also the [rule page]({}).",
                    doc_markdown(r.doc),
                    r.code,
                    help_uri(r.code)
                ),
            },
            help_uri: help_uri(r.code),
            default_configuration: Configuration {
                level: level(r.severity),
            },
        })
        .collect();
    let mut results = Vec::new();
    let mut needs_root = false;
    for f in files {
        let (location, needs) = artifact(&f.path, cwd.as_deref());
        needs_root |= needs;
        let mut seen: BTreeMap<(String, String), usize> = BTreeMap::new();
        for d in &f.diagnostics {
            let key = (d.code.to_string(), normalise_message(&d.message));
            let rank = seen.entry(key).or_insert(0);
            let fp = fingerprint(d.code, &location.uri, &d.message, *rank);
            *rank += 1;
            results.push(SarifResult {
                rule_id: d.code,
                rule_index: rules.iter().position(|r| r.code == d.code),
                level: level(d.severity),
                message: Message {
                    text: format!("{} (help: {})", d.message, d.help),
                },
                locations: vec![Location {
                    physical_location: PhysicalLocation {
                        artifact_location: ArtifactLocation {
                            uri: location.uri.clone(),
                            uri_base_id: location.uri_base_id,
                        },
                        region: region(d, &f.source),
                    },
                }],
                partial_fingerprints: BTreeMap::from([(FINGERPRINT_KEY, fp)]),
            });
        }
    }
    let original_uri_base_ids = match (&cwd, needs_root) {
        (Some(cwd), true) => Some(BTreeMap::from([(
            SRCROOT,
            BaseLocation {
                uri: file_uri(cwd, true),
                description: Message {
                    text: "The directory dstplan ran in; relative plan paths start here.".into(),
                },
            },
        )])),
        _ => None,
    };
    let log = Log {
        schema: "https://json.schemastore.org/sarif-2.1.0.json",
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: "dstplan",
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    information_uri: env!("CARGO_PKG_REPOSITORY"),
                    rules: rule_objs,
                },
            },
            original_uri_base_ids,
            column_kind: "unicodeCodePoints",
            results,
        }],
    };
    let mut s = serde_json::to_string_pretty(&log).expect("SARIF serialises");
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_percent_encoded_and_slashes_kept() {
        assert_eq!(
            encode_path("dir with space/my plan#1.md"),
            "dir%20with%20space/my%20plan%231.md"
        );
        assert_eq!(encode_path("a/100%.md"), "a/100%25.md");
        assert_eq!(encode_path("é/x.md"), "%C3%A9/x.md");
    }

    #[test]
    fn line_numbers_do_not_change_the_normalised_text() {
        assert_eq!(
            normalise_message("scenario S1 duplicates  the one at line 12"),
            normalise_message("scenario S1 duplicates the one at line 40")
        );
        assert_ne!(
            normalise_message("scenario S1 cites claim C7"),
            normalise_message("scenario S2 cites claim C7")
        );
    }

    #[test]
    fn paths_outside_the_working_directory_need_the_base() {
        let cwd = Path::new("/w/repo");
        let (a, needs) = artifact("plans/a b.md", Some(cwd));
        assert_eq!((a.uri.as_str(), needs), ("plans/a%20b.md", false));
        let (a, needs) = artifact("../other/x.md", Some(cwd));
        assert_eq!(
            (a.uri.as_str(), a.uri_base_id, needs),
            ("../other/x.md", Some(SRCROOT), true)
        );
        let (a, needs) = artifact("/w/repo/plans/x.md", Some(cwd));
        assert_eq!(
            (a.uri.as_str(), a.uri_base_id, needs),
            ("plans/x.md", Some(SRCROOT), true)
        );
        let (a, needs) = artifact("/elsewhere/x y.md", Some(cwd));
        assert_eq!(
            (a.uri.as_str(), a.uri_base_id, needs),
            ("file:///elsewhere/x%20y.md", None, false)
        );
    }
}
