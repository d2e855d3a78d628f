//! `/api/v1/users` and `/api/v1/users/{id}/memberships`.

use super::{double_option, Paged, Timestamp};
use crate::auth::Admin;
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use keyward_core::model::{in_period, Membership, User};
use keyward_core::text::{Email, Name, Username};
use keyward_core::{DepartmentId, MembershipId, UserId, UserTypeId};
use keyward_store::{NewUser, UserFilter, UserUpdate};
use serde::Deserialize;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    pub username: Username,
    pub email: Email,
    pub display_name: Name,
    #[serde(default)]
    pub is_admin: bool,
    #[serde(default)]
    pub is_technical: bool,
    pub active_from: Option<Timestamp>,
    pub active_until: Option<Timestamp>,
    /// For console and mobile login; 10 to 1024 characters.
    pub password: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    pub email: Option<Email>,
    pub display_name: Option<Name>,
    pub is_admin: Option<bool>,
    pub is_technical: Option<bool>,
    /// A locked user's tokens and sessions stop working at once.
    pub locked: Option<bool>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub active_from: Option<Option<Timestamp>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub active_until: Option<Option<Timestamp>>,
    /// `null` removes the password (no more console or mobile login). Either way the
    /// user's console and mobile sessions end.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub password: Option<Option<String>>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// Matches username, email or display name.
    pub q: Option<String>,
    pub is_admin: Option<bool>,
    pub is_technical: Option<bool>,
    pub locked: Option<bool>,
    /// 1-based page number (default 1).
    pub page: Option<u32>,
    /// Items per page (default 50, at most 500).
    pub per_page: Option<u32>,
}

fn check_period(from: Option<Timestamp>, until: Option<Timestamp>) -> ApiResult<()> {
    if let (Some(f), Some(u)) = (from, until) {
        if u.0 < f.0 {
            return Err(ApiError::validation("active_until is before active_from"));
        }
    }
    Ok(())
}

/// Create a user (person or technical user).
#[utoipa::path(post, path = "/api/v1/users", tag = "users", security(("bearer" = [])), request_body = CreateUser,
    responses((status = 201, body = User), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn create(
    State(st): State<AppState>,
    admin: Admin,
    ApiJson(b): ApiJson<CreateUser>,
) -> ApiResult<(StatusCode, axum::Json<User>)> {
    check_period(b.active_from, b.active_until)?;
    let password_hash = match b.password {
        Some(pw) => Some(st.passwords.hash(pw).await?),
        None => None,
    };
    let u = NewUser {
        username: b.username.into_string(),
        email: b.email.into_string(),
        display_name: b.display_name.into_string(),
        is_admin: b.is_admin,
        is_technical: b.is_technical,
        active_from: b.active_from.map(|t| t.0),
        active_until: b.active_until.map(|t| t.0),
        password_hash,
    };
    let user = st
        .store
        .create_user(admin.tenant_id, &u, &admin.actor())
        .await?;
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
    Ok(axum::Json(Paged::new(
        st.store.list_users(admin.tenant_id, &f, page).await?,
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
    Ok(axum::Json(st.store.user(admin.tenant_id, id).await?))
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
    if id == admin.user_id && (b.locked == Some(true) || b.is_admin == Some(false)) {
        return Err(ApiError::Conflict {
            code: "self_lockout",
            detail: "you cannot lock yourself or remove your own administrator flag; ask another administrator".into(),
        });
    }
    let current = st.store.user(admin.tenant_id, id).await?;
    let from = b.active_from.unwrap_or(current.active_from.map(Timestamp));
    let until = b
        .active_until
        .unwrap_or(current.active_until.map(Timestamp));
    check_period(from, until)?;
    let now = time::OffsetDateTime::now_utc();
    if id == admin.user_id && !in_period(from.map(|t| t.0), until.map(|t| t.0), now) {
        return Err(ApiError::Conflict {
            code: "self_lockout",
            detail:
                "that employment period would end your own access now; ask another administrator"
                    .into(),
        });
    }
    let password_hash = match b.password {
        Some(Some(pw)) => Some(Some(st.passwords.hash(pw).await?)),
        Some(None) => Some(None),
        None => None,
    };
    let up = UserUpdate {
        email: b.email.map(Email::into_string),
        display_name: b.display_name.map(Name::into_string),
        is_admin: b.is_admin,
        is_technical: b.is_technical,
        locked: b.locked,
        active_from: b.active_from.map(|o| o.map(|t| t.0)),
        active_until: b.active_until.map(|o| o.map(|t| t.0)),
        password_hash,
    };
    let result = st
        .store
        .update_user(admin.tenant_id, id, &up, &admin.actor())
        .await;
    let user = result?;
    Ok(axum::Json(user))
}

/// Delete a user who owns no tokens.
#[utoipa::path(delete, path = "/api/v1/users/{id}", tag = "users", security(("bearer" = [])),
    params(("id" = UserId, Path)), responses((status = 204), (status = 409, body = crate::error::Problem)))]
pub async fn delete(
    State(st): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<UserId>,
) -> ApiResult<StatusCode> {
    if id == admin.user_id {
        return Err(ApiError::Conflict {
            code: "self_lockout",
            detail: "you cannot delete yourself".into(),
        });
    }
    let result = st
        .store
        .delete_user(admin.tenant_id, id, &admin.actor())
        .await;
    result?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddMembership {
    pub department_id: DepartmentId,
    pub user_type_id: UserTypeId,
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
    let result = st
        .store
        .add_membership(
            admin.tenant_id,
            id,
            b.department_id,
            b.user_type_id,
            &admin.actor(),
        )
        .await;
    let m = result?;
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
    st.store.user(admin.tenant_id, id).await?;
    Ok(axum::Json(st.store.memberships(admin.tenant_id, id).await?))
}

/// Remove a membership; tokens using it stop working (`FORBIDDEN`).
#[utoipa::path(delete, path = "/api/v1/users/{id}/memberships/{membership_id}", tag = "users", security(("bearer" = [])),
    params(("id" = UserId, Path), ("membership_id" = MembershipId, Path)), responses((status = 204), (status = 404, body = crate::error::Problem)))]
pub async fn remove_membership(
    State(st): State<AppState>,
    admin: Admin,
    ApiPath((id, membership_id)): ApiPath<(UserId, MembershipId)>,
) -> ApiResult<StatusCode> {
    if id == admin.user_id {
        let own = st.store.memberships(admin.tenant_id, id).await?;
        let in_use = own.iter().any(|m| {
            m.id == membership_id
                && admin.token_membership == Some((m.department_id, m.user_type_id))
        });
        if in_use {
            return Err(ApiError::Conflict {
                code: "self_lockout",
                detail: "the token you are calling with rests on this membership; removing it would lock you out. \
                         Use another administrator's token"
                    .into(),
            });
        }
    }
    let result = st
        .store
        .remove_membership(admin.tenant_id, id, membership_id, &admin.actor())
        .await;
    result?;
    Ok(StatusCode::NO_CONTENT)
}
