"""People's accounts: bureau staff, leaders and units log in with a password (argon2id),
are locked out after repeated failures, and get a session every service verifies by itself
(``shared.identity.sessions``). Another login method (a government's unified identity
platform, OIDC) ends in the same ``service.start_session``. See docs/identity.md."""
