//! keyward's domain, free of I/O and async: identifiers, the token format, server-key
//! cryptography, the rules of SPEC §3 and the one verification decision of SPEC §4.
//! Every way of checking a token (verify API, introspection, forward auth, endpoints)
//! ends in [`verify::decide`], or for endpoint tokens in [`verify::decide_endpoint_token`],
//! which shares its checks of the token's own state, so a rule is written and tested once.

pub mod change;
pub mod code;
pub mod crypto;
pub mod endpoint;
pub mod forward;
pub mod ids;
pub mod model;
pub mod permission;
pub mod rules;
pub mod session;
pub mod text;
pub mod token;
pub mod verify;
pub mod webhook;

pub use crypto::{ServerKey, TokenHash};
pub use ids::*;
pub use permission::Permission;
pub use token::{ParsedToken, TokenFormatError, TokenKind, TokenSecret};
pub use verify::{decide, Decision, VerifyCode, VerifyContext};
