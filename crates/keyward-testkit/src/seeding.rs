//! Filling a store with many tokens, shared by the server's `seed` example (for
//! bench/load.sh) and its verifier benchmark: one tenant with users, departments, user
//! types and memberships, then `n` API tokens inserted through `Store::insert_tokens`, a
//! thousand a transaction (a million tokens in about a minute on SQLite).

use keyward_core::model::TenantSettings;
use keyward_core::text::Name;
use keyward_core::{
    DepartmentId, Permission, ServerKey, TenantId, TokenId, TokenKind, TokenSecret, UserId,
    UserTypeId,
};
use keyward_store::{Actor, NewSecret, NewToken, NewUser, Store};
use std::time::Instant;

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
        imported: false,
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
        .await?
        .id;
    let owner = member(store, tenant, "svc", "Sales", "Reader", &actor).await?;
    let mut last = String::new();
    insert_many(store, key, tenant, &[owner], "seed", n, &actor, |s| {
        last = s
    })
    .await?;
    Ok(last)
}

/// A technical user with a membership (a department and a user type of its own).
pub struct Member {
    pub user: UserId,
    pub department: DepartmentId,
    pub user_type: UserTypeId,
}

async fn member(
    store: &Store,
    tenant: TenantId,
    username: &str,
    department: &str,
    user_type: &str,
    actor: &Actor,
) -> anyhow::Result<Member> {
    let user = store
        .create_user(
            tenant,
            &NewUser {
                username: username.into(),
                email: format!("{username}@example.com"),
                display_name: username.into(),
                is_admin: false,
                is_technical: true,
                active_from: None,
                active_until: None,
                password_hash: None,
            },
            actor,
        )
        .await?;
    let name = |s: &str| Name::parse(s).expect("a valid name");
    let dept = store
        .create_department(tenant, &name(department), actor)
        .await?;
    let reader = Permission::parse("orders:read").map_err(|e| anyhow::anyhow!("{e}"))?;
    let ut = store
        .create_user_type(tenant, &name(user_type), &[reader], actor)
        .await?;
    store
        .add_membership(tenant, user.id, dept.id, ut.id, actor)
        .await?;
    Ok(Member {
        user: user.id,
        department: dept.id,
        user_type: ut.id,
    })
}

/// Tokens a transaction when seeding.
const BATCH: usize = 1000;

/// Inserts `n` tokens named `{prefix}-{i}`, token `i` owned by `owners[i % len]`, a
/// thousand a transaction; hands each secret to `keep`.
#[allow(clippy::too_many_arguments)]
async fn insert_many(
    store: &Store,
    key: &ServerKey,
    tenant: TenantId,
    owners: &[Member],
    prefix: &str,
    n: usize,
    actor: &Actor,
    mut keep: impl FnMut(String),
) -> anyhow::Result<Vec<TokenId>> {
    let started = Instant::now();
    let mut ids = Vec::with_capacity(n);
    let mut batch = Vec::with_capacity(BATCH);
    for i in 0..n {
        let o = &owners[i % owners.len()];
        let (new, secret) = api_token(
            key,
            &format!("{prefix}-{i}"),
            o.user,
            o.department,
            o.user_type,
        );
        ids.push(new.id);
        keep(secret.into_string());
        batch.push(new);
        if batch.len() == BATCH || i + 1 == n {
            store.insert_tokens(tenant, &batch, actor).await?;
            batch.clear();
        }
        if (i + 1) % 100_000 == 0 {
            eprintln!("seed: {} tokens", i + 1);
        }
    }
    if n >= 1000 {
        eprintln!(
            "seed: inserted {n} tokens in {:.1} s ({:.0}/s)",
            started.elapsed().as_secs_f64(),
            n as f64 / started.elapsed().as_secs_f64().max(1e-9)
        );
    }
    Ok(ids)
}

/// What the HTTP benchmark (bench/load.sh) presents and changes, besides the stored tokens.
/// Its secrets are a benchmark's throwaway fixture: bench/load.sh keeps them in a
/// temporary directory it deletes on exit.
#[derive(Default)]
pub struct BenchSet {
    /// Secrets of live tokens, each with the permission `orders:read`.
    pub valid: Vec<String>,
    /// Secrets of revoked tokens.
    pub revoked: Vec<String>,
    /// Well-formed secrets (a right checksum) that no token has.
    pub unknown: Vec<String>,
    /// Secrets with a wrong checksum, a wrong prefix or a wrong length.
    pub malformed: Vec<String>,
    /// Administrative changes to objects no token of `valid` depends on, as
    /// `METHOD<TAB>PATH<TAB>JSON BODY` lines; `{n}` in the body stands for a counter.
    pub churn: Vec<String>,
}

/// Members whose tokens the HTTP benchmark checks: a realistic spread, so that what the
/// verifier shares between the tokens of one membership is not shared by all of them.
const BENCH_OWNERS: usize = 100;

/// Fills the existing tenant `tenant_name` (the bootstrapped one, so its administrator
/// token can make the churn) for the HTTP benchmark: `n` live tokens spread over 100
/// members ("svc", "svc-1", …, each in a department and user type of its own), 1,000
/// revoked ones, and ten other members with ten tokens each for the churn.
pub async fn fill_for_bench(
    store: &Store,
    key: &ServerKey,
    tenant_name: &str,
    n: usize,
) -> anyhow::Result<BenchSet> {
    let actor = Actor::system("seed");
    let tenant = store.tenant_by_name(tenant_name).await?.id;
    let mut set = BenchSet::default();
    let mut owners = vec![member(store, tenant, "svc", "Sales", "Reader", &actor).await?];
    for i in 1..BENCH_OWNERS {
        let (name, dept, ut) = (
            format!("svc-{i}"),
            format!("Sales {i}"),
            format!("Reader {i}"),
        );
        owners.push(member(store, tenant, &name, &dept, &ut, &actor).await?);
    }
    set.valid.reserve(n);
    insert_many(store, key, tenant, &owners, "seed", n, &actor, |s| {
        set.valid.push(s)
    })
    .await?;

    let mut revoked = Vec::new();
    let ids = insert_many(store, key, tenant, &owners, "revoked", 1000, &actor, |s| {
        revoked.push(s)
    })
    .await?;
    for id in ids {
        store.revoke_token(tenant, id, &actor).await?;
    }
    set.revoked = revoked;

    for _ in 0..1000 {
        set.unknown
            .push(TokenSecret::generate(TokenKind::Api).into_string());
    }
    for (i, valid) in set.valid.iter().take(1000).enumerate() {
        let mut bad = valid.clone();
        match i % 3 {
            // The last character is part of the checksum.
            0 => {
                let last = bad.pop().expect("a token is not empty");
                bad.push(if last == 'A' { 'B' } else { 'A' });
            }
            1 => bad.replace_range(..4, "kwx_"),
            _ => bad.truncate(bad.len() / 2),
        }
        set.malformed.push(bad);
    }

    for i in 0..10 {
        let m = member(
            store,
            tenant,
            &format!("churn{i}"),
            &format!("Churn {i}"),
            &format!("Churn {i}"),
            &actor,
        )
        .await?;
        let ids = insert_many(
            store,
            key,
            tenant,
            std::slice::from_ref(&m),
            &format!("churn{i}"),
            10,
            &actor,
            drop,
        )
        .await?;
        for id in ids {
            set.churn.push(format!(
                "PATCH\t/api/v1/tokens/{id}\t{{\"description\": \"churn {{n}}\"}}"
            ));
        }
        set.churn.push(format!(
            "PATCH\t/api/v1/users/{}\t{{\"display_name\": \"Churn {{n}}\"}}",
            m.user
        ));
        set.churn.push(format!(
            "PATCH\t/api/v1/user-types/{}\t{{\"permissions\": [\"orders:read\", \"churn:{{n}}\"]}}",
            m.user_type
        ));
    }
    Ok(set)
}
