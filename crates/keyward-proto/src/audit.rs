//! `/api/v1/audit`: the audit trail.

use crate::Timestamp;
use keyward_core::UserId;

crate::paged_query! {
    pub struct AuditQuery {
        /// e.g. `token.revoked`.
        pub action: Option<String>,
        /// e.g. `token`, `user`.
        pub object_type: Option<String>,
        pub object_id: Option<String>,
        pub actor_id: Option<UserId>,
        #[param(value_type = Option<String>, format = DateTime)]
        pub from: Option<Timestamp>,
        #[param(value_type = Option<String>, format = DateTime)]
        pub to: Option<Timestamp>,
    }
}
