//! The one verification decision of SPEC §4. Given what storage (or the cache) knows about
//! a token, its owner and tenant, plus the request's context and the time, it answers with
//! a result code. A spent use counter is decided here; the rate limit and the taking of a
//! use need counters shared between requests, so the server applies them after a `VALID`
//! decision, with the same codes.
//!
//! Endpoint tokens (`kwp_`, `kws_`) have no owner, so they have their own subject and
//! [`decide_endpoint_token`]; it shares the token's own-state checks with [`decide`]. A
//! request to a hosted endpoint is decided in two steps: [`endpoint_gate`] (the endpoint
//! alone: enabled, method allowed, authentication type), then, when a token is needed,
//! the presented token's decision with the endpoint in its [`VerifyContext`].

use crate::endpoint::{AuthType, Endpoint, EndpointMethod, EndpointToken, MethodSet};
use crate::ids::*;
use crate::model::{in_period, RateLimit, TenantSettings};
use crate::permission::{grants, Permission};
use crate::TokenKind;
use std::net::IpAddr;
use time::OffsetDateTime;

pub use crate::code::VerifyCode;

/// Everything the decision needs to know about a stored API token or mobile session,
/// gathered in one read: the token's own state, and its owner's.
///
/// The verifier keeps one of these per cached token, so it holds only what a check
/// needs: the token's names, description and bookkeeping stay in storage, and the owner
/// is shared (one [`Owner`] for every token of one membership).
///
/// A cached one is 48 bytes (64 with its `Arc`'s counters, a size class of its own):
/// what few tokens carry (limits, a previous secret's grace) is behind one pointer, and
/// times are kept to the millisecond or second.
#[derive(Clone, Debug)]
pub struct Subject {
    pub token: TokenState,
    pub owner: std::sync::Arc<Owner>,
}

impl Subject {
    /// Set when the presented secret is a previous one, kept only for a grace period.
    pub fn secret_valid_until(&self) -> Option<OffsetDateTime> {
        self.token
            .limits
            .as_ref()
            .and_then(|l| l.secret_valid_until)
    }

    pub fn set_secret_valid_until(&mut self, until: Option<OffsetDateTime>) {
        let mut rare = self
            .token
            .limits
            .take()
            .map_or_else(Limits::default, |b| *b);
        rare.secret_valid_until = until;
        self.token.limits = rare.boxed();
    }
}

/// A point in time to the millisecond, in 8 bytes where an `OffsetDateTime` takes 16,
/// and as an `Option` in 8 as well: what storage keeps of a token's expiry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Moment(std::num::NonZeroI64);

impl Moment {
    /// `t` to the millisecond. The epoch's own millisecond is kept as the next one (the
    /// one value the compact form cannot hold, and no expiry anyone sets).
    pub fn of(t: OffsetDateTime) -> Self {
        let ms = i64::try_from(t.unix_timestamp_nanos().div_euclid(1_000_000)).unwrap_or(i64::MAX);
        let one = std::num::NonZeroI64::new(1).expect("1 is not 0");
        Self(std::num::NonZeroI64::new(ms).unwrap_or(one))
    }

    pub fn time(self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.0.get()) * 1_000_000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    pub fn unix_timestamp(self) -> i64 {
        self.0.get().div_euclid(1000)
    }
}

/// What a check needs of a token's own record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenState {
    pub id: TokenId,
    pub kind: TokenKind,
    pub enabled: bool,
    pub revoked: bool,
    pub expires_at: Option<Moment>,
    /// When the token was created, in seconds since the epoch (until 2106): introspection's
    /// `iat`, all a check needs of it, in 4 bytes.
    pub created_unix: u32,
    /// What most tokens leave unset, behind one pointer that is null for them.
    pub limits: Option<Box<Limits>>,
}

/// The limits a token may carry (see [`TokenState::limits`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Limits {
    /// CIDRs the token may be used from; empty means anywhere.
    pub allowed_cidrs: Box<[ipnet::IpNet]>,
    pub rate_limit: Option<RateLimit>,
    /// Successful checks left; `None` means unlimited.
    pub uses_remaining: Option<i64>,
    /// The end of a previous secret's grace period, in the answer for that secret (see
    /// [`Subject::secret_valid_until`]).
    pub secret_valid_until: Option<OffsetDateTime>,
}

impl Limits {
    /// What a token keeps of these limits: nothing when none is set.
    pub fn boxed(self) -> Option<Box<Limits>> {
        (self != Limits::default()).then(|| Box::new(self))
    }
}

impl TokenState {
    /// When the token expires; `None` means never.
    pub fn expires(&self) -> Option<OffsetDateTime> {
        self.expires_at.map(Moment::time)
    }

    /// CIDRs the token may be used from; empty means anywhere.
    pub fn allowed_cidrs(&self) -> &[ipnet::IpNet] {
        self.limits.as_ref().map_or(&[], |l| &l.allowed_cidrs)
    }

    pub fn rate_limit(&self) -> Option<RateLimit> {
        self.limits.as_ref().and_then(|l| l.rate_limit)
    }

    /// Successful checks left; `None` means unlimited.
    pub fn uses_remaining(&self) -> Option<i64> {
        self.limits.as_ref().and_then(|l| l.uses_remaining)
    }

    /// The limits, to change (made empty when there were none).
    pub fn limits_mut(&mut self) -> &mut Limits {
        self.limits.get_or_insert_with(Default::default)
    }
}

/// A token's owner as a check sees it: the user, the membership (department and user
/// type) the token was issued for, and the tenant's settings. Every token of one
/// membership has an equal owner, so a cache can keep one copy for all of them
/// (equality and hashing look at the data, not at [`Owner::memo`] or [`Owner::stale`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Owner {
    pub tenant_id: TenantId,
    pub user_id: UserId,
    pub department_id: DepartmentId,
    pub user_type_id: UserTypeId,
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
    /// What the HTTP layer builds from this owner once (the shared part of a valid
    /// check's answers).
    pub memo: Memo,
    /// Set by a cache when a change made this owner stale: every cached answer that
    /// holds it is stale with it.
    pub stale: Flag,
}

/// A value derived from a subject by a layer above the decision, built at most once per
/// value: the HTTP layer keeps a valid check's prepared answers here, so they live
/// exactly as long as the cached value they were built from.
///
/// A clone starts empty, so that a value changed after cloning never carries what was
/// derived from the old one; equality and hashing ignore it.
#[derive(Default)]
pub struct Memo(std::sync::OnceLock<Box<dyn std::any::Any + Send + Sync>>);

impl Memo {
    /// The value kept here, built by `make` on the first call; `None` if a value of
    /// another type was kept first.
    pub fn get_or_init<T: std::any::Any + Send + Sync>(
        &self,
        make: impl FnOnce() -> T,
    ) -> Option<&T> {
        self.0.get_or_init(|| Box::new(make())).downcast_ref()
    }
}

/// A mark a cache sets on a shared value; a clone starts unset, and equality and
/// hashing ignore it.
#[derive(Default, Debug)]
pub struct Flag(std::sync::atomic::AtomicBool);

impl Flag {
    pub fn set(&self) {
        self.0.store(true, std::sync::atomic::Ordering::Release);
    }
    pub fn is_set(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::Acquire)
    }
}

/// Derived data, not part of the value: equal and hashed alike whatever they hold.
macro_rules! derived {
    ($t:ty) => {
        impl Clone for $t {
            fn clone(&self) -> Self {
                Self::default()
            }
        }
        impl PartialEq for $t {
            fn eq(&self, _: &Self) -> bool {
                true
            }
        }
        impl Eq for $t {}
        impl std::hash::Hash for $t {
            fn hash<H: std::hash::Hasher>(&self, _: &mut H) {}
        }
    };
}
derived!(Memo);
derived!(Flag);

impl std::fmt::Debug for Memo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.get().is_some() {
            "Memo(built)"
        } else {
            "Memo(empty)"
        })
    }
}

/// A plain API token's subject for tests and benchmarks (of this crate and of others):
/// fresh ids, valid at `now` for 30 days, permission `orders:read`.
impl Subject {
    #[doc(hidden)]
    pub fn example(now: OffsetDateTime) -> Self {
        Self {
            token: TokenState {
                id: TokenId::new(),
                kind: TokenKind::Api,
                enabled: true,
                revoked: false,
                expires_at: Some(Moment::of(now + time::Duration::days(30))),
                created_unix: u32::try_from(now.unix_timestamp()).unwrap_or(0),
                limits: None,
            },
            owner: std::sync::Arc::new(Owner {
                tenant_id: TenantId::new(),
                user_id: UserId::new(),
                department_id: DepartmentId::new(),
                user_type_id: UserTypeId::new(),
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
                memo: Memo::default(),
                stale: Flag::default(),
            }),
        }
    }

    /// The owner, to change in a test (a copy when it is shared).
    #[doc(hidden)]
    pub fn owner_mut(&mut self) -> &mut Owner {
        std::sync::Arc::make_mut(&mut self.owner)
    }
}

/// What the caller asks about the token, besides "is it good".
#[derive(Clone, Debug, Default)]
pub struct VerifyContext<'a> {
    /// The tenant the check is made for (SPEC §4): a token of any other tenant is
    /// `NOT_FOUND`, exactly as a token that does not exist. `None` only where the
    /// presented credential itself decides whose data is acted on (the administrator API,
    /// a mobile logout); every verification route sets it.
    pub tenant: Option<TenantId>,
    pub permission: Option<&'a str>,
    pub department_id: Option<DepartmentId>,
    pub ip: Option<IpAddr>,
    /// The token is presented to the administrator API: it must be an API token of an
    /// administrator whose user type grants [`ADMIN_PERMISSION`].
    pub admin: bool,
    /// The token is presented to a hosted endpoint (`/e/{path}`) for this method.
    pub endpoint: Option<EndpointTarget<'a>>,
}

/// A request to a hosted endpoint: which endpoint, with which method.
#[derive(Clone, Copy, Debug)]
pub struct EndpointTarget<'a> {
    pub endpoint: &'a Endpoint,
    pub method: EndpointMethod,
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
    let (t, o) = (&s.token, &*s.owner);
    if !for_tenant(ctx, o.tenant_id) {
        return VerifyCode::NotFound;
    }
    if let Some(code) = own_state(
        s.secret_valid_until(),
        t.revoked,
        t.expires(),
        t.enabled,
        now,
    ) {
        return code;
    }
    if t.kind == TokenKind::Api && !o.settings.api_tokens_enabled {
        return VerifyCode::FeatureDisabled;
    }
    if o.user_locked {
        return VerifyCode::UserLocked;
    }
    if !in_period(o.user_active_from, o.user_active_until, now) {
        return VerifyCode::UserInactive;
    }
    let cidrs = t.allowed_cidrs();
    if !cidrs.is_empty() {
        let allowed = ctx
            .ip
            .is_some_and(|ip| cidrs.iter().any(|n| n.contains(&ip)));
        if !allowed {
            return VerifyCode::IpNotAllowed;
        }
    }
    if t.uses_remaining().is_some_and(|n| n <= 0) {
        return VerifyCode::UsageExceeded;
    }
    if !o.membership_held {
        return VerifyCode::Forbidden;
    }
    if ctx.department_id.is_some_and(|d| d != o.department_id) {
        return VerifyCode::Forbidden;
    }
    if ctx.permission.is_some_and(|p| !grants(&o.permissions, p)) {
        return VerifyCode::Forbidden;
    }
    if ctx.admin
        && (t.kind != TokenKind::Api
            || !o.user_is_admin
            || !grants(&o.permissions, ADMIN_PERMISSION))
    {
        return VerifyCode::Forbidden;
    }
    if ctx.endpoint.is_some() {
        // API tokens and sessions open no hosted endpoint: those take endpoint tokens.
        return VerifyCode::Forbidden;
    }
    VerifyCode::Valid
}

/// What a check of this token would answer now: asked by its own tenant, for no
/// particular permission or department, from an address its allowlist admits. This is
/// the token's standing as an administrator reads it in listings ("Refused: owner
/// locked"): the one decision above, so a listing can never say more than a check does.
/// The rate limit, which depends on recent traffic, is not part of it.
pub fn standing(s: &Subject, now: OffsetDateTime) -> VerifyCode {
    let ctx = VerifyContext {
        tenant: Some(s.owner.tenant_id),
        ip: s.token.allowed_cidrs().first().map(|n| n.network()),
        ..Default::default()
    };
    decide(s, &ctx, now).code
}

/// Whether a token of `tenant` can answer this check at all. Checked before anything
/// else, so another tenant's token reveals nothing, not even that it is revoked.
fn for_tenant(ctx: &VerifyContext<'_>, tenant: TenantId) -> bool {
    ctx.tenant.is_none_or(|t| t == tenant)
}

/// The token's own state, checked first and in this order for every kind of token.
fn own_state(
    secret_valid_until: Option<OffsetDateTime>,
    revoked: bool,
    expires_at: Option<OffsetDateTime>,
    enabled: bool,
    now: OffsetDateTime,
) -> Option<VerifyCode> {
    if secret_valid_until.is_some_and(|u| u <= now) {
        // An old secret past its grace period is simply not a token any more.
        return Some(VerifyCode::NotFound);
    }
    if revoked {
        return Some(VerifyCode::Revoked);
    }
    if expires_at.is_some_and(|e| e <= now) {
        return Some(VerifyCode::Expired);
    }
    if !enabled {
        return Some(VerifyCode::Disabled);
    }
    None
}

/// Everything the decision needs to know about a stored endpoint token, in one read.
#[derive(Clone, Debug)]
pub struct EndpointSubject {
    pub token: EndpointToken,
    /// For a secondary token: the endpoints it is assigned to, whether each assignment
    /// is switched on, and the methods it allows. Empty for a primary.
    pub assignments: Vec<Grant>,
    /// Set when the presented secret is a previous one, kept only for a grace period.
    pub secret_valid_until: Option<OffsetDateTime>,
}

/// One assignment of a secondary token, as the decision needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Grant {
    pub endpoint_id: EndpointId,
    pub enabled: bool,
    pub methods: MethodSet,
}

/// What an endpoint asks of a request before any token is looked at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndpointAccess {
    /// Authentication type `none`: anyone may call it.
    Open,
    /// A primary token for the method, or an assigned secondary token.
    TokenRequired,
}

/// A request refused by the endpoint itself, whoever sends it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EndpointRefusal {
    pub code: VerifyCode,
    pub reason: &'static str,
}

/// The first step for a request to a hosted endpoint: a disabled endpoint refuses
/// everything, and one that does not allow deleting refuses DELETE (rule 6).
pub fn endpoint_gate(target: &EndpointTarget<'_>) -> Result<EndpointAccess, EndpointRefusal> {
    let e = target.endpoint;
    if !e.enabled {
        return Err(EndpointRefusal {
            code: VerifyCode::Disabled,
            reason: "the endpoint is disabled; an administrator can enable it again",
        });
    }
    if target.method == EndpointMethod::Delete && !e.allow_deleting {
        return Err(EndpointRefusal {
            code: VerifyCode::Forbidden,
            reason: "this endpoint does not allow deleting records (allow_deleting is off)",
        });
    }
    Ok(match e.auth_type {
        AuthType::None => EndpointAccess::Open,
        AuthType::Token => EndpointAccess::TokenRequired,
    })
}

/// The decision for an endpoint token. A primary opens one method of its own endpoint; a
/// secondary opens every method its endpoint serves while the token is enabled, assigned
/// to the endpoint, and that assignment is switched on (rule 7). Endpoint tokens carry
/// no permission, department or administrator rights, and open nothing but endpoints.
pub fn decide_endpoint_token(
    s: &EndpointSubject,
    ctx: &VerifyContext<'_>,
    now: OffsetDateTime,
) -> Decision {
    Decision {
        code: decide_endpoint_token_code(s, ctx, now),
    }
}

fn decide_endpoint_token_code(
    s: &EndpointSubject,
    ctx: &VerifyContext<'_>,
    now: OffsetDateTime,
) -> VerifyCode {
    let t = &s.token;
    if !for_tenant(ctx, t.tenant_id) {
        return VerifyCode::NotFound;
    }
    if let Some(code) = own_state(s.secret_valid_until, false, None, t.enabled, now) {
        return code;
    }
    if ctx.admin || ctx.permission.is_some() || ctx.department_id.is_some() {
        return VerifyCode::Forbidden;
    }
    let Some(target) = ctx.endpoint else {
        return VerifyCode::Forbidden;
    };
    if let Err(refusal) = endpoint_gate(&target) {
        return refusal.code;
    }
    let e = target.endpoint;
    if t.tenant_id != e.tenant_id {
        return VerifyCode::Forbidden;
    }
    match t.kind {
        TokenKind::Primary if t.endpoint_id == Some(e.id) && t.method == Some(target.method) => {
            VerifyCode::Valid
        }
        TokenKind::Secondary => match s.assignments.iter().find(|g| g.endpoint_id == e.id) {
            // This application's link to the endpoint is switched off; others still work.
            Some(g) if !g.enabled => VerifyCode::Disabled,
            Some(g) if g.methods.contains(target.method) => VerifyCode::Valid,
            // Assigned, but not for this method (new assignments allow POST only).
            Some(_) | None => VerifyCode::Forbidden,
        },
        _ => VerifyCode::Forbidden,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;
    use time::Duration;

    const NOW: OffsetDateTime = datetime!(2026-03-01 9:00 UTC);

    fn code(s: &Subject, ctx: &VerifyContext<'_>) -> VerifyCode {
        decide(s, ctx, NOW).code
    }

    #[test]
    fn each_state_has_its_code() {
        let none = VerifyContext::default();
        let s = Subject::example(NOW);
        assert_eq!(code(&s, &none), VerifyCode::Valid);

        let mut t = Subject::example(NOW);
        t.token.revoked = true;
        assert_eq!(code(&t, &none), VerifyCode::Revoked);

        let mut t = Subject::example(NOW);
        t.token.expires_at = Some(Moment::of(NOW));
        assert_eq!(code(&t, &none), VerifyCode::Expired);

        let mut t = Subject::example(NOW);
        t.token.enabled = false;
        assert_eq!(code(&t, &none), VerifyCode::Disabled);

        let mut t = Subject::example(NOW);
        t.owner_mut().settings.api_tokens_enabled = false;
        assert_eq!(code(&t, &none), VerifyCode::FeatureDisabled);
        t.token.kind = TokenKind::Mobile;
        assert_eq!(
            code(&t, &none),
            VerifyCode::Valid,
            "mobile sessions ignore the API token flag"
        );

        let mut t = Subject::example(NOW);
        t.owner_mut().user_locked = true;
        assert_eq!(code(&t, &none), VerifyCode::UserLocked);

        let mut t = Subject::example(NOW);
        t.owner_mut().user_active_until = Some(NOW - Duration::days(1));
        assert_eq!(code(&t, &none), VerifyCode::UserInactive);

        let mut t = Subject::example(NOW);
        t.owner_mut().membership_held = false;
        assert_eq!(code(&t, &none), VerifyCode::Forbidden);

        let mut t = Subject::example(NOW);
        t.token.limits_mut().uses_remaining = Some(0);
        assert_eq!(code(&t, &none), VerifyCode::UsageExceeded);
        t.token.limits_mut().uses_remaining = Some(1);
        assert_eq!(code(&t, &none), VerifyCode::Valid);
    }

    #[test]
    fn standing_is_what_a_plain_check_from_an_allowed_address_answers() {
        let s = Subject::example(NOW);
        assert_eq!(standing(&s, NOW), VerifyCode::Valid);
        let mut t = Subject::example(NOW);
        t.owner_mut().user_locked = true;
        assert_eq!(standing(&t, NOW), VerifyCode::UserLocked);
        let mut t = Subject::example(NOW);
        t.owner_mut().membership_held = false;
        assert_eq!(standing(&t, NOW), VerifyCode::Forbidden);
        let mut t = Subject::example(NOW);
        t.owner_mut().user_active_from = Some(NOW + Duration::days(1));
        assert_eq!(standing(&t, NOW), VerifyCode::UserInactive);
        // An allowlist limits where the token works, not whether it does.
        let mut t = Subject::example(NOW);
        t.token.limits_mut().allowed_cidrs = Box::new(["10.1.0.0/16".parse().unwrap()]);
        assert_eq!(standing(&t, NOW), VerifyCode::Valid);
        t.token.expires_at = Some(Moment::of(NOW));
        assert_eq!(standing(&t, NOW), VerifyCode::Expired);
    }

    #[test]
    fn permission_and_department_are_checked_against_the_token() {
        let s = Subject::example(NOW);
        let ok = VerifyContext {
            tenant: Some(s.owner.tenant_id),
            permission: Some("orders:read"),
            department_id: Some(s.owner.department_id),
            ip: None,
            admin: false,
            endpoint: None,
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
        let mut s = Subject::example(NOW);
        assert_eq!(
            code(&s, &admin),
            VerifyCode::Forbidden,
            "not an administrator"
        );
        s.owner_mut().user_is_admin = true;
        assert_eq!(
            code(&s, &admin),
            VerifyCode::Forbidden,
            "user type lacks keyward:admin"
        );
        s.owner_mut()
            .permissions
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
        let mut s = Subject::example(NOW);
        s.token.limits_mut().allowed_cidrs = Box::new(["10.0.0.0/8".parse().unwrap()]);
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

    /// A token's expiry is kept to the millisecond, earlier rather than later, in order.
    #[test]
    fn a_moment_keeps_a_time_to_the_millisecond() {
        let t = NOW + Duration::nanoseconds(1_234_567);
        assert_eq!(Moment::of(t).time(), NOW + Duration::milliseconds(1));
        assert!(Moment::of(t).time() <= t);
        assert_eq!(Moment::of(NOW).unix_timestamp(), NOW.unix_timestamp());
        assert!(Moment::of(NOW) < Moment::of(NOW + Duration::milliseconds(1)));
        let before = OffsetDateTime::UNIX_EPOCH - Duration::milliseconds(5);
        assert_eq!(Moment::of(before).time(), before);
        assert!(Moment::of(before) < Moment::of(OffsetDateTime::UNIX_EPOCH));
        assert_eq!(std::mem::size_of::<Option<Moment>>(), 8);
        // A previous secret's grace end is kept beside the limits, and goes with them.
        let mut s = Subject::example(NOW);
        s.set_secret_valid_until(Some(NOW));
        assert_eq!(s.secret_valid_until(), Some(NOW));
        s.set_secret_valid_until(None);
        assert!(s.token.limits.is_none(), "nothing left to keep");
    }

    #[test]
    fn old_secret_works_only_during_grace() {
        let mut s = Subject::example(NOW);
        s.set_secret_valid_until(Some(NOW + Duration::seconds(10)));
        assert_eq!(code(&s, &VerifyContext::default()), VerifyCode::Valid);
        s.set_secret_valid_until(Some(NOW));
        assert_eq!(code(&s, &VerifyContext::default()), VerifyCode::NotFound);
    }

    #[test]
    fn token_of_another_tenant_is_not_found_whatever_its_state() {
        let s = Subject::example(NOW);
        let ours = VerifyContext {
            tenant: Some(s.owner.tenant_id),
            permission: Some("orders:read"),
            ..Default::default()
        };
        assert_eq!(code(&s, &ours), VerifyCode::Valid);
        let theirs = VerifyContext {
            tenant: Some(TenantId::new()),
            permission: Some("orders:read"),
            ..Default::default()
        };
        assert_eq!(code(&s, &theirs), VerifyCode::NotFound);
        // Nothing of the token's state shows through for another tenant.
        let mut revoked = Subject::example(NOW);
        revoked.token.revoked = true;
        revoked.owner_mut().user_locked = true;
        assert_eq!(code(&revoked, &theirs), VerifyCode::NotFound);
    }

    mod endpoints {
        use super::*;
        use crate::endpoint::{AuthType, Endpoint, EndpointMethod, EndpointToken, MethodSet};

        fn endpoint(tenant: TenantId) -> Endpoint {
            Endpoint {
                id: EndpointId::new(),
                tenant_id: tenant,
                name: "Orders in".into(),
                path: "orders/in".into(),
                description: String::new(),
                auth_type: AuthType::Token,
                allow_deleting: false,
                enabled: true,
                created_at: NOW,
                created_by: None,
                updated_at: NOW,
            }
        }

        fn token(e: &Endpoint, kind: TokenKind, method: Option<EndpointMethod>) -> EndpointSubject {
            EndpointSubject {
                token: EndpointToken {
                    id: EndpointTokenId::new(),
                    tenant_id: e.tenant_id,
                    kind,
                    endpoint_id: method.map(|_| e.id),
                    method,
                    name: "Webshop".into(),
                    description: String::new(),
                    hint: "kws_abcd…wxyz".into(),
                    enabled: true,
                    active: true,
                    recoverable: false,
                    created_at: NOW,
                    created_by: None,
                    updated_at: NOW,
                    last_used_at: None,
                    stale: false,
                },
                assignments: vec![],
                secret_valid_until: None,
            }
        }

        fn at(e: &Endpoint, method: EndpointMethod) -> VerifyContext<'_> {
            VerifyContext {
                endpoint: Some(EndpointTarget {
                    endpoint: e,
                    method,
                }),
                ..Default::default()
            }
        }

        fn code(s: &EndpointSubject, ctx: &VerifyContext<'_>) -> VerifyCode {
            decide_endpoint_token(s, ctx, NOW).code
        }

        fn grant(e: EndpointId, enabled: bool) -> Grant {
            Grant {
                endpoint_id: e,
                enabled,
                methods: MethodSet::ALL,
            }
        }

        use EndpointMethod::*;

        #[test]
        fn a_primary_opens_one_method_of_its_own_endpoint() {
            let e = endpoint(TenantId::new());
            let post = token(&e, TokenKind::Primary, Some(Post));
            assert_eq!(code(&post, &at(&e, Post)), VerifyCode::Valid);
            assert_eq!(code(&post, &at(&e, Get)), VerifyCode::Forbidden);
            let other = endpoint(e.tenant_id);
            assert_eq!(code(&post, &at(&other, Post)), VerifyCode::Forbidden);
        }

        #[test]
        fn a_secondary_needs_to_be_enabled_assigned_and_its_assignment_on() {
            let e = endpoint(TenantId::new());
            let mut s = token(&e, TokenKind::Secondary, None);
            assert_eq!(code(&s, &at(&e, Post)), VerifyCode::Forbidden, "unassigned");
            s.assignments = vec![grant(e.id, false)];
            assert_eq!(
                code(&s, &at(&e, Post)),
                VerifyCode::Disabled,
                "assignment off"
            );
            s.assignments = vec![grant(EndpointId::new(), true), grant(e.id, true)];
            assert_eq!(code(&s, &at(&e, Post)), VerifyCode::Valid);
            assert_eq!(code(&s, &at(&e, Get)), VerifyCode::Valid);
            s.token.enabled = false;
            assert_eq!(code(&s, &at(&e, Post)), VerifyCode::Disabled, "token off");
        }

        #[test]
        fn a_secondary_opens_only_the_methods_its_assignment_allows() {
            let mut e = endpoint(TenantId::new());
            e.allow_deleting = true;
            let mut s = token(&e, TokenKind::Secondary, None);
            s.assignments = vec![Grant {
                endpoint_id: e.id,
                enabled: true,
                methods: MethodSet::DEFAULT,
            }];
            assert_eq!(code(&s, &at(&e, Post)), VerifyCode::Valid);
            assert_eq!(code(&s, &at(&e, Get)), VerifyCode::Forbidden);
            assert_eq!(code(&s, &at(&e, Delete)), VerifyCode::Forbidden);
            s.assignments[0].methods = MethodSet::of(&[Post, Get]);
            assert_eq!(code(&s, &at(&e, Get)), VerifyCode::Valid);
            assert_eq!(code(&s, &at(&e, Delete)), VerifyCode::Forbidden);
        }

        #[test]
        fn the_endpoint_refuses_before_any_token_when_disabled_or_deleting_is_off() {
            let mut e = endpoint(TenantId::new());
            let target = |e: &Endpoint, m| {
                endpoint_gate(&EndpointTarget {
                    endpoint: e,
                    method: m,
                })
            };
            assert_eq!(target(&e, Post), Ok(EndpointAccess::TokenRequired));
            assert_eq!(target(&e, Delete).unwrap_err().code, VerifyCode::Forbidden);
            e.auth_type = AuthType::None;
            assert_eq!(target(&e, Get), Ok(EndpointAccess::Open));
            assert_eq!(
                target(&e, Delete).unwrap_err().code,
                VerifyCode::Forbidden,
                "rule 6 holds for open endpoints too"
            );
            e.enabled = false;
            assert_eq!(target(&e, Get).unwrap_err().code, VerifyCode::Disabled);

            // The token decision applies the same gate.
            let mut e = endpoint(TenantId::new());
            let mut s = token(&e, TokenKind::Secondary, None);
            s.assignments = vec![grant(e.id, true)];
            assert_eq!(code(&s, &at(&e, Delete)), VerifyCode::Forbidden);
            e.allow_deleting = true;
            assert_eq!(code(&s, &at(&e, Delete)), VerifyCode::Valid);
            e.enabled = false;
            assert_eq!(code(&s, &at(&e, Get)), VerifyCode::Disabled);
        }

        #[test]
        fn endpoint_tokens_open_nothing_else_and_other_tokens_open_no_endpoint() {
            let e = endpoint(TenantId::new());
            let mut s = token(&e, TokenKind::Secondary, None);
            s.assignments = vec![grant(e.id, true)];
            assert_eq!(code(&s, &VerifyContext::default()), VerifyCode::Forbidden);
            let admin = VerifyContext {
                admin: true,
                ..at(&e, Post)
            };
            assert_eq!(code(&s, &admin), VerifyCode::Forbidden);
            // Another tenant's endpoint, even if an assignment claimed it.
            let theirs = endpoint(TenantId::new());
            s.assignments.push(grant(theirs.id, true));
            assert_eq!(code(&s, &at(&theirs, Post)), VerifyCode::Forbidden);
            // An API token presented to an endpoint.
            let api = Subject::example(NOW);
            assert_eq!(decide(&api, &at(&e, Post), NOW).code, VerifyCode::Forbidden);
        }

        #[test]
        fn an_endpoint_token_of_another_tenant_is_not_found() {
            let e = endpoint(TenantId::new());
            let mut s = token(&e, TokenKind::Secondary, None);
            s.token.enabled = false;
            let ctx = VerifyContext {
                tenant: Some(TenantId::new()),
                ..at(&e, Post)
            };
            assert_eq!(code(&s, &ctx), VerifyCode::NotFound);
        }

        #[test]
        fn a_replaced_secret_works_only_during_grace() {
            let e = endpoint(TenantId::new());
            let mut s = token(&e, TokenKind::Primary, Some(Get));
            s.secret_valid_until = Some(NOW + Duration::seconds(1));
            assert_eq!(code(&s, &at(&e, Get)), VerifyCode::Valid);
            s.secret_valid_until = Some(NOW);
            assert_eq!(code(&s, &at(&e, Get)), VerifyCode::NotFound);
        }
    }
}
