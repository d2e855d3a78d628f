//! What every request passes through once, around the router: the refusal of control
//! characters in its address, the default body limit, and the security headers of its
//! answer.
//!
//! These were layers of the router (`Router::layer`), which wraps every route in each
//! of them separately: a request then paid, per layer, a clone of a boxed service and a
//! boxed future, before and after its handler. The checks of SPEC §4 are answered in a
//! few microseconds, so that was a large share of their cost (a profile of forward auth
//! in BENCHMARKS.md). One service in front of the router does the same work once, in
//! line, with no allocation of its own.
//!
//! Request tracing (`tower_http`'s `TraceLayer`) stays a layer of the router, where the
//! matched route is known, and is added only when its spans would be recorded at all
//! (`KEYWARD_LOG` at debug): see `App::router`. When it is off, the checks of forward
//! auth and verify are answered here without the router ([`crate::api::verify::direct`]).

use crate::console::Console;
use crate::error::refused;
use crate::input::uri_has_control;
use crate::state::AppState;
use axum::extract::{DefaultBodyLimit, Request};
use axum::response::{IntoResponse, Response};
use axum::routing::future::RouteFuture;
use axum::Router;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

/// The application as one service: the router, behind what every request passes.
#[derive(Clone)]
pub struct Edge {
    router: Router,
    /// For the checks answered without the router ([`crate::api::verify::direct`]);
    /// `None` when every request is routed (while request tracing is on, so that each
    /// has its span).
    direct: Option<AppState>,
    console: Arc<Console>,
    /// Whether keyward is reached over TLS (its public URL): HSTS is sent then.
    https: bool,
    body_limit: usize,
}

impl Edge {
    pub fn new(
        router: Router,
        direct: Option<AppState>,
        console: Arc<Console>,
        https: bool,
        body_limit: usize,
    ) -> Self {
        Self {
            router,
            direct,
            console,
            https,
            body_limit,
        }
    }

    /// Whether forward auth and verify are answered without the router.
    pub fn answers_directly(&self) -> bool {
        self.direct.is_some()
    }

    /// The refusal of an address that holds a percent-encoded control character, before
    /// any route decodes it: a problem document, or the console's error page under
    /// `/console`.
    fn refuse_address(&self, req: &Request) -> Response {
        let e = refused("the request's address (path or query string)");
        if req.uri().path().starts_with("/console") {
            let lang = crate::console::session::request_lang(req.headers(), None);
            self.console.error_page(lang, &e)
        } else {
            e.into_response()
        }
    }
}

impl tower::Service<Request> for Edge {
    type Response = Response;
    type Error = Infallible;
    type Future = EdgeFuture;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        // A router is always ready.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut req: Request) -> EdgeFuture {
        let target = req.uri().path_and_query().map_or("", |p| p.as_str());
        if uri_has_control(target) {
            let res = crate::security_headers::apply(self.refuse_address(&req), self.https);
            return EdgeFuture {
                state: State::Done { res: Some(res) },
            };
        }
        // A body already at its end (a GET, a check by forward auth) has nothing to
        // limit, and the limit is an allocation in the request's extensions.
        if !hyper::body::Body::is_end_stream(req.body()) {
            DefaultBodyLimit::max(self.body_limit).apply(&mut req);
        }
        let https = self.https;
        if let Some(st) = &self.direct {
            if let Some(check) = crate::api::verify::direct_check(&req) {
                let answer = crate::api::verify::direct(st, check, req);
                return EdgeFuture {
                    state: State::Direct { answer, https },
                };
            }
        }
        EdgeFuture {
            state: State::Routed {
                inner: tower::Service::call(&mut self.router, req),
                https,
            },
        }
    }
}

pin_project_lite::pin_project! {
    /// The answer of [`Edge`]: the router's, with the security headers added.
    pub struct EdgeFuture {
        #[pin]
        state: State,
    }
}

pin_project_lite::pin_project! {
    #[project = StateProj]
    enum State {
        Routed { #[pin] inner: RouteFuture<Infallible>, https: bool },
        Direct { answer: crate::api::verify::Direct, https: bool },
        Done { res: Option<Response> },
    }
}

impl Future for EdgeFuture {
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().state.project() {
            StateProj::Routed { inner, https } => inner
                .poll(cx)
                .map(|r| r.map(|res| crate::security_headers::apply(res, *https))),
            StateProj::Direct { answer, https } => answer
                .as_mut()
                .poll(cx)
                .map(|res| Ok(crate::security_headers::apply(res, *https))),
            StateProj::Done { res } => {
                Poll::Ready(Ok(res.take().expect("an edge future is polled once done")))
            }
        }
    }
}
