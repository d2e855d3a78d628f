//! `/api/v1/settings`: the tenant's token policy.

use crate::{Client, Error, Open};
use keyward_proto::settings::SettingsPatch;
use keyward_proto::TenantSettings;
use reqwest::Method;

impl Client {
    pub async fn settings(&self) -> Result<Open<TenantSettings>, Error> {
        self.get_at("/api/v1/settings").await
    }

    pub async fn update_settings(
        &self,
        patch: &SettingsPatch,
    ) -> Result<Open<TenantSettings>, Error> {
        self.with_body(Method::PATCH, "/api/v1/settings", patch)
            .await
    }
}
