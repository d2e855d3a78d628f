//! Users: listing, create and edit (administrator and technical flags, employment
//! period, password), lock and unlock, memberships. Each change calls the REST API's
//! operation, with its self-lockout guards.

use super::session::{Empty, Me, Posted};
use super::Query;
use super::{delete_button, PageOf, PostedTo};
use super::{invalid, Answer, OrErrorPage};
use super::{ConsoleState, ListPage, ListQuery};
use crate::error::ApiError;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::Router;
use keyward_core::model::{TokenDetails, User};
use keyward_core::text::{Email, Name, Username};
use keyward_core::{MembershipId, TokenKind, UserId};
use keyward_proto::users::{CreateUser, UpdateUser};
use keyward_proto::Timestamp;
use keyward_store::{
    MobileSession, MobileSessionFilter, Page, SessionStatusFilter, TokenFilter, UserFilter,
};
use minijinja::context;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

pub fn router() -> Router<ConsoleState> {
    Router::new()
        .route("/console/users", get(list))
        .route("/console/users/new", get(new_form).post(create))
        .route("/console/users/{id}", get(edit_form).post(update))
        .route("/console/users/{id}/locked", post(set_locked))
        .route(
            "/console/users/{id}/delete",
            delete_button("/console/users?done=deleted", |st, by, id| async move {
                st.directory().delete_user(&by, id).await
            }),
        )
        .route("/console/users/{id}/memberships", post(add_membership))
        .route(
            "/console/users/{id}/memberships/{mid}/delete",
            post(remove_membership),
        )
}

const USERS: ListPage = ListPage {
    template: "users.html",
    section: "users",
    per_page: 25,
};

/// A user as the pages show them: with whether today is outside their employment
/// period, and which side of it (`ended` or `not-started`), since checks then refuse
/// their tokens and sessions (`USER_INACTIVE`) whatever the lock says.
#[derive(Serialize)]
struct UserRow {
    #[serde(flatten)]
    user: User,
    outside_period: Option<&'static str>,
}

impl UserRow {
    fn of(user: User, now: OffsetDateTime) -> Self {
        Self {
            outside_period: outside_period(&user, now),
            user,
        }
    }
}

/// Which side of their employment period `u` is on at `now`, when outside it.
fn outside_period(u: &User, now: OffsetDateTime) -> Option<&'static str> {
    (!u.in_period(now)).then(|| {
        if u.active_until.is_some_and(|until| until < now) {
            "ended"
        } else {
            "not-started"
        }
    })
}

async fn list(State(st): State<ConsoleState>, me: Me, Query(q): Query<ListQuery>) -> Answer {
    let f = UserFilter {
        q: q.search().map(str::to_string),
        ..Default::default()
    };
    let dir = st.directory();
    let now = OffsetDateTime::now_utc();
    let list = async |page| {
        let (users, total) = dir.list_users(&me.admin, &f, page).await?;
        let rows: Vec<UserRow> = users.into_iter().map(|u| UserRow::of(u, now)).collect();
        Ok::<_, crate::service::ServiceError>((rows, total))
    };
    USERS.render(&st, &me, &q, None, list, context! {}).await
}

/// How many of a user's tokens and sessions their page lists.
const OWN_LISTED: u32 = 100;

/// The user form as posted; checkboxes are present only when ticked.
#[derive(Deserialize, Serialize, Default)]
pub struct UserForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    display_name: String,
    is_admin: Option<String>,
    is_technical: Option<String>,
    #[serde(default)]
    active_from: String,
    #[serde(default)]
    active_until: String,
    #[serde(default)]
    password: String,
    remove_password: Option<String>,
}

impl UserForm {
    fn of(u: &User) -> Self {
        let on = |b: bool| b.then(|| "on".to_string());
        Self {
            username: u.username.clone(),
            email: u.email.clone(),
            display_name: u.display_name.clone(),
            is_admin: on(u.is_admin),
            is_technical: on(u.is_technical),
            active_from: u
                .active_from
                .map(|t| t.date().to_string())
                .unwrap_or_default(),
            active_until: u
                .active_until
                .map(|t| t.date().to_string())
                .unwrap_or_default(),
            password: String::new(),
            remove_password: None,
        }
    }

    fn password(&self) -> Result<Option<String>, ApiError> {
        if self.password.is_empty() {
            return Ok(None);
        }
        crate::service::passwords::check_policy(&self.password)
            .map_err(|_| invalid("password_policy", "password length"))?;
        Ok(Some(self.password.clone()))
    }

    fn period(
        &self,
    ) -> Result<(Option<time::OffsetDateTime>, Option<time::OffsetDateTime>), ApiError> {
        super::period(&self.active_from, &self.active_until)
    }

    fn common(&self) -> Result<(Email, Name), ApiError> {
        let email =
            Email::parse(self.email.trim()).map_err(|_| invalid("invalid_email", "email"))?;
        let name = Name::parse(self.display_name.trim())
            .map_err(|_| invalid("invalid_display_name", "display name"))?;
        Ok((email, name))
    }
}

async fn render_form(
    st: &ConsoleState,
    me: &Me,
    user: Option<&User>,
    form: &UserForm,
    error: Option<&ApiError>,
    done: Option<&str>,
) -> Answer {
    let frame = me.page_with_notice(&st.console, "users", done);
    let extra = match user {
        Some(u) => {
            let dir = st.directory();
            let lists = async {
                let memberships = dir.memberships(&me.admin, u.id).await?;
                let (departments, _) = dir
                    .list_departments(&me.admin, None, Page::new(1, 500))
                    .await?;
                let (user_types, _) = dir
                    .list_user_types(&me.admin, None, Page::new(1, 500))
                    .await?;
                Ok::<_, crate::service::ServiceError>((memberships, departments, user_types))
            };
            let (memberships, departments, user_types) = lists.await.or_page(st, me)?;
            let (tokens, sessions) = own_credentials(st, me, u.id).await.or_page(st, me)?;
            let outside = outside_period(u, OffsetDateTime::now_utc());
            context! { memberships, departments, user_types, tokens, sessions, outside_period => outside }
        }
        None => context! {},
    };
    let ctx = context! { user, form, is_self => user.is_some_and(|u| u.id == me.user.id), ..extra };
    Ok(st.console.render_form("user.html", frame, error, ctx))
}

/// The user's API tokens (each with what a check would answer now) and their logged-in
/// mobile sessions, with how many there are of each: their page lists the first
/// [`OWN_LISTED`] and links to the listings for the rest.
async fn own_credentials(
    st: &ConsoleState,
    me: &Me,
    user: UserId,
) -> Result<(Listed<TokenDetails>, Listed<MobileSession>), crate::service::ServiceError> {
    let page = Page::new(1, OWN_LISTED);
    let tokens = TokenFilter {
        kind: Some(TokenKind::Api),
        user_id: Some(user),
        ..Default::default()
    };
    let (items, total) = st.tokens().list(&me.admin, &tokens, page).await?;
    let tokens = Listed { items, total };
    let sessions = MobileSessionFilter {
        status: SessionStatusFilter::Active,
        user_id: Some(user),
        department_id: None,
        q: None,
    };
    let (items, total) = st.sessions().list(&me.admin, &sessions, page).await?;
    Ok((tokens, Listed { items, total }))
}

/// The first items of a list, and how many it has in all.
#[derive(Serialize)]
struct Listed<T> {
    items: Vec<T>,
    total: i64,
}

async fn new_form(State(st): State<ConsoleState>, me: Me) -> Answer {
    render_form(&st, &me, None, &UserForm::default(), None, None).await
}

async fn create(State(st): State<ConsoleState>, p: Posted<UserForm>) -> Answer {
    let Posted { me, form } = p;
    let body = (|| {
        let username = Username::parse(form.username.trim())
            .map_err(|_| invalid("invalid_username", "username"))?;
        let (email, display_name) = form.common()?;
        let (active_from, active_until) = form.period()?;
        Ok::<_, ApiError>(CreateUser {
            username,
            email,
            display_name,
            is_admin: form.is_admin.is_some(),
            is_technical: form.is_technical.is_some(),
            active_from: active_from.map(Timestamp),
            active_until: active_until.map(Timestamp),
            password: form.password()?,
        })
    })();
    let result = super::submit(body, async |c| {
        st.directory().create_user(&me.admin, c).await
    })
    .await;
    match result {
        Ok(u) => Ok(Redirect::to(&format!("/console/users/{}?done=created", u.id)).into_response()),
        Err(e) => render_form(&st, &me, None, &form, Some(&e), None).await,
    }
}

async fn edit_form(State(st): State<ConsoleState>, p: PageOf<UserId>) -> Answer {
    let PageOf(me, id, q) = p;
    let u = st.directory().user(&me.admin, id).await.or_page(&st, &me)?;
    let form = UserForm::of(&u);
    render_form(&st, &me, Some(&u), &form, None, q.done.as_deref()).await
}

async fn update(State(st): State<ConsoleState>, p: PostedTo<UserId, UserForm>) -> Answer {
    let PostedTo { id, me, form } = p;
    let current = st.directory().user(&me.admin, id).await.or_page(&st, &me)?;
    let shown = UserForm::of(&current);
    let body = (|| {
        let (email, display_name) = form.common()?;
        let (active_from, active_until) = form.period()?;
        let password = if form.remove_password.is_some() {
            Some(None)
        } else {
            form.password()?.map(Some)
        };
        Ok::<_, ApiError>(UpdateUser {
            email: Some(email),
            display_name: Some(display_name),
            is_admin: Some(form.is_admin.is_some()),
            is_technical: Some(form.is_technical.is_some()),
            locked: None,
            // Only a date the administrator changed is sent: the form shows dates, and
            // sending back an unchanged one would move a time set through the API.
            active_from: (form.active_from != shown.active_from)
                .then_some(active_from.map(Timestamp)),
            active_until: (form.active_until != shown.active_until)
                .then_some(active_until.map(Timestamp)),
            password,
        })
    })();
    let result = super::submit(body, async |c| {
        st.directory().update_user(&me.admin, id, c).await
    })
    .await;
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/console/users/{id}?done=saved")).into_response()),
        Err(e) => render_form(&st, &me, Some(&current), &form, Some(&e), None).await,
    }
}

#[derive(Deserialize)]
struct LockForm {
    locked: String,
}

async fn set_locked(State(st): State<ConsoleState>, p: PostedTo<UserId, LockForm>) -> Answer {
    let PostedTo { id, me, form } = p;
    let locked = form.locked == "true";
    let up = UpdateUser {
        locked: Some(locked),
        ..Default::default()
    };
    let result = st.directory().update_user(&me.admin, id, up).await;
    let done = if locked { "locked" } else { "unlocked" };
    st.after(&me, result, &format!("/console/users/{id}?done={done}"))
}

#[derive(Deserialize)]
struct MembershipForm {
    #[serde(default)]
    department_id: String,
    #[serde(default)]
    user_type_id: String,
}

async fn add_membership(
    State(st): State<ConsoleState>,
    p: PostedTo<UserId, MembershipForm>,
) -> Answer {
    let PostedTo { id, me, form } = p;
    let chosen = match (form.department_id.parse(), form.user_type_id.parse()) {
        (Ok(department_id), Ok(user_type_id)) => Ok((department_id, user_type_id)),
        _ => Err(invalid("choose_membership", "department and user type")),
    };
    let (department, user_type) = chosen.or_page(&st, &me)?;
    let result = st
        .directory()
        .add_membership(&me.admin, id, department, user_type)
        .await
        .map_err(super::taken("membership", "membership_exists"));
    match result {
        Ok(_) => Ok(Redirect::to(&format!(
            "/console/users/{id}?done=membership-added#memberships"
        ))
        .into_response()),
        // Refused (already held, say): the user's page again, saying why.
        Err(e) => {
            let u = st.directory().user(&me.admin, id).await.or_page(&st, &me)?;
            render_form(&st, &me, Some(&u), &UserForm::of(&u), Some(&e), None).await
        }
    }
}

async fn remove_membership(
    State(st): State<ConsoleState>,
    Path((id, mid)): Path<(String, String)>,
    p: Posted<Empty>,
) -> Answer {
    let me = p.me;
    let (Ok(id), Ok(mid)) = (id.parse::<UserId>(), mid.parse::<MembershipId>()) else {
        return Err(super::not_found(&st, &me, "membership"));
    };
    let result = st.directory().remove_membership(&me.admin, id, mid).await;
    st.after(
        &me,
        result,
        &format!("/console/users/{id}?done=membership-removed#memberships"),
    )
}
