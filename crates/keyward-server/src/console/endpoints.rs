//! Endpoints (seed 003): the list, the General settings, the Tokens tab (primary tokens
//! with Generate and Copy; every secondary token with its assignment and a "Hide
//! unassigned" toggle), the data viewer with its chart, and the Endpoint tokens list with
//! its Token settings and "Assign endpoint tokens" pages, through the endpoint service.

use super::session::{Empty, Me, Posted};
use super::Query;
use super::{delete_button, PageOf, PostedTo};
use super::{invalid, Pager};
use super::{Answer, ConsoleState, EnabledForm, ListPage, ListQuery};
use super::{Confirmation, Confirmed, Consequence};
use super::{ErrorPage, Id, OrErrorPage};
use crate::error::ApiError;
use crate::service::endpoints::{GeneratedPrimary, RecordStats};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use keyward_core::endpoint::{AuthType, EndpointMethod, EndpointPath, MethodSet};
use keyward_core::endpoint::{EndpointToken, EndpointTokenDetails};
use keyward_core::model::SecretStorage;
use keyward_core::text::Name;
use keyward_core::{EndpointId, EndpointTokenId, TokenSecret};
use keyward_proto::endpoints::{UpdateEndpoint, UpdateEndpointToken};
use keyward_store::{EndpointTokenFilter, EndpointTokenStatus, NewEndpoint, Page, RecordFilter};
use minijinja::context;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use time::format_description::well_known::Rfc3339;

pub fn router() -> Router<ConsoleState> {
    Router::new()
        .route("/console/endpoints", get(list).post(create))
        .route("/console/endpoints/{id}", get(detail).post(update))
        .route(
            "/console/endpoints/{id}/delete",
            delete_button("/console/endpoints?done=deleted", |st, by, id| async move {
                st.endpoints().delete(&by, id).await
            }),
        )
        .route(
            "/console/endpoints/{id}/assignments",
            post(save_assignments),
        )
        .route(
            "/console/endpoints/{id}/primary/{method}/regenerate",
            post(regenerate_primary),
        )
        .route(
            "/console/endpoints/{id}/primary/{method}/reveal",
            post(reveal_primary),
        )
        .route("/console/endpoints/{id}/data", get(data))
        .route(
            "/console/endpoints/{id}/records/{record_id}/delete",
            post(delete_record),
        )
        .route(
            "/console/endpoint-tokens",
            get(token_list).post(token_create),
        )
        .route(
            "/console/endpoint-tokens/{id}",
            get(token_settings).post(token_update),
        )
        .route("/console/endpoint-tokens/{id}/enabled", post(token_enabled))
        .route("/console/endpoint-tokens/{id}/active", post(token_active))
        .route(
            "/console/endpoint-tokens/{id}/regenerate",
            post(token_regenerate),
        )
        .route("/console/endpoint-tokens/{id}/reveal", post(token_reveal))
        .route(
            "/console/endpoint-tokens/{id}/delete",
            delete_button(
                "/console/endpoint-tokens?done=deleted",
                |st, by, id| async move { st.endpoints().delete_token(&by, id).await },
            ),
        )
        .route(
            "/console/endpoint-tokens/{id}/assign",
            get(assign_form).post(assign_save),
        )
}

fn recoverable(me: &Me) -> bool {
    me.settings.secret_storage == SecretStorage::Recoverable
}

/// Every secondary token, active or not (the first 500), for the Tokens tab and the
/// data viewer's filter.
async fn all_secondaries(st: &ConsoleState, me: &Me) -> Result<Vec<EndpointToken>, ApiError> {
    let f = EndpointTokenFilter {
        status: EndpointTokenStatus::All,
        q: None,
    };
    Ok(st
        .endpoints()
        .list_tokens(&me.admin, &f, Page::new(1, 500))
        .await?
        .0)
}

fn public_base(st: &ConsoleState) -> String {
    st.config.public_url.trim_end_matches('/').to_string()
}

async fn list(State(st): State<ConsoleState>, me: Me, Query(q): Query<ListQuery>) -> Answer {
    render_list(&st, &me, &q, None, EndpointForm::default()).await
}

const ENDPOINTS: ListPage = ListPage {
    template: "endpoints.html",
    section: "endpoints",
    per_page: 50,
};

/// The endpoints listing with the "new endpoint" form (empty, or as refused).
async fn render_list(
    st: &ConsoleState,
    me: &Me,
    q: &ListQuery,
    refused: Option<&ApiError>,
    form: EndpointForm,
) -> Answer {
    let endpoints = st.endpoints();
    let list = async |page| endpoints.list(&me.admin, q.search(), page).await;
    let ctx = context! { base => public_base(st), form };
    ENDPOINTS.render(st, me, q, refused, list, ctx).await
}

/// The General tab as posted; checkboxes are present only when ticked.
#[derive(Deserialize, Serialize, Default)]
struct EndpointForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    path: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    auth_type: String,
    allow_deleting: Option<String>,
    enabled: Option<String>,
    /// The confirmation of switching the endpoint from Token to None.
    #[serde(flatten)]
    confirm: Confirmed,
}

impl EndpointForm {
    /// The form's fields, to post again from the confirmation page.
    fn fields(&self) -> Vec<(&'static str, String)> {
        let mut fields = vec![
            ("name", self.name.clone()),
            ("path", self.path.clone()),
            ("description", self.description.clone()),
            ("auth_type", self.auth_type.clone()),
        ];
        fields.extend(super::ticked([
            ("allow_deleting", &self.allow_deleting),
            ("enabled", &self.enabled),
        ]));
        fields
    }

    fn parse(&self) -> Result<(Name, EndpointPath, AuthType), ApiError> {
        let name = super::parse_name(&self.name)?;
        let path = EndpointPath::parse(&self.path).map_err(|_| invalid("invalid_path", "path"))?;
        let auth = if self.auth_type == "token" {
            AuthType::Token
        } else {
            AuthType::None
        };
        Ok((name, path, auth))
    }
}

/// A secret shown once after it was generated.
#[derive(Serialize)]
struct ShownSecret {
    label: String,
    secret: String,
}

/// New secrets, shown once under the title `title` (a message key), then on to `back`.
fn secrets_page(
    st: &ConsoleState,
    me: &Me,
    title: &str,
    back: String,
    secrets: Vec<ShownSecret>,
) -> Response {
    let frame = me.page(&st.console, "endpoints");
    let title = st.console.i18n.message(me.lang, title, None);
    let ctx = context! { title, back, secrets, recoverable => recoverable(me) };
    st.console.render("endpoint_secrets.html", &frame, ctx)
}

async fn create(State(st): State<ConsoleState>, p: Posted<EndpointForm>) -> Answer {
    let Posted { me, form } = p;
    let body = form.parse().map(|(name, path, auth)| NewEndpoint {
        name,
        path,
        description: form.description.trim().to_string(),
        auth_type: auth,
        allow_deleting: form.allow_deleting.is_some(),
        enabled: form.enabled.is_some(),
    });
    let result = super::submit(body, async |c| {
        let made = st.endpoints().create(&me.admin, c).await;
        made.map_err(super::taken("path", "path_taken"))
    })
    .await;
    match result {
        Ok((details, fresh)) => Ok(after_change(&st, &me, details.endpoint.id, fresh)),
        Err(e) => render_list(&st, &me, &ListQuery::default(), Some(&e), form).await,
    }
}

/// After a change that may have generated primary tokens: show them once, or go back to
/// the endpoint.
fn after_change(
    st: &ConsoleState,
    me: &Me,
    id: EndpointId,
    fresh: Vec<GeneratedPrimary>,
) -> Response {
    if fresh.is_empty() {
        return Redirect::to(&format!("/console/endpoints/{id}?done=saved")).into_response();
    }
    let secrets = fresh
        .into_iter()
        .map(|GeneratedPrimary { token: t, secret }| ShownSecret {
            label: t.method.map_or(t.name, |m| m.as_str().to_string()),
            secret: secret.into_string(),
        })
        .collect();
    let back = format!("/console/endpoints/{id}?tab=tokens");
    secrets_page(st, me, "endpoint-primaries-generated", back, secrets)
}

#[derive(Deserialize)]
struct DetailQuery {
    tab: Option<String>,
    done: Option<String>,
    hide_unassigned: Option<String>,
}

#[derive(Serialize)]
struct SecondaryRow {
    id: String,
    name: String,
    description: String,
    hint: String,
    token_enabled: bool,
    assigned: bool,
    assignment_enabled: bool,
    /// The assignment also lets the application read records (GET) or delete them.
    may_get: bool,
    may_delete: bool,
}

async fn detail(State(st): State<ConsoleState>, p: PageOf<EndpointId, DetailQuery>) -> Answer {
    let PageOf(me, id, q) = p;
    let frame = me.page_with_notice(&st.console, "endpoints", q.done.as_deref());
    render_detail(
        &st,
        &me,
        frame,
        id,
        q.tab.as_deref(),
        q.hide_unassigned.is_some(),
        None,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn render_detail(
    st: &ConsoleState,
    me: &Me,
    frame: super::Page,
    id: EndpointId,
    tab: Option<&str>,
    hide_unassigned: bool,
    revealed: Option<(String, String)>,
) -> Answer {
    let details = st.endpoints().get(&me.admin, id).await.or_page(st, me)?;
    let token_auth = details.endpoint.auth_type == AuthType::Token;
    let tab = match tab {
        Some("tokens") if token_auth => "tokens",
        _ => "general",
    };
    let mut secondaries = Vec::new();
    if tab == "tokens" {
        let lists = async {
            let assigned = st.endpoints().assignments(&me.admin, id).await?;
            let all = all_secondaries(st, me).await?;
            Ok::<_, ApiError>((assigned, all))
        };
        let (assigned, all) = lists.await.or_page(st, me)?;
        for t in all {
            let a = assigned.iter().find(|a| a.token_id == t.id);
            if hide_unassigned && a.is_none() {
                continue;
            }
            secondaries.push(SecondaryRow {
                id: t.id.to_string(),
                name: t.name,
                description: t.description,
                hint: t.hint,
                token_enabled: t.enabled,
                assigned: a.is_some(),
                assignment_enabled: a.is_some_and(|a| a.enabled),
                may_get: a.is_some_and(|a| a.methods.contains(&EndpointMethod::Get)),
                may_delete: a.is_some_and(|a| a.methods.contains(&EndpointMethod::Delete)),
            });
        }
    }
    let url = format!(
        "{}/e/{}/{}",
        public_base(st),
        me.tenant.name,
        details.endpoint.path
    );
    let ctx = context! {
        ep => &details.endpoint, primaries => &details.primary_tokens, tab, token_auth,
        secondaries, hide_unassigned, url, revealed, recoverable => recoverable(me),
    };
    Ok(st.console.render("endpoint.html", &frame, ctx))
}

/// Switching an endpoint from Token to None makes it public: anyone who knows its
/// address can then post and read its records. That is held until confirmed.
async fn held_public(
    st: &ConsoleState,
    me: &Me,
    id: EndpointId,
    form: &EndpointForm,
) -> Result<Option<Response>, ErrorPage> {
    let Ok((_, path, AuthType::None)) = form.parse() else {
        return Ok(None);
    };
    if form.confirm.allows(None) {
        return Ok(None);
    }
    let current = st.endpoints().get(&me.admin, id).await.or_page(st, me)?;
    if current.endpoint.auth_type != AuthType::Token {
        return Ok(None);
    }
    let url = format!("{}/e/{}/{}", public_base(st), me.tenant.name, path);
    let c = Confirmation {
        title: "confirm-endpoint-public-title",
        action: format!("/console/endpoints/{id}"),
        cancel: format!("/console/endpoints/{id}"),
        consequences: vec![
            Consequence::new("confirm-endpoint-public-open").name(&url),
            Consequence::new("confirm-endpoint-public-primaries"),
        ],
        fields: form.fields(),
        typed: None,
        mistyped: false,
        button: "confirm-endpoint-button",
    };
    Ok(Some(c.render(st, me, "endpoints")))
}

async fn update(State(st): State<ConsoleState>, p: PostedTo<EndpointId, EndpointForm>) -> Answer {
    let PostedTo { id, me, form } = p;
    if let Some(page) = held_public(&st, &me, id, &form).await? {
        return Ok(page);
    }
    let body = form.parse().map(|(name, path, auth)| UpdateEndpoint {
        name: Some(name),
        path: Some(path),
        description: Some(form.description.trim().to_string()),
        auth_type: Some(auth),
        allow_deleting: Some(form.allow_deleting.is_some()),
        enabled: Some(form.enabled.is_some()),
    });
    let result = super::submit(body, async |c| {
        let changed = st.endpoints().update(&me.admin, id, c).await;
        changed.map_err(super::taken("path", "path_taken"))
    })
    .await;
    match result {
        Ok((_, fresh)) => Ok(after_change(&st, &me, id, fresh)),
        Err(e) => {
            let frame = me
                .page(&st.console, "endpoints")
                .with_error(&st.console, &e);
            render_detail(&st, &me, frame, id, None, false, None).await
        }
    }
}

/// Deletes one record from the data viewer (audited), then shows the viewer again.
async fn delete_record(
    State(st): State<ConsoleState>,
    Path((id, record_id)): Path<(String, String)>,
    p: Posted<Empty>,
) -> Answer {
    let me = p.me;
    let (Ok(id), Ok(record_id)) = (
        id.parse::<EndpointId>(),
        record_id.parse::<keyward_core::EndpointRecordId>(),
    ) else {
        return Err(super::not_found(&st, &me, "record"));
    };
    let result = st.endpoints().delete_record(&me.admin, id, record_id).await;
    st.after(
        &me,
        result,
        &format!("/console/endpoints/{id}/data?done=record-deleted"),
    )
}

/// The endpoint and the method of a primary token's address.
fn primary_of(
    st: &ConsoleState,
    me: &Me,
    (id, method): (String, String),
) -> Result<(EndpointId, EndpointMethod), ErrorPage> {
    let Ok(id) = id.parse::<EndpointId>() else {
        return Err(super::not_found(st, me, "endpoint"));
    };
    let method = crate::error::endpoint_method(&method).or_page(st, me)?;
    Ok((id, method))
}

async fn regenerate_primary(
    State(st): State<ConsoleState>,
    Path(path): Path<(String, String)>,
    p: Posted<Empty>,
) -> Answer {
    let me = p.me;
    let (id, m) = primary_of(&st, &me, path)?;
    let endpoints = st.endpoints();
    let (t, secret, _) = endpoints
        .regenerate_primary(&me.admin, id, m, 0)
        .await
        .or_page(&st, &me)?;
    let fresh = GeneratedPrimary {
        token: t.token,
        secret,
    };
    Ok(after_change(&st, &me, id, vec![fresh]))
}

async fn reveal_primary(
    State(st): State<ConsoleState>,
    Path(path): Path<(String, String)>,
    p: Posted<Empty>,
) -> Answer {
    let me = p.me;
    let (id, m) = primary_of(&st, &me, path)?;
    let endpoints = st.endpoints();
    let (_, secret) = endpoints
        .reveal_primary(&me.admin, id, m)
        .await
        .or_page(&st, &me)?;
    let frame = me.page(&st.console, "endpoints");
    let revealed = Some((m.as_str().to_string(), secret));
    render_detail(&st, &me, frame, id, Some("tokens"), false, revealed).await
}

#[derive(Deserialize)]
struct AssignmentsForm {
    /// Every secondary token the form showed.
    #[serde(default)]
    shown: Vec<String>,
    /// Those ticked as assigned.
    #[serde(default)]
    assigned: Vec<String>,
    /// Those whose assignment is ticked as enabled.
    #[serde(default)]
    enabled: Vec<String>,
    /// Those ticked as allowed to read records (GET) and to delete them; every
    /// assignment allows POST.
    #[serde(default)]
    get: Vec<String>,
    #[serde(default)]
    delete: Vec<String>,
    hide_unassigned: Option<String>,
}

/// The rows a checkbox form showed (its `shown` fields), each as sent and as the id of a
/// `T`; a row whose id is none is passed over.
fn shown_rows<T: std::str::FromStr>(shown: &[String]) -> impl Iterator<Item = (&String, T)> {
    shown
        .iter()
        .filter_map(|raw| raw.parse().ok().map(|id| (raw, id)))
}

/// Saves the Tokens tab's assignment checkboxes: each shown token is assigned (enabled or
/// not) or unassigned to match what is ticked.
async fn save_assignments(
    State(st): State<ConsoleState>,
    p: PostedTo<EndpointId, AssignmentsForm>,
) -> Answer {
    let PostedTo { id, me, form } = p;
    let endpoints = st.endpoints();
    let current = endpoints
        .assignments(&me.admin, id)
        .await
        .or_page(&st, &me)?;
    let saved = async {
        for (raw, token_id) in shown_rows::<EndpointTokenId>(&form.shown) {
            let now = current.iter().find(|a| a.token_id == token_id);
            // A new assignment starts switched on: its row had no switch to untick.
            let want_enabled = form.enabled.contains(raw) || now.is_none();
            let mut want_methods = vec![EndpointMethod::Post];
            if form.get.contains(raw) {
                want_methods.push(EndpointMethod::Get);
            }
            if form.delete.contains(raw) {
                want_methods.push(EndpointMethod::Delete);
            }
            match (form.assigned.contains(raw), now) {
                (true, Some(a)) if a.enabled == want_enabled && a.methods == want_methods => {}
                (true, _) => {
                    let methods = Some(MethodSet::of(&want_methods));
                    endpoints
                        .assign(&me.admin, id, token_id, want_enabled, methods)
                        .await?;
                }
                (false, Some(_)) => endpoints.unassign(&me.admin, id, token_id).await?,
                (false, None) => {}
            }
        }
        Ok::<_, ApiError>(())
    };
    let hide = if form.hide_unassigned.is_some() {
        "&hide_unassigned=1"
    } else {
        ""
    };
    let back = format!("/console/endpoints/{id}?tab=tokens&done=saved{hide}");
    st.after(&me, saved.await, &back)
}

#[derive(Deserialize)]
struct DataQuery {
    #[serde(default)]
    token_id: String,
    done: Option<String>,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    page: Option<u32>,
}

/// One application's line in the chart.
#[derive(Serialize)]
struct Series {
    name: String,
    color: &'static str,
    points: String,
    total: i64,
}

const PALETTE: [&str; 8] = [
    "#2451b7", "#c2410c", "#15803d", "#7c3aed", "#b91c1c", "#0e7490", "#a16207", "#be185d",
];
const CHART_W: f64 = 720.0;
const CHART_H: f64 = 180.0;

/// Requests per application over time, as SVG polylines (one point per bucket, empty
/// buckets at zero).
fn chart(stats: &RecordStats, anonymous: &str) -> (Vec<Series>, i64) {
    let step = stats.bucket_seconds.max(1);
    let first = stats.from.unix_timestamp().div_euclid(step);
    let last = stats.to.unix_timestamp().div_euclid(step);
    let n = (last - first + 1).clamp(1, 500);
    let mut per_app: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for b in &stats.buckets {
        let name = b
            .token_name
            .clone()
            .unwrap_or_else(|| anonymous.to_string());
        let i = b.start.unix_timestamp().div_euclid(step) - first;
        if (0..n).contains(&i) {
            per_app.entry(name).or_insert_with(|| vec![0; n as usize])[i as usize] += b.count;
        }
    }
    let max = per_app
        .values()
        .flatten()
        .copied()
        .max()
        .unwrap_or(0)
        .max(1);
    let x = |i: i64| {
        if n == 1 {
            CHART_W / 2.0
        } else {
            i as f64 * CHART_W / (n - 1) as f64
        }
    };
    let series = per_app
        .into_iter()
        .enumerate()
        .map(|(k, (name, counts))| Series {
            points: counts
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    format!(
                        "{:.1},{:.1}",
                        x(i as i64),
                        CHART_H - (*c as f64) * CHART_H / max as f64
                    )
                })
                .collect::<Vec<_>>()
                .join(" "),
            total: counts.iter().sum(),
            name,
            color: PALETTE[k % PALETTE.len()],
        })
        .collect();
    (series, max)
}

async fn data(State(st): State<ConsoleState>, p: PageOf<EndpointId, DataQuery>) -> Answer {
    let PageOf(me, id, q) = p;
    let mut frame = me.page_with_notice(&st.console, "endpoints", q.done.as_deref());
    let (from, to) = match super::period(&q.from, &q.to) {
        Ok(period) => period,
        Err(e) => {
            frame = frame.with_error(&st.console, &e);
            (None, None)
        }
    };
    let token_id = q.token_id.parse::<EndpointTokenId>().ok();
    let page = q.page.unwrap_or(1);
    let loaded = async {
        let endpoints = st.endpoints();
        let ep = endpoints.get(&me.admin, id).await?;
        let f = RecordFilter { token_id, from, to };
        let records = endpoints
            .records(&me.admin, id, &f, Page::new(page, 50))
            .await?;
        let bucket = if from.is_some() { 86_400 } else { 3600 };
        let stats = endpoints
            .record_stats(&me.admin, id, from, to, bucket)
            .await?;
        let tokens = all_secondaries(&st, &me).await?;
        Ok::<_, ApiError>((ep, records, stats, tokens))
    };
    let (ep, (mut records, total), mut stats, tokens) = loaded.await.or_page(&st, &me)?;
    // A primary's stored name is English ("POST primary token"): named in the page's
    // language wherever it stands for the application.
    let i18n = &st.console.i18n;
    let named = |name: &mut Option<String>| {
        if let Some(n) = name.as_mut() {
            *n = super::shown_name(i18n, me.lang, n);
        }
    };
    records.iter_mut().for_each(|r| named(&mut r.token_name));
    stats
        .buckets
        .iter_mut()
        .for_each(|b| named(&mut b.token_name));
    // The filter offers the endpoint's primaries and every secondary token.
    let mut filter: Vec<(String, String)> = ep
        .primary_tokens
        .iter()
        .map(|t| {
            let mut name = Some(t.name.clone());
            named(&mut name);
            (
                t.id.to_string(),
                format!("{} ({})", name.unwrap_or_default(), t.hint),
            )
        })
        .collect();
    filter.extend(tokens.iter().map(|t| (t.id.to_string(), t.name.clone())));
    let anonymous = i18n.message(me.lang, "data-anonymous", None);
    let (series, max) = chart(&stats, &anonymous);
    let query = format!(
        "?token_id={}&from={}&to={}&",
        super::url_encode(&q.token_id),
        super::url_encode(&q.from),
        super::url_encode(&q.to)
    );
    let ctx = context! {
        ep => &ep.endpoint, records, pager => Pager::new(Page::new(page, 50), total),
        filter, token_id => q.token_id, from => q.from, to => q.to, query,
        series, max, width => CHART_W, height => CHART_H,
        chart_from => stats.from.format(&Rfc3339).unwrap_or_default(),
        chart_to => stats.to.format(&Rfc3339).unwrap_or_default(),
    };
    Ok(st.console.render("endpoint_data.html", &frame, ctx))
}

const ENDPOINT_TOKENS: ListPage = ListPage {
    template: "endpoint_tokens.html",
    section: "endpoint-tokens",
    per_page: 50,
};

async fn token_list(State(st): State<ConsoleState>, me: Me, Query(q): Query<ListQuery>) -> Answer {
    let (status, filter) = q.among(&[
        ("active", EndpointTokenStatus::Active),
        ("inactive", EndpointTokenStatus::Inactive),
        ("stale", EndpointTokenStatus::Stale),
    ]);
    let f = EndpointTokenFilter {
        status: filter,
        q: None,
    };
    let endpoints = st.endpoints();
    let list = async |page| endpoints.list_tokens(&me.admin, &f, page).await;
    let ctx = context! { status, stale_days => me.settings.flag_unused_after_days };
    ENDPOINT_TOKENS.render(&st, &me, &q, None, list, ctx).await
}

#[derive(Deserialize)]
struct TokenForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    enabled: Option<String>,
}

/// A secondary token's new secret, shown once under the title `title` (a message key).
fn secondary_secret(
    st: &ConsoleState,
    me: &Me,
    title: &str,
    details: EndpointTokenDetails,
    secret: TokenSecret,
) -> Response {
    let back = format!("/console/endpoint-tokens/{}", details.token.id);
    let shown = ShownSecret {
        label: details.token.name,
        secret: secret.into_string(),
    };
    secrets_page(st, me, title, back, vec![shown])
}

async fn token_create(State(st): State<ConsoleState>, p: Posted<TokenForm>) -> Answer {
    let Posted { me, form } = p;
    let description = form.description.trim().to_string();
    let result = super::submit(super::parse_name(&form.name), async |name| {
        let endpoints = st.endpoints();
        endpoints
            .create_token(&me.admin, name, description, form.enabled.is_some())
            .await
    })
    .await;
    let (details, secret) = result.or_page(&st, &me)?;
    Ok(secondary_secret(
        &st,
        &me,
        "endpoint-token-created",
        details,
        secret,
    ))
}

async fn render_token(
    st: &ConsoleState,
    me: &Me,
    id: EndpointTokenId,
    done: Option<&str>,
    revealed: Option<String>,
) -> Answer {
    let endpoints = st.endpoints();
    let details = endpoints.secondary(&me.admin, id).await.or_page(st, me)?;
    let frame = me.page_with_notice(&st.console, "endpoint-tokens", done);
    let ctx = context! {
        tk => &details.token, assignments => &details.assignments, revealed,
        recoverable => recoverable(me) && details.token.recoverable,
        stale_days => me.settings.flag_unused_after_days,
    };
    Ok(st.console.render("endpoint_token.html", &frame, ctx))
}

async fn token_settings(State(st): State<ConsoleState>, p: PageOf<EndpointTokenId>) -> Answer {
    let PageOf(me, id, q) = p;
    render_token(&st, &me, id, q.done.as_deref(), None).await
}

async fn token_update(
    State(st): State<ConsoleState>,
    p: PostedTo<EndpointTokenId, TokenForm>,
) -> Answer {
    let PostedTo { id, me, form } = p;
    let description = Some(form.description.trim().to_string());
    let enabled = Some(form.enabled.is_some());
    let result = super::submit(super::parse_name(&form.name), async |name| {
        let endpoints = st.endpoints();
        endpoints
            .update_token(
                &me.admin,
                id,
                UpdateEndpointToken {
                    name: Some(name),
                    description,
                    enabled,
                    active: None,
                },
            )
            .await
    })
    .await;
    st.after(
        &me,
        result,
        &format!("/console/endpoint-tokens/{id}?done=saved"),
    )
}

/// The list's Enabled toggle: switches the token on or off, where it is listed.
async fn token_enabled(
    State(st): State<ConsoleState>,
    p: PostedTo<EndpointTokenId, EnabledForm>,
) -> Answer {
    let PostedTo { id, me, form } = p;
    let on = form.on();
    let up = UpdateEndpointToken {
        enabled: Some(on),
        ..Default::default()
    };
    let done = if on {
        "endpoint-token-enabled"
    } else {
        "endpoint-token-disabled"
    };
    switch_token(&st, &me, id, up, done, &form.back).await
}

/// What the list's Deactivate / Activate button posts: `active=true` brings the token
/// back to the active list (switched on), anything else moves it to the inactive one.
#[derive(Deserialize)]
struct ActiveForm {
    active: String,
    #[serde(default)]
    back: String,
}

async fn token_active(
    State(st): State<ConsoleState>,
    p: PostedTo<EndpointTokenId, ActiveForm>,
) -> Answer {
    let PostedTo { id, me, form } = p;
    let active = form.active == "true";
    let up = UpdateEndpointToken {
        active: Some(active),
        ..Default::default()
    };
    let done = if active { "activated" } else { "deactivated" };
    switch_token(&st, &me, id, up, done, &form.back).await
}

/// Applies a switch from the list and returns to the view it was made on (`back`).
async fn switch_token(
    st: &ConsoleState,
    me: &Me,
    id: EndpointTokenId,
    up: UpdateEndpointToken,
    done: &str,
    back: &str,
) -> Answer {
    let result = st.endpoints().update_token(&me.admin, id, up).await;
    let back = if back == "inactive" {
        "inactive"
    } else {
        "active"
    };
    st.after(
        me,
        result,
        &format!("/console/endpoint-tokens?status={back}&done={done}"),
    )
}

async fn token_regenerate(State(st): State<ConsoleState>, p: PostedTo<EndpointTokenId>) -> Answer {
    let PostedTo { id, me, .. } = p;
    let regenerated = st.endpoints().regenerate_token(&me.admin, id, 0).await;
    let (details, secret) = regenerated.or_page(&st, &me)?;
    Ok(secondary_secret(
        &st,
        &me,
        "secret-regenerated-title",
        details,
        secret,
    ))
}

async fn token_reveal(State(st): State<ConsoleState>, p: PostedTo<EndpointTokenId>) -> Answer {
    let PostedTo { id, me, .. } = p;
    let secret = st.endpoints().reveal_token(&me.admin, id).await;
    render_token(&st, &me, id, None, Some(secret.or_page(&st, &me)?)).await
}

#[derive(Serialize)]
struct AssignRow {
    id: String,
    name: String,
    path: String,
    token_auth: bool,
    assigned: bool,
    enabled: bool,
}

/// "Assign endpoint tokens": this secondary token against every endpoint.
async fn assign_form(
    State(st): State<ConsoleState>,
    me: Me,
    Id(id): Id<EndpointTokenId>,
) -> Answer {
    let loaded = async {
        let endpoints = st.endpoints();
        let token = endpoints.secondary(&me.admin, id).await?;
        let (eps, _) = endpoints.list(&me.admin, None, Page::new(1, 500)).await?;
        Ok::<_, ApiError>((token, eps))
    };
    let (token, eps) = loaded.await.or_page(&st, &me)?;
    let rows: Vec<AssignRow> = eps
        .into_iter()
        .map(|e| {
            let a = token.assignments.iter().find(|a| a.endpoint_id == e.id);
            AssignRow {
                id: e.id.to_string(),
                name: e.name,
                path: e.path,
                token_auth: e.auth_type == AuthType::Token,
                assigned: a.is_some(),
                enabled: a.is_none_or(|a| a.enabled),
            }
        })
        .collect();
    let frame = me.page(&st.console, "endpoint-tokens");
    let ctx = context! { tk => &token.token, rows };
    Ok(st.console.render("endpoint_assign.html", &frame, ctx))
}

#[derive(Deserialize)]
struct AssignForm {
    #[serde(default)]
    shown: Vec<String>,
    #[serde(default)]
    assigned: Vec<String>,
}

/// Saves "Assign endpoint tokens": each shown endpoint is assigned this token (enabled) or
/// unassigned to match what is ticked; an assignment kept is left as it was.
async fn assign_save(
    State(st): State<ConsoleState>,
    p: PostedTo<EndpointTokenId, AssignForm>,
) -> Answer {
    let PostedTo { id, me, form } = p;
    let endpoints = st.endpoints();
    let token = endpoints.secondary(&me.admin, id).await.or_page(&st, &me)?;
    let saved = async {
        for (raw, ep) in shown_rows::<EndpointId>(&form.shown) {
            let now = token.assignments.iter().any(|a| a.endpoint_id == ep);
            match (form.assigned.contains(raw), now) {
                (true, false) => {
                    endpoints.assign(&me.admin, ep, id, true, None).await?;
                }
                (false, true) => endpoints.unassign(&me.admin, ep, id).await?,
                _ => {}
            }
        }
        Ok::<_, ApiError>(())
    };
    let back = format!("/console/endpoint-tokens/{id}?done=saved");
    st.after(&me, saved.await, &back)
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyward_store::RecordBucket;
    use time::macros::datetime;

    #[test]
    fn the_chart_has_a_line_per_application_with_empty_hours_at_zero() {
        let stats = RecordStats {
            from: datetime!(2026-11-23 10:00 UTC),
            to: datetime!(2026-11-23 12:59 UTC),
            bucket_seconds: 3600,
            buckets: vec![
                RecordBucket {
                    start: datetime!(2026-11-23 10:00 UTC),
                    token_id: None,
                    token_name: Some("ERP".into()),
                    count: 4,
                },
                RecordBucket {
                    start: datetime!(2026-11-23 12:00 UTC),
                    token_id: None,
                    token_name: Some("ERP".into()),
                    count: 2,
                },
                RecordBucket {
                    start: datetime!(2026-11-23 11:00 UTC),
                    token_id: None,
                    token_name: Some("CRM".into()),
                    count: 1,
                },
            ],
        };
        let (series, max) = chart(&stats, "anonymous");
        assert_eq!(max, 4);
        let erp = series.iter().find(|s| s.name == "ERP").unwrap();
        assert_eq!(erp.total, 6);
        assert_eq!(erp.points, "0.0,0.0 360.0,180.0 720.0,90.0");
        let crm = series.iter().find(|s| s.name == "CRM").unwrap();
        assert_eq!(crm.points, "0.0,180.0 360.0,135.0 720.0,180.0");
    }
}
