"""The formats a result or an explanation is shown in, in a module cli.py can import without the engine."""

FORMATS = ("text", "json", "markdown")
PATH_FORMATS = ("text", "markdown", "json", "mermaid")  # 'rules paths'
