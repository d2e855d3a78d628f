//! [`Principal`]: who a request comes from, as keyward verified it. The layer puts one in
//! the extensions of every request it lets through, so a handler takes it typed (with
//! axum: `Extension(who): Extension<Principal>`).

use keyward_core::{DepartmentId, TenantId, TokenId, TokenKind, UserTypeId};
use keyward_proto::verify::{Named, UserRef, VerifyResponse};
use time::OffsetDateTime;

/// keyward's good answer for the token the request carried.
#[derive(Clone, Debug)]
pub struct Principal {
    pub token_id: TokenId,
    /// An API token (`kwa_`) or a mobile session (`kwm_`).
    pub kind: TokenKind,
    /// The verifier key's tenant: a token of another tenant never gets this far.
    pub tenant_id: TenantId,
    /// The token's owner. Unique within the tenant, not across tenants.
    pub user: UserRef,
    /// The department the token acts in.
    pub department: Named<DepartmentId>,
    /// The user type whose permissions the token carries.
    pub user_type: Named<UserTypeId>,
    /// What the token may do, as keyward lists it (patterns such as `orders:*` as
    /// granted). To require one, ask keyward: [`KeywardLayer::require`](super::KeywardLayer::require).
    pub permissions: Vec<String>,
    pub expires_at: Option<OffsetDateTime>,
}

impl Principal {
    /// The principal of a VALID answer; `None` for a refusal, or for a VALID answer
    /// without a member a good answer carries (not the keyward this client knows: the
    /// layer refuses rather than guess).
    pub(super) fn of(v: VerifyResponse) -> Option<Self> {
        if !v.valid {
            return None;
        }
        Some(Self {
            token_id: v.token_id?,
            kind: v.kind?,
            tenant_id: v.tenant_id?,
            user: v.user?,
            department: v.department?,
            user_type: v.user_type?,
            permissions: v.permissions,
            expires_at: v.expires_at,
        })
    }
}
