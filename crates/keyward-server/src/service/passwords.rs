//! Password hashing with argon2id, always off the async threads (it is deliberately slow),
//! and the server-wide bound on how many hashes are computed at once: each one holds
//! about 19 MiB for its whole run, so unbounded logins would hold unbounded memory.

use super::{ServiceError, ServiceResult};
pub use crate::config::PasswordWork;
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::Semaphore;

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

pub fn check_policy(pw: &str) -> ServiceResult<()> {
    let n = pw.chars().count();
    if n < MIN_LEN || pw.len() > MAX_LEN {
        return Err(ServiceError::Invalid(format!(
            "password must be {MIN_LEN} to {MAX_LEN} characters long"
        )));
    }
    Ok(())
}

/// All argon2 work had to wait longer than [`PasswordWork::max_wait`].
#[derive(Debug)]
pub struct Busy;

pub(crate) const BUSY: &str = "the server is busy checking passwords; try again in a few seconds";

impl From<Busy> for ServiceError {
    fn from(_: Busy) -> Self {
        ServiceError::Busy(BUSY)
    }
}

/// The server's argon2 slots. Every hash and check of a running server goes through here.
pub struct Passwords {
    slots: Arc<Semaphore>,
    max_wait: Duration,
}

impl Passwords {
    pub fn new(work: PasswordWork) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(work.max_concurrent.max(1))),
            max_wait: work.max_wait,
        }
    }

    /// Runs `f` on a blocking thread once a slot is free, holding the slot until `f`
    /// returns.
    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<Result<T, tokio::task::JoinError>, Busy> {
        let wait = self.slots.clone().acquire_owned();
        let slot = match tokio::time::timeout(self.max_wait, wait).await {
            Ok(Ok(slot)) => slot,
            _ => return Err(Busy),
        };
        // The slot moves into the blocking task: a client that gives up does not free it
        // while its hash is still running and still holds its memory.
        Ok(tokio::task::spawn_blocking(move || {
            let _slot = slot;
            f()
        })
        .await)
    }

    /// Hashes a new password, after checking the policy.
    pub async fn hash(&self, pw: String) -> ServiceResult<String> {
        check_policy(&pw)?;
        self.run(move || hash_now(&pw))
            .await?
            .map_err(|e| ServiceError::Internal(e.into()))?
    }

    /// Checks `pw` against a stored PHC string. A missing hash is checked against a dummy
    /// so that unknown users take as long as wrong passwords.
    pub async fn verify(&self, pw: String, stored: Option<String>) -> Result<bool, Busy> {
        Ok(self
            .run(move || verify_now(&pw, stored))
            .await?
            .unwrap_or(false))
    }
}

fn hash_now(pw: &str) -> ServiceResult<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(pw.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ServiceError::Internal(anyhow::anyhow!("argon2: {e}")))
}

fn verify_now(pw: &str, stored: Option<String>) -> bool {
    let present = stored.is_some();
    let phc = stored.unwrap_or_else(|| dummy_hash().to_string());
    let ok = PasswordHash::new(&phc)
        .is_ok_and(|h| Argon2::default().verify_password(pw.as_bytes(), &h).is_ok());
    ok && present
}

/// Hashes a password outside a running server (the `bootstrap` command), unbounded.
pub async fn hash(pw: String) -> ServiceResult<String> {
    check_policy(&pw)?;
    tokio::task::spawn_blocking(move || hash_now(&pw))
        .await
        .map_err(|e| ServiceError::Internal(e.into()))?
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Instant;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_slot_is_held_until_its_work_ends_even_if_the_caller_gives_up() {
        let p = Arc::new(Passwords::new(PasswordWork {
            max_concurrent: 1,
            max_wait: Duration::from_millis(20),
        }));
        let (started_tx, started_rx) = mpsc::channel();
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let held = p.clone();
        let caller = tokio::spawn(async move {
            let _ = held
                .run(move || {
                    started_tx.send(()).unwrap();
                    release_rx.recv().ok();
                })
                .await;
        });
        tokio::task::spawn_blocking(move || started_rx.recv().unwrap())
            .await
            .unwrap();
        // The request goes away while its work still runs.
        caller.abort();
        let _ = caller.await;
        assert!(
            p.verify("a password".into(), None).await.is_err(),
            "the slot is still taken"
        );
        release_tx.send(()).unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while p.verify("a password".into(), None).await.is_err() {
            assert!(Instant::now() < deadline, "the slot never came back");
        }
    }
}
