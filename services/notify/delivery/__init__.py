"""Delivery: each message owed, to each contact, on one channel at a time, sent exactly
once (a unique key per message, recipient and channel), with every attempt recorded."""
