"""The supervision views: figures counted in SQL where they must answer for a province
(``overview``, ``ranking``), lists read into a ``Snapshot`` of one government where a county's
tasks are a few dozen (``lists``, ``task``), and who may see what (``scope``)."""
