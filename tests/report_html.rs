//! `report --html`: one self-contained report.html (no scripts, no external resources) with the
//! content of report.md, every value escaped, and a timeline per cited history with the
//! violation's operations labelled and the fault windows shaded.

mod common;
use common::*;

#[test]
fn html_is_one_offline_page_with_the_report_and_a_labelled_timeline() {
    let (_t, dir) = fixture_session("fail");
    // A value with markup in it must come out escaped.
    let p = dir.join("findings/S1.md");
    let t = std::fs::read_to_string(&p).unwrap();
    std::fs::write(
        &p,
        t.replace(
            "title: \"acknowledged append lost after leader kill\"",
            "title: \"acknowledged append <script>alert(1)</script> lost\"",
        ),
    )
    .unwrap();
    let o = run(&["report", dir.to_str().unwrap(), "--html"]);
    assert_exit(&o, 0);
    assert!(stdout(&o).contains("and report.html"), "{}", stdout(&o));
    let page = std::fs::read_to_string(dir.join("findings/report.html")).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"));
    // Self-contained: no script, no stylesheet link, no external fetch of any kind.
    for bad in ["<script", "<link", " src=", "url(", "@import", "https://"] {
        assert!(!page.contains(bad), "report.html contains {bad:?}");
    }
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;")
            || page.contains("&lt;script&gt;alert(1)&lt;/script&gt;")
    );
    // The same content as report.md: every section, every scenario.
    for h in [
        "Summary",
        "Scenario results",
        "Findings",
        "Claims",
        "Coverage",
        "Surface coverage",
        "Release-budget disclosures",
        "Adequacy vs the plan",
        "Confidence delta",
        "Audits",
    ] {
        assert!(page.contains(&format!(">{h}</h2>")), "no section {h}");
    }
    for id in ["s1", "s2", "s3", "s3-api", "s3-cli"] {
        assert!(
            page.contains(&format!("<h3 id=\"{id}\">")),
            "no section for {id}"
        );
    }
    // One timeline (S1 cites the only history), with the witness ops labelled by what they
    // did, and the fault epoch of the history shaded and named.
    assert_eq!(page.matches("<svg").count(), 1);
    assert!(page.contains("W1 op 2: append k 2 → 1"), "{page}");
    assert!(page.contains("W2 op 3: read k → [1]"), "{page}");
    assert!(page.contains("epoch e1"), "{page}");
    assert_eq!(
        page.matches("fill=\"#d62828\"").count(),
        2,
        "two witness bars"
    );
    // report.md is unchanged by --html.
    let md = std::fs::read_to_string(dir.join("findings/report.md")).unwrap();
    assert!(!md.contains("<svg"));
}

#[test]
fn html_takes_fault_windows_from_the_fault_log_and_conflicts_with_check() {
    let (_t, dir) = fixture_session("landing");
    assert_exit(&run(&["report", dir.to_str().unwrap(), "--html"]), 0);
    let page = std::fs::read_to_string(dir.join("findings/report.html")).unwrap();
    assert!(
        page.contains(">F1 process-kill</text>"),
        "the cited fault F1 is shaded"
    );
    assert!(!page.contains(">F2 "), "only the cited fault is drawn");
    let o = run(&["report", dir.to_str().unwrap(), "--html", "--check"]);
    assert_exit(&o, 2);
}
