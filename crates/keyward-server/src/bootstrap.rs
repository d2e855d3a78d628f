//! First start: a tenant, its first administrator and an administrator API token. Also
//! the `--demo` tenant. Both go through the same store and token service as the API.

use crate::error::ApiResult;
use crate::state::AppState;
use keyward_core::model::TenantSettings;
use keyward_core::text::Name;
use keyward_core::text::{TenantName, Username};
use keyward_core::{DepartmentId, Permission, TenantId, TokenSecret, UserId, UserTypeId};
use keyward_proto::tokens::CreateToken;
use keyward_store::{Actor, NewUser, StoreError};
use time::OffsetDateTime;

pub struct Bootstrapped {
    pub tenant_id: TenantId,
    pub user_id: UserId,
    pub token: TokenSecret,
    pub expires_at: Option<OffsetDateTime>,
}

/// Creates `tenant` with an administrator `admin` (with an Administration department and
/// an Administrators user type granting `*`) and issues that administrator a token.
pub async fn bootstrap(
    st: &AppState,
    tenant: &TenantName,
    admin: &Username,
    password_hash: Option<String>,
) -> ApiResult<Bootstrapped> {
    let actor = Actor::system("bootstrap");
    let t = st
        .store
        .create_tenant(tenant.as_str(), &TenantSettings::default(), &actor)
        .await?;
    let user = st
        .store
        .create_user(
            t.id,
            &NewUser {
                username: admin.as_str().to_string(),
                email: format!(
                    "{}@localhost",
                    admin.as_str().split('@').next().unwrap_or("admin")
                ),
                display_name: admin.as_str().to_string(),
                is_admin: true,
                is_technical: false,
                active_from: None,
                active_until: None,
                password_hash,
            },
            &actor,
        )
        .await?;
    let dept = st
        .store
        .create_department(t.id, &literal("Administration"), &actor)
        .await?;
    let all = Permission::parse("*").expect("literal permission");
    let ut = st
        .store
        .create_user_type(t.id, &literal("Administrators"), &[all], &actor)
        .await?;
    st.store
        .add_membership(t.id, user.id, dept.id, ut.id, &actor)
        .await?;
    let actor = Actor {
        user_id: Some(user.id),
        name: "bootstrap".into(),
        ip: None,
    };
    let (details, token) = st
        .tokens()
        .issue(
            t.id,
            &actor,
            plain_token(
                "bootstrap administrator token",
                "Created by keyward bootstrap.",
                (user.id, dept.id, ut.id),
            ),
        )
        .await?;
    Ok(Bootstrapped {
        tenant_id: t.id,
        user_id: user.id,
        token,
        expires_at: details.token.expires_at,
    })
}

/// Fills a `demo` tenant, unless it exists. Returns the administrator token if it made one.
pub async fn demo(st: &AppState) -> ApiResult<Option<Bootstrapped>> {
    match st.store.tenant_by_name("demo").await {
        Ok(_) => return Ok(None),
        Err(StoreError::NotFound(_)) => {}
        Err(e) => return Err(e.into()),
    }
    let pw = crate::service::passwords::hash("keyward-demo".into()).await?;
    let name = TenantName::parse("demo").expect("literal");
    let admin = Username::parse("admin").expect("literal");
    let b = bootstrap(st, &name, &admin, Some(pw)).await?;
    let actor = Actor {
        user_id: Some(b.user_id),
        name: "demo".into(),
        ip: None,
    };
    let tenant = b.tenant_id;
    let sales = st
        .store
        .create_department(tenant, &literal("Sales"), &actor)
        .await?;
    let warehouse = st
        .store
        .create_department(tenant, &literal("Warehouse"), &actor)
        .await?;
    let perms = |ps: &[&str]| {
        ps.iter()
            .map(|p| Permission::parse(p).expect("literal"))
            .collect::<Vec<_>>()
    };
    let reader = st
        .store
        .create_user_type(
            tenant,
            &literal("Order reader"),
            &perms(&["orders:read"]),
            &actor,
        )
        .await?;
    let integrator = st
        .store
        .create_user_type(
            tenant,
            &literal("Integrator"),
            &perms(&["orders:*", "customers:read"]),
            &actor,
        )
        .await?;
    let mut made = Vec::new();
    for (username, display, technical) in [
        ("erp-sync", "ERP synchronisation", true),
        ("webshop", "Web shop", true),
        ("kari", "Kari Nordmann", false),
    ] {
        let u = st
            .store
            .create_user(
                tenant,
                &NewUser {
                    username: username.into(),
                    email: format!("{username}@demo.example"),
                    display_name: display.into(),
                    is_admin: false,
                    is_technical: technical,
                    active_from: None,
                    active_until: None,
                    password_hash: None,
                },
                &actor,
            )
            .await?;
        made.push(u);
    }
    st.store
        .add_membership(tenant, made[0].id, warehouse.id, integrator.id, &actor)
        .await?;
    st.store
        .add_membership(tenant, made[1].id, sales.id, reader.id, &actor)
        .await?;
    st.store
        .add_membership(tenant, made[2].id, sales.id, reader.id, &actor)
        .await?;
    for (name, user, dept, ut) in [
        ("ERP nightly import", &made[0], &warehouse, &integrator),
        ("Web shop order feed", &made[1], &sales, &reader),
        ("Old reporting script", &made[2], &sales, &reader),
    ] {
        let req = plain_token(name, "", (user.id, dept.id, ut.id));
        let (details, _secret) = st.tokens().issue(tenant, &actor, req).await?;
        if name.starts_with("Old") {
            st.store
                .revoke_token(tenant, details.token.id, &actor)
                .await?;
        }
    }
    Ok(Some(b))
}

/// A name written in this file: valid as written.
fn literal(name: &str) -> Name {
    Name::parse(name).expect("a valid name")
}

/// A token with no expiry and no limits, for the membership `(user, department, user
/// type)`.
fn plain_token(
    name: &str,
    description: &str,
    (user_id, department_id, user_type_id): (UserId, DepartmentId, UserTypeId),
) -> CreateToken {
    CreateToken {
        name: literal(name),
        description: description.into(),
        user_id,
        department_id,
        user_type_id,
        expires_at: None,
        allowed_cidrs: vec![],
        rate_limit: None,
        max_uses: None,
    }
}
