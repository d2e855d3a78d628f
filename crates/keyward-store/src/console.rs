//! Console sessions: who is logged into the administration console. The cookie's value
//! is never stored, only its HMAC, like token secrets.

use crate::audit::{record, Actor};
use crate::query::{found, Arg};
use crate::rows;
use crate::{Store, StoreError, StoreResult};
use keyward_core::crypto::TokenHash;
use keyward_core::model::User;
use keyward_core::{TenantId, UserId};
use sqlx::Row;
use time::OffsetDateTime;

pub struct NewConsoleSession {
    pub hash: TokenHash,
    pub tenant_id: TenantId,
    pub user_id: UserId,
    pub csrf: String,
    pub expires_at: OffsetDateTime,
    /// The password hash the login was checked against: the session starts only if it
    /// is still the user's, so a password reset that races the login wins.
    pub checked_hash: String,
}

#[derive(Clone, Debug)]
pub struct ConsoleSession {
    pub tenant_id: TenantId,
    pub user_id: UserId,
    pub csrf: String,
    pub expires_at: OffsetDateTime,
    /// The user's chosen console language, if any.
    pub locale: Option<String>,
}

/// Why console sessions were deleted (not by logging out), recorded in their
/// `console.session_deleted` audit event. Deleting rather than hiding them means that
/// undoing the change (unlocking, making an administrator again) revives no old cookie.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConsoleSessionEnd {
    UserLocked,
    /// The user is no longer an administrator.
    AdminRemoved,
    /// The password was changed or removed: the session was started with the old one.
    PasswordChanged,
    /// The user's employment period is over (or not begun): moved by an administrator,
    /// or found ended when the session was next used.
    PeriodEnded,
}

impl ConsoleSessionEnd {
    /// Why `user` may no longer use the console at `at`, if they may not: checked when a
    /// session is used and when the user is changed, so both end sessions alike.
    pub fn for_user(user: &User, at: OffsetDateTime) -> Option<Self> {
        if user.locked {
            Some(Self::UserLocked)
        } else if !user.is_admin {
            Some(Self::AdminRemoved)
        } else if !user.in_period(at) {
            Some(Self::PeriodEnded)
        } else {
            None
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::UserLocked => "user_locked",
            Self::AdminRemoved => "admin_removed",
            Self::PasswordChanged => "password_changed",
            Self::PeriodEnded => "period_ended",
        }
    }
}

impl Store {
    /// Records a console login (audited as `console.login`) and drops expired sessions.
    pub async fn create_console_session(
        &self,
        s: &NewConsoleSession,
        actor: &Actor,
    ) -> StoreResult<()> {
        let now = crate::now();
        let mut tx = self.begin_by(s.tenant_id, actor, now).await?;
        let sql = format!(
            "SELECT password_hash FROM users WHERE id = $1 AND tenant_id = $2{}",
            self.for_update()
        );
        let current: Option<String> = sqlx::query_scalar(&sql)
            .arg(s.user_id)
            .arg(s.tenant_id)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or(StoreError::NotFound("user"))?;
        if current.as_deref() != Some(s.checked_hash.as_str()) {
            return Err(crate::mobile::password_changed());
        }
        sqlx::query("DELETE FROM console_sessions WHERE expires_at <= $1")
            .arg(now)
            .execute(&mut **tx)
            .await?;
        sqlx::query(
            "INSERT INTO console_sessions (id_hash, tenant_id, user_id, csrf, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .arg(&s.hash)
        .arg(s.tenant_id)
        .arg(s.user_id)
        .arg(&s.csrf)
        .arg(now)
        .arg(s.expires_at)
        .execute(&mut **tx)
        .await?;
        let details = serde_json::json!({ "expires_at": s.expires_at.unix_timestamp() });
        tx.record("console.login", "user", s.user_id, details)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The live session with this hash, if any.
    pub async fn console_session(&self, hash: &TokenHash) -> StoreResult<Option<ConsoleSession>> {
        let row = sqlx::query(
            "SELECT s.tenant_id, s.user_id, s.csrf, s.expires_at, u.locale \
             FROM console_sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.id_hash = $1 AND s.expires_at > $2",
        )
        .arg(hash)
        .arg(crate::now())
        .fetch_optional(&self.read)
        .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(ConsoleSession {
            tenant_id: rows::id(&row, "tenant_id")?,
            user_id: rows::id(&row, "user_id")?,
            csrf: row.try_get("csrf")?,
            expires_at: rows::time(&row, "expires_at")?,
            locale: row.try_get("locale")?,
        }))
    }

    /// Ends a console session (audited as `console.logout`). Ending one that is already
    /// gone is not an error: the user is logged out either way.
    pub async fn delete_console_session(&self, hash: &TokenHash, actor: &Actor) -> StoreResult<()> {
        self.end_one_console_session(hash, "console.logout", serde_json::json!({}), actor)
            .await
    }

    /// Deletes the session with this hash because its user may no longer use the console
    /// (found when it was next used), audited as `console.session_deleted`.
    pub async fn end_console_session(
        &self,
        hash: &TokenHash,
        why: ConsoleSessionEnd,
        actor: &Actor,
    ) -> StoreResult<()> {
        let details = serde_json::json!({"reason": why.as_str(), "sessions": 1});
        self.end_one_console_session(hash, "console.session_deleted", details, actor)
            .await
    }

    /// Deletes the session with this hash, if there is one, audited as `action`.
    async fn end_one_console_session(
        &self,
        hash: &TokenHash,
        action: &str,
        details: serde_json::Value,
        actor: &Actor,
    ) -> StoreResult<()> {
        let now = crate::now();
        let mut tx = self.begin().await?;
        let row = sqlx::query(
            "DELETE FROM console_sessions WHERE id_hash = $1 RETURNING tenant_id, user_id",
        )
        .arg(hash)
        .fetch_optional(&mut **tx)
        .await?;
        if let Some(row) = row {
            let user: String = row.try_get("user_id")?;
            record(
                &mut tx,
                rows::id(&row, "tenant_id")?,
                actor,
                action,
                "user",
                &user,
                details,
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Deletes every console session of `user` inside the caller's transaction, with one
    /// `console.session_deleted` event saying how many. Returns how many ended.
    pub(crate) async fn end_console_sessions_of_user(
        tx: &mut crate::tx::Tx,
        tenant: TenantId,
        user: UserId,
        why: ConsoleSessionEnd,
    ) -> StoreResult<u64> {
        let ended =
            sqlx::query("DELETE FROM console_sessions WHERE user_id = $1 AND tenant_id = $2")
                .arg(user)
                .arg(tenant)
                .execute(&mut ***tx)
                .await?
                .rows_affected();
        if ended > 0 {
            let details = serde_json::json!({"reason": why.as_str(), "sessions": ended});
            tx.record("console.session_deleted", "user", user, details)
                .await?;
        }
        Ok(ended)
    }

    /// Sets (or with `None` clears) the console language a user chose.
    pub async fn set_user_locale(
        &self,
        tenant: TenantId,
        user: UserId,
        locale: Option<&str>,
    ) -> StoreResult<()> {
        let done = sqlx::query("UPDATE users SET locale = $1 WHERE id = $2 AND tenant_id = $3")
            .arg(locale)
            .arg(user)
            .arg(tenant)
            .execute(&self.write)
            .await?;
        found(done, "user")
    }
}
