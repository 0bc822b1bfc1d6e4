"""duban's common library: configuration, event contracts, the bus, database helpers and the
runtime that runs whatever services it is given. Infrastructure only: no business rules live
here, and no service is named here (the ``duban`` package composes them)."""
