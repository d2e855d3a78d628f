//! The answers of a valid check, built once per cached answer (SPEC §11): forward auth's
//! `X-Keyward-*` headers and the body of `POST /api/v1/verify`. A check of a token whose
//! answer is cached then costs a clone of shared bytes, not a dozen formatted strings.
//!
//! They are kept in the subject's [`Memo`](keyward_core::verify::Memo), which lives and
//! dies with the cached subject: a change that alters the answer drops the subject from
//! the cache (exact invalidation), the next check reads a new one, and its answers are
//! built anew. A subject changed in place is a clone, and a clone's memo starts empty.

use super::verify::verify_body;
use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use keyward_core::model::Tenant;
use keyward_core::verify::{Subject, VerifyCode};

#[derive(Clone)]
pub(crate) struct Prepared {
    /// The tenant the headers name. Its name is part of them; a memo built for another
    /// name (the tenant renamed since) is not used.
    tenant: String,
    /// The headers of forward auth's 200.
    pub forward: HeaderMap,
    /// The JSON body of verify's VALID answer.
    pub verify: Bytes,
}

impl Prepared {
    fn build(s: &Subject, tenant: &Tenant) -> Self {
        let mut forward = HeaderMap::with_capacity(10);
        let mut put = |name: &'static str, value: String| {
            // A value that is not a valid header (a control character in a name) is left
            // out rather than sent mangled.
            if let Ok(v) = HeaderValue::from_str(&value) {
                forward.insert(HeaderName::from_static(name), v);
            }
        };
        put("x-keyward-code", "VALID".into());
        put("x-keyward-user", s.username.clone());
        put("x-keyward-user-id", s.token.user_id.to_string());
        // The user qualified by the tenant: usernames are unique only within one.
        put(
            "x-keyward-principal",
            format!("{}/{}", tenant.name, s.username),
        );
        put("x-keyward-tenant", tenant.name.clone());
        put("x-keyward-tenant-id", s.token.tenant_id.to_string());
        put("x-keyward-department", s.token.department_id.to_string());
        put("x-keyward-user-type", s.token.user_type_id.to_string());
        put("x-keyward-token-id", s.token.id.to_string());
        put("x-keyward-permissions", permission_list(s));
        let verify = serde_json::to_vec(&verify_body(VerifyCode::Valid, None, Some(s), None))
            .expect("a verify answer serialises")
            .into();
        Self {
            tenant: tenant.name.clone(),
            forward,
            verify,
        }
    }
}

/// The prepared answers of `s`, a subject whose check was VALID for `tenant`: the ones
/// kept with it, or, when they were built for another tenant name, new ones.
pub(crate) fn answers<'a>(s: &'a Subject, tenant: &Tenant) -> std::borrow::Cow<'a, Prepared> {
    match s.memo.get_or_init(|| Prepared::build(s, tenant)) {
        Some(p) if p.tenant == tenant.name => std::borrow::Cow::Borrowed(p),
        _ => std::borrow::Cow::Owned(Prepared::build(s, tenant)),
    }
}

/// The permissions as forward auth sends them: space-separated.
pub(crate) fn permission_list(s: &Subject) -> String {
    s.permissions
        .iter()
        .map(|p| p.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}
