//! `dstplan scenario add`: append the next scenario stub to §7.
//!
//! The stub's shape follows from the categories of the claims it falsifies, read from §1b:
//!
//! - **§7.M** (model / history / checker) is a six-field block when any claim is gated
//!   (`vocab::is_model_gated`), and also when any claim is `boundary` or `fairness`, because
//!   such a scenario will have arms and arms need §7.M too. Otherwise it is the exact line
//!   `§7.M: not applicable (no gated claim category falsified)`.
//! - **§7.M.S** (surface decomposition) is an eight-field block when any claim is `boundary` or
//!   `fairness` (`vocab::is_surface_gated`), otherwise the exact not-applicable line.
//! - A claim whose category is still a placeholder or unknown could be either, so the stub
//!   takes the stricter form and says, in a placeholder, when to swap it for the line.
//!
//! The model field suggests a model for the gated category (durability → `log`, ordering →
//! `queue` …) and the checker field the picker's fitting checkers, both inside the
//! placeholder: they are hints, the decision stays open.
//!
//! The scenario is inserted at the end of §7 (just before `## 7b.`, or whatever section comes
//! next, or at the end of the file). The new plan text is parsed back before anything is
//! written: if the new scenario does not come out as `S<n>` with the requested claims, nothing
//! is written.

use std::path::Path;

use serde::Serialize;

use super::skeleton::{render_skeleton_with, Language, SkeletonCtx};
use super::templates::{Templates, SCENARIO};
use super::Error;
use crate::plan::{self, Plan};
use crate::vocab;

/// What one scenario stub is made of.
#[derive(Debug, Clone)]
pub struct ScenarioSpec {
    /// `S3`.
    pub id: String,
    /// Claim-shaped name, or a placeholder.
    pub name: String,
    /// Falsified claims with their canonical category (None = unknown or a placeholder).
    pub claims: Vec<(String, Option<&'static str>)>,
    /// `Closes:` value when it is known (the scaffold's S1 closes H1); None = placeholder.
    pub closes: Option<String>,
    /// Hypotheses that cite the claims (a hint inside the `Closes:` placeholder).
    pub closes_hint: Vec<String>,
    pub language: Language,
    /// The repository's TypeScript test runner, for the skeleton's import (None = unknown).
    pub ts_runner: Option<&'static str>,
    /// Plan path for the skeleton's provenance header.
    pub plan_path: String,
}

#[derive(Serialize)]
struct Ctx {
    id: String,
    name: String,
    claims: String,
    closes: String,
    closes_hint: String,
    model_block: bool,
    model_note: String,
    model_hint: String,
    checker_hint: String,
    surface_block: bool,
    surface_note: String,
    language: &'static str,
    fence: &'static str,
    skeleton: String,
    target_hint: String,
}

/// The model usually behind a gated claim category.
pub fn suggested_model(category: &str) -> Option<&'static str> {
    Some(match category {
        "durability" => "log",
        "ordering" => "queue",
        "idempotency" => "ledger",
        "membership" => "membership-table",
        "isolation" => "map",
        "safety" => "register",
        _ => return None,
    })
}

/// The §7.M / §7.M.S decision for a set of falsified claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GateDecision {
    pub model_block: bool,
    pub surface_block: bool,
    /// Claims whose category is unknown (the decision is provisional).
    pub unknown: Vec<String>,
}

/// Decide the §7.M and §7.M.S form from the claims' categories.
pub fn decide(claims: &[(String, Option<&'static str>)]) -> GateDecision {
    let gated = claims
        .iter()
        .any(|(_, c)| c.is_some_and(vocab::is_model_gated));
    let surface = claims
        .iter()
        .any(|(_, c)| c.is_some_and(vocab::is_surface_gated));
    let unknown: Vec<String> = claims
        .iter()
        .filter(|(_, c)| c.is_none())
        .map(|(k, _)| k.clone())
        .collect();
    GateDecision {
        model_block: gated || surface || !unknown.is_empty(),
        surface_block: surface || !unknown.is_empty(),
        unknown,
    }
}

/// Render one scenario stub (heading to the end of its §7.M.S part), ending with a newline.
pub fn render_scenario(templates: &Templates, spec: &ScenarioSpec) -> Result<String, Error> {
    let d = decide(&spec.claims);
    let gated: Vec<(&str, &str)> = spec
        .claims
        .iter()
        .filter_map(|(k, c)| {
            c.filter(|c| vocab::is_model_gated(c))
                .map(|c| (k.as_str(), c))
        })
        .collect();
    let models = vocab::ids(vocab::MODELS).join(", ");
    let mut model_hint = format!("one of {models}, or other(name), then what stands for what");
    let mut checker_hint = "checker IDs that fit the model and category (see the checker picker in the vocabulary), or none with a justification".to_string();
    if let Some((claim, cat)) = gated.first() {
        if let Some(m) = suggested_model(cat) {
            model_hint =
                format!("{model_hint}; {m} is the usual model for a {cat} claim like {claim}");
            if let Some(fit) = vocab::fitting_checkers(m, cat) {
                checker_hint = format!("{checker_hint}; {} fit {m} under {cat}", fit.join(", "));
            }
        }
    } else if spec
        .claims
        .iter()
        .any(|(_, c)| c.is_some_and(|c| c == "fairness"))
    {
        checker_hint = format!("{checker_hint}; fairness-formula fits a fairness claim");
    }
    let unknown = format!(
        "{} {}",
        d.unknown.join(", "),
        if d.unknown.len() == 1 { "has" } else { "have" }
    );
    let model_note = if !gated.is_empty() {
        String::new()
    } else if !d.unknown.is_empty() {
        format!("{unknown} no known category in §1b yet: if no falsified claim turns out to be safety, durability, idempotency, isolation, ordering or membership and the scenario has no arms, replace this block with the line §7.M: not applicable (no gated claim category falsified)")
    } else {
        "no falsified claim is gated, but a boundary or fairness scenario has arms, and arms need this block; if the scenario ends up with no arms, replace it with the line §7.M: not applicable (no gated claim category falsified)".to_string()
    };
    let surface_note = if d.surface_block
        && !spec
            .claims
            .iter()
            .any(|(_, c)| c.is_some_and(vocab::is_surface_gated))
    {
        format!("{unknown} no known category in §1b yet: if no falsified claim turns out to be boundary or fairness, replace this block with the line §7.M.S: not applicable (no boundary or fairness claim falsified)")
    } else {
        String::new()
    };
    let claim_ids: Vec<String> = spec.claims.iter().map(|(k, _)| k.clone()).collect();
    let skel = render_skeleton_with(
        templates,
        spec.language,
        &SkeletonCtx {
            plan_path: spec.plan_path.clone(),
            scenario_id: spec.id.clone(),
            name: spec.name.clone(),
            claims: claim_ids.clone(),
            ts_runner: spec.ts_runner,
        },
        None,
    )?;
    let skeleton = indent(&skel, "  ");
    let closes_hint = if spec.closes_hint.is_empty() {
        String::new()
    } else {
        format!(
            " ({} {} these claims in §4)",
            spec.closes_hint.join(", "),
            if spec.closes_hint.len() == 1 {
                "cites"
            } else {
                "cite"
            }
        )
    };
    let ctx = Ctx {
        id: spec.id.clone(),
        name: spec.name.clone(),
        claims: claim_ids.join(", "),
        closes: spec.closes.clone().unwrap_or_default(),
        closes_hint,
        model_block: d.model_block,
        model_note,
        model_hint,
        checker_hint,
        surface_block: d.surface_block,
        surface_note,
        language: spec.language.as_str(),
        fence: spec.language.as_str(),
        skeleton,
        target_hint: spec.language.target_hint(if valid_name(&spec.name) {
            &spec.name
        } else {
            "scenario_name"
        }),
    };
    let mut out = templates.render(SCENARIO, ctx)?;
    if !out.ends_with('\n') {
        out.push('\n');
    }
    Ok(out)
}

/// Indent every non-empty line (code inside a list item), without a trailing newline.
fn indent(text: &str, pad: &str) -> String {
    text.trim_end_matches('\n')
        .lines()
        .map(|l| {
            if l.trim().is_empty() {
                String::new()
            } else {
                format!("{pad}{l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether `name` is a claim-shaped scenario name: lowercase letters, digits and `_`,
/// starting with a letter.
pub fn valid_name(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// What `scenario add` produced.
#[derive(Debug, Clone)]
pub struct Added {
    /// The new plan text.
    pub text: String,
    /// `S3`.
    pub id: String,
    /// 1-based line of the new scenario's heading.
    pub line: usize,
    /// The scenario replaced the unfilled stub that `dstplan new` wrote.
    pub replaced_stub: bool,
}

/// Whether `s` is still the stub `dstplan new` wrote: its name and every field a person must
/// decide are still placeholders (the claims, the language and the skeleton come filled).
pub fn is_unfilled_stub(s: &plan::Scenario) -> bool {
    let placeholder = |v: &str| {
        let v = v.trim();
        v.starts_with("{{") && v.ends_with("}}")
    };
    const DECIDED: &[&str] = &[
        "falsifies if it fails",
        "closes",
        "skeleton language",
        "skeleton",
    ];
    placeholder(&s.name.text)
        && s.fields
            .iter()
            .filter(|f| !DECIDED.contains(&&*f.label))
            .all(|f| placeholder(&f.value))
        && s.fields.iter().any(|f| f.label == "workload")
}

/// Parse the `--falsifies` list (`C1,C3`, `C1 C3`, ranges `C1-C3`) into claim keys.
pub fn parse_claim_list(list: &str) -> Result<Vec<String>, Error> {
    let mut keys = Vec::new();
    for tok in list.split(|c: char| c == ',' || c.is_whitespace()) {
        let tok = tok.trim();
        if tok.is_empty() {
            continue;
        }
        let refs = plan::parse_refs(tok, "C", 0);
        if refs.is_empty() {
            return Err(Error::new(format!(
                "--falsifies: `{tok}` is not a claim ID; write claim IDs from §1b like C1,C3"
            )));
        }
        for r in refs {
            if !keys.contains(&r.key()) {
                keys.push(r.key());
            }
        }
    }
    if keys.is_empty() {
        return Err(Error::new(
            "--falsifies needs at least one claim ID from §1b (e.g. --falsifies C1,C3): a scenario that falsifies no claim is ceremony",
        ));
    }
    Ok(keys)
}

/// Add a scenario to the plan text `src`. `plan_path` is only used in messages and in the
/// skeleton's provenance header.
pub fn add(
    templates: &Templates,
    src: &str,
    plan_path: &str,
    falsifies: &str,
    name: &str,
    language: Language,
    ts_runner: Option<&'static str>,
) -> Result<Added, Error> {
    if !valid_name(name) {
        return Err(Error::new(format!(
            "--name `{name}` is not a claim-shaped scenario name: use lowercase letters, digits and `_`, starting with a letter (e.g. acked_writes_survive_leader_crash)"
        )));
    }
    let keys = parse_claim_list(falsifies)?;
    let p: Plan = plan::parse(src);
    let unknown: Vec<&String> = keys.iter().filter(|k| p.claim(k).is_none()).collect();
    if !unknown.is_empty() {
        let have: Vec<String> = p.claims.iter().map(|c| c.id.key()).collect();
        let list = if have.is_empty() {
            "the plan's §1b defines no claims yet".to_string()
        } else {
            format!("the plan's claims are {}", have.join(", "))
        };
        let names: Vec<&str> = unknown.iter().map(|s| s.as_str()).collect();
        return Err(Error::new(format!(
            "{} {} not defined in §1b; {list}. Add the claim to §1b first or cite an existing one",
            names.join(", "),
            if names.len() == 1 { "is" } else { "are" }
        ))
        .in_file(Path::new(plan_path), None));
    }
    let Some(sec7) = p.section("7") else {
        return Err(Error::new(
            "the plan has no §7 (`## 7. Scenarios`); add that section, then run scenario add again",
        )
        .in_file(Path::new(plan_path), None));
    };
    // The first `scenario add` replaces the stub S1 that `dstplan new` left unfilled, and
    // takes its ID (§6b and §7b rows already cite it); otherwise the scenario is appended.
    let stub = p.scenarios.iter().find(|s| is_unfilled_stub(s));
    let id = match stub {
        Some(s) => s.id.key(),
        None => format!(
            "S{}",
            p.scenarios.iter().map(|s| s.id.num).max().unwrap_or(0) + 1
        ),
    };
    let claims: Vec<(String, Option<&'static str>)> = keys
        .iter()
        .map(|k| (k.clone(), p.claim_category(k)))
        .collect();
    let closes_hint: Vec<String> = p
        .hypotheses
        .iter()
        .filter(|h| {
            h.field("could falsify").is_some_and(|f| {
                plan::field_refs(f, "C")
                    .iter()
                    .any(|r| keys.contains(&r.key()))
            })
        })
        .filter_map(|h| h.id.as_ref().map(|i| i.key()))
        .collect();
    let spec = ScenarioSpec {
        id: id.clone(),
        name: name.to_string(),
        claims,
        closes: None,
        closes_hint,
        language,
        ts_runner,
        plan_path: plan_path.to_string(),
    };
    let mut block = render_scenario(templates, &spec)?;
    let crlf = src.contains("\r\n");
    let (at, resume) = match stub {
        Some(s) => (s.span.start.min(src.len()), s.end.min(src.len())),
        None => (sec7.end.min(src.len()), sec7.end.min(src.len())),
    };
    let head = src[..at].trim_end();
    let tail = src[resume..].trim_start_matches(['\n', '\r']);
    let mut text = String::with_capacity(src.len() + block.len() + 4);
    text.push_str(head);
    text.push_str("\n\n");
    let start = text.len();
    block = block.trim_end().to_string();
    text.push_str(&block);
    text.push('\n');
    if !tail.is_empty() {
        text.push('\n');
        text.push_str(tail);
    }
    if crlf {
        text = text.replace("\r\n", "\n").replace('\n', "\r\n");
    }
    // Parse back: the new scenario must be there, with its claims.
    let back = plan::parse(&text);
    let want = p.scenarios.len() + usize::from(stub.is_none());
    let ok = back.scenarios.len() == want
        && back.scenario(&id).is_some_and(|s| {
            s.falsifies()
                .iter()
                .map(|r| r.key())
                .eq(keys.iter().cloned())
        });
    if !ok {
        return Err(Error::new(format!(
            "the scenario stub did not read back as {id} (is a --templates override of {SCENARIO} missing its heading or `Falsifies if it FAILs:`?); the plan was left unchanged"
        )));
    }
    let line = plan::LineIndex::new(&text).line(if crlf {
        text.find(&format!("### Scenario {id}:")).unwrap_or(start)
    } else {
        start
    });
    Ok(Added {
        text,
        id,
        line,
        replaced_stub: stub.is_some(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stub(claims: &[(&str, Option<&'static str>)]) -> String {
        render_scenario(
            &Templates::builtin(),
            &ScenarioSpec {
                id: "S2".into(),
                name: "x_holds".into(),
                claims: claims.iter().map(|(k, c)| (k.to_string(), *c)).collect(),
                closes: None,
                closes_hint: vec![],
                language: Language::Rust,
                ts_runner: None,
                plan_path: "p.md".into(),
            },
        )
        .unwrap()
    }

    #[test]
    fn a_known_gated_claim_leaves_no_doubt_about_7m() {
        let s = stub(&[("C1", Some("durability")), ("C2", None)]);
        assert!(s.contains("#### §7.M — Model"));
        assert!(!s.contains("replace this block with the line §7.M:"), "{s}");
        // C2 could still be boundary: the §7.M.S block stays, with the note naming C2
        assert!(s.contains("{{TODO: C2 has no known category in §1b yet: if no falsified claim turns out to be boundary"));
    }

    #[test]
    fn unknown_claims_get_both_blocks_with_notes() {
        let s = stub(&[("C1", None), ("C3", None)]);
        assert!(s.contains("{{TODO: C1, C3 have no known category in §1b yet: if no falsified claim turns out to be safety"));
        assert!(s.contains("#### §7.M.S — Surface decomposition"));
    }

    #[test]
    fn a_boundary_claim_explains_why_7m_is_there() {
        let s = stub(&[("C3", Some("boundary"))]);
        assert!(s.contains("arms need this block"));
        assert!(!s.contains("§7.M.S: not applicable"));
    }

    #[test]
    fn names_and_claim_lists() {
        assert!(valid_name("acked_writes_2"));
        for bad in ["", "2fast", "Upper", "with-dash", "sp ace", "_lead"] {
            assert!(!valid_name(bad), "{bad}");
        }
        assert_eq!(parse_claim_list("C1,C3").unwrap(), ["C1", "C3"]);
        assert_eq!(parse_claim_list("C1-C3, C2").unwrap(), ["C1", "C2", "C3"]);
        assert!(parse_claim_list(" , ").is_err());
        assert!(parse_claim_list("C1,X").is_err());
    }
}
