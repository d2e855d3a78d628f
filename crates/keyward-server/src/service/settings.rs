//! The tenant's token policy.

use super::{Principal, ServiceError, ServiceResult};
use keyward_core::model::TenantSettings;
use keyward_proto::settings::SettingsPatch;
use keyward_store::Store;

pub struct Settings<'a> {
    store: &'a Store,
}

impl<'a> Settings<'a> {
    pub fn new(store: &'a Store) -> Self {
        Self { store }
    }

    pub async fn get(&self, by: &Principal) -> ServiceResult<TenantSettings> {
        Ok(self.store.settings(by.tenant_id).await?)
    }

    /// Changes the settings named; takes effect for the very next check.
    pub async fn update(&self, by: &Principal, c: SettingsPatch) -> ServiceResult<TenantSettings> {
        if c.api_tokens_enabled == Some(false) && by.token_membership.is_some() {
            // An administrator calling with an API token would lock themselves out of the
            // very API that could switch tokens on again; a console session is not affected.
            return Err(ServiceError::SelfLockout(
                "switching API tokens off would also refuse the API token you are calling \
                 with, and with it this API; switch it off from the console instead",
            ));
        }
        let change = |s: &mut TenantSettings| {
            apply(s, &c);
            s.validate()
        };
        Ok(self
            .store
            .update_settings(by.tenant_id, change, &by.actor())
            .await?)
    }
}

/// `c` applied to `s`: the fields it names take their new values. What
/// [`Settings::update`] stores, before it checks the result; the console checks a form
/// the same way first, to name the field in its own words.
pub fn apply(s: &mut TenantSettings, c: &SettingsPatch) {
    set(&mut s.api_tokens_enabled, c.api_tokens_enabled);
    set(&mut s.require_technical_user, c.require_technical_user);
    set(&mut s.secret_storage, c.secret_storage);
    set(&mut s.max_token_lifetime_days, c.max_token_lifetime_days);
    set(
        &mut s.default_token_lifetime_days,
        c.default_token_lifetime_days,
    );
    set(&mut s.mobile_session_days, c.mobile_session_days);
    set(&mut s.expiry_notice_days, c.expiry_notice_days);
    if let Some(url) = &c.api_base_url {
        s.api_base_url = url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(str::to_string);
    }
    set(&mut s.flag_unused_after_days, c.flag_unused_after_days);
    set(&mut s.revoke_unused_after_days, c.revoke_unused_after_days);
}

/// A field a change names takes its new value; one it leaves out keeps its own.
fn set<T>(field: &mut T, new: Option<T>) {
    if let Some(v) = new {
        *field = v;
    }
}
