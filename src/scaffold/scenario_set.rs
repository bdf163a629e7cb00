//! `dstplan scenario set`: rewrite a scenario's header fields (`Falsifies if it FAILs:`, its
//! name, `Skeleton language:`) in place, and bring its §7.M / §7.M.S form in line with the
//! categories of the claims it now falsifies: a block the new claims require replaces the
//! not-applicable line (or is added), and a not-applicable line replaces a block only while
//! that block is still the unfilled stub. Filled text is kept wherever it still applies.

use std::path::Path;

use super::scenario::{decide, parse_claim_list, render_scenario, valid_name, ScenarioSpec};
use super::skeleton::Language;
use super::templates::Templates;
use crate::error::Error;
use crate::plan::{self, Plan, Scenario, Span, LITERALS};

/// What to change; `None` keeps the current value.
#[derive(Debug, Default)]
pub struct Changes<'a> {
    pub falsifies: Option<&'a str>,
    pub name: Option<&'a str>,
    pub language: Option<Language>,
    /// The repository's TypeScript test runner, for a TypeScript skeleton's import.
    pub ts_runner: Option<&'static str>,
}

/// The rewritten plan and a line per change, for the user.
#[derive(Debug)]
pub struct Edited {
    pub text: String,
    pub notes: Vec<String>,
}

struct Edit {
    start: usize,
    end: usize,
    text: String,
}

fn literal(kind: &str) -> &'static str {
    LITERALS
        .iter()
        .find(|(k, _)| *k == kind)
        .map_or("", |(_, l)| l)
}

/// Rewrite scenario `id` of the plan text `src`.
pub fn set(
    templates: &Templates,
    src: &str,
    plan_path: &str,
    id: &str,
    changes: &Changes,
) -> Result<Edited, Error> {
    let here = |e: Error| e.in_file(Path::new(plan_path), None);
    let p: Plan = plan::parse(src);
    let Some(s) = p.scenario(id) else {
        let have: Vec<String> = p.scenarios.iter().map(|s| s.id.key()).collect();
        return Err(here(Error::new(format!(
            "the plan has no scenario {id}; its scenarios are {}",
            if have.is_empty() {
                "none yet (add one with `dstplan scenario add`)".to_string()
            } else {
                have.join(", ")
            }
        ))));
    };
    if changes.falsifies.is_none() && changes.name.is_none() && changes.language.is_none() {
        return Err(Error::new(
            "nothing to change: pass --falsifies, --name and/or --language",
        ));
    }
    let mut edits: Vec<Edit> = Vec::new();
    let mut notes: Vec<String> = Vec::new();

    // the name, in the heading
    if let Some(name) = changes.name {
        if !valid_name(name) {
            return Err(Error::new(format!(
                "--name `{name}` is not a claim-shaped scenario name: use lowercase letters, digits and `_`, starting with a letter"
            )));
        }
        let line = line_of(src, s.span.start);
        edits.push(Edit {
            start: line.start,
            end: line.end,
            text: format!("### Scenario {id}: {name}"),
        });
        notes.push(format!("name → {name}"));
    }

    // the claims, and the §7.M / §7.M.S form they require
    let keys = match changes.falsifies {
        Some(list) => {
            let keys = parse_claim_list(list)?;
            let unknown: Vec<&str> = keys
                .iter()
                .filter(|k| p.claim(k).is_none())
                .map(|k| k.as_str())
                .collect();
            if !unknown.is_empty() {
                return Err(here(Error::new(format!(
                    "{} not defined in §1b; add the claim to §1b first or cite an existing one",
                    unknown.join(", ")
                ))));
            }
            let f = s.field("falsifies if it fails").ok_or_else(|| {
                here(Error::new(format!(
                    "scenario {id} has no `Falsifies if it FAILs:` line to rewrite; add one by hand"
                )))
            })?;
            edits.push(value_edit(src, f, &keys.join(", ")));
            notes.push(format!("falsifies → {}", keys.join(", ")));
            keys
        }
        None => s.falsifies().iter().map(|r| r.key()).collect(),
    };
    let language = match changes.language {
        Some(l) => {
            let f = s.field("skeleton language").ok_or_else(|| {
                here(Error::new(format!(
                    "scenario {id} has no `Skeleton language:` line to rewrite; add one by hand"
                )))
            })?;
            edits.push(value_edit(src, f, l.as_str()));
            notes.push(format!("skeleton language → {}", l.as_str()));
            l
        }
        None => s
            .field("skeleton language")
            .and_then(|f| Language::parse(f.value.trim().trim_matches('`')))
            .unwrap_or(Language::Rust),
    };

    // the stub these claims would get: the source of any block to add
    let claims: Vec<(String, Option<&'static str>)> = keys
        .iter()
        .map(|k| (k.clone(), p.claim_category(k)))
        .collect();
    let spec = ScenarioSpec {
        id: id.to_string(),
        name: changes
            .name
            .map_or_else(|| s.name.text.clone(), str::to_string),
        claims: claims.clone(),
        closes: Some(String::new()),
        closes_hint: Vec::new(),
        language,
        ts_runner: changes.ts_runner,
        plan_path: plan_path.to_string(),
    };
    let stub_text = format!("## 7. Scenarios\n\n{}", render_scenario(templates, &spec)?);
    let stub_plan = plan::parse(&stub_text);
    let Some(stub) = stub_plan.scenarios.first() else {
        return Err(Error::new(
            "the scenario template did not read back as a scenario; nothing was changed",
        ));
    };
    let d = decide(&claims);
    let arms = !s.arms.is_empty() || !s.declared_arms().is_empty();
    if changes.language.is_some() {
        skeleton_edit(src, s, &stub_text, stub, &mut edits, &mut notes);
    }
    gate_edits(
        src,
        s,
        &stub_text,
        stub,
        d.model_block || arms,
        d.surface_block,
        &mut edits,
        &mut notes,
    );

    edits.sort_by_key(|e| (e.start, e.end));
    if edits.windows(2).any(|w| w[0].end > w[1].start) {
        return Err(Error::new(format!(
            "scenario {id}'s blocks overlap in a way set cannot rewrite safely; nothing was changed"
        )));
    }
    let mut text = String::with_capacity(src.len() + 2048);
    let mut at = 0;
    for e in &edits {
        text.push_str(&src[at..e.start]);
        text.push_str(&e.text);
        at = e.end;
    }
    text.push_str(&src[at..]);
    if src.contains("\r\n") {
        text = text.replace("\r\n", "\n").replace('\n', "\r\n");
    }
    // read back: the scenario is there with the claims asked for
    let back = plan::parse(&text);
    let ok = back.scenarios.len() == p.scenarios.len()
        && back.scenario(id).is_some_and(|b| {
            b.falsifies()
                .iter()
                .map(|r| r.key())
                .eq(keys.iter().cloned())
        });
    if !ok {
        return Err(Error::new(format!(
            "the rewritten plan did not read back with {id} falsifying {}; the plan was left unchanged",
            keys.join(", ")
        )));
    }
    Ok(Edited { text, notes })
}

/// The byte range of the line holding `at` (without its line break).
fn line_of(src: &str, at: usize) -> Span {
    let start = src[..at].rfind('\n').map_or(0, |i| i + 1);
    let end = src[at..].find('\n').map_or(src.len(), |i| at + i);
    Span::new(start, end.min(src.len()))
}

/// Replace a one-line field's value (from after its label to the end of its first line).
fn value_edit(src: &str, f: &plan::Field, value: &str) -> Edit {
    let start = f.value_start.min(src.len());
    let end = line_of(src, start).end;
    let end = src[start..end].trim_end_matches('\r').len() + start;
    Edit {
        start,
        end,
        text: value.to_string(),
    }
}

/// Where the block whose heading starts at `start` ends: at the next part of the scenario
/// (its other block or line, an arm) or at the scenario's end.
fn block_end(s: &Scenario, start: usize) -> usize {
    let mut cands: Vec<usize> = vec![s.end];
    cands.extend(s.model.as_ref().map(|b| b.span.start));
    cands.extend(s.model_na.map(|sp| sp.start));
    cands.extend(s.surface.as_ref().map(|b| b.span.start));
    cands.extend(s.surface_na.map(|sp| sp.start));
    cands.extend(s.arms.iter().map(|a| a.span.start));
    cands
        .into_iter()
        .filter(|&c| c > start)
        .min()
        .unwrap_or(s.end)
}

/// The text of a stub block (heading to its end), or its not-applicable line.
fn stub_part(stub_text: &str, stub: &Scenario, surface: bool) -> String {
    let (block, line) = if surface {
        (stub.surface.as_ref(), stub.surface_na)
    } else {
        (stub.model.as_ref(), stub.model_na)
    };
    let start = block.map(|b| b.span.start).or(line.map(|l| l.start));
    match start {
        Some(st) => stub_text[st..block_end(stub, st)].trim_end().to_string(),
        None => String::new(),
    }
}

/// A block whose fields are all still placeholders.
fn unfilled(b: &plan::Block) -> bool {
    b.fields.iter().all(|f| {
        let v = f.value.trim();
        v.is_empty() || (v.starts_with("{{") && v.ends_with("}}"))
    })
}

#[allow(clippy::too_many_arguments)]
fn gate_edits(
    src: &str,
    s: &Scenario,
    stub_text: &str,
    stub: &Scenario,
    need_model: bool,
    need_surface: bool,
    edits: &mut Vec<Edit>,
    notes: &mut Vec<String>,
) {
    for (surface, need) in [(false, need_model), (true, need_surface)] {
        let (block, line, name, na) = if surface {
            (
                s.surface.as_ref(),
                s.surface_na,
                "§7.M.S",
                literal("surface-na"),
            )
        } else {
            (s.model.as_ref(), s.model_na, "§7.M", literal("model-na"))
        };
        match (need, block, line) {
            // a required block that is there, filled or not, stays
            (true, Some(_), _) => {}
            (true, None, Some(l)) => {
                // the line's own text: its line break stays
                let end = l.start + src[l.start..l.end.min(src.len())].trim_end().len();
                edits.push(Edit {
                    start: l.start,
                    end,
                    text: stub_part(stub_text, stub, surface),
                });
                notes.push(format!("{name}: the not-applicable line → the {name} block to fill"));
            }
            (true, None, None) => {
                edits.push(insert_at_end(src, s, &stub_part(stub_text, stub, surface)));
                notes.push(format!("{name}: added the {name} block to fill"));
            }
            // a block no longer required: dropped only while nobody filled it
            (false, Some(b), _) if unfilled(b) => {
                let end = block_end(s, b.span.start);
                let end = src[..end].trim_end().len();
                edits.push(Edit {
                    start: b.span.start,
                    end,
                    text: na.to_string(),
                });
                notes.push(format!("{name}: the unfilled block → the not-applicable line"));
            }
            (false, Some(_), _) => notes.push(format!(
                "{name}: no longer required; the filled block is kept (replace it with `{na}` if it no longer applies)"
            )),
            (false, None, Some(_)) => {}
            (false, None, None) => {
                edits.push(insert_at_end(src, s, na));
                notes.push(format!("{name}: added the not-applicable line"));
            }
        }
    }
}

/// Insert a paragraph after the scenario's last block.
fn insert_at_end(src: &str, s: &Scenario, para: &str) -> Edit {
    let at = s.end.min(src.len());
    let before = src[..at].trim_end().len();
    let start = src[before..at].find('\n').map_or(at, |i| before + i + 1);
    let mut text = String::new();
    if start == at && !src[..at].ends_with('\n') {
        text.push('\n');
    }
    text.push('\n');
    text.push_str(para);
    text.push('\n');
    Edit {
        start,
        end: start,
        text,
    }
}

/// A new language: the skeleton's code block is replaced only while it is the unfilled
/// template; written code is kept (and lint's DST036 then names the mismatch).
fn skeleton_edit(
    src: &str,
    s: &Scenario,
    stub_text: &str,
    stub: &Scenario,
    edits: &mut Vec<Edit>,
    notes: &mut Vec<String>,
) {
    let (Some(old), Some(new)) = (
        s.field("skeleton").and_then(|f| f.code().first()),
        stub.field("skeleton").and_then(|f| f.code().first()),
    ) else {
        return;
    };
    let old_text = &src[old.span.start..old.span.end.min(src.len())];
    if old_text.contains("{{TODO") {
        let new_text = stub_text[new.span.start..new.span.end].trim_end_matches('\n');
        let end = old.span.start + old_text.trim_end_matches('\n').len();
        edits.push(Edit {
            start: old.span.start,
            end,
            text: new_text.trim_start().to_string(),
        });
        notes.push("skeleton: the unfilled template → the new language's template".into());
    } else {
        notes.push("skeleton: kept (it has code in it); rewrite it in the new language".into());
    }
}
