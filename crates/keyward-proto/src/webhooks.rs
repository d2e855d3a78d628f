//! `/api/v1/webhooks`: a tenant's receivers of signed events, and their delivery logs.

use crate::Secret;
use keyward_core::text::Name;
use keyward_core::webhook::{DeliveryState, Webhook};
use serde::{Deserialize, Serialize};

fn every_event() -> Vec<String> {
    vec!["*".into()]
}

#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhook {
    /// Name it after the system that receives, e.g. `ops alerting`.
    pub name: Name,
    /// Where events are POSTed: an `http` or `https` URL without credentials.
    pub url: String,
    /// The event types to send (`token.created`, `token.revoked`, `token.deleted`,
    /// `token.regenerated`, `token.expiring`, `token.leaked`, `mobile_session.ended`), or
    /// `["*"]` (the default) for every one, including those added later.
    #[serde(default = "every_event")]
    pub events: Vec<String>,
}

/// Only the fields that are present change.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateWebhook {
    pub name: Option<Name>,
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    /// Off, nothing new is queued for the receiver; what is queued is still delivered.
    pub enabled: Option<bool>,
}

/// A receiver with its secret: returned only when it is created.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WebhookWithSecret {
    #[serde(flatten)]
    pub webhook: Webhook,
    /// `whsec_…`: the key of every signature (Standard Webhooks). Shown only here.
    #[schema(value_type = String)]
    pub secret: Secret,
}

crate::paged_query! {
    #[serde(deny_unknown_fields)]
    pub struct WebhookQuery {
    }
}

crate::paged_query! {
    #[serde(deny_unknown_fields)]
    pub struct DeliveryQuery {
        /// Only deliveries in this state.
        pub state: Option<DeliveryState>,
    }
}
