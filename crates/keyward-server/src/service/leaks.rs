//! Leaked tokens: a secret scanner's report, or the holder's own proof-of-possession
//! revocation. Each token found is revoked at once, grace period or not, in its own
//! tenant, audited with where it was found, and announced (`token.leaked`); the other
//! nodes drop it through the change feed like any revocation. The answer says what was
//! done with each secret sent and nothing about any token beyond it.

use super::ServiceResult;
use keyward_core::{ParsedToken, ServerKey};
use keyward_proto::leaks::LeakStatus;
use keyward_store::{Actor, LeakOutcome, LeakReport, Store};

/// The most secrets one report may carry.
pub const MAX_REPORT: usize = 1000;

pub struct Leaks<'a> {
    store: &'a Store,
    key: &'a ServerKey,
}

impl<'a> Leaks<'a> {
    pub fn new(store: &'a Store, key: &'a ServerKey) -> Self {
        Self { store, key }
    }

    /// Revokes the token `secret` names, if it names one (API tokens and mobile
    /// sessions, also those imported with a key of another system; endpoint tokens and
    /// verifier keys are not found here).
    pub async fn revoke(&self, secret: &str, report: &LeakReport) -> ServiceResult<LeakStatus> {
        if ParsedToken::parse(secret).is_err()
            && !keyward_core::token::has_foreign_key_shape(secret)
        {
            return Ok(LeakStatus::NotAToken);
        }
        let actor = Actor::system(&format!("leak-report:{}", report.source));
        let hash = self.key.hash_token(secret);
        Ok(
            match self.store.revoke_leaked(&hash, report, &actor).await? {
                None => LeakStatus::NotFound,
                Some((_, _, LeakOutcome::Revoked)) => LeakStatus::Revoked,
                Some((_, _, LeakOutcome::AlreadyRevoked)) => LeakStatus::AlreadyRevoked,
            },
        )
    }
}
