"""One identity in every service: the caller of a request (``Principal``), verified by each
service by itself against its own copy of the API tokens (``credentials``), kept from the
tasks service's ``access.token_issued`` / ``access.token_revoked`` events. See
docs/identity.md."""
