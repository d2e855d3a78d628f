//! The application state handed to every handler: one reference-counted pointer, so
//! that the clone each request makes of it costs one counter, not one per part.

use crate::config::ServerConfig;
use crate::metrics::Metrics;
use crate::service::login::LoginLimiter;
use crate::service::passwords::Passwords;
use crate::verifier::Verifier;
use keyward_store::Store;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// What the handlers share; an [`AppState`] reads as one of these.
pub struct Shared {
    pub store: Store,
    pub verifier: Arc<Verifier>,
    pub config: Arc<ServerConfig>,
    pub login_limiter: Arc<LoginLimiter>,
    /// The bound on argon2 work: every password hash and check goes through it.
    pub passwords: Arc<Passwords>,
    /// What `/metrics` reports; the verifier and logins move it.
    pub metrics: Arc<Metrics>,
}

impl AppState {
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl Shared {
    /// Users, memberships, departments and user types.
    pub fn directory(&self) -> crate::service::directory::Directory<'_> {
        crate::service::directory::Directory::new(&self.store, &self.passwords)
    }

    /// API tokens.
    pub fn tokens(&self) -> crate::service::tokens::Tokens<'_> {
        crate::service::tokens::Tokens::new(&self.store, self.verifier.key())
    }

    /// Verifier keys.
    pub fn verifier_keys(&self) -> crate::service::verifier_keys::VerifierKeys<'_> {
        crate::service::verifier_keys::VerifierKeys::new(&self.store, self.verifier.key())
    }

    /// Tokens reported leaked.
    pub fn leaks(&self) -> crate::service::leaks::Leaks<'_> {
        crate::service::leaks::Leaks::new(&self.store, self.verifier.key())
    }

    /// Webhooks and their delivery logs.
    pub fn webhooks(&self) -> crate::service::webhooks::Webhooks<'_> {
        crate::service::webhooks::Webhooks::new(&self.store, self.verifier.key())
    }

    /// Hosted endpoints and their tokens.
    pub fn endpoints(&self) -> crate::service::endpoints::Endpoints<'_> {
        crate::service::endpoints::Endpoints::new(
            &self.store,
            &self.verifier,
            &self.config.public_url,
        )
    }

    /// Password logins.
    pub fn login(&self) -> crate::service::login::Login {
        crate::service::login::Login::new(
            self.store.clone(),
            self.login_limiter.clone(),
            self.passwords.clone(),
            self.metrics.clone(),
        )
    }

    /// Mobile sessions.
    pub fn sessions(&self) -> crate::service::sessions::Sessions<'_> {
        crate::service::sessions::Sessions::new(
            &self.store,
            self.verifier.key(),
            self.config.max_mobile_sessions_per_user,
        )
    }

    /// The tenant's settings.
    pub fn settings(&self) -> crate::service::settings::Settings<'_> {
        crate::service::settings::Settings::new(&self.store)
    }
}
