//! Mobile sessions: the app's login and logout (`/api/v1/mobile/…`, no administrator
//! token), and the administrator's "Mobile Users Logged In" (`/api/v1/mobile-sessions`).

use crate::{Client, Error, Page, Secret};
use keyward_core::TokenId;
use keyward_proto::mobile::{MobileLogin, MobileLoginResponse, SessionQuery};
use keyward_proto::tokens::{BulkDelete, BulkDeleted};
use keyward_proto::MobileSession;
use reqwest::Method;

impl Client {
    /// Logs a user in as the mobile app does; needs no administrator token.
    pub async fn mobile_login(&self, req: &MobileLogin) -> Result<MobileLoginResponse, Error> {
        self.json(
            self.anonymous(Method::POST, "/api/v1/mobile/login")
                .json(req),
        )
        .await
    }

    /// Ends the session `token` belongs to.
    pub async fn mobile_logout(&self, token: &Secret) -> Result<(), Error> {
        self.empty(
            self.anonymous(Method::POST, "/api/v1/mobile/logout")
                .bearer_auth(token.expose()),
        )
        .await
    }

    pub async fn list_mobile_sessions(
        &self,
        q: &SessionQuery,
    ) -> Result<Page<MobileSession>, Error> {
        self.get_query("/api/v1/mobile-sessions", q).await
    }

    pub async fn get_mobile_session(&self, id: TokenId) -> Result<MobileSession, Error> {
        self.get(&format!("/api/v1/mobile-sessions/{id}")).await
    }

    /// Logs the device out at once.
    pub async fn delete_mobile_session(&self, id: TokenId) -> Result<(), Error> {
        self.delete(&format!("/api/v1/mobile-sessions/{id}")).await
    }

    /// Deletes up to 1000 sessions in one transaction.
    pub async fn bulk_delete_mobile_sessions(&self, ids: &[TokenId]) -> Result<BulkDeleted, Error> {
        self.with_body(
            Method::POST,
            "/api/v1/mobile-sessions/bulk-delete",
            &BulkDelete { ids: ids.to_vec() },
        )
        .await
    }
}
