"""Who may do what: API tokens (stored hashed, bound to a role, a government and the units or
the leader they speak for), the principal a request acts as, and the role checks."""
