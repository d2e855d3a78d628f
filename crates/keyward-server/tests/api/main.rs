//! Integration tests: the real server on a free port, on SQLite and (when
//! KEYWARD_TEST_DATABASE_URL is set) PostgreSQL.

mod at_rest;
mod connections;
mod console;
mod direct;
mod endpoints;
mod engine;
mod errors;
mod import;
mod leaks;
mod lifecycle;
mod logins;
mod matrix;
mod metrics;
mod mobile;
mod norwegian;
mod properties;
mod rotation;
mod rules;
mod security_headers;
mod tenancy;
mod tokens;
mod verification;
mod webhooks;
