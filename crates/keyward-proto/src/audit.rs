//! `/api/v1/audit`: the audit trail.

use crate::Timestamp;
use keyward_core::UserId;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, Serialize, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
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
    /// 1-based page number (default 1).
    pub page: Option<u32>,
    /// Items per page (default 50, at most 500).
    pub per_page: Option<u32>,
}
