"""Code blocks found in a markdown source are the ones the message views show."""

from __future__ import annotations

from workbench.markdown_source import code_blocks, source_lines

HTML_THEN_FENCE = """\
<div class="card">
<p>Hello</p>
</div>
```python
print("hi")
```
"""


def test_a_fence_right_after_an_html_block_is_a_code_block() -> None:
    # With raw HTML parsed as HTML, the block would run to the next blank line and swallow the
    # fence's first lines; as text it is a paragraph, which a fence ends.
    (block,) = code_blocks(HTML_THEN_FENCE)
    assert source_lines(HTML_THEN_FENCE, *block) == '```python\nprint("hi")\n```'


def test_html_between_fences_does_not_change_the_blocks() -> None:
    text = "```\na\n```\n\n<pre>\n\n```\nb\n```\n\n</pre>\n"
    assert [source_lines(text, *block) for block in code_blocks(text)] == [
        "```\na\n```",
        "```\nb\n```",
    ]
