//! Node version ranges in case metadata: `">=18"`, `">=18 <22"`, `"20.x"`,
//! `"^20.5"`, and alternatives joined by `||` (`"<24.21 || 25.x"`), as npm
//! writes them: a behaviour backported to one release line holds on two
//! stretches of versions.

use std::cmp::Ordering;

/// Alternatives, each a conjunction of comparisons against a
/// `major.minor.patch` version.
#[derive(Debug, Clone, PartialEq)]
pub struct Range(Vec<Vec<(Ordering, bool, [u64; 3])>>);

fn parse_version(s: &str) -> Result<([u64; 3], usize), String> {
    // `v22.0.0-rc.1` and `v20.1.0+build` compare as their release.
    let s = s.trim_start_matches('v');
    let s = s.split(['-', '+']).next().unwrap_or(s);
    let mut parts = [0u64; 3];
    let mut n = 0;
    for (i, p) in s.split('.').enumerate() {
        if i >= 3 {
            return Err(format!("`{s}` has more than three parts"));
        }
        if p == "x" || p == "*" {
            break;
        }
        parts[i] = p.parse().map_err(|_| format!("`{s}` is not a version"))?;
        n = i + 1;
    }
    Ok((parts, n))
}

impl Range {
    /// Parses a range; the error says what is wrong with it.
    pub fn parse(text: &str) -> Result<Range, String> {
        text.split("||")
            .map(conjunction)
            .collect::<Result<Vec<_>, _>>()
            .map(Range)
    }
}

/// One alternative of a range: comparisons that must all hold.
fn conjunction(text: &str) -> Result<Vec<(Ordering, bool, [u64; 3])>, String> {
    let mut out = Vec::new();
    for term in text.split_whitespace() {
        let (op, rest) = ["<=", ">=", "<", ">", "=", "^"]
            .iter()
            .find_map(|op| term.strip_prefix(op).map(|r| (*op, r)))
            .unwrap_or(("", term));
        let (v, given) = parse_version(rest)?;
        if given == 0 {
            return Err(format!("`{term}` names no version"));
        }
        match op {
            ">=" => out.push((Ordering::Greater, true, v)),
            ">" => out.push((Ordering::Greater, false, v)),
            "<=" => out.push((Ordering::Less, true, v)),
            "<" => out.push((Ordering::Less, false, v)),
            // `20.1.2` and `=20.1.2` are exact; `20`, `20.x` and `=20.1`
            // bound the version from both sides (at least `v`, below the
            // next major or minor); `^20.1` is below the next major.
            _ => {
                out.push((Ordering::Greater, true, v));
                if op != "^" && given == 3 {
                    out.push((Ordering::Less, true, v));
                    continue;
                }
                let bump = if op == "^" { 0 } else { given - 1 };
                let mut upper = v;
                upper[bump] += 1;
                for p in upper.iter_mut().skip(bump + 1) {
                    *p = 0;
                }
                out.push((Ordering::Less, false, upper));
            }
        }
    }
    if out.is_empty() {
        return Err("an empty version range".into());
    }
    Ok(out)
}

impl Range {
    /// Whether `version` (`v20.20.2`) is in the range.
    pub fn matches(&self, version: &str) -> bool {
        let Ok((v, _)) = parse_version(version) else {
            return false;
        };
        self.0.iter().any(|all| {
            all.iter().all(|(dir, inclusive, bound)| {
                let ord = v.cmp(bound);
                ord == *dir || (*inclusive && ord == Ordering::Equal)
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_match_like_semver() {
        let m = |r: &str, v: &str| Range::parse(r).unwrap().matches(v);
        assert!(m(">=18", "v20.20.2"));
        assert!(!m(">=21", "v20.20.2"));
        assert!(m(">=18 <22", "v20.0.0") && !m(">=18 <22", "v22.1.0"));
        assert!(m("20.x", "v20.9.1") && !m("20.x", "v21.0.0"));
        assert!(m("^20.5", "v20.6.0") && !m("^20.5", "v20.4.0"));
        assert!(m("=20.20.2", "v20.20.2") && !m("=20.20.2", "v20.20.3"));
        assert!(m("=20", "v20.5.0") && !m("=20", "v21.0.0"));
        assert!(Range::parse(">=abc").is_err() && Range::parse("").is_err());
        assert!(m(">=18", "v22.0.0-rc.1") && m("20.x", "v20.1.0+local"));
        let split = |v: &str| m("<24.21 || 25.x", v);
        assert!(split("v24.20.0") && !split("v24.21.0") && !split("v24.22.3"));
        assert!(split("v25.9.0") && !split("v26.0.0"));
        assert!(Range::parse(">=20 ||").is_err());
    }
}
