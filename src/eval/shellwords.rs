//! A small shell-words splitter for eval commands. Commands are run without a shell, so this
//! only has to turn one line into an argument vector: whitespace separates words, single quotes
//! keep everything literally, double quotes keep everything but `\"` and `\\`, and a backslash
//! outside quotes escapes the next character. Shell operators (pipes, redirections, `;`, `&&`)
//! are refused rather than passed on as words, because nothing would interpret them.

/// Split `line` into words, or say why it cannot be split.
pub fn split(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(ch) => cur.push(ch),
                        None => return Err("unterminated single quote".into()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(ch @ ('"' | '\\')) => cur.push(ch),
                            Some(ch) => {
                                cur.push('\\');
                                cur.push(ch);
                            }
                            None => return Err("unterminated double quote".into()),
                        },
                        Some(ch) => cur.push(ch),
                        None => return Err("unterminated double quote".into()),
                    }
                }
            }
            '\\' => match chars.next() {
                Some(ch) => {
                    in_word = true;
                    cur.push(ch);
                }
                None => return Err("a trailing backslash escapes nothing".into()),
            },
            '|' | '>' | '<' | ';' | '&' | '`' | '$' => {
                return Err(format!(
                    "`{c}` is shell syntax; eval commands run without a shell, so pipes, \
                     redirections, `;`, `&&` and substitutions are not available (quote the \
                     character if it is meant literally)"
                ));
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn splits_plain_and_quoted_words() {
        assert_eq!(
            split("dstplan lint  'a b'/x \"c \\\"d\\\"\" e\\ f").unwrap(),
            vec!["dstplan", "lint", "a b/x", "c \"d\"", "e f"]
        );
        assert_eq!(split("  ").unwrap(), Vec::<String>::new());
        assert_eq!(split("a ''").unwrap(), vec!["a", ""]);
    }

    #[test]
    fn refuses_shell_operators_and_bad_quotes() {
        assert!(split("dstplan lint x | head").is_err());
        assert!(split("dstplan lint x > y").is_err());
        assert!(split("dstplan lint x && rm y").is_err());
        assert!(split("dstplan lint 'x").is_err());
        assert!(split("dstplan lint \"x").is_err());
        assert!(split("dstplan lint x\\").is_err());
        assert_eq!(split("dstplan lint 'a|b'").unwrap()[2], "a|b");
    }
}
