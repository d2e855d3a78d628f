//! Validated text fields. Each type can only be built valid, so handlers never re-check,
//! and each error says what a valid value looks like.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! text_type {
    ($(#[$doc:meta])* $name:ident, $example:literal, $check:expr, $what:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(try_from = "String", into = "String")]
        #[schema(value_type = String, example = $example)]
        pub struct $name(String);

        impl $name {
            pub fn parse(s: &str) -> Result<Self, String> {
                let s = s.trim();
                let check: fn(&str) -> bool = $check;
                if check(s) {
                    Ok(Self(s.to_string()))
                } else {
                    Err(format!(concat!("invalid ", stringify!($name), " {:?}: ", $what), s))
                }
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                Self::parse(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(s: String) -> Result<Self, String> {
                Self::parse(&s)
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

fn no_control(s: &str) -> bool {
    !s.chars().any(char::is_control)
}

text_type!(
    /// A display name: tokens, departments, user types, tenants.
    Name, "ERP integration",
    |s| !s.is_empty() && s.chars().count() <= 200 && no_control(s),
    "use 1 to 200 characters, without control characters"
);

text_type!(
    /// A tenant's name. It also names the tenant in URLs (`/auth/forward/{tenant}`) and in
    /// the `X-Keyward-Principal` header (`tenant/username`), so it is URL-safe, has no
    /// `/`, and is never shaped like a tenant id (which those places also accept). Lower
    /// case only, so that two tenants cannot differ by case alone (`acme`, `ACME`) and
    /// merge in a service that compares principals without regard to case.
    TenantName, "acme",
    |s| (1..=63).contains(&s.len())
        && s.bytes().all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'.' | b'_' | b'-'))
        && s.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && s.bytes().last().is_some_and(|b| b.is_ascii_alphanumeric())
        && uuid::Uuid::parse_str(s).is_err(),
    "use 1 to 63 lower-case letters, digits, '.', '_' or '-', starting and ending with a letter or \
     digit, and not shaped like a tenant id"
);

text_type!(
    /// A login name: letters, digits and `. _ @ -`.
    Username, "erp-sync",
    |s| (1..=64).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'@' | b'-')),
    "use 1 to 64 letters, digits, '.', '_', '@' or '-'"
);

text_type!(
    /// An e-mail address (checked for shape only: one `@` with text on both sides).
    Email, "erp-sync@example.com",
    |s| s.len() <= 254 && no_control(s) && !s.contains(' ')
        && matches!(s.split_once('@'), Some((l, r)) if !l.is_empty() && r.contains('.') && !r.contains('@')),
    "expected an address like name@example.com"
);

/// Free text such as a description: up to 2,000 characters.
pub fn check_description(s: &str) -> Result<(), String> {
    if s.chars().count() > 2000 {
        Err("description is longer than 2000 characters".into())
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(Name::parse("  ERP  ").unwrap().as_str(), "ERP");
        assert!(Name::parse("").is_err());
        assert!(Name::parse("   ").is_err());
        assert!(Name::parse(&"x".repeat(201)).is_err());
        assert!(Name::parse("a\nb").is_err());
        assert!(
            Name::parse("<script>alert(1)</script>").is_ok(),
            "escaping is the renderer's job"
        );
    }

    #[test]
    fn tenant_names_are_url_safe_and_never_look_like_ids() {
        assert!(TenantName::parse("acme").is_ok());
        assert!(TenantName::parse("acme-corp.eu_1").is_ok());
        assert!(TenantName::parse("Acme Corp").is_err());
        for lookalike in ["ACME", "Acme", "acme.", "_acme", "acme-"] {
            assert!(TenantName::parse(lookalike).is_err(), "{lookalike}");
        }
        assert!(TenantName::parse("0190B1C27D3E7F008000000000000000").is_err());
        assert!(TenantName::parse("a/b").is_err());
        assert!(TenantName::parse("..").is_err());
        assert!(TenantName::parse(&"x".repeat(64)).is_err());
        assert!(TenantName::parse("0190b1c2-7d3e-7f00-8000-000000000000").is_err());
    }

    #[test]
    fn usernames_and_emails() {
        assert!(Username::parse("erp.sync@corp").is_ok());
        assert!(Username::parse("has space").is_err());
        assert!(Email::parse("a@b.no").is_ok());
        assert!(Email::parse("a@b").is_err());
        assert!(Email::parse("@b.no").is_err());
        let e = Email::parse("nope").unwrap_err();
        assert!(e.contains("name@example.com"), "{e}");
    }
}
