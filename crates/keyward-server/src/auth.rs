//! Who is calling. `Admin` accepts an administrator's API token (`Authorization: Bearer
//! kwa_…`), checked by the same verification decision as every other token, so a revoked,
//! expired or locked administrator is refused exactly as an integration would be.

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::{header, request::Parts, HeaderMap};
use ipnet::IpNet;
use keyward_core::{TenantId, TokenKind, UserId, VerifyCode, VerifyContext};
use keyward_store::Actor;
use std::net::{IpAddr, SocketAddr};

pub struct Admin {
    pub tenant_id: TenantId,
    pub user_id: UserId,
    pub username: String,
    pub ip: Option<IpAddr>,
}

impl Admin {
    pub fn actor(&self) -> Actor {
        Actor {
            user_id: Some(self.user_id),
            name: self.username.clone(),
            ip: self.ip.map(|i| i.to_string()),
        }
    }
}

/// The bearer credential of a request, if any.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
}

/// The client's address: the peer, or, when the peer is a trusted proxy, the nearest
/// untrusted address in `X-Forwarded-For` (read right to left, so a client cannot
/// spoof its way past the proxies it really passed through).
pub fn client_ip(parts: &Parts, trusted: &[IpNet]) -> Option<IpAddr> {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())?;
    if !trusted.iter().any(|n| n.contains(&peer)) {
        return Some(peer);
    }
    let forwarded = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|s| s.trim().parse::<IpAddr>().ok())
        .collect::<Vec<_>>();
    Some(
        forwarded
            .into_iter()
            .rev()
            .find(|ip| !trusted.iter().any(|n| n.contains(ip)))
            .unwrap_or(peer),
    )
}

/// The client's address as [`client_ip`] determines it.
pub struct ClientIp(pub Option<IpAddr>);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(client_ip(parts, &state.config.trusted_proxies)))
    }
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(token) = bearer(&parts.headers) else {
            return Err(ApiError::Unauthorized {
                code: "missing_token",
                detail: "this route needs an administrator's API token: send Authorization: Bearer kwa_…".into(),
            });
        };
        let ip = client_ip(parts, &state.config.trusted_proxies);
        let ctx = VerifyContext {
            ip,
            ..Default::default()
        };
        let v = state
            .verifier
            .verify(token, &ctx)
            .await
            .map_err(|_| ApiError::Unavailable)?;
        let subject = match (v.code, v.subject) {
            (VerifyCode::Valid, Some(s)) => s,
            (code, _) => {
                return Err(ApiError::Unauthorized {
                    code: code.as_str(),
                    detail: format!(
                        "the bearer token was refused: {} ({})",
                        code.explain(),
                        code.as_str()
                    ),
                })
            }
        };
        if subject.token.kind != TokenKind::Api {
            return Err(ApiError::Unauthorized {
                code: "wrong_token_kind",
                detail: "this route takes an administrator's API token (kwa_…), not a session or endpoint token".into(),
            });
        }
        if !subject.user_is_admin {
            return Err(ApiError::Forbidden {
                code: "not_admin",
                detail: format!(
                    "user {:?} is not an administrator; only administrators may use this API",
                    subject.username
                ),
            });
        }
        Ok(Admin {
            tenant_id: subject.token.tenant_id,
            user_id: subject.token.user_id,
            username: subject.username.clone(),
            ip,
        })
    }
}
