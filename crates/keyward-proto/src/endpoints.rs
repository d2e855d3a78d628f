//! `/api/v1/endpoints`, `/api/v1/endpoint-tokens` and the hosted endpoints `/e/{tenant}/{path}`.

use crate::{Secret, Timestamp};
pub use keyward_core::change::{UpdateEndpoint, UpdateEndpointToken};
use keyward_core::endpoint::{
    AuthType, EndpointDetails, EndpointMethod, EndpointPath, EndpointToken,
};
use keyward_core::text::Name;
use keyward_core::{EndpointRecordId, EndpointTokenId, TenantId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// How to present an endpoint token.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EndpointUsage {
    /// The header to send with every request.
    #[schema(value_type = String)]
    pub header: Secret,
    /// A ready command for a primary token's method and endpoint.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub curl: Option<Secret>,
}

/// An endpoint token with its secret: returned only by the response that creates or
/// regenerates it (and, under `recoverable`, by an audited reveal).
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EndpointTokenWithSecret {
    #[serde(flatten)]
    pub details: EndpointToken,
    /// The secret. Under `show_once` it is shown only in this response.
    #[schema(value_type = String)]
    pub token: Secret,
    pub usage: EndpointUsage,
}

/// An endpoint after a change, with the secrets of the primary tokens the change created.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EndpointWithSecrets {
    #[serde(flatten)]
    pub details: EndpointDetails,
    /// Primary tokens created by this request (switching to `token` authentication, or
    /// allowing deleting), with their secrets. Under `show_once` they are shown only here.
    pub new_primary_tokens: Vec<EndpointTokenWithSecret>,
}

#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateEndpoint {
    pub name: Name,
    /// Served at `/e/{tenant}/{path}`; unique within the tenant.
    pub path: EndpointPath,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// `none` (default) or `token`. `token` generates the POST and GET primary tokens,
    /// and the DELETE one when `allow_deleting` is on.
    pub auth_type: Option<AuthType>,
    /// Serve `DELETE /e/{tenant}/{path}/{record_id}` (default off).
    #[serde(default)]
    pub allow_deleting: bool,
    /// Default on.
    pub enabled: Option<bool>,
}

crate::paged_query! {
    pub struct EndpointQuery {
        /// Matches the name or the path.
        pub q: Option<String>,
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RevealedEndpointToken {
    pub id: EndpointTokenId,
    pub tenant_id: TenantId,
    #[schema(value_type = String)]
    pub token: Secret,
    #[serde(with = "time::serde::rfc3339")]
    pub revealed_at: OffsetDateTime,
}

fn yes() -> bool {
    true
}

#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetAssignment {
    /// `false` cuts this application off from this endpoint, leaving its other
    /// endpoints and the endpoint's other applications working. Default `true`.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// What the application may do here, e.g. `["POST"]` or `["POST", "GET"]`. A new
    /// assignment allows POST only unless this says otherwise; left out, an existing
    /// assignment keeps its methods. At least one.
    pub methods: Option<Vec<EndpointMethod>>,
}

impl Default for SetAssignment {
    fn default() -> Self {
        Self {
            enabled: true,
            methods: None,
        }
    }
}

crate::paged_query! {
    pub struct RecordQuery {
        /// Only the records sent with this token (one application).
        pub token_id: Option<EndpointTokenId>,
        #[param(value_type = Option<String>, format = DateTime)]
        pub from: Option<Timestamp>,
        /// Inclusive.
        #[param(value_type = Option<String>, format = DateTime)]
        pub to: Option<Timestamp>,
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// Default: 24 hours before `to`.
    #[param(value_type = Option<String>, format = DateTime)]
    pub from: Option<Timestamp>,
    /// Inclusive; default now.
    #[param(value_type = Option<String>, format = DateTime)]
    pub to: Option<Timestamp>,
    /// `minute`, `hour` (default), `day`, or a number of seconds.
    pub bucket: Option<String>,
}

#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateEndpointToken {
    /// Name it after the application that will use it: the data viewer shows this name.
    pub name: Name,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Default on.
    pub enabled: Option<bool>,
}

crate::paged_query! {
    pub struct EndpointTokenQuery {
        /// `active` (default: not deactivated), `inactive` (deactivated ones), `stale`
        /// (active, and unused for the tenant's `flag_unused_after_days`; none while that
        /// is 0) or `all`.
        pub status: Option<String>,
        /// Matches the name.
        pub q: Option<String>,
    }
}

/// The receipt of a stored record.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Received {
    pub id: EndpointRecordId,
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
}

crate::paged_query! {
    pub struct HostedQuery {
    }
}

/// A record as the endpoint serves it.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HostedRecord {
    pub id: EndpointRecordId,
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
    /// `null` for a record that cannot be read back (then `unreadable` is true). Served
    /// as the text it was stored in.
    #[schema(value_type = Object)]
    pub body: Option<Box<serde_json::value::RawValue>>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unreadable: bool,
}
