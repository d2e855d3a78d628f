//! No plaintext token reaches the logs at any level: this test captures everything
//! logged at TRACE while tokens (and mobile sessions) are created, presented,
//! regenerated, revealed and refused in every way, then searches the capture for each
//! secret and for the login password.

use keyward_testkit::client::UpdateUser;
use keyward_testkit::{json_of, send, Backend, TestApp};
use serde_json::json;
use std::io::Write;
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_plaintext_token_appears_in_logs_at_any_level() {
    let capture = Capture::default();
    let writer = capture.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .init();

    let app = TestApp::spawn(Backend::Sqlite).await;
    let mut secrets = vec![app.admin_token.clone()];
    app.recoverable_secrets().await;
    let (m, id, secret) = app.svc_with_token("logged?").await;
    secrets.push(secret.clone());
    app.verify(&secret, Some("orders:read")).await;
    app.verify(&secret, Some("users:write")).await;
    let key = app.verifier_key("gateway").await;
    secrets.push(key.clone());
    send(
        app.http
            .post(app.url("/oauth2/introspect"))
            .basic_auth("gateway", Some(&key))
            .form(&[("token", secret.as_str())]),
    )
    .await;
    send(
        app.http
            .get(app.url("/auth/forward/acme"))
            .bearer_auth(&secret),
    )
    .await;
    // Tokens where they do not belong: a query string, a malformed body, a wrong route.
    send(
        app.http
            .get(app.url(&format!("/api/v1/tokens?q={secret}")))
            .bearer_auth(&app.admin_token),
    )
    .await;
    send(
        app.http
            .post(app.url("/api/v1/verify"))
            .header("content-type", "application/json")
            .body(format!("{{\"token\": \"{secret}\", ")),
    )
    .await;
    send(app.http.get(app.url(&format!("/nowhere/{secret}")))).await;
    app.post(&format!("/api/v1/tokens/{id}/reveal"), json!({}))
        .await;
    let regenerated = app.regenerated(&id, 60).await;
    secrets.push(regenerated.clone());
    app.verify(&regenerated, None).await;
    app.post(&format!("/api/v1/tokens/{id}/revoke"), json!({}))
        .await;
    app.verify(&regenerated, None).await;
    app.get_as(&regenerated, "/api/v1/tokens").await;
    // A mobile session: login (with a password), use, and logout.
    let password = "a password nobody may log";
    let set_password = UpdateUser {
        password: Some(Some(password.into())),
        ..Default::default()
    };
    app.update_member(&m, set_password).await;
    let login = json!({"tenant": "acme", "username": "svc", "password": password,
                       "device_name": "phone"});
    let session: serde_json::Value =
        json_of(app.http.post(app.url("/api/v1/mobile/login")).json(&login)).await;
    let session = session["token"]
        .as_str()
        .expect("a session token")
        .to_string();
    secrets.push(session.clone());
    app.verify(&session, Some("orders:read")).await;
    send(
        app.http
            .get(app.url("/auth/forward/acme"))
            .bearer_auth(&session),
    )
    .await;
    app.state.verifier.flush_last_used().await;
    for _ in 0..2 {
        app.call_as(
            &session,
            reqwest::Method::POST,
            "/api/v1/mobile/logout",
            None,
        )
        .await;
    }
    app.verify(&session, None).await;
    let mut wrong = login.clone();
    wrong["password"] = json!(format!("{password}!"));
    send(app.http.post(app.url("/api/v1/mobile/login")).json(&wrong)).await;
    app.state.verifier.flush_last_used().await;

    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("request"),
        "the capture works: request spans were logged"
    );
    assert!(logs.lines().count() > 20, "the capture saw the traffic");
    assert!(!logs.contains(password), "a login password was logged");
    for s in &secrets {
        // Neither the whole secret nor its random part may appear.
        assert!(
            !logs.contains(&s[4..]),
            "a plaintext token was logged:\n{}",
            logs.lines()
                .filter(|l| l.contains(&s[4..]))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}
