//! A small axum service whose routes keyward protects: `GET /me` takes any good token of
//! the tenant, `GET /orders` one that may `orders:read`. Run it beside a keyward server:
//!
//! ```sh
//! KEYWARD_URL=http://127.0.0.1:8080 KEYWARD_VERIFIER_KEY=kwv_… \
//!   cargo run -p keyward-client --features tower --example protected_service
//! curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:3000/orders
//! ```

use axum::extract::ConnectInfo;
use axum::routing::get;
use axum::{Extension, Router};
use keyward_client::{Client, KeywardLayer, Principal};
use std::net::SocketAddr;
use std::time::Duration;

/// The service's routes, each behind the layer with what it requires. keyward checks
/// each token's allowed addresses against the connection's peer (served with
/// `into_make_service_with_connect_info`, as `main` does).
pub fn router(keyward: KeywardLayer) -> Router {
    let keyward =
        keyward.client_address(|_, ext| ext.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()));
    Router::new()
        .route("/me", get(me).layer(keyward.clone()))
        .route("/orders", get(orders).layer(keyward.require("orders:read")))
}

async fn me(Extension(who): Extension<Principal>) -> String {
    format!(
        "{} of {} ({}): {}",
        who.user.username,
        who.department.name,
        who.user_type.name,
        who.permissions.join(" ")
    )
}

async fn orders(Extension(who): Extension<Principal>) -> String {
    format!("the orders {} may read", who.user.username)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("KEYWARD_URL").unwrap_or_else(|_| "http://127.0.0.1:8080".into());
    let key = std::env::var("KEYWARD_VERIFIER_KEY")
        .map_err(|_| "set KEYWARD_VERIFIER_KEY to a verifier key (kwv_…) of your tenant")?;
    // A caller waits at most this long for keyward before being refused (503).
    let client = Client::new(&url, None)?.with_timeout(Duration::from_secs(2));
    let keyward = KeywardLayer::new(client, key);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    println!("listening on http://127.0.0.1:3000, checking tokens with {url}");
    let app = router(keyward).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app).await?;
    Ok(())
}
