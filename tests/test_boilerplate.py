"""Call-to-action lines dropped from bodies (extract/boilerplate.py), and the article's own lines kept."""

from __future__ import annotations

import pytest

from extract.boilerplate import is_boilerplate, strip_boilerplate
from extract.page import extract_page
from migdigest.config import Source


@pytest.mark.parametrize(
    "line",
    [
        "Read more: Alibaba poised to launch record-breaking $13.4bn Hong Kong listing",
        "READ MORE: China plague outbreak confirmed",
        "See also: Displacement in the Sahel, 2019",
        "Related: Possible Water Plumes on Europa: The Discovery in Images",
        "Related stories: Five things to know about the Pact",
        "Click here to subscribe to The Paradigm Newsletter",
        "Subscribe to the Morning Review newsletter",
        "Sign up for our weekly migration briefing",
        "Get the latest updates right in your inbox. Subscribe to NJ.com’s newsletters.",
        "CLICK HERE TO GET THE FOX NEWS APP",
        "Comments",
        "12 comments",
        "Filed under: Khawarij |",
        "- Advertisement",
        "2019-11-19T08:57:40+01:00",
        "Like this story? Share it with a friend!",
        "Thanks for signing up!",
        "There was an error processing your subscription.",
        "An error has occurred, please try again later.",
        "- Order Reprints",
        "- Print Article",
        "Write to Al Root at allen.root@example.com",
        "Tell us what YOU think...",
        "This copy is for your personal, non-commercial use only. To order presentation-ready copies, use Reprints.",
    ],
)
def test_calls_to_action_are_boilerplate(line: str) -> None:
    assert is_boilerplate(line)


@pytest.mark.parametrize(
    "line",
    [
        "Read more about the methodology in the annex to the report.",
        "See more photos:",
        "Related research shows that remittances rose in 2023.",
        "Comments from the ministry were not available by the time of publication.",
        "Subscribers to the scheme, mostly seasonal workers, received their visas within a month.",
        "Get the numbers right, the minister told parliament, and the policy follows.",
        # Instructions that are the article's advice, not the site's.
        "- Sign up for the Disney+ bundle using the same email as your Hulu account",
        "Click here to get more information or download this game.",
        # A long paragraph that happens to open like a call to action is the article's text.
        "Sign up rates for the voluntary return programme were low: only 312 of the 4,000 people eligible in "
        "the first year applied, according to the agency's own figures, which the ministry has not disputed.",
    ],
)
def test_the_articles_own_lines_are_not(line: str) -> None:
    assert not is_boilerplate(line)


def test_strip_keeps_the_order_and_repeated_lines() -> None:
    body = "Step one: register.\nRead more: Another story\nStep one: register.\nThe end of the text."
    assert strip_boilerplate(body) == "Step one: register.\nStep one: register.\nThe end of the text."


def test_extract_page_drops_a_read_more_line_inside_the_article() -> None:
    text = "".join(
        f"<p>Paragraph {i} explains how the new rules on asylum were applied across the region last year.</p>"
        for i in range(4)
    )
    html = (
        "<html><head><title>Rules</title></head><body><article><h1>Rules</h1>"
        f"{text}<p>Read more: <a href='/other'>Return policy after the Pact</a></p>{text}</article></body></html>"
    )
    body = extract_page(html, "https://news.example.org/2024/05/rules").body
    assert "Paragraph 3 explains" in body
    assert "Read more" not in body
    assert "Return policy after the Pact" not in body


def test_a_configured_body_selector_is_cleaned_too() -> None:
    source = Source.model_validate({
        "name": "ex", "title": "Example Institute", "base_url": "https://www.example.org",
        "discovery": {"sitemaps": ["/sitemap.xml"]}, "selectors": {"body": "div.text"},
    })  # fmt: skip
    html = (
        "<html><head><title>Rules</title></head><body><h1>Rules</h1><div class='text'>"
        "<p>The first finding of the study.</p><p>Sign up for our newsletter</p><p>The second finding.</p>"
        "</div></body></html>"
    )
    body = extract_page(html, "https://www.example.org/research/rules", source=source).body
    assert body == "The first finding of the study.\nThe second finding."


def test_an_other_stories_widget_goes_with_its_headlines() -> None:
    body = "\n".join([
        "China has sent troops to Hong Kong, the ministry said on Tuesday.",
        "DON'T MISS",
        "China furious at Macron for Hong Kong protest jibe [INSIGHT]",
        "Hong Kong 'threatened with Chinese military intervention' [REACTION]",
        "The protests began in June and have continued every weekend since, with hundreds arrested by the police.",
        "You may also like...",
        "Who will make the Rock Hall in 2020?",
    ])  # fmt: skip
    assert strip_boilerplate(body).split("\n") == [
        "China has sent troops to Hong Kong, the ministry said on Tuesday.",
        "The protests began in June and have continued every weekend since, with hundreds arrested by the police.",
    ]


def test_a_line_that_only_starts_like_a_widget_heading_stays() -> None:
    body = "Most popular among the respondents was the option to stay.\nTrending upwards since 2019, arrivals rose."
    assert strip_boilerplate(body) == body


PARAGRAPH = (
    "The agency registered 41,000 new arrivals in the first quarter, most of them families travelling from the "
    "border towns after the floods."
)


def test_captions_a_gallery_repeats_are_kept_once() -> None:
    # A gallery shows each caption once per view: the run of captions comes back word for word.
    captions = [
        PARAGRAPH,
        "Photo: Agency",
        "The minister, left, and her counterpart shake hands before the talks on the readmission agreement in the "
        "capital on Wednesday, after a night of negotiations over the return of rejected asylum seekers.",
    ]
    body = "\n".join(["Arrivals rose again.", *captions, "Image 1 of 8", *captions, "The talks went on all night."])
    assert strip_boilerplate(body).split("\n") == [
        "Arrivals rose again.",
        *captions,
        "Image 1 of 8",
        "The talks went on all night.",
    ]


def test_a_paragraph_quoted_again_stays() -> None:
    body = "\n".join(["Arrivals rose again.", PARAGRAPH, "As the agency put it:", PARAGRAPH])
    assert strip_boilerplate(body) == body


def test_a_repeated_section_of_short_lines_is_kept_once() -> None:
    section = [
        "Energy-efficient upgrades",
        *(f"Upgrade {i}: insulation, new windows and a heat pump." for i in range(6)),
    ]
    body = "\n".join(["Costs vary by county.", *section, "Medical modifications", *section])
    assert strip_boilerplate(body).split("\n") == ["Costs vary by county.", *section, "Medical modifications"]


def test_list_items_repeated_by_each_price_plan_stay() -> None:
    features = [f"- Feature {i}: a phone consultation with one of our resume experts" for i in range(6)]
    body = "\n".join(["Basic", *features, "Premium", *features, "- Interview guarantee"])
    assert strip_boilerplate(body) == body


def test_lines_that_repeat_on_purpose_stay() -> None:
    # A training plan: the same warm-up every day, with the day's own session between.
    days = [
        line
        for day in ("Monday", "Wednesday", "Friday")
        for line in (day, "- Warm up: 10 minutes of easy jogging and five strides", f"- {day}'s session: 5 km")
    ]
    assert strip_boilerplate("\n".join(days)) == "\n".join(days)
    # An interview: the same questions to each of five cooks, long enough to be a section when two come back.
    questions = [
        "What made you start cooking for others, and what did your family say when you began to write about it online?",
        "Which cuisine do you like best yourself, and is there a dish or a product you would never cook for anyone?",
        "Your own recipe for a quick dinner on a weekday:",
    ]
    interview = [line for cook in range(5) for line in (f"Cook {cook}", *questions, f"Cook {cook}'s own answer.")]
    assert strip_boilerplate("\n".join(interview)) == "\n".join(interview)


def _news_page(summary: str, header: str, body: str) -> str:
    return (
        f"<html><head><title>Talks</title><meta name='description' content='{summary}'></head><body><article>"
        f"<header>{header}</header>{body}</article></body></html>"
    )


STORY = "".join(
    f"<p>Paragraph {i} of the story explains how the talks on the readmission agreement went on all night.</p>"
    for i in range(4)
)
DEK = "Ministers agreed on returns, but not on the money that goes with them."


def test_the_standfirst_under_the_headline_is_not_body_text() -> None:
    html = _news_page(DEK, f"<h1>Talks end in a deal</h1><h2 class='sub-head'>{DEK}</h2>", STORY)
    body = extract_page(html, "https://news.example.org/2024/05/02/talks").body
    assert DEK not in body
    assert body.startswith("Paragraph 0 of the story")


def test_a_lede_that_restates_the_description_stays() -> None:
    lede = "Ministers agreed on returns on Thursday, but not on the money that goes with them, after a night of talks."
    html = _news_page(lede, "<h1>Talks end in a deal</h1>", f"<p>{lede}</p>{STORY}")
    body = extract_page(html, "https://news.example.org/2024/05/02/talks").body
    assert body.startswith(lede)
