//! The client's one error type. An API refusal keeps the problem document of RFC 9457 so
//! callers can branch on `code` and show `detail`; a failure to reach the server names the
//! server's URL, since that is the first thing to check.

use reqwest::StatusCode;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::time::Duration;

/// An RFC 9457 problem document as keyward sends it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    #[serde(rename = "type", default)]
    pub type_: String,
    #[serde(default)]
    pub title: String,
    pub status: u16,
    #[serde(default)]
    pub detail: String,
    /// Stable and machine-readable: `validation`, `not_a_member`, `not_found`, …
    pub code: String,
    /// An import's refused items (`import_refused`); empty for every other problem.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub refused: Vec<keyward_proto::tokens::ImportRefusal>,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.status, self.code, self.detail)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The server answered with an error status. Displays as `422 not_a_member: …`.
    #[error("{0}")]
    Api(Box<Problem>),
    /// No answer: connection refused, DNS failure, TLS failure, connection reset.
    #[error("cannot reach the keyward server at {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("the keyward server at {url} did not answer within {after:?}")]
    Timeout { url: String, after: Duration },
    /// A success status whose body this client cannot read (a proxy page, or a server
    /// of another version).
    #[error("the server at {url} sent a response this client cannot read: {reason}")]
    Decode { url: String, reason: String },
    #[error("invalid server URL {url:?}: {reason}")]
    InvalidUrl { url: String, reason: String },
    #[error("this request needs an administrator's API token, and the client has none")]
    MissingToken,
    #[error("cannot set up the HTTP client: {0}")]
    Setup(String),
}

impl Error {
    /// The problem document, when the server refused the request.
    pub fn problem(&self) -> Option<&Problem> {
        match self {
            Self::Api(p) => Some(p),
            _ => None,
        }
    }

    /// The HTTP status of a refusal.
    pub fn status(&self) -> Option<u16> {
        self.problem().map(|p| p.status)
    }

    /// The problem's `code` of a refusal, e.g. `not_found`.
    pub fn code(&self) -> Option<&str> {
        self.problem().map(|p| p.code.as_str())
    }

    /// The error for a non-success response: the problem document if the body is one,
    /// otherwise a problem made up from the status, saying the answer was not keyward's.
    pub(crate) fn from_response(base: &str, status: StatusCode, body: &[u8]) -> Self {
        if let Ok(p) = serde_json::from_slice::<Problem>(body) {
            if !p.code.is_empty() {
                return Self::Api(Box::new(Problem {
                    status: status.as_u16(),
                    ..p
                }));
            }
        }
        let reason = status.canonical_reason().unwrap_or("error");
        Self::Api(Box::new(Problem {
            type_: "about:blank".into(),
            title: reason.into(),
            status: status.as_u16(),
            detail: format!(
                "{reason}, without a problem document; is {base} a keyward server (of a compatible version)?"
            ),
            code: "unexpected_response".into(),
            refused: Vec::new(),
        }))
    }

    pub(crate) fn from_transport(base: &str, timeout: Duration, e: reqwest::Error) -> Self {
        if e.is_timeout() {
            return Self::Timeout {
                url: base.into(),
                after: timeout,
            };
        }
        Self::Unreachable {
            url: base.into(),
            reason: root_cause(&e),
        }
    }
}

/// reqwest nests the useful part ("Connection refused (os error 111)") several sources
/// deep under generic wrappers; show the innermost message.
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_document_displays_as_status_code_and_detail() {
        let body = br#"{"type":"urn:keyward:problem:not_a_member","title":"Unprocessable Entity","status":422,"detail":"the user is not a member","code":"not_a_member"}"#;
        let e = Error::from_response("http://x", StatusCode::UNPROCESSABLE_ENTITY, body);
        assert_eq!(e.to_string(), "422 not_a_member: the user is not a member");
        assert_eq!(e.status(), Some(422));
        assert_eq!(e.code(), Some("not_a_member"));
    }

    #[test]
    fn a_body_that_is_not_a_problem_still_gives_the_status() {
        let e = Error::from_response("http://x", StatusCode::BAD_GATEWAY, b"<html>bad</html>");
        assert_eq!(e.status(), Some(502));
        assert_eq!(e.code(), Some("unexpected_response"));
        assert!(e.to_string().contains("is http://x a keyward server"));
    }
}
