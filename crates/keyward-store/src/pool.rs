//! Opening storage: picks the backend from the URL, applies that backend's migrations and
//! sets SQLite up for durability and concurrency (WAL, foreign keys, one writer).

use crate::error::StoreResult;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions, Executor};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A connection pool's state at one moment: connections open (`size`), of which `idle`
/// wait for work, and the most it opens.
#[derive(Clone, Copy, Debug)]
pub struct PoolStats {
    pub name: &'static str,
    pub size: u32,
    pub idle: usize,
    pub max: u32,
}

/// The handle to storage. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    /// Reads go here.
    pub(crate) read: AnyPool,
    /// Writes go here. On SQLite this pool has one connection, so writers queue in the
    /// process instead of failing with SQLITE_BUSY; on PostgreSQL it is `read` itself.
    pub(crate) write: AnyPool,
    backend: Backend,
    /// Told of this process's committed changes (see [`crate::tx`]).
    pub(crate) listener: crate::tx::ListenerSlot,
    /// The PostgreSQL channel commits are announced on, once read.
    pub(crate) channel: std::sync::Arc<tokio::sync::OnceCell<String>>,
    /// Single token creations waiting to be written together.
    pub(crate) creations: std::sync::Arc<crate::tokens::Creations>,
    /// Woken when this process commits a webhook delivery (see [`crate::webhooks`]).
    pub(crate) outbox: std::sync::Arc<tokio::sync::Notify>,
}

impl Store {
    /// Opens `url` (`sqlite://…` or `postgres://…`), creating and migrating the schema.
    pub async fn open(url: &str) -> StoreResult<Self> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(sqlx::Error::Configuration(
                format!(
                    "unsupported database URL {:?}: use sqlite://PATH or postgres://…",
                    redact(url)
                )
                .into(),
            )
            .into());
        };
        let opts = AnyConnectOptions::from_str(url)?.disable_statement_logging();
        let store = match backend {
            Backend::Sqlite => {
                let pool = |max: u32| {
                    AnyPoolOptions::new()
                        .max_connections(max)
                        .acquire_timeout(Duration::from_secs(10))
                        .after_connect(|conn, _| {
                            Box::pin(async move {
                                // WAL lets readers run beside the writer. synchronous=NORMAL
                                // survives a killed process (the WAL is in the OS's hands);
                                // only a power loss can drop the last commits.
                                conn.execute(
                                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                                     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
                                )
                                .await?;
                                Ok(())
                            })
                        })
                        .connect_with(opts.clone())
                };
                let write = pool(1).await?;
                migrate_sqlite(&write).await?;
                let read = pool(8).await?;
                Self {
                    read,
                    write,
                    backend,
                    listener: Default::default(),
                    channel: Default::default(),
                    creations: Default::default(),
                    outbox: Default::default(),
                }
            }
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(5))
                    .connect_with(opts)
                    .await?;
                POSTGRES_MIGRATIONS.run(&pool).await?;
                Self {
                    read: pool.clone(),
                    write: pool,
                    backend,
                    listener: Default::default(),
                    channel: Default::default(),
                    creations: Default::default(),
                    outbox: Default::default(),
                }
            }
        };
        Ok(store)
    }

    /// Opens (creating if needed) the embedded SQLite database in `data_dir`. The
    /// directory and the database are private to this account (see [`crate::private`]):
    /// the database file is made 0600 before SQLite opens it, and SQLite gives its
    /// `-wal` and `-shm` files the database file's mode.
    pub async fn open_sqlite_dir(data_dir: &Path) -> StoreResult<Self> {
        let fail = |what: &Path, e: std::io::Error| {
            sqlx::Error::Configuration(format!("cannot prepare {}: {e}", what.display()).into())
        };
        crate::private::private_dir(data_dir).map_err(|e| fail(data_dir, e))?;
        let path = data_dir.join("keyward.db");
        crate::private::private_file(&path).map_err(|e| fail(&path, e))?;
        for suffix in ["-wal", "-shm"] {
            let side = data_dir.join(format!("keyward.db{suffix}"));
            crate::private::narrow_if_present(&side).map_err(|e| fail(&side, e))?;
        }
        Self::open(&format!("sqlite://{}?mode=rwc", path.display())).await
    }

    /// Begins a write transaction; see [`crate::tx::Tx`].
    pub(crate) async fn begin(&self) -> StoreResult<crate::tx::Tx> {
        let notify = (self.backend == Backend::Postgres).then(|| self.clone());
        Ok(crate::tx::Tx::new(
            self.write.begin().await?,
            self.backend,
            self.listener.clone(),
            notify,
            self.outbox.clone(),
        ))
    }

    /// Begins a write transaction of a change by `actor` in `tenant` at `now`, which
    /// [`crate::tx::Tx::record`] audits.
    pub(crate) async fn begin_by(
        &self,
        tenant: keyward_core::TenantId,
        actor: &crate::Actor,
        now: time::OffsetDateTime,
    ) -> StoreResult<crate::tx::Tx> {
        Ok(self.begin().await?.by(tenant, actor, now))
    }

    /// Sets the one listener told of every change this process commits (the verifier).
    /// Returns false if one was set already.
    pub fn set_change_listener(&self, l: std::sync::Arc<dyn crate::tx::ChangeListener>) -> bool {
        self.listener.set(l)
    }

    /// Notified when this process commits a webhook delivery that is due now.
    pub fn webhook_wakeups(&self) -> std::sync::Arc<tokio::sync::Notify> {
        self.outbox.clone()
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Appended to a read that a transaction will modify. PostgreSQL needs the row lock
    /// against concurrent writers; SQLite has one writer at a time and no such syntax.
    pub(crate) fn for_update(&self) -> &'static str {
        match self.backend {
            Backend::Postgres => " FOR UPDATE",
            Backend::Sqlite => "",
        }
    }

    /// How busy each connection pool is now: on SQLite the readers' pool and the one
    /// writer's, on PostgreSQL the one shared pool. Read from memory, no query.
    pub fn pool_stats(&self) -> Vec<PoolStats> {
        let of = |name, pool: &AnyPool| PoolStats {
            name,
            size: pool.size(),
            idle: pool.num_idle(),
            max: pool.options().get_max_connections(),
        };
        match self.backend {
            Backend::Sqlite => vec![of("read", &self.read), of("write", &self.write)],
            Backend::Postgres => vec![of("shared", &self.read)],
        }
    }

    /// Whether storage answers; used by `/readyz`.
    pub async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.read).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
    }
}

/// Applies the SQLite migrations with foreign keys off, then checks them. SQLite cannot
/// change a table's constraints in place: a migration rebuilds the table (SQLite's
/// documented procedure), and with foreign keys on, dropping the old table would cascade
/// into every row that refers to it. The pragma is a no-op inside a transaction, so it is
/// set on the connection around the migrator, which runs each file in one.
async fn migrate_sqlite(write: &AnyPool) -> StoreResult<()> {
    let mut conn = write.acquire().await?;
    conn.execute("PRAGMA foreign_keys = OFF").await?;
    let migrated = SQLITE_MIGRATIONS.run(&mut *conn).await;
    conn.execute("PRAGMA foreign_keys = ON").await?;
    migrated?;
    let broken = sqlx::query("PRAGMA foreign_key_check")
        .fetch_all(&mut *conn)
        .await?;
    if !broken.is_empty() {
        return Err(crate::StoreError::Corrupt(format!(
            "{} rows refer to rows that do not exist after migrating",
            broken.len()
        )));
    }
    Ok(())
}

/// The URL with any password removed, for error messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            let user = creds.split(':').next().unwrap_or("");
            format!("{}://{}:***@{}", &url[..s], user, &url[at + 1..])
        }
        _ => url.to_string(),
    }
}
