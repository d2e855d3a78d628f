//! Connections cannot be held forever: a request head, an idle keep-alive connection and
//! a request body each have a deadline, the connection cap keeps `/healthz` answerable
//! under a flood of idle connections, and shutdown is bounded even with slow clients.
//! Deadlines are shortened here; each test waits for what it expects with a generous
//! bound, and none measures how fast anything happened.

use keyward_server::ServerConfig;
use keyward_testkit::{on_both_backends, send, Backend, TestApp};
use serde_json::json;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

/// How long a test waits for something that should happen well before.
const WAIT: Duration = Duration::from_secs(30);
const SHORT: Duration = Duration::from_millis(300);
const LONG: Duration = Duration::from_secs(3600);

// Shutdown needs a server of its own to stop, so the test starts it from the backend.
on_both_backends! { backend:
    shutdown_with_slow_clients_ends_within_the_grace_period_and_still_writes_last_use => shutdown;
}

async fn connect(app: &TestApp) -> TcpStream {
    TcpStream::connect(app.base.trim_start_matches("http://"))
        .await
        .expect("connect")
}

/// Reads until the server closes the connection; `None` if it has not within [`WAIT`].
async fn read_until_closed(s: &mut TcpStream) -> Option<String> {
    timeout(WAIT, async {
        let mut buf = Vec::new();
        loop {
            match s.read_buf(&mut buf).await {
                Ok(0) | Err(_) => return String::from_utf8_lossy(&buf).into_owned(),
                Ok(_) => {}
            }
        }
    })
    .await
    .ok()
}

/// Reads one response (head and a `Content-Length` body, or an interim head); panics if
/// none arrives within [`WAIT`].
async fn read_response(s: &mut TcpStream) -> String {
    timeout(WAIT, async {
        let mut buf = Vec::new();
        loop {
            let text = String::from_utf8_lossy(&buf).into_owned();
            if let Some(end) = text.find("\r\n\r\n") {
                let head = &text[..end];
                let len = head
                    .lines()
                    .find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case("content-length")
                            .then(|| v.trim().parse::<usize>().ok())?
                    })
                    .unwrap_or(0);
                if buf.len() >= end + 4 + len {
                    return text;
                }
            }
            let n = s.read_buf(&mut buf).await.expect("read");
            assert!(n > 0, "the connection closed before a response: {text:?}");
        }
    })
    .await
    .expect("no response in time")
}

/// A server with these header-read and idle deadlines, and what else `more` changes.
async fn server(
    header_read: Duration,
    idle: Duration,
    more: impl FnOnce(&mut ServerConfig),
) -> TestApp {
    TestApp::spawn_adjusted(Backend::Sqlite, |c| {
        c.header_read_timeout = header_read;
        c.idle_timeout = idle;
        more(c);
    })
    .await
}

const HEALTHZ: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: keyward\r\n\r\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_that_sends_half_a_request_head_is_closed() {
    let app = server(SHORT, LONG, |_| {}).await;
    let mut half = connect(&app).await;
    half.write_all(b"GET /healthz HTTP/1.1\r\nHost: keyward\r\n")
        .await
        .unwrap();
    let mut silent = connect(&app).await;
    assert!(
        read_until_closed(&mut half).await.is_some(),
        "a connection with half a request head was kept open"
    );
    assert!(
        read_until_closed(&mut silent).await.is_some(),
        "a connection that never sent a request was kept open"
    );
    // The server itself is fine.
    assert_eq!(send(app.http.get(app.url("/healthz"))).await.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_keep_alive_connection_is_closed() {
    let app = server(LONG, SHORT, |_| {}).await;
    let mut s = connect(&app).await;
    s.write_all(HEALTHZ).await.unwrap();
    let res = read_response(&mut s).await;
    assert!(res.starts_with("HTTP/1.1 200"), "{res}");
    assert!(
        read_until_closed(&mut s).await.is_some(),
        "an idle keep-alive connection was kept open"
    );
}

/// The header deadline does not cut a kept-alive connection that waits for its next
/// request: that wait has the idle deadline.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_alive_connection_waits_for_its_next_request_under_the_idle_deadline() {
    let app = server(SHORT, LONG, |_| {}).await;
    let mut kept = connect(&app).await;
    kept.write_all(HEALTHZ).await.unwrap();
    assert!(read_response(&mut kept).await.starts_with("HTTP/1.1 200"));
    // A connection opened now and never used is closed at the header deadline; by then
    // the kept-alive one has been idle at least that long.
    let mut silent = connect(&app).await;
    assert!(read_until_closed(&mut silent).await.is_some());
    kept.write_all(HEALTHZ).await.unwrap();
    let res = read_response(&mut kept).await;
    assert!(res.starts_with("HTTP/1.1 200"), "{res}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_body_that_does_not_arrive_in_time_gets_408_and_the_connection_closes() {
    let app = server(LONG, LONG, |c| c.body_read_timeout = SHORT).await;
    let mut s = connect(&app).await;
    s.write_all(
        b"POST /api/v1/verify HTTP/1.1\r\nHost: keyward\r\nContent-Type: application/json\r\n\
          Content-Length: 100\r\n\r\n{\"token\": ",
    )
    .await
    .unwrap();
    let res = read_until_closed(&mut s)
        .await
        .expect("a request whose body never arrived was kept open");
    assert!(res.starts_with("HTTP/1.1 408"), "{res}");
    assert!(res.contains("application/problem+json"), "{res}");
    assert!(res.contains("\"code\":\"request_timeout\""), "{res}");
}

/// With the cap at N and N connections idle, a new connection gets its answer: the
/// connection that has been idle longest is closed to make room.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_the_connection_cap_the_longest_idle_connection_makes_room_for_healthz() {
    const CAP: usize = 4;
    let app = server(LONG, LONG, |c| c.max_connections = CAP).await;
    let mut idle = Vec::new();
    for _ in 0..CAP {
        let mut s = connect(&app).await;
        // Served once, so each is known to the server, then left idle.
        s.write_all(HEALTHZ).await.unwrap();
        assert!(read_response(&mut s).await.starts_with("HTTP/1.1 200"));
        idle.push(s);
    }
    let res = timeout(WAIT, app.http.get(app.url("/healthz")).send())
        .await
        .expect("/healthz did not answer at the connection cap")
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        read_until_closed(&mut idle[0]).await.is_some(),
        "the longest idle connection was not closed to make room"
    );
}

/// A busy connection is not cut to make room: the new connection waits until it is done.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_the_connection_cap_a_new_connection_waits_for_a_busy_one_to_finish() {
    let app = server(LONG, LONG, |c| {
        c.body_read_timeout = LONG;
        c.max_connections = 1;
    })
    .await;
    let body = json!({"token": "kwa_nope", "tenant": "acme"}).to_string();
    let (first, rest) = body.split_at(5);
    let mut busy = connect(&app).await;
    busy.write_all(
        format!(
            "POST /api/v1/verify HTTP/1.1\r\nHost: keyward\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nExpect: 100-continue\r\n\r\n{first}",
            body.len()
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    // `100 Continue` comes when the handler reads the body: the request is in flight.
    let interim = read_response(&mut busy).await;
    assert!(interim.starts_with("HTTP/1.1 100"), "{interim}");

    let http = app.http.clone();
    let url = app.url("/healthz");
    let waiting = tokio::spawn(async move { http.get(url).send().await.map(|r| r.status()) });

    busy.write_all(rest.as_bytes()).await.unwrap();
    let done = read_until_closed(&mut busy)
        .await
        .expect("the busy connection did not make room after its response");
    assert!(done.contains("HTTP/1.1 200"), "{done}");
    assert!(done.contains("NOT_FOUND"), "{done}");
    let status = timeout(WAIT, waiting)
        .await
        .expect("the waiting connection was not served once room was made")
        .unwrap()
        .unwrap();
    assert_eq!(status, 200);
}

async fn shutdown(backend: Backend) {
    let (app, stop, served) = TestApp::spawn_stoppable(backend, |c| {
        c.header_read_timeout = LONG;
        c.idle_timeout = LONG;
        c.body_read_timeout = LONG;
        c.shutdown_grace = Duration::from_secs(1);
        // Only the write at shutdown can record the last use.
        c.flush_interval = LONG;
    })
    .await;
    let (_, id, secret) = app.svc_with_token("t").await;
    assert_eq!(app.verify(&secret, None).await, "VALID");

    let mut half_head = connect(&app).await;
    half_head
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: keyward\r\n")
        .await
        .unwrap();
    let mut idle = connect(&app).await;
    idle.write_all(HEALTHZ).await.unwrap();
    assert!(read_response(&mut idle).await.starts_with("HTTP/1.1 200"));
    let mut slow_body = connect(&app).await;
    slow_body
        .write_all(
            b"POST /api/v1/verify HTTP/1.1\r\nHost: keyward\r\nContent-Type: application/json\r\n\
              Content-Length: 100\r\nExpect: 100-continue\r\n\r\n{\"tok",
        )
        .await
        .unwrap();
    assert!(read_response(&mut slow_body)
        .await
        .starts_with("HTTP/1.1 100"));

    stop.send(()).unwrap();
    timeout(WAIT, served)
        .await
        .expect("shutdown did not end within its grace period while slow clients were connected")
        .unwrap()
        .expect("serve");
    for (name, s) in [
        ("half a head", &mut half_head),
        ("idle", &mut idle),
        ("slow body", &mut slow_body),
    ] {
        assert!(
            read_until_closed(s).await.is_some(),
            "the {name} connection outlived the server"
        );
    }

    let store = app.other_store().await;
    let t = store
        .token(app.tenant_id.parse().unwrap(), id.parse().unwrap())
        .await
        .unwrap();
    assert!(
        t.token.last_used_at.is_some(),
        "the last use was not written at shutdown"
    );
    store.close().await;
}
