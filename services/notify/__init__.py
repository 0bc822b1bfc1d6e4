"""Notify: turns events and reminder requests into the messages owed to the right people,
once each (a notice per request and recipient, with its Chinese text). Sending them on
WeChat Work, SMS or the OA to-do list comes with the channels."""
