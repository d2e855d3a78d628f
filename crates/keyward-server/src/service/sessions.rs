//! Mobile sessions (SPEC §5), shared by the API and the console: starting one after a
//! password login, ending them, and what administrators see of them. Each change writes
//! through the store, which hands it to the verifier, so the very next check sees it.

use crate::service::login::LoggedIn;
use keyward_core::model::SecretStorage;
use keyward_core::model::{Membership, UserType};
use keyward_core::session;
use keyward_core::{DepartmentId, TenantId, TokenId, TokenKind, TokenSecret, UserTypeId};
use keyward_store::{Actor, MobileSession, NewMobileSession, SessionEnd};

/// A new session: the secret exists only here.
pub struct Started {
    pub session: MobileSession,
    pub secret: TokenSecret,
    pub membership: Membership,
    pub user_type: UserType,
}

/// Mobile sessions: started by a password login, ended by a logout or an
/// administrator, listed and looked at by administrators.
pub struct Sessions<'a> {
    store: &'a keyward_store::Store,
    key: &'a keyward_core::ServerKey,
    /// The most live sessions a user has (`ServerConfig::max_mobile_sessions_per_user`).
    max_per_user: usize,
}

impl<'a> Sessions<'a> {
    pub fn new(
        store: &'a keyward_store::Store,
        key: &'a keyward_core::ServerKey,
        max_per_user: usize,
    ) -> Self {
        Self {
            store,
            key,
            max_per_user,
        }
    }

    /// Starts a session for the user who has just proved their password, acting with
    /// the membership [`session::choose_membership`] picks. A user already at
    /// `max_per_user` live sessions keeps the newest: the one used least recently ends
    /// (audited, reason `session_limit`), so logging in on a new phone works.
    pub async fn start(
        &self,
        login: &LoggedIn,
        device_name: String,
        department_id: Option<DepartmentId>,
        user_type_id: Option<UserTypeId>,
        actor: &Actor,
    ) -> super::ServiceResult<Started> {
        let (tenant, user) = (login.tenant.id, &login.user);
        let memberships = self.store.memberships(tenant, user.id).await?;
        let membership =
            session::choose_membership(&memberships, department_id, user_type_id)?.clone();
        let settings = self.store.settings(tenant).await?;
        let user_type = self
            .store
            .user_type(tenant, membership.user_type_id)
            .await?;
        let id = TokenId::new();
        // A session's secret is never sealed, whatever the tenant's policy: it lives in
        // the app.
        let (stored, secret) = crate::service::tokens::new_secret(
            self.key,
            TokenKind::Mobile,
            &id.to_string(),
            SecretStorage::ShowOnce,
        );
        let new = NewMobileSession {
            id,
            user_id: user.id,
            department_id: membership.department_id,
            user_type_id: membership.user_type_id,
            device_name,
            secret: stored,
            expires_at: session::slid_expiry(keyward_store::now(), &settings),
        };
        let (session, _ended) = self
            .store
            .start_mobile_session(
                tenant,
                &new,
                Some(self.max_per_user),
                Some(&login.checked_hash),
                actor,
            )
            .await?;
        Ok(Started {
            session,
            secret,
            membership,
            user_type,
        })
    }

    /// Ends sessions for good (the device must log in again). Ids of anything but a
    /// session of `tenant` are skipped; the ids actually ended are returned.
    pub async fn end(
        &self,
        tenant: TenantId,
        actor: &Actor,
        ids: &[TokenId],
        why: SessionEnd,
    ) -> super::ServiceResult<Vec<TokenId>> {
        Ok(self
            .store
            .delete_mobile_sessions(tenant, ids, why, actor)
            .await?)
    }

    /// Mobile Users Logged In: sessions, newest first.
    pub async fn list(
        &self,
        by: &super::Principal,
        filter: &keyward_store::MobileSessionFilter,
        page: keyward_store::Page,
    ) -> super::ServiceResult<(Vec<MobileSession>, i64)> {
        Ok(self
            .store
            .list_mobile_sessions(by.tenant_id, filter, page)
            .await?)
    }

    /// One session. Never its secret.
    pub async fn get(
        &self,
        by: &super::Principal,
        id: TokenId,
    ) -> super::ServiceResult<MobileSession> {
        Ok(self.store.mobile_session(by.tenant_id, id).await?)
    }

    /// Ends one session: the device is logged out at once. Audited.
    pub async fn delete(&self, by: &super::Principal, id: TokenId) -> super::ServiceResult<()> {
        let ended = self
            .store
            .delete_mobile_sessions(by.tenant_id, &[id], SessionEnd::Deleted, &by.actor())
            .await?;
        if ended.is_empty() {
            return Err(keyward_store::StoreError::NotFound("mobile session").into());
        }
        Ok(())
    }

    /// Ends 1 to [`super::tokens::MAX_BULK`] sessions in one transaction. Returns
    /// (ended, not found): ids of API tokens are not sessions.
    pub async fn bulk_delete(
        &self,
        by: &super::Principal,
        mut ids: Vec<TokenId>,
    ) -> super::ServiceResult<(Vec<TokenId>, Vec<TokenId>)> {
        let max = super::tokens::MAX_BULK;
        if ids.is_empty() || ids.len() > max {
            return Err(super::ServiceError::Invalid(format!(
                "ids must list 1 to {max} session ids"
            )));
        }
        ids.sort();
        ids.dedup();
        let deleted = self
            .store
            .delete_mobile_sessions(by.tenant_id, &ids, SessionEnd::Deleted, &by.actor())
            .await?;
        let not_found = ids.into_iter().filter(|i| !deleted.contains(i)).collect();
        Ok((deleted, not_found))
    }
}
