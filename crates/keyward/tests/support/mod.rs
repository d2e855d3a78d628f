//! What the binary's integration tests share: free ports, temporary directories that
//! remove themselves, and a PostgreSQL schema of a test's own. (`tests/support/` is not
//! a test of its own; each test file that needs it says `mod support;`.)

#![allow(dead_code)]

use std::net::TcpListener;
use std::path::PathBuf;

pub const PG_ENV: &str = "KEYWARD_TEST_DATABASE_URL";

/// A loopback port nothing listens on now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A directory under the temp dir, removed with everything in it when dropped.
pub struct Dir(pub PathBuf);

impl Dir {
    /// A fresh name, not created: for keyward to create as its data directory.
    pub fn named(what: &str) -> Self {
        Self(std::env::temp_dir().join(format!("kw-{what}-{}", uuid::Uuid::new_v4().simple())))
    }

    /// A fresh directory, created.
    pub fn new(what: &str) -> Self {
        let d = Self::named(what);
        std::fs::create_dir_all(&d.0).unwrap();
        d
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The URL of a fresh schema `{prefix}_{uuid}` in the test PostgreSQL, or `None` when
/// `KEYWARD_TEST_DATABASE_URL` is unset (the caller says the test is skipped).
pub async fn pg_schema(prefix: &str) -> Option<String> {
    let base = std::env::var(PG_ENV).ok()?;
    use sqlx::Connection;
    let schema = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(&base)
        .await
        .expect("PostgreSQL");
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&mut conn)
        .await
        .unwrap();
    let sep = if base.contains('?') { '&' } else { '?' };
    Some(format!("{base}{sep}options[search_path]={schema}"))
}
