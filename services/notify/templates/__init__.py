"""Message templates: the words of each kind of message, editable by the bureau."""
