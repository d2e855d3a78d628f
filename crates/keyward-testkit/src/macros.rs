//! The same test on both stores: one `sqlite` and one `postgres` test function per name,
//! the second skipped (with the reason printed) when no test PostgreSQL is configured.
//! The calling crate needs `tokio` (with `macros` and `rt-multi-thread`).

/// Runs `body` against a fresh server on each store. An entry `name => body with tweak;`
/// runs it on a server whose configuration `tweak` (a `fn(&mut ServerConfig)` of the
/// calling module) changes first. With a leading `backend:`, `body` takes the
/// [`Backend`](crate::Backend) instead and starts its own server.
#[macro_export]
macro_rules! on_both_backends {
    (backend: $($name:ident => $body:ident;)*) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$body($crate::Backend::Sqlite).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if $crate::Backend::Postgres.skipped() {
                    return;
                }
                super::$body($crate::Backend::Postgres).await;
            }
        }
    )*};
    () => {};
    ($name:ident => $body:ident with $tweak:ident; $($rest:tt)*) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::TestApp::spawn_tweaked($crate::Backend::Sqlite, super::$tweak).await;
                super::$body(app).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if $crate::Backend::Postgres.skipped() {
                    return;
                }
                let app = $crate::TestApp::spawn_tweaked($crate::Backend::Postgres, super::$tweak).await;
                super::$body(app).await;
            }
        }
        $crate::on_both_backends! { $($rest)* }
    };
    ($name:ident => $body:ident; $($rest:tt)*) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::TestApp::spawn($crate::Backend::Sqlite).await;
                super::$body(app).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if $crate::Backend::Postgres.skipped() {
                    return;
                }
                let app = $crate::TestApp::spawn($crate::Backend::Postgres).await;
                super::$body(app).await;
            }
        }
        $crate::on_both_backends! { $($rest)* }
    };
}
