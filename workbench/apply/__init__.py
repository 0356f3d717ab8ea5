"""Apply: the Implement reply's edits, parsed, staged as reviewable hunks, written and undone.

`edits` (what a reply asks for), `parse` (finding edits in a reply), `stage` (matching them
against the files and cutting the result into hunks), `changes` (the staged change set and the
decisions on it, saved in the session folder), `writer` (writing accepted hunks) and `journal`
(every apply, so it can be undone). Core package: never imports textual.
"""
