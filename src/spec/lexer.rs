//! Tokens of one script or events line.

/// A token and the 1-based column it starts at.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub kind: Tok,
    pub col: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    Ident(String),
    Number(f64),
    Str(String),
    /// One of `. , ( ) { } [ ] : = < > @ -`, or `=>`.
    Punct(&'static str),
}

impl Tok {
    pub fn describe(&self) -> String {
        match self {
            Tok::Ident(s) => format!("`{s}`"),
            Tok::Number(n) => format!("`{n}`"),
            Tok::Str(s) => format!("{s:?}"),
            Tok::Punct(p) => format!("`{p}`"),
        }
    }
}

/// Splits a line into tokens; `#` outside a string starts a comment.
/// On error returns the 1-based column and the problem.
pub fn tokenize(line: &str) -> Result<Vec<Token>, (usize, String)> {
    let chars: Vec<char> = line.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let col = i + 1;
        if c.is_whitespace() {
            i += 1;
        } else if c == '#' {
            break;
        } else if c.is_ascii_alphabetic() || c == '_' || c == '$' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == '$')
            {
                i += 1;
            }
            out.push(Token {
                kind: Tok::Ident(chars[start..i].iter().collect()),
                col,
            });
        } else if c.is_ascii_digit() {
            let start = i;
            while i < chars.len()
                && (chars[i].is_ascii_alphanumeric() || chars[i] == '.' || chars[i] == '_')
                && (chars[i] != '.' || chars.get(i + 1).is_some_and(char::is_ascii_digit))
            {
                // Stop before a unit suffix (`50ms`): letters end the number
                // unless they belong to hex (`0x1f`) or an exponent (`1e3`).
                if chars[i].is_ascii_alphabetic() {
                    let text: String = chars[start..i].iter().collect();
                    let hex = text.starts_with("0x") || (text == "0" && chars[i] == 'x');
                    let exp = (chars[i] == 'e' || chars[i] == 'E')
                        && chars
                            .get(i + 1)
                            .is_some_and(|c| c.is_ascii_digit() || *c == '-');
                    if !hex && !exp {
                        break;
                    }
                    if exp && chars.get(i + 1) == Some(&'-') {
                        i += 1;
                    }
                }
                i += 1;
            }
            let text: String = chars[start..i].iter().filter(|c| **c != '_').collect();
            let n = if let Some(hex) = text.strip_prefix("0x") {
                i64::from_str_radix(hex, 16).map(|v| v as f64).ok()
            } else {
                text.parse::<f64>().ok()
            };
            let n = n.ok_or((col, format!("`{text}` is not a number")))?;
            out.push(Token {
                kind: Tok::Number(n),
                col,
            });
        } else if c == '"' || c == '\'' {
            let (s, next) = string(&chars, i).map_err(|m| (col, m))?;
            out.push(Token {
                kind: Tok::Str(s),
                col,
            });
            i = next;
        } else if c == '=' && chars.get(i + 1) == Some(&'>') {
            out.push(Token {
                kind: Tok::Punct("=>"),
                col,
            });
            i += 2;
        } else {
            let p = match c {
                '.' => ".",
                ',' => ",",
                '(' => "(",
                ')' => ")",
                '{' => "{",
                '}' => "}",
                '[' => "[",
                ']' => "]",
                ':' => ":",
                ';' => ";",
                '=' => "=",
                '<' => "<",
                '>' => ">",
                '@' => "@",
                '-' => "-",
                '/' => "/",
                _ => return Err((col, format!("unexpected character `{c}`"))),
            };
            out.push(Token {
                kind: Tok::Punct(p),
                col,
            });
            i += 1;
        }
    }
    Ok(out)
}

/// Reads a quoted string starting at `start`; returns it and the index after
/// the closing quote. Escapes follow JSON, plus `\'`.
fn string(chars: &[char], start: usize) -> Result<(String, usize), String> {
    let quote = chars[start];
    let mut s = String::new();
    let mut i = start + 1;
    while i < chars.len() {
        let c = chars[i];
        if c == quote {
            return Ok((s, i + 1));
        }
        if c == '\\' {
            let e = *chars.get(i + 1).ok_or("unterminated escape")?;
            i += 2;
            match e {
                'n' => s.push('\n'),
                'r' => s.push('\r'),
                't' => s.push('\t'),
                '0' => s.push('\0'),
                'b' => s.push('\u{8}'),
                'f' => s.push('\u{c}'),
                '\\' | '"' | '\'' | '/' => s.push(e),
                'u' => {
                    let hex: String = chars
                        .get(i..i + 4)
                        .ok_or("short \\u escape")?
                        .iter()
                        .collect();
                    let code = u32::from_str_radix(&hex, 16)
                        .map_err(|_| format!("bad \\u escape `{hex}`"))?;
                    i += 4;
                    // A surrogate pair arrives as two escapes.
                    let code = if (0xD800..0xDC00).contains(&code)
                        && chars.get(i) == Some(&'\\')
                        && chars.get(i + 1) == Some(&'u')
                    {
                        let lo: String = chars
                            .get(i + 2..i + 6)
                            .ok_or("short \\u escape")?
                            .iter()
                            .collect();
                        let lo = u32::from_str_radix(&lo, 16)
                            .map_err(|_| format!("bad \\u escape `{lo}`"))?;
                        i += 6;
                        0x10000 + ((code - 0xD800) << 10) + (lo.wrapping_sub(0xDC00) & 0x3FF)
                    } else {
                        code
                    };
                    s.push(char::from_u32(code).ok_or(format!("\\u{code:x} is not a character"))?);
                }
                'x' => {
                    let hex: String = chars
                        .get(i..i + 2)
                        .ok_or("short \\x escape")?
                        .iter()
                        .collect();
                    let code = u32::from_str_radix(&hex, 16)
                        .map_err(|_| format!("bad \\x escape `{hex}`"))?;
                    i += 2;
                    s.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                }
                other => return Err(format!("unknown escape `\\{other}`")),
            }
        } else {
            s.push(c);
            i += 1;
        }
    }
    Err("unterminated string".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(line: &str) -> Vec<Tok> {
        tokenize(line)
            .unwrap()
            .into_iter()
            .map(|t| t.kind)
            .collect()
    }

    #[test]
    fn splits_calls_units_and_comments() {
        assert_eq!(
            kinds(r#"wait c data "a#b" within 50ms # note"#),
            vec![
                Tok::Ident("wait".into()),
                Tok::Ident("c".into()),
                Tok::Ident("data".into()),
                Tok::Str("a#b".into()),
                Tok::Ident("within".into()),
                Tok::Number(50.0),
                Tok::Ident("ms".into()),
            ]
        );
        assert_eq!(
            kinds("1.5e3 0x10 x.y"),
            vec![
                Tok::Number(1500.0),
                Tok::Number(16.0),
                Tok::Ident("x".into()),
                Tok::Punct("."),
                Tok::Ident("y".into()),
            ]
        );
    }

    #[test]
    fn reports_the_column_of_a_bad_character() {
        assert_eq!(
            tokenize("a ! b"),
            Err((3, "unexpected character `!`".into()))
        );
        assert_eq!(tokenize("x = \"abc").unwrap_err().0, 5);
    }
}
