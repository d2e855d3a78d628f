//! A typed async client for keyward's REST API (SPEC §8), used by the `keyward` command
//! line and by tests. The operations of a REST collection are one generic method each
//! (`create`, `list`, `get`, `update`, `delete`, over a collection such as [`Tokens`]);
//! the other routes have a method each. What they answer is [`Open`]: the typed value,
//! and the members a newer server sent that this client does not know. Failures are one [`Error`] type that keeps the
//! server's RFC 9457 problem document (status, code, detail) for the caller to show.
//!
//! With the `tower` feature, [`KeywardLayer`] protects a Rust HTTP service (axum, or any
//! tower stack) with keyward's checks.
//!
//! ```no_run
//! # async fn example() -> Result<(), keyward_client::Error> {
//! use keyward_client::{Client, Tokens};
//! let client = Client::new("http://127.0.0.1:8080", Some("kwa_…".into()))?;
//! let page = client.list::<Tokens>(&Default::default()).await?;
//! println!("{} tokens", page.total);
//! # Ok(())
//! # }
//! ```

mod client;
mod collection;
mod endpoints;
mod error;
#[cfg(feature = "tower")]
mod layer;
mod mobile;
mod open;
mod settings;
mod tokens;
mod users;
mod verify;

pub use client::Client;
pub use error::{Error, Problem};
pub use keyward_core::permission::Permission;
pub use keyward_core::text::{Email, Name, Username};
pub use keyward_core::{
    DepartmentId, EndpointId, EndpointRecordId, EndpointTokenId, MembershipId, TenantId, TokenId,
    TokenKind, UserId, UserTypeId, VerifierKeyId, VerifyCode,
};
/// The wire types, shared with the server: one declaration of every body.
pub use keyward_proto as proto;
pub use keyward_proto::directory::{CreateUserType, DepartmentBody, NameQuery, UpdateUserType};
pub use keyward_proto::endpoints::{
    CreateEndpoint, CreateEndpointToken, EndpointQuery, EndpointTokenQuery,
    EndpointTokenWithSecret, EndpointUsage, EndpointWithSecrets, RecordQuery,
    RevealedEndpointToken, UpdateEndpoint, UpdateEndpointToken,
};
pub use keyward_proto::mobile::{
    MobileLogin, MobileLoginResponse, SessionDepartment, SessionQuery, SessionUser, SessionUserType,
};
pub use keyward_proto::settings::SettingsPatch;
pub use keyward_proto::tokens::{
    BulkDeleted, CreateToken, Items, Regenerate, RegenerateToken, Revealed, TokenQuery,
    TokenWithSecret, UpdateToken, Usage,
};
pub use keyward_proto::users::{CreateUser, UpdateUser, UserQuery};
pub use keyward_proto::verifier_keys::{
    CreateVerifierKey, UpdateVerifierKey, VerifierKeyQuery, VerifierKeyUsage, VerifierKeyWithSecret,
};
pub use keyward_proto::verify::{Named, UserRef, VerifyRequest, VerifyResponse};
pub use keyward_proto::{
    Assignment, AuditEvent, AuthType, Department, Endpoint, EndpointDetails, EndpointMethod,
    EndpointPath, EndpointRecord, EndpointToken, EndpointTokenDetails, Membership, MobileSession,
    RateLimit, Secret, SecretStorage, TenantSettings, Timestamp, TokenDetails, TokenStatus, User,
    UserType, VerifierKey,
};
pub use keyward_proto::{
    BulkDeletable, Collection, Creatable, Departments, EndpointTokens, Endpoints, MobileSessions,
    PageQuery, Regenerable, Tokens, Updatable, UserTypes, Users, VerifierKeys,
};
#[cfg(feature = "tower")]
pub use layer::{Keyward, KeywardLayer, Principal, DEFAULT_MAX_AGE, DEFAULT_MAX_ENTRIES};
pub use open::Open;

/// One page of a list route, with the total count across all pages.
pub type Page<T> = keyward_proto::Paged<T>;
