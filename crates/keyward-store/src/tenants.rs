//! Tenants and their settings.

use crate::audit::Actor;
use crate::error::on_unique;
use crate::query::{row_for, Arg};
use crate::rows;
use crate::{Store, StoreError, StoreResult};
use keyward_core::model::{SecretStorage, Tenant, TenantSettings};
use keyward_core::TenantId;
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::Row;
use time::OffsetDateTime;

fn tenant(r: &AnyRow) -> StoreResult<Tenant> {
    Ok(Tenant {
        id: rows::id(r, "id")?,
        name: r.try_get("name")?,
        created_at: rows::time(r, "created_at")?,
    })
}

impl Store {
    pub async fn create_tenant(
        &self,
        name: &str,
        settings: &TenantSettings,
        actor: &Actor,
    ) -> StoreResult<Tenant> {
        let now = crate::now();
        let tenant = Tenant {
            id: TenantId::new(),
            name: name.to_string(),
            created_at: now,
        };
        let mut tx = self.begin_by(tenant.id, actor, now).await?;
        let single: Option<String> = sqlx::query_scalar(&format!(
            "SELECT value FROM server_settings WHERE name = 'single_tenant'{}",
            self.for_update()
        ))
        .fetch_optional(&mut **tx)
        .await?;
        if single.as_deref() == Some("on") {
            let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tenants")
                .fetch_one(&mut **tx)
                .await?;
            if existing > 0 {
                return Err(StoreError::Refused {
                    code: "single_tenant",
                    message: "this database is in single-tenant mode (keyward serve --single-tenant) and already \
                              has its tenant; start keyward once with --single-tenant=false to hold several"
                        .into(),
                });
            }
        }
        sqlx::query("INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3)")
            .arg(tenant.id)
            .arg(name)
            .arg(now)
            .execute(&mut **tx)
            .await
            .map_err(on_unique("tenant name", name))?;
        write_settings(&mut tx, tenant.id, settings, now, true).await?;
        tx.record("tenant.created", "tenant", tenant.id, json!({"name": name}))
            .await?;
        tx.commit().await?;
        Ok(tenant)
    }

    pub async fn tenant(&self, id: TenantId) -> StoreResult<Tenant> {
        let sql = "SELECT id, name, created_at FROM tenants WHERE id = $1";
        tenant(&row_for(&self.read, sql, id, "tenant").await?)
    }

    pub async fn tenant_by_name(&self, name: &str) -> StoreResult<Tenant> {
        let sql = "SELECT id, name, created_at FROM tenants WHERE name = $1";
        tenant(&row_for(&self.read, sql, name, "tenant").await?)
    }

    pub async fn list_tenants(&self) -> StoreResult<Vec<Tenant>> {
        let rows = sqlx::query("SELECT id, name, created_at FROM tenants ORDER BY name")
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(tenant).collect()
    }

    pub async fn settings(&self, tenant: TenantId) -> StoreResult<TenantSettings> {
        let sql = "SELECT * FROM tenant_settings WHERE tenant_id = $1";
        rows::settings(&row_for(&self.read, sql, tenant, "tenant").await?)
    }

    /// Changes the settings with `change`, which sees the current values and may refuse
    /// with a message. Read and write happen in one transaction, so two administrators
    /// changing different settings at once both keep their change. Moving to `show_once`
    /// drops every stored copy of the tenant's secrets. The audit event records old and new.
    pub async fn update_settings(
        &self,
        tenant: TenantId,
        change: impl FnOnce(&mut TenantSettings) -> Result<(), String>,
        actor: &Actor,
    ) -> StoreResult<TenantSettings> {
        let now = crate::now();
        let mut tx = self.begin_by(tenant, actor, now).await?;
        let sql = format!(
            "SELECT * FROM tenant_settings WHERE tenant_id = $1{}",
            self.for_update()
        );
        let old = rows::settings(&row_for(&mut **tx, &sql, tenant, "tenant").await?)?;
        let mut new = old.clone();
        change(&mut new).map_err(StoreError::Invalid)?;
        write_settings(&mut tx, tenant, &new, now, false).await?;
        if new.secret_storage == SecretStorage::ShowOnce
            && old.secret_storage != SecretStorage::ShowOnce
        {
            for table in ["tokens", "endpoint_tokens"] {
                sqlx::query(&format!(
                    "UPDATE {table} SET sealed_secret = NULL WHERE tenant_id = $1"
                ))
                .arg(tenant)
                .execute(&mut **tx)
                .await?;
            }
        }
        tx.record(
            "settings.updated",
            "settings",
            tenant,
            json!({"old": old, "new": new}),
        )
        .await?;
        tx.commit().await?;
        Ok(new)
    }
}

async fn write_settings(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    tenant: TenantId,
    s: &TenantSettings,
    now: OffsetDateTime,
    insert: bool,
) -> StoreResult<()> {
    let sql = if insert {
        "INSERT INTO tenant_settings (tenant_id, api_tokens_enabled, require_technical_user, secret_storage, \
         max_token_lifetime_days, default_token_lifetime_days, mobile_session_days, updated_at, expiry_notice_days, \
         api_base_url, flag_unused_after_days, revoke_unused_after_days) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    } else {
        "UPDATE tenant_settings SET api_tokens_enabled = $2, require_technical_user = $3, secret_storage = $4, \
         max_token_lifetime_days = $5, default_token_lifetime_days = $6, mobile_session_days = $7, updated_at = $8, \
         expiry_notice_days = $9, api_base_url = $10, flag_unused_after_days = $11, revoke_unused_after_days = $12 \
         WHERE tenant_id = $1"
    };
    sqlx::query(sql)
        .arg(tenant)
        .arg(s.api_tokens_enabled)
        .arg(s.require_technical_user)
        .arg(s.secret_storage.as_str())
        .arg(s.max_token_lifetime_days)
        .arg(s.default_token_lifetime_days)
        .arg(s.mobile_session_days)
        .arg(now)
        .arg(s.expiry_notice_days)
        .arg(s.api_base_url.as_deref())
        .arg(s.flag_unused_after_days)
        .arg(s.revoke_unused_after_days)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
