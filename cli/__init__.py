"""The `migdigest` command line: one Typer app on top of every stage (cli/app.py)."""
