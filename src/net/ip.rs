//! `net.isIP`, `net.isIPv4`, `net.isIPv6`: Node's textual address grammar.
//!
//! Node matches strings against a regular expression rather than parsing
//! them, so its answers differ from [`std::net::IpAddr`]'s parser in places:
//! IPv6 zone IDs (`fe80::1%eth0`) are accepted, and nothing is trimmed.

/// Returns `4` for a dotted-decimal IPv4 address, `6` for an IPv6 address,
/// `0` otherwise.
///
/// See <https://nodejs.org/api/net.html#netisipinput>.
///
/// # Node compatibility
///
/// IPv4 parts may not have leading zeroes (`127.000.000.001` gives `0`);
/// CIDR suffixes, surrounding whitespace and the empty string give `0`; an
/// IPv4-mapped address (`::ffff:127.0.0.1`) and a zone ID made of
/// `[0-9a-zA-Z-.:]` (`fe80::1%eth0`) give `6`.
///
/// ```
/// use nodecompat::net::is_ip;
/// assert_eq!(is_ip("127.0.0.1"), 4);
/// assert_eq!(is_ip("fe80::1%eth0"), 6);
/// assert_eq!(is_ip("127.000.000.001"), 0);
/// ```
pub fn is_ip(input: &str) -> u8 {
    if is_ipv4(input) {
        4
    } else if is_ipv6(input) {
        6
    } else {
        0
    }
}

/// Whether `input` is a dotted-decimal IPv4 address with no leading zeroes.
///
/// See <https://nodejs.org/api/net.html#netisipv4input>.
pub fn is_ipv4(input: &str) -> bool {
    let parts: Vec<&str> = input.split('.').collect();
    parts.len() == 4 && parts.iter().all(|p| is_ipv4_part(p))
}

/// One decimal part, `0`–`255`, written without leading zeroes.
fn is_ipv4_part(part: &str) -> bool {
    let digits = part.bytes().all(|b| b.is_ascii_digit());
    let no_leading_zero = part == "0" || !part.starts_with('0');
    digits
        && (1..=3).contains(&part.len())
        && no_leading_zero
        && part.parse::<u16>().is_ok_and(|n| n <= 255)
}

/// Whether `input` is an IPv6 address, optionally with an embedded IPv4
/// tail and a zone ID.
///
/// See <https://nodejs.org/api/net.html#netisipv6input>.
pub fn is_ipv6(input: &str) -> bool {
    let (address, zone) = match input.split_once('%') {
        Some((a, z)) => (a, Some(z)),
        None => (input, None),
    };
    if let Some(zone) = zone {
        let zone_ok = !zone.is_empty()
            && zone
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-.:".contains(&b));
        if !zone_ok {
            return false;
        }
    }
    match address.split_once("::") {
        // With `::` compression the explicit groups must leave room for at
        // least one zero group.
        Some((head, tail)) => match (groups(head, false), groups(tail, true)) {
            (Some(h), Some(t)) => h + t <= 7,
            _ => false,
        },
        None => groups(address, true) == Some(8) && !address.is_empty(),
    }
}

/// Counts the 16-bit groups in a colon-separated run (`""` has none); an
/// IPv4 tail, where allowed, counts as two. `None` if any group is invalid.
fn groups(run: &str, ipv4_tail: bool) -> Option<usize> {
    if run.is_empty() {
        return Some(0);
    }
    let parts: Vec<&str> = run.split(':').collect();
    let last = parts.len() - 1;
    let mut count = 0;
    for (i, part) in parts.iter().enumerate() {
        if (1..=4).contains(&part.len()) && part.bytes().all(|b| b.is_ascii_hexdigit()) {
            count += 1;
        } else if ipv4_tail && i == last && is_ipv4(part) {
            count += 2;
        } else {
            return None;
        }
    }
    Some(count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Answers of `net.isIP` from node v20.20.2.
    const NODE_ANSWERS: &[(&str, u8)] = &[
        ("127.0.0.1", 4),
        ("127.000.000.001", 0),
        ("1.2.3.4/24", 0),
        ("::1", 6),
        ("fe80::1%eth0", 6),
        ("fe80::1%", 0),
        ("::ffff:127.0.0.1", 6),
        (" 1.2.3.4", 0),
        ("1.2.3.4 ", 0),
        ("1.2.3.4\n", 0),
        ("", 0),
        ("::", 6),
        ("1:2:3:4:5:6:7::", 6),
        ("::1:2:3:4:5:6:7", 6),
        ("1::2:3:4:5:6:7:8", 0),
        ("1:2:3:4:5:6:1.2.3.4", 6),
        ("1:2:3:4:5:6::1.2.3.4", 0),
        ("1:2:3:4:5::1.2.3.4", 6),
        (":::", 0),
        ("01.2.3.4", 0),
        ("256.1.1.1", 0),
        ("0.0.0.0", 4),
        ("::1%a:b.c-d", 6),
        ("::1%a_b", 0),
        ("1.2.3", 0),
        ("12345::", 0),
        ("abcd::", 6),
        ("ABCD::1", 6),
        ("::%1", 6),
        ("1.2.3.04", 0),
    ];

    #[test]
    fn matches_node() {
        for (input, want) in NODE_ANSWERS {
            assert_eq!(is_ip(input), *want, "isIP({input:?})");
        }
    }

    proptest! {
        #[test]
        fn is_ip_agrees_with_the_predicates(s in "[0-9a-fA-F:.%a-z ]{0,24}") {
            prop_assert_eq!(is_ip(&s) == 4, is_ipv4(&s));
            prop_assert_eq!(is_ip(&s) == 6, is_ipv6(&s));
        }

        #[test]
        fn dotted_quads_are_ipv4(a: u8, b: u8, c: u8, d: u8) {
            let s = format!("{a}.{b}.{c}.{d}");
            prop_assert_eq!(is_ip(&s), 4);
        }

        #[test]
        fn formatted_ipv6_addresses_are_ipv6(bits: u128) {
            let addr = std::net::Ipv6Addr::from(bits);
            prop_assert_eq!(is_ip(&addr.to_string()), 6, "{}", addr);
        }
    }
}
