//! Departments and user types (with their permissions), through the directory service.

use super::session::{Me, Posted};
use super::Query;
use super::{delete_button, PageOf, PostedTo};
use super::{invalid, parse_name, Answer, OrErrorPage};
use super::{ConsoleState, ListPage, ListQuery};
use crate::error::ApiError;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::Router;
use keyward_core::permission::Permission;
use keyward_core::{DepartmentId, UserTypeId};
use keyward_proto::directory::UpdateUserType;
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
        .route(
            "/console/user-types/{id}/delete",
            delete_button(
                "/console/user-types?done=deleted",
                |st, by, id| async move { st.directory().delete_user_type(&by, id).await },
            ),
        )
}

const DEPARTMENTS: ListPage = ListPage {
    template: "departments.html",
    section: "departments",
    per_page: 50,
};

/// The departments with the "new department" form (empty, or as refused).
async fn render_departments(
    st: &ConsoleState,
    me: &Me,
    q: &ListQuery,
    error: Option<&ApiError>,
    name: &str,
) -> Answer {
    let dir = st.directory();
    let list = async |page| dir.list_departments(&me.admin, q.search(), page).await;
    DEPARTMENTS
        .render(st, me, q, error, list, context! { name })
        .await
}

async fn departments(State(st): State<ConsoleState>, me: Me, Query(q): Query<ListQuery>) -> Answer {
    render_departments(&st, &me, &q, None, "").await
}

#[derive(Deserialize)]
struct NameForm {
    #[serde(default)]
    name: String,
}

/// After a change to a department: back to the list confirming `done`, or the list with
/// the refusal above its form, which keeps `name` as typed.
async fn after_department<T>(
    st: &ConsoleState,
    me: &Me,
    result: Result<T, ApiError>,
    done: &str,
    name: &str,
) -> Answer {
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/console/departments?done={done}")).into_response()),
        Err(e) => render_departments(st, me, &ListQuery::default(), Some(&e), name).await,
    }
}

async fn create_department(State(st): State<ConsoleState>, p: Posted<NameForm>) -> Answer {
    let Posted { me, form } = p;
    let result = super::submit(parse_name(&form.name), async |name| {
        st.directory().create_department(&me.admin, &name).await
    })
    .await;
    after_department(&st, &me, result, "created", &form.name).await
}

async fn rename_department(
    State(st): State<ConsoleState>,
    p: PostedTo<DepartmentId, NameForm>,
) -> Answer {
    let PostedTo { id, me, form } = p;
    let result = super::submit(parse_name(&form.name), async |name| {
        st.directory().rename_department(&me.admin, id, &name).await
    })
    .await;
    after_department(&st, &me, result, "saved", "").await
}

async fn delete_department(State(st): State<ConsoleState>, p: PostedTo<DepartmentId>) -> Answer {
    let PostedTo { id, me, .. } = p;
    let result = st.directory().delete_department(&me.admin, id).await;
    after_department(&st, &me, result.map_err(ApiError::from), "deleted", "").await
}

const USER_TYPES: ListPage = ListPage {
    template: "user_types.html",
    section: "user-types",
    per_page: 50,
};

/// The user types with the "new user type" form (empty, or as refused).
async fn render_user_types(
    st: &ConsoleState,
    me: &Me,
    q: &ListQuery,
    error: Option<&ApiError>,
    form: &UserTypeForm,
) -> Answer {
    let dir = st.directory();
    let list = async |page| dir.list_user_types(&me.admin, q.search(), page).await;
    let ctx = context! { name => &form.name, permissions => &form.permissions };
    USER_TYPES.render(st, me, q, error, list, ctx).await
}

async fn user_types(State(st): State<ConsoleState>, me: Me, Query(q): Query<ListQuery>) -> Answer {
    render_user_types(&st, &me, &q, None, &UserTypeForm::default()).await
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

async fn create_user_type(State(st): State<ConsoleState>, p: Posted<UserTypeForm>) -> Answer {
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
        Ok(_) => Ok(Redirect::to("/console/user-types?done=created").into_response()),
        Err(e) => render_user_types(&st, &me, &ListQuery::default(), Some(&e), &form).await,
    }
}

async fn render_user_type(
    st: &ConsoleState,
    me: &Me,
    id: UserTypeId,
    refused: Option<(&ApiError, &UserTypeForm)>,
    done: Option<&str>,
) -> Answer {
    let ut = st
        .directory()
        .user_type(&me.admin, id)
        .await
        .or_page(st, me)?;
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
    Ok((status, st.console.render("user_type.html", &frame, ctx)).into_response())
}

async fn user_type(State(st): State<ConsoleState>, p: PageOf<UserTypeId>) -> Answer {
    let PageOf(me, id, q) = p;
    render_user_type(&st, &me, id, None, q.done.as_deref()).await
}

async fn update_user_type(
    State(st): State<ConsoleState>,
    p: PostedTo<UserTypeId, UserTypeForm>,
) -> Answer {
    let PostedTo { id, me, form } = p;
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
        Ok(_) => Ok(Redirect::to(&format!("/console/user-types/{id}?done=saved")).into_response()),
        Err(e) => render_user_type(&st, &me, id, Some((&e, &form)), None).await,
    }
}
