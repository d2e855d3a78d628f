//! Fills a keyward data directory with tokens for the load test (bench/load.sh).
//! Usage: `seed DATA_DIR N [TENANT]`. Creates a tenant (`TENANT`, or `bench-…`) with one user, department, user type
//! and membership, inserts N API tokens through the store, and prints the last token's
//! secret on standard output. Run it while the server is stopped, or let the server pick
//! the tokens up through the change log.

use keyward_core::TokenId;
use keyward_store::Store;
use std::path::PathBuf;

use keyward_testkit::seeding;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(dir), Some(n)) = (args.next(), args.next()) else {
        anyhow::bail!("usage: seed DATA_DIR N [TENANT]");
    };
    let tenant = args
        .next()
        .unwrap_or_else(|| format!("bench-{}", TokenId::new().0.simple()));
    let dir = PathBuf::from(dir);
    let n: usize = n.parse()?;
    let configured = std::env::var("KEYWARD_SERVER_KEY").ok();
    let key = keyward_server::keys::load_or_create(&dir, configured.as_deref())?;
    let store = Store::open_sqlite_dir(&dir).await?;
    let last = seeding::fill(&store, &key, &tenant, n).await?;
    store.close().await;
    println!("{last}");
    Ok(())
}
