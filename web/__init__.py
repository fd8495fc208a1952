"""offercoach in the browser: the consultation page, the JSON API and the coach's workbench (`offercoach serve`).

Only this package imports the web stack (Starlette, uvicorn, Jinja2); `offercoach` itself never imports it.
"""
