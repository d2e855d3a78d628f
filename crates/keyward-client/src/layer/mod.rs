//! [`KeywardLayer`]: a tower layer that lets a Rust HTTP service accept keyward tokens. It
//! reads `Authorization: Bearer`, asks keyward (`POST /api/v1/verify`, with the service's
//! verifier key, so for that key's tenant), and either hands the request on with the
//! verified [`Principal`] in its extensions or answers as RFC 6750 says: 401 with a
//! `WWW-Authenticate: Bearer` challenge, 403 `insufficient_scope`, and 503 when keyward
//! cannot answer (it fails closed). Answers are kept for a short bound; see
//! [`KeywardLayer::max_age`].

mod cache;
mod principal;

use crate::{Client, Secret};
use cache::Cache;
use http::header::{AUTHORIZATION, RETRY_AFTER, WWW_AUTHENTICATE};
use http::{Extensions, HeaderMap, HeaderName, HeaderValue, Request, Response, StatusCode};
use keyward_core::{Permission, VerifyCode};
use keyward_proto::verify::VerifyRequest;
pub use principal::Principal;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use time::OffsetDateTime;

/// How long an answer is kept unless [`KeywardLayer::max_age`] says otherwise.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(5);
/// How many answers are kept unless [`KeywardLayer::max_entries`] says otherwise.
pub const DEFAULT_MAX_ENTRIES: usize = 10_000;

const KEYWARD_CODE: HeaderName = HeaderName::from_static("x-keyward-code");

/// Protects the routes it wraps with keyward's checks. Cheap to clone; the clones made
/// by [`require`](Self::require) share one cache, so a service can carry one layer per
/// route, each asking its own permission:
///
/// ```no_run
/// # fn example() -> Result<(), keyward_client::Error> {
/// use keyward_client::{Client, KeywardLayer};
/// let keyward = KeywardLayer::new(Client::new("http://127.0.0.1:8080", None)?, "kwv_…");
/// let orders = keyward.clone().require("orders:read");
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct KeywardLayer {
    shared: Arc<Shared>,
    permission: Option<Arc<str>>,
}

struct Shared {
    client: Client,
    key: Secret,
    settings: Settings,
    cache: Cache,
}

/// What the builder methods set; a change starts a new cache.
#[derive(Clone)]
struct Settings {
    realm: HeaderValue,
    max_age: Duration,
    max_entries: usize,
    address: Option<Address>,
}

/// Where a request comes from, as the service knows it (see
/// [`KeywardLayer::client_address`]).
type Address = Arc<dyn Fn(&HeaderMap, &Extensions) -> Option<IpAddr> + Send + Sync>;

impl std::fmt::Debug for KeywardLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeywardLayer")
            .field("server", &self.shared.client.base_url())
            .field("permission", &self.permission)
            .field("max_age", &self.shared.settings.max_age)
            .field("max_entries", &self.shared.settings.max_entries)
            .field("client_address", &self.shared.settings.address.is_some())
            .finish_non_exhaustive()
    }
}

impl KeywardLayer {
    /// Checks tokens with `client`'s server, authenticated by `verifier_key` (a `kwv_…`
    /// an administrator created for this service): every check is for the key's tenant,
    /// so a token of another tenant is refused. The client needs no administrator token.
    /// A request waits for keyward at most the client's timeout, then gets 503: give the
    /// client a short one ([`Client::with_timeout`]), as the default (30 seconds) suits
    /// the command line rather than a service's callers.
    pub fn new(client: Client, verifier_key: impl Into<String>) -> Self {
        let settings = Settings {
            realm: HeaderValue::from_static("Bearer realm=\"keyward\""),
            max_age: DEFAULT_MAX_AGE,
            max_entries: DEFAULT_MAX_ENTRIES,
            address: None,
        };
        Self::with(client, Secret::new(verifier_key), settings, None)
    }

    fn with(client: Client, key: Secret, settings: Settings, permission: Option<Arc<str>>) -> Self {
        let cache = Cache::new(settings.max_age, settings.max_entries);
        Self {
            shared: Arc::new(Shared {
                client,
                key,
                settings,
                cache,
            }),
            permission,
        }
    }

    /// The same layer, asking keyward whether the token has `permission` (e.g.
    /// `orders:read`): keyward decides, with its own rules (wildcards included), and a
    /// good token without it gets 403 `insufficient_scope`. Shares this layer's cache.
    ///
    /// # Panics
    /// If `permission` is not one keyward could grant (it is a constant of the program,
    /// like a route's path: better refused at start than never matched).
    pub fn require(self, permission: &str) -> Self {
        let p = Permission::parse(permission).unwrap_or_else(|e| panic!("{e}"));
        Self {
            permission: Some(p.as_str().into()),
            ..self
        }
    }

    /// How long an answer of keyward is kept (default 5 seconds; zero keeps none). This
    /// is the staleness a revocation may have at this service: a token revoked in
    /// keyward is refused here at the latest this long after. A good answer is never
    /// kept past the token's own expiry, nor a rate limit past its end. Set it before
    /// [`require`](Self::require): it starts a new, empty cache.
    pub fn max_age(self, max_age: Duration) -> Self {
        self.reconfigured(|s| s.max_age = max_age)
    }

    /// How many answers are kept at most (default 10,000; below 2 keeps none). The
    /// oldest half is dropped when the bound is reached. Set it before
    /// [`require`](Self::require): it starts a new, empty cache.
    pub fn max_entries(self, max_entries: usize) -> Self {
        self.reconfigured(|s| s.max_entries = max_entries)
    }

    /// The realm named in the `WWW-Authenticate` challenge (default `keyward`).
    ///
    /// # Panics
    /// If `realm` holds a quote, a backslash or a character that is not visible ASCII
    /// or a space: the challenge could not carry it.
    pub fn realm(self, realm: &str) -> Self {
        let plain =
            realm.chars().all(|c| c == ' ' || c.is_ascii_graphic()) && !realm.contains(['"', '\\']);
        let value = HeaderValue::from_str(&format!("Bearer realm=\"{realm}\""))
            .ok()
            .filter(|_| plain)
            .unwrap_or_else(|| panic!("the realm {realm:?} cannot be sent in a challenge"));
        self.reconfigured(|s| s.realm = value)
    }

    /// Where requests come from, for the tokens keyward allows only from some addresses
    /// (`allowed_cidrs`): `address` reads the client's address from the request's
    /// headers or extensions, and keyward checks the token against it. Without it,
    /// keyward sees this service's own address, so a token allowed from the service's
    /// network passes whoever presents it. With axum, the peer of the connection (and
    /// the router served with `into_make_service_with_connect_info::<SocketAddr>()`):
    ///
    /// ```no_run
    /// # use axum::extract::ConnectInfo;
    /// # use std::net::SocketAddr;
    /// # fn example(keyward: keyward_client::KeywardLayer) -> keyward_client::KeywardLayer {
    /// keyward.client_address(|_, ext| ext.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()))
    /// # }
    /// ```
    ///
    /// A request whose address `address` cannot tell is checked without one, as
    /// without this setting. Set it before [`require`](Self::require): it starts a new,
    /// empty cache.
    pub fn client_address(
        self,
        address: impl Fn(&HeaderMap, &Extensions) -> Option<IpAddr> + Send + Sync + 'static,
    ) -> Self {
        self.reconfigured(|s| s.address = Some(Arc::new(address)))
    }

    fn reconfigured(self, change: impl FnOnce(&mut Settings)) -> Self {
        let s = &self.shared;
        let mut settings = s.settings.clone();
        change(&mut settings);
        Self::with(s.client.clone(), s.key.clone(), settings, self.permission)
    }

    /// keyward's answer for the request's token: the principal, or why not.
    async fn check(
        &self,
        headers: &HeaderMap,
        extensions: &Extensions,
    ) -> Result<Principal, Refusal> {
        let token = bearer(headers).ok_or(Refusal::NoToken)?;
        let ip = (self.shared.settings.address.as_ref()).and_then(|f| f(headers, extensions));
        let cache = &self.shared.cache;
        let key = cache.key(token, self.permission.as_ref(), ip);
        let answer = match cache.get(&key, Instant::now()) {
            Some(answer) => answer,
            None => {
                let (answer, at_most) = self.ask(token, ip).await?;
                cache.put(key, answer.clone(), at_most, Instant::now());
                answer
            }
        };
        match answer {
            Answer::Valid(p) => Ok((*p).clone()),
            Answer::Refused(r) => Err(Refusal::Refused(r)),
        }
    }

    /// Asks keyward; the answer and how long it may be kept at most (beside the bound).
    async fn ask(
        &self,
        token: &str,
        ip: Option<IpAddr>,
    ) -> Result<(Answer, Option<Duration>), Refusal> {
        let req = VerifyRequest {
            token: Secret::new(token),
            tenant: None,
            permission: self.permission.as_deref().map(str::to_string),
            department_id: None,
            ip,
        };
        let res = self
            .shared
            .client
            .verify_with_key(&self.shared.key, &req)
            .await
            .map_err(|e| match e.status() {
                Some(400..=499) => Refusal::Misconfigured,
                _ => Refusal::Unavailable,
            })?
            .into_inner();
        if res.valid {
            let left = res.expires_at.map(|at| {
                let left = at - OffsetDateTime::now_utc();
                left.try_into().unwrap_or(Duration::ZERO)
            });
            let p = Principal::of(res).ok_or(Refusal::Unavailable)?;
            return Ok((Answer::Valid(Arc::new(p)), left));
        }
        let at_most = res.retry_after.map(Duration::from_secs);
        let answer = Answer::Refused(Rejection {
            code: res.code,
            message: res.message,
            retry_after: res.retry_after,
        });
        Ok((answer, at_most))
    }
}

/// One answer of keyward, as the cache keeps it.
#[derive(Clone)]
enum Answer {
    Valid(Arc<Principal>),
    Refused(Rejection),
}

/// keyward's refusal of a token: its code and message, and for `RATE_LIMITED` when to
/// come back.
#[derive(Clone)]
struct Rejection {
    code: VerifyCode,
    message: String,
    retry_after: Option<u64>,
}

/// Why a request does not reach the service.
enum Refusal {
    /// No `Authorization: Bearer` with a token in it.
    NoToken,
    /// keyward refused the token.
    Refused(Rejection),
    /// keyward could not be asked, or could not answer (unreachable, too slow, storage
    /// down): the request is refused, never let through.
    Unavailable,
    /// keyward refused the question itself: the verifier key is not a live one (revoked,
    /// deleted, mistyped). The same 503, with its own code for the operator.
    Misconfigured,
}

impl Refusal {
    /// The answer RFC 6750 gives: a bare challenge when no token was sent, `invalid_token`
    /// for a refused one, `insufficient_scope` for a good token lacking the permission
    /// (or used from an address it is not allowed from). The body is empty; the code is
    /// in `X-Keyward-Code`, as keyward's forward auth sends it.
    fn response<B: Default>(self, realm: &HeaderValue) -> Response<B> {
        let (status, error, code, retry_after) = match self {
            Self::NoToken => (StatusCode::UNAUTHORIZED, None, "no_token", None),
            Self::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                None,
                "verifier_unavailable",
                None,
            ),
            Self::Misconfigured => (
                StatusCode::SERVICE_UNAVAILABLE,
                None,
                "verifier_key_refused",
                None,
            ),
            Self::Refused(Rejection {
                code,
                message,
                retry_after,
            }) => {
                let (status, error) = match code {
                    VerifyCode::Forbidden | VerifyCode::IpNotAllowed => {
                        (StatusCode::FORBIDDEN, "insufficient_scope")
                    }
                    VerifyCode::RateLimited => (StatusCode::TOO_MANY_REQUESTS, "invalid_token"),
                    _ => (StatusCode::UNAUTHORIZED, "invalid_token"),
                };
                let detail = format!("{}: {message}", code.as_str());
                (status, Some((error, detail)), code.as_str(), retry_after)
            }
        };
        let mut res = Response::new(B::default());
        *res.status_mut() = status;
        let h = res.headers_mut();
        h.insert(KEYWARD_CODE, HeaderValue::from_static(code));
        if status == StatusCode::SERVICE_UNAVAILABLE {
            return res;
        }
        h.insert(WWW_AUTHENTICATE, challenge(realm, error));
        if let Some(secs) = retry_after {
            h.insert(RETRY_AFTER, HeaderValue::from(secs));
        }
        res
    }
}

/// `Bearer realm="…"`, with `error` and `error_description` when a token was refused.
fn challenge(realm: &HeaderValue, error: Option<(&str, String)>) -> HeaderValue {
    let Some((error, detail)) = error else {
        return realm.clone();
    };
    // The description is keyward's message: keep what a quoted string can carry.
    let detail: String = detail
        .chars()
        .filter(|c| (*c == ' ' || c.is_ascii_graphic()) && !matches!(c, '"' | '\\'))
        .collect();
    let mut v = realm.as_bytes().to_vec();
    v.extend_from_slice(format!(", error=\"{error}\", error_description=\"{detail}\"").as_bytes());
    HeaderValue::from_bytes(&v).unwrap_or_else(|_| realm.clone())
}

/// The token of `Authorization: Bearer <token>` (the scheme in any case, RFC 7235).
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim_matches(' ');
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

impl<S> tower_layer::Layer<S> for KeywardLayer {
    type Service = Keyward<S>;

    fn layer(&self, inner: S) -> Keyward<S> {
        Keyward {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service [`KeywardLayer`] wraps around the inner one.
#[derive(Clone, Debug)]
pub struct Keyward<S> {
    inner: S,
    layer: KeywardLayer,
}

impl<S, ReqBody, ResBody> tower_service::Service<Request<ReqBody>> for Keyward<S>
where
    S: tower_service::Service<Request<ReqBody>, Response = Response<ResBody>>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    ReqBody: Send + 'static,
    ResBody: Default + Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response<ResBody>, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<ReqBody>) -> Self::Future {
        // The service that was polled ready goes with this request; a clone stays.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let layer = self.layer.clone();
        Box::pin(async move {
            match layer.check(req.headers(), req.extensions()).await {
                Ok(principal) => {
                    req.extensions_mut().insert(principal);
                    inner.call(req).await
                }
                Err(refusal) => Ok(refusal.response(&layer.shared.settings.realm)),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(authorization: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, HeaderValue::from_str(authorization).unwrap());
        h
    }

    #[test]
    fn the_bearer_token_is_read_in_any_case_of_the_scheme() {
        assert_eq!(bearer(&headers("Bearer kwa_x")), Some("kwa_x"));
        assert_eq!(bearer(&headers("bearer  kwa_x ")), Some("kwa_x"));
        assert_eq!(bearer(&headers("Basic dXNlcjpwYXNz")), None);
        assert_eq!(bearer(&headers("Bearer ")), None);
        assert_eq!(bearer(&headers("Bearer")), None);
        assert_eq!(bearer(&HeaderMap::new()), None);
    }

    #[test]
    fn a_refusal_names_the_error_and_keywards_code() {
        let realm = HeaderValue::from_static("Bearer realm=\"orders\"");
        let res: Response<()> = Refusal::Refused(Rejection {
            code: VerifyCode::Revoked,
            message: "the token was \"revoked\"".into(),
            retry_after: None,
        })
        .response(&realm);
        assert_eq!(res.status(), 401);
        assert_eq!(
            res.headers()[WWW_AUTHENTICATE],
            "Bearer realm=\"orders\", error=\"invalid_token\", error_description=\"REVOKED: the token was revoked\""
        );
        assert_eq!(res.headers()[KEYWARD_CODE], "REVOKED");
        let res: Response<()> = Refusal::Refused(Rejection {
            code: VerifyCode::RateLimited,
            message: "slow down".into(),
            retry_after: Some(3),
        })
        .response(&realm);
        assert_eq!(res.status(), 429);
        assert_eq!(res.headers()[RETRY_AFTER], "3");
    }

    #[test]
    #[should_panic(expected = "cannot be sent")]
    fn a_realm_with_a_quote_is_refused_at_start() {
        let client = Client::new("http://127.0.0.1:1", None).unwrap();
        let _ = KeywardLayer::new(client, "kwv_x").realm("a\"b");
    }

    #[test]
    #[should_panic(expected = "invalid permission")]
    fn a_permission_keyward_could_not_grant_is_refused_at_start() {
        let client = Client::new("http://127.0.0.1:1", None).unwrap();
        let _ = KeywardLayer::new(client, "kwv_x").require("Orders Read");
    }
}
