//! Loading the server key: from configuration, or from `server.key` in the data directory,
//! generated on first start with permissions 0600 (an existing key file that others can
//! read is narrowed to 0600, with a warning), in a data directory created 0700.

use keyward_core::crypto::encode_hex;
use keyward_core::ServerKey;
use std::io::Write;
use std::path::Path;

pub fn load_or_create(data_dir: &Path, configured: Option<&str>) -> anyhow::Result<ServerKey> {
    if let Some(hex) = configured {
        return ServerKey::from_hex(hex).map_err(|e| anyhow::anyhow!("KEYWARD_SERVER_KEY: {e}"));
    }
    let path = data_dir.join("server.key");
    if path.exists() {
        keyward_store::private::narrow_if_present(&path)
            .map_err(|e| anyhow::anyhow!("cannot make {} private: {e}", path.display()))?;
        let text = std::fs::read_to_string(&path)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
        return ServerKey::from_hex(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()));
    }
    keyward_store::private::private_dir(data_dir)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", data_dir.display()))?;
    let bytes = ServerKey::generate();
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts
        .open(&path)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", path.display()))?;
    // Exactly 0600 whatever the umask (which could also have taken the owner's bits).
    #[cfg(unix)]
    f.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    f.write_all(encode_hex(&bytes).as_bytes())?;
    f.sync_all()?;
    tracing::info!(path = %path.display(), "generated a new server key");
    Ok(ServerKey::from_bytes(&bytes))
}
