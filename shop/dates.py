"""The date a shopper asks about ("by Friday?", "before the 24th", "vor Weihnachten") in the
ten native languages. Pure: text, language, today (and the destination country) in, a date
or None out.

Rules:
- weekday ("by/before Saturday") = the next such day, never today;
- day of month alone ("the 24th", "le 24", "am 24.", "24日") = this month's, or next month's
  when that day has passed;
- day and month without a year (24/12, "24 December", "12月24日") = this year's, or next
  year's when it has passed; with an explicit year the date is kept even when past;
- numbers: day first, except English for the US (or no country) and Japanese, which write the
  month first; a reading that is not a date falls back to the other order;
- holidays: Christmas is the 25th, but the 24th where the Eve is the celebration (de, es, fr,
  it, pt); Christmas Eve the 24th, New Year's Eve the 31st, New Year January 1st, Songkran
  April 13th;
- relative: tomorrow, the day after, in N days, next week (= its Sunday).

Over 300 lines: most of it is the ten languages' vocabulary (weekdays, months, holidays,
relative words) beside the few rules that read it; split, each rule would import them all.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from datetime import date, timedelta

# --- normalisation --------------------------------------------------------------------

# the digits Arabic, Persian and Thai keyboards type, to ASCII (one character for one): dates,
# order numbers (shop.store) and entities (bot.text) read them all through this table
ASCII_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹๐๑๒๓๔๕๖๗๘๙", "0123456789" * 3)
_MARKS = re.compile("[\u0300-\u036f\u064b-\u065f\u0670\u0640]")  # Latin accents, harakat, tatweel


def fold(text: str) -> str:
    """Lower case, no Latin accents or Arabic vowel marks, ASCII digits, single spaces."""
    text = unicodedata.normalize("NFKD", text.translate(ASCII_DIGITS)).lower()
    text = _MARKS.sub("", text).replace("’", "'").replace("ـ", "")
    return unicodedata.normalize("NFC", re.sub(r"\s+", " ", text))


# --- vocabulary (written naturally, folded once at import) ----------------------------

WEEKDAYS: dict[str, list[tuple[int, str]]] = {
    "en": [
        (0, r"\bmonday"),
        (1, r"\btuesday"),
        (2, r"\bwednesday"),
        (3, r"\bthursday"),
        (4, r"\bfriday"),
        (5, r"\bsaturday"),
        (6, r"\bsunday"),
    ],
    "es": [
        (0, r"\blunes\b"),
        (1, r"\bmartes\b"),
        (2, r"\bmiércoles\b"),
        (3, r"\bjueves\b"),
        (4, r"\bviernes\b"),
        (5, r"\bsábado\b"),
        (6, r"\bdomingo\b"),
    ],
    "fr": [
        (0, r"\blundi\b"),
        (1, r"\bmardi\b"),
        (2, r"\bmercredi\b"),
        (3, r"\bjeudi\b"),
        (4, r"\bvendredi\b"),
        (5, r"\bsamedi\b"),
        (6, r"\bdimanche\b"),
    ],
    "de": [
        (0, r"\bmontag"),
        (1, r"\bdienstag"),
        (2, r"\bmittwoch"),
        (3, r"\bdonnerstag"),
        (4, r"\bfreitag"),
        (5, r"\b(?:samstag|sonnabend)"),
        (6, r"\bsonntag"),
    ],
    "it": [
        (0, r"\blunedì\b"),
        (1, r"\bmartedì\b"),
        (2, r"\bmercoledì\b"),
        (3, r"\bgiovedì\b"),
        (4, r"\bvenerdì\b"),
        (5, r"\bsabato\b"),
        (6, r"\bdomenica\b"),
    ],
    "pt": [
        # a bare "segunda" is also "second": only as the weekday's full name or after "até"
        (0, r"\b(?:segunda[- ]feira|(?:até|antes de|na|pra|para) (?:a )?segunda\b)"),
        (1, r"\bterça(?:[- ]feira)?\b"),
        (2, r"\bquarta[- ]feira\b|\b(?:até|antes de|na|pra|para) (?:a )?quarta\b"),
        (3, r"\bquinta[- ]feira\b|\b(?:até|antes de|na|pra|para) (?:a )?quinta\b"),
        (4, r"\bsexta(?:[- ]feira)?\b"),
        (5, r"\bsábado\b"),
        (6, r"\bdomingo\b"),
    ],
    "ar": [
        (0, r"(?:الاثنين|الإثنين|الأثنين)"),
        (1, r"الثلاثاء"),
        (2, r"الأربعاء"),
        (3, r"الخميس"),
        (4, r"الجمعة"),
        (5, r"السبت"),
        (6, r"الأحد"),
    ],
    "ja": [
        (0, r"月曜"),
        (1, r"火曜"),
        (2, r"水曜"),
        (3, r"木曜"),
        (4, r"金曜"),
        (5, r"土曜"),
        (6, r"日曜"),
    ],
    "vi": [
        (0, r"\bthứ (?:hai|2)\b"),
        (1, r"\bthứ (?:ba|3)\b"),
        (2, r"\bthứ (?:tư|4)\b"),
        (3, r"\bthứ (?:năm|5)\b"),
        (4, r"\bthứ (?:sáu|6)\b"),
        (5, r"\bthứ (?:bảy|7)\b"),
        (6, r"\bchủ nhật\b"),
    ],
    "th": [
        (0, r"วันจันทร์"),
        (1, r"(?:วัน)?อังคาร"),
        (2, r"(?:วัน)?พุธ"),
        (3, r"(?:วัน)?พฤหัส"),
        (4, r"(?:วัน)?ศุกร์"),
        (5, r"(?:วัน)?เสาร์"),
        (6, r"วันอาทิตย์"),  # a bare อาทิตย์ is also "week" (อาทิตย์หน้า)
    ],
}

MONTHS: dict[str, list[str]] = {  # regex alternatives for months 1..12
    "en": [
        "january|jan",
        "february|feb",
        "march|mar",
        "april|apr",
        "may",
        "june|jun",
        "july|jul",
        "august|aug",
        "september|sept|sep",
        "october|oct",
        "november|nov",
        "december|dec",
    ],
    "es": [
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre|setiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ],
    "fr": [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
    "de": [
        "januar|jänner",
        "februar",
        "märz",
        "april",
        "mai",
        "juni",
        "juli",
        "august",
        "september",
        "oktober",
        "november",
        "dezember",
    ],
    "it": [
        "gennaio",
        "febbraio",
        "marzo",
        "aprile",
        "maggio",
        "giugno",
        "luglio",
        "agosto",
        "settembre",
        "ottobre",
        "novembre",
        "dicembre",
    ],
    "pt": [
        "janeiro",
        "fevereiro",
        "março",
        "abril",
        "maio",
        "junho",
        "julho",
        "agosto",
        "setembro",
        "outubro",
        "novembro",
        "dezembro",
    ],
    "ar": [
        "يناير|كانون الثاني",
        "فبراير|شباط",
        "مارس|آذار",
        "أبريل|إبريل|نيسان",
        "مايو|أيار",
        "يونيو|حزيران",
        "يوليو|تموز",
        "أغسطس|آب",
        "سبتمبر|أيلول",
        "أكتوبر|تشرين الأول",
        "نوفمبر|تشرين الثاني",
        "ديسمبر|كانون الأول",
    ],
    "th": [
        "มกราคม|ม\\.ค\\.",
        "กุมภาพันธ์|ก\\.พ\\.",
        "มีนาคม|มี\\.ค\\.",
        "เมษายน|เม\\.ย\\.",
        "พฤษภาคม|พ\\.ค\\.",
        "มิถุนายน|มิ\\.ย\\.",
        "กรกฎาคม|ก\\.ค\\.",
        "สิงหาคม|ส\\.ค\\.",
        "กันยายน|ก\\.ย\\.",
        "ตุลาคม|ต\\.ค\\.",
        "พฤศจิกายน|พ\\.ย\\.",
        "ธันวาคม|ธ\\.ค\\.",
    ],
}

# (month, day) per holiday phrase; longer phrases first where one contains another
HOLIDAYS: dict[str, list[tuple[str, tuple[int, int]]]] = {
    "en": [
        (r"christmas eve|xmas eve", (12, 24)),
        (r"new year'?s eve", (12, 31)),
        (r"christmas|xmas", (12, 25)),
        (r"new year", (1, 1)),
    ],
    "es": [
        (r"nochebuena", (12, 24)),
        (r"nochevieja", (12, 31)),
        (r"navidad(?:es)?", (12, 24)),
        (r"año nuevo", (1, 1)),
        (r"reyes(?: magos)?", (1, 6)),
    ],
    "fr": [
        (r"réveillon de noël|veille de noël", (12, 24)),
        (r"saint[- ]sylvestre|réveillon du nouvel an", (12, 31)),
        (r"\bnoël", (12, 24)),
        (r"nouvel an|jour de l'an", (1, 1)),
    ],
    "de": [
        (r"heiligabend|heiligen abend", (12, 24)),
        (r"silvester", (12, 31)),
        (r"weihnacht", (12, 24)),
        (r"neujahr", (1, 1)),
    ],
    "it": [
        (r"vigilia di natale", (12, 24)),
        (r"san silvestro", (12, 31)),
        (r"\bnatale", (12, 24)),
        (r"capodanno", (1, 1)),
        (r"befana|epifania", (1, 6)),
    ],
    "pt": [
        (r"véspera de natal|noite de natal", (12, 24)),
        (r"réveillon|véspera de ano novo", (12, 31)),
        (r"\bnatal\b", (12, 24)),
        (r"ano novo", (1, 1)),
    ],
    "ar": [
        (r"ليلة (?:عيد الميلاد|الكريسماس)", (12, 24)),
        (r"عيد الميلاد المجيد|الكريسماس|كريسماس", (12, 25)),
        (r"رأس السنة|السنة الجديدة", (1, 1)),
    ],
    "ja": [
        (r"クリスマスイブ|クリスマス・イブ", (12, 24)),
        (r"大晦日|おおみそか", (12, 31)),
        (r"クリスマス", (12, 25)),
        (r"元日|元旦|お正月|正月", (1, 1)),
    ],
    "vi": [
        (r"đêm giáng sinh|đêm noel|đêm no[eê]n", (12, 24)),
        (r"giáng sinh|noel|nô[eê]n", (12, 25)),
        (r"tết dương lịch|năm mới", (1, 1)),
    ],
    "th": [
        (r"คริสต์มาสอีฟ", (12, 24)),
        (r"คริสต์มาส|คริสมาส", (12, 25)),
        (r"วันสิ้นปี", (12, 31)),
        (r"ปีใหม่", (1, 1)),
        (r"สงกรานต์", (4, 13)),
    ],
}

# day of month on its own: group 1 is the day
_UNITS = r"(?!\s*(?:%|€|\$|days?|jours?|días?|dias?|giorni|tage|euros?|ans?|años?|anni|kg|cm))"
DAY_OF_MONTH: dict[str, list[str]] = {
    "en": [
        r"\bthe (\d{1,2})(?:st|nd|rd|th)\b",
        r"\b(?:by|before|on|until|till|for) (?:the )?(\d{1,2})(?:st|nd|rd|th)\b",
    ],
    "es": [r"\b(?:el|del|al|día|dia) (\d{1,2})\b" + _UNITS],
    "fr": [r"\b(?:le|du|au|jusqu'au) (\d{1,2})(?:er)?\b" + _UNITS],
    "de": [r"\b(?:am|zum|bis|den|dem|vor dem) (\d{1,2})\.(?!\d)"],
    "it": [r"(?:\b(?:il|del|al|entro il)|\bl') ?(\d{1,2})\b" + _UNITS],
    "pt": [r"\bdia (\d{1,2})\b", r"\b(?:até|antes d)o (\d{1,2})\b" + _UNITS],
    "ar": [r"(?:يوم|تاريخ|بتاريخ) (\d{1,2})\b"],
    "ja": [r"(?<![\d月/])(\d{1,2}) ?日(?!後|以内|間|で|ほど|くらい|ぐらい|前後|かかり)"],
    "vi": [r"\bngày (\d{1,2})\b(?! ?(?:tháng|/|\.))"],
    "th": [r"วันที่ ?(\d{1,2})(?!\d)"],
}

# in N days: group 1 is N
IN_DAYS: dict[str, list[str]] = {
    "en": [r"\b(?:in|within) (\d{1,2}) days?\b"],
    "es": [r"\b(?:en|dentro de) (\d{1,2}) días?\b"],
    "fr": [r"\b(?:dans|d'ici|sous) (\d{1,2}) jours?\b"],
    "de": [r"\b(?:in|innerhalb von) (\d{1,2}) tag(?:en)?\b"],
    "it": [r"\b(?:tra|fra|entro) (\d{1,2}) giorni\b"],
    "pt": [r"\b(?:em|daqui a|dentro de) (\d{1,2}) dias?\b"],
    "ar": [r"(?:خلال|بعد|في غضون) (\d{1,2}) (?:أيام|يوم|يوما)"],
    "ja": [r"(\d{1,2}) ?日(?:後|以内|で)"],
    "vi": [r"\btrong (\d{1,2}) ngày\b", r"\b(\d{1,2}) ngày nữa\b"],
    "th": [r"(?:อีก|ภายใน) ?(\d{1,2}) ?วัน"],
}

# fixed offsets in days; longer phrases first ("day after tomorrow" before "tomorrow")
RELATIVE: dict[str, list[tuple[str, int]]] = {
    "en": [(r"\bday after tomorrow\b", 2), (r"\btomorrow\b", 1)],
    "es": [(r"\bpasado mañana\b", 2), (r"(?<!la )(?<!por )\bmañana\b", 1)],
    "fr": [(r"\baprès[- ]demain\b", 2), (r"\bdemain\b", 1)],
    "de": [(r"\bübermorgen\b", 2), (r"(?<!heute )(?<!guten )\bmorgen\b", 1)],
    "it": [(r"\bdopodomani\b", 2), (r"\bdomani\b", 1)],
    "pt": [(r"\bdepois de amanhã\b", 2), (r"\bamanhã\b", 1)],
    "ar": [(r"بعد غد|بعد بكرة", 2), (r"غدا|غداً|بكرة|بكره", 1)],
    "ja": [(r"明後日|あさって", 2), (r"明日|あした|あす", 1)],
    "vi": [(r"\bngày kia\b", 2), (r"\bngày mai\b", 1)],
    "th": [(r"มะรืน", 2), (r"พรุ่งนี้", 1)],
}

NEXT_WEEK: dict[str, str] = {
    "en": r"\bnext week\b",
    "es": r"\b(?:la )?(?:semana que viene|próxima semana|semana próxima)\b",
    "fr": r"\bsemaine prochaine\b",
    "de": r"\b(?:nächste|nächster|nächsten|kommende|kommender|kommenden) woche\b",
    "it": r"\b(?:settimana prossima|prossima settimana)\b",
    "pt": r"\b(?:semana que vem|próxima semana)\b",
    "ar": r"الأسبوع (?:القادم|المقبل|الجاي)",
    "ja": r"来週",
    "vi": r"\btuần (?:sau|tới)\b",
    "th": r"(?:สัปดาห์|อาทิตย์)หน้า",
}

LANGS = tuple(WEEKDAYS)
MONTH_FIRST = {("en", "US"), ("en", None)}  # and Japanese: 12/24 is December 24th


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(fold(pattern))


_WEEKDAY_RE = {lang: [(d, _compile(p)) for d, p in v] for lang, v in WEEKDAYS.items()}
_HOLIDAY_RE = {lang: [(_compile(p), md) for p, md in v] for lang, v in HOLIDAYS.items()}
_DAY_RE = {lang: [_compile(p) for p in v] for lang, v in DAY_OF_MONTH.items()}
_IN_DAYS_RE = {lang: [_compile(p) for p in v] for lang, v in IN_DAYS.items()}
_RELATIVE_RE = {lang: [(_compile(p), n) for p, n in v] for lang, v in RELATIVE.items()}
_NEXT_WEEK_RE = {lang: _compile(p) for lang, p in NEXT_WEEK.items()}


def _month_alt(lang: str) -> list[tuple[int, str]]:
    return [(i + 1, fold(alt)) for i, alt in enumerate(MONTHS.get(lang, []))]


def _month_regexes(lang: str) -> list[re.Pattern[str]]:
    """'24 December', 'December 24th', '24 de diciembre', '24. Dezember', '24 ديسمبر'."""
    names = "|".join(alt for _, alt in _month_alt(lang))
    if not names:
        return []
    day = r"(?P<d>\d{1,2})"
    year = r"(?:,? (?:de )?(?P<y>\d{4}))?"
    if lang in {"th", "ar"}:
        return [re.compile(day + r" ?(?P<m>" + names + r")" + year)]
    boundary = r"(?![a-zà-ÿ])"
    return [
        re.compile(
            r"\b"
            + day
            + r"(?:st|nd|rd|th|er|º|°)?\.? (?:de |of )?(?P<m>"
            + names
            + r")"
            + boundary
            + year
        ),
        re.compile(
            r"\b(?P<m>" + names + r")\.? " + day + r"(?:st|nd|rd|th)?\b(?!\s*[:h]\d)" + year
        ),
    ]


_MONTH_RE = {lang: _month_regexes(lang) for lang in LANGS}
_NUMERIC_RE = re.compile(
    r"(?<![\d/.,:-])(\d{1,2})([./])(\d{1,2})(?:\2(\d{4}|\d{2}))?\.?(?![\d/]|[.,]\d|\s*(?:%|€|\$))"
)
_ISO_RE = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
_JA_MD_RE = re.compile(r"(?:(\d{4}) ?年 ?)?(\d{1,2}) ?月 ?(\d{1,2}) ?日")
_VI_MD_RE = re.compile(fold(r"\b(?:ngày )?(\d{1,2}) tháng (\d{1,2})(?: năm (\d{4}))?\b"))


# --- date arithmetic ------------------------------------------------------------------


def _valid(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _year(raw: str | None) -> int | None:
    if not raw:
        return None
    year = int(raw)
    if year < 100:
        year += 2000
    if year > 2400:  # Thai Buddhist era
        year -= 543
    return year


def _month_day(today: date, month: int, day: int, year: int | None = None) -> date | None:
    """This year's (or next year's, once past) day; an explicit year is kept even when past."""
    if year is not None:
        return _valid(year, month, day)
    found = _valid(today.year, month, day)
    if found is None and (month, day) == (2, 29):
        return _valid(today.year + (4 - today.year % 4), 2, 29)
    if found is not None and found < today:
        found = _valid(today.year + 1, month, day)
    return found


def _day_of_month(today: date, day: int) -> date | None:
    """This month's day, or the next month that has it once it has passed."""
    year, month = today.year, today.month
    for _ in range(3):
        if day <= calendar.monthrange(year, month)[1] and date(year, month, day) >= today:
            return date(year, month, day)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return None


def _next_weekday(today: date, weekday: int) -> date:
    return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)


# --- finders, most specific first -----------------------------------------------------


def _numeric(
    text: str, langs: tuple[str, ...], today: date, lang: str, country: str | None
) -> date | None:
    iso = _ISO_RE.search(text)
    if iso:
        return _valid(int(iso[1]), int(iso[2]), int(iso[3]))
    ja = _JA_MD_RE.search(text)
    if ja:
        return _month_day(today, int(ja[2]), int(ja[3]), _year(ja[1]))
    vi = _VI_MD_RE.search(text)
    if vi:
        return _month_day(today, int(vi[2]), int(vi[1]), _year(vi[3]))
    for match in _NUMERIC_RE.finditer(text):
        a, sep, b = int(match[1]), match[2], int(match[3])
        month_first = sep == "/" and (lang == "ja" or (lang, country) in MONTH_FIRST)
        # "10.30" is no date in October: a dot means day first, only "/" may be read both ways
        readings = [(a, b), (b, a)] if month_first else [(b, a)] if sep == "." else [(b, a), (a, b)]
        for month, day in readings:
            if 1 <= month <= 12 and 1 <= day <= 31:
                found = _month_day(today, month, day, _year(match[4]))
                if found:
                    return found
    return None


def _month_name(
    text: str, langs: tuple[str, ...], today: date, lang: str, country: str | None
) -> date | None:
    for code in langs:
        for regex in _MONTH_RE[code]:
            match = regex.search(text)
            if not match:
                continue
            name = match["m"]
            month = next(m for m, alt in _month_alt(code) if re.fullmatch(alt, name))
            return _month_day(today, month, int(match["d"]), _year(match["y"]))
    return None


def _holiday(
    text: str, langs: tuple[str, ...], today: date, lang: str, country: str | None
) -> date | None:
    for code in langs:
        for regex, (month, day) in _HOLIDAY_RE[code]:
            if regex.search(text):
                return _month_day(today, month, day)
    return None


def _dom(
    text: str, langs: tuple[str, ...], today: date, lang: str, country: str | None
) -> date | None:
    for code in langs:
        for regex in _DAY_RE[code]:
            match = regex.search(text)
            if match and 1 <= int(match[1]) <= 31:
                return _day_of_month(today, int(match[1]))
    return None


def _weekday(
    text: str, langs: tuple[str, ...], today: date, lang: str, country: str | None
) -> date | None:
    for code in langs:
        for weekday, regex in _WEEKDAY_RE[code]:
            if regex.search(text):
                return _next_weekday(today, weekday)
    return None


def _relative(
    text: str, langs: tuple[str, ...], today: date, lang: str, country: str | None
) -> date | None:
    for code in langs:
        for regex in _IN_DAYS_RE[code]:
            match = regex.search(text)
            if match:
                return today + timedelta(days=int(match[1]))
        for regex, offset in _RELATIVE_RE[code]:
            if regex.search(text):
                return today + timedelta(days=offset)
        if _NEXT_WEEK_RE[code].search(text):
            return today + timedelta(days=13 - today.weekday())  # next week's Sunday
    return None


FINDERS = (_numeric, _month_name, _holiday, _dom, _weekday, _relative)


def find_target_date(
    text: str, lang: str = "en", today: date | None = None, country: str | None = None
) -> date | None:
    """The date the message asks about, or None. The shopper's language is tried first,
    then the others (a shopper may write 'Weihnachten' in an English chat)."""
    today = today or date.today()
    folded = fold(text)
    langs = (lang, *(code for code in LANGS if code != lang)) if lang in LANGS else LANGS
    for finder in FINDERS:
        found = finder(folded, langs, today, lang, country)
        if found is not None:
            return found
    return None
