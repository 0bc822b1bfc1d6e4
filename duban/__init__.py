"""The composition root: the one package that knows the four services by name and puts them
together with the common library (the ``duban`` command, the ASGI factory of its worker
processes). Nothing imports it back: ``shared`` knows no service, and the services know only
``shared``."""
