//! Webhooks (SPEC §10): a tenant's receivers of signed events and their delivery logs.
//! A receiver's secret is generated here and shown once; it is kept sealed with the
//! server key, because the deliverer (`crate::webhooks`) must read it to sign.

use super::{Principal, ServiceError, ServiceResult};
use keyward_core::text::Name;
use keyward_core::webhook::{DeliveryState, Subscription, Webhook, WebhookDelivery, WebhookSecret};
use keyward_core::{ServerKey, WebhookDeliveryId, WebhookId};
use keyward_store::{NewWebhook, Page, Store, WebhookUpdate};

/// The longest receiver URL accepted.
pub const MAX_URL_LEN: usize = 2048;

/// What a sealed secret is bound to: one receiver's, and nothing else's.
pub fn secret_context(id: WebhookId) -> Vec<u8> {
    format!("webhook-secret:{id}").into_bytes()
}

/// A receiver URL: `http` or `https`, with a host, without credentials (they would be
/// stored and shown in plain text) or a fragment, at most [`MAX_URL_LEN`] long.
pub fn check_url(url: &str) -> ServiceResult<()> {
    let bad = |why: &str| Err(ServiceError::Invalid(format!("url: {why}")));
    if url.len() > MAX_URL_LEN {
        return bad(&format!("at most {MAX_URL_LEN} characters"));
    }
    let Ok(u) = reqwest::Url::parse(url) else {
        return bad("not an absolute URL, e.g. https://alerts.example.com/keyward");
    };
    if !matches!(u.scheme(), "http" | "https") {
        return bad("the scheme must be http or https");
    }
    if u.host_str().is_none_or(str::is_empty) {
        return bad("the URL names no host");
    }
    if !u.username().is_empty() || u.password().is_some() {
        return bad("credentials in the URL would be stored in plain text; put a token in the path or query instead");
    }
    if u.fragment().is_some() {
        return bad("a fragment (#…) is never sent; remove it");
    }
    Ok(())
}

fn events(names: &[String]) -> ServiceResult<Subscription> {
    Subscription::from_names(names).map_err(|e| ServiceError::Invalid(format!("events: {e}")))
}

pub struct Webhooks<'a> {
    store: &'a Store,
    key: &'a ServerKey,
}

impl<'a> Webhooks<'a> {
    pub fn new(store: &'a Store, key: &'a ServerKey) -> Self {
        Self { store, key }
    }

    /// Registers a receiver; its secret is returned here and nowhere else.
    pub async fn create(
        &self,
        by: &Principal,
        name: Name,
        url: String,
        event_names: &[String],
    ) -> ServiceResult<(Webhook, WebhookSecret)> {
        check_url(&url)?;
        let events = events(event_names)?;
        let id = WebhookId::new();
        let secret = WebhookSecret::generate();
        let new = NewWebhook {
            id,
            name: name.to_string(),
            url,
            events,
            sealed_secret: self.key.seal(secret.expose(), &secret_context(id)),
            hint: secret.hint(),
        };
        let hook = self
            .store
            .insert_webhook(by.tenant_id, &new, &by.actor())
            .await?;
        Ok((hook, secret))
    }

    pub async fn list(&self, by: &Principal, page: Page) -> ServiceResult<(Vec<Webhook>, i64)> {
        Ok(self.store.list_webhooks(by.tenant_id, page).await?)
    }

    pub async fn get(&self, by: &Principal, id: WebhookId) -> ServiceResult<Webhook> {
        Ok(self.store.webhook(by.tenant_id, id).await?)
    }

    pub async fn update(
        &self,
        by: &Principal,
        id: WebhookId,
        name: Option<Name>,
        url: Option<String>,
        event_names: Option<&[String]>,
        enabled: Option<bool>,
    ) -> ServiceResult<Webhook> {
        if let Some(u) = &url {
            check_url(u)?;
        }
        let up = WebhookUpdate {
            name: name.map(|n| n.to_string()),
            url,
            events: event_names.map(events).transpose()?,
            enabled,
        };
        Ok(self
            .store
            .update_webhook(by.tenant_id, id, &up, &by.actor())
            .await?)
    }

    /// Deletes a receiver and its delivery log.
    pub async fn delete(&self, by: &Principal, id: WebhookId) -> ServiceResult<()> {
        Ok(self
            .store
            .delete_webhook(by.tenant_id, id, &by.actor())
            .await?)
    }

    /// A receiver's delivery log, newest first.
    pub async fn deliveries(
        &self,
        by: &Principal,
        id: WebhookId,
        state: Option<DeliveryState>,
        page: Page,
    ) -> ServiceResult<(Vec<WebhookDelivery>, i64)> {
        Ok(self
            .store
            .list_webhook_deliveries(by.tenant_id, id, state, page)
            .await?)
    }

    pub async fn delivery(
        &self,
        by: &Principal,
        id: WebhookId,
        delivery: WebhookDeliveryId,
    ) -> ServiceResult<WebhookDelivery> {
        Ok(self
            .store
            .webhook_delivery(by.tenant_id, id, delivery)
            .await?)
    }

    /// Makes a delivery due now: a failed one gets one more attempt, a delivered one is
    /// sent again with the same `webhook-id`.
    pub async fn retry(
        &self,
        by: &Principal,
        id: WebhookId,
        delivery: WebhookDeliveryId,
    ) -> ServiceResult<WebhookDelivery> {
        Ok(self
            .store
            .retry_webhook_delivery(by.tenant_id, id, delivery, &by.actor())
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receiver_urls_are_checked_for_what_would_go_wrong() {
        assert!(check_url("https://alerts.example.com/keyward?k=1").is_ok());
        assert!(check_url("http://127.0.0.1:9000/hook").is_ok());
        for (bad, why) in [
            ("alerts.example.com/hook", "absolute"),
            ("ftp://example.com/hook", "scheme"),
            ("https://user:pw@example.com/hook", "credentials"),
            ("https://example.com/hook#x", "fragment"),
            ("file:///etc/passwd", "scheme"),
        ] {
            let e = check_url(bad).unwrap_err().to_string();
            assert!(e.contains(why), "{bad}: {e}");
        }
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_LEN));
        assert!(check_url(&long).is_err());
    }
}
