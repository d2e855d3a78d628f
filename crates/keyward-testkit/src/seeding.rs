//! Filling a store with many tokens, shared by the server's `seed` example (for
//! bench/load.sh) and its verifier benchmark: one tenant with a user, department, user
//! type and membership, then `n` API tokens inserted through `Store::insert_token`, a few
//! at a time so the single SQLite writer stays busy without piling up tasks.

use keyward_core::model::TenantSettings;
use keyward_core::text::Name;
use keyward_core::{
    DepartmentId, Permission, ServerKey, TokenId, TokenKind, TokenSecret, UserId, UserTypeId,
};
use keyward_store::{Actor, NewSecret, NewToken, NewUser, Store};
use std::time::Instant;
use tokio::task::JoinSet;

/// A plain API token `name` for the membership (user, department, user type), as
/// `Store::insert_token` takes it, and its secret.
pub fn api_token(
    key: &ServerKey,
    name: &str,
    user_id: UserId,
    department_id: DepartmentId,
    user_type_id: UserTypeId,
) -> (NewToken, TokenSecret) {
    let secret = TokenSecret::generate(TokenKind::Api);
    let new = NewToken {
        id: TokenId::new(),
        kind: TokenKind::Api,
        name: Name::parse(name).expect("a valid name"),
        description: String::new(),
        user_id,
        department_id,
        user_type_id,
        secret: NewSecret {
            hash: key.hash_token(secret.expose()),
            hint: secret.hint(),
            sealed: None,
        },
        expires_at: None,
        allowed_cidrs: vec![],
        rate_limit: None,
        max_uses: None,
    };
    (new, secret)
}

/// Creates tenant `tenant_name` and fills it with `n` tokens. Returns the last token's
/// secret. Reports progress on stderr.
pub async fn fill(
    store: &Store,
    key: &ServerKey,
    tenant_name: &str,
    n: usize,
) -> anyhow::Result<String> {
    let actor = Actor::system("seed");
    let tenant = store
        .create_tenant(tenant_name, &TenantSettings::default(), &actor)
        .await?;
    let user = store
        .create_user(
            tenant.id,
            &NewUser {
                username: "svc".into(),
                email: "svc@example.com".into(),
                display_name: "svc".into(),
                is_admin: false,
                is_technical: true,
                active_from: None,
                active_until: None,
                password_hash: None,
            },
            &actor,
        )
        .await?;
    let name = |s: &str| Name::parse(s).expect("a valid name");
    let dept = store
        .create_department(tenant.id, &name("Sales"), &actor)
        .await?;
    let reader = Permission::parse("orders:read").map_err(|e| anyhow::anyhow!("{e}"))?;
    let ut = store
        .create_user_type(tenant.id, &name("Reader"), &[reader], &actor)
        .await?;
    store
        .add_membership(tenant.id, user.id, dept.id, ut.id, &actor)
        .await?;

    let started = Instant::now();
    let mut tasks: JoinSet<anyhow::Result<()>> = JoinSet::new();
    let mut last = String::new();
    for i in 0..n {
        let (new, secret) = api_token(key, &format!("seed-{i}"), user.id, dept.id, ut.id);
        last = secret.into_string();
        let (s, a, t) = (store.clone(), actor.clone(), tenant.id);
        tasks.spawn(async move {
            s.insert_token(t, &new, &a).await?;
            Ok(())
        });
        while tasks.len() >= 8 {
            tasks.join_next().await.expect("a task is running")??;
        }
        if (i + 1) % 50_000 == 0 {
            eprintln!("seed: {} tokens", i + 1);
        }
    }
    while let Some(r) = tasks.join_next().await {
        r??;
    }
    eprintln!(
        "seed: inserted {n} tokens in {:.1} s ({:.0}/s)",
        started.elapsed().as_secs_f64(),
        n as f64 / started.elapsed().as_secs_f64().max(1e-9)
    );
    Ok(last)
}
