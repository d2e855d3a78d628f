//! `/api/v1/departments`.

use super::Call;
use super::Paged;
use crate::error::{ApiJson, ApiPath, ApiQuery, ApiResult};
use axum::http::StatusCode;
use axum::Json;
use keyward_core::model::Department;
use keyward_core::DepartmentId;
use keyward_proto::directory::{DepartmentBody, NameQuery};

#[utoipa::path(post, path = "/api/v1/departments", tag = "departments", security(("bearer" = [])), request_body = DepartmentBody,
    responses((status = 201, body = Department), (status = 409, body = crate::error::Problem)))]
pub async fn create(
    c: Call,
    ApiJson(b): ApiJson<DepartmentBody>,
) -> ApiResult<(StatusCode, Json<Department>)> {
    let d =
        c.st.directory()
            .create_department(&c.admin, &b.name)
            .await?;
    Ok((StatusCode::CREATED, Json(d)))
}

#[utoipa::path(get, path = "/api/v1/departments", tag = "departments", security(("bearer" = [])), params(NameQuery),
    responses((status = 200, body = Paged<Department>)))]
pub async fn list(c: Call, ApiQuery(q): ApiQuery<NameQuery>) -> ApiResult<Json<Paged<Department>>> {
    super::listed(q.page, q.per_page, async |page| {
        c.st.directory()
            .list_departments(&c.admin, q.q.as_deref(), page)
            .await
    })
    .await
}

#[utoipa::path(get, path = "/api/v1/departments/{id}", tag = "departments", security(("bearer" = [])),
    params(("id" = DepartmentId, Path)), responses((status = 200, body = Department), (status = 404, body = crate::error::Problem)))]
pub async fn get(c: Call, ApiPath(id): ApiPath<DepartmentId>) -> ApiResult<Json<Department>> {
    Ok(Json(c.st.directory().department(&c.admin, id).await?))
}

/// Rename a department.
#[utoipa::path(patch, path = "/api/v1/departments/{id}", tag = "departments", security(("bearer" = [])), request_body = DepartmentBody,
    params(("id" = DepartmentId, Path)), responses((status = 200, body = Department), (status = 409, body = crate::error::Problem)))]
pub async fn update(
    c: Call,
    ApiPath(id): ApiPath<DepartmentId>,
    ApiJson(b): ApiJson<DepartmentBody>,
) -> ApiResult<Json<Department>> {
    Ok(Json(
        c.st.directory()
            .rename_department(&c.admin, id, &b.name)
            .await?,
    ))
}

/// Delete a department no membership or token uses.
#[utoipa::path(delete, path = "/api/v1/departments/{id}", tag = "departments", security(("bearer" = [])),
    params(("id" = DepartmentId, Path)), responses((status = 204), (status = 409, body = crate::error::Problem)))]
pub async fn delete(c: Call, ApiPath(id): ApiPath<DepartmentId>) -> ApiResult<StatusCode> {
    c.st.directory().delete_department(&c.admin, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
