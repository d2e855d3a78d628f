//! Verifier keys (`kwv_…`, SPEC §4), and the server-wide single-tenant mode that decides
//! whether a check may leave its tenant unnamed.

use crate::audit::{record, Actor};
use crate::error::on_unique;
use crate::query::{Filter, Page};
use crate::{rows, to_ms, Store, StoreError, StoreResult};
use keyward_core::model::VerifierKey;
use keyward_core::{TenantId, TokenHash, VerifierKeyId};
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::Row;

const COLS: &str = "id, tenant_id, name, description, hint, created_at, created_by, updated_at";

/// A verifier key to store: its secret is already hashed.
pub struct NewVerifierKey {
    pub id: VerifierKeyId,
    pub name: String,
    pub description: String,
    pub hash: TokenHash,
    pub hint: String,
}

/// What a PATCH may change: absent fields stay as they are.
#[derive(Default)]
pub struct VerifierKeyUpdate {
    pub name: Option<String>,
    pub description: Option<String>,
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
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO verifier_keys (id, tenant_id, name, description, hint, hash, created_at, created_by, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $7)",
        )
        .bind(new.id.to_string())
        .bind(tenant.to_string())
        .bind(new.name.clone())
        .bind(new.description.clone())
        .bind(new.hint.clone())
        .bind(new.hash.to_hex())
        .bind(to_ms(now))
        .bind(actor.user_id.map(|u| u.to_string()))
        .execute(&mut **tx)
        .await
        .map_err(on_unique("verifier key", &new.hint))?;
        tx.stored_secret(&new.hash);
        record(
            &mut tx,
            tenant,
            actor,
            "verifier_key.created",
            "verifier_key",
            &new.id.to_string(),
            json!({"name": new.name, "hint": new.hint}),
            now,
        )
        .await?;
        tx.commit().await?;
        self.verifier_key(tenant, new.id).await
    }

    pub async fn verifier_key(
        &self,
        tenant: TenantId,
        id: VerifierKeyId,
    ) -> StoreResult<VerifierKey> {
        let row = sqlx::query(&format!(
            "SELECT {COLS} FROM verifier_keys WHERE id = $1 AND tenant_id = $2"
        ))
        .bind(id.to_string())
        .bind(tenant.to_string())
        .fetch_optional(&self.read)
        .await?
        .ok_or(StoreError::NotFound("verifier key"))?;
        verifier_key(&row)
    }

    /// A tenant's verifier keys, by name.
    pub async fn list_verifier_keys(
        &self,
        tenant: TenantId,
        page: Page,
    ) -> StoreResult<(Vec<VerifierKey>, i64)> {
        let mut f = Filter::default();
        let p = f.text(tenant.to_string());
        f.and(format!("tenant_id = {p}"));
        let total: i64 = sqlx::query_scalar_with(
            &format!("SELECT COUNT(*) FROM verifier_keys{}", f.where_sql()),
            f.args(),
        )
        .fetch_one(&self.read)
        .await?;
        let lim = f.int(page.limit());
        let off = f.int(page.offset());
        let sql = format!(
            "SELECT {COLS} FROM verifier_keys{} ORDER BY name, id LIMIT {lim} OFFSET {off}",
            f.where_sql()
        );
        let rows = sqlx::query_with(&sql, f.args())
            .fetch_all(&self.read)
            .await?;
        Ok((
            rows.iter().map(verifier_key).collect::<StoreResult<_>>()?,
            total,
        ))
    }

    pub async fn update_verifier_key(
        &self,
        tenant: TenantId,
        id: VerifierKeyId,
        up: &VerifierKeyUpdate,
        actor: &Actor,
    ) -> StoreResult<VerifierKey> {
        let now = crate::now();
        let mut tx = self.begin().await?;
        let cur = self.lock_verifier_key(&mut tx, tenant, id).await?;
        let name = up.name.clone().unwrap_or(cur.name);
        let description = up.description.clone().unwrap_or(cur.description);
        sqlx::query(
            "UPDATE verifier_keys SET name = $2, description = $3, updated_at = $4 WHERE id = $1",
        )
        .bind(id.to_string())
        .bind(name.clone())
        .bind(description.clone())
        .bind(to_ms(now))
        .execute(&mut **tx)
        .await?;
        record(
            &mut tx,
            tenant,
            actor,
            "verifier_key.updated",
            "verifier_key",
            &id.to_string(),
            json!({"name": name, "description": description}),
            now,
        )
        .await?;
        tx.commit().await?;
        self.verifier_key(tenant, id).await
    }

    /// Deletes a key for good: the service holding it can no longer ask checks.
    pub async fn delete_verifier_key(
        &self,
        tenant: TenantId,
        id: VerifierKeyId,
        actor: &Actor,
    ) -> StoreResult<()> {
        let now = crate::now();
        let mut tx = self.begin().await?;
        let key = self.lock_verifier_key(&mut tx, tenant, id).await?;
        sqlx::query("DELETE FROM verifier_keys WHERE id = $1")
            .bind(id.to_string())
            .execute(&mut **tx)
            .await?;
        record(
            &mut tx,
            tenant,
            actor,
            "verifier_key.deleted",
            "verifier_key",
            &id.to_string(),
            json!({"name": key.name, "hint": key.hint}),
            now,
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
        let row = sqlx::query(&format!(
            "SELECT {COLS} FROM verifier_keys WHERE id = $1 AND tenant_id = $2{}",
            self.for_update()
        ))
        .bind(id.to_string())
        .bind(tenant.to_string())
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(StoreError::NotFound("verifier key"))?;
        verifier_key(&row)
    }

    /// The key whose secret hashes to `hash`, of any tenant: the caller binds the check
    /// to the key's own tenant.
    pub async fn verifier_key_by_hash(&self, hash: &TokenHash) -> StoreResult<Option<VerifierKey>> {
        let row = sqlx::query(&format!("SELECT {COLS} FROM verifier_keys WHERE hash = $1"))
            .bind(hash.to_hex())
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(verifier_key).transpose()
    }

    /// First 8 bytes of every verifier key's hash, for the verifier's filter.
    pub async fn verifier_key_hash_prefixes(&self) -> StoreResult<Vec<u64>> {
        self.verifier_key_prefixes("SELECT hash FROM verifier_keys", &[])
            .await
    }

    /// The same for the given keys (after a change seen in the log).
    pub async fn verifier_key_hash_prefixes_of(&self, ids: &[String]) -> StoreResult<Vec<u64>> {
        let mut out = Vec::new();
        for chunk in ids.chunks(100) {
            let mut f = Filter::default();
            let list = chunk
                .iter()
                .map(|id| f.text(id.clone()))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!("SELECT hash FROM verifier_keys WHERE id IN ({list})");
            out.extend(self.verifier_key_prefixes(&sql, chunk).await?);
        }
        Ok(out)
    }

    async fn verifier_key_prefixes(&self, sql: &str, binds: &[String]) -> StoreResult<Vec<u64>> {
        let mut q = sqlx::query_scalar::<_, String>(sql);
        for b in binds {
            q = q.bind(b.clone());
        }
        let hashes = q.fetch_all(&self.read).await?;
        Ok(hashes
            .iter()
            .filter_map(|h| TokenHash::from_hex(h))
            .map(|h| h.prefix64())
            .collect())
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
