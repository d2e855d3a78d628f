//! keyward's persistence. One [`Store`] serves both backends: the embedded SQLite default
//! and PostgreSQL for clusters. Both schemas use the same column types (text ids, integer
//! milliseconds, 0/1 flags), so every query is written once and the conformance suite in
//! `tests/` runs it against both. Each change writes its audit event and its change-log
//! row in the same transaction, so what is acknowledged is also recorded.

mod audit;
mod console;
mod endpoints;
mod error;
mod lifecycle;
mod mobile;
mod pool;
pub mod private;
mod query;
mod rows;
mod tenants;
mod tokens;
mod tx;
mod update;
mod users;
mod verifier_keys;
mod webhooks;

pub use audit::{Actor, AuditEvent, AuditFilter, Change, FeedPosition};
pub use console::{ConsoleSession, ConsoleSessionEnd, NewConsoleSession};
pub use endpoints::{
    EndpointChange, EndpointRecord, EndpointTokenFilter, EndpointTokenStatus, NewEndpoint,
    NewEndpointToken, NewRecord, OfferedPrimary, RawRecord, RecordBucket, RecordFilter,
};
pub use error::{StoreError, StoreResult};
pub use lifecycle::Unused;
pub use mobile::{
    MobileSession, MobileSessionFilter, NewMobileSession, SessionEnd, SessionStatusFilter,
};
pub use pool::{Backend, PoolStats, Store};
pub use query::Page;
pub use tokens::{
    LeakOutcome, LeakReport, NewSecret, NewToken, StandingFilter, TokenCount, TokenFilter,
    TokenOrder, TokenSortKey, TokenStatusFilter,
};
pub use tx::{ChangeListener, Committed};
pub use users::{NewUser, UserFilter, UserUpdate};
pub use verifier_keys::NewVerifierKey;
pub use webhooks::{Attempt, DueDelivery, NewWebhook, WebhookUpdate};

/// The current time at the precision storage keeps (milliseconds), so that what a change
/// returns is exactly what a later read returns.
pub fn now() -> time::OffsetDateTime {
    from_ms(to_ms(time::OffsetDateTime::now_utc()))
}

/// Milliseconds since the Unix epoch, as stored.
pub(crate) fn to_ms(t: time::OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

pub(crate) fn from_ms(ms: i64) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}
