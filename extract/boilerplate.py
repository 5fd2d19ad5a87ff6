"""Lines of a body that are the site talking, not the article: calls to action and widget labels."""

from __future__ import annotations

import re
from collections import Counter

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
  | \d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d)?\S*             # a bare machine timestamp
  | like\s+this\s+(?:story|article)\?.*             # "Like this story? Share it with a friend!"
  | thanks?\s+(?:you\s+)?for\s+(?:signing\s+up|subscribing).*
  | there\s+was\s+an\s+error\s+processing\s+your\s+subscription.*
  | an\s+error\s+has\s+occurred.*
  | (?:order\s+reprints|print\s+(?:this\s+)?article|e-?mail\s+(?:this\s+)?article)
  | write\s+to\s+.{1,60}\s+at\s+\S+@\S+               # "Write to Al Root at allen.root@dowjones.com"
  | tell\s+us\s+what\s+you\s+think.*
  | this\s+copy\s+is\s+for\s+your\s+personal,\s+non-commercial\s+use\s+only.*
    """,
    re.IGNORECASE | re.VERBOSE,
)
_MAX_WORDS = 25  # a call to action is a line, not a paragraph that happens to start with "Related:"


def is_boilerplate(line: str) -> bool:
    """Is this body line a call to action or a widget label rather than the article's text?"""
    text = " ".join(line.split()).lstrip("-•*| ").strip()
    return len(text.split()) <= _MAX_WORDS and bool(_CALLS_TO_ACTION.fullmatch(text))


# A widget's heading over a list of other stories ("DON'T MISS", "You may also like..."): the heading and the
# headline lines under it go, up to the next line of prose.
_MORE_STORIES = re.compile(
    r"(?:don'?t\s+miss|you\s+(?:may|might)\s+also\s+like|more\s+(?:stories|from\s+\S+(?:\s+\S+)?)|"
    r"recommended(?:\s+for\s+you)?|most\s+(?:popular|read)|trending(?:\s+now)?|related\s+(?:articles|stories))"
    r"\s*(?:\.\.\.|…|:)?",
    re.IGNORECASE,
)
_HEADLINE_WORDS = 20  # a headline under such a heading; a longer line is prose again


def _headline_line(line: str) -> bool:
    text = " ".join(line.split())
    return bool(text) and len(text.split()) <= _HEADLINE_WORDS and not text.endswith((".", "!", '."', ".”"))


# A section is not written twice: when a run of lines comes back word for word, the layout repeated it (a mobile
# and a desktop copy of a section, a carousel's slides, a gallery's captions per view). Lines do repeat on purpose
# (a recipe's steps, an interview's questions, a meal plan's "Eat every 2-3 hours" every day), one by one, or many
# times over: a run of repeated lines goes only when it holds two lines or more and a paragraph's worth of words,
# and a line the page shows more than three times (desktop, tablet, mobile) is the text's own pattern. List items
# and table rows never count as copies: price plans list the same features each, a table repeats its values.
_SECTION_WORDS = 50
_LAYOUT_COPIES = 3


def _layout_copies(lines: list[str]) -> set[int]:
    """Indexes of lines that repeat earlier ones as a layout copy (see above)."""
    keys = [" ".join(line.split()) for line in lines]
    counts = Counter(keys)
    seen: set[str] = set()
    repeat = []
    for key in keys:
        listed = key.startswith(("- ", "| "))  # trafilatura's list items and table rows
        repeat.append(bool(key) and key in seen and counts[key] <= _LAYOUT_COPIES and not listed)
        seen.add(key)
    drop: set[int] = set()
    start = 0
    while start < len(keys):
        if not repeat[start]:
            start += 1
            continue
        end = start
        while end < len(keys) and (repeat[end] or not keys[end]):
            end += 1
        run = [i for i in range(start, end) if keys[i]]
        if len(run) >= 2 and sum(len(keys[i].split()) for i in run) >= _SECTION_WORDS:
            drop.update(run)
        start = end
    return drop


def strip_boilerplate(body: str) -> str:
    """The body without its call-to-action lines, other-stories widgets and layout copies of its paragraphs."""
    lines = body.split("\n")
    copies = _layout_copies(lines)
    kept: list[str] = []
    in_widget = False
    for i, line in enumerate(lines):
        if i in copies:
            continue
        text = " ".join(line.split()).lstrip("-•*| ").strip()
        if _MORE_STORIES.fullmatch(text):
            in_widget = True
            continue
        if in_widget and (not text or _headline_line(text)):
            continue
        in_widget = False
        if not is_boilerplate(line):
            kept.append(line)
    return "\n".join(kept).strip()
