"""Checks: the project's own commands (`pytest -q`, `ruff check .`) run after an apply or on a key.

`config` (which commands, from the project's `.workbench.toml`, an answer saved for the project
or the user config), `detect` (commands proposed from the project's files), `runner` (one
command as a subprocess that can be killed with every process it started, its output bounded),
`results` (runs saved in the session folder), `events` and `session_checks` (`SessionChecks`,
what the Checks view and `workbench check` drive). Core package: never imports textual.
"""
