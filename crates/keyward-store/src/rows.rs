//! Decoding rows into domain objects. Stored text that does not parse is reported as
//! `Corrupt` rather than silently replaced.

use crate::{from_ms, StoreError, StoreResult};
use keyward_core::model::*;
use keyward_core::{Permission, TokenKind};
use sqlx::any::AnyRow;
use sqlx::Row;
use std::str::FromStr;
use time::OffsetDateTime;

pub(crate) fn id<T: FromStr>(r: &AnyRow, col: &str) -> StoreResult<T> {
    let s: String = r.try_get(col)?;
    s.parse()
        .map_err(|_| StoreError::Corrupt(format!("{col} is not a UUID: {s:?}")))
}

pub(crate) fn opt_id<T: FromStr>(r: &AnyRow, col: &str) -> StoreResult<Option<T>> {
    let s: Option<String> = r.try_get(col)?;
    s.map(|s| {
        s.parse()
            .map_err(|_| StoreError::Corrupt(format!("{col} is not a UUID: {s:?}")))
    })
    .transpose()
}

pub(crate) fn flag(r: &AnyRow, col: &str) -> StoreResult<bool> {
    Ok(r.try_get::<i64, _>(col)? != 0)
}

pub(crate) fn time(r: &AnyRow, col: &str) -> StoreResult<OffsetDateTime> {
    Ok(from_ms(r.try_get(col)?))
}

pub(crate) fn opt_time(r: &AnyRow, col: &str) -> StoreResult<Option<OffsetDateTime>> {
    Ok(r.try_get::<Option<i64>, _>(col)?.map(from_ms))
}

pub(crate) fn permissions(json: &str) -> StoreResult<Vec<Permission>> {
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt(format!("permissions: {e}")))
}

/// The columns [`settings`] reads.
pub(crate) const SETTINGS_COLS: &str = "api_tokens_enabled, require_technical_user, \
    secret_storage, max_token_lifetime_days, default_token_lifetime_days, mobile_session_days, \
    expiry_notice_days, api_base_url, flag_unused_after_days, revoke_unused_after_days";

pub(crate) fn settings(r: &AnyRow) -> StoreResult<TenantSettings> {
    let storage: String = r.try_get("secret_storage")?;
    let days = |c: &str| -> StoreResult<u32> {
        let v: i64 = r.try_get(c)?;
        u32::try_from(v).map_err(|_| StoreError::Corrupt(format!("{c} = {v}")))
    };
    Ok(TenantSettings {
        api_tokens_enabled: flag(r, "api_tokens_enabled")?,
        require_technical_user: flag(r, "require_technical_user")?,
        secret_storage: SecretStorage::parse(&storage)
            .ok_or_else(|| StoreError::Corrupt(format!("secret_storage = {storage:?}")))?,
        max_token_lifetime_days: days("max_token_lifetime_days")?,
        default_token_lifetime_days: days("default_token_lifetime_days")?,
        mobile_session_days: days("mobile_session_days")?,
        expiry_notice_days: days("expiry_notice_days")?,
        api_base_url: r.try_get("api_base_url")?,
        flag_unused_after_days: days("flag_unused_after_days")?,
        revoke_unused_after_days: days("revoke_unused_after_days")?,
    })
}

/// Unqualified, so that writes can return them too (`RETURNING {USER_COLS}`).
pub(crate) const USER_COLS: &str = "id, tenant_id, username, email, display_name, is_admin, \
    is_technical, locked, active_from, active_until, password_hash, created_at, updated_at";

pub(crate) fn user(r: &AnyRow) -> StoreResult<User> {
    Ok(User {
        id: id(r, "id")?,
        tenant_id: id(r, "tenant_id")?,
        username: r.try_get("username")?,
        email: r.try_get("email")?,
        display_name: r.try_get("display_name")?,
        is_admin: flag(r, "is_admin")?,
        is_technical: flag(r, "is_technical")?,
        locked: flag(r, "locked")?,
        active_from: opt_time(r, "active_from")?,
        active_until: opt_time(r, "active_until")?,
        has_password: r.try_get::<Option<String>, _>("password_hash")?.is_some(),
        created_at: time(r, "created_at")?,
        updated_at: time(r, "updated_at")?,
    })
}

/// A token's columns, as `t`. Its last use is in `token_last_use` once the flush has
/// written it there, and in the token's own row before (and for mobile sessions).
pub(crate) const TOKEN_COLS: &str = "t.id, t.tenant_id, t.kind, t.name, t.description, t.hint, t.user_id, \
    t.department_id, t.user_type_id, t.enabled, t.sealed_secret, t.allowed_cidrs, t.created_at, t.created_by, \
    t.expires_at, t.revoked_at, t.revoked_by, \
    COALESCE((SELECT lu.at FROM token_last_use lu WHERE lu.token_id = t.id), t.last_used_at) \
    AS last_used_at, t.rate_limit_requests, \
    t.rate_limit_window_seconds, t.uses_remaining, t.imported_at";

fn rate_limit(r: &AnyRow) -> StoreResult<Option<RateLimit>> {
    let requests: Option<i64> = r.try_get("rate_limit_requests")?;
    let window: Option<i64> = r.try_get("rate_limit_window_seconds")?;
    match (requests, window) {
        (Some(q), Some(w)) => Ok(Some(RateLimit {
            requests: u32::try_from(q)
                .map_err(|_| StoreError::Corrupt(format!("rate_limit_requests = {q}")))?,
            window_seconds: u32::try_from(w)
                .map_err(|_| StoreError::Corrupt(format!("rate_limit_window_seconds = {w}")))?,
        })),
        _ => Ok(None),
    }
}

fn token_kind(r: &AnyRow) -> StoreResult<TokenKind> {
    let kind: String = r.try_get("kind")?;
    TokenKind::parse_name(&kind).ok_or_else(|| StoreError::Corrupt(format!("token kind {kind:?}")))
}

fn cidrs(r: &AnyRow) -> StoreResult<Vec<ipnet::IpNet>> {
    let cidrs: String = r.try_get("allowed_cidrs")?;
    serde_json::from_str(&cidrs).map_err(|e| StoreError::Corrupt(format!("allowed_cidrs: {e}")))
}

/// What a check needs of a token's row (see `Store::subject_by_hash`).
pub(crate) fn token_state(r: &AnyRow) -> StoreResult<keyward_core::verify::TokenState> {
    Ok(keyward_core::verify::TokenState {
        id: id(r, "id")?,
        kind: token_kind(r)?,
        enabled: flag(r, "enabled")?,
        revoked: opt_time(r, "revoked_at")?.is_some(),
        expires_at: opt_time(r, "expires_at")?.map(keyward_core::verify::Moment::of),
        created_unix: {
            let at = time(r, "created_at")?.unix_timestamp();
            u32::try_from(at).map_err(|_| StoreError::Corrupt(format!("created_at = {at} s")))?
        },
        limits: keyward_core::verify::Limits {
            allowed_cidrs: cidrs(r)?.into_boxed_slice(),
            rate_limit: rate_limit(r)?,
            uses_remaining: r.try_get("uses_remaining")?,
            secret_valid_until: opt_time(r, "secret_valid_until")?,
        }
        .boxed(),
    })
}

pub(crate) fn token(r: &AnyRow) -> StoreResult<Token> {
    Ok(Token {
        id: id(r, "id")?,
        tenant_id: id(r, "tenant_id")?,
        kind: token_kind(r)?,
        name: r.try_get("name")?,
        description: r.try_get("description")?,
        hint: r.try_get("hint")?,
        user_id: id(r, "user_id")?,
        department_id: id(r, "department_id")?,
        user_type_id: id(r, "user_type_id")?,
        enabled: flag(r, "enabled")?,
        recoverable: r.try_get::<Option<String>, _>("sealed_secret")?.is_some(),
        allowed_cidrs: cidrs(r)?,
        created_at: time(r, "created_at")?,
        created_by: opt_id(r, "created_by")?,
        expires_at: opt_time(r, "expires_at")?,
        revoked_at: opt_time(r, "revoked_at")?,
        revoked_by: opt_id(r, "revoked_by")?,
        last_used_at: opt_time(r, "last_used_at")?,
        rate_limit: rate_limit(r)?,
        uses_remaining: r.try_get("uses_remaining")?,
        imported_at: opt_time(r, "imported_at")?,
    })
}
