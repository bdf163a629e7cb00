//! Finding stubs (`dstplan finding new`) and the plan look-ups they share with the report:
//! which §7.M applies to a scenario or arm, and the checker, nemesis and model it declares.
//!
//! The stub lists every key a finding may hold with the value `null`, so an agent fills values
//! instead of inventing keys; only what the plan already says (scenario, claims, declared
//! checker and nemesis) is pre-filled.

use crate::plan::{Block, Plan, Scenario};
use crate::vocab;

/// The scenario and (for an arm) the arm key a finding key names, if the plan has them.
pub fn resolve<'p>(plan: &'p Plan, key: &str) -> Option<(&'p Scenario, Option<String>)> {
    let base = key.split('/').next().unwrap_or(key);
    let s = plan.scenario(base)?;
    if key.contains('/') {
        let arms = super::scenario_arm_keys(s);
        arms.iter().find(|a| a.as_str() == key)?;
        Some((s, Some(key.to_string())))
    } else {
        Some((s, None))
    }
}

/// The §7.M that applies: the arm's own when it has one, else the scenario's.
pub fn model_block<'p>(s: &'p Scenario, arm: Option<&str>) -> Option<&'p Block> {
    if let Some(a) = arm {
        if let Some(b) = s
            .arms
            .iter()
            .find(|x| x.id.key() == a)
            .and_then(|x| x.model.as_ref())
        {
            return Some(b);
        }
    }
    s.model.as_ref()
}

/// Whether a scenario is serious: a falsified claim has a §7.M-gated category, or it has arms.
pub fn is_serious(plan: &Plan, s: &Scenario) -> bool {
    !super::scenario_arm_keys(s).is_empty()
        || s.falsifies().iter().any(|c| {
            plan.claim_category(&c.key())
                .is_some_and(vocab::is_model_gated)
        })
}

/// Checker IDs recognised in a free-text checker field (joined by `+`, `,` or "and").
pub fn checker_ids(text: &str) -> Vec<&'static str> {
    let mut out = Vec::new();
    for part in text.split(['+', ',', ';']) {
        let n = vocab::normalise(part);
        if let Some(r) = vocab::recognise(vocab::CHECKERS, &n) {
            let multi = vocab::CHECKER_MULTI_ALIASES
                .iter()
                .find(|(a, _)| n.starts_with(a));
            match multi {
                Some((_, ids)) => {
                    for id in *ids {
                        if !out.contains(id) {
                            out.push(*id);
                        }
                    }
                }
                None => {
                    if !out.contains(&r.id) {
                        out.push(r.id);
                    }
                }
            }
        }
    }
    out
}

/// The nemesis part of `Nemesis + landing evidence:` (before `;` or an em dash).
pub fn nemesis_text(field: &str) -> &str {
    let cut = [field.find(';'), field.find(" — "), field.find(" -- ")]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(field.len());
    field[..cut].trim()
}

/// Every canonical nemesis named in a free-text nemesis part.
pub fn nemesis_ids(text: &str) -> Vec<&'static str> {
    let n = vocab::normalise(text);
    let mut out = Vec::new();
    let mut i = 0;
    while i < n.len() {
        if i == 0 || n.as_bytes()[i - 1] == b'-' || n.as_bytes()[i - 1] == b' ' {
            if let Some(r) = vocab::recognise(vocab::NEMESES, &n[i..]) {
                if (r.id != "none" || i == 0) && !out.contains(&r.id) {
                    out.push(r.id);
                }
            }
        }
        i += n[i..].chars().next().map_or(1, char::len_utf8);
    }
    out
}

/// Every checker named anywhere in a prose line (an `Oracle:` line: "… checked with
/// no-lost-ack"), at word starts.
pub fn mentioned_checkers(text: &str) -> Vec<&'static str> {
    let n = vocab::normalise(text);
    let mut out = Vec::new();
    let mut i = 0;
    while i < n.len() {
        if i == 0 || n.as_bytes()[i - 1] == b'-' {
            for id in checker_ids(&n[i..]) {
                if !out.contains(&id) {
                    out.push(id);
                }
            }
        }
        i += n[i..].chars().next().map_or(1, char::len_utf8);
    }
    out
}

/// The model ID of a §7.M block, if recognised.
pub fn model_id(b: &Block) -> Option<&'static str> {
    let f = b.field("model under test")?;
    vocab::recognise(vocab::MODELS, &vocab::normalise(&f.value)).map(|r| r.id)
}

fn yaml_str(s: &str) -> String {
    serde_json::to_string(s).expect("string")
}

/// The stub text for a scenario or arm key that [`resolve`] accepted.
pub fn render(plan: &Plan, s: &Scenario, arm: Option<&str>) -> String {
    let key = arm.map(str::to_string).unwrap_or_else(|| s.id.key());
    let claims: Vec<String> = s.falsifies().iter().map(|c| c.key()).collect();
    let block = model_block(s, arm);
    let checker = block.and_then(|b| b.field("checker")).map(|f| {
        let ids = checker_ids(&f.value);
        if ids.is_empty() {
            f.value.clone()
        } else {
            ids.join(" + ")
        }
    });
    let nemesis = block
        .and_then(|b| b.field("nemesis + landing evidence"))
        .map(|f| {
            let part = nemesis_text(&f.value);
            let ids = nemesis_ids(part);
            if ids.is_empty() {
                part.to_string()
            } else {
                ids.join(" + ")
            }
        });
    // Without §7.M, the scenario's (or arm's) `Oracle:` and `Faults:` lines say what to run.
    let line = |label: &str| {
        arm.and_then(|a| s.arms.iter().find(|x| x.id.key() == a))
            .and_then(|x| x.field(label))
            .or_else(|| s.field(label))
            .map(|f| f.value.as_str())
    };
    let checker = checker.or_else(|| {
        let ids = mentioned_checkers(line("oracle")?);
        (!ids.is_empty()).then(|| ids.join(" + "))
    });
    let nemesis = nemesis.or_else(|| {
        let ids = nemesis_ids(line("faults")?);
        (!ids.is_empty()).then(|| ids.join(" + "))
    });
    let opt = |v: Option<String>| v.map(|x| yaml_str(&x)).unwrap_or_else(|| "null".into());
    let mut y = String::from("---\n");
    y.push_str(&format!("scenario: {key}\n"));
    y.push_str(&format!(
        "claims: [{}]            # from the plan's \"Falsifies if it FAILs\"\n",
        claims.join(", ")
    ));
    y.push_str("verdict: null             # one of the 10 verdicts (dstplan vocab)\n");
    y.push_str(&format!(
        "budget_tier: null         # {} (probe = below the smoke budget: at most {})\n",
        vocab::FINDING_BUDGET_TIERS.join(" | "),
        vocab::PROBE_CAP
    ));
    y.push_str("seeds: []\n");
    y.push_str("started: null             # RFC 3339 UTC\n");
    y.push_str("finished: null\n");
    y.push_str("facts:                    # true | false | null (null = not known, never supports a PASS)\n");
    for k in [
        "attempted",
        "env_ok",
        "violation",
        "reproduced",
        "fault_planned",
        "fault_landed",
        "checker_ran",
        "history_complete",
    ] {
        y.push_str(&format!("  {k}: null\n"));
    }
    y.push_str("  checker_coverage: null  # full | subset | none\n");
    y.push_str("oracle:\n");
    y.push_str(&format!(
        "  checker: {}      # from the plan's §7.M (else its Oracle: line)\n",
        opt(checker)
    ));
    y.push_str("  evidence: null          # what the oracle consumed and found\n");
    y.push_str(
        "  history: null           # e.g. artifacts/<id>/history.jsonl, relative to the session\n",
    );
    y.push_str("nemesis:\n");
    y.push_str(&format!("  name: {}\n", opt(nemesis)));
    y.push_str("  landing_evidence: null  # the observable signal that the fault landed\n");
    y.push_str(
        "  fault_ids: []           # ids from `dstplan fault` (F1, …); the report verifies they landed\n",
    );
    y.push_str("audits:                   # yes | no | n/a\n");
    y.push_str("  green_but_broken:\n");
    for a in vocab::AUDITS_GREEN_BUT_BROKEN {
        y.push_str(&format!("    {a}: null\n"));
    }
    y.push_str("  weak_oracle:\n");
    for a in vocab::AUDITS_WEAK_ORACLE {
        y.push_str(&format!("    {a}: null\n"));
    }
    y.push_str("failure:                  # fill for FAIL-* only\n");
    y.push_str("  title: null\n");
    y.push_str(&format!(
        "  blame: null             # {}\n",
        vocab::BLAMES.join(" | ")
    ));
    y.push_str(&format!(
        "  type: null              # {}\n",
        vocab::FAILURE_TYPES.join(" | ")
    ));
    y.push_str(&format!(
        "  severity: null          # {}\n",
        vocab::SEVERITIES.join(" | ")
    ));
    y.push_str(&format!(
        "  tags: []                # any of {}\n",
        vocab::FAILURE_TAGS.join(", ")
    ));
    for k in ["reproducer", "root_cause", "next_action"] {
        y.push_str(&format!("  {k}: null\n"));
    }
    y.push_str(
        "reason: null              # one line; required for INCONCLUSIVE-*, PARTIAL-*, NOT-RUN\n",
    );
    y.push_str("---\n\n");
    let name = &s.name.text;
    y.push_str(&format!("# {key}: {name}\n\n"));
    if let Some(b) = block.and_then(|b| b.field("model under test")) {
        y.push_str(&format!("Model under test (§7.M): {}\n\n", b.value));
    }
    let _ = plan;
    y.push_str("## What happened\n\n<!-- In prose: workload, faults and when they landed, what the oracle saw. -->\n\n");
    y.push_str("## Evidence\n\n<!-- Paths under artifacts/ and logs/ that back each statement above. -->\n\n");
    y.push_str(
        "## Open points\n\n<!-- Anything a reviewer should know before trusting the verdict. -->\n",
    );
    y
}
