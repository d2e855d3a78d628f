//! Fills a keyward data directory with tokens for the load test (bench/load.sh).
//! Usage: `seed DATA_DIR N`. Creates a tenant `bench-…` with one user, department, user type
//! and membership, inserts N API tokens through the store, and prints the last token's
//! secret on standard output. Run it while the server is stopped, or let the server pick
//! the tokens up through the change log.

use keyward_core::model::TenantSettings;
use keyward_core::{Permission, TokenId, TokenKind, TokenSecret};
use keyward_store::{Actor, NewSecret, NewToken, NewUser, Store};
use std::path::PathBuf;
use std::time::Instant;
use tokio::task::JoinSet;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(dir), Some(n)) = (args.next(), args.next()) else {
        anyhow::bail!("usage: seed DATA_DIR N");
    };
    let dir = PathBuf::from(dir);
    let n: usize = n.parse()?;
    let configured = std::env::var("KEYWARD_SERVER_KEY").ok();
    let key = keyward_server::keys::load_or_create(&dir, configured.as_deref())?;
    let store = Store::open_sqlite_dir(&dir).await?;
    let actor = Actor::system("seed");
    let tenant = store
        .create_tenant(
            &format!("bench-{}", TokenId::new().0.simple()),
            &TenantSettings::default(),
            &actor,
        )
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
    let dept = store.create_department(tenant.id, "Sales", &actor).await?;
    let ut = store
        .create_user_type(
            tenant.id,
            "Reader",
            &[Permission::parse("orders:read").map_err(|e| anyhow::anyhow!("{e:?}"))?],
            &actor,
        )
        .await?;
    store
        .add_membership(tenant.id, user.id, dept.id, ut.id, &actor)
        .await?;

    let started = Instant::now();
    let mut tasks: JoinSet<anyhow::Result<()>> = JoinSet::new();
    let mut last = String::new();
    for i in 0..n {
        let secret = TokenSecret::generate(TokenKind::Api);
        let new = NewToken {
            id: TokenId::new(),
            kind: TokenKind::Api,
            name: format!("seed-{i}"),
            description: String::new(),
            user_id: user.id,
            department_id: dept.id,
            user_type_id: ut.id,
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
    store.close().await;
    eprintln!(
        "seed: inserted {n} tokens in {:.1} s ({:.0}/s)",
        started.elapsed().as_secs_f64(),
        n as f64 / started.elapsed().as_secs_f64().max(1e-9)
    );
    println!("{last}");
    Ok(())
}
