//! The domain objects of SPEC §1 as the rest of keyward sees them. Storage fills them; the
//! API serialises them. Nothing here holds a secret: tokens carry only their hint.

use crate::ids::*;
use crate::permission::Permission;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Tenant {
    pub id: TenantId,
    pub name: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// How a token's secret is kept (SPEC §2).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema, Default,
)]
#[serde(rename_all = "snake_case")]
pub enum SecretStorage {
    /// Shown only in the response that creates or regenerates it.
    #[default]
    ShowOnce,
    /// Also sealed under the server key so an administrator can reveal it later (audited).
    Recoverable,
}

impl SecretStorage {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ShowOnce => "show_once",
            Self::Recoverable => "recoverable",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "show_once" => Some(Self::ShowOnce),
            "recoverable" => Some(Self::Recoverable),
            _ => None,
        }
    }
}

/// Per-tenant settings. Limits are validated by [`TenantSettings::validate`].
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TenantSettings {
    /// Feature flag: when off, API tokens can be neither created nor used.
    pub api_tokens_enabled: bool,
    /// Only technical users inside their employment period may own API tokens.
    pub require_technical_user: bool,
    pub secret_storage: SecretStorage,
    /// Longest lifetime a token may be given, in days; 0 allows tokens that never expire.
    pub max_token_lifetime_days: u32,
    /// Lifetime given when a request names no expiry; 0 means "never" (only if max is 0).
    pub default_token_lifetime_days: u32,
    /// Mobile session lifetime in days, sliding on activity.
    pub mobile_session_days: u32,
    /// How many days before its expiry a token is announced (`token.expiring`) and
    /// marked as expiring soon; 0 announces none.
    pub expiry_notice_days: u32,
    /// The base URL of the API the tenant's integrations call with their tokens (such as
    /// `https://api.example.com/v1`): the console's ready line for a token calls it. `None`:
    /// the line shows keyward's own verify call instead.
    #[serde(default)]
    pub api_base_url: Option<String>,
    /// After how many days without a use (or since its creation, if never used) a token
    /// is stale: marked in listings and announced once (`token.stale`); 0 is off.
    #[serde(default)]
    pub flag_unused_after_days: u32,
    /// After how many days without a use a token is revoked by the system (reason
    /// `unused`); 0 is off. Longer than `flag_unused_after_days` when both are on.
    #[serde(default)]
    pub revoke_unused_after_days: u32,
}

impl Default for TenantSettings {
    fn default() -> Self {
        Self {
            api_tokens_enabled: true,
            require_technical_user: false,
            secret_storage: SecretStorage::ShowOnce,
            max_token_lifetime_days: 365,
            default_token_lifetime_days: 90,
            mobile_session_days: 30,
            expiry_notice_days: 14,
            api_base_url: None,
            flag_unused_after_days: 0,
            revoke_unused_after_days: 0,
        }
    }
}

pub const MAX_LIFETIME_DAYS_LIMIT: u32 = 36_500;

/// The longest mobile session lifetime, in days.
pub const MAX_MOBILE_SESSION_DAYS: u32 = 3650;

/// The longest expiry notice, in days.
pub const MAX_EXPIRY_NOTICE_DAYS: u32 = 365;

/// The longest `api_base_url`, in bytes.
pub const MAX_API_BASE_URL_LEN: usize = 2048;

/// Whether `url` is a base URL a ready line may call: `http://` or `https://`, a host, no
/// credentials, no fragment, no white space, at most [`MAX_API_BASE_URL_LEN`].
fn is_base_url(url: &str) -> bool {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    let Some(rest) = rest else { return false };
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    url.len() <= MAX_API_BASE_URL_LEN
        && !authority.is_empty()
        && !authority.contains('@')
        && !url.contains('#')
        && !url
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '\'' || c == '"')
}
/// The longest inactivity a policy may wait for, in days (ten years, as long as a token
/// may live).
pub const MAX_UNUSED_DAYS: u32 = 3650;

/// Which rule a set of [`TenantSettings`] breaks ([`TenantSettings::check`]). Its
/// `Display` is the API's message, which names the offending field; the console says
/// the same in its own words, with the field's label.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SettingsProblem {
    /// `max_token_lifetime_days` is above [`MAX_LIFETIME_DAYS_LIMIT`].
    MaxLifetimeTooLong,
    /// `default_token_lifetime_days` is above [`MAX_LIFETIME_DAYS_LIMIT`].
    DefaultLifetimeTooLong,
    /// `default_token_lifetime_days` is 0 (never expires) while there is a maximum.
    NeverExpiringUnderMaximum,
    /// `default_token_lifetime_days` is longer than `max_token_lifetime_days`.
    DefaultBeyondMaximum,
    /// `mobile_session_days` is not between 1 and [`MAX_MOBILE_SESSION_DAYS`].
    MobileSessionDaysOutOfRange,
    /// `expiry_notice_days` is above [`MAX_EXPIRY_NOTICE_DAYS`].
    ExpiryNoticeTooLong,
    /// `api_base_url` is not an http(s) URL with a host (see `is_base_url`).
    ApiBaseUrlInvalid,
    /// `flag_unused_after_days` is above [`MAX_UNUSED_DAYS`].
    FlagUnusedTooLong,
    /// `revoke_unused_after_days` is above [`MAX_UNUSED_DAYS`].
    RevokeUnusedTooLong,
    /// `revoke_unused_after_days` is not longer than `flag_unused_after_days` while both
    /// are on: a token would be revoked before (or as) it is flagged.
    RevokeUnusedNotAfterFlag,
}

impl SettingsProblem {
    /// The field the problem is reported on.
    pub fn field(self) -> &'static str {
        match self {
            Self::MaxLifetimeTooLong => "max_token_lifetime_days",
            Self::DefaultLifetimeTooLong
            | Self::NeverExpiringUnderMaximum
            | Self::DefaultBeyondMaximum => "default_token_lifetime_days",
            Self::MobileSessionDaysOutOfRange => "mobile_session_days",
            Self::ExpiryNoticeTooLong => "expiry_notice_days",
            Self::ApiBaseUrlInvalid => "api_base_url",
            Self::FlagUnusedTooLong => "flag_unused_after_days",
            Self::RevokeUnusedTooLong | Self::RevokeUnusedNotAfterFlag => {
                "revoke_unused_after_days"
            }
        }
    }
}

impl std::fmt::Display for SettingsProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::MaxLifetimeTooLong => write!(
                f,
                "max_token_lifetime_days must be at most {MAX_LIFETIME_DAYS_LIMIT}"
            ),
            Self::DefaultLifetimeTooLong => write!(
                f,
                "default_token_lifetime_days must be at most {MAX_LIFETIME_DAYS_LIMIT}"
            ),
            Self::NeverExpiringUnderMaximum => f.write_str(
                "default_token_lifetime_days may be 0 (never expires) only when max_token_lifetime_days is 0",
            ),
            Self::DefaultBeyondMaximum => {
                f.write_str("default_token_lifetime_days cannot exceed max_token_lifetime_days")
            }
            Self::MobileSessionDaysOutOfRange => write!(
                f,
                "mobile_session_days must be between 1 and {MAX_MOBILE_SESSION_DAYS}"
            ),
            Self::ExpiryNoticeTooLong => write!(
                f,
                "expiry_notice_days must be at most {MAX_EXPIRY_NOTICE_DAYS} (0 sends no notice)"
            ),
            Self::ApiBaseUrlInvalid => write!(
                f,
                "api_base_url must be an http:// or https:// URL with a host, without credentials, \
                 a fragment, quotes or spaces, of at most {MAX_API_BASE_URL_LEN} characters"
            ),
            Self::FlagUnusedTooLong => write!(
                f,
                "flag_unused_after_days must be at most {MAX_UNUSED_DAYS} (0 flags none)"
            ),
            Self::RevokeUnusedTooLong => write!(
                f,
                "revoke_unused_after_days must be at most {MAX_UNUSED_DAYS} (0 revokes none)"
            ),
            Self::RevokeUnusedNotAfterFlag => f.write_str(
                "revoke_unused_after_days must be greater than flag_unused_after_days when both are set",
            ),
        }
    }
}

impl TenantSettings {
    /// Checks the settings as a whole: the first rule they break.
    pub fn check(&self) -> Result<(), SettingsProblem> {
        if self.max_token_lifetime_days > MAX_LIFETIME_DAYS_LIMIT {
            return Err(SettingsProblem::MaxLifetimeTooLong);
        }
        if self.default_token_lifetime_days > MAX_LIFETIME_DAYS_LIMIT {
            return Err(SettingsProblem::DefaultLifetimeTooLong);
        }
        if self.max_token_lifetime_days > 0 && self.default_token_lifetime_days == 0 {
            return Err(SettingsProblem::NeverExpiringUnderMaximum);
        }
        if self.max_token_lifetime_days > 0
            && self.default_token_lifetime_days > self.max_token_lifetime_days
        {
            return Err(SettingsProblem::DefaultBeyondMaximum);
        }
        if self.mobile_session_days == 0 || self.mobile_session_days > MAX_MOBILE_SESSION_DAYS {
            return Err(SettingsProblem::MobileSessionDaysOutOfRange);
        }
        if self.expiry_notice_days > MAX_EXPIRY_NOTICE_DAYS {
            return Err(SettingsProblem::ExpiryNoticeTooLong);
        }
        if self
            .api_base_url
            .as_deref()
            .is_some_and(|u| !is_base_url(u))
        {
            return Err(SettingsProblem::ApiBaseUrlInvalid);
        }
        if self.flag_unused_after_days > MAX_UNUSED_DAYS {
            return Err(SettingsProblem::FlagUnusedTooLong);
        }
        if self.revoke_unused_after_days > MAX_UNUSED_DAYS {
            return Err(SettingsProblem::RevokeUnusedTooLong);
        }
        if self.flag_unused_after_days > 0
            && self.revoke_unused_after_days > 0
            && self.revoke_unused_after_days <= self.flag_unused_after_days
        {
            return Err(SettingsProblem::RevokeUnusedNotAfterFlag);
        }
        Ok(())
    }

    /// [`TenantSettings::check`], its problem as the message that names the field.
    pub fn validate(&self) -> Result<(), String> {
        self.check().map_err(|p| p.to_string())
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct User {
    pub id: UserId,
    pub tenant_id: TenantId,
    pub username: String,
    pub email: String,
    pub display_name: String,
    pub is_admin: bool,
    pub is_technical: bool,
    pub locked: bool,
    #[serde(with = "time::serde::rfc3339::option")]
    pub active_from: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub active_until: Option<OffsetDateTime>,
    pub has_password: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl User {
    /// Inside the employment period (`active_from` ≤ at ≤ `active_until`).
    pub fn in_period(&self, at: OffsetDateTime) -> bool {
        in_period(self.active_from, self.active_until, at)
    }
}

pub fn in_period(
    from: Option<OffsetDateTime>,
    until: Option<OffsetDateTime>,
    at: OffsetDateTime,
) -> bool {
    from.is_none_or(|f| at >= f) && until.is_none_or(|u| at <= u)
}

#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Department {
    pub id: DepartmentId,
    pub tenant_id: TenantId,
    pub name: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UserType {
    pub id: UserTypeId,
    pub tenant_id: TenantId,
    pub name: String,
    pub permissions: Vec<Permission>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Membership {
    pub id: MembershipId,
    pub user_id: UserId,
    pub department_id: DepartmentId,
    pub department_name: String,
    pub user_type_id: UserTypeId,
    pub user_type_name: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// The state a token is in at a given moment (SPEC §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TokenStatus {
    Active,
    Expired,
    Revoked,
    Disabled,
}

impl TokenStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Expired => "expired",
            Self::Revoked => "revoked",
            Self::Disabled => "disabled",
        }
    }
}

/// A verifier key (`kwv_…`, SPEC §4): the credential a protected service sends when it
/// asks keyward about tokens presented to it. It binds every such check to its tenant and
/// may do nothing else. Only its hash is stored: it is shown once, when created.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct VerifierKey {
    pub id: VerifierKeyId,
    pub tenant_id: TenantId,
    pub name: String,
    pub description: String,
    /// `kwv_Ab3d…x9Qz`: enough to tell keys apart, never enough to use one.
    pub hint: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub created_by: Option<UserId>,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// A token record as stored: never the secret, only its hint.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Token {
    pub id: TokenId,
    pub tenant_id: TenantId,
    pub kind: crate::TokenKind,
    pub name: String,
    pub description: String,
    pub hint: String,
    pub user_id: UserId,
    pub department_id: DepartmentId,
    pub user_type_id: UserTypeId,
    pub enabled: bool,
    /// Whether a sealed copy exists, so the secret can be revealed.
    pub recoverable: bool,
    /// CIDRs the token may be used from; empty means anywhere.
    #[schema(value_type = Vec<String>)]
    pub allowed_cidrs: Vec<ipnet::IpNet>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub created_by: Option<UserId>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
    pub revoked_by: Option<UserId>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_used_at: Option<OffsetDateTime>,
    /// At most this many successful checks per window (enforced per node).
    pub rate_limit: Option<RateLimit>,
    /// Successful checks left; `None` means unlimited.
    pub uses_remaining: Option<i64>,
    /// When the token was imported with a secret of another system
    /// (`POST /api/v1/tokens/import`); it stays after a regenerate gives it a keyward
    /// secret. `None` for a token keyward made.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub imported_at: Option<OffsetDateTime>,
}

/// A token's previous secret while a regenerate's grace period keeps it working, and how
/// much it is still used: when `uses` stops growing, the integrations have moved to the
/// new secret and the grace can end early (`POST /api/v1/tokens/{id}/end-grace`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PreviousSecret {
    /// The previous secret's hint (`kwa_AbCd…wxYz`), never the secret.
    pub hint: String,
    #[serde(with = "time::serde::rfc3339")]
    pub valid_until: OffsetDateTime,
    /// Successful checks with the previous secret since the regenerate, counted by every
    /// node and added at each last-use flush (so at most one flush interval behind).
    pub uses: i64,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_used_at: Option<OffsetDateTime>,
}

/// A per-token rate limit: `requests` successful checks per `window_seconds`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    pub requests: u32,
    pub window_seconds: u32,
}

impl RateLimit {
    pub fn validate(&self) -> Result<(), String> {
        if self.requests == 0 || self.requests > 1_000_000 {
            return Err("rate_limit.requests must be between 1 and 1000000".into());
        }
        if self.window_seconds == 0 || self.window_seconds > 86_400 {
            return Err("rate_limit.window_seconds must be between 1 and 86400 (a day)".into());
        }
        Ok(())
    }
}

impl Token {
    /// Revoked wins over expired, which wins over disabled: the most final state shows,
    /// in the same order as the verification decision reports them.
    pub fn status(&self, now: OffsetDateTime) -> TokenStatus {
        if self.revoked_at.is_some() {
            TokenStatus::Revoked
        } else if self.expires_at.is_some_and(|e| e <= now) {
            TokenStatus::Expired
        } else if !self.enabled {
            TokenStatus::Disabled
        } else {
            TokenStatus::Active
        }
    }
}

/// A token with the names an administrator reads in listings and the detail view.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TokenDetails {
    #[serde(flatten)]
    pub token: Token,
    pub status: TokenStatus,
    /// What a check of the token would answer now (`VALID`, or why it is refused: its
    /// owner locked or outside their employment period, the membership gone, …), asked
    /// for no particular permission, from an address its allowlist admits. `status` is
    /// the token's own state; this is the verification decision over the token, its
    /// owner and the tenant.
    pub effective_status: crate::code::VerifyCode,
    /// Unused (since its last use, or its creation) for the tenant's
    /// `flag_unused_after_days`, while it can still be used: see [`crate::rules::is_stale`].
    /// Always false while the tenant's inactivity policy is off.
    #[serde(default)]
    pub stale: bool,
    pub username: String,
    pub department_name: String,
    pub user_type_name: String,
    /// Who revoked it, for the "removed by" column.
    pub revoked_by_name: Option<String>,
    /// The previous secret, while a regenerate's grace period keeps it working.
    #[serde(default)]
    pub previous_secret: Option<PreviousSecret>,
}

/// A session as an administrator reads it: the columns of "Mobile Users Logged In".
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MobileSession {
    pub id: TokenId,
    pub tenant_id: TenantId,
    /// `kwm_AbCd…wxYz`: enough to tell sessions apart, never the secret.
    pub hint: String,
    pub device_name: String,
    pub user_id: UserId,
    pub username: String,
    pub email: String,
    pub display_name: String,
    pub department_id: DepartmentId,
    pub department_name: String,
    pub user_type_id: UserTypeId,
    pub user_type_name: String,
    /// `active` or `expired`.
    pub status: TokenStatus,
    /// What a check of the session would answer now (`VALID`, or why it is refused: its
    /// owner locked or outside their employment period, the membership gone, …), by the
    /// verification decision itself, as for API tokens.
    pub effective_status: crate::code::VerifyCode,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// The last successful check, at most the server's flush interval (2 s) stale.
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_active_at: Option<OffsetDateTime>,
    /// Slides to `mobile_session_days` after each use (as stale as `last_active_at`).
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// Unused for the tenant's `flag_unused_after_days` while it can still be used, as
    /// [`TokenDetails::stale`].
    #[serde(default)]
    pub stale: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditEvent {
    pub id: AuditEventId,
    pub tenant_id: TenantId,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub actor_id: Option<UserId>,
    pub actor: String,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    /// The object's name when the event was written (a token's name, a username, an
    /// endpoint's path...), kept after the object is deleted. For events written before
    /// keyward stored it, a name the details hold; `null` when neither has one.
    pub object_name: Option<String>,
    pub ip: Option<String>,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}
