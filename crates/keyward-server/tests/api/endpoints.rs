//! Hosted endpoints and endpoint tokens (SPEC §6, seed 003): one test per rule, each
//! checking the very next request after a change, on SQLite and PostgreSQL.

use keyward_core::text::Name;
use keyward_testkit::client::SecretStorage;
use keyward_testkit::on_both_backends;
use keyward_testkit::{send, texts, Endpoint, TestApp};
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::{Duration, Instant};

on_both_backends! {
    a_primary_token_opens_only_its_own_method_of_its_own_endpoint => primary_per_method;
    delete_is_served_only_while_allowed_and_only_then_has_a_primary => delete_only_when_allowed;
    a_secondary_works_only_while_enabled_assigned_and_its_assignment_enabled => secondary_rule;
    switching_one_application_off_leaves_the_others_working => one_application_off;
    a_regenerated_primary_refuses_its_old_secret_unless_in_grace => regenerated_primary;
    a_regenerated_secondary_refuses_its_old_secret => regenerated_secondary;
    an_endpoint_without_authentication_accepts_anyone => auth_none;
    a_disabled_endpoint_refuses_everything => disabled_endpoint;
    non_json_bodies_are_refused_with_415_and_malformed_json_with_400 => content_type;
    bodies_over_64_kib_are_refused_with_413 => body_limit;
    records_keep_the_token_application_and_ip_that_sent_them => records_keep_sender;
    the_viewer_filtered_by_one_application_shows_exactly_its_records => viewer_filter;
    hosted_get_lists_records_newest_first_in_pages => hosted_paging;
    hosted_get_serves_each_document_as_it_was_sent => verbatim;
    another_tenants_administrator_cannot_see_or_change_an_endpoint => tenant_isolation;
    paths_are_validated_and_unique_within_their_tenant => paths;
    no_tenant_can_probe_squat_or_receive_another_tenants_endpoint => namespaced_paths;
    a_record_the_reader_would_refuse_is_refused_when_posted => unreadable_refused;
    an_unreadable_stored_record_is_listed_as_such_and_an_administrator_can_delete_it => unreadable_listed;
    secrets_are_revealed_only_under_recoverable_and_every_reveal_is_audited => reveal;
    endpoint_tokens_open_nothing_but_endpoints => nothing_but_endpoints;
    secondary_tokens_list_active_by_default_and_show_their_assignments => secondary_listing;
    a_change_made_by_another_node_is_seen_within_a_second => other_node;
    the_openapi_document_describes_every_endpoint_route => openapi;
}

fn secrets_of(body: &Value) -> HashMap<String, String> {
    body["new_primary_tokens"]
        .as_array()
        .expect("new_primary_tokens")
        .iter()
        .map(|t| {
            (
                t["method"].as_str().unwrap().to_string(),
                t["token"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// `(token_name, field)` of each item of the JSON array `list` (the buckets of the
/// records' chart, the assignments of an endpoint), `field` read by `read`.
fn by_token_name<T>(list: &Value, field: &str, read: fn(&Value) -> Option<T>) -> Vec<(String, T)> {
    let values = list
        .as_array()
        .unwrap()
        .iter()
        .map(|item| read(&item[field]).unwrap_or_else(|| panic!("no {field:?} in {item}")));
    texts(list, "token_name").into_iter().zip(values).collect()
}

/// `POST /api/v1/endpoints` by the administrator whose token is `admin` (of any tenant);
/// the status and the body.
async fn create_endpoint_as(app: &TestApp, admin: &str, name: &str, path: &str) -> (u16, Value) {
    let body = json!({"name": name, "path": path});
    app.call_as(admin, Method::POST, "/api/v1/endpoints", Some(body))
        .await
}

/// An endpoint at `path` with token authentication, and a secondary token for the
/// application `name` assigned to it (enabled); returns (endpoint, token id, secret).
async fn with_application(
    app: &TestApp,
    path: &str,
    allow_deleting: bool,
    name: &str,
) -> (Endpoint, String, String) {
    let ep = app.endpoint(path, "token", allow_deleting).await;
    let (id, secret) = app.endpoint_token(name).await;
    app.assign(&ep.id, &id, true).await;
    (ep, id, secret)
}

struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

impl Answer {
    fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }
}

/// Sends `req`; its status, headers and body (JSON, or the text as a JSON string).
async fn answer(req: reqwest::RequestBuilder) -> Answer {
    let res = send(req).await;
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let text = res.text().await.unwrap_or_default();
    Answer {
        status,
        headers,
        body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
    }
}

/// A request to a hosted endpoint of the test tenant: `/e/acme/{rest}`.
async fn hosted(
    app: &TestApp,
    method: Method,
    rest: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Answer {
    let mut req = app
        .http
        .request(method, app.url(&format!("/e/acme/{rest}")));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    answer(req).await
}

async fn post_record(app: &TestApp, ep: &Endpoint, token: Option<&str>, body: Value) -> Answer {
    hosted(app, Method::POST, &ep.path, token, Some(body)).await
}

/// Posts `body` to `ep` with its POST primary token.
async fn post_by_primary(app: &TestApp, ep: &Endpoint, body: Value) -> Answer {
    post_record(app, ep, Some(ep.primary("POST")), body).await
}

async fn get_records(app: &TestApp, ep: &Endpoint, token: Option<&str>) -> Answer {
    hosted(app, Method::GET, &ep.path, token, None).await
}

/// Asserts a refusal: status and the SPEC §4 code in the problem document.
fn refused(a: &Answer, status: u16, code: &str) {
    assert_eq!(
        (a.status, a.code()),
        (status, code),
        "unexpected answer: {}",
        a.body
    );
    let ct = a.headers[reqwest::header::CONTENT_TYPE].to_str().unwrap();
    assert_eq!(ct, "application/problem+json");
}

async fn primary_per_method(app: TestApp) {
    let ep = app.endpoint("orders/in", "token", false).await;
    let mut methods: Vec<&String> = ep.primaries.keys().collect();
    methods.sort();
    assert_eq!(
        methods,
        ["GET", "POST"],
        "POST and GET primaries are generated"
    );
    for t in ep.primaries.values() {
        assert!(t.starts_with("kwp_") && t.len() == 74, "{t}");
    }

    let a = post_record(&app, &ep, Some(ep.primary("POST")), json!({"n": 1})).await;
    assert_eq!(a.status, 201, "{}", a.body);
    refused(
        &get_records(&app, &ep, Some(ep.primary("POST"))).await,
        403,
        "FORBIDDEN",
    );
    refused(
        &post_record(&app, &ep, Some(ep.primary("GET")), json!({})).await,
        403,
        "FORBIDDEN",
    );
    let a = get_records(&app, &ep, Some(ep.primary("GET"))).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["items"][0]["body"], json!({"n": 1}));

    // Another endpoint's primary, an API token, an unknown token, no token.
    let other = app.endpoint("orders/out", "token", false).await;
    refused(
        &post_record(&app, &ep, Some(other.primary("POST")), json!({})).await,
        403,
        "FORBIDDEN",
    );
    let a = post_record(&app, &ep, Some(&app.admin_token), json!({})).await;
    refused(&a, 403, "FORBIDDEN");
    let unknown = keyward_core::TokenSecret::generate(keyward_core::TokenKind::Primary);
    // Without a token of its tenant, a token endpoint reads exactly like a path that does
    // not exist, so no one can probe which paths a tenant serves.
    let a = post_record(&app, &ep, Some(unknown.expose()), json!({})).await;
    refused(&a, 404, "not_found");
    let nowhere = hosted(&app, Method::POST, "no/such/path", None, Some(json!({}))).await;
    assert_eq!(a.body, nowhere.body);
    let a = post_record(&app, &ep, None, json!({})).await;
    refused(&a, 404, "not_found");
    assert_eq!(a.body, nowhere.body);
    // A token of the tenant that does not open it is told so, with the challenge.
    let a = post_record(&app, &ep, Some(ep.primary("GET")), json!({})).await;
    refused(&a, 403, "FORBIDDEN");
    assert!(a.headers[reqwest::header::WWW_AUTHENTICATE]
        .to_str()
        .unwrap()
        .starts_with("Bearer"));

    // The endpoint lists its primaries by hint, never by secret.
    let (_, detail) = app.get(&format!("/api/v1/endpoints/{}", ep.id)).await;
    let (_, primaries) = app
        .get(&format!("/api/v1/endpoints/{}/primary-tokens", ep.id))
        .await;
    assert_eq!(primaries.as_array().unwrap().len(), 2);
    assert_eq!(primaries[0]["method"], "POST");
    for body in [detail.to_string(), primaries.to_string()] {
        for secret in ep.primaries.values() {
            assert!(!body.contains(secret.as_str()), "a secret is shown again");
        }
    }
}

async fn delete_only_when_allowed(app: TestApp) {
    let ep = app.endpoint("inbox", "token", false).await;
    assert!(!ep.primaries.contains_key("DELETE"), "no DELETE primary");
    let (app_id, app_secret) = app.endpoint_token("Webshop").await;
    app.assign(&ep.id, &app_id, true).await;
    let id = post_record(&app, &ep, Some(&app_secret), json!({"a": 1}))
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let del = |token: String| {
        let app = &app;
        let rest = format!("inbox/{id}");
        async move { hosted(app, Method::DELETE, &rest, Some(&token), None).await }
    };
    let a = del(app_secret.clone()).await;
    refused(&a, 405, "FORBIDDEN");
    assert_eq!(a.headers[reqwest::header::ALLOW], "GET, POST");
    refused(&del(ep.primary("POST").into()).await, 405, "FORBIDDEN");

    // Allowing deleting generates the DELETE primary, which opens DELETE only.
    let b = app
        .patch_ok(
            &format!("/api/v1/endpoints/{}", ep.id),
            json!({"allow_deleting": true}),
        )
        .await;
    let new = secrets_of(&b);
    assert_eq!(new.keys().collect::<Vec<_>>(), ["DELETE"]);
    assert_eq!(b["primary_tokens"].as_array().unwrap().len(), 3);
    let delete_primary = new["DELETE"].clone();
    refused(&del(ep.primary("POST").into()).await, 403, "FORBIDDEN");
    refused(
        &get_records(&app, &ep, Some(&delete_primary)).await,
        403,
        "FORBIDDEN",
    );
    assert_eq!(del(delete_primary.clone()).await.status, 204);
    refused(&del(delete_primary.clone()).await, 404, "not_found");
    let a = get_records(&app, &ep, Some(ep.primary("GET"))).await;
    assert_eq!(a.body["total"], 0, "the record is gone");

    // Turning it off again removes the DELETE primary and refuses DELETE.
    let b = app
        .patch_ok(
            &format!("/api/v1/endpoints/{}", ep.id),
            json!({"allow_deleting": false}),
        )
        .await;
    assert!(b["new_primary_tokens"].as_array().unwrap().is_empty());
    assert_eq!(texts(&b["primary_tokens"], "method"), ["POST", "GET"]);
    refused(&del(delete_primary.clone()).await, 404, "not_found");
    assert_eq!(app.verify(&delete_primary, None).await, "NOT_FOUND");
    // The other primaries were not replaced.
    assert_eq!(
        post_record(&app, &ep, Some(ep.primary("POST")), json!({}))
            .await
            .status,
        201
    );
}

async fn secondary_rule(app: TestApp) {
    let ep = app.endpoint("feed", "token", false).await;
    let (id, secret) = app.endpoint_token("Webshop").await;
    assert!(secret.starts_with("kws_"), "{secret}");
    let send = || post_record(&app, &ep, Some(&secret), json!({"x": true}));
    refused(&send().await, 403, "FORBIDDEN");

    assert_eq!(app.assign(&ep.id, &id, true).await, 201);
    assert_eq!(send().await.status, 201, "enabled, assigned, assignment on");

    assert_eq!(app.assign(&ep.id, &id, false).await, 200);
    refused(&send().await, 401, "DISABLED");
    app.assign(&ep.id, &id, true).await;
    assert_eq!(send().await.status, 201);

    app.patch_ok(
        &format!("/api/v1/endpoint-tokens/{id}"),
        json!({"enabled": false}),
    )
    .await;
    refused(&send().await, 401, "DISABLED");
    app.patch_ok(
        &format!("/api/v1/endpoint-tokens/{id}"),
        json!({"enabled": true}),
    )
    .await;
    assert_eq!(send().await.status, 201);
    // Deactivated is switched off too; activated again, it works, switched on.
    let t = app
        .patch_ok(
            &format!("/api/v1/endpoint-tokens/{id}"),
            json!({"active": false}),
        )
        .await;
    assert_eq!(t["enabled"], false, "{t}");
    refused(&send().await, 401, "DISABLED");
    let t = app
        .patch_ok(
            &format!("/api/v1/endpoint-tokens/{id}"),
            json!({"active": true}),
        )
        .await;
    assert_eq!(
        (t["active"].as_bool(), t["enabled"].as_bool()),
        (Some(true), Some(true))
    );
    assert_eq!(send().await.status, 201);
    // Switching on a deactivated token brings it back to the active list.
    app.patch_ok(
        &format!("/api/v1/endpoint-tokens/{id}"),
        json!({"active": false}),
    )
    .await;
    let t = app
        .patch_ok(
            &format!("/api/v1/endpoint-tokens/{id}"),
            json!({"enabled": true}),
        )
        .await;
    assert_eq!(t["active"], true, "{t}");
    assert_eq!(send().await.status, 201);

    let (status, _) = app
        .delete(&format!("/api/v1/endpoints/{}/assignments/{id}", ep.id))
        .await;
    assert_eq!(status, 204);
    refused(&send().await, 403, "FORBIDDEN");
    let (status, _) = app
        .delete(&format!("/api/v1/endpoints/{}/assignments/{id}", ep.id))
        .await;
    assert_eq!(status, 404, "already unassigned");

    // A new assignment lets the application send records, not read anyone's.
    app.assign(&ep.id, &id, true).await;
    assert_eq!(send().await.status, 201);
    refused(
        &get_records(&app, &ep, Some(&secret)).await,
        403,
        "FORBIDDEN",
    );
    let (status, a) = app
        .call(
            Method::PUT,
            &format!("/api/v1/endpoints/{}/assignments/{id}", ep.id),
            Some(json!({"methods": ["POST", "GET"]})),
        )
        .await;
    assert_eq!(
        (status, &a["methods"]),
        (200, &json!(["POST", "GET"])),
        "{a}"
    );
    assert_eq!(get_records(&app, &ep, Some(&secret)).await.status, 200);
    // Switching it off and on keeps what it allows.
    app.assign(&ep.id, &id, false).await;
    app.assign(&ep.id, &id, true).await;
    assert_eq!(get_records(&app, &ep, Some(&secret)).await.status, 200);
    let (status, p) = app
        .call(
            Method::PUT,
            &format!("/api/v1/endpoints/{}/assignments/{id}", ep.id),
            Some(json!({"methods": []})),
        )
        .await;
    assert_eq!(
        (status, p["code"].as_str()),
        (422, Some("validation")),
        "{p}"
    );

    // Deleted: gone everywhere, at once.
    let (status, _) = app.delete(&format!("/api/v1/endpoint-tokens/{id}")).await;
    assert_eq!(status, 204);
    refused(&send().await, 404, "not_found");
    let (_, list) = app
        .get(&format!("/api/v1/endpoints/{}/assignments", ep.id))
        .await;
    assert_eq!(list, json!([]));
}

async fn one_application_off(app: TestApp) {
    let ep = app.endpoint("shared", "token", false).await;
    let other_ep = app.endpoint("elsewhere", "token", false).await;
    let (a_id, a) = app.endpoint_token("Webshop").await;
    let (b_id, b) = app.endpoint_token("ERP").await;
    for (id, e) in [(&a_id, &ep), (&b_id, &ep), (&a_id, &other_ep)] {
        app.assign(&e.id, id, true).await;
    }
    let works = |e: &Endpoint, t: &str| {
        let (app, e, t) = (&app, e.path.clone(), t.to_string());
        async move {
            hosted(app, Method::POST, &e, Some(&t), Some(json!({})))
                .await
                .status
                == 201
        }
    };
    assert!(works(&ep, &a).await && works(&ep, &b).await && works(&other_ep, &a).await);

    // Switching the Webshop's assignment off cuts the Webshop off from this endpoint only.
    app.assign(&ep.id, &a_id, false).await;
    assert!(!works(&ep, &a).await);
    assert!(
        works(&ep, &b).await,
        "the ERP still works on the same endpoint"
    );
    assert!(
        works(&other_ep, &a).await,
        "the Webshop still works on its other endpoint"
    );
    assert!(works(&ep, ep.primary("POST")).await, "so does the primary");

    // Switching the Webshop's token off cuts it off everywhere, and no one else.
    app.assign(&ep.id, &a_id, true).await;
    app.patch_ok(
        &format!("/api/v1/endpoint-tokens/{a_id}"),
        json!({"enabled": false}),
    )
    .await;
    assert!(!works(&ep, &a).await && !works(&other_ep, &a).await);
    assert!(works(&ep, &b).await);
}

/// The hash the store keeps of a secret, to read its grace period from storage.
fn hash_of(app: &TestApp, secret: &str) -> keyward_core::TokenHash {
    app.state.verifier.key().hash_token(secret)
}

async fn regenerated_primary(app: TestApp) {
    let ep = app.endpoint("rotating", "token", false).await;
    let old = ep.primary("POST").to_string();
    let url = format!("/api/v1/endpoints/{}/primary-tokens/post/regenerate", ep.id);
    let r = app.ok(200, app.post_empty(&url).await).await;
    let new = r["token"].as_str().unwrap().to_string();
    assert_ne!(new, old);
    assert_eq!(r["method"], "POST");
    assert!(r["usage"]["curl"]
        .as_str()
        .unwrap()
        .contains("/e/acme/rotating"));
    refused(
        &post_record(&app, &ep, Some(&old), json!({})).await,
        404,
        "not_found",
    );
    assert_eq!(
        post_record(&app, &ep, Some(&new), json!({})).await.status,
        201
    );
    assert_eq!(
        get_records(&app, &ep, Some(ep.primary("GET"))).await.status,
        200,
        "the GET primary is untouched"
    );

    // With a grace period the replaced secret keeps working until it ends.
    let before = time::OffsetDateTime::now_utc();
    let r = app
        .post_ok(&url, json!({"grace_period_seconds": 3600}))
        .await;
    let newer = r["token"].as_str().unwrap().to_string();
    assert_eq!(
        post_record(&app, &ep, Some(&new), json!({})).await.status,
        201
    );
    assert_eq!(
        post_record(&app, &ep, Some(&newer), json!({})).await.status,
        201
    );
    let subject = app
        .state
        .store
        .endpoint_subject_by_hash(&hash_of(&app, &new))
        .await
        .unwrap()
        .expect("the replaced secret is kept for its grace period");
    let until = subject.secret_valid_until.expect("valid_until is set");
    let after = time::OffsetDateTime::now_utc();
    assert!(
        until >= before + time::Duration::seconds(3599)
            && until <= after + time::Duration::seconds(3601),
        "grace ends an hour after regeneration: {until}"
    );
    // The decision refuses a secret whose grace has ended (unit-tested in core); a zero
    // grace ends it at once, including the one still in grace.
    app.post_ok(&url, json!({"grace_period_seconds": 0})).await;
    refused(
        &post_record(&app, &ep, Some(&new), json!({})).await,
        404,
        "not_found",
    );
    refused(
        &post_record(&app, &ep, Some(&newer), json!({})).await,
        404,
        "not_found",
    );

    // A method the endpoint has no primary for, and a grace beyond the maximum.
    let (status, p) = app
        .call(
            Method::POST,
            &format!(
                "/api/v1/endpoints/{}/primary-tokens/DELETE/regenerate",
                ep.id
            ),
            None,
        )
        .await;
    assert_eq!(status, 404, "{p}");
    let (status, p) = app
        .post(&url, json!({"grace_period_seconds": 700000}))
        .await;
    assert_eq!(
        (status, p["code"].as_str()),
        (422, Some("grace_period_too_long"))
    );
}

async fn regenerated_secondary(app: TestApp) {
    let (ep, id, old) = with_application(&app, "apps", false, "Webshop").await;
    let r = app
        .post_empty_ok(&format!("/api/v1/endpoint-tokens/{id}/regenerate"))
        .await;
    let new = r["token"].as_str().unwrap();
    assert_eq!(r["id"], id.as_str(), "same token, same assignments");
    refused(
        &post_record(&app, &ep, Some(&old), json!({})).await,
        404,
        "not_found",
    );
    assert_eq!(
        post_record(&app, &ep, Some(new), json!({})).await.status,
        201
    );
}

async fn auth_none(app: TestApp) {
    let ep = app.endpoint("public", "none", false).await;
    assert!(ep.primaries.is_empty(), "no primaries without token auth");
    assert_eq!(
        post_record(&app, &ep, None, json!({"a": 1})).await.status,
        201
    );
    // Anyone may call it, but a token it is shown must be one of this tenant's: junk
    // and another tenant's tokens are refused rather than ignored.
    let junk = "kws_not-a-token";
    refused(
        &post_record(&app, &ep, Some(junk), json!({})).await,
        401,
        "NOT_FOUND",
    );
    let (_, theirs) = app.other_tenant("globex").await;
    refused(
        &post_record(&app, &ep, Some(&theirs), json!({})).await,
        401,
        "NOT_FOUND",
    );
    // Nor is one in another wrapping taken for none.
    let basic = send(
        app.http
            .post(app.url("/e/acme/public"))
            .basic_auth("x", Some(&theirs))
            .json(&json!({})),
    )
    .await;
    assert_eq!(basic.status(), 401);
    assert_eq!(
        post_record(&app, &ep, Some(&app.admin_token), json!({}))
            .await
            .status,
        201,
        "a token of this tenant is no reason to refuse an open endpoint"
    );
    let a = get_records(&app, &ep, None).await;
    assert_eq!((a.status, a.body["total"].as_i64()), (200, Some(2)));

    // Switching to token authentication closes it at once, and back opens it again.
    let url = format!("/api/v1/endpoints/{}", ep.id);
    let b = app.patch_ok(&url, json!({"auth_type": "token"})).await;
    let primaries = secrets_of(&b);
    assert_eq!(primaries.len(), 2);
    refused(
        &post_record(&app, &ep, None, json!({})).await,
        404,
        "not_found",
    );
    assert_eq!(
        post_record(&app, &ep, Some(&primaries["POST"]), json!({}))
            .await
            .status,
        201
    );
    let b = app.patch_ok(&url, json!({"auth_type": "none"})).await;
    assert_eq!(b["primary_tokens"], json!([]), "primaries are removed");
    assert_eq!(post_record(&app, &ep, None, json!({})).await.status, 201);
    assert_eq!(app.verify(&primaries["POST"], None).await, "NOT_FOUND");
}

async fn disabled_endpoint(app: TestApp) {
    let open = app.endpoint("open", "none", true).await;
    let closed = app.endpoint("closed", "token", true).await;
    let (id, secret) = app.endpoint_token("Webshop").await;
    app.assign(&closed.id, &id, true).await;
    for ep in [&open, &closed] {
        app.patch_ok(
            &format!("/api/v1/endpoints/{}", ep.id),
            json!({"enabled": false}),
        )
        .await;
    }
    refused(
        &post_record(&app, &open, None, json!({})).await,
        403,
        "DISABLED",
    );
    refused(&get_records(&app, &open, None).await, 403, "DISABLED");
    for t in [closed.primary("POST"), secret.as_str()] {
        refused(
            &post_record(&app, &closed, Some(t), json!({})).await,
            403,
            "DISABLED",
        );
    }
    refused(
        &hosted(
            &app,
            Method::DELETE,
            &format!("closed/{}", keyward_core::EndpointRecordId::new()),
            Some(closed.primary("DELETE")),
            None,
        )
        .await,
        403,
        "DISABLED",
    );
    app.patch_ok(
        &format!("/api/v1/endpoints/{}", closed.id),
        json!({"enabled": true}),
    )
    .await;
    assert_eq!(
        post_record(&app, &closed, Some(&secret), json!({}))
            .await
            .status,
        201
    );
}

async fn raw_post(app: &TestApp, path: &str, content_type: Option<&str>, body: Vec<u8>) -> Answer {
    let mut req = app
        .http
        .post(app.url(&format!("/e/acme/{path}")))
        .body(body);
    if let Some(ct) = content_type {
        req = req.header(reqwest::header::CONTENT_TYPE, ct);
    }
    answer(req).await
}

async fn content_type(app: TestApp) {
    app.endpoint("typed", "none", false).await;
    let body = br#"{"a": 1}"#.to_vec();
    refused(
        &raw_post(&app, "typed", Some("text/plain"), body.clone()).await,
        415,
        "unsupported_media_type",
    );
    refused(
        &raw_post(&app, "typed", None, body.clone()).await,
        415,
        "unsupported_media_type",
    );
    refused(
        &raw_post(
            &app,
            "typed",
            Some("application/x-www-form-urlencoded"),
            b"a=1".to_vec(),
        )
        .await,
        415,
        "unsupported_media_type",
    );
    for ct in [
        "application/json",
        "application/json; charset=utf-8",
        "application/vnd.acme+json",
    ] {
        assert_eq!(
            raw_post(&app, "typed", Some(ct), body.clone()).await.status,
            201,
            "{ct}"
        );
    }
    for bad in [
        &b"{\"a\": "[..],
        b"",
        b"not json",
        b"{\"a\": 1} trailing",
        b"\"\xff\"",
    ] {
        refused(
            &raw_post(&app, "typed", Some("application/json"), bad.to_vec()).await,
            400,
            "invalid_json",
        );
    }
    // Any JSON document is a record, not only objects.
    assert_eq!(
        raw_post(
            &app,
            "typed",
            Some("application/json"),
            b"[1, 2, 3]".to_vec()
        )
        .await
        .status,
        201
    );
}

async fn body_limit(app: TestApp) {
    app.endpoint("big", "none", false).await;
    // A JSON string of exactly 64 KiB, and one byte more.
    let fits = format!("\"{}\"", "x".repeat(64 * 1024 - 2)).into_bytes();
    assert_eq!(fits.len(), 64 * 1024);
    assert_eq!(
        raw_post(&app, "big", Some("application/json"), fits)
            .await
            .status,
        201
    );
    let over = format!("\"{}\"", "x".repeat(64 * 1024 - 1)).into_bytes();
    refused(
        &raw_post(&app, "big", Some("application/json"), over).await,
        413,
        "payload_too_large",
    );
    // Without a Content-Length (chunked), the limit holds while reading.
    let status = chunked_post(&app, "/e/acme/big", &[b"\"", &[b'x'; 70 * 1024], b"\""]).await;
    assert_eq!(status, 413);
}

/// Posts a chunked JSON body (no Content-Length) over a plain connection; returns the
/// status. reqwest sends chunked bodies only with its `stream` feature.
async fn chunked_post(app: &TestApp, path: &str, chunks: &[&[u8]]) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.base.trim_start_matches("http://");
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut req = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )
    .into_bytes();
    for c in chunks {
        req.extend(format!("{:x}\r\n", c.len()).bytes());
        req.extend_from_slice(c);
        req.extend(b"\r\n");
    }
    req.extend(b"0\r\n\r\n");
    // The server may answer before reading everything and close; the answer counts.
    let _ = s.write_all(&req).await;
    let mut head = [0u8; 12];
    s.read_exact(&mut head).await.unwrap();
    let head = String::from_utf8_lossy(&head);
    head[9..12].parse().unwrap()
}

async fn records_keep_sender(app: TestApp) {
    let (ep, id, secret) = with_application(&app, "audit/trail", false, "Webshop").await;
    let before = time::OffsetDateTime::now_utc() - time::Duration::seconds(1);
    // The test client is not a trusted proxy, so its X-Forwarded-For is ignored.
    let res = send(
        app.http
            .post(app.url("/e/acme/audit/trail"))
            .bearer_auth(&secret)
            .header("x-forwarded-for", "203.0.113.50")
            .json(&json!({"order": 42, "lines": [{"sku": "A-1", "qty": 2}]})),
    )
    .await;
    assert_eq!(res.status(), 201);
    let receipt: Value = res.json().await.unwrap();
    post_by_primary(&app, &ep, json!({"from": "primary"})).await;

    let page = app
        .get_ok(&format!("/api/v1/endpoints/{}/records", ep.id))
        .await;
    assert_eq!(page["total"], 2);
    let r = &page["items"][1];
    assert_eq!(r["id"], receipt["id"]);
    assert_eq!(r["token_id"], id.as_str());
    assert_eq!(r["token_name"], "Webshop");
    assert_eq!(r["token_kind"], "secondary");
    assert_eq!(r["method"], "POST");
    assert_eq!(r["ip"], "127.0.0.1");
    assert_eq!(
        r["body"],
        json!({"order": 42, "lines": [{"sku": "A-1", "qty": 2}]})
    );
    let at = time::OffsetDateTime::parse(
        r["received_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert!(at >= before && at <= time::OffsetDateTime::now_utc());
    assert_eq!(page["items"][0]["token_kind"], "primary");
    assert_eq!(page["items"][0]["token_name"], "POST primary token");

    // Renamed, the application shows under its new name; deleted, under its last one.
    app.patch_ok(
        &format!("/api/v1/endpoint-tokens/{id}"),
        json!({"name": "Webshop 2"}),
    )
    .await;
    let page = app
        .get_ok(&format!(
            "/api/v1/endpoints/{}/records?token_id={id}",
            ep.id
        ))
        .await;
    assert_eq!(page["items"][0]["token_name"], "Webshop 2");
    app.delete(&format!("/api/v1/endpoint-tokens/{id}")).await;
    let page = app
        .get_ok(&format!(
            "/api/v1/endpoints/{}/records?token_id={id}",
            ep.id
        ))
        .await;
    assert_eq!(page["total"], 1, "records outlive the token");
    assert_eq!(page["items"][0]["token_name"], "Webshop");
    assert_eq!(page["items"][0]["token_id"], id.as_str());
}

async fn viewer_filter(app: TestApp) {
    let ep = app.endpoint("viewer", "token", false).await;
    let (a_id, a) = app.endpoint_token("Webshop").await;
    let (b_id, b) = app.endpoint_token("ERP").await;
    app.assign(&ep.id, &a_id, true).await;
    app.assign(&ep.id, &b_id, true).await;
    for i in 0..3 {
        post_record(&app, &ep, Some(&a), json!({"app": "webshop", "i": i})).await;
    }
    for i in 0..2 {
        post_record(&app, &ep, Some(&b), json!({"app": "erp", "i": i})).await;
    }
    post_by_primary(&app, &ep, json!({"app": "primary"})).await;

    let url = format!("/api/v1/endpoints/{}/records", ep.id);
    let all = app.get_ok(&url).await;
    assert_eq!(all["total"], 6);
    let page = app.get_ok(&format!("{url}?token_id={a_id}")).await;
    assert_eq!(page["total"], 3);
    let items = page["items"].as_array().unwrap();
    assert!(items
        .iter()
        .all(|r| r["token_id"] == a_id.as_str() && r["body"]["app"] == "webshop"));
    let order: Vec<i64> = items
        .iter()
        .map(|r| r["body"]["i"].as_i64().unwrap())
        .collect();
    assert_eq!(order, [2, 1, 0], "newest first");

    // Time filters: nothing before the first record.
    let long_ago = "2000-01-01T00:00:00Z";
    let page = app.get_ok(&format!("{url}?to={long_ago}")).await;
    assert_eq!(page["total"], 0);
    let page = app
        .get_ok(&format!("{url}?from={long_ago}&token_id={b_id}"))
        .await;
    assert_eq!(page["total"], 2);

    // The chart: counts per application in one bucket (a day, so the records cannot
    // straddle two).
    let stats = app
        .get_ok(&format!("{url}/stats?bucket=day&from={long_ago}"))
        .await;
    assert_eq!(stats["bucket_seconds"], 86400);
    let counts: HashMap<String, i64> = by_token_name(&stats["buckets"], "count", Value::as_i64)
        .into_iter()
        .collect();
    let buckets = stats["buckets"].as_array().unwrap();
    assert!(
        buckets.len() == 3 || buckets.len() == 6,
        "one bucket per application (two if midnight passed): {stats}"
    );
    if buckets.len() == 3 {
        assert_eq!(
            counts,
            HashMap::from([
                ("Webshop".to_string(), 3),
                ("ERP".to_string(), 2),
                ("POST primary token".to_string(), 1)
            ])
        );
    }
    let (status, p) = app
        .get(&format!("{url}/stats?bucket=1&from={long_ago}"))
        .await;
    assert_eq!((status, p["code"].as_str()), (422, Some("validation")));
    let (status, _) = app.get(&format!("{url}/stats?bucket=week")).await;
    assert_eq!(status, 422);
}

/// The documents of a page are the stored text (checked, not parsed into a tree and
/// written out again), so what an application sent is what it reads back, down to the
/// order of its keys and the spelling of its numbers.
async fn verbatim(app: TestApp) {
    app.endpoint("verbatim", "none", false).await;
    let doc = r#"{"b": 1, "a": [1, 2.50, 1e3], "s": "\u00e6 ø"}"#;
    let posted = raw_post(&app, "verbatim", Some("application/json"), doc.into()).await;
    assert_eq!(posted.status, 201, "{}", posted.body);
    let text = keyward_testkit::text_of(app.http.get(app.url("/e/acme/verbatim"))).await;
    assert!(text.contains(doc), "{text}");
    let page: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(page["items"][0]["body"]["s"], "æ ø");
    assert_eq!(page["items"][0].get("unreadable"), None);
}

async fn hosted_paging(app: TestApp) {
    let ep = app.endpoint("paged", "none", false).await;
    for i in 0..5 {
        post_record(&app, &ep, None, json!({"i": i})).await;
    }
    let a = hosted(&app, Method::GET, "paged?per_page=2&page=2", None, None).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["total"], 5);
    let got: Vec<i64> = a.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["body"]["i"].as_i64().unwrap())
        .collect();
    assert_eq!(got, [2, 1]);
    assert!(
        a.body["items"][0].get("ip").is_none(),
        "callers do not see addresses"
    );
    refused(
        &hosted(&app, Method::GET, "nowhere", None, None).await,
        404,
        "not_found",
    );
}

async fn tenant_isolation(app: TestApp) {
    let (ep, id, _) = with_application(&app, "acme/orders", true, "Acme webshop").await;
    post_by_primary(&app, &ep, json!({"secret": "acme data"})).await;
    let (_, theirs) = app.other_tenant("globex").await;
    let e = &ep.id;
    for (method, path, body) in [
        (Method::GET, format!("/api/v1/endpoints/{e}"), None),
        (
            Method::PATCH,
            format!("/api/v1/endpoints/{e}"),
            Some(json!({"enabled": false})),
        ),
        (Method::DELETE, format!("/api/v1/endpoints/{e}"), None),
        (
            Method::GET,
            format!("/api/v1/endpoints/{e}/primary-tokens"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/endpoints/{e}/primary-tokens/POST/regenerate"),
            None,
        ),
        (
            Method::GET,
            format!("/api/v1/endpoints/{e}/assignments"),
            None,
        ),
        (
            Method::PUT,
            format!("/api/v1/endpoints/{e}/assignments/{id}"),
            None,
        ),
        (
            Method::DELETE,
            format!("/api/v1/endpoints/{e}/assignments/{id}"),
            None,
        ),
        (Method::GET, format!("/api/v1/endpoints/{e}/records"), None),
        (
            Method::GET,
            format!("/api/v1/endpoints/{e}/records/stats"),
            None,
        ),
        (Method::GET, format!("/api/v1/endpoint-tokens/{id}"), None),
        (
            Method::PATCH,
            format!("/api/v1/endpoint-tokens/{id}"),
            Some(json!({"enabled": false})),
        ),
        (
            Method::POST,
            format!("/api/v1/endpoint-tokens/{id}/regenerate"),
            None,
        ),
        (
            Method::DELETE,
            format!("/api/v1/endpoint-tokens/{id}"),
            None,
        ),
    ] {
        let (status, body) = app.call_as(&theirs, method.clone(), &path, body).await;
        assert_eq!(status, 404, "{method} {path}: {body}");
    }
    let (_, list) = app.get_as(&theirs, "/api/v1/endpoints").await;
    assert_eq!(list["total"], 0);
    let (_, list) = app
        .get_as(&theirs, "/api/v1/endpoint-tokens?status=all")
        .await;
    assert_eq!(list["total"], 0);
    let (_, audit) = app
        .get_as(&theirs, "/api/v1/audit-events?per_page=500")
        .await;
    assert!(!audit.to_string().contains("acme/orders"));

    // Their own secondary cannot be assigned to our endpoint, nor open it.
    let (status, t) = app
        .call_as(
            &theirs,
            Method::POST,
            "/api/v1/endpoint-tokens",
            Some(json!({"name": "Globex app"})),
        )
        .await;
    assert_eq!(status, 201);
    let (their_id, their_secret) = (t["id"].as_str().unwrap(), t["token"].as_str().unwrap());
    let (status, _) = app
        .call_as(
            &theirs,
            Method::PUT,
            &format!("/api/v1/endpoints/{e}/assignments/{their_id}"),
            None,
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = app
        .call(
            Method::PUT,
            &format!("/api/v1/endpoints/{e}/assignments/{their_id}"),
            None,
        )
        .await;
    assert_eq!(status, 404, "nor by our administrator");
    // To our endpoint, another tenant's token does not exist.
    refused(
        &get_records(&app, &ep, Some(their_secret)).await,
        404,
        "not_found",
    );
    // Everything is still in place.
    let a = get_records(&app, &ep, Some(ep.primary("GET"))).await;
    assert_eq!(a.body["items"][0]["body"]["secret"], "acme data");
}

async fn paths(app: TestApp) {
    for bad in ["", "Upper", "a//b", "../x", "a b", "ünïcode"] {
        let (status, p) = app
            .post("/api/v1/endpoints", json!({"name": "x", "path": bad}))
            .await;
        assert_eq!(
            (status, p["code"].as_str()),
            (422, Some("validation")),
            "{bad:?}: {p}"
        );
    }
    let ep = app.endpoint("/taken/", "none", false).await;
    let (_, detail) = app.get(&format!("/api/v1/endpoints/{}", ep.id)).await;
    assert_eq!(detail["path"], "taken", "surrounding slashes are dropped");
    let (status, p) = app
        .post(
            "/api/v1/endpoints",
            json!({"name": "again", "path": "taken"}),
        )
        .await;
    assert_eq!((status, p["code"].as_str()), (409, Some("conflict")), "{p}");
    assert!(p["detail"].as_str().unwrap().contains("path"));

    // The URL names the tenant, so another tenant's same path is another endpoint: it is
    // allowed, and the 409 above told nothing about other tenants.
    let (_, theirs) = app.other_tenant("globex").await;
    let (status, _) = create_endpoint_as(&app, &theirs, "theirs", "taken").await;
    assert_eq!(status, 201);

    // A moved endpoint is served at its new path at once, and not at the old one.
    app.patch_ok(
        &format!("/api/v1/endpoints/{}", ep.id),
        json!({"path": "moved/here"}),
    )
    .await;
    assert_eq!(
        hosted(&app, Method::GET, "moved/here", None, None)
            .await
            .status,
        200
    );
    refused(
        &hosted(&app, Method::GET, "taken", None, None).await,
        404,
        "not_found",
    );
    // Deleted: gone.
    let (status, _) = app.delete(&format!("/api/v1/endpoints/{}", ep.id)).await;
    assert_eq!(status, 204);
    refused(
        &hosted(&app, Method::GET, "moved/here", None, None).await,
        404,
        "not_found",
    );
}

async fn reveal(app: TestApp) {
    let ep = app.endpoint("shown-once", "token", false).await;
    let url = format!("/api/v1/endpoints/{}/primary-tokens/POST/reveal", ep.id);
    let (status, p) = app.post(&url, json!({})).await;
    assert_eq!(
        (status, p["code"].as_str()),
        (409, Some("not_recoverable")),
        "{p}"
    );

    app.recoverable_secrets().await;
    let (status, _) = app.post(&url, json!({})).await;
    assert_eq!(status, 409, "made under show_once: no copy was kept");

    let ep = app.endpoint("recoverable", "token", false).await;
    let url = format!("/api/v1/endpoints/{}/primary-tokens/POST/reveal", ep.id);
    let r = app.post_ok(&url, json!({})).await;
    assert_eq!(r["token"], ep.primary("POST"));
    let (erp_id, secret) = app.endpoint_token("ERP").await;
    let r = app
        .post_ok(
            &format!("/api/v1/endpoint-tokens/{erp_id}/reveal"),
            json!({}),
        )
        .await;
    assert_eq!(r["token"], secret.as_str());
    let (_, audit) = app
        .get("/api/v1/audit-events?action=endpoint_token.revealed")
        .await;
    assert_eq!(audit["total"], 2, "every reveal is audited: {audit}");
    // A regenerated secret is revealed as the new one.
    let regenerated = app
        .ok(
            200,
            app.post_empty(&format!(
                "/api/v1/endpoints/{}/primary-tokens/GET/regenerate",
                ep.id
            ))
            .await,
        )
        .await;
    let r = app
        .post_ok(
            &format!("/api/v1/endpoints/{}/primary-tokens/get/reveal", ep.id),
            json!({}),
        )
        .await;
    assert_eq!(r["token"], regenerated["token"]);

    // Back to show_once: every stored copy is dropped.
    app.secret_storage(SecretStorage::ShowOnce).await;
    let (_, t) = app.get(&format!("/api/v1/endpoint-tokens/{erp_id}")).await;
    assert_eq!(t["recoverable"], false);
    app.recoverable_secrets().await;
    let (status, _) = app
        .post(
            &format!("/api/v1/endpoint-tokens/{erp_id}/reveal"),
            json!({}),
        )
        .await;
    assert_eq!(status, 409);
}

async fn nothing_but_endpoints(app: TestApp) {
    let (ep, id, secret) = with_application(&app, "only-here", false, "Webshop").await;
    // The verify API knows the token and says it opens nothing here.
    let res = app.verify_body(json!({"token": secret})).await;
    assert_eq!(res["code"], "FORBIDDEN");
    assert_eq!(res["valid"], false);
    // A refusal names nothing about the token.
    assert!(res["kind"].is_null() && res["tenant_id"].is_null(), "{res}");
    assert!(res.get("endpoint_token_id").is_none(), "{res}");
    app.patch_ok(
        &format!("/api/v1/endpoint-tokens/{id}"),
        json!({"enabled": false}),
    )
    .await;
    assert_eq!(app.verify(&secret, None).await, "DISABLED");
    // Forward auth and the administrator API refuse endpoint tokens.
    let res = send(
        app.http
            .get(app.url("/auth/forward/acme"))
            .bearer_auth(ep.primary("GET")),
    )
    .await;
    assert_eq!(res.status(), 403);
    let (status, p) = app.get_as(ep.primary("GET"), "/api/v1/endpoints").await;
    assert_eq!(
        (status, p["code"].as_str()),
        (401, Some("wrong_token_kind"))
    );
}

async fn secondary_listing(app: TestApp) {
    let ep = app.endpoint("listed", "token", false).await;
    let (a, _) = app.endpoint_token("Alpha app").await;
    let (b, _) = app.endpoint_token("Beta app").await;
    let gamma = app
        .post_created(
            "/api/v1/endpoint-tokens",
            json!({"name": "Gamma app", "description": "retired", "enabled": false}),
        )
        .await;
    let gamma = gamma["id"].as_str().unwrap().to_string();
    let names = |v: &Value| texts(&v["items"], "name");
    let active = app.get_ok("/api/v1/endpoint-tokens").await;
    assert_eq!(
        names(&active),
        ["Alpha app", "Beta app", "Gamma app"],
        "primaries are not listed; a token switched off stays in the active list"
    );
    // Deactivating retires it to the inactive list, switched off.
    let retired = app
        .patch_ok(
            &format!("/api/v1/endpoint-tokens/{gamma}"),
            json!({"active": false}),
        )
        .await;
    assert_eq!(
        (retired["active"].as_bool(), retired["enabled"].as_bool()),
        (Some(false), Some(false))
    );
    let active = app.get_ok("/api/v1/endpoint-tokens").await;
    assert_eq!(names(&active), ["Alpha app", "Beta app"]);
    let inactive = app.get_ok("/api/v1/endpoint-tokens?status=inactive").await;
    assert_eq!(names(&inactive), ["Gamma app"]);
    let actions = app.audit_actions(&format!("object_id={gamma}")).await;
    assert!(
        actions.contains(&"endpoint_token.deactivated".to_string()),
        "{actions:?}"
    );
    let all = app
        .get_ok("/api/v1/endpoint-tokens?status=all&q=ALPHA")
        .await;
    assert_eq!(names(&all), ["Alpha app"]);
    let (status, _) = app.get("/api/v1/endpoint-tokens?status=revoked").await;
    assert_eq!(status, 400);

    app.assign(&ep.id, &b, true).await;
    app.assign(&ep.id, &a, false).await;
    let list = app
        .get_ok(&format!("/api/v1/endpoints/{}/assignments", ep.id))
        .await;
    let rows = by_token_name(&list, "enabled", Value::as_bool);
    assert_eq!(
        rows,
        [
            ("Alpha app".to_string(), false),
            ("Beta app".to_string(), true)
        ]
    );
    let t = app.get_ok(&format!("/api/v1/endpoint-tokens/{b}")).await;
    assert_eq!(t["assignments"][0]["endpoint_path"], "listed");
    assert!(t.get("token").is_none(), "no secret in the detail");
    // A primary is not a secondary token.
    let (_, primaries) = app
        .get(&format!("/api/v1/endpoints/{}/primary-tokens", ep.id))
        .await;
    let pid = primaries[0]["id"].as_str().unwrap();
    let (status, _) = app.get(&format!("/api/v1/endpoint-tokens/{pid}")).await;
    assert_eq!(status, 404);
    let (status, _) = app
        .call(
            Method::PUT,
            &format!("/api/v1/endpoints/{}/assignments/{pid}", ep.id),
            None,
        )
        .await;
    assert_eq!(status, 404, "primaries are not assigned");
    // Every change is in the audit trail.
    let actions = app.audit_actions("object_type=endpoint_token").await;
    let count = |action: &str| actions.iter().filter(|a| *a == action).count();
    assert!(count("endpoint_token.assigned") > 0, "{actions:?}");
    assert_eq!(
        count("endpoint_token.created"),
        5,
        "three secondaries and two primaries: {actions:?}"
    );
}

/// A change written by another process (another node of a cluster) reaches this node
/// through the change log within a second.
async fn other_node(app: TestApp) {
    let (ep, id, secret) = with_application(&app, "clustered", false, "Webshop").await;
    assert_eq!(
        post_record(&app, &ep, Some(&secret), json!({}))
            .await
            .status,
        201
    );
    let other = app.other_store().await;
    let tenant: keyward_core::TenantId = app.tenant_id.parse().unwrap();
    let actor = keyward_store::Actor::system("other node");
    let started = Instant::now();
    other
        .set_assignment(
            tenant,
            ep.id.parse().unwrap(),
            id.parse().unwrap(),
            false,
            None,
            &actor,
        )
        .await
        .unwrap();
    let off = "the switched-off assignment was not seen within one second";
    until_a_post_answers(&app, &ep, &secret, 401, started, off).await;

    // A token created elsewhere becomes usable here, without a restart.
    let key = app.state.verifier.key();
    let token_id = keyward_core::EndpointTokenId::new();
    let created = keyward_core::TokenSecret::generate(keyward_core::TokenKind::Secondary);
    other
        .insert_endpoint_token(
            tenant,
            &keyward_store::NewEndpointToken {
                id: token_id,
                name: Name::parse("Made elsewhere").unwrap(),
                description: String::new(),
                enabled: true,
                secret: keyward_store::NewSecret {
                    hash: key.hash_token(created.expose()),
                    hint: created.hint(),
                    sealed: None,
                },
            },
            &actor,
        )
        .await
        .unwrap();
    other
        .set_assignment(tenant, ep.id.parse().unwrap(), token_id, true, None, &actor)
        .await
        .unwrap();
    let unusable = "a token made on another node was not usable here within one second";
    until_a_post_answers(&app, &ep, created.expose(), 201, Instant::now(), unusable).await;
}

/// Posts an empty record to `ep` with `token` until the answer is `status`, failing with
/// `late` once a second has passed since `started`.
async fn until_a_post_answers(
    app: &TestApp,
    ep: &Endpoint,
    token: &str,
    status: u16,
    started: Instant,
    late: &str,
) {
    while post_record(app, ep, Some(token), json!({})).await.status != status {
        assert!(started.elapsed() < Duration::from_secs(1), "{late}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn openapi(app: TestApp) {
    let doc = app.openapi().await;
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/api/v1/endpoints", "post"),
        ("/api/v1/endpoints/{id}", "patch"),
        (
            "/api/v1/endpoints/{id}/primary-tokens/{method}/regenerate",
            "post",
        ),
        (
            "/api/v1/endpoints/{id}/primary-tokens/{method}/reveal",
            "post",
        ),
        ("/api/v1/endpoints/{id}/assignments/{token_id}", "put"),
        ("/api/v1/endpoints/{id}/records", "get"),
        ("/api/v1/endpoints/{id}/records/stats", "get"),
        ("/api/v1/endpoint-tokens", "get"),
        ("/api/v1/endpoint-tokens/{id}/regenerate", "post"),
        ("/e/{tenant}/{path}", "post"),
        ("/e/{tenant}/{path}", "get"),
        ("/e/{tenant}/{path}/{record_id}", "delete"),
        ("/api/v1/endpoints/{id}/records/{record_id}", "delete"),
        ("/api/v1/tokens", "post"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path}"
        );
    }
    let tags = texts(&doc["tags"], "name");
    for t in ["endpoints", "endpoint-tokens", "hosted endpoints", "tokens"] {
        assert!(tags.iter().any(|tag| tag == t), "{tags:?}");
    }
    for schema in [
        "EndpointWithSecrets",
        "EndpointRecord",
        "RecordStats",
        "Assignment",
    ] {
        assert!(
            doc["components"]["schemas"].get(schema).is_some(),
            "{schema}"
        );
    }
}

/// Finding 7: paths were global, so a 409 told a tenant that a path existed, and after
/// the owner renamed or deleted it another tenant could register it and receive the
/// owner's partner's posts. Now the URL names the tenant.
async fn namespaced_paths(app: TestApp) {
    let ours = app.endpoint("orders/in", "token", false).await;
    let (_, globex) = app.other_tenant("globex").await;
    // Same path in another tenant: allowed, and says nothing about ours.
    let (status, theirs) = create_endpoint_as(&app, &globex, "Squatter", "orders/in").await;
    assert_eq!(status, 201, "{theirs}");

    // Our partner's post reaches us, not them.
    assert_eq!(
        post_by_primary(&app, &ours, json!({"order": 1}))
            .await
            .status,
        201
    );
    let their_url = format!(
        "/api/v1/endpoints/{}/records",
        theirs["id"].as_str().unwrap()
    );
    let their_total = || async {
        let (_, r) = app.get_as(&globex, &their_url).await;
        r["total"].clone()
    };
    assert_eq!(their_total().await, 0);
    let (_, our_records) = app
        .get(&format!("/api/v1/endpoints/{}/records", ours.id))
        .await;
    assert_eq!(our_records["total"], 1);

    // Their endpoint is open to anyone, but our token is refused at their URL.
    let at_theirs = send(
        app.http
            .post(app.url("/e/globex/orders/in"))
            .bearer_auth(ours.primary("POST"))
            .json(&json!({"leak": true})),
    )
    .await;
    assert_eq!(
        at_theirs.status(),
        401,
        "another tenant's token is NOT_FOUND there"
    );

    // After we delete ours, our partner gets 404 at our URL; their endpoint never sees it.
    assert_eq!(
        app.delete(&format!("/api/v1/endpoints/{}", ours.id))
            .await
            .0,
        204
    );
    let gone = post_record(&app, &ours, Some(ours.primary("POST")), json!({"order": 2})).await;
    assert_eq!(gone.status, 404);
    assert_eq!(their_total().await, 0);

    // An unknown tenant and an unknown path read the same.
    let a = send(app.http.get(app.url("/e/nobody/orders/in"))).await;
    let b = send(app.http.get(app.url("/e/acme/nothing/here"))).await;
    assert_eq!(
        (a.status(), b.status()),
        (404.try_into().unwrap(), 404.try_into().unwrap())
    );
    let (a, b): (Value, Value) = (a.json().await.unwrap(), b.json().await.unwrap());
    assert_eq!(a, b);
    // The tenant's id works in the URL as well as its name.
    let open = app.endpoint("public/feed", "none", false).await;
    let by_id = send(
        app.http
            .post(app.url(&format!("/e/{}/{}", app.tenant_id, open.path)))
            .json(&json!({"x": 1})),
    )
    .await;
    assert_eq!(by_id.status(), 201);
}

/// Finding 3: one record the reader refuses (a number out of range) broke every later
/// read of its endpoint. The door now uses the reader's own parser.
async fn unreadable_refused(app: TestApp) {
    let ep = app.endpoint("numbers", "none", false).await;
    for body in [r#"{"a":1e400}"#, r#"[-1e999]"#] {
        let a = raw_post(
            &app,
            "numbers",
            Some("application/json"),
            body.as_bytes().to_vec(),
        )
        .await;
        refused(&a, 400, "invalid_json");
    }
    assert_eq!(
        post_record(&app, &ep, None, json!({"a": 1.5e300}))
            .await
            .status,
        201
    );
    let listed = get_records(&app, &ep, None).await;
    assert_eq!(
        (listed.status, listed.body["total"].as_i64()),
        (200, Some(1))
    );
}

/// A record stored before that check (or damaged later) is listed as unreadable, never
/// a 500, and an administrator can delete it.
async fn unreadable_listed(app: TestApp) {
    let ep = app.endpoint("legacy", "none", false).await;
    post_record(&app, &ep, None, json!({"fine": true})).await;
    let bad_id = keyward_core::EndpointRecordId::new().to_string();
    let url = match &app.config.database_url {
        Some(u) => u.clone(),
        None => format!(
            "sqlite://{}",
            app.config.data_dir.join("keyward.db").display()
        ),
    };
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    sqlx::query(
        "INSERT INTO endpoint_records (id, tenant_id, endpoint_id, token_id, token_kind, token_name, method, ip, \
         received_at, body) VALUES ($1, $2, $3, NULL, NULL, NULL, 'POST', NULL, $4, $5)",
    )
    .bind(bad_id.clone())
    .bind(app.tenant_id.clone())
    .bind(ep.id.clone())
    .bind(time::OffsetDateTime::now_utc().unix_timestamp() * 1000)
    .bind(r#"{"a":1e400}"#)
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;

    let (status, list) = app
        .get(&format!("/api/v1/endpoints/{}/records", ep.id))
        .await;
    assert_eq!(status, 200, "{list}");
    let items = list["items"].as_array().unwrap();
    let bad = items
        .iter()
        .find(|r| r["id"] == bad_id.as_str())
        .expect("listed");
    assert_eq!(
        (&bad["unreadable"], &bad["body"]),
        (&json!(true), &Value::Null)
    );
    let good = items.iter().find(|r| r["id"] != bad_id.as_str()).unwrap();
    assert_eq!(
        (&good["unreadable"], &good["body"]),
        (&json!(false), &json!({"fine": true}))
    );
    let hosted_list = get_records(&app, &ep, None).await;
    assert_eq!(hosted_list.status, 200, "{}", hosted_list.body);

    // One record deleted by an administrator, audited; the other stays.
    let (status, _) = app
        .delete(&format!("/api/v1/endpoints/{}/records/{bad_id}", ep.id))
        .await;
    assert_eq!(status, 204);
    let (status, _) = app
        .delete(&format!("/api/v1/endpoints/{}/records/{bad_id}", ep.id))
        .await;
    assert_eq!(status, 404);
    let (_, list) = app
        .get(&format!("/api/v1/endpoints/{}/records", ep.id))
        .await;
    assert_eq!(list["total"], 1);
    let (_, audit) = app
        .get("/api/v1/audit-events?action=endpoint_record.deleted")
        .await;
    assert_eq!(audit["total"], 1, "{audit}");
    assert_eq!(audit["items"][0]["object_id"], bad_id.as_str());
    // Another tenant's administrator cannot delete ours.
    let (_, globex) = app.other_tenant("globex").await;
    let good_id = good["id"].as_str().unwrap();
    let (status, _) = app
        .call_as(
            &globex,
            Method::DELETE,
            &format!("/api/v1/endpoints/{}/records/{good_id}", ep.id),
            None,
        )
        .await;
    assert_eq!(status, 404);
}
