//! Integration tests: the real server on a free port, on SQLite and (when
//! KEYWARD_TEST_DATABASE_URL is set) PostgreSQL.

mod helpers;

mod console;
mod endpoints;
mod errors;
mod logins;
mod matrix;
mod mobile;
mod properties;
mod rules;
mod tenancy;
mod tokens;
mod verification;
