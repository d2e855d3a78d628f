//! [`Receiver`]: a small webhook receiver on a loopback port, for the webhook tests. It
//! records every request it is sent and answers 204, or 500 to as many as it is told to
//! fail.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One request a [`Receiver`] was sent, and what it answered.
#[derive(Clone, Debug)]
pub struct Received {
    pub id: String,
    pub timestamp: String,
    pub signature: String,
    pub content_type: String,
    pub body: String,
    pub answered: u16,
}

impl Received {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("a webhook body is JSON")
    }

    pub fn delivered(&self) -> bool {
        (200..300).contains(&self.answered)
    }
}

#[derive(Default)]
struct Inbox {
    got: Vec<Received>,
    fail_next: usize,
}

#[derive(Clone)]
pub struct Receiver {
    /// `http://127.0.0.1:{port}/hook`.
    pub url: String,
    inbox: Arc<Mutex<Inbox>>,
}

async fn take(State(inbox): State<Arc<Mutex<Inbox>>>, h: HeaderMap, body: Bytes) -> StatusCode {
    let header = |n: &str| {
        h.get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let mut inbox = inbox.lock().unwrap();
    let answered = if inbox.fail_next > 0 {
        inbox.fail_next -= 1;
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::NO_CONTENT
    };
    inbox.got.push(Received {
        id: header("webhook-id"),
        timestamp: header("webhook-timestamp"),
        signature: header("webhook-signature"),
        content_type: header("content-type"),
        body: String::from_utf8_lossy(&body).into_owned(),
        answered: answered.as_u16(),
    });
    answered
}

impl Receiver {
    pub async fn start() -> Self {
        let inbox = Arc::new(Mutex::new(Inbox::default()));
        let app = axum::Router::new()
            .route("/hook", axum::routing::post(take))
            .with_state(inbox.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a receiver");
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, inbox }
    }

    /// Answers 500 to the next `n` requests.
    pub fn fail_next(&self, n: usize) {
        self.inbox.lock().unwrap().fail_next = n;
    }

    /// Every request so far, in the order they came.
    pub fn received(&self) -> Vec<Received> {
        self.inbox.lock().unwrap().got.clone()
    }

    /// The requests it answered 2xx to.
    pub fn delivered(&self) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(Received::delivered)
            .collect()
    }

    /// Waits (up to 20 s) until `n` requests were answered 2xx, and returns them.
    pub async fn wait_delivered(&self, n: usize) -> Vec<Received> {
        self.wait_until(|r| r.iter().filter(|x| x.delivered()).count() >= n)
            .await;
        self.delivered()
    }

    /// Waits (up to 20 s) until what was received satisfies `done`.
    pub async fn wait_until(&self, done: impl Fn(&[Received]) -> bool) {
        for _ in 0..400 {
            if done(&self.received()) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "the receiver did not get what was expected in 20 s: {:#?}",
            self.received()
        );
    }
}
