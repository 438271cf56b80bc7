"""Operational code, the top layer: the command line (``flask seed-demo``, ``rq-worker``, backups, …) and the
demo data orchestration. Nothing in the app imports it; the app factory (``app/__init__.py``) registers its
commands. Each area's own demo data stays beside its models (``app/<area>/demo.py``) and the national data
generator is ``app.scale``; ``.importlinter``'s "nothing in the app imports operational code" contract keeps
all three out of the app."""
