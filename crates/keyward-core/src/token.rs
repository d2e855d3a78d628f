//! The token format of SPEC §2:
//! `{prefix}_{64 base62 random chars}{6 base62 chars of CRC32}`.
//!
//! The checksum is CRC32 (IEEE) over the ASCII bytes of the prefix followed by the 64
//! random characters (without the underscore), written as 6 base62 digits, most
//! significant first, zero-padded. It lets a malformed or mistyped token be refused
//! without touching storage, and lets secret scanners recognise keyward tokens with few
//! false positives.

use rand::RngCore;
use std::fmt;

const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
pub const RANDOM_LEN: usize = 64;
pub const CHECKSUM_LEN: usize = 6;
/// Length of every keyward token: 3-char prefix, `_`, random part, checksum.
pub const TOKEN_LEN: usize = 3 + 1 + RANDOM_LEN + CHECKSUM_LEN;

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    /// `kwa_`: an integration (API) token bound to a user, department and user type.
    Api,
    /// `kwm_`: a mobile app session.
    Mobile,
    /// `kwp_`: a primary endpoint token (one per endpoint and method).
    Primary,
    /// `kws_`: a secondary endpoint token (one per external application).
    Secondary,
    /// `kwv_`: a verifier key, a protected service's credential for asking checks of its
    /// tenant's tokens (SPEC §4). It opens nothing itself.
    Verifier,
}

impl TokenKind {
    pub const ALL: [TokenKind; 5] = [
        Self::Api,
        Self::Mobile,
        Self::Primary,
        Self::Secondary,
        Self::Verifier,
    ];

    pub fn prefix(self) -> &'static str {
        match self {
            Self::Api => "kwa",
            Self::Mobile => "kwm",
            Self::Primary => "kwp",
            Self::Secondary => "kws",
            Self::Verifier => "kwv",
        }
    }

    pub fn from_prefix(prefix: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.prefix() == prefix)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Api => "api",
            Self::Mobile => "mobile",
            Self::Primary => "primary",
            Self::Secondary => "secondary",
            Self::Verifier => "verifier",
        }
    }

    pub fn parse_name(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Why a string is not a keyward token. Deliberately coarse: callers answer `NOT_FOUND`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenFormatError {
    #[error("a keyward token is {TOKEN_LEN} characters long")]
    Length,
    #[error("unknown token prefix")]
    Prefix,
    #[error("a keyward token contains only letters and digits after its prefix")]
    Alphabet,
    #[error("token checksum does not match (mistyped or truncated token)")]
    Checksum,
}

/// A plaintext token. Its `Debug` never shows the secret, so it cannot leak into logs by
/// accident; the only way out is [`TokenSecret::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct TokenSecret(String);

impl TokenSecret {
    /// A fresh token from the operating system's random source.
    pub fn generate(kind: TokenKind) -> Self {
        let mut rng = rand::rngs::OsRng;
        let mut out = String::with_capacity(TOKEN_LEN);
        out.push_str(kind.prefix());
        out.push('_');
        // Rejection sampling keeps every character uniformly distributed.
        let mut buf = [0u8; 96];
        let mut produced = 0;
        while produced < RANDOM_LEN {
            rng.fill_bytes(&mut buf);
            for b in buf {
                if produced == RANDOM_LEN {
                    break;
                }
                if b < 248 {
                    out.push(ALPHABET[(b % 62) as usize] as char);
                    produced += 1;
                }
            }
        }
        let crc = checksum(kind.prefix(), &out[4..]);
        out.extend(crc.map(char::from));
        Self(out)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    /// The display hint kept at rest: prefix, first 4 and last 4 characters.
    pub fn hint(&self) -> String {
        hint_of(&self.0)
    }
}

impl fmt::Debug for TokenSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenSecret({})", self.hint())
    }
}

/// `kwa_Ab3d…x9Qz`. Only meaningful for strings already known to be well-formed.
pub fn hint_of(token: &str) -> String {
    let n = token.len();
    if n < 12 || !token.is_ascii() {
        return "…".to_string();
    }
    format!("{}{}…{}", &token[..4], &token[4..8], &token[n - 4..])
}

/// A string that has the shape and checksum of a keyward token.
#[derive(Clone, Copy, Debug)]
pub struct ParsedToken<'a> {
    pub kind: TokenKind,
    pub raw: &'a str,
}

impl<'a> ParsedToken<'a> {
    pub fn parse(raw: &'a str) -> Result<Self, TokenFormatError> {
        if raw.len() != TOKEN_LEN {
            return Err(TokenFormatError::Length);
        }
        let bytes = raw.as_bytes();
        if bytes[3] != b'_' || !raw.is_ascii() {
            return Err(TokenFormatError::Prefix);
        }
        let kind = TokenKind::from_prefix(&raw[..3]).ok_or(TokenFormatError::Prefix)?;
        if !bytes[4..].iter().all(u8::is_ascii_alphanumeric) {
            return Err(TokenFormatError::Alphabet);
        }
        let body = &raw[4..4 + RANDOM_LEN];
        let expected = checksum(kind.prefix(), body);
        if expected[..] != bytes[4 + RANDOM_LEN..] {
            return Err(TokenFormatError::Checksum);
        }
        Ok(Self { kind, raw })
    }
}

/// The shortest and longest key of another system keyward imports.
pub const FOREIGN_KEY_LEN: std::ops::RangeInclusive<usize> = 16..=256;

/// Why a key of another system cannot be imported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ForeignKeyError {
    #[error("the key must be 16 to 256 characters long")]
    Length,
    #[error("the key may hold only visible ASCII characters (no spaces or control characters)")]
    Characters,
    #[error("this is a keyward {0} token: keyward makes those itself, they are never imported")]
    KeywardKind(&'static str),
    #[error("this has the shape of a keyward token but its checksum is wrong (mistyped?)")]
    KeywardChecksum,
}

/// Whether `raw` has a keyward token's prefix and length, checksum or not.
fn keyward_shaped(raw: &str) -> bool {
    raw.len() == TOKEN_LEN
        && raw.as_bytes().get(3) == Some(&b'_')
        && raw.get(..3).and_then(TokenKind::from_prefix).is_some()
}

/// Whether `key` can be imported as an API token: 16 to 256 visible ASCII characters,
/// and not a keyward token of another kind than an API token (a `kwa_` token from
/// another keyward installation imports like any key; a session, endpoint or verifier
/// key is routed to its own kind and could never verify as an imported API token).
pub fn check_foreign_key(key: &str) -> Result<(), ForeignKeyError> {
    if !FOREIGN_KEY_LEN.contains(&key.len()) {
        return Err(ForeignKeyError::Length);
    }
    if !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ForeignKeyError::Characters);
    }
    match ParsedToken::parse(key) {
        Ok(p) if p.kind != TokenKind::Api => Err(ForeignKeyError::KeywardKind(p.kind.as_str())),
        Ok(_) => Ok(()),
        Err(_) if keyward_shaped(key) => Err(ForeignKeyError::KeywardChecksum),
        Err(_) => Ok(()),
    }
}

/// Whether `raw` has the shape of an importable key that is no keyward token: what a
/// check looks up among imported secrets. A mistyped keyward token (its prefix and
/// length, a wrong checksum) is none: it is refused as malformed, as before imports.
pub fn has_foreign_key_shape(raw: &str) -> bool {
    FOREIGN_KEY_LEN.contains(&raw.len())
        && raw.bytes().all(|b| b.is_ascii_graphic())
        && !keyward_shaped(raw)
}

/// The hint of an imported key: at most 8 of its characters, the first and last four
/// (`sk_l…9xQz`) of a key of 24 or more, only the last four (`…9xQz`) of a shorter one.
/// A keyward token keeps its own hint.
pub fn foreign_key_hint(key: &str) -> String {
    if ParsedToken::parse(key).is_ok() {
        return hint_of(key);
    }
    let n = key.len();
    if n >= 24 {
        format!("{}…{}", &key[..4], &key[n - 4..])
    } else {
        format!("…{}", &key[n.saturating_sub(4)..])
    }
}

/// The checksum characters of a token's prefix and random part (ASCII letters and
/// digits), without an allocation: every check computes one.
fn checksum(prefix: &str, random: &str) -> [u8; CHECKSUM_LEN] {
    let mut h = crc32fast::Hasher::new();
    h.update(prefix.as_bytes());
    h.update(&random.as_bytes()[..RANDOM_LEN]);
    let mut v = h.finalize() as u64;
    let mut digits = [b'0'; CHECKSUM_LEN];
    for d in digits.iter_mut().rev() {
        *d = ALPHABET[(v % 62) as usize];
        v /= 62;
    }
    digits
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn foreign_keys_are_checked_and_hinted_without_revealing_them() {
        let stripe_like = "sk_live_51HqA9xYzAbCdEfGhIjKlMnOp";
        assert_eq!(check_foreign_key(stripe_like), Ok(()));
        assert_eq!(foreign_key_hint(stripe_like), "sk_l…MnOp");
        assert_eq!(foreign_key_hint("0123456789abcdef"), "…cdef");
        assert_eq!(
            check_foreign_key("short-key-123"),
            Err(ForeignKeyError::Length)
        );
        assert_eq!(
            check_foreign_key(&"x".repeat(257)),
            Err(ForeignKeyError::Length)
        );
        assert_eq!(
            check_foreign_key("has a space in it!"),
            Err(ForeignKeyError::Characters)
        );
        assert_eq!(
            check_foreign_key("non-ascii-æøå-key-0000"),
            Err(ForeignKeyError::Characters)
        );
        let api = TokenSecret::generate(TokenKind::Api);
        assert_eq!(check_foreign_key(api.expose()), Ok(()));
        assert_eq!(foreign_key_hint(api.expose()), api.hint());
        for kind in [TokenKind::Mobile, TokenKind::Primary, TokenKind::Verifier] {
            let t = TokenSecret::generate(kind);
            assert!(matches!(
                check_foreign_key(t.expose()),
                Err(ForeignKeyError::KeywardKind(_))
            ));
        }
        assert!(has_foreign_key_shape(stripe_like));
        assert!(!has_foreign_key_shape("a b c d e f g h i j"));
        // One character of a keyward token changed: its checksum fails, and it stays a
        // malformed keyward token rather than a key of another system.
        let mut typo = api.expose().to_string();
        let last = if typo.ends_with('A') { "B" } else { "A" };
        typo.replace_range(typo.len() - 1.., last);
        assert!(!has_foreign_key_shape(&typo));
        assert_eq!(
            check_foreign_key(&typo),
            Err(ForeignKeyError::KeywardChecksum)
        );
    }

    #[test]
    fn generated_tokens_have_documented_shape() {
        for kind in TokenKind::ALL {
            let t = TokenSecret::generate(kind);
            assert_eq!(t.expose().len(), TOKEN_LEN);
            assert!(t.expose().starts_with(&format!("{}_", kind.prefix())));
            assert_eq!(ParsedToken::parse(t.expose()).unwrap().kind, kind);
        }
    }

    #[test]
    fn hint_shows_prefix_first_and_last_four() {
        let t = TokenSecret::generate(TokenKind::Api);
        let s = t.expose();
        assert_eq!(t.hint(), format!("kwa_{}…{}", &s[4..8], &s[s.len() - 4..]));
        assert!(!format!("{t:?}").contains(s));
    }

    #[test]
    fn malformed_strings_are_refused() {
        assert_eq!(
            ParsedToken::parse("").unwrap_err(),
            TokenFormatError::Length
        );
        assert_eq!(
            ParsedToken::parse(&"x".repeat(10_000)).unwrap_err(),
            TokenFormatError::Length
        );
        let t = TokenSecret::generate(TokenKind::Api).into_string();
        let other_prefix = format!("kwz{}", &t[3..]);
        assert_eq!(
            ParsedToken::parse(&other_prefix).unwrap_err(),
            TokenFormatError::Prefix
        );
        let bad_char = format!("{}-{}", &t[..10], &t[11..]);
        assert_eq!(
            ParsedToken::parse(&bad_char).unwrap_err(),
            TokenFormatError::Alphabet
        );
        // A token of one kind relabelled as another fails the checksum: the prefix is covered.
        let relabelled = format!("kwm{}", &t[3..]);
        assert_eq!(
            ParsedToken::parse(&relabelled).unwrap_err(),
            TokenFormatError::Checksum
        );
    }

    proptest! {
        #[test]
        fn every_generated_token_parses(k in 0usize..5) {
            let kind = TokenKind::ALL[k];
            let t = TokenSecret::generate(kind);
            prop_assert_eq!(ParsedToken::parse(t.expose()).unwrap().kind, kind);
        }

        #[test]
        fn any_single_character_change_is_refused(k in 0usize..5, pos in 4usize..TOKEN_LEN, c in 0usize..62) {
            let t = TokenSecret::generate(TokenKind::ALL[k]).into_string();
            let mut bytes = t.clone().into_bytes();
            let replacement = ALPHABET[c];
            prop_assume!(bytes[pos] != replacement);
            bytes[pos] = replacement;
            let changed = String::from_utf8(bytes).unwrap();
            prop_assert!(ParsedToken::parse(&changed).is_err());
        }
    }
}
