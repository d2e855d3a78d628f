//! Characters no field of keyward can hold are refused where input enters, once for every
//! route: a NUL (U+0000) anywhere in a JSON body or a form, and any control character
//! percent-encoded in the address (path segments and query strings). PostgreSQL cannot
//! store a NUL in text at all, so without this a NUL in any string was a 500 there (and
//! a stored oddity on SQLite). Other control characters in bodies are left to each
//! field's type: names refuse them, a description may hold a line break. The address is
//! checked by [`crate::edge::Edge`] before any route, the bodies by the extractors.

/// Whether a request target holds a percent-encoded control character (C0 or DEL) that
/// would decode into a path segment or query value. Raw ones never get this far: the
/// HTTP parser refuses them.
pub fn uri_has_control(path_and_query: &str) -> bool {
    let b = path_and_query.as_bytes();
    b.windows(3).any(|w| {
        w[0] == b'%' && {
            let hex = |c: u8| (c as char).to_digit(16);
            match (hex(w[1]), hex(w[2])) {
                (Some(hi), Some(lo)) => {
                    let v = hi * 16 + lo;
                    v < 0x20 || v == 0x7f
                }
                _ => false,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{form_has_nul, json_has_nul};

    #[test]
    fn a_json_nul_is_found_however_it_is_written_and_only_when_it_is_one() {
        assert!(json_has_nul(br#"{"username": "a\u0000b"}"#));
        assert!(json_has_nul(br#"{"a\u0000": 1}"#));
        assert!(
            json_has_nul(br#"["\\\u0000"]"#),
            "escaped backslash, then the escape"
        );
        assert!(
            json_has_nul(b"{\"a\": \"\0\"}"),
            "raw, though serde refuses it too"
        );
        assert!(
            !json_has_nul(br#"{"text": "\\u0000"}"#),
            "an escaped backslash and text"
        );
        assert!(!json_has_nul(br#"{"text": "\\\\u0000"}"#));
        assert!(!json_has_nul(br#"{"text": "u0000 \u0001"}"#));
        assert!(!json_has_nul(br#"{"path": "a%00b", "n": 0}"#));
        assert!(!json_has_nul(b""));
    }

    #[test]
    fn a_form_nul_is_found_raw_or_percent_encoded() {
        assert!(form_has_nul(b"token=a%00b"));
        assert!(form_has_nul(b"token=a\0b"));
        assert!(!form_has_nul(b"token=a%2500b&x=%0"));
        assert!(!form_has_nul(br"q=\u0000"), "not an escape in a form");
    }

    #[test]
    fn encoded_control_characters_in_the_address_are_found() {
        assert!(uri_has_control("/api/v1/tokens/%00"));
        assert!(uri_has_control("/api/v1/users?q=a%00"));
        assert!(uri_has_control("/api/v1/users?q=%0a"));
        assert!(uri_has_control("/e/acme/x%7F"));
        assert!(uri_has_control("/e/acme/x%1f"));
        assert!(!uri_has_control("/api/v1/users?q=%20%C3%85se%2500"));
        assert!(!uri_has_control("/api/v1/users?q=100%"));
        assert!(!uri_has_control("/api/v1/users?q=%zz"));
    }
}
