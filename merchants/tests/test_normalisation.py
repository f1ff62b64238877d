import csv
from pathlib import Path

import pytest
from django.conf import settings

from merchants.services import normalise_descriptor

DATA = Path(settings.BASE_DIR).parent / "shared" / "data"


@pytest.mark.parametrize(
    ("descriptor", "expected"),
    [
        ("POS 4411 SQ *BLUE BOTTLE COF OAKLAND CA 04/12", "BLUE BOTTLE COF"),
        ("AMZN Mktp US*2K4HJ", "AMZN MKTP"),
        ("GOOGLE *CLOUD_02BB66-C", "GOOGLE CLOUD C"),
        ("STARBUCKS STORE 12345", "STARBUCKS"),
        ("STARBUCKS STORE #1234", "STARBUCKS"),
        ("POS MERCHANDISE;MCDONALD'S #112", "MCDONALD'S"),
        ("EFTPOS WDL HANDYWAY ALDI STORE   GEELONG WEST VICAU", "HANDYWAY ALDI STORE"),
        ("Recurring Card Purchase: Netflix.com Amsterdam (Card ) ", "NETFLIX"),
        ("Recurring Card Purchase: Apple.com/bill Itunes.com (Card ) ", "APPLE ITUNES"),
        ("POS PURCHASE (EFFEC ) PnP Fam Elgin KEMPT CARD NO. ", "PNP FAM ELGIN KEMPT"),
        ("POS Purchase Engen Mitchell Park  * 07 Oct", "ENGEN MITCHELL PARK"),
        ("POS Purchase Mcd Rivonia (53)  * 27 Oct", "MCD RIVONIA"),
        ("POS Purchase 14.99 Apple.Com/Bil  * 18 Sep", "APPLE"),
        ("Eft Debit Order Payment (): Cartrack", "CARTRACK"),
        ("POS Purchase Zapper1*Yoyo Sa Ser  * 06 Sep", "YOYO SA SER"),
        ("POS Purchase Yoco *The Laundro  * 20 Aug", "THE LAUNDRO"),
        ("POS Purchase Snapscan Bootlegger  * 29 Aug", "BOOTLEGGER"),
        ("Paid:NETFLIX.COM, NL", "NETFLIX"),
        ("CLAUDE.AI SUBSCRIPTION+14152360599 CA US", "CLAUDE SUBSCRIPTION"),
        ("WWW.GRAB.COM          BANGKOK         TH", "GRAB"),
        ("TACO BELL 740493", "TACO BELL"),
        ("TST* JOES PIZZA 0123 NEW YORK NY", "JOES PIZZA"),
        ("PAYPAL *SPOTIFY P0B6C4F2E9", "SPOTIFY"),
        ("PP*NETFLIX 866-579-7172 CA", "NETFLIX"),
        ("DEBIT CARD PURCHASE - 7-ELEVEN 12345 DALLAS TX", "7 ELEVEN"),
        ("VISA DEBIT PURCHASE CARD 1234 TESCO STORES 3456 LONDON GB", "TESCO STORES"),
        ("CHECKCARD 0412 SHELL OIL 57444 HOUSTON TX", "SHELL OIL"),
        ("PURCHASE AUTHORIZED ON 04/12 WHOLEFDS MKT 10234 AUSTIN TX S384 CARD 5555", "WHOLEFDS MKT"),
        ("Café Rémy", "CAFE REMY"),
        ("SWIGGY BANGALORE IN", "SWIGGY"),
        ("Card 4232***0581 UBER *TRIP HELP.UBER.COM", "UBER TRIP HELP UBER"),
        ("CITY OF CAPE TOWN", "CITY OF CAPE TOWN"),
        ("N26", "N26"),
        ("1MG", "1MG"),
    ],
)
def test_it_keeps_the_brand_words_of_real_descriptors(descriptor, expected):
    assert normalise_descriptor(descriptor) == expected


@pytest.mark.parametrize("noise", ["", "   ", "POS", "VISA DEBIT PURCHASE", "12/04/2023 10:31", "#1234", "XXXX1234"])
def test_pure_noise_normalises_to_nothing(noise):
    assert normalise_descriptor(noise) == ""


def test_it_is_idempotent_on_its_own_output():
    for text in ["POS Purchase Woolworths Online  * 23 Aug", "AMZN Mktp US*2K4HJ", "SQ *BLUE BOTTLE COF OAKLAND CA"]:
        once = normalise_descriptor(text)
        assert normalise_descriptor(once) == once


def _labelled_descriptors() -> list[str]:
    with (DATA / "labelled" / "yassirawad" / "transactions.csv").open(encoding="utf-8") as handle:
        return [row["description"] for row in csv.DictReader(handle)]


def test_it_never_fails_and_strips_dates_and_card_masks_from_every_labelled_row():
    descriptors = _labelled_descriptors()
    assert len(descriptors) == 451
    for descriptor in descriptors:
        result = normalise_descriptor(descriptor)
        assert result == result.strip() and "  " not in result
        assert "CARD NO" not in result and "POS PURCHASE" not in result
        assert not any(month in result.split() for month in ("AUG", "SEP", "OCT", "NOV"))


def test_sms_merchants_keep_their_brand():
    with (DATA / "sms" / "pennywise" / "sms_alerts.csv").open(encoding="utf-8") as handle:
        merchants = {row["exp_merchant"] for row in csv.DictReader(handle)}
    expected = {
        "NETFLIX.COM, NL": "NETFLIX",
        "STARBUCKS STORE #1234": "STARBUCKS",
        "PAYPAL *SParkXXX": "SPARKXXX",
        "AMAZON.COM": "AMAZON",
        "Swiggy": "SWIGGY",
        "BP#1234E": "BP",
    }
    for raw, normalised in expected.items():
        assert raw in merchants
        assert normalise_descriptor(raw) == normalised
