//! Users, departments, user types and memberships. Every lookup is scoped by tenant, so an
//! id from another tenant behaves exactly like an id that does not exist.

use crate::audit::Actor;
use crate::console::ConsoleSessionEnd;
use crate::error::{on_reference, on_unique};
use crate::mobile::SessionEnd;
use crate::query::{found, row_of, search_key, Arg, Filter, Listing, Page, Value};
use crate::rows::{self, USER_COLS};
use crate::update::Note;
use crate::{to_ms, Store, StoreError, StoreResult};
use keyward_core::change::patch;
use keyward_core::change::UpdateUserType;
use keyward_core::model::{Department, Membership, User, UserType};
use keyward_core::text::{Email, Name};
use keyward_core::{DepartmentId, MembershipId, Permission, TenantId, UserId, UserTypeId};
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::Row;
use std::sync::LazyLock;
use time::OffsetDateTime;

#[derive(Clone, Debug)]
pub struct NewUser {
    pub username: String,
    /// Not an `Email`: the bootstrapped administrator's address is `name@localhost`.
    pub email: String,
    pub display_name: String,
    pub is_admin: bool,
    pub is_technical: bool,
    pub active_from: Option<OffsetDateTime>,
    pub active_until: Option<OffsetDateTime>,
    /// An argon2id PHC string, already computed by the caller.
    pub password_hash: Option<String>,
}

/// A partial update: `None` leaves a field as it is; `Some(None)` clears an optional one.
#[derive(Clone, Debug, Default)]
pub struct UserUpdate {
    pub email: Option<Email>,
    pub display_name: Option<Name>,
    pub is_admin: Option<bool>,
    pub is_technical: Option<bool>,
    pub locked: Option<bool>,
    pub active_from: Option<Option<OffsetDateTime>>,
    pub active_until: Option<Option<OffsetDateTime>>,
    pub password_hash: Option<Option<String>>,
}

#[derive(Clone, Debug, Default)]
pub struct UserFilter {
    pub q: Option<String>,
    pub is_admin: Option<bool>,
    pub is_technical: Option<bool>,
    pub locked: Option<bool>,
}

/// A table of named objects of a tenant (departments, user types): read by id, listed
/// by name.
struct Named {
    table: &'static str,
    columns: &'static str,
    /// The audit trail's object type.
    object: &'static str,
    /// What `NotFound` names.
    label: &'static str,
    /// Why it cannot be deleted while memberships or tokens use it.
    in_use: &'static str,
}

const DEPARTMENTS: Named = Named {
    table: "departments",
    columns: "id, tenant_id, name, created_at",
    object: "department",
    label: "department",
    in_use: "the department is still used by memberships or tokens; remove those first",
};
const USER_TYPES: Named = Named {
    table: "user_types",
    columns: "id, tenant_id, name, permissions, created_at",
    object: "user_type",
    label: "user type",
    in_use: "the user type is still used by memberships or tokens; remove those first",
};
const DEPARTMENT_COLS: &str = DEPARTMENTS.columns;
const USER_TYPE_COLS: &str = USER_TYPES.columns;

impl Store {
    pub async fn create_user(
        &self,
        tenant: TenantId,
        u: &NewUser,
        actor: &Actor,
    ) -> StoreResult<User> {
        let now = crate::now();
        let id = UserId::new();
        let mut tx = self.begin_by(tenant, actor, now).await?;
        let row = sqlx::query(&format!(
            "INSERT INTO users (id, tenant_id, username, email, display_name, is_admin, is_technical, locked, \
             active_from, active_until, password_hash, created_at, updated_at, search) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9, $10, $11, $11, $12) RETURNING {USER_COLS}"
        ))
        .arg(id)
        .arg(tenant)
        .arg(&u.username)
        .arg(&u.email)
        .arg(&u.display_name)
        .arg(u.is_admin)
        .arg(u.is_technical)
        .arg(u.active_from)
        .arg(u.active_until)
        .arg(u.password_hash.clone())
        .arg(now)
        .arg(search_key(&[&u.username, &u.email, &u.display_name]))
        .fetch_one(&mut **tx)
        .await
        .map_err(on_unique("username", &u.username))?;
        tx.record(
            "user.created",
            "user",
            id,
            json!({"username": u.username, "is_admin": u.is_admin, "is_technical": u.is_technical}),
        )
        .await?;
        tx.commit().await?;
        rows::user(&row)
    }

    pub async fn user(&self, tenant: TenantId, id: UserId) -> StoreResult<User> {
        let sql = format!("SELECT {USER_COLS} FROM users WHERE id = $1 AND tenant_id = $2");
        let row = row_of(&self.read, &sql, id, tenant, "user").await?;
        rows::user(&row)
    }

    /// The user and their password hash, for login.
    pub async fn user_with_password(
        &self,
        tenant: TenantId,
        username: &str,
    ) -> StoreResult<(User, Option<String>)> {
        let sql = format!("SELECT {USER_COLS} FROM users WHERE username = $1 AND tenant_id = $2");
        let row = row_of(&self.read, &sql, username, tenant, "user").await?;
        Ok((rows::user(&row)?, row.try_get("password_hash")?))
    }

    pub async fn list_users(
        &self,
        tenant: TenantId,
        f: &UserFilter,
        page: Page,
    ) -> StoreResult<(Vec<User>, i64)> {
        let mut q = Filter::default();
        q.eq("tenant_id", tenant);
        q.contains(&["search"], f.q.as_deref());
        for (col, v) in [
            ("is_admin", f.is_admin),
            ("is_technical", f.is_technical),
            ("locked", f.locked),
        ] {
            if let Some(v) = v {
                q.eq(col, v);
            }
        }
        const USERS: Listing = Listing::new(USER_COLS, "FROM users", "username");
        self.page(&USERS, q, page, rows::user).await
    }

    pub async fn update_user(
        &self,
        tenant: TenantId,
        id: UserId,
        up: &UserUpdate,
        actor: &Actor,
    ) -> StoreResult<User> {
        let now = crate::now();
        let mut tx = self.begin_by(tenant, actor, now).await?;
        let sql = format!(
            "SELECT {USER_COLS} FROM users WHERE id = $1 AND tenant_id = $2{}",
            self.for_update()
        );
        let row = row_of(&mut **tx, &sql, id, tenant, "user").await?;
        let old = rows::user(&row)?;
        let old_hash: Option<String> = row.try_get("password_hash")?;
        let mut u = old.clone();
        patch(&mut u.email, &up.email);
        patch(&mut u.display_name, &up.display_name);
        patch(&mut u.is_admin, &up.is_admin);
        patch(&mut u.is_technical, &up.is_technical);
        patch(&mut u.locked, &up.locked);
        patch(&mut u.active_from, &up.active_from);
        patch(&mut u.active_until, &up.active_until);
        let hash = up.password_hash.clone().unwrap_or(old_hash);
        let row = sqlx::query(&format!(
            "UPDATE users SET email = $3, display_name = $4, is_admin = $5, is_technical = $6, locked = $7, \
             active_from = $8, active_until = $9, password_hash = $10, updated_at = $11, search = $12 \
             WHERE id = $1 AND tenant_id = $2 RETURNING {USER_COLS}"
        ))
        .arg(id)
        .arg(tenant)
        .arg(&u.email)
        .arg(&u.display_name)
        .arg(u.is_admin)
        .arg(u.is_technical)
        .arg(u.locked)
        .arg(u.active_from)
        .arg(u.active_until)
        .arg(hash)
        .arg(now)
        .arg(search_key(&[&u.username, &u.email, &u.display_name]))
        .fetch_one(&mut **tx)
        .await?;
        let action = match up.locked {
            Some(true) if !old.locked => "user.locked",
            Some(false) if old.locked => "user.unlocked",
            _ => "user.updated",
        };
        let mut changed = serde_json::Map::new();
        if action == "user.locked" {
            // Locking ends the user's mobile sessions for good, so unlocking later does
            // not bring those devices back (API tokens only pause: SPEC §3 rule 4).
            let ended = self
                .end_sessions_of_user(&mut tx, tenant, id, SessionEnd::UserLocked)
                .await?;
            changed.insert("mobile_sessions_ended".into(), json!(ended));
        }
        changed.note("email", &old.email, &u.email);
        changed.note("display_name", &old.display_name, &u.display_name);
        changed.note("is_admin", &old.is_admin, &u.is_admin);
        changed.note("is_technical", &old.is_technical, &u.is_technical);
        changed.note("locked", &old.locked, &u.locked);
        if old.active_from != u.active_from {
            changed.insert("active_from".into(), json!(u.active_from.map(to_ms)));
        }
        if old.active_until != u.active_until {
            changed.insert("active_until".into(), json!(u.active_until.map(to_ms)));
        }
        if up.password_hash.is_some() {
            changed.insert("password".into(), json!("changed"));
            // A new (or no) password ends every login made with the old one, on the
            // console and on phones: a leaked password stops being useful the moment an
            // administrator resets it.
            let ended = self
                .end_sessions_of_user(&mut tx, tenant, id, SessionEnd::PasswordChanged)
                .await?;
            changed.insert("mobile_sessions_ended".into(), json!(ended));
        }
        // Console sessions are deleted, not merely refused, whenever their user may no
        // longer use the console, so undoing the change later revives no old cookie.
        let console_end = if up.password_hash.is_some() {
            Some(ConsoleSessionEnd::PasswordChanged)
        } else {
            ConsoleSessionEnd::for_user(&u, now)
        };
        // The user's own event first: the sessions' events say what followed from it.
        tx.record(action, "user", id, serde_json::Value::Object(changed))
            .await?;
        if let Some(why) = console_end {
            Self::end_console_sessions_of_user(&mut tx, tenant, id, why).await?;
        }
        tx.commit().await?;
        rows::user(&row)
    }

    pub async fn delete_user(
        &self,
        tenant: TenantId,
        id: UserId,
        actor: &Actor,
    ) -> StoreResult<()> {
        let now = crate::now();
        let mut tx = self.begin_by(tenant, actor, now).await?;
        let username: String =
            sqlx::query_scalar("SELECT username FROM users WHERE id = $1 AND tenant_id = $2")
                .arg(id)
                .arg(tenant)
                .fetch_optional(&mut **tx)
                .await?
                .ok_or(StoreError::NotFound("user"))?;
        sqlx::query("DELETE FROM users WHERE id = $1 AND tenant_id = $2")
            .arg(id)
            .arg(tenant)
            .execute(&mut **tx)
            .await
            .map_err(on_reference(
                "the user still owns tokens; delete their tokens first",
            ))?;
        tx.record("user.deleted", "user", id, json!({"username": username}))
            .await?;
        tx.commit().await?;
        Ok(())
    }

    // --- departments -------------------------------------------------------------------

    pub async fn create_department(
        &self,
        tenant: TenantId,
        name: &Name,
        actor: &Actor,
    ) -> StoreResult<Department> {
        let now = crate::now();
        let d = Department {
            id: DepartmentId::new(),
            tenant_id: tenant,
            name: name.to_string(),
            created_at: now,
        };
        let name = name.as_str();
        let mut tx = self.begin_by(tenant, actor, now).await?;
        sqlx::query(
            "INSERT INTO departments (id, tenant_id, name, created_at, search) VALUES ($1, $2, $3, $4, $5)",
        )
        .arg(d.id)
        .arg(tenant)
        .arg(name)
        .arg(now)
        .arg(search_key(&[name]))
        .execute(&mut **tx)
        .await
        .map_err(on_unique("department name", name))?;
        tx.record(
            "department.created",
            "department",
            d.id,
            json!({"name": name}),
        )
        .await?;
        tx.commit().await?;
        Ok(d)
    }

    pub async fn department(&self, tenant: TenantId, id: DepartmentId) -> StoreResult<Department> {
        department(&self.named(&DEPARTMENTS, tenant, id).await?)
    }

    pub async fn list_departments(
        &self,
        tenant: TenantId,
        q: Option<&str>,
        page: Page,
    ) -> StoreResult<(Vec<Department>, i64)> {
        self.list_named(&DEPARTMENTS, tenant, q, page, department)
            .await
    }

    pub async fn rename_department(
        &self,
        tenant: TenantId,
        id: DepartmentId,
        name: &Name,
        actor: &Actor,
    ) -> StoreResult<Department> {
        let name = name.as_str();
        let now = crate::now();
        let mut tx = self.begin_by(tenant, actor, now).await?;
        let row = sqlx::query(&format!(
            "UPDATE departments SET name = $3, search = $4 WHERE id = $1 AND tenant_id = $2 \
             RETURNING {DEPARTMENT_COLS}"
        ))
        .arg(id)
        .arg(tenant)
        .arg(name)
        .arg(search_key(&[name]))
        .fetch_optional(&mut **tx)
        .await
        .map_err(on_unique("department name", name))?
        .ok_or(StoreError::NotFound("department"))?;
        tx.record(
            "department.updated",
            "department",
            id,
            json!({"name": name}),
        )
        .await?;
        tx.commit().await?;
        department(&row)
    }

    pub async fn delete_department(
        &self,
        tenant: TenantId,
        id: DepartmentId,
        actor: &Actor,
    ) -> StoreResult<()> {
        self.delete_named(&DEPARTMENTS, tenant, id, actor).await
    }

    // --- user types --------------------------------------------------------------------

    pub async fn create_user_type(
        &self,
        tenant: TenantId,
        name: &Name,
        permissions: &[Permission],
        actor: &Actor,
    ) -> StoreResult<UserType> {
        let name = name.as_str();
        let now = crate::now();
        let ut = UserType {
            id: UserTypeId::new(),
            tenant_id: tenant,
            name: name.to_string(),
            permissions: normalise(permissions),
            created_at: now,
        };
        let mut tx = self.begin_by(tenant, actor, now).await?;
        sqlx::query(
            "INSERT INTO user_types (id, tenant_id, name, permissions, created_at, search) VALUES ($1, $2, $3, $4, $5, $6)",
        )
            .arg(ut.id)
            .arg(tenant)
            .arg(name)
            .arg(json!(ut.permissions).to_string())
            .arg(now)
            .arg(search_key(&[name]))
            .execute(&mut **tx)
            .await
            .map_err(on_unique("user type name", name))?;
        tx.record(
            "user_type.created",
            "user_type",
            ut.id,
            json!({"name": name, "permissions": ut.permissions}),
        )
        .await?;
        tx.commit().await?;
        Ok(ut)
    }

    pub async fn user_type(&self, tenant: TenantId, id: UserTypeId) -> StoreResult<UserType> {
        user_type(&self.named(&USER_TYPES, tenant, id).await?)
    }

    pub async fn list_user_types(
        &self,
        tenant: TenantId,
        q: Option<&str>,
        page: Page,
    ) -> StoreResult<(Vec<UserType>, i64)> {
        self.list_named(&USER_TYPES, tenant, q, page, user_type)
            .await
    }

    async fn named(&self, n: &Named, tenant: TenantId, id: impl Value) -> StoreResult<AnyRow> {
        let sql = format!(
            "SELECT {} FROM {} WHERE id = $1 AND tenant_id = $2",
            n.columns, n.table
        );
        row_of(&self.read, &sql, id, tenant, n.label).await
    }

    /// The tenant's objects of `n` whose name contains `q`, by name.
    async fn list_named<T>(
        &self,
        n: &Named,
        tenant: TenantId,
        q: Option<&str>,
        page: Page,
        row: impl Fn(&AnyRow) -> StoreResult<T>,
    ) -> StoreResult<(Vec<T>, i64)> {
        let mut f = Filter::default();
        f.eq("tenant_id", tenant);
        f.contains(&["search"], q);
        let from = format!("FROM {}", n.table);
        let listing = Listing::new(n.columns, &from, "name");
        self.page(&listing, f, page, row).await
    }

    pub async fn update_user_type(
        &self,
        tenant: TenantId,
        id: UserTypeId,
        up: &UpdateUserType,
        actor: &Actor,
    ) -> StoreResult<UserType> {
        let now = crate::now();
        let mut tx = self.begin_by(tenant, actor, now).await?;
        let sql = format!(
            "SELECT {USER_TYPE_COLS} FROM user_types WHERE id = $1 AND tenant_id = $2{}",
            self.for_update()
        );
        let row = row_of(&mut **tx, &sql, id, tenant, "user type").await?;
        let current = user_type(&row)?;
        let mut ut = current.clone();
        up.apply(&mut ut);
        ut.permissions = normalise(&ut.permissions);
        sqlx::query(
            "UPDATE user_types SET name = $3, permissions = $4, search = $5 WHERE id = $1 AND tenant_id = $2",
        )
        .arg(id)
        .arg(tenant)
        .arg(&ut.name)
        .arg(json!(ut.permissions).to_string())
        .arg(search_key(&[&ut.name]))
        .execute(&mut **tx)
        .await
        .map_err(on_unique("user type name", &ut.name))?;
        tx.record(
            "user_type.updated",
            "user_type",
            id,
            json!({"name": ut.name, "old_permissions": current.permissions, "permissions": ut.permissions}),
        )
        .await?;
        tx.commit().await?;
        Ok(ut)
    }

    pub async fn delete_user_type(
        &self,
        tenant: TenantId,
        id: UserTypeId,
        actor: &Actor,
    ) -> StoreResult<()> {
        self.delete_named(&USER_TYPES, tenant, id, actor).await
    }

    async fn delete_named(
        &self,
        n: &Named,
        tenant: TenantId,
        id: impl Value + Copy + std::fmt::Display,
        actor: &Actor,
    ) -> StoreResult<()> {
        let (table, object) = (n.table, n.object);
        let now = crate::now();
        let mut tx = self.begin_by(tenant, actor, now).await?;
        let name: String = sqlx::query_scalar(&format!(
            "SELECT name FROM {table} WHERE id = $1 AND tenant_id = $2"
        ))
        .arg(id)
        .arg(tenant)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(StoreError::NotFound(n.label))?;
        sqlx::query(&format!(
            "DELETE FROM {table} WHERE id = $1 AND tenant_id = $2"
        ))
        .arg(id)
        .arg(tenant)
        .execute(&mut **tx)
        .await
        .map_err(on_reference(n.in_use))?;
        tx.record(
            &format!("{object}.deleted"),
            object,
            id,
            json!({"name": name}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    // --- memberships -------------------------------------------------------------------

    pub async fn add_membership(
        &self,
        tenant: TenantId,
        user: UserId,
        department: DepartmentId,
        user_type: UserTypeId,
        actor: &Actor,
    ) -> StoreResult<Membership> {
        // Each referenced object must exist in this tenant; ids from elsewhere are "not found".
        self.user(tenant, user).await?;
        let d = self.department(tenant, department).await?;
        let ut = self.user_type(tenant, user_type).await?;
        let now = crate::now();
        let m = Membership {
            id: MembershipId::new(),
            user_id: user,
            department_id: department,
            department_name: d.name,
            user_type_id: user_type,
            user_type_name: ut.name,
            created_at: now,
        };
        let mut tx = self.begin_by(tenant, actor, now).await?;
        sqlx::query(
            "INSERT INTO memberships (id, tenant_id, user_id, department_id, user_type_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .arg(m.id)
        .arg(tenant)
        .arg(user)
        .arg(department)
        .arg(user_type)
        .arg(now)
        .execute(&mut **tx)
        .await
        .map_err(on_unique("membership", &format!("{}/{}", m.department_name, m.user_type_name)))?;
        tx.record(
            "membership.added",
            "user",
            user,
            json!({"membership_id": m.id, "department": m.department_name,
                   "user_type": m.user_type_name}),
        )
        .await?;
        tx.commit().await?;
        Ok(m)
    }

    /// A user's memberships, in the documented order: department name, then user type name.
    pub async fn memberships(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> StoreResult<Vec<Membership>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            membership_cols!(),
            " FROM memberships m JOIN departments d ON d.id = m.department_id \
             JOIN user_types ut ON ut.id = m.user_type_id \
             WHERE m.user_id = $1 AND m.tenant_id = $2 ORDER BY d.name, ut.name"
        ))
        .arg(user)
        .arg(tenant)
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(membership).collect()
    }

    /// User `id` of `tenant` with their memberships (in [`Store::memberships`]' order),
    /// read together: what a token's creation checks, in one read instead of two.
    /// `None` when the tenant has no such user.
    pub async fn user_and_memberships(
        &self,
        tenant: TenantId,
        id: UserId,
    ) -> StoreResult<Option<(User, Vec<Membership>)>> {
        static SQL: LazyLock<String> = LazyLock::new(|| {
            format!(
                "SELECT {} {OWNER_FROM} WHERE u.id = $1 AND u.tenant_id = $2 {OWNER_ORDER}",
                owner_columns()
            )
        });
        owner_of(&self.owner_rows(&SQL, tenant, id).await?)
    }

    /// The rows `sql` (a read of [`owner_columns`], `$1` the user and `$2` the tenant)
    /// reads.
    async fn owner_rows(
        &self,
        sql: &str,
        tenant: TenantId,
        id: UserId,
    ) -> StoreResult<Vec<AnyRow>> {
        Ok(sqlx::query(sql)
            .arg(id)
            .arg(tenant)
            .fetch_all(&self.read)
            .await?)
    }

    /// The tenant's settings and user `id` with their memberships, in one read: what the
    /// creation of a token checks (`NotFound` when there is no such tenant; `None` when
    /// it has no such user).
    pub async fn settings_and_owner(
        &self,
        tenant: TenantId,
        id: UserId,
    ) -> StoreResult<(
        keyward_core::model::TenantSettings,
        Option<(User, Vec<Membership>)>,
    )> {
        static SQL: LazyLock<String> = LazyLock::new(|| {
            format!(
                "SELECT {}, {} FROM tenant_settings s \
                 LEFT JOIN users u ON u.id = $1 AND u.tenant_id = s.tenant_id \
                 {OWNER_JOINS} WHERE s.tenant_id = $2 {OWNER_ORDER}",
                qualified("s", rows::SETTINGS_COLS),
                owner_columns()
            )
        });
        let rows = self.owner_rows(&SQL, tenant, id).await?;
        let Some(first) = rows.first() else {
            return Err(StoreError::NotFound("tenant"));
        };
        let settings = rows::settings(first)?;
        if first.try_get::<Option<String>, _>("id")?.is_none() {
            return Ok((settings, None));
        }
        Ok((settings, owner_of(&rows)?))
    }

    pub async fn remove_membership(
        &self,
        tenant: TenantId,
        user: UserId,
        id: MembershipId,
        actor: &Actor,
    ) -> StoreResult<()> {
        let now = crate::now();
        let mut tx = self.begin_by(tenant, actor, now).await?;
        let done = sqlx::query(
            "DELETE FROM memberships WHERE id = $1 AND user_id = $2 AND tenant_id = $3",
        )
        .arg(id)
        .arg(user)
        .arg(tenant)
        .execute(&mut **tx)
        .await?;
        found(done, "membership")?;
        tx.record(
            "membership.removed",
            "user",
            user,
            json!({"membership_id": id}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

fn normalise(p: &[Permission]) -> Vec<Permission> {
    let mut v = p.to_vec();
    v.sort();
    v.dedup();
    v
}

fn department(r: &AnyRow) -> StoreResult<Department> {
    Ok(Department {
        id: rows::id(r, "id")?,
        tenant_id: rows::id(r, "tenant_id")?,
        name: r.try_get("name")?,
        created_at: rows::time(r, "created_at")?,
    })
}

fn user_type(r: &AnyRow) -> StoreResult<UserType> {
    Ok(UserType {
        id: rows::id(r, "id")?,
        tenant_id: rows::id(r, "tenant_id")?,
        name: r.try_get("name")?,
        permissions: rows::permissions(&r.try_get::<String, _>("permissions")?)?,
        created_at: rows::time(r, "created_at")?,
    })
}

/// What [`owner_columns`] reads from: a user `u` and each of their memberships `m`.
const OWNER_FROM: &str = concat!("FROM users u ", membership_joins!());
const OWNER_JOINS: &str = membership_joins!();
const OWNER_ORDER: &str = "ORDER BY d.name, ut.name";

/// A user's memberships with their department and user type, which the schema keeps as
/// references: a row without `m_id` is a user without memberships.
macro_rules! membership_joins {
    () => {
        "LEFT JOIN memberships m ON m.user_id = u.id AND m.tenant_id = u.tenant_id \
         LEFT JOIN departments d ON d.id = m.department_id \
         LEFT JOIN user_types ut ON ut.id = m.user_type_id"
    };
}
use membership_joins;

/// A membership's columns (`m`, with its department `d` and user type `ut`), named as
/// [`membership`] reads them.
macro_rules! membership_cols {
    () => {
        "m.id AS m_id, m.user_id AS m_user_id, m.department_id AS m_department_id, \
         d.name AS m_department_name, m.user_type_id AS m_user_type_id, \
         ut.name AS m_user_type_name, m.created_at AS m_created_at"
    };
}
use membership_cols;

/// A user's columns (`u`) and a membership's.
fn owner_columns() -> String {
    format!("{}, {}", qualified("u", USER_COLS), membership_cols!())
}

/// `columns` (a list such as [`USER_COLS`]) each qualified by `table`.
fn qualified(table: &str, columns: &str) -> String {
    columns
        .split(", ")
        .map(|c| format!("{table}.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The user of rows of [`owner_columns`] and their memberships; `None` without rows.
fn owner_of(rows: &[AnyRow]) -> StoreResult<Option<(User, Vec<Membership>)>> {
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let user = rows::user(first)?;
    let mut memberships = Vec::with_capacity(rows.len());
    for r in rows {
        if r.try_get::<Option<String>, _>("m_id")?.is_some() {
            memberships.push(membership(r)?);
        }
    }
    Ok(Some((user, memberships)))
}

/// A membership of a row whose columns are named `m_id`, `m_user_id`, ….
fn membership(r: &AnyRow) -> StoreResult<Membership> {
    Ok(Membership {
        id: rows::id(r, "m_id")?,
        user_id: rows::id(r, "m_user_id")?,
        department_id: rows::id(r, "m_department_id")?,
        department_name: r.try_get("m_department_name")?,
        user_type_id: rows::id(r, "m_user_type_id")?,
        user_type_name: r.try_get("m_user_type_name")?,
        created_at: rows::time(r, "m_created_at")?,
    })
}
