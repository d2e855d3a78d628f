//! `/api/v1/departments`.

use super::Paged;
use crate::auth::Admin;
use crate::error::{ApiJson, ApiPath, ApiQuery, ApiResult};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use keyward_core::model::Department;
use keyward_core::DepartmentId;
use keyward_proto::directory::{DepartmentBody, NameQuery};

#[utoipa::path(post, path = "/api/v1/departments", tag = "departments", security(("bearer" = [])), request_body = DepartmentBody,
    responses((status = 201, body = Department), (status = 409, body = crate::error::Problem)))]
pub async fn create(
    State(st): State<AppState>,
    admin: Admin,
    ApiJson(b): ApiJson<DepartmentBody>,
) -> ApiResult<(StatusCode, axum::Json<Department>)> {
    let d = st.directory().create_department(&admin, &b.name).await?;
    Ok((StatusCode::CREATED, axum::Json(d)))
}

#[utoipa::path(get, path = "/api/v1/departments", tag = "departments", security(("bearer" = [])), params(NameQuery),
    responses((status = 200, body = Paged<Department>)))]
pub async fn list(
    State(st): State<AppState>,
    admin: Admin,
    ApiQuery(q): ApiQuery<NameQuery>,
) -> ApiResult<axum::Json<Paged<Department>>> {
    let page = super::page(q.page, q.per_page);
    Ok(axum::Json(super::paged(
        st.directory()
            .list_departments(&admin, q.q.as_deref(), page)
            .await?,
        page,
    )))
}

#[utoipa::path(get, path = "/api/v1/departments/{id}", tag = "departments", security(("bearer" = [])),
    params(("id" = DepartmentId, Path)), responses((status = 200, body = Department), (status = 404, body = crate::error::Problem)))]
pub async fn get(
    State(st): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<DepartmentId>,
) -> ApiResult<axum::Json<Department>> {
    Ok(axum::Json(st.directory().department(&admin, id).await?))
}

/// Rename a department.
#[utoipa::path(patch, path = "/api/v1/departments/{id}", tag = "departments", security(("bearer" = [])), request_body = DepartmentBody,
    params(("id" = DepartmentId, Path)), responses((status = 200, body = Department), (status = 409, body = crate::error::Problem)))]
pub async fn update(
    State(st): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<DepartmentId>,
    ApiJson(b): ApiJson<DepartmentBody>,
) -> ApiResult<axum::Json<Department>> {
    Ok(axum::Json(
        st.directory()
            .rename_department(&admin, id, &b.name)
            .await?,
    ))
}

/// Delete a department no membership or token uses.
#[utoipa::path(delete, path = "/api/v1/departments/{id}", tag = "departments", security(("bearer" = [])),
    params(("id" = DepartmentId, Path)), responses((status = 204), (status = 409, body = crate::error::Problem)))]
pub async fn delete(
    State(st): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<DepartmentId>,
) -> ApiResult<StatusCode> {
    st.directory().delete_department(&admin, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
