//! Mobile sessions (SPEC §5): rows of `tokens` with kind `mobile`, started by a password
//! login and listed as "Mobile Users Logged In". Their secret is kept as a hash only,
//! never sealed. Every query here is limited to that kind, so an API token can never be
//! read or deleted as a session.

use crate::audit::Actor;
use crate::query::{row_of, search_key, Arg, Filter, Listing, Page};
use crate::rows::{self, TOKEN_COLS};
use crate::tokens::{
    delete_token_rows, insert_secret, values_rows, NewSecret, TokenTable, NEWEST_FIRST,
};
use crate::tx::Tx;
use crate::{to_ms, Store, StoreError, StoreResult};
pub use keyward_core::model::MobileSession;
use keyward_core::model::Token;
use keyward_core::{DepartmentId, TenantId, TokenId, TokenKind, UserId, UserTypeId};
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{Any, Executor, Row};
use time::OffsetDateTime;

#[derive(Clone, Debug)]
pub struct NewMobileSession {
    pub id: TokenId,
    pub user_id: UserId,
    pub department_id: DepartmentId,
    pub user_type_id: UserTypeId,
    pub device_name: String,
    /// `sealed` must be `None`: a session's secret is never recoverable.
    pub secret: NewSecret,
    pub expires_at: OffsetDateTime,
}

/// Which sessions a listing shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SessionStatusFilter {
    /// Still usable: not past their expiry (the "logged in" ones).
    #[default]
    Active,
    Expired,
    All,
}

#[derive(Clone, Debug, Default)]
pub struct MobileSessionFilter {
    pub status: SessionStatusFilter,
    pub user_id: Option<UserId>,
    pub department_id: Option<DepartmentId>,
    /// Matches the username, email, display name or device name.
    pub q: Option<String>,
}

/// Why a session ended, recorded in its `mobile_session.deleted` audit event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionEnd {
    /// An administrator deleted it.
    Deleted,
    /// The app logged out with it.
    Logout,
    /// Its user was locked.
    UserLocked,
    /// Its user's password was changed or removed: it was started with the old one.
    PasswordChanged,
    /// Its user logged in on another device while at the most live sessions a user may
    /// have; it was the one used least recently.
    SessionLimit,
}

impl SessionEnd {
    fn as_str(self) -> &'static str {
        match self {
            Self::Deleted => "deleted",
            Self::Logout => "logout",
            Self::UserLocked => "user_locked",
            Self::PasswordChanged => "password_changed",
            Self::SessionLimit => "session_limit",
        }
    }
}

/// A session reads what a check reads of its owner and tenant, so that it carries what a
/// check would answer now (`effective_status`), decided by the check's own decision.
const SESSION_FROM: &str = crate::tokens::OWNER_FROM;

fn session_columns() -> String {
    format!(
        "{TOKEN_COLS}, t.device_name, u.email AS email, u.display_name AS display_name, {}",
        crate::tokens::standing_columns()
    )
}

/// The row of a session: on the read pool, or in the transaction that started it.
async fn session_row<'c>(
    conn: impl Executor<'c, Database = Any>,
    tenant: TenantId,
    id: TokenId,
) -> StoreResult<AnyRow> {
    let sql = format!(
        "SELECT {} {SESSION_FROM} WHERE t.id = $1 AND t.tenant_id = $2 AND t.kind = '{}'",
        session_columns(),
        TokenKind::Mobile.as_str()
    );
    row_of(conn, &sql, id, tenant, "mobile session").await
}

fn session(r: &AnyRow, now: OffsetDateTime) -> StoreResult<MobileSession> {
    let t: Token = rows::token(r)?;
    let status = t.status(now);
    let flag: i64 = r.try_get("flag_unused_after_days")?;
    let stale = keyward_core::rules::unused_for(&t, u32::try_from(flag).unwrap_or(0), now);
    Ok(MobileSession {
        id: t.id,
        tenant_id: t.tenant_id,
        hint: t.hint,
        device_name: r
            .try_get::<Option<String>, _>("device_name")?
            .unwrap_or(t.name),
        user_id: t.user_id,
        username: r.try_get("username")?,
        email: r.try_get("email")?,
        display_name: r.try_get("display_name")?,
        department_id: t.department_id,
        department_name: r.try_get("department_name")?,
        user_type_id: t.user_type_id,
        user_type_name: r.try_get("user_type_name")?,
        status,
        effective_status: keyward_core::verify::standing(&crate::tokens::subject(r)?, now),
        created_at: t.created_at,
        last_active_at: t.last_used_at,
        expires_at: t
            .expires_at
            .ok_or_else(|| StoreError::Corrupt(format!("mobile session {} has no expiry", t.id)))?,
        stale,
    })
}

impl Store {
    /// Starts a session. The user row is read under lock and must not be locked, and the
    /// membership must still be held: a login that raced an administrator's lock (or
    /// removal of the membership) starts nothing, so unlocking never revives a device.
    pub async fn create_mobile_session(
        &self,
        tenant: TenantId,
        s: &NewMobileSession,
        actor: &Actor,
    ) -> StoreResult<MobileSession> {
        Ok(self
            .start_mobile_session(tenant, s, None, None, actor)
            .await?
            .0)
    }

    /// [`Self::create_mobile_session`] for a user who may have at most `max_live` live
    /// sessions: when they already have that many, the ones used least recently (never
    /// used: started earliest) end, audited with reason `session_limit`, in the same
    /// transaction, so concurrent logins cannot overshoot. Returns the new session and the
    /// ids of those ended.
    ///
    /// `checked_hash` is the password hash the login was checked against: the session
    /// starts only if it is still the user's, so a password reset that races a login
    /// wins (the reset ends the sessions it sees; this refuses the one it cannot see).
    pub async fn start_mobile_session(
        &self,
        tenant: TenantId,
        s: &NewMobileSession,
        max_live: Option<usize>,
        checked_hash: Option<&str>,
        actor: &Actor,
    ) -> StoreResult<(MobileSession, Vec<TokenId>)> {
        debug_assert!(
            s.secret.sealed.is_none(),
            "session secrets are never sealed"
        );
        let now = crate::now();
        let mut tx = self.begin_by(tenant, actor, now).await?;
        let sql = format!(
            "SELECT locked, username, password_hash FROM users WHERE id = $1 AND tenant_id = $2{}",
            self.for_update()
        );
        let user = row_of(&mut **tx, &sql, s.user_id, tenant, "user").await?;
        if rows::flag(&user, "locked")? {
            return Err(StoreError::Refused {
                code: "user_locked",
                message: "the user is locked".into(),
            });
        }
        if let Some(checked) = checked_hash {
            let current: Option<String> = user.try_get("password_hash")?;
            if current.as_deref() != Some(checked) {
                return Err(password_changed());
            }
        }
        let username: String = user.try_get("username")?;
        let held: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM memberships WHERE user_id = $1 AND department_id = $2 AND user_type_id = $3 \
             AND tenant_id = $4",
        )
        .arg(s.user_id)
        .arg(s.department_id)
        .arg(s.user_type_id)
        .arg(tenant)
        .fetch_optional(&mut **tx)
        .await?;
        if held.is_none() {
            return Err(StoreError::Refused {
                code: "not_a_member",
                message: "the user is no longer a member of that department with that user type"
                    .into(),
            });
        }
        let mut over = Vec::new();
        if let Some(max) = max_live {
            // Locked in id order, as every writer locks token rows; sorted by use after.
            let sql = format!(
                "SELECT {TOKEN_COLS}, t.device_name FROM tokens t \
                 WHERE t.user_id = $1 AND t.tenant_id = $2 AND t.kind = $3 AND t.expires_at > $4 \
                 ORDER BY t.id{}",
                self.for_update()
            );
            let rows = sqlx::query(&sql)
                .arg(s.user_id)
                .arg(tenant)
                .arg(TokenKind::Mobile.as_str())
                .arg(now)
                .fetch_all(&mut **tx)
                .await?;
            let mut live = rows
                .iter()
                .map(|r| {
                    let t = rows::token(r)?;
                    Ok((t.last_used_at.unwrap_or(t.created_at), t.id, ended(r)?))
                })
                .collect::<StoreResult<Vec<_>>>()?;
            live.sort_by_key(|(used, id, _)| (*used, *id));
            let excess = (live.len() + 1).saturating_sub(max.max(1));
            over = live.into_iter().take(excess).map(|(_, _, e)| e).collect();
            delete_and_record(&mut tx, &over, SessionEnd::SessionLimit).await?;
        }
        sqlx::query(
            "INSERT INTO tokens (id, tenant_id, kind, name, description, hint, user_id, department_id, user_type_id, \
             enabled, sealed_secret, allowed_cidrs, created_at, created_by, expires_at, device_name, search) \
             VALUES ($1, $2, $3, $4, '', $5, $6, $7, $8, 1, NULL, '[]', $9, $6, $10, $4, $11)",
        )
        .arg(s.id)
        .arg(tenant)
        .arg(TokenKind::Mobile.as_str())
        .arg(&s.device_name)
        .arg(&s.secret.hint)
        .arg(s.user_id)
        .arg(s.department_id)
        .arg(s.user_type_id)
        .arg(now)
        .arg(s.expires_at)
        .arg(search_key(&[&s.device_name]))
        .execute(&mut **tx)
        .await?;
        insert_secret(&mut tx, TokenTable::Tokens, s.id, &s.secret).await?;
        tx.record(
            "mobile_session.created",
            "mobile_session",
            s.id,
            json!({"device_name": s.device_name, "hint": s.secret.hint, "user_id": s.user_id,
                   "username": username, "department_id": s.department_id,
                   "user_type_id": s.user_type_id, "expires_at": to_ms(s.expires_at)}),
        )
        .await?;
        // Read in the transaction: what it started, not a second read after the commit.
        let row = session_row(&mut **tx, tenant, s.id).await?;
        tx.commit().await?;
        let ended = over.into_iter().map(|e| e.id).collect();
        Ok((session(&row, crate::now())?, ended))
    }

    /// One session; an API (or any other) token's id is "not found".
    pub async fn mobile_session(
        &self,
        tenant: TenantId,
        id: TokenId,
    ) -> StoreResult<MobileSession> {
        session(&session_row(&self.read, tenant, id).await?, crate::now())
    }

    /// Sessions of a tenant, newest first.
    pub async fn list_mobile_sessions(
        &self,
        tenant: TenantId,
        f: &MobileSessionFilter,
        page: Page,
    ) -> StoreResult<(Vec<MobileSession>, i64)> {
        let now = crate::now();
        let mut q = Filter::default();
        q.eq("t.tenant_id", tenant);
        q.eq("t.kind", TokenKind::Mobile.as_str());
        if let Some(u) = f.user_id {
            q.eq("t.user_id", u);
        }
        if let Some(d) = f.department_id {
            q.eq("t.department_id", d);
        }
        q.contains(&["t.search", "u.search"], f.q.as_deref());
        match f.status {
            SessionStatusFilter::All => {}
            SessionStatusFilter::Active => q.cmp("t.expires_at", ">", now),
            SessionStatusFilter::Expired => q.cmp("t.expires_at", "<=", now),
        }
        let columns = session_columns();
        let listing = Listing::new(&columns, SESSION_FROM, NEWEST_FIRST);
        self.page(&listing, q, page, |r| session(r, now)).await
    }

    /// Ends sessions for good, in one transaction. Returns the ids actually deleted; ids
    /// that name no session of this tenant (API tokens included) are skipped.
    pub async fn delete_mobile_sessions(
        &self,
        tenant: TenantId,
        ids: &[TokenId],
        why: SessionEnd,
        actor: &Actor,
    ) -> StoreResult<Vec<TokenId>> {
        let now = crate::now();
        // Rows in id order, then the change-log lock (taken by `record`), as every writer.
        let mut ids = ids.to_vec();
        ids.sort();
        ids.dedup();
        let mut tx = self.begin_by(tenant, actor, now).await?;
        let sql = format!(
            "SELECT {TOKEN_COLS}, t.device_name FROM tokens t \
             WHERE t.id = $1 AND t.tenant_id = $2 AND t.kind = $3{}",
            self.for_update()
        );
        let mut found = Vec::with_capacity(ids.len());
        for id in &ids {
            let row = sqlx::query(&sql)
                .arg(*id)
                .arg(tenant)
                .arg(TokenKind::Mobile.as_str())
                .fetch_optional(&mut **tx)
                .await?;
            if let Some(row) = row {
                found.push(ended(&row)?);
            }
        }
        delete_and_record(&mut tx, &found, why).await?;
        tx.commit().await?;
        Ok(found.into_iter().map(|e| e.id).collect())
    }

    /// Ends every session of `user` inside the caller's transaction (locking the user),
    /// after the caller has locked its own rows. Returns how many ended.
    pub(crate) async fn end_sessions_of_user(
        &self,
        tx: &mut Tx,
        tenant: TenantId,
        user: UserId,
        why: SessionEnd,
    ) -> StoreResult<usize> {
        let sql = format!(
            "SELECT {TOKEN_COLS}, t.device_name FROM tokens t \
             WHERE t.user_id = $1 AND t.tenant_id = $2 AND t.kind = $3 ORDER BY t.id{}",
            self.for_update()
        );
        let rows = sqlx::query(&sql)
            .arg(user)
            .arg(tenant)
            .arg(TokenKind::Mobile.as_str())
            .fetch_all(&mut ***tx)
            .await?;
        let found = rows.iter().map(ended).collect::<StoreResult<Vec<_>>>()?;
        delete_and_record(tx, &found, why).await?;
        Ok(found.len())
    }

    /// Records sessions' activity gathered in memory: each one's last use and its slid
    /// expiry. Neither ever moves back, so nodes flushing the same session in any order
    /// agree, and a flush cut short keeps the chunks it wrote.
    pub async fn touch_mobile_sessions(
        &self,
        uses: &[(TokenId, OffsetDateTime, OffsetDateTime)],
    ) -> StoreResult<()> {
        if uses.is_empty() {
            return Ok(());
        }
        // Rows in id order, as every writer locks them; one statement per chunk, each
        // committing on its own, as for API tokens (`touch_last_used`): a flush must not
        // hold the one writer while administrators' changes wait.
        let mut uses = uses.to_vec();
        uses.sort_by_key(|(id, _, _)| *id);
        for chunk in uses.chunks(crate::tokens::TOUCH_CHUNK) {
            let rows = values_rows(chunk.len(), &["TEXT", "BIGINT", "BIGINT"], 2);
            let sql = format!(
                "UPDATE tokens SET \
                 last_used_at = CASE WHEN tokens.last_used_at IS NULL OR tokens.last_used_at < v.column2 \
                                THEN v.column2 ELSE tokens.last_used_at END, \
                 expires_at = CASE WHEN tokens.expires_at < v.column3 THEN v.column3 ELSE tokens.expires_at END \
                 FROM (VALUES {rows}) AS v \
                 WHERE tokens.id = v.column1 AND tokens.kind = $1"
            );
            let mut q = sqlx::query(&sql).arg(TokenKind::Mobile.as_str());
            for (id, at, expires_at) in chunk {
                q = q.arg(*id).arg(*at).arg(*expires_at);
            }
            q.execute(&self.write).await?;
        }
        Ok(())
    }
}

/// A login whose password was changed (or removed) while it was being checked.
pub(crate) fn password_changed() -> StoreError {
    StoreError::Refused {
        code: "password_changed",
        message: "the password was changed while logging in; log in with the new one".into(),
    }
}

/// What an ended session's audit event keeps of it.
struct Ended {
    id: TokenId,
    details: serde_json::Value,
}

fn ended(r: &AnyRow) -> StoreResult<Ended> {
    let t = rows::token(r)?;
    debug_assert_eq!(t.kind, TokenKind::Mobile);
    let device: Option<String> = r.try_get("device_name")?;
    Ok(Ended {
        id: t.id,
        details: json!({"device_name": device.unwrap_or(t.name), "hint": t.hint, "user_id": t.user_id}),
    })
}

async fn delete_and_record(tx: &mut Tx, sessions: &[Ended], why: SessionEnd) -> StoreResult<()> {
    for s in sessions {
        delete_token_rows(tx, s.id).await?;
    }
    for s in sessions {
        let mut details = s.details.clone();
        details["reason"] = json!(why.as_str());
        tx.record("mobile_session.deleted", "mobile_session", s.id, details)
            .await?;
    }
    Ok(())
}
