//! The rules of mobile sessions (SPEC §5): which membership a login acts with, and how
//! far a session's expiry slides on each use. The verification-time rules are those of
//! every token, in [`crate::verify`].

use crate::ids::{DepartmentId, UserTypeId};
use crate::model::{Membership, TenantSettings};
use time::{Duration, OffsetDateTime};

/// Why a mobile login cannot start a session although the password was right.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    #[error("the user has no membership (department and user type), so there is nothing a session could act with; ask an administrator to add one")]
    NoMembership,
    #[error("the user is not a member of that department with that user type; leave department_id and user_type_id out, or choose one of the user's memberships")]
    NotAMember,
}

impl SessionError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::NoMembership => "no_membership",
            Self::NotAMember => "not_a_member",
        }
    }
}

/// The membership a session acts with. `memberships` must be in the store's documented
/// order (department name, then user type name): without a choice, the first one is
/// taken; with only a department or only a user type, the first membership that
/// matches it.
pub fn choose_membership(
    memberships: &[Membership],
    department_id: Option<DepartmentId>,
    user_type_id: Option<UserTypeId>,
) -> Result<&Membership, SessionError> {
    if memberships.is_empty() {
        return Err(SessionError::NoMembership);
    }
    memberships
        .iter()
        .find(|m| {
            department_id.is_none_or(|d| d == m.department_id)
                && user_type_id.is_none_or(|t| t == m.user_type_id)
        })
        .ok_or(SessionError::NotAMember)
}

/// The expiry of a session used (or started) at `now`: the tenant's
/// `mobile_session_days` from then.
pub fn slid_expiry(now: OffsetDateTime, settings: &TenantSettings) -> OffsetDateTime {
    now + Duration::days(i64::from(settings.mobile_session_days))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-04-01 8:00 UTC);

    fn m(user: UserId, d: DepartmentId, t: UserTypeId) -> Membership {
        Membership {
            id: MembershipId::new(),
            user_id: user,
            department_id: d,
            department_name: String::new(),
            user_type_id: t,
            user_type_name: String::new(),
            created_at: NOW,
        }
    }

    #[test]
    fn without_a_choice_the_first_membership_is_used() {
        let u = UserId::new();
        let (d1, d2) = (DepartmentId::new(), DepartmentId::new());
        let (t1, t2) = (UserTypeId::new(), UserTypeId::new());
        let ms = [m(u, d1, t1), m(u, d1, t2), m(u, d2, t1)];
        assert_eq!(choose_membership(&ms, None, None).unwrap().id, ms[0].id);
        assert_eq!(choose_membership(&ms, None, Some(t2)).unwrap().id, ms[1].id);
        assert_eq!(choose_membership(&ms, Some(d2), None).unwrap().id, ms[2].id);
        assert_eq!(
            choose_membership(&ms, Some(d1), Some(t2)).unwrap().id,
            ms[1].id
        );
    }

    #[test]
    fn a_choice_outside_the_memberships_is_refused() {
        let u = UserId::new();
        let (d1, d2) = (DepartmentId::new(), DepartmentId::new());
        let (t1, t2) = (UserTypeId::new(), UserTypeId::new());
        let ms = [m(u, d1, t1), m(u, d2, t2)];
        assert_eq!(
            choose_membership(&ms, Some(d1), Some(t2)).unwrap_err(),
            SessionError::NotAMember,
            "each exists, but not together"
        );
        assert_eq!(
            choose_membership(&ms, Some(DepartmentId::new()), None).unwrap_err(),
            SessionError::NotAMember
        );
        assert_eq!(
            choose_membership(&[], None, None).unwrap_err(),
            SessionError::NoMembership
        );
    }

    #[test]
    fn expiry_is_the_tenants_session_days_from_the_use() {
        let s = TenantSettings {
            mobile_session_days: 7,
            ..Default::default()
        };
        assert_eq!(slid_expiry(NOW, &s), datetime!(2026-04-08 8:00 UTC));
    }
}
