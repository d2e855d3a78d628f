//! Endpoints (seed 003): the list, the General settings, the Tokens tab (primary tokens
//! with Generate and Copy; every secondary token with its assignment and a "Hide
//! unassigned" toggle), the data viewer with its chart, and the Endpoint tokens list with
//! its Token settings and "Assign endpoint tokens" pages. Every action calls the REST
//! API's own handler.

use super::session::{Empty, Me, Posted};
use super::Id;
use super::{invalid, Pager};
use crate::api::endpoint_tokens::{
    self as tok_api, CreateEndpointToken, EndpointTokenQuery, UpdateEndpointToken,
};
use crate::api::endpoints::{
    self as ep_api, CreateEndpoint, EndpointQuery, RecordQuery, StatsQuery, UpdateEndpoint,
};
use crate::api::Paged;
use crate::api::Timestamp;
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use keyward_core::endpoint::EndpointToken;
use keyward_core::endpoint::{AuthType, EndpointMethod, EndpointPath};
use keyward_core::model::SecretStorage;
use keyward_core::text::Name;
use keyward_core::{EndpointId, EndpointTokenId};
use keyward_store::Page;
use minijinja::context;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use time::format_description::well_known::Rfc3339;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/endpoints", get(list).post(create))
        .route("/console/endpoints/{id}", get(detail).post(update))
        .route("/console/endpoints/{id}/delete", post(delete))
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
        .route(
            "/console/endpoint-tokens/{id}/regenerate",
            post(token_regenerate),
        )
        .route("/console/endpoint-tokens/{id}/reveal", post(token_reveal))
        .route("/console/endpoint-tokens/{id}/delete", post(token_delete))
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
async fn all_secondaries(st: &AppState, me: &Me) -> Result<Paged<EndpointToken>, ApiError> {
    let query = EndpointTokenQuery {
        status: Some("all".into()),
        q: None,
        page: Some(1),
        per_page: Some(500),
    };
    Ok(
        tok_api::list(State(st.clone()), me.admin.clone(), ApiQuery(query))
            .await?
            .0,
    )
}

fn public_base(st: &AppState) -> String {
    st.config.public_url.trim_end_matches('/').to_string()
}

#[derive(Deserialize)]
struct ListQuery {
    q: Option<String>,
    page: Option<u32>,
    done: Option<String>,
}

async fn list(State(st): State<AppState>, me: Me, Query(q): Query<ListQuery>) -> Response {
    let frame = me
        .page(&st.console, "endpoints")
        .with_notice(&st.console, q.done.as_deref(), None);
    render_list(
        &st,
        &me,
        frame,
        q.q,
        q.page.unwrap_or(1),
        EndpointForm::default(),
    )
    .await
}

/// The endpoints listing with the "new endpoint" form (empty, or as refused).
async fn render_list(
    st: &AppState,
    me: &Me,
    frame: super::Page,
    q: Option<String>,
    page: u32,
    form: EndpointForm,
) -> Response {
    let query = EndpointQuery {
        q: q.clone().filter(|s| !s.trim().is_empty()),
        page: Some(page),
        per_page: Some(50),
    };
    let listed = ep_api::list(State(st.clone()), me.admin.clone(), ApiQuery(query)).await;
    let paged = match listed {
        Ok(axum::Json(p)) => p,
        Err(e) => return st.console.error_page(me.lang, &e),
    };
    let status = if frame.error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let ctx = context! {
        items => paged.items, pager => Pager::new(Page::new(page, 50), paged.total),
        q => q.unwrap_or_default(), base => public_base(st), form,
    };
    (status, st.console.render("endpoints.html", &frame, ctx)).into_response()
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
}

impl EndpointForm {
    fn parse(&self) -> Result<(Name, EndpointPath, AuthType), ApiError> {
        let name = Name::parse(self.name.trim()).map_err(|_| invalid("invalid_name", "name"))?;
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

fn secrets_page(
    st: &AppState,
    me: &Me,
    title: &str,
    back: String,
    secrets: Vec<ShownSecret>,
) -> Response {
    let frame = me.page(&st.console, "endpoints");
    let ctx = context! { title, back, secrets, recoverable => recoverable(me) };
    st.console.render("endpoint_secrets.html", &frame, ctx)
}

async fn create(State(st): State<AppState>, p: Posted<EndpointForm>) -> Response {
    let Posted { me, form } = p;
    let body = form.parse().map(|(name, path, auth)| CreateEndpoint {
        name,
        path,
        description: form.description.trim().to_string(),
        auth_type: Some(auth),
        allow_deleting: form.allow_deleting.is_some(),
        enabled: Some(form.enabled.is_some()),
    });
    let result = match body {
        Ok(b) => ep_api::create(State(st.clone()), me.admin.clone(), ApiJson(b)).await,
        Err(e) => Err(e),
    };
    match result {
        Ok((_, axum::Json(created))) => {
            let id = created.details.endpoint.id;
            after_change(&st, &me, id, created.new_primary_tokens)
        }
        Err(e) => {
            let frame = me
                .page(&st.console, "endpoints")
                .with_error(&st.console, &e);
            render_list(&st, &me, frame, None, 1, form).await
        }
    }
}

/// After a change that may have generated primary tokens: show them once, or go back to
/// the endpoint.
fn after_change(
    st: &AppState,
    me: &Me,
    id: EndpointId,
    fresh: Vec<ep_api::EndpointTokenWithSecret>,
) -> Response {
    if fresh.is_empty() {
        return Redirect::to(&format!("/console/endpoints/{id}?done=saved")).into_response();
    }
    let secrets = fresh
        .into_iter()
        .map(|t| ShownSecret {
            label: t
                .details
                .method
                .map_or_else(|| t.details.name.clone(), |m| m.as_str().to_string()),
            secret: t.token,
        })
        .collect();
    let title = st
        .console
        .i18n
        .message(me.lang, "endpoint-primaries-generated", None);
    secrets_page(
        st,
        me,
        &title,
        format!("/console/endpoints/{id}?tab=tokens"),
        secrets,
    )
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

async fn detail(
    State(st): State<AppState>,
    me: Me,
    Id(id): Id<EndpointId>,
    Query(q): Query<DetailQuery>,
) -> Response {
    let frame = me
        .page(&st.console, "endpoints")
        .with_notice(&st.console, q.done.as_deref(), None);
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
    st: &AppState,
    me: &Me,
    frame: super::Page,
    id: EndpointId,
    tab: Option<&str>,
    hide_unassigned: bool,
    revealed: Option<(String, String)>,
) -> Response {
    let details = match ep_api::get(State(st.clone()), me.admin.clone(), ApiPath(id)).await {
        Ok(axum::Json(d)) => d,
        Err(e) => return st.console.error_page(me.lang, &e),
    };
    let token_auth = details.endpoint.auth_type == AuthType::Token;
    let tab = match tab {
        Some("tokens") if token_auth => "tokens",
        _ => "general",
    };
    let mut secondaries = Vec::new();
    if tab == "tokens" {
        let lists = async {
            let assigned = ep_api::assignments(State(st.clone()), me.admin.clone(), ApiPath(id))
                .await?
                .0;
            let all = all_secondaries(st, me).await?;
            Ok::<_, ApiError>((assigned, all))
        };
        let (assigned, all) = match lists.await {
            Ok(found) => found,
            Err(e) => return st.console.error_page(me.lang, &e),
        };
        for t in all.items {
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
    st.console.render("endpoint.html", &frame, ctx)
}

async fn update(
    State(st): State<AppState>,
    Id(id): Id<EndpointId>,
    p: Posted<EndpointForm>,
) -> Response {
    let Posted { me, form } = p;
    let body = form.parse().map(|(name, path, auth)| UpdateEndpoint {
        name: Some(name),
        path: Some(path),
        description: Some(form.description.trim().to_string()),
        auth_type: Some(auth),
        allow_deleting: Some(form.allow_deleting.is_some()),
        enabled: Some(form.enabled.is_some()),
    });
    let result = match body {
        Ok(b) => ep_api::update(State(st.clone()), me.admin.clone(), ApiPath(id), ApiJson(b)).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(axum::Json(changed)) => after_change(&st, &me, id, changed.new_primary_tokens),
        Err(e) => {
            let frame = me
                .page(&st.console, "endpoints")
                .with_error(&st.console, &e);
            render_detail(&st, &me, frame, id, None, false, None).await
        }
    }
}

async fn delete(State(st): State<AppState>, Id(id): Id<EndpointId>, p: Posted<Empty>) -> Response {
    let me = p.me;
    let result = ep_api::delete(State(st.clone()), me.admin.clone(), ApiPath(id)).await;
    super::after(&st, &me, result, "/console/endpoints?done=deleted")
}

/// Deletes one record from the data viewer (audited), then shows the viewer again.
async fn delete_record(
    State(st): State<AppState>,
    Path((id, record_id)): Path<(String, String)>,
    p: Posted<Empty>,
) -> Response {
    let me = p.me;
    let (Ok(id), Ok(record_id)) = (
        id.parse::<EndpointId>(),
        record_id.parse::<keyward_core::EndpointRecordId>(),
    ) else {
        return super::not_found(&st, &me, "record");
    };
    let result = st
        .store
        .delete_record_as_admin(me.admin.tenant_id, id, record_id, &me.actor())
        .await
        .map_err(ApiError::from);
    super::after(
        &st,
        &me,
        result,
        &format!("/console/endpoints/{id}/data?done=record-deleted"),
    )
}

async fn regenerate_primary(
    State(st): State<AppState>,
    Path((id, method)): Path<(String, String)>,
    p: Posted<Empty>,
) -> Response {
    let me = p.me;
    let Ok(id) = id.parse::<EndpointId>() else {
        return super::not_found(&st, &me, "endpoint");
    };
    let path = ApiPath((id, method));
    match ep_api::regenerate_primary(State(st.clone()), me.admin.clone(), path, Bytes::new()).await
    {
        Ok(axum::Json(t)) => after_change(&st, &me, id, vec![t]),
        Err(e) => st.console.error_page(me.lang, &e),
    }
}

async fn reveal_primary(
    State(st): State<AppState>,
    Path((id, method)): Path<(String, String)>,
    p: Posted<Empty>,
) -> Response {
    let me = p.me;
    let Ok(id) = id.parse::<EndpointId>() else {
        return super::not_found(&st, &me, "endpoint");
    };
    let path = ApiPath((id, method.clone()));
    match ep_api::reveal_primary(State(st.clone()), me.admin.clone(), path).await {
        Ok(axum::Json(r)) => {
            let frame = me.page(&st.console, "endpoints");
            render_detail(
                &st,
                &me,
                frame,
                id,
                Some("tokens"),
                false,
                Some((method.to_uppercase(), r.token)),
            )
            .await
        }
        Err(e) => st.console.error_page(me.lang, &e),
    }
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

/// Saves the Tokens tab's assignment checkboxes: each shown token is assigned (enabled or
/// not) or unassigned to match what is ticked.
async fn save_assignments(
    State(st): State<AppState>,
    Id(id): Id<EndpointId>,
    p: Posted<AssignmentsForm>,
) -> Response {
    let Posted { me, form } = p;
    let current = match ep_api::assignments(State(st.clone()), me.admin.clone(), ApiPath(id)).await
    {
        Ok(axum::Json(a)) => a,
        Err(e) => return st.console.error_page(me.lang, &e),
    };
    for raw in &form.shown {
        let Ok(token_id) = raw.parse::<EndpointTokenId>() else {
            continue;
        };
        let want = form.assigned.contains(raw);
        let want_enabled = form.enabled.contains(raw);
        let mut want_methods = vec![EndpointMethod::Post];
        if form.get.contains(raw) {
            want_methods.push(EndpointMethod::Get);
        }
        if form.delete.contains(raw) {
            want_methods.push(EndpointMethod::Delete);
        }
        let now = current.iter().find(|a| a.token_id == token_id);
        let result = match (want, now) {
            (true, Some(a)) if a.enabled == want_enabled && a.methods == want_methods => Ok(()),
            (true, _) => {
                let body = serde_json::json!({ "enabled": want_enabled, "methods": want_methods });
                let body = serde_json::to_vec(&body)
                    .map(Bytes::from)
                    .unwrap_or_default();
                ep_api::assign(
                    State(st.clone()),
                    me.admin.clone(),
                    ApiPath((id, token_id)),
                    body,
                )
                .await
                .map(|_| ())
            }
            (false, Some(_)) => {
                ep_api::unassign(State(st.clone()), me.admin.clone(), ApiPath((id, token_id)))
                    .await
                    .map(|_| ())
            }
            (false, None) => Ok(()),
        };
        if let Err(e) = result {
            return st.console.error_page(me.lang, &e);
        }
    }
    let hide = if form.hide_unassigned.is_some() {
        "&hide_unassigned=1"
    } else {
        ""
    };
    Redirect::to(&format!(
        "/console/endpoints/{id}?tab=tokens&done=saved{hide}"
    ))
    .into_response()
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
fn chart(stats: &ep_api::RecordStats, anonymous: &str) -> (Vec<Series>, i64) {
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

async fn data(
    State(st): State<AppState>,
    me: Me,
    Id(id): Id<EndpointId>,
    Query(q): Query<DataQuery>,
) -> Response {
    let mut frame =
        me.page(&st.console, "endpoints")
            .with_notice(&st.console, q.done.as_deref(), None);
    let (from, to) = match (super::date_start(&q.from), super::date_end(&q.to)) {
        (Ok(f), Ok(t)) => (f, t),
        (Err(e), _) | (_, Err(e)) => {
            frame = frame.with_error(&st.console, &e);
            (None, None)
        }
    };
    let token_id = q.token_id.parse::<EndpointTokenId>().ok();
    let page = q.page.unwrap_or(1);
    let loaded = async {
        let ep = ep_api::get(State(st.clone()), me.admin.clone(), ApiPath(id))
            .await?
            .0;
        let records = ep_api::records(
            State(st.clone()),
            me.admin.clone(),
            ApiPath(id),
            ApiQuery(RecordQuery {
                token_id,
                from: from.map(Timestamp),
                to: to.map(Timestamp),
                page: Some(page),
                per_page: Some(50),
            }),
        )
        .await?
        .0;
        let stats = ep_api::record_stats(
            State(st.clone()),
            me.admin.clone(),
            ApiPath(id),
            ApiQuery(StatsQuery {
                from: from.map(Timestamp),
                to: to.map(Timestamp),
                bucket: Some(if from.is_some() { "day" } else { "hour" }.into()),
            }),
        )
        .await?
        .0;
        let tokens = all_secondaries(&st, &me).await?;
        Ok::<_, ApiError>((ep, records, stats, tokens))
    };
    let (ep, records, stats, tokens) = match loaded.await {
        Ok(found) => found,
        Err(e) => return st.console.error_page(me.lang, &e),
    };
    // The filter offers the endpoint's primaries and every secondary token.
    let mut filter: Vec<(String, String)> = ep
        .primary_tokens
        .iter()
        .map(|t| (t.id.to_string(), format!("{} ({})", t.name, t.hint)))
        .collect();
    filter.extend(
        tokens
            .items
            .iter()
            .map(|t| (t.id.to_string(), t.name.clone())),
    );
    let anonymous = st.console.i18n.message(me.lang, "data-anonymous", None);
    let (series, max) = chart(&stats, &anonymous);
    let query = format!(
        "?token_id={}&from={}&to={}&",
        super::url_encode(&q.token_id),
        super::url_encode(&q.from),
        super::url_encode(&q.to)
    );
    let ctx = context! {
        ep => &ep.endpoint, records => records.items, pager => Pager::new(Page::new(page, 50), records.total),
        filter, token_id => q.token_id, from => q.from, to => q.to, query,
        series, max, width => CHART_W, height => CHART_H,
        chart_from => stats.from.format(&Rfc3339).unwrap_or_default(),
        chart_to => stats.to.format(&Rfc3339).unwrap_or_default(),
    };
    st.console.render("endpoint_data.html", &frame, ctx)
}

#[derive(Deserialize)]
struct TokenListQuery {
    status: Option<String>,
    page: Option<u32>,
    done: Option<String>,
}

async fn token_list(
    State(st): State<AppState>,
    me: Me,
    Query(q): Query<TokenListQuery>,
) -> Response {
    let status = if q.status.as_deref() == Some("inactive") {
        "inactive"
    } else {
        "active"
    };
    let page = q.page.unwrap_or(1);
    let query = EndpointTokenQuery {
        status: Some(status.into()),
        q: None,
        page: Some(page),
        per_page: Some(50),
    };
    let paged = match tok_api::list(State(st.clone()), me.admin.clone(), ApiQuery(query)).await {
        Ok(axum::Json(p)) => p,
        Err(e) => return st.console.error_page(me.lang, &e),
    };
    let frame =
        me.page(&st.console, "endpoint-tokens")
            .with_notice(&st.console, q.done.as_deref(), None);
    let ctx = context! {
        items => paged.items, status, pager => Pager::new(Page::new(page, 50), paged.total),
    };
    st.console.render("endpoint_tokens.html", &frame, ctx)
}

#[derive(Deserialize)]
struct TokenForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    enabled: Option<String>,
}

async fn token_create(State(st): State<AppState>, p: Posted<TokenForm>) -> Response {
    let Posted { me, form } = p;
    let body = Name::parse(form.name.trim())
        .map_err(|_| invalid("invalid_name", "name"))
        .map(|name| CreateEndpointToken {
            name,
            description: form.description.trim().to_string(),
            enabled: Some(form.enabled.is_some()),
        });
    let result = match body {
        Ok(b) => tok_api::create(State(st.clone()), me.admin.clone(), ApiJson(b)).await,
        Err(e) => Err(e),
    };
    match result {
        Ok((_, axum::Json(t))) => {
            let id = t.details.id;
            let title = st
                .console
                .i18n
                .message(me.lang, "endpoint-token-created", None);
            let secrets = vec![ShownSecret {
                label: t.details.name.clone(),
                secret: t.token,
            }];
            secrets_page(
                &st,
                &me,
                &title,
                format!("/console/endpoint-tokens/{id}"),
                secrets,
            )
        }
        Err(e) => st.console.error_page(me.lang, &e),
    }
}

async fn render_token(
    st: &AppState,
    me: &Me,
    id: EndpointTokenId,
    done: Option<&str>,
    revealed: Option<String>,
) -> Response {
    let details = match tok_api::get(State(st.clone()), me.admin.clone(), ApiPath(id)).await {
        Ok(axum::Json(d)) => d,
        Err(e) => return st.console.error_page(me.lang, &e),
    };
    let frame = me
        .page(&st.console, "endpoint-tokens")
        .with_notice(&st.console, done, None);
    let ctx = context! {
        tk => &details.token, assignments => &details.assignments, revealed,
        recoverable => recoverable(me) && details.token.recoverable,
    };
    st.console.render("endpoint_token.html", &frame, ctx)
}

#[derive(Deserialize)]
struct DoneQuery {
    done: Option<String>,
}

async fn token_settings(
    State(st): State<AppState>,
    me: Me,
    Id(id): Id<EndpointTokenId>,
    Query(q): Query<DoneQuery>,
) -> Response {
    render_token(&st, &me, id, q.done.as_deref(), None).await
}

async fn token_update(
    State(st): State<AppState>,
    Id(id): Id<EndpointTokenId>,
    p: Posted<TokenForm>,
) -> Response {
    let Posted { me, form } = p;
    let body = Name::parse(form.name.trim())
        .map_err(|_| invalid("invalid_name", "name"))
        .map(|name| UpdateEndpointToken {
            name: Some(name),
            description: Some(form.description.trim().to_string()),
            enabled: Some(form.enabled.is_some()),
        });
    let result = match body {
        Ok(b) => {
            tok_api::update(State(st.clone()), me.admin.clone(), ApiPath(id), ApiJson(b)).await
        }
        Err(e) => Err(e),
    };
    super::after(
        &st,
        &me,
        result,
        &format!("/console/endpoint-tokens/{id}?done=saved"),
    )
}

#[derive(Deserialize)]
struct EnabledForm {
    enabled: String,
    #[serde(default)]
    back: String,
}

/// The list's Enabled toggle and its Deactivate / Activate button.
async fn token_enabled(
    State(st): State<AppState>,
    Id(id): Id<EndpointTokenId>,
    p: Posted<EnabledForm>,
) -> Response {
    let Posted { me, form } = p;
    let on = form.enabled == "true";
    let body = UpdateEndpointToken {
        name: None,
        description: None,
        enabled: Some(on),
    };
    let result = tok_api::update(
        State(st.clone()),
        me.admin.clone(),
        ApiPath(id),
        ApiJson(body),
    )
    .await;
    let done = if on { "activated" } else { "deactivated" };
    let back = if form.back == "inactive" {
        "inactive"
    } else {
        "active"
    };
    super::after(
        &st,
        &me,
        result,
        &format!("/console/endpoint-tokens?status={back}&done={done}"),
    )
}

async fn token_regenerate(
    State(st): State<AppState>,
    Id(id): Id<EndpointTokenId>,
    p: Posted<Empty>,
) -> Response {
    let me = p.me;
    match tok_api::regenerate(
        State(st.clone()),
        me.admin.clone(),
        ApiPath(id),
        Bytes::new(),
    )
    .await
    {
        Ok(axum::Json(t)) => {
            let title = st
                .console
                .i18n
                .message(me.lang, "secret-regenerated-title", None);
            let secrets = vec![ShownSecret {
                label: t.details.name.clone(),
                secret: t.token,
            }];
            secrets_page(
                &st,
                &me,
                &title,
                format!("/console/endpoint-tokens/{id}"),
                secrets,
            )
        }
        Err(e) => st.console.error_page(me.lang, &e),
    }
}

async fn token_reveal(
    State(st): State<AppState>,
    Id(id): Id<EndpointTokenId>,
    p: Posted<Empty>,
) -> Response {
    let me = p.me;
    match tok_api::reveal(State(st.clone()), me.admin.clone(), ApiPath(id)).await {
        Ok(axum::Json(r)) => render_token(&st, &me, id, None, Some(r.token)).await,
        Err(e) => st.console.error_page(me.lang, &e),
    }
}

async fn token_delete(
    State(st): State<AppState>,
    Id(id): Id<EndpointTokenId>,
    p: Posted<Empty>,
) -> Response {
    let me = p.me;
    let result = tok_api::delete(State(st.clone()), me.admin.clone(), ApiPath(id)).await;
    super::after(&st, &me, result, "/console/endpoint-tokens?done=deleted")
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
async fn assign_form(State(st): State<AppState>, me: Me, Id(id): Id<EndpointTokenId>) -> Response {
    let loaded = async {
        let token = tok_api::get(State(st.clone()), me.admin.clone(), ApiPath(id))
            .await?
            .0;
        let eps = ep_api::list(
            State(st.clone()),
            me.admin.clone(),
            ApiQuery(EndpointQuery {
                q: None,
                page: Some(1),
                per_page: Some(500),
            }),
        )
        .await?
        .0;
        Ok::<_, ApiError>((token, eps))
    };
    let (token, eps) = match loaded.await {
        Ok(found) => found,
        Err(e) => return st.console.error_page(me.lang, &e),
    };
    let rows: Vec<AssignRow> = eps
        .items
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
    st.console.render(
        "endpoint_assign.html",
        &frame,
        context! { tk => &token.token, rows },
    )
}

#[derive(Deserialize)]
struct AssignForm {
    #[serde(default)]
    shown: Vec<String>,
    #[serde(default)]
    assigned: Vec<String>,
}

async fn assign_save(
    State(st): State<AppState>,
    Id(id): Id<EndpointTokenId>,
    p: Posted<AssignForm>,
) -> Response {
    let Posted { me, form } = p;
    let token = match tok_api::get(State(st.clone()), me.admin.clone(), ApiPath(id)).await {
        Ok(axum::Json(t)) => t,
        Err(e) => return st.console.error_page(me.lang, &e),
    };
    for raw in &form.shown {
        let Ok(ep) = raw.parse::<EndpointId>() else {
            continue;
        };
        let want = form.assigned.contains(raw);
        let now = token.assignments.iter().any(|a| a.endpoint_id == ep);
        let result = match (want, now) {
            (true, false) => ep_api::assign(
                State(st.clone()),
                me.admin.clone(),
                ApiPath((ep, id)),
                Bytes::new(),
            )
            .await
            .map(|_| ()),
            (false, true) => {
                ep_api::unassign(State(st.clone()), me.admin.clone(), ApiPath((ep, id)))
                    .await
                    .map(|_| ())
            }
            _ => Ok(()),
        };
        if let Err(e) = result {
            return st.console.error_page(me.lang, &e);
        }
    }
    Redirect::to(&format!("/console/endpoint-tokens/{id}?done=saved")).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyward_store::RecordBucket;
    use time::macros::datetime;

    #[test]
    fn the_chart_has_a_line_per_application_with_empty_hours_at_zero() {
        let stats = ep_api::RecordStats {
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
