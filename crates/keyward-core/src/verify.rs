//! The one verification decision of SPEC §4. Given what storage (or the cache) knows about
//! a token, its owner and tenant, plus the request's context and the time, it answers with
//! a result code. A spent use counter is decided here; the rate limit and the taking of a
//! use need counters shared between requests, so the server applies them after a `VALID`
//! decision, with the same codes.

use crate::ids::*;
use crate::model::{in_period, TenantSettings, Token};
use crate::permission::{grants, Permission};
use crate::TokenKind;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use time::OffsetDateTime;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum VerifyCode {
    Valid,
    /// Unknown, deleted or malformed: keyward does not say which.
    NotFound,
    Expired,
    Revoked,
    Disabled,
    UserLocked,
    UserInactive,
    FeatureDisabled,
    /// A good token without the permission, department, endpoint or method asked for.
    Forbidden,
    IpNotAllowed,
    RateLimited,
    UsageExceeded,
}

impl VerifyCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Valid => "VALID",
            Self::NotFound => "NOT_FOUND",
            Self::Expired => "EXPIRED",
            Self::Revoked => "REVOKED",
            Self::Disabled => "DISABLED",
            Self::UserLocked => "USER_LOCKED",
            Self::UserInactive => "USER_INACTIVE",
            Self::FeatureDisabled => "FEATURE_DISABLED",
            Self::Forbidden => "FORBIDDEN",
            Self::IpNotAllowed => "IP_NOT_ALLOWED",
            Self::RateLimited => "RATE_LIMITED",
            Self::UsageExceeded => "USAGE_EXCEEDED",
        }
    }

    /// A sentence for the integrator at 2 a.m. who got a 401 and wants to know why.
    pub fn explain(self) -> &'static str {
        match self {
            Self::Valid => "the token is valid",
            Self::NotFound => {
                "no such token: it is malformed, mistyped, deleted, or was replaced by regeneration"
            }
            Self::Expired => "the token has passed its expiry date",
            Self::Revoked => "the token was revoked by an administrator",
            Self::Disabled => "the token is disabled; an administrator can enable it again",
            Self::UserLocked => "the token's user is locked",
            Self::UserInactive => "the token's user is outside their employment period",
            Self::FeatureDisabled => "API tokens are switched off for this tenant",
            Self::Forbidden => {
                "the token is valid but lacks the permission, department or method asked for"
            }
            Self::IpNotAllowed => "the token may not be used from this IP address",
            Self::RateLimited => "the token has exceeded its rate limit; retry later",
            Self::UsageExceeded => "the token has no uses left",
        }
    }
}

/// Everything the decision needs to know about a stored token, gathered in one read.
#[derive(Clone, Debug)]
pub struct Subject {
    pub token: Token,
    pub username: String,
    pub user_is_admin: bool,
    pub user_locked: bool,
    pub user_active_from: Option<OffsetDateTime>,
    pub user_active_until: Option<OffsetDateTime>,
    pub department_name: String,
    pub user_type_name: String,
    pub permissions: Vec<Permission>,
    /// Whether the user still holds the token's (department, user type) membership.
    pub membership_held: bool,
    pub settings: TenantSettings,
    /// Set when the presented secret is a previous one, kept only for a grace period.
    pub secret_valid_until: Option<OffsetDateTime>,
}

/// What the caller asks about the token, besides "is it good".
#[derive(Clone, Debug, Default)]
pub struct VerifyContext<'a> {
    pub permission: Option<&'a str>,
    pub department_id: Option<DepartmentId>,
    pub ip: Option<IpAddr>,
    /// The token is presented to the administrator API: it must be an API token of an
    /// administrator whose user type grants [`ADMIN_PERMISSION`].
    pub admin: bool,
}

/// The permission a token's user type must grant to use the administrator API, so that
/// an administrator's narrow integration token does not carry the whole admin API.
pub const ADMIN_PERMISSION: &str = "keyward:admin";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    pub code: VerifyCode,
}

impl Decision {
    pub fn is_valid(&self) -> bool {
        self.code == VerifyCode::Valid
    }
}

/// The decision. Checks run from the token itself outwards (its own state, then its
/// owner, then the tenant, then the request), so the code names the most specific cause.
pub fn decide(s: &Subject, ctx: &VerifyContext<'_>, now: OffsetDateTime) -> Decision {
    let code = decide_code(s, ctx, now);
    Decision { code }
}

fn decide_code(s: &Subject, ctx: &VerifyContext<'_>, now: OffsetDateTime) -> VerifyCode {
    let t = &s.token;
    if s.secret_valid_until.is_some_and(|u| u <= now) {
        // An old secret past its grace period is simply not a token any more.
        return VerifyCode::NotFound;
    }
    if t.revoked_at.is_some() {
        return VerifyCode::Revoked;
    }
    if t.expires_at.is_some_and(|e| e <= now) {
        return VerifyCode::Expired;
    }
    if !t.enabled {
        return VerifyCode::Disabled;
    }
    if t.kind == TokenKind::Api && !s.settings.api_tokens_enabled {
        return VerifyCode::FeatureDisabled;
    }
    if s.user_locked {
        return VerifyCode::UserLocked;
    }
    if !in_period(s.user_active_from, s.user_active_until, now) {
        return VerifyCode::UserInactive;
    }
    if !t.allowed_cidrs.is_empty() {
        let allowed = ctx
            .ip
            .is_some_and(|ip| t.allowed_cidrs.iter().any(|n| n.contains(&ip)));
        if !allowed {
            return VerifyCode::IpNotAllowed;
        }
    }
    if t.uses_remaining.is_some_and(|n| n <= 0) {
        return VerifyCode::UsageExceeded;
    }
    if !s.membership_held {
        return VerifyCode::Forbidden;
    }
    if ctx.department_id.is_some_and(|d| d != t.department_id) {
        return VerifyCode::Forbidden;
    }
    if ctx.permission.is_some_and(|p| !grants(&s.permissions, p)) {
        return VerifyCode::Forbidden;
    }
    if ctx.admin
        && (t.kind != TokenKind::Api
            || !s.user_is_admin
            || !grants(&s.permissions, ADMIN_PERMISSION))
    {
        return VerifyCode::Forbidden;
    }
    VerifyCode::Valid
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;
    use time::Duration;

    const NOW: OffsetDateTime = datetime!(2026-03-01 9:00 UTC);

    fn subject() -> Subject {
        Subject {
            token: Token {
                id: TokenId::new(),
                tenant_id: TenantId::new(),
                kind: TokenKind::Api,
                name: "erp".into(),
                description: String::new(),
                hint: "kwa_abcd…wxyz".into(),
                user_id: UserId::new(),
                department_id: DepartmentId::new(),
                user_type_id: UserTypeId::new(),
                enabled: true,
                recoverable: false,
                allowed_cidrs: vec![],
                created_at: NOW,
                created_by: None,
                expires_at: Some(NOW + Duration::days(30)),
                revoked_at: None,
                revoked_by: None,
                last_used_at: None,
                rate_limit: None,
                uses_remaining: None,
            },
            username: "svc".into(),
            user_is_admin: false,
            user_locked: false,
            user_active_from: None,
            user_active_until: None,
            department_name: "A".into(),
            user_type_name: "reader".into(),
            permissions: vec![Permission::parse("orders:read").unwrap()],
            membership_held: true,
            settings: TenantSettings::default(),
            secret_valid_until: None,
        }
    }

    fn code(s: &Subject, ctx: &VerifyContext<'_>) -> VerifyCode {
        decide(s, ctx, NOW).code
    }

    #[test]
    fn each_state_has_its_code() {
        let none = VerifyContext::default();
        let s = subject();
        assert_eq!(code(&s, &none), VerifyCode::Valid);

        let mut t = subject();
        t.token.revoked_at = Some(NOW);
        assert_eq!(code(&t, &none), VerifyCode::Revoked);

        let mut t = subject();
        t.token.expires_at = Some(NOW);
        assert_eq!(code(&t, &none), VerifyCode::Expired);

        let mut t = subject();
        t.token.enabled = false;
        assert_eq!(code(&t, &none), VerifyCode::Disabled);

        let mut t = subject();
        t.settings.api_tokens_enabled = false;
        assert_eq!(code(&t, &none), VerifyCode::FeatureDisabled);
        t.token.kind = TokenKind::Mobile;
        assert_eq!(
            code(&t, &none),
            VerifyCode::Valid,
            "mobile sessions ignore the API token flag"
        );

        let mut t = subject();
        t.user_locked = true;
        assert_eq!(code(&t, &none), VerifyCode::UserLocked);

        let mut t = subject();
        t.user_active_until = Some(NOW - Duration::days(1));
        assert_eq!(code(&t, &none), VerifyCode::UserInactive);

        let mut t = subject();
        t.membership_held = false;
        assert_eq!(code(&t, &none), VerifyCode::Forbidden);

        let mut t = subject();
        t.token.uses_remaining = Some(0);
        assert_eq!(code(&t, &none), VerifyCode::UsageExceeded);
        t.token.uses_remaining = Some(1);
        assert_eq!(code(&t, &none), VerifyCode::Valid);
    }

    #[test]
    fn permission_and_department_are_checked_against_the_token() {
        let s = subject();
        let ok = VerifyContext {
            permission: Some("orders:read"),
            department_id: Some(s.token.department_id),
            ip: None,
            admin: false,
        };
        assert_eq!(code(&s, &ok), VerifyCode::Valid);
        let perm = VerifyContext {
            permission: Some("users:write"),
            ..Default::default()
        };
        assert_eq!(code(&s, &perm), VerifyCode::Forbidden);
        let dept = VerifyContext {
            department_id: Some(DepartmentId::new()),
            ..Default::default()
        };
        assert_eq!(code(&s, &dept), VerifyCode::Forbidden);
    }

    #[test]
    fn admin_use_needs_an_administrators_api_token_granting_keyward_admin() {
        let admin = VerifyContext {
            admin: true,
            ..Default::default()
        };
        let mut s = subject();
        assert_eq!(
            code(&s, &admin),
            VerifyCode::Forbidden,
            "not an administrator"
        );
        s.user_is_admin = true;
        assert_eq!(
            code(&s, &admin),
            VerifyCode::Forbidden,
            "user type lacks keyward:admin"
        );
        s.permissions
            .push(Permission::parse("keyward:admin").unwrap());
        assert_eq!(code(&s, &admin), VerifyCode::Valid);
        s.token.kind = TokenKind::Mobile;
        assert_eq!(
            code(&s, &admin),
            VerifyCode::Forbidden,
            "sessions do not administer"
        );
    }

    #[test]
    fn ip_allowlist_refuses_other_addresses_and_unknown_ones() {
        let mut s = subject();
        s.token.allowed_cidrs = vec!["10.0.0.0/8".parse().unwrap()];
        let inside = VerifyContext {
            ip: Some("10.1.2.3".parse().unwrap()),
            ..Default::default()
        };
        let outside = VerifyContext {
            ip: Some("192.0.2.1".parse().unwrap()),
            ..Default::default()
        };
        assert_eq!(code(&s, &inside), VerifyCode::Valid);
        assert_eq!(code(&s, &outside), VerifyCode::IpNotAllowed);
        assert_eq!(
            code(&s, &VerifyContext::default()),
            VerifyCode::IpNotAllowed
        );
    }

    #[test]
    fn old_secret_works_only_during_grace() {
        let mut s = subject();
        s.secret_valid_until = Some(NOW + Duration::seconds(10));
        assert_eq!(code(&s, &VerifyContext::default()), VerifyCode::Valid);
        s.secret_valid_until = Some(NOW);
        assert_eq!(code(&s, &VerifyContext::default()), VerifyCode::NotFound);
    }
}
