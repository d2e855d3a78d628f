//! Verifier keys (`kwv_…`, SPEC §4), and the server-wide single-tenant mode that decides
//! whether a check may leave its tenant unnamed.

use crate::audit::Actor;
use crate::error::on_unique;
use crate::query::{row_of, Arg, Filter, Listing, Page};
use crate::{rows, Store, StoreError, StoreResult};
use keyward_core::change::UpdateVerifierKey;
use keyward_core::model::VerifierKey;
use keyward_core::text::Name;
use keyward_core::{TenantId, TokenHash, VerifierKeyId};
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::Row;

const COLS: &str = "id, tenant_id, name, description, hint, created_at, created_by, updated_at";

/// A verifier key to store: its secret is already hashed.
pub struct NewVerifierKey {
    pub id: VerifierKeyId,
    pub name: Name,
    pub description: String,
    pub hash: TokenHash,
    pub hint: String,
}

fn verifier_key(r: &AnyRow) -> StoreResult<VerifierKey> {
    Ok(VerifierKey {
        id: rows::id(r, "id")?,
        tenant_id: rows::id(r, "tenant_id")?,
        name: r.try_get("name")?,
        description: r.try_get("description")?,
        hint: r.try_get("hint")?,
        created_at: rows::time(r, "created_at")?,
        created_by: rows::opt_id(r, "created_by")?,
        updated_at: rows::time(r, "updated_at")?,
    })
}

impl Store {
    pub async fn insert_verifier_key(
        &self,
        tenant: TenantId,
        new: &NewVerifierKey,
        actor: &Actor,
    ) -> StoreResult<VerifierKey> {
        let now = crate::now();
        let mut tx = self.begin_by(tenant, actor, now).await?;
        let row = sqlx::query(&format!(
            "INSERT INTO verifier_keys (id, tenant_id, name, description, hint, hash, created_at, created_by, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $7) RETURNING {COLS}"
        ))
        .arg(new.id)
        .arg(tenant)
        .arg(&new.name)
        .arg(&new.description)
        .arg(&new.hint)
        .arg(&new.hash)
        .arg(now)
        .arg(actor.user_id)
        .fetch_one(&mut **tx)
        .await
        .map_err(on_unique("verifier key", &new.hint))?;
        tx.stored_secret(&new.hash);
        tx.record(
            "verifier_key.created",
            "verifier_key",
            new.id,
            json!({"name": new.name, "hint": new.hint}),
        )
        .await?;
        tx.commit().await?;
        verifier_key(&row)
    }

    pub async fn verifier_key(
        &self,
        tenant: TenantId,
        id: VerifierKeyId,
    ) -> StoreResult<VerifierKey> {
        let row = row_of(
            &self.read,
            &format!("SELECT {COLS} FROM verifier_keys WHERE id = $1 AND tenant_id = $2"),
            id,
            tenant,
            "verifier key",
        )
        .await?;
        verifier_key(&row)
    }

    /// A tenant's verifier keys, by name.
    pub async fn list_verifier_keys(
        &self,
        tenant: TenantId,
        page: Page,
    ) -> StoreResult<(Vec<VerifierKey>, i64)> {
        let mut f = Filter::default();
        f.eq("tenant_id", tenant);
        const KEYS: Listing = Listing::new(COLS, "FROM verifier_keys", "name, id");
        self.page(&KEYS, f, page, verifier_key).await
    }

    pub async fn update_verifier_key(
        &self,
        tenant: TenantId,
        id: VerifierKeyId,
        up: &UpdateVerifierKey,
        actor: &Actor,
    ) -> StoreResult<VerifierKey> {
        let now = crate::now();
        let mut tx = self.begin_by(tenant, actor, now).await?;
        let mut key = self.lock_verifier_key(&mut tx, tenant, id).await?;
        up.apply(&mut key);
        let row = sqlx::query(&format!(
            "UPDATE verifier_keys SET name = $2, description = $3, updated_at = $4 WHERE id = $1 \
             RETURNING {COLS}"
        ))
        .arg(id)
        .arg(&key.name)
        .arg(&key.description)
        .arg(now)
        .fetch_one(&mut **tx)
        .await?;
        tx.record(
            "verifier_key.updated",
            "verifier_key",
            id,
            json!({"name": key.name, "description": key.description}),
        )
        .await?;
        tx.commit().await?;
        verifier_key(&row)
    }

    /// Deletes a key for good: the service holding it can no longer ask checks.
    pub async fn delete_verifier_key(
        &self,
        tenant: TenantId,
        id: VerifierKeyId,
        actor: &Actor,
    ) -> StoreResult<()> {
        let now = crate::now();
        let mut tx = self.begin_by(tenant, actor, now).await?;
        let key = self.lock_verifier_key(&mut tx, tenant, id).await?;
        sqlx::query("DELETE FROM verifier_keys WHERE id = $1")
            .arg(id)
            .execute(&mut **tx)
            .await?;
        tx.record(
            "verifier_key.deleted",
            "verifier_key",
            id,
            json!({"name": key.name, "hint": key.hint}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A key of `tenant`, read for a change in `tx` (locked on PostgreSQL).
    async fn lock_verifier_key(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        tenant: TenantId,
        id: VerifierKeyId,
    ) -> StoreResult<VerifierKey> {
        let row = row_of(
            &mut **tx,
            &format!(
                "SELECT {COLS} FROM verifier_keys WHERE id = $1 AND tenant_id = $2{}",
                self.for_update()
            ),
            id,
            tenant,
            "verifier key",
        )
        .await?;
        verifier_key(&row)
    }

    /// The key whose secret hashes to `hash`, of any tenant: the caller binds the check
    /// to the key's own tenant.
    pub async fn verifier_key_by_hash(&self, hash: &TokenHash) -> StoreResult<Option<VerifierKey>> {
        let row = sqlx::query(&format!("SELECT {COLS} FROM verifier_keys WHERE hash = $1"))
            .arg(hash)
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(verifier_key).transpose()
    }

    /// First 8 bytes of every verifier key's hash, for the verifier's filter.
    pub async fn verifier_key_hash_prefixes(&self) -> StoreResult<Vec<u64>> {
        self.hash_prefixes("verifier_keys", None).await
    }

    /// The same for the given keys (after a change seen in the log).
    pub async fn verifier_key_hash_prefixes_of(&self, ids: &[String]) -> StoreResult<Vec<u64>> {
        self.hash_prefixes("verifier_keys", Some(("id", ids))).await
    }

    /// Records whether the server runs in single-tenant mode (`serve --single-tenant`).
    /// On, it refuses to start when more than one tenant exists.
    pub async fn set_single_tenant(&self, on: bool) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        if on {
            let tenants: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tenants")
                .fetch_one(&mut **tx)
                .await?;
            if tenants > 1 {
                return Err(StoreError::Refused {
                    code: "several_tenants",
                    message: format!(
                        "single-tenant mode needs at most one tenant, and this database holds {tenants}"
                    ),
                });
            }
        }
        sqlx::query("DELETE FROM server_settings WHERE name = 'single_tenant'")
            .execute(&mut **tx)
            .await?;
        if on {
            sqlx::query("INSERT INTO server_settings (name, value) VALUES ('single_tenant', 'on')")
                .execute(&mut **tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn single_tenant(&self) -> StoreResult<bool> {
        let v: Option<String> =
            sqlx::query_scalar("SELECT value FROM server_settings WHERE name = 'single_tenant'")
                .fetch_optional(&self.read)
                .await?;
        Ok(v.as_deref() == Some("on"))
    }
}

impl Store {
    /// Deletes a leaked verifier key at once (its service is given a new one), and audits
    /// the report (`verifier_key.deleted` with reason `leaked`, and `token.leaked` with
    /// where it was found); the change log tells every node. False when no key has this
    /// secret.
    pub async fn revoke_leaked_verifier_key(
        &self,
        hash: &TokenHash,
        report: &crate::LeakReport,
        actor: &Actor,
    ) -> StoreResult<bool> {
        let Some(key) = self.verifier_key_by_hash(hash).await? else {
            return Ok(false);
        };
        let now = crate::now();
        let mut tx = self.begin_by(key.tenant_id, actor, now).await?;
        let n = sqlx::query("DELETE FROM verifier_keys WHERE id = $1 AND hash = $2")
            .arg(key.id)
            .arg(hash)
            .execute(&mut **tx)
            .await?
            .rows_affected();
        if n == 0 {
            // Deleted meanwhile, by an administrator or a report at the same moment.
            return Ok(false);
        }
        tx.record(
            "verifier_key.deleted",
            "verifier_key",
            key.id,
            json!({"name": key.name, "hint": key.hint, "reason": "leaked"}),
        )
        .await?;
        tx.record(
            "token.leaked",
            "verifier_key",
            key.id,
            json!({"name": key.name, "hint": key.hint, "source": report.source,
                   "url": report.url, "reported_type": report.reported_type}),
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }
}
