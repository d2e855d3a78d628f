//! Webhooks (SPEC §10): the events a tenant's receivers may subscribe to, a receiver and
//! one delivery as the API shows them, the secret a receiver checks signatures with, and
//! the signature itself: the Standard Webhooks scheme (`webhook-id`, `webhook-timestamp`,
//! `webhook-signature: v1,<base64 HMAC-SHA256 over "{id}.{timestamp}.{body}">`), which
//! receivers can check with the libraries of <https://www.standardwebhooks.com>.

use crate::{TenantId, UserId, WebhookDeliveryId, WebhookId};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::fmt;
use time::OffsetDateTime;

/// What a receiver can be told of. Each is sent once per receiver subscribed to it, in
/// the transaction of the change it tells of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub enum WebhookEvent {
    #[serde(rename = "token.created")]
    TokenCreated,
    #[serde(rename = "token.revoked")]
    TokenRevoked,
    #[serde(rename = "token.deleted")]
    TokenDeleted,
    #[serde(rename = "token.regenerated")]
    TokenRegenerated,
    /// Once per token and expiry date, the tenant's `expiry_notice_days` before it.
    #[serde(rename = "token.expiring")]
    TokenExpiring,
    /// Once per token and period of disuse: unused for the tenant's
    /// `flag_unused_after_days`.
    #[serde(rename = "token.stale")]
    TokenStale,
    /// A token reported as found where it should not be, and revoked for it.
    #[serde(rename = "token.leaked")]
    TokenLeaked,
    /// A mobile session ended: logged out, removed by an administrator, or replaced.
    #[serde(rename = "mobile_session.ended")]
    MobileSessionEnded,
}

impl WebhookEvent {
    pub const ALL: [Self; 8] = [
        Self::TokenCreated,
        Self::TokenRevoked,
        Self::TokenDeleted,
        Self::TokenRegenerated,
        Self::TokenExpiring,
        Self::TokenStale,
        Self::TokenLeaked,
        Self::MobileSessionEnded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::TokenCreated => "token.created",
            Self::TokenRevoked => "token.revoked",
            Self::TokenDeleted => "token.deleted",
            Self::TokenRegenerated => "token.regenerated",
            Self::TokenExpiring => "token.expiring",
            Self::TokenStale => "token.stale",
            Self::TokenLeaked => "token.leaked",
            Self::MobileSessionEnded => "mobile_session.ended",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.as_str() == s)
    }

    /// The event an audited action sends, if any: the audit trail and the webhooks name
    /// the same changes, so the one is derived from the other in one place.
    pub fn of_action(action: &str) -> Option<Self> {
        match action {
            "mobile_session.deleted" => Some(Self::MobileSessionEnded),
            // The inactivity policy's revoke of an application's endpoint token, and a
            // leaked endpoint token's.
            "endpoint_token.retired" | "endpoint_token.revoked" => Some(Self::TokenRevoked),
            a => Self::parse(a),
        }
    }
}

impl fmt::Display for WebhookEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which events a receiver gets: every one (also those added in later versions), or a
/// list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Subscription {
    All,
    Only(Vec<WebhookEvent>),
}

impl Subscription {
    pub fn includes(&self, e: WebhookEvent) -> bool {
        match self {
            Self::All => true,
            Self::Only(v) => v.contains(&e),
        }
    }

    /// As stored: `*`, or the types between commas (`,token.created,token.revoked,`), so
    /// that a `LIKE '%,token.created,%'` finds exactly the subscribers of one event.
    pub fn stored(&self) -> String {
        match self {
            Self::All => "*".into(),
            Self::Only(v) => {
                let mut s = String::from(",");
                for e in v {
                    s.push_str(e.as_str());
                    s.push(',');
                }
                s
            }
        }
    }

    /// Reads what [`Subscription::stored`] wrote; unknown names (of a newer version) are
    /// skipped.
    pub fn from_stored(s: &str) -> Self {
        if s == "*" {
            return Self::All;
        }
        Self::Only(s.split(',').filter_map(WebhookEvent::parse).collect())
    }

    /// From the API's list, where `"*"` alone means every event. An empty list, or `*`
    /// beside other names, is refused: a receiver that gets nothing is a mistake.
    pub fn from_names(names: &[String]) -> Result<Self, String> {
        if names.len() == 1 && names[0] == "*" {
            return Ok(Self::All);
        }
        if names.is_empty() {
            return Err("name at least one event, or \"*\" for every event".into());
        }
        let mut v = Vec::new();
        for n in names {
            let e = WebhookEvent::parse(n).ok_or_else(|| {
                let known: Vec<_> = WebhookEvent::ALL.iter().map(|e| e.as_str()).collect();
                format!(
                    "unknown event {n:?}: the events are {}, or \"*\" alone for every event",
                    known.join(", ")
                )
            })?;
            if !v.contains(&e) {
                v.push(e);
            }
        }
        Ok(Self::Only(v))
    }

    /// As the API shows it: `["*"]` or the event names.
    pub fn names(&self) -> Vec<String> {
        match self {
            Self::All => vec!["*".into()],
            Self::Only(v) => v.iter().map(|e| e.as_str().to_string()).collect(),
        }
    }
}

/// A receiver as the API shows it. Its secret is shown once, when it is created.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Webhook {
    pub id: WebhookId,
    pub tenant_id: TenantId,
    pub name: String,
    /// Where events are POSTed.
    pub url: String,
    /// The event types sent, or `["*"]` for every one.
    pub events: Vec<String>,
    /// Off, nothing new is queued for it; what is queued is still delivered.
    pub enabled: bool,
    /// `whsec_Ab3d…`: enough to tell secrets apart, never enough to sign with.
    pub secret_hint: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub created_by: Option<UserId>,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// Where one delivery stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Waiting for its first or next attempt.
    Pending,
    /// The receiver answered 2xx.
    Delivered,
    /// Every attempt failed; an administrator can try it again.
    Failed,
}

impl DeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Pending, Self::Delivered, Self::Failed]
            .into_iter()
            .find(|d| d.as_str() == s)
    }
}

/// One event sent to one receiver: the delivery log's row.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WebhookDelivery {
    /// Sent as `webhook-id`; the same on every attempt, so a receiver can drop repeats.
    pub id: WebhookDeliveryId,
    pub webhook_id: WebhookId,
    /// The same for every receiver of the one event.
    pub event_id: String,
    pub event_type: String,
    pub state: DeliveryState,
    pub attempts: u32,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When the next attempt is due (pending), else when the last one was made.
    #[serde(with = "time::serde::rfc3339")]
    pub next_attempt_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option", default)]
    pub last_attempt_at: Option<OffsetDateTime>,
    /// The HTTP status of the last attempt, if the receiver answered.
    pub last_status: Option<u16>,
    /// Why the last attempt failed, when it did.
    pub last_error: Option<String>,
    #[serde(with = "time::serde::rfc3339::option", default)]
    pub delivered_at: Option<OffsetDateTime>,
    /// The JSON body sent, as sent.
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
}

/// The secret of a receiver (`whsec_` and the base64 of 24 random bytes): the form the
/// Standard Webhooks libraries read.
pub struct WebhookSecret(String);

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret(..)")
    }
}

pub const SECRET_PREFIX: &str = "whsec_";

impl WebhookSecret {
    pub fn generate() -> Self {
        let mut b = [0u8; 24];
        rand::rngs::OsRng.fill_bytes(&mut b);
        Self(format!("{SECRET_PREFIX}{}", STANDARD.encode(b)))
    }

    /// A secret read back (unsealed) from storage.
    pub fn from_stored(s: String) -> Self {
        Self(s)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    /// `whsec_Ab3d…`.
    pub fn hint(&self) -> String {
        let n = SECRET_PREFIX.len() + 4;
        format!("{}…", &self.0[..n.min(self.0.len())])
    }

    /// The `webhook-signature` header of `body` sent as message `id` at `timestamp`
    /// (Unix seconds): `v1,` and the base64 HMAC-SHA256 of `{id}.{timestamp}.{body}`,
    /// keyed with the secret's decoded bytes.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let key = STANDARD
            .decode(self.0.strip_prefix(SECRET_PREFIX).unwrap_or(&self.0))
            .unwrap_or_else(|_| self.0.as_bytes().to_vec());
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key).expect("any key length");
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_match_the_standard_webhooks_test_vector() {
        // From the Standard Webhooks specification's reference libraries.
        let s = WebhookSecret::from_stored("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into());
        assert_eq!(
            s.sign(
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1614265330,
                br#"{"test": 2432232314}"#
            ),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn a_signature_changes_with_the_body_the_time_and_the_id() {
        let s = WebhookSecret::generate();
        let a = s.sign("m1", 10, b"{}");
        assert_ne!(a, s.sign("m2", 10, b"{}"));
        assert_ne!(a, s.sign("m1", 11, b"{}"));
        assert_ne!(a, s.sign("m1", 10, b"{ }"));
        assert_ne!(a, WebhookSecret::generate().sign("m1", 10, b"{}"));
    }

    #[test]
    fn a_subscription_round_trips_through_storage_and_finds_its_events() {
        let s = Subscription::from_names(&["token.revoked".into(), "token.leaked".into()]).unwrap();
        assert_eq!(s.stored(), ",token.revoked,token.leaked,");
        assert_eq!(Subscription::from_stored(&s.stored()), s);
        assert!(s.includes(WebhookEvent::TokenLeaked));
        assert!(!s.includes(WebhookEvent::TokenCreated));
        assert_eq!(
            Subscription::from_names(&["*".into()]).unwrap(),
            Subscription::All
        );
        assert!(Subscription::from_names(&[]).is_err());
        assert!(Subscription::from_names(&["*".into(), "token.created".into()]).is_err());
        let e = Subscription::from_names(&["token.create".into()]).unwrap_err();
        assert!(e.contains("token.created"), "{e}");
    }

    #[test]
    fn audited_actions_name_their_events() {
        assert_eq!(
            WebhookEvent::of_action("mobile_session.deleted"),
            Some(WebhookEvent::MobileSessionEnded)
        );
        assert_eq!(
            WebhookEvent::of_action("token.revoked"),
            Some(WebhookEvent::TokenRevoked)
        );
        assert_eq!(WebhookEvent::of_action("token.updated"), None);
        assert_eq!(WebhookEvent::of_action("user.locked"), None);
    }
}
