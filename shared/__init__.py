"""duban's common library: configuration, event contracts, the bus, database helpers and the
runtime that wires the four services together. Infrastructure only: no business rules live here."""
