"""The in-process search index against PostgreSQL's pg_trgm: same similarity, same results."""

import pytest
from django.db import connection

from merchants import selectors
from merchants.models import Merchant, MerchantAlias
from merchants.normalisation import normalise_descriptor
from merchants.search_index import _trigram_pairs, get_search_index, pg_similarity, pg_trigram_set
from merchants.tests.factories import merchant_with_aliases

NAMES = [
    "Dale's Bakery", "Susan's Bakery", "Dave's Bakery", "Dale's Cafe", "Bakery Dale", "Café Crème", "Cafe Creme",
    "Müller & Söhne GmbH", "Mueller Söhne", "7-Eleven", "AT&T", "H&M", "McDonald's", "Mc Donalds Drive",
    "Zürich Kaffee 24/7", "Señor Taco", "Senor Tacos", "Ø Store", "ΟΔΟΣ Market", "İstanbul Kebab", "O'Reilly Auto Parts",
    "A1 Deli", "B & Q", "3M", "Łódź Pierogi", "Straße Café", "Tesco Express #1234", "Pret A Manger",
    "St. John's Wood Pharmacy", "Dr. Oetker", "Uber *Trip", "K-Mart", "1-800-Flowers.com", "Spar_Express",
    "Ünal Döner", "ÇAY Evi", "Björk & Co.", "Crème Brûlée Ltd", "Ñandú Parrilla", "X", "Qi", "Zé's Bar",
]
QUERIES = [
    "dale", "Dales Bakery", "Dale's Bakery", "bakery", "cafe creme", "Café", "mueller", "muller", "Müller", "7 eleven",
    "at&t", "hm", "mc donalds", "McDonald's", "zurich", "24/7", "senor", "señor", "o reilly", "st johns", "ab", "a",
    "3m", "Łódź", "lodz", "strasse", "straße", "ΟΔΟΣ", "οδος", "istanbul", "İSTANBUL", "oetker", "uber trip",
    "k mart", "1800 flowers", "spar express", "spar_express", "x", "qi", "ze's", "CRÈME", "  spaced   out  ", "--", "",
    "björk", "ñandu", "çay", "ünal", "the", "store", "TESCO EXPRESS",
]

postgres_only = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="compares against pg_trgm")


@postgres_only
@pytest.mark.django_db
def test_similarity_equals_postgres_similarity_to_four_decimals():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a, b, similarity(a, b) FROM unnest(%s::text[]) a CROSS JOIN unnest(%s::text[]) b",
            [NAMES + QUERIES, QUERIES],
        )
        rows = cursor.fetchall()
    assert len(rows) == len(NAMES + QUERIES) * len(QUERIES)
    wrong = [(a, b, float(expected), pg_similarity(a, b)) for a, b, expected in rows if abs(pg_similarity(a, b) - expected) >= 5e-5]
    assert wrong == []


@postgres_only
@pytest.mark.django_db
def test_trigram_sets_equal_show_trgm_for_ascii_text():
    # show_trgm() prints multibyte trigrams as hashes, so the sets compare for ASCII text only.
    ascii_texts = [text for text in NAMES + QUERIES if text.isascii()]
    with connection.cursor() as cursor:
        cursor.execute("SELECT t, show_trgm(t) FROM unnest(%s::text[]) t", [ascii_texts])
        rows = cursor.fetchall()
    assert {text: set(grams) for text, grams in rows} == {text: pg_trigram_set(text) for text in ascii_texts}


@pytest.fixture
def sample(db):
    """The sample names, each with two aliases (as statements show them), over the seeded master."""
    taken = set(MerchantAlias.objects.values_list("normalised", flat=True))
    seeded = {name.lower() for name in Merchant.objects.values_list("canonical_name", flat=True)}
    merchants = []
    for number, name in enumerate(NAMES):
        if name.lower() in seeded:
            continue
        aliases = []
        for alias in (f"{name.upper()} {number}X", f"POS {name.upper()} LONDON"):
            key = normalise_descriptor(alias)
            if key and key not in taken:
                taken.add(key)
                aliases.append(alias)
        merchants.append(merchant_with_aliases(name, *aliases, category="dining" if number % 3 else "shopping"))
    return merchants


@postgres_only
def test_index_scores_every_name_and_alias_as_pg_trgm_does(sample):
    """Every string sharing a trigram with the query, and its score, as PostgreSQL computes them
    (names against the query as typed, aliases against its normalised form; the seeded
    merchants too)."""
    index = get_search_index()
    for query in QUERIES:
        raw = " ".join(query.split())
        norm = selectors.search_params(raw, None, 20)["norm"]
        strings, similarity = index.similar(raw, norm)
        ours = {}
        for string, score in zip(strings.tolist(), similarity.tolist(), strict=True):
            text = index.names[string] if string < len(index.names) else index.sorted_aliases[string - len(index.names)]
            ours[(string < len(index.names), text)] = round(score, 4)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT true, canonical_name, similarity(canonical_name, %(raw)s) FROM merchants_merchant"
                " WHERE similarity(canonical_name, %(raw)s) > 0"
                " UNION ALL SELECT false, normalised, similarity(normalised, %(norm)s) FROM merchants_merchantalias"
                " WHERE similarity(normalised, %(norm)s) > 0",
                {"raw": raw, "norm": norm},
            )
            theirs = {(is_name, text): round(float(score), 4) for is_name, text, score in cursor.fetchall()}
        assert ours == theirs, query


@postgres_only
@pytest.mark.parametrize("category", [None, "dining", "shopping"])
def test_in_process_search_ranks_as_the_sql_statement(sample, category):
    """The whole ranking (a limit the SQL branches' own LIMITs never bind at: with 20, the SQL
    keeps the first 20 prefix rows before the category filter, an approximation the index
    does not share), and the first 20 of it at the API's limit."""
    for query in QUERIES:
        raw = " ".join(query.split())
        expected = selectors._search_postgres(raw, category, 2000)
        assert selectors._search_in_process(raw, category, 2000) == expected, query
        assert selectors._search_in_process(raw, category, selectors.SEARCH_LIMIT) == expected[: selectors.SEARCH_LIMIT], query


def test_search_index_sees_a_new_merchant_at_once(auth_client, sample):
    get_search_index()
    merchant_with_aliases("Quorvex Bakery", "QRVX 22")
    body = auth_client.get("/api/v1/merchants/search/", {"q": "quorvex bakery"}).json()
    assert body[0]["canonical_name"] == "Quorvex Bakery" and body[0]["score"] == 1.0
    assert body[0]["aliases"] == ["QRVX 22"]
    body = auth_client.get("/api/v1/merchants/search/", {"q": "quorvexx"}).json()
    assert body[0]["canonical_name"] == "Quorvex Bakery" and 0.3 <= body[0]["score"] < 0.7


def test_ties_break_by_name_and_the_limit_holds(auth_client, sample):
    for number in range(30):
        merchant_with_aliases(f"Zyxwab Store {number:02d}")
    body = auth_client.get("/api/v1/merchants/search/", {"q": "zyxwab"}).json()
    assert [hit["canonical_name"] for hit in body] == [f"Zyxwab Store {number:02d}" for number in range(20)]
    assert {hit["score"] for hit in body} == {0.7}


@pytest.mark.parametrize("texts", [[], [""], ["--", "a\nb", "Dale's Bakery", "ΟΔΟΣ"], NAMES + QUERIES])
def test_the_index_holds_each_texts_trigram_set(texts):
    vocabulary, grams, strings, sizes = _trigram_pairs(texts)
    names = {number: name for name, number in vocabulary.items()}
    held = [set() for _ in texts]
    for gram, string in zip(grams.tolist(), strings.tolist(), strict=True):
        held[string].add(names[gram])
    assert held == [pg_trigram_set(text) for text in texts]
    assert sizes.tolist() == [len(pg_trigram_set(text)) for text in texts]
