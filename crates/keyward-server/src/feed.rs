//! The change feed: how this node learns, within milliseconds, what other processes
//! committed (the verifier applies this process's own changes at commit).
//!
//! - `--change-feed notify` (the default on PostgreSQL): a dedicated connection
//!   `LISTEN`s; every process's store `NOTIFY`s after each commit that wrote change-log
//!   entries (`keyward_store`'s `Tx::commit`); a notification wakes the tailer, which reads the log from its position. The
//!   listening connection is re-established after a loss, and every (re)connection is
//!   followed by a full read from the last position, so nothing sent while it was down
//!   is missed. The log is also read every heartbeat (250 ms), which is what proves the
//!   feed healthy when nothing changes.
//! - `--change-feed poll`: the log is read every interval (100 ms by default), for
//!   PostgreSQL-compatible engines without `LISTEN`/`NOTIFY`. SQLite always polls: other
//!   processes on the same file (`keyward bootstrap`) can be seen no other way.

use crate::config::ChangeFeed;
use crate::state::AppState;
use keyward_store::Backend;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// A read of the change log that takes longer than this is given up and retried. It is
/// long because a node back from a long partition may have much to read; trust does not
/// wait on it (a node that has not read the feed for `max_staleness` reads storage).
const READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Wait before listening again after the connection was lost or refused.
const RELISTEN: Duration = Duration::from_millis(250);

pub struct FeedTasks(Vec<JoinHandle<()>>);

impl FeedTasks {
    pub fn abort(&self) {
        for t in &self.0 {
            t.abort();
        }
    }
}

pub fn spawn(state: &AppState) -> FeedTasks {
    let store = state.store.clone();
    let (interval, listen) = match (store.backend(), state.config.change_feed) {
        (Backend::Postgres, ChangeFeed::Notify { heartbeat }) => (heartbeat, true),
        (Backend::Sqlite, ChangeFeed::Notify { .. }) => (ChangeFeed::POLL, false),
        (_, ChangeFeed::Poll { interval }) => (interval, false),
    };
    let wake = Arc::new(Notify::new());
    let mut tasks = vec![tokio::spawn(tail(
        state.verifier.clone(),
        wake.clone(),
        interval,
    ))];
    if listen {
        if let Some(url) = state.config.database_url.clone() {
            tasks.push(tokio::spawn(listen_for_changes(store, url, wake)));
        }
    }
    FeedTasks(tasks)
}

async fn tail(verifier: Arc<crate::verifier::Verifier>, wake: Arc<Notify>, interval: Duration) {
    let mut failing = false;
    loop {
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(interval) => {}
        }
        match tokio::time::timeout(READ_TIMEOUT, verifier.catch_up()).await {
            Ok(Ok(_)) if failing => {
                tracing::info!("the change log can be read again; cached answers are trusted");
                failing = false;
            }
            Ok(Err(e)) if !failing => {
                tracing::warn!(error = %e, "cannot read the change log; checks go to storage once it has been unread for max_staleness");
                failing = true;
            }
            Err(_) if !failing => {
                tracing::warn!("reading the change log timed out; checks go to storage once it has been unread for max_staleness");
                failing = true;
            }
            _ => {}
        }
    }
}

async fn listen_for_changes(store: keyward_store::Store, url: String, wake: Arc<Notify>) {
    let mut announced = false;
    loop {
        match listen_once(&store, &url, &wake).await {
            Ok(()) => {
                tracing::warn!("the connection listening for changes was lost; listening again")
            }
            Err(e) if !announced => {
                tracing::warn!(error = %e, "cannot listen for changes; reading the log at each heartbeat meanwhile");
                announced = true;
            }
            Err(_) => {}
        }
        tokio::time::sleep(RELISTEN).await;
    }
}

/// Listens until the connection is lost (`Ok`) or cannot be set up (`Err`).
async fn listen_once(store: &keyward_store::Store, url: &str, wake: &Notify) -> anyhow::Result<()> {
    let channel = store.change_channel().await?;
    let mut listener = sqlx::postgres::PgListener::connect(url).await?;
    listener.listen(&channel).await?;
    // Whatever was sent while no one listened is read now.
    wake.notify_one();
    loop {
        match listener.try_recv().await? {
            Some(_) => wake.notify_one(),
            None => {
                wake.notify_one();
                return Ok(());
            }
        }
    }
}
