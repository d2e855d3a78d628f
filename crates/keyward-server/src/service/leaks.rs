//! Leaked tokens: a secret scanner's report, or the holder's own proof-of-possession
//! revocation. Each token found is revoked at once, grace period or not, in its own
//! tenant, audited with where it was found, and announced (`token.leaked`); the other
//! nodes drop it through the change feed like any revocation. The answer says what was
//! done with each secret sent and nothing about any token beyond it.

use super::ServiceResult;
use keyward_core::{ParsedToken, ServerKey, TokenKind};
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

    /// Revokes the token `secret` names, if it names one: an API token or mobile session
    /// (also one imported with a key of another system), an endpoint token (its secrets
    /// dropped, an application's token deactivated) or a verifier key (deleted).
    pub async fn revoke(&self, secret: &str, report: &LeakReport) -> ServiceResult<LeakStatus> {
        let kind = match ParsedToken::parse(secret) {
            Ok(p) => p.kind,
            Err(_) if keyward_core::token::has_foreign_key_shape(secret) => TokenKind::Api,
            Err(_) => return Ok(LeakStatus::NotAToken),
        };
        let actor = Actor::system(&format!("leak-report:{}", report.source));
        let hash = self.key.hash_token(secret);
        let found = |yes: bool| {
            if yes {
                LeakStatus::Revoked
            } else {
                LeakStatus::NotFound
            }
        };
        Ok(match kind {
            TokenKind::Primary | TokenKind::Secondary => found(
                self.store
                    .revoke_leaked_endpoint_token(&hash, report, &actor)
                    .await?,
            ),
            TokenKind::Verifier => found(
                self.store
                    .revoke_leaked_verifier_key(&hash, report, &actor)
                    .await?,
            ),
            TokenKind::Api | TokenKind::Mobile => {
                match self.store.revoke_leaked(&hash, report, &actor).await? {
                    None => LeakStatus::NotFound,
                    Some((_, _, LeakOutcome::Revoked)) => LeakStatus::Revoked,
                    Some((_, _, LeakOutcome::AlreadyRevoked)) => LeakStatus::AlreadyRevoked,
                }
            }
        })
    }
}
