//! The server key and what is derived from it: the HMAC-SHA256 under which token hashes
//! are kept, and the AES-256-GCM key that seals secrets under the `recoverable` policy.
//! Each use gets its own subkey, so a hash can never be confused with a ciphertext key.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use std::fmt;

type HmacSha256 = Hmac<Sha256>;

pub const KEY_LEN: usize = 32;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    #[error("the server key must be {KEY_LEN} bytes written as 64 hexadecimal characters")]
    Malformed,
    #[error("a sealed secret could not be opened (wrong server key or damaged data)")]
    Unseal,
}

/// The 256-bit server key. Every node of a cluster must share it.
#[derive(Clone)]
pub struct ServerKey {
    hash_key: HmacSha256,
    seal_key: Aes256Gcm,
}

impl fmt::Debug for ServerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ServerKey(…)")
    }
}

impl ServerKey {
    pub fn generate() -> [u8; KEY_LEN] {
        let mut k = [0u8; KEY_LEN];
        rand::rngs::OsRng.fill_bytes(&mut k);
        k
    }

    pub fn from_bytes(master: &[u8; KEY_LEN]) -> Self {
        let derive = |label: &[u8]| -> [u8; 32] {
            let mut m =
                <HmacSha256 as Mac>::new_from_slice(master).expect("HMAC takes any key length");
            m.update(label);
            m.finalize().into_bytes().into()
        };
        let hash_key = <HmacSha256 as Mac>::new_from_slice(&derive(b"keyward token-hash v1"))
            .expect("HMAC takes any key length");
        let seal_key =
            Aes256Gcm::new_from_slice(&derive(b"keyward secret-seal v1")).expect("32-byte AES key");
        Self { hash_key, seal_key }
    }

    pub fn from_hex(hex_key: &str) -> Result<Self, KeyError> {
        let bytes = decode_hex(hex_key.trim()).ok_or(KeyError::Malformed)?;
        let arr: [u8; KEY_LEN] = bytes.try_into().map_err(|_| KeyError::Malformed)?;
        Ok(Self::from_bytes(&arr))
    }

    /// HMAC-SHA256(server key, token): what storage keeps and looks up.
    pub fn hash_token(&self, token: &str) -> TokenHash {
        let mut m = self.hash_key.clone();
        m.update(token.as_bytes());
        TokenHash(m.finalize().into_bytes().into())
    }

    /// Seals a secret for the `recoverable` policy. `context` (the token id) is bound as
    /// associated data so a sealed value cannot be moved to another token.
    pub fn seal(&self, plaintext: &str, context: &[u8]) -> String {
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let ct = self
            .seal_key
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: context,
                },
            )
            .expect("AES-GCM encryption of a short secret cannot fail");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        encode_hex(&out)
    }

    pub fn unseal(&self, sealed: &str, context: &[u8]) -> Result<String, KeyError> {
        let raw = decode_hex(sealed).ok_or(KeyError::Unseal)?;
        if raw.len() < 12 + 16 {
            return Err(KeyError::Unseal);
        }
        let (nonce, ct) = raw.split_at(12);
        let pt = self
            .seal_key
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ct,
                    aad: context,
                },
            )
            .map_err(|_| KeyError::Unseal)?;
        String::from_utf8(pt).map_err(|_| KeyError::Unseal)
    }
}

/// HMAC of a token under the server key. Lookups are by this value, never by plaintext.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenHash(pub [u8; 32]);

impl TokenHash {
    pub fn to_hex(&self) -> String {
        encode_hex(&self.0)
    }

    pub fn from_hex(s: &str) -> Option<Self> {
        decode_hex(s)?.try_into().ok().map(Self)
    }

    /// The first 8 bytes, for the in-memory set of known hashes.
    pub fn prefix64(&self) -> u64 {
        u64::from_be_bytes(self.0[..8].try_into().expect("8 bytes"))
    }
}

impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenHash({:016x}…)", self.prefix64())
    }
}

pub fn encode_hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(HEX[(b >> 4) as usize] as char);
        s.push(HEX[(b & 15) as usize] as char);
    }
    s
}

pub fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    let val = |c: u8| -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    };
    s.as_bytes()
        .chunks(2)
        .map(|p| Some(val(p[0])? << 4 | val(p[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_depends_on_key_and_token() {
        let a = ServerKey::from_bytes(&[1; 32]);
        let b = ServerKey::from_bytes(&[2; 32]);
        assert_eq!(a.hash_token("kwa_x"), a.hash_token("kwa_x"));
        assert_ne!(a.hash_token("kwa_x"), a.hash_token("kwa_y"));
        assert_ne!(a.hash_token("kwa_x"), b.hash_token("kwa_x"));
    }

    #[test]
    fn sealed_secret_opens_only_with_same_key_and_context() {
        let k = ServerKey::from_bytes(&[7; 32]);
        let sealed = k.seal("kwa_secret", b"token-1");
        assert!(!sealed.contains("secret"));
        assert_eq!(k.unseal(&sealed, b"token-1").unwrap(), "kwa_secret");
        assert_eq!(k.unseal(&sealed, b"token-2"), Err(KeyError::Unseal));
        let other = ServerKey::from_bytes(&[8; 32]);
        assert_eq!(other.unseal(&sealed, b"token-1"), Err(KeyError::Unseal));
    }

    #[test]
    fn hex_key_round_trip_and_errors() {
        let hex = encode_hex(&[9; 32]);
        assert!(ServerKey::from_hex(&hex).is_ok());
        assert_eq!(ServerKey::from_hex("abc").unwrap_err(), KeyError::Malformed);
        assert_eq!(
            ServerKey::from_hex(&"zz".repeat(32)).unwrap_err(),
            KeyError::Malformed
        );
    }
}
