//! The types that cross keyward's wire (SPEC §8): the request bodies, query strings and
//! response bodies of the REST API, with their OpenAPI schemas. The server deserialises
//! requests and serialises responses with them; `keyward-client` does the opposite with
//! the same types, so the two cannot drift apart.
//!
//! The domain values a response shows (a token, a user, an endpoint…) are
//! `keyward-core`'s own types, re-exported here; this crate adds the bodies around them.
//! Requests carry the validated newtypes (`Name`, `Username`, …), so a client cannot
//! build a body the server would refuse for its shape. The PATCH bodies that say what
//! may change about an object (`UpdateEndpoint`, …) are `keyward-core`'s too
//! (`keyward_core::change`): the service and the store take the very same value.

mod collection;

pub mod audit;
pub mod directory;
pub mod endpoints;
#[doc(hidden)]
pub mod examples;
pub mod leaks;
pub mod mobile;
pub mod settings;
pub mod tokens;
pub mod users;
pub mod verifier_keys;
pub mod verify;
pub mod webhooks;

mod secret;

pub use collection::{
    BulkDeletable, Collection, Creatable, Departments, EndpointTokens, Endpoints, MobileSessions,
    PageQuery, Regenerable, Tokens, Updatable, UserTypes, Users, VerifierKeys, Webhooks,
};
pub use keyward_core::change::double_option;
pub use keyward_core::endpoint::{
    Assignment, AuthType, Endpoint, EndpointDetails, EndpointMethod, EndpointPath, EndpointRecord,
    EndpointToken, EndpointTokenDetails, RecordBucket,
};
pub use keyward_core::model::{
    AuditEvent, Department, Membership, MobileSession, RateLimit, SecretStorage, Tenant,
    TenantSettings, Token, TokenDetails, TokenStatus, User, UserType, VerifierKey,
};
pub use secret::Secret;

// Request bodies with optional fields are `#[serde_with::skip_serializing_none]`: a client
// leaves out what it does not set. Query strings (the structs deriving `IntoParams`) need
// nothing: a query string leaves out a `None` by itself.

use serde::{Deserialize, Serialize};

/// A list route's query string: the filters given, then the `page` and `per_page` every
/// list takes (`None` in both: the first page of 50).
#[macro_export]
#[doc(hidden)]
macro_rules! paged_query {
    (
        $(#[$attr:meta])*
        pub struct $name:ident {
            $($(#[$field_attr:meta])* pub $field:ident: $ty:ty,)*
        }
    ) => {
        #[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize, utoipa::IntoParams)]
        #[into_params(parameter_in = Query)]
        $(#[$attr])*
        pub struct $name {
            $($(#[$field_attr])* pub $field: $ty,)*
            /// 1-based page number (default 1).
            pub page: Option<u32>,
            /// Items per page (default 50, at most 500).
            pub per_page: Option<u32>,
        }

        impl $crate::PageQuery for $name {
            fn at_page(mut self, page: u32, per_page: u32) -> Self {
                self.page = Some(page);
                self.per_page = Some(per_page);
                self
            }
        }
    };
}
use time::OffsetDateTime;

/// One page of a list, with the total count across all pages.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub page: u32,
    pub per_page: u32,
}

/// An RFC 3339 timestamp in a request body or query, e.g. `2027-01-31T23:59:59Z`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(value_type = String, format = DateTime)]
pub struct Timestamp(#[serde(with = "time::serde::rfc3339")] pub OffsetDateTime);

impl From<OffsetDateTime> for Timestamp {
    fn from(t: OffsetDateTime) -> Self {
        Self(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, Deserialize, PartialEq, Debug, Default)]
    struct Patch {
        #[serde(
            default,
            deserialize_with = "double_option",
            skip_serializing_if = "Option::is_none"
        )]
        until: Option<Option<Timestamp>>,
    }

    #[test]
    fn a_patch_field_round_trips_absent_null_and_a_value() {
        let t = Timestamp(time::macros::datetime!(2027-01-31 23:59:59 UTC));
        for (p, wire) in [
            (Patch { until: None }, r#"{}"#),
            (Patch { until: Some(None) }, r#"{"until":null}"#),
            (
                Patch {
                    until: Some(Some(t)),
                },
                r#"{"until":"2027-01-31T23:59:59Z"}"#,
            ),
        ] {
            assert_eq!(serde_json::to_string(&p).unwrap(), wire);
            assert_eq!(serde_json::from_str::<Patch>(wire).unwrap(), p);
        }
    }
}
