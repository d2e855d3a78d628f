//! First start: a tenant, its first administrator and an administrator API token. Also
//! the `--demo` tenant. Both go through the same store and token service as the API.

use crate::error::ApiResult;
use crate::service::Principal;
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
    for (name, user, dept, ut, days) in [
        // Oldest first: the listing shows the newest first.
        ("Old reporting script", &made[2], &sales, &reader, None),
        (
            "ERP nightly import",
            &made[0],
            &warehouse,
            &integrator,
            None,
        ),
        (
            "Quarterly stock export",
            &made[0],
            &warehouse,
            &integrator,
            Some(5),
        ),
        ("Web shop order feed", &made[1], &sales, &reader, None),
    ] {
        let mut req = plain_token(name, "", (user.id, dept.id, ut.id));
        req.expires_at =
            days.map(|d| keyward_proto::Timestamp(keyward_store::now() + time::Duration::days(d)));
        let (details, _secret) = st.tokens().issue(tenant, &actor, req).await?;
        if name.starts_with("Old") {
            st.store
                .revoke_token(tenant, details.token.id, &actor)
                .await?;
        }
    }
    let admin_principal = Principal {
        tenant_id: tenant,
        user_id: b.user_id,
        username: "admin".into(),
        token_membership: None,
        ip: None,
    };
    // A partner's key taken over from the old gateway (a migration), then rotated with a
    // day's grace: its page shows the imported mark and the old key still in use.
    let legacy_key = format!(
        "gw_live_{}",
        &keyward_core::TokenSecret::generate(keyward_core::TokenKind::Api).expose()[4..36]
    );
    let legacy = keyward_proto::tokens::ImportTokens {
        dry_run: false,
        items: vec![keyward_proto::tokens::ImportToken {
            secret: legacy_key.into(),
            token: plain_token(
                "Partner order feed (from the old gateway)",
                "",
                (made[1].id, sales.id, reader.id),
            ),
        }],
    };
    let imported = st.tokens().import(tenant, &actor, legacy).await?;
    if let Some(t) = imported.items.first() {
        st.tokens()
            .regenerate(&admin_principal, t.id, 86_400, None)
            .await?;
    }
    demo_endpoints(st, &admin_principal).await?;
    // Kari's phone and tablet, logged in to the mobile app.
    for device in ["Kari's iPhone", "Kari's tablet"] {
        let id = keyward_core::TokenId::new();
        let (secret, _) = crate::service::tokens::new_secret(
            st.verifier.key(),
            keyward_core::TokenKind::Mobile,
            &id.to_string(),
            keyward_core::model::SecretStorage::ShowOnce,
        );
        let new = keyward_store::NewMobileSession {
            id,
            user_id: made[2].id,
            department_id: sales.id,
            user_type_id: reader.id,
            device_name: device.into(),
            secret,
            expires_at: keyward_core::session::slid_expiry(
                keyward_store::now(),
                &TenantSettings::default(),
            ),
        };
        st.store
            .start_mobile_session(tenant, &new, None, None, &actor)
            .await?;
    }
    Ok(Some(b))
}

/// The demo's hosted endpoints: `orders` and `stock` under token authentication, two
/// applications with a secondary token each, and records sent by both, so the data
/// viewer's token filter has something to tell apart.
async fn demo_endpoints(st: &AppState, by: &Principal) -> ApiResult<()> {
    let endpoints = st.endpoints();
    let mut made = Vec::new();
    for (name, path, description) in [
        (
            "Orders",
            "orders",
            "Orders placed in the web shop and the warehouse app.",
        ),
        ("Stock counts", "stock", "Counts scanned in the warehouse."),
    ] {
        let new = keyward_store::NewEndpoint {
            name: literal(name),
            path: keyward_core::endpoint::EndpointPath::parse(path).expect("literal"),
            description: description.into(),
            auth_type: keyward_core::endpoint::AuthType::Token,
            allow_deleting: false,
            enabled: true,
        };
        made.push(endpoints.create(by, new).await?.0.endpoint);
    }
    let (orders, stock) = (&made[0], &made[1]);
    let mut apps = Vec::new();
    for (name, description) in [
        ("Web shop", "The web shop's checkout sends each order."),
        ("Warehouse app", "The handheld scanners in the warehouse."),
    ] {
        let (details, _secret) = endpoints
            .create_token(by, literal(name), description.into(), true)
            .await?;
        apps.push(details.token);
    }
    let (shop, warehouse) = (&apps[0], &apps[1]);
    for (endpoint, app) in [(orders, shop), (orders, warehouse), (stock, warehouse)] {
        endpoints
            .assign(by, endpoint.id, app.id, true, None)
            .await?;
    }
    let records = [
        (
            orders,
            shop,
            r#"{"order":1001,"customer":"Ola","total":499.0}"#,
        ),
        (
            orders,
            shop,
            r#"{"order":1002,"customer":"Ingrid","total":129.5}"#,
        ),
        (
            orders,
            warehouse,
            r#"{"order":1003,"picked_by":"scanner-3","lines":4}"#,
        ),
        (
            orders,
            shop,
            r#"{"order":1004,"customer":"Per","total":75.0}"#,
        ),
        (
            stock,
            warehouse,
            r#"{"sku":"A-100","counted":42,"shelf":"B3"}"#,
        ),
        (
            stock,
            warehouse,
            r#"{"sku":"A-200","counted":7,"shelf":"B4"}"#,
        ),
    ];
    for (endpoint, app, body) in records {
        st.store
            .insert_record(&keyward_store::NewRecord {
                endpoint,
                token: Some(app),
                method: keyward_core::endpoint::EndpointMethod::Post,
                ip: Some("192.0.2.10".into()),
                body: body.into(),
            })
            .await?;
    }
    // The applications sent those records: their last use is now, as a check would
    // have recorded it.
    let now = keyward_store::now();
    st.store
        .touch_endpoint_last_used(&[(shop.id, now), (warehouse.id, now)])
        .await?;
    Ok(())
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
