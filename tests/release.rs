//! The release route: the release profile, the `cargo binstall` metadata, and the release
//! workflow that attaches Linux and macOS binaries to a tag (it cannot run here, so its YAML
//! is checked for the fields the route depends on).

mod common;
use common::root;

use serde_json::Value;

fn cargo_toml() -> toml::Value {
    let text = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    toml::from_str(&text).unwrap()
}

fn workflow() -> Value {
    let p = root().join(".github/workflows/release.yml");
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("release.yml is not valid YAML: {e}"))
}

fn steps(job: &Value) -> Vec<&Value> {
    job["steps"]
        .as_array()
        .expect("a job has steps")
        .iter()
        .collect()
}

fn runs(job: &Value) -> String {
    steps(job)
        .iter()
        .filter_map(|s| s["run"].as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn release_profile_has_no_debug_info_and_profiling_keeps_it() {
    let t = cargo_toml();
    let release = &t["profile"]["release"];
    assert_eq!(release["debug"].as_bool(), Some(false), "{release:?}");
    let prof = &t["profile"]["profiling"];
    assert_eq!(prof["inherits"].as_str(), Some("release"));
    assert!(
        prof["debug"].as_integer().is_some_and(|d| d > 0) || prof["debug"].as_bool() == Some(true),
        "the profiling profile keeps debug info: {prof:?}"
    );
}

#[test]
fn binstall_metadata_names_the_archive_the_workflow_builds() {
    let t = cargo_toml();
    let b = &t["package"]["metadata"]["binstall"];
    let url = b["pkg-url"].as_str().expect("pkg-url");
    assert!(
        url.starts_with("{ repo }/releases/download/v{ version }/"),
        "{url}"
    );
    assert!(url.contains("{ name }-v{ version }-{ target }"), "{url}");
    assert_eq!(b["pkg-fmt"].as_str(), Some("tgz"));
    assert!(
        t["package"]["repository"].as_str().is_some(),
        "binstall needs `repository`"
    );
    // the workflow packs exactly that name, as a .tar.gz holding a directory of that name
    let w = workflow();
    let run = runs(&w["jobs"]["build"]);
    assert!(
        run.contains(r#"name="dstplan-v${VERSION}-${{ matrix.target }}""#),
        "{run}"
    );
    assert!(run.contains(r#"tar czf "$name.tar.gz" "$name""#), "{run}");
    let bin_dir = b["bin-dir"].as_str().unwrap();
    assert_eq!(
        bin_dir,
        "{ name }-v{ version }-{ target }/{ bin }{ binary-ext }"
    );
}

#[test]
fn release_workflow_builds_linux_and_macos_on_a_tag_and_attaches_them() {
    let w = workflow();
    let tags = w["on"]["push"]["tags"].as_array().expect("on.push.tags");
    assert!(tags.iter().any(|t| t == "v*"), "{tags:?}");
    assert_eq!(w["permissions"]["contents"], "write");
    let build = &w["jobs"]["build"];
    let include = build["strategy"]["matrix"]["include"]
        .as_array()
        .expect("a target matrix");
    let targets: Vec<&str> = include
        .iter()
        .filter_map(|e| e["target"].as_str())
        .collect();
    for want in [
        "x86_64-unknown-linux-gnu",
        "x86_64-apple-darwin",
        "aarch64-apple-darwin",
    ] {
        assert!(targets.contains(&want), "missing {want}: {targets:?}");
    }
    for e in include {
        let os = e["os"].as_str().unwrap_or("");
        let t = e["target"].as_str().unwrap();
        if t.contains("apple") {
            assert!(os.starts_with("macos"), "{t} builds on {os}");
        } else {
            assert!(os.starts_with("ubuntu"), "{t} builds on {os}");
        }
    }
    assert_eq!(build["runs-on"], "${{ matrix.os }}");
    let run = runs(build);
    assert!(
        run.contains("cargo build --release --locked --target ${{ matrix.target }}"),
        "{run}"
    );
    assert!(
        run.contains("$GITHUB_REF_NAME"),
        "the tag is checked against Cargo.toml"
    );
    let release = &w["jobs"]["release"];
    assert_eq!(release["needs"], "build");
    let run = runs(release);
    assert!(
        run.contains("gh release create \"$GITHUB_REF_NAME\" dist/*"),
        "{run}"
    );
    assert!(steps(release).iter().any(|s| s["uses"]
        .as_str()
        .is_some_and(|u| u.starts_with("actions/download-artifact"))));
}

#[test]
fn docs_pin_nothing_that_does_not_exist() {
    // No tag has been cut yet: the docs pin the main branch until one is.
    for f in [
        "USAGE.md",
        "INSTALL.md",
        "README.md",
        "examples/ci/dstplan.yml",
    ] {
        let text = std::fs::read_to_string(root().join(f)).unwrap();
        assert!(
            !text.contains("v0.1.0"),
            "{f} pins the tag v0.1.0, which does not exist"
        );
    }
}

#[test]
fn the_ci_example_installs_from_a_ref_that_exists() {
    let p = root().join("examples/ci/dstplan.yml");
    let w: Value = serde_saphyr::from_str(&std::fs::read_to_string(&p).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    // main until the first tag; the install step picks --tag for v* refs and --branch otherwise
    assert_eq!(w["env"]["DSTPLAN_REF"], "main");
    for job in ["plans", "sessions"] {
        let run = runs(&w["jobs"][job]);
        assert!(run.contains("v*) kind=--tag"), "{job}: {run}");
        assert!(run.contains("*) kind=--branch"), "{job}: {run}");
        assert!(run.contains(
            "cargo install --git \"$DSTPLAN_REPO\" \"$kind\" \"$DSTPLAN_REF\" --locked dstplan"
        ));
        // the cache is keyed by the resolved commit, so a moving branch rebuilds
        let cache = steps(&w["jobs"][job])
            .into_iter()
            .find(|s| {
                s["uses"]
                    .as_str()
                    .is_some_and(|u| u.starts_with("actions/cache"))
            })
            .expect("a cache step");
        assert_eq!(
            cache["with"]["key"],
            "dstplan-${{ runner.os }}-${{ steps.ref.outputs.sha }}"
        );
    }
}
