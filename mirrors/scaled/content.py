"""N publications derived from the MPI mirror's 47: same people, topics and types, recombined real text.

Publication k (k = 0 is the newest) depends only on the seed and on publications 0..k-1, never on N:
a smaller site's publications are all on any larger one, unchanged. Each derives from one of the 47 (a
seeded shuffle per round of 47), keeps its type, image, programs and PDF file (under a URL of its own),
and gets a new slug `<slug>-<k+1>`; a title joining the head of a real title (or a real section heading)
to the subtitle of another or a heading; a summary and a body recombined from real sentences and
paragraphs of the same type; authors and topics mostly those of its source. Two publications appear
every weekday going back from the newest real one (reports and policy briefs on the 1st of the month).
"""

from __future__ import annotations

import functools
import random
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from datetime import date, timedelta

from mirrors.kit.markup import Block, sentences
from mirrors.mpi.content import PDF_DIR, Content, Person, Publication, Topic, _check, load

MAX_N = 20_000  # two a weekday: 10,000 go back to 2005, 20,000 to 1985
_PER_WEEKDAY = 2
_NEWEST_NID = 4_000_000  # above 37 * MAX_N: every node id stays above those of people, topics and pages
_MODIFIED_SHARE = 0.08  # publications edited after they appeared, as a few of the real ones were
# An inline link to one of the real publications: those paths do not exist on a scaled site.
_PUB_LINK = re.compile(r"\[([^\]]+)\]\(/(?:research|news|article)/[^)\s]+\)")


@dataclass(frozen=True, slots=True)
class ScaledContent:
    """The content of a scaled site, plus which real PDF file each publication's PDF URL serves."""

    n: int
    seed: int
    content: Content
    pdf_files: dict[str, str]  # PDF URL path -> file name in mirrors/mpi/files/publications/


@dataclass(frozen=True, slots=True)
class _Pool:
    """The real text of one publication type, cut into reusable pieces."""

    paragraphs: tuple[tuple[str, ...], ...]  # each a tuple of sentences (inline markup kept)
    texts: tuple[str, ...]  # the same paragraphs whole: a body reusing one unchanged shares its string
    headings: tuple[str, ...]
    summaries: tuple[tuple[str, ...], ...]
    authors: tuple[Person, ...]  # with repeats: frequent authors are drawn more often


def _pools(base: Content) -> dict[str, _Pool]:
    paragraphs: dict[str, list[tuple[str, ...]]] = defaultdict(list)
    headings: dict[str, list[str]] = defaultdict(list)
    summaries: dict[str, list[tuple[str, ...]]] = defaultdict(list)
    authors: dict[str, list[Person]] = defaultdict(list)
    for pub in base.publications:
        key = pub.doc_type.key
        for block in pub.body:
            if block.kind == "p":
                paragraphs[key].append(tuple(sentences(_PUB_LINK.sub(r"\1", block.text))))
            elif block.text not in headings[key]:
                headings[key].append(block.text)
        summaries[key].append(tuple(sentences(pub.summary)))
        authors[key].extend(pub.authors)
    return {
        key: _Pool(
            paragraphs=tuple(paragraphs[key]),
            texts=tuple(" ".join(p) for p in paragraphs[key]),
            headings=tuple(headings[key]),
            summaries=tuple(summaries[key]),
            authors=tuple(authors[key]),
        )
        for key in paragraphs
    }


# fmt: off
_SMALL_WORDS = frozenset({
    "a", "an", "and", "as", "at", "between", "but", "by", "for", "from", "in", "into", "of", "on", "or", "the", "to",
    "with",
})
# fmt: on


def _title_case(heading: str) -> str:
    """A sentence-case section heading in the title case of MPI titles ("Lessons for Future Crises")."""
    words = heading.split()
    return " ".join(
        w if i and w in _SMALL_WORDS else "-".join(part[:1].upper() + part[1:] for part in w.split("-"))
        for i, w in enumerate(words)
    )


def _title_parts(base: Content) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Heads and subtitles of new titles: real titles split at their colon, and real section headings."""
    heads: list[str] = []
    tails: list[str] = []
    for pub in base.publications:
        head, _, tail = pub.title.partition(": ")
        heads.append(head)
        if tail:
            tails.append(tail)
    for pub in base.publications:
        for block in pub.body:
            heading = _title_case(block.text)
            # Headings of three words or more read as titles ("What Governments Can Do"); shorter ones do not.
            if block.kind != "p" and len(heading.split()) >= 3 and heading not in tails:
                heads.append(heading)
                tails.append(heading)
    return tuple(heads), tuple(tails)


class _Generator:
    """Makes publications k = 0, 1, 2... in turn: titles stay unique, so each depends on those before it."""

    def __init__(self, base: Content, seed: int) -> None:
        self.seed = seed
        self.sources = base.publications
        self.pools = _pools(base)
        self.heads, self.tails = _title_parts(base)
        self.topics = tuple(base.topics.values())
        self.summaries = {p.path: sentences(p.summary) for p in self.sources}
        self.used_titles: Counter[str] = Counter()
        self.order: list[int] = []
        newest = max(p.published for p in self.sources)
        self.day = newest - timedelta(days=(newest.weekday() - 4) if newest.weekday() > 4 else 0)
        self.last_day = base.site_modified

    def _rng(self, *parts: object) -> random.Random:
        # A str seed is hashed with SHA-512: the same in every process, unlike hash().
        return random.Random("/".join(map(str, ("mpi-x", self.seed, *parts))))

    def _source(self, k: int) -> Publication:
        while len(self.order) <= k:
            rounds = len(self.order) // len(self.sources)
            self.order += self._rng("round", rounds).sample(range(len(self.sources)), len(self.sources))
        return self.sources[self.order[k]]

    def _published(self, k: int) -> date:
        if k and k % _PER_WEEKDAY == 0:
            self.day -= timedelta(days=3 if self.day.weekday() == 0 else 1)
        return self.day

    def _title(self, rng: random.Random, source: Publication) -> str:
        head = source.title.partition(": ")[0]
        title = ""
        for attempt in range(4):  # the source's own head first, then any
            if attempt:
                head = rng.choice(self.heads)
            tail = rng.choice(self.tails)
            while tail == head:
                tail = rng.choice(self.tails)
            title = f"{head} {tail}" if head.endswith(("?", "!")) else f"{head}: {tail}"
            if not self.used_titles[title] and title != source.title:
                break
        self.used_titles[title] += 1
        count = self.used_titles[title]
        return title if count == 1 else f"{title}, Part {count}"

    def _summary(self, rng: random.Random, pool: _Pool, source: Publication) -> str:
        own = self.summaries[source.path]
        other = rng.choice(pool.summaries)
        return " ".join([own[0], *other[1:]] if len(other) > 1 else [own[0], *own[1:]])

    def _paragraph(self, rng: random.Random, pool: _Pool, used: set[int]) -> str:
        index = rng.randrange(len(pool.paragraphs))
        for _ in range(8):  # a paragraph once per body, as far as chance allows
            if index not in used:
                break
            index = rng.randrange(len(pool.paragraphs))
        used.add(index)
        parts = list(pool.paragraphs[index])
        if len(parts) < 2 or rng.random() >= 0.6:
            return pool.texts[index]
        # Swap one sentence for a sentence of another paragraph of the same type.
        donor = rng.choice(pool.paragraphs)
        parts[rng.randrange(len(parts))] = rng.choice(donor)
        return " ".join(parts)

    def _body(self, rng: random.Random, pool: _Pool, source: Publication) -> tuple[Block, ...]:
        used: set[int] = set()
        wanted = sum(1 for block in source.body if block.kind != "p")
        headings = rng.sample(pool.headings, min(wanted, len(pool.headings)))
        out: list[Block] = []
        for block in source.body:
            if block.kind == "p":
                out.append(Block("p", self._paragraph(rng, pool, used)))
            else:
                out.append(Block(block.kind, headings.pop() if headings else block.text))
        return tuple(out)

    def _authors(self, rng: random.Random, pool: _Pool, source: Publication) -> tuple[Person, ...]:
        if rng.random() < 0.5 or not source.authors:
            return source.authors
        chosen: list[Person] = []
        while len(chosen) < len(source.authors):
            person = rng.choice(pool.authors)
            if person not in chosen:
                chosen.append(person)
        return tuple(chosen)

    def _topics(self, rng: random.Random, source: Publication) -> tuple[Topic, ...]:
        topics = list(source.topics)
        if topics and rng.random() < 0.3:
            spare = [t for t in self.topics if t not in topics]
            topics[rng.randrange(len(topics))] = rng.choice(spare)
        return tuple(topics)

    def publication(self, k: int) -> Publication:
        """Publication k (0 = the newest); call with k = 0, 1, 2, ... in turn."""
        source = self._source(k)
        rng = self._rng("pub", k)
        pool = self.pools[source.doc_type.key]
        published = self._published(k)
        if source.doc_type.month_only:
            published = published.replace(day=1)
        modified = published
        if rng.random() < _MODIFIED_SHARE:
            modified = min(published + timedelta(days=rng.randint(1, 240)), self.last_day)
        return Publication(
            slug=f"{source.slug}-{k + 1}",
            doc_type=source.doc_type,
            title=self._title(rng, source),
            authors=self._authors(rng, pool, source),
            published=published,
            modified=modified,
            topics=self._topics(rng, source),
            summary=self._summary(rng, pool, source),
            body=self._body(rng, pool, source),
            image=source.image,
            pdf=f"{source.pdf}-{k + 1}" if source.pdf else None,
            pdf_snippet=source.pdf_snippet,
            programs=source.programs,
            nid=_NEWEST_NID - 37 * k,  # node ids grow with time: the newest has the highest
        )


def check_n(n: int) -> int:
    """`n` itself, or a ValueError when a scaled site cannot have that many publications."""
    if not 1 <= n <= MAX_N:
        raise ValueError(f"a scaled MPI site has 1 to {MAX_N} publications, not {n!r}")
    return n


def scaled_content(n: int, seed: int = 0) -> ScaledContent:
    """The content of the MPI mirror grown (or shrunk) to `n` publications, the same for the same seed."""
    return _scaled_content(check_n(n), seed)  # one cache entry whether or not the seed is given


@functools.lru_cache(maxsize=4)
def _scaled_content(n: int, seed: int) -> ScaledContent:
    base = load()
    generator = _Generator(base, seed)
    made = [generator.publication(k) for k in range(n)]
    pubs = tuple(sorted(made, key=lambda p: (p.published, p.nid), reverse=True))
    # What the real site features or finds most popular: the newest publication derived from it.
    newest: dict[str, str] = {}
    for k, pub in enumerate(made):
        newest.setdefault(generator.sources[generator.order[k]].path, pub.path)
    programs = tuple(replace(p, featured=tuple(newest[f] for f in p.featured if f in newest)) for p in base.programs)
    content = replace(
        base,
        publications=pubs,
        programs=programs,
        most_popular=tuple(newest[p] for p in base.most_popular if p in newest),
    )
    _check(content)
    pdf_files = {
        f"{PDF_DIR}/{pub.pdf}-final.pdf": f"{generator.sources[generator.order[k]].pdf}-final.pdf"
        for k, pub in enumerate(made)
        if pub.pdf
    }
    return ScaledContent(n=n, seed=seed, content=content, pdf_files=pdf_files)
