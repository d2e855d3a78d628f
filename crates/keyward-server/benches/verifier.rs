//! `Verifier::verify` over a real SQLite store holding N tokens, without HTTP: the part of
//! a verification that keyward itself adds. The store is filled through `Store::insert_token`
//! before measuring; filling 100,000 tokens takes a little while.
//!
//! Run with `cargo bench -p keyward-server --bench verifier`. Set `KEYWARD_BENCH_TOKENS`
//! (comma-separated, e.g. `1000,1000000`) to change the store sizes.

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion};
use keyward_core::model::TenantSettings;
use keyward_core::{Permission, ServerKey, TokenId, TokenKind, TokenSecret, VerifyContext};
use keyward_server::verifier::Verifier;
use keyward_store::{Actor, NewSecret, NewToken, NewUser, Store};
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;
use tokio::task::JoinSet;

const KEY: [u8; 32] = [42; 32];

fn sizes() -> Vec<usize> {
    std::env::var("KEYWARD_BENCH_TOKENS")
        .ok()
        .map(|s| {
            s.split(',')
                .map(|n| n.trim().parse().expect("KEYWARD_BENCH_TOKENS: numbers"))
                .collect()
        })
        .unwrap_or_else(|| vec![1_000, 100_000])
}

/// A store in a temporary directory with one tenant, user, department, user type and
/// membership, and `n` tokens. Returns the store and one of the tokens' secrets.
async fn filled_store(dir: &std::path::Path, n: usize) -> (Store, String) {
    let store = Store::open_sqlite_dir(dir).await.expect("open store");
    let actor = Actor::system("bench");
    let tenant = store
        .create_tenant("bench", &TenantSettings::default(), &actor)
        .await
        .expect("tenant");
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
        .await
        .expect("user");
    let dept = store
        .create_department(tenant.id, "Sales", &actor)
        .await
        .expect("department");
    let ut = store
        .create_user_type(
            tenant.id,
            "Reader",
            &[Permission::parse("orders:read").expect("permission")],
            &actor,
        )
        .await
        .expect("user type");
    store
        .add_membership(tenant.id, user.id, dept.id, ut.id, &actor)
        .await
        .expect("membership");

    let key = ServerKey::from_bytes(&KEY);
    let started = Instant::now();
    let mut tasks = JoinSet::new();
    let mut last = String::new();
    for i in 0..n {
        let secret = TokenSecret::generate(TokenKind::Api);
        let new = NewToken {
            id: TokenId::new(),
            kind: TokenKind::Api,
            name: format!("bench-{i}"),
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
        tasks.spawn(async move { s.insert_token(t, &new, &a).await.map(|_| ()) });
        // A few in flight keep the single SQLite writer busy without piling up tasks.
        while tasks.len() >= 8 {
            tasks
                .join_next()
                .await
                .expect("task")
                .expect("join")
                .expect("insert");
        }
    }
    while let Some(r) = tasks.join_next().await {
        r.expect("join").expect("insert");
    }
    eprintln!(
        "filled a store with {n} tokens in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    (store, last)
}

fn verify(c: &mut Criterion) {
    let rt = Runtime::new().expect("tokio runtime");
    for n in sizes() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (store, valid) = rt.block_on(filled_store(dir.path(), n));
        let verifier = rt
            .block_on(Verifier::new(
                store.clone(),
                ServerKey::from_bytes(&KEY),
                Duration::from_secs(10),
            ))
            .expect("verifier");
        let unknown = TokenSecret::generate(TokenKind::Api).into_string();
        let mut malformed = valid.clone().into_bytes();
        malformed[10] = if malformed[10] == b'A' { b'B' } else { b'A' };
        let malformed = String::from_utf8(malformed).expect("ASCII");
        let ctx = VerifyContext {
            permission: Some("orders:read"),
            ..Default::default()
        };
        rt.block_on(async {
            let v = verifier.verify(&valid, &ctx).await.expect("storage");
            assert!(v.is_valid(), "the seeded token verifies: {:?}", v.code);
            let v = verifier.verify(&unknown, &ctx).await.expect("storage");
            assert!(!v.is_valid());
        });

        let mut g = c.benchmark_group(format!("Verifier::verify/{n} tokens"));
        g.bench_function(BenchmarkId::from_parameter("valid (cache hit)"), |b| {
            b.to_async(&rt)
                .iter(|| async { verifier.verify(black_box(&valid), &ctx).await.is_ok() })
        });
        g.bench_function(
            BenchmarkId::from_parameter("valid after a change (storage read)"),
            |b| {
                b.to_async(&rt).iter(|| async {
                    verifier.invalidate();
                    verifier.verify(black_box(&valid), &ctx).await.is_ok()
                })
            },
        );
        g.bench_function(BenchmarkId::from_parameter("unknown well-formed"), |b| {
            b.to_async(&rt)
                .iter(|| async { verifier.verify(black_box(&unknown), &ctx).await.is_ok() })
        });
        g.bench_function(BenchmarkId::from_parameter("malformed (checksum)"), |b| {
            b.to_async(&rt)
                .iter(|| async { verifier.verify(black_box(&malformed), &ctx).await.is_ok() })
        });
        g.finish();
        rt.block_on(store.close());
    }
}

criterion_group!(benches, verify);
criterion_main!(benches);
