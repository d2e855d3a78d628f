//! `/api/v1/users` and `/api/v1/users/{id}/memberships`.

use super::Call;
use super::Paged;
use crate::error::{ApiJson, ApiPath, ApiQuery, ApiResult};
use axum::http::StatusCode;
use axum::Json;
use keyward_core::model::{Membership, User};
use keyward_core::{MembershipId, UserId};
use keyward_proto::users::{AddMembership, CreateUser, UpdateUser, UserQuery};
use keyward_store::UserFilter;

/// Create a user (person or technical user).
#[utoipa::path(post, path = "/api/v1/users", tag = "users", security(("bearer" = [])), request_body = CreateUser,
    responses((status = 201, body = User), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn create(
    c: Call,
    ApiJson(b): ApiJson<CreateUser>,
) -> ApiResult<(StatusCode, Json<User>)> {
    let user = c.st.directory().create_user(&c.admin, b).await?;
    Ok((StatusCode::CREATED, Json(user)))
}

/// List users, filtered and paged.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", security(("bearer" = [])), params(UserQuery),
    responses((status = 200, body = Paged<User>)))]
pub async fn list(c: Call, ApiQuery(q): ApiQuery<UserQuery>) -> ApiResult<Json<Paged<User>>> {
    let f = UserFilter {
        q: q.q,
        is_admin: q.is_admin,
        is_technical: q.is_technical,
        locked: q.locked,
    };
    super::listed(q.page, q.per_page, async |page| {
        c.st.directory().list_users(&c.admin, &f, page).await
    })
    .await
}

#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", security(("bearer" = [])),
    params(("id" = UserId, Path)), responses((status = 200, body = User), (status = 404, body = crate::error::Problem)))]
pub async fn get(c: Call, ApiPath(id): ApiPath<UserId>) -> ApiResult<Json<User>> {
    Ok(Json(c.st.directory().user(&c.admin, id).await?))
}

/// Change a user; `locked: true` stops their tokens at once. Locking, removing the
/// administrator flag, or an employment period that has ended deletes the user's console
/// sessions; a new or removed password deletes their console and mobile sessions.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", security(("bearer" = [])), request_body = UpdateUser,
    params(("id" = UserId, Path)), responses((status = 200, body = User), (status = 404, body = crate::error::Problem)))]
pub async fn update(
    c: Call,
    ApiPath(id): ApiPath<UserId>,
    ApiJson(b): ApiJson<UpdateUser>,
) -> ApiResult<Json<User>> {
    Ok(Json(c.st.directory().update_user(&c.admin, id, b).await?))
}

/// Delete a user who owns no tokens.
#[utoipa::path(delete, path = "/api/v1/users/{id}", tag = "users", security(("bearer" = [])),
    params(("id" = UserId, Path)), responses((status = 204), (status = 409, body = crate::error::Problem)))]
pub async fn delete(c: Call, ApiPath(id): ApiPath<UserId>) -> ApiResult<StatusCode> {
    c.st.directory().delete_user(&c.admin, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Give a user a user type in a department.
#[utoipa::path(post, path = "/api/v1/users/{id}/memberships", tag = "users", security(("bearer" = [])),
    request_body = AddMembership, params(("id" = UserId, Path)),
    responses((status = 201, body = Membership), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
pub async fn add_membership(
    c: Call,
    ApiPath(id): ApiPath<UserId>,
    ApiJson(b): ApiJson<AddMembership>,
) -> ApiResult<(StatusCode, Json<Membership>)> {
    let m =
        c.st.directory()
            .add_membership(&c.admin, id, b.department_id, b.user_type_id)
            .await?;
    Ok((StatusCode::CREATED, Json(m)))
}

/// A user's memberships, ordered by department name then user type name.
#[utoipa::path(get, path = "/api/v1/users/{id}/memberships", tag = "users", security(("bearer" = [])),
    params(("id" = UserId, Path)), responses((status = 200, body = Vec<Membership>)))]
pub async fn list_memberships(
    c: Call,
    ApiPath(id): ApiPath<UserId>,
) -> ApiResult<Json<Vec<Membership>>> {
    Ok(Json(c.st.directory().memberships(&c.admin, id).await?))
}

/// Remove a membership; tokens using it stop working (`FORBIDDEN`).
#[utoipa::path(delete, path = "/api/v1/users/{id}/memberships/{membership_id}", tag = "users", security(("bearer" = [])),
    params(("id" = UserId, Path), ("membership_id" = MembershipId, Path)), responses((status = 204), (status = 404, body = crate::error::Problem)))]
pub async fn remove_membership(
    c: Call,
    ApiPath((id, membership_id)): ApiPath<(UserId, MembershipId)>,
) -> ApiResult<StatusCode> {
    c.st.directory()
        .remove_membership(&c.admin, id, membership_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
