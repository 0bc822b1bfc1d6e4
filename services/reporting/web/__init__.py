"""The bureau's web app, served by the reporting service under ``/reporting/dashboard``:
server-rendered pages in Chinese (Jinja2) over the same views and scope rules as the JSON
API, charts drawn by Apache ECharts from figures embedded in the page, and the intake page,
whose script calls intake's HTTP API from the browser (same origin; no service imports
another). See docs/dashboard.md."""
