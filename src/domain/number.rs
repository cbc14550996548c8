//! A number as DynamoDB keeps it (an `N`): its exact decimal text, and an order by value.

use std::cmp::Ordering;
use std::fmt;

/// A decimal DynamoDB accepts: at most 38 significant digits, magnitude from 1E-130 to below
/// 1E+126, or zero. Kept as written (so a key built from it is the key DynamoDB gave) and
/// ordered by value, as DynamoDB orders a sort key (`100` equals `1E2`).
#[derive(Debug, Clone)]
pub struct DynamoNumber {
    text: String,
    negative: bool,
    /// Significant digits, without leading or trailing zeros; empty for zero.
    digits: Vec<u8>,
    /// The value is `0.digits × 10^exponent`.
    exponent: i64,
}

impl DynamoNumber {
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Parses `text`; `None` for anything DynamoDB would refuse as a number.
    pub fn parse(text: &str) -> Option<Self> {
        let (negative, unsigned) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
            Some((mantissa, exponent)) => (mantissa, Some(exponent)),
            None => (unsigned, None),
        };
        let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() && fraction.is_empty() || !all_digits(whole) || !all_digits(fraction) {
            return None;
        }
        let written_exponent: i64 = match exponent {
            Some(e) => {
                let unsigned = e.strip_prefix(['+', '-']).unwrap_or(e);
                if unsigned.is_empty() || unsigned.len() > 6 || !all_digits(unsigned) {
                    return None;
                }
                e.parse().ok()?
            }
            None => 0,
        };
        let mut digits: Vec<u8> = whole.bytes().chain(fraction.bytes()).collect();
        let leading = digits.iter().take_while(|d| **d == b'0').count();
        digits.drain(..leading);
        while digits.last() == Some(&b'0') {
            digits.pop();
        }
        let exponent = whole.len() as i64 - leading as i64 + written_exponent;
        let in_range = digits.is_empty() || (-129..=126).contains(&exponent);
        (digits.len() <= 38 && in_range).then(|| Self {
            text: text.to_owned(),
            negative: negative && !digits.is_empty(),
            digits,
            exponent,
        })
    }

    fn magnitude_cmp(&self, other: &Self) -> Ordering {
        match (self.digits.is_empty(), other.digits.is_empty()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            (false, false) => self
                .exponent
                .cmp(&other.exponent)
                .then_with(|| self.digits.cmp(&other.digits)),
        }
    }
}

impl Ord for DynamoNumber {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self.negative, other.negative) {
            (false, false) => self.magnitude_cmp(other),
            (true, true) => other.magnitude_cmp(self),
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
        }
    }
}

impl PartialOrd for DynamoNumber {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for DynamoNumber {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for DynamoNumber {}

impl fmt::Display for DynamoNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(text: &str) -> DynamoNumber {
        DynamoNumber::parse(text).unwrap_or_else(|| panic!("{text} parses"))
    }

    #[test]
    fn numbers_order_by_value_whatever_their_text() {
        let ascending = [
            "-1E5",
            "-2",
            "-1.5",
            "0",
            "0.000001",
            "1",
            "1.5",
            "2",
            "10",
            "1700000000",
            "1.7000000001E9",
            "1700000000.25",
            "1E125",
        ];
        for pair in ascending.windows(2) {
            assert!(n(pair[0]) < n(pair[1]), "{} < {}", pair[0], pair[1]);
        }
        assert_eq!(n("100"), n("1E2"));
        assert_eq!(n("0"), n("-0.000"));
        assert_eq!(n("1700000000.50"), n("1700000000.5"));
        assert_eq!(n("1.5e3").as_str(), "1.5e3", "kept as written");
    }

    #[test]
    fn what_dynamodb_refuses_as_a_number_does_not_parse() {
        for bad in [
            "",
            "-",
            ".",
            "1e",
            "e5",
            "1.2.3",
            "0x10",
            "1,5",
            " 1",
            "1 ",
            "+1",
            "NaN",
            "inf",
            "1E126",
            "1E-131",
            "1e999999999",
            "123456789012345678901234567890123456789",
        ] {
            assert!(DynamoNumber::parse(bad).is_none(), "{bad:?}");
        }
        for good in [
            "9.9999999999999999999999999999999999999E+125",
            "1E-130",
            "1.",
            ".5",
        ] {
            assert!(DynamoNumber::parse(good).is_some(), "{good}");
        }
    }
}
