//! Console sessions and CSRF protection. The session cookie is HttpOnly and
//! SameSite=Strict (and Secure when keyward is served over https); every console form
//! carries the session's synchronizer token, checked by [`Posted`] before a handler runs,
//! so no handler can forget it. Before login, the form is tied to a short-lived cookie
//! instead (double submit).

use super::i18n::Lang;
use super::ConsoleState;
use super::{Console, Page};
use crate::auth::{admin_of, live_session, same, session_hash, Admin, ClientIp, SESSION_COOKIE};
use crate::service::login::{Attempt, LoginError, Via};
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::{header, request::Parts, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use base64::Engine;
use keyward_core::model::{Tenant, TenantSettings, User};
use keyward_store::{Actor, NewConsoleSession};
use serde::de::DeserializeOwned;
use serde::Deserialize;

const PRELOGIN_COOKIE: &str = "kw_prelogin";
pub const LANG_COOKIE: &str = "kw_lang";
/// A console session ends this long after login, however busy it was.
pub const SESSION_HOURS: i64 = 12;

/// 256 random bits, URL-safe.
pub fn random_value() -> String {
    let mut bytes = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn cookie<'c>(st: &ConsoleState, name: &'c str, value: String) -> Cookie<'c> {
    let mut c = Cookie::new(name, value);
    c.set_http_only(true);
    c.set_same_site(SameSite::Strict);
    c.set_path("/");
    c.set_secure(st.config.public_url.starts_with("https://"));
    c
}

fn removal(name: &'static str) -> Cookie<'static> {
    let mut c = Cookie::from(name);
    c.set_path("/");
    c
}

/// The language for a request: the user's choice, then the language cookie, then the
/// browser's `Accept-Language`.
pub fn request_lang(headers: &HeaderMap, user_choice: Option<&str>) -> Lang {
    user_choice
        .and_then(Lang::parse)
        .or_else(|| {
            CookieJar::from_headers(headers)
                .get(LANG_COOKIE)
                .and_then(|c| Lang::parse(c.value()))
        })
        .unwrap_or_else(|| {
            Lang::negotiate(
                headers
                    .get(header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok()),
            )
        })
}

/// The administrator using the console, with what every page shows.
pub struct Me {
    pub admin: Admin,
    pub user: User,
    pub tenant: Tenant,
    pub settings: TenantSettings,
    pub csrf: String,
    pub lang: Lang,
    pub explicit_lang: bool,
    /// The page asked for, so a language switch can come back to it.
    pub path: String,
}

impl Me {
    pub fn actor(&self) -> Actor {
        self.admin.actor()
    }

    pub fn page(&self, console: &Console, section: &'static str) -> Page {
        Page::new(console, self, section)
    }

    /// The frame of a page reached after an action: it confirms `done` (see
    /// [`Page::with_notice`]).
    pub fn page_with_notice(
        &self,
        console: &Console,
        section: &'static str,
        done: Option<&str>,
    ) -> Page {
        self.page(console, section).with_notice(console, done, None)
    }
}

impl FromRequestParts<ConsoleState> for Me {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, st: &ConsoleState) -> Result<Self, Response> {
        let lang = request_lang(&parts.headers, None);
        let found = live_session(parts, st)
            .await
            .map_err(|e| st.console.error_page(lang, &e))?;
        let Some((session, user)) = found else {
            // Back to the page they asked for after login (only our own paths).
            let target = if parts.method == Method::GET {
                let p = parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str())
                    .unwrap_or("/console");
                format!("/console/login?next={}", super::url_encode(p))
            } else {
                "/console/login".to_string()
            };
            return Err(Redirect::to(&target).into_response());
        };
        let lang = request_lang(&parts.headers, session.locale.as_deref());
        // For what reads the request after this (a query the page cannot read).
        parts.extensions.insert(lang);
        let load = async {
            let tenant = st.store.tenant(user.tenant_id).await?;
            let settings = st.store.settings(user.tenant_id).await?;
            Ok::<_, keyward_store::StoreError>((tenant, settings))
        };
        let (tenant, settings) = load
            .await
            .map_err(|e| st.console.error_page(lang, &e.into()))?;
        Ok(Me {
            admin: admin_of(&user, parts, st),
            user,
            tenant,
            settings,
            csrf: session.csrf,
            lang,
            explicit_lang: session.locale.is_some(),
            path: return_path(parts),
        })
    }
}

/// Where the language menu comes back to: the page asked for. A page that answers a
/// post (a form redrawn with its refusal) has an address that takes no GET, so it is the
/// page the form was sent from (the same-origin `Referer`), or else the console's home.
fn return_path(parts: &Parts) -> String {
    if parts.method == Method::GET {
        return parts
            .uri
            .path_and_query()
            .map_or("/console", |p| p.as_str())
            .to_string();
    }
    let from = || {
        let referer = parts.headers.get(header::REFERER)?.to_str().ok()?;
        let host = parts.headers.get(header::HOST)?.to_str().ok()?;
        let rest = referer
            .strip_prefix("http://")
            .or_else(|| referer.strip_prefix("https://"))?;
        let path = rest.strip_prefix(host)?;
        path.starts_with("/console").then(|| path.to_string())
    };
    from().unwrap_or_else(|| "/console".to_string())
}

/// A console form post: the logged-in administrator and the form, after its CSRF token
/// has been checked against the session's.
pub struct Posted<T> {
    pub me: Me,
    pub form: T,
}

#[derive(Deserialize)]
struct CsrfField {
    #[serde(default)]
    csrf: String,
    /// Present on forms that must act only once.
    #[serde(default)]
    once: String,
}

impl<T: DeserializeOwned> FromRequest<ConsoleState> for Posted<T> {
    type Rejection = Response;

    async fn from_request(req: Request, st: &ConsoleState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let me = Me::from_request_parts(&mut parts, st).await?;
        let bytes = Bytes::from_request(Request::from_parts(parts, body), st)
            .await
            .map_err(IntoResponse::into_response)?;
        if crate::error::form_has_nul(&bytes) {
            return Err(st
                .console
                .error_page(me.lang, &crate::error::refused("the form")));
        }
        let sent: CsrfField = serde_html_form::from_bytes(&bytes).unwrap_or(CsrfField {
            csrf: String::new(),
            once: String::new(),
        });
        if !same(&sent.csrf, &me.csrf) {
            return Err(st.console.message_page(
                me.lang,
                StatusCode::FORBIDDEN,
                "error-csrf-title",
                "error-csrf",
            ));
        }
        if !sent.once.is_empty() && !st.console.claim_once(&sent.once) {
            return Err(st.console.message_page(
                me.lang,
                StatusCode::CONFLICT,
                "already-sent-title",
                "already-sent",
            ));
        }
        let form = serde_html_form::from_bytes(&bytes).map_err(|e| {
            tracing::debug!(error = %e, "console form does not parse");
            st.console.message_page(
                me.lang,
                StatusCode::BAD_REQUEST,
                "error-form-title",
                "error-form",
            )
        })?;
        Ok(Posted { me, form })
    }
}

/// A form posted before login (the login form itself): read like [`Posted`], without a
/// session to check.
pub struct AnonymousForm<T>(pub T);

impl<T: DeserializeOwned> FromRequest<ConsoleState> for AnonymousForm<T> {
    type Rejection = Response;

    async fn from_request(req: Request, st: &ConsoleState) -> Result<Self, Response> {
        let lang = request_lang(req.headers(), None);
        let bytes = Bytes::from_request(req, st)
            .await
            .map_err(IntoResponse::into_response)?;
        if crate::error::form_has_nul(&bytes) {
            return Err(st
                .console
                .error_page(lang, &crate::error::refused("the form")));
        }
        serde_html_form::from_bytes(&bytes)
            .map(AnonymousForm)
            .map_err(|e| {
                tracing::debug!(error = %e, "console form does not parse");
                st.console.message_page(
                    lang,
                    StatusCode::BAD_REQUEST,
                    "error-form-title",
                    "error-form",
                )
            })
    }
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    lang: Option<String>,
    done: Option<String>,
}

/// Only paths of the console itself are followed after login.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with("/console")
                && !n.contains('\\')
                && n.bytes().all(|b| b.is_ascii_graphic()) =>
        {
            n.to_string()
        }
        _ => "/console".to_string(),
    }
}

pub async fn login_page(
    State(st): State<ConsoleState>,
    headers: HeaderMap,
    jar: CookieJar,
    super::Query(q): super::Query<LoginQuery>,
) -> Response {
    let mut jar = jar;
    // `?lang=` on the login page sets the language before anyone is known.
    if let Some(lang) = q.lang.as_deref().and_then(Lang::parse) {
        jar = jar.add(cookie(&st, LANG_COOKIE, lang.code().to_string()));
        let back = format!(
            "/console/login?next={}",
            super::url_encode(&safe_next(q.next.as_deref()))
        );
        return (jar, Redirect::to(&back)).into_response();
    }
    let lang = request_lang(&headers, None);
    let notice = match q.done.as_deref() {
        Some("logged-out") => Some("login-logged-out"),
        _ => None,
    };
    render_login(
        &st,
        jar,
        lang,
        &safe_next(q.next.as_deref()),
        "",
        "",
        None,
        notice,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn render_login(
    st: &ConsoleState,
    jar: CookieJar,
    lang: Lang,
    next: &str,
    tenant: &str,
    username: &str,
    error: Option<String>,
    notice: Option<&str>,
) -> Response {
    let token = jar
        .get(PRELOGIN_COOKIE)
        .map(|c| c.value().to_string())
        .filter(|v| v.len() >= 32)
        .unwrap_or_else(random_value);
    let jar = jar.add(cookie(st, PRELOGIN_COOKIE, token.clone()));
    // With one tenant on the server, its name is filled in for convenience.
    let tenant = if tenant.is_empty() {
        match st.store.list_tenants().await {
            Ok(all) if all.len() == 1 => all[0].name.clone(),
            _ => String::new(),
        }
    } else {
        tenant.to_string()
    };
    let status = if error.is_some() {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::OK
    };
    let ctx = minijinja::context! {
        next, tenant, username, error, notice, prelogin => token,
    };
    let page = st.console.render_anonymous("login.html", lang, ctx);
    (status, jar, page).into_response()
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    prelogin: String,
    #[serde(default)]
    tenant: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

pub async fn login(
    State(st): State<ConsoleState>,
    headers: HeaderMap,
    jar: CookieJar,
    ClientIp(ip): ClientIp,
    AnonymousForm(f): AnonymousForm<LoginForm>,
) -> Response {
    let lang = request_lang(&headers, None);
    let expected = jar.get(PRELOGIN_COOKIE).map(|c| c.value().to_string());
    if !expected.is_some_and(|e| same(&e, &f.prelogin)) {
        return st.console.message_page(
            lang,
            StatusCode::FORBIDDEN,
            "error-csrf-title",
            "error-login-csrf",
        );
    }
    let next = safe_next(f.next.as_deref());
    let tenant = f.tenant.trim().to_string();
    let username = f.username.trim().to_string();
    let result = st
        .login()
        .authenticate(
            Via::Console,
            Attempt {
                tenant: &tenant,
                username: &username,
                password: f.password,
                ip,
            },
            |u| u.is_admin,
        )
        .await;
    let (user, checked_hash) = match result {
        Ok(found) => (found.user, found.checked_hash),
        Err(e) => {
            let i = &st.console.i18n;
            let status = match e {
                LoginError::RateLimited(_) => Some(StatusCode::TOO_MANY_REQUESTS),
                LoginError::Busy => Some(StatusCode::SERVICE_UNAVAILABLE),
                _ => None,
            };
            let msg = match e {
                LoginError::InvalidCredentials => i.message(lang, "login-invalid", None),
                LoginError::RateLimited(wait) => {
                    let minutes = wait.as_secs().div_ceil(60).max(1);
                    let a = super::i18n::args([("minutes", minutes.to_string())]);
                    i.message(lang, "login-rate-limited", Some(&a))
                }
                LoginError::Busy => i.message(lang, "login-busy", None),
                LoginError::Locked => i.message(lang, "login-locked", None),
                LoginError::Inactive => i.message(lang, "login-inactive", None),
                LoginError::NotAllowed => i.message(lang, "login-not-admin", None),
                LoginError::Store(e) => return st.console.error_page(lang, &e.into()),
            };
            let mut page =
                render_login(&st, jar, lang, &next, &tenant, &username, Some(msg), None).await;
            if let Some(status) = status {
                *page.status_mut() = status;
            }
            if status == Some(StatusCode::SERVICE_UNAVAILABLE) {
                page.headers_mut()
                    .insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
            }
            return page;
        }
    };
    let value = random_value();
    let new = NewConsoleSession {
        hash: session_hash(&st, &value),
        tenant_id: user.tenant_id,
        user_id: user.id,
        csrf: random_value(),
        expires_at: time::OffsetDateTime::now_utc() + time::Duration::hours(SESSION_HOURS),
        checked_hash,
    };
    let actor = Actor {
        user_id: Some(user.id),
        name: user.username.clone(),
        ip: ip.map(|i| i.to_string()),
    };
    if let Err(e) = st.store.create_console_session(&new, &actor).await {
        return st.console.error_page(lang, &e.into());
    }
    let mut session = cookie(&st, SESSION_COOKIE, value);
    session.set_max_age(time::Duration::hours(SESSION_HOURS));
    let jar = jar.remove(removal(PRELOGIN_COOKIE)).add(session);
    (jar, Redirect::to(&next)).into_response()
}

#[derive(Deserialize)]
pub struct Empty {}

pub async fn logout(State(st): State<ConsoleState>, jar: CookieJar, p: Posted<Empty>) -> Response {
    if let Some(value) = jar.get(SESSION_COOKIE).map(|c| c.value().to_string()) {
        if let Err(e) = st
            .store
            .delete_console_session(&session_hash(&st, &value), &p.me.actor())
            .await
        {
            return st.console.error_page(p.me.lang, &e.into());
        }
    }
    let jar = jar.remove(removal(SESSION_COOKIE));
    (jar, Redirect::to("/console/login?done=logged-out")).into_response()
}

#[derive(Deserialize)]
pub struct LanguageForm {
    lang: String,
    next: Option<String>,
}

/// A user's language choice, kept on their user record; `auto` follows the browser.
pub async fn set_language(State(st): State<ConsoleState>, p: Posted<LanguageForm>) -> Response {
    let choice = Lang::parse(&p.form.lang).map(Lang::code);
    if let Err(e) = st
        .store
        .set_user_locale(p.me.user.tenant_id, p.me.user.id, choice)
        .await
    {
        return st.console.error_page(p.me.lang, &e.into());
    }
    Redirect::to(&safe_next(p.form.next.as_deref())).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_answering_a_post_returns_to_the_page_the_form_was_on() {
        let parts = |method: &str, uri: &str, referer: Option<&str>| {
            let mut b = axum::http::Request::builder()
                .method(method)
                .uri(uri)
                .header(header::HOST, "127.0.0.1:8080");
            if let Some(r) = referer {
                b = b.header(header::REFERER, r);
            }
            b.body(()).unwrap().into_parts().0
        };
        let get = parts("GET", "/console/tokens?page=2", None);
        assert_eq!(return_path(&get), "/console/tokens?page=2");
        let from = Some("http://127.0.0.1:8080/console/users/abc?done=saved");
        let post = parts("POST", "/console/users/abc/memberships", from);
        assert_eq!(return_path(&post), "/console/users/abc?done=saved");
        for referer in [
            None,
            Some("http://evil.example/console/users"),
            Some("http://127.0.0.1:8080/docs"),
        ] {
            let post = parts("POST", "/console/users/abc/memberships", referer);
            assert_eq!(return_path(&post), "/console", "{referer:?}");
        }
    }

    #[test]
    fn only_console_paths_are_followed_after_login() {
        assert_eq!(
            safe_next(Some("/console/tokens?page=2")),
            "/console/tokens?page=2"
        );
        assert_eq!(safe_next(Some("https://evil.example/")), "/console");
        assert_eq!(safe_next(Some("//evil.example/console")), "/console");
        assert_eq!(safe_next(Some("/console\\@evil")), "/console");
        assert_eq!(safe_next(Some("/console\n")), "/console");
        assert_eq!(safe_next(None), "/console");
    }
}
