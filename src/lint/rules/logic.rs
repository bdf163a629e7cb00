//! DST08x: the plan's parts agree with each other: what a scenario closes and falsifies, the
//! §5 matrix, the §7b argument, and the §7.M nemesis against the scenario's `Faults:` line.

use std::collections::{BTreeSet, HashMap};

use super::model::find_landing;
use super::{is_placeholder, Cx, Sink};
use crate::declare_rule;
use crate::lint::Rule;
use crate::plan::{field_refs, parse_refs, Block, Field, Plan, Scenario, Span, Table};
use crate::vocab;

pub(super) const RULES: &[&Rule] = &[
    &CLOSES_UNRELATED_HYPOTHESIS,
    &COVERAGE_PAIR_WITHOUT_ROW,
    &COVERAGE_RECOMMENDATION_MISMATCH,
    &ADEQUACY_SCENARIO_UNRELATED,
    &NEMESIS_DISAGREES_WITH_FAULTS,
    &LANDING_EVIDENCE_INCOMPLETE,
];

declare_rule! {
    /// ## What it does
    /// Checks that every hypothesis a scenario closes (`Closes:`) can falsify, by its own
    /// `Could falsify:` line, at least one claim the scenario falsifies (`Falsifies if it
    /// FAILs:`).
    ///
    /// ## Why is this bad?
    /// A scenario closes a hypothesis by running the threat it describes against the claim it
    /// threatens. If the two share no claim, the scenario's verdict says nothing about the
    /// hypothesis, and the hypothesis is closed on paper only.
    ///
    /// ## Example
    /// ```markdown
    /// H2. **Lost acknowledged write** — …
    ///    - Could falsify: C1
    ///
    /// ### Scenario S3: failover_is_fast
    /// - **Falsifies if it FAILs:** C3
    /// - **Closes:** H2
    /// ```
    ///
    /// Use instead: close H2 with a scenario that falsifies C1, or add C1 to S3's
    /// `Falsifies if it FAILs:` when its oracle really checks it.
    pub static CLOSES_UNRELATED_HYPOTHESIS = ("DST080", "closes-unrelated-hypothesis", Error, "a scenario closes a hypothesis that threatens none of its claims");
}

declare_rule! {
    /// ## What it does
    /// Checks that the §5 coverage matrix has a row for every (claim, hypothesis) pair that a
    /// hypothesis's `Could falsify:` names.
    ///
    /// ## Why is this bad?
    /// The matrix is where the plan says how well each threat to each claim is already tested
    /// and which scenario fills the gap. A pair without a row is a threat nobody assessed.
    ///
    /// ## Example
    /// ```markdown
    /// H3. **Retry duplicates a debit** — …
    ///    - Could falsify: C1, C2
    /// ```
    /// (§5 has a row for C1 / H3 but none for C2 / H3)
    ///
    /// Use instead:
    /// ```markdown
    /// | C2 | H3 | none | not covered | no test | S1 |
    /// ```
    pub static COVERAGE_PAIR_WITHOUT_ROW = ("DST081", "coverage-pair-without-row", Error, "a claim/hypothesis pair has no §5 row");
}

declare_rule! {
    /// ## What it does
    /// Checks that the scenario a §5 row recommends falsifies that row's claim and closes that
    /// row's hypothesis.
    ///
    /// ## Why is this bad?
    /// The recommendation is the plan's answer to the gap in that row. A scenario that tests
    /// another claim, or runs another threat, leaves the gap open while the matrix says it is
    /// filled.
    ///
    /// ## Example
    /// ```markdown
    /// | C1 | H2 | none | not covered | no test | S3 |
    /// ```
    /// (S3 falsifies only C3)
    ///
    /// Use instead: recommend the scenario that falsifies C1 and closes H2, or write `—` and
    /// say in §8 or §9 why the gap stays open.
    pub static COVERAGE_RECOMMENDATION_MISMATCH = ("DST082", "coverage-recommendation-mismatch", Error, "a §5 row recommends a scenario that does not test its claim and hypothesis");
}

declare_rule! {
    /// ## What it does
    /// Checks that every scenario (or arm) a §7b row cites falsifies that row's claim.
    ///
    /// ## Why is this bad?
    /// §7b argues that the cited scenarios are enough to trust the claim. A scenario that does
    /// not falsify the claim cannot fail because of it, so citing it inflates the argument.
    ///
    /// ## Example
    /// ```markdown
    /// | C1 | lost writes on failover (H1) | S1, S3 | … |
    /// ```
    /// (S3 falsifies only C3)
    ///
    /// Use instead:
    /// ```markdown
    /// | C1 | lost writes on failover (H1) | S1 | … |
    /// ```
    pub static ADEQUACY_SCENARIO_UNRELATED = ("DST083", "adequacy-scenario-unrelated", Error, "a §7b row cites a scenario that does not falsify its claim");
}

declare_rule! {
    /// ## What it does
    /// Warns when a nemesis named in a §7.M block belongs to a family (process kills and
    /// restarts, pauses, partitions, packet-level faults, disk faults, clock faults) that the
    /// scenario's `Faults:` line does not mention, or when `Faults:` says `none` but §7.M names
    /// a nemesis. Free text cannot be read with certainty, so this is a warning.
    ///
    /// ## Why is this bad?
    /// The executor injects what `Faults:` says and proves landing for what §7.M says. When
    /// the two disagree, either the wrong fault is injected or its landing is never checked.
    ///
    /// ## Example
    /// ```markdown
    /// - **Faults:** SIGKILL the leader every 60 s
    /// …
    /// - **Nemesis + landing evidence:** partition-full — DROP counters rise
    /// ```
    ///
    /// Use instead:
    /// ```markdown
    /// - **Nemesis + landing evidence:** process-kill — exit code 137 and a new leader term
    /// ```
    pub static NEMESIS_DISAGREES_WITH_FAULTS = ("DST084", "nemesis-disagrees-with-faults", Warning, "the §7.M nemesis is not what `Faults:` injects");
}

declare_rule! {
    /// ## What it does
    /// Warns when a `Nemesis + landing evidence:` line names nemeses of several families but
    /// its evidence names an observable for only some of them (for a kill: an exit code, a
    /// restart, a new leader; for a partition: DROP counters, unreachable peers; for a pause:
    /// `T (stopped)`; for packet faults: `tc` counters; for clocks: a measured offset).
    ///
    /// ## Why is this bad?
    /// Each nemesis can fail to land on its own. Evidence for the kill says nothing about the
    /// partition that was meant to run beside it.
    ///
    /// ## Example
    /// ```markdown
    /// - **Nemesis + landing evidence:** process-kill and partition-minority — exit code 137
    /// ```
    ///
    /// Use instead:
    /// ```markdown
    /// - **Nemesis + landing evidence:** process-kill and partition-minority — kill cycles show
    ///   exit code 137; partition cycles show non-zero packet counts on the DROP rules
    /// ```
    pub static LANDING_EVIDENCE_INCOMPLETE = ("DST085", "landing-evidence-incomplete", Warning, "a line naming several nemeses gives landing evidence for only some");
}

pub(super) fn check(cx: &Cx, out: &mut Sink) {
    let plan = cx.plan;
    let could: HashMap<String, Vec<String>> = plan
        .hypotheses
        .iter()
        .filter_map(|h| {
            let id = h.id.as_ref()?.key();
            let f = h.field("could falsify")?;
            Some((id, field_refs(f, "C").iter().map(|r| r.key()).collect()))
        })
        .collect();
    let scenarios: HashMap<String, &Scenario> =
        plan.scenarios.iter().map(|s| (s.id.key(), s)).collect();
    for s in &plan.scenarios {
        closes(s, &could, out);
        if let Some(b) = &s.model {
            nemesis(s, b, &format!("scenario {}", s.id.key()), false, out);
        }
        for a in &s.arms {
            if let Some(b) = &a.model {
                nemesis(s, b, &format!("arm {}", a.id.key()), true, out);
            }
        }
    }
    if let Some(t) = &plan.coverage_table {
        coverage(plan, t, &could, &scenarios, out);
    }
    if let Some(t) = &plan.adequacy_table {
        adequacy(t, &scenarios, out);
    }
}

fn falsified(s: &Scenario) -> BTreeSet<String> {
    s.falsifies().iter().map(|r| r.key()).collect()
}

fn closes(s: &Scenario, could: &HashMap<String, Vec<String>>, out: &mut Sink) {
    let claims = falsified(s);
    if claims.is_empty() {
        return; // DST030 reports it
    }
    for h in &s.closes_refs {
        let Some(threatened) = could.get(&h.key()) else {
            continue; // unknown or claim-less hypotheses are reported elsewhere
        };
        if threatened.is_empty() || threatened.iter().any(|c| claims.contains(c)) {
            continue;
        }
        let span = s.field("closes").map_or(h.span, |f| f.span);
        out.push(
            &CLOSES_UNRELATED_HYPOTHESIS,
            span,
            format!(
                "scenario {} closes {}, which could falsify {} — none of the claims it falsifies ({})",
                s.id.key(),
                h.key(),
                threatened.join(", "),
                claims.iter().cloned().collect::<Vec<_>>().join(", ")
            ),
            format!(
                "close {} with a scenario that falsifies {}, or add that claim to `Falsifies if it FAILs:` if the oracle checks it",
                h.key(),
                threatened.join(" or ")
            ),
        );
    }
}

/// The IDs of `kinds` in a table cell.
fn cell_ids(t: &Table, row: &crate::plan::Row, col: Option<usize>, kinds: &str) -> Vec<String> {
    t.cell(row, col)
        .map(|c| {
            parse_refs(&c.text, kinds, c.span.start)
                .into_iter()
                .map(|r| r.key())
                .collect()
        })
        .unwrap_or_default()
}

fn coverage(
    plan: &Plan,
    t: &Table,
    could: &HashMap<String, Vec<String>>,
    scenarios: &HashMap<String, &Scenario>,
    out: &mut Sink,
) {
    let (cc, hc, rc) = (
        t.column("claim"),
        t.column("hypothesis"),
        t.column("recommended scenario"),
    );
    if cc.is_none() || hc.is_none() {
        return; // DST016 reports the missing column
    }
    let mut pairs: BTreeSet<(String, String)> = BTreeSet::new();
    for r in &t.rows {
        let claims = cell_ids(t, r, cc, "C");
        let hyps = cell_ids(t, r, hc, "H");
        for c in &claims {
            for h in &hyps {
                pairs.insert((c.clone(), h.clone()));
            }
        }
        for sid in cell_ids(t, r, rc, "S") {
            let base = sid.split('/').next().unwrap_or(&sid).to_string();
            let Some(s) = scenarios.get(&base) else {
                continue; // DST020 reports it
            };
            let f = falsified(s);
            if f.is_empty() {
                continue; // DST030 reports it
            }
            let closed: BTreeSet<String> = s.closes_refs.iter().map(|r| r.key()).collect();
            let missing_claims: Vec<&String> = claims.iter().filter(|c| !f.contains(*c)).collect();
            let missing_hyps: Vec<&String> = hyps.iter().filter(|h| !closed.contains(*h)).collect();
            if missing_claims.is_empty() && missing_hyps.is_empty() {
                continue;
            }
            let mut why = Vec::new();
            if !missing_claims.is_empty() {
                why.push(format!("does not falsify {}", join(&missing_claims)));
            }
            if !missing_hyps.is_empty() {
                why.push(format!("does not close {}", join(&missing_hyps)));
            }
            let span = t.cell(r, rc).map_or(r.span, |c| {
                Span::new(c.span.start, c.span.end.max(c.span.start))
            });
            out.push(
                &COVERAGE_RECOMMENDATION_MISMATCH,
                span,
                format!("§5 recommends {sid} for this row, but {sid} {}", why.join(" and ")),
                "recommend the scenario that falsifies the row's claim and closes its hypothesis, or add them to the scenario's `Falsifies if it FAILs:` / `Closes:`",
            );
        }
    }
    for h in &plan.hypotheses {
        let Some(id) = h.id.as_ref() else { continue };
        let Some(claims) = could.get(&id.key()) else {
            continue;
        };
        for c in claims {
            if !pairs.contains(&(c.clone(), id.key())) {
                let span = h.field("could falsify").map_or(h.span, |f| f.span);
                out.push(
                    &COVERAGE_PAIR_WITHOUT_ROW,
                    span,
                    format!(
                        "{} could falsify {c}, but §5 has no row for {c} / {}",
                        id.key(),
                        id.key()
                    ),
                    format!(
                        "add `| {c} | {} | <existing tests> | <verdict> | <gap kind> | <scenario> |` to §5",
                        id.key()
                    ),
                );
            }
        }
    }
}

fn join(v: &[&String]) -> String {
    v.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
}

fn adequacy(t: &Table, scenarios: &HashMap<String, &Scenario>, out: &mut Sink) {
    let (cc, sc) = (t.column("claim"), t.column("scenarios"));
    if cc.is_none() || sc.is_none() {
        return;
    }
    for r in &t.rows {
        let claims = cell_ids(t, r, cc, "C");
        let Some(claim) = claims.first() else {
            continue;
        };
        let mut seen = BTreeSet::new();
        for sid in cell_ids(t, r, sc, "S") {
            let base = sid.split('/').next().unwrap_or(&sid).to_string();
            if !seen.insert(base.clone()) {
                continue;
            }
            let Some(s) = scenarios.get(&base) else {
                continue;
            };
            let f = falsified(s);
            // a scenario that falsifies nothing is reported once, by DST030
            if !f.is_empty() && !f.contains(claim) {
                let span = t.cell(r, sc).map_or(r.span, |c| c.span);
                out.push(
                    &ADEQUACY_SCENARIO_UNRELATED,
                    span,
                    format!(
                        "§7b cites {base} for {claim}, but {base} does not falsify {claim}"
                    ),
                    format!("cite only scenarios that falsify {claim}, or add {claim} to {base}'s `Falsifies if it FAILs:` if its oracle checks it"),
                );
            }
        }
    }
}

/// Nemesis families: the canonical IDs in each, the words a `Faults:` line uses for them, and
/// the observables that show one landed.
struct Family {
    name: &'static str,
    nemeses: &'static [&'static str],
    fault_words: &'static [&'static str],
    evidence_words: &'static [&'static str],
}

const FAMILIES: &[Family] = &[
    Family {
        name: "process kill or restart",
        nemeses: &[
            "process-kill",
            "process-stop",
            "container-restart",
            "rolling-restart",
        ],
        fault_words: &[
            "kill",
            "crash",
            "restart",
            "terminate",
            "sigterm",
            "reboot",
            "stop",
            "shut",
        ],
        evidence_words: &[
            "exit",
            "137",
            "restart",
            "pid",
            "leader",
            "term",
            "epoch",
            "killed",
            "switch-master",
            "role",
            "generation",
            "liveness",
            "dead",
            "crash",
            "uptime",
            "run id",
            "run_id",
        ],
    },
    Family {
        name: "pause",
        nemeses: &["process-pause"],
        fault_words: &["sigstop", "pause", "freeze", "frozen", "stop", "suspend"],
        evidence_words: &[
            "stopped",
            "/proc",
            "sdown",
            "unreachable",
            "paused",
            "frozen",
            "lease",
            "heartbeat",
        ],
    },
    Family {
        name: "partition",
        nemeses: &[
            "partition-full",
            "partition-asymmetric",
            "partition-minority",
            "partition-majority",
            "leader-isolation",
            "split-brain-attempt",
        ],
        fault_words: &[
            "partition",
            "isolat",
            "iptables",
            "cut",
            "drop",
            "split",
            "unreachable",
            "disconnect",
        ],
        evidence_words: &[
            "drop",
            "iptables",
            "packet",
            "counter",
            "unreachable",
            "term",
            "leader",
            "partition",
            "isolat",
            "sdown",
            "switch-master",
        ],
    },
    Family {
        name: "packet fault",
        nemeses: &[
            "packet-loss",
            "latency",
            "bandwidth-cap",
            "packet-duplication",
            "packet-reorder",
        ],
        fault_words: &[
            "loss",
            "latency",
            "delay",
            "netem",
            "tc ",
            "toxiproxy",
            "reset",
            "bandwidth",
            "duplicat",
            "reorder",
            "jitter",
            "drop",
        ],
        evidence_words: &[
            "tc ",
            "qdisc",
            "dropped",
            "loss",
            "rtt",
            "latency",
            "delay",
            "netem",
            "duplicat",
            "reorder",
            "out of",
            "delivered",
            "toxic",
            "retransmit",
        ],
    },
    Family {
        name: "disk fault",
        nemeses: &[
            "disk-full",
            "fsync-loss",
            "fsync-failure",
            "slow-disk",
            "bit-flip",
            "storage-corruption",
        ],
        fault_words: &[
            "disk", "fsync", "enospc", "dm-", "full", "corrupt", "flip", "device", "i/o", "io ",
        ],
        evidence_words: &[
            "enospc", "fsync", "disk", "dm-", "iostat", "await", "checksum", "corrupt", "eio",
            "error",
        ],
    },
    Family {
        name: "clock fault",
        nemeses: &["clock-skew", "clock-slow"],
        fault_words: &[
            "clock", "skew", "faketime", "drift", "ntp", "chrony", "time",
        ],
        evidence_words: &["offset", "clock", "chrony", "rate", "drift", "skew"],
    },
];

fn family_of(nemesis: &str) -> Option<&'static Family> {
    FAMILIES.iter().find(|f| f.nemeses.contains(&nemesis))
}

/// The canonical nemeses named in `text` (free text). One automaton pass finds where a
/// nemesis ID or alias starts a word of the normalised text; [`vocab::recognise`] then reads
/// the longest name there.
pub(crate) fn nemeses_in(text: &str) -> Vec<&'static str> {
    static R: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let r = R.get_or_init(|| {
        let mut names: Vec<String> = vocab::NEMESES
            .iter()
            .flat_map(|t| std::iter::once(t.id).chain(t.aliases.iter().copied()))
            .map(|n| regex::escape(&vocab::normalise(n)))
            .collect();
        names.sort_by_key(|n| std::cmp::Reverse(n.len()));
        // a name starts the text or follows a separator
        regex::Regex::new(&format!(r"(?:^|-)(?:{})", names.join("|"))).expect("static regex")
    });
    let n = vocab::normalise(text);
    let mut found: Vec<&'static str> = Vec::new();
    let mut from = 0;
    while from < n.len() {
        let Some(m) = r.find_at(&n, from) else { break };
        let start = m.start() + usize::from(n.as_bytes()[m.start()] == b'-');
        match vocab::recognise(vocab::NEMESES, &n[start..]) {
            Some(hit) => {
                if !found.contains(&hit.id) {
                    found.push(hit.id);
                }
                // the separator after the name may start the next one
                from = start + hit.len;
            }
            None => from = start + 1,
        }
        while from < n.len() && !n.is_char_boundary(from) {
            from += 1;
        }
    }
    found
}

fn nemesis(s: &Scenario, b: &Block, who: &str, in_arm: bool, out: &mut Sink) {
    let Some(f) = b
        .field("nemesis + landing evidence")
        .or_else(|| b.fields.iter().find(|f| f.label.starts_with("nemesis")))
        .filter(|f| !f.value.trim().is_empty() && !is_placeholder(&f.value))
    else {
        return;
    };
    let (head, landing) = find_landing(&f.value);
    let named: Vec<&'static str> = nemeses_in(head)
        .into_iter()
        .filter(|n| *n != "none")
        .collect();
    if named.is_empty() {
        return;
    }
    if !in_arm {
        // an arm's own §7.M may run a fault of its own that the scenario's `Faults:` line
        // does not describe; only the scenario's block answers to it
        faults_agree(s, f, &named, who, out);
    }
    // several families: evidence for each
    let families: Vec<&Family> =
        named
            .iter()
            .filter_map(|n| family_of(n))
            .fold(Vec::new(), |mut v, fam| {
                if !v.iter().any(|g: &&Family| g.name == fam.name) {
                    v.push(fam);
                }
                v
            });
    if families.len() < 2 {
        return;
    }
    let Some(evidence) = landing.map(str::to_lowercase) else {
        return; // DST047 reports it
    };
    let missing: Vec<&str> = families
        .iter()
        .filter(|fam| !fam.evidence_words.iter().any(|w| evidence.contains(w)))
        .map(|fam| fam.name)
        .collect();
    if !missing.is_empty() {
        out.push(
            &LANDING_EVIDENCE_INCOMPLETE,
            f.span,
            format!(
                "{who} names {} but its landing evidence shows nothing for the {}",
                named.join(", "),
                missing.join(" or the ")
            ),
            "give each nemesis its own observable: exit codes or a new leader for kills, DROP counters for partitions, `T (stopped)` for pauses, `tc -s` counters for packet faults",
        );
    }
}

fn faults_agree(s: &Scenario, nemesis: &Field, named: &[&str], who: &str, out: &mut Sink) {
    let Some(faults) = s
        .field("faults")
        .filter(|f| !f.value.trim().is_empty() && !is_placeholder(&f.value))
    else {
        return;
    };
    let text = faults.value.to_lowercase();
    let words: Vec<&str> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    if words.first() == Some(&"none") && words.len() <= 2 {
        out.push(
            &NEMESIS_DISAGREES_WITH_FAULTS,
            nemesis.span,
            format!(
                "{who}'s §7.M names {}, but `Faults:` says none",
                named.join(", ")
            ),
            "write the injected fault in `Faults:`, or `none` as the nemesis when nothing is injected",
        );
        return;
    }
    let mut faults_named: Option<Vec<&'static str>> = None;
    for n in named {
        let Some(fam) = family_of(n) else { continue };
        if fam.fault_words.iter().any(|w| text.contains(w)) {
            continue;
        }
        // the words did not say it; a nemesis ID in `Faults:` may
        let in_faults = faults_named.get_or_insert_with(|| nemeses_in(&faults.value));
        if in_faults
            .iter()
            .any(|m| family_of(m).is_some_and(|g| g.name == fam.name))
        {
            continue;
        }
        out.push(
            &NEMESIS_DISAGREES_WITH_FAULTS,
            nemesis.span,
            format!(
                "{who}'s §7.M nemesis {n} is a {}, which `Faults:` does not mention",
                fam.name
            ),
            "make §7.M name the nemesis that `Faults:` injects, or add the fault to `Faults:`",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::nemeses_in;

    #[test]
    fn nemeses_are_found_anywhere_in_free_text() {
        assert_eq!(
            nemeses_in("process-kill on odd cycles, leader isolation on even cycles"),
            ["process-kill", "leader-isolation"]
        );
        assert_eq!(
            nemeses_in("clock-slow on the leader, then leader-isolation"),
            ["clock-slow", "leader-isolation"]
        );
        assert_eq!(nemeses_in("kill-9 of the leader"), ["process-kill"]);
        assert_eq!(
            nemeses_in("packet-loss and packet-loss again, then latency"),
            ["packet-loss", "latency"]
        );
        assert!(nemeses_in("the processes are killed by the supervisor").is_empty());
        assert!(nemeses_in("").is_empty());
        assert_eq!(nemeses_in("é partition-full é"), ["partition-full"]);
    }
}
