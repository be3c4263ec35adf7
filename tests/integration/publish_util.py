"""Helpers for the consumer tests (test_publish_*.py): the recipes of docs/consumers.md read
out of the file, so that the consumers run exactly what the documentation says, with only
named substitutions applied (each must match, so a drifting recipe fails the test)."""
import os
import re

import nodd_harness as h

DOC = os.path.join(h.ROOT, "docs", "consumers.md")


def doc_block(heading):
    """The first fenced code block after the '## ' heading that starts with heading."""
    with open(DOC, encoding="utf-8") as f:
        text = f.read()
    m = re.search(r"^## %s.*?$" % re.escape(heading), text, re.M)
    assert m, "docs/consumers.md has no section '## %s'" % heading
    b = re.search(r"^```[a-z]*\n(.*?)^```", text[m.end():], re.M | re.S)
    assert b, "docs/consumers.md: no code block in section '%s'" % heading
    return b.group(1)


def substitute(text, *pairs):
    """Apply (old, new) replacements in order; each old must occur at least once."""
    for old, new in pairs:
        assert old in text, "docs/consumers.md recipe changed: %r not found in:\n%s" % (old, text)
        text = text.replace(old, new)
    return text
