//! The connection to one keyward server: base URL, optional administrator token, and the
//! request plumbing every route method shares.

use crate::{Error, Secret};
use reqwest::{Method, RequestBuilder};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fmt;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A client for one keyward server. Cheap to clone (the connection pool is shared).
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    /// Without a trailing slash, so `base + "/api/v1/…"` is the route's URL.
    base: String,
    token: Option<Secret>,
    /// How long a request may take in all, from sending to the last byte of the answer.
    timeout: Duration,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl Client {
    /// `base_url` is the server's address (e.g. `http://127.0.0.1:8080`, or with a path
    /// prefix behind a proxy); `token` an administrator's API token (`kwa_…`), needed by
    /// every route except verification.
    pub fn new(base_url: &str, token: Option<String>) -> Result<Self, Error> {
        let url = reqwest::Url::parse(base_url).map_err(|e| Error::InvalidUrl {
            url: base_url.into(),
            reason: e.to_string(),
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Error::InvalidUrl {
                url: base_url.into(),
                reason: "use an http:// or https:// URL".into(),
            });
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(Error::InvalidUrl {
                url: base_url.into(),
                reason: "the server URL cannot have a query or fragment".into(),
            });
        }
        let http = reqwest::Client::builder()
            .user_agent(concat!("keyward-client/", env!("CARGO_PKG_VERSION")))
            .timeout(TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .build()
            .map_err(|e| Error::Setup(e.to_string()))?;
        Ok(Self {
            http,
            base: url.as_str().trim_end_matches('/').to_string(),
            token: token.filter(|t| !t.is_empty()).map(Secret::new),
            timeout: TIMEOUT,
        })
    }

    /// The same client, giving up on a request after `timeout` (default 30 seconds) with
    /// [`Error::Timeout`]. A service that checks every request with keyward wants a short
    /// one: its own callers wait that long before being refused.
    pub fn with_timeout(self, timeout: Duration) -> Self {
        Self { timeout, ..self }
    }

    /// The server's base URL, as requests use it.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// A request to an administrator route, with the bearer token.
    pub(crate) fn admin(&self, method: Method, path: &str) -> Result<RequestBuilder, Error> {
        let token = self.token.as_ref().ok_or(Error::MissingToken)?;
        Ok(self.anonymous(method, path).bearer_auth(token.expose()))
    }

    /// A request that carries no credential of its own (verification).
    pub(crate) fn anonymous(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .timeout(self.timeout)
    }

    /// Sends the request and decodes a JSON success body.
    pub(crate) async fn json<T: DeserializeOwned>(&self, req: RequestBuilder) -> Result<T, Error> {
        let body = self.send(req).await?;
        serde_json::from_slice(&body).map_err(|e| Error::Decode {
            url: self.base.clone(),
            reason: e.to_string(),
        })
    }

    /// Sends the request and expects a success without a body that matters (204).
    pub(crate) async fn empty(&self, req: RequestBuilder) -> Result<(), Error> {
        self.send(req).await.map(drop)
    }

    async fn send(&self, req: RequestBuilder) -> Result<Vec<u8>, Error> {
        let transport = |e| Error::from_transport(&self.base, self.timeout, e);
        let res = req.send().await.map_err(transport)?;
        let status = res.status();
        let body = res.bytes().await.map_err(transport)?;
        if status.is_success() {
            Ok(body.to_vec())
        } else {
            Err(Error::from_response(&self.base, status, &body))
        }
    }

    pub(crate) async fn get_at<T: DeserializeOwned>(&self, path: &str) -> Result<T, Error> {
        self.json(self.admin(Method::GET, path)?).await
    }

    pub(crate) async fn query_at<T: DeserializeOwned, Q: Serialize + ?Sized>(
        &self,
        path: &str,
        query: &Q,
    ) -> Result<T, Error> {
        self.json(self.admin(Method::GET, path)?.query(query)).await
    }

    pub(crate) async fn with_body<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        method: Method,
        path: &str,
        body: &B,
    ) -> Result<T, Error> {
        self.json(self.admin(method, path)?.json(body)).await
    }

    pub(crate) async fn delete_at(&self, path: &str) -> Result<(), Error> {
        self.empty(self.admin(Method::DELETE, path)?).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_base_url_loses_its_trailing_slash_and_keeps_a_path_prefix() {
        let c = Client::new("https://example.com/keyward/", None).unwrap();
        assert_eq!(c.base_url(), "https://example.com/keyward");
        let c = Client::new("http://127.0.0.1:8080", None).unwrap();
        assert_eq!(c.base_url(), "http://127.0.0.1:8080");
    }

    #[test]
    fn a_url_that_is_not_http_is_refused() {
        assert!(matches!(
            Client::new("ftp://example.com", None),
            Err(Error::InvalidUrl { .. })
        ));
        assert!(matches!(
            Client::new("localhost:8080x", None),
            Err(Error::InvalidUrl { .. })
        ));
    }

    #[test]
    fn debug_output_hides_the_token() {
        let c = Client::new("http://127.0.0.1:1", Some("kwa_secretvalue".into())).unwrap();
        assert!(!format!("{c:?}").contains("secretvalue"));
    }

    #[tokio::test]
    async fn an_unreachable_server_is_named_in_the_error() {
        // A port that was free a moment ago: nothing listens there.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let url = format!("http://127.0.0.1:{port}");
        let c = Client::new(&url, Some("kwa_x".into())).unwrap();
        let e = c.settings().await.unwrap_err();
        assert!(matches!(e, Error::Unreachable { .. }), "{e:?}");
        assert!(e.to_string().contains(&url), "{e}");
    }

    #[tokio::test]
    async fn a_server_that_does_not_answer_is_given_up_on_after_the_timeout() {
        // Accepts the connection and never answers.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let c = Client::new(&url, Some("kwa_x".into()))
            .unwrap()
            .with_timeout(Duration::from_millis(200));
        let start = std::time::Instant::now();
        let e = c.settings().await.unwrap_err();
        assert!(matches!(e, Error::Timeout { .. }), "{e:?}");
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{:?}",
            start.elapsed()
        );
        assert_eq!(
            e.to_string(),
            format!("the keyward server at {url} did not answer within 200ms")
        );
        drop(listener);
    }

    #[tokio::test]
    async fn an_admin_route_without_a_token_fails_before_sending() {
        let c = Client::new("http://127.0.0.1:1", None).unwrap();
        assert!(matches!(c.settings().await, Err(Error::MissingToken)));
    }
}
