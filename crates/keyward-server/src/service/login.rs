//! Password login, shared by the console and the mobile app: one limiter for attempts
//! (per user and per client address), one credential check within the server's bound on
//! argon2 work, and one record of refused logins (audited and logged, in bursts), so both
//! ways in refuse the same people with the same message and leave the same trace.

use super::passwords::Passwords;
pub use crate::config::LoginLimits;
use crate::metrics::Metrics;
use keyward_core::model::{in_period, Tenant, User};
use keyward_store::Store;
use keyward_store::{Actor, StoreError};
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Which way in a login came.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Via {
    Console,
    Mobile,
}

impl Via {
    fn as_str(self) -> &'static str {
        match self {
            Self::Console => "console",
            Self::Mobile => "mobile",
        }
    }
}

/// Why a login was refused. The first two carry one message on purpose: telling an
/// unknown user from a wrong password would let anyone list the accounts.
#[derive(Debug)]
pub enum LoginError {
    /// Unknown tenant, unknown user or wrong password.
    InvalidCredentials,
    /// Too many attempts; try again after this long.
    RateLimited(Duration),
    /// Too many password checks are running server-wide; the password was not checked.
    Busy,
    /// The password was right but the user is locked.
    Locked,
    /// The password was right but the user is outside their employment period.
    Inactive,
    /// The password was right but the user may not use this way in (console: not an
    /// administrator).
    NotAllowed,
    Store(StoreError),
}

impl LoginError {
    /// The refusal's name in audit events and logs; `None` for a storage failure, which
    /// refuses nobody.
    fn reason(&self) -> Option<&'static str> {
        Some(match self {
            Self::InvalidCredentials => "invalid_credentials",
            Self::RateLimited(_) => "rate_limited",
            Self::Busy => "busy",
            Self::Locked => "user_locked",
            Self::Inactive => "user_inactive",
            Self::NotAllowed => "not_allowed",
            Self::Store(_) => return None,
        })
    }
}

struct Window {
    started: Instant,
    count: u32,
}

/// What a window counts, and so which limit applies to it.
#[derive(Clone, Copy)]
enum Counted {
    /// Failures of one account (a success clears them).
    UserFailures,
    /// Failures from one address (a success takes back its own attempt).
    IpFailures,
    /// Every login of one account, whatever its outcome.
    UserLogins,
}

/// Counts logins per key in fixed windows, in this process's memory (each node counts
/// its own, so a cluster of N nodes allows up to N times the limit), and gathers refused
/// logins into bursts for the audit log.
pub struct LoginLimiter {
    limits: LoginLimits,
    windows: Mutex<HashMap<String, Window>>,
    bursts: Mutex<HashMap<BurstKey, Burst>>,
}

/// Past this many tracked keys, expired windows are swept on the next failure.
const SWEEP_AT: usize = 10_000;

impl LoginLimiter {
    pub fn new(limits: LoginLimits) -> Self {
        Self {
            limits,
            windows: Mutex::new(HashMap::new()),
            bursts: Mutex::new(HashMap::new()),
        }
    }

    fn user_key(tenant: &str, username: &str) -> String {
        format!(
            "u\u{0}{}\u{0}{}",
            tenant.to_lowercase(),
            username.to_lowercase()
        )
    }

    fn logins_key(tenant: &str, username: &str) -> String {
        format!(
            "a\u{0}{}\u{0}{}",
            tenant.to_lowercase(),
            username.to_lowercase()
        )
    }

    fn ip_key(ip: IpAddr) -> String {
        format!("i\u{0}{ip}")
    }

    fn keys(tenant: &str, username: &str, ip: Option<IpAddr>) -> Vec<(String, Counted)> {
        let mut keys = Vec::with_capacity(3);
        keys.push((Self::user_key(tenant, username), Counted::UserFailures));
        keys.push((Self::logins_key(tenant, username), Counted::UserLogins));
        if let Some(ip) = ip {
            keys.push((Self::ip_key(ip), Counted::IpFailures));
        }
        keys
    }

    fn limit(&self, which: Counted) -> u32 {
        match which {
            Counted::UserFailures => self.limits.per_user,
            Counted::IpFailures => self.limits.per_ip,
            Counted::UserLogins => self.limits.per_user_logins,
        }
    }

    /// Counts an attempt against the account and the address, or refuses it with how
    /// long to wait once any of their limits is used up. The attempt is counted before
    /// the password is checked, so guesses sent in parallel cannot all slip through
    /// while the first ones are still being checked; a success takes back the failure,
    /// never the login itself.
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
                if w.count >= self.limit(*which) && ends > now {
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
                count: 0,
            });
            if w.started + window <= now {
                *w = Window {
                    started: now,
                    count: 0,
                };
            }
            w.count = w.count.saturating_add(1);
        }
        Ok(())
    }

    /// Takes back an attempt whose password was never checked (the server was too busy),
    /// so shedding load never counts against the account or the address.
    pub fn take_back(&self, tenant: &str, username: &str, ip: Option<IpAddr>) {
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        for (key, _) in Self::keys(tenant, username, ip) {
            if let Some(w) = windows.get_mut(&key) {
                w.count = w.count.saturating_sub(1);
            }
        }
    }

    /// A successful login forgets the account's failures (not the address's: one good
    /// password must not reset a guessing run against other accounts; nor the account's
    /// logins, which count successes on purpose).
    pub fn record_success(&self, tenant: &str, username: &str, ip: Option<IpAddr>) {
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        windows.remove(&Self::user_key(tenant, username));
        if let Some(w) = ip.and_then(|ip| windows.get_mut(&Self::ip_key(ip))) {
            w.count = w.count.saturating_sub(1);
        }
    }
}

// --- refused logins: audit and log -----------------------------------------------------
//
// Every refused login is worth knowing about, but a guessing run makes thousands, and an
// audit event each would bury the log (and, through the change log, make every node of a
// cluster drop its cached answers each time). So refusals are gathered per way in, tenant,
// username and address into a burst that lasts `audit_window` (a minute) from its first
// refusal, and each burst becomes one `login.failed` event carrying the count of each
// refusal reason, written when the burst ends. A minute keeps an administrator on a
// support call close to live while bounding the events of a sustained attack to one a
// minute per account and address; past `MAX_BURSTS` open bursts on this node, further
// refusals join one overflow burst that is logged only. The first refusal of a burst is
// logged at once (warn), and the burst's total when it ends; a tenant nobody has cannot
// be audited into, so its bursts are logged only.

/// Open bursts this node tracks before lumping the rest together.
const MAX_BURSTS: usize = 1_000;
/// Usernames are kept and recorded at most this long (a login form takes any string).
const MAX_RECORDED_NAME: usize = 256;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct BurstKey {
    via: Via,
    /// As typed: tenants are looked up by exact name.
    tenant: String,
    /// Lowercased, as the limiter counts it.
    username: String,
    ip: Option<IpAddr>,
    /// The one burst of refusals past [`MAX_BURSTS`], of any tenant and username.
    overflow: bool,
}

struct Burst {
    first_at: time::OffsetDateTime,
    last_at: time::OffsetDateTime,
    /// The username as first typed.
    shown: String,
    counts: BTreeMap<&'static str, u64>,
}

fn clip(s: &str) -> String {
    s.chars().take(MAX_RECORDED_NAME).collect()
}

/// Notes a refused login: logged at once if it opens a burst, counted otherwise, and
/// audited into its tenant when its burst ends.
fn note_refusal(
    st: &Login,
    via: Via,
    tenant: &str,
    username: &str,
    ip: Option<IpAddr>,
    reason: &'static str,
) {
    let now = time::OffsetDateTime::now_utc();
    let mut key = BurstKey {
        via,
        tenant: clip(tenant),
        username: clip(username).to_lowercase(),
        ip,
        overflow: false,
    };
    let opened = {
        let mut bursts = st.limiter.bursts.lock().unwrap_or_else(|e| e.into_inner());
        if !bursts.contains_key(&key) && bursts.len() >= MAX_BURSTS {
            key = BurstKey {
                via,
                tenant: String::new(),
                username: String::new(),
                ip: None,
                overflow: true,
            };
        }
        let mut opened = false;
        let burst = bursts.entry(key.clone()).or_insert_with(|| {
            opened = true;
            Burst {
                first_at: now,
                last_at: now,
                shown: clip(username),
                counts: BTreeMap::new(),
            }
        });
        burst.last_at = now;
        *burst.counts.entry(reason).or_insert(0) += 1;
        opened
    };
    if !opened {
        tracing::debug!(via = via.as_str(), tenant = %key.tenant, username = %key.username,
            ip = ?ip, reason, "login refused");
        return;
    }
    if key.overflow {
        tracing::warn!(
            via = via.as_str(),
            reason,
            "login refused; too many distinct accounts and addresses refused at once, \
             gathering further refusals into one burst"
        );
    } else {
        tracing::warn!(via = via.as_str(), tenant = %key.tenant, username = %key.username,
            ip = ?ip, reason, "login refused");
    }
    let st = st.clone();
    let after = st.limiter.limits.audit_window;
    tokio::spawn(async move {
        tokio::time::sleep(after).await;
        end_burst(&st, key).await;
    });
}

/// Writes one burst's event (if its tenant exists) and logs its total.
async fn end_burst(st: &Login, key: BurstKey) {
    let Some(burst) = st
        .limiter
        .bursts
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&key)
    else {
        return;
    };
    let total: u64 = burst.counts.values().sum();
    let via = key.via.as_str();
    if total > 1 || key.overflow {
        tracing::warn!(via, tenant = %key.tenant, username = %key.username, ip = ?key.ip,
            total, counts = ?burst.counts, overflow = key.overflow, "logins refused in the last burst");
    }
    if key.overflow {
        return;
    }
    let tenant = match st.store.tenant_by_name(&key.tenant).await {
        Ok(t) => t,
        // Nobody's tenant: there is no audit log to write into.
        Err(StoreError::NotFound(_)) => return,
        Err(e) => {
            tracing::warn!(error = %e, via, tenant = %key.tenant, username = %key.username,
                total, "cannot record refused logins in the audit log");
            return;
        }
    };
    let details = serde_json::json!({
        "via": via,
        "username": burst.shown,
        "ip": key.ip.map(|i| i.to_string()),
        "count": total,
        "reasons": burst.counts,
        "first_at": burst.first_at.unix_timestamp(),
        "last_at": burst.last_at.unix_timestamp(),
    });
    let actor = Actor {
        user_id: None,
        name: burst.shown.clone(),
        ip: key.ip.map(|i| i.to_string()),
    };
    if let Err(e) = st
        .store
        .record_refused_logins(tenant.id, &actor, &key.username, details)
        .await
    {
        tracing::warn!(error = %e, via, tenant = %key.tenant, username = %key.username,
            total, "cannot record refused logins in the audit log");
    }
}

/// Password logins (console and mobile): the limits, the check, and the audit of
/// refusals. Cheap to clone; a refusal's audit is written later by a task of its own.
#[derive(Clone)]
pub struct Login {
    store: Store,
    limiter: Arc<LoginLimiter>,
    passwords: Arc<Passwords>,
    metrics: Arc<Metrics>,
}

impl Login {
    pub fn new(
        store: Store,
        limiter: Arc<LoginLimiter>,
        passwords: Arc<Passwords>,
        metrics: Arc<Metrics>,
    ) -> Self {
        Self {
            store,
            limiter,
            passwords,
            metrics,
        }
    }

    /// Checks a tenant name, username and password. `allowed` is the way in's own
    /// requirement (the console's is `is_admin`), checked only once the password is known
    /// to be right, as are the lock and the employment period. Every refusal is noted for
    /// the audit log and the server log.
    pub async fn authenticate(
        &self,
        via: Via,
        a: Attempt<'_>,
        allowed: impl FnOnce(&User) -> bool,
    ) -> Result<LoggedIn, LoginError> {
        let (tenant_name, username, ip) = (a.tenant, a.username, a.ip);
        let result = check(self, a, allowed).await;
        if let Some(reason) = result.as_ref().err().and_then(LoginError::reason) {
            self.metrics.login_failed(via.as_str(), reason);
            note_refusal(self, via, tenant_name, username, ip, reason);
        }
        result
    }
}

/// A password login as it was asked for: by the console's form or the mobile API.
pub struct Attempt<'a> {
    pub tenant: &'a str,
    pub username: &'a str,
    pub password: String,
    /// The client's address, for the per-address limit and the audit log.
    pub ip: Option<IpAddr>,
}

/// Who proved their password.
pub struct LoggedIn {
    pub tenant: Tenant,
    pub user: User,
    /// The stored hash the password matched: a session starts only while it is still the
    /// user's, so a password reset that races the login wins.
    pub checked_hash: String,
}

async fn check(
    st: &Login,
    a: Attempt<'_>,
    allowed: impl FnOnce(&User) -> bool,
) -> Result<LoggedIn, LoginError> {
    let Attempt {
        tenant: tenant_name,
        username,
        password: pw,
        ip,
    } = a;
    let limiter = &st.limiter;
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
        Some((t, u, h)) => (h.clone(), Some((t, u, h))),
        None => (None, None),
    };
    // Unknown users are checked against a dummy hash so that they take as long.
    let Ok(ok) = st.passwords.verify(pw, stored).await else {
        limiter.take_back(tenant_name, username, ip);
        return Err(LoginError::Busy);
    };
    let Some((tenant, user, Some(checked_hash))) = found.filter(|_| ok) else {
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
    Ok(LoggedIn {
        tenant,
        user,
        checked_hash,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(window: u64, per_user: u32, per_ip: u32, per_user_logins: u32) -> LoginLimiter {
        LoginLimiter::new(LoginLimits {
            window: Duration::from_secs(window),
            per_user,
            per_ip,
            per_user_logins,
            ..LoginLimits::default()
        })
    }

    fn limiter(per_user: u32, per_ip: u32) -> LoginLimiter {
        limits(60, per_user, per_ip, 1000)
    }

    /// Whether `user` of tenant `acme` may try a login from 10.0.0.`host`.
    fn may(l: &LoginLimiter, user: &str, host: u8) -> bool {
        l.attempt("acme", user, Some([10, 0, 0, host].into()))
            .is_ok()
    }

    #[test]
    fn successful_logins_count_against_the_account_too() {
        let l = limits(60, 5, 100, 3);
        for _ in 0..3 {
            assert!(may(&l, "ola", 5));
            l.record_success("acme", "ola", Some([10, 0, 0, 5].into()));
        }
        assert!(!may(&l, "Ola", 5));
        assert!(may(&l, "kari", 5));
    }

    #[test]
    fn an_account_is_refused_after_its_attempts_and_others_are_not() {
        let l = limiter(3, 100);
        for _ in 0..3 {
            assert!(may(&l, "ola", 1));
        }
        let ip: IpAddr = [10, 0, 0, 1].into();
        let wait = l.attempt("acme", "OLA", Some(ip)).unwrap_err();
        assert!(wait > Duration::from_secs(50) && wait <= Duration::from_secs(60));
        assert!(may(&l, "kari", 1));
        assert!(l.attempt("other", "ola", Some(ip)).is_ok());
    }

    #[test]
    fn an_address_is_refused_after_its_attempts_across_accounts() {
        let l = limiter(100, 4);
        for n in 0..4 {
            assert!(may(&l, &format!("user{n}"), 2));
        }
        assert!(!may(&l, "someone-else", 2));
        assert!(may(&l, "someone-else", 3));
    }

    #[test]
    fn success_takes_back_its_attempt_and_clears_the_account() {
        let l = limiter(2, 2);
        let ip: IpAddr = [10, 0, 0, 4].into();
        for _ in 0..2 {
            assert!(may(&l, "ola", 4));
            l.record_success("acme", "ola", Some(ip));
        }
        // Two good logins used nothing up; two failures would.
        assert!(may(&l, "ola", 4));
        assert!(may(&l, "ola", 4));
        assert!(!may(&l, "ola", 4));
    }

    #[test]
    fn an_attempt_taken_back_counts_nothing() {
        let l = limiter(1, 1);
        assert!(may(&l, "ola", 6));
        l.take_back("acme", "ola", Some([10, 0, 0, 6].into()));
        assert!(may(&l, "ola", 6));
        assert!(!may(&l, "ola", 6));
    }

    #[test]
    fn attempts_stop_counting_when_the_window_ends() {
        let l = limits(0, 1, 1, 1);
        assert!(l.attempt("acme", "ola", None).is_ok());
        assert!(l.attempt("acme", "ola", None).is_ok());
    }
}
