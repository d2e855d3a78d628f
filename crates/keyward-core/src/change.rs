//! The changes an administrator may make to an existing object: one type per kind of
//! object, with the validated newtypes. The same value crosses the wire (`keyward-proto`
//! re-exports these as the PATCH bodies), is checked by the service and is applied by the
//! store, so no layer keeps a copy of the fields of another. In each, a field left `None`
//! keeps its value; `apply` says what the change makes of the object, and the store
//! writes that.

use crate::endpoint::{AuthType, Endpoint, EndpointPath, EndpointToken};
use crate::model::{RateLimit, Token, UserType, VerifierKey};
use crate::permission::Permission;
use crate::text::Name;
use serde::{Deserialize, Deserializer, Serialize};

/// For PATCH fields where `null` clears the value and absence leaves it alone: absent is
/// `None`, `null` is `Some(None)`. Serialised under `skip_serializing_none` (as request
/// bodies with optional fields are), `Some(None)` is sent as `null` and `None` not at all.
pub fn double_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// Sets `field` to the given value, if one is given: a validated newtype (`Name`, …)
/// becomes the plain value the domain object holds.
pub fn patch<T, G: Clone + Into<T>>(field: &mut T, given: &Option<G>) {
    if let Some(v) = given {
        *field = v.clone().into();
    }
}

/// Only the fields that are present change; `permissions` replaces the whole set.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserType {
    pub name: Option<Name>,
    pub permissions: Option<Vec<Permission>>,
}

impl UpdateUserType {
    pub fn apply(&self, t: &mut UserType) {
        patch(&mut t.name, &self.name);
        patch(&mut t.permissions, &self.permissions);
    }
}

/// Only the fields that are present change.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateToken {
    pub name: Option<Name>,
    pub description: Option<String>,
    /// `false` disables the token (`DISABLED`) until enabled again.
    pub enabled: Option<bool>,
    /// `[]` removes the allowlist.
    #[schema(value_type = Option<Vec<String>>)]
    pub allowed_cidrs: Option<Vec<ipnet::IpNet>>,
    /// `null` removes the limit.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<RateLimit>)]
    pub rate_limit: Option<Option<RateLimit>>,
    /// Set the uses left; `null` makes the token unlimited.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<u32>)]
    pub uses_remaining: Option<Option<u32>>,
}

impl UpdateToken {
    pub fn apply(&self, t: &mut Token) {
        patch(&mut t.name, &self.name);
        patch(&mut t.description, &self.description);
        patch(&mut t.enabled, &self.enabled);
        patch(&mut t.allowed_cidrs, &self.allowed_cidrs);
        patch(&mut t.rate_limit, &self.rate_limit);
        if let Some(uses) = self.uses_remaining {
            t.uses_remaining = uses.map(i64::from);
        }
    }
}

/// Only the fields that are present change.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateVerifierKey {
    pub name: Option<Name>,
    pub description: Option<String>,
}

impl UpdateVerifierKey {
    pub fn apply(&self, k: &mut VerifierKey) {
        patch(&mut k.name, &self.name);
        patch(&mut k.description, &self.description);
    }
}

/// Only the fields that are present change.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateEndpoint {
    pub name: Option<Name>,
    pub path: Option<EndpointPath>,
    pub description: Option<String>,
    /// Switching to `token` generates the primary tokens; switching to `none` removes them.
    pub auth_type: Option<AuthType>,
    /// Turning it on (under `token`) generates the DELETE primary; off removes it.
    pub allow_deleting: Option<bool>,
    /// `false` makes the endpoint refuse every request (`DISABLED`).
    pub enabled: Option<bool>,
}

impl UpdateEndpoint {
    pub fn apply(&self, e: &mut Endpoint) {
        patch(&mut e.name, &self.name);
        patch(&mut e.path, &self.path);
        patch(&mut e.description, &self.description);
        patch(&mut e.auth_type, &self.auth_type);
        patch(&mut e.allow_deleting, &self.allow_deleting);
        patch(&mut e.enabled, &self.enabled);
    }
}

/// Only the fields that are present change.
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateEndpointToken {
    pub name: Option<Name>,
    pub description: Option<String>,
    /// `false` switches the token off: it stops working on every endpoint (`DISABLED`)
    /// and stays in the listing; `true` switches it on (and activates it).
    pub enabled: Option<bool>,
    /// `false` deactivates the token: it is switched off and leaves the default listing
    /// for the inactive one; `true` brings it back, switched on unless `enabled` says
    /// otherwise.
    pub active: Option<bool>,
}

impl UpdateEndpointToken {
    pub fn apply(&self, t: &mut EndpointToken) {
        patch(&mut t.name, &self.name);
        patch(&mut t.description, &self.description);
        match self.active {
            // Deactivated means switched off, whatever `enabled` says.
            Some(false) => (t.active, t.enabled) = (false, false),
            Some(true) => (t.active, t.enabled) = (true, self.enabled.unwrap_or(true)),
            None => {
                patch(&mut t.enabled, &self.enabled);
                // A deactivated token is never on: switching one on activates it.
                t.active |= t.enabled;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::endpoint::EndpointToken;

    fn secondary(enabled: bool, active: bool) -> EndpointToken {
        let mut t: EndpointToken = serde_json::from_value(serde_json::json!({
            "id": crate::EndpointTokenId::new(), "tenant_id": crate::TenantId::new(),
            "kind": "secondary", "endpoint_id": null, "method": null, "name": "Webshop",
            "description": "", "hint": "kws_…", "enabled": true, "active": true,
            "recoverable": false, "created_at": "2026-01-01T00:00:00Z", "created_by": null,
            "updated_at": "2026-01-01T00:00:00Z"
        }))
        .expect("a token");
        (t.enabled, t.active) = (enabled, active);
        t
    }

    /// (enabled, active) after each change, from each state it may start in.
    #[test]
    fn a_deactivated_token_is_never_on() {
        let change = |enabled: Option<bool>, active: Option<bool>| UpdateEndpointToken {
            enabled,
            active,
            ..Default::default()
        };
        let cases = [
            ((true, true), change(Some(false), None), (false, true)),
            ((false, true), change(Some(true), None), (true, true)),
            ((true, true), change(None, Some(false)), (false, false)),
            (
                (true, true),
                change(Some(true), Some(false)),
                (false, false),
            ),
            ((false, false), change(None, Some(true)), (true, true)),
            (
                (false, false),
                change(Some(false), Some(true)),
                (false, true),
            ),
            ((false, false), change(Some(true), None), (true, true)),
            ((false, false), change(Some(false), None), (false, false)),
        ];
        for ((enabled, active), up, want) in cases {
            let mut t = secondary(enabled, active);
            up.apply(&mut t);
            assert_eq!(
                (t.enabled, t.active),
                want,
                "{up:?} from {:?}",
                (enabled, active)
            );
        }
    }
}
