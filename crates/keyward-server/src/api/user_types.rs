//! `/api/v1/user-types`: roles as sets of permission strings.

use super::Paged;
use crate::auth::Admin;
use crate::error::{ApiJson, ApiPath, ApiQuery, ApiResult};
use crate::service::directory::UserTypeChange;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use keyward_core::model::UserType;
use keyward_core::UserTypeId;
use keyward_proto::directory::NameQuery;
use keyward_proto::directory::{CreateUserType, UpdateUserType};

#[utoipa::path(post, path = "/api/v1/user-types", tag = "user-types", security(("bearer" = [])), request_body = CreateUserType,
    responses((status = 201, body = UserType), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn create(
    State(st): State<AppState>,
    admin: Admin,
    ApiJson(b): ApiJson<CreateUserType>,
) -> ApiResult<(StatusCode, axum::Json<UserType>)> {
    let ut = st
        .directory()
        .create_user_type(&admin, &b.name, &b.permissions)
        .await?;
    Ok((StatusCode::CREATED, axum::Json(ut)))
}

#[utoipa::path(get, path = "/api/v1/user-types", tag = "user-types", security(("bearer" = [])), params(NameQuery),
    responses((status = 200, body = Paged<UserType>)))]
pub async fn list(
    State(st): State<AppState>,
    admin: Admin,
    ApiQuery(q): ApiQuery<NameQuery>,
) -> ApiResult<axum::Json<Paged<UserType>>> {
    let page = super::page(q.page, q.per_page);
    Ok(axum::Json(super::paged(
        st.directory()
            .list_user_types(&admin, q.q.as_deref(), page)
            .await?,
        page,
    )))
}

#[utoipa::path(get, path = "/api/v1/user-types/{id}", tag = "user-types", security(("bearer" = [])),
    params(("id" = UserTypeId, Path)), responses((status = 200, body = UserType), (status = 404, body = crate::error::Problem)))]
pub async fn get(
    State(st): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<UserTypeId>,
) -> ApiResult<axum::Json<UserType>> {
    Ok(axum::Json(st.directory().user_type(&admin, id).await?))
}

/// Rename or change permissions; tokens of this user type see the change on their next check.
#[utoipa::path(patch, path = "/api/v1/user-types/{id}", tag = "user-types", security(("bearer" = [])), request_body = UpdateUserType,
    params(("id" = UserTypeId, Path)), responses((status = 200, body = UserType), (status = 404, body = crate::error::Problem)))]
pub async fn update(
    State(st): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<UserTypeId>,
    ApiJson(b): ApiJson<UpdateUserType>,
) -> ApiResult<axum::Json<UserType>> {
    let change = UserTypeChange {
        name: b.name,
        permissions: b.permissions,
    };
    Ok(axum::Json(
        st.directory().update_user_type(&admin, id, change).await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/user-types/{id}", tag = "user-types", security(("bearer" = [])),
    params(("id" = UserTypeId, Path)), responses((status = 204), (status = 409, body = crate::error::Problem)))]
pub async fn delete(
    State(st): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<UserTypeId>,
) -> ApiResult<StatusCode> {
    st.directory().delete_user_type(&admin, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
