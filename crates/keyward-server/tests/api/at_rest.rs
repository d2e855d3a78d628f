//! At rest, every tenant's data and the server key are private to the account keyward
//! runs as: the data directory is 0700 and the database files and key 0600, from the
//! start. An existing directory is left as the operator made it.
#![cfg(unix)]

use keyward_testkit::{on_both_backends, Backend, TestApp};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// The permission bits, in octal as `ls` and `chmod` write them.
fn mode(p: &Path) -> String {
    let m = std::fs::metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .permissions()
        .mode();
    format!("{:o}", m & 0o777)
}

async fn private_from_the_start(backend: Backend) {
    let app = TestApp::spawn_adjusted(backend, |c| {
        // A directory keyward has to create itself (the test's temp dir exists already).
        c.data_dir = c.data_dir.join("new/data");
    })
    .await;
    // Something written, so SQLite's -wal and -shm exist.
    app.member("svc", &["orders:read"]).await;
    let dir = &app.config.data_dir;
    assert_eq!(mode(dir), "700", "{}", dir.display());
    assert_eq!(mode(&dir.join("server.key")), "600");
    if let Backend::Sqlite = backend {
        for file in ["keyward.db", "keyward.db-wal", "keyward.db-shm"] {
            assert_eq!(mode(&dir.join(file)), "600", "{file}");
        }
    }
}

on_both_backends! { backend:
    the_data_directory_database_files_and_key_are_private_to_the_owner => private_from_the_start;
}

/// Files from an earlier start (or an older keyward) that others can read are narrowed;
/// the operator's directory is not changed, only warned about.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keywards_own_open_files_are_narrowed_and_an_open_directory_is_left_alone() {
    let mut dir = None;
    let app = TestApp::spawn_adjusted(Backend::Sqlite, |c| {
        let d = c.data_dir.join("shared");
        std::fs::create_dir(&d).unwrap();
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o755)).unwrap();
        for file in ["keyward.db", "server.key"] {
            let p = d.join(file);
            if file == "server.key" {
                std::fs::write(&p, "ab".repeat(32)).unwrap();
            } else {
                std::fs::write(&p, b"").unwrap();
            }
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        c.data_dir = d.clone();
        dir = Some(d);
    })
    .await;
    let dir = dir.unwrap();
    assert_eq!(app.get_ok("/api/v1/users").await["total"], 1);
    assert_eq!(mode(&dir), "755", "the operator's directory was changed");
    for file in [
        "keyward.db",
        "keyward.db-wal",
        "keyward.db-shm",
        "server.key",
    ] {
        assert_eq!(mode(&dir.join(file)), "600", "{file}");
    }
}
