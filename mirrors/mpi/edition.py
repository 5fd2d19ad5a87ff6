"""Editions of the MPI mirror: night 1 is the content files; night 2 is derived from it here, in code.

Night 2 is the site one nightly crawl later: two new publications at the top of the listings, one
publication edited (a paragraph reworded, one sentence added, modified date bumped), one deleted (its
alias answers 410 Gone) and one whose URL alias changed (the old path answers 301 to the new one).
"""

from __future__ import annotations

import functools
import html
from dataclasses import replace
from datetime import date
from typing import Any

from mirrors.kit.dates import eastern
from mirrors.kit.markup import Block, parse_blocks
from mirrors.kit.site import HTML, Page, Rendering
from mirrors.mpi.content import Content, Publication, _check, load
from mirrors.mpi.render import Builder, render

EDITIONS = (1, 2)

NIGHT2 = date(2024, 4, 26)
CHANGED = "/news/global-compact-refugees-five-years"
# The edit: (old words, new words) replaced in the changed paragraph, then the sentence added after `AFTER`.
_REWORDED = ("are funded at historically low levels", "are funded at their lowest levels in a decade")
_AFTER = "Yet the numbers have moved in the wrong direction."
CHANGED_SENTENCE = (
    "By the end of September 2023, UNHCR counted more than 114 million people forcibly displaced worldwide, "
    "three-quarters of them hosted in low- and middle-income countries."
)
# Neither is on listing page 0, featured, among the most popular or linked from another body: their
# disappearance shows only where a crawler must notice it (sitemap, later listing pages, the old URL).
REMOVED = "/news/counting-migrant-deaths-data"
MOVED_FROM = "/article/gulf-states-kafala-reform"
MOVED_SLUG = "gulf-states-kafala-reform-migrant-workers"
_REDIRECT_ID = 4127  # the Drupal redirect entity behind the 301 (sent as X-Redirect-ID)

_NEW: tuple[dict[str, Any], ...] = (
    {
        "slug": "sudan-war-displacement-one-year",
        "type": "article",
        "title": "One Year of War in Sudan Has Produced the World’s Largest Displacement Crisis",
        "authors": ("susan-fratzke", "aissatou-diallo"),
        "topics": ("refugees-asylum", "migration-data"),
        "summary": (
            "A year after fighting broke out between Sudan’s army and the Rapid Support Forces, more than 8.6 "
            "million people have fled their homes. This article traces where they have gone, why neighboring "
            "countries are struggling to receive them, and why the crisis has drawn so little international funding."
        ),
        "body": (
            (
                "On April 15, 2023, clashes in Khartoum between the Sudanese Armed Forces and the paramilitary Rapid "
                "Support Forces escalated into a nationwide war. Twelve months later, Sudan has become the largest "
                "displacement crisis in the world, with one in five of its people uprooted."
            ),
            "## Fleeing within and across borders",
            (
                "Most of the displaced remain inside Sudan, many of them moving more than once as front lines shifted "
                "from Khartoum to Darfur and then to Al Jazirah state. Close to 1.8 million people have crossed into "
                "neighboring countries, above all Chad, South Sudan and Egypt, often arriving with nothing after "
                "journeys of several weeks."
            ),
            (
                "Chad alone has received more than 550,000 refugees from Darfur since the fighting began, adding to "
                "the 400,000 Sudanese who already lived in its eastern camps. In South Sudan, most arrivals are South "
                "Sudanese returnees who had fled their own country’s civil war and now return to areas with few "
                "services and little work."
            ),
            "## Host countries under strain",
            (
                "The neighboring states are among the poorest in the world and face their own crises of food "
                "insecurity and climate shocks. Camps in eastern Chad are far beyond capacity, and cholera and "
                "measles outbreaks have followed the arrivals. Egypt, which hosts the largest number of Sudanese in "
                "the region, has tightened visa rules for men of military age."
            ),
            "## A neglected emergency",
            (
                "The humanitarian appeal for Sudan and its neighbors was less than half funded in 2023, and donors "
                "pledged more than 2 billion euros at a conference in Paris this month, well short of what aid "
                "agencies requested. Without a ceasefire and sustained funding, more Sudanese are likely to attempt "
                "onward journeys toward Libya and the Mediterranean in the months ahead."
            ),
        ),
    },
    {
        "slug": "eu-migration-pact-approved-implementation",
        "type": "commentary",
        "title": "The European Parliament Has Approved the EU Migration Pact. Now Comes the Hard Part",
        "authors": ("hanne-beirens", "camille-le-coz"),
        "topics": ("europe", "refugees-asylum", "border-security"),
        "summary": (
            "After nearly a decade of negotiation, the European Parliament has approved the Pact on Migration and "
            "Asylum. This commentary argues that its success will depend less on the legal texts than on two years "
            "of implementation work that member states have barely begun."
        ),
        "body": (
            (
                "The European Parliament’s vote on April 10 closed one of the longest legislative sagas in the "
                "history of the European Union. The ten acts of the Pact on Migration and Asylum will reshape how the "
                "bloc screens arrivals at its external borders, decides asylum claims and shares responsibility among "
                "its 27 member states."
            ),
            (
                "The political compromise is fragile. Mandatory border procedures for applicants from countries with "
                "low recognition rates were the price of agreement for some governments, while a solidarity mechanism "
                "that lets states choose between relocating asylum seekers and paying into a common fund was the "
                "price for others. Each side will watch closely whether the other keeps its part of the bargain."
            ),
            (
                "Once the Council signs off, member states will have two years to put the rules into practice, and the "
                "task is enormous. Border "
                "screening requires facilities, staff and independent monitoring that few countries have in place. "
                "Faster procedures are only possible if asylum agencies can hire and train caseworkers, and if "
                "returns of rejected applicants actually happen."
            ),
            (
                "The pact will be judged by what changes on Europe’s islands and land borders by the middle of 2026. "
                "National implementation plans due later this year will be the first real test of whether governments "
                "are ready to invest in a system they have spent years arguing about."
            ),
        ),
    },
)


def check_edition(edition: int) -> int:
    """`edition` itself, or a ValueError if the mirror has no such edition."""
    if edition not in EDITIONS:
        raise ValueError(f"unknown MPI edition {edition!r}; known: {', '.join(map(str, EDITIONS))}")
    return edition


def _edited(body: tuple[Block, ...]) -> tuple[Block, ...]:
    out = []
    for block in body:
        if block.kind == "p" and block.text.startswith(_AFTER):
            old, new = _REWORDED
            if old not in block.text:
                raise ValueError(f"{CHANGED}: the text to reword is gone from content")
            text = block.text.replace(old, new).replace(_AFTER, f"{_AFTER} {CHANGED_SENTENCE}", 1)
            block = Block("p", text)
        out.append(block)
    if out == list(body):
        raise ValueError(f"{CHANGED}: the paragraph to edit is gone from content")
    return tuple(out)


def _new_publication(raw: dict[str, Any], base: Content, nid: int) -> Publication:
    return Publication(
        slug=raw["slug"],
        doc_type=base.types[raw["type"]],
        title=raw["title"],
        authors=tuple(base.people[slug] for slug in raw["authors"]),
        published=NIGHT2,
        modified=NIGHT2,
        topics=tuple(base.topics[slug] for slug in raw["topics"]),
        summary=raw["summary"],
        body=parse_blocks("\n\n".join(raw["body"])),
        image=None,
        pdf=None,
        pdf_snippet=None,
        programs=(),
        nid=nid,
    )


def _night2(base: Content) -> Content:
    by_path = {p.path: p for p in base.publications}
    if not {CHANGED, REMOVED, MOVED_FROM} <= set(by_path):
        raise ValueError("night 2 edits publications that edition 1 no longer has")
    # Drupal node ids only grow: the new nodes come after the newest existing one, 37 apart like the others.
    top = max(p.nid for p in base.publications)
    new = [_new_publication(raw, base, top + 37 * (i + 1)) for i, raw in enumerate(_NEW)]
    kept: list[Publication] = []
    for pub in base.publications:
        if pub.path == REMOVED:
            continue
        if pub.path == CHANGED:
            pub = replace(pub, body=_edited(pub.body), modified=NIGHT2)
        elif pub.path == MOVED_FROM:
            pub = replace(pub, slug=MOVED_SLUG)  # same node (nid), new URL alias
        kept.append(pub)
    pubs = sorted([*new, *kept], key=lambda p: (p.published, p.nid), reverse=True)
    content = replace(base, publications=tuple(pubs), site_modified=NIGHT2)
    _check(content)
    return content


@functools.cache
def edition_content(edition: int = 1) -> Content:
    """The content of one edition (night) of the mirror; edition 1 is the content files as they are."""
    base = load()
    return base if check_edition(edition) == 1 else _night2(base)


def moved_to() -> str:
    """Night 2's path of the moved publication."""
    return f"{MOVED_FROM.rsplit('/', 1)[0]}/{MOVED_SLUG}"


def new_paths() -> list[str]:
    """Paths of the publications that night 2 adds, newest first."""
    new = {f"{edition_content(1).types[raw['type']].prefix}/{raw['slug']}" for raw in _NEW}
    return [p.path for p in edition_content(2).publications if p.path in new]


def _redirect(location: str) -> Page:
    # Drupal's redirect module answers with Symfony's RedirectResponse: this exact body, plus its entity id.
    url = html.escape(location)
    body = (
        '<!DOCTYPE html>\n<html>\n    <head>\n        <meta charset="UTF-8" />\n'
        f'        <meta http-equiv="refresh" content="0;url=\'{url}\'" />\n\n'
        f"        <title>Redirecting to {url}</title>\n    </head>\n    <body>\n"
        f'        Redirecting to <a href="{url}">{url}</a>.\n    </body>\n</html>'
    )
    return Page(
        body.encode("utf-8"),
        HTML,
        eastern(NIGHT2, 15, 30),
        status=301,
        headers=(("Location", location), ("X-Redirect-ID", str(_REDIRECT_ID))),
    )


def render_edition(edition: int, base_url: str) -> Rendering:
    """Every page of one edition for `base_url`, with night 2's 410 and 301 answers for its old paths."""
    content = edition_content(edition)
    rendering = render(content, base_url)
    if edition >= 2:
        rendering.pages[REMOVED] = Builder(content, base_url).client_error(410)
        rendering.pages[MOVED_FROM] = _redirect(base_url + moved_to())
    return rendering
