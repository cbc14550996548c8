//! Validated identifiers: once one of these exists, its rule holds.

use std::fmt;

/// The caller's `clientToken`: 1 to 64 characters (Unicode code points), case-sensitive
/// (docs/API.md), as Image Builder's current model has it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ClientToken(String);

/// Maximum length of a client token, in characters.
pub const CLIENT_TOKEN_MAX_CHARS: usize = 64;

/// Why a member value broke its rule; rendered by the HTTP layer with the member's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleViolation {
    /// The string is empty or longer than its maximum.
    Length { min_chars: usize, max_chars: usize },
    /// The string does not match its pattern.
    Pattern(&'static str),
    /// Not 12 decimal digits.
    AccountId,
}

impl RuleViolation {
    /// A string of 1 to `max_chars` characters, counted in code points (Rust's chars): not in
    /// bytes, nor in letters as a reader sees them (each combining mark counts).
    pub fn check_length(value: &str, max_chars: usize) -> Result<(), Self> {
        let chars = value.chars().take(max_chars + 1).count();
        if (1..=max_chars).contains(&chars) {
            Ok(())
        } else {
            Err(Self::Length {
                min_chars: 1,
                max_chars,
            })
        }
    }
}

impl fmt::Display for RuleViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Length {
                min_chars,
                max_chars,
            } => write!(
                f,
                "must be between {min_chars} and {max_chars} characters long"
            ),
            Self::Pattern(pattern) => write!(f, "must match the pattern {pattern}"),
            Self::AccountId => f.write_str("must be 12 decimal digits"),
        }
    }
}

impl TryFrom<String> for ClientToken {
    type Error = RuleViolation;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        RuleViolation::check_length(&value, CLIENT_TOKEN_MAX_CHARS)?;
        Ok(Self(value))
    }
}

impl ClientToken {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

// A client token is a caller's secret-ish handle: never print it whole.
impl fmt::Debug for ClientToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientToken(..)")
    }
}

/// The id of one lifecycle execution, matching [`LifecycleExecutionId::PATTERN`] in full.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LifecycleExecutionId(String);

impl LifecycleExecutionId {
    /// The id pattern of docs/API.md, anchored at both ends.
    pub const PATTERN: &'static str =
        "^lce-[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";

    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn matches_pattern(value: &str) -> bool {
        // `lce-` then hex groups of 8-4-4-4-12 separated by `-`; nothing before or after
        // (so no trailing newline, unlike a regex `$` in multi-line habits).
        let Some(rest) = value.strip_prefix("lce-") else {
            return false;
        };
        let groups: [usize; 5] = [8, 4, 4, 4, 12];
        let mut parts = rest.split('-');
        for expected_len in groups {
            match parts.next() {
                Some(part)
                    if part.len() == expected_len
                        && part.bytes().all(|b| b.is_ascii_hexdigit()) => {}
                _ => return false,
            }
        }
        parts.next().is_none()
    }
}

impl TryFrom<String> for LifecycleExecutionId {
    type Error = RuleViolation;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        if Self::matches_pattern(&value) {
            Ok(Self(value))
        } else {
            Err(RuleViolation::Pattern(Self::PATTERN))
        }
    }
}

impl fmt::Display for LifecycleExecutionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An AWS account id: 12 decimal digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AccountId(String);

impl TryFrom<String> for AccountId {
    type Error = RuleViolation;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        if value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(value))
        } else {
            Err(RuleViolation::AccountId)
        }
    }
}

impl AccountId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A `resourceArn` matching Image Builder's `ImageBuilderArn` pattern in full.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ImageBuilderArn(String);

impl ImageBuilderArn {
    /// The model's pattern (`data/imagebuilder/2019-12-02/service-2.json`), anchored at both ends.
    pub const PATTERN: &'static str = "^arn:aws[^:]*:imagebuilder:[^:]+:(?:[0-9]{12}|aws(?:-[a-z-]+)?):(?:image-recipe|container-recipe|infrastructure-configuration|distribution-configuration|component|image|image-pipeline|lifecycle-policy|workflow\\/(?:build|test|distribution))/[a-z0-9-_]+(?:/(?:(?:x|[0-9]+)\\.(?:x|[0-9]+)\\.(?:x|[0-9]+))(?:/[0-9]+)?)?$";

    const RESOURCE_TYPES: [&'static str; 11] = [
        "image-recipe",
        "container-recipe",
        "infrastructure-configuration",
        "distribution-configuration",
        "component",
        "image",
        "image-pipeline",
        "lifecycle-policy",
        "workflow/build",
        "workflow/test",
        "workflow/distribution",
    ];

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The account field: 12 digits, or `aws` (or `aws-...`) for Amazon-owned resources.
    pub fn account(&self) -> &str {
        self.0.split(':').nth(4).unwrap_or_default()
    }

    /// Whether the ARN names a lifecycle policy (this service keeps nothing else).
    pub fn is_lifecycle_policy(&self) -> bool {
        Self::resource_type_of(&self.0) == Some("lifecycle-policy")
    }

    fn resource_type_of(arn: &str) -> Option<&'static str> {
        let resource = arn.splitn(6, ':').nth(5)?;
        Self::RESOURCE_TYPES
            .into_iter()
            .filter(|kind| {
                resource
                    .strip_prefix(kind)
                    .is_some_and(|rest| rest.starts_with('/'))
            })
            .max_by_key(|kind| kind.len())
    }

    fn matches_pattern(value: &str) -> bool {
        let parts: Vec<&str> = value.splitn(6, ':').collect();
        let [arn, partition, service, region, account, resource] = parts[..] else {
            return false;
        };
        let lower_or_dash =
            |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b == b'-');
        let account_ok = (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()))
            || account == "aws"
            || account.strip_prefix("aws-").is_some_and(lower_or_dash);
        let Some(kind) = Self::resource_type_of(value) else {
            return false;
        };
        let mut rest = resource[kind.len() + 1..].split('/');
        let name_ok = rest.next().is_some_and(|name| {
            !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        });
        let version_ok = rest.next().is_none_or(|version| {
            let fields: Vec<&str> = version.split('.').collect();
            fields.len() == 3
                && fields
                    .iter()
                    .all(|f| *f == "x" || (!f.is_empty() && f.bytes().all(|b| b.is_ascii_digit())))
        });
        let build_ok = rest
            .next()
            .is_none_or(|build| !build.is_empty() && build.bytes().all(|b| b.is_ascii_digit()));
        arn == "arn"
            && partition.starts_with("aws")
            && service == "imagebuilder"
            && !region.is_empty()
            && account_ok
            && name_ok
            && version_ok
            && build_ok
            && rest.next().is_none()
    }
}

impl TryFrom<String> for ImageBuilderArn {
    type Error = RuleViolation;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        if Self::matches_pattern(&value) {
            Ok(Self(value))
        } else {
            Err(RuleViolation::Pattern(Self::PATTERN))
        }
    }
}

impl fmt::Display for ImageBuilderArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "lce-0123abcd-4567-89ab-cdef-0123456789AB";

    fn id(value: &str) -> Result<LifecycleExecutionId, RuleViolation> {
        LifecycleExecutionId::try_from(value.to_owned())
    }

    #[test]
    fn a_well_formed_id_in_either_case_is_accepted() {
        assert_eq!(id(ID).map(|i| i.to_string()), Ok(ID.to_owned()));
        assert!(id(&ID.to_lowercase()).is_ok());
    }

    #[test]
    fn an_id_with_anything_before_or_after_is_rejected() {
        for bad in [
            format!("{ID}\n"),
            format!(" {ID}"),
            format!("{ID}0"),
            format!("{ID}-"),
            format!("x{ID}"),
            ID.replace("lce-", "LCE-"),
            ID.replace("lce-", "lce"),
        ] {
            assert_eq!(
                id(&bad),
                Err(RuleViolation::Pattern(LifecycleExecutionId::PATTERN)),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn an_id_with_wrong_group_lengths_or_non_hex_digits_is_rejected() {
        for bad in [
            "",
            "lce-",
            "lce-0123abc-4567-89ab-cdef-0123456789ab",
            "lce-0123abcd-4567-89ab-cdef-0123456789a",
            "lce-0123abcd-4567-89ab-cdef0-123456789ab",
            "lce-0123abcg-4567-89ab-cdef-0123456789ab",
            "lce-0123abcd-4567-89ab-cdef-0123456789ab-0000",
            "lce-0123abcd_4567-89ab-cdef-0123456789ab",
            "lce-０123abcd-4567-89ab-cdef-0123456789ab",
        ] {
            assert!(id(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_client_token_of_1_to_64_code_points_is_accepted() {
        assert!(ClientToken::try_from("a".to_owned()).is_ok());
        assert!(ClientToken::try_from("x".repeat(36)).is_ok());
        // A SHA-256 hex digest, a common deterministic token.
        assert!(ClientToken::try_from("0123456789abcdef".repeat(4)).is_ok());
        // 64 code points of 3 and 4 bytes each: the limit is in code points.
        assert!(ClientToken::try_from("€".repeat(64)).is_ok());
        assert!(ClientToken::try_from("😀".repeat(64)).is_ok());
        // One letter and 63 combining marks: 64 code points, though a reader sees one letter.
        assert!(ClientToken::try_from(format!("a{}", "\u{301}".repeat(63))).is_ok());
    }

    #[test]
    fn an_empty_or_65_code_point_client_token_is_rejected() {
        let expected = Err(RuleViolation::Length {
            min_chars: 1,
            max_chars: 64,
        });
        assert_eq!(ClientToken::try_from(String::new()), expected);
        assert_eq!(ClientToken::try_from("x".repeat(65)), expected);
        assert_eq!(ClientToken::try_from("€".repeat(65)), expected);
        assert_eq!(ClientToken::try_from("😀".repeat(65)), expected);
        assert_eq!(
            ClientToken::try_from(format!("a{}", "\u{301}".repeat(64))),
            expected
        );
    }

    #[test]
    fn an_arn_of_any_image_builder_resource_matches_the_models_pattern() {
        for good in [
            "arn:aws:imagebuilder:us-east-1:111122223333:lifecycle-policy/keep-5",
            "arn:aws-cn:imagebuilder:cn-north-1:111122223333:lifecycle-policy/a_b-1",
            "arn:aws:imagebuilder:us-east-1:aws:image/amazon-linux-2023-x86/x.x.x",
            "arn:aws:imagebuilder:us-east-1:aws-marketplace:component/c/1.0.2/3",
            "arn:aws:imagebuilder:us-east-1:111122223333:workflow/build/w/1.0.0/1",
            "arn:aws:imagebuilder:us-east-1:111122223333:image-pipeline/p",
        ] {
            assert!(ImageBuilderArn::try_from(good.to_owned()).is_ok(), "{good}");
        }
        let policy = |arn: &str| ImageBuilderArn::try_from(arn.to_owned()).unwrap();
        let keep = policy("arn:aws:imagebuilder:us-east-1:111122223333:lifecycle-policy/keep-5");
        assert!(keep.is_lifecycle_policy());
        assert_eq!(keep.account(), "111122223333");
        assert!(
            !policy("arn:aws:imagebuilder:us-east-1:111122223333:image-pipeline/p")
                .is_lifecycle_policy()
        );
    }

    #[test]
    fn an_arn_breaking_the_models_pattern_is_refused_with_the_pattern() {
        for bad in [
            "",
            "arn:aws:imagebuilder:us-east-1:111122223333:lifecycle-policy/",
            "arn:aws:imagebuilder:us-east-1:111122223333:lifecycle-policy/Keep",
            "arn:aws:imagebuilder:us-east-1:111122223333:lifecycle-policy/keep-5\n",
            "arn:aws:imagebuilder:us-east-1:11112222333:lifecycle-policy/k",
            "arn:aws:imagebuilder::111122223333:lifecycle-policy/k",
            "arn:aws:ec2:us-east-1:111122223333:lifecycle-policy/k",
            "arn:gcp:imagebuilder:us-east-1:111122223333:lifecycle-policy/k",
            "arn:aws:imagebuilder:us-east-1:111122223333:policy/k",
            "arn:aws:imagebuilder:us-east-1:111122223333:workflow/k",
            "arn:aws:imagebuilder:us-east-1:111122223333:image/i/1.0",
            "arn:aws:imagebuilder:us-east-1:111122223333:image/i/1.0.0/",
            "arn:aws:imagebuilder:us-east-1:111122223333:image/i/1.0.0/1/2",
            "arn:aws:imagebuilder:us-east-1:111122223333:lifecycle-policy/k:x",
            "arn:aws:imagebuilder:us-east-1:AWS:lifecycle-policy/k",
        ] {
            assert_eq!(
                ImageBuilderArn::try_from(bad.to_owned()),
                Err(RuleViolation::Pattern(ImageBuilderArn::PATTERN)),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_client_token_never_prints_its_value() {
        let token = ClientToken::try_from("secret-token".to_owned());
        assert_eq!(format!("{token:?}"), "Ok(ClientToken(..))");
    }

    #[test]
    fn account_ids_are_exactly_12_digits() {
        assert!(AccountId::try_from("123456789012".to_owned()).is_ok());
        for bad in ["12345678901", "1234567890123", "12345678901a", ""] {
            assert_eq!(
                AccountId::try_from(bad.to_owned()),
                Err(RuleViolation::AccountId)
            );
        }
    }
}
