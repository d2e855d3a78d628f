//! The yardstick of the load test (bench/load.sh): a bare axum server with no keyward in
//! it. `GET /bare` answers 200 with an empty body; `POST /bare` parses a small JSON body
//! and answers a small JSON. Usage: `bare 127.0.0.1:9001`.

use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
struct Request {
    token: String,
    /// Parsed like keyward's own verify body, which names the tenant of the check.
    #[serde(default)]
    tenant: String,
}

#[derive(Serialize)]
struct Response {
    valid: bool,
    length: usize,
}

async fn post(Json(r): Json<Request>) -> Json<Response> {
    Json(Response {
        valid: !r.token.is_empty(),
        length: r.token.len() + r.tenant.len(),
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9001".into());
    let app = Router::new().route("/bare", get(|| async {}).post(post));
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    eprintln!("bare: listening on {addr}");
    axum::serve(listener, app).await?;
    Ok(())
}
