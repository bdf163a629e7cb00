//! The closed lists of the vocabulary, as data.

use super::Term;

const fn t(id: &'static str) -> Term {
    Term { id, aliases: &[] }
}

const fn ta(id: &'static str, aliases: &'static [&'static str]) -> Term {
    Term { id, aliases }
}

/// Claim categories (11), in the vocabulary page's order.
pub const CLAIM_CATEGORIES: &[Term] = &[
    t("safety"),
    t("liveness"),
    t("durability"),
    t("performance-SLO"),
    t("operational"),
    t("idempotency"),
    t("isolation"),
    t("ordering"),
    t("membership"),
    t("boundary"),
    t("fairness"),
];

/// Legacy claim labels that became `boundary`; using one is an error with a suggestion.
pub const LEGACY_BOUNDARY_CATEGORIES: &[&str] = &["tenancy", "authz", "namespace", "routing"];

/// Claim categories whose scenarios owe a §7.M block.
pub const GATED_MODEL_CATEGORIES: &[&str] = &[
    "safety",
    "durability",
    "idempotency",
    "isolation",
    "ordering",
    "membership",
];

/// Claim categories whose scenarios owe a §7.M.S block.
pub const GATED_SURFACE_CATEGORIES: &[&str] = &["boundary", "fairness"];

/// Whether a canonical claim category needs §7.M.
pub fn is_model_gated(category: &str) -> bool {
    GATED_MODEL_CATEGORIES
        .iter()
        .any(|c| c.eq_ignore_ascii_case(category))
}

/// Whether a canonical claim category needs §7.M.S.
pub fn is_surface_gated(category: &str) -> bool {
    GATED_SURFACE_CATEGORIES
        .iter()
        .any(|c| c.eq_ignore_ascii_case(category))
}

/// Hypothesis categories (8).
pub const HYPOTHESIS_CATEGORIES: &[Term] = &[
    t("correctness"),
    t("durability"),
    t("liveness"),
    t("partial failure"),
    t("idempotency/replay"),
    t("upgrade/rollback"),
    t("configuration"),
    t("performance/fairness"),
];

/// Models for §7.M "Model under test". `other(<name>)` is accepted besides these.
pub const MODELS: &[Term] = &[
    t("register"),
    t("map"),
    t("queue"),
    t("log"),
    t("lock"),
    t("lease"),
    t("session"),
    t("membership-table"),
    t("counter"),
    t("ledger"),
    t("set"),
];

/// The open model form, printed in lists after the closed ones.
pub const OTHER_MODEL: &str = "other(<name>)";

/// Checker IDs for §7.M "Checker".
pub const CHECKERS: &[Term] = &[
    t("linearizability"),
    t("serializability"),
    ta(
        "session-consistency",
        &["session-consistency-monotonic-read"],
    ),
    t("monotonic-read"),
    t("no-lost-ack"),
    t("replay-equivalence"),
    ta("exactly-once", &["exactly-once-dedup"]),
    ta("prefix-order", &["prefix-order-checker", "prefix"]),
    ta("final-state-invariant", &["invariant-over-final-state"]),
    ta("exclusion", &["exclusion-property"]),
    ta("reconciliation", &["reconciliation-across-replicas"]),
    ta("fairness-formula", &["per-group-fairness", "fairness"]),
    t("property-assertion"),
    t("slo-threshold"),
    t("statistical-baseline"),
    t("differential"),
    t("none"),
];

/// Aliases that stand for more than one checker.
pub const CHECKER_MULTI_ALIASES: &[(&str, &[&str])] = &[(
    "session-consistency-monotonic-read",
    &["session-consistency", "monotonic-read"],
)];

/// Checkers that `dstplan history check` runs itself, with the models each runs on.
pub const BUILTIN_CHECKERS: &[(&str, &[&str])] = &[
    ("linearizability", &["register", "map", "counter", "set"]),
    ("prefix-order", &["queue"]),
    ("no-lost-ack", &["log"]),
    ("exactly-once", &["ledger"]),
    ("final-state-invariant", &["counter", "ledger"]),
    ("monotonic-read", &["log", "counter"]),
    ("serializability", &["list-append", "rw-register"]),
    ("session-consistency", &["register", "map"]),
    ("exclusion", &["lock", "lease"]),
];

/// Whether `dstplan history check` runs this checker itself.
pub fn is_builtin_checker(checker: &str) -> bool {
    BUILTIN_CHECKERS.iter().any(|(c, _)| *c == checker)
}

/// One row of the checker picker: which checkers fit a model under a claim category.
#[derive(Debug, Clone, Copy)]
pub struct PickerRow {
    /// Models of the row; empty means "any model".
    pub models: &'static [&'static str],
    /// Claim categories of the row.
    pub categories: &'static [&'static str],
    /// Checkers that fit.
    pub checkers: &'static [&'static str],
    /// A note printed with the row.
    pub note: &'static str,
}

/// The checker picker of the vocabulary page.
pub const PICKER: &[PickerRow] = &[
    PickerRow {
        models: &["register"],
        categories: &["safety"],
        checkers: &["linearizability"],
        note: "",
    },
    PickerRow {
        models: &["map"],
        categories: &["safety", "isolation"],
        checkers: &["linearizability", "serializability"],
        note: "linearizability per key; serializability for multi-key transactions",
    },
    PickerRow {
        models: &["log"],
        categories: &["durability"],
        checkers: &["no-lost-ack", "replay-equivalence"],
        note: "",
    },
    PickerRow {
        models: &["session"],
        categories: &["safety"],
        checkers: &["session-consistency", "monotonic-read"],
        note: "",
    },
    PickerRow {
        models: &["ledger"],
        categories: &["idempotency"],
        checkers: &["exactly-once"],
        note: "keyed by the business idempotency key, never by op id",
    },
    PickerRow {
        models: &["membership-table"],
        categories: &["membership"],
        checkers: &["reconciliation"],
        note: "",
    },
    PickerRow {
        models: &["queue"],
        categories: &["ordering"],
        checkers: &["prefix-order"],
        note: "",
    },
    PickerRow {
        models: &["counter"],
        categories: &["safety"],
        checkers: &["linearizability", "final-state-invariant"],
        note: "",
    },
    PickerRow {
        models: &["lock", "lease"],
        categories: &["safety"],
        checkers: &["exclusion", "final-state-invariant"],
        note: "",
    },
    PickerRow {
        models: &["set"],
        categories: &["safety"],
        checkers: &["linearizability", "final-state-invariant"],
        note: "",
    },
    PickerRow {
        models: &[],
        categories: &["fairness"],
        checkers: &["fairness-formula"],
        note: "any group",
    },
];

/// The picker's answer for a model under a claim category: `None` when the picker has no row
/// for the pair (nothing to judge), otherwise the fitting checkers.
pub fn fitting_checkers(model: &str, category: &str) -> Option<Vec<&'static str>> {
    let mut found: Option<Vec<&'static str>> = None;
    for row in PICKER {
        let model_ok = row.models.is_empty() || row.models.contains(&model);
        if model_ok
            && row
                .categories
                .iter()
                .any(|c| c.eq_ignore_ascii_case(category))
        {
            let v = found.get_or_insert_with(Vec::new);
            for c in row.checkers {
                if !v.contains(c) {
                    v.push(c);
                }
            }
        }
    }
    found
}

/// Canonical nemeses with their group; the plan may add text after the ID.
pub const NEMESES: &[Term] = &[
    ta("process-kill", &["hard-kill", "kill-9", "sigkill"]),
    ta("process-stop", &["graceful-stop"]),
    ta("process-pause", &["gc-pause", "freeze", "sigstop"]),
    t("container-restart"),
    ta("partition-full", &["full-partition"]),
    ta("partition-asymmetric", &["asymmetric-partition"]),
    ta("partition-minority", &["minority-side-partition"]),
    ta("partition-majority", &["majority-side-partition"]),
    t("leader-isolation"),
    t("packet-loss"),
    ta("latency", &["latency-injection"]),
    t("bandwidth-cap"),
    t("packet-duplication"),
    t("packet-reorder"),
    t("metadata-store-outage"),
    t("disk-full"),
    ta("fsync-loss", &["fsync-loss-power-loss", "power-loss"]),
    t("fsync-failure"),
    t("slow-disk"),
    t("bit-flip"),
    t("storage-corruption"),
    t("backup-restore-race"),
    ta("clock-skew", &["time-skew"]),
    t("clock-slow"),
    ta("rolling-restart", &["rolling-restart-wrong-order"]),
    t("split-brain-attempt"),
    t("slow-follower"),
    ta("mixed-version", &["mixed-version-cluster"]),
    t("rolling-upgrade"),
    t("config-divergence"),
    ta("credential-divergence", &["credential-auth-divergence"]),
    ta("compaction-under-load", &["compaction-gc-during-reads"]),
    ta(
        "rebalance-under-writes",
        &["rebalancing-reconfiguration-during-writes"],
    ),
    t("none"),
];

/// The group each canonical nemesis belongs to, for printing.
pub const NEMESIS_GROUPS: &[(&str, &[&str])] = &[
    (
        "process",
        &[
            "process-kill",
            "process-stop",
            "process-pause",
            "container-restart",
        ],
    ),
    (
        "network",
        &[
            "partition-full",
            "partition-asymmetric",
            "partition-minority",
            "partition-majority",
            "leader-isolation",
            "packet-loss",
            "latency",
            "bandwidth-cap",
            "packet-duplication",
            "packet-reorder",
            "metadata-store-outage",
        ],
    ),
    (
        "storage",
        &[
            "disk-full",
            "fsync-loss",
            "fsync-failure",
            "slow-disk",
            "bit-flip",
            "storage-corruption",
            "backup-restore-race",
        ],
    ),
    ("time", &["clock-skew", "clock-slow"]),
    (
        "cluster",
        &[
            "rolling-restart",
            "split-brain-attempt",
            "slow-follower",
            "mixed-version",
            "rolling-upgrade",
            "config-divergence",
            "credential-divergence",
            "compaction-under-load",
            "rebalance-under-writes",
        ],
    ),
    ("smoke only", &["none"]),
];

/// Session headlines (5), in the order they are decided.
pub const HEADLINES: &[&str] = &[
    "FAIL",
    "DONE",
    "DONE_WITH_CONCERNS",
    "INCONCLUSIVE",
    "BLOCKED",
];

/// Claim standings in the report.
pub const CLAIM_STANDINGS: &[&str] = &[
    "falsified",
    "in doubt",
    "held under tested threats",
    "partially tested",
    "untested",
];

/// Blame values (who must act).
pub const BLAMES: &[&str] = &[
    "SUT",
    "harness",
    "checker",
    "environment",
    "unknown — pending re-run on alternative harness/host",
];

/// Failure types (TaxDC).
pub const FAILURE_TYPES: &[&str] = &[
    "timing",
    "ordering",
    "partition",
    "crash-recovery",
    "upgrade",
    "config",
    "fault-handling",
    "performance",
];

/// Failure tags.
pub const FAILURE_TAGS: &[&str] = &[
    "replication",
    "leadership",
    "idempotency",
    "durability",
    "liveness",
    "safety",
];

/// Severities, most severe first.
pub const SEVERITIES: &[&str] = &["P0", "P1", "P2", "P3"];

/// Green-but-broken audit items (did the test really run?).
pub const AUDITS_GREEN_BUT_BROKEN: &[&str] = &[
    "workload-rate",
    "oracle-every-cycle",
    "fault-injected",
    "fault-not-noop",
    "clock-skew-masking",
    "duration-met",
    "no-error-suppression",
    "recovery-completed",
    "baseline-fair",
    "stats-replicated",
];

/// Weak-oracle audit items (could the oracle tell PASS from FAIL?).
pub const AUDITS_WEAK_ORACLE: &[&str] = &[
    "not-final-state-only",
    "not-logs-only",
    "not-health-only",
    "multiple-failovers",
    "not-no-error-metrics-only",
    "not-short-runs-only",
    "asymmetric-partition-variant",
    "hidden-retries-recorded",
    "monotonic-timestamps",
    "multiple-topologies",
    "three-seeds",
    "multi-surface",
    "negative-controls",
    "per-group-fairness",
];

/// Audit values.
pub const AUDIT_VALUES: &[&str] = &["yes", "no", "n/a"];

/// Technique cards (§6 `Reference: references/<card>.md`).
pub const TECHNIQUE_CARDS: &[&str] = &[
    "deterministic-simulation",
    "jepsen-and-elle",
    "chaos-and-fault-injection",
    "fuzzing",
    "formal-methods-tla",
    "property-and-metamorphic",
    "performance-and-benchmarking",
    "crash-recovery-and-upgrade",
    "boundary-and-fairness",
];

/// Budget tier recorded in a finding.
/// `probe`: a run below the plan's smoke budget (shorter, fewer ops, clients or seeds); it shows
/// the harness and the oracle work on a small sample, so it caps the verdict at PARTIAL-model.
pub const FINDING_BUDGET_TIERS: &[&str] = &["probe", "smoke", "hardening", "release", "none"];
/// The strongest verdict a `probe` run supports.
pub const PROBE_CAP: &str = "PARTIAL-model";
/// Checker coverage recorded in a finding.
pub const CHECKER_COVERAGE: &[&str] = &["full", "subset", "none"];
/// Plan modes.
pub const PLAN_MODES: &[&str] = &["change-scoped", "project-wide"];
/// Plan status values.
pub const PLAN_STATUSES: &[&str] = &["draft", "reviewed", "executed"];
/// Budget tiers of a plan scenario.
pub const PLAN_BUDGET_TIERS: &[&str] = &["smoke", "hardening", "release"];
/// §5 coverage verdicts.
pub const COVERAGE_VERDICTS: &[&str] = &["covered", "partial", "not covered"];
/// §5 gap kinds.
pub const GAP_KINDS: &[&str] = &[
    "no test",
    "shallow test",
    "oracle too weak",
    "no fault-injection variant",
    "no scale variant",
];
/// Skeleton languages.
pub const SKELETON_LANGUAGES: &[&str] = &["rust", "go", "python", "typescript", "shell"];
/// How an operation history is recorded.
pub const RECORDING_MECHANISMS: &[&str] = &[
    "in-process",
    "external probe",
    "server-side audit",
    "combined",
];
/// Confidence levels in §7d.
pub const CONFIDENCE_LEVELS: &[&str] = &["high", "moderate", "low"];

/// A named list, as printed by `dstplan vocab`.
#[derive(Debug, Clone)]
pub struct List {
    /// Stable key (used as the JSON key and the Markdown anchor).
    pub name: &'static str,
    /// Human title.
    pub title: &'static str,
    /// Canonical items.
    pub items: Vec<&'static str>,
}

/// Every list of the vocabulary, in the vocabulary page's order. `dstplan vocab` prints exactly
/// this, and the skills agreement test compares against it.
pub fn all_lists() -> Vec<List> {
    let terms = |v: &[Term]| v.iter().map(|t| t.id).collect::<Vec<_>>();
    let mut models = terms(MODELS);
    models.push(OTHER_MODEL);
    vec![
        List {
            name: "claim_categories",
            title: "Claim categories",
            items: terms(CLAIM_CATEGORIES),
        },
        List {
            name: "gated_model_categories",
            title: "Categories gated for §7.M",
            items: GATED_MODEL_CATEGORIES.to_vec(),
        },
        List {
            name: "gated_surface_categories",
            title: "Categories gated for §7.M.S",
            items: GATED_SURFACE_CATEGORIES.to_vec(),
        },
        List {
            name: "legacy_boundary_categories",
            title: "Legacy labels that map to boundary",
            items: LEGACY_BOUNDARY_CATEGORIES.to_vec(),
        },
        List {
            name: "hypothesis_categories",
            title: "Hypothesis categories",
            items: terms(HYPOTHESIS_CATEGORIES),
        },
        List {
            name: "models",
            title: "Models",
            items: models,
        },
        List {
            name: "checkers",
            title: "Checkers",
            items: terms(CHECKERS),
        },
        List {
            name: "builtin_checkers",
            title: "Checkers dstplan history check runs",
            items: BUILTIN_CHECKERS.iter().map(|(c, _)| *c).collect(),
        },
        List {
            name: "nemeses",
            title: "Nemeses",
            items: terms(NEMESES),
        },
        List {
            name: "verdicts",
            title: "Verdicts",
            items: super::Verdict::ALL.iter().map(|v| v.as_str()).collect(),
        },
        List {
            name: "headlines",
            title: "Session headlines",
            items: HEADLINES.to_vec(),
        },
        List {
            name: "claim_standings",
            title: "Claim standings",
            items: CLAIM_STANDINGS.to_vec(),
        },
        List {
            name: "blames",
            title: "Blame",
            items: BLAMES.to_vec(),
        },
        List {
            name: "failure_types",
            title: "Failure types (TaxDC)",
            items: FAILURE_TYPES.to_vec(),
        },
        List {
            name: "failure_tags",
            title: "Failure tags",
            items: FAILURE_TAGS.to_vec(),
        },
        List {
            name: "severities",
            title: "Severities",
            items: SEVERITIES.to_vec(),
        },
        List {
            name: "audits_green_but_broken",
            title: "Green-but-broken audits",
            items: AUDITS_GREEN_BUT_BROKEN.to_vec(),
        },
        List {
            name: "audits_weak_oracle",
            title: "Weak-oracle audits",
            items: AUDITS_WEAK_ORACLE.to_vec(),
        },
        List {
            name: "technique_cards",
            title: "Technique cards",
            items: TECHNIQUE_CARDS.to_vec(),
        },
        List {
            name: "finding_budget_tiers",
            title: "Budget tiers in a finding",
            items: FINDING_BUDGET_TIERS.to_vec(),
        },
        List {
            name: "checker_coverage",
            title: "Checker coverage",
            items: CHECKER_COVERAGE.to_vec(),
        },
        List {
            name: "plan_modes",
            title: "Plan modes",
            items: PLAN_MODES.to_vec(),
        },
        List {
            name: "plan_statuses",
            title: "Plan statuses",
            items: PLAN_STATUSES.to_vec(),
        },
        List {
            name: "plan_budget_tiers",
            title: "Plan budget tiers",
            items: PLAN_BUDGET_TIERS.to_vec(),
        },
        List {
            name: "coverage_verdicts",
            title: "Coverage verdicts",
            items: COVERAGE_VERDICTS.to_vec(),
        },
        List {
            name: "gap_kinds",
            title: "Gap kinds",
            items: GAP_KINDS.to_vec(),
        },
        List {
            name: "skeleton_languages",
            title: "Skeleton languages",
            items: SKELETON_LANGUAGES.to_vec(),
        },
        List {
            name: "recording_mechanisms",
            title: "Recording mechanisms",
            items: RECORDING_MECHANISMS.to_vec(),
        },
        List {
            name: "confidence_levels",
            title: "Confidence levels",
            items: CONFIDENCE_LEVELS.to_vec(),
        },
        List {
            name: "audit_values",
            title: "Audit values",
            items: AUDIT_VALUES.to_vec(),
        },
    ]
}
