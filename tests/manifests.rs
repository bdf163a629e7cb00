//! The plugin manifests and every SKILL.md carry the crate's version, so the skills, the
//! plugin listings and the binary are released together; each SKILL.md's `compatibility`
//! says it needs the dstplan CLI.

mod common;
use common::root;

fn cargo_version() -> String {
    let text = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let v: toml::Value = toml::from_str(&text).unwrap();
    let version = v["package"]["version"].as_str().unwrap().to_string();
    assert_eq!(version, env!("CARGO_PKG_VERSION"));
    version
}

fn json(path: &str) -> serde_json::Value {
    let p = root().join(path);
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path} is not valid JSON: {e}"))
}

#[test]
fn claude_plugin_manifest_carries_the_crate_version() {
    let v = json(".claude-plugin/plugin.json");
    assert_eq!(v["name"], "dstplan");
    assert_eq!(v["version"].as_str(), Some(cargo_version().as_str()));
    // the skills it points at exist
    let skills = v["skills"].as_str().unwrap_or("./skills/");
    assert!(
        root().join(skills).is_dir(),
        "plugin.json skills path {skills} missing"
    );
}

#[test]
fn claude_marketplace_lists_the_plugin_at_the_crate_version() {
    let v = json(".claude-plugin/marketplace.json");
    let version = cargo_version();
    assert!(
        v["owner"]["name"].is_string(),
        "marketplace needs owner.name"
    );
    assert_eq!(v["metadata"]["version"].as_str(), Some(version.as_str()));
    let plugins = v["plugins"].as_array().expect("plugins array");
    let ours = plugins
        .iter()
        .find(|p| p["name"] == "dstplan")
        .expect("a dstplan plugin entry");
    assert_eq!(ours["version"].as_str(), Some(version.as_str()));
    let source = ours["source"].as_str().expect("a relative source");
    assert!(
        root()
            .join(source)
            .join(".claude-plugin/plugin.json")
            .is_file(),
        "source {source} does not hold the plugin"
    );
}

#[test]
fn gemini_extension_carries_the_crate_version() {
    let v = json("gemini-extension.json");
    assert_eq!(v["name"], "dstplan");
    assert_eq!(v["version"].as_str(), Some(cargo_version().as_str()));
}

#[test]
fn every_skill_metadata_version_is_the_crate_version() {
    let version = cargo_version();
    let mut seen = 0;
    for entry in std::fs::read_dir(root().join("skills")).unwrap() {
        let skill_md = entry.unwrap().path().join("SKILL.md");
        if !skill_md.is_file() {
            continue;
        }
        seen += 1;
        let text = std::fs::read_to_string(&skill_md).unwrap();
        let yaml = text
            .strip_prefix("---\n")
            .and_then(|r| r.split("\n---\n").next())
            .unwrap_or_else(|| panic!("{}: no front matter", skill_md.display()));
        let fm: serde_json::Value =
            serde_saphyr::from_str(yaml).unwrap_or_else(|e| panic!("{}: {e}", skill_md.display()));
        assert_eq!(
            fm["metadata"]["version"].as_str(),
            Some(version.as_str()),
            "{}",
            skill_md.display()
        );
        // the Agent Skills `compatibility` field says what the skill needs to run
        let compat = fm["compatibility"]
            .as_str()
            .unwrap_or_else(|| panic!("{}: no `compatibility`", skill_md.display()));
        assert!(
            compat.contains("dstplan CLI") && compat.contains("dstplan --version"),
            "{}: {compat}",
            skill_md.display()
        );
    }
    assert_eq!(seen, 3, "expected the three dstplan skills");
}
