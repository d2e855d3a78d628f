//! Answers of the server as it sends them, for the tests of the crates that decode them
//! (this one's wire tests, and `keyward-client`'s). Secrets shortened.

/// `PATCH /api/v1/endpoints/{id}` that switched an endpoint to token authentication.
pub const CHANGED_ENDPOINT: &str = r#"{
    "id": "01900000-0000-7000-8000-000000000001",
    "tenant_id": "01900000-0000-7000-8000-000000000002",
    "name": "In", "path": "orders/in", "description": "", "auth_type": "token",
    "allow_deleting": false, "enabled": true, "created_at": "2026-01-02T03:04:05Z",
    "created_by": null, "updated_at": "2026-01-02T03:04:05Z",
    "primary_tokens": [],
    "new_primary_tokens": [{
        "id": "01900000-0000-7000-8000-000000000003",
        "tenant_id": "01900000-0000-7000-8000-000000000002",
        "kind": "primary", "endpoint_id": "01900000-0000-7000-8000-000000000001",
        "method": "POST", "name": "POST primary token", "description": "",
        "hint": "kwp_Ab3d…x9Qz", "enabled": true, "recoverable": false,
        "created_at": "2026-01-02T03:04:05Z", "created_by": null,
        "updated_at": "2026-01-02T03:04:05Z",
        "token": "kwp_secret", "usage": {"header": "Authorization: Bearer kwp_secret"}
    }]
}"#;

/// `POST /api/v1/tokens`.
pub const CREATED_TOKEN: &str = r#"{
    "id": "01900000-0000-7000-8000-000000000001",
    "tenant_id": "01900000-0000-7000-8000-000000000002",
    "kind": "api", "name": "ci", "description": "", "hint": "kwa_Ab3d…x9Qz",
    "user_id": "01900000-0000-7000-8000-000000000003",
    "department_id": "01900000-0000-7000-8000-000000000004",
    "user_type_id": "01900000-0000-7000-8000-000000000005",
    "enabled": true, "recoverable": false, "allowed_cidrs": [],
    "created_at": "2026-01-02T03:04:05Z", "created_by": null,
    "expires_at": "2026-04-02T03:04:05Z", "revoked_at": null, "revoked_by": null,
    "last_used_at": null, "rate_limit": null, "uses_remaining": null,
    "status": "active", "effective_status": "VALID", "username": "a",
    "department_name": "Sales", "user_type_name": "Reader", "revoked_by_name": null,
    "token": "kwa_secret", "usage": {"header": "Authorization: Bearer kwa_secret", "curl": "curl kwa_secret"}
}"#;
