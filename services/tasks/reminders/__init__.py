"""Reminders: which one is due when (``steps``, pure, under each government's ``policy``), the
deadline scan that asks them of notify exactly once each (``scan``, on the facts of ``facts``),
looking each tick only at what may have something new (``scope``, from the marks the
``inputs`` leave), run by one replica at a time (``lease``, ``jobs``)."""
