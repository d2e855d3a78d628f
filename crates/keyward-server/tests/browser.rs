//! The administration console in a real browser: headless Chromium driven through
//! WebDriver (`chromedriver`), walking as an administrator would, in English and in
//! Norwegian. Screenshots of the main pages land in `target/screenshots/`.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them). Without
//! them the walks are skipped with a printed reason, except under `CI=true`, where a
//! missing browser is a failure.

use fantoccini::{Client, ClientBuilder, Locator};
use keyward_testkit::{send, Backend, Running, TestApp, PASSWORD};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

const CHROMEDRIVER: &str = "chromedriver";

/// A chromedriver process on a free port, stopped when dropped.
struct Driver {
    _child: Running,
    url: String,
    _profile: tempfile::TempDir,
}

fn find_chromedriver() -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(CHROMEDRIVER))
            .find(|p| p.is_file())
    })
}

/// Starts chromedriver, or says why the browser walk cannot run.
async fn driver() -> Option<(Driver, Client)> {
    let Some(bin) = find_chromedriver() else {
        let why = "chromedriver is not installed (apt-get install chromium chromium-driver)";
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{why}: CI must run the browser tests");
        }
        eprintln!("skipped: {why}");
        return None;
    };
    // A port free a moment ago can be taken by another test's server before chromedriver
    // binds it (the driver then exits, and the session cannot start): try a new port.
    let mut last = String::new();
    for _ in 0..3 {
        match start_driver(&bin).await {
            Ok(started) => return Some(started),
            Err(e) => last = e,
        }
    }
    panic!("start a browser session: {last}");
}

/// chromedriver on a free port, and a headless Chromium session on it.
async fn start_driver(bin: &std::path::Path) -> Result<(Driver, Client), String> {
    let port = keyward_testkit::free_port();
    let child = Command::new(bin)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let url = format!("http://127.0.0.1:{port}");
    let profile = tempfile::tempdir().expect("profile dir");
    let driver = Driver {
        _child: Running(child),
        url,
        _profile: profile,
    };
    // Wait for the driver to accept connections (no fixed sleep: poll the condition).
    let mut ready = false;
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    if !ready {
        return Err("chromedriver did not start listening".into());
    }
    let mut caps = serde_json::Map::new();
    let mut args = vec![
        "--headless".to_string(),
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        "--disable-background-networking".into(),
        "--disable-component-update".into(),
        "--disable-sync".into(),
        "--no-first-run".into(),
        "--disable-dev-shm-usage".into(),
        "--window-size=1366,900".into(),
        format!("--user-data-dir={}", driver._profile.path().display()),
    ];
    args.push("--lang=en-US".into());
    let mut opts = json!({ "args": args });
    if std::path::Path::new("/usr/bin/chromium").exists() {
        opts["binary"] = json!("/usr/bin/chromium");
    }
    caps.insert("goog:chromeOptions".into(), opts);
    // The console's messages, for checks that no content security policy was violated.
    caps.insert("goog:loggingPrefs".into(), json!({"browser": "ALL"}));
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let client = ClientBuilder::new(connector)
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .map_err(|e| format!("{e:?}"))?;
    Ok((driver, client))
}

/// A browser and a fresh server with the administrator `admin` (who logs in with the
/// testkit's password), or `None` where no browser is installed.
async fn with_admin(admin: &str) -> Option<(Driver, Client, TestApp)> {
    let (driver, c) = driver().await?;
    let app = TestApp::spawn(Backend::Sqlite).await;
    app.user_with_password(admin, true).await;
    Some((driver, c, app))
}

fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../target")));
    let dir = target.join("screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

async fn screenshot(c: &Client, name: &str) {
    let png = c.screenshot().await.expect("screenshot");
    std::fs::write(screenshot_dir().join(format!("{name}.png")), png).expect("write screenshot");
}

/// Finds an element, waiting (polling, up to 10 s) for the page to show it.
async fn find(c: &Client, css: &str) -> fantoccini::elements::Element {
    let mut last = None;
    for _ in 0..200 {
        match c.find(Locator::Css(css)).await {
            Ok(e) => return e,
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{css} never appeared: {last:?}");
}

/// Waits (polling, up to 10 s) until the address's path satisfies `ok`.
async fn wait_for_path(c: &Client, ok: impl Fn(&str) -> bool) -> String {
    let mut path = String::new();
    for _ in 0..200 {
        path = c.current_url().await.expect("url").path().to_string();
        if ok(&path) {
            return path;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the browser stayed at {path}");
}

/// The text of an element, waiting (polling, up to 10 s) for the page to show it. A page
/// that is still being replaced can drop the element between finding and reading it
/// (a stale element): then it is found again.
async fn text_of(c: &Client, css: &str) -> String {
    let mut last = None;
    for _ in 0..200 {
        match find(c, css).await.text().await {
            Ok(t) => return t,
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{css} could not be read: {last:?}");
}

/// Waits (polling, up to 10 s) until the element shows `want`.
async fn wait_for_text(c: &Client, css: &str, want: &str) {
    let mut last = String::new();
    for _ in 0..200 {
        if let Ok(e) = c.find(Locator::Css(css)).await {
            if let Ok(t) = e.text().await {
                if t.contains(want) {
                    return;
                }
                last = t;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{css} never showed {want:?}; it shows {last:?}");
}

/// What the script `js` (with no arguments) returns in the page.
async fn script(c: &Client, js: &str) -> Value {
    c.execute(js, vec![]).await.expect("the script runs")
}

async fn body_text(c: &Client) -> String {
    text_of(c, "body").await
}

async fn fill(c: &Client, css: &str, value: &str) {
    let e = c
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
    e.clear().await.expect("clear");
    e.send_keys(value).await.expect("type");
}

/// Sets an `<input type="date">` (typing into one depends on the browser's locale).
async fn set_date(c: &Client, css: &str, value: &str) {
    c.execute(
        "document.querySelector(arguments[0]).value = arguments[1];",
        vec![json!(css), json!(value)],
    )
    .await
    .expect("set date");
}

async fn click(c: &Client, css: &str) {
    find(c, css)
        .await
        .click()
        .await
        .unwrap_or_else(|e| panic!("click {css}: {e}"));
}

async fn select(c: &Client, css: &str, value: &str) {
    find(c, css)
        .await
        .select_by_value(value)
        .await
        .unwrap_or_else(|e| panic!("select {value} in {css}: {e}"));
}

/// Clicks a button whose form asks `confirm()` first, and accepts the question.
async fn click_confirmed(c: &Client, css: &str) {
    click(c, css).await;
    c.accept_alert()
        .await
        .expect("the action asks for confirmation");
}

/// Logs an administrator in and waits for the token list the console opens with.
async fn admin_login(c: &Client, app: &TestApp, username: &str) {
    login(c, app, username).await;
    wait_for_path(c, |p| p.starts_with("/console/tokens")).await;
}

/// Asserts that the browser is on the login page.
async fn assert_on_login_page(c: &Client) {
    let url = c.current_url().await.expect("the current URL");
    assert!(url.path().ends_with("/console/login"), "{url}");
}

async fn login(c: &Client, app: &TestApp, username: &str) {
    c.goto(&app.url("/console")).await.expect("open console");
    assert_on_login_page(c).await;
    fill(c, "#tenant", "acme").await;
    fill(c, "#username", username).await;
    fill(c, "#password", PASSWORD).await;
    click(c, "#login-submit").await;
}

/// Departments, user types, a technical user and their membership, made in the console.
async fn arrange_organisation(
    c: &Client,
    app: &TestApp,
    dept: &str,
    user_type: &str,
    user: &str,
) -> String {
    c.goto(&app.url("/console/departments")).await.unwrap();
    fill(c, "#new-department", dept).await;
    click(c, "#add-department").await;
    wait_for_text(c, "#departments-table", dept).await;

    c.goto(&app.url("/console/user-types")).await.unwrap();
    fill(c, "#ut-name", user_type).await;
    fill(c, "#ut-permissions", "orders:read\norders:write").await;
    click(c, "#add-user-type").await;
    wait_for_text(c, "#user-types-table", "orders:write").await;

    c.goto(&app.url("/console/users/new")).await.unwrap();
    fill(c, "#username", user).await;
    fill(c, "#display_name", &format!("{user} integration")).await;
    fill(c, "#email", &format!("{user}@example.com")).await;
    click(c, "#is_technical").await;
    click(c, "#save-user").await;
    let path = wait_for_path(c, |p| {
        p.starts_with("/console/users/") && !p.ends_with("/new")
    })
    .await;
    let user_id = path.rsplit('/').next().unwrap().to_string();
    // The membership: pick the department and user type by their visible names.
    let pick = |select: &'static str, name: String| async move {
        let id: String = c
            .execute(
                "const s = document.querySelector(arguments[0]); \
                 return [...s.options].find(o => o.text === arguments[1]).value;",
                vec![json!(select), json!(name)],
            )
            .await
            .expect("option")
            .as_str()
            .unwrap()
            .to_string();
        id
    };
    let dept_id = pick("#department_id", dept.to_string()).await;
    let ut_id = pick("#user_type_id", user_type.to_string()).await;
    select(c, "#department_id", &dept_id).await;
    select(c, "#user_type_id", &ut_id).await;
    click(c, "#add-membership").await;
    // The confirmation (in the page's language) says the new page is there.
    find(c, "main > p.notice").await;
    let memberships = text_of(c, "#memberships").await;
    assert!(
        memberships.contains(dept) && memberships.contains(user_type),
        "{memberships}"
    );
    user_id
}

/// Fills and saves the create-token form; returns the secret shown once.
async fn create_token(c: &Client, app: &TestApp, name: &str, user_id: &str) -> String {
    c.goto(&app.url("/console/tokens")).await.unwrap();
    click(c, "#new-token").await;
    fill(c, "#name", name).await;
    select(c, "#user_id", user_id).await;
    // Only the chosen user's memberships are offered; the script picked the first.
    let js = "return document.querySelector('#membership').value;";
    let membership = script(c, js).await;
    assert!(
        membership.as_str().is_some_and(|v| !v.is_empty()),
        "the user's membership is preselected"
    );
    let max = script(c, "return document.querySelector('#expires_on').max;").await;
    let max = max.as_str().unwrap().to_string();
    assert!(
        !max.is_empty(),
        "the date picker stops at the tenant's maximum"
    );
    set_date(c, "#expires_on", &max).await;
    click(c, "#save-token").await;
    let secret = find(c, "#secret")
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap();
    assert!(secret.starts_with("kwa_"), "{secret}");
    secret
}

/// Asserts that `text` (of the part of the page named `what`) shows every label.
fn assert_shows(text: &str, labels: &[&str], what: &str) {
    for label in labels {
        assert!(text.contains(label), "{what} lacks {label}: {text}");
    }
}

/// From the page that shows a new secret, the token's detail view; its fields' text.
async fn open_detail(c: &Client) -> String {
    click(c, "#to-detail").await;
    wait_for_path(c, |p| {
        p.starts_with("/console/tokens/") && !p.ends_with("/new")
    })
    .await;
    text_of(c, "#token-fields").await
}

async fn verify_code(app: &TestApp, token: &str) -> String {
    app.verify(token, None).await
}

async fn token_id_from_detail(c: &Client) -> String {
    c.current_url()
        .await
        .unwrap()
        .path()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administrator_walks_the_token_lifecycle_in_english() {
    let Some((_driver, c, app)) = with_admin("kari").await else {
        return;
    };

    admin_login(&c, &app, "kari").await;
    let user_id = arrange_organisation(&c, &app, "Department A", "Integration", "erp-sync").await;

    // Create a token; the secret is shown once, with a copy button.
    let secret = create_token(&c, &app, "ERP sync", &user_id).await;
    let page = body_text(&c).await;
    assert!(page.contains("You will not see it again."), "{page}");
    screenshot(&c, "en-token-shown-once").await;
    click(&c, "#copy-secret").await;
    wait_for_text(&c, "#copy-secret", "Copied!").await;
    assert_eq!(verify_code(&app, &secret).await, "VALID");

    // The detail view shows seed 001's fields, never the secret.
    let fields = open_detail(&c).await;
    assert_shows(
        &fields,
        &[
            "Token Name",
            "API Token",
            "Tenant Id",
            "Description of Use",
            "Expiry Date",
            "Associated User",
            "Department and User Type",
        ],
        "detail",
    );
    assert!(fields.contains(&app.tenant_id), "tenant id shown");
    assert!(fields.contains("curl -s -X POST"), "a ready curl line");
    assert!(
        !c.source().await.unwrap().contains(&secret),
        "the secret is not shown again"
    );
    screenshot(&c, "en-token-detail").await;
    let token_id = token_id_from_detail(&c).await;

    // Revoke: it stays listed with its removal date, and verification says REVOKED.
    click_confirmed(&c, "#revoke").await;
    wait_for_text(&c, "#f-status", "Revoked").await;
    assert!(
        text_of(&c, "#f-removal").await.contains("kari"),
        "who removed it"
    );
    assert_eq!(verify_code(&app, &secret).await, "REVOKED");
    c.goto(&app.url("/console/tokens")).await.unwrap();
    let row = text_of(&c, &format!("tr[data-token-id='{token_id}']")).await;
    let year = time::OffsetDateTime::now_utc().year().to_string();
    assert!(
        row.contains("Revoked") && row.contains(&year),
        "removal date listed: {row}"
    );
    let removal = text_of(&c, &format!("tr[data-token-id='{token_id}'] td.removal")).await;
    assert!(removal.contains(&year), "{removal}");
    screenshot(&c, "en-token-listing").await;

    // Bulk delete two tokens with the checkboxes; they are gone.
    let a = create_token(&c, &app, "Temp one", &user_id).await;
    let _ = a;
    let b = create_token(&c, &app, "Temp two", &user_id).await;
    c.goto(&app.url("/console/tokens")).await.unwrap();
    let mut ids = Vec::new();
    for name in ["Temp one", "Temp two"] {
        let id: Value = c
            .execute(
                "return [...document.querySelectorAll('#tokens-table tbody tr')] \
                   .find(r => r.querySelector('.token-name').textContent === arguments[0]).dataset.tokenId;",
                vec![json!(name)],
            )
            .await
            .unwrap();
        let id = id.as_str().unwrap().to_string();
        click(&c, &format!("tr[data-token-id='{id}'] input[name=ids]")).await;
        ids.push(id);
    }
    assert_eq!(text_of(&c, "[data-selected-count]").await, "2 selected");
    click(&c, "#bulk-delete").await;
    wait_for_text(&c, "body", "These 2 tokens will be deleted").await;
    click(&c, "#confirm-delete").await;
    wait_for_text(&c, "body", "2 deleted.").await;
    let listing = text_of(&c, "#tokens-table").await;
    assert!(
        !listing.contains("Temp one") && !listing.contains("Temp two"),
        "{listing}"
    );
    assert!(body_text(&c).await.contains("2 deleted."));
    for id in &ids {
        assert_eq!(app.get(&format!("/api/v1/tokens/{id}")).await.0, 404);
    }
    assert_eq!(verify_code(&app, &b).await, "NOT_FOUND");

    // "Select all" ticks every row.
    click(&c, "#select-all").await;
    let js = "return document.querySelectorAll('input[name=ids]:not(:checked)').length;";
    let unticked = script(&c, js).await;
    assert_eq!(unticked, json!(0));

    // Create form screenshot for reviewers.
    c.goto(&app.url("/console/tokens/new")).await.unwrap();
    select(&c, "#user_id", &user_id).await;
    screenshot(&c, "en-token-create").await;
    c.goto(&app.url("/console/users")).await.unwrap();
    screenshot(&c, "en-users").await;
    c.goto(&app.url("/console/settings")).await.unwrap();
    screenshot(&c, "en-settings").await;
    c.goto(&app.url("/console/audit")).await.unwrap();
    assert!(text_of(&c, "#audit-table").await.contains("Token revoked"));
    screenshot(&c, "en-audit").await;

    // On a phone the pages reflow to one column.
    c.set_window_size(390, 844).await.expect("phone size");
    c.goto(&app.url(&format!("/console/tokens/{token_id}")))
        .await
        .unwrap();
    find(&c, "#token-fields").await;
    screenshot(&c, "en-phone-token-detail").await;

    c.close().await.unwrap();
}

/// Logs in to the `--demo` tenant as its administrator (`admin` / `keyward-demo`).
async fn demo_login(c: &Client, app: &TestApp) {
    keyward_server::bootstrap::demo(&app.state)
        .await
        .expect("the demo tenant");
    c.goto(&app.url("/console")).await.expect("open console");
    assert_on_login_page(c).await;
    fill(c, "#tenant", "demo").await;
    fill(c, "#username", "admin").await;
    fill(c, "#password", "keyward-demo").await;
    click(c, "#login-submit").await;
    wait_for_path(c, |p| p.starts_with("/console/tokens")).await;
}

/// The value of the option of `select` whose text is `label`.
async fn option_value(c: &Client, select: &str, label: &str) -> String {
    let v = c
        .execute(
            "return [...document.querySelector(arguments[0]).options] \
               .find(o => o.text === arguments[1]).value;",
            vec![json!(select), json!(label)],
        )
        .await
        .unwrap_or_else(|e| panic!("no option {label:?} in {select}: {e}"));
    v.as_str().unwrap().to_string()
}

/// Issue 13, problem 1: in the demo tenant kari, listed before webshop, holds webshop's
/// only department and user type. Choosing webshop used to preselect kari's hidden,
/// disabled option, and Save answered "Choose a department and user type." every time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_for_webshop_is_created_on_the_demo_tenant() {
    let Some((_driver, c)) = driver().await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await;
    demo_login(&c, &app).await;

    c.goto(&app.url("/console/tokens/new")).await.unwrap();
    fill(&c, "#name", "Web shop feed 2").await;
    let webshop = option_value(&c, "#user_id", "Web shop (webshop)").await;
    select(&c, "#user_id", &webshop).await;
    // The preselected membership is webshop's own, visible and enabled.
    let chosen = script(
        &c,
        "const o = document.querySelector('#membership').selectedOptions[0]; \
         return [o.parentElement.dataset.owner || '', o.disabled, o.parentElement.hidden, o.text];",
    )
    .await;
    assert_eq!(chosen[0], json!(webshop), "{chosen}");
    assert_eq!(chosen[1], json!(false), "{chosen}");
    assert_eq!(chosen[2], json!(false), "{chosen}");
    assert_eq!(chosen[3], json!("Sales · Order reader"), "{chosen}");
    screenshot(&c, "en-demo-token-create-webshop").await;
    click(&c, "#save-token").await;
    let secret = find(&c, "#secret")
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap();
    assert!(secret.starts_with("kwa_"), "{secret}");
    let v = app
        .verify_body(json!({"tenant": "demo", "token": secret, "permission": "orders:read"}))
        .await;
    assert_eq!(v["code"], "VALID", "{v}");
    let fields = open_detail(&c).await;
    assert!(fields.contains("webshop"), "{fields}");
    assert!(fields.contains("Sales"), "{fields}");

    // A refused save (no name) redraws the form with webshop's option still chosen,
    // and the next save goes through.
    c.goto(&app.url("/console/tokens/new")).await.unwrap();
    select(&c, "#user_id", &webshop).await;
    script(
        &c,
        "document.querySelector('#name').removeAttribute('required'); return 0;",
    )
    .await;
    click(&c, "#save-token").await;
    wait_for_text(&c, "main", "Enter a name").await;
    let owner = script(
        &c,
        "return document.querySelector('#membership').selectedOptions[0].parentElement.dataset.owner || '';",
    )
    .await;
    assert_eq!(owner, json!(webshop));
    fill(&c, "#name", "Web shop feed 3").await;
    click(&c, "#save-token").await;
    find(&c, "#secret").await;

    c.set_window_size(390, 844).await.expect("phone size");
    c.goto(&app.url("/console/tokens/new")).await.unwrap();
    select(&c, "#user_id", &webshop).await;
    screenshot(&c, "en-phone-demo-token-create-webshop").await;
    c.close().await.unwrap();
}

/// A token of `m` named `name` that expires at `at`, made over the API; its id.
async fn token_expiring(
    app: &TestApp,
    m: &keyward_testkit::Member,
    name: &str,
    at: time::OffsetDateTime,
) -> String {
    let at = at
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let made = app
        .post_created(
            "/api/v1/tokens",
            json!({"name": name, "user_id": m.user_id, "department_id": m.department_id,
                   "user_type_id": m.user_type_id, "expires_at": at}),
        )
        .await;
    made["id"].as_str().unwrap().to_string()
}

/// The token names of the listing's rows, top to bottom.
async fn listed_names(c: &Client) -> Vec<String> {
    let v = script(
        c,
        "return [...document.querySelectorAll('#tokens-table tbody .token-name')].map(a => a.textContent);",
    )
    .await;
    serde_json::from_value(v).unwrap()
}

/// Waits (polling, up to 10 s) until the address's query contains `part`.
async fn wait_for_query(c: &Client, part: &str) {
    for _ in 0..200 {
        let url = c.current_url().await.expect("url");
        if url.query().is_some_and(|q| q.contains(part)) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the address never had {part}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_that_expire_soon_are_marked_filtered_and_sorted() {
    let Some((_driver, c, app)) = with_admin("kari").await else {
        return;
    };
    let m = app.member("svc", &["orders:read"]).await;
    let now = time::OffsetDateTime::now_utc();
    let days = time::Duration::days;
    let hour = time::Duration::hours(1);
    let soon = token_expiring(&app, &m, "Nightly export", now + days(5) + hour).await;
    token_expiring(&app, &m, "Billing feed", now + days(60) + hour).await;
    token_expiring(&app, &m, "Alpha sync", now + days(13) + hour).await;
    let gone = token_expiring(&app, &m, "Retired feed", now + days(3)).await;
    app.revoke_token(&gone).await;

    admin_login(&c, &app, "kari").await;
    // The listing warns, marks the two active tokens that expire within 14 days, and
    // says how far away each expiry is.
    wait_for_text(
        &c,
        "#expiring-callout",
        "2 active tokens expire within 14 days.",
    )
    .await;
    let row = text_of(&c, &format!("tr[data-token-id='{soon}'] td.expiry")).await;
    assert!(
        row.contains("in 5 days") && row.contains("Expires soon"),
        "{row}"
    );
    let billing = script(
        &c,
        "return [...document.querySelectorAll('#tokens-table tbody tr')] \
           .find(r => r.querySelector('.token-name').textContent === 'Billing feed') \
           .querySelector('td.expiry').textContent;",
    )
    .await;
    let billing = billing.as_str().unwrap();
    assert!(
        billing.contains("in 2 months") && !billing.contains("Expires soon"),
        "{billing}"
    );
    let retired = text_of(&c, &format!("tr[data-token-id='{gone}'] td.expiry")).await;
    assert!(
        !retired.contains("Expires soon"),
        "a revoked token is not marked: {retired}"
    );
    screenshot(&c, "en-token-listing-expiry").await;

    // The filter: only the active tokens expiring soon.
    select(&c, "#status", "expiring").await;
    click(&c, "form.filters button[type=submit]").await;
    wait_for_query(&c, "status=expiring").await;
    let mut names = listed_names(&c).await;
    names.sort();
    assert_eq!(names, ["Alpha sync", "Nightly export"]);
    assert!(
        c.find(Locator::Css("#expiring-callout")).await.is_err(),
        "no callout on the filtered list"
    );

    // Sorted by expiry from the column heading, with the keyboard: soonest first, then
    // the other way; the filter stays.
    let heading = find(&c, "#tokens-table thead a.sort[href*='sort=expiry']").await;
    heading
        .send_keys("\u{E007}")
        .await
        .expect("Enter on the heading");
    wait_for_query(&c, "sort=expiry").await;
    wait_for_query(&c, "status=expiring").await;
    assert_eq!(listed_names(&c).await, ["Nightly export", "Alpha sync"]);
    let aria = find(&c, "#tokens-table thead th[aria-sort]").await;
    assert_eq!(
        aria.attr("aria-sort").await.unwrap().as_deref(),
        Some("ascending")
    );
    screenshot(&c, "en-token-listing-expiring-soon").await;
    click(&c, "#tokens-table thead a.sort[href*='sort=expiry']").await;
    wait_for_query(&c, "dir=desc").await;
    assert_eq!(listed_names(&c).await, ["Alpha sync", "Nightly export"]);

    // By name, on the whole list.
    c.goto(&app.url("/console/tokens?sort=name&dir=asc"))
        .await
        .unwrap();
    let names = listed_names(&c).await;
    let mut sorted = names.clone();
    sorted.sort_by_key(|n| n.to_lowercase());
    assert_eq!(names, sorted);

    // The token's page says it too.
    c.goto(&app.url(&format!("/console/tokens/{soon}")))
        .await
        .unwrap();
    find(&c, "#expiring-soon").await;
    let expiry = text_of(&c, "#f-expiry").await;
    assert!(expiry.contains("in 5 days"), "{expiry}");
    screenshot(&c, "en-token-detail-expiring").await;

    // The create form's quick choices set the date, within the tenant's maximum.
    c.goto(&app.url("/console/tokens/new")).await.unwrap();
    click(&c, "#preset-30").await;
    let date = script(&c, "return document.querySelector('#expires_on').value;").await;
    let want = (now + days(30)).date().to_string();
    assert_eq!(date, json!(want));
    let pressed = find(&c, "#preset-30")
        .await
        .attr("aria-pressed")
        .await
        .unwrap();
    assert_eq!(pressed.as_deref(), Some("true"));
    find(&c, "#preset-365").await;
    screenshot(&c, "en-token-create-presets").await;

    c.set_window_size(390, 844).await.expect("phone size");
    c.goto(&app.url("/console/tokens?status=expiring&sort=expiry&dir=asc"))
        .await
        .unwrap();
    find(&c, "#tokens-table").await;
    screenshot(&c, "en-phone-token-listing-expiring-soon").await;
    c.goto(&app.url("/console/tokens/new")).await.unwrap();
    find(&c, "#preset-7").await;
    screenshot(&c, "en-phone-token-create-presets").await;
    c.close().await.unwrap();
}

/// Issue 13, problem 2: a token whose owner is locked is shown as a check answers it,
/// refused, in the listing, on its page and on its user's page, and found by the
/// listing's Verification filter; unlocked, it is accepted again. A user whose
/// employment period has ended says so in the Users list.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_owners_token_shows_as_refused_until_unlocked() {
    let Some((_driver, c, app)) = with_admin("kari").await else {
        return;
    };
    let m = app.member("svc", &["orders:read"]).await;
    let (id, secret) = app.token(&m, "Order feed").await;
    let gone = app.member("former", &["orders:read"]).await;
    app.update_member(
        &gone,
        keyward_testkit::period(None, Some("2024-06-30T00:00:00Z")),
    )
    .await;
    admin_login(&c, &app, "kari").await;
    let row = format!("tr[data-token-id='{id}'] td.standing");
    let standing = async |css: &str| {
        let v = script(
            &c,
            &format!("return document.querySelector(\"{css} [data-standing]\").dataset.standing;"),
        )
        .await;
        v.as_str().unwrap_or_default().to_string()
    };
    wait_for_text(&c, &row, "Active").await;
    assert_eq!(standing(&row).await, "VALID");

    // Locked on the user's page, as an administrator would.
    c.goto(&app.url(&format!("/console/users/{}", m.user_id)))
        .await
        .unwrap();
    click_confirmed(&c, "#lock").await;
    wait_for_text(&c, "#user-status", "Locked").await;
    let owned = format!("#user-tokens-table tr[data-token-id='{id}'] td.standing");
    wait_for_text(&c, &owned, "Refused: owner locked").await;
    screenshot(&c, "en-user-locked-tokens").await;
    assert_eq!(app.verify(&secret, None).await, "USER_LOCKED");

    // The listing and the token's page say what every check now answers.
    c.goto(&app.url("/console/tokens")).await.unwrap();
    wait_for_text(&c, &row, "Refused: owner locked").await;
    assert_eq!(standing(&row).await, "USER_LOCKED");
    screenshot(&c, "en-token-listing-refused").await;
    select(&c, "#standing", "USER_LOCKED").await;
    click(&c, "form.filters button[type=submit]").await;
    wait_for_query(&c, "standing=USER_LOCKED").await;
    assert_eq!(listed_names(&c).await, ["Order feed"]);
    // Sorting keeps the filter.
    click(&c, "#tokens-table thead a.sort[href*='sort=name']").await;
    wait_for_query(&c, "sort=name").await;
    wait_for_query(&c, "standing=USER_LOCKED").await;
    assert_eq!(listed_names(&c).await, ["Order feed"]);
    select(&c, "#standing", "VALID").await;
    click(&c, "form.filters button[type=submit]").await;
    wait_for_query(&c, "standing=VALID").await;
    assert!(!listed_names(&c).await.contains(&"Order feed".to_string()));

    c.goto(&app.url(&format!("/console/tokens/{id}")))
        .await
        .unwrap();
    wait_for_text(&c, "#f-standing", "Refused: owner locked").await;
    assert!(text_of(&c, "#f-standing").await.contains("USER_LOCKED"));
    assert!(
        text_of(&c, "#f-status").await.contains("Active"),
        "its own state is unchanged"
    );
    screenshot(&c, "en-token-detail-refused").await;
    // The way to the cause: the user's page, where they are unlocked.
    click(&c, "#standing-to-user").await;
    wait_for_path(&c, |p| p.ends_with(&m.user_id)).await;
    click(&c, "#unlock").await;
    wait_for_text(&c, "#user-status", "Active").await;
    wait_for_text(&c, &owned, "Active").await;
    assert_eq!(app.verify(&secret, None).await, "VALID");
    c.goto(&app.url(&format!("/console/tokens/{id}")))
        .await
        .unwrap();
    wait_for_text(&c, "#f-standing", "Accepted").await;
    assert!(text_of(&c, "#f-standing").await.contains("VALID"));
    c.goto(&app.url("/console/tokens")).await.unwrap();
    wait_for_text(&c, &row, "Active").await;
    assert_eq!(standing(&row).await, "VALID");

    // The Users list shows who is outside their employment period.
    c.goto(&app.url("/console/users")).await.unwrap();
    let former = format!("tr[data-user-id='{}'] td.user-status", gone.user_id);
    wait_for_text(&c, &former, "Inactive: period ended").await;
    let svc = format!("tr[data-user-id='{}'] td.user-status", m.user_id);
    wait_for_text(&c, &svc, "Active").await;
    screenshot(&c, "en-users-inactive").await;
    c.close().await.unwrap();
}

/// Issue 13, problem 4: the changes that can stop integrations at once are held on a
/// page that says what they do. Switching API tokens off takes the tenant's name typed;
/// a mistyped name changes nothing. Switching to show-once and making an endpoint public
/// are confirmed too, and a bulk delete warns when it takes the administrator's own
/// API tokens.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outage_sized_changes_are_confirmed_first() {
    let Some((_driver, c, app)) = with_admin("kari").await else {
        return;
    };
    let (m, _, secret) = app.svc_with_token("Order feed").await;
    app.recoverable_secrets().await;
    admin_login(&c, &app, "kari").await;

    // API tokens off: held, the consequence named, the tenant's name asked for.
    c.goto(&app.url("/console/settings")).await.unwrap();
    click(&c, "#api_tokens_enabled").await;
    click(&c, "#save-settings").await;
    wait_for_text(&c, "h1", "Switch API tokens off for this tenant?").await;
    let said = text_of(&c, "#consequences").await;
    assert!(
        said.contains("All 2 active API tokens stop working at once"),
        "{said}"
    );
    assert!(said.contains("Mobile sessions keep working."), "{said}");
    screenshot(&c, "en-confirm-tokens-off").await;
    fill(&c, "#confirm_typed", "ACME").await;
    click(&c, "#confirm-change").await;
    wait_for_text(&c, "main", "The name typed is not the tenant's name").await;
    assert_eq!(verify_code(&app, &secret).await, "VALID", "nothing changed");
    fill(&c, "#confirm_typed", "acme").await;
    click(&c, "#confirm-change").await;
    wait_for_path(&c, |p| p == "/console/settings").await;
    wait_for_text(&c, "main", "Saved").await;
    assert_eq!(verify_code(&app, &secret).await, "FEATURE_DISABLED");
    // Switching them on again loses nothing: no question asked.
    click(&c, "#api_tokens_enabled").await;
    click(&c, "#save-settings").await;
    wait_for_text(&c, "main", "Saved").await;
    assert_eq!(verify_code(&app, &secret).await, "VALID");

    // Show-once erases the stored secrets: asked first; Cancel keeps them.
    click(&c, "input[name=secret_storage][value=show_once]").await;
    click(&c, "#save-settings").await;
    wait_for_text(&c, "h1", "Show secrets only once from now on?").await;
    assert!(
        c.find(Locator::Css("#confirm_typed")).await.is_err(),
        "no name to type"
    );
    assert!(text_of(&c, "#consequences")
        .await
        .contains("erased for good"));
    click(&c, "#cancel-change").await;
    wait_for_path(&c, |p| p == "/console/settings").await;
    let kept = script(&c, "return document.querySelector('#recoverable').checked;").await;
    assert_eq!(kept, json!(true));

    // An endpoint switched from Token to None is public: asked first, with its address.
    let ep = app.endpoint("orders/in", "token", false).await;
    let refused = |code: u16| !(200..300).contains(&code);
    assert!(refused(unauthenticated_post(&app, "orders/in").await));
    c.goto(&app.url(&format!("/console/endpoints/{}", ep.id)))
        .await
        .unwrap();
    click(&c, "input[name=auth_type][value=none]").await;
    click(&c, "#save-endpoint").await;
    wait_for_text(&c, "h1", "Make this endpoint public?").await;
    assert!(text_of(&c, "#consequences")
        .await
        .contains("/e/acme/orders/in"));
    assert!(
        refused(unauthenticated_post(&app, "orders/in").await),
        "not yet"
    );
    screenshot(&c, "en-confirm-endpoint-public").await;
    click(&c, "#confirm-change").await;
    // The confirmation is at the endpoint's own address: wait for the saved page, not
    // the path, or the check below can run before the change is made.
    wait_for_text(&c, "main", "Saved").await;
    wait_for_path(&c, |p| p.ends_with(&ep.id)).await;
    let code = unauthenticated_post(&app, "orders/in").await;
    assert!(!refused(code), "public now: {code}");

    // A bulk delete of the administrator's own API token says so.
    let users = app.get_ok("/api/v1/users?q=kari").await;
    let kari = users["items"][0]["id"].as_str().unwrap().to_string();
    let (kari_id, dept, ut) = m.ids();
    let _ = kari_id;
    app.client()
        .add_membership(kari.parse().map(keyward_core::UserId).unwrap(), dept, ut)
        .await
        .unwrap();
    let own = app
        .post_created(
            "/api/v1/tokens",
            json!({"name": "Kari's script", "user_id": kari, "department_id": m.department_id,
                   "user_type_id": m.user_type_id}),
        )
        .await;
    let own = own["id"].as_str().unwrap().to_string();
    c.goto(&app.url("/console/tokens")).await.unwrap();
    click(&c, &format!("tr[data-token-id='{own}'] input[name=ids]")).await;
    click(&c, "#bulk-delete").await;
    wait_for_text(
        &c,
        "#own-credential-warning",
        "This includes your own API token.",
    )
    .await;
    let warning = text_of(&c, "#own-credential-warning").await;
    assert!(warning.contains("all your active API tokens"), "{warning}");
    screenshot(&c, "en-confirm-delete-own").await;
    c.close().await.unwrap();
}

/// Issue 13, problems 5 and 7: the token's page says what the token may do (its user
/// type's permissions, its limits, who made it, the header to send) and edits its name,
/// description and limits, which checks obey at once; the listing's search finds a
/// token by the start of its hint, as a leak report quotes it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_page_says_what_it_may_do_and_sets_its_limits() {
    let Some((_driver, c, app)) = with_admin("kari").await else {
        return;
    };
    let (m, id, secret) = app.svc_with_token("Order feed").await;
    app.token(&m, "Other feed").await;
    admin_login(&c, &app, "kari").await;
    c.goto(&app.url(&format!("/console/tokens/{id}")))
        .await
        .unwrap();
    wait_for_text(&c, "#f-permissions", "orders:read").await;
    assert!(text_of(&c, "#f-creator").await.contains("root"));
    assert!(text_of(&c, "#f-limits").await.contains("Anywhere"));
    let header = text_of(&c, "#header-line").await;
    assert_eq!(header, "Authorization: Bearer YOUR_TOKEN");
    let to_user = find(&c, "#to-user").await.attr("href").await.unwrap();
    assert_eq!(to_user, Some(format!("/console/users/{}", m.user_id)));

    // A refused change names the field and keeps what was typed.
    fill(&c, "#ts-cidrs", "10.0.0.300/8").await;
    click(&c, "#save-token-settings").await;
    wait_for_text(&c, "main", "IP allowlist").await;
    let kept = script(&c, "return document.querySelector('#ts-cidrs').value;").await;
    assert_eq!(kept, json!("10.0.0.300/8"));

    fill(&c, "#ts-name", "Order feed v2").await;
    fill(&c, "#ts-description", "For the ERP").await;
    fill(&c, "#ts-cidrs", "10.0.0.0/8").await;
    fill(&c, "#ts-rate", "5").await;
    fill(&c, "#ts-window", "60").await;
    fill(&c, "#ts-uses", "3").await;
    click(&c, "#save-token-settings").await;
    wait_for_text(&c, "main", "Saved.").await;
    assert_eq!(text_of(&c, "#f-name").await, "Order feed v2");
    assert!(text_of(&c, "#f-description").await.contains("For the ERP"));
    let limits = text_of(&c, "#f-limits").await;
    assert_shows(
        &limits,
        &["10.0.0.0/8", "5 checks per 60 seconds", "3"],
        "limits",
    );
    screenshot(&c, "en-token-detail-limits").await;
    let from = async |ip: &str| {
        let v = app.verify_body(json!({"token": secret, "ip": ip})).await;
        v["code"].as_str().unwrap_or_default().to_string()
    };
    assert_eq!(from("192.0.2.1").await, "IP_NOT_ALLOWED");
    assert_eq!(from("10.1.2.3").await, "VALID");
    // One use taken: the page shows 2 left.
    c.refresh().await.unwrap();
    wait_for_text(&c, "#f-limits", "Remaining uses: 2").await;

    // The listing's search: the start of the hint finds the token, and only it.
    let hint = text_of(&c, "#f-hint").await;
    c.goto(&app.url("/console/tokens")).await.unwrap();
    fill(&c, "#q", &hint[..8]).await;
    click(&c, "form.filters button[type=submit]").await;
    wait_for_query(&c, "q=").await;
    assert_eq!(listed_names(&c).await, ["Order feed v2"]);
    c.set_window_size(390, 844).await.expect("phone size");
    c.goto(&app.url(&format!("/console/tokens/{id}")))
        .await
        .unwrap();
    find(&c, "#settings").await;
    screenshot(&c, "en-phone-token-detail-limits").await;
    c.close().await.unwrap();
}

/// Issue 13, problem 8: the dead ends of the console, walked as an administrator would
/// meet them, each answered in the page's language with a way on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_ends_say_what_happened_and_lead_on() {
    let Some((_driver, c, app)) = with_admin("kari").await else {
        return;
    };
    let m = app.member("svc", &["orders:read"]).await;
    admin_login(&c, &app, "kari").await;

    // "Delete selected" with nothing ticked: still the list, saying why nothing happened.
    click(&c, "#bulk-delete").await;
    wait_for_text(
        &c,
        "#page-error",
        "Nothing was deleted: select at least one token first.",
    )
    .await;
    find(&c, "#tokens-table").await;
    screenshot(&c, "en-token-listing-nothing-selected").await;

    // A membership the user already holds.
    c.goto(&app.url(&format!("/console/users/{}", m.user_id)))
        .await
        .unwrap();
    select(&c, "#department_id", &m.department_id).await;
    select(&c, "#user_type_id", &m.user_type_id).await;
    click(&c, "#add-membership").await;
    wait_for_text(
        &c,
        "main",
        "The user already holds that department and user type.",
    )
    .await;
    screenshot(&c, "en-membership-exists").await;

    // In Norwegian from here on.
    select(&c, "#lang-select", "nb").await;
    wait_for_text(&c, "header nav", "Brukere").await;

    // A page number that is not a number.
    c.goto(&app.url("/console/tokens?page=abc")).await.unwrap();
    wait_for_text(&c, "h1", "Adressen kunne ikke leses").await;
    screenshot(&c, "nb-bad-page-number").await;
    click(&c, "ul.onward a").await;
    wait_for_path(&c, |p| p == "/console/tokens").await;
    find(&c, "#tokens-table").await;

    // Settings refused: the fields' own labels.
    c.goto(&app.url("/console/settings")).await.unwrap();
    fill(&c, "#default_token_lifetime_days", "400").await;
    click(&c, "#save-settings").await;
    wait_for_text(
        &c,
        "#page-error",
        "«Standard levetid for tokens (dager)» kan ikke være lengre enn «Maksimal levetid for tokens (dager)».",
    )
    .await;
    let invalid = find(&c, "#default_token_lifetime_days")
        .await
        .attr("aria-invalid")
        .await
        .unwrap();
    assert_eq!(invalid.as_deref(), Some("true"));
    screenshot(&c, "nb-settings-refused").await;

    // API tokens off: a bookmarked tokens page says so and leads to Settings.
    fill(&c, "#default_token_lifetime_days", "90").await;
    click(&c, "#api_tokens_enabled").await;
    click(&c, "#save-settings").await;
    // Held first (issue 13, problem 4): the tenant's name typed confirms it.
    wait_for_text(&c, "h1", "Slå av API-tokens for denne leietakeren?").await;
    screenshot(&c, "nb-confirm-tokens-off").await;
    fill(&c, "#confirm_typed", "acme").await;
    click(&c, "#confirm-change").await;
    wait_for_text(&c, "main", "Lagret").await;
    c.goto(&app.url("/console/tokens")).await.unwrap();
    wait_for_text(&c, "h1", "API-tokens er slått av").await;
    screenshot(&c, "nb-tokens-switched-off").await;
    c.set_window_size(390, 844).await.expect("phone size");
    screenshot(&c, "nb-phone-tokens-switched-off").await;
    c.set_window_size(1366, 900).await.expect("laptop size");
    click(&c, "ul.onward a[href='/console/settings']").await;
    wait_for_path(&c, |p| p == "/console/settings").await;
    find(&c, "#api_tokens_enabled").await;
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_walk_in_norwegian_shows_translated_labels() {
    let Some((_driver, c, app)) = with_admin("ola").await else {
        return;
    };

    // Choose Norwegian on the login page, before anyone is known.
    c.goto(&app.url("/console/login")).await.unwrap();
    click(&c, "a[lang=nb]").await;
    wait_for_text(&c, "body", "Logg inn i administrasjonskonsollen").await;
    fill(&c, "#tenant", "acme").await;
    fill(&c, "#username", "ola").await;
    fill(&c, "#password", PASSWORD).await;
    click(&c, "#login-submit").await;
    wait_for_path(&c, |p| p.starts_with("/console/tokens")).await;
    let nav = text_of(&c, "header nav").await;
    assert_shows(
        &nav,
        &[
            "Tokens",
            "Brukere",
            "Avdelinger",
            "Brukertyper",
            "Innstillinger",
            "Revisjonslogg",
        ],
        "menu",
    );
    let user_id = arrange_organisation(&c, &app, "Avdeling A", "Integrasjon", "lonn-sync").await;

    c.goto(&app.url("/console/tokens/new")).await.unwrap();
    let form = text_of(&c, "#new-token-form").await;
    assert_shows(
        &form,
        &[
            "Token Navn",
            "Utløpsdato",
            "Velg bruker",
            "Velg avdeling og brukertype",
            "Lagre",
        ],
        "create form",
    );
    screenshot(&c, "nb-token-create").await;
    let secret = create_token(&c, &app, "Lønnssystem", &user_id).await;
    assert!(body_text(&c).await.contains("Du får ikke se det igjen."));
    screenshot(&c, "nb-token-shown-once").await;
    let fields = open_detail(&c).await;
    assert_shows(
        &fields,
        &[
            "Token Navn",
            "API Token",
            "Tenant Id",
            "Bruksbeskrivelse",
            "Utløpsdato",
            "Tilknyttet bruker",
            "Avdeling og brukertype",
        ],
        "detail",
    );
    click_confirmed(&c, "#revoke").await;
    wait_for_text(&c, "#f-status", "Tilbakekalt").await;
    assert_eq!(verify_code(&app, &secret).await, "REVOKED");
    c.goto(&app.url("/console/tokens")).await.unwrap();
    let head = text_of(&c, "#tokens-table thead").await;
    assert_shows(
        &head,
        &["Token Navn", "Utløpsdato", "Fjernet dato", "Status"],
        "listing",
    );
    // Dates in Norwegian: "23. nov. 2026".
    let month = [
        "jan.", "feb.", "mars", "apr.", "mai", "juni", "juli", "aug.", "sep.", "okt.", "nov.",
        "des.",
    ][usize::from(u8::from(time::OffsetDateTime::now_utc().month())) - 1];
    let tbody = text_of(&c, "#tokens-table tbody").await;
    assert!(tbody.contains(month), "Norwegian month names");
    // The bootstrap token's 90 days, and its last use (the walk's own API calls).
    assert!(tbody.contains("om 3 måneder"), "{tbody}");
    screenshot(&c, "nb-token-listing").await;

    // The user's own choice: switch to English from the menu, and it sticks to the user.
    select(&c, "#lang-select", "en").await;
    wait_for_text(&c, "header nav", "Users").await;
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_names_are_text_and_non_administrators_stay_out() {
    let Some((_driver, c, app)) = with_admin("kari").await else {
        return;
    };
    let m = app.member("svc", &["orders:read"]).await;
    let evil = "<script>alert(1)</script>";
    let (id, _) = app.token(&m, evil).await;

    admin_login(&c, &app, "kari").await;
    for path in [
        "/console/tokens".to_string(),
        format!("/console/tokens/{id}"),
        "/console/audit".into(),
    ] {
        c.goto(&app.url(&path)).await.unwrap();
        assert!(c.get_alert_text().await.is_err(), "a script ran on {path}");
        if path != "/console/audit" {
            assert!(
                body_text(&c).await.contains(evil),
                "the name is shown as text on {path}"
            );
        }
    }

    // A user who is not an administrator cannot log in, and cannot open a page.
    app.user_with_password("plain", false).await;
    click(&c, "#logout").await;
    wait_for_text(&c, "body", "You are logged out.").await;
    login(&c, &app, "plain").await;
    wait_for_text(&c, "#login-error", "Only administrators").await;
    assert_on_login_page(&c).await;
    c.goto(&app.url("/console/users")).await.unwrap();
    assert_on_login_page(&c).await;
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mobile_sessions_are_listed_and_logged_out_in_bulk() {
    let Some((_driver, c, app)) = with_admin("kari").await else {
        return;
    };
    // A field worker with a password and one membership logs in from four phones.
    app.member_with_password("field-worker", &["orders:read"])
        .await;
    let mut sessions = Vec::new();
    for phone in ["Phone 1", "Phone 2", "Phone 3", "Phone 4"] {
        let res = app
            .http
            .post(app.url("/api/v1/mobile/login"))
            .json(
                &json!({"tenant": "acme", "username": "field-worker", "password": PASSWORD,
                          "device_name": phone}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{phone} logs in");
        let body: Value = res.json().await.unwrap();
        sessions.push((
            body["session_id"].as_str().unwrap().to_string(),
            body["token"].as_str().unwrap().to_string(),
        ));
    }
    for (_, token) in &sessions {
        assert_eq!(verify_code(&app, token).await, "VALID");
    }

    admin_login(&c, &app, "kari").await;
    click(&c, "#tab-mobile").await;
    wait_for_text(&c, "#tokens-table", "Phone 4").await;
    let listing = text_of(&c, "#tokens-table").await;
    assert_shows(
        &listing,
        &[
            "User Name",
            "Email",
            "Department",
            "User Type",
            "Last Active",
            "Expiry Date",
        ],
        "listing",
    );
    assert!(listing.contains("field-worker@example.com"));
    screenshot(&c, "en-mobile-listing").await;

    // The newest login's own view (seed 001's fields).
    let newest = &sessions[3].0;
    click(&c, &format!("tr[data-token-id='{newest}'] a.token-name")).await;
    wait_for_text(&c, "#session-fields", "Phone 4").await;
    screenshot(&c, "en-mobile-session").await;

    // Select the fresh login with two others, and delete them.
    c.goto(&app.url("/console/tokens/mobile")).await.unwrap();
    for (id, _) in &sessions[1..4] {
        click(&c, &format!("tr[data-token-id='{id}'] input[name=ids]")).await;
    }
    click(&c, "#bulk-delete").await;
    // Logging phones out is confirmed as that, not as deleting tokens.
    wait_for_text(
        &c,
        "body",
        "These 3 devices are logged out of the mobile app at once",
    )
    .await;
    assert_eq!(text_of(&c, "#confirm-delete").await, "Log 3 devices out");
    screenshot(&c, "en-mobile-logout-confirm").await;
    click(&c, "#confirm-delete").await;
    wait_for_text(&c, "body", "3 deleted.").await;
    let listing = text_of(&c, "#tokens-table").await;
    assert!(listing.contains("Phone 1"), "{listing}");
    for phone in ["Phone 2", "Phone 3", "Phone 4"] {
        assert!(!listing.contains(phone), "{phone} is still listed");
    }
    // Those devices can no longer call the API; the fourth still can.
    for (_, token) in &sessions[1..4] {
        let res = send(
            app.http
                .get(app.url("/auth/forward/acme"))
                .bearer_auth(token),
        )
        .await;
        assert_eq!(res.status(), 401);
    }
    assert_eq!(verify_code(&app, &sessions[0].1).await, "VALID");
    c.close().await.unwrap();
}

/// Posts a JSON record to a hosted endpoint with `token`; the status.
/// Posts a record to `path` of tenant acme with no token at all.
async fn unauthenticated_post(app: &TestApp, path: &str) -> u16 {
    let url = app.url(&format!("/e/acme/{path}"));
    send(app.http.post(url).json(&json!({"n": 1})))
        .await
        .status()
        .as_u16()
}

async fn post_record(app: &TestApp, path: &str, token: &str, body: Value) -> u16 {
    send(
        app.http
            .post(app.url(&format!("/e/acme/{path}")))
            .bearer_auth(token)
            .json(&body),
    )
    .await
    .status()
    .as_u16()
}

/// The secret shown once on the page, by its label.
async fn shown_secret_labelled(c: &Client, label: &str) -> String {
    let v: Value = c
        .execute(
            "return [...document.querySelectorAll('[data-secret]')] \
               .find(i => i.dataset.label === arguments[0]).value;",
            vec![json!(label)],
        )
        .await
        .expect("a secret with that label");
    v.as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_applications_share_an_endpoint_and_one_is_switched_off() {
    let Some((_driver, c, app)) = with_admin("kari").await else {
        return;
    };
    admin_login(&c, &app, "kari").await;

    // Create an endpoint, then switch it to token authentication.
    c.goto(&app.url("/console/endpoints")).await.unwrap();
    fill(&c, "#ep-name", "Incoming orders").await;
    fill(&c, "#ep-path", "orders/incoming").await;
    click(&c, "#add-endpoint").await;
    let path = wait_for_path(&c, |p| p.starts_with("/console/endpoints/")).await;
    let endpoint_id = path.rsplit('/').next().unwrap().to_string();
    click(&c, "#ep-auth-token").await;
    click(&c, "#save-endpoint").await;
    // The POST and GET primaries are generated and shown once.
    wait_for_text(&c, "body", "The endpoint's new primary tokens").await;
    let post_primary = shown_secret_labelled(&c, "POST").await;
    assert!(post_primary.starts_with("kwp_"), "{post_primary}");
    shown_secret_labelled(&c, "GET").await;
    screenshot(&c, "en-endpoint-primaries").await;

    // Two secondary tokens, named after two applications.
    let mut secrets = Vec::new();
    for name in ["ERP", "Webshop"] {
        c.goto(&app.url("/console/endpoint-tokens")).await.unwrap();
        fill(&c, "#et-name", name).await;
        click(&c, "#add-endpoint-token").await;
        wait_for_text(&c, "body", "Your new endpoint token").await;
        let secret = shown_secret_labelled(&c, name).await;
        assert!(secret.starts_with("kws_"), "{secret}");
        secrets.push(secret);
    }
    let (erp, shop) = (secrets[0].clone(), secrets[1].clone());
    c.goto(&app.url("/console/endpoint-tokens")).await.unwrap();
    let listing = text_of(&c, "#endpoint-tokens-table").await;
    assert!(listing.contains("ERP") && listing.contains("Webshop"));
    screenshot(&c, "en-endpoint-tokens").await;

    // The Enabled toggle switches the Webshop off where it is listed; Deactivate
    // retires it to the Inactive view; Activate brings it back, switched on.
    let in_row = |name: &str, what: &str| {
        format!("//table[@id='endpoint-tokens-table']//tr[.//a[normalize-space()='{name}']]{what}")
    };
    let press = async |xpath: String| {
        let el = c.find(Locator::XPath(&xpath)).await.expect(&xpath);
        el.click().await.expect("click");
    };
    press(in_row("Webshop", "//button[@role='switch']")).await;
    wait_for_text(&c, "body", "The token is switched off").await;
    let switch = c
        .find(Locator::XPath(&in_row(
            "Webshop",
            "//button[@role='switch']",
        )))
        .await
        .expect("still listed, with its switch");
    assert_eq!(
        switch.attr("aria-checked").await.unwrap().as_deref(),
        Some("false")
    );
    screenshot(&c, "en-endpoint-tokens-switched-off").await;
    press(in_row(
        "Webshop",
        "//form[contains(@action, '/active')]//button",
    ))
    .await;
    wait_for_text(&c, "body", "The token is deactivated").await;
    let listing = text_of(&c, "#endpoint-tokens-table").await;
    assert!(
        listing.contains("ERP") && !listing.contains("Webshop"),
        "{listing}"
    );
    click(&c, "#show-inactive").await;
    wait_for_text(&c, "#endpoint-tokens-table", "Webshop").await;
    assert!(text_of(&c, "#endpoint-tokens-table")
        .await
        .contains("Activate token"));
    press(in_row(
        "Webshop",
        "//form[contains(@action, '/active')]//button",
    ))
    .await;
    wait_for_text(&c, "body", "The token is active again").await;
    c.goto(&app.url("/console/endpoint-tokens")).await.unwrap();
    let switch = c
        .find(Locator::XPath(&in_row(
            "Webshop",
            "//button[@role='switch']",
        )))
        .await
        .expect("back in the active list");
    assert_eq!(
        switch.attr("aria-checked").await.unwrap().as_deref(),
        Some("true")
    );

    // Not assigned yet: refused.
    assert_eq!(
        post_record(&app, "orders/incoming", &erp, json!({"n": 0})).await,
        403
    );

    // Assign both on the endpoint's Tokens tab.
    c.goto(&app.url(&format!("/console/endpoints/{endpoint_id}?tab=tokens")))
        .await
        .unwrap();
    find(&c, "#secondaries").await;
    for cb in c
        .find_all(Locator::Css("#secondaries input.assigned"))
        .await
        .unwrap()
    {
        cb.click().await.unwrap();
    }
    click(&c, "#save-assignments").await;
    wait_for_text(&c, "body", "Saved.").await;
    screenshot(&c, "en-endpoint-tokens-tab").await;

    // Each application posts a record.
    for (token, body) in [
        (&erp, json!({"order": 1, "from": "erp"})),
        (&shop, json!({"order": 2, "from": "shop"})),
    ] {
        let status = post_record(&app, "orders/incoming", token, body.clone()).await;
        assert_eq!(status, 201, "{body}");
    }

    // The data viewer filtered by one application shows only its record.
    c.goto(&app.url(&format!("/console/endpoints/{endpoint_id}/data")))
        .await
        .unwrap();
    let all = text_of(&c, "#records").await;
    assert!(all.contains("ERP") && all.contains("Webshop"), "{all}");
    let legend = text_of(&c, ".legend").await;
    assert!(
        legend.contains("ERP (1)") && legend.contains("Webshop (1)"),
        "{legend}"
    );
    screenshot(&c, "en-endpoint-data").await;
    let js = "return [...document.querySelectorAll('#token_id option')].find(o => o.text === 'ERP').value;";
    let erp_id = script(&c, js).await;
    select(&c, "#token_id", erp_id.as_str().unwrap()).await;
    click(&c, "#apply-filter").await;
    wait_for_path(&c, |p| p.ends_with("/data")).await;
    let mut filtered = String::new();
    for _ in 0..200 {
        if c.current_url()
            .await
            .unwrap()
            .query()
            .is_some_and(|q| q.contains("token_id="))
        {
            filtered = text_of(&c, "#records").await;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        filtered.contains("ERP") && filtered.contains("\"erp\""),
        "{filtered}"
    );
    assert!(
        !filtered.contains("Webshop"),
        "only ERP's records: {filtered}"
    );

    // Switch off the ERP assignment: its POST is refused, the webshop's still works.
    c.goto(&app.url(&format!("/console/endpoints/{endpoint_id}?tab=tokens")))
        .await
        .unwrap();
    let erp_id = erp_id.as_str().unwrap().to_string();
    click(
        &c,
        &format!("tr[data-token-id='{erp_id}'] input.assignment-enabled"),
    )
    .await;
    click(&c, "#save-assignments").await;
    wait_for_text(&c, "body", "Saved.").await;
    assert_eq!(
        post_record(&app, "orders/incoming", &erp, json!({"order": 3})).await,
        401
    );
    assert_eq!(
        post_record(&app, "orders/incoming", &shop, json!({"order": 4})).await,
        201
    );
    assert_eq!(
        post_record(&app, "orders/incoming", &post_primary, json!({"order": 5})).await,
        201
    );
    c.close().await.unwrap();
}

/// chromedriver's log of the browser's console since the last call.
#[derive(Debug)]
struct BrowserLog;

impl fantoccini::wd::WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base_url: &reqwest::Url,
        session_id: Option<&str>,
    ) -> Result<reqwest::Url, <reqwest::Url as std::str::FromStr>::Err> {
        base_url.join(&format!(
            "session/{}/se/log",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &reqwest::Url) -> (axum::http::Method, Option<String>) {
        (
            axum::http::Method::POST,
            Some(json!({"type": "browser"}).to_string()),
        )
    }
}

async fn console_messages(c: &Client) -> Vec<String> {
    let v = c.issue_cmd(BrowserLog).await.expect("browser log");
    v.as_array()
        .map(|entries| {
            entries
                .iter()
                .filter_map(|e| e["message"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_viewer_works_under_its_content_security_policy() {
    let Some((_driver, c)) = driver().await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await;
    c.goto(&app.url("/docs/")).await.unwrap();
    // The operations are drawn, so its scripts ran and it fetched the document.
    find(&c, ".opblock-summary").await;
    click(&c, ".opblock-summary").await;
    find(&c, ".opblock-body").await;
    wait_for_text(&c, ".opblock-body", "Responses").await;
    screenshot(&c, "docs").await;
    let violations: Vec<String> = console_messages(&c)
        .await
        .into_iter()
        .filter(|m| m.contains("Content Security Policy"))
        .collect();
    assert!(
        violations.is_empty(),
        "the API viewer breaks its own policy: {violations:#?}"
    );
    c.close().await.unwrap();
}

/// The first link on the page whose address starts with `prefix` followed by an id.
async fn first_link(c: &Client, prefix: &str) -> String {
    let v = c
        .execute(
            "const a = [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href')) \
               .find(h => h.startsWith(arguments[0]) && /^[0-9a-f-]{36}/.test(h.slice(arguments[0].length))); \
             return a || '';",
            vec![json!(prefix)],
        )
        .await
        .unwrap();
    let href = v.as_str().unwrap().to_string();
    assert!(!href.is_empty(), "a link to {prefix}…");
    href
}

/// Issue 13, problem 10: in Norwegian, the menu fits on one row at 1366 px; at 390 px no
/// page scrolls sideways as a whole (a wide table scrolls inside its own frame). Every
/// page of the demo tenant, which has something on each, is screenshotted at both sizes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn norwegian_pages_fit_a_laptop_and_a_phone() {
    let Some((_driver, c)) = driver().await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await;
    demo_login(&c, &app).await;
    select(&c, "#lang-select", "nb").await;
    wait_for_text(&c, "header nav", "Brukere").await;

    c.goto(&app.url("/console/tokens")).await.unwrap();
    let token = first_link(&c, "/console/tokens/").await;
    c.goto(&app.url("/console/users")).await.unwrap();
    let user = first_link(&c, "/console/users/").await;
    c.goto(&app.url("/console/endpoints")).await.unwrap();
    let endpoint = first_link(&c, "/console/endpoints/").await;
    c.goto(&app.url("/console/endpoint-tokens")).await.unwrap();
    let endpoint_token = first_link(&c, "/console/endpoint-tokens/").await;
    c.goto(&app.url("/console/tokens/mobile")).await.unwrap();
    let session = first_link(&c, "/console/tokens/mobile/").await;
    let pages = [
        ("tokens", "/console/tokens".to_string()),
        ("token", token.clone()),
        ("token-regenerate", format!("{token}/regenerate")),
        ("mobile", "/console/tokens/mobile".into()),
        ("session", session),
        ("users", "/console/users".into()),
        ("user", user),
        ("departments", "/console/departments".into()),
        ("user-types", "/console/user-types".into()),
        ("endpoints", "/console/endpoints".into()),
        ("endpoint", endpoint.clone()),
        ("endpoint-tokens-tab", format!("{endpoint}?tab=tokens")),
        ("endpoint-data", format!("{endpoint}/data")),
        ("endpoint-tokens", "/console/endpoint-tokens".into()),
        ("endpoint-token", endpoint_token.clone()),
        ("endpoint-assign", format!("{endpoint_token}/assign")),
        ("verifier-keys", "/console/verifier-keys".into()),
        ("webhooks", "/console/webhooks".into()),
        ("settings", "/console/settings".into()),
        ("audit", "/console/audit".into()),
    ];
    let one_row =
        "const tops = [...document.querySelectorAll('header nav li')].map(li => li.offsetTop); \
                   return Math.max(...tops) - Math.min(...tops);";
    let overflow = "return document.documentElement.scrollWidth - window.innerWidth;";
    for (width, height, size) in [(1366, 900, "laptop"), (390, 844, "phone")] {
        c.set_window_size(width, height).await.expect("window size");
        for (name, path) in &pages {
            c.goto(&app.url(path)).await.unwrap();
            find(&c, "main").await;
            let wider = script(&c, overflow).await.as_i64().unwrap();
            screenshot(&c, &format!("nb-{size}-{name}")).await;
            if *name == "token" {
                // The demo's newest token is imported and in a regenerate's grace period:
                // the previous secret's line and the imported mark, further down.
                let shown = script(
                    &c,
                    "const e = document.querySelector('#f-previous-secret'); \
                     if (!e) return false; e.scrollIntoView(); return true;",
                )
                .await;
                assert_eq!(
                    shown,
                    json!(true),
                    "the previous secret is on the token's page"
                );
                screenshot(&c, &format!("nb-{size}-token-previous-secret")).await;
            }
            if wider > 0 {
                let culprits = script(
                    &c,
                    "return [...document.querySelectorAll('body *')] \
                       .filter(e => e.getBoundingClientRect().right > window.innerWidth \
                               && !(e.parentElement && e.parentElement.closest('.table-wrap') && getComputedStyle(e).position !== 'absolute')) \
                       .slice(0, 5).map(e => e.tagName + '.' + e.className + '#' + e.id);",
                )
                .await;
                panic!("{path} at {width} px scrolls sideways by {wider} px: {culprits}");
            }
            if size == "laptop" {
                let rows = script(&c, one_row).await.as_i64().unwrap();
                assert_eq!(rows, 0, "{path}: the Norwegian menu wraps at 1366 px");
            }
        }
    }
    c.close().await.unwrap();
}

/// Whether the page is no wider than the window: a table too wide scrolls inside its
/// wrapper, never the whole page.
async fn fits_the_window(c: &Client) -> bool {
    script(
        c,
        "return document.documentElement.scrollWidth <= window.innerWidth;",
    )
    .await
        == json!(true)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_page_shows_names() {
    let Some((_driver, c, app)) = with_admin("kari").await else {
        return;
    };
    let m = app.member("webshop-integration", &["orders:read"]).await;
    let (gone, _) = app.token(&m, "Webshop checkout (production)").await;
    let (kept, _) = app.token(&m, "Nightly ERP export").await;
    app.revoke_token(&kept).await;
    assert_eq!(app.delete(&format!("/api/v1/tokens/{gone}")).await.0, 204);
    admin_login(&c, &app, "kari").await;

    c.goto(&app.url("/console/audit")).await.unwrap();
    find(&c, "#audit-table").await;
    let deleted = text_of(&c, "#audit-table tr:has([data-action='token.deleted'])").await;
    assert!(
        deleted.contains("Webshop checkout (production)"),
        "{deleted}"
    );
    assert!(deleted.contains("Token deleted"), "{deleted}");
    // The revoked token still exists: its name links to its page.
    let link = find(
        &c,
        "#audit-table tr:has([data-action='token.revoked']) a.object-name",
    )
    .await;
    assert_eq!(link.text().await.unwrap(), "Nightly ERP export");
    assert_eq!(
        link.attr("href").await.unwrap().as_deref(),
        Some(format!("/console/tokens/{kept}").as_str())
    );
    // Times are the reader's, the ISO moment kept in the title.
    let when = find(&c, "#audit-table td.when time").await;
    let iso = when.attr("title").await.unwrap().unwrap();
    assert!(iso.starts_with("20") && iso.contains('T'), "{iso}");
    let zone = when.attr("data-zone").await.unwrap();
    assert!(zone.is_some(), "shown in the browser's time zone");
    assert!(
        fits_the_window(&c).await,
        "no page-wide scrolling at 1366 px"
    );
    screenshot(&c, "en-audit-names").await;

    // The chooser filters by action.
    select(&c, "#action", "token.deleted").await;
    click(&c, "#audit-filter").await;
    wait_for_query(&c, "action=token.deleted").await;
    let rows = c
        .find_all(Locator::Css("#audit-table tbody tr"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    // And a token's history is one click from its page.
    c.goto(&app.url(&format!("/console/tokens/{kept}")))
        .await
        .unwrap();
    click(&c, "#history").await;
    wait_for_text(&c, "#audit-scope", "History of Nightly ERP export").await;
    screenshot(&c, "en-audit-history").await;

    c.goto(&app.url("/console/audit")).await.unwrap();
    find(&c, "#audit-table").await;
    c.set_window_size(390, 844).await.expect("phone size");
    assert!(
        fits_the_window(&c).await,
        "no page-wide scrolling at 390 px"
    );
    screenshot(&c, "en-phone-audit").await;
    c.set_window_size(1366, 900).await.expect("laptop size");

    select(&c, "#lang-select", "nb").await;
    wait_for_text(&c, "#audit-table", "Token slettet").await;
    assert!(
        fits_the_window(&c).await,
        "no page-wide scrolling at 1366 px in nb"
    );
    screenshot(&c, "nb-audit-names").await;
    c.set_window_size(390, 844).await.expect("phone size");
    assert!(
        fits_the_window(&c).await,
        "no page-wide scrolling at 390 px in nb"
    );
    screenshot(&c, "nb-phone-audit").await;

    c.close().await.unwrap();
}
