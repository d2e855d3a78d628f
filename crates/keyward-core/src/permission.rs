//! Permission strings such as `orders:read`. A user type grants a set of them; a grant may
//! end in `*` to cover a whole family (`orders:*`, or `*` for everything).

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, example = "orders:read")]
pub struct Permission(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid permission {0:?}: use 1 to 128 characters of a-z, 0-9, '_', '-', '.', ':', and '*' only at the end (e.g. \"orders:read\", \"orders:*\")")]
pub struct PermissionError(pub String);

impl Permission {
    pub fn parse(s: &str) -> Result<Self, PermissionError> {
        let ok_len = !s.is_empty() && s.len() <= 128;
        let body = s.strip_suffix('*').unwrap_or(s);
        let ok_chars = body
            .bytes()
            .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' | b'.' | b':'));
        if ok_len && ok_chars {
            Ok(Self(s.to_string()))
        } else {
            Err(PermissionError(s.to_string()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this grant covers the `wanted` permission.
    pub fn covers(&self, wanted: &str) -> bool {
        match self.0.strip_suffix('*') {
            Some(stem) => wanted.starts_with(stem),
            None => self.0 == wanted,
        }
    }
}

impl std::str::FromStr for Permission {
    type Err = PermissionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for Permission {
    type Error = PermissionError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Permission> for String {
    fn from(p: Permission) -> String {
        p.0
    }
}

impl fmt::Debug for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

pub fn grants(set: &[Permission], wanted: &str) -> bool {
    set.iter().any(|p| p.covers(wanted))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_accepts_documented_shapes() {
        for ok in ["orders:read", "users:write", "orders:*", "*", "a.b-c_d:e"] {
            assert!(Permission::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "Orders:read",
            "orders read",
            "or*ders",
            "<script>",
            &"a".repeat(129),
        ] {
            assert!(Permission::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn wildcards_cover_families_only() {
        let set = vec![
            Permission::parse("orders:*").unwrap(),
            Permission::parse("users:read").unwrap(),
        ];
        assert!(grants(&set, "orders:read"));
        assert!(grants(&set, "orders:write"));
        assert!(grants(&set, "users:read"));
        assert!(!grants(&set, "users:write"));
        assert!(grants(
            &[Permission::parse("*").unwrap()],
            "anything:at-all"
        ));
    }
}
