//! JavaScript's `String(n)` for numbers: what Node writes where a number
//! becomes text (a header value, a message).

/// `String(n)` (ECMAScript's Number::toString): `NaN`, `Infinity`, `0` for
/// both zeros, plain decimals from 1e-6 up to 1e21, exponent form outside
/// (`1e+21`, `1.5e-7`), always the shortest digits that read back the same.
pub fn to_js_string(n: f64) -> String {
    if n.is_nan() {
        return "NaN".into();
    }
    if n.is_infinite() {
        return if n > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    if n == 0.0 {
        return "0".into();
    }
    if (1e-6..1e21).contains(&n.abs()) {
        return format!("{n}");
    }
    let s = format!("{n:e}");
    match s.split_once('e') {
        Some((mantissa, exp)) if !exp.starts_with('-') => format!("{mantissa}e+{exp}"),
        _ => s,
    }
}

#[cfg(test)]
mod tests {
    use super::to_js_string as s;

    #[test]
    fn numbers_read_as_javascript_writes_them() {
        let cases: [(f64, &str); 13] = [
            (42.0, "42"),
            (-0.0, "0"),
            (1.5, "1.5"),
            (0.1, "0.1"),
            (1e20, "100000000000000000000"),
            (1e21, "1e+21"),
            (1.5e300, "1.5e+300"),
            (0.000001, "0.000001"),
            (1e-7, "1e-7"),
            (-2.5e-8, "-2.5e-8"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
            (f64::NAN, "NaN"),
        ];
        for (n, want) in cases {
            assert_eq!(s(n), want, "{n}");
        }
    }
}
