//! Who is calling. `Admin` accepts an administrator's API token (`Authorization: Bearer
//! kwa_…`), checked by the same verification decision as every other token, so a revoked,
//! expired or locked administrator is refused exactly as an integration would be; or a
//! console session cookie (with its CSRF token for changes), which is looked up here for
//! the console and the API alike.

use crate::error::ApiError;
use crate::state::AppState;
use crate::verifier::Presented;
use axum::extract::{ConnectInfo, FromRef, FromRequestParts};
use axum::http::{header, request::Parts, HeaderMap, Method};
use axum_extra::extract::cookie::CookieJar;
use ipnet::IpNet;
use keyward_core::model::User;
use keyward_core::permission::grants;
use keyward_core::{TokenHash, TokenKind, VerifyCode, VerifyContext};
use keyward_store::{Actor, ConsoleSession, ConsoleSessionEnd};
use std::net::{IpAddr, SocketAddr};
use subtle::ConstantTimeEq;

pub use keyward_core::verify::ADMIN_PERMISSION;

/// The administrator a request acts as (the service layer's [`Principal`]), taken from
/// its API token or console session.
pub type Admin = crate::service::Principal;

/// The bearer credential of a request, if any.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
}

/// The client's address: the peer, or, when the peer is a trusted proxy, the nearest
/// untrusted address in `X-Forwarded-For`.
pub fn client_ip(parts: &Parts, trusted: &[IpNet]) -> Option<IpAddr> {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())?;
    let forwarded: Vec<&str> = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    resolve_client_ip(peer, &forwarded, trusted)
}

/// `X-Forwarded-For` is read right to left, skipping trusted proxies: each proxy appends
/// the address it saw, so only entries right of the first untrusted one can be believed.
/// An entry that is not a plain IP address (`unknown`, `ip:port`) stops the walk with no
/// answer, rather than letting a client-written entry further left decide. IPv4-mapped
/// IPv6 addresses count as IPv4.
pub fn resolve_client_ip(peer: IpAddr, forwarded: &[&str], trusted: &[IpNet]) -> Option<IpAddr> {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|n| n.contains(ip));
    let peer = peer.to_canonical();
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let mut nearest = peer;
    for entry in forwarded.iter().flat_map(|v| v.split(',')).rev() {
        let ip = entry.trim().parse::<IpAddr>().ok()?.to_canonical();
        if !is_trusted(&ip) {
            return Some(ip);
        }
        nearest = ip;
    }
    Some(nearest)
}

/// The client's address as [`client_ip`] determines it.
pub struct ClientIp(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp
where
    AppState: axum::extract::FromRef<S>,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let app = AppState::from_ref(state);
        Ok(Self(client_ip(parts, &app.config.trusted_proxies)))
    }
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(token) = bearer(&parts.headers) else {
            // SPEC §8: the API also takes a console session, so the console's own scripts
            // and a logged-in administrator's browser can call it.
            if let Some(me) = api_admin(parts, state).await? {
                return Ok(me);
            }
            return Err(ApiError::Unauthorized {
                code: "missing_token",
                detail: "this route needs an administrator's API token (Authorization: Bearer kwa_…) or a console session".into(),
            });
        };
        if matches!(keyward_core::ParsedToken::parse(token), Ok(p) if p.kind == TokenKind::Verifier)
        {
            return Err(ApiError::Unauthorized {
                code: "wrong_token_kind",
                detail: "a verifier key (kwv_…) may only ask checks (/api/v1/verify, /oauth2/introspect); this route \
                         takes an administrator's API token (kwa_…)"
                    .into(),
            });
        }
        let ip = client_ip(parts, &state.config.trusted_proxies);
        // `admin: true` makes the administrator requirements part of the decision, so a
        // token refused here spends neither a use nor a rate-limit slot.
        let ctx = VerifyContext {
            ip,
            admin: true,
            ..Default::default()
        };
        let v = state
            .verifier
            .verify(crate::metrics::Route::AdminApi, token, &ctx)
            .await
            .map_err(|_| ApiError::Unavailable)?;
        let subject = match (v.code, v.presented) {
            (VerifyCode::Valid, Presented::ApiToken(s) | Presented::MobileSession(s)) => s,
            (VerifyCode::RateLimited, _) => {
                return Err(ApiError::Refused {
                    code: VerifyCode::RateLimited,
                    detail: "the bearer token has exceeded its rate limit; retry later".into(),
                    retry_after: Some(v.retry_after.unwrap_or(1)),
                })
            }
            (VerifyCode::Forbidden, Presented::EndpointToken(_)) => {
                return Err(ApiError::Unauthorized {
                    code: "wrong_token_kind",
                    detail: "this route takes an administrator's API token (kwa_…), not an endpoint token"
                        .into(),
                })
            }
            (VerifyCode::Forbidden, Presented::MobileSession(_)) => {
                return Err(ApiError::Unauthorized {
                    code: "wrong_token_kind",
                    detail: "this route takes an administrator's API token (kwa_…), not a session or endpoint token"
                        .into(),
                })
            }
            (VerifyCode::Forbidden, Presented::ApiToken(s)) if !s.owner.user_is_admin => {
                return Err(ApiError::Forbidden {
                    code: "not_admin",
                    detail: format!(
                        "user {:?} is not an administrator; only administrators may use this API",
                        s.owner.username
                    ),
                })
            }
            (VerifyCode::Forbidden, Presented::ApiToken(s))
                if !grants(&s.owner.permissions, ADMIN_PERMISSION) =>
            {
                // An administrator's token is still restricted to its user type: one issued
                // for, say, `orders:read` must not carry the whole administrator API.
                return Err(ApiError::Forbidden {
                    code: "missing_admin_permission",
                    detail: format!(
                        "this token's user type ({:?}) does not grant {ADMIN_PERMISSION:?}; the administrator \
                         API takes a token whose user type grants it (or \"*\")",
                        s.owner.user_type_name
                    ),
                })
            }
            (code, _) => {
                return Err(ApiError::Refused {
                    code,
                    detail: format!("the bearer token was refused: {} ({})", code.explain(), code.as_str()),
                    retry_after: None,
                })
            }
        };
        Ok(Admin {
            tenant_id: subject.owner.tenant_id,
            user_id: subject.owner.user_id,
            username: subject.owner.username.clone(),
            token_membership: Some((subject.owner.department_id, subject.owner.user_type_id)),
            ip,
        })
    }
}

// Console sessions, as a credential: the API takes them too (with the CSRF token).

/// The console's session cookie.
pub const SESSION_COOKIE: &str = "kw_session";

pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

pub(crate) fn session_hash(st: &AppState, value: &str) -> TokenHash {
    st.verifier.key().hash_token(value)
}

/// The logged-in administrator behind a request's session cookie, if any. Locking a
/// user, removing the administrator flag, changing the password or moving the employment
/// period so it has ended delete the user's sessions in the same transaction; a session
/// whose user's period has since ended by the passage of time (or that such a change
/// raced) is deleted here, when next used, so no later change revives the cookie.
pub(crate) async fn live_session(
    parts: &Parts,
    st: &AppState,
) -> Result<Option<(ConsoleSession, User)>, ApiError> {
    let jar = CookieJar::from_headers(&parts.headers);
    let Some(value) = jar.get(SESSION_COOKIE).map(|c| c.value().to_string()) else {
        return Ok(None);
    };
    let hash = session_hash(st, &value);
    let Some(session) = st.store.console_session(&hash).await? else {
        return Ok(None);
    };
    let user = match st.store.user(session.tenant_id, session.user_id).await {
        Ok(u) => u,
        Err(keyward_store::StoreError::NotFound(_)) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let now = time::OffsetDateTime::now_utc();
    if let Some(why) = ConsoleSessionEnd::for_user(&user, now) {
        st.store
            .end_console_session(&hash, why, &Actor::system("keyward"))
            .await?;
        return Ok(None);
    }
    Ok(Some((session, user)))
}

pub(crate) fn admin_of(user: &User, parts: &Parts, st: &AppState) -> Admin {
    Admin {
        tenant_id: user.tenant_id,
        user_id: user.id,
        username: user.username.clone(),
        token_membership: None,
        ip: client_ip(parts, &st.config.trusted_proxies),
    }
}

/// The API's view of a console session: for a request that changes something, the
/// session's CSRF token must come in `X-CSRF-Token` (a cross-site form cannot set it).
pub async fn api_admin(parts: &Parts, st: &AppState) -> Result<Option<Admin>, ApiError> {
    let Some((session, user)) = live_session(parts, st).await? else {
        return Ok(None);
    };
    let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
    let sent = parts
        .headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !safe && !same(sent, &session.csrf) {
        return Err(ApiError::Forbidden {
            code: "csrf",
            detail: "a change made with a console session needs the session's CSRF token in X-CSRF-Token".into(),
        });
    }
    Ok(Some(admin_of(&user, parts, st)))
}

#[cfg(test)]
mod tests {
    use super::resolve_client_ip;
    use ipnet::IpNet;
    use std::net::IpAddr;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    /// The client of a request from `peer` with these `X-Forwarded-For` headers, when
    /// `trusted` (a CIDR, or "" for none) is believed; as text, "none" when unreadable.
    fn client(peer: &str, forwarded: &[&str], trusted: &str) -> String {
        let trusted: Vec<IpNet> = trusted.split(' ').filter_map(|c| c.parse().ok()).collect();
        resolve_client_ip(ip(peer), forwarded, &trusted)
            .map_or_else(|| "none".into(), |a| a.to_string())
    }

    #[test]
    fn untrusted_peer_is_the_client_whatever_it_forwards() {
        let peer = "203.0.113.9";
        assert_eq!(client(peer, &["10.6.6.6"], "10.0.0.1/32"), peer);
        assert_eq!(
            client("127.0.0.1", &["10.6.6.6"], ""),
            "127.0.0.1",
            "no proxy trusted by default"
        );
    }

    #[test]
    fn forwarded_chain_is_read_right_to_left_past_trusted_proxies() {
        let chain = ["6.6.6.6, 198.51.100.4, 10.0.0.2"];
        assert_eq!(client("10.0.0.1", &chain, "10.0.0.0/24"), "198.51.100.4");
        let headers = ["6.6.6.6", "198.51.100.4"];
        assert_eq!(client("10.0.0.1", &headers, "10.0.0.0/24"), "198.51.100.4");
        assert_eq!(client("10.0.0.1", &[], "10.0.0.0/24"), "10.0.0.1");
    }

    #[test]
    fn unparseable_entry_stops_the_walk_instead_of_trusting_what_is_left_of_it() {
        let with_port = ["10.6.6.6, 203.0.113.7:51234"];
        assert_eq!(client("10.0.0.1", &with_port, "10.0.0.0/24"), "none");
        assert_eq!(client("10.0.0.1", &["unknown"], "10.0.0.0/24"), "none");
    }

    #[test]
    fn ipv4_mapped_addresses_count_as_ipv4() {
        let trusted = "127.0.0.0/8";
        assert_eq!(
            client("::ffff:127.0.0.1", &["192.0.2.5"], trusted),
            "192.0.2.5"
        );
        assert_eq!(client("::ffff:192.0.2.8", &[], trusted), "192.0.2.8");
    }
}
