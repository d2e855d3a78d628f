//! `Verifier::verify` over a real SQLite store holding N tokens, without HTTP: the part of
//! a verification that keyward itself adds. The store is filled through `Store::insert_token`
//! before measuring; filling 100,000 tokens takes a little while.
//!
//! Run with `cargo bench -p keyward-server --bench verifier`. Set `KEYWARD_BENCH_TOKENS`
//! (comma-separated, e.g. `1000,1000000`) to change the store sizes.

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion};
use keyward_core::{ServerKey, TokenKind, TokenSecret, VerifyContext};
use keyward_server::verifier::rate::RateLimiter;
use keyward_server::verifier::{Verifier, VerifierOptions};
use keyward_store::Store;
use std::time::Duration;
use tokio::runtime::Runtime;

use keyward_testkit::seeding;

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
    let last = seeding::fill(&store, &ServerKey::from_bytes(&KEY), "bench", n)
        .await
        .expect("fill store");
    (store, last)
}

/// The route the checks are counted under (they pass through the same counters as any).
const API: keyward_server::metrics::Route = keyward_server::metrics::Route::ApiVerify;

fn verify(c: &mut Criterion) {
    let rt = Runtime::new().expect("tokio runtime");
    for n in sizes() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (store, valid) = rt.block_on(filled_store(dir.path(), n));
        let verifier = rt
            .block_on(Verifier::new(
                store.clone(),
                ServerKey::from_bytes(&KEY),
                VerifierOptions {
                    max_staleness: Duration::from_secs(3600),
                    ..Default::default()
                },
                RateLimiter::local(),
                Default::default(),
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
            let v = verifier.verify(API, &valid, &ctx).await.expect("storage");
            assert!(v.is_valid(), "the seeded token verifies: {:?}", v.code);
            let v = verifier.verify(API, &unknown, &ctx).await.expect("storage");
            assert!(!v.is_valid());
        });

        let mut g = c.benchmark_group(format!("Verifier::verify/{n} tokens"));
        g.bench_function(BenchmarkId::from_parameter("valid (cache hit)"), |b| {
            b.to_async(&rt)
                .iter(|| async { verifier.verify(API, black_box(&valid), &ctx).await.is_ok() })
        });
        g.bench_function(
            BenchmarkId::from_parameter("valid after the cache is cleared (storage read)"),
            |b| {
                b.to_async(&rt).iter(|| async {
                    verifier.clear_cache();
                    verifier.verify(API, black_box(&valid), &ctx).await.is_ok()
                })
            },
        );
        g.bench_function(BenchmarkId::from_parameter("unknown well-formed"), |b| {
            b.to_async(&rt).iter(|| async {
                verifier
                    .verify(API, black_box(&unknown), &ctx)
                    .await
                    .is_ok()
            })
        });
        g.bench_function(BenchmarkId::from_parameter("malformed (checksum)"), |b| {
            b.to_async(&rt).iter(|| async {
                verifier
                    .verify(API, black_box(&malformed), &ctx)
                    .await
                    .is_ok()
            })
        });
        g.finish();
        rt.block_on(store.close());
    }
}

criterion_group!(benches, verify);
criterion_main!(benches);
