//! The answers of a valid check, built once and shared (SPEC §11): forward auth's
//! `X-Keyward-*` headers and the body of `POST /api/v1/verify`.
//!
//! Almost all of an answer is the owner's: the user, the membership, the permissions, the
//! tenant. That part is built once per cached [`Owner`] and kept in its
//! [`Memo`](keyward_core::verify::Memo), which every token of one membership shares, so a
//! million cached tokens do not carry a million copies of it. A check then adds the few
//! things that are the token's own (its id, kind and expiry) to shared bytes, instead of
//! formatting a dozen strings.
//!
//! The memo lives and dies with the cached owner: a change that alters the answer marks
//! the owner stale or drops the token (exact invalidation), the next check reads a new
//! one, and its answers are built anew.

use super::verify::verify_body;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue};
use axum::response::Response;
use keyward_core::model::Tenant;
use keyward_core::verify::{Owner, Subject, VerifyCode};
use keyward_core::TokenId;
use serde::Serialize;
use time::OffsetDateTime;

/// The owner's share of a valid check's answers, for one tenant name.
#[derive(Clone)]
struct Prepared {
    /// The tenant the headers name. Its name is part of them; a memo built for another
    /// name (the tenant renamed since) is not used.
    tenant: String,
    /// The headers of forward auth's 200, with the security headers and an empty token
    /// id for each check to fill in.
    forward: HeaderMap,
    /// The verify body up to the token's id, and its members from `tenant_id` to
    /// `permissions` (with their leading comma): the owner's, as serde writes them.
    verify_head: Vec<u8>,
    verify_owner: Vec<u8>,
}

const TOKEN_ID_HEADER: &str = "x-keyward-token-id";
/// What a `VerifyResponse` serialises to around its owner's members when its token's
/// members are null: the markers the owner's share is cut out between.
const TOKEN_MEMBERS: &str = "\"token_id\":null,\"kind\":null";
const EXPIRY_MEMBER: &str = ",\"expires_at\":null}";

impl Prepared {
    fn build(o: &Owner, tenant: &Tenant) -> Self {
        let mut forward = HeaderMap::with_capacity(17);
        let mut put = |name: &'static str, value: String| {
            // A value that is not a valid header (a control character in a name) is left
            // out rather than sent mangled.
            if let Ok(v) = HeaderValue::from_str(&value) {
                forward.insert(HeaderName::from_static(name), v);
            }
        };
        put("x-keyward-code", "VALID".into());
        put("x-keyward-user", o.username.clone());
        put("x-keyward-user-id", o.user_id.to_string());
        // The user qualified by the tenant: usernames are unique only within one.
        put(
            "x-keyward-principal",
            format!("{}/{}", tenant.name, o.username),
        );
        put("x-keyward-tenant", tenant.name.clone());
        put("x-keyward-tenant-id", o.tenant_id.to_string());
        put("x-keyward-department", o.department_id.to_string());
        put("x-keyward-user-type", o.user_type_id.to_string());
        put("x-keyward-permissions", permission_list(o));
        // The token's own header, replaced in place by each check, and the security
        // headers every answer carries: a check's copy then needs no room made in it.
        forward.insert(
            HeaderName::from_static(TOKEN_ID_HEADER),
            HeaderValue::from_static(""),
        );
        for (name, value) in crate::security_headers::DEFAULTS {
            forward.insert(name, HeaderValue::from_static(value));
        }
        // What axum would add to an empty body, after the map is full.
        forward.insert(header::CONTENT_LENGTH, HeaderValue::from_static("0"));
        // The body of a valid answer with the token's members null, cut around them.
        let whole =
            serde_json::to_string(&verify_body(VerifyCode::Valid, None, None, Some(o), None))
                .expect("a verify answer serialises");
        let at = whole
            .find(TOKEN_MEMBERS)
            .expect("a verify answer names its token first");
        let owner = whole[at + TOKEN_MEMBERS.len()..]
            .strip_suffix(EXPIRY_MEMBER)
            .expect("a verify answer ends with its expiry");
        Self {
            tenant: tenant.name.clone(),
            forward,
            verify_head: whole.as_bytes()[..at + "\"token_id\":".len()].to_vec(),
            verify_owner: owner.as_bytes().to_vec(),
        }
    }
}

/// The owner's prepared share for `tenant`: the one kept with it, or, when it was built
/// for another tenant name, a new one.
fn prepared<'a>(o: &'a Owner, tenant: &Tenant) -> std::borrow::Cow<'a, Prepared> {
    match o.memo.get_or_init(|| Prepared::build(o, tenant)) {
        Some(p) if p.tenant == tenant.name => std::borrow::Cow::Borrowed(p),
        _ => std::borrow::Cow::Owned(Prepared::build(o, tenant)),
    }
}

/// The headers of forward auth's 200 for `s`, a subject whose check was VALID for `tenant`.
pub(crate) fn forward_headers(s: &Subject, tenant: &Tenant) -> HeaderMap {
    let mut h = prepared(&s.owner, tenant).forward.clone();
    h.insert(
        HeaderName::from_static(TOKEN_ID_HEADER),
        id_value(s.token.id),
    );
    h
}

/// The body of verify's VALID answer for `s`, byte for byte what serde writes for it.
pub(crate) fn verify_json(s: &Subject, tenant: &Tenant) -> Vec<u8> {
    /// The expiry as the answer writes it.
    #[derive(Serialize)]
    struct Expiry(#[serde(with = "time::serde::rfc3339::option")] Option<OffsetDateTime>);
    fn json(out: &mut Vec<u8>, v: impl Serialize) {
        serde_json::to_writer(out, &v).expect("an answer's value serialises");
    }
    let p = prepared(&s.owner, tenant);
    let mut out = Vec::with_capacity(p.verify_head.len() + p.verify_owner.len() + 128);
    out.extend_from_slice(&p.verify_head);
    json(&mut out, s.token.id);
    out.extend_from_slice(b",\"kind\":");
    json(&mut out, s.token.kind);
    out.extend_from_slice(&p.verify_owner);
    out.extend_from_slice(b",\"expires_at\":");
    json(&mut out, Expiry(s.token.expires()));
    out.push(b'}');
    out
}

/// A JSON answer of 200 (a check's), made with room for each of its headers.
pub(crate) fn json_answer(body: Vec<u8>) -> Response {
    crate::security_headers::json_response(axum::http::StatusCode::OK, "application/json", body, 0)
}

fn id_value(id: TokenId) -> HeaderValue {
    let mut buf = [0u8; uuid::fmt::Hyphenated::LENGTH];
    let text = id.0.hyphenated().encode_lower(&mut buf);
    HeaderValue::from_str(text).expect("a UUID is a header value")
}

/// The permissions as forward auth sends them: space-separated.
pub(crate) fn permission_list(o: &Owner) -> String {
    o.permissions
        .iter()
        .map(|p| p.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyward_core::{Permission, TokenKind};

    fn tenant(name: &str) -> Tenant {
        Tenant {
            id: keyward_core::TenantId::new(),
            name: name.into(),
            created_at: OffsetDateTime::now_utc(),
        }
    }

    /// What serde writes for the answer, which the prepared one must equal byte for byte.
    fn serde_body(s: &Subject) -> Vec<u8> {
        let body = verify_body(
            VerifyCode::Valid,
            None,
            Some(&s.token),
            Some(&s.owner),
            None,
        );
        serde_json::to_vec(&body).unwrap()
    }

    fn text(v: Vec<u8>) -> String {
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn the_prepared_verify_body_is_what_serde_writes() {
        let t = tenant("acme");
        let mut s = Subject::example(OffsetDateTime::now_utc());
        assert_eq!(text(verify_json(&s, &t)), text(serde_body(&s)));
        // Another token of the same owner: its own id, kind and expiry, from the same memo.
        let mut other = s.clone();
        other.token.id = TokenId::new();
        other.token.kind = TokenKind::Mobile;
        other.token.expires_at = None;
        assert!(std::sync::Arc::ptr_eq(&s.owner, &other.owner));
        assert_eq!(text(verify_json(&other, &t)), text(serde_body(&other)));
        assert!(text(verify_json(&other, &t)).contains(&other.token.id.to_string()));
        // Names that JSON must escape, and more permissions, in a new owner.
        let o = s.owner_mut();
        o.username = "o\"brien\\ \u{e6}\u{f8}\u{e5} </script>".into();
        o.department_name = "Salg & service".into();
        o.permissions.push(Permission::parse("invoices:*").unwrap());
        assert_eq!(text(verify_json(&s, &t)), text(serde_body(&s)));
        let v: serde_json::Value = serde_json::from_slice(&verify_json(&s, &t)).unwrap();
        assert_eq!(v["user"]["username"], s.owner.username);
        assert_eq!(v["permissions"][1], "invoices:*");
    }

    #[test]
    fn forward_headers_name_the_token_and_its_owner() {
        let t = tenant("acme");
        let s = Subject::example(OffsetDateTime::now_utc());
        let mut other = s.clone();
        other.token.id = TokenId::new();
        let (a, b) = (forward_headers(&s, &t), forward_headers(&other, &t));
        assert_eq!(a["x-keyward-token-id"], s.token.id.to_string().as_str());
        assert_eq!(b["x-keyward-token-id"], other.token.id.to_string().as_str());
        for h in [
            "x-keyward-user",
            "x-keyward-principal",
            "x-keyward-permissions",
        ] {
            assert_eq!(a[h], b[h], "{h} is the owner's");
        }
        assert_eq!(a["x-keyward-principal"], "acme/svc");
        // The tenant renamed: the memo built for the old name is not used.
        let renamed = Tenant {
            name: "acme-eu".into(),
            ..t.clone()
        };
        assert_eq!(
            forward_headers(&s, &renamed)["x-keyward-principal"],
            "acme-eu/svc"
        );
        assert_eq!(
            text(verify_json(&s, &renamed)),
            text(serde_body(&s)),
            "the verify body does not name the tenant"
        );
    }
}
