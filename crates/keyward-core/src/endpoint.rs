//! Hosted endpoints and their tokens (SPEC §6, seed 003): an endpoint, the path it is
//! served at, the methods it takes, and the primary and secondary tokens that open it.
//! Whether a request may pass is decided in [`crate::verify`], beside the decision for
//! API tokens, so the token rules are written once.

use crate::ids::{EndpointId, EndpointRecordId, EndpointTokenId, TenantId, UserId};
use crate::TokenKind;
use serde::{Deserialize, Serialize};
use std::fmt;
use time::OffsetDateTime;

/// How an endpoint authenticates its callers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuthType {
    /// Anyone may call it.
    None,
    /// A primary token for the method, or an assigned secondary token.
    Token,
}

impl AuthType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Token => "token",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "none" => Some(Self::None),
            "token" => Some(Self::Token),
            _ => None,
        }
    }
}

/// The methods a hosted endpoint serves: POST stores a record, GET lists them, DELETE
/// removes one (only while the endpoint allows deleting).
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "UPPERCASE")]
pub enum EndpointMethod {
    Post,
    Get,
    Delete,
}

impl EndpointMethod {
    pub const ALL: [EndpointMethod; 3] = [Self::Post, Self::Get, Self::Delete];

    /// The name a primary token of this method is stored under (records keep it as the
    /// name of the application that sent them): `POST primary token`.
    pub fn primary_name(self) -> String {
        format!("{} primary token", self.as_str())
    }

    /// The method of a primary token's stored name ([`Self::primary_name`]), so a page
    /// can name it in its own language.
    pub fn of_primary_name(name: &str) -> Option<Self> {
        Self::parse(name.strip_suffix(" primary token")?)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Post => "POST",
            Self::Get => "GET",
            Self::Delete => "DELETE",
        }
    }

    /// `POST`, `get`, …: method names are case-insensitive in paths such as
    /// `/primary-tokens/post/regenerate`.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(s))
    }
}

impl fmt::Display for EndpointMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The methods an assignment lets a secondary token use on its endpoint. New assignments
/// allow POST only (an application that sends records need not read anyone's); reading
/// and deleting are granted on purpose.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MethodSet(u8);

impl MethodSet {
    /// What a new assignment allows unless told otherwise.
    pub const DEFAULT: MethodSet = MethodSet(1);
    pub const ALL: MethodSet = MethodSet(0b111);

    fn bit(m: EndpointMethod) -> u8 {
        match m {
            EndpointMethod::Post => 1,
            EndpointMethod::Get => 2,
            EndpointMethod::Delete => 4,
        }
    }

    pub fn of(methods: &[EndpointMethod]) -> Self {
        Self(methods.iter().fold(0, |acc, m| acc | Self::bit(*m)))
    }

    pub fn contains(self, m: EndpointMethod) -> bool {
        self.0 & Self::bit(m) != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// In method order: POST, GET, DELETE.
    pub fn methods(self) -> Vec<EndpointMethod> {
        EndpointMethod::ALL
            .into_iter()
            .filter(|m| self.contains(*m))
            .collect()
    }

    /// As stored: `POST,GET`.
    pub fn to_stored(self) -> String {
        self.methods()
            .iter()
            .map(|m| m.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }

    /// What [`Self::to_stored`] wrote; `None` for anything else.
    pub fn from_stored(s: &str) -> Option<Self> {
        if s.is_empty() {
            return Some(Self(0));
        }
        s.split(',')
            .map(EndpointMethod::parse)
            .collect::<Option<Vec<_>>>()
            .map(|v| Self::of(&v))
    }
}

/// The methods that have a primary token while an endpoint is configured so: POST and GET
/// under token authentication, and DELETE only while deleting is allowed (rule 6).
pub fn primary_methods(auth_type: AuthType, allow_deleting: bool) -> Vec<EndpointMethod> {
    match auth_type {
        AuthType::None => Vec::new(),
        AuthType::Token if allow_deleting => EndpointMethod::ALL.to_vec(),
        AuthType::Token => vec![EndpointMethod::Post, EndpointMethod::Get],
    }
}

pub const MAX_PATH_LEN: usize = 200;

/// Where an endpoint is served: `/e/{tenant}/{path}`. One or more segments of lower-case
/// letters, digits, `-`, `_` and `.`, separated by `/` (e.g. `orders/incoming`). A path is
/// unique within its tenant; the URL names the tenant, so no tenant can learn, take or
/// receive another's.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, example = "orders/incoming")]
pub struct EndpointPath(String);

impl EndpointPath {
    /// Surrounding spaces and slashes are dropped (`/orders/` is `orders`).
    pub fn parse(s: &str) -> Result<Self, String> {
        let p = s.trim().trim_matches('/');
        let segment_ok = |seg: &str| {
            !seg.is_empty()
                && seg.len() <= 64
                && seg != "."
                && seg != ".."
                && seg
                    .bytes()
                    .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.'))
        };
        if !p.is_empty() && p.len() <= MAX_PATH_LEN && p.split('/').all(segment_ok) {
            Ok(Self(p.to_string()))
        } else {
            Err(format!(
                "invalid path {s:?}: use segments of lower-case letters, digits, '-', '_' and '.', separated \
                 by '/' (e.g. \"orders/incoming\"), at most {MAX_PATH_LEN} characters; \".\" and \"..\" are not segments"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl std::str::FromStr for EndpointPath {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for EndpointPath {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s)
    }
}

impl From<EndpointPath> for String {
    fn from(p: EndpointPath) -> String {
        p.0
    }
}

impl fmt::Debug for EndpointPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for EndpointPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A hosted endpoint as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Endpoint {
    pub id: EndpointId,
    pub tenant_id: TenantId,
    pub name: String,
    /// Served at `/e/{tenant}/{path}`.
    pub path: String,
    pub description: String,
    pub auth_type: AuthType,
    /// Whether `DELETE /e/{path}/{record_id}` is served (and a DELETE primary exists).
    pub allow_deleting: bool,
    /// A disabled endpoint refuses every request.
    pub enabled: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub created_by: Option<UserId>,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// A primary (`kwp_`) or secondary (`kws_`) endpoint token. Never its secret, only its hint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EndpointToken {
    pub id: EndpointTokenId,
    pub tenant_id: TenantId,
    /// `primary` or `secondary`.
    pub kind: TokenKind,
    /// A primary's endpoint; `None` for a secondary, which is assigned instead.
    pub endpoint_id: Option<EndpointId>,
    /// The one method a primary opens; `None` for a secondary.
    pub method: Option<EndpointMethod>,
    /// For a secondary: the application that uses it (the data viewer shows this name).
    pub name: String,
    pub description: String,
    pub hint: String,
    /// Switched on: a switched-off token is refused (`DISABLED`) on every endpoint.
    pub enabled: bool,
    /// In the default (active) listing; a deactivated secondary is also switched off.
    /// Primaries are always active. Absent (from an older server): active.
    #[serde(default = "active_by_default")]
    pub active: bool,
    /// Whether a sealed copy exists, so the secret can be revealed.
    pub recoverable: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub created_by: Option<UserId>,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// Its last successful check (written coalesced, within the flush interval); `None`
    /// when never used. Absent from an older server.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub last_used_at: Option<OffsetDateTime>,
    /// An application's token unused for the tenant's `flag_unused_after_days` while
    /// still active: see [`crate::rules::endpoint_token_unused_for`].
    #[serde(default)]
    pub stale: bool,
}

fn active_by_default() -> bool {
    true
}

/// An endpoint with its primary tokens (POST and GET under token authentication, and
/// DELETE while deleting is allowed).
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EndpointDetails {
    #[serde(flatten)]
    pub endpoint: Endpoint,
    pub primary_tokens: Vec<EndpointToken>,
}

/// A secondary token assigned to an endpoint, with the names a listing shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Assignment {
    pub endpoint_id: EndpointId,
    pub endpoint_name: String,
    pub endpoint_path: String,
    pub token_id: EndpointTokenId,
    /// The application's name.
    pub token_name: String,
    pub token_hint: String,
    /// Whether the token itself is enabled (it works nowhere while it is not).
    pub token_enabled: bool,
    /// Whether this assignment is switched on.
    pub enabled: bool,
    /// What the token may do on this endpoint: POST by default; GET and DELETE only
    /// when granted.
    pub methods: Vec<EndpointMethod>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// A secondary token with the endpoints it is assigned to.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EndpointTokenDetails {
    #[serde(flatten)]
    pub token: EndpointToken,
    pub assignments: Vec<Assignment>,
}

/// A JSON document received by an endpoint, and who sent it from where.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EndpointRecord {
    pub id: EndpointRecordId,
    pub endpoint_id: EndpointId,
    /// The token that sent it; `None` on an endpoint without authentication.
    pub token_id: Option<EndpointTokenId>,
    /// `primary` or `secondary`.
    pub token_kind: Option<TokenKind>,
    /// The application: the token's name now, or when it sent the record if it has
    /// been deleted since.
    pub token_name: Option<String>,
    pub method: EndpointMethod,
    pub ip: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
    /// The document as sent; `null` when it cannot be read back (see `unreadable`).
    #[schema(value_type = Object)]
    pub body: serde_json::Value,
    /// The stored text is not a JSON document keyward can read. Records are checked with
    /// the same parser when they are received, so only a record stored before that check
    /// can be unreadable; it is listed as such, and can be deleted, rather than breaking
    /// every listing of its endpoint.
    pub unreadable: bool,
}

/// How many records one token (application) sent in one time bucket.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RecordBucket {
    #[serde(with = "time::serde::rfc3339")]
    pub start: OffsetDateTime,
    /// `None`: records sent without a token (endpoint without authentication).
    pub token_id: Option<EndpointTokenId>,
    pub token_name: Option<String>,
    pub count: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_url_safe_segments() {
        assert_eq!(
            EndpointPath::parse(" /orders/incoming/ ").unwrap().as_str(),
            "orders/incoming"
        );
        assert!(EndpointPath::parse("v1.2/feed_a-b").is_ok());
        for bad in [
            "", "/", "Orders", "a//b", "a/../b", "..", "a b", "a?b", "a%2fb", "æ", "a/./b",
        ] {
            assert!(EndpointPath::parse(bad).is_err(), "{bad:?}");
        }
        assert!(EndpointPath::parse(&"a".repeat(65)).is_err());
        assert!(EndpointPath::parse(&vec!["a"; 101].join("/")).is_err());
    }

    #[test]
    fn delete_primary_exists_only_while_deleting_is_allowed() {
        use EndpointMethod::*;
        assert_eq!(primary_methods(AuthType::Token, false), [Post, Get]);
        assert_eq!(primary_methods(AuthType::Token, true), [Post, Get, Delete]);
        assert!(primary_methods(AuthType::None, true).is_empty());
    }

    #[test]
    fn method_sets_store_and_read_back() {
        use EndpointMethod::*;
        let s = MethodSet::of(&[Get, Post]);
        assert_eq!(s.to_stored(), "POST,GET");
        assert_eq!(MethodSet::from_stored("POST,GET"), Some(s));
        assert!(s.contains(Post) && s.contains(Get) && !s.contains(Delete));
        assert_eq!(MethodSet::DEFAULT.methods(), [Post]);
        assert_eq!(MethodSet::from_stored("POST,PUT"), None);
        assert!(MethodSet::from_stored("").unwrap().is_empty());
    }

    #[test]
    fn methods_parse_case_insensitively() {
        assert_eq!(
            EndpointMethod::parse("delete"),
            Some(EndpointMethod::Delete)
        );
        assert_eq!(EndpointMethod::parse("PUT"), None);
    }
}
