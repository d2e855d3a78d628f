//! The headers every response of keyward's origin carries. The console, the REST API,
//! the API viewer at `/docs`, the verification routes and the hosted `/e/` endpoints share
//! one origin, so a page of one that can be framed or sniffed is a way into all of them.
//! A route that sets one of these headers itself keeps its own (the console has a stricter
//! content security policy, and the viewer a looser one that its scripts need).

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

/// For responses that are not pages: nothing may load, and nothing may frame them.
pub const DEFAULT_CSP: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// For the vendored Swagger UI at `/docs`: its page loads only its own files (the
/// initializer is a file too, so no inline script is needed), fetches the OpenAPI
/// document and, with "Try it out", the API, all from this origin. Its stylesheet draws
/// icons from `data:` URLs. The one inline style is the `<style>` inside the logo's SVG,
/// allowed by its hash (of Swagger UI 5.17.14; the browser test fails on any violation,
/// so an upgrade that changes it is noticed).
pub const DOCS_CSP: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self' 'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='; img-src 'self' data:; \
     connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// A year, the value HSTS preload lists ask for. No `includeSubDomains`: keyward cannot
/// know what else runs on sibling names.
const HSTS: &str = "max-age=31536000";

/// Adds what `res` does not already say. `https` is whether keyward is reached over TLS
/// (its public URL), which is when browsers should be told never to use plain HTTP.
pub fn apply(mut res: Response, https: bool) -> Response {
    let h = res.headers_mut();
    for (name, value) in DEFAULTS {
        set_default(h, name, value);
    }
    if https {
        set_default(h, header::STRICT_TRANSPORT_SECURITY, HSTS);
    }
    res
}

/// What [`apply`] adds to every answer that does not say otherwise, over plain HTTP and
/// TLS alike. An answer prepared once (forward auth's) carries them already, so that
/// `apply` finds each in place.
pub const DEFAULTS: [(HeaderName, &str); 5] = [
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::CONTENT_SECURITY_POLICY, DEFAULT_CSP),
    (header::REFERRER_POLICY, "no-referrer"),
    // Every API answer may carry a secret (a new token, a revealed one, a session) or a
    // tenant's data; no cache, shared or private, may keep one. Static files say
    // otherwise themselves.
    (header::CACHE_CONTROL, "no-store"),
];

/// An answer of `status` with `body` of `content_type`, in a header map made big enough
/// at once for its type, its length, the [`DEFAULTS`] (so that [`apply`] finds them in
/// place) and `extra` headers its caller adds: the map never grows. The answers of
/// checks and refusals are made this way, by the thousand a second.
pub fn json_response(
    status: StatusCode,
    content_type: &'static str,
    body: Vec<u8>,
    extra: usize,
) -> Response {
    let mut h = HeaderMap::with_capacity(2 + DEFAULTS.len() + extra);
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
    for (name, value) in DEFAULTS {
        h.insert(name, HeaderValue::from_static(value));
    }
    let mut res = Response::new(Body::from(body));
    *res.status_mut() = status;
    *res.headers_mut() = h;
    res
}

fn set_default(h: &mut HeaderMap, name: HeaderName, value: &'static str) {
    if !h.contains_key(&name) {
        h.insert(name, HeaderValue::from_static(value));
    }
}

/// The API viewer's own policy, on its pages and files under `/docs` (the OpenAPI
/// document keeps the default). Its files are the same for everyone, so they may be
/// kept by a browser, checked again on each use.
pub async fn docs(req: Request, next: Next) -> Response {
    let is_viewer = req.uri().path().starts_with("/docs");
    let mut res = next.run(req).await;
    if is_viewer {
        let h = res.headers_mut();
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(DOCS_CSP),
        );
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }
    res
}
