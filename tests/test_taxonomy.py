"""Topic, country and region tagging: real sentences from the seed pages, French and Spanish, false friends,
thresholds, and errors in the taxonomy file that name the file, the key and the fix."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from extract.taxonomy import Taxonomy, fold, load_taxonomy, tag
from migdigest.config import ConfigError


@pytest.fixture(scope="module")
def tx() -> Taxonomy:
    return load_taxonomy()


# Verbatim text of the seed pages (seeds/000: Mixed Migration Centre, 001: MPI International Program teasers,
# 002: ODI Human Mobility Initiative), copied here so that the tests do not depend on where the seeds live.
REMITTANCES = (
    "Remittances are a vital lifeline for migrants’ families around the world and an important source of revenue "
    "for many low- and middle-income countries, especially in times of crisis. As more people turn to digital "
    "financial technologies for these money transfers, this shift holds the potential to shake up the rigid "
    "remittance industry and boost development benefits. But it also brings new challenges, as this report explores."
)
TRAVEL_DOCUMENTS = (
    "Travel documents are critical facilitators of mobility. But for refugees, who cannot safely use a passport "
    "issued by their origin country, the lack of a usable travel document can shut them out of work, study, or "
    "other opportunities beyond their first country of asylum. This policy brief examines alternative documents "
    "that can facilitate refugees’ movement, key barriers to acquiring them, and strategies for overcoming these "
    "challenges."
)
FLEXIBLE_PROTECTION = (
    "The massive and rapid displacement of Syrians, Venezuelans, and Ukrainians presented neighboring countries "
    "with an impossible task: providing legal status and assistance, even though their asylum systems lacked the "
    "capacity to handle such a large influx. This report examines the costs and benefits of the flexible "
    "approaches taken to providing status in these three cases, identifying lessons for future crises."
)
COVID = (
    "The COVID-19 pandemic both shocked the global mobility system and reaffirmed the centrality and resiliency of "
    "human mobility. Four years on, public and political attention to COVID-19’s unprecedented consequences for "
    "cross-border movement has waned. Yet if countries are to manage mobility more effectively in future "
    "public-health crises, this is an important moment for reflection and learning, as this issue brief explores."
)
GLOBAL_MOBILITY = (
    "While human mobility globally has largely recovered from its pandemic-era drop, it is undergoing considerable "
    "change. The causes are diverse, from climate shocks and shifting economic conditions to conflict-induced "
    "displacement. This report explores how the scale and characteristics of cross-border movement are evolving "
    "post-pandemic, featuring case studies from different world regions."
)
MELILLA_TITLE = "Massacres in Melilla and Libya: nothing new on European borders"
MELILLA_SUMMARY = (
    "Despite increasing evidence of European states violating international law and employing violence against "
    "migrants at their borders, rather than a drawback, we are seeing their expansion."
)
MELILLA_CAPTION = "The fence around the Spanish enclave of Melilla."
URBAN_TITLE = "Mixed migration and cities: Urban frontlines for displacement and mobility"
URBAN_BODY = "\n".join(
    [
        (
            "In an increasingly urbanized world, cities experience numerous types of human mobility, both forced "
            "and voluntary. Cities attract internal and international migrants and offer refuge to a majority of "
            "today’s forcibly displaced. Urban centers can provide refugees and migrants with important "
            "opportunities, while also exposing them to a variety of risks."
        ),
        (
            "What are the experiences of refugees and migrants in different urban centers around the world? Which "
            "risks and opportunities do cities present to refugees and migrants, and vice-versa? To what extent "
            "do cities offer protection to refugees and migrants? How will refugees and migrants in cities be "
            "affected by climate vulnerabilities? How do different global and regional processes influence urban "
            "approaches to mobility, and what can we learn from how cities govern migration issues compared to "
            "national migration polices? What are existing data gaps regarding mobile populations in cities? And "
            "what is the relation between cities, migration and COVID-19?"
        ),
        (
            "The overarching focus of the Mixed Migration Review (MMR) 2020 is urban migration. This year’s "
            "edition offers updates on global mixed migration trends and policy developments while examining the "
            "role of cities in human mobility. Through essays, mini-case studies (‘urban spotlights’), first-hand "
            "accounts from refugees and migrants themselves (‘urban voices’) and interviews with leading experts "
            "and thought leaders the MMR2020 offers a detailed analysis of mixed migration and cities."
        ),
        ("Video messages from contributors and partners around the Mixed Migration Review 2020"),
        (
            "The launch of the Mixed Migration Review 2020 took place in the form of a panel debate bringing "
            "together migration experts from different fields. It focused on three selected aspects of the "
            "report: cities of risks, cities of opportunities and national vs. local migration policies. View the "
            "agenda here."
        ),
        (
            "Refugees and migrants in urban settings often face greater dangers, including crime, discrimination, "
            "and harassment, than other residents, and yet they frequently stand accused of bringing criminality "
            "to their cities of destination. What are potential causes for this heightened vulnerability?Do "
            "refugees and migrants also pose a risk to cities? What can governments, civil society actors and "
            "urban residents do better or differently to mitigate threats and increase protection; can we "
            "identify good practices to learn from?"
        ),
        ("Cities of opportunities -arrival cities enabling local integration and boosting economic development?"),
        (
            "Generally, it is citiesrather than national governments that are the first to respond to the needs "
            "and aspirations of refugees and migrants.Building inclusive urban destinations not only improves "
            "individuals’ ability to establish livelihoods, but also promotes wider community cohesion and "
            "sustainable urban development. How to create a win-win situation, offering the best economic "
            "opportunities and access to services to refugees and migrants in cities and boostlocal economic "
            "development through urban migration? How can cities work together, across borders, to contribute to "
            "smarter, more productive and humane migration policies?"
        ),
        ("National versus local migration policies -pragmatic rebellion?"),
        (
            "In many countries, there can be contested space between national and city-level approaches to "
            "migration. Cities seeking practical solutions may defy national migration and refugee policies, "
            "(such as in the case of ‘sanctuary cities’), orin some cases have a tougher stance on migration than "
            "national policy.Whether for ethical, practical or political reasons, what can we learn from some "
            "city’s positive and progressive approaches to mixed migration? What did the Covid-19 pandemic tell "
            "us about the importance of urban migration responses? Should cities be given a greater voice in the "
            "design of effective migration and refugee policies at the national, regional, and global levels?"
        ),
    ]
)


# ------------------------------------------------------------------------------------------- real seed text


def test_remittances_teaser(tx: Taxonomy) -> None:
    tags = tag("", REMITTANCES, "", tx)
    assert "Remittances" in tags.topics
    assert "Development" in tags.topics  # "boost development benefits"


def test_travel_documents_teaser_is_asylum_and_protection(tx: Taxonomy) -> None:
    tags = tag("", TRAVEL_DOCUMENTS, "", tx)
    assert "Asylum and protection" in tags.topics  # "first country of asylum"
    assert "Resettlement and complementary pathways" in tags.topics  # "refugees’ movement"


def test_syrians_venezuelans_ukrainians(tx: Taxonomy) -> None:
    tags = tag("", FLEXIBLE_PROTECTION, "", tx)
    assert tags.countries == ["Syria", "Ukraine", "Venezuela"]
    assert tags.regions == [
        "Middle East and North Africa",
        "Middle East",
        "Europe",
        "Eastern Europe",
        "Americas",
        "Latin America and the Caribbean",
        "South America",
    ]
    assert "Asylum and protection" in tags.topics  # "their asylum systems"


def test_covid_teaser_is_public_health(tx: Taxonomy) -> None:
    tags = tag("", COVID, "", tx)
    assert "Public health and COVID-19" in tags.topics
    assert "Border policy" not in tags.topics  # "cross-border movement"


def test_cross_border_movement_is_not_border_policy(tx: Taxonomy) -> None:
    tags = tag("", GLOBAL_MOBILITY, "", tx)
    assert "Climate and displacement" in tags.topics  # "climate shocks"
    assert "Border policy" not in tags.topics


def test_urban_page(tx: Taxonomy) -> None:
    tags = tag(URBAN_TITLE, "", URBAN_BODY, tx)
    assert "Urban migration" in tags.topics
    assert "Irregular and mixed migration" in tags.topics  # "Mixed migration and cities"
    assert "Public health and COVID-19" in tags.topics  # COVID-19 twice in the body
    assert "Data and statistics" not in tags.topics  # "data gaps" once only
    assert "Climate and displacement" not in tags.topics  # "climate vulnerabilities" once only
    assert "Border policy" not in tags.topics  # "across borders"
    assert tags.countries == []


def test_melilla_and_libya(tx: Taxonomy) -> None:
    tags = tag(MELILLA_TITLE, MELILLA_SUMMARY, "", tx)
    assert tags.topics == ["Border policy"]
    assert tags.countries == ["Libya", "Spain"]
    assert tags.regions == ["Africa", "Middle East and North Africa", "North Africa", "Europe", "Southern Europe"]


def test_spanish_enclave_caption(tx: Taxonomy) -> None:
    assert tag("", MELILLA_CAPTION, "", tx).countries == ["Spain"]


# ------------------------------------------------------------------------------------------- other languages


def test_french(tx: Taxonomy) -> None:
    tags = tag(
        "Les demandeurs d’asile au Sénégal",
        "Les demandeurs d’asile arrivés au Sénégal depuis la Guinée attendent des mois une décision sur leur "
        "statut de réfugié.",
        "",
        tx,
    )
    assert tags.topics == ["Asylum and protection"]
    assert tags.countries == ["Guinea", "Senegal"]
    assert tags.regions == ["Africa", "Sub-Saharan Africa", "West Africa"]


def test_spanish(tx: Taxonomy) -> None:
    tags = tag("", "Las remesas de los migrantes venezolanos en Colombia crecieron en 2023.", "", tx)
    assert tags.topics == ["Remittances"]
    assert tags.countries == ["Colombia", "Venezuela"]
    assert tags.regions == ["Americas", "Latin America and the Caribbean", "South America"]


def test_spanish_and_french_regions(tx: Taxonomy) -> None:
    tags = tag("", "La ruta del Mediterráneo Central y el Sahel", "", tx)
    assert tags.regions == ["Africa", "Sub-Saharan Africa", "Sahel", "Mediterranean", "Central Mediterranean"]
    tags = tag("", "Les migrants dans la Corne de l’Afrique et au Moyen-Orient", "", tx)
    assert tags.regions == [
        "Africa",
        "Sub-Saharan Africa",
        "East Africa",
        "Horn of Africa",
        "Middle East and North Africa",
        "Middle East",
    ]


def test_accents_and_case_do_not_matter(tx: Taxonomy) -> None:
    for text in ("Sénégal", "SENEGAL", "senegal", "Senegal"):
        assert tag(text, "", "", tx).countries == ["Senegal"], text
    assert tag("", "DEMANDEURS D'ASILE", "", tx).topics == ["Asylum and protection"]
    assert fold("Perú, São Tomé, Côte d’Ivoire — œuvre") == "Peru, Sao Tome, Cote d'Ivoire - oeuvre"


def test_pattern_syntax(tx: Taxonomy) -> None:
    assert tag("", "asylum-seekers", "", tx).topics == ["Asylum and protection"]  # "asylum seeker(s)"
    assert tag("", "the principle of non refoulement", "", tx).topics == ["Asylum and protection"]
    assert tag("", "remittance", "", tx).topics == tag("", "remittances", "", tx).topics == ["Remittances"]
    assert tag("", "remesas", "", tx).topics == ["Remittances"]
    assert tag("", "labor migration and labour migration", "", tx).topics == ["Labour migration"]


# ------------------------------------------------------------------------------------------- thresholds


def test_a_passing_body_mention_does_not_tag(tx: Taxonomy) -> None:
    once = "The report looks at schools. Remittances are mentioned here once. Kenya too. The rest is about schools."
    tags = tag("School enrolment", "A study of classrooms.", once, tx)
    assert tags.topics == []
    assert tags.countries == []
    twice = once + " Remittances again, and Kenyan teachers."
    tags = tag("School enrolment", "A study of classrooms.", twice, tx)
    assert tags.topics == ["Remittances"]
    assert tags.countries == ["Kenya"]


def test_title_or_summary_mention_tags_at_once(tx: Taxonomy) -> None:
    assert tag("Remittances in Kenya", "", "", tx).countries == ["Kenya"]
    assert tag("", "Remittances in Kenya", "", tx).topics == ["Remittances"]


def test_topic_with_a_higher_body_threshold(tx: Taxonomy) -> None:
    body = "The city council met. Another city council met."
    assert "Urban migration" not in tag("", "", body, tx).topics
    assert "Urban migration" in tag("", "", body + " A third city council met.", tx).topics


def test_region_named_explicitly_or_implied(tx: Taxonomy) -> None:
    assert tag("Migration in the Sahel", "", "", tx).regions == ["Africa", "Sub-Saharan Africa", "Sahel"]
    assert tag("Migrants from Mali", "", "", tx).regions == ["Africa", "Sub-Saharan Africa", "West Africa", "Sahel"]
    assert tag("The Balkans route", "", "", tx).regions == ["Europe", "Southern Europe", "Balkans"]


# ------------------------------------------------------------------------------------------- false friends


def test_guineas(tx: Taxonomy) -> None:
    tags = tag("Guinea-Bissau, Equatorial Guinea and Papua New Guinea", "", "", tx)
    assert tags.countries == ["Equatorial Guinea", "Guinea-Bissau", "Papua New Guinea"]
    tags = tag("Guinea pigs, the Gulf of Guinea and the island of New Guinea", "", "", tx)
    assert tags.countries == []
    assert tag("Returns to Guinea", "", "", tx).countries == ["Guinea"]
    assert tag("", "Guinée équatoriale et Guinée-Bissau", "", tx).countries == ["Equatorial Guinea", "Guinea-Bissau"]
    assert tag("", "Guinea Ecuatorial y Papúa Nueva Guinea", "", tx).countries == [
        "Equatorial Guinea",
        "Papua New Guinea",
    ]


def test_longest_name_wins(tx: Taxonomy) -> None:
    assert tag("South Sudan", "", "", tx).countries == ["South Sudan"]
    assert tag("Sudan", "", "", tx).countries == ["Sudan"]
    assert tag("The Niger Delta", "", "", tx).countries == ["Nigeria"]
    assert tag("Niger and the Niger River", "", "", tx).countries == ["Niger"]
    assert tag("Dominica", "", "", tx).countries == ["Dominica"]
    assert tag("Dominican workers", "", "", tx).countries == ["Dominican Republic"]
    assert tag("South Africa and Southern Africa", "", "", tx).countries == ["South Africa"]
    assert tag("Northern Ireland", "", "", tx).countries == ["United Kingdom"]
    assert tag("New Mexico", "", "", tx).countries == []
    assert tag("Latin American migrants", "", "", tx).countries == []


def test_ambiguous_names_give_the_region_only(tx: Taxonomy) -> None:
    tags = tag("Congolese refugees in Uganda", "", "", tx)
    assert tags.countries == ["Uganda"]
    assert "Central Africa" in tags.regions
    assert tag("Refugees from the DRC", "", "", tx).countries == ["Democratic Republic of the Congo"]
    assert tag("Congo-Brazzaville", "", "", tx).countries == ["Republic of the Congo"]
    assert tag("Korean workers", "", "", tx).countries == []
    assert tag("South Korean workers", "", "", tx).countries == ["South Korea"]


def test_case_matters_for_acronyms_and_marked_names(tx: Taxonomy) -> None:
    assert tag("Tell us what you think", "", "", tx).countries == []
    assert tag("ABOUT US", "", "", tx).countries == []  # an all-capitals line
    assert tag("Asylum in the US", "", "", tx).countries == ["United States"]
    assert tag("Migrants in the U.S. and the UK", "", "", tx).countries == ["United Kingdom", "United States"]
    assert tag("A turkey sandwich", "", "", tx).countries == []
    assert tag("Refugees in Turkey", "", "", tx).countries == ["Türkiye"]
    assert tag("", "De l'eau pour les EAU", "", tx).countries == ["United Arab Emirates"]
    assert tag("Remittances in US dollars", "", "", tx).countries == []


# ------------------------------------------------------------------------------------------- loading


def test_loading_is_cached_and_complete(tx: Taxonomy) -> None:
    assert load_taxonomy() is tx
    assert len(tx.countries) >= 193
    assert len(set(tx.iso.values())) == len(tx.countries)
    for topic in ("Asylum and protection", "Labour migration", "Remittances", "Climate and displacement",
                  "Smuggling and trafficking", "Urban migration", "Integration and inclusion",
                  "Return and readmission", "Border policy", "Statelessness", "Public health and COVID-19",
                  "Data and statistics", "Development", "Diaspora", "Resettlement and complementary pathways",
                  "Internal displacement"):  # fmt: skip
        assert topic in tx.topics
    # Every country rolls up to a top-level region.
    for country, regions in tx.country_regions.items():
        assert any(not tx.parents[r] for r in regions), country


GOOD = """
topics:
  Remittances: {en: [remittance(s)]}
regions:
  Africa: {}
  West Africa: {parents: [Africa]}
countries:
  Senegal: {iso: SN, region: West Africa}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "taxonomy.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_small_file_loads(tmp_path: Path) -> None:
    small = load_taxonomy(write(tmp_path, GOOD))
    tags = tag("Remittances to Senegal", "", "", small)
    assert (tags.topics, tags.countries, tags.regions) == (["Remittances"], ["Senegal"], ["Africa", "West Africa"])


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        (("region: West Africa", "region: West Afrika"), ["countries.Senegal.region", "did you mean 'West Africa'"]),
        (("parents: [Africa]", "parents: [Afrika]"), ["regions.West Africa.parents", "unknown region 'Afrika'"]),
        (("{en: [remittance(s)]}", "{eng: [remittance(s)]}"), ["topics.Remittances.eng", "remove it or check"]),
        (("{en: [remittance(s)]}", "{en: ['remit(tance']}"), ["topics.Remittances.en.0", "parentheses"]),
        (("{en: [remittance(s)]}", "{en: ['remit[ta]nce']}"), ["topics.Remittances.en.0", "not allowed"]),
        (("iso: SN", "iso: sn"), ["countries.Senegal.iso", "two capital letters"]),
        (("iso: SN, region", "region"), ["countries.Senegal.iso", "add it"]),
        (("Africa: {}", "Africa: {parents: [West Africa]}"), ["regions.", "its own ancestor"]),
        (("{iso: SN, region: West Africa}", "{iso: SN, region: West Africa, en: [Africa]}"), ["also matches"]),
        (("topics:", "topics: ["), ["not valid YAML"]),
    ],
)
def test_errors_name_the_file_the_key_and_the_fix(tmp_path: Path, edit: tuple[str, str], words: list[str]) -> None:
    old, new = edit
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(ConfigError) as error:
        load_taxonomy(path)
    message = str(error.value)
    assert str(path) in message
    for word in words:
        assert word in message


def test_a_taxonomy_is_pickled_as_its_path(tx: Taxonomy) -> None:
    # Extraction workers receive it this way: a few bytes, and their own cached compilation of the same file.
    data = pickle.dumps(tx)
    assert len(data) < 500
    assert pickle.loads(data) is tx


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_taxonomy(tmp_path / "nope.yaml")


def test_an_edited_file_is_reloaded(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    first = load_taxonomy(path)
    path.write_text(GOOD.replace("remittance(s)", "remesa*"), encoding="utf-8")
    second = load_taxonomy(path)
    assert second is not first
    assert tag("remesas", "", "", second).topics == ["Remittances"]
