//! Administrator / Tokens: the two listings of seed 001 (API Tokens, Mobile Users
//! Logged In), the create form, the shown-once secret, the detail views and their
//! actions. Every action calls the REST API's own operation.

use super::session::{Me, Posted};
use super::{invalid, Answer, ErrorPage, OrErrorPage};
use super::{ConsoleState, EnabledForm};
use super::{ListPage, ListQuery};
use super::{PageOf, PostedTo};
use crate::error::ApiError;
use crate::service::tokens::verify_command;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use keyward_core::model::{in_period, SecretStorage, TokenDetails, User};
use keyward_core::{DepartmentId, TokenId, TokenKind, TokenSecret, UserId, UserTypeId};
use keyward_proto::tokens::{CreateToken, UpdateToken};
use keyward_proto::Timestamp;
use keyward_store::{
    MobileSessionFilter, Page, SessionStatusFilter, TokenFilter, TokenStatusFilter, UserFilter,
};
use minijinja::context;
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

pub fn router() -> Router<ConsoleState> {
    Router::new()
        .route("/console/tokens", get(list_api))
        .route("/console/tokens/mobile", get(list_mobile))
        .route("/console/tokens/mobile/{id}", get(session_detail))
        .route("/console/tokens/new", get(new_form).post(create))
        .route("/console/tokens/bulk-delete", post(bulk_delete))
        .route("/console/tokens/{id}", get(detail))
        .route("/console/tokens/{id}/revoke", post(revoke))
        .route("/console/tokens/{id}/regenerate", post(regenerate))
        .route("/console/tokens/{id}/reveal", post(reveal))
        .route("/console/tokens/{id}/enabled", post(set_enabled))
}

/// Both listings, API tokens and mobile sessions.
const TOKENS: ListPage = ListPage {
    template: "tokens.html",
    section: "tokens",
    per_page: 25,
};

fn status_filter(s: Option<&str>) -> (TokenStatusFilter, &'static str) {
    match s {
        Some("active") => (TokenStatusFilter::Active, "active"),
        Some("expired") => (TokenStatusFilter::Expired, "expired"),
        Some("revoked") => (TokenStatusFilter::Revoked, "revoked"),
        Some("disabled") => (TokenStatusFilter::Disabled, "disabled"),
        _ => (TokenStatusFilter::All, "all"),
    }
}

/// The statuses of mobile sessions in the order the filter offers them; the first (the
/// logged-in ones) is the default.
const MOBILE_STATUSES: [(&str, SessionStatusFilter); 3] = [
    ("active", SessionStatusFilter::Active),
    ("expired", SessionStatusFilter::Expired),
    ("all", SessionStatusFilter::All),
];

/// The Tokens menu is hidden when the tenant has switched API tokens off (rule 5);
/// the pages answer the same way for anyone who types the address.
fn tokens_shown(st: &ConsoleState, me: &Me) -> Result<(), ErrorPage> {
    if me.settings.api_tokens_enabled {
        return Ok(());
    }
    let page = st.console.message_page(
        me.lang,
        StatusCode::NOT_FOUND,
        "tokens-disabled-title",
        "tokens-disabled",
    );
    Err(page.into())
}

async fn list_api(State(st): State<ConsoleState>, me: Me, Query(q): Query<ListQuery>) -> Answer {
    tokens_shown(&st, &me)?;
    let (status, status_name) = status_filter(q.status());
    let f = TokenFilter {
        status,
        kind: Some(TokenKind::Api),
        user_id: None,
        q: q.search().map(str::to_string),
    };
    let tokens = st.tokens();
    let list = async |page| tokens.list(&me.admin, &f, page).await;
    let ctx = context! {
        tab => "api", status => status_name,
        statuses => ["all", "active", "revoked", "expired", "disabled"],
    };
    TOKENS.render(&st, &me, &q, None, list, ctx).await
}

/// Mobile Users Logged In. Listed whatever the API-token flag says (rule 5 leaves
/// sessions be); the logged-in ones by default.
async fn list_mobile(State(st): State<ConsoleState>, me: Me, Query(q): Query<ListQuery>) -> Answer {
    let (status, filter) = q.among(&MOBILE_STATUSES);
    let f = MobileSessionFilter {
        status: filter,
        user_id: None,
        department_id: None,
        q: q.search().map(str::to_string),
    };
    let sessions = st.sessions();
    let list = async |page| sessions.list(&me.admin, &f, page).await;
    let statuses = MOBILE_STATUSES.map(|(name, _)| name);
    let ctx = context! { tab => "mobile", status, statuses };
    TOKENS.render(&st, &me, &q, None, list, ctx).await
}

async fn session_detail(State(st): State<ConsoleState>, p: PageOf<TokenId>) -> Answer {
    let PageOf(me, id, q) = p;
    let session = st.sessions().get(&me.admin, id).await.or_page(&st, &me)?;
    let frame = me.page_with_notice(&st.console, "tokens", q.done.as_deref());
    let ctx = context! { s => session };
    Ok(st.console.render("session.html", &frame, ctx))
}

#[derive(Serialize)]
struct MembershipOption {
    value: String,
    department_name: String,
    user_type_name: String,
}

#[derive(Serialize)]
struct OwnerOption {
    id: String,
    label: String,
    memberships: Vec<MembershipOption>,
}

#[derive(Deserialize, Default, Serialize, Clone)]
pub struct NewTokenForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    expires_on: String,
    #[serde(default)]
    user_id: String,
    #[serde(default)]
    membership: String,
}

/// The users who may own a new API token: with `require_technical_user`, only technical
/// users within their employment period today (rule 3); never locked users.
async fn owners(st: &ConsoleState, me: &Me) -> Result<Vec<OwnerOption>, ApiError> {
    let now = OffsetDateTime::now_utc();
    let technical_only = me.settings.require_technical_user;
    let f = UserFilter {
        is_technical: technical_only.then_some(true),
        locked: Some(false),
        ..Default::default()
    };
    let (users, _) = st
        .store
        .list_users(me.admin.tenant_id, &f, Page::new(1, 500))
        .await?;
    let mut out = Vec::new();
    for u in users
        .into_iter()
        .filter(|u: &User| in_period(u.active_from, u.active_until, now))
    {
        let memberships = st.store.memberships(me.admin.tenant_id, u.id).await?;
        out.push(OwnerOption {
            id: u.id.to_string(),
            label: format!("{} ({})", u.display_name, u.username),
            memberships: memberships
                .into_iter()
                .map(|m| MembershipOption {
                    value: format!("{}:{}", m.department_id, m.user_type_id),
                    department_name: m.department_name,
                    user_type_name: m.user_type_name,
                })
                .collect(),
        });
    }
    Ok(out)
}

fn latest_expiry(me: &Me, now: OffsetDateTime) -> Option<OffsetDateTime> {
    let days = me.settings.max_token_lifetime_days;
    (days > 0).then(|| now + Duration::days(i64::from(days)))
}

async fn render_new(
    st: &ConsoleState,
    me: &Me,
    form: NewTokenForm,
    error: Option<&ApiError>,
) -> Answer {
    let owners = owners(st, me).await.or_page(st, me)?;
    let now = OffsetDateTime::now_utc();
    let page = me.page(&st.console, "tokens");
    let default_expiry = match me.settings.default_token_lifetime_days {
        0 => None,
        d => Some(now + Duration::days(i64::from(d))),
    }
    .or_else(|| latest_expiry(me, now));
    let ctx = context! {
        form, owners,
        today => now.date().to_string(),
        max_date => latest_expiry(me, now).map(|t| t.date().to_string()),
        max_days => me.settings.max_token_lifetime_days,
        default_date => default_expiry.map(|t| t.date().to_string()),
        // Only with neither a cap nor a default does an empty date mean "never".
        never_expires_allowed => me.settings.max_token_lifetime_days == 0
            && me.settings.default_token_lifetime_days == 0,
        default_days => me.settings.default_token_lifetime_days,
        technical_only => me.settings.require_technical_user,
    };
    Ok(st.console.render_form("token_new.html", page, error, ctx))
}

#[derive(Deserialize)]
struct NewQuery {
    user_id: Option<String>,
}

async fn new_form(State(st): State<ConsoleState>, me: Me, Query(q): Query<NewQuery>) -> Answer {
    tokens_shown(&st, &me)?;
    let form = NewTokenForm {
        user_id: q.user_id.unwrap_or_default(),
        ..Default::default()
    };
    render_new(&st, &me, form, None).await
}

/// The expiry an `<input type="date">` value stands for: the token works through that
/// whole day (UTC), but never past the tenant's maximum.
fn expiry_from_date(
    me: &Me,
    s: &str,
    now: OffsetDateTime,
) -> Result<Option<OffsetDateTime>, ApiError> {
    let Some(end_of_day) = super::date_end(s)? else {
        return Ok(None);
    };
    Ok(Some(match latest_expiry(me, now) {
        Some(latest) if end_of_day.date() == latest.date() => end_of_day.min(latest),
        _ => end_of_day,
    }))
}

fn parse_create(me: &Me, f: &NewTokenForm) -> Result<CreateToken, ApiError> {
    let name = super::parse_name(&f.name)?;
    let user_id: UserId = f
        .user_id
        .parse()
        .map_err(|_| invalid("choose_user", "choose a user"))?;
    let (dept, ut) = f
        .membership
        .split_once(':')
        .ok_or_else(|| invalid("choose_membership", "choose a department and user type"))?;
    let department_id: DepartmentId = dept
        .parse()
        .map_err(|_| invalid("choose_membership", "department"))?;
    let user_type_id: UserTypeId = ut
        .parse()
        .map_err(|_| invalid("choose_membership", "user type"))?;
    let expires_at = expiry_from_date(me, &f.expires_on, OffsetDateTime::now_utc())?;
    Ok(CreateToken {
        name,
        user_id,
        department_id,
        user_type_id,
        expires_at: expires_at.map(Timestamp),
        description: f.description.trim().to_string(),
        allowed_cidrs: Vec::new(),
        rate_limit: None,
        max_uses: None,
    })
}

async fn create(State(st): State<ConsoleState>, p: Posted<NewTokenForm>) -> Answer {
    let Posted { me, form } = p;
    tokens_shown(&st, &me)?;
    let body = match parse_create(&me, &form) {
        Ok(b) => b,
        Err(e) => return render_new(&st, &me, form, Some(&e)).await,
    };
    let issued = st
        .tokens()
        .issue(me.admin.tenant_id, &me.admin.actor(), body)
        .await;
    match issued {
        Ok((created, secret)) => Ok(secret_page(&st, &me, &created, &secret, false)),
        Err(e) => render_new(&st, &me, form, Some(&e.into())).await,
    }
}

/// The page that shows a token's new secret, once: after it was created or regenerated.
fn secret_page(
    st: &ConsoleState,
    me: &Me,
    created: &TokenDetails,
    secret: &TokenSecret,
    regenerated: bool,
) -> Response {
    let page = me.page(&st.console, "tokens");
    let curl = verify_command(&st.config.public_url, me.admin.tenant_id, secret.expose());
    let ctx = context! {
        created, secret => secret.expose(), curl, regenerated,
        recoverable => me.settings.secret_storage == SecretStorage::Recoverable,
    };
    st.console.render("token_secret.html", &page, ctx)
}

async fn detail(State(st): State<ConsoleState>, p: PageOf<TokenId>) -> Answer {
    let PageOf(me, id, q) = p;
    let page = me.page_with_notice(&st.console, "tokens", q.done.as_deref());
    render_detail(&st, &me, page, id, None).await
}

async fn render_detail(
    st: &ConsoleState,
    me: &Me,
    page: super::Page,
    id: TokenId,
    revealed: Option<String>,
) -> Answer {
    let details = st.tokens().get(&me.admin, id).await.or_page(st, me)?;
    if details.token.kind == TokenKind::Mobile {
        return Ok(Redirect::to(&format!("/console/tokens/mobile/{id}")).into_response());
    }
    tokens_shown(st, me)?;
    let owner = st
        .directory()
        .user(&me.admin, details.token.user_id)
        .await
        .ok();
    let curl = verify_command(
        &st.config.public_url,
        me.admin.tenant_id,
        revealed.as_deref().unwrap_or("YOUR_TOKEN"),
    );
    let ctx = context! {
        tk => &details,
        owner,
        revealed,
        curl,
        recoverable => me.settings.secret_storage == SecretStorage::Recoverable && details.token.recoverable,
    };
    Ok(st.console.render("token.html", &page, ctx))
}

async fn revoke(State(st): State<ConsoleState>, p: PostedTo<TokenId>) -> Answer {
    let PostedTo { id, me, .. } = p;
    let result = st.tokens().revoke(&me.admin, id).await;
    st.after(&me, result, &format!("/console/tokens/{id}?done=revoked"))
}

async fn regenerate(State(st): State<ConsoleState>, p: PostedTo<TokenId>) -> Answer {
    let PostedTo { id, me, .. } = p;
    let regenerated = st.tokens().regenerate(&me.admin, id, 0).await;
    let (created, secret) = regenerated.or_page(&st, &me)?;
    Ok(secret_page(&st, &me, &created, &secret, true))
}

async fn reveal(State(st): State<ConsoleState>, p: PostedTo<TokenId>) -> Answer {
    let PostedTo { id, me, .. } = p;
    let token = st.tokens().reveal(&me.admin, id).await.or_page(&st, &me)?;
    let page = me.page(&st.console, "tokens");
    render_detail(&st, &me, page, id, Some(token)).await
}

async fn set_enabled(State(st): State<ConsoleState>, p: PostedTo<TokenId, EnabledForm>) -> Answer {
    let PostedTo { id, me, form } = p;
    let enabled = form.on();
    let up = UpdateToken {
        enabled: Some(enabled),
        ..Default::default()
    };
    let result = st.tokens().update(&me.admin, id, up).await;
    let done = if enabled { "enabled" } else { "disabled" };
    st.after(&me, result, &format!("/console/tokens/{id}?done={done}"))
}

/// One line of the delete confirmation.
#[derive(Serialize)]
struct ConfirmItem {
    id: TokenId,
    title: String,
    hint: String,
}

#[derive(Deserialize)]
struct BulkForm {
    #[serde(default)]
    ids: Vec<String>,
    #[serde(default)]
    confirm: String,
    /// The listing to return to: `api` or `mobile`.
    #[serde(default)]
    back: String,
}

/// Deleting asks first: the first post shows what would go, the second (with
/// `confirm=yes`) deletes it.
async fn bulk_delete(State(st): State<ConsoleState>, p: Posted<BulkForm>) -> Answer {
    let Posted { me, form } = p;
    let back = if form.back == "mobile" {
        "/console/tokens/mobile"
    } else {
        "/console/tokens"
    };
    let ids: Vec<TokenId> = form.ids.iter().filter_map(|s| s.parse().ok()).collect();
    if ids.is_empty() {
        let page = me.page(&st.console, "tokens");
        let e = invalid("nothing_selected", "select at least one token");
        let ctx = context! { items => Vec::<ConfirmItem>::new(), back };
        return Ok(st
            .console
            .render_form("confirm_delete.html", page, Some(&e), ctx));
    }
    let mobile = form.back == "mobile";
    if form.confirm != "yes" {
        let mut items = Vec::new();
        for id in &ids {
            let item = if mobile {
                st.sessions()
                    .get(&me.admin, *id)
                    .await
                    .map_err(ApiError::from)
                    .map(|s| ConfirmItem {
                        id: s.id,
                        title: format!("{} · {}", s.username, s.device_name),
                        hint: s.hint,
                    })
            } else {
                st.tokens()
                    .get(&me.admin, *id)
                    .await
                    .map_err(ApiError::from)
                    .map(|d| ConfirmItem {
                        id: d.token.id,
                        title: format!("{} · {}", d.token.name, d.username),
                        hint: d.token.hint,
                    })
            };
            if let Ok(item) = item {
                items.push(item);
            }
        }
        let page = me.page(&st.console, "tokens");
        let back_name = if mobile { "mobile" } else { "api" };
        let ctx = context! { items, back, back_name };
        return Ok(st.console.render("confirm_delete.html", &page, ctx));
    }
    let deleted = if mobile {
        st.sessions().bulk_delete(&me.admin, ids).await
    } else {
        st.tokens().bulk_delete(&me.admin, ids).await
    };
    let (deleted, _) = deleted.or_page(&st, &me)?;
    let count = deleted.len();
    Ok(Redirect::to(&format!("{back}?done=deleted&count={count}")).into_response())
}
