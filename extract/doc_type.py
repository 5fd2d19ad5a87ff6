"""A publication's document type without configuration: what its metadata, labels, address and title say.

First that says wins: a specific schema.org type or genre, citation/Dublin Core/og:type metadata > a label shown on
the page (a kicker or eyebrow above the title, the last breadcrumb) > a segment of the address > words of the
title > a generic schema.org Article. None when nothing says ("other" to the caller). A source's configured
selector, listing label and url_types come first (extract/page.py).
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from lxml.html import HtmlElement

from extract.metadata import ARTICLE_TYPES, PageMeta

# The digest's vocabulary (migdigest.models.DOC_TYPES), as words pages use, in the languages the digest reads.
_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (doc_type, re.compile(pattern, re.IGNORECASE))
    for doc_type, pattern in (
        ("working paper", r"\bworking[- ]?papers?\b|\bdiscussion[- ]?papers?\b|\bdocuments? de travail\b|"
                          r"\barbeitspapier|\bdocumentos? de trabajo\b|\bpreprints?\b"),
        ("policy brief", r"\bpolicy[- ]?(?:briefs?|briefings?|papers?|notes?)\b|\bissue[- ]?briefs?\b|\bbriefs?\b|"
                         r"\bbriefing[- ]?(?:notes?|papers?)\b|\bnotes? d.?orientation\b|\bpolicy[- ]?memos?\b"),
        ("report", r"\breports?\b|\brapports?\b|\bberichte?\b|\binformes?\b|\bstud(?:y|ies)\b|\bstudien?\b"),
        ("podcast", r"\bpodcasts?\b|\bepisodes?\b"),
        ("video", r"\bvideos?\b|\bvidéos?\b|\bwebcasts?\b"),
        ("event", r"\bevents?\b|\bwebinars?\b|\bconferences?\b|\bseminars?\b|\bworkshops?\b|\bveranstaltung(?:en)?\b|"
                  r"\bévénements?\b|\beventos?\b|\bpanel discussions?\b"),
        ("dataset", r"\bdata ?sets?\b|\bdatasets?\b|\bdata\b|\bdaten\b|\bdonnées\b|\bdatos\b|\bstatistics\b"),
        ("commentary", r"\bcommentar(?:y|ies)\b|\bcomments?\b|\bopinions?\b|\bop-?eds?\b|\bblogs?\b|\bblog posts?\b|"
                       r"\banalys[ie]s\b|\bperspectives?\b|\bexpert voices?\b|\bkommentare?\b|\bcommentaires?\b|"
                       r"\bessays?\b|\binsights?\b|\beditorials?\b"),
        ("article", r"\barticles?\b|\bnews\b|\bpress releases?\b|\bartikel\b|\bnoticias?\b|\bactualités?\b|"
                    r"\bjournal articles?\b|\bfeatures?\b"),
    )
)  # fmt: skip

# schema.org types that name one of the types; Article and its plain subtypes only weigh last.
_LD_TYPES = {
    "Report": "report",
    "ScholarlyArticle": "working paper",
    "Event": "event",
    "EducationEvent": "event",
    "BusinessEvent": "event",
    "SocialEvent": "event",
    "PodcastEpisode": "podcast",
    "PodcastSeries": "podcast",
    "RadioEpisode": "podcast",
    "VideoObject": "video",
    "Dataset": "dataset",
    "DataCatalog": "dataset",
    "OpinionNewsArticle": "commentary",
    "AnalysisNewsArticle": "commentary",
    "BlogPosting": "commentary",
}
_GENERIC_LD = {"Article": "article", "NewsArticle": "article", "ReportageNewsArticle": "article"}
# Labels above a headline: a kicker, eyebrow, overline or content-type badge, by their class or id.
_LABEL_MARK = re.compile(
    r"kicker|eyebrow|overline|content[-_]?type|doc(?:ument)?[-_]?type|post[-_]?type|publication[-_]?type|"
    r"article[-_]?type|pub[-_]?type|type[-_]?label|label|badge|category|genre|format",
    re.IGNORECASE,
)
# Address segments, whole: /reports/, /policy-briefs/, /working-papers/, /commentary/, /events/, /podcast/...
_SEGMENTS = {
    "report": "report", "reports": "report", "research-reports": "report", "studies": "report", "study": "report",
    "policy-brief": "policy brief", "policy-briefs": "policy brief", "briefs": "policy brief",
    "brief": "policy brief", "issue-briefs": "policy brief", "policy-papers": "policy brief",
    "briefing-notes": "policy brief", "policy-briefing": "policy brief", "briefings": "policy brief",
    "working-paper": "working paper", "working-papers": "working paper", "workingpapers": "working paper",
    "wp": "working paper", "discussion-papers": "working paper", "papers": "working paper",
    "commentary": "commentary", "commentaries": "commentary", "comment": "commentary", "opinion": "commentary",
    "opinions": "commentary", "op-ed": "commentary", "op-eds": "commentary", "blog": "commentary",
    "blogs": "commentary", "analysis": "commentary", "analyses": "commentary", "perspectives": "commentary",
    "insights": "commentary", "essays": "commentary",
    "events": "event", "event": "event", "webinars": "event", "webinar": "event", "conferences": "event",
    "podcast": "podcast", "podcasts": "podcast", "episodes": "podcast",
    "video": "video", "videos": "video", "multimedia-video": "video",
    "data": "dataset", "datasets": "dataset", "dataset": "dataset", "data-hub": "dataset", "statistics": "dataset",
    "news": "article", "articles": "article", "article": "article", "press-releases": "article",
    "features": "article", "stories": "article",
}  # fmt: skip


def match_words(text: str) -> str | None:
    """The document type a short label or title names, or None."""
    return next((doc_type for doc_type, pattern in _WORDS if pattern.search(text)), None)


# Types a page often embeds beside its own (an upcoming event, a video in the text): they name the page only
# when it declares no article type.
_EMBEDDED = {"Event", "EducationEvent", "BusinessEvent", "SocialEvent", "VideoObject"}


def _from_metadata(meta: PageMeta) -> str | None:
    types = meta.types()
    article = bool(types & set(ARTICLE_TYPES))
    for kind in sorted(types, key=lambda k: (k in _EMBEDDED, k)):
        if kind in _LD_TYPES and not (article and kind in _EMBEDDED):
            return _LD_TYPES[kind]
    genre = meta.ld("genre") or meta.ld("articleSection")
    if isinstance(genre, list):
        genre = " ".join(g for g in genre if isinstance(g, str))
    if isinstance(genre, str) and len(genre.split()) <= 4 and (found := match_words(genre)):
        return found
    institution = meta.first("citation_technical_report_institution", "citation_technical_report_number")
    if institution:
        return match_words(institution) if match_words(institution) == "working paper" else "report"
    if meta.first("citation_journal_title"):
        return "article"
    if meta.first("citation_dissertation_institution"):
        return "report"
    dc_type = meta.first("dc.type", "dcterms.type", "citation_article_type")
    if dc_type and (found := match_words(dc_type)):
        return found
    og_type = (meta.first("og:type") or "").lower()
    if og_type.startswith("video"):
        return "video"
    if og_type.startswith(("music", "podcast")):
        return "podcast"
    return None


def _short(el: HtmlElement) -> str | None:
    text = " ".join(el.text_content().split())
    return text if text and len(text.split()) <= 4 else None


def _from_labels(tree: HtmlElement) -> str | None:
    """A short label near the headline, then the last step of the breadcrumbs before the page itself."""
    h1 = next(tree.iter("h1"), None)
    if h1 is not None:
        # The headline's container and its parent: kickers sit just above or beside the <h1>.
        scopes = [a for a, _ in zip(h1.iterancestors(), range(3), strict=False)]
        for scope in scopes:
            for el in scope.iter():
                if el is h1 or not isinstance(el.tag, str) or el.tag in ("nav", "ul", "ol"):
                    continue
                marks = f"{el.get('class', '')} {el.get('id', '')}"
                if _LABEL_MARK.search(marks) and (text := _short(el)) and (found := match_words(text)):
                    return found
    for crumbs in tree.xpath(
        "//*[contains(@class, 'breadcrumb') or @aria-label='breadcrumb' or @aria-label='Breadcrumb' or "
        "contains(@itemtype, 'BreadcrumbList')]"
    ):
        steps = [t for t in (_short(li) for li in crumbs.xpath(".//li|.//a")) if t]
        for step in reversed(steps[1:-1] or steps[:-1]):
            if found := match_words(step):
                return found
    return None


# Phrases that name a type wherever they stand in a title or at the head of a slug; other words ("data",
# "news", "report") say it only as a label of their own.
_NAMING = re.compile(
    r"\b(?:working[- ]papers?|policy[- ](?:briefs?|papers?)|note[- ]d.?orientation|podcasts?|webinars?|editorials?|"
    r"op-eds?)\b",
    re.IGNORECASE,
)


def _from_address(url: str) -> str | None:
    parts = [unquote(s).lower() for s in urlsplit(url).path.split("/") if s]
    for segment in reversed(parts[:-1]):  # the last is the slug
        if segment in _SEGMENTS:
            return _SEGMENTS[segment]
    head = " ".join(re.split(r"[-_]+", parts[-1])[:3]) if parts else ""
    found = _NAMING.search(head)
    return match_words(found[0].replace("-", " ")) if found else None


def doc_type(tree: HtmlElement, meta: PageMeta, url: str, title: str) -> str | None:
    """What the page says its document type is, or None when nothing does."""
    found = _from_metadata(meta) or _from_labels(tree) or _from_address(url)
    if found:
        return found
    # A title names its type only as a whole phrase ("Working Paper 12: ...", "Podcast: ..."), not in passing.
    head = re.split(r"[:|–—-]", title, maxsplit=1)[0] if re.search(r"[:|–—-]", title) else ""
    if head and len(head.split()) <= 4 and (found := match_words(head)):
        return found
    if named := _NAMING.search(title):
        return match_words(named[0])
    return next((_GENERIC_LD[k] for k in sorted(meta.types()) if k in _GENERIC_LD), None)
