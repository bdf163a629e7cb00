//! `dstplan.toml`: per-rule severity and extra known checker and nemesis names.
//!
//! ```toml
//! [rules]
//! DST049 = "off"        # or "warning" / "error"; a rule name works too
//!
//! [vocab]
//! checkers = ["my-replay-diff"]
//! nemeses = ["cosmic-ray"]
//! ```
//! The file is found by walking up from the plan's directory. Unknown keys are an error: a
//! misspelt key that silently does nothing is worse than a refusal.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::Rule;
use crate::diag::Severity;

/// The name of the configuration file.
pub const FILE_NAME: &str = "dstplan.toml";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    rules: BTreeMap<String, String>,
    #[serde(default)]
    vocab: RawVocab,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVocab {
    #[serde(default)]
    checkers: Vec<String>,
    #[serde(default)]
    nemeses: Vec<String>,
}

/// The effective configuration.
#[derive(Debug, Default, Clone)]
pub struct Config {
    /// Severity per rule code: `None` means the rule is off.
    pub overrides: BTreeMap<&'static str, Option<Severity>>,
    /// Extra checker names (normalised) that are known.
    pub extra_checkers: Vec<String>,
    /// Extra nemesis names (normalised) that are known.
    pub extra_nemeses: Vec<String>,
    /// Where the configuration came from.
    pub path: Option<PathBuf>,
}

impl Config {
    /// The severity a rule reports at, or `None` when it is off.
    pub fn severity(&self, rule: &Rule) -> Option<Severity> {
        match self.overrides.get(rule.code) {
            Some(s) => *s,
            None => Some(rule.severity),
        }
    }

    /// Parse a configuration file's text. Errors name the key and the fix.
    pub fn parse(text: &str, path: &Path) -> Result<Config, String> {
        let raw: RawConfig = toml::from_str(text)
            .map_err(|e| format!("{}: {}", path.display(), e.to_string().trim()))?;
        let mut cfg = Config {
            path: Some(path.to_path_buf()),
            ..Config::default()
        };
        for (key, value) in raw.rules {
            let rule = super::find_rule(&key).ok_or_else(|| {
                format!(
                    "{}: [rules] names `{key}`, which is not a rule; `dstplan rules` lists them",
                    path.display()
                )
            })?;
            let sev = match value.to_ascii_lowercase().as_str() {
                "off" | "allow" | "ignore" => None,
                "warning" | "warn" => Some(Severity::Warning),
                "error" | "deny" => Some(Severity::Error),
                other => {
                    return Err(format!(
                        "{}: [rules] {key} = \"{other}\" is not a severity; use \"off\", \"warning\" or \"error\"",
                        path.display()
                    ))
                }
            };
            cfg.overrides.insert(rule.code, sev);
        }
        cfg.extra_checkers = raw
            .vocab
            .checkers
            .iter()
            .map(|c| crate::vocab::normalise(c))
            .collect();
        cfg.extra_nemeses = raw
            .vocab
            .nemeses
            .iter()
            .map(|c| crate::vocab::normalise(c))
            .collect();
        Ok(cfg)
    }

    /// Find `dstplan.toml` upward from `dir` and load it; the default config when none exists.
    pub fn discover(dir: &Path) -> Result<Config, String> {
        let mut cur = Some(dir);
        while let Some(d) = cur {
            let p = d.join(FILE_NAME);
            if p.is_file() {
                let text = std::fs::read_to_string(&p)
                    .map_err(|e| format!("{}: cannot read: {e}", p.display()))?;
                return Config::parse(&text, &p);
            }
            cur = d.parent();
        }
        Ok(Config::default())
    }

    /// Whether a normalised name starts with an extra known checker.
    pub fn knows_checker(&self, normalised: &str) -> bool {
        self.extra_checkers
            .iter()
            .any(|c| starts_word(normalised, c))
    }

    /// Whether a normalised name starts with an extra known nemesis.
    pub fn knows_nemesis(&self, normalised: &str) -> bool {
        self.extra_nemeses
            .iter()
            .any(|c| starts_word(normalised, c))
    }
}

fn starts_word(s: &str, w: &str) -> bool {
    !w.is_empty()
        && s.starts_with(w)
        && s[w.len()..]
            .chars()
            .next()
            .is_none_or(|c| !c.is_alphanumeric())
}
