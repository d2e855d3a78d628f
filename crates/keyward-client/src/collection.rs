//! The operations of the REST collections (`keyward_proto::Collection`): one generic
//! method each, for every collection that has it.

use crate::{Client, Error, Open, Page};
use keyward_core::TokenId;
use keyward_proto::tokens::{BulkDelete, BulkDeleted};
use keyward_proto::{BulkDeletable, Collection, Creatable, Regenerable, Updatable};
use reqwest::Method;

impl Client {
    /// `POST PATH`: adds an item. The answer holds what is shown only this once, where
    /// the collection has such a thing (a secret, an endpoint's primary tokens).
    pub async fn create<C: Creatable>(&self, body: &C::Create) -> Result<Open<C::Created>, Error> {
        self.with_body(Method::POST, C::PATH, body).await
    }

    /// `GET PATH`: one page of the items `q` selects.
    pub async fn list<C: Collection>(&self, q: &C::Query) -> Result<Page<Open<C::Listed>>, Error> {
        self.query_at(C::PATH, q).await
    }

    /// `GET PATH/{id}`.
    pub async fn get<C: Collection>(&self, id: C::Id) -> Result<Open<C::Item>, Error> {
        self.get_at(&C::item_path(id)).await
    }

    /// `PATCH PATH/{id}`: changes the fields `change` has.
    pub async fn update<C: Updatable>(
        &self,
        id: C::Id,
        change: &C::Update,
    ) -> Result<Open<C::Updated>, Error> {
        self.with_body(Method::PATCH, &C::item_path(id), change)
            .await
    }

    /// `DELETE PATH/{id}`.
    pub async fn delete<C: Collection>(&self, id: C::Id) -> Result<(), Error> {
        self.delete_at(&C::item_path(id)).await
    }

    /// `POST PATH/{id}/regenerate`: gives token `id` a new secret; the answer holds it.
    pub async fn regenerate<C: Regenerable>(
        &self,
        id: C::Id,
        req: &C::Regenerate,
    ) -> Result<Open<C::Regenerated>, Error> {
        let path = format!("{}/regenerate", C::item_path(id));
        self.with_body(Method::POST, &path, req).await
    }

    /// `POST PATH/{id}/reveal`: token `id`'s secret again (only under `recoverable` secret
    /// storage; audited).
    pub async fn reveal<C: Regenerable>(&self, id: C::Id) -> Result<Open<C::Revealed>, Error> {
        let path = format!("{}/reveal", C::item_path(id));
        self.json(self.admin(Method::POST, &path)?).await
    }

    /// `POST PATH/bulk-delete`: deletes up to 1000 items in one transaction.
    pub async fn bulk_delete<C: BulkDeletable>(
        &self,
        ids: &[TokenId],
    ) -> Result<BulkDeleted, Error> {
        let body = BulkDelete { ids: ids.to_vec() };
        self.with_body(Method::POST, &format!("{}/bulk-delete", C::PATH), &body)
            .await
    }
}
