//! Partial updates: noting in a change's audit event the fields it changed (what it
//! changes is `keyward_core::change`).

use serde::Serialize;
use serde_json::{Map, Value};

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
