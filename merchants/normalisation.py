"""Bank descriptor normalisation: "POS 4411 SQ *BLUE BOTTLE COF OAKLAND CA 04/12" -> "BLUE BOTTLE COF".

Pure and fast (precompiled regexes, no I/O): the import pipeline calls it for every row, and
aliases are stored in this same form so that an exact lookup is one dict or index hit. The
output is upper case ASCII-folded words separated by single spaces; brand words survive, the
noise banks and card processors wrap them in does not.
"""

import re
import unicodedata
from functools import lru_cache

# Card/POS/ACH wrappers banks put in front of the merchant, longest first so that
# "POS PURCHASE" wins over "POS". Matched repeatedly: "POS DEBIT VISA PURCHASE ...".
_LEADING_PHRASES = sorted(
    [
        "POS", "POS PURCHASE", "POS DEBIT", "POS TRANSACTION", "POS MERCHANDISE", "POS PURCHASE EFFEC",
        "VISA", "VISA DEBIT", "VISA PURCHASE", "MASTERCARD", "DEBIT CARD", "DEBIT CARD PURCHASE",
        "CREDIT CARD PURCHASE", "CARD PURCHASE", "CARD PAYMENT", "CARD TRANSACTION", "RECURRING CARD PURCHASE",
        "RECURRING PAYMENT", "INTERNATIONAL ONLINE PURCHASE", "INTERNATIONAL PURCHASE", "OVERSEAS PURCHASE",
        "ONLINE PURCHASE", "PURCHASE", "PURCHASE AUTHORIZED ON", "CHECKCARD", "CHECK CARD", "CHKCARD",
        "ACH", "ACH DEBIT", "ACH CREDIT", "ACH PAYMENT", "ACH WEB", "EFTPOS", "EFTPOS WDL",
        "EFTPOS PURCHASE", "EFT", "EFT DEBIT ORDER PAYMENT", "DEBIT ORDER", "DEBIT ORDER PAYMENT",
        "MAGTAPE DEBIT", "DEBICHECK PAYMENT", "DIRECT DEBIT", "STANDING ORDER", "BILL PAYMENT",
        "CONTACTLESS", "CONTACTLESS PAYMENT", "APPLE PAY", "GOOGLE PAY", "PAYMENT TO", "PAYMENT", "PMT",
        "FNB APP PAYMENT TO", "FNB APP RTC PMT TO", "FNB APP TRANSFER TO", "RTC EXPRESS PMT TO", "BANKING APP PAYMENT",
        "SEND MONEY", "PREAUTHORIZED DEBIT", "PRE AUTH", "WEB AUTHORIZED PMT", "UPI", "NEFT", "IMPS", "PAID", "PAID TO",
        "DEBIT PURCHASE", "MISCELLANEOUS PAYMENTS", "AUTOMATIC WITHDRAWAL",
    ],
    key=len,
    reverse=True,
)
_LEADING_RE = re.compile(r"^(?:(?:" + "|".join(re.escape(p) for p in _LEADING_PHRASES) + r")\b[\s:;,\-]*)+")

# Payment processors and aggregators that prefix the real merchant: "SQ *BLUE BOTTLE",
# "TST* JOES", "PAYPAL *NETFLIX", "YOCO *THE LAUNDRO", "ZAPPER1*YOYO". Brands that prefix
# their own products ("AMZN MKTP", "GOOGLE *YOUTUBE", "APPLE.COM/BILL") are not here.
_PROCESSOR_RE = re.compile(
    r"^(?:SQ|SQU|SQUARE|TST|TOAST|PAYPAL|PP|YOCO|ZAPPER\d?|SNAPSCAN|PAYFAST|PAYU|SUMUP|SUM UP|IZ|IZETTLE|"
    r"ZTL|SP|CKO|STRIPE|WD|PAYD(?: [A-Z]+)?|PAYSTACK|RAZORPAY|RAZ|PYU|CCAVENUE|BILLDESK|PAYTM|GPAY|PHONEPE|"
    r"FS|DNH|BT|CLIP MX|MOLLIE|ADYEN|WORLDPAY|EBAY O|ZETTLE)\s*\*\s*"
)
# "SNAPSCAN BOOTLEGGER": processors that print without the star.
_PROCESSOR_WORD_RE = re.compile(r"^(?:SNAPSCAN|ZAPPER\d?|YOCO)\s+(?=\S)")

_URL_SUFFIX = r"(?:COM|NET|ORG|IO|CO|UK|IN|ZA|AU|DE|NL|FR|ES|IT|IE|EU|APP|TV|ME|AI|CA|US)"
_DOMAIN_RE = re.compile(r"\b(?:HTTPS?://)?(?:WWW\.)?([A-Z0-9][A-Z0-9\-]*)((?:\." + _URL_SUFFIX + r"){1,2})\b(?:/\S*)?")
_TRUNCATED_URL_RE = re.compile(r"\b(?:HTTPS?://)?WWW\.")
_EMAIL_RE = re.compile(r"\S+@\S+")
_PHONE_RE = re.compile(r"(?:\+\d[\d\-\s.]{7,}\d)|\b\d{3}[\-.\s]\d{3}[\-.\s]\d{4}\b|\b1?8[0-9]{2}[\-.]?[0-9]{3}[\-.]?[0-9]{4}\b")
_MONTHS = r"(?:JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|SEPT|OCT|NOV|DEC)[A-Z]*"
_DATE_RES = [
    re.compile(r"\b\d{4}-\d{1,2}-\d{1,2}(?:T[\d:.]+Z?)?\b"),
    re.compile(r"\b\d{1,2}[/.\-]\d{1,2}(?:[/.\-]\d{2,4})?\b"),
    re.compile(r"\b\d{1,2}\s?" + _MONTHS + r"(?:\s?\d{2,4})?\b"),
    re.compile(r"\b" + _MONTHS + r"\s?\d{1,2}(?:\s?\d{4})?\b"),
    re.compile(r"\b\d{1,2}:\d{2}(?::\d{2})?(?:\s?[AP]M)?\b"),
]
# Card numbers and masks: 4232***0581, XXXX1234, ****1234, ########1078, "CARD NO.", "(CARD 1234)".
_CARD_MASK_RE = re.compile(r"\b\d{0,6}[X*#]{2,}\d{0,4}\b|[X*#]{2,}\d{2,4}\b")
_CARD_WORD_RE = re.compile(r"\(?\bCARD(?: NO\.?| NUMBER| ENDING(?: IN)?)?\s*\d*\s*\)?")
_STORE_NUMBER_RE = re.compile(r"(?:#|\bNO\.?\s?|\bSTORE\s?#?\s?|\bSTR\s?#?\s?|\bUNIT\s?)\s?\d+[A-Z]?\b")
_THREE_DIGITS_RE = re.compile(r"\d{3}")
_REFERENCE_WORDS = ("REF", "TXN", "TRN", "TRACE", "AUTH", "ID", "INV", "ORDER", "TRANSACTION")
_STORE_WORDS = ("#", "NO", "STORE", "STR", "UNIT")
_REFERENCE_RE = re.compile(r"\b(?:REF|REFERENCE|TXN|TRN|TRACE|AUTH|ID|INV|ORDER|TRANSACTION)\s*(?:NO|NUMBER|#|:)?\s*[:#]?\s*[A-Z0-9\-]*\d[A-Z0-9\-]*")
# Mixed letter/digit tokens with at least two digits are references ("2K4HJ", "02BB66"),
# unless shaped like a brand ("N26", "SIXTY60", "1MG"); pure digit runs of three or more are
# store numbers, amounts or ids.
_MIXED_TOKEN_RE = re.compile(r"\b(?=[A-Z]*\d[A-Z]*\d)[A-Z0-9]{3,}\b")
_BRAND_LIKE_RE = re.compile(r"[A-Z]+\d{1,2}|\d{1,2}[A-Z]{2,}")
_DIGIT_TOKEN_RE = re.compile(r"\b\d{3,}\b|\b\d+[.,]\d{2}\b")
_STAR_SUFFIX_RE = re.compile(r"\*\s*[A-Z0-9]*\d[A-Z0-9]*\b")
_NON_WORD_RE = re.compile(r"[^A-Z0-9&'+ ]+")
_SPACE_RE = re.compile(r"\s+")
_ANY_DIGIT_RE = re.compile(r"\d")
# Capitec/FNB wrappers: "POS PURCHASE (EFFEC ) ...", "(CARD )", "()".
_PARENTHESISED_NOISE_RE = re.compile(r"\((?:EFFEC|CARD)?\s*\)")
# One- or two-digit numbers after the first word are till, branch or lane numbers ("MCD RIVONIA (53)").
_LATER_NUMBER_RE = re.compile(r"(?<=\S) \d{1,2}\b")

_US_STATES = {
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS", "KY", "LA",
    "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK",
    "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "DC",
}
_REGIONS = {"NSW", "VIC", "QLD", "TAS", "ACT", "GAUTENG", "KZN", "WC", "GP"}
_COUNTRIES = {
    "US", "USA", "GB", "GBR", "UK", "IE", "IRL", "NL", "NLD", "DE", "DEU", "FR", "FRA", "ES", "ESP", "IT", "ITA",
    "BE", "LU", "AT", "AUT", "CH", "SE", "DK", "NO", "FI", "PT", "PL", "IN", "IND", "AU", "AUS", "NZ", "ZA",
    "ZAF", "SG", "AE", "ARE", "TH", "HK", "JP", "CAN", "SA",
}
# Cities seen at the end of statement lines; trimmed only when they trail a brand word.
_CITIES = {
    "NEW YORK", "NEWYORK", "SAN FRANCISCO", "LOS ANGELES", "OAKLAND", "SEATTLE", "CHICAGO", "BOSTON", "AUSTIN",
    "HOUSTON", "DALLAS", "MIAMI", "ATLANTA", "DENVER", "PORTLAND", "BROOKLYN", "SAN JOSE", "PHILADELPHIA",
    "LONDON", "MANCHESTER", "BIRMINGHAM", "LEEDS", "GLASGOW", "EDINBURGH", "BRISTOL", "LIVERPOOL", "DUBLIN",
    "AMSTERDAM", "BERLIN", "MUNICH", "MUENCHEN", "HAMBURG", "PARIS", "MADRID", "BARCELONA", "ROME", "MILAN",
    "LUXEMBOURG", "STOCKHOLM", "MUMBAI", "BANGALORE", "BENGALURU", "DELHI", "NEW DELHI", "GURGAON", "GURUGRAM",
    "NOIDA", "HYDERABAD", "CHENNAI", "PUNE", "KOLKATA", "SYDNEY", "MELBOURNE", "BRISBANE", "PERTH", "ADELAIDE",
    "GEELONG", "GEELONG WEST", "CANBERRA", "JOHANNESBURG", "CAPE TOWN", "DURBAN", "PRETORIA", "SANDTON",
    "CENTURION", "SINGAPORE", "BANGKOK", "DUBAI", "CORK", "SAN DIEGO", "SUNNYVALE",
    "MOUNTAIN VIEW", "CUPERTINO", "REDMOND", "MENLO PARK", "LOS GATOS", "SANTA CLARA",
}
_PLACE_CODES = _US_STATES | _COUNTRIES | _REGIONS
_MAX_CITY_WORDS = 2
_MONTH_WORDS = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "SEPT", "OCT", "NOV", "DEC"}
# "CITY OF CAPE TOWN", "TRANSPORT FOR LONDON": the place is part of the name.
_JOINING_WORDS = {"OF", "FOR", "AND", "THE", "DE", "LA", "IN", "AT", "&"}


@lru_cache(maxsize=200_000)
def normalise_descriptor(text: str) -> str:
    """The brand words of a bank descriptor, upper case, single-spaced; "" when nothing is left.

    Cached: statements repeat the same descriptors (the same coffee shop every morning)."""
    if not text:
        return ""
    value = _strip_leading(_fold(text))
    value = _strip_noise(value)
    value = _strip_leading(value)
    value = _NON_WORD_RE.sub(" ", value)
    value = _SPACE_RE.sub(" ", value).strip(" &'+")
    value = _strip_leading(value)
    value = _LATER_NUMBER_RE.sub("", value)
    return _strip_trailing_place(value)


def _fold(text: str) -> str:
    # NFKD then drop combining marks: "Café Rémy" and "CAFE REMY" are the same merchant.
    if not text.isascii():
        decomposed = unicodedata.normalize("NFKD", text)
        text = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _SPACE_RE.sub(" ", _PARENTHESISED_NOISE_RE.sub(" ", text.upper().replace("_", " "))).strip()


def _strip_noise(value: str) -> str:
    # Substring guards (C speed) skip the regexes that cannot match: this runs for every row.
    if "@" in value:
        value = _EMAIL_RE.sub(" ", value)
    if "." in value:
        value = _DOMAIN_RE.sub(r"\1 ", value)  # NETFLIX.COM/BILL -> NETFLIX, HELP.UBER.COM -> HELP UBER
    if "WWW" in value:
        value = _TRUNCATED_URL_RE.sub(" ", value)
    has_digits = _ANY_DIGIT_RE.search(value) is not None
    if has_digits and _THREE_DIGITS_RE.search(value):
        value = _PHONE_RE.sub(" ", value)
    if has_digits or any(month in value for month in ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")):
        for pattern in _DATE_RES:
            value = pattern.sub(" ", value)
    if "*" in value or "#" in value or "XX" in value:
        value = _CARD_MASK_RE.sub(" ", value)
    if "CARD" in value:
        value = _CARD_WORD_RE.sub(" ", value)
    if "*" in value:
        value = _STAR_SUFFIX_RE.sub(" ", value)  # AMZN MKTP US*2K4HJ -> AMZN MKTP US
    if _ANY_DIGIT_RE.search(value):
        if any(word in value for word in _REFERENCE_WORDS):
            value = _REFERENCE_RE.sub(" ", value)
        if any(word in value for word in _STORE_WORDS):
            value = _STORE_NUMBER_RE.sub(" ", value)
        value = _MIXED_TOKEN_RE.sub(_drop_reference, value)
        value = _DIGIT_TOKEN_RE.sub(" ", value)
    return _SPACE_RE.sub(" ", value).strip()


def _drop_reference(match: re.Match) -> str:
    token = match.group(0)
    return token if _BRAND_LIKE_RE.fullmatch(token) else " "


def _strip_leading(value: str) -> str:
    previous = None
    while previous != value:
        previous = value
        value = _LEADING_RE.sub("", value).lstrip(" *:-")
        value = _PROCESSOR_RE.sub("", value)
        value = _PROCESSOR_WORD_RE.sub("", value)
    return value.strip()


def _strip_trailing_place(value: str) -> str:
    """Drop a trailing country, state/region and known city, keeping at least one word."""
    words = value.split(" ")
    while len(words) > 1 and words[-1] in _MONTH_WORDS:  # "FFW INS ( NOV)", "CLUB MCC SEP SEP"
        words.pop()
    if _is_place_code(words, _COUNTRIES):
        words.pop()
    if _is_place_code(words, _US_STATES) or _is_place_code(words, _REGIONS):
        words.pop()
    # Australian banks glue state and country: "GEELONG WEST VICAU".
    if len(words) > 1 and len(words[-1]) in (4, 5) and words[-1][-2:] == "AU" and words[-1][:-2] in _REGIONS:
        words.pop()
    for size in range(_MAX_CITY_WORDS, 0, -1):
        if len(words) > size and " ".join(words[-size:]) in _CITIES and words[-size - 1] not in _JOINING_WORDS:
            del words[-size:]
            break
    if _is_place_code(words, _COUNTRIES):
        words.pop()
    return " ".join(words)


def _is_place_code(words: list[str], codes: set[str]) -> bool:
    # "OAKLAND CA" ends in a state; "JB HI FI" is a brand: a code after another short word stays.
    if len(words) < 2 or words[-1] not in codes:
        return False
    previous = words[-2]
    if len(previous) > 2:
        return True
    # "... CA US": a state before the country, itself after a real word.
    return previous in _PLACE_CODES and len(words) > 2 and len(words[-3]) > 2
