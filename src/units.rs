//! Number formatting shared by the trail, the cost table and the templates. Pure.

/// Rounds to two decimals (cents).
pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// `12345` -> `12,345`.
pub fn thousands(n: impl Into<u128>) -> String {
    let n: u128 = n.into();
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// `1234.5` -> `$1,234.50`.
pub fn usd(x: f64) -> String {
    // In u128: a total from prices near the cap of a prices file passes u64's cents (the text
    // showed $184,467,440,737,095,516.15, u64's ceiling, where the JSON had the real figure).
    let cents = (x * 100.0).round() as u128;
    format!("${}.{:02}", thousands(cents / 100), cents % 100)
}

/// A number without a needless `.0` (`50` for 50.0, `0.5` for 0.5).
pub fn plain(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(thousands(0u64), "0");
        assert_eq!(thousands(999u64), "999");
        assert_eq!(thousands(1000u64), "1,000");
        assert_eq!(thousands(15_000_000u64), "15,000,000");
        assert_eq!(usd(1234.5), "$1,234.50");
        assert_eq!(usd(1e18), "$1,000,000,000,000,000,000.00", "past u64 cents");
        assert_eq!(usd(0.004), "$0.00");
        assert_eq!(plain(50.0), "50");
        assert_eq!(plain(0.5), "0.5");
        assert_eq!(round2(2.345_6), 2.35);
    }
}
