//! `GET /metrics`: off unless enabled, served without a token (on the main listener or
//! on its own), and its counters move by exactly what happened.

use keyward_server::config::MetricsAccess;
use keyward_server::ServerConfig;
use keyward_testkit::{on_both_backends, TestApp};
use serde_json::json;
use std::collections::HashMap;
use std::time::Duration;

on_both_backends! {
    a_scenario_moves_each_counter_by_exactly_what_happened => scenario with metrics_on_main;
    tokens_are_counted_per_tenant_by_state_in_one_scrape => tokens_per_tenant with metrics_on_main;
}

fn metrics_on_main(c: &mut ServerConfig) {
    c.metrics = MetricsAccess::Main;
}

/// One scrape: every sample by its series, `name{labels}` exactly as written.
struct Scrape(HashMap<String, f64>);

impl Scrape {
    async fn of(app: &TestApp, url: &str) -> Self {
        let res = app.http.get(url).send().await.expect("scrape");
        assert_eq!(res.status(), 200);
        let content_type = res.headers()["content-type"].to_str().unwrap().to_string();
        assert!(
            content_type.starts_with("text/plain; version=0.0.4"),
            "{content_type}"
        );
        let text = res.text().await.expect("body");
        let samples = text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .map(|l| {
                let (series, value) = l.rsplit_once(' ').expect("series and value");
                (series.to_string(), value.parse().expect("a number"))
            })
            .collect();
        Self(samples)
    }

    async fn main(app: &TestApp) -> Self {
        Self::of(app, &app.url("/metrics")).await
    }

    /// A sample; a series not yet written (a label set never used) counts as 0.
    fn get(&self, series: &str) -> f64 {
        self.0.get(series).copied().unwrap_or(0.0)
    }

    /// The sum of every sample of metric `name`.
    fn total(&self, name: &str) -> f64 {
        self.0
            .iter()
            .filter(|(s, _)| s.split('{').next() == Some(name))
            .map(|(_, v)| v)
            .sum()
    }
}

fn checks(route: &str, code: &str) -> String {
    format!("keyward_verifications_total{{route=\"{route}\",code=\"{code}\"}}")
}

fn cache(which: &str, kind: &str) -> String {
    format!("keyward_verifier_cache_{which}_total{{kind=\"{kind}\"}}")
}

fn tokens(tenant: &str, state: &str) -> String {
    format!("keyward_tokens{{tenant=\"{tenant}\",kind=\"api\",state=\"{state}\"}}")
}

/// Scrapes until the start-up preload has finished, so that no preloaded answer makes a
/// first check a hit.
async fn warm(app: &TestApp) -> Scrape {
    for _ in 0..500 {
        let s = Scrape::main(app).await;
        if s.get("keyward_verifier_preloaded") == 1.0 {
            return s;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the verifier's preload never finished");
}

async fn scenario(app: TestApp) {
    const VALID: usize = 5;
    const REFUSED: usize = 3;
    let m = app.member_with_password("svc", &["orders:read"]).await;
    let before_tokens = warm(&app).await;
    let (_, good) = app.token(&m, "good").await;
    let (revoked_id, revoked) = app.token(&m, "revoked").await;

    let before_revoke = Scrape::main(&app).await;
    app.revoke_token(&revoked_id).await;
    let s = Scrape::main(&app).await;
    let delta = |series: &str| s.get(series) - before_revoke.get(series);
    assert_eq!(
        delta("keyward_verifier_invalidations_total{origin=\"local\"}"),
        1.0,
        "a revocation drops the answers of one object"
    );
    assert_eq!(
        delta("keyward_verifier_invalidations_total{origin=\"feed\"}"),
        0.0,
        "this node's own change is not applied again from the feed"
    );
    assert!(delta("keyward_change_feed_position") >= 1.0);
    assert_eq!(
        delta(&checks("admin_api", "VALID")),
        1.0,
        "the revocation's request checked the administrator's token once"
    );
    assert_eq!(
        s.get(&tokens("acme", "active")) - before_tokens.get(&tokens("acme", "active")),
        1.0
    );
    assert_eq!(
        s.get(&tokens("acme", "revoked")) - before_tokens.get(&tokens("acme", "revoked")),
        1.0
    );

    // The tenant's name is looked up in storage once, at its first check by name.
    assert_eq!(app.verify("not a token", None).await, "NOT_FOUND");
    let before = Scrape::main(&app).await;
    for _ in 0..VALID {
        assert_eq!(app.verify(&good, Some("orders:read")).await, "VALID");
    }
    for _ in 0..REFUSED {
        let res = app
            .http
            .get(app.url("/auth/forward/acme"))
            .bearer_auth(&revoked)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401);
        assert_eq!(res.headers()["x-keyward-code"], "REVOKED");
    }
    let res = app
        .http
        .post(app.url("/api/v1/mobile/login"))
        .json(
            &json!({"tenant": "acme", "username": "svc", "password": "not the password",
                      "device_name": "a phone"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let after = Scrape::main(&app).await;
    let delta = |series: &str| after.get(series) - before.get(series);
    let total = |name: &str| after.total(name) - before.total(name);

    assert_eq!(delta(&checks("api_verify", "VALID")), VALID as f64);
    assert_eq!(delta(&checks("forward", "REVOKED")), REFUSED as f64);
    assert_eq!(
        total("keyward_verifications_total"),
        (VALID + REFUSED) as f64,
        "no other check was made"
    );
    assert_eq!(
        delta("keyward_verification_duration_seconds_count{route=\"api_verify\"}"),
        VALID as f64
    );
    assert_eq!(
        delta("keyward_verification_duration_seconds_count{route=\"forward\"}"),
        REFUSED as f64
    );
    // Each token's first check reads storage (the creation and the revocation dropped
    // what was cached); every later one is answered from memory.
    assert_eq!(delta(&cache("misses", "token")), 2.0);
    assert_eq!(delta(&cache("hits", "token")), (VALID + REFUSED - 2) as f64);
    assert_eq!(total("keyward_verifier_cache_misses_total"), 2.0);
    assert_eq!(
        total("keyward_verifier_cache_hits_total"),
        (VALID + REFUSED - 2) as f64
    );
    assert_eq!(delta("keyward_verifier_storage_reads_total"), 2.0);
    assert_eq!(delta("keyward_verifier_unknown_lookups_total"), 0.0);
    assert_eq!(
        delta("keyward_login_failures_total{via=\"mobile\",reason=\"invalid_credentials\"}"),
        1.0
    );
    assert_eq!(total("keyward_login_failures_total"), 1.0);

    assert_eq!(after.get("keyward_change_feed_trusted"), 1.0);
    assert_eq!(after.get("keyward_storage_up"), 1.0);
    assert!(after.get("keyward_verifier_cached_answers") >= 2.0);
    let pools: Vec<&String> = after
        .0
        .keys()
        .filter(|k| k.starts_with("keyward_db_pool_max{"))
        .collect();
    assert!(!pools.is_empty(), "the pools are reported");
    for p in pools {
        let labels = p.trim_start_matches("keyward_db_pool_max");
        let max = after.get(p);
        let busy = after.get(&format!("keyward_db_pool_in_use{labels}"));
        let idle = after.get(&format!("keyward_db_pool_idle{labels}"));
        assert!(
            max >= 1.0 && busy + idle <= max,
            "{p}: {busy} + {idle} of {max}"
        );
    }
    // The webhook worker's family is there before it delivers anything.
    assert_eq!(
        after
            .0
            .get("keyward_webhook_deliveries_total{outcome=\"delivered\"}"),
        Some(&0.0)
    );
}

async fn tokens_per_tenant(app: TestApp) {
    let m = app.member("svc", &["orders:read"]).await;
    let (id, _) = app.token(&m, "one").await;
    app.token(&m, "two").await;
    app.set_token_enabled(&id, false).await;
    let (_, admin) = app.other_tenant("globex").await;
    let other = app.member_as(&admin, "svc", &["orders:read"]).await;
    keyward_testkit::token(&app.client_as(Some(&admin)), &other.create_token("three")).await;

    let s = Scrape::main(&app).await;
    // acme: the administrator's bootstrap token and "two" are active, "one" disabled.
    assert_eq!(s.get(&tokens("acme", "active")), 2.0);
    assert_eq!(s.get(&tokens("acme", "disabled")), 1.0);
    // globex: its administrator's token and "three".
    assert_eq!(s.get(&tokens("globex", "active")), 2.0);
    assert_eq!(s.get(&tokens("globex", "revoked")), 0.0);
    assert_eq!(s.total("keyward_tokens"), 5.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_not_served_unless_enabled() {
    let app = TestApp::spawn(keyward_testkit::Backend::Sqlite).await;
    let res = app.http.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(
        res.headers()["content-type"],
        "application/problem+json",
        "an unknown route, like any other"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_on_their_own_address_are_served_there_only_and_take_no_token() {
    let port = keyward_testkit::free_port();
    let app = TestApp::spawn_adjusted(keyward_testkit::Backend::Sqlite, |c| {
        c.metrics = MetricsAccess::Listen(([127, 0, 0, 1], port).into());
    })
    .await;
    let main = app.http.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(main.status(), 404, "not on the main listener");
    // No Authorization header: a Prometheus scrape sends none.
    let s = Scrape::of(&app, &format!("http://127.0.0.1:{port}/metrics")).await;
    assert_eq!(s.get(&tokens("acme", "active")), 1.0);
    let other = app
        .http
        .get(format!("http://127.0.0.1:{port}/api/v1/tokens"))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        other.status(),
        404,
        "the metrics address serves nothing else"
    );
}
