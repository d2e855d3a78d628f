//! A typed async client for keyward's REST API (SPEC §8), used by the `keyward` command
//! line and by tests. One method per route; failures are one [`Error`] type that keeps
//! the server's RFC 9457 problem document (status, code, detail) for the caller to show.
//!
//! ```no_run
//! # async fn example() -> Result<(), keyward_client::Error> {
//! let client = keyward_client::Client::new("http://127.0.0.1:8080", Some("kwa_…".into()))?;
//! let page = client.list_tokens(&Default::default()).await?;
//! println!("{} tokens", page.total);
//! # Ok(())
//! # }
//! ```

mod client;
mod directory;
mod endpoints;
mod error;
mod mobile;
mod secret;
mod settings;
mod tokens;
mod users;
mod verifier_keys;
mod verify;

pub use client::Client;
pub use directory::{CreateUserType, Department, NameQuery, UpdateUserType, UserType};
pub use endpoints::{
    Assignment, CreateEndpoint, CreateEndpointToken, Endpoint, EndpointQuery, EndpointRecord,
    EndpointToken, EndpointTokenQuery, EndpointTokenWithSecret, EndpointUsage, EndpointWithSecrets,
    RecordQuery, RevealedEndpointToken, UpdateEndpoint, UpdateEndpointToken,
};
pub use error::{Error, Problem};
pub use keyward_core::endpoint::{AuthType, EndpointMethod};
pub use keyward_core::model::{RateLimit, SecretStorage, TenantSettings, TokenStatus};
pub use keyward_core::{
    DepartmentId, MembershipId, TenantId, TokenId, TokenKind, UserId, UserTypeId, VerifierKeyId,
    VerifyCode,
};
pub use keyward_core::{EndpointId, EndpointRecordId, EndpointTokenId};
pub use mobile::{
    MobileLogin, MobileLoginResponse, MobileSession, MobileSessionQuery, SessionUser,
    SessionUserType,
};
pub use secret::Secret;
pub use settings::SettingsPatch;
pub use tokens::{
    BulkDeleted, CreateToken, Regenerate, Revealed, TokenDetails, TokenQuery, TokenWithSecret,
    UpdateToken, Usage,
};
pub use users::{CreateUser, Membership, UpdateUser, User, UserQuery};
pub use verifier_keys::{
    CreateVerifierKey, UpdateVerifierKey, VerifierKey, VerifierKeyQuery, VerifierKeyUsage,
    VerifierKeyWithSecret,
};
pub use verify::{Named, UserRef, VerifyRequest, VerifyResponse};

use serde::{Deserialize, Serialize};

/// One page of a list route, with the total count across all pages.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub page: u32,
    pub per_page: u32,
}

/// Fields the server sent that this client does not know yet. Kept so that printing a
/// decoded value as JSON shows everything the server said.
pub type Extra = serde_json::Map<String, serde_json::Value>;

/// `Option<Option<OffsetDateTime>>` for PATCH bodies: absent leaves the value alone,
/// `Some(None)` sends `null` to clear it.
pub(crate) mod patch_time {
    use serde::Serializer;
    use time::OffsetDateTime;

    pub fn serialize<S: Serializer>(
        v: &Option<Option<OffsetDateTime>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match v {
            Some(inner) => time::serde::rfc3339::option::serialize(inner, s),
            None => s.serialize_none(),
        }
    }
}
