//! Building and running the application: one function assembles storage, the verifier
//! and the router, and can serve on any listener (tests bind port 0).

use crate::config::{MetricsAccess, ServerConfig};
use crate::error::{problem, ApiError};
use crate::metrics::{Metrics, Scraped, CONTENT_TYPE};
use crate::state::AppState;
use crate::verifier::Verifier;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use keyward_store::{Backend, Store};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tower_http::trace::TraceLayer;
use tracing::Level;
use utoipa_swagger_ui::SwaggerUi;

pub struct App {
    pub state: AppState,
    /// The console's templates and translations (its own state, beside the application's).
    pub console: Arc<crate::console::Console>,
}

/// Request bodies larger than this are refused with 413.
pub const BODY_LIMIT: usize = 1024 * 1024;

impl App {
    pub async fn build(config: ServerConfig) -> anyhow::Result<Self> {
        let key = crate::keys::load_or_create(&config.data_dir, config.server_key.as_deref())?;
        let store = match &config.database_url {
            Some(url) => Store::open(url).await,
            None => Store::open_sqlite_dir(&config.data_dir).await,
        }
        .map_err(|e| anyhow::anyhow!("cannot open storage: {e}"))?;
        if store.backend() == Backend::Postgres && config.server_key.is_none() {
            tracing::warn!(
                "using PostgreSQL with a server key from the data directory: every node sharing this database \
                 must use the same key (set KEYWARD_SERVER_KEY)"
            );
        }
        // Single-tenant mode belongs to the database, so every node (and `bootstrap`)
        // sees the same: a flag sets or clears it; without one, a node follows it.
        if let Some(on) = config.single_tenant {
            store
                .set_single_tenant(on)
                .await
                .map_err(|e| anyhow::anyhow!("--single-tenant: {e}"))?;
        }
        let single_tenant = store
            .single_tenant()
            .await
            .map_err(|e| anyhow::anyhow!("cannot read the tenancy mode: {e}"))?;
        if single_tenant {
            tracing::info!(
                "single-tenant mode: checks that name no tenant are made for the one tenant"
            );
        }
        let rate = match &config.redis_url {
            Some(url) => crate::verifier::rate::RateLimiter::redis(url).await?,
            None => crate::verifier::rate::RateLimiter::local(),
        };
        let opts = crate::verifier::VerifierOptions {
            max_staleness: config.max_staleness,
            unknown_lookups_per_second: config.unknown_token_lookups,
            single_tenant,
        };
        let metrics = Arc::new(Metrics::new());
        let verifier = Verifier::new(store.clone(), key, opts, rate, metrics.clone())
            .await
            .map_err(|e| anyhow::anyhow!("cannot load token index: {e}"))?;
        let state = AppState::new(crate::state::Shared {
            store,
            verifier,
            metrics,
            login_limiter: Arc::new(crate::service::login::LoginLimiter::new(
                config.login_limits,
            )),
            passwords: Arc::new(crate::service::passwords::Passwords::new(
                config.password_work,
            )),
            config: Arc::new(config),
        });
        Ok(Self {
            state,
            console: Arc::new(crate::console::Console::new()),
        })
    }

    /// The routes, with request tracing when it is on. What every request passes besides
    /// (the address check, the body limit, the security headers) is [`Self::service`]'s.
    pub fn router(&self) -> Router {
        let (api, openapi) = crate::api::router();
        // No validator badge: it would send the document's address to a third party.
        let docs = Router::from(
            SwaggerUi::new("/docs")
                .url("/openapi.json", openapi)
                .config(utoipa_swagger_ui::Config::default().validator_url("none")),
        )
        .layer(axum::middleware::from_fn(crate::security_headers::docs));
        let api = if self.state.config.metrics == MetricsAccess::Main {
            api.route("/metrics", get(scrape))
        } else {
            api
        };
        let routes = api
            .merge(docs)
            .merge(crate::console::router(
                self.state.clone(),
                self.console.clone(),
            ))
            .fallback(|| async { ApiError::NotFound("route").into_response() })
            .method_not_allowed_fallback(|| async {
                problem(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "method_not_allowed",
                    "this route does not take that method".into(),
                    false,
                )
            });
        // A layer of the router wraps every route, and costs each request a boxed
        // service and future even when its spans are not recorded: it is added only when
        // they are.
        let routes = if traced() {
            // Spans name the route pattern, never the query string or headers, which
            // could carry a token.
            routes.layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
                let route = req
                    .extensions()
                    .get::<MatchedPath>()
                    .map_or("-", MatchedPath::as_str);
                tracing::debug_span!("request", method = %req.method(), route)
            }))
        } else {
            routes
        };
        routes.with_state(self.state.clone())
    }

    /// The whole application as one service: [`Self::router`] behind the
    /// [`Edge`](crate::edge::Edge) every request passes.
    pub fn service(&self) -> crate::edge::Edge {
        crate::edge::Edge::new(
            self.router(),
            (!traced()).then(|| self.state.clone()),
            self.console.clone(),
            self.state.config.public_url.starts_with("https://"),
            BODY_LIMIT,
        )
    }

    /// Serves until `shutdown` completes, then finishes requests in flight (for at most
    /// the configured grace period), closes every connection, and writes pending
    /// last-use times.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let service = self.service();
        let verifier = self.state.verifier.clone();
        let interval = self.state.config.flush_interval;
        let flusher = tokio::spawn(async move {
            let mut tick = tokio::time::interval(interval);
            loop {
                tick.tick().await;
                verifier.flush_last_used().await;
            }
        });
        let metrics = match self.state.config.metrics {
            MetricsAccess::Listen(addr) => Some(self.serve_metrics(addr).await?),
            MetricsAccess::Off | MetricsAccess::Main => None,
        };
        let feed = crate::feed::spawn(&self.state);
        let webhooks = crate::webhooks::spawn(&self.state);
        let preloader = self.state.verifier.clone();
        let preload = tokio::spawn(async move {
            if let Err(e) = preloader.preload().await {
                // Nothing is lost: each token is then read at its first check.
                tracing::warn!(error = %e, "could not preload the verifier cache");
            }
        });
        crate::connections::serve(
            listener,
            service,
            crate::connections::Limits::of(&self.state.config),
            shutdown,
        )
        .await;
        flusher.abort();
        if let Some(m) = metrics {
            m.abort();
        }
        feed.abort();
        webhooks.abort();
        preload.abort();
        self.state.verifier.flush_last_used().await;
        self.state.store.close().await;
        Ok(())
    }
}

impl App {
    /// Serves `GET /metrics` alone on `addr` (`--metrics-listen`), until the task is
    /// aborted. Its connections are few: one Prometheus, perhaps two.
    async fn serve_metrics(&self, addr: SocketAddr) -> anyhow::Result<JoinHandle<()>> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen for metrics on {addr}: {e}"))?;
        let bound = listener.local_addr()?;
        tracing::info!(address = %bound, "metrics are served at /metrics");
        let router = Router::new()
            .route("/metrics", get(scrape))
            .fallback(|| async { ApiError::NotFound("route").into_response() })
            .with_state(self.state.clone());
        let limits = crate::connections::Limits {
            max_connections: METRICS_CONNECTIONS,
            ..crate::connections::Limits::of(&self.state.config)
        };
        Ok(tokio::spawn(crate::connections::serve(
            listener,
            router,
            limits,
            std::future::pending(),
        )))
    }
}

/// Whether request spans are recorded (`KEYWARD_LOG` naming debug for keyward_server or
/// tower_http). The level is set once, at start.
fn traced() -> bool {
    tracing::enabled!(Level::DEBUG) || tracing::enabled!(target: "tower_http::trace", Level::DEBUG)
}

/// Connections the metrics listener serves at once.
const METRICS_CONNECTIONS: usize = 16;
/// A scrape waits this long for storage to count the tokens, then answers without them
/// (`keyward_storage_up 0`): the rest of what it reports needs no storage.
const SCRAPE_READ_TIMEOUT: Duration = Duration::from_secs(5);

/// `GET /metrics`: the counters, and what is read now (pools, feed, tokens per tenant).
async fn scrape(State(st): State<AppState>) -> Response {
    let tokens = match tokio::time::timeout(SCRAPE_READ_TIMEOUT, st.store.token_counts()).await {
        Ok(Ok(t)) => Some(t),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "metrics: cannot count the tokens");
            None
        }
        Err(_) => {
            tracing::warn!("metrics: counting the tokens timed out");
            None
        }
    };
    let scraped = Scraped {
        pools: st.store.pool_stats(),
        feed: st.verifier.feed_stats(),
        cached_answers: st.verifier.cached_answers(),
        preloaded: st.verifier.preloaded(),
        tokens,
    };
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE))],
        st.metrics.render(&scraped),
    )
        .into_response()
}

/// Completes on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down: finishing requests in flight");
}
