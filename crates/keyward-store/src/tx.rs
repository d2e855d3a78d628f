//! The write transaction every change runs in. It gathers the change-log entries the
//! transaction writes (and the secrets and endpoint paths it stores), and once the commit
//! has succeeded hands them to the store's [`ChangeListener`]: the verifier of this
//! process applies its own changes before the call that made them returns, whatever
//! front-end or tool made it, and learns of other processes' changes from the change log.

use crate::audit::{Actor, Change};
use crate::error::{StoreError, StoreResult};
use keyward_core::webhook::Subscription;
use keyward_core::{TenantId, TokenHash, WebhookId};
use sqlx::{Any, Transaction};
use std::fmt::Display;
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, OnceLock};
use time::OffsetDateTime;

/// What one committed transaction changed, as the verifier needs it.
#[derive(Clone, Debug, Default)]
pub struct Committed {
    pub changes: Vec<Change>,
    /// The hash of each secret the transaction stored (a new token, session,
    /// endpoint token or verifier key, or a regenerated secret).
    pub secrets: Vec<TokenHash>,
    /// Endpoint paths the transaction created or moved an endpoint to.
    pub paths: Vec<(TenantId, String)>,
}

/// Told of every transaction this process commits that wrote change-log entries, right
/// after the commit and before the store call returns.
pub trait ChangeListener: Send + Sync {
    fn committed(&self, committed: &Committed);
}

/// The listener slot a store and all its clones share; set once, by the verifier.
#[derive(Clone, Default)]
pub(crate) struct ListenerSlot(Arc<OnceLock<Arc<dyn ChangeListener>>>);

impl std::fmt::Debug for ListenerSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.get().is_some() {
            "ListenerSlot(set)"
        } else {
            "ListenerSlot(empty)"
        })
    }
}

impl ListenerSlot {
    pub(crate) fn set(&self, l: Arc<dyn ChangeListener>) -> bool {
        self.0.set(l).is_ok()
    }
}

pub(crate) struct Tx {
    inner: Transaction<'static, Any>,
    backend: crate::Backend,
    committed: Committed,
    listener: ListenerSlot,
    /// On PostgreSQL, the store to `NOTIFY` through after a commit with changes.
    notify: Option<crate::Store>,
    /// Who makes the change, in which tenant and when ([`crate::Store::begin_by`]): what
    /// every event [`Tx::record`] writes shares.
    author: Option<(TenantId, Actor, OffsetDateTime)>,
    /// The enabled webhooks of the last tenant an event was queued for, read once.
    receivers: Option<(TenantId, Vec<(WebhookId, Subscription)>)>,
    /// Whether the transaction queued a webhook delivery, and whom to wake for it.
    queued: bool,
    outbox: Arc<tokio::sync::Notify>,
}

impl Tx {
    pub(crate) fn new(
        inner: Transaction<'static, Any>,
        backend: crate::Backend,
        listener: ListenerSlot,
        notify: Option<crate::Store>,
        outbox: Arc<tokio::sync::Notify>,
    ) -> Self {
        Self {
            inner,
            backend,
            committed: Committed::default(),
            listener,
            notify,
            author: None,
            receivers: None,
            queued: false,
            outbox,
        }
    }

    pub(crate) fn by(mut self, tenant: TenantId, actor: &Actor, now: OffsetDateTime) -> Self {
        self.set_author(tenant, actor, now);
        self
    }

    /// Who makes the changes recorded from now on (a transaction of several authors'
    /// changes, such as a group commit, sets it before each).
    pub(crate) fn set_author(&mut self, tenant: TenantId, actor: &Actor, now: OffsetDateTime) {
        self.author = Some((tenant, actor.clone(), now));
    }

    /// Writes the audit event and change-log row of one change (see
    /// [`crate::audit::record`]) by the transaction's author.
    pub(crate) async fn record(
        &mut self,
        action: &str,
        object_type: &str,
        object_id: impl Display,
        details: serde_json::Value,
    ) -> StoreResult<()> {
        let Some((tenant, actor, now)) = self.author.clone() else {
            return Err(StoreError::Invalid(
                "a change was recorded in a transaction begun without its author".into(),
            ));
        };
        let id = object_id.to_string();
        crate::audit::record(self, tenant, &actor, action, object_type, &id, details, now).await
    }

    /// The values of a statement that writes or reads many rows at once (see
    /// [`crate::query::Filter::many`]).
    pub(crate) fn many(&self) -> crate::query::Filter {
        crate::query::Filter::many(self.backend)
    }

    /// Runs `sql`, a statement of `rows` rows whose values `f` ([`Tx::many`]) holds, and
    /// returns what it returns. A statement of one row is prepared once and kept, as
    /// every other is; one of more is prepared afresh, since its text changes with the
    /// number of rows and would crowd the connection's cache of prepared statements.
    pub(crate) async fn many_rows(
        &mut self,
        sql: &str,
        f: &crate::query::Filter,
        rows: usize,
    ) -> StoreResult<Vec<sqlx::any::AnyRow>> {
        Ok(sqlx::query_with(sql, f.args())
            .persistent(rows == 1)
            .fetch_all(&mut *self.inner)
            .await?)
    }

    pub(crate) fn changed(&mut self, change: Change) {
        self.committed.changes.push(change);
    }

    pub(crate) fn stored_secret(&mut self, hash: &TokenHash) {
        self.committed.secrets.push(*hash);
    }

    /// The webhooks of `tenant` read earlier in this transaction, if any were.
    pub(crate) fn receivers(&self, tenant: TenantId) -> Option<Vec<(WebhookId, Subscription)>> {
        match &self.receivers {
            Some((t, r)) if *t == tenant => Some(r.clone()),
            _ => None,
        }
    }

    pub(crate) fn set_receivers(
        &mut self,
        tenant: TenantId,
        r: Vec<(WebhookId, Subscription)>,
    ) -> Vec<(WebhookId, Subscription)> {
        self.receivers = Some((tenant, r.clone()));
        r
    }

    /// The transaction queued a webhook delivery: this node's deliverer is woken once it
    /// commits.
    pub(crate) fn queued_delivery(&mut self) {
        self.queued = true;
    }

    pub(crate) fn stored_path(&mut self, tenant: TenantId, path: &str) {
        self.committed.paths.push((tenant, path.to_string()));
    }

    /// Commits; then tells this process's listener, and on PostgreSQL wakes every node
    /// listening for changes (`Store::notify_changes`). The `NOTIFY` is sent after the
    /// commit, not inside it: PostgreSQL serialises the commits of all transactions that
    /// notify (a database-wide lock held through commit), which would put every node's
    /// writes back in one line. A notification lost to a crash between the two only
    /// delays other nodes to their next heartbeat read.
    ///
    /// The commit runs in a task of its own, so that a caller dropped mid-commit (a
    /// client that went away) cannot leave a change committed but not applied here.
    pub(crate) async fn commit(self) -> StoreResult<()> {
        tokio::spawn(self.finish())
            .await
            .map_err(|_| sqlx::Error::WorkerCrashed)?
    }

    async fn finish(self) -> StoreResult<()> {
        self.inner.commit().await?;
        if self.queued {
            self.outbox.notify_one();
        }
        if self.committed.changes.is_empty() {
            return Ok(());
        }
        if let Some(l) = self.listener.0.get() {
            l.committed(&self.committed);
        }
        if let Some(store) = self.notify {
            if let Err(e) = store.notify_changes().await {
                tracing::debug!(error = %e, "could not notify other nodes; they read the log at their next heartbeat");
            }
        }
        Ok(())
    }
}

impl Deref for Tx {
    type Target = Transaction<'static, Any>;
    fn deref(&self) -> &Self::Target {
        &self.inner
    }
}

impl DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.inner
    }
}
