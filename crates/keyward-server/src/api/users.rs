//! `/api/v1/users` and `/api/v1/users/{id}/memberships`.

use super::Paged;
use crate::auth::Admin;
use crate::error::{ApiJson, ApiPath, ApiQuery, ApiResult};
use crate::service::directory::{NewUserCommand, UserChange};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use keyward_core::model::{Membership, User};
use keyward_core::{MembershipId, UserId};
use keyward_proto::users::{AddMembership, CreateUser, UpdateUser, UserQuery};
use keyward_store::UserFilter;

impl From<CreateUser> for NewUserCommand {
    fn from(b: CreateUser) -> Self {
        Self {
            username: b.username,
            email: b.email,
            display_name: b.display_name,
            is_admin: b.is_admin,
            is_technical: b.is_technical,
            active_from: b.active_from.map(|t| t.0),
            active_until: b.active_until.map(|t| t.0),
            password: b.password,
        }
    }
}

impl From<UpdateUser> for UserChange {
    fn from(b: UpdateUser) -> Self {
        Self {
            email: b.email,
            display_name: b.display_name,
            is_admin: b.is_admin,
            is_technical: b.is_technical,
            locked: b.locked,
            active_from: b.active_from.map(|o| o.map(|t| t.0)),
            active_until: b.active_until.map(|o| o.map(|t| t.0)),
            password: b.password,
        }
    }
}

/// Create a user (person or technical user).
#[utoipa::path(post, path = "/api/v1/users", tag = "users", security(("bearer" = [])), request_body = CreateUser,
    responses((status = 201, body = User), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn create(
    State(st): State<AppState>,
    admin: Admin,
    ApiJson(b): ApiJson<CreateUser>,
) -> ApiResult<(StatusCode, axum::Json<User>)> {
    let user = st.directory().create_user(&admin, b.into()).await?;
    Ok((StatusCode::CREATED, axum::Json(user)))
}

/// List users, filtered and paged.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", security(("bearer" = [])), params(UserQuery),
    responses((status = 200, body = Paged<User>)))]
pub async fn list(
    State(st): State<AppState>,
    admin: Admin,
    ApiQuery(q): ApiQuery<UserQuery>,
) -> ApiResult<axum::Json<Paged<User>>> {
    let page = super::page(q.page, q.per_page);
    let f = UserFilter {
        q: q.q,
        is_admin: q.is_admin,
        is_technical: q.is_technical,
        locked: q.locked,
    };
    Ok(axum::Json(super::paged(
        st.directory().list_users(&admin, &f, page).await?,
        page,
    )))
}

#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", security(("bearer" = [])),
    params(("id" = UserId, Path)), responses((status = 200, body = User), (status = 404, body = crate::error::Problem)))]
pub async fn get(
    State(st): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<UserId>,
) -> ApiResult<axum::Json<User>> {
    Ok(axum::Json(st.directory().user(&admin, id).await?))
}

/// Change a user; `locked: true` stops their tokens at once. Locking, removing the
/// administrator flag, or an employment period that has ended deletes the user's console
/// sessions; a new or removed password deletes their console and mobile sessions.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", security(("bearer" = [])), request_body = UpdateUser,
    params(("id" = UserId, Path)), responses((status = 200, body = User), (status = 404, body = crate::error::Problem)))]
pub async fn update(
    State(st): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<UserId>,
    ApiJson(b): ApiJson<UpdateUser>,
) -> ApiResult<axum::Json<User>> {
    Ok(axum::Json(
        st.directory().update_user(&admin, id, b.into()).await?,
    ))
}

/// Delete a user who owns no tokens.
#[utoipa::path(delete, path = "/api/v1/users/{id}", tag = "users", security(("bearer" = [])),
    params(("id" = UserId, Path)), responses((status = 204), (status = 409, body = crate::error::Problem)))]
pub async fn delete(
    State(st): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<UserId>,
) -> ApiResult<StatusCode> {
    st.directory().delete_user(&admin, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Give a user a user type in a department.
#[utoipa::path(post, path = "/api/v1/users/{id}/memberships", tag = "users", security(("bearer" = [])),
    request_body = AddMembership, params(("id" = UserId, Path)),
    responses((status = 201, body = Membership), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
pub async fn add_membership(
    State(st): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<UserId>,
    ApiJson(b): ApiJson<AddMembership>,
) -> ApiResult<(StatusCode, axum::Json<Membership>)> {
    let m = st
        .directory()
        .add_membership(&admin, id, b.department_id, b.user_type_id)
        .await?;
    Ok((StatusCode::CREATED, axum::Json(m)))
}

/// A user's memberships, ordered by department name then user type name.
#[utoipa::path(get, path = "/api/v1/users/{id}/memberships", tag = "users", security(("bearer" = [])),
    params(("id" = UserId, Path)), responses((status = 200, body = Vec<Membership>)))]
pub async fn list_memberships(
    State(st): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<UserId>,
) -> ApiResult<axum::Json<Vec<Membership>>> {
    Ok(axum::Json(st.directory().memberships(&admin, id).await?))
}

/// Remove a membership; tokens using it stop working (`FORBIDDEN`).
#[utoipa::path(delete, path = "/api/v1/users/{id}/memberships/{membership_id}", tag = "users", security(("bearer" = [])),
    params(("id" = UserId, Path), ("membership_id" = MembershipId, Path)), responses((status = 204), (status = 404, body = crate::error::Problem)))]
pub async fn remove_membership(
    State(st): State<AppState>,
    admin: Admin,
    ApiPath((id, membership_id)): ApiPath<(UserId, MembershipId)>,
) -> ApiResult<StatusCode> {
    st.directory()
        .remove_membership(&admin, id, membership_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
