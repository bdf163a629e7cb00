//! Plan IDs (`C1`, `H2`, `S3`, `S5/api`, `M1`, `F1`) and reference lists with ranges.

use super::Span;

/// One ID as written in the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdRef {
    /// `C`, `M`, `H`, `S` or `F`.
    pub kind: char,
    pub num: u32,
    /// The arm of a scenario arm ID (`api` in `S5/api`).
    pub arm: Option<String>,
    /// Written with a leading zero (`C01`).
    pub leading_zero: bool,
    /// Where it was written (for a range, the whole range).
    pub span: Span,
}

impl IdRef {
    /// The canonical key: `C1`, `S5/api`.
    pub fn key(&self) -> String {
        self.id_key().to_string()
    }

    /// `self.key().len()`, without building the key.
    pub fn key_len(&self) -> usize {
        let digits = self.num.checked_ilog10().map_or(1, |d| d as usize + 1);
        self.kind.len_utf8() + digits + self.arm.as_ref().map_or(0, |a| 1 + a.len())
    }

    /// The key of the scenario an arm belongs to (`S5` for `S5/api`).
    pub fn base_key(&self) -> String {
        format!("{}{}", self.kind, self.num)
    }

    /// The canonical key as a borrowed value: equal exactly when [`IdRef::key`] is equal, but
    /// without building a string (rules compare thousands of them).
    pub fn id_key(&self) -> IdKey<'_> {
        IdKey {
            kind: self.kind,
            num: self.num,
            arm: self.arm.as_deref(),
        }
    }
}

/// A borrowed, hashable form of an ID's canonical key; displays as [`IdRef::key`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IdKey<'a> {
    pub kind: char,
    pub num: u32,
    pub arm: Option<&'a str>,
}

impl std::fmt::Display for IdKey<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.arm {
            Some(a) => write!(f, "{}{}/{}", self.kind, self.num, a),
            None => write!(f, "{}{}", self.kind, self.num),
        }
    }
}

impl std::fmt::Display for IdRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.id_key().fmt(f)
    }
}

/// Parse a single ID that must make up the whole of `text` (after trimming and removing `*`):
/// used for ID cells and headings.
pub fn parse_id(text: &str, kinds: &str, span: Span) -> Option<IdRef> {
    let t = text.trim().trim_matches('*').trim();
    let mut refs = parse_refs(t, kinds, span.start);
    if refs.len() != 1 {
        return None;
    }
    let mut one = refs.pop()?;
    let key_len = one.key_len();
    if key_len + usize::from(one.leading_zero) <= t.len() && t.len() <= key_len + 3 {
        one.span = span;
        Some(one)
    } else {
        None
    }
}

/// Extract every reference of the given kinds (e.g. `"C"`, `"HS"`) from free text, expanding
/// ranges (`C1–C3`, `C1-C3`, `C1–3`). `base` is the source offset of `text[0]`, used for spans
/// when the text is a verbatim slice of the source; callers whose text is rendered pass the
/// offset of the element instead.
pub fn parse_refs(text: &str, kinds: &str, base: usize) -> Vec<IdRef> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i] as char;
        let boundary = i == 0 || !is_word(b[i - 1]);
        if boundary && kinds.contains(c) && i + 1 < b.len() && b[i + 1].is_ascii_digit() {
            let (num, mut j, lz) = digits(b, i + 1);
            // `S5/api`
            let mut arm = None;
            if c == 'S' && j + 1 < b.len() && b[j] == b'/' && is_arm_start(b[j + 1]) {
                let s = j + 1;
                let mut e = s;
                while e < b.len()
                    && (b[e].is_ascii_lowercase() || b[e].is_ascii_digit() || b[e] == b'-')
                {
                    e += 1;
                }
                while e > s && b[e - 1] == b'-' {
                    e -= 1;
                }
                arm = Some(text[s..e].to_string());
                j = e;
            }
            if j < b.len() && is_word(b[j]) {
                // `H2O`, `C4s`: not an ID
                i = j;
                continue;
            }
            let start = i;
            // range: C1–C3, C1-C3, C1 – 3
            let mut end_num = None;
            if arm.is_none() {
                let mut k = j;
                while k < b.len() && b[k] == b' ' {
                    k += 1;
                }
                let dash_len = if text[k..].starts_with('–') || text[k..].starts_with('—') {
                    3
                } else if k < b.len() && b[k] == b'-' {
                    1
                } else {
                    0
                };
                if dash_len > 0 {
                    let mut m = k + dash_len;
                    while m < b.len() && b[m] == b' ' {
                        m += 1;
                    }
                    if m < b.len() && b[m] as char == c {
                        m += 1;
                    }
                    if m < b.len() && b[m].is_ascii_digit() {
                        let (n2, e2, _) = digits(b, m);
                        if (e2 >= b.len() || !is_word(b[e2])) && n2 > num && n2 - num <= 10_000 {
                            end_num = Some(n2);
                            j = e2;
                        }
                    }
                }
            }
            let span = Span::new(base + start, base + j);
            match end_num {
                Some(n2) => {
                    for n in num..=n2 {
                        out.push(IdRef {
                            kind: c,
                            num: n,
                            arm: None,
                            leading_zero: lz,
                            span,
                        });
                    }
                }
                None => out.push(IdRef {
                    kind: c,
                    num,
                    arm,
                    leading_zero: lz,
                    span,
                }),
            }
            i = j;
            continue;
        }
        i += 1;
    }
    out
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn is_arm_start(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit()
}

fn digits(b: &[u8], start: usize) -> (u32, usize, bool) {
    let mut j = start;
    let mut n: u32 = 0;
    while j < b.len() && b[j].is_ascii_digit() {
        n = n.saturating_mul(10).saturating_add(u32::from(b[j] - b'0'));
        j += 1;
    }
    (n, j, b[start] == b'0' && j - start > 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(t: &str, k: &str) -> Vec<String> {
        parse_refs(t, k, 0).iter().map(IdRef::key).collect()
    }

    #[test]
    fn refs_lists_ranges_and_arms() {
        assert_eq!(keys("C1, C3 (claim IDs from §1b)", "C"), ["C1", "C3"]);
        assert_eq!(keys("**C1** C2", "C"), ["C1", "C2"]);
        assert_eq!(keys("S1–S3", "S"), ["S1", "S2", "S3"]);
        assert_eq!(keys("C1-C3", "C"), ["C1", "C2", "C3"]);
        assert_eq!(
            keys("S5 (arms S5/commands, S5/scripts)", "S"),
            ["S5", "S5/commands", "S5/scripts"]
        );
        assert_eq!(keys("H2O and C4s and SC1", "CHS"), Vec::<String>::new());
        assert!(parse_refs("C01", "C", 0)[0].leading_zero);
        assert_eq!(keys("S1, S2, S3, S5", "S"), ["S1", "S2", "S3", "S5"]);
    }

    #[test]
    fn whole_id() {
        let sp = Span::new(0, 2);
        assert_eq!(parse_id("**C1**", "C", sp).unwrap().key(), "C1");
        assert!(parse_id("C1 and C2", "C", sp).is_none());
        assert!(parse_id("X1", "C", sp).is_none());
    }
}

#[cfg(test)]
mod key_len_tests {
    use super::*;

    #[test]
    fn key_len_is_the_length_of_the_key() {
        for (kind, num, arm) in [
            ('C', 0, None),
            ('C', 9, None),
            ('S', 10, Some("api")),
            ('H', 4_000_000_000, None),
        ] {
            let r = IdRef {
                kind,
                num,
                arm: arm.map(String::from),
                leading_zero: false,
                span: Span::new(0, 0),
            };
            assert_eq!(r.key_len(), r.key().len(), "{}", r.key());
        }
    }
}
