"""The org directory of a government: units with aliases, groups with members, leaders.
Names in a notice are matched against it; every change is announced so intake keeps a copy,
and re-resolves the open tasks of that government (``registration.resolution``)."""
