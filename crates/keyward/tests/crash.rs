//! Nothing acknowledged is lost when the process is killed (SPEC §11): the real binary
//! creates tokens for eight concurrent clients, is killed with SIGKILL in the middle, and
//! is started again on the same storage. Every token whose creation was acknowledged
//! (201) must verify, and the SQLite database must pass `PRAGMA integrity_check`.

use keyward_testkit::{
    bootstrap_token, free_port, json_of, pg_schema, wait_until_healthy, Dir, Running, PG_ENV,
};
use serde_json::{json, Value};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How many acknowledged creations to wait for before the kill.
const BEFORE_KILL: usize = 300;

fn keyward() -> Command {
    keyward_testkit::command(env!("CARGO_BIN_EXE_keyward"))
}

fn storage_args(dir: &Path, db: &Option<String>) -> Vec<String> {
    let mut a = vec!["--data-dir".to_string(), dir.display().to_string()];
    if let Some(url) = db {
        a.extend(["--database-url".to_string(), url.clone()]);
    }
    a
}

async fn serve(dir: &Path, db: &Option<String>, port: u16) -> Running {
    let child = keyward()
        .arg("serve")
        .args(storage_args(dir, db))
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .env("KEYWARD_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start keyward serve");
    let server = Running(child);
    wait_until_healthy(&format!("http://127.0.0.1:{port}"), Duration::from_secs(20)).await;
    server
}

async fn run(db: Option<String>) {
    let dir = Dir::named("crash");
    let mut cmd = keyward();
    cmd.arg("bootstrap")
        .args(storage_args(&dir.0, &db))
        .args(["--tenant", "t", "--admin", "a"]);
    let admin = bootstrap_token(cmd);
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = serve(&dir.0, &db, port).await;
    let http = reqwest::Client::new();
    let client = keyward_client::Client::new(&base, Some(admin.clone())).unwrap();
    let body = keyward_testkit::member(&client, "svc", &["orders:read"])
        .await
        .token_body("crash");

    let acknowledged: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut clients = Vec::new();
    for _ in 0..8 {
        let (http, base, admin, body, acknowledged) = (
            http.clone(),
            base.clone(),
            admin.clone(),
            body.clone(),
            acknowledged.clone(),
        );
        clients.push(tokio::spawn(async move {
            // Until the server is gone: each 201 is an acknowledgement that must hold.
            while let Ok(res) = http
                .post(format!("{base}/api/v1/tokens"))
                .bearer_auth(&admin)
                .json(&body)
                .send()
                .await
            {
                if res.status().as_u16() != 201 {
                    break;
                }
                let Ok(v) = res.json::<Value>().await else {
                    break;
                };
                acknowledged
                    .lock()
                    .unwrap()
                    .push(v["token"].as_str().unwrap().to_string());
            }
        }));
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while acknowledged.lock().unwrap().len() < BEFORE_KILL {
        assert!(Instant::now() < deadline, "creations did not get going");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.0.kill().expect("SIGKILL"); // std sends SIGKILL on Unix
    let _ = server.0.wait();
    for c in clients {
        let _ = c.await;
    }
    let acknowledged = acknowledged.lock().unwrap().clone();

    let _server = serve(&dir.0, &db, port).await;
    let mut verified = 0;
    for token in &acknowledged {
        let v: Value = json_of(
            http.post(format!("{base}/api/v1/verify"))
                .json(&json!({"token": token, "tenant": "t"})),
        )
        .await;
        assert_eq!(v["code"], "VALID", "an acknowledged token was lost");
        verified += 1;
    }
    println!(
        "{}: {} creations acknowledged before SIGKILL, {verified} verify after restart",
        if db.is_some() { "PostgreSQL" } else { "SQLite" },
        acknowledged.len()
    );
    if db.is_none() {
        use sqlx::Connection;
        let url = format!("sqlite://{}", dir.0.join("keyward.db").display());
        let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
        let check: String = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert_eq!(check, "ok");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_token_survives_a_sigkill_during_creation_on_sqlite() {
    run(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_token_survives_a_sigkill_during_creation_on_postgres() {
    let Some(url) = pg_schema("kwcrash").await else {
        eprintln!("skipped: {PG_ENV} is not set, so the PostgreSQL run of this test cannot happen");
        return;
    };
    run(Some(url)).await;
}
