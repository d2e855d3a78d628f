//! The service layer: what keyward does, with every rule and guard, for both front-ends.
//!
//! The REST API (`crate::api`) and the console (`crate::console`) each turn a request into
//! a typed command and call an operation here with the acting [`Principal`]; neither calls
//! the other. An operation enforces its rules (self-lockout, periods, limits), writes
//! through the store and returns domain values or a [`ServiceError`]. No axum type appears
//! in a signature here: the HTTP mapping of a `ServiceError` is made once, in
//! `crate::error`.
//!
//! - [`directory`]: users and their memberships, departments, user types.
//! - [`settings`]: the tenant's token policy.
//! - [`login`], [`passwords`]: password logins and their limits, argon2 work.
//! - [`tokens`]: API tokens. [`verifier_keys`]: the keys protected services ask with.
//! - [`sessions`]: mobile sessions.
//! - [`leaks`]: tokens reported leaked (by a scanner, or by their holder), revoked.
//! - [`webhooks`]: a tenant's receivers of signed events, and their delivery logs.
//! - [`endpoints`]: hosted endpoints, their primary and secondary tokens, assignments and
//!   the data viewer.
//!
//! Each service is a small struct borrowing only what it needs (the store, the server
//! key, a bound from the configuration); `AppState` hands them out (`st.tokens()`, …).
//! `tests/layers.rs` fails if a file here names the HTTP layer, or a console file the API.

pub mod directory;
pub mod endpoints;
pub mod leaks;
pub mod login;
pub mod passwords;
pub mod sessions;
pub mod settings;
pub mod tokens;
pub mod verifier_keys;
pub mod webhooks;

use keyward_core::rules::RuleError;
use keyward_core::{DepartmentId, TenantId, UserId, UserTypeId};
use keyward_store::{Actor, StoreError};
use std::net::IpAddr;

/// Who is acting: an administrator of one tenant, by API token or console session.
#[derive(Clone, Debug)]
pub struct Principal {
    pub tenant_id: TenantId,
    pub user_id: UserId,
    pub username: String,
    /// The membership the calling API token uses, so an administrator is not allowed to
    /// remove the one their own access rests on. `None` for a console session, which
    /// rests on the administrator flag and the password instead.
    pub token_membership: Option<(DepartmentId, UserTypeId)>,
    pub ip: Option<IpAddr>,
}

impl Principal {
    /// The actor the audit trail names.
    pub fn actor(&self) -> Actor {
        Actor {
            user_id: Some(self.user_id),
            name: self.username.clone(),
            ip: self.ip.map(|i| i.to_string()),
        }
    }
}

/// Why an operation was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Rule(#[from] RuleError),
    #[error(transparent)]
    Session(#[from] keyward_core::session::SessionError),
    /// The operation would lock the acting administrator out (code `self_lockout`).
    #[error("{0}")]
    SelfLockout(&'static str),
    /// The command breaks a rule about its own values (code `validation`).
    #[error("{0}")]
    Invalid(String),
    /// The command is well-formed but refers to something that cannot be used (422).
    #[error("{detail}")]
    Unprocessable { code: &'static str, detail: String },
    /// The target is in a state that refuses the operation (409).
    #[error("{detail}")]
    Conflict { code: &'static str, detail: String },
    /// What the operation needs to read cannot be read now (503); nothing was changed.
    #[error("storage is unavailable")]
    Unavailable,
    /// Too much work of one kind is in flight (password hashing); try again shortly.
    #[error("{0}")]
    Busy(&'static str),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
    /// Item `index` (from 0) of a bulk command was refused so; nothing was written.
    #[error("item {index}: {error}")]
    Item {
        index: usize,
        error: Box<ServiceError>,
    },
}

impl ServiceError {
    /// This refusal, as the refusal of item `index` of a bulk command.
    pub fn at(self, index: usize) -> Self {
        Self::Item {
            index,
            error: Box::new(self),
        }
    }
}

pub type ServiceResult<T> = Result<T, ServiceError>;

/// A description's rule (`keyward_core::text::check_description`), as a service refusal.
pub(crate) fn check_description(d: &str) -> ServiceResult<()> {
    keyward_core::text::check_description(d).map_err(ServiceError::Invalid)
}
