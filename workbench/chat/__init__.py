"""Conversations with models, without a screen: what is sent, how a reply ends, what is saved.

`Conversation` (one per chat pane) owns the messages and the transcript; `Conversation.reply`
streams a reply as events that the UI renders and the `workbench ask` command prints.
Core package: never imports textual.
"""
