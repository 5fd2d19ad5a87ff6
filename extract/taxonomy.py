"""Tag publications with topics, countries and regions from `config/taxonomy.yaml` (pure, precompiled, cached).

Matching, in short (docs/extraction.md has the long version):
- Text and patterns are folded the same way: NFKD with combining marks stripped (é -> e, ñ -> n), typographic
  apostrophes and dashes made ASCII, then lowercased; so "Sénégal", "SENEGAL" and "Senegal" are one word.
- Pattern syntax: words matched whole; `(x)` an optional part, `(x|y)` an optional choice; `*` after letters
  any ending ("remesa*"), a lone `*` any one word ("Gulf of *"); a space matches spaces or hyphens, a hyphen
  a hyphen, a space or nothing. A pattern without lowercase letters ("US", "EU", "U.S.") or written with a
  leading `=` ("=Turkey") must match with that case, and not inside an all-capitals line ("ABOUT US").
- All patterns of one kind (topics; places = countries and regions) are compiled into one regular expression
  shaped as a trie, run once over the text: at each word the longest pattern wins, so "Papua New Guinea" is
  not also "Guinea", and `ignore` phrases ("Guinea pig", "cross-border") swallow what they cover.
- A topic, country or region is assigned when it is matched once in the title or summary, or at least
  `body_min_mentions` times in the body (a passing mention does not tag). Regions also come from the assigned
  countries, and every region brings its parent regions.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migdigest.taxonomy import DEFAULT_PATH, LANGUAGES, Entry, TaxonomyFile, read_taxonomy
from migdigest.yamlconf import ConfigError


@dataclass(frozen=True, slots=True)
class Tags:
    """What a publication is about, each list in the taxonomy file's order."""

    topics: list[str]
    regions: list[str]
    countries: list[str]


# ---------------------------------------------------------------------------------------------------- folding

_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
# Typographic punctuation first (cheap str.replace scans), then letters NFKD does not decompose.
_PUNCT = (("’", "'"), ("‘", "'"), ("ʼ", "'"), ("`", "'"), ("´", "'"), ("‐", "-"), ("‑", "-"), ("‒", "-"),
          ("–", "-"), ("—", "-"), ("−", "-"), ("“", '"'), ("”", '"'), ("„", '"'), ("«", '"'), ("»", '"'),
          ("…", "..."), ("\u00ad", ""), ("\u00a0", " "), ("\u202f", " "))  # fmt: skip
_LETTERS = (("œ", "oe"), ("Œ", "OE"), ("æ", "ae"), ("Æ", "AE"), ("ß", "ss"), ("ø", "o"), ("Ø", "O"),
            ("ł", "l"), ("Ł", "L"), ("đ", "d"), ("Đ", "D"), ("ı", "i"))  # fmt: skip


def fold(text: str) -> str:
    """Text without accents and with ASCII apostrophes and dashes (case kept), as patterns are matched."""
    for old, new in _PUNCT:
        if old in text:
            text = text.replace(old, new)
    if text.isascii():
        return text
    text = _COMBINING.sub("", unicodedata.normalize("NFKD", text))
    for old, new in _LETTERS:
        if old in text:
            text = text.replace(old, new)
    return text


# ---------------------------------------------------------------------------------------------------- patterns

# Atoms of a compiled pattern that are not literal characters (private-use code points never found in text).
_SPACE, _HYPHEN, _STEM, _WORD = "\ue001", "\ue002", "\ue003", "\ue004"
_ATOM_REGEX = {_SPACE: r"[\s\-]+", _HYPHEN: r"[\s\-]?", _STEM: r"\w*", _WORD: r"\w+"}
_ALLOWED = re.compile(r"[\w\s\-'.,&()|*=]+")


class PatternError(ValueError):
    """A taxonomy pattern is not valid; the message says how to write it."""


@dataclass(frozen=True, slots=True)
class _Pattern:
    text: str  # as written
    variants: tuple[str, ...]  # folded, lowercased, atoms in place of spaces, hyphens and stars
    cased: re.Pattern[str] | None  # the case-exact check, for acronyms and "=" patterns


def parse_pattern(pattern: str) -> _Pattern:
    """Check and expand one pattern; PatternError says what is wrong and how to fix it."""
    raw = " ".join(pattern.split())
    cased = raw.startswith("=")
    body = raw[1:].strip() if cased else raw
    if not body:
        raise PatternError("empty pattern; remove it")
    if "=" in body:
        raise PatternError(f"{pattern!r}: '=' only at the start, to make the case matter")
    bad = set(body) - set("".join(_ALLOWED.findall(body)))
    if bad:
        raise PatternError(
            f"{pattern!r}: character(s) {''.join(sorted(bad))!r} not allowed; write words with (optional) parts, "
            "(a|b) choices and * for any ending"
        )
    cased = cased or (any(c.isalpha() for c in body) and not any(c.islower() for c in body))
    expansions = _expand(body, pattern)
    variants = tuple(dict.fromkeys(_atoms(fold(e).lower(), pattern) for e in expansions))
    check = None
    if cased:
        alternatives = sorted({_atoms(fold(e), pattern) for e in expansions}, key=len, reverse=True)
        check = re.compile("|".join(_to_regex(v) for v in alternatives))
    return _Pattern(pattern, variants, check)


def _expand(body: str, pattern: str) -> list[str]:
    parts: list[list[str]] = []
    pos = 0
    for group in re.finditer(r"\(([^()]*)\)", body):
        parts.append([body[pos : group.start()]])
        parts.append([*group.group(1).split("|"), ""])
        pos = group.end()
    parts.append([body[pos:]])
    if any(ch in part for options in parts for part in options for ch in "()"):
        raise PatternError(f"{pattern!r}: parentheses must be balanced and not nested")
    if any("|" in part for options in parts[::2] for part in options):
        raise PatternError(f"{pattern!r}: '|' only inside parentheses; list required choices as separate patterns")
    return ["".join(choice).strip() for choice in itertools.product(*parts)]


def _atoms(text: str, pattern: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    out = []
    for i, ch in enumerate(text):
        if ch == " ":
            out.append(_SPACE)
        elif ch == "-":
            out.append(_HYPHEN)
        elif ch == "*":
            out.append(_STEM if i and (text[i - 1].isalnum()) else _WORD)
        else:
            out.append(ch)
    atoms = "".join(out)
    if not atoms or not (atoms[0].isalnum() or atoms[0] == _WORD):
        raise PatternError(f"{pattern!r}: a pattern must start with a letter or a digit")
    if atoms[-1] in (_SPACE, _HYPHEN):
        raise PatternError(f"{pattern!r}: a pattern cannot end with a space or a hyphen")
    return atoms


def _to_regex(atoms: str) -> str:
    return "".join(_ATOM_REGEX.get(ch) or re.escape(ch) for ch in atoms)


# ---------------------------------------------------------------------------------------------------- matcher

_IGNORED = -1


@dataclass(frozen=True, slots=True)
class _Matcher:
    """One trie-shaped regex for all patterns of a kind; group number -> what the match stands for."""

    regex: re.Pattern[str]
    terminals: tuple[tuple[tuple[int, re.Pattern[str] | None], ...], ...]  # index 0 unused

    def counts(self, text: _Text) -> Counter[int]:
        """Mentions per entry index in a prepared text."""
        found: Counter[int] = Counter()
        for match in self.regex.finditer(text.lowered):
            start, end = match.start() + 1, match.end()  # the regex starts on the character before the word
            for entry, check in self.terminals[match.lastindex or 0]:
                if entry == _IGNORED:
                    continue
                if check is not None and text.same_length and not _cased_ok(check, text.folded, start, end):
                    continue
                found[entry] += 1
        return found


@dataclass(frozen=True, slots=True)
class _Text:
    """A text folded (case kept, for acronyms) and lowercased (for everything else), behind a newline."""

    folded: str
    lowered: str
    same_length: bool  # offsets agree (lower() can lengthen a few characters): acronyms can be checked

    @classmethod
    def of(cls, text: str) -> _Text:
        """Prepare `text`: the leading newline lets the regex start on the character before the first word."""
        folded = "\n" + fold(text)
        lowered = folded.lower()
        return cls(folded, lowered, len(folded) == len(lowered))


def _cased_ok(check: re.Pattern[str], folded: str, start: int, end: int) -> bool:
    if not check.fullmatch(folded, start, end):
        return False
    # In an all-capitals line ("ABOUT US", "CONTACT US") an acronym cannot be told from a word; look at most
    # 200 characters either way (a body may have no newline at all).
    line_start = max(folded.rfind("\n", max(0, start - 200), start), start - 200, 0)
    line_end = folded.find("\n", end, end + 200)
    line = folded[line_start : line_end if line_end >= 0 else end + 200]
    return any(c.islower() for c in line)


def _build_matcher(items: Iterable[tuple[int, _Pattern]]) -> _Matcher:
    trie: dict[str, Any] = {}
    for entry, pattern in items:
        for variant in pattern.variants:
            node = trie
            for ch in variant:
                node = node.setdefault(ch, {})
            ends = node.setdefault("", [])
            if (entry, pattern.cased) not in ends:
                ends.append((entry, pattern.cased))
    # Groups are numbered in the order they appear in the regex: the emitter lists the terminals in that order.
    terminals: list[tuple[tuple[int, re.Pattern[str] | None], ...]] = [()]
    body = _emit(trie, terminals) if trie else r"(?!x)x"
    # The regex starts on the non-word character before a word: unlike a lookbehind at every position, sre
    # can then skip letters quickly (about twice as fast on long bodies).
    return _Matcher(re.compile(r"[\s\W]" + body), tuple(terminals))


# Literal characters first, then the elastic atoms: the most specific continuation is tried first.
_ORDER = {_SPACE: 1, _HYPHEN: 2, _WORD: 3, _STEM: 4}


def _emit(node: dict[str, Any], terminals: list[tuple[tuple[int, re.Pattern[str] | None], ...]]) -> str:
    children = sorted((k for k in node if k), key=lambda k: (_ORDER.get(k, 0), k))
    alternatives = [(_ATOM_REGEX.get(k) or re.escape(k)) + _emit(node[k], terminals) for k in children]
    if "" in node:
        # The terminal comes last so that a longer pattern wins; its empty group names the match.
        terminals.append(tuple(node[""]))
        alternatives.append(r"(?!\w)()")
    if len(alternatives) == 1:
        return alternatives[0]
    return "(?:" + "|".join(alternatives) + ")"


# ---------------------------------------------------------------------------------------------------- taxonomy


@dataclass(frozen=True, eq=False)
class Taxonomy:
    """A loaded, validated and compiled taxonomy; `tag` uses it."""

    path: Path
    body_min_mentions: int
    topics: tuple[str, ...]
    regions: tuple[str, ...]
    countries: tuple[str, ...]
    iso: dict[str, str]  # country -> ISO 3166-1 alpha-2
    parents: dict[str, tuple[str, ...]]  # region -> its direct parents
    country_regions: dict[str, tuple[str, ...]]  # country -> all its regions, ancestors included
    _topics: _Matcher
    _places: _Matcher  # entries: countries first, then regions
    _topic_min: tuple[int, ...]
    _place_min: tuple[int, ...]

    def region_closure(self, region: str) -> tuple[str, ...]:
        """The region and every region above it."""
        return _closure(self.parents, region)

    def __reduce__(self) -> tuple[Any, tuple[Path]]:
        """Pickled as its path, so that an extraction worker reuses its own cached compilation of the file."""
        # Unpickling the compiled matchers would compile their regexes again (~0.25 s) for every batch sent to a
        # worker; workers forked from the warm forkserver already hold the bundled file's.
        return load_taxonomy, (self.path,)


def _closure(parents: dict[str, tuple[str, ...]], region: str) -> tuple[str, ...]:
    seen: list[str] = []
    stack = [region]
    while stack:
        current = stack.pop()
        if current not in seen:
            seen.append(current)
            stack.extend(parents.get(current, ()))
    return tuple(seen)


# Path -> (modification time, size) and the taxonomy compiled from it: an edited file is compiled again.
_CACHE: dict[Path, tuple[tuple[int, int], Taxonomy]] = {}


def load_taxonomy(path: Path | None = None) -> Taxonomy:
    """Read, validate and compile a taxonomy file (default: config/taxonomy.yaml); cached until it changes."""
    path = (path or DEFAULT_PATH).resolve()
    try:
        stat = path.stat()
    except OSError:
        raise ConfigError(f"{path}: taxonomy file not found; create it (see docs/extraction.md)") from None
    version = (stat.st_mtime_ns, stat.st_size)
    cached = _CACHE.get(path)
    if cached is None or cached[0] != version:
        cached = _CACHE[path] = (version, _compile(path, read_taxonomy(path)))
    return cached[1]


def _entry_patterns(kind: str, name: str, entry: Entry, name_is_pattern: bool) -> Iterable[tuple[str, str]]:
    if name_is_pattern:
        yield f"{kind}.{name}", name
    for lang in LANGUAGES:
        for i, pattern in enumerate(getattr(entry, lang)):
            yield f"{kind}.{name}.{lang}.{i}", pattern


def _parse_all(path: Path, keyed: Iterable[tuple[str, str]]) -> list[tuple[str, _Pattern]]:
    parsed, problems = [], []
    for key, text in keyed:
        try:
            parsed.append((key, parse_pattern(text)))
        except PatternError as exc:
            problems.append(f"{path}: key {key!r}: {exc}")
    if problems:
        raise ConfigError("\n".join(problems))
    return parsed


def _compile(path: Path, spec: TaxonomyFile) -> Taxonomy:
    topic_names = tuple(spec.topics)
    country_names = tuple(spec.countries)
    region_names = tuple(spec.regions)
    default = spec.settings.body_min_mentions

    topic_items: list[tuple[int, _Pattern]] = []
    for index, (name, topic) in enumerate(spec.topics.items()):
        keyed = _entry_patterns("topics", name, topic, name_is_pattern=False)
        topic_items += [(index, p) for _, p in _parse_all(path, keyed)]
    ignored = _parse_all(path, ((f"ignore.topics.{i}", p) for i, p in enumerate(spec.ignore.topics)))
    topic_items += [(_IGNORED, p) for _, p in ignored]

    place_items: list[tuple[int, _Pattern]] = []
    owner: dict[str, str] = {}
    problems = []
    places: list[tuple[str, str, Entry]] = [
        *(("countries", n, c) for n, c in spec.countries.items()),
        *(("regions", n, r) for n, r in spec.regions.items()),
    ]
    for index, (kind, name, entry) in enumerate(places):
        for key, pattern in _parse_all(path, _entry_patterns(kind, name, entry, name_is_pattern=True)):
            for variant in pattern.variants:
                # One phrase standing for two places is a typo or needs a decision: say which.
                other = owner.setdefault(variant, f"{kind}.{name}")
                if other != f"{kind}.{name}":
                    problems.append(f"{path}: key {key!r}: {pattern.text!r} also matches {other!r}; keep it once")
            place_items.append((index, pattern))
    ignored = _parse_all(path, ((f"ignore.places.{i}", p) for i, p in enumerate(spec.ignore.places)))
    place_items += [(_IGNORED, p) for _, p in ignored]
    if problems:
        raise ConfigError("\n".join(dict.fromkeys(problems)))

    parents = {name: tuple(region.parents) for name, region in spec.regions.items()}
    country_regions = {
        name: tuple(dict.fromkeys(r for region in (c.region, *c.also) for r in _closure(parents, region)))
        for name, c in spec.countries.items()
    }
    return Taxonomy(
        path=path,
        body_min_mentions=default,
        topics=topic_names,
        regions=region_names,
        countries=country_names,
        iso={name: c.iso for name, c in spec.countries.items()},
        parents=parents,
        country_regions=country_regions,
        _topics=_build_matcher(topic_items),
        _places=_build_matcher(place_items),
        _topic_min=tuple(t.min_body_mentions or default for t in spec.topics.values()),
        _place_min=tuple(e.min_body_mentions or default for _, _, e in places),
    )


# ---------------------------------------------------------------------------------------------------- tagging


def _assigned(head: Counter[int], body: Counter[int], minimum: tuple[int, ...]) -> set[int]:
    return {i for i in head} | {i for i, n in body.items() if n >= minimum[i]}


def tag(title: str, summary: str, body: str, taxonomy: Taxonomy) -> Tags:
    """Topics, regions and countries of a publication: named in its title or summary, or repeated in its body."""
    head, text = _Text.of(f"{title}\n{summary}"), _Text.of(body)
    tx = taxonomy
    topics = _assigned(tx._topics.counts(head), tx._topics.counts(text), tx._topic_min)
    places = _assigned(tx._places.counts(head), tx._places.counts(text), tx._place_min)
    n_countries = len(tx.countries)
    countries = [tx.countries[i] for i in sorted(p for p in places if p < n_countries)]
    regions: set[str] = set()
    for i in places:
        if i >= n_countries:
            regions.update(tx.region_closure(tx.regions[i - n_countries]))
    for country in countries:
        regions.update(tx.country_regions[country])
    return Tags(
        topics=[tx.topics[i] for i in sorted(topics)],
        regions=[r for r in tx.regions if r in regions],
        countries=countries,
    )
