//! keyward's HTTP server: the REST API (a module per resource), the verification routes,
//! the verification cache and its invalidation, and the application's startup.

pub mod api;
pub mod app;
pub mod auth;
pub mod bootstrap;
pub mod config;
pub mod connections;
pub mod console;
pub mod edge;
pub mod error;
pub mod feed;
pub mod input;
pub mod keys;
pub mod lifecycle;
pub mod metrics;
pub mod security_headers;
pub mod service;
pub mod state;
pub mod verifier;
pub mod webhooks;

pub use app::{shutdown_signal, App};
pub use config::ServerConfig;
pub use state::AppState;
