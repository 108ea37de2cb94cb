"""The web interface: server-rendered pages for every kind of user, Chinese first.

One blueprint per area (``views/``): public verification, the learner portal, the registrar
console, the institution workspace, the dashboard (驾驶舱) and administration. Pages call the
same services as the API; no script runs in the browser, and every asset is served from here.
``pages.init_app`` registers them. Browser sessions are stored in ``auth/tables.py``.
"""
