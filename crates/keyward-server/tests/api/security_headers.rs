//! Every route of the origin (API, verification, hosted endpoints, the API viewer, the
//! console, the fallback) sends the headers that stop sniffing, framing, referrer leaks
//! and caching of secrets; a route's own stricter or looser policy is kept.

use keyward_server::security_headers::{DEFAULT_CSP, DOCS_CSP};
use keyward_testkit::{send, text_of, Backend, TestApp};
use reqwest::header::HeaderMap;
use reqwest::Method;
use serde_json::json;

fn header<'h>(h: &'h HeaderMap, name: &str) -> &'h str {
    h.get(name)
        .map(|v| v.to_str().unwrap())
        .unwrap_or_else(|| panic!("no {name} header in {h:?}"))
}

async fn headers_of(app: &TestApp, method: Method, path: &str, auth: bool) -> (u16, HeaderMap) {
    let mut req = app.http.request(method.clone(), app.url(path));
    if auth {
        req = req.bearer_auth(&app.admin_token);
    }
    if method == Method::POST {
        req = req.json(&json!({"token": "kwa_nope", "tenant": "acme"}));
    }
    let res = req.send().await.unwrap();
    (res.status().as_u16(), res.headers().clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_of_route_sends_the_origin_security_headers() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    // Each request line, and whether it carries the administrator's token.
    let routes = [
        ("GET /api/v1/tokens", true),
        ("GET /api/v1/tokens", false),
        ("POST /api/v1/verify", false),
        ("POST /oauth2/introspect", false),
        ("GET /auth/forward/acme", false),
        ("GET /e/acme/no-such-endpoint", false),
        ("GET /healthz", false),
        ("GET /openapi.json", false),
        ("GET /docs/", false),
        ("GET /docs/swagger-ui-bundle.js", false),
        ("GET /console/login", false),
        ("GET /console/static/console.css", false),
        ("GET /no/such/route", false),
    ];
    for (route, auth) in routes {
        let (method, path) = route.split_once(' ').unwrap();
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let (status, h) = headers_of(&app, method.clone(), path, auth).await;
        let what = format!("{method} {path} ({status})");
        assert_eq!(header(&h, "x-content-type-options"), "nosniff", "{what}");
        assert_eq!(header(&h, "x-frame-options"), "DENY", "{what}");
        assert!(
            header(&h, "content-security-policy").contains("frame-ancestors 'none'"),
            "{what}"
        );
        assert!(
            ["no-referrer", "same-origin"].contains(&header(&h, "referrer-policy")),
            "{what}"
        );
        assert!(
            h.get("strict-transport-security").is_none(),
            "{what}: HSTS over http"
        );
        if !path.starts_with("/docs/") && !path.starts_with("/console/static/") {
            assert_eq!(header(&h, "cache-control"), "no-store", "{what}");
        }
    }
    // Answers that are not pages may load nothing at all.
    for path in ["/api/v1/tokens", "/openapi.json", "/healthz"] {
        let (_, h) = headers_of(&app, Method::GET, path, true).await;
        assert_eq!(header(&h, "content-security-policy"), DEFAULT_CSP, "{path}");
    }
}

/// The console's policy (only its own script, style and form targets) is not replaced
/// by the origin's, and the viewer's is not the console's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_keeps_its_own_stricter_policy() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (_, h) = headers_of(&app, Method::GET, "/console/login", false).await;
    let csp = header(&h, "content-security-policy");
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(csp.contains("style-src 'self';"), "{csp}");
    assert!(csp.contains("form-action 'self'"), "{csp}");
    assert!(!csp.contains("unsafe") && !csp.contains("sha256-"), "{csp}");
    assert_eq!(header(&h, "referrer-policy"), "same-origin");
    assert_eq!(header(&h, "cache-control"), "no-store");
}

/// The viewer's page runs no inline script and loads only its own files, so a policy of
/// `script-src 'self'` (no inline, no eval, no other origin) is all it needs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_viewer_has_a_policy_that_its_own_files_satisfy() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let res = app.http.get(app.url("/docs/")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(header(res.headers(), "content-security-policy"), DOCS_CSP);
    let html = res.text().await.unwrap();
    for directive in [
        "script-src 'self';",
        "connect-src 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(DOCS_CSP.contains(directive), "{directive}");
    }
    assert!(!DOCS_CSP.contains("unsafe-"), "{DOCS_CSP}");

    let mut scripts = 0;
    for tag in html.split("<script").skip(1) {
        let (attrs, rest) = tag.split_once('>').unwrap();
        let src = attrs
            .split_once("src=\"")
            .map(|(_, s)| s.split('"').next().unwrap())
            .unwrap_or_else(|| panic!("an inline script in the viewer's page: {tag}"));
        assert!(src.starts_with("./"), "a script from elsewhere: {src}");
        assert!(rest.trim_start().starts_with("</script>"), "{tag}");
        let file = send(app.http.get(app.url(&format!("/docs/{}", &src[2..])))).await;
        assert_eq!(file.status(), 200, "{src}");
        assert!(
            header(file.headers(), "content-type").contains("javascript"),
            "{src}"
        );
        scripts += 1;
    }
    assert!(scripts >= 3, "{html}");
    for handler in ["onload=", "onclick=", "onerror="] {
        assert!(
            !html.contains(handler),
            "an inline event handler: {handler}"
        );
    }
    // The initializer (a file) points the viewer at our document and turns off the
    // third-party validator badge.
    let init = text_of(app.http.get(app.url("/docs/swagger-initializer.js"))).await;
    assert!(init.contains("\"/openapi.json\""), "{init}");
    assert!(init.contains("\"validatorUrl\": \"none\""), "{init}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hsts_is_sent_when_the_public_url_is_https() {
    let app = TestApp::spawn_adjusted(Backend::Sqlite, |c| {
        c.public_url = "https://keyward.example".into();
    })
    .await;
    for path in ["/healthz", "/api/v1/tokens", "/docs/", "/console/login"] {
        let (_, h) = headers_of(&app, Method::GET, path, true).await;
        assert_eq!(
            header(&h, "strict-transport-security"),
            "max-age=31536000",
            "{path}"
        );
    }
}

/// A VALID check is answered from headers prepared once per owner (forward auth) and a
/// map made for the JSON answer (verify), not by the path refusals take: both carry
/// each origin header exactly once, HSTS too when the public URL is https, and the
/// length of what they send.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn valid_answers_carry_each_security_header_once() {
    for https in [false, true] {
        let app = TestApp::spawn_adjusted(Backend::Sqlite, |c| {
            if https {
                c.public_url = "https://keyward.example".into();
            }
        })
        .await;
        let (_, _, secret) = app.svc_with_token("headers").await;
        let forward = app
            .http
            .get(app.url("/auth/forward/acme"))
            .bearer_auth(&secret)
            .send()
            .await
            .unwrap();
        let verify = app
            .http
            .post(app.url("/api/v1/verify"))
            .json(&json!({"token": secret, "tenant": "acme"}))
            .send()
            .await
            .unwrap();
        for (what, res) in [("forward", forward), ("verify", verify)] {
            assert_eq!(res.status().as_u16(), 200, "{what}");
            let h = res.headers().clone();
            let body = res.bytes().await.unwrap();
            if what == "forward" {
                assert_eq!(header(&h, "x-keyward-code"), "VALID");
            } else {
                let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
                assert_eq!(v["code"], "VALID");
                assert_eq!(header(&h, "content-type"), "application/json");
            }
            for (name, value) in [
                ("x-content-type-options", "nosniff"),
                ("x-frame-options", "DENY"),
                ("content-security-policy", DEFAULT_CSP),
                ("referrer-policy", "no-referrer"),
                ("cache-control", "no-store"),
            ] {
                let all: Vec<_> = h.get_all(name).iter().collect();
                assert_eq!(all, [value], "{what} {name}");
            }
            assert_eq!(
                h.get_all("strict-transport-security").iter().count(),
                usize::from(https),
                "{what}: HSTS only over https"
            );
            assert_eq!(
                header(&h, "content-length"),
                body.len().to_string(),
                "{what}"
            );
        }
    }
}
