//! `/api/v1/user-types`: roles as sets of permission strings.

use super::Call;
use super::Paged;
use crate::error::{ApiJson, ApiPath, ApiQuery, ApiResult};
use axum::http::StatusCode;
use axum::Json;
use keyward_core::model::UserType;
use keyward_core::UserTypeId;
use keyward_proto::directory::NameQuery;
use keyward_proto::directory::{CreateUserType, UpdateUserType};

#[utoipa::path(post, path = "/api/v1/user-types", tag = "user-types", security(("bearer" = [])), request_body = CreateUserType,
    responses((status = 201, body = UserType), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn create(
    c: Call,
    ApiJson(b): ApiJson<CreateUserType>,
) -> ApiResult<(StatusCode, Json<UserType>)> {
    let ut =
        c.st.directory()
            .create_user_type(&c.admin, &b.name, &b.permissions)
            .await?;
    Ok((StatusCode::CREATED, Json(ut)))
}

#[utoipa::path(get, path = "/api/v1/user-types", tag = "user-types", security(("bearer" = [])), params(NameQuery),
    responses((status = 200, body = Paged<UserType>)))]
pub async fn list(c: Call, ApiQuery(q): ApiQuery<NameQuery>) -> ApiResult<Json<Paged<UserType>>> {
    super::listed(q.page, q.per_page, async |page| {
        c.st.directory()
            .list_user_types(&c.admin, q.q.as_deref(), page)
            .await
    })
    .await
}

#[utoipa::path(get, path = "/api/v1/user-types/{id}", tag = "user-types", security(("bearer" = [])),
    params(("id" = UserTypeId, Path)), responses((status = 200, body = UserType), (status = 404, body = crate::error::Problem)))]
pub async fn get(c: Call, ApiPath(id): ApiPath<UserTypeId>) -> ApiResult<Json<UserType>> {
    Ok(Json(c.st.directory().user_type(&c.admin, id).await?))
}

/// Rename or change permissions; tokens of this user type see the change on their next check.
#[utoipa::path(patch, path = "/api/v1/user-types/{id}", tag = "user-types", security(("bearer" = [])), request_body = UpdateUserType,
    params(("id" = UserTypeId, Path)), responses((status = 200, body = UserType), (status = 404, body = crate::error::Problem)))]
pub async fn update(
    c: Call,
    ApiPath(id): ApiPath<UserTypeId>,
    ApiJson(b): ApiJson<UpdateUserType>,
) -> ApiResult<Json<UserType>> {
    Ok(Json(
        c.st.directory().update_user_type(&c.admin, id, b).await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/user-types/{id}", tag = "user-types", security(("bearer" = [])),
    params(("id" = UserTypeId, Path)), responses((status = 204), (status = 409, body = crate::error::Problem)))]
pub async fn delete(c: Call, ApiPath(id): ApiPath<UserTypeId>) -> ApiResult<StatusCode> {
    c.st.directory().delete_user_type(&c.admin, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
