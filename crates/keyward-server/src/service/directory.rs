//! Who exists in a tenant: users and their memberships, departments and user types.
//!
//! The guards that keep an administrator from locking themselves out live here, once, for
//! the API and the console alike: an administrator cannot lock or delete themselves,
//! drop their own administrator flag, give themselves an employment period that ends
//! their access now, remove the membership their calling token rests on, or take
//! `keyward:admin` away from the user type their calling token rests on.

use super::{Principal, ServiceError, ServiceResult};
use crate::service::passwords::Passwords;
use keyward_core::change::UpdateUserType;
use keyward_core::model::{in_period, Department, Membership, User, UserType};
use keyward_core::permission::grants;
use keyward_core::text::Name;
use keyward_core::verify::ADMIN_PERMISSION;
use keyward_core::{DepartmentId, MembershipId, Permission, UserId, UserTypeId};
use keyward_proto::users::{CreateUser, UpdateUser};
use keyward_store::{NewUser, Page, Store, UserFilter, UserUpdate};
use time::OffsetDateTime;

fn check_period(from: Option<OffsetDateTime>, until: Option<OffsetDateTime>) -> ServiceResult<()> {
    match (from, until) {
        (Some(f), Some(u)) if u < f => Err(ServiceError::Invalid(
            "active_until is before active_from".into(),
        )),
        _ => Ok(()),
    }
}

pub struct Directory<'a> {
    store: &'a Store,
    passwords: &'a Passwords,
}

impl<'a> Directory<'a> {
    pub fn new(store: &'a Store, passwords: &'a Passwords) -> Self {
        Self { store, passwords }
    }

    pub async fn create_user(&self, by: &Principal, c: CreateUser) -> ServiceResult<User> {
        let active_from = c.active_from.map(|t| t.0);
        let active_until = c.active_until.map(|t| t.0);
        check_period(active_from, active_until)?;
        let password_hash = match c.password {
            Some(pw) => Some(self.passwords.hash(pw).await?),
            None => None,
        };
        let u = NewUser {
            username: c.username.into_string(),
            email: c.email.into_string(),
            display_name: c.display_name.into_string(),
            is_admin: c.is_admin,
            is_technical: c.is_technical,
            active_from,
            active_until,
            password_hash,
        };
        Ok(self
            .store
            .create_user(by.tenant_id, &u, &by.actor())
            .await?)
    }

    pub async fn list_users(
        &self,
        by: &Principal,
        filter: &UserFilter,
        page: Page,
    ) -> ServiceResult<(Vec<User>, i64)> {
        Ok(self.store.list_users(by.tenant_id, filter, page).await?)
    }

    pub async fn user(&self, by: &Principal, id: UserId) -> ServiceResult<User> {
        Ok(self.store.user(by.tenant_id, id).await?)
    }

    /// Changes a user; locking stops their tokens at once. Locking, removing the
    /// administrator flag, or an employment period that has ended deletes the user's
    /// console sessions; a new or removed password deletes their console and mobile
    /// sessions (the store does both in the same transaction).
    pub async fn update_user(
        &self,
        by: &Principal,
        id: UserId,
        c: UpdateUser,
    ) -> ServiceResult<User> {
        if id == by.user_id && (c.locked == Some(true) || c.is_admin == Some(false)) {
            return Err(ServiceError::SelfLockout(
                "you cannot lock yourself or remove your own administrator flag; ask another administrator",
            ));
        }
        let active_from = c.active_from.map(|o| o.map(|t| t.0));
        let active_until = c.active_until.map(|o| o.map(|t| t.0));
        let current = self.store.user(by.tenant_id, id).await?;
        let from = active_from.unwrap_or(current.active_from);
        let until = active_until.unwrap_or(current.active_until);
        check_period(from, until)?;
        if id == by.user_id && !in_period(from, until, OffsetDateTime::now_utc()) {
            return Err(ServiceError::SelfLockout(
                "that employment period would end your own access now; ask another administrator",
            ));
        }
        let password_hash = match c.password {
            Some(Some(pw)) => Some(Some(self.passwords.hash(pw).await?)),
            Some(None) => Some(None),
            None => None,
        };
        let up = UserUpdate {
            email: c.email,
            display_name: c.display_name,
            is_admin: c.is_admin,
            is_technical: c.is_technical,
            locked: c.locked,
            active_from,
            active_until,
            password_hash,
        };
        Ok(self
            .store
            .update_user(by.tenant_id, id, &up, &by.actor())
            .await?)
    }

    /// Deletes a user who owns no tokens.
    pub async fn delete_user(&self, by: &Principal, id: UserId) -> ServiceResult<()> {
        if id == by.user_id {
            return Err(ServiceError::SelfLockout("you cannot delete yourself"));
        }
        Ok(self
            .store
            .delete_user(by.tenant_id, id, &by.actor())
            .await?)
    }

    /// Gives a user a user type in a department.
    pub async fn add_membership(
        &self,
        by: &Principal,
        user: UserId,
        department: DepartmentId,
        user_type: UserTypeId,
    ) -> ServiceResult<Membership> {
        Ok(self
            .store
            .add_membership(by.tenant_id, user, department, user_type, &by.actor())
            .await?)
    }

    /// A user's memberships, ordered by department name then user type name.
    pub async fn memberships(
        &self,
        by: &Principal,
        user: UserId,
    ) -> ServiceResult<Vec<Membership>> {
        self.store.user(by.tenant_id, user).await?;
        Ok(self.store.memberships(by.tenant_id, user).await?)
    }

    /// Removes a membership; tokens using it stop working (`FORBIDDEN`).
    pub async fn remove_membership(
        &self,
        by: &Principal,
        user: UserId,
        membership: MembershipId,
    ) -> ServiceResult<()> {
        if user == by.user_id {
            let own = self.store.memberships(by.tenant_id, user).await?;
            let in_use = own.iter().any(|m| {
                m.id == membership && by.token_membership == Some((m.department_id, m.user_type_id))
            });
            if in_use {
                return Err(ServiceError::SelfLockout(
                    "the token you are calling with rests on this membership; removing it would lock you out. \
                     Use another administrator's token",
                ));
            }
        }
        Ok(self
            .store
            .remove_membership(by.tenant_id, user, membership, &by.actor())
            .await?)
    }

    pub async fn create_department(
        &self,
        by: &Principal,
        name: &Name,
    ) -> ServiceResult<Department> {
        Ok(self
            .store
            .create_department(by.tenant_id, name, &by.actor())
            .await?)
    }

    pub async fn list_departments(
        &self,
        by: &Principal,
        q: Option<&str>,
        page: Page,
    ) -> ServiceResult<(Vec<Department>, i64)> {
        Ok(self.store.list_departments(by.tenant_id, q, page).await?)
    }

    pub async fn department(&self, by: &Principal, id: DepartmentId) -> ServiceResult<Department> {
        Ok(self.store.department(by.tenant_id, id).await?)
    }

    pub async fn rename_department(
        &self,
        by: &Principal,
        id: DepartmentId,
        name: &Name,
    ) -> ServiceResult<Department> {
        Ok(self
            .store
            .rename_department(by.tenant_id, id, name, &by.actor())
            .await?)
    }

    /// Deletes a department no membership or token uses.
    pub async fn delete_department(&self, by: &Principal, id: DepartmentId) -> ServiceResult<()> {
        Ok(self
            .store
            .delete_department(by.tenant_id, id, &by.actor())
            .await?)
    }

    pub async fn create_user_type(
        &self,
        by: &Principal,
        name: &Name,
        permissions: &[Permission],
    ) -> ServiceResult<UserType> {
        Ok(self
            .store
            .create_user_type(by.tenant_id, name, permissions, &by.actor())
            .await?)
    }

    pub async fn list_user_types(
        &self,
        by: &Principal,
        q: Option<&str>,
        page: Page,
    ) -> ServiceResult<(Vec<UserType>, i64)> {
        Ok(self.store.list_user_types(by.tenant_id, q, page).await?)
    }

    pub async fn user_type(&self, by: &Principal, id: UserTypeId) -> ServiceResult<UserType> {
        Ok(self.store.user_type(by.tenant_id, id).await?)
    }

    /// Renames a user type or changes its permissions; its tokens see the change at
    /// their next check.
    pub async fn update_user_type(
        &self,
        by: &Principal,
        id: UserTypeId,
        c: UpdateUserType,
    ) -> ServiceResult<UserType> {
        let drops_own_admin = by.token_membership.is_some_and(|(_, ut)| ut == id)
            && c.permissions
                .as_deref()
                .is_some_and(|p| !grants(p, ADMIN_PERMISSION));
        if drops_own_admin {
            return Err(ServiceError::SelfLockout(
                "the token you are calling with rests on this user type; without keyward:admin (or *) \
                 it would lose the administrator API. Use another administrator's token",
            ));
        }
        Ok(self
            .store
            .update_user_type(by.tenant_id, id, &c, &by.actor())
            .await?)
    }

    pub async fn delete_user_type(&self, by: &Principal, id: UserTypeId) -> ServiceResult<()> {
        Ok(self
            .store
            .delete_user_type(by.tenant_id, id, &by.actor())
            .await?)
    }
}
