//! Micro-benchmarks of the pure parts of a verification: making a token, checking its
//! shape and checksum, hashing it under the server key, and the decision itself.
//!
//! Run with `cargo bench -p keyward-core --bench token`.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use keyward_core::verify::Subject;
use keyward_core::{
    decide, ParsedToken, Permission, ServerKey, TokenKind, TokenSecret, VerifyContext,
};
use time::OffsetDateTime;

fn generate(c: &mut Criterion) {
    c.bench_function("TokenSecret::generate", |b| {
        b.iter(|| TokenSecret::generate(black_box(TokenKind::Api)))
    });
}

fn parse(c: &mut Criterion) {
    let valid = TokenSecret::generate(TokenKind::Api).into_string();
    // Same length and alphabet, one character changed: only the checksum catches it.
    let mut bad_checksum = valid.clone().into_bytes();
    bad_checksum[10] = if bad_checksum[10] == b'A' { b'B' } else { b'A' };
    let bad_checksum = String::from_utf8(bad_checksum).expect("ASCII");
    let wrong_length = "kwa_short";
    let junk = "x".repeat(256);

    let mut g = c.benchmark_group("ParsedToken::parse");
    g.bench_function("valid", |b| {
        b.iter(|| ParsedToken::parse(black_box(&valid)).is_ok())
    });
    g.bench_function("malformed/checksum", |b| {
        b.iter(|| ParsedToken::parse(black_box(&bad_checksum)).is_err())
    });
    g.bench_function("malformed/length", |b| {
        b.iter(|| ParsedToken::parse(black_box(wrong_length)).is_err())
    });
    g.bench_function("malformed/256-junk", |b| {
        b.iter(|| ParsedToken::parse(black_box(&junk)).is_err())
    });
    g.finish();
}

fn hash(c: &mut Criterion) {
    let key = ServerKey::from_bytes(&[7; 32]);
    let token = TokenSecret::generate(TokenKind::Api).into_string();
    c.bench_function("ServerKey::hash_token", |b| {
        b.iter(|| key.hash_token(black_box(&token)))
    });
}

/// The example subject with the fullest rule set: an IP allowlist and two permissions.
fn subject(now: OffsetDateTime) -> Subject {
    let mut s = Subject::example(now);
    s.token.limits_mut().allowed_cidrs = Box::new(["10.0.0.0/8".parse().expect("CIDR")]);
    s.owner_mut()
        .permissions
        .push(Permission::parse("invoices:*").expect("permission"));
    s
}

fn decision(c: &mut Criterion) {
    let now = OffsetDateTime::now_utc();
    let s = subject(now);
    let empty = VerifyContext::default();
    // The fullest check: every rule runs, including the IP allowlist and the permission.
    let full = VerifyContext {
        tenant: Some(s.owner.tenant_id),
        permission: Some("invoices:write"),
        department_id: Some(s.owner.department_id),
        ip: Some("10.1.2.3".parse().expect("IP")),
        admin: false,
        endpoint: None,
    };
    let mut g = c.benchmark_group("verify::decide");
    g.bench_function("no context", |b| {
        b.iter(|| decide(black_box(&s), black_box(&empty), now))
    });
    g.bench_function("permission+department+ip", |b| {
        b.iter(|| decide(black_box(&s), black_box(&full), now))
    });
    g.finish();
}

criterion_group!(benches, generate, parse, hash, decision);
criterion_main!(benches);
