//! The administration console of SPEC §7: server-rendered pages (minijinja templates
//! compiled into the binary, every value escaped), a hand-written stylesheet and a
//! little progressive JavaScript, in English and Norwegian. Every change goes through the
//! same operations as the REST API, so a rule is enforced once for both.

pub mod i18n;
pub mod session;

mod audit;
mod endpoints;
mod org;
mod settings;
mod tokens;
mod users;
mod verifier_keys;
mod webhooks;

use crate::auth::Admin;
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post, MethodRouter};
use axum::Router;
use i18n::{I18n, Lang};
use minijinja::value::Kwargs;
use minijinja::{Environment, State, Value};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use session::{Empty, Me, Posted};
use std::str::FromStr;
use std::sync::Arc;

/// The console's state: the application's (reached through `Deref`), and the
/// templates and translations, which only the console needs.
#[derive(Clone)]
pub struct ConsoleState {
    pub app: AppState,
    pub console: Arc<Console>,
}

impl axum::extract::FromRef<ConsoleState> for AppState {
    fn from_ref(c: &ConsoleState) -> AppState {
        c.app.clone()
    }
}

impl std::ops::Deref for ConsoleState {
    type Target = AppState;
    fn deref(&self) -> &AppState {
        &self.app
    }
}

/// Templates and translations, built once at startup.
pub struct Console {
    env: Environment<'static>,
    pub i18n: Arc<I18n>,
    /// One-time values of forms that must not act twice (see [`Console::claim_once`]).
    used_once: std::sync::Mutex<std::collections::HashMap<String, std::time::Instant>>,
}

/// How long a used one-time form value is remembered: a console session's lifetime.
const ONCE_TTL: std::time::Duration = std::time::Duration::from_secs(12 * 3600);

/// Each template under its file name, compiled in.
macro_rules! templates {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("templates/", $name)))),*]
    };
}

const TEMPLATES: &[(&str, &str)] = templates![
    "base.html",
    "page.html",
    "card.html",
    "macros.html",
    "login.html",
    "message.html",
    "tokens.html",
    "token_new.html",
    "token_secret.html",
    "token_regenerate.html",
    "token.html",
    "session.html",
    "confirm_delete.html",
    "confirm_change.html",
    "users.html",
    "user.html",
    "departments.html",
    "user_types.html",
    "user_type.html",
    "settings.html",
    "audit.html",
    "verifier_keys.html",
    "verifier_key_secret.html",
    "webhooks.html",
    "webhook.html",
    "webhook_secret.html",
    "endpoints.html",
    "endpoint.html",
    "endpoint_secrets.html",
    "endpoint_data.html",
    "endpoint_tokens.html",
    "endpoint_token.html",
    "endpoint_assign.html",
];

const CSS: &str = include_str!("static/console.css");
const JS: &str = include_str!("static/console.js");

fn lang_of(state: &State) -> Lang {
    state
        .lookup("lang")
        .and_then(|v| v.as_str().and_then(Lang::parse))
        .unwrap_or(Lang::En)
}

fn parse_time(v: &Value) -> Option<time::OffsetDateTime> {
    let s = v.as_str()?;
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
}

impl Console {
    pub fn new() -> Self {
        let i18n = Arc::new(I18n::new());
        let mut env = Environment::new();
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .unwrap_or_else(|e| panic!("console template {name}: {e}"));
        }
        let t = i18n.clone();
        env.add_function(
            "t",
            move |state: &State, key: &str, kwargs: Kwargs| -> Result<String, minijinja::Error> {
                let mut args = fluent_bundle::FluentArgs::new();
                for name in kwargs.args() {
                    let v: Value = kwargs.get(name)?;
                    let text = match v.as_str() {
                        Some(s) => s.to_string(),
                        None => v.to_string(),
                    };
                    args.set(name.to_string(), i18n::value(text));
                }
                Ok(t.message(lang_of(state), key, Some(&args)))
            },
        );
        env.add_filter("datetime", |state: &State, v: Value| -> String {
            parse_time(&v).map_or_else(String::new, |t| i18n::format_datetime(lang_of(state), t))
        });
        env.add_filter("date", |state: &State, v: Value| -> String {
            parse_time(&v).map_or_else(String::new, |t| i18n::format_date(lang_of(state), t))
        });
        // "in 5 days", "3 days ago": how far a moment is from now.
        let rel = i18n.clone();
        env.add_filter("relative", move |state: &State, v: Value| -> String {
            parse_time(&v).map_or_else(String::new, |t| {
                rel.relative(lang_of(state), t, time::OffsetDateTime::now_utc())
            })
        });
        // The value an `<input type="date">` takes.
        env.add_filter("isodate", |v: Value| -> String {
            parse_time(&v).map_or_else(String::new, |t| t.date().to_string())
        });
        env.add_filter("urlencode_component", |v: String| url_encode(&v));
        // A fresh value for each rendering of a form that must act only once.
        env.add_function("new_once", session::random_value);
        Self {
            env,
            i18n,
            used_once: Default::default(),
        }
    }

    /// Marks a form's one-time value as used; `false` if it already was. Forms that
    /// generate a secret carry one, so reloading the page that showed the secret (and
    /// confirming the browser's "resubmit?") cannot create a second token or regenerate
    /// the one just copied. Remembered per node.
    pub fn claim_once(&self, value: &str) -> bool {
        let now = std::time::Instant::now();
        let mut used = self.used_once.lock().unwrap_or_else(|e| e.into_inner());
        if used.len() >= 10_000 {
            used.retain(|_, at| now.duration_since(*at) < ONCE_TTL);
        }
        used.insert(value.to_string(), now).is_none()
    }

    fn render_value(&self, name: &str, ctx: Value) -> Response {
        match self.env.get_template(name).and_then(|t| t.render(ctx)) {
            Ok(html) => Html(html).into_response(),
            Err(e) => {
                tracing::error!(template = name, error = %e, "console template failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the page could not be rendered; it has been logged",
                )
                    .into_response()
            }
        }
    }

    /// A page of a logged-in administrator: `page` fills the frame (menu, language, CSRF
    /// token), `ctx` the content.
    pub fn render(&self, name: &str, page: &Page, ctx: Value) -> Response {
        let ctx = minijinja::context! { page, lang => page.lang.code(), ..ctx };
        self.render_value(name, ctx)
    }

    /// A page with a form. After a refusal it shows the refusal above the form, answered
    /// 422 so that a script sees the post failed.
    pub fn render_form(
        &self,
        name: &str,
        page: Page,
        refused: Option<&ApiError>,
        ctx: Value,
    ) -> Response {
        let (status, page) = match refused {
            Some(e) => (StatusCode::UNPROCESSABLE_ENTITY, page.with_error(self, e)),
            None => (StatusCode::OK, page),
        };
        (status, self.render(name, &page, ctx)).into_response()
    }

    /// A page shown before login.
    pub fn render_anonymous(&self, name: &str, lang: Lang, ctx: Value) -> Response {
        let ctx = minijinja::context! { lang => lang.code(), ..ctx };
        self.render_value(name, ctx)
    }

    pub fn message_page(
        &self,
        lang: Lang,
        status: StatusCode,
        title: &str,
        text: &str,
    ) -> Response {
        let ctx = minijinja::context! {
            title => self.i18n.message(lang, title, None),
            text => self.i18n.message(lang, text, None),
        };
        (status, self.render_anonymous("message.html", lang, ctx)).into_response()
    }

    /// A message in the frame of a logged-in page (menu, language), with `links` onward:
    /// each a message key and where it goes.
    pub fn message_in_frame(
        &self,
        page: &Page,
        status: StatusCode,
        title: &str,
        text: &str,
        links: &[(&str, &str)],
    ) -> Response {
        let links: Vec<_> = links
            .iter()
            .map(|(key, href)| minijinja::context! { text => self.i18n.message(page.lang, key, None), href })
            .collect();
        let ctx = minijinja::context! {
            title => self.i18n.message(page.lang, title, None),
            text => self.i18n.message(page.lang, text, None),
            links,
        };
        (status, self.render("message.html", page, ctx)).into_response()
    }

    /// The page for an address whose query this page cannot read (`?page=abc`), in the
    /// reader's language, with a link to the page at `path` without it.
    pub fn bad_query_page(&self, lang: Lang, path: &str) -> Response {
        let ctx = minijinja::context! {
            title => self.i18n.message(lang, "error-query-title", None),
            text => self.i18n.message(lang, "error-query", None),
            links => [minijinja::context! {
                text => self.i18n.message(lang, "error-query-open", None),
                href => path,
            }],
        };
        let page = self.render_anonymous("message.html", lang, ctx);
        (StatusCode::BAD_REQUEST, page).into_response()
    }

    /// What an API error means, in the reader's language when we have words for its
    /// code, otherwise the API's own detail.
    pub fn error_text(&self, lang: Lang, e: &ApiError) -> String {
        let (_, code) = e.parts();
        let key = format!("error-{}", code.replace('_', "-").to_lowercase());
        if self.i18n.has(lang, &key) {
            self.i18n.message(lang, &key, None)
        } else {
            e.public_detail()
        }
    }

    pub fn error_page(&self, lang: Lang, e: &ApiError) -> Response {
        let (status, _) = e.parts();
        let ctx = minijinja::context! {
            title => self.i18n.message(lang, "error-title", None),
            text => self.error_text(lang, e),
        };
        (status, self.render_anonymous("message.html", lang, ctx)).into_response()
    }
}

impl Default for Console {
    fn default() -> Self {
        Self::new()
    }
}

/// The frame of every logged-in page.
#[derive(Serialize)]
pub struct Page {
    pub lang: Lang,
    pub explicit_lang: bool,
    pub section: &'static str,
    pub csrf: String,
    pub username: String,
    pub display_name: String,
    pub tenant_name: String,
    pub tenant_id: String,
    pub tokens_enabled: bool,
    pub path: String,
    /// A translated confirmation of what the last action did.
    pub notice: Option<String>,
    /// A translated error from the last action.
    pub error: Option<String>,
}

impl Page {
    pub fn new(console: &Console, me: &Me, section: &'static str) -> Self {
        let _ = console;
        Self {
            lang: me.lang,
            explicit_lang: me.explicit_lang,
            section,
            csrf: me.csrf.clone(),
            username: me.user.username.clone(),
            display_name: me.user.display_name.clone(),
            tenant_name: me.tenant.name.clone(),
            tenant_id: me.tenant.id.to_string(),
            tokens_enabled: me.settings.api_tokens_enabled,
            path: me.path.clone(),
            notice: None,
            error: None,
        }
    }

    /// Shows the confirmation for `done` (a key of `notice-…` messages), if known.
    pub fn with_notice(
        mut self,
        console: &Console,
        done: Option<&str>,
        count: Option<u32>,
    ) -> Self {
        if let Some(done) = done {
            let key = format!("notice-{done}");
            if console.i18n.has(self.lang, &key) {
                let a = i18n::args([("count", count.unwrap_or(1).to_string())]);
                self.notice = Some(console.i18n.message(self.lang, &key, Some(&a)));
            }
        }
        self
    }

    /// Shows the words for a refusal's `code` (a key of `error-…` messages), if known:
    /// for an action that went back to its page without doing anything.
    pub fn with_refusal(mut self, console: &Console, code: Option<&str>) -> Self {
        if let Some(code) = code {
            let key = format!("error-{}", code.replace('_', "-"));
            if console.i18n.has(self.lang, &key) {
                self.error = Some(console.i18n.message(self.lang, &key, None));
            }
        }
        self
    }

    pub fn with_error(mut self, console: &Console, e: &ApiError) -> Self {
        self.error = Some(console.error_text(self.lang, e));
        self
    }
}

/// What a console handler answers: its page, or the error page shown in its place.
pub type Answer = Result<Response, ErrorPage>;

/// A page that answers in place of the one asked for: the error page, or a message
/// page. Boxed, as it is the rare path.
pub struct ErrorPage(Box<Response>);

impl From<Response> for ErrorPage {
    fn from(page: Response) -> Self {
        Self(Box::new(page))
    }
}

impl IntoResponse for ErrorPage {
    fn into_response(self) -> Response {
        *self.0
    }
}

/// A refusal as the console's error page, in the reader's language, so that a handler
/// stops at the first one with `?`.
pub trait OrErrorPage<T> {
    fn or_page(self, st: &ConsoleState, me: &Me) -> Result<T, ErrorPage>;
}

impl<T, E: Into<ApiError>> OrErrorPage<T> for Result<T, E> {
    fn or_page(self, st: &ConsoleState, me: &Me) -> Result<T, ErrorPage> {
        self.map_err(|e| st.console.error_page(me.lang, &e.into()).into())
    }
}

/// A form's input, if it parsed, handed to a service: the first refusal of the two.
pub async fn submit<A, T, E: Into<ApiError>>(
    input: Result<A, ApiError>,
    call: impl AsyncFnOnce(A) -> Result<T, E>,
) -> Result<T, ApiError> {
    call(input?).await.map_err(Into::into)
}

impl ConsoleState {
    /// After an action: on to `location` when it worked, the error page when it did not.
    pub fn after<T, E: Into<ApiError>>(
        &self,
        me: &Me,
        result: Result<T, E>,
        location: &str,
    ) -> Answer {
        result.or_page(self, me)?;
        Ok(Redirect::to(location).into_response())
    }
}

/// An id taken from the address. One that is not an id of its type gets the console's
/// "does not exist" page, like an id that names nothing.
pub struct Id<T>(pub T);

impl<T: FromStr + Send> FromRequestParts<ConsoleState> for Id<T> {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        st: &ConsoleState,
    ) -> Result<Self, Response> {
        let axum::extract::Path(raw) = axum::extract::Path::<String>::from_request_parts(parts, st)
            .await
            .map_err(IntoResponse::into_response)?;
        raw.parse().map(Id).map_err(|_| {
            let lang = session::request_lang(&parts.headers, None);
            st.console.error_page(lang, &ApiError::NotFound("page"))
        })
    }
}

/// A page's query, read as axum's `Query` reads it. One the page cannot read (`?page=abc`,
/// a page number past `u32`) gets [`Console::bad_query_page`] in the page's language
/// (the administrator's, when [`Me`] has been read), not axum's plain-text 400.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned> FromRequestParts<ConsoleState> for Query<T> {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        st: &ConsoleState,
    ) -> Result<Self, Response> {
        match axum::extract::Query::<T>::try_from_uri(&parts.uri) {
            Ok(axum::extract::Query(q)) => Ok(Query(q)),
            Err(_) => {
                let lang = parts
                    .extensions
                    .get::<Lang>()
                    .copied()
                    .unwrap_or_else(|| session::request_lang(&parts.headers, None));
                Err(st.console.bad_query_page(lang, parts.uri.path()))
            }
        }
    }
}

/// One item's page (`…/{id}`): the administrator, the id as [`Id`] reads it, and the
/// query (by default [`DoneQuery`]), read in that order.
pub struct PageOf<I, Q = DoneQuery>(pub Me, pub I, pub Q);

impl<I: FromStr + Send, Q: DeserializeOwned> FromRequestParts<ConsoleState> for PageOf<I, Q> {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        st: &ConsoleState,
    ) -> Result<Self, Response> {
        let me = Me::from_request_parts(parts, st).await?;
        let Id(id) = Id::from_request_parts(parts, st).await?;
        let Query(q) = Query::from_request_parts(parts, st).await?;
        Ok(Self(me, id, q))
    }
}

/// A form posted to one item's address (`…/{id}/…`): the id, read first as [`Id`] reads
/// it, then the administrator and the form, as [`Posted`] checks them.
pub struct PostedTo<I, T = Empty> {
    pub id: I,
    pub me: Me,
    pub form: T,
}

impl<I: FromStr + Send, T: DeserializeOwned> FromRequest<ConsoleState> for PostedTo<I, T> {
    type Rejection = Response;

    async fn from_request(req: Request, st: &ConsoleState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let Id(id) = Id::from_request_parts(&mut parts, st).await?;
        let Posted { me, form } =
            Posted::from_request(Request::from_parts(parts, body), st).await?;
        Ok(Self { id, me, form })
    }
}

/// The handler of an item's Delete button: once [`PostedTo`] has read the id and checked
/// the form, `delete` removes the item, and the browser goes on to `back` (or the error
/// page says why not).
pub fn delete_button<I, T, E, Fut>(
    back: &'static str,
    delete: impl Fn(ConsoleState, Admin, I) -> Fut + Clone + Send + Sync + 'static,
) -> MethodRouter<ConsoleState>
where
    I: FromStr + Send + 'static,
    Fut: std::future::Future<Output = Result<T, E>> + Send + 'static,
    E: Into<ApiError>,
{
    let handler = move |st: axum::extract::State<ConsoleState>, p: PostedTo<I>| async move {
        let result = delete(st.0.clone(), p.me.admin.clone(), p.id).await;
        st.after(&p.me, result, back)
    };
    post(handler)
}

/// The page for an id in the address that names nothing.
pub fn not_found(st: &ConsoleState, me: &Me, what: &'static str) -> ErrorPage {
    st.console
        .error_page(me.lang, &ApiError::NotFound(what))
        .into()
}

/// What an Enabled button posts (an API token's, an endpoint token's): `enabled=true`
/// switches it on, anything else off; on a list, also the listing to return to (`back`).
#[derive(Deserialize)]
pub struct EnabledForm {
    enabled: String,
    #[serde(default)]
    pub back: String,
}

impl EnabledForm {
    pub fn on(&self) -> bool {
        self.enabled == "true"
    }
}

/// The query of a page reached after an action: which action (`done`), for its notice.
#[derive(Deserialize, Default)]
pub struct DoneQuery {
    pub done: Option<String>,
}

/// The query of a list page: its search, which of the items (`status`, on the pages that
/// filter by it), its page, and `done` as in [`DoneQuery`] (with how many, `count`).
/// [`ListPage::render`] reads it.
#[derive(Deserialize, Default)]
pub struct ListQuery {
    q: Option<String>,
    status: Option<String>,
    page: Option<u32>,
    done: Option<String>,
    count: Option<u32>,
    /// The column to sort by, on the pages that sort (`dir`: `asc` or `desc`).
    sort: Option<String>,
    dir: Option<String>,
    /// Why the last action did nothing (a console refusal's code), shown as its error.
    error: Option<String>,
    /// What a check would answer now, on the pages that filter by it (a token's
    /// standing: `VALID`, `refused` or a refusal code).
    standing: Option<String>,
}

impl ListQuery {
    /// The search, if one was typed.
    pub fn search(&self) -> Option<&str> {
        self.q.as_deref().filter(|s| !s.trim().is_empty())
    }

    /// The status asked for, if any.
    pub fn status(&self) -> Option<&str> {
        self.status.as_deref()
    }

    /// The standing asked for, if any.
    pub fn standing(&self) -> Option<&str> {
        self.standing.as_deref().filter(|s| !s.is_empty())
    }

    /// The column asked to sort by, if any, and whether descending was asked
    /// (`Some(true)`), ascending (`Some(false)`) or neither.
    pub fn sort(&self) -> (Option<&str>, Option<bool>) {
        let dir = match self.dir.as_deref() {
            Some("desc") => Some(true),
            Some("asc") => Some(false),
            _ => None,
        };
        (self.sort.as_deref(), dir)
    }

    /// The status asked for among a page's `statuses` (each its name and its filter in
    /// the store; never empty), or else the first of them: the page's default.
    pub fn among<F: Copy>(&self, statuses: &[(&'static str, F)]) -> (&'static str, F) {
        let asked = self.status();
        statuses
            .iter()
            .copied()
            .find(|(name, _)| asked == Some(*name))
            .unwrap_or(statuses[0])
    }
}

/// A list page: its template, its menu section, and how many items one page shows.
pub struct ListPage {
    pub template: &'static str,
    pub section: &'static str,
    pub per_page: u32,
}

impl ListPage {
    /// Page `q.page` of what `list` finds (for the search and status of `q`), as `items`
    /// with their `pager` and the search `q`; the notice for `q.done`; and `ctx`, the
    /// rest of the page (its form: empty, or as it was refused).
    pub async fn render<T: Serialize, E: Into<ApiError>>(
        &self,
        st: &ConsoleState,
        me: &Me,
        q: &ListQuery,
        refused: Option<&ApiError>,
        list: impl AsyncFnOnce(keyward_store::Page) -> Result<(Vec<T>, i64), E>,
        ctx: Value,
    ) -> Answer {
        let page = keyward_store::Page::new(q.page.unwrap_or(1), self.per_page);
        let (items, total) = list(page).await.or_page(st, me)?;
        let frame = me
            .page(&st.console, self.section)
            .with_notice(&st.console, q.done.as_deref(), q.count)
            .with_refusal(&st.console, q.error.as_deref());
        let ctx = minijinja::context! {
            items, pager => Pager::new(page, total), q => q.search().unwrap_or_default(), ..ctx
        };
        Ok(st.console.render_form(self.template, frame, refused, ctx))
    }
}

/// Where a listing is: page `page` of `pages`, `total` items in all.
#[derive(Serialize)]
pub struct Pager {
    pub page: u32,
    pub pages: u32,
    pub total: i64,
}

impl Pager {
    pub fn new(page: keyward_store::Page, total: i64) -> Self {
        let per = i64::from(page.per_page.max(1));
        let pages = u32::try_from((total + per - 1) / per)
            .unwrap_or(u32::MAX)
            .max(1);
        Self {
            page: page.page,
            pages,
            total,
        }
    }
}

/// A change that can cut integrations off (an outage-sized change: API tokens switched
/// off, every stored secret erased, an endpoint made public), held until the
/// administrator confirms it: the page (`confirm_change.html`) names what would happen
/// and posts the form again, as it was, with `confirmed=yes`. With `typed`, the
/// administrator must also type that text (the tenant's name).
#[derive(Serialize, Debug)]
pub struct Confirmation {
    /// The page's title (a message id).
    pub title: &'static str,
    /// Where the confirmed form goes, and where Cancel goes.
    pub action: String,
    pub cancel: String,
    /// What would happen, one message each.
    pub consequences: Vec<Consequence>,
    /// The form's fields as posted, re-sent as hidden fields.
    pub fields: Vec<(&'static str, String)>,
    pub typed: Option<String>,
    /// The text typed did not match: the page says so.
    pub mistyped: bool,
    /// The confirming button's words (a message id).
    pub button: &'static str,
}

/// One consequence of a held change: a message id with its `count` and `name`.
#[derive(Serialize, Debug, PartialEq)]
pub struct Consequence {
    pub key: &'static str,
    pub count: i64,
    pub name: String,
}

impl Consequence {
    pub fn new(key: &'static str) -> Self {
        Self {
            key,
            count: 0,
            name: String::new(),
        }
    }

    pub fn count(mut self, n: i64) -> Self {
        self.count = n;
        self
    }

    pub fn name(mut self, name: &str) -> Self {
        self.name = name.to_string();
        self
    }
}

/// The ticked ones of a form's checkboxes (`name`, the value posted), as fields to post
/// again: an unticked box posts nothing.
pub fn ticked<'a>(
    boxes: impl IntoIterator<Item = (&'static str, &'a Option<String>)>,
) -> Vec<(&'static str, String)> {
    boxes
        .into_iter()
        .filter_map(|(name, v)| v.clone().map(|v| (name, v)))
        .collect()
}

/// What the confirmation of a held change posts besides the form itself.
#[derive(Deserialize, Serialize, Default, Debug)]
pub struct Confirmed {
    #[serde(default)]
    confirmed: String,
    #[serde(default)]
    confirm_typed: String,
}

impl Confirmed {
    /// Whether the change may go ahead: confirmed, and when `typed` is asked for, typed
    /// exactly (around spaces aside).
    pub fn allows(&self, typed: Option<&str>) -> bool {
        self.confirmed == "yes" && typed.is_none_or(|t| self.confirm_typed.trim() == t)
    }

    /// Confirmed, but with the wrong text typed.
    pub fn mistyped(&self, typed: Option<&str>) -> bool {
        self.confirmed == "yes" && !self.allows(typed)
    }
}

impl Confirmation {
    /// The page, in the frame of `section`; after a mistyped name, with that error.
    pub fn render(self, st: &ConsoleState, me: &Me, section: &'static str) -> Response {
        let page = me.page(&st.console, section);
        let refused = self
            .mistyped
            .then(|| invalid("confirm_mistyped", "the name typed does not match"));
        st.console.render_form(
            "confirm_change.html",
            page,
            refused.as_ref(),
            minijinja::context! { c => self },
        )
    }
}

/// A console form's own refusal, with a code the message files translate
/// (`error-{code}`).
pub fn invalid(code: &'static str, detail: &str) -> ApiError {
    ApiError::Unprocessable {
        code,
        detail: detail.to_string(),
    }
}

/// A taken unique value named for what it is: the store's conflict on `field` becomes the
/// console's refusal `code` (`error-{code}` in the message files), whose words say which
/// value is taken, where the API answers `conflict` for every one.
pub fn taken(
    field: &'static str,
    code: &'static str,
) -> impl FnOnce(crate::service::ServiceError) -> ApiError {
    move |e| match e {
        crate::service::ServiceError::Store(keyward_store::StoreError::Conflict {
            field: f,
            value,
        }) if f == field => ApiError::Conflict {
            code,
            detail: format!("{field} {value:?} is already taken"),
        },
        e => e.into(),
    }
}

/// A name typed into a form (of a department, a token, a key…), refused as `invalid_name`.
pub fn parse_name(s: &str) -> Result<keyward_core::text::Name, ApiError> {
    keyward_core::text::Name::parse(s.trim()).map_err(|_| invalid("invalid_name", "name"))
}

fn parse_date(s: &str) -> Result<Option<time::Date>, ApiError> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(s, format)
        .map(Some)
        .map_err(|_| invalid("invalid_date", "not a date"))
}

/// The first moment (UTC) of a date typed into an `<input type="date">`.
pub fn date_start(s: &str) -> Result<Option<time::OffsetDateTime>, ApiError> {
    Ok(parse_date(s)?.map(|d| d.midnight().assume_utc()))
}

/// The last second (UTC) of a date typed into an `<input type="date">`.
pub fn date_end(s: &str) -> Result<Option<time::OffsetDateTime>, ApiError> {
    match parse_date(s)? {
        None => Ok(None),
        Some(d) => d
            .next_day()
            .map(|n| Some(n.midnight().assume_utc() - time::Duration::seconds(1)))
            .ok_or_else(|| invalid("invalid_date", "not a date")),
    }
}

/// The period of a filter's two `<input type="date">` fields: from the first moment of
/// `from` to the last second of `to` (UTC), either end open when left empty.
pub fn period(
    from: &str,
    to: &str,
) -> Result<(Option<time::OffsetDateTime>, Option<time::OffsetDateTime>), ApiError> {
    Ok((date_start(from)?, date_end(to)?))
}

/// Percent-encodes everything but unreserved characters (RFC 3986 §2.3).
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Headers every console response carries: no caching of pages that show secrets, no
/// framing, and a content security policy that allows only our own script and style.
async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'; connect-src 'self'",
        ),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

fn asset(body: &'static str, content_type: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

async fn home(me: Me) -> Redirect {
    if me.settings.api_tokens_enabled {
        Redirect::to("/console/tokens")
    } else {
        Redirect::to("/console/users")
    }
}

/// The console's routes, with their own state.
pub fn router<S>(app: AppState, console: Arc<Console>) -> Router<S> {
    routes().with_state(ConsoleState { app, console })
}

fn routes() -> Router<ConsoleState> {
    Router::new()
        .route("/console", get(home))
        .route("/console/", get(home))
        .route(
            "/console/login",
            get(session::login_page).post(session::login),
        )
        .route("/console/logout", post(session::logout))
        .route("/console/language", post(session::set_language))
        .route(
            "/console/static/console.css",
            get(|| async { asset(CSS, "text/css; charset=utf-8") }),
        )
        .route(
            "/console/static/console.js",
            get(|| async { asset(JS, "text/javascript; charset=utf-8") }),
        )
        .merge(tokens::router())
        .merge(users::router())
        .merge(org::router())
        .merge(settings::router())
        .merge(audit::router())
        .merge(endpoints::router())
        .merge(verifier_keys::router())
        .merge(webhooks::router())
        .layer(axum::middleware::from_fn(security_headers))
}

/// The name of a credential as a page shows it: a primary token's stored name is English
/// (`POST primary token`, see `EndpointMethod::primary_name`), so it is named in the
/// page's language; any other name is shown as it is.
pub fn shown_name(i18n: &i18n::I18n, lang: i18n::Lang, name: &str) -> String {
    match keyward_core::endpoint::EndpointMethod::of_primary_name(name) {
        Some(m) => {
            let args = i18n::args([("method", m.as_str().to_string())]);
            i18n.message(lang, "data-primary-token", Some(&args))
        }
        None => name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_encoding_keeps_only_unreserved_characters() {
        assert_eq!(
            url_encode("/console/tokens?page=2&q=a b"),
            "%2Fconsole%2Ftokens%3Fpage%3D2%26q%3Da%20b"
        );
        assert_eq!(url_encode("Åse"), "%C3%85se");
    }

    #[test]
    fn every_message_a_template_uses_exists_in_both_languages() {
        let i = I18n::new();
        let mut missing = Vec::new();
        for (name, source) in TEMPLATES {
            let mut rest = *source;
            while let Some(at) = rest.find("t(\"") {
                rest = &rest[at + 3..];
                let Some(end) = rest.find('"') else { break };
                let key = &rest[..end];
                // `t("status-" ~ s)` builds the key at render time; its prefix is not one.
                if key.ends_with('-') {
                    continue;
                }
                for lang in i18n::LANGS {
                    if !i.has(lang, key) {
                        missing.push(format!("{name}: {key} ({})", lang.code()));
                    }
                }
            }
        }
        assert!(missing.is_empty(), "messages missing: {missing:#?}");
    }

    #[test]
    fn every_template_parses() {
        let c = Console::new();
        for (name, _) in TEMPLATES {
            assert!(c.env.get_template(name).is_ok(), "{name}");
        }
    }
}
