# keyward console, English.

## Frame
skip-to-content = Skip to content
nav-label = Main menu
nav-tokens = Tokens
nav-users = Users
nav-departments = Departments
nav-user-types = User types
nav-settings = Settings
nav-audit = Audit log
nav-verifier-keys = Verifier keys
language = Language
language-auto = Language: browser
language-apply = Apply
logout = Log out
footer-api = REST API and OpenAPI documentation
go-back = Go back
go-home = Console home

## Login
login-title = Log in to the administration console
login-tenant = Tenant
login-username = Username
login-password = Password
login-submit = Log in
login-invalid = Unknown user or wrong password.
login-rate-limited = Too many failed attempts. Try again in { $minutes } minutes.
login-busy = The server is busy checking other logins. Try again in a few seconds.
login-locked = This user is locked. Ask another administrator to unlock it.
login-inactive = This user is outside their employment period.
login-not-admin = Only administrators can use the console.
login-logged-out = You are logged out.

## Common words
save = Save
cancel = Cancel
add = Add
delete = Delete
remove = Remove
rename = Rename
choose = Choose…
copy = Copy
copied = Copied!
show = Show
hide = Hide
never = Never
never-used = Never
select-all = Select all rows
select-row = Select { $name }
removed-by = by { $name }
back-to-list = Back to the list

## Relative times
time-now = just now
time-in-minutes = { $count ->
    [one] in 1 minute
   *[other] in { $count } minutes
}
time-minutes-ago = { $count ->
    [one] 1 minute ago
   *[other] { $count } minutes ago
}
time-in-hours = { $count ->
    [one] in 1 hour
   *[other] in { $count } hours
}
time-hours-ago = { $count ->
    [one] 1 hour ago
   *[other] { $count } hours ago
}
time-in-days = { $count ->
    [one] in 1 day
   *[other] in { $count } days
}
time-days-ago = { $count ->
    [one] 1 day ago
   *[other] { $count } days ago
}
time-in-months = { $count ->
    [one] in 1 month
   *[other] in { $count } months
}
time-months-ago = { $count ->
    [one] 1 month ago
   *[other] { $count } months ago
}
time-in-years = { $count ->
    [one] in 1 year
   *[other] in { $count } years
}
time-years-ago = { $count ->
    [one] 1 year ago
   *[other] { $count } years ago
}

## Paging and filters
pager-label = Pages
pager-previous = Previous
pager-next = Next
pager-position = Page { $page } of { $pages } ({ $total } in all)
pager-total = { $total ->
    [one] 1 item
   *[other] { $total } items
}
filter-search = Search
filter-status = Status
filter-apply = Filter
filter-status-all = All
filter-status-active = Active
filter-status-expiring = Expiring soon
filter-status-revoked = Revoked
filter-status-expired = Expired
filter-status-disabled = Disabled
filter-status-stale = Stale (unused)

## A token's standing: what a check would answer now (`effective_status`)
field-standing = Verification now
filter-standing = Verification
filter-standing-VALID = Accepted
filter-standing-refused = Refused, any reason
filter-standing-USER_LOCKED = Refused: owner locked
filter-standing-USER_INACTIVE = Refused: owner outside employment period
filter-standing-FORBIDDEN = Refused: membership removed
filter-standing-USAGE_EXCEEDED = Refused: no uses left
standing-VALID = Accepted
standing-NOT_FOUND = Refused: not found
standing-EXPIRED = Refused: expired
standing-REVOKED = Refused: revoked
standing-DISABLED = Refused: disabled
standing-FEATURE_DISABLED = Refused: API tokens switched off
standing-USER_LOCKED = Refused: owner locked
standing-USER_INACTIVE = Refused: owner outside employment period
standing-FORBIDDEN = Refused: membership removed
standing-IP_NOT_ALLOWED = Refused: address not allowed
standing-RATE_LIMITED = Refused: rate limit reached
standing-USAGE_EXCEEDED = Refused: no uses left
standing-why-VALID = A check accepts this token now.
standing-why-NOT_FOUND = A check does not find this token.
standing-why-EXPIRED = The token has passed its expiry date; every check refuses it.
standing-why-REVOKED = The token was revoked; every check refuses it.
standing-why-DISABLED = The token is disabled; checks refuse it until it is enabled again.
standing-why-FEATURE_DISABLED = API tokens are switched off for this tenant; checks refuse every API token until they are switched on in Settings.
standing-why-USER_LOCKED = The token's user is locked; checks refuse it until the user is unlocked.
standing-why-USER_INACTIVE = The token's user is outside their employment period; checks refuse it until the period includes today.
standing-why-FORBIDDEN = The token's user no longer holds its department and user type; checks refuse it until the membership is added again.
standing-why-IP_NOT_ALLOWED = Checks from this address are refused.
standing-why-RATE_LIMITED = The token has reached its rate limit for now.
standing-why-USAGE_EXCEEDED = The token has no uses left; checks refuse it.
standing-to-user = Open { $name }
user-tokens-title = API tokens
user-tokens-empty = This user owns no API tokens.
user-tokens-all = Find them in the token listing
user-sessions-title = Mobile Users Logged In
user-sessions-empty = This user is not logged in on any phone.
user-listed-first = The first { $shown } of { $total }.
user-inactive-ended = Inactive: period ended
user-inactive-not-started = Inactive: period not begun
user-inactive-title = Outside the employment period: checks refuse this user's tokens and sessions.

## Statuses
status-active = Active
status-expired = Expired
status-revoked = Revoked
status-disabled = Disabled
status-stale = Stale
status-stale-hint = Not used for { $days } days or more: keyward marks it under the tenant's inactivity policy.
expiring-soon = Expires soon
expiring-soon-title = Expires within { $days } days

## Columns
col-token-name = Token Name
col-user = User
col-department-user-type = Department & User Type
col-token = Token
col-expiry = Expiry Date
col-last-used = Last used
col-status = Status
col-removal-date = Removal date
col-username = User Name
col-email = Email
col-department = Department
col-user-type = User Type
col-last-active = Last Active
col-display-name = Name
col-roles = Roles
col-employment = Employment period
col-name = Name
col-created = Created
col-permissions = Permissions
col-when = When
col-who = Who
col-action = Action
col-object = Object
col-ip = IP address
col-details = Details

## Fields
field-token-name = Token Name
field-api-token = API Token
field-verifier-key = Verifier key
verifier-keys-title = Verifier keys
verifier-keys-intro = A verifier key is what a protected service (a gateway, an API) sends when it asks keyward whether a token is good: Authorization: Bearer kwv_… on /api/v1/verify, or as the client credential of /oauth2/introspect. It makes every check about this tenant's tokens, and it can do nothing else. Create one per service; to rotate one, create a new key, deploy it, then delete the old one.
verifier-keys-new = New verifier key
verifier-keys-name-hint = e.g. orders API gateway
verifier-keys-create = Create verifier key
verifier-keys-empty = No verifier keys yet.
verifier-key-secret-title = Your new verifier key
verifier-key-secret-intro = The verifier key for { $name } is ready. Give it to that service only.
confirm-delete-verifier-key = Delete this verifier key? The service that sends it can no longer ask checks.
field-tenant-id = Tenant Id
field-description-of-use = Description of Use
field-expiry-date = Expiry Date
field-associated-user = Associated User
field-department-user-type = Department and User Type
field-select-user = Select User
field-select-membership = Select Department & User Type
field-description = Description
field-created = Created
field-last-used = Last used
field-last-active = Last Active
field-status = Status
field-removal-date = Removal date
field-username = User Name
field-email = Email
field-department = Department
field-user-type = User Type
field-display-name = Display name
field-roles = Roles
field-is-admin = Administrator (member of the Administrators group)
field-is-technical = Technical user (for integrations)
field-employment-period = Employment period
field-active-from = Active from
field-active-until = Active until
field-password = Password
field-name = Name
field-permissions = Permissions

## Tokens
tokens-title = Administrator / Tokens
tokens-tabs = Token types
tokens-tab-api = API Tokens
tokens-tab-mobile = Mobile Users Logged In
tokens-api-intro = Tokens that external applications and code use to integrate with the system. Each acts as its user, restricted to one department and user type.
tokens-mobile-intro = Who is logged into the mobile app. Delete a session to log that device out.
tokens-new = New API token
tokens-search-placeholder = Name, user, department, description or hint (kwa_GfqB)
mobile-search-placeholder = User name
tokens-empty = No API tokens match.
mobile-empty = Nobody is logged into the mobile app.
tokens-selected = { $count } selected
tokens-expiring-callout = { $count ->
    [one] 1 active token expires within { $days } days.
   *[other] { $count } active tokens expire within { $days } days.
}
tokens-expiring-show = Show them
sort-by = Sort by { $column }
bulk-delete = Delete selected
tokens-disabled-title = API tokens are switched off
tokens-disabled = API tokens are switched off for this tenant. An administrator can switch them on under Settings.
tokens-disabled-to-settings = Switch API tokens on under Settings
tokens-disabled-to-mobile = See the mobile sessions, which still work

## Create token
token-new-title = Create a new API token
token-new-intro = The token acts with the permissions of the chosen user, restricted to one of their departments and user types.
token-expiry-hint = No longer than { $days } days (until { $date } at the latest). A year or less is recommended for any single token.
token-expiry-hint-unlimited = This tenant sets no maximum lifetime. Leave the date empty for a token that never expires.
token-never-expires-warning = Warning: a token without an expiry date works until someone revokes it.
token-expiry-presets = Quick choice
token-expiry-preset-days = { $count ->
    [one] 1 day
   *[other] { $count } days
}
token-expiry-preset-year = 1 year
token-technical-only = Only technical users within their employment period today are listed (tenant setting).
token-no-owners = No user can own a token yet: create a user with a membership first.
token-membership-hint = Only the chosen user's memberships are offered.
token-minimal-permissions = To keep data safe, give a token only the minimal permissions the integration needs.

## Shown-once secret
secret-title = Your new API token
secret-regenerated-title = The token's new secret
secret-intro = Copy the token for "{ $name }" now and keep it somewhere safe.
secret-warning-title = You will not see it again.
secret-warning = keyward keeps only a fingerprint of the token; once you leave this page nobody can show it again.
secret-done = I have copied it: show the token
secret-not-stored = The token itself is shown only once, when it is created or regenerated.

## Token detail
api-token-title = API token
mobile-token-title = Mobile app session
usage-text = Send the token in the Authorization header of every request ("Authorization: Bearer …"). To check it against this server:
usage-header-text = The integration sends this header with every request it makes:
usage-check-text = To check the token against this server:
usage-api-text = A ready call of your API with the token, as the integration makes it:
usage-set-api-base-url = Set your API base URL for a line that calls your API instead.
permissions-none = None
token-permissions-hint = What the user type { $name } grants; the token never carries more than its user holds.
permissions-edit = Edit the user type
field-limits = Limits
limit-addresses = IP allowlist
limit-anywhere = Anywhere
limit-addresses-hint = One address or CIDR range a line (10.0.0.0/8, 2001:db8::/32). Empty: from anywhere. A check from elsewhere answers IP_NOT_ALLOWED.
limit-rate = Rate limit
limit-rate-value = { $requests } checks per { $seconds } seconds
limit-rate-requests = Checks
limit-rate-per = per
limit-rate-seconds = seconds
limit-rate-hint = Successful checks allowed per window, on each keyward node; beyond it, RATE_LIMITED. Both empty: no limit.
limit-none = None
limit-uses = Remaining uses
limit-unlimited = Unlimited
limit-uses-hint = Successful checks left in all; at 0 every check answers USAGE_EXCEEDED. Empty: unlimited.
field-created-by = Created by
created-by-system = keyward (bootstrap or import)
token-settings-title = Name, description and limits
token-settings-intro = Renaming or limiting a token does not change its secret; checks see the change at once.
error-description-too-long = The description is longer than 2000 characters.
error-invalid-cidr = "{ limit-addresses }": each line must be an IP address or a CIDR range, such as 10.0.0.0/8.
error-invalid-rate-limit = "{ limit-rate }": give both the checks (1 to 1,000,000) and the seconds (1 to 86,400), or neither.
error-invalid-uses-remaining = "{ limit-uses }": enter a whole number, or leave it empty for unlimited.
reveal = Reveal token
revealed-audited = Revealing a token is recorded in the audit log.
regenerate = Regenerate
revoke = Revoke
enable = Enable
disable = Disable
confirm-regenerate = Give this token a new secret? Integrations using the old one stop working.
confirm-revoke = Revoke this token? It stops working at once and stays listed with its removal date.

## Delete confirmation
confirm-delete-title = Delete tokens
confirm-delete-text = { $count ->
    [one] This token will be deleted. It disappears from every list and can never be used again.
   *[other] These { $count } tokens will be deleted. They disappear from every list and can never be used again.
}
confirm-delete-button = { $count ->
    [one] Delete 1 token
   *[other] Delete { $count } tokens
}
confirm-delete-nothing = Nothing was selected.
confirm-delete-yours = Yours

## Outage-sized changes, held until confirmed
confirm-change-intro = This change can stop integrations at once. Read what it does before you go on.
confirm-tokens-off-title = Switch API tokens off for this tenant?
confirm-tokens-off-stop = { $count ->
    [one] The 1 active API token stops working at once: every check of it answers FEATURE_DISABLED.
   *[other] All { $count } active API tokens stop working at once: every check of them answers FEATURE_DISABLED.
}
confirm-tokens-off-create = No API token can be created, and the Tokens menu is hidden until API tokens are switched on again.
confirm-tokens-off-mobile = Mobile sessions keep working.
confirm-show-once-title = Show secrets only once from now on?
confirm-show-once-erase = Every stored copy of a secret (of API tokens and endpoint tokens) is erased for good: no secret made so far can be revealed or copied again.
confirm-show-once-working = The tokens keep working. A secret that is lost can only be replaced by regenerating its token.
confirm-type-name = Type the tenant's name, { $name }, to confirm:
confirm-settings-button = Save the settings
error-confirm-mistyped = The name typed is not the tenant's name. Nothing was changed.
confirm-endpoint-public-title = Make this endpoint public?
confirm-endpoint-public-open = Anyone who knows its address, { $name }, can then send it records and read them, without a token.
confirm-endpoint-public-primaries = Its primary tokens are deleted, and no endpoint token is asked for.
confirm-endpoint-button = Make it public
confirm-delete-own = { $count ->
    [one] This includes your own API token. Scripts and integrations that call keyward's API with it stop working.
   *[other] This includes { $count } of your own API tokens. Scripts and integrations that call keyward's API with them stop working.
}
confirm-delete-own-last = They are all your active API tokens: afterwards you can reach keyward's API only with a new token made here in the console.
confirm-delete-own-session = { $count ->
    [one] This includes your own mobile session: that phone is logged out.
   *[other] This includes { $count } of your own mobile sessions: those phones are logged out.
}

## Notices after an action
notice-created = Created.
notice-saved = Saved.
notice-verifier-key-deleted = The verifier key is deleted: the service that held it can no longer ask checks.
notice-record-deleted = The record is deleted.
notice-deleted = { $count ->
    [one] Deleted.
   *[other] { $count } deleted.
}
notice-revoked = The token is revoked: it no longer works.
notice-grace-ended = The grace period is over: the previous secret no longer works.
notice-enabled = The token is enabled.
notice-disabled = The token is disabled: it does not work until enabled again.
notice-locked = The user is locked: their tokens and sessions stop working at once.
notice-unlocked = The user is unlocked.
notice-membership-added = Membership added.
notice-membership-removed = Membership removed.

## Users
users-title = Users
users-new = New user
users-search-placeholder = User name, name or email
users-empty = No users match.
role-admin = Administrator
role-technical = Technical
user-locked = Locked
user-unlocked = Active
employment-hint = Outside this period the user's tokens and sessions do not work. Leave empty for no limit.
password-hint = For console and mobile app login; at least 10 characters. Leave empty for no login.
password-hint-change = Leave empty to keep the current password; at least 10 characters.
password-remove = Remove the password (no more console or mobile login)
memberships-title = Memberships
memberships-intro = A membership gives the user a user type in a department. Tokens carry one of them.
memberships-empty = No memberships yet.
memberships-add = Add membership
confirm-remove-membership = Remove this membership? Tokens using it stop working.
user-access-title = Access
lock = Lock user
unlock = Unlock user
confirm-lock = Lock this user? Their tokens and sessions stop working at once.
confirm-delete-user = Delete this user? Only users who own no tokens can be deleted.
lock-hint = A locked user's tokens and sessions stop working at once, and work again when the user is unlocked.
user-is-you = This is you: another administrator must lock or delete your user.

## Departments and user types
departments-title = Departments
departments-new = New department
departments-empty = No departments yet.
confirm-delete-department = Delete this department? Only departments no membership or token uses can be deleted.
user-types-title = User types
user-types-intro = A user type is a role: a name and the permissions it grants.
user-types-new = New user type
user-types-empty = No user types yet.
no-permissions = none
permissions-hint = One permission per line, such as orders:read. A trailing * covers a family (orders:*); * alone grants everything, keyward:admin the administrator API.
confirm-delete-user-type = Delete this user type? Only user types no membership or token uses can be deleted.

## Settings
settings-title = Settings
settings-features = Features
settings-api-tokens-enabled = API tokens
settings-api-tokens-enabled-hint = When off, API tokens can be neither created nor used, and the Tokens menu shows only mobile sessions. Mobile sessions are not affected.
settings-require-technical-user = Only technical users may own API tokens
settings-require-technical-user-hint = When on, only technical users within their employment period on the creation date can be chosen.
settings-secret-storage = Token secrets
settings-show-once = Show once: the secret is shown only when created or regenerated
settings-recoverable = Recoverable: also kept encrypted, so administrators can reveal it later (audited)
settings-secret-storage-hint = Switching to "show once" erases every stored copy.
settings-max-lifetime = Maximum token lifetime (days)
settings-max-lifetime-hint = 365 means "no longer than 12 months". 0 allows tokens that never expire.
settings-default-lifetime = Default token lifetime (days)
settings-default-lifetime-hint = Used when no expiry date is given.
settings-mobile-days = Mobile session lifetime (days)
settings-mobile-days-hint = Extended each time the app is used.
settings-expiry-notice-days = Expiry notice (days)
settings-expiry-notice-days-hint = A token expiring within this many days is marked as expiring soon and announced once to the webhooks (token.expiring). 0 sends no notice.
settings-api-base-url = API base URL
settings-api-base-url-hint = The API your integrations call with their tokens. The token page's ready line calls it; without it, the line checks the token against keyward.
settings-flag-unused-days = Mark tokens unused for (days)
settings-flag-unused-days-hint = An API token or mobile session not used for this many days (counted from its creation if it was never used) is marked Stale and announced once to the webhooks (token.stale). A use is recorded within 2 seconds (the server's flush interval). 0 is off.
settings-revoke-unused-days = Revoke tokens unused for (days)
settings-revoke-unused-days-hint = An API token or mobile session not used for this many days is revoked by keyward (reason: unused), on every node at once; this cannot be undone. Longer than the marking period when both are on. 0 is off.

## Audit log
audit-title = Audit log
audit-action = Action
audit-object-type = Object
audit-from = From
audit-to = To
audit-empty = No events match.
object-token = Token
object-user = User
object-department = Department
object-user_type = User type
object-settings = Settings
object-tenant = Tenant
# The audit log's names, filters, details and exports (issue 13)
audit-all-actions = All actions
audit-deleted = deleted
audit-history = History
audit-history-of = History of { $name }
audit-actions-of = Actions by { $name }
audit-filter-link = Their actions
audit-show-all = Show all events
audit-history-link = History in the audit log
audit-actions-link = Their actions in the audit log
audit-export = Export this filter:
audit-export-limit = An export holds the newest { $limit } events; narrow the filter for older ones.
audit-yes = yes
audit-no = no
error-invalid-actor = The actor in the address is not a user's id.
object-mobile_session = Mobile session
object-login = Login
object-endpoint_record = Endpoint record
object-verifier_key = Verifier key
audit-key-reason = Reason
audit-key-name = Name
audit-key-username = User name
audit-key-hint = Token hint
audit-key-kind = Kind
audit-key-user_id = User
audit-key-endpoint_id = Endpoint
audit-key-expires_at = Expires
audit-key-grace_until = Old secret works until
audit-key-description = Description
audit-key-enabled = Enabled
audit-key-allowed_cidrs = IP allowlist
audit-key-rate_limit = Rate limit
audit-key-uses_remaining = Uses remaining
audit-key-url = URL
audit-key-events = Events
audit-key-is_admin = Administrator
audit-key-is_technical = Technical user
audit-key-department = Department
audit-key-user_type = User type
audit-key-permissions = Permissions
audit-key-path = Path
audit-key-method = Method
audit-key-methods = Methods
audit-key-source = Source
audit-key-device_name = Device
audit-key-email = Email
audit-key-display_name = Display name
audit-key-locked = Locked
audit-key-active_from = Employed from
audit-key-active_until = Employed until
audit-key-password = Password
audit-key-sessions = Sessions
audit-key-mobile_sessions_ended = Mobile sessions ended
audit-key-event_type = Event
audit-key-membership_id = Membership id
audit-key-delivery_id = Delivery id
audit-key-endpoint_name = Endpoint
audit-key-primary_tokens = Primary tokens
audit-key-department_id = Department id
audit-key-user_type_id = User type id
audit-key-old_permissions = Permissions before
action-token-created = Token created
action-token-updated = Token changed
action-token-enabled = Token enabled
action-token-disabled = Token disabled
action-token-regenerated = Token regenerated
action-token-revealed = Token revealed
action-token-revoked = Token revoked
action-token-deleted = Token deleted
action-token-expiring = Token expiring soon
action-token-leaked = Token reported leaked
action-token-grace_ended = Grace period ended early
action-token-imported = Token imported
action-mobile_session-created = Mobile login
action-mobile_session-deleted = Mobile session ended
action-user-created = User created
action-user-updated = User changed
action-user-locked = User locked
action-user-unlocked = User unlocked
action-user-deleted = User deleted
action-membership-added = Membership added
action-membership-removed = Membership removed
action-console-login = Console login
action-console-logout = Console logout
action-console-session_deleted = Console sessions ended
action-login-failed = Login refused
action-department-created = Department created
action-department-updated = Department renamed
action-department-deleted = Department deleted
action-user_type-created = User type created
action-user_type-updated = User type changed
action-user_type-deleted = User type deleted
action-endpoint-created = Endpoint created
action-endpoint-updated = Endpoint changed
action-endpoint-enabled = Endpoint enabled
action-endpoint-disabled = Endpoint disabled
action-endpoint-deleted = Endpoint deleted
action-endpoint_record-deleted = Endpoint record deleted
action-endpoint_token-created = Endpoint token created
action-endpoint_token-updated = Endpoint token changed
action-endpoint_token-enabled = Endpoint token switched on
action-endpoint_token-disabled = Endpoint token switched off
action-endpoint_token-deactivated = Endpoint token deactivated
action-endpoint_token-retired = Endpoint token retired (unused)
action-endpoint_token-revoked = Endpoint token revoked (leaked)
action-endpoint_token-activated = Endpoint token activated
action-endpoint_token-regenerated = Endpoint token regenerated
action-endpoint_token-revealed = Endpoint token revealed
action-endpoint_token-deleted = Endpoint token deleted
action-endpoint_token-assigned = Endpoint assigned
action-endpoint_token-unassigned = Endpoint unassigned
action-endpoint_token-assignment_enabled = Assignment enabled
action-endpoint_token-assignment_disabled = Assignment disabled
action-endpoint_token-assignment_updated = Assignment changed
action-webhook-created = Webhook created
action-webhook-updated = Webhook changed
action-webhook-retried = Webhook delivery retried
action-webhook-deleted = Webhook deleted
action-verifier_key-created = Verifier key created
action-verifier_key-updated = Verifier key changed
action-verifier_key-deleted = Verifier key deleted
action-settings-updated = Settings changed
action-tenant-created = Tenant created

## Errors
error-title = That did not work
error-query-title = The address could not be read
error-query = Part of the address is not what this page expects, such as a page number that is not a number.
error-query-open = Open the page without it
error-csrf-title = The form has expired
error-csrf = The form was not sent from this console session (its security token is missing or stale). Reload the page and try again.
error-login-csrf = The login form has expired. Reload the page and try again.
error-form-title = The form could not be read
error-form = Some of the form's values could not be read. Go back and check them.
error-control-character = A value contains a control character, such as a NUL character, which keyward does not store. Go back, remove it and try again.
error-not-found = It does not exist, or it has been deleted.
error-conflict = That name is already in use.
error-membership-exists = The user already holds that department and user type.
error-path-taken = Another endpoint already has that path. Choose another one.
error-in-use = It is still in use (by a membership or a token), so it cannot be deleted.
error-unavailable = The database is unavailable. Nothing was changed; try again shortly.
error-internal = Something went wrong on the server. It has been logged.
error-self-lockout = That would cut off your own access. Ask another administrator to do it.
error-invalid-name = Enter a name (1 to 200 characters, no control characters).
error-invalid-username = Enter a user name: 1 to 64 letters (a–z), digits, dots, dashes, underscores or @.
error-invalid-email = Enter a valid email address.
error-invalid-display-name = Enter a display name (1 to 200 characters).
error-invalid-date = Enter a valid date.
error-invalid-max-lifetime-days = "{ settings-max-lifetime }": enter a whole number of days.
error-invalid-default-lifetime-days = "{ settings-default-lifetime }": enter a whole number of days.
error-invalid-mobile-days = "{ settings-mobile-days }": enter a whole number of days.
error-invalid-expiry-notice-days = "{ settings-expiry-notice-days }": enter a whole number of days.
error-invalid-flag-unused-days = "{ settings-flag-unused-days }": enter a whole number of days.
error-invalid-revoke-unused-days = "{ settings-revoke-unused-days }": enter a whole number of days.
error-settings-max-lifetime-too-long = "{ settings-max-lifetime }" can be at most 36500 days.
error-settings-default-lifetime-too-long = "{ settings-default-lifetime }" can be at most 36500 days.
error-settings-never-expiring-under-maximum = "{ settings-default-lifetime }" can be 0 (tokens that never expire) only when "{ settings-max-lifetime }" is 0 too.
error-settings-default-beyond-maximum = "{ settings-default-lifetime }" cannot be longer than "{ settings-max-lifetime }".
error-settings-mobile-days-out-of-range = "{ settings-mobile-days }" must be from 1 to 3650 days.
error-settings-expiry-notice-too-long = "{ settings-expiry-notice-days }" must be from 0 to 365 days.
error-settings-api-base-url-invalid = "{ settings-api-base-url }" must be an http:// or https:// address with a host, without a user name, password, # part, quotes or spaces.
error-settings-flag-unused-too-long = "{ settings-flag-unused-days }" must be from 0 to 3650 days.
error-settings-revoke-unused-too-long = "{ settings-revoke-unused-days }" must be from 0 to 3650 days.
error-settings-revoke-unused-not-after-flag = "{ settings-revoke-unused-days }" must be longer than "{ settings-flag-unused-days }" when both are on: a token would be revoked before it is marked.
error-invalid-permission = A permission may contain only lower-case letters, digits and : . _ - (optionally ending in *).
error-password-policy = The password must be at least 10 characters long.
error-choose-user = Choose a user.
error-choose-membership = Choose a department and user type.
error-membership-of-other-user = That department and user type are listed under another user. Choose one listed under the chosen user.
error-nothing-selected = Nothing was deleted: select at least one token first.
error-not-a-member = The user does not hold that department and user type.
error-not-technical-user = Only technical users may own API tokens in this tenant.
error-user-inactive = The user is outside their employment period.
error-user-locked = The user is locked.
error-expiry-in-past = The expiry date must be in the future.
error-expiry-beyond-policy = The expiry date is later than this tenant allows.
error-feature-disabled = API tokens are switched off for this tenant.
error-not-recoverable = This token's secret is not stored, so it cannot be revealed. Regenerate it instead.
error-unknown-user = That user does not exist.

## Mobile sessions
col-device = Device
field-device = Device
field-logged-in = Logged in
session-delete = Delete session (log the device out)
session-delete-hint = Deleting the session logs the device out at once; the user can log in again.

## Review follow-ups
token-expiry-hint-default = This tenant sets no maximum lifetime. An empty date means the default of { $days } days.
secret-warning-recoverable = Copy it now. This tenant keeps token secrets recoverable, so an administrator can reveal it again from the token's page (each reveal is recorded in the audit log).
error-token-revoked = A revoked token cannot be given a new secret.
error-no-grace-period = This token has no previous secret in a grace period: only the current secret works.

## Endpoints
nav-endpoints = Endpoints
nav-endpoint-tokens = Endpoint tokens
endpoints-title = Endpoints
endpoints-intro = Integration endpoints hosted by keyward: applications POST JSON records to them, read them with GET and, when allowed, DELETE them.
endpoints-new = New endpoint
endpoints-empty = No endpoints yet.
endpoint-path-hint = Lower-case segments separated by /. The endpoint answers at { $base }/e/…
col-address = Address
col-auth-type = Authentication
col-allow-deleting = Allow deleting
col-method = Method
col-assigned = Assigned
col-description = Description
col-assignment-enabled = Assignment enabled
col-application = Application (token)
col-data = Data
col-may-read = May read records (GET)
col-may-delete = May delete records
may-read-row = { $name } may read this endpoint's records
may-delete-row = { $name } may delete this endpoint's records
field-path = Path
field-auth-type = Authentication type
field-security = Security
field-allow-deleting = Allow deleting (a DELETE primary token, and DELETE requests)
field-enabled = Enabled
field-token = Token
auth-none = None (anyone may call it)
auth-token = Token
yes = Yes
no = No
endpoint-data = Data viewer
endpoint-tabs = Endpoint settings
endpoint-tab-general = General
endpoint-tab-tokens = Tokens
confirm-delete-endpoint = Delete this endpoint with its primary tokens, assignments and records?
primary-tokens = Primary tokens
primary-tokens-intro = One per method, generated when authentication is Token (DELETE only while deleting is allowed). Prefer secondary tokens for applications.
generate = Generate
secondary-tokens = Secondary tokens
secondary-tokens-intro = One token per application. Tick "Assigned" to let an application use this endpoint; untick "Assignment enabled" to switch that one application off without touching the others. An assigned application may send records (POST); tick "May read records" only for those that must read what others sent.
secondary-tokens-empty = No secondary tokens: add them under Endpoint tokens.
hide-unassigned = Hide unassigned
assign-row = Assign { $name }
assignment-enabled-row = Assignment of { $name } enabled
endpoint-primaries-generated = The endpoint's new primary tokens
endpoint-token-created = Your new endpoint token
secret-done-continue = I have copied it: continue
data-filter-token = Token (application)
data-chart-title = Requests per application
data-chart-caption = Records received per application over time.
data-anonymous = (no token)
data-none = No records in this period.
data-empty = No records match.
data-unreadable = (this record cannot be read back as JSON; delete it if it is not needed)
confirm-delete-record = Delete this record for good?
endpoint-tokens-intro = Secondary tokens, one per application, named after it. Assign them to endpoints; switch one off to cut off that application alone.
endpoint-tokens-active = Active
endpoint-tokens-inactive = Inactive
endpoint-tokens-empty = No endpoint tokens here.
endpoint-token-name-hint = Use the application's name: the data viewer filters by it.
toggle-on = On
toggle-off = Off
deactivate-token = Deactivate token
activate-token = Activate token
assign-endpoint-tokens = Assign endpoints
token-settings = Token settings
assigned-endpoints = Assigned to
assigned-none = Not assigned to any endpoint.
confirm-delete-endpoint-token = Delete this endpoint token? Applications using it stop at once.
notice-activated = The token is active again, and switched on.
notice-deactivated = The token is deactivated: it is switched off and listed under Inactive.
error-invalid-path = Enter a path of lower-case letters, digits, - and _, in segments separated by /.
object-endpoint = Endpoint
object-endpoint_token = Endpoint token

## Forms that act once
already-sent-title = This form was already sent
already-sent = What it did is done, and a secret it showed is not shown again. Open the list to see the result, and start again from there if you need to.

## Webhooks
webhooks-title = Webhooks
webhooks-intro = A webhook sends this tenant's events (a token created, revoked, deleted or regenerated, a token about to expire or reported leaked, a mobile session ended) to a URL of yours as signed JSON, as Standard Webhooks describes. A receiver that does not answer 2xx is tried again, with longer waits each time, for about a day and a half.
webhooks-settings-intro = Send this tenant's token events to your own systems: alerting, a SIEM, a chat channel.
webhooks-manage = Manage webhooks
webhooks-new = New webhook
webhooks-name-hint = e.g. ops alerting
webhooks-url = URL
webhooks-events = Events
webhooks-event = Event
webhooks-all-events = Every event, also those added later
webhooks-some-events = Only these:
webhooks-create = Create webhook
webhooks-empty = No webhooks yet.
webhooks-secret = Signing secret
webhooks-switch-off = Switch off
webhooks-switch-on = Switch on
webhooks-deliveries = Deliveries
webhook-secret-title = Your webhook's signing secret
webhook-secret-intro = The webhook { $name } is ready. Its receiver checks every request with this secret.
webhook-secret-how = Each request carries webhook-id, webhook-timestamp and webhook-signature: v1, then the base64 HMAC-SHA256, keyed with the secret's decoded bytes, of the id, the timestamp and the body joined by dots. Standard Webhooks libraries check it for you.
confirm-delete-webhook = Delete this webhook and its delivery log? Events still waiting are not sent.
event-token-created = a token was created
event-token-revoked = a token was revoked
event-token-deleted = a token was deleted
event-token-regenerated = a token got a new secret
event-token-expiring = a token expires soon (the notice period of the settings)
event-token-stale = a token has not been used for the marking period of the settings
event-token-leaked = a token was reported leaked and revoked
event-mobile-session-ended = a mobile session ended
delivery-any = Any
delivery-pending = Waiting
delivery-delivered = Delivered
delivery-failed = Failed
delivery-attempts = Attempts
delivery-last-answer = Last answer
delivery-next = next attempt { $at }
delivery-retry = Try again now
delivery-empty = Nothing has been sent to this webhook yet.
notice-webhook-deleted = The webhook is deleted.
notice-webhook-enabled = The webhook is on: new events are sent to it.
notice-webhook-disabled = The webhook is off: new events are not sent to it.
notice-webhook-retried = The delivery is tried again now.
object-webhook = Webhook

## Regenerate with a new expiry and a grace period
regenerate-title = Regenerate token
regenerate-intro = The token gets a new secret, shown once. Integrations must switch to it: during the grace period the old secret keeps working too.
regenerate-current-expiry = Current expiry
regenerate-new-expiry = New expiry date
regenerate-expiry-hint = Leave it empty to keep the current expiry.
regenerate-grace = Old secret keeps working
regenerate-grace-hint = Long enough for every integration to switch. The old secret stops at once if you choose none.
grace-0 = Not at all (stops now)
grace-3600 = For 1 hour
grace-86400 = For 24 hours
grace-604800 = For 7 days
field-previous-secret = Previous secret
previous-secret-until = keeps working until
previous-secret-used = { $count ->
    [one] Used once since the regenerate, last { $ago }.
   *[other] Used { $count } times since the regenerate, last { $ago }.
}
previous-secret-unused = Not used since the regenerate.
previous-secret-hint = Uses are counted on every server node and shown within seconds. When the count stops growing, every integration has moved to the new secret.
end-grace = End grace period now
confirm-end-grace = End the grace period now? The previous secret stops working at once on every node; only the current secret works.
field-imported = Imported
imported-hint = Imported with a secret of another system; regenerate it to give it a keyward secret.

## Endpoint tokens: the Enabled toggle apart from Deactivate / Activate
endpoint-token-enabled = Enabled
endpoint-token-enabled-row = Enabled: { $name }
endpoint-token-switch-off = Switch off: the application is cut off from every endpoint, and the token stays in this list.
endpoint-token-switch-on = Switch on: the application works again on the endpoints it is assigned to.
deactivate-token-title = Retire the token: it is switched off and moves to the Inactive list.
activate-token-title = Bring the token back to the Active list, switched on.
notice-endpoint-token-enabled = The token is switched on.
notice-endpoint-token-disabled = The token is switched off: the application is refused on every endpoint until it is switched on again.
assignment-enabled-new = Assign the token first: a new assignment starts switched on.

## Logging phones out (deleting mobile sessions)
confirm-logout-title = Log devices out
confirm-logout-text = { $count ->
    [one] This device is logged out of the mobile app at once. The user can log in again with their password.
   *[other] These { $count } devices are logged out of the mobile app at once. Their users can log in again with their passwords.
}
confirm-logout-button = { $count ->
    [one] Log 1 device out
   *[other] Log { $count } devices out
}
data-primary-token = { $method } primary token

## The kinds of credential, as the audit log's details name them
audit-kind-api = API token
audit-kind-mobile = Mobile session
audit-kind-primary = Primary token
audit-kind-secondary = Secondary token
