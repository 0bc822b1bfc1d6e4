"""Contacts: who receives a unit's or a leader's messages. Responsibility belongs to the
post (办公室主任, 联络员), not the person: a contact row is a post, its holder may change."""
