//! What every keyward integration, CLI and browser test starts from: the real server on a
//! free port, on SQLite or on PostgreSQL (in a schema of its own), with a bootstrapped
//! tenant `acme` and its administrator; a typed client logged in as that administrator;
//! and one-line fixtures for the usual arrange steps.
//!
//! The server's test targets and the binary's tests use it as a dev-dependency (cargo
//! allows that cycle: this crate depends on `keyward-server`, whose tests depend on it).

mod app;
mod fixtures;
mod macros;
mod pg;
mod process;
mod receiver;
pub mod seeding;
mod wire;

/// The typed client and its request types, for tests that arrange through it.
pub use keyward_client as client;

pub use app::{Backend, Node, TestApp};
pub use fixtures::{member, period, token, Endpoint, Member, PASSWORD};
pub use pg::{pg_schema, PG_ENV};
pub use process::{bootstrap_token, command, free_port, wait_until_healthy, Dir, Running};
pub use receiver::{Received, Receiver};
pub use wire::{json_of, send, text_of, texts};

/// The tenant every [`TestApp`] is bootstrapped with.
pub const TENANT: &str = "acme";
