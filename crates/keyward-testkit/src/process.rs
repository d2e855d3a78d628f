//! For tests that run the `keyward` binary itself: free ports, temporary directories that
//! remove themselves, child processes that are killed when dropped, and the bootstrap.

use serde_json::Value;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A loopback port nothing listens on now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

/// A directory under the temp dir, removed with everything in it when dropped.
pub struct Dir(pub PathBuf);

impl Dir {
    /// A fresh name, not created: for keyward to create as its data directory.
    pub fn named(what: &str) -> Self {
        Self(std::env::temp_dir().join(format!("kw-{what}-{}", uuid::Uuid::new_v4().simple())))
    }

    /// A fresh directory, created.
    pub fn new(what: &str) -> Self {
        let d = Self::named(what);
        std::fs::create_dir_all(&d.0).expect("create a temporary directory");
        d
    }

    /// The path as a string, for command lines.
    pub fn arg(&self) -> String {
        self.0.display().to_string()
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A child process, killed and waited for when dropped (also when a test panics).
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The program `bin` (a test's `env!("CARGO_BIN_EXE_keyward")`) with none of the caller's
/// `KEYWARD_*` variables, so a developer's own settings cannot leak into a test, and with
/// nothing on standard input.
pub fn command(bin: &str) -> Command {
    let mut c = Command::new(bin);
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("KEYWARD_") {
            c.env_remove(k);
        }
    }
    c.stdin(Stdio::null());
    c
}

/// Runs `cmd` (a `keyward bootstrap …` command line, without `--json`) with `--json`,
/// asserts that it succeeded, and returns the administrator token it printed.
pub fn bootstrap_token(mut cmd: Command) -> String {
    let out = cmd.arg("--json").output().expect("run keyward bootstrap");
    assert!(
        out.status.success(),
        "bootstrap failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let boot: Value = serde_json::from_slice(&out.stdout).expect("bootstrap --json prints JSON");
    boot["token"]
        .as_str()
        .expect("bootstrap prints a token")
        .to_string()
}

/// Waits until `{base}/healthz` answers with a success, failing the test after `within`.
pub async fn wait_until_healthy(base: &str, within: Duration) {
    let url = format!("{base}/healthz");
    let deadline = Instant::now() + within;
    while !reqwest::get(&url)
        .await
        .is_ok_and(|r| r.status().is_success())
    {
        assert!(Instant::now() < deadline, "keyward did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
