//! Typed identifiers. Each is a UUIDv7 (time-ordered, so ids sort by creation) wrapped in
//! its own type so a user id can never be passed where a token id is expected.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

macro_rules! id_type {
    ($($name:ident),* $(,)?) => {$(
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[derive(utoipa::ToSchema)]
        #[serde(transparent)]
        #[schema(value_type = String, format = Uuid)]
        pub struct $name(pub Uuid);

        impl $name {
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    )*};
}

/// Calls the macro `$m` with the list of every id type, so that code which treats each id
/// alike (the store binds every id as its text) names them once, here.
#[macro_export]
macro_rules! for_each_id {
    ($m:ident) => {
        $m!(
            TenantId,
            UserId,
            DepartmentId,
            UserTypeId,
            MembershipId,
            TokenId,
            AuditEventId,
            // Hosted endpoints (SPEC §6): the endpoint, its tokens and the records it receives.
            EndpointId,
            EndpointTokenId,
            EndpointRecordId,
            // Verifier keys (SPEC §4): a protected service's credential for asking checks.
            VerifierKeyId,
            // Webhooks (SPEC §10): a receiver of a tenant's events, and one event sent to one.
            WebhookId,
            WebhookDeliveryId,
        );
    };
}

for_each_id!(id_type);
