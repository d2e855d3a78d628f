//! The API token lifecycle: create, list, inspect, update, revoke, regenerate, reveal, delete.

use keyward_testkit::client::{SecretStorage, SettingsPatch};
use keyward_testkit::on_both_backends;
use keyward_testkit::{texts, TestApp};
use serde_json::json;
use std::time::{Duration, Instant};

on_both_backends! {
    each_creation_answers_201_and_a_change_200 => creation_statuses;
    created_token_is_shown_once_and_never_again => shown_once;
    listing_filters_by_status_user_and_name_and_pages => listing_filters;
    effective_status_says_what_a_check_answers_and_filters_the_listing => effective_status;
    search_finds_description_department_hint_and_a_pasted_token => search;
    revoked_token_stays_listed_with_removal_date_and_remover => revoked_stays_listed;
    deleted_token_disappears_but_its_audit_event_remains => deleted_disappears;
    bulk_delete_reports_deleted_and_unknown_ids => bulk_delete;
    bulk_creation_makes_every_token_or_none => bulk_create;
    regenerated_token_refuses_old_secret_unless_grace => regenerate;
    regenerate_may_give_a_new_expiry_within_policy => regenerate_with_expiry;
    reveal_works_only_under_recoverable_policy_and_is_audited => reveal;
    disabled_token_is_refused_until_enabled => disable_enable;
    last_used_is_recorded_without_a_write_per_check => last_used;
    expiry_defaults_to_tenant_policy_and_refuses_beyond_max => expiry_policy;
    other_tenants_tokens_are_invisible => tenant_isolation;
    concurrent_edits_do_not_undo_each_other => concurrent_edits;
    concurrent_regenerations_leave_one_live_secret => concurrent_regenerations;
}

/// An import: many tokens in one call, each usable at once; one refused item refuses the
/// whole call, names the item, and leaves nothing behind.
async fn bulk_create(app: TestApp) {
    let m = app.member("svc", &["orders:read"]).await;
    let client = app.client();
    let audited = app.audit_actions("action=token.created").await.len();
    let asked: Vec<_> = (0..3)
        .map(|i| m.create_token(&format!("import {i}")))
        .collect();
    let made = client.create_tokens(&asked).await.unwrap().into_inner();
    let names: Vec<_> = made
        .items
        .iter()
        .map(|t| t.details.token.name.clone())
        .collect();
    assert_eq!(
        names,
        ["import 0", "import 1", "import 2"],
        "in the order asked"
    );
    for t in &made.items {
        assert_eq!(
            app.verify(t.token.expose(), Some("orders:read")).await,
            "VALID"
        );
    }
    assert_eq!(app.token_count(&m).await, 3);
    assert_eq!(
        app.audit_actions("action=token.created").await.len(),
        audited + 3,
        "each token is audited"
    );

    let other = app.member("other", &["orders:read"]).await;
    let mut body = json!({"items": [m.token_body("fine"), m.token_body("fine too")]});
    // A membership the user does not hold: refused, as POST /api/v1/tokens refuses it.
    body["items"][1]["user_type_id"] = json!(other.user_type_id);
    let (status, problem) = app.post("/api/v1/tokens/bulk", body).await;
    assert_eq!(status, 422, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .starts_with("items[1]: "),
        "{problem}"
    );
    assert_eq!(
        app.token_count(&m).await,
        3,
        "nothing of a refused import is kept"
    );

    let (status, problem) = app.post("/api/v1/tokens/bulk", json!({"items": []})).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (422, Some("validation"))
    );
    let many: Vec<_> = (0..1001).map(|i| m.token_body(&format!("t{i}"))).collect();
    let (status, _) = app
        .post("/api/v1/tokens/bulk", json!({ "items": many }))
        .await;
    assert_eq!(status, 422, "at most 1000 tokens a call");
    assert_eq!(app.token_count(&m).await, 3);
}

async fn shown_once(app: TestApp) {
    let m = app.member("svc", &["orders:read"]).await;
    let t = app
        .post_created("/api/v1/tokens", app.token_body(&m, "ERP"))
        .await;
    let secret = t["token"].as_str().unwrap();
    assert!(secret.starts_with("kwa_") && secret.len() == 74, "{secret}");
    assert_eq!(t["tenant_id"], app.tenant_id.as_str());
    assert_eq!(
        t["hint"],
        format!("kwa_{}…{}", &secret[4..8], &secret[70..])
    );
    assert!(t["usage"]["curl"].as_str().unwrap().contains(secret));
    assert!(t["usage"]["header"].as_str().unwrap().ends_with(secret));
    assert_eq!(t["status"], "active");
    let id = t["id"].as_str().unwrap();
    let (_, detail) = app.get(&format!("/api/v1/tokens/{id}")).await;
    let (_, list) = app.get("/api/v1/tokens").await;
    for body in [detail.to_string(), list.to_string()] {
        assert!(
            !body.contains(secret),
            "the secret must not be readable again"
        );
        assert!(body.contains("kwa_"), "the hint is shown instead");
    }
}

/// The exact statuses of the routes the testkit's fixtures call through the typed client
/// (which takes any success): what a user, a membership and a token are made with.
async fn creation_statuses(app: TestApp) {
    let d = app
        .post_created("/api/v1/departments", json!({"name": "Sales"}))
        .await;
    let t = app
        .post_created(
            "/api/v1/user-types",
            json!({"name": "Reader", "permissions": ["orders:read"]}),
        )
        .await;
    let u = app
        .post_created(
            "/api/v1/users",
            json!({"username": "svc", "email": "svc@example.com",
                       "display_name": "svc", "is_technical": true}),
        )
        .await;
    let user = u["id"].as_str().unwrap();
    app.post_created(
        &format!("/api/v1/users/{user}/memberships"),
        json!({"department_id": d["id"], "user_type_id": t["id"]}),
    )
    .await;
    let body = json!({"name": "ERP", "user_id": user, "department_id": d["id"],
                      "user_type_id": t["id"]});
    let token = app.post_created("/api/v1/tokens", body).await;
    assert!(token["token"].as_str().unwrap().starts_with("kwa_"));
    let key = app
        .post_created("/api/v1/verifier-keys", json!({"name": "gw"}))
        .await;
    assert!(key["token"].as_str().unwrap().starts_with("kwv_"));
    app.patch_ok(
        &format!("/api/v1/users/{user}"),
        json!({"password": "a long password"}),
    )
    .await;
    app.patch_ok("/api/v1/settings", json!({"secret_storage": "recoverable"}))
        .await;
}

async fn listing_filters(app: TestApp) {
    let a = app.member("alpha", &["orders:read"]).await;
    let b = app.member("beta", &["orders:read"]).await;
    let (a1, _) = app.token(&a, "alpha nightly").await;
    app.token(&a, "alpha hourly").await;
    app.token(&b, "beta feed").await;
    app.post_ok(&format!("/api/v1/tokens/{a1}/revoke"), json!({}))
        .await;

    // The bootstrap administrator's token counts too.
    let by_user = format!("/api/v1/tokens?user_id={}", a.user_id);
    for (path, want, why) in [
        ("/api/v1/tokens", 4, ""),
        ("/api/v1/tokens?status=all", 4, ""),
        ("/api/v1/tokens?status=active", 3, ""),
        ("/api/v1/tokens?status=revoked", 1, ""),
        ("/api/v1/tokens?status=expired", 0, ""),
        (by_user.as_str(), 2, ""),
        ("/api/v1/tokens?q=HOURLY", 1, "name search ignores case"),
        ("/api/v1/tokens?q=beta", 1, "search by username"),
        ("/api/v1/tokens?q=%25", 0, "% is literal"),
    ] {
        let list = app.get_ok(path).await;
        assert_eq!(list["total"].as_i64().unwrap(), want, "{path}: {why}");
    }
    let page = app.get_ok("/api/v1/tokens?per_page=2&page=2").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    assert_eq!(
        (
            page["page"].as_i64(),
            page["per_page"].as_i64(),
            page["total"].as_i64().unwrap()
        ),
        (Some(2), Some(2), 4)
    );
    let (status, p) = app.get("/api/v1/tokens?status=gone").await;
    assert_eq!(status, 400, "{p}");
    assert!(p["detail"].as_str().unwrap().contains("active"));
}

/// A token's `effective_status` is what a check answers now: it follows its owner's
/// lock and employment period and the membership it was issued for, while its own
/// `status` stays `active`; the listing filters by it.
async fn effective_status(app: TestApp) {
    let a = app.member("alpha", &["orders:read"]).await;
    let b = app.member("beta", &["orders:read"]).await;
    let (a1, secret) = app.token(&a, "alpha feed").await;
    let (b1, _) = app.token(&b, "beta feed").await;
    let standing = async |id: &str| {
        let t = app.get_ok(&format!("/api/v1/tokens/{id}")).await;
        (t["status"].clone(), t["effective_status"].clone())
    };
    assert_eq!(standing(&a1).await, (json!("active"), json!("VALID")));
    app.set_locked(&a, true).await;
    assert_eq!(standing(&a1).await, (json!("active"), json!("USER_LOCKED")));
    assert_eq!(app.verify(&secret, None).await, "USER_LOCKED");
    app.update_member(
        &b,
        keyward_testkit::period(None, Some("2020-01-01T00:00:00Z")),
    )
    .await;
    assert_eq!(standing(&b1).await.1, json!("USER_INACTIVE"));

    let listed = async |q: &str| {
        let list = app.get_ok(&format!("/api/v1/tokens?{q}")).await;
        texts(&list["items"], "name")
    };
    assert_eq!(listed("effective_status=USER_LOCKED").await, ["alpha feed"]);
    assert_eq!(
        listed("effective_status=refused").await,
        ["beta feed", "alpha feed"]
    );
    // The bootstrap administrator's token is the one valid token.
    let valid = app.get_ok("/api/v1/tokens?effective_status=VALID").await;
    assert_eq!(valid["total"], 1);
    assert_eq!(valid["items"][0]["effective_status"], "VALID");
    let page = app
        .get_ok("/api/v1/tokens?effective_status=refused&per_page=1&page=2")
        .await;
    assert_eq!(
        (page["total"].as_i64(), texts(&page["items"], "name")),
        (Some(2), vec!["alpha feed".to_string()])
    );

    app.set_locked(&a, false).await;
    assert_eq!(standing(&a1).await.1, json!("VALID"));
    assert_eq!(app.verify(&secret, None).await, "VALID");
    let (status, p) = app.get("/api/v1/tokens?effective_status=locked").await;
    assert_eq!(status, 400, "{p}");
    assert!(p["detail"].as_str().unwrap().contains("USER_LOCKED"), "{p}");
}

/// The listing's search: the name, description, user and department anywhere; the
/// start of a hint as a leak report quotes it; and a whole token pasted in.
async fn search(app: TestApp) {
    let a = app.member("alpha", &["orders:read"]).await;
    let b = app.member("beta", &["orders:read"]).await;
    let (_, secret) = app.token(&a, "alpha feed").await;
    let (b1, _) = app.token(&b, "beta feed").await;
    app.patch_ok(
        &format!("/api/v1/tokens/{b1}"),
        json!({"description": "Nightly Økonomi export"}),
    )
    .await;
    let hint = app.get_ok(&format!("/api/v1/tokens/{b1}")).await["hint"]
        .as_str()
        .unwrap()
        .to_string();
    let found = async |q: &str| {
        let q = q
            .replace('%', "%25")
            .replace('+', "%2B")
            .replace(' ', "%20");
        let list = app.get_ok(&format!("/api/v1/tokens?q={q}")).await;
        texts(&list["items"], "name")
    };
    assert_eq!(
        found("økonomi").await,
        ["beta feed"],
        "description, any case"
    );
    assert_eq!(found("dept of alpha").await, ["alpha feed"], "department");
    assert_eq!(found(&hint[..8]).await, ["beta feed"], "hint prefix");
    assert_eq!(found(&secret).await, ["alpha feed"], "a pasted token");
    assert!(
        found("kwa_").await.len() >= 2,
        "every API token's hint starts so"
    );
}

async fn revoked_stays_listed(app: TestApp) {
    let (_, id, secret) = app.svc_with_token("t").await;
    let t = app
        .post_ok(&format!("/api/v1/tokens/{id}/revoke"), json!({}))
        .await;
    assert_eq!(t["status"], "revoked");
    assert!(t["revoked_at"].is_string());
    assert_eq!(t["revoked_by"], app.admin_id.as_str());
    assert_eq!(t["revoked_by_name"], "root");
    assert_eq!(app.verify(&secret, None).await, "REVOKED");
    let list = app.get_ok("/api/v1/tokens?status=revoked").await;
    assert_eq!(list["items"][0]["id"], id.as_str());
    // Revoking again is harmless and keeps the original removal date.
    let again = app
        .post_ok(&format!("/api/v1/tokens/{id}/revoke"), json!({}))
        .await;
    assert_eq!(again["revoked_at"], t["revoked_at"]);
    let (status, p) = app
        .post(&format!("/api/v1/tokens/{id}/regenerate"), json!({}))
        .await;
    assert_eq!((status, p["code"].as_str()), (409, Some("token_revoked")));
}

async fn deleted_disappears(app: TestApp) {
    let (m, id, secret) = app.svc_with_token("t").await;
    assert_eq!(app.delete(&format!("/api/v1/tokens/{id}")).await.0, 204);
    assert_eq!(app.get(&format!("/api/v1/tokens/{id}")).await.0, 404);
    assert_eq!(app.delete(&format!("/api/v1/tokens/{id}")).await.0, 404);
    assert_eq!(app.token_count(&m).await, 0);
    assert_eq!(app.verify(&secret, None).await, "NOT_FOUND");
    let audit = app
        .get_ok(&format!("/api/v1/audit-events?object_id={id}"))
        .await;
    assert_eq!(
        texts(&audit["items"], "action"),
        ["token.deleted", "token.created"]
    );
    assert_eq!(audit["items"][0]["actor"], "root");
}

async fn bulk_delete(app: TestApp) {
    let (m, a, sa) = app.svc_with_token("a").await;
    let (b, sb) = app.token(&m, "b").await;
    let (_, sc) = app.token(&m, "c").await;
    let unknown = uuid::Uuid::now_v7().to_string();
    let r = app
        .post_ok(
            "/api/v1/tokens/bulk-delete",
            json!({"ids": [a, b, unknown]}),
        )
        .await;
    assert_eq!(r["deleted"].as_array().unwrap().len(), 2);
    assert_eq!(r["not_found"], json!([unknown]));
    assert_eq!(app.verify(&sa, None).await, "NOT_FOUND");
    assert_eq!(app.verify(&sb, None).await, "NOT_FOUND");
    assert_eq!(app.verify(&sc, None).await, "VALID");
    // Overlapping bulk deletes and an edit at once: no deadlock, every token gone once.
    let mut ids = Vec::new();
    for i in 0..6 {
        ids.push(app.token(&m, &format!("bulk {i}")).await.0);
    }
    let renamed = format!("/api/v1/tokens/{}", ids[4]);
    let (x, y, z) = tokio::join!(
        app.post(
            "/api/v1/tokens/bulk-delete",
            json!({"ids": [ids[0], ids[1], ids[2], ids[3]]})
        ),
        app.post(
            "/api/v1/tokens/bulk-delete",
            json!({"ids": [ids[5], ids[3], ids[2]]})
        ),
        app.patch(&renamed, json!({"name": "renamed"})),
    );
    let (x, y) = (app.ok(200, x).await, app.ok(200, y).await);
    assert_eq!(z.0, 200, "{}", z.1);
    let total = x["deleted"].as_array().unwrap().len() + y["deleted"].as_array().unwrap().len();
    assert_eq!(
        total, 5,
        "each of the five tokens deleted exactly once: {x} {y}"
    );
    let (status, p) = app
        .post("/api/v1/tokens/bulk-delete", json!({"ids": []}))
        .await;
    assert_eq!(status, 422, "{p}");
}

async fn regenerate(app: TestApp) {
    let (_, id, old) = app.svc_with_token("t").await;
    let r = app
        .post_ok(&format!("/api/v1/tokens/{id}/regenerate"), json!({}))
        .await;
    let new = r["token"].as_str().unwrap().to_string();
    assert_ne!(new, old);
    assert_eq!(r["id"], id.as_str(), "same token record");
    assert_eq!(app.verify(&old, None).await, "NOT_FOUND");
    assert_eq!(app.verify(&new, None).await, "VALID");

    // With a grace period both work for a while.
    let newer = app.regenerated(&id, 3600).await;
    assert_eq!(app.verify(&new, None).await, "VALID");
    assert_eq!(app.verify(&newer, None).await, "VALID");
    // The regeneration after that drops the secret that was in grace.
    let r = app
        .post_empty_ok(&format!("/api/v1/tokens/{id}/regenerate"))
        .await;
    assert_eq!(app.verify(&new, None).await, "NOT_FOUND");
    assert_eq!(app.verify(&newer, None).await, "NOT_FOUND");
    assert_eq!(
        app.verify(r["token"].as_str().unwrap(), None).await,
        "VALID"
    );
    let (status, p) = app
        .post(
            &format!("/api/v1/tokens/{id}/regenerate"),
            json!({"grace_period_seconds": 700000}),
        )
        .await;
    assert_eq!(
        (status, p["code"].as_str()),
        (422, Some("grace_period_too_long"))
    );
}

/// A regenerate without an expiry keeps the token's; with one, the token (and its new
/// secret) gets it, within the tenant's maximum lifetime, and an expired token comes back.
async fn regenerate_with_expiry(app: TestApp) {
    let (_, id, _) = app.svc_with_token("t").await;
    let path = format!("/api/v1/tokens/{id}/regenerate");
    let before = app.get_ok(&format!("/api/v1/tokens/{id}")).await["expires_at"].clone();
    let kept = app.post_ok(&path, json!({})).await;
    assert_eq!(
        kept["expires_at"], before,
        "no expiry asked: the token keeps its own"
    );

    let later = (time::OffsetDateTime::now_utc() + time::Duration::days(200))
        .replace_nanosecond(0)
        .unwrap();
    let at = later
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let moved = app.post_ok(&path, json!({"expires_at": at})).await;
    let got = time::OffsetDateTime::parse(
        moved["expires_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!(got, later, "{moved}");
    assert_eq!(
        app.verify(moved["token"].as_str().unwrap(), None).await,
        "VALID"
    );
    let audited = app.audit_actions("action=token.regenerated").await;
    assert_eq!(audited.len(), 2, "each regenerate is audited");

    for (asked, code) in [
        ("2099-01-01T00:00:00Z", "expiry_beyond_policy"),
        ("2001-01-01T00:00:00Z", "expiry_in_past"),
    ] {
        let (status, p) = app.post(&path, json!({"expires_at": asked})).await;
        assert_eq!((status, p["code"].as_str()), (422, Some(code)), "{p}");
    }
    let unchanged = app.get_ok(&format!("/api/v1/tokens/{id}")).await;
    assert_eq!(
        unchanged["expires_at"], moved["expires_at"],
        "a refused regenerate changes nothing"
    );
    assert_eq!(unchanged["hint"], moved["hint"], "nor the secret");
}

async fn reveal(app: TestApp) {
    let (m, id, _) = app.svc_with_token("shown once").await;
    let (status, p) = app
        .post(&format!("/api/v1/tokens/{id}/reveal"), json!({}))
        .await;
    assert_eq!(
        (status, p["code"].as_str()),
        (409, Some("not_recoverable")),
        "{p}"
    );

    app.recoverable_secrets().await;
    let (id2, secret2) = app.token(&m, "recoverable").await;
    let r = app
        .post_ok(&format!("/api/v1/tokens/{id2}/reveal"), json!({}))
        .await;
    assert_eq!(r["token"], secret2.as_str());
    let detail = app.get_ok(&format!("/api/v1/tokens/{id2}")).await;
    assert_eq!(detail["recoverable"], true);
    let audit = app
        .get_ok(&format!(
            "/api/v1/audit-events?action=token.revealed&object_id={id2}"
        ))
        .await;
    assert_eq!(audit["total"], 1);
    // A token made under show_once stays unrevealable after the policy changes.
    assert_eq!(
        app.post(&format!("/api/v1/tokens/{id}/reveal"), json!({}))
            .await
            .0,
        409
    );
    // Switching to show_once drops every stored copy, for good.
    app.secret_storage(SecretStorage::ShowOnce).await;
    app.recoverable_secrets().await;
    assert_eq!(
        app.post(&format!("/api/v1/tokens/{id2}/reveal"), json!({}))
            .await
            .0,
        409
    );
    // Regeneration under recoverable stores the new secret.
    let r = app
        .post_ok(&format!("/api/v1/tokens/{id}/regenerate"), json!({}))
        .await;
    let again = app
        .post_ok(&format!("/api/v1/tokens/{id}/reveal"), json!({}))
        .await;
    assert_eq!(again["token"], r["token"]);
}

async fn disable_enable(app: TestApp) {
    let (_, id, secret) = app.svc_with_token("t").await;
    let t = app
        .patch_ok(&format!("/api/v1/tokens/{id}"), json!({"enabled": false}))
        .await;
    assert_eq!(t["status"], "disabled");
    assert_eq!(app.verify(&secret, None).await, "DISABLED");
    let t = app
        .patch_ok(
            &format!("/api/v1/tokens/{id}"),
            json!({"enabled": true, "name": "renamed"}),
        )
        .await;
    assert_eq!(
        (t["status"].as_str(), t["name"].as_str()),
        (Some("active"), Some("renamed"))
    );
    assert_eq!(app.verify(&secret, None).await, "VALID");
}

async fn last_used(app: TestApp) {
    let (_, id, secret) = app.svc_with_token("t").await;
    let t = app.get_ok(&format!("/api/v1/tokens/{id}")).await;
    assert!(t["last_used_at"].is_null());
    assert_eq!(app.verify(&secret, None).await, "VALID");
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let t = app.get_ok(&format!("/api/v1/tokens/{id}")).await;
        if t["last_used_at"].is_string() {
            break;
        }
        assert!(Instant::now() < deadline, "last_used_at was not recorded");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn expiry_policy(app: TestApp) {
    let m = app.member("svc", &["orders:read"]).await;
    let t = app
        .post_created("/api/v1/tokens", app.token_body(&m, "default"))
        .await;
    let exp = time::OffsetDateTime::parse(
        t["expires_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let days = (exp - time::OffsetDateTime::now_utc()).whole_days();
    assert!(
        (89..=90).contains(&days),
        "default lifetime is 90 days, got {days}"
    );

    let mut body = app.token_body(&m, "too long");
    body["expires_at"] = json!("2099-01-01T00:00:00Z");
    let (status, p) = app.post("/api/v1/tokens", body).await;
    assert_eq!(
        (status, p["code"].as_str()),
        (422, Some("expiry_beyond_policy")),
        "{p}"
    );
    assert!(p["detail"].as_str().unwrap().contains("365 days"));

    app.update_settings(SettingsPatch {
        max_token_lifetime_days: Some(0),
        default_token_lifetime_days: Some(0),
        ..Default::default()
    })
    .await;
    let t = app
        .post_created("/api/v1/tokens", app.token_body(&m, "forever"))
        .await;
    assert!(
        t["expires_at"].is_null(),
        "cap 0 allows tokens that never expire"
    );
}

async fn tenant_isolation(app: TestApp) {
    let (m, id, _) = app.svc_with_token("acme secret integration").await;
    let other = keyward_server::bootstrap::bootstrap(
        &app.state,
        &keyward_core::text::TenantName::parse("globex").unwrap(),
        &keyward_core::text::Username::parse("hank").unwrap(),
        None,
    )
    .await
    .unwrap();
    let theirs = other.token.expose().to_string();
    use reqwest::Method;
    for (method, path) in [
        (Method::GET, format!("/api/v1/tokens/{id}")),
        (Method::POST, format!("/api/v1/tokens/{id}/revoke")),
        (Method::DELETE, format!("/api/v1/tokens/{id}")),
        (Method::GET, format!("/api/v1/users/{}", m.user_id)),
    ] {
        let (status, body) = app.call_as(&theirs, method.clone(), &path, None).await;
        assert_eq!(status, 404, "{method} {path}: {body}");
    }
    let (_, list) = app.get_as(&theirs, "/api/v1/tokens").await;
    assert_eq!(list["total"], 1, "only their own bootstrap token: {list}");
    let (_, audit) = app
        .get_as(&theirs, "/api/v1/audit-events?per_page=500")
        .await;
    assert!(!audit.to_string().contains("acme secret integration"));
    // A membership cannot point at another tenant's department.
    let body = json!({"department_id": m.department_id, "user_type_id": m.user_type_id});
    assert_eq!(
        app.call_as(
            &theirs,
            Method::POST,
            &format!("/api/v1/users/{}/memberships", other.user_id),
            Some(body)
        )
        .await
        .0,
        404
    );
}

async fn concurrent_edits(app: TestApp) {
    let (_, id, secret) = app.svc_with_token("t").await;
    let path = format!("/api/v1/tokens/{id}");
    for round in 0..20 {
        let (a, b) = tokio::join!(
            app.patch(&path, json!({"enabled": false})),
            app.patch(&path, json!({"name": format!("renamed {round}")})),
        );
        assert_eq!((a.0, b.0), (200, 200));
        let t = app.get_ok(&path).await;
        assert_eq!(
            t["enabled"], false,
            "round {round}: a concurrent rename undid the disable"
        );
        assert_eq!(t["name"], format!("renamed {round}"));
        assert_eq!(app.verify(&secret, None).await, "DISABLED");
        app.patch_ok(&path, json!({"enabled": true})).await;
    }
}

async fn concurrent_regenerations(app: TestApp) {
    let (_, id, old) = app.svc_with_token("t").await;
    let path = format!("/api/v1/tokens/{id}/regenerate");
    for _ in 0..10 {
        let (a, b) = tokio::join!(app.post(&path, json!({})), app.post(&path, json!({})));
        let (a, b) = (app.ok(200, a).await, app.ok(200, b).await);
        let mut live = 0;
        for s in [a["token"].as_str().unwrap(), b["token"].as_str().unwrap()] {
            if app.verify(s, None).await == "VALID" {
                live += 1;
            }
        }
        assert_eq!(live, 1, "exactly the last regeneration's secret works");
    }
    assert_eq!(app.verify(&old, None).await, "NOT_FOUND");
}
