//! The console over plain HTTP: login, sessions, CSRF, languages and the feature flag,
//! on both backends. The browser walks are in `tests/browser.rs`.

use keyward_testkit::on_both_backends;
use keyward_testkit::{send, text_of, TestApp, PASSWORD};
use reqwest::header::{ACCEPT_LANGUAGE, COOKIE, LOCATION, SET_COOKIE};
use reqwest::redirect::Policy;
use serde_json::json;

on_both_backends! {
    login_page_follows_the_browser_language => login_page_follows_the_browser_language;
    unknown_user_and_wrong_password_read_the_same => unknown_user_and_wrong_password_read_the_same;
    console_forms_without_their_csrf_token_are_refused => console_forms_without_their_csrf_token_are_refused;
    pages_need_a_live_administrator_session => pages_need_a_live_administrator_session;
    locking_demoting_or_ending_the_period_deletes_console_sessions_for_good => changes_delete_console_sessions;
    a_console_session_past_its_users_period_is_deleted_when_next_used => period_ends_by_time;
    the_api_takes_a_console_session_with_its_csrf_header => the_api_takes_a_console_session_with_its_csrf_header;
    switching_api_tokens_off_hides_the_tokens_menu => switching_api_tokens_off_hides_the_tokens_menu;
    repeated_failed_logins_are_slowed_down => repeated_failed_logins_are_slowed_down;
    token_actions_from_the_detail_page => token_actions_from_the_detail_page;
    the_demo_tenant_fills_every_page_of_the_console => the_demo_fills_every_page;
    the_ready_line_calls_the_tenants_own_api_once_its_base_url_is_set => ready_line;
    the_create_form_refuses_what_the_rules_refuse => the_create_form_refuses_what_the_rules_refuse;
    a_resent_create_form_does_not_create_twice => a_resent_create_form_does_not_create_twice;
    verifier_keys_are_made_shown_once_and_deleted_from_the_console => verifier_keys_in_the_console;
    each_delete_button_deletes_and_returns_to_its_list => delete_buttons;
    a_nul_in_a_console_form_or_address_gets_a_readable_page => a_nul_in_a_console_form_or_address_gets_a_readable_page;
    dead_ends_answer_in_the_pages_language_with_a_way_on => dead_ends_answer_in_the_pages_language_with_a_way_on;
    the_audit_log_names_objects_filters_and_exports => audit_log_names_filters_and_exports;
    an_audit_export_holds_every_event_of_the_filter_across_batches => audit_export_across_batches;
}

pub(crate) struct Console {
    http: reqwest::Client,
    base: String,
    cookie: String,
    pub(crate) csrf: String,
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap()
}

fn cookie_value(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap().to_string())
}

pub(crate) fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let at = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} field"))
        + marker.len();
    html[at..].split('"').next().unwrap().to_string()
}

/// Posts the login form; `Ok` with a session, or `Err((status, page))`.
pub(crate) async fn try_login(
    app: &TestApp,
    username: &str,
    password: &str,
) -> Result<Console, (u16, String)> {
    login_to(app, "acme", username, password).await
}

/// Logs in to `tenant`'s console.
pub(crate) async fn login_to(
    app: &TestApp,
    tenant: &str,
    username: &str,
    password: &str,
) -> Result<Console, (u16, String)> {
    let http = client();
    let page = http.get(app.url("/console/login")).send().await.unwrap();
    let pre = cookie_value(&page, "kw_prelogin").expect("pre-login cookie");
    let html = page.text().await.unwrap();
    let res = http
        .post(app.url("/console/login"))
        .header(COOKIE, &pre)
        .form(&[
            ("prelogin", hidden(&html, "prelogin").as_str()),
            ("tenant", tenant),
            ("username", username),
            ("password", password),
            ("next", "/console/settings"),
        ])
        .send()
        .await
        .unwrap();
    if res.status() != 303 {
        return Err((res.status().as_u16(), res.text().await.unwrap()));
    }
    assert_eq!(res.headers()[LOCATION], "/console/settings");
    let raw = res
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|v| v.starts_with("kw_session="))
        .expect("session cookie");
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(raw.contains(flag), "session cookie lacks {flag}: {raw}");
    }
    let cookie = raw.split(';').next().unwrap().to_string();
    let settings = send(
        http.get(app.url("/console/settings"))
            .header(COOKIE, &cookie),
    )
    .await;
    assert_eq!(settings.status(), 200);
    let csrf = hidden(&settings.text().await.unwrap(), "csrf");
    Ok(Console {
        http,
        base: app.base.clone(),
        cookie,
        csrf,
    })
}

impl Console {
    /// Sends with the session cookie; the status and the redirect target or the page.
    async fn send(&self, req: reqwest::RequestBuilder) -> (u16, String) {
        let res = req.header(COOKIE, &self.cookie).send().await.unwrap();
        let status = res.status().as_u16();
        let location = res
            .headers()
            .get(LOCATION)
            .map(|l| l.to_str().unwrap().to_string());
        let body = res.text().await.unwrap();
        (status, location.unwrap_or(body))
    }

    /// The same session reading its pages in `lang` (the language chooser's cookie).
    pub(crate) fn in_language(mut self, lang: &str) -> Self {
        self.cookie = format!("{}; kw_lang={lang}", self.cookie);
        self
    }

    pub(crate) async fn get(&self, path: &str) -> (u16, String) {
        self.send(self.http.get(format!("{}{path}", self.base)))
            .await
    }

    pub(crate) async fn post(&self, path: &str, form: &[(&str, &str)]) -> (u16, String) {
        self.send(self.http.post(format!("{}{path}", self.base)).form(form))
            .await
    }
}

async fn login_page_follows_the_browser_language(app: TestApp) {
    for (accept, expected) in [
        (
            "nb-NO,nb;q=0.9,en;q=0.5",
            "Logg inn i administrasjonskonsollen",
        ),
        ("en-GB,en;q=0.9", "Log in to the administration console"),
        ("de-DE", "Log in to the administration console"),
    ] {
        let login = client().get(app.url("/console/login"));
        let html = text_of(login.header(ACCEPT_LANGUAGE, accept)).await;
        assert!(html.contains(expected), "{accept}: {expected}");
    }
}

async fn unknown_user_and_wrong_password_read_the_same(app: TestApp) {
    app.user_with_password("kari", true).await;
    let Err((s1, wrong)) = try_login(&app, "kari", "not the password").await else {
        panic!("wrong password logged in");
    };
    let Err((s2, unknown)) = try_login(&app, "nobody", "not the password").await else {
        panic!("unknown user logged in");
    };
    assert_eq!((s1, s2), (401, 401));
    let message = "Unknown user or wrong password.";
    assert!(wrong.contains(message) && unknown.contains(message));
    assert!(try_login(&app, "kari", PASSWORD).await.is_ok());
}

async fn console_forms_without_their_csrf_token_are_refused(app: TestApp) {
    app.user_with_password("kari", true).await;
    let c = try_login(&app, "kari", PASSWORD).await.expect("login");
    let (_, id, secret) = app.svc_with_token("ERP").await;
    let revoke = format!("/console/tokens/{id}/revoke");
    let (status, page) = c.post(&revoke, &[]).await;
    assert_eq!(status, 403, "no CSRF token");
    assert!(page.contains("The form has expired"));
    assert_eq!(
        c.post(&revoke, &[("csrf", "forged")]).await.0,
        403,
        "a wrong one"
    );
    assert_eq!(app.verify(&secret, None).await, "VALID", "nothing changed");
    let (status, to) = c.post(&revoke, &[("csrf", &c.csrf)]).await;
    assert_eq!(
        (status, to.as_str()),
        (303, format!("/console/tokens/{id}?done=revoked").as_str())
    );
    assert_eq!(app.verify(&secret, None).await, "REVOKED");
}

async fn pages_need_a_live_administrator_session(app: TestApp) {
    // No session: every page sends the browser to the login page.
    for path in [
        "/console/tokens",
        "/console/users",
        "/console/settings",
        "/console/audit",
    ] {
        let res = client().get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 303, "{path}");
        let to = res.headers()[LOCATION].to_str().unwrap().to_string();
        assert!(to.starts_with("/console/login?next="), "{path}: {to}");
    }
    // A user without the administrator flag cannot log in.
    app.user_with_password("plain", false).await;
    let Err((status, page)) = try_login(&app, "plain", PASSWORD).await else {
        panic!("a non-administrator logged in");
    };
    assert_eq!(status, 401);
    assert!(page.contains("Only administrators can use the console."));
    // Locking a logged-in administrator ends their console access at once.
    let kari = app.user_with_password("kari", true).await;
    let c = try_login(&app, "kari", PASSWORD).await.expect("login");
    assert_eq!(c.get("/console/users").await.0, 200);
    app.patch_ok(&format!("/api/v1/users/{kari}"), json!({"locked": true}))
        .await;
    let (status, to) = c.get("/console/users").await;
    assert_eq!(status, 303);
    assert!(to.starts_with("/console/login"));
    // A password reset by another administrator ends the logins made with the old one.
    app.patch_ok(&format!("/api/v1/users/{kari}"), json!({"locked": false}))
        .await;
    let c = try_login(&app, "kari", PASSWORD).await.expect("login");
    app.patch_ok(
        &format!("/api/v1/users/{kari}"),
        json!({"password": "a brand new password"}),
    )
    .await;
    assert_eq!(c.get("/console/users").await.0, 303, "the old login ended");
    app.patch_ok(
        &format!("/api/v1/users/{kari}"),
        json!({"password": PASSWORD}),
    )
    .await;
    // Logging out ends the session on the server, not just in the browser.
    app.patch_ok(&format!("/api/v1/users/{kari}"), json!({"locked": false}))
        .await;
    let c = try_login(&app, "kari", PASSWORD).await.expect("login");
    assert_eq!(c.post("/console/logout", &[("csrf", &c.csrf)]).await.0, 303);
    assert_eq!(
        c.get("/console/users").await.0,
        303,
        "the old cookie no longer works"
    );
}

async fn the_api_takes_a_console_session_with_its_csrf_header(app: TestApp) {
    app.user_with_password("kari", true).await;
    let c = try_login(&app, "kari", PASSWORD).await.expect("login");
    let res = send(
        c.http
            .get(app.url("/api/v1/users"))
            .header(COOKIE, &c.cookie),
    )
    .await;
    assert_eq!(res.status(), 200);
    let post = |csrf: Option<String>| {
        let mut req = c
            .http
            .post(app.url("/api/v1/departments"))
            .header(COOKIE, &c.cookie)
            .json(&json!({"name": "Sales"}));
        if let Some(t) = csrf {
            req = req.header("x-csrf-token", t);
        }
        req.send()
    };
    let refused = post(None).await.unwrap();
    assert_eq!(refused.status(), 403);
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["code"], "csrf");
    assert_eq!(post(Some(c.csrf.clone())).await.unwrap().status(), 201);
}

async fn switching_api_tokens_off_hides_the_tokens_menu(app: TestApp) {
    app.user_with_password("kari", true).await;
    let c = try_login(&app, "kari", PASSWORD).await.expect("login");
    let (_, _, secret) = app.svc_with_token("ERP").await;
    let (_, page) = c.get("/console/users").await;
    assert!(
        page.contains("href=\"/console/tokens\""),
        "the Tokens menu is there"
    );
    // The settings form as the page posts it: API tokens on or off, and the longest
    // lifetime a token may have.
    let settings = |api_tokens_on: bool, max_token_lifetime_days: &'static str| {
        let mut form = vec![
            ("csrf", c.csrf.as_str()),
            ("secret_storage", "show_once"),
            ("max_token_lifetime_days", max_token_lifetime_days),
            ("default_token_lifetime_days", "90"),
            ("mobile_session_days", "30"),
        ];
        if api_tokens_on {
            form.push(("api_tokens_enabled", "on"));
        }
        form
    };
    // Over the API with an API token this is refused (it would lock the caller out);
    // from the console it is the administrator's call.
    let mut off = settings(false, "365");
    // Held until confirmed with the tenant's name typed (issue 13, problem 4).
    let (status, held) = c.post("/console/settings", &off).await;
    assert_eq!(status, 200, "{held}");
    assert!(held.contains("confirm_typed"), "{held}");
    assert_eq!(app.verify(&secret, None).await, "VALID");
    off.extend([("confirmed", "yes"), ("confirm_typed", "acme")]);
    assert_eq!(c.post("/console/settings", &off).await.0, 303);
    assert_eq!(app.verify(&secret, None).await, "FEATURE_DISABLED");
    let (_, page) = c.get("/console/users").await;
    assert!(
        !page.contains("href=\"/console/tokens\""),
        "the Tokens menu is hidden"
    );
    assert_eq!(c.get("/console/tokens").await.0, 404);
    assert_eq!(
        c.get("/console/tokens/mobile").await.0,
        200,
        "mobile sessions stay"
    );
    let on = settings(true, "365");
    assert_eq!(c.post("/console/settings", &on).await.0, 303);
    assert_eq!(app.verify(&secret, None).await, "VALID");
    // A refused change keeps what was typed, and says why.
    let bad = settings(true, "30");
    let (status, page) = c.post("/console/settings", &bad).await;
    assert_eq!(status, 422);
    assert!(
        page.contains("value=\"30\"") && page.contains("value=\"90\""),
        "posted values kept"
    );
}

async fn repeated_failed_logins_are_slowed_down(app: TestApp) {
    app.user_with_password("kari", true).await;
    for _ in 0..5 {
        assert_eq!(
            try_login(&app, "kari", "guess guess guess")
                .await
                .err()
                .unwrap()
                .0,
            401
        );
    }
    // The right password does not get through while the account is resting.
    let Err((status, page)) = try_login(&app, "kari", PASSWORD).await else {
        panic!("logged in during the rest");
    };
    assert_eq!(status, 429);
    assert!(page.contains("Too many failed attempts"), "{page}");
}

/// The `kwa_…` value of the page's secret field.
fn shown_secret(page: &str) -> String {
    let at = page.find("value=\"kwa_").expect("a secret on the page") + 7;
    page[at..].split('"').next().unwrap().to_string()
}

/// `serve --demo`: tokens (one expiring soon, one revoked), endpoints with records from
/// two applications, and two mobile sessions, so no page of the console is empty.
async fn the_demo_fills_every_page(app: TestApp) {
    keyward_server::bootstrap::demo(&app.state)
        .await
        .expect("demo")
        .expect("a new demo tenant");
    let c = login_to(&app, "demo", "admin", "keyward-demo")
        .await
        .expect("the demo's administrator logs in");
    for (path, shown) in [
        ("/console/tokens", "Web shop order feed"),
        ("/console/tokens?status=expiring", "Quarterly stock export"),
        ("/console/tokens?status=revoked", "Old reporting script"),
        ("/console/tokens/mobile", "iPhone"),
        ("/console/endpoints", "Stock counts"),
        ("/console/endpoint-tokens", "Warehouse app"),
        ("/console/users", "Kari Nordmann"),
    ] {
        let (status, page) = c.get(path).await;
        assert_eq!(status, 200, "{path}");
        assert!(page.contains(shown), "{path} shows {shown:?}: {page}");
    }
    let (_, endpoints) = c.get("/console/endpoints").await;
    let at = endpoints
        .find("/console/endpoints/")
        .expect("a link to an endpoint")
        + 19;
    let id = &endpoints[at..at + 36];
    let (status, viewer) = c.get(&format!("/console/endpoints/{id}/data")).await;
    assert_eq!(status, 200);
    assert!(
        viewer.contains("{"),
        "the data viewer shows records: {viewer}"
    );
    assert!(
        keyward_server::bootstrap::demo(&app.state)
            .await
            .expect("demo")
            .is_none(),
        "a second --demo leaves the tenant as it is"
    );
}

/// A token's ready line: keyward's verify call until the tenant sets the base URL of its
/// own API, then a call of that API with the token, as the integration makes it.
async fn ready_line(app: TestApp) {
    app.user_with_password("kari", true).await;
    let c = try_login(&app, "kari", PASSWORD).await.expect("login");
    let (_, id, _) = app.svc_with_token("ERP").await;
    // The page as read: `/` and `'` are escaped in the HTML.
    let line = async || {
        let (_, page) = c.get(&format!("/console/tokens/{id}")).await;
        page.replace("&#x2f;", "/").replace("&#x27;", "'")
    };
    assert!(line().await.contains("/api/v1/verify -H"));

    for bad in [
        "ftp://api.example.com",
        "https://",
        "https://u:p@api.example.com",
        "https://a.example.com/#x",
        "https://a.example.com/'x",
    ] {
        let (status, p) = app
            .patch("/api/v1/settings", json!({"api_base_url": bad}))
            .await;
        assert_eq!(status, 422, "{bad}: {p}");
        assert!(
            p["detail"].as_str().unwrap().contains("api_base_url"),
            "{p}"
        );
    }
    let s = app
        .patch_ok(
            "/api/v1/settings",
            json!({"api_base_url": "https://api.example.com/v1/orders"}),
        )
        .await;
    assert_eq!(s["api_base_url"], "https://api.example.com/v1/orders");
    let page = line().await;
    assert!(
        page.contains(
            "curl -s -H 'Authorization: Bearer YOUR_TOKEN' 'https://api.example.com/v1/orders'"
        ),
        "{page}"
    );
    assert!(
        !page.contains("/api/v1/verify -H"),
        "one ready line: {page}"
    );

    // The settings page sets and clears it too, and names the field when it is refused.
    let form = |url: &'static str| {
        vec![
            ("csrf", c.csrf.clone()),
            ("api_tokens_enabled", "on".to_string()),
            ("secret_storage", "show_once".to_string()),
            ("max_token_lifetime_days", "365".to_string()),
            ("default_token_lifetime_days", "90".to_string()),
            ("mobile_session_days", "30".to_string()),
            ("expiry_notice_days", "14".to_string()),
            ("api_base_url", url.to_string()),
        ]
    };
    let post = async |f: Vec<(&'static str, String)>| {
        let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
        c.post("/console/settings", &pairs).await
    };
    let (status, page) = post(form("api.example.com")).await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("API base URL"), "{page}");
    let (status, to) = post(form("")).await;
    assert_eq!(status, 303, "{to}");
    let s = app.get_ok("/api/v1/settings").await;
    assert!(s["api_base_url"].is_null(), "{to}: {s}");
}

async fn token_actions_from_the_detail_page(app: TestApp) {
    app.user_with_password("kari", true).await;
    let c = try_login(&app, "kari", PASSWORD).await.expect("login");
    app.recoverable_secrets().await;
    let (_, id, secret) = app.svc_with_token("ERP").await;
    let csrf = [("csrf", c.csrf.as_str())];

    // Reveal (recoverable): the secret is on the page, and the audit log says so.
    let (status, page) = c.post(&format!("/console/tokens/{id}/reveal"), &csrf).await;
    assert_eq!(status, 200);
    assert_eq!(shown_secret(&page), secret);
    let audit = app
        .get(&format!(
            "/api/v1/audit-events?action=token.revealed&object_id={id}"
        ))
        .await;
    assert_eq!(audit.1["total"], 1);

    // Disable and enable.
    for (enabled, code) in [("false", "DISABLED"), ("true", "VALID")] {
        let form = [("csrf", c.csrf.as_str()), ("enabled", enabled)];
        let path = format!("/console/tokens/{id}/enabled");
        assert_eq!(c.post(&path, &form).await.0, 303, "enabled={enabled}");
        assert_eq!(app.verify(&secret, None).await, code, "enabled={enabled}");
    }

    // Regenerate: the new secret is shown once and the old one stops working.
    let (status, page) = c
        .post(&format!("/console/tokens/{id}/regenerate"), &csrf)
        .await;
    assert_eq!(status, 200);
    let fresh = shown_secret(&page);
    assert_ne!(fresh, secret);
    assert_eq!(app.verify(&secret, None).await, "NOT_FOUND");
    assert_eq!(app.verify(&fresh, None).await, "VALID");

    // The regenerate form offers a new expiry and a grace period: with both, the token
    // gets that date and the previous secret keeps working meanwhile.
    let (status, form) = c.get(&format!("/console/tokens/{id}/regenerate")).await;
    assert_eq!(status, 200);
    assert!(
        form.contains("New expiry date") && form.contains("For 24 hours"),
        "{form}"
    );
    let day = (time::OffsetDateTime::now_utc() + time::Duration::days(30)).date();
    let (status, page) = c
        .post(
            &format!("/console/tokens/{id}/regenerate"),
            &[
                ("csrf", c.csrf.as_str()),
                ("expires_on", day.to_string().as_str()),
                ("grace", "86400"),
            ],
        )
        .await;
    assert_eq!(status, 200);
    let newest = shown_secret(&page);
    assert_eq!(
        app.verify(&fresh, None).await,
        "VALID",
        "in its grace period"
    );
    assert_eq!(app.verify(&newest, None).await, "VALID");
    let t = app.get_ok(&format!("/api/v1/tokens/{id}")).await;
    assert!(
        t["expires_at"]
            .as_str()
            .unwrap()
            .starts_with(&day.to_string()),
        "{t}"
    );
    // The token's page shows the previous secret and how much it is still used; ending
    // the grace there stops it.
    app.verify(&fresh, None).await;
    crate::rotation::uses_become(&app, &[&app.state], &id, 2).await;
    let (status, page) = c.get(&format!("/console/tokens/{id}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("id=\"f-previous-secret\""), "{page}");
    assert!(
        page.contains("Used 2 times since the regenerate, last"),
        "two checks with the previous secret: {page}"
    );
    let (status, to) = c
        .post(&format!("/console/tokens/{id}/end-grace"), &csrf)
        .await;
    assert_eq!(status, 303, "{to}");
    assert!(to.ends_with("?done=grace-ended"), "{to}");
    let (_, page) = c.get(&to).await;
    assert!(page.contains("The grace period is over"), "{page}");
    assert!(!page.contains("id=\"f-previous-secret\""), "{page}");
    assert_eq!(app.verify(&fresh, None).await, "NOT_FOUND");
    assert_eq!(app.verify(&newest, None).await, "VALID");
    // A second time, nothing to end: said in words, nothing changed.
    let (_, page) = c
        .post(&format!("/console/tokens/{id}/end-grace"), &csrf)
        .await;
    assert!(
        page.contains("no previous secret in a grace period"),
        "{page}"
    );
    assert_eq!(app.verify(&newest, None).await, "VALID");

    // A date beyond the tenant's maximum is refused on the form, in words.
    let (status, page) = c
        .post(
            &format!("/console/tokens/{id}/regenerate"),
            &[("csrf", c.csrf.as_str()), ("expires_on", "2099-01-01")],
        )
        .await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("365 days"), "{page}");
    assert_eq!(app.verify(&newest, None).await, "VALID", "nothing changed");

    // The mobile tab and an unknown id answer sensibly.
    assert_eq!(c.get("/console/tokens/mobile").await.0, 200);
    assert_eq!(c.get("/console/tokens/not-an-id").await.0, 404);
}

async fn post_form(c: &Console, f: Vec<(&'static str, String)>) -> (u16, String) {
    let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    c.post("/console/tokens/new", &pairs).await
}

async fn the_create_form_refuses_what_the_rules_refuse(app: TestApp) {
    app.user_with_password("kari", true).await;
    let c = try_login(&app, "kari", PASSWORD).await.expect("login");
    let m = app.member("svc", &["orders:read"]).await;
    let other = app.member("other", &["orders:read"]).await;
    let membership = format!("{}:{}:{}", m.user_id, m.department_id, m.user_type_id);
    let far = (time::OffsetDateTime::now_utc() + time::Duration::days(400))
        .date()
        .to_string();
    let form = |expires: &str, member: &str| {
        vec![
            ("csrf", c.csrf.clone()),
            ("name", "ERP".to_string()),
            ("user_id", m.user_id.clone()),
            ("membership", member.to_string()),
            ("expires_on", expires.to_string()),
        ]
    };
    let (status, page) = post_form(&c, form(&far, &membership)).await;
    assert_eq!(status, 422);
    assert!(
        page.contains("The expiry date is later than this tenant allows."),
        "{page}"
    );
    // A membership the user does not hold (another user's department and user type).
    let foreign = format!(
        "{}:{}:{}",
        m.user_id, other.department_id, other.user_type_id
    );
    let (status, page) = post_form(&c, form("", &foreign)).await;
    assert_eq!(status, 422);
    assert!(page.contains("The user does not hold that department and user type."));
    // Another user's option (all are listed when the page's script does not run).
    let others = format!(
        "{}:{}:{}",
        other.user_id, other.department_id, other.user_type_id
    );
    let (status, page) = post_form(&c, form("", &others)).await;
    assert_eq!(status, 422);
    assert!(
        page.contains("That department and user type are listed under another user."),
        "{page}"
    );
    let (status, page) = post_form(&c, form("", &membership)).await;
    assert_eq!(status, 200);
    let secret = shown_secret(&page);
    assert_eq!(app.verify(&secret, Some("orders:read")).await, "VALID");
    assert!(page.contains("You will not see it again."));
}

async fn a_resent_create_form_does_not_create_twice(app: TestApp) {
    app.user_with_password("kari", true).await;
    let c = try_login(&app, "kari", PASSWORD).await.expect("login");
    let m = app.member("svc", &["orders:read"]).await;
    let (_, form) = c.get("/console/tokens/new").await;
    let once = hidden(&form, "once");
    let membership = format!("{}:{}:{}", m.user_id, m.department_id, m.user_type_id);
    let fields = [
        ("csrf", c.csrf.as_str()),
        ("once", once.as_str()),
        ("name", "ERP"),
        ("user_id", m.user_id.as_str()),
        ("membership", membership.as_str()),
    ];
    let (status, page) = c.post("/console/tokens/new", &fields).await;
    assert_eq!(status, 200);
    assert!(page.contains("value=\"kwa_"));
    // The browser's "resubmit?" after a reload sends the very same form again.
    let (status, page) = c.post("/console/tokens/new", &fields).await;
    assert_eq!(status, 409);
    assert!(page.contains("This form was already sent"));
    assert!(!page.contains("value=\"kwa_"), "no second secret");
    let listed = app
        .get(&format!("/api/v1/tokens?user_id={}", m.user_id))
        .await;
    assert_eq!(listed.1["total"], 1, "one token, not two");
}

async fn verifier_keys_in_the_console(app: TestApp) {
    app.user_with_password("kari", true).await;
    let c = try_login(&app, "kari", PASSWORD).await.expect("login");
    let (status, page) = c.get("/console/verifier-keys").await;
    assert_eq!(status, 200);
    assert!(page.contains("No verifier keys yet."), "{page}");
    let once = hidden(&page, "once");
    let form = [
        ("csrf", c.csrf.as_str()),
        ("once", once.as_str()),
        ("name", "orders gateway"),
        ("description", "nginx in front of orders"),
    ];
    let (status, shown) = c.post("/console/verifier-keys", &form).await;
    assert_eq!(status, 200, "{shown}");
    let at = shown.find("value=\"kwv_").expect("the key is shown") + "value=\"".len();
    let key = shown[at..].split('"').next().unwrap().to_string();
    assert!(shown.contains("You will not see it again."));
    // The browser's "resubmit?" makes no second key.
    assert_eq!(c.post("/console/verifier-keys", &form).await.0, 409);

    let (_, listed) = c.get("/console/verifier-keys").await;
    assert!(listed.contains("orders gateway") && listed.contains("kwv_"));
    assert!(
        !listed.contains(&key),
        "the listing shows the hint, never the key"
    );
    let member = app.member("svc", &["orders:read"]).await;
    let (_, token) = app.token(&member, "t").await;
    let app = &app;
    let check = |key: String, token: String| async move {
        send(
            app.http
                .post(app.url("/api/v1/verify"))
                .bearer_auth(key)
                .json(&json!({"token": token})),
        )
        .await
        .status()
        .as_u16()
    };
    assert_eq!(check(key.clone(), token.clone()).await, 200);

    // A blank name is refused with the form kept.
    let (_, page) = c.get("/console/verifier-keys").await;
    let once = hidden(&page, "once");
    let (status, page) = c
        .post(
            "/console/verifier-keys",
            &[
                ("csrf", c.csrf.as_str()),
                ("once", once.as_str()),
                ("name", " "),
                ("description", "kept"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("value=\"kept\""), "{page}");

    let (_, keys) = app.get("/api/v1/verifier-keys").await;
    let id = keys["items"][0]["id"].as_str().unwrap().to_string();
    let (status, to) = c
        .post(
            &format!("/console/verifier-keys/{id}/delete"),
            &[("csrf", c.csrf.as_str())],
        )
        .await;
    assert_eq!(
        (status, to.as_str()),
        (303, "/console/verifier-keys?done=verifier-key-deleted")
    );
    assert_eq!(
        check(key, token).await,
        401,
        "a deleted key is refused at once"
    );
}

/// The Delete buttons of endpoints, endpoint tokens, user types and users: each deletes
/// its item and returns to its list, which confirms it; the item is gone, and an address
/// whose id is none gets the "does not exist" page.
async fn delete_buttons(app: TestApp) {
    app.user_with_password("kari", true).await;
    let c = try_login(&app, "kari", PASSWORD).await.expect("login");
    let endpoint = app.endpoint("orders", "none", false).await.id;
    let (token, _) = app.endpoint_token("erp").await;
    let ola = app.member("ola", &[]).await;
    let csrf = [("csrf", c.csrf.as_str())];
    for (list, id) in [
        ("endpoints", endpoint),
        ("endpoint-tokens", token),
        ("users", ola.user_id),
        // Free to go once its one member has.
        ("user-types", ola.user_type_id),
    ] {
        let delete = format!("/console/{list}/{id}/delete");
        let (status, to) = c.post(&delete, &csrf).await;
        assert_eq!((status, to), (303, format!("/console/{list}?done=deleted")));
        assert_eq!(
            c.get(&format!("/console/{list}/{id}")).await.0,
            404,
            "{list}"
        );
        assert_eq!(c.post(&delete, &csrf).await.0, 404, "{list}, again");
        let none = format!("/console/{list}/none/delete");
        assert_eq!(c.post(&none, &csrf).await.0, 404, "{list}, no id");
    }
}

async fn set_user(app: &TestApp, id: &str, change: serde_json::Value) {
    app.patch_ok(&format!("/api/v1/users/{id}"), change).await;
}

async fn console_session_deletions(app: &TestApp) -> Vec<serde_json::Value> {
    let audit = app
        .get_ok("/api/v1/audit-events?action=console.session_deleted")
        .await;
    audit["items"].as_array().unwrap().clone()
}

async fn changes_delete_console_sessions(app: TestApp) {
    let kari = app.user_with_password("kari", true).await;
    let undo_each = [
        (
            json!({"locked": true}),
            json!({"locked": false}),
            "user_locked",
        ),
        (
            json!({"is_admin": false}),
            json!({"is_admin": true}),
            "admin_removed",
        ),
        (
            json!({"active_until": "2021-01-01T00:00:00Z"}),
            json!({"active_until": null}),
            "period_ended",
        ),
        (
            json!({"active_from": "2099-01-01T00:00:00Z"}),
            json!({"active_from": null}),
            "period_ended",
        ),
        (
            json!({"password": "a brand new password"}),
            json!({"password": PASSWORD}),
            "password_changed",
        ),
    ];
    let mut c = try_login(&app, "kari", PASSWORD).await.expect("login");
    for (n, (change, undo, reason)) in undo_each.iter().enumerate() {
        assert_eq!(c.get("/console/users").await.0, 200);
        set_user(&app, &kari, change.clone()).await;
        set_user(&app, &kari, undo.clone()).await;
        let (status, to) = c.get("/console/users").await;
        assert_eq!(
            (status, to.starts_with("/console/login")),
            (303, true),
            "{change} then {undo}: the old cookie must not work again"
        );
        let deleted = console_session_deletions(&app).await;
        assert_eq!(deleted.len(), n + 1, "{deleted:?}");
        assert_eq!(deleted[0]["details"]["reason"], *reason, "{change}");
        assert_eq!(deleted[0]["object_id"], json!(kari));
        assert_eq!(deleted[0]["details"]["sessions"], 1);
        // A fresh login works again.
        c = try_login(&app, "kari", PASSWORD)
            .await
            .expect("login again");
    }
}

async fn period_ends_by_time(app: TestApp) {
    let kari = app.user_with_password("kari", true).await;
    let c = try_login(&app, "kari", PASSWORD).await.expect("login");
    let soon = time::OffsetDateTime::now_utc() + time::Duration::seconds(2);
    let soon = soon
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    set_user(&app, &kari, json!({"active_until": soon})).await;
    assert_eq!(
        c.get("/console/users").await.0,
        200,
        "still inside the period"
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while c.get("/console/users").await.0 == 200 {
        assert!(
            std::time::Instant::now() < deadline,
            "the period ended but the session still works"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // An administrator extends the period: the session found ended stays deleted.
    set_user(&app, &kari, json!({"active_until": null})).await;
    let (status, to) = c.get("/console/users").await;
    assert_eq!((status, to.starts_with("/console/login")), (303, true));
    let deleted = console_session_deletions(&app).await;
    assert_eq!(deleted.len(), 1, "{deleted:?}");
    assert_eq!(deleted[0]["details"]["reason"], "period_ended");
    assert_eq!(deleted[0]["actor"], "keyward");
}

/// NUL cannot be stored on PostgreSQL; the console refuses it with a page that says so,
/// in a form posted before login, in one posted after, and in the address.
async fn a_nul_in_a_console_form_or_address_gets_a_readable_page(app: TestApp) {
    app.user_with_password("kari", true).await;
    let readable = |status: u16, page: &str| {
        assert_eq!(status, 422, "{page}");
        assert!(page.contains("<html"), "not a page: {page}");
        assert!(page.contains("control character"), "{page}");
    };
    let (status, page) = try_login(&app, "kari\0", PASSWORD)
        .await
        .err()
        .expect("refused");
    readable(status, &page);

    let c = try_login(&app, "kari", PASSWORD).await.expect("login");
    let m = app.member("svc", &["orders:read"]).await;
    let membership = format!("{}:{}:{}", m.user_id, m.department_id, m.user_type_id);
    let (status, page) = post_form(
        &c,
        vec![
            ("csrf", c.csrf.clone()),
            ("name", "ERP\0".to_string()),
            ("user_id", m.user_id.clone()),
            ("membership", membership),
            ("expires_on", String::new()),
        ],
    )
    .await;
    readable(status, &page);
    assert_eq!(
        app.token_count(&m).await,
        0,
        "a refused form stored a token"
    );

    let (status, page) = c.get("/console/users?q=%00").await;
    readable(status, &page);
}

/// The text of the page's error paragraph (`#page-error`).
fn page_error(page: &str) -> String {
    let at = page
        .find("id=\"page-error\">")
        .unwrap_or_else(|| panic!("no error shown: {page}"));
    let rest = &page[at + "id=\"page-error\">".len()..];
    rest[..rest.find("</p>").unwrap()].to_string()
}

/// Issue 13, problem 8, for an administrator who chose Norwegian: every dead end answers
/// a page in Norwegian, with the words for what went wrong and a way on.
async fn dead_ends_answer_in_the_pages_language_with_a_way_on(app: TestApp) {
    app.user_with_password("kari", true).await;
    let c = try_login(&app, "kari", PASSWORD).await.expect("login");
    let csrf = c.csrf.clone();
    let chose = c
        .post(
            "/console/language",
            &[("csrf", &csrf), ("lang", "nb"), ("next", "/console/users")],
        )
        .await;
    assert_eq!(chose.0, 303);

    // A page number that is not a number: a page, not plain text, in Norwegian.
    for path in [
        "/console/tokens?page=abc",
        "/console/users?page=-1",
        "/console/audit?page=99999999999",
    ] {
        let (status, page) = c.get(path).await;
        // The template escapes the '/' of a value it is given.
        let page = page.replace("&#x2f;", "/");
        assert_eq!(status, 400, "{path}");
        assert!(page.contains("<html lang=\"nb\""), "{path}: {page}");
        assert!(page.contains("Adressen kunne ikke leses"), "{path}: {page}");
        let bare = path.split('?').next().unwrap();
        assert!(
            page.contains(&format!("href=\"{bare}\"")),
            "a way on: {page}"
        );
    }

    // Bulk delete with nothing ticked: back to the list, which says so.
    let (status, to) = c
        .post("/console/tokens/bulk-delete", &[("csrf", &csrf)])
        .await;
    assert_eq!(
        (status, to.as_str()),
        (303, "/console/tokens?error=nothing_selected")
    );
    let (status, page) = c.get(&to).await;
    assert_eq!(status, 200);
    assert_eq!(
        page_error(&page),
        "Ingenting ble slettet: velg minst ett token først."
    );
    assert!(page.contains("id=\"tokens-table\""), "the list itself");
    let mobile = [("csrf", csrf.as_str()), ("back", "mobile")];
    let (_, to) = c.post("/console/tokens/bulk-delete", &mobile).await;
    assert_eq!(to, "/console/tokens/mobile?error=nothing_selected");

    // A membership the user already holds, and a path another endpoint has, are told
    // apart from a taken name.
    let m = app.member("svc", &["orders:read"]).await;
    let again = [
        ("csrf", csrf.as_str()),
        ("department_id", m.department_id.as_str()),
        ("user_type_id", m.user_type_id.as_str()),
    ];
    let (status, page) = c
        .post(&format!("/console/users/{}/memberships", m.user_id), &again)
        .await;
    assert_eq!(status, 422);
    assert!(
        page.contains("Brukeren har allerede den avdelingen og brukertypen."),
        "{page}"
    );
    assert!(!page.contains("Det navnet er allerede i bruk."), "{page}");
    assert!(page.contains("id=\"memberships\""), "the user's page again");
    app.endpoint("orders/in", "none", false).await;
    let taken = [
        ("csrf", csrf.as_str()),
        ("name", "Other orders"),
        ("path", "orders/in"),
    ];
    let (status, page) = c.post("/console/endpoints", &taken).await;
    assert_eq!(status, 422, "{page}");
    assert_eq!(
        page_error(&page),
        "Et annet endepunkt har allerede den stien. Velg en annen."
    );
    let (_, other) = c
        .post(
            "/console/endpoints",
            &[
                ("csrf", csrf.as_str()),
                ("name", "Second"),
                ("path", "orders/second"),
            ],
        )
        .await;
    let other = other
        .rsplit('/')
        .next()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let (status, page) = c.post(&format!("/console/endpoints/{other}"), &taken).await;
    assert!(status < 500, "{page}");
    assert_eq!(
        page_error(&page),
        "Et annet endepunkt har allerede den stien. Velg en annen."
    );

    // Settings refused: the fields' labels, in Norwegian, and the field marked.
    let settings = |max: &'static str, default: &'static str, mobile: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("api_tokens_enabled", "on".to_string()),
            ("secret_storage", "show_once".to_string()),
            ("max_token_lifetime_days", max.to_string()),
            ("default_token_lifetime_days", default.to_string()),
            ("mobile_session_days", mobile.to_string()),
        ]
    };
    for (form, words, field) in [
        (
            settings("365", "400", "30"),
            "«Standard levetid for tokens (dager)» kan ikke være lengre enn «Maksimal levetid for tokens (dager)».",
            "default_token_lifetime_days",
        ),
        (
            settings("365", "0", "30"),
            "«Standard levetid for tokens (dager)» kan bare være 0 (tokens som aldri utløper) når «Maksimal levetid for tokens (dager)» også er 0.",
            "default_token_lifetime_days",
        ),
        (
            settings("40000", "90", "30"),
            "«Maksimal levetid for tokens (dager)» kan være høyst 36500 dager.",
            "max_token_lifetime_days",
        ),
        (
            settings("365", "90", "0"),
            "«Levetid for mobiløkter (dager)» må være fra 1 til 3650 dager.",
            "mobile_session_days",
        ),
        (
            settings("365", "ninety", "30"),
            "«Standard levetid for tokens (dager)»: skriv inn et helt antall dager.",
            "default_token_lifetime_days",
        ),
    ] {
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, page) = c.post("/console/settings", &pairs).await;
        assert_eq!(status, 422, "{page}");
        assert_eq!(page_error(&page), words);
        let marked = format!("name=\"{field}\"");
        let input = &page[page.find(&marked).unwrap()..];
        let input = &input[..input.find('>').unwrap()];
        assert!(input.contains("aria-invalid=\"true\""), "{input}");
    }
    assert_eq!(
        app.get_ok("/api/v1/settings").await["default_token_lifetime_days"],
        90
    );

    // With API tokens off, a bookmarked tokens page says so in the console's frame, with
    // the way to Settings and to the mobile sessions.
    let mut off = settings("365", "90", "30");
    off.retain(|(k, _)| *k != "api_tokens_enabled");
    let mut pairs: Vec<(&str, &str)> = off.iter().map(|(k, v)| (*k, v.as_str())).collect();
    pairs.extend([("confirmed", "yes"), ("confirm_typed", "acme")]);
    assert_eq!(c.post("/console/settings", &pairs).await.0, 303);
    for path in [
        "/console/tokens",
        "/console/tokens/new",
        "/console/tokens?status=expiring",
    ] {
        let (status, page) = c.get(path).await;
        let page = page.replace("&#x2f;", "/");
        assert_eq!(status, 404, "{path}");
        assert!(page.contains("API-tokens er slått av"), "{page}");
        assert!(
            page.contains(
                "<a href=\"/console/settings\">Slå på API-tokens under Innstillinger</a>"
            ),
            "{page}"
        );
        assert!(page.contains("href=\"/console/tokens/mobile\""), "{page}");
        assert!(page.contains("id=\"logout\""), "the console's menu: {page}");
    }
}

/// The audit page's rows: each `<tr>` of its table body.
fn audit_rows(page: &str) -> Vec<String> {
    let body = page
        .split("<tbody>")
        .nth(1)
        .and_then(|b| b.split("</tbody>").next())
        .expect("the audit table");
    body.split("<tr>").skip(1).map(str::to_string).collect()
}

fn csv_rows(text: &str) -> Vec<std::collections::HashMap<String, String>> {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            header
                .iter()
                .cloned()
                .zip(rec.iter().map(str::to_string))
                .collect()
        })
        .collect()
}

async fn audit_log_names_filters_and_exports(app: TestApp) {
    let kari = app.user_with_password("kari", true).await;
    let c = try_login(&app, "kari", PASSWORD).await.expect("login");
    let (m, id, _) = app.svc_with_token("Webshop checkout").await;
    let (formula, _) = app.token(&m, "=HYPERLINK(\"http://evil\")").await;
    assert_eq!(app.delete(&format!("/api/v1/tokens/{id}")).await.0, 204);

    // The deleted token is named, not linked, and marked deleted; the user, who still
    // exists, is named and linked.
    let (status, page) = c.get("/console/audit").await;
    assert_eq!(status, 200);
    let rows = audit_rows(&page);
    let deleted = rows
        .iter()
        .find(|r| r.contains("data-action=\"token.deleted\""))
        .expect("a token.deleted row");
    let name = format!("<span class=\"object-name\" title=\"{id}\">Webshop checkout</span>");
    assert!(deleted.contains(&name), "{deleted}");
    assert!(deleted.contains("Token deleted"), "{deleted}");
    assert!(
        !deleted.contains(&format!("href=\"/console/tokens/{id}\"")),
        "{deleted}"
    );
    assert!(deleted.contains(">deleted</span>"), "{deleted}");
    let user = rows
        .iter()
        .find(|r| r.contains("data-action=\"user.created\""))
        .expect("a user.created row");
    assert!(
        user.contains(&format!(
            "href=\"/console/users/{}\" class=\"object-name\">svc</a>",
            m.user_id
        )),
        "{user}"
    );
    // A user id in the details reads as the user's name, linked.
    let created = rows
        .iter()
        .find(|r| r.contains("data-action=\"token.created\"") && r.contains("Webshop checkout"))
        .expect("the token.created row");
    let owner = format!("<a href=\"/console/users/{}\">svc</a>", m.user_id);
    assert!(created.contains(&owner), "{created}");
    assert!(deleted.contains("<time datetime=\"20"), "{deleted}");

    // The chooser filters by action, and a bookmarked `?action=` still works.
    let (_, page) = c.get("/console/audit?action=token.deleted").await;
    assert!(page.contains("<option value=\"token.deleted\" selected>"));
    let rows = audit_rows(&page);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(rows[0].contains("Webshop checkout"));

    // An object's history: every event of the token, and nothing else.
    let (_, page) = c.get(&format!("/console/audit?object_id={id}")).await;
    assert!(
        page.contains("History of Webshop checkout"),
        "the scope is named"
    );
    let actions: Vec<bool> = audit_rows(&page)
        .iter()
        .map(|r| r.contains("token.created") || r.contains("token.deleted"))
        .collect();
    assert_eq!(actions, [true, true]);

    // One administrator's actions: kari has only logged in.
    let (_, page) = c.get(&format!("/console/audit?actor_id={kari}")).await;
    assert!(page.contains("Actions by kari"), "the scope is named");
    let rows = audit_rows(&page);
    assert!(!rows.is_empty());
    assert!(
        rows.iter()
            .all(|r| r.contains("data-action=\"console.login\"")),
        "{rows:?}"
    );

    // CSV: the filter's rows, names and ISO times, a formula defused.
    let (status, csv) = c.get("/console/audit.csv?action=token.created").await;
    assert_eq!(status, 200);
    let rows = csv_rows(&csv);
    let total = app
        .get_ok("/api/v1/audit-events?action=token.created")
        .await["total"]
        .as_u64();
    assert_eq!(Some(rows.len() as u64), total, "{csv}");
    let names: Vec<&str> = rows.iter().map(|r| r["object_name"].as_str()).collect();
    assert!(names.contains(&"Webshop checkout"), "{names:?}");
    assert!(names.contains(&"'=HYPERLINK(\"http://evil\")"), "{names:?}");
    assert!(rows.iter().all(|r| r["action"] == "token.created"));
    for r in &rows {
        time::OffsetDateTime::parse(&r["at"], &time::format_description::well_known::Rfc3339)
            .unwrap_or_else(|_| panic!("an ISO time: {}", r["at"]));
    }

    // JSON: the same events as the API gives, names included.
    let (status, json) = c.get(&format!("/console/audit.json?object_id={id}")).await;
    assert_eq!(status, 200);
    let events: Vec<serde_json::Value> = serde_json::from_str(&json).expect(&json);
    let actions: Vec<&str> = events
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["token.deleted", "token.created"]);
    assert!(events
        .iter()
        .all(|e| e["object_name"] == "Webshop checkout"));
    let api = app
        .get_ok(&format!("/api/v1/audit-events?object_id={formula}"))
        .await;
    assert_eq!(
        api["items"][0]["object_name"],
        "=HYPERLINK(\"http://evil\")"
    );

    // An actor that is not a user's id is refused in words.
    let (status, page) = c.get("/console/audit?actor_id=nobody").await;
    assert_eq!(status, 200);
    assert!(page.contains("not a user"), "{page}");
    assert_eq!(c.get("/console/audit.csv?actor_id=nobody").await.0, 422);
}

async fn audit_export_across_batches(app: TestApp) {
    app.user_with_password("kari", true).await;
    let c = try_login(&app, "kari", PASSWORD).await.expect("login");
    let m = app.member("importer", &["orders:read"]).await;
    // More events than an export reads at a time (1,000).
    for batch in 0..2 {
        let items: Vec<_> = (0..600)
            .map(|i| m.token_body(&format!("import {batch}-{i}")))
            .collect();
        app.post_created("/api/v1/tokens/bulk", json!({ "items": items }))
            .await;
    }
    let total = app
        .get_ok("/api/v1/audit-events?action=token.created")
        .await["total"]
        .as_u64()
        .unwrap();
    assert!(total > 1_200, "{total}");
    let (status, csv) = c.get("/console/audit.csv?action=token.created").await;
    assert_eq!(status, 200);
    let rows = csv_rows(&csv);
    assert_eq!(rows.len() as u64, total);
    let ids: std::collections::HashSet<&str> = rows.iter().map(|r| r["id"].as_str()).collect();
    assert_eq!(ids.len(), rows.len(), "no event twice");
    let (_, json) = c.get("/console/audit.json?action=token.created").await;
    let events: Vec<serde_json::Value> = serde_json::from_str(&json).unwrap();
    assert_eq!(events.len() as u64, total);
    // Newest first, as the page lists them.
    let rfc3339 = &time::format_description::well_known::Rfc3339;
    let times: Vec<time::OffsetDateTime> = events
        .iter()
        .map(|e| time::OffsetDateTime::parse(e["at"].as_str().unwrap(), rfc3339).unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]));
}
