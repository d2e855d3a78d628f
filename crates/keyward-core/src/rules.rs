//! The rules of SPEC §3 that decide whether a token may be issued, and with which expiry.
//! The verification-time rules live in [`crate::verify`].

use crate::ids::{DepartmentId, UserTypeId};
use crate::model::{Membership, TenantSettings, Token, TokenStatus, User};
use time::{Duration, OffsetDateTime};

/// Why an action is refused. The message is for the person who asked; `code` is stable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("only administrators may manage tokens")]
    NotAdmin,
    #[error("API tokens are switched off for this tenant (setting api_tokens_enabled)")]
    FeatureDisabled,
    #[error("the user is not a member of that department with that user type; choose one of the user's memberships")]
    NotAMember,
    #[error("this tenant requires API tokens to belong to technical users (setting require_technical_user)")]
    NotTechnical,
    #[error("the user is outside their employment period (active_from/active_until) today")]
    OutsidePeriod,
    #[error("the user is locked")]
    UserLocked,
    #[error("the expiry date is in the past")]
    ExpiryInPast,
    #[error("the expiry date is beyond this tenant's maximum token lifetime of {max_days} days (latest allowed: {latest})")]
    ExpiryTooLate { max_days: u32, latest: String },
    #[error("grace_period_seconds must be between 0 and {max} (7 days)")]
    GraceTooLong { max: i64 },
}

impl RuleError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotAdmin => "not_admin",
            Self::FeatureDisabled => "feature_disabled",
            Self::NotAMember => "not_a_member",
            Self::NotTechnical => "not_technical_user",
            Self::OutsidePeriod => "user_inactive",
            Self::UserLocked => "user_locked",
            Self::ExpiryInPast => "expiry_in_past",
            Self::ExpiryTooLate { .. } => "expiry_beyond_policy",
            Self::GraceTooLong { .. } => "grace_period_too_long",
        }
    }
}

pub const MAX_GRACE_SECONDS: i64 = 7 * 24 * 3600;

/// Rule 1: only administrators create, regenerate, revoke, delete and reveal tokens.
pub fn require_admin(is_admin: bool) -> Result<(), RuleError> {
    if is_admin {
        Ok(())
    } else {
        Err(RuleError::NotAdmin)
    }
}

/// Rules 2, 3 and 5 (and rule 4 at issue time): may `owner` hold an API token for this
/// department and user type?
pub fn check_api_token_owner(
    owner: &User,
    memberships: &[Membership],
    department_id: DepartmentId,
    user_type_id: UserTypeId,
    settings: &TenantSettings,
    now: OffsetDateTime,
) -> Result<(), RuleError> {
    if !settings.api_tokens_enabled {
        return Err(RuleError::FeatureDisabled);
    }
    if owner.locked {
        return Err(RuleError::UserLocked);
    }
    if settings.require_technical_user {
        if !owner.is_technical {
            return Err(RuleError::NotTechnical);
        }
        if !owner.in_period(now) {
            return Err(RuleError::OutsidePeriod);
        }
    }
    let held = memberships.iter().any(|m| {
        m.user_id == owner.id && m.department_id == department_id && m.user_type_id == user_type_id
    });
    if !held {
        return Err(RuleError::NotAMember);
    }
    Ok(())
}

/// The expiry a new token gets: the requested one if within policy, else the tenant default.
/// `None` means "never expires", possible only when the tenant's cap is 0.
pub fn resolve_expiry(
    requested: Option<OffsetDateTime>,
    settings: &TenantSettings,
    now: OffsetDateTime,
) -> Result<Option<OffsetDateTime>, RuleError> {
    let days = |d: u32| Duration::days(i64::from(d));
    match requested {
        Some(at) if at <= now => Err(RuleError::ExpiryInPast),
        Some(at) => {
            if settings.max_token_lifetime_days > 0 {
                let latest = now + days(settings.max_token_lifetime_days);
                if at > latest {
                    return Err(RuleError::ExpiryTooLate {
                        max_days: settings.max_token_lifetime_days,
                        latest: latest.date().to_string(),
                    });
                }
            }
            Ok(Some(at))
        }
        None if settings.default_token_lifetime_days == 0 => {
            if settings.max_token_lifetime_days == 0 {
                Ok(None)
            } else {
                Ok(Some(now + days(settings.max_token_lifetime_days)))
            }
        }
        None => Ok(Some(now + days(settings.default_token_lifetime_days))),
    }
}

pub fn check_grace(seconds: i64) -> Result<(), RuleError> {
    if (0..=MAX_GRACE_SECONDS).contains(&seconds) {
        Ok(())
    } else {
        Err(RuleError::GraceTooLong {
            max: MAX_GRACE_SECONDS,
        })
    }
}

/// When a token was last active, for the inactivity policy: its last use, or its
/// creation if it was never used.
pub fn last_activity(t: &Token) -> OffsetDateTime {
    t.last_used_at.unwrap_or(t.created_at)
}

/// Whether `t` is stale at `now` under the tenant's inactivity policy: it can still be
/// used (not revoked, not expired) and has gone `flag_unused_after_days` without a use.
/// The store's `status=stale` filter and its scan ask the same in SQL.
pub fn is_stale(t: &Token, s: &TenantSettings, now: OffsetDateTime) -> bool {
    unused_for(t, s.flag_unused_after_days, now)
}

/// Whether `t` can still be used at `now` and has gone `days` (more than 0) without a use.
pub fn unused_for(t: &Token, days: u32, now: OffsetDateTime) -> bool {
    days > 0
        && matches!(t.status(now), TokenStatus::Active | TokenStatus::Disabled)
        && last_activity(t) + Duration::days(i64::from(days)) <= now
}

/// Whether endpoint token `t`, last active at `since` (its last use, or its creation if
/// never used, or its last activation if that came later), has gone `days` (more than 0) without a use at
/// `now` while it still serves: the inactivity policy covers the
/// applications' (secondary) tokens that are active. An endpoint's primary tokens are
/// its own keys, kept as long as the endpoint is.
pub fn endpoint_token_unused_for(
    t: &crate::endpoint::EndpointToken,
    since: OffsetDateTime,
    days: u32,
    now: OffsetDateTime,
) -> bool {
    days > 0
        && t.kind == crate::TokenKind::Secondary
        && t.active
        && since + Duration::days(i64::from(days)) <= now
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-01-10 12:00 UTC);

    fn user() -> User {
        User {
            id: UserId::new(),
            tenant_id: TenantId::new(),
            username: "svc".into(),
            email: "svc@example.com".into(),
            display_name: "Service".into(),
            is_admin: false,
            is_technical: true,
            locked: false,
            active_from: None,
            active_until: None,
            has_password: false,
            created_at: NOW,
            updated_at: NOW,
        }
    }

    /// The rule for a token of user `u`, who holds membership `m`, asking for `department`
    /// and `user_type`, at `NOW`.
    fn owner(
        u: &User,
        m: &Membership,
        department: DepartmentId,
        user_type: UserTypeId,
        s: &TenantSettings,
    ) -> Result<(), RuleError> {
        check_api_token_owner(u, std::slice::from_ref(m), department, user_type, s, NOW)
    }

    /// The check for a token in the membership's own department and user type.
    fn in_own_scope(u: &User, m: &Membership, s: &TenantSettings) -> Result<(), RuleError> {
        owner(u, m, m.department_id, m.user_type_id, s)
    }

    fn membership(u: &User) -> Membership {
        Membership {
            id: MembershipId::new(),
            user_id: u.id,
            department_id: DepartmentId::new(),
            department_name: "A".into(),
            user_type_id: UserTypeId::new(),
            user_type_name: "reader".into(),
            created_at: NOW,
        }
    }

    #[test]
    fn token_must_use_one_of_the_users_memberships() {
        let u = user();
        let m = membership(&u);
        let s = TenantSettings::default();
        assert_eq!(in_own_scope(&u, &m, &s), Ok(()));
        assert_eq!(
            owner(&u, &m, DepartmentId::new(), m.user_type_id, &s),
            Err(RuleError::NotAMember)
        );
        assert_eq!(
            owner(&u, &m, m.department_id, UserTypeId::new(), &s),
            Err(RuleError::NotAMember)
        );
    }

    #[test]
    fn technical_rule_checks_flag_and_period_on_creation_date() {
        let mut u = user();
        let m = membership(&u);
        let s = TenantSettings {
            require_technical_user: true,
            ..Default::default()
        };
        u.is_technical = false;
        assert_eq!(in_own_scope(&u, &m, &s), Err(RuleError::NotTechnical));
        u.is_technical = true;
        u.active_until = Some(datetime!(2026-01-01 0:00 UTC));
        assert_eq!(in_own_scope(&u, &m, &s), Err(RuleError::OutsidePeriod));
        u.active_until = None;
        u.active_from = Some(datetime!(2026-02-01 0:00 UTC));
        assert_eq!(in_own_scope(&u, &m, &s), Err(RuleError::OutsidePeriod));
        // Without the setting, a non-technical user may hold a token.
        let relaxed = TenantSettings::default();
        u.is_technical = false;
        u.active_from = None;
        assert_eq!(in_own_scope(&u, &m, &relaxed), Ok(()));
    }

    #[test]
    fn feature_flag_and_lock_refuse_creation() {
        let mut u = user();
        let m = membership(&u);
        let off = TenantSettings {
            api_tokens_enabled: false,
            ..Default::default()
        };
        assert_eq!(in_own_scope(&u, &m, &off), Err(RuleError::FeatureDisabled));
        u.locked = true;
        let s = TenantSettings::default();
        assert_eq!(in_own_scope(&u, &m, &s), Err(RuleError::UserLocked));
    }

    #[test]
    fn expiry_follows_tenant_policy() {
        let s = TenantSettings::default();
        assert_eq!(
            resolve_expiry(None, &s, NOW),
            Ok(Some(NOW + Duration::days(90)))
        );
        assert_eq!(
            resolve_expiry(Some(NOW + Duration::days(365)), &s, NOW),
            Ok(Some(NOW + Duration::days(365)))
        );
        assert!(matches!(
            resolve_expiry(Some(NOW + Duration::days(366)), &s, NOW),
            Err(RuleError::ExpiryTooLate { max_days: 365, .. })
        ));
        assert_eq!(
            resolve_expiry(Some(NOW - Duration::seconds(1)), &s, NOW),
            Err(RuleError::ExpiryInPast)
        );
        let uncapped = TenantSettings {
            max_token_lifetime_days: 0,
            default_token_lifetime_days: 0,
            ..Default::default()
        };
        assert_eq!(resolve_expiry(None, &uncapped, NOW), Ok(None));
        assert_eq!(
            resolve_expiry(Some(NOW + Duration::days(5000)), &uncapped, NOW),
            Ok(Some(NOW + Duration::days(5000)))
        );
    }

    #[test]
    fn settings_validation_names_the_field() {
        let bad = TenantSettings {
            default_token_lifetime_days: 400,
            ..Default::default()
        };
        assert!(bad
            .validate()
            .unwrap_err()
            .contains("default_token_lifetime_days"));
        assert!(TenantSettings::default().validate().is_ok());
    }

    #[test]
    fn the_inactivity_policy_is_checked_as_a_whole() {
        use crate::model::{SettingsProblem, MAX_UNUSED_DAYS};
        let policy = |flag, revoke| TenantSettings {
            flag_unused_after_days: flag,
            revoke_unused_after_days: revoke,
            ..Default::default()
        };
        for ok in [
            (0, 0),
            (30, 0),
            (0, 90),
            (30, 90),
            (MAX_UNUSED_DAYS - 1, MAX_UNUSED_DAYS),
        ] {
            assert_eq!(policy(ok.0, ok.1).check(), Ok(()), "{ok:?}");
        }
        let problem = |flag, revoke| policy(flag, revoke).check().unwrap_err();
        assert_eq!(problem(90, 90), SettingsProblem::RevokeUnusedNotAfterFlag);
        assert_eq!(problem(90, 30), SettingsProblem::RevokeUnusedNotAfterFlag);
        assert_eq!(
            problem(MAX_UNUSED_DAYS + 1, 0),
            SettingsProblem::FlagUnusedTooLong
        );
        assert_eq!(
            problem(0, MAX_UNUSED_DAYS + 1),
            SettingsProblem::RevokeUnusedTooLong
        );
        assert!(policy(90, 30)
            .validate()
            .unwrap_err()
            .contains("revoke_unused_after_days"));
    }

    #[test]
    fn a_live_token_unused_for_the_flag_age_is_stale() {
        let created = NOW - Duration::days(40);
        let t = Token {
            id: TokenId::new(),
            tenant_id: TenantId::new(),
            kind: crate::TokenKind::Api,
            name: "orders".into(),
            description: String::new(),
            hint: "kwa_AAAA…AAAA".into(),
            user_id: UserId::new(),
            department_id: DepartmentId::new(),
            user_type_id: UserTypeId::new(),
            enabled: true,
            recoverable: false,
            allowed_cidrs: vec![],
            created_at: created,
            created_by: None,
            expires_at: None,
            revoked_at: None,
            revoked_by: None,
            last_used_at: None,
            rate_limit: None,
            uses_remaining: None,
            imported_at: None,
        };
        let s = |days| TenantSettings {
            flag_unused_after_days: days,
            ..Default::default()
        };
        assert!(is_stale(&t, &s(40), NOW), "never used: its creation counts");
        assert!(!is_stale(&t, &s(41), NOW));
        assert!(!is_stale(&t, &s(0), NOW), "0 is off");
        let used = Token {
            last_used_at: Some(NOW - Duration::days(2)),
            ..t.clone()
        };
        assert!(!is_stale(&used, &s(30), NOW));
        assert!(is_stale(&used, &s(30), NOW + Duration::days(28)));
        let revoked = Token {
            revoked_at: Some(NOW),
            ..t.clone()
        };
        assert!(
            !is_stale(&revoked, &s(30), NOW),
            "a revoked token is done with"
        );
        let expired = Token {
            expires_at: Some(NOW - Duration::days(1)),
            ..t
        };
        assert!(!is_stale(&expired, &s(30), NOW));
    }
}
