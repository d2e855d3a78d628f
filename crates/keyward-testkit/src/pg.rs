//! A PostgreSQL schema of a test's own in the shared test database.

/// The variable naming the test PostgreSQL; unset, the PostgreSQL runs are skipped.
pub const PG_ENV: &str = "KEYWARD_TEST_DATABASE_URL";

/// The URL of a fresh schema `{prefix}_{uuid}` in the test PostgreSQL, or `None` when
/// [`PG_ENV`] is unset (the caller says the test is skipped).
pub async fn pg_schema(prefix: &str) -> Option<String> {
    let base = std::env::var(PG_ENV).ok()?;
    use sqlx::Connection;
    let schema = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(&base)
        .await
        .expect("connect to the test PostgreSQL");
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&mut conn)
        .await
        .expect("create schema");
    let sep = if base.contains('?') { '&' } else { '?' };
    Some(format!("{base}{sep}options[search_path]={schema}"))
}
