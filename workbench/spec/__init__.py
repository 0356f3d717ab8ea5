"""The task spec: markdown sections, promote, templates. Never imports textual."""
