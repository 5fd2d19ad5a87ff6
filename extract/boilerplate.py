"""Lines of a body that are the site talking, not the article: calls to action and widget labels."""

from __future__ import annotations

import re

# Each pattern matches a whole short line. They are calls to action and labels that news and think-tank CMSes
# put between paragraphs; trafilatura keeps them because they sit inside the article container.
_CALLS_TO_ACTION = re.compile(
    r"""
    (?:read|see)\s+(?:more|also)\s*:.*             # "Read more: <headline>", "See also: <headline>"
  | related(?:\s+(?:articles?|stories|posts?|coverage|content|reading))?\s*:.*
  | (?:click|tap)\s+here\b.*\b(?:subscribe|newsletters?|app|sign\s+up|follow)\b.*
  | (?:subscribe|sign\s+up)\b.*\b(?:newsletters?|inbox|our|youtube|podcast)\b.*  # not "sign up for the bundle"
  | get\s+(?:the|our)\b.*\b(?:newsletters?|inbox|app)\b.*
  | (?:\d+\s+)?comments?
  | filed\s+under\s*:.*
  | advertisement
    """,
    re.IGNORECASE | re.VERBOSE,
)
_MAX_WORDS = 25  # a call to action is a line, not a paragraph that happens to start with "Related:"


def is_boilerplate(line: str) -> bool:
    """Is this body line a call to action or a widget label rather than the article's text?"""
    text = " ".join(line.split()).lstrip("-•*| ").strip()
    return len(text.split()) <= _MAX_WORDS and bool(_CALLS_TO_ACTION.fullmatch(text))


def strip_boilerplate(body: str) -> str:
    """The body without its call-to-action lines."""
    # Repeated lines are kept: a recipe's steps or an interview's questions repeat on purpose.
    return "\n".join(line for line in body.split("\n") if not is_boilerplate(line)).strip()
