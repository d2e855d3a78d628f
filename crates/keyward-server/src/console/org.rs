//! Departments and user types (with their permissions), through the directory service.

use super::session::{Empty, Me, Posted};
use super::Id;
use super::{invalid, parse_name, Pager};
use super::{ConsoleState, DoneQuery, ListQuery};
use crate::error::ApiError;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use keyward_core::permission::Permission;
use keyward_core::{DepartmentId, UserTypeId};
use keyward_proto::directory::UpdateUserType;
use keyward_store::Page;
use minijinja::context;
use serde::Deserialize;

pub fn router() -> Router<ConsoleState> {
    Router::new()
        .route(
            "/console/departments",
            get(departments).post(create_department),
        )
        .route("/console/departments/{id}", post(rename_department))
        .route("/console/departments/{id}/delete", post(delete_department))
        .route(
            "/console/user-types",
            get(user_types).post(create_user_type),
        )
        .route(
            "/console/user-types/{id}",
            get(user_type).post(update_user_type),
        )
        .route("/console/user-types/{id}/delete", post(delete_user_type))
}

async fn render_departments(
    st: &ConsoleState,
    me: &Me,
    q: ListQuery,
    error: Option<&ApiError>,
    name: &str,
) -> Response {
    let page = Page::new(q.page.unwrap_or(1), 50);
    let query = q.q.filter(|s| !s.trim().is_empty());
    let (items, total) = match st
        .directory()
        .list_departments(&me.admin, query.as_deref(), page)
        .await
    {
        Ok(found) => found,
        Err(e) => return st.console.error_page(me.lang, &e.into()),
    };
    let frame = me.page_with_notice(&st.console, "departments", q.done.as_deref());
    let ctx =
        context! { items, q => query.unwrap_or_default(), pager => Pager::new(page, total), name };
    st.console
        .render_form("departments.html", frame, error, ctx)
}

async fn departments(
    State(st): State<ConsoleState>,
    me: Me,
    Query(q): Query<ListQuery>,
) -> Response {
    render_departments(&st, &me, q, None, "").await
}

#[derive(Deserialize)]
struct NameForm {
    #[serde(default)]
    name: String,
}

async fn create_department(State(st): State<ConsoleState>, p: Posted<NameForm>) -> Response {
    let Posted { me, form } = p;
    let result = super::submit(parse_name(&form.name), async |name| {
        st.directory().create_department(&me.admin, &name).await
    })
    .await;
    match result {
        Ok(_) => Redirect::to("/console/departments?done=created").into_response(),
        Err(e) => render_departments(&st, &me, ListQuery::default(), Some(&e), &form.name).await,
    }
}

async fn rename_department(
    State(st): State<ConsoleState>,
    Id(id): Id<DepartmentId>,
    p: Posted<NameForm>,
) -> Response {
    let Posted { me, form } = p;
    let result = super::submit(parse_name(&form.name), async |name| {
        st.directory().rename_department(&me.admin, id, &name).await
    })
    .await;
    match result {
        Ok(_) => Redirect::to("/console/departments?done=saved").into_response(),
        Err(e) => render_departments(&st, &me, ListQuery::default(), Some(&e), "").await,
    }
}

async fn delete_department(
    State(st): State<ConsoleState>,
    Id(id): Id<DepartmentId>,
    p: Posted<Empty>,
) -> Response {
    let me = p.me;
    match st.directory().delete_department(&me.admin, id).await {
        Ok(()) => Redirect::to("/console/departments?done=deleted").into_response(),
        Err(e) => render_departments(&st, &me, ListQuery::default(), Some(&e.into()), "").await,
    }
}

async fn render_user_types(
    st: &ConsoleState,
    me: &Me,
    q: ListQuery,
    error: Option<&ApiError>,
    form: &UserTypeForm,
) -> Response {
    let page = Page::new(q.page.unwrap_or(1), 50);
    let query = q.q.filter(|s| !s.trim().is_empty());
    let (items, total) = match st
        .directory()
        .list_user_types(&me.admin, query.as_deref(), page)
        .await
    {
        Ok(found) => found,
        Err(e) => return st.console.error_page(me.lang, &e.into()),
    };
    let frame = me.page_with_notice(&st.console, "user-types", q.done.as_deref());
    let ctx = context! {
        items, q => query.unwrap_or_default(), pager => Pager::new(page, total),
        name => &form.name, permissions => &form.permissions,
    };
    st.console.render_form("user_types.html", frame, error, ctx)
}

async fn user_types(
    State(st): State<ConsoleState>,
    me: Me,
    Query(q): Query<ListQuery>,
) -> Response {
    render_user_types(&st, &me, q, None, &UserTypeForm::default()).await
}

#[derive(Deserialize, Default)]
struct UserTypeForm {
    #[serde(default)]
    name: String,
    /// One permission per line (or separated by commas or spaces).
    #[serde(default)]
    permissions: String,
}

fn parse_permissions(s: &str) -> Result<Vec<Permission>, ApiError> {
    let mut out: Vec<Permission> = Vec::new();
    for p in s
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|p| !p.is_empty())
    {
        let p = Permission::parse(p).map_err(|_| invalid("invalid_permission", "permission"))?;
        if !out.contains(&p) {
            out.push(p);
        }
    }
    Ok(out)
}

async fn create_user_type(State(st): State<ConsoleState>, p: Posted<UserTypeForm>) -> Response {
    let Posted { me, form } = p;
    let body =
        parse_name(&form.name).and_then(|name| Ok((name, parse_permissions(&form.permissions)?)));
    let result = super::submit(body, async |(name, permissions)| {
        st.directory()
            .create_user_type(&me.admin, &name, &permissions)
            .await
    })
    .await;
    match result {
        Ok(_) => Redirect::to("/console/user-types?done=created").into_response(),
        Err(e) => render_user_types(&st, &me, ListQuery::default(), Some(&e), &form).await,
    }
}

async fn render_user_type(
    st: &ConsoleState,
    me: &Me,
    id: UserTypeId,
    refused: Option<(&ApiError, &UserTypeForm)>,
    done: Option<&str>,
) -> Response {
    let ut = match st.directory().user_type(&me.admin, id).await {
        Ok(ut) => ut,
        Err(e) => return st.console.error_page(me.lang, &e.into()),
    };
    let mut frame = me.page_with_notice(&st.console, "user-types", done);
    // After a refusal the form keeps what was typed.
    let (name, permissions, status) = match refused {
        Some((e, form)) => {
            frame = frame.with_error(&st.console, e);
            let (status, _) = e.parts();
            (form.name.clone(), form.permissions.clone(), status)
        }
        None => {
            let permissions = ut
                .permissions
                .iter()
                .map(|p| p.as_str().to_string())
                .collect::<Vec<_>>()
                .join("\n");
            (ut.name.clone(), permissions, StatusCode::OK)
        }
    };
    let ctx = context! { ut, name, permissions };
    (status, st.console.render("user_type.html", &frame, ctx)).into_response()
}

async fn user_type(
    State(st): State<ConsoleState>,
    me: Me,
    Id(id): Id<UserTypeId>,
    Query(q): Query<DoneQuery>,
) -> Response {
    render_user_type(&st, &me, id, None, q.done.as_deref()).await
}

async fn update_user_type(
    State(st): State<ConsoleState>,
    Id(id): Id<UserTypeId>,
    p: Posted<UserTypeForm>,
) -> Response {
    let Posted { me, form } = p;
    let body = parse_name(&form.name).and_then(|name| {
        Ok(UpdateUserType {
            name: Some(name),
            permissions: Some(parse_permissions(&form.permissions)?),
        })
    });
    let result = super::submit(body, async |c| {
        st.directory().update_user_type(&me.admin, id, c).await
    })
    .await;
    match result {
        Ok(_) => Redirect::to(&format!("/console/user-types/{id}?done=saved")).into_response(),
        Err(e) => render_user_type(&st, &me, id, Some((&e, &form)), None).await,
    }
}

async fn delete_user_type(
    State(st): State<ConsoleState>,
    Id(id): Id<UserTypeId>,
    p: Posted<Empty>,
) -> Response {
    let me = p.me;
    let result = st.directory().delete_user_type(&me.admin, id).await;
    st.after(&me, result, "/console/user-types?done=deleted")
}
