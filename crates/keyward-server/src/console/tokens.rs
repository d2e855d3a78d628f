//! Administrator / Tokens: the two listings of seed 001 (API Tokens, Mobile Users
//! Logged In), the create form, the shown-once secret, the detail views and their
//! actions. Every action calls the REST API's own operation.

use super::session::{Me, Posted};
use super::Query;
use super::{invalid, Answer, ErrorPage, OrErrorPage};
use super::{ConsoleState, EnabledForm};
use super::{Id, PageOf, PostedTo};
use super::{ListPage, ListQuery};
use crate::error::ApiError;
use crate::service::tokens::ready_line;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use keyward_core::model::{in_period, Membership, SecretStorage, TokenDetails, TokenStatus, User};
use keyward_core::{DepartmentId, TokenId, TokenKind, TokenSecret, UserId, UserTypeId};
use keyward_proto::tokens::{CreateToken, UpdateToken};
use keyward_proto::Timestamp;
use keyward_store::{
    MobileSessionFilter, Page, SessionStatusFilter, StandingFilter, TokenFilter, TokenOrder,
    TokenSortKey, TokenStatusFilter, UserFilter,
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
        .route(
            "/console/tokens/{id}/regenerate",
            get(regenerate_form).post(regenerate),
        )
        .route("/console/tokens/{id}/reveal", post(reveal))
        .route("/console/tokens/{id}/end-grace", post(end_grace))
        .route("/console/tokens/{id}/enabled", post(set_enabled))
        .route("/console/tokens/{id}/settings", post(save_settings))
}

/// Both listings, API tokens and mobile sessions.
const TOKENS: ListPage = ListPage {
    template: "tokens.html",
    section: "tokens",
    per_page: 25,
};

/// How soon an active token's expiry is marked "expires soon", and what the listing's
/// "Expiring soon" filter finds: within the tenant's `expiry_notice_days`, the notice
/// period of its `token.expiring` webhook (0 marks nothing).
fn soon_days(me: &Me) -> i64 {
    i64::from(me.settings.expiry_notice_days)
}

/// The moment before which an active token expires "soon".
fn soon_after(me: &Me, now: OffsetDateTime) -> OffsetDateTime {
    now + Duration::days(soon_days(me))
}

/// Whether the token is active and expires within [`soon_days`].
fn expiring_soon(me: &Me, d: &TokenDetails, now: OffsetDateTime) -> bool {
    soon_days(me) > 0
        && d.status == TokenStatus::Active
        && d.token.expires_at.is_some_and(|e| e <= soon_after(me, now))
}

/// The status filter of the listing, and the filter's name. `expiring` is the active
/// tokens that expire within [`soon_days`].
fn status_filter(
    me: &Me,
    s: Option<&str>,
    now: OffsetDateTime,
) -> (TokenStatusFilter, Option<OffsetDateTime>, &'static str) {
    match s {
        Some("active") => (TokenStatusFilter::Active, None, "active"),
        Some("expiring") => (
            TokenStatusFilter::Active,
            Some(soon_after(me, now)),
            "expiring",
        ),
        Some("expired") => (TokenStatusFilter::Expired, None, "expired"),
        Some("revoked") => (TokenStatusFilter::Revoked, None, "revoked"),
        Some("disabled") => (TokenStatusFilter::Disabled, None, "disabled"),
        Some("stale") => (TokenStatusFilter::Stale, None, "stale"),
        _ => (TokenStatusFilter::All, None, "all"),
    }
}

/// The listing's status filters: `stale` only while the tenant's inactivity policy marks
/// tokens.
fn statuses(me: &Me) -> &'static [&'static str] {
    const ALL: [&str; 7] = [
        "all", "active", "expiring", "revoked", "expired", "disabled", "stale",
    ];
    if me.settings.flag_unused_after_days > 0 {
        &ALL
    } else {
        &ALL[..6]
    }
}

/// The columns the API-token listing sorts by: the name in the query (`sort=`), the
/// store's key, and whether a first click sorts descending. The first is the default.
const SORTS: [(&str, TokenSortKey, bool); 4] = [
    ("created", TokenSortKey::Created, true),
    ("expiry", TokenSortKey::Expiry, false),
    ("name", TokenSortKey::Name, false),
    ("last_used", TokenSortKey::LastUsed, true),
];

/// The order the query asks for: its column (or the default), and its direction (or
/// the column's first).
fn sort_of(q: &ListQuery) -> (&'static str, TokenOrder) {
    let (asked, dir) = q.sort();
    let (name, key, first) = SORTS
        .iter()
        .copied()
        .find(|(n, _, _)| asked == Some(*n))
        .unwrap_or(SORTS[0]);
    let descending = dir.unwrap_or(first);
    (name, TokenOrder { key, descending })
}

/// A column heading's sort link: where it goes, and, on the column sorted by, which way
/// (for `aria-sort`).
#[derive(Serialize, Debug)]
struct SortLink {
    href: String,
    aria: Option<&'static str>,
}

/// The standings the listing's "Verification" filter offers (names of
/// [`StandingFilter::CHOICES`]), after "all". Expired, revoked and disabled tokens are
/// what the status filter finds; API tokens switched off hide the page.
const STANDINGS: [&str; 6] = [
    "VALID",
    "refused",
    "USER_LOCKED",
    "USER_INACTIVE",
    "FORBIDDEN",
    "USAGE_EXCEEDED",
];

/// The standing asked for among [`STANDINGS`], with its filter; anything else is "all".
fn standing_filter(asked: Option<&str>) -> Option<(&'static str, StandingFilter)> {
    let asked = asked.filter(|a| STANDINGS.contains(a))?;
    StandingFilter::CHOICES
        .iter()
        .copied()
        .find(|(name, _)| *name == asked)
}

/// The listing's filters as a query string (no `?`): the status, the standing when one
/// is chosen, and the search; sort links and the pager keep them.
fn filter_query(status: &str, standing: Option<&str>, search: &str) -> String {
    let standing = standing
        .map(|s| format!("&standing={s}"))
        .unwrap_or_default();
    format!("status={status}{standing}&q={}", super::url_encode(search))
}

/// The sort links of the headings, by column name: the column sorted by flips its
/// direction, the others start at their first. Each keeps the filters (as
/// [`filter_query`] writes them), and goes back to page 1.
fn sort_links(
    filters: &str,
    current: (&str, TokenOrder),
) -> std::collections::BTreeMap<&'static str, SortLink> {
    let (current_name, order) = current;
    SORTS
        .iter()
        .map(|&(name, _, first)| {
            let is_current = name == current_name;
            let descending = if is_current { !order.descending } else { first };
            let dir = if descending { "desc" } else { "asc" };
            let href = format!("?{filters}&sort={name}&dir={dir}");
            let aria = is_current.then_some(if order.descending {
                "descending"
            } else {
                "ascending"
            });
            (name, SortLink { href, aria })
        })
        .collect()
}

/// A row of the API-token listing: the token, and whether it expires soon.
#[derive(Serialize)]
struct TokenRow {
    #[serde(flatten)]
    details: TokenDetails,
    expiring_soon: bool,
}

/// The statuses of mobile sessions in the order the filter offers them; the first (the
/// logged-in ones) is the default.
const MOBILE_STATUSES: [(&str, SessionStatusFilter); 3] = [
    ("active", SessionStatusFilter::Active),
    ("expired", SessionStatusFilter::Expired),
    ("all", SessionStatusFilter::All),
];

/// The Tokens menu is hidden when the tenant has switched API tokens off (rule 5);
/// the pages answer the same way for anyone who types the address (or kept it as a
/// bookmark): in the console's frame, saying so, with the way on to Settings, where
/// they are switched on again, and to the mobile sessions, which stay.
fn tokens_shown(st: &ConsoleState, me: &Me) -> Result<(), ErrorPage> {
    if me.settings.api_tokens_enabled {
        return Ok(());
    }
    let page = st.console.message_in_frame(
        &me.page(&st.console, "tokens"),
        StatusCode::NOT_FOUND,
        "tokens-disabled-title",
        "tokens-disabled",
        &[
            ("tokens-disabled-to-settings", "/console/settings"),
            ("tokens-disabled-to-mobile", "/console/tokens/mobile"),
        ],
    );
    Err(page.into())
}

async fn list_api(State(st): State<ConsoleState>, me: Me, Query(q): Query<ListQuery>) -> Answer {
    tokens_shown(&st, &me)?;
    let now = OffsetDateTime::now_utc();
    let (status, expires_by, status_name) = status_filter(&me, q.status(), now);
    let standing = standing_filter(q.standing());
    let sort = sort_of(&q);
    let f = TokenFilter {
        status,
        kind: Some(TokenKind::Api),
        user_id: None,
        q: q.search().map(str::to_string),
        expires_by,
        order: sort.1,
        standing: standing.map(|(_, f)| f),
    };
    let tokens = st.tokens();
    // How many active tokens expire soon, for the callout above the list (not while
    // the list shows just those).
    let expiring = if status_name == "expiring" {
        0
    } else {
        let soon = TokenFilter {
            status: TokenStatusFilter::Active,
            kind: Some(TokenKind::Api),
            expires_by: Some(soon_after(&me, now)),
            ..Default::default()
        };
        let (_, n) = tokens
            .list(&me.admin, &soon, Page::new(1, 1))
            .await
            .or_page(&st, &me)?;
        n
    };
    let list = async |page| {
        let (items, total) = tokens.list(&me.admin, &f, page).await?;
        let rows: Vec<TokenRow> = items
            .into_iter()
            .map(|details| TokenRow {
                expiring_soon: expiring_soon(&me, &details, now),
                details,
            })
            .collect();
        Ok::<_, crate::service::ServiceError>((rows, total))
    };
    let standing = standing.map(|(name, _)| name);
    let filters = filter_query(status_name, standing, q.search().unwrap_or_default());
    let sorts = sort_links(&filters, sort);
    let ctx = context! {
        tab => "api", status => status_name,
        statuses => statuses(&me),
        standing => standing.unwrap_or("all"), standings => STANDINGS, filters,
        sort => sort.0, dir => if sort.1.descending { "desc" } else { "asc" }, sorts,
        expiring, soon_days => soon_days(&me), stale_days => me.settings.flag_unused_after_days,
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
    let ctx = context! {
        tab => "mobile", status, statuses, stale_days => me.settings.flag_unused_after_days,
    };
    TOKENS.render(&st, &me, &q, None, list, ctx).await
}

async fn session_detail(State(st): State<ConsoleState>, p: PageOf<TokenId>) -> Answer {
    let PageOf(me, id, q) = p;
    let session = st.sessions().get(&me.admin, id).await.or_page(&st, &me)?;
    let frame = me.page_with_notice(&st.console, "tokens", q.done.as_deref());
    let ctx = context! { s => session, stale_days => me.settings.flag_unused_after_days };
    Ok(st.console.render("session.html", &frame, ctx))
}

/// One choice of the membership list: a membership of one owner. Its `value` names the
/// owner as well as the department and user type, so no two options of the list share a
/// value: two users who hold the same department and user type each get an option of
/// their own, and choosing one of them (by value, as the browser and the page's script
/// do) can never land on the other's, which the script hides and disables.
#[derive(Serialize, Debug, PartialEq)]
struct MembershipOption {
    value: String,
    department_name: String,
    user_type_name: String,
    /// Shown as chosen: the form's own choice, when it is redrawn after a refusal.
    selected: bool,
}

#[derive(Serialize, Debug, PartialEq)]
struct OwnerOption {
    id: String,
    label: String,
    /// The form's chosen user.
    selected: bool,
    memberships: Vec<MembershipOption>,
}

/// The value of the membership option for `(user, department, user type)`.
fn membership_value(user: UserId, dept: DepartmentId, user_type: UserTypeId) -> String {
    format!("{user}:{dept}:{user_type}")
}

/// The page's lists of users and of their memberships, in the order given, with the
/// form's choice selected.
fn owner_options(
    candidates: Vec<(User, Vec<Membership>)>,
    form: &NewTokenForm,
) -> Vec<OwnerOption> {
    candidates
        .into_iter()
        .map(|(u, memberships)| {
            let id = u.id.to_string();
            let mine = form.user_id == id;
            OwnerOption {
                label: format!("{} ({})", u.display_name, u.username),
                selected: mine,
                memberships: memberships
                    .into_iter()
                    .map(|m| {
                        let value = membership_value(u.id, m.department_id, m.user_type_id);
                        MembershipOption {
                            selected: mine && form.membership == value,
                            value,
                            department_name: m.department_name,
                            user_type_name: m.user_type_name,
                        }
                    })
                    .collect(),
                id,
            }
        })
        .collect()
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
    /// `user:department:user type`, as [`membership_value`] writes it.
    #[serde(default)]
    membership: String,
}

/// The users who may own a new API token: with `require_technical_user`, only technical
/// users within their employment period today (rule 3); never locked users.
async fn owners(
    st: &ConsoleState,
    me: &Me,
    form: &NewTokenForm,
) -> Result<Vec<OwnerOption>, ApiError> {
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
    let mut candidates = Vec::new();
    for u in users
        .into_iter()
        .filter(|u: &User| in_period(u.active_from, u.active_until, now))
    {
        let memberships = st.store.memberships(me.admin.tenant_id, u.id).await?;
        candidates.push((u, memberships));
    }
    Ok(owner_options(candidates, form))
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
    let owners = owners(st, me, &form).await.or_page(st, me)?;
    let now = OffsetDateTime::now_utc();
    let page = me.page(&st.console, "tokens");
    let default_expiry = match me.settings.default_token_lifetime_days {
        0 => None,
        d => Some(now + Duration::days(i64::from(d))),
    }
    .or_else(|| latest_expiry(me, now));
    let ctx = context! {
        form, owners,
        presets => expiry_presets(me.settings.max_token_lifetime_days, now.date()),
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

/// A quick choice beside the create form's date: `days` from today, as the date the
/// picker takes.
#[derive(Serialize, Debug, PartialEq)]
struct Preset {
    days: u32,
    date: String,
}

/// The quick choices of the create form (7, 30 and 90 days, a year) that the tenant's
/// maximum lifetime (`max_days`, 0 for none) allows.
fn expiry_presets(max_days: u32, today: time::Date) -> Vec<Preset> {
    [7, 30, 90, 365]
        .into_iter()
        .filter(|&d| max_days == 0 || d <= max_days)
        .map(|days| Preset {
            days,
            date: (today + Duration::days(i64::from(days))).to_string(),
        })
        .collect()
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

/// The department and user type of the membership option `value` (as
/// [`membership_value`] wrote it), which must be one listed under `user_id`.
fn parse_membership(user_id: UserId, value: &str) -> Result<(DepartmentId, UserTypeId), ApiError> {
    let choose = || invalid("choose_membership", "choose a department and user type");
    let mut parts = value.split(':');
    let (Some(owner), Some(dept), Some(ut), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(choose());
    };
    let (Ok(owner), Ok(department_id), Ok(user_type_id)) = (
        owner.parse::<UserId>(),
        dept.parse::<DepartmentId>(),
        ut.parse::<UserTypeId>(),
    ) else {
        return Err(choose());
    };
    // Without the page's script every user's memberships are listed: one of another
    // user's is refused by name rather than taken as the chosen user's.
    if owner != user_id {
        return Err(invalid(
            "membership_of_other_user",
            "that department and user type are listed under another user",
        ));
    }
    Ok((department_id, user_type_id))
}

fn parse_create(me: &Me, f: &NewTokenForm) -> Result<CreateToken, ApiError> {
    let name = super::parse_name(&f.name)?;
    let user_id: UserId = f
        .user_id
        .parse()
        .map_err(|_| invalid("choose_user", "choose a user"))?;
    let (department_id, user_type_id) = parse_membership(user_id, &f.membership)?;
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
    let curl = ready_line(
        &me.settings,
        &st.config.public_url,
        me.admin.tenant_id,
        secret.expose(),
    );
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
    render_detail_with(st, me, page, id, revealed, None).await
}

/// The token's page; after a refused change of its settings, with the form as posted.
async fn render_detail_with(
    st: &ConsoleState,
    me: &Me,
    page: super::Page,
    id: TokenId,
    revealed: Option<String>,
    posted: Option<TokenSettingsForm>,
) -> Answer {
    let details = st.tokens().get(&me.admin, id).await.or_page(st, me)?;
    if details.token.kind == TokenKind::Mobile {
        return Ok(Redirect::to(&format!("/console/tokens/mobile/{id}")).into_response());
    }
    tokens_shown(st, me)?;
    let dir = st.directory();
    let owner = dir.user(&me.admin, details.token.user_id).await.ok();
    // Gone users and user types leave the token's page readable: the names it keeps.
    let user_type = dir
        .user_type(&me.admin, details.token.user_type_id)
        .await
        .ok();
    let creator = match details.token.created_by {
        Some(by) => dir.user(&me.admin, by).await.ok(),
        None => None,
    };
    let shown = revealed.as_deref().unwrap_or("YOUR_TOKEN");
    let curl = ready_line(
        &me.settings,
        &st.config.public_url,
        me.admin.tenant_id,
        shown,
    );
    let header = format!("Authorization: Bearer {shown}");
    let soon = expiring_soon(me, &details, OffsetDateTime::now_utc());
    let form = posted.unwrap_or_else(|| TokenSettingsForm::of(&details));
    let ctx = context! {
        tk => &details,
        expiring_soon => soon, soon_days => soon_days(me),
        stale_days => me.settings.flag_unused_after_days,
        owner, user_type, creator, form,
        revealed,
        curl, header, calls_api => me.settings.api_base_url.is_some(),
        recoverable => me.settings.secret_storage == SecretStorage::Recoverable && details.token.recoverable,
    };
    // A refused change of the settings answers 422, as every refused form does.
    let status = if page.error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, st.console.render("token.html", &page, ctx)).into_response())
}

/// The token's settings form: its name and description, and its limits (SPEC §2): the
/// addresses it may be used from (one CIDR or address a line), a rate limit, and the
/// uses left. Empty limits are no limits.
#[derive(Deserialize, Serialize, Default, Debug, Clone)]
pub struct TokenSettingsForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    allowed_cidrs: String,
    #[serde(default)]
    rate_requests: String,
    #[serde(default)]
    rate_window_seconds: String,
    #[serde(default)]
    uses_remaining: String,
    /// The uses left as the page showed them: the count is sent only when the
    /// administrator changed it, so that a page open while the token is used does not
    /// hand back uses already taken.
    #[serde(default)]
    uses_shown: String,
}

impl TokenSettingsForm {
    fn of(d: &TokenDetails) -> Self {
        let t = &d.token;
        let uses = t.uses_remaining.map(|n| n.to_string()).unwrap_or_default();
        Self {
            name: t.name.clone(),
            description: t.description.clone(),
            allowed_cidrs: t
                .allowed_cidrs
                .iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join("\n"),
            rate_requests: t
                .rate_limit
                .map(|r| r.requests.to_string())
                .unwrap_or_default(),
            rate_window_seconds: t
                .rate_limit
                .map(|r| r.window_seconds.to_string())
                .unwrap_or_default(),
            uses_shown: uses.clone(),
            uses_remaining: uses,
        }
    }

    /// The change the form asks for, checked by the rules the service applies (so the
    /// refusal names the field by its label, in the page's language).
    fn parse(&self) -> Result<UpdateToken, ApiError> {
        let name = super::parse_name(&self.name)?;
        let description = self.description.trim().to_string();
        keyward_core::text::check_description(&description)
            .map_err(|_| invalid("description_too_long", "description"))?;
        let mut cidrs = Vec::new();
        for line in self.allowed_cidrs.split([',', '\n']) {
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let net = line
                .parse::<ipnet::IpNet>()
                .or_else(|_| line.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| invalid("invalid_cidr", line))?;
            cidrs.push(net);
        }
        let number = |s: &str, code| -> Result<Option<u32>, ApiError> {
            let s = s.trim();
            if s.is_empty() {
                return Ok(None);
            }
            s.parse().map(Some).map_err(|_| invalid(code, s))
        };
        let requests = number(&self.rate_requests, "invalid_rate_limit")?;
        let window = number(&self.rate_window_seconds, "invalid_rate_limit")?;
        let rate_limit = match (requests, window) {
            (None, None) => None,
            (Some(requests), Some(window_seconds)) => {
                let r = keyward_core::model::RateLimit {
                    requests,
                    window_seconds,
                };
                r.validate()
                    .map_err(|e| invalid("invalid_rate_limit", &e))?;
                Some(r)
            }
            _ => return Err(invalid("invalid_rate_limit", "both or neither")),
        };
        let uses = number(&self.uses_remaining, "invalid_uses_remaining")?;
        let uses_changed = self.uses_remaining.trim() != self.uses_shown.trim();
        Ok(UpdateToken {
            name: Some(name),
            description: Some(description),
            enabled: None,
            allowed_cidrs: Some(cidrs),
            rate_limit: Some(rate_limit),
            uses_remaining: uses_changed.then_some(uses),
        })
    }
}

async fn save_settings(
    State(st): State<ConsoleState>,
    p: PostedTo<TokenId, TokenSettingsForm>,
) -> Answer {
    let PostedTo { id, me, form } = p;
    let result = match form.parse() {
        Ok(up) => st
            .tokens()
            .update(&me.admin, id, up)
            .await
            .map_err(ApiError::from),
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => {
            Ok(Redirect::to(&format!("/console/tokens/{id}?done=saved#settings")).into_response())
        }
        Err(e) => {
            let page = me.page(&st.console, "tokens").with_error(&st.console, &e);
            render_detail_with(&st, &me, page, id, None, Some(form)).await
        }
    }
}

async fn revoke(State(st): State<ConsoleState>, p: PostedTo<TokenId>) -> Answer {
    let PostedTo { id, me, .. } = p;
    let result = st.tokens().revoke(&me.admin, id).await;
    st.after(&me, result, &format!("/console/tokens/{id}?done=revoked"))
}

/// The grace periods the regenerate form offers, in seconds: none, an hour, a day, a week
/// (the longest the rules allow).
const GRACE_CHOICES: [&str; 4] = ["0", "3600", "86400", "604800"];

/// The regenerate form: a new expiry (empty keeps the token's own) and how long the old
/// secret keeps working.
#[derive(Deserialize, Serialize, Default)]
struct RegenerateForm {
    #[serde(default)]
    expires_on: String,
    #[serde(default)]
    grace: String,
}

async fn regenerate_form(State(st): State<ConsoleState>, me: Me, Id(id): Id<TokenId>) -> Answer {
    let form = RegenerateForm {
        grace: "0".into(),
        ..Default::default()
    };
    render_regenerate(&st, &me, id, form, None).await
}

async fn render_regenerate(
    st: &ConsoleState,
    me: &Me,
    id: TokenId,
    form: RegenerateForm,
    error: Option<&ApiError>,
) -> Answer {
    let details = st.tokens().get(&me.admin, id).await.or_page(st, me)?;
    // A revoked token keeps its page, but no form offers it a new secret.
    let revoked = keyward_store::StoreError::Refused {
        code: "token_revoked",
        message: "a revoked token cannot be regenerated; create a new token instead".into(),
    };
    let revoked = (details.status == TokenStatus::Revoked).then(|| ApiError::from(revoked));
    let error = error.or(revoked.as_ref());
    let now = OffsetDateTime::now_utc();
    let ctx = context! {
        tk => details.token, form, graces => GRACE_CHOICES,
        presets => expiry_presets(me.settings.max_token_lifetime_days, now.date()),
        today => now.date().to_string(),
        max_date => latest_expiry(me, now).map(|t| t.date().to_string()),
        max_days => me.settings.max_token_lifetime_days,
    };
    let page = me.page(&st.console, "tokens");
    Ok(st
        .console
        .render_form("token_regenerate.html", page, error, ctx))
}

async fn regenerate(
    State(st): State<ConsoleState>,
    p: PostedTo<TokenId, RegenerateForm>,
) -> Answer {
    let PostedTo { id, me, form } = p;
    let parsed =
        expiry_from_date(&me, &form.expires_on, OffsetDateTime::now_utc()).and_then(|expiry| {
            match form.grace.trim() {
                "" => Ok((expiry, 0)),
                g => g
                    .parse::<i64>()
                    .map(|grace| (expiry, grace))
                    .map_err(|_| invalid("grace_period", "choose a grace period")),
            }
        });
    let regenerated = match parsed {
        Ok((expiry, grace)) => st.tokens().regenerate(&me.admin, id, grace, expiry).await,
        Err(e) => return render_regenerate(&st, &me, id, form, Some(&e)).await,
    };
    match regenerated {
        Ok((created, secret)) => Ok(secret_page(&st, &me, &created, &secret, true)),
        Err(e) => render_regenerate(&st, &me, id, form, Some(&e.into())).await,
    }
}

async fn end_grace(State(st): State<ConsoleState>, p: PostedTo<TokenId>) -> Answer {
    let PostedTo { id, me, .. } = p;
    let result = st.tokens().end_grace(&me.admin, id).await;
    st.after(
        &me,
        result,
        &format!("/console/tokens/{id}?done=grace-ended"),
    )
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
    /// The acting administrator's own credential.
    own: bool,
    /// An own API token that still works by its own state (active).
    own_active: bool,
}

/// How many API tokens of the tenant (of `user`, if given) are active by their own state.
pub async fn active_api_tokens(
    st: &ConsoleState,
    me: &Me,
    user: Option<UserId>,
) -> Result<i64, ErrorPage> {
    let active = TokenFilter {
        status: TokenStatusFilter::Active,
        kind: Some(TokenKind::Api),
        user_id: user,
        ..Default::default()
    };
    let (_, n) = st
        .tokens()
        .list(&me.admin, &active, Page::new(1, 1))
        .await
        .or_page(st, me)?;
    Ok(n)
}

/// What the delete confirmation warns about the administrator's own credentials among
/// `items`: their message ids with counts. Deleting every active API token of one's own
/// is said apart: it cuts off every script that calls the API as them.
async fn own_warnings(
    st: &ConsoleState,
    me: &Me,
    items: &[ConfirmItem],
    mobile: bool,
) -> Result<Vec<super::Consequence>, ErrorPage> {
    let own = items.iter().filter(|i| i.own).count() as i64;
    if own == 0 {
        return Ok(Vec::new());
    }
    if mobile {
        return Ok(vec![
            super::Consequence::new("confirm-delete-own-session").count(own)
        ]);
    }
    let mut warnings = vec![super::Consequence::new("confirm-delete-own").count(own)];
    let own_active = items.iter().filter(|i| i.own_active).count() as i64;
    let active = active_api_tokens(st, me, Some(me.user.id)).await?;
    if own_active > 0 && own_active >= active {
        warnings.push(super::Consequence::new("confirm-delete-own-last"));
    }
    Ok(warnings)
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
        // Nothing ticked: back to the list, which says so.
        return Ok(Redirect::to(&format!("{back}?error=nothing_selected")).into_response());
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
                        own: s.user_id == me.user.id,
                        own_active: false,
                    })
            } else {
                st.tokens()
                    .get(&me.admin, *id)
                    .await
                    .map_err(ApiError::from)
                    .map(|d| ConfirmItem {
                        id: d.token.id,
                        title: format!("{} · {}", d.token.name, d.username),
                        own: d.token.user_id == me.user.id,
                        own_active: d.token.user_id == me.user.id
                            && d.status == TokenStatus::Active,
                        hint: d.token.hint,
                    })
            };
            if let Ok(item) = item {
                items.push(item);
            }
        }
        let warnings = own_warnings(&st, &me, &items, mobile).await?;
        let page = me.page(&st.console, "tokens");
        let back_name = if mobile { "mobile" } else { "api" };
        let ctx = context! { items, back, back_name, warnings, mobile };
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

#[cfg(test)]
mod tests {
    use super::*;
    use keyward_core::{MembershipId, TenantId};

    fn user(tenant: TenantId, username: &str) -> User {
        let now = OffsetDateTime::now_utc();
        User {
            id: UserId::new(),
            tenant_id: tenant,
            username: username.into(),
            email: format!("{username}@demo.example"),
            display_name: username.into(),
            is_admin: false,
            is_technical: true,
            locked: false,
            active_from: None,
            active_until: None,
            has_password: false,
            created_at: now,
            updated_at: now,
        }
    }

    fn membership(u: &User, dept: DepartmentId, ut: UserTypeId) -> Membership {
        Membership {
            id: MembershipId::new(),
            user_id: u.id,
            department_id: dept,
            department_name: "Sales".into(),
            user_type_id: ut,
            user_type_name: "Order reader".into(),
            created_at: OffsetDateTime::now_utc(),
        }
    }

    /// The demo tenant's case: kari, listed before webshop, holds the very department and
    /// user type of webshop's first (and only) membership.
    fn demo_candidates() -> (
        Vec<(User, Vec<Membership>)>,
        UserId,
        DepartmentId,
        UserTypeId,
    ) {
        let tenant = TenantId::new();
        let (sales, reader) = (DepartmentId::new(), UserTypeId::new());
        let warehouse = DepartmentId::new();
        let kari = user(tenant, "kari");
        let webshop = user(tenant, "webshop");
        let erp = user(tenant, "erp-sync");
        let webshop_id = webshop.id;
        let candidates = vec![
            (erp.clone(), vec![membership(&erp, warehouse, reader)]),
            (kari.clone(), vec![membership(&kari, sales, reader)]),
            (webshop.clone(), vec![membership(&webshop, sales, reader)]),
        ];
        (candidates, webshop_id, sales, reader)
    }

    #[test]
    fn two_owners_of_one_membership_get_options_of_their_own() {
        let (candidates, webshop, sales, reader) = demo_candidates();
        let options = owner_options(candidates, &NewTokenForm::default());
        let values: Vec<&str> = options
            .iter()
            .flat_map(|o| o.memberships.iter().map(|m| m.value.as_str()))
            .collect();
        let mut unique = values.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), values.len(), "values repeat: {values:?}");

        // The option the browser selects by value for webshop is webshop's own, and
        // posting it creates webshop's token in Sales · Order reader.
        let shop = options
            .iter()
            .find(|o| o.id == webshop.to_string())
            .unwrap();
        let value = &shop.memberships[0].value;
        let owners_of_value: Vec<&str> = options
            .iter()
            .filter(|o| o.memberships.iter().any(|m| &m.value == value))
            .map(|o| o.id.as_str())
            .collect();
        assert_eq!(owners_of_value, [shop.id.as_str()]);
        assert_eq!(parse_membership(webshop, value).unwrap(), (sales, reader));

        // Nothing is selected on a fresh form.
        assert!(options
            .iter()
            .all(|o| !o.selected && o.memberships.iter().all(|m| !m.selected)));
    }

    #[test]
    fn a_redrawn_form_selects_only_the_chosen_owners_membership() {
        let (candidates, webshop, _, _) = demo_candidates();
        let fresh = owner_options(candidates.clone(), &NewTokenForm::default());
        let shop = fresh.iter().find(|o| o.id == webshop.to_string()).unwrap();
        let form = NewTokenForm {
            user_id: webshop.to_string(),
            membership: shop.memberships[0].value.clone(),
            ..Default::default()
        };
        let options = owner_options(candidates, &form);
        let selected_users: Vec<&str> = options
            .iter()
            .filter(|o| o.selected)
            .map(|o| o.label.as_str())
            .collect();
        assert_eq!(selected_users, ["webshop (webshop)"]);
        let selected: Vec<(&str, &str)> = options
            .iter()
            .flat_map(|o| {
                o.memberships
                    .iter()
                    .filter(|m| m.selected)
                    .map(|m| (o.id.as_str(), m.value.as_str()))
            })
            .collect();
        assert_eq!(
            selected,
            [(form.user_id.as_str(), form.membership.as_str())]
        );
    }

    #[test]
    fn presets_stop_at_the_tenants_maximum_lifetime() {
        let today = time::macros::date!(2026 - 11 - 23);
        let days = |max| -> Vec<u32> {
            expiry_presets(max, today)
                .into_iter()
                .map(|p| p.days)
                .collect()
        };
        assert_eq!(days(0), [7, 30, 90, 365]);
        assert_eq!(days(365), [7, 30, 90, 365]);
        assert_eq!(days(90), [7, 30, 90]);
        assert_eq!(days(5), Vec::<u32>::new());
        let week = &expiry_presets(0, today)[0];
        assert_eq!(week.date, "2026-11-30");
    }

    #[test]
    fn sort_links_flip_the_current_column_and_keep_the_filters() {
        let q: ListQuery = list_query("status=expiring&q=erp&sort=expiry&dir=asc");
        let sort = sort_of(&q);
        assert_eq!(sort.0, "expiry");
        assert_eq!(
            sort.1,
            TokenOrder {
                key: TokenSortKey::Expiry,
                descending: false
            }
        );
        let links = sort_links(&filter_query("expiring", None, "erp sync"), sort);
        assert_eq!(
            links["expiry"].href,
            "?status=expiring&q=erp%20sync&sort=expiry&dir=desc"
        );
        assert_eq!(links["expiry"].aria, Some("ascending"));
        assert_eq!(
            links["last_used"].href,
            "?status=expiring&q=erp%20sync&sort=last_used&dir=desc"
        );
        assert_eq!(links["name"].aria, None);
        // A chosen standing is kept too.
        let links = sort_links(&filter_query("all", Some("USER_LOCKED"), ""), sort);
        assert_eq!(
            links["name"].href,
            "?status=all&standing=USER_LOCKED&q=&sort=name&dir=asc"
        );
        assert_eq!(
            standing_filter(Some("USER_LOCKED")).map(|s| s.0),
            Some("USER_LOCKED")
        );
        assert_eq!(standing_filter(Some("NOT_FOUND")), None, "not offered: all");
        // Nothing asked: newest first; an unknown column is the default too.
        let none = sort_of(&list_query("sort=colour&dir=up"));
        assert_eq!(none, ("created", TokenOrder::default()));
    }

    fn list_query(s: &str) -> ListQuery {
        let uri: axum::http::Uri = format!("/console/tokens?{s}").parse().unwrap();
        axum::extract::Query::<ListQuery>::try_from_uri(&uri)
            .unwrap()
            .0
    }

    #[test]
    fn a_membership_listed_under_another_user_is_refused_by_name() {
        let (candidates, webshop, _, _) = demo_candidates();
        let options = owner_options(candidates, &NewTokenForm::default());
        let karis = &options[1].memberships[0].value;
        let refused = parse_membership(webshop, karis).unwrap_err();
        assert_eq!(refused.parts().1, "membership_of_other_user");
        for junk in ["", "a:b", ":", "x:y:z", &format!("{karis}:extra")] {
            let refused = parse_membership(webshop, junk).unwrap_err();
            assert_eq!(refused.parts().1, "choose_membership", "{junk:?}");
        }
    }
}
