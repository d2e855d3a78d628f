//! Password login, shared by the console and the mobile app: one limiter for failed
//! attempts (per user and per client address) and one credential check, so both ways in
//! refuse the same people with the same message.

use crate::password;
use crate::state::AppState;
use keyward_core::model::{in_period, Tenant, User};
use keyward_store::StoreError;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How many failed logins are allowed, and for how long they count.
#[derive(Clone, Copy, Debug)]
pub struct LoginLimits {
    pub window: Duration,
    /// Failures per tenant and username within `window` before that account is refused.
    pub per_user: u32,
    /// Failures per client address within `window` before that address is refused.
    pub per_ip: u32,
}

impl Default for LoginLimits {
    fn default() -> Self {
        Self {
            window: Duration::from_secs(15 * 60),
            per_user: 5,
            per_ip: 30,
        }
    }
}

/// Why a login was refused. The first two carry one message on purpose: telling an
/// unknown user from a wrong password would let anyone list the accounts.
#[derive(Debug)]
pub enum LoginError {
    /// Unknown tenant, unknown user or wrong password.
    InvalidCredentials,
    /// Too many failures; try again after this long.
    RateLimited(Duration),
    /// The password was right but the user is locked.
    Locked,
    /// The password was right but the user is outside their employment period.
    Inactive,
    /// The password was right but the user may not use this way in (console: not an
    /// administrator).
    NotAllowed,
    Store(StoreError),
}

struct Window {
    started: Instant,
    failures: u32,
}

/// Counts failed logins per key in fixed windows, in this process's memory (each node
/// counts its own, so a cluster of N nodes allows up to N times the limit).
pub struct LoginLimiter {
    limits: LoginLimits,
    windows: Mutex<HashMap<String, Window>>,
}

/// Past this many tracked keys, expired windows are swept on the next failure.
const SWEEP_AT: usize = 10_000;

impl LoginLimiter {
    pub fn new(limits: LoginLimits) -> Self {
        Self {
            limits,
            windows: Mutex::new(HashMap::new()),
        }
    }

    fn user_key(tenant: &str, username: &str) -> String {
        format!(
            "u\u{0}{}\u{0}{}",
            tenant.to_lowercase(),
            username.to_lowercase()
        )
    }

    fn ip_key(ip: IpAddr) -> String {
        format!("i\u{0}{ip}")
    }

    fn keys(tenant: &str, username: &str, ip: Option<IpAddr>) -> Vec<(String, u32)> {
        let mut keys = Vec::with_capacity(2);
        keys.push((Self::user_key(tenant, username), 0));
        if let Some(ip) = ip {
            keys.push((Self::ip_key(ip), 1));
        }
        keys
    }

    fn limit(&self, which: u32) -> u32 {
        if which == 0 {
            self.limits.per_user
        } else {
            self.limits.per_ip
        }
    }

    /// Counts an attempt against the account and the address, or refuses it with how
    /// long to wait once either has used up its failures. The attempt is counted before
    /// the password is checked, so guesses sent in parallel cannot all slip through
    /// while the first ones are still being checked; a success takes it back.
    pub fn attempt(
        &self,
        tenant: &str,
        username: &str,
        ip: Option<IpAddr>,
    ) -> Result<(), Duration> {
        let now = Instant::now();
        let window = self.limits.window;
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let keys = Self::keys(tenant, username, ip);
        let mut wait = Duration::ZERO;
        for (key, which) in &keys {
            if let Some(w) = windows.get(key) {
                let ends = w.started + window;
                if w.failures >= self.limit(*which) && ends > now {
                    wait = wait.max(ends - now);
                }
            }
        }
        if !wait.is_zero() {
            return Err(wait);
        }
        if windows.len() >= SWEEP_AT {
            windows.retain(|_, w| w.started + window > now);
        }
        for (key, _) in keys {
            let w = windows.entry(key).or_insert(Window {
                started: now,
                failures: 0,
            });
            if w.started + window <= now {
                *w = Window {
                    started: now,
                    failures: 0,
                };
            }
            w.failures = w.failures.saturating_add(1);
        }
        Ok(())
    }

    /// A successful login forgets the account's failures (not the address's: one good
    /// password must not reset a guessing run against other accounts).
    pub fn record_success(&self, tenant: &str, username: &str, ip: Option<IpAddr>) {
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        windows.remove(&Self::user_key(tenant, username));
        if let Some(w) = ip.and_then(|ip| windows.get_mut(&Self::ip_key(ip))) {
            w.failures = w.failures.saturating_sub(1);
        }
    }
}

/// Checks a tenant name, username and password. `allowed` is the way in's own
/// requirement (the console's is `is_admin`), checked only once the password is known to
/// be right, as are the lock and the employment period.
pub async fn authenticate(
    st: &AppState,
    tenant_name: &str,
    username: &str,
    pw: String,
    ip: Option<IpAddr>,
    allowed: impl FnOnce(&User) -> bool,
) -> Result<(Tenant, User), LoginError> {
    let limiter = &st.login_limiter;
    limiter
        .attempt(tenant_name, username, ip)
        .map_err(LoginError::RateLimited)?;
    let found = match st.store.tenant_by_name(tenant_name).await {
        Ok(tenant) => match st.store.user_with_password(tenant.id, username).await {
            Ok((user, hash)) => Some((tenant, user, hash)),
            Err(StoreError::NotFound(_)) => None,
            Err(e) => return Err(LoginError::Store(e)),
        },
        Err(StoreError::NotFound(_)) => None,
        Err(e) => return Err(LoginError::Store(e)),
    };
    let (stored, found) = match found {
        Some((t, u, h)) => (h, Some((t, u))),
        None => (None, None),
    };
    // Unknown users are checked against a dummy hash so that they take as long.
    let ok = password::verify(pw, stored).await;
    let Some((tenant, user)) = found.filter(|_| ok) else {
        return Err(LoginError::InvalidCredentials);
    };
    limiter.record_success(tenant_name, username, ip);
    if user.locked {
        return Err(LoginError::Locked);
    }
    if !in_period(
        user.active_from,
        user.active_until,
        time::OffsetDateTime::now_utc(),
    ) {
        return Err(LoginError::Inactive);
    }
    if !allowed(&user) {
        return Err(LoginError::NotAllowed);
    }
    Ok((tenant, user))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(per_user: u32, per_ip: u32) -> LoginLimiter {
        LoginLimiter::new(LoginLimits {
            window: Duration::from_secs(60),
            per_user,
            per_ip,
        })
    }

    #[test]
    fn an_account_is_refused_after_its_attempts_and_others_are_not() {
        let l = limiter(3, 100);
        let ip: IpAddr = [10, 0, 0, 1].into();
        for _ in 0..3 {
            assert!(l.attempt("acme", "ola", Some(ip)).is_ok());
        }
        let wait = l.attempt("acme", "OLA", Some(ip)).unwrap_err();
        assert!(wait > Duration::from_secs(50) && wait <= Duration::from_secs(60));
        assert!(l.attempt("acme", "kari", Some(ip)).is_ok());
        assert!(l.attempt("other", "ola", Some(ip)).is_ok());
    }

    #[test]
    fn an_address_is_refused_after_its_attempts_across_accounts() {
        let l = limiter(100, 4);
        let ip: IpAddr = [10, 0, 0, 2].into();
        for n in 0..4 {
            assert!(l.attempt("acme", &format!("user{n}"), Some(ip)).is_ok());
        }
        assert!(l.attempt("acme", "someone-else", Some(ip)).is_err());
        assert!(l
            .attempt("acme", "someone-else", Some([10, 0, 0, 3].into()))
            .is_ok());
    }

    #[test]
    fn success_takes_back_its_attempt_and_clears_the_account() {
        let l = limiter(2, 2);
        let ip: IpAddr = [10, 0, 0, 4].into();
        assert!(l.attempt("acme", "ola", Some(ip)).is_ok());
        l.record_success("acme", "ola", Some(ip));
        assert!(l.attempt("acme", "ola", Some(ip)).is_ok());
        l.record_success("acme", "ola", Some(ip));
        // Two good logins used nothing up; two failures would.
        assert!(l.attempt("acme", "ola", Some(ip)).is_ok());
        assert!(l.attempt("acme", "ola", Some(ip)).is_ok());
        assert!(l.attempt("acme", "ola", Some(ip)).is_err());
    }

    #[test]
    fn attempts_stop_counting_when_the_window_ends() {
        let l = LoginLimiter::new(LoginLimits {
            window: Duration::ZERO,
            per_user: 1,
            per_ip: 1,
        });
        assert!(l.attempt("acme", "ola", None).is_ok());
        assert!(l.attempt("acme", "ola", None).is_ok());
    }
}
