//! [`Open`]: an answer of the server with the members this client does not know kept
//! beside the ones it does, so that a client older than its server loses nothing it was
//! sent (`keyward token show --json` prints every member a newer server added).

use serde::de::{DeserializeOwned, Error as _};
use serde::ser::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};
use std::fmt;
use std::ops::{Deref, DerefMut};

/// A decoded object, and the members of it that `T` has no field for. Reads as a `T`
/// (it dereferences to one); serialises as the object it was decoded from.
#[derive(Clone, PartialEq)]
pub struct Open<T> {
    value: T,
    unknown: Map<String, Value>,
}

impl<T> Open<T> {
    pub fn into_inner(self) -> T {
        self.value
    }

    /// The members `T` has no field for, as the server sent them.
    pub fn unknown(&self) -> &Map<String, Value> {
        &self.unknown
    }
}

impl<T> Deref for Open<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T> DerefMut for Open<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.value
    }
}

impl<'de, T: DeserializeOwned + Serialize> Deserialize<'de> for Open<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut unknown = Map::<String, Value>::deserialize(d)?;
        let value: T =
            serde_json::from_value(Value::Object(unknown.clone())).map_err(D::Error::custom)?;
        // What `T` writes back is what it knows; the rest is what it would drop.
        if let Ok(Value::Object(known)) = serde_json::to_value(&value) {
            for name in known.keys() {
                unknown.remove(name);
            }
        }
        Ok(Self { value, unknown })
    }
}

impl<T: Serialize> Serialize for Open<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut v = serde_json::to_value(&self.value).map_err(S::Error::custom)?;
        if let Value::Object(m) = &mut v {
            for (name, x) in &self.unknown {
                m.entry(name.clone()).or_insert_with(|| x.clone());
            }
        }
        v.serialize(s)
    }
}

/// `T`'s own `Debug` (which hides secrets), and only the names of the unknown members:
/// their values could be anything, a secret included.
impl<T: fmt::Debug> fmt::Debug for Open<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.value.fmt(f)?;
        if !self.unknown.is_empty() {
            let names: Vec<&String> = self.unknown.keys().collect();
            write!(f, " + unknown members {names:?}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::Open;
    use keyward_proto::endpoints::EndpointWithSecrets;
    use keyward_proto::examples::{CHANGED_ENDPOINT, CREATED_TOKEN};
    use keyward_proto::tokens::TokenWithSecret;
    use keyward_proto::TokenStatus;
    use serde_json::{json, Value};

    /// The server's answer `body` as a newer server would send it, with one more member.
    fn with_member(body: &str, name: &str, value: Value) -> String {
        let mut v: Value = serde_json::from_str(body).unwrap();
        v[name] = value;
        v.to_string()
    }

    #[test]
    fn a_created_token_decodes_and_keeps_unknown_fields() {
        let body = with_member(CREATED_TOKEN, "some_future_field", json!(7));
        let t: Open<TokenWithSecret> = serde_json::from_str(&body).unwrap();
        assert_eq!(t.token.expose(), "kwa_secret");
        assert_eq!(t.details.status, TokenStatus::Active);
        assert_eq!(t.unknown().get("some_future_field"), Some(&7.into()));
        assert_eq!(t.unknown().len(), 1, "the known members are not repeated");
        let back = serde_json::to_value(&t).unwrap();
        assert_eq!(back["token"], "kwa_secret");
        assert_eq!(back["expires_at"], "2026-04-02T03:04:05Z");
        assert_eq!(back["some_future_field"], 7);
        assert!(back.get("details").is_none());
        assert!(!format!("{t:?}").contains("kwa_secret"));
        assert!(format!("{t:?}").contains("some_future_field"));
    }

    #[test]
    fn a_changed_endpoint_keeps_unknown_fields() {
        let body = with_member(CHANGED_ENDPOINT, "served_by", json!({"node": "b"}));
        let e: Open<EndpointWithSecrets> = serde_json::from_str(&body).unwrap();
        assert_eq!(e.unknown().keys().collect::<Vec<_>>(), ["served_by"]);
        assert!(!format!("{e:?}").contains("kwp_secret"));
        let back = serde_json::to_value(&e).unwrap();
        assert_eq!(back["served_by"], json!({"node": "b"}));
        assert_eq!(back["new_primary_tokens"][0]["token"], "kwp_secret");
    }

    #[test]
    fn an_answer_that_is_not_what_the_client_expects_is_refused() {
        let body = with_member(CREATED_TOKEN, "id", json!("not an id"));
        assert!(serde_json::from_str::<Open<TokenWithSecret>>(&body).is_err());
    }
}
