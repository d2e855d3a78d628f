//! The store's one error type. Constraint violations become `Conflict` or `Invalid` at the
//! call site that knows which field they concern; everything else is `Database`.

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A unique value is taken; `field` names it for the client.
    #[error("{field} {value:?} is already taken")]
    Conflict { field: &'static str, value: String },
    /// The change would break a reference (e.g. deleting a department still in use).
    #[error("{0}")]
    InUse(String),
    /// The change is not valid as a whole (the message says why).
    #[error("{0}")]
    Invalid(String),
    /// The object's state does not allow the change; `code` is stable for programs.
    #[error("{message}")]
    Refused { code: &'static str, message: String },
    #[error("stored data is damaged: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

pub type StoreResult<T> = Result<T, StoreError>;

impl StoreError {
    pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
        matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
    }

    pub(crate) fn is_foreign_key_violation(e: &sqlx::Error) -> bool {
        matches!(e, sqlx::Error::Database(d) if d.is_foreign_key_violation())
    }

    /// Whether storage itself is unreachable or failing (as opposed to a refused change).
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Database(
                sqlx::Error::Io(_)
                | sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::Tls(_)
                | sqlx::Error::Protocol(_),
            ) => true,
            // PostgreSQL going away under a connection: class 08 (connection exception)
            // and 57P (operator intervention: shutdown, crash, starting up).
            StoreError::Database(sqlx::Error::Database(e)) => e
                .code()
                .is_some_and(|c| c.starts_with("08") || c.starts_with("57P")),
            _ => false,
        }
    }
}

/// Maps a unique violation on `field` to `Conflict`, leaving other errors as they are.
pub(crate) fn on_unique<'a>(
    field: &'static str,
    value: &'a str,
) -> impl FnOnce(sqlx::Error) -> StoreError + 'a {
    move |e| {
        if StoreError::is_unique_violation(&e) {
            StoreError::Conflict {
                field,
                value: value.to_string(),
            }
        } else {
            StoreError::Database(e)
        }
    }
}

/// Maps a foreign-key violation to `InUse` with the given explanation.
pub(crate) fn on_reference(msg: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |e| {
        if StoreError::is_foreign_key_violation(&e) {
            StoreError::InUse(msg.to_string())
        } else {
            StoreError::Database(e)
        }
    }
}
