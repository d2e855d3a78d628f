use serde::{Deserialize, Serialize};
use std::fmt;

/// A token secret (or a string that contains one, such as a ready `curl` line) in a
/// response. `Debug` does not show it, so a secret cannot leak through a log line or a
/// panic message; call [`Secret::expose`] on purpose. On the wire it is a plain string.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Self(s)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_contains_the_secret() {
        let s = Secret::new("kwa_supersecret");
        assert!(!format!("{s:?}").contains("supersecret"));
        assert_eq!(s.expose(), "kwa_supersecret");
        assert_eq!(serde_json::to_string(&s).unwrap(), r#""kwa_supersecret""#);
    }
}
