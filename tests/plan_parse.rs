//! The parser reads the shared reference example and our fixtures into the expected model.

mod common;
use common::*;

fn example() -> Option<String> {
    let p = root().join("../shared/examples/redis-sentinel-projectwide.md");
    std::fs::read_to_string(p).ok()
}

#[test]
fn reference_example_parses_into_the_full_model() {
    let Some(src) = example() else {
        eprintln!("skipped: ../shared/examples is not present");
        return;
    };
    let p = dstplan::plan::parse(&src);
    assert_eq!(p.slug.as_deref(), Some("redis-sentinel-projectwide"));
    assert_eq!(p.header.len(), 6, "{:#?}", p.header);
    let nums: Vec<_> = p.sections.iter().map(|s| s.number.as_str()).collect();
    assert_eq!(
        nums,
        ["0", "1", "1b", "1c", "2", "3", "4", "5", "6", "6b", "7", "7b", "7c", "7d", "8", "9"]
    );
    assert_eq!(p.claims.len(), 6);
    assert_eq!(p.missing_claims.len(), 2);
    assert_eq!(p.hypotheses.len(), 10);
    assert!(
        p.hypotheses
            .iter()
            .all(|h| h.field("could falsify").is_some()),
        "{:#?}",
        p.hypotheses
    );
    assert_eq!(p.techniques.len(), 4);
    assert_eq!(p.scenarios.len(), 5);
    let s1 = &p.scenarios[0];
    assert_eq!(s1.id.key(), "S1");
    assert_eq!(s1.name.text, "wait_confirmed_appends_survive_failover");
    let labels: Vec<_> = s1.fields.iter().map(|f| &*f.label).collect();
    assert_eq!(
        labels,
        [
            "falsifies if it fails",
            "closes",
            "technique",
            "workload",
            "faults",
            "oracle",
            "observability required",
            "smoke budget",
            "hardening budget",
            "release budget",
            "target test file",
            "skeleton language",
            "skeleton"
        ]
    );
    assert_eq!(s1.field("skeleton").unwrap().code().len(), 1);
    assert_eq!(s1.model.as_ref().unwrap().fields.len(), 6);
    assert!(s1.surface_na.is_some() && s1.surface.is_none());
    let s3 = &p.scenarios[2];
    assert!(s3.model_na.is_some() && s3.surface_na.is_some() && s3.model.is_none());
    let s5 = &p.scenarios[4];
    let arms: Vec<_> = s5.declared_arms().iter().map(|a| a.key()).collect();
    assert_eq!(arms, ["S5/commands", "S5/scripts", "S5/promoted"]);
    assert_eq!(s5.arms.len(), 1);
    assert_eq!(s5.arms[0].model.as_ref().unwrap().fields.len(), 6);
    assert_eq!(
        s5.arms[0].field("oracle").map(|f| &*f.label),
        Some("oracle")
    );
    assert!(p.placeholders.is_empty(), "{:#?}", p.placeholders);
    assert_eq!(p.adequacy_table.as_ref().unwrap().rows.len(), 6);
    assert_eq!(p.confidence_table.as_ref().unwrap().rows.len(), 5);
}

/// A colon on a continuation line of a scenario bullet is part of the value, not a new field
/// (it used to cut the value short).
#[test]
fn continuation_lines_with_colons_stay_in_the_value() {
    let src = "# Test Plan: x\n\n## 7. Scenarios\n\n### Scenario S1: a\n\n- **Oracle:** the reads agree; after the switch:\n  the new leader serves them within 5 s\n- **Faults:** none\n";
    let p = dstplan::plan::parse(src);
    let s = &p.scenarios[0];
    assert_eq!(
        s.field("oracle").unwrap().value,
        "the reads agree; after the switch: the new leader serves them within 5 s"
    );
    assert_eq!(s.fields.len(), 2);
}
