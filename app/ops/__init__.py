"""Operational code, the top layer: the command line (``flask seed-demo``, ``rq-worker``, backups, …) and the
demo data orchestration. Nothing in the app imports it; the app factory (``app/__init__.py``) registers its
commands. Each area's own demo data stays beside its models (``app/<area>/demo.py``), and the national data
generator is ``app.scale``: both sit in this layer too as far as import-linter's contracts are concerned
(see ``.importlinter``)."""
