//! Parsing and linting never panic: random token soup, random bytes, and random edits of the
//! clean fixtures, under a fixed-seed generator so failures reproduce.

mod common;
use common::*;

use dstplan::lint::{lint, Config};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const TOKENS: &[&str] = &[
    "# Test Plan: x\n",
    "## 7. Scenarios\n",
    "## 1b. Claims\n",
    "## 4. H\n",
    "### Scenario S1: a\n",
    "### Scenario S",
    "#### §7.M — Model\n",
    "#### §7.M.S — Surface\n",
    "##### Arm S1/a\n",
    "###### §7.M\n",
    "- **Checker:** ",
    "- **Nemesis + landing evidence:** ",
    "- **Falsifies if it FAILs:** ",
    "- **Scenario arms:** S1/",
    "C1–C",
    "H1. ",
    "| ID | Claim | Category |\n|---|---|---|\n",
    "| C1 | x | durability |\n",
    "|",
    "`",
    "```rust\n",
    "```\n",
    "{{",
    "}}",
    "{{TODO",
    "<SUT>",
    "<!-- dstplan-disable DST0",
    "-->",
    "§7.M: not applicable (no gated claim category falsified)\n",
    "\n",
    "\n\n",
    "  ",
    "**",
    "—",
    "–",
    "é",
    "🦀",
    "\t",
    "> ",
    "1. ",
    "- ",
    "S9/x-",
    ":",
    ";",
    "\r\n",
    "§",
    "H1",
    "C01",
];

fn check(src: &str) {
    let d = lint(src, Some("x"), &Config::default());
    for x in &d {
        assert!(
            x.line >= 1 && x.column >= 1 && x.end_line >= x.line,
            "{x:?}"
        );
        assert!(x.end <= src.len().max(x.start), "{x:?}");
    }
}

#[test]
fn token_soup_never_panics() {
    let mut r = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..1500 {
        let n = r.below(200);
        let s: String = (0..n).map(|_| TOKENS[r.below(TOKENS.len())]).collect();
        check(&s);
    }
}

#[test]
fn random_bytes_never_panic() {
    let mut r = Rng(42);
    for _ in 0..500 {
        let n = r.below(2000);
        let bytes: Vec<u8> = (0..n).map(|_| (r.next() & 0xff) as u8).collect();
        check(&String::from_utf8_lossy(&bytes));
    }
}

#[test]
fn random_edits_of_real_plans_never_panic() {
    let root = fixture("plans/clean");
    let mut r = Rng(7);
    for name in ["minimal.md", "change-scoped.md", "project-wide.md"] {
        let base: Vec<char> = std::fs::read_to_string(root.join(name))
            .unwrap()
            .chars()
            .collect();
        for _ in 0..120 {
            let mut v = base.clone();
            for _ in 0..1 + r.below(20) {
                let at = r.below(v.len());
                match r.below(3) {
                    0 => {
                        let len = r.below(200).min(v.len() - at);
                        v.drain(at..at + len);
                    }
                    1 => {
                        let t: Vec<char> = TOKENS[r.below(TOKENS.len())].chars().collect();
                        v.splice(at..at, t);
                    }
                    _ => {
                        let from = r.below(v.len());
                        let len = r.below(300).min(v.len() - from);
                        let chunk: Vec<char> = v[from..from + len].to_vec();
                        v.splice(at..at, chunk);
                    }
                }
                if v.is_empty() {
                    v.push('x');
                }
            }
            check(&v.into_iter().collect::<String>());
        }
    }
}
