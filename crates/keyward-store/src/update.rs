//! Partial updates: applying the fields a change gives, and noting in its audit event
//! the fields it changed.

use serde::Serialize;
use serde_json::{Map, Value};

/// Sets `field` to the given value, if one is given.
pub(crate) fn patch<T: Clone>(field: &mut T, given: &Option<T>) {
    if let Some(v) = given {
        *field = v.clone();
    }
}

/// The changed fields of an audit event's details.
pub(crate) trait Note {
    /// Notes `key: new` when `new` differs from `old`.
    fn note<T: PartialEq + Serialize>(&mut self, key: &str, old: &T, new: &T);
}

impl Note for Map<String, Value> {
    fn note<T: PartialEq + Serialize>(&mut self, key: &str, old: &T, new: &T) {
        if old != new {
            self.insert(key.into(), serde_json::json!(new));
        }
    }
}
