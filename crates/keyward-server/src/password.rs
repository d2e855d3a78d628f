//! Password hashing with argon2id, always off the async threads (it is deliberately slow).

use crate::error::{ApiError, ApiResult};
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use std::sync::OnceLock;

/// A real hash of a random password, made once, to check unknown users against.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        let pw = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(pw.as_str().as_bytes(), &salt)
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

pub const MIN_LEN: usize = 10;
pub const MAX_LEN: usize = 1024;

pub fn check_policy(pw: &str) -> ApiResult<()> {
    let n = pw.chars().count();
    if n < MIN_LEN || pw.len() > MAX_LEN {
        return Err(ApiError::validation(format!(
            "password must be {MIN_LEN} to {MAX_LEN} characters long"
        )));
    }
    Ok(())
}

pub async fn hash(pw: String) -> ApiResult<String> {
    check_policy(&pw)?;
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(pw.as_bytes(), &salt)
            .map(|h| h.to_string())
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(|e| ApiError::internal(anyhow::anyhow!("argon2: {e}")))
}

/// Checks `pw` against a stored PHC string. A missing hash is checked against a dummy so
/// that unknown users take as long as wrong passwords.
pub async fn verify(pw: String, stored: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || {
        let present = stored.is_some();
        let phc = stored.unwrap_or_else(|| dummy_hash().to_string());
        let ok = PasswordHash::new(&phc)
            .is_ok_and(|h| Argon2::default().verify_password(pw.as_bytes(), &h).is_ok());
        ok && present
    })
    .await
    .unwrap_or(false)
}
