"""Near-duplicate clustering: syndicated copies, exact copies, different articles, canonical choice, determinism."""

from __future__ import annotations

import itertools
import random

import pytest

from extract.dedupe import DocText, cluster, normalise, text_hash

# Two different articles on the same topic (cities and migration), in the style of the seed pages.
ARTICLE = (
    "In an increasingly urbanized world, cities experience numerous types of human mobility, both forced and "
    "voluntary. Cities attract internal and international migrants and offer refuge to a majority of today’s "
    "forcibly displaced. Urban centers can provide refugees and migrants with important opportunities, while also "
    "exposing them to a variety of risks.\n"
    "Refugees and migrants in urban settings often face greater dangers, including crime, discrimination, and "
    "harassment, than other residents, and yet they frequently stand accused of bringing criminality to their "
    "cities of destination. Governments, civil society actors and urban residents can do more to mitigate threats "
    "and increase protection, and there are good practices to learn from.\n"
    "Generally, it is cities rather than national governments that are the first to respond to the needs and "
    "aspirations of refugees and migrants. Building inclusive urban destinations not only improves individuals’ "
    "ability to establish livelihoods, but also promotes wider community cohesion and sustainable urban "
    "development. Cities can work together, across borders, to contribute to smarter, more productive and humane "
    "migration policies.\n"
    "In many countries, there can be contested space between national and city-level approaches to migration. "
    "Cities seeking practical solutions may defy national migration and refugee policies, as in the case of "
    "sanctuary cities, or in some cases take a tougher stance on migration than national policy."
)
OTHER_ARTICLE = (
    "Mayors in Africa and Europe are working together to improve human mobility between their cities. Through a "
    "dialogue that started before the pandemic, city leaders from both continents share what works when newcomers "
    "arrive: language classes run by libraries, one-stop shops for residence papers, and partnerships with "
    "employers who need workers. Municipal budgets are small, and national governments decide most of the rules, "
    "so the mayors have focused on what they control directly.\n"
    "The pandemic showed how much cities depend on migrant workers in health care, transport and food "
    "distribution. Several cities opened their vaccination centres to residents without papers and extended "
    "emergency support to informal workers. These measures were often temporary, and the dialogue now asks how "
    "to make them last.\n"
    "Participants also discussed climate change, which is pushing people from rural areas into fast-growing "
    "secondary cities in West Africa and the Sahel. Planning for that growth, with housing, water and jobs, is a "
    "shared concern for mayors on both sides of the Mediterranean, and one where European cities can learn as "
    "much as they teach."
)
INTRO = "This article was first published by the Mixed Migration Centre and is republished here with permission."
OUTRO = "Sign up to our weekly newsletter to receive more analysis like this. Follow us on social media."


def syndicated(text: str) -> str:
    """A copy on another site: its own intro and outro, a few words edited, paragraphs joined differently."""
    edited = (
        text.replace("numerous types", "many kinds")
        .replace("often face", "frequently face")
        .replace("Generally,", "In general,")
        .replace("\n", " ")
    )
    return f"{INTRO}\n{edited}\n{OUTRO}"


def doc(key: str, body: str, published: str | None = "2024-01-10", title: str = "Cities", source: str = "a") -> DocText:
    return DocText(key=key, source=source, title=title, body=body, published=published)


def test_texts_are_long_enough_to_be_compared() -> None:
    assert len(ARTICLE.split()) > 150
    assert len(OTHER_ARTICLE.split()) > 150


def test_syndicated_copy_joins_the_original() -> None:
    docs = [
        doc("https://mixedmigration.org/a", ARTICLE, "2024-01-10", source="mmc"),
        doc("https://example.org/repost", syndicated(ARTICLE), "2024-01-12", source="other"),
        doc("https://odi.org/b", OTHER_ARTICLE, "2024-01-11", source="odi"),
    ]
    assert cluster(docs) == {
        "https://mixedmigration.org/a": "https://mixedmigration.org/a",
        "https://example.org/repost": "https://mixedmigration.org/a",
    }


def test_same_topic_different_article_is_not_a_duplicate() -> None:
    assert cluster([doc("https://a.org/1", ARTICLE), doc("https://b.org/2", OTHER_ARTICLE)]) == {}


def test_shared_boilerplate_does_not_make_articles_duplicates() -> None:
    boiler = " ".join([INTRO, OUTRO] * 3)
    docs = [
        doc("https://a.org/1", f"{boiler}\n{ARTICLE}\n{boiler}"),
        doc("https://a.org/2", f"{boiler}\n{OTHER_ARTICLE}\n{boiler}"),
    ]
    assert cluster(docs) == {}


def test_exact_copy_with_whitespace_and_case_changes() -> None:
    copy = "  " + ARTICLE.upper().replace(" ", "   ").replace("’", "'").replace("\n", "\n\n\t")
    docs = [doc("https://a.org/1", ARTICLE), doc("https://b.org/1", copy, "2023-12-31")]
    assert cluster(docs) == {"https://a.org/1": "https://b.org/1", "https://b.org/1": "https://b.org/1"}
    assert text_hash(ARTICLE) == text_hash(copy)
    assert normalise("  A\u00a0b’C  ") == "a b'c"


def test_short_texts_cluster_only_when_identical_with_the_same_title() -> None:
    short = "Registration for this event is now closed. Thank you for your interest."
    docs = [
        doc("https://a.org/event-1", short, title="Launch of the Mixed Migration Review"),
        doc("https://a.org/event-2", short, title="Webinar on climate and mobility"),
        doc("https://b.org/event-1", short.lower(), title="Launch of the Mixed Migration Review"),
        doc(
            "https://a.org/event-3", short.replace("Thank you", "Many thanks"), title="Webinar on climate and mobility"
        ),
    ]
    assert cluster(docs) == {
        "https://a.org/event-1": "https://a.org/event-1",
        "https://b.org/event-1": "https://a.org/event-1",
    }


def test_near_copies_of_short_texts_are_not_compared() -> None:
    text = " ".join(ARTICLE.split()[:40])
    assert cluster([doc("https://a.org/1", text), doc("https://b.org/1", text + " Read more.")]) == {}


def test_empty_bodies_are_never_duplicates() -> None:
    assert cluster([doc("https://a.org/1", ""), doc("https://b.org/1", "   ", title="Cities")]) == {}


@pytest.mark.parametrize(
    ("a", "b", "canonical"),
    [
        # The earliest published wins.
        (("https://z.org/1", "2023-05-01", ARTICLE), ("https://a.org/1", "2024-05-01", ARTICLE), "https://z.org/1"),
        # Undated comes last.
        (("https://a.org/1", None, ARTICLE), ("https://z.org/1", "2024-05-01", ARTICLE), "https://z.org/1"),
        # Same date: the longer body.
        (
            ("https://a.org/1", "2024-05-01", ARTICLE),
            ("https://z.org/1", "2024-05-01", syndicated(ARTICLE)),
            "https://z.org/1",
        ),
        # Same date, same length: the smaller key.
        (("https://z.org/1", "2024-05-01", ARTICLE), ("https://a.org/1", "2024-05-01", ARTICLE), "https://a.org/1"),
    ],
)
def test_canonical_member(a: tuple[str, str | None, str], b: tuple[str, str | None, str], canonical: str) -> None:
    docs = [doc(a[0], a[2], a[1]), doc(b[0], b[2], b[1])]
    assert cluster(docs) == {a[0]: canonical, b[0]: canonical}


def test_word_count_given_by_the_caller_is_used_for_ties() -> None:
    docs = [
        DocText("https://a.org/1", "a", "Cities", ARTICLE, "2024-05-01", word_count=100),
        DocText("https://z.org/1", "b", "Cities", ARTICLE, "2024-05-01", word_count=900),
    ]
    assert set(cluster(docs).values()) == {"https://z.org/1"}


def corpus() -> list[DocText]:
    rng = random.Random(11)
    words = (ARTICLE + " " + OTHER_ARTICLE).split()
    docs = [doc("https://mmc.org/a", ARTICLE, "2024-01-01"), doc("https://odi.org/b", OTHER_ARTICLE, "2024-01-02")]
    docs.append(doc("https://x.org/a", syndicated(ARTICLE), "2024-01-03"))
    docs.append(doc("https://y.org/a", ARTICLE.replace("\n", "  "), "2024-01-01"))
    docs.append(doc("https://y.org/b", syndicated(OTHER_ARTICLE), None))
    for n in range(40):
        body = " ".join(rng.choice(words) for _ in range(rng.randint(60, 300)))
        docs.append(doc(f"https://r.org/{n}", body, f"2024-02-{n % 28 + 1:02d}"))
    return docs


def test_result_does_not_depend_on_input_order() -> None:
    docs = corpus()
    expected = cluster(docs)
    assert expected == {
        "https://mmc.org/a": "https://mmc.org/a",
        "https://x.org/a": "https://mmc.org/a",
        "https://y.org/a": "https://mmc.org/a",
        "https://odi.org/b": "https://odi.org/b",
        "https://y.org/b": "https://odi.org/b",
    }
    rng = random.Random(5)
    for _ in range(5):
        shuffled = docs[:]
        rng.shuffle(shuffled)
        assert cluster(shuffled) == expected
    assert cluster(list(reversed(docs))) == expected


def test_planted_copies_are_all_found() -> None:
    rng = random.Random(2)
    vocabulary = [f"w{n}" for n in range(3000)]
    docs = [doc(f"https://a.org/{n}", " ".join(rng.choices(vocabulary, k=rng.randint(80, 600)))) for n in range(1500)]
    planted = {}
    for n, original in enumerate(rng.sample(docs, 100)):
        words = original.body.split()
        for _ in range(3):
            words[rng.randrange(len(words))] = "edited"
        key = f"https://b.org/{n}"
        docs.append(doc(key, "Republished with permission. " + " ".join(words), "2024-03-01"))
        planted[key] = original.key
    found = cluster(docs)
    # Short originals with three edits can fall under 0.8; the others must all be found.
    expected = {k: v for k, v in planted.items() if len(next(d for d in docs if d.key == v).body.split()) >= 150}
    assert all(found.get(k) == v for k, v in expected.items())
    assert set(found) <= set(planted) | set(planted.values())


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="repeated"):
        cluster([doc("https://a.org/1", ARTICLE), doc("https://a.org/1", OTHER_ARTICLE)])
    with pytest.raises(ValueError, match="threshold"):
        cluster([], threshold=0)
    assert cluster([]) == {}


def test_threshold_is_honoured() -> None:
    docs = [doc("https://a.org/1", ARTICLE), doc("https://b.org/1", syndicated(ARTICLE))]
    assert cluster(docs, threshold=0.99) == {}
    assert len(cluster(docs, threshold=0.6)) == 2


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
def test_three_way_cluster_any_order(order: tuple[int, ...]) -> None:
    docs = [
        doc("https://a.org/1", ARTICLE, "2024-01-05"),
        doc("https://b.org/1", syndicated(ARTICLE), "2024-01-03"),
        doc("https://c.org/1", ARTICLE.replace("sanctuary cities", "cities of refuge"), "2024-01-04"),
    ]
    result = cluster([docs[i] for i in order])
    assert result == dict.fromkeys(["https://a.org/1", "https://b.org/1", "https://c.org/1"], "https://b.org/1")
