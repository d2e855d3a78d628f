//! Fills a keyward store with tokens for the benchmarks.
//!
//! - `seed DATA_DIR N [TENANT]`: creates a tenant (`TENANT`, or `bench-…`) with one user,
//!   department, user type and membership, inserts N API tokens through the store, and
//!   prints the last token's secret on standard output.
//! - `seed DATA_DIR N TENANT --bench OUT_DIR` (bench/load.sh): fills the existing tenant
//!   `TENANT` (the bootstrapped one) with N live tokens spread over 100 members, 1,000
//!   revoked ones and the objects of a churn, and writes `valid.txt`, `revoked.txt`, `unknown.txt`,
//!   `malformed.txt` (one secret a line) and `churn.tsv` (`METHOD PATH BODY`) to OUT_DIR.
//!   The secrets are a throwaway fixture of the benchmark: the script deletes OUT_DIR.
//!
//! The store is SQLite in DATA_DIR, or PostgreSQL when `KEYWARD_DATABASE_URL` is set (the
//! server key is read from DATA_DIR either way). Run it while the server is stopped, or
//! let the server pick the tokens up through the change log.

use keyward_core::TokenId;
use keyward_store::Store;
use keyward_testkit::seeding;
use std::path::{Path, PathBuf};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(dir), Some(n)) = (args.first(), args.get(1)) else {
        anyhow::bail!("usage: seed DATA_DIR N [TENANT [--bench OUT_DIR]]");
    };
    let tenant = args
        .get(2)
        .cloned()
        .unwrap_or_else(|| format!("bench-{}", TokenId::new().0.simple()));
    let bench_out = match (args.get(3).map(String::as_str), args.get(4)) {
        (Some("--bench"), Some(out)) => Some(PathBuf::from(out)),
        (None, _) => None,
        _ => anyhow::bail!("usage: seed DATA_DIR N [TENANT [--bench OUT_DIR]]"),
    };
    let dir = PathBuf::from(dir);
    let n: usize = n.parse()?;
    let configured = std::env::var("KEYWARD_SERVER_KEY").ok();
    let key = keyward_server::keys::load_or_create(&dir, configured.as_deref())?;
    let store = match std::env::var("KEYWARD_DATABASE_URL") {
        Ok(url) => Store::open(&url).await?,
        Err(_) => Store::open_sqlite_dir(&dir).await?,
    };
    match bench_out {
        None => {
            let last = seeding::fill(&store, &key, &tenant, n).await?;
            println!("{last}");
        }
        Some(out) => {
            let set = seeding::fill_for_bench(&store, &key, &tenant, n).await?;
            std::fs::create_dir_all(&out)?;
            write_lines(&out.join("valid.txt"), &set.valid)?;
            write_lines(&out.join("revoked.txt"), &set.revoked)?;
            write_lines(&out.join("unknown.txt"), &set.unknown)?;
            write_lines(&out.join("malformed.txt"), &set.malformed)?;
            write_lines(&out.join("churn.tsv"), &set.churn)?;
        }
    }
    store.close().await;
    Ok(())
}

fn write_lines(path: &Path, lines: &[String]) -> std::io::Result<()> {
    let mut text = lines.join("\n");
    text.push('\n');
    std::fs::write(path, text)
}
