//! The REST collections, each described once: where it lives, what names its items, and
//! which body each of its operations takes and answers. `keyward-client` has one generic
//! method per operation over these descriptions, instead of one per resource.

use crate::directory::{CreateUserType, DepartmentBody, NameQuery, UpdateUserType};
use crate::endpoints::{
    CreateEndpoint, CreateEndpointToken, EndpointQuery, EndpointTokenQuery,
    EndpointTokenWithSecret, EndpointWithSecrets, RevealedEndpointToken, UpdateEndpoint,
    UpdateEndpointToken,
};
use crate::mobile::SessionQuery;
use crate::tokens::{
    CreateToken, RegenerateToken, Revealed, TokenQuery, TokenWithSecret, UpdateToken,
};
use crate::users::{CreateUser, UpdateUser, UserQuery};
use crate::verifier_keys::{
    CreateVerifierKey, UpdateVerifierKey, VerifierKeyQuery, VerifierKeyWithSecret,
};
use crate::webhooks::{CreateWebhook, UpdateWebhook, WebhookQuery, WebhookWithSecret};
use keyward_core::endpoint::{Endpoint, EndpointDetails, EndpointToken, EndpointTokenDetails};
use keyward_core::model::{Department, MobileSession, TokenDetails, User, UserType, VerifierKey};
use keyward_core::webhook::Webhook;
use keyward_core::{DepartmentId, EndpointId, EndpointTokenId, TokenId, UserId, UserTypeId};
use keyward_core::{VerifierKeyId, WebhookId};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fmt::Display;
use std::str::FromStr;

/// A collection at [`PATH`](Collection::PATH): `GET PATH` lists it a page at a time,
/// `GET PATH/{id}` reads one item and `DELETE PATH/{id}` deletes it.
pub trait Collection {
    /// e.g. `/api/v1/departments`.
    const PATH: &'static str;
    /// What `{id}` in an item's path is.
    type Id: Copy + Display + FromStr + Serialize;
    /// The list's query string.
    type Query: PageQuery + Serialize;
    /// An item as a list page shows it.
    type Listed: DeserializeOwned + Serialize;
    /// An item as reading it answers (for some collections, more than the list shows).
    type Item: DeserializeOwned + Serialize;

    /// The path of item `id`.
    fn item_path(id: Self::Id) -> String {
        format!("{}/{id}", Self::PATH)
    }
}

/// A collection that `POST PATH` adds to.
pub trait Creatable: Collection {
    type Create: Serialize;
    /// The new item, with what is shown only once (a secret, the primary tokens).
    type Created: DeserializeOwned + Serialize;
}

/// A collection whose items `PATCH PATH/{id}` changes.
pub trait Updatable: Collection {
    /// Only the fields that are present change.
    type Update: Serialize;
    type Updated: DeserializeOwned + Serialize;
}

/// A collection of tokens: `POST PATH/{id}/regenerate` gives one a new secret, and
/// `POST PATH/{id}/reveal` shows its secret again (only under `recoverable` secret storage;
/// audited).
pub trait Regenerable: Collection {
    /// The body of `POST PATH/{id}/regenerate`.
    type Regenerate: Serialize;
    /// The token with its new secret.
    type Regenerated: DeserializeOwned + Serialize;
    type Revealed: DeserializeOwned + Serialize;
}

/// A collection of which `POST PATH/bulk-delete` deletes up to 1000 items (by token id)
/// in one transaction.
pub trait BulkDeletable: Collection<Id = TokenId> {}

/// A list's query string: its filters, and the page it asks for.
pub trait PageQuery: Clone {
    /// The same filters, asking for page `page` (from 1) of `per_page` items.
    fn at_page(self, page: u32, per_page: u32) -> Self;
}

/// Declares the marker type of a collection and its trait impls: the types of its list,
/// of one item, and, where the collection has them, of create and update.
macro_rules! collection {
    ($(
        $(#[$attr:meta])*
        pub struct $name:ident at $path:literal {
            Id = $id:ty, Query = $query:ty, Listed = $listed:ty, Item = $item:ty,
            $(Create = $create:ty => $created:ty,)?
            $(Update = $update:ty => $updated:ty,)?
        }
    )*) => {$(
        $(#[$attr])*
        #[derive(Clone, Copy, Debug)]
        pub struct $name;

        impl Collection for $name {
            const PATH: &'static str = $path;
            type Id = $id;
            type Query = $query;
            type Listed = $listed;
            type Item = $item;
        }

        $(impl Creatable for $name {
            type Create = $create;
            type Created = $created;
        })?

        $(impl Updatable for $name {
            type Update = $update;
            type Updated = $updated;
        })?
    )*};
}

collection! {
    /// The departments tokens are scoped to. An update renames one (its only mutable
    /// field); only one that no membership or token uses can be deleted.
    pub struct Departments at "/api/v1/departments" {
        Id = DepartmentId, Query = NameQuery, Listed = Department, Item = Department,
        Create = DepartmentBody => Department,
        Update = DepartmentBody => Department,
    }

    /// Roles as sets of permissions; an update's permissions replace the whole set.
    pub struct UserTypes at "/api/v1/user-types" {
        Id = UserTypeId, Query = NameQuery, Listed = UserType, Item = UserType,
        Create = CreateUserType => UserType,
        Update = UpdateUserType => UserType,
    }

    /// People and technical users; only a user who owns no tokens can be deleted.
    pub struct Users at "/api/v1/users" {
        Id = UserId, Query = UserQuery, Listed = User, Item = User,
        Create = CreateUser => User,
        Update = UpdateUser => User,
    }

    /// API tokens. Creating one answers its secret, the only time it is shown; deleting
    /// one is for good (a revoked one stays listed).
    pub struct Tokens at "/api/v1/tokens" {
        Id = TokenId, Query = TokenQuery, Listed = TokenDetails, Item = TokenDetails,
        Create = CreateToken => TokenWithSecret,
        Update = UpdateToken => TokenDetails,
    }

    /// The administrator's "Mobile Users Logged In". The app's login makes a session;
    /// deleting one logs the device out at once.
    pub struct MobileSessions at "/api/v1/mobile-sessions" {
        Id = TokenId, Query = SessionQuery, Listed = MobileSession, Item = MobileSession,
    }

    /// Hosted endpoints, read with their primary tokens (hints only). Creating or changing
    /// one answers the secrets of the primaries it made; deleting one deletes its
    /// primaries, assignments and records.
    pub struct Endpoints at "/api/v1/endpoints" {
        Id = EndpointId, Query = EndpointQuery, Listed = Endpoint, Item = EndpointDetails,
        Create = CreateEndpoint => EndpointWithSecrets,
        Update = UpdateEndpoint => EndpointWithSecrets,
    }

    /// Secondary endpoint tokens, one per external application, read with their
    /// assignments. Creating one answers its secret.
    pub struct EndpointTokens at "/api/v1/endpoint-tokens" {
        Id = EndpointTokenId, Query = EndpointTokenQuery, Listed = EndpointToken,
        Item = EndpointTokenDetails,
        Create = CreateEndpointToken => EndpointTokenWithSecret,
        Update = UpdateEndpointToken => EndpointTokenDetails,
    }

    /// The keys protected services send with their checks. Creating one answers its
    /// secret, once; a deleted key can no longer ask checks.
    pub struct VerifierKeys at "/api/v1/verifier-keys" {
        Id = VerifierKeyId, Query = VerifierKeyQuery, Listed = VerifierKey, Item = VerifierKey,
        Create = CreateVerifierKey => VerifierKeyWithSecret,
        Update = UpdateVerifierKey => VerifierKey,
    }

    /// A tenant's receivers of signed events. Creating one answers its secret, once.
    pub struct Webhooks at "/api/v1/webhooks" {
        Id = WebhookId, Query = WebhookQuery, Listed = Webhook, Item = Webhook,
        Create = CreateWebhook => WebhookWithSecret,
        Update = UpdateWebhook => Webhook,
    }
}

impl Regenerable for Tokens {
    type Regenerate = RegenerateToken;
    type Regenerated = TokenWithSecret;
    type Revealed = Revealed;
}

impl Regenerable for EndpointTokens {
    type Regenerate = crate::tokens::Regenerate;
    type Regenerated = EndpointTokenWithSecret;
    type Revealed = RevealedEndpointToken;
}

impl BulkDeletable for Tokens {}

impl BulkDeletable for MobileSessions {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_item_lives_below_its_collection() {
        let id = DepartmentId(uuid::Uuid::nil());
        assert_eq!(
            Departments::item_path(id),
            format!("/api/v1/departments/{id}")
        );
    }
}
