//! The mobile app's login and logout (`/api/v1/mobile/…`, no administrator token). The
//! administrator's "Mobile Users Logged In" is the collection `MobileSessions`.

use crate::{Client, Error, Open, Secret};
use keyward_proto::mobile::{MobileLogin, MobileLoginResponse};
use reqwest::Method;

impl Client {
    /// Logs a user in as the mobile app does; needs no administrator token.
    pub async fn mobile_login(
        &self,
        req: &MobileLogin,
    ) -> Result<Open<MobileLoginResponse>, Error> {
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
}
