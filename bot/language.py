"""Language identification for chat, right from the first word: script rules, a chat lexicon
blended with lingua, stickiness.

Used by the Rasa NLU component (one message at a time), by the action server and by the gateway,
which adds the conversation's previous language and the page locale as hints.

Over 300 lines: the word lists and character tables are data that the rules next to them read,
and one module keeps "which language is this" a single import for Rasa, actions and gateway.

Why lingua decides and langdetect is only a second opinion (bench/language_detection.py on the
hand-written first words of bench/data/first_words.yml): on single words langdetect restricted
to our 10 languages is right 0.72 of the time, raw langdetect 0.51, lingua restricted to our 10
languages 0.87; on word pairs 0.85 / 0.73 / 0.94. langdetect is also random unless seeded and
10-50x slower (p95 4-20 ms per message against 0.1-0.3 ms). Neither knows chat vocabulary
("cadê", "toi chua nhan", "svp"), so the word shares learned from our NLU training data are
blended with lingua's probabilities: 0.95 on single words, 0.98 on pairs, 1.00 on sentences.

How a message is read:
  1. no letters (numbers, emoji, an order number, an email, "ok") -> no language;
  2. scripts: any kana -> ja; Thai, Arabic (ar / fa / ur), Hangul, Cyrillic ... by majority,
     Thai / Arabic / Han already from 30 % of the letters (code-switching with English product
     words); kanji-only text is Japanese (our only Han-script native) unless the hint says zh or
     the text has characters Japanese does not write (simplified or traditional-only forms, 你);
  3. Vietnamese-only letters (ơ, đ, ạ ...) -> vi;
  4. Latin text: lingua restricted to our 10 languages (high accuracy, built once, lazily; its
     low-accuracy mode loses 4-8 points on 1-2 words) blended with the chat lexicon;
  5. languages we serve through translation (pl, tr, nl ...): letters none of ours write (ł, ş,
     ř ...) name them; otherwise, on three words or more that our lexicon hardly knows, lingua's
     low-accuracy models over the Latin natives and those languages must say so and langdetect
     over the same languages must agree it is none of ours. One or two words without such
     letters are always read as one of ours: `choose` would not switch a conversation to
     machine translation on them anyway.

Memory: ~185 MB for lingua's high-accuracy models of the Latin natives, ~30 MB for the
low-accuracy ones of all Latin candidates, ~9 MB for langdetect's 22 profiles; the first Latin
message loads them (~1 s): call `warm_up()` at start-up.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import regex

from bot import nludata

NATIVE = ("en", "es", "fr", "de", "it", "pt", "ar", "ja", "vi", "th")
LATIN_NATIVE = ("en", "es", "fr", "de", "it", "pt", "vi")
# Latin-script languages our shoppers write in most that we serve through translation.
SERVED_LATIN = tuple("nl pl tr id sv da no fi cs ro hu tl sk hr ca".split())
LATIN_CANDIDATES = LATIN_NATIVE + SERVED_LATIN
_LINGUA_CODE = {"no": "nb"}  # lingua knows Norwegian as Bokmål; we (and translation) say "no"

# Distinctive everyday words per language: decisive on 1-3 word messages where n-gram
# statistics alone guess wrong ("hola", "danke", "cadê"). Unaccented spellings included.
LEXICON: dict[str, frozenset[str]] = {
    k: frozenset(v.split())
    for k, v in {
        "en": "to for and of you your with this that does will are was get got from about "
        "ordered tax import shipping delivery item items any just please where is my the order "
        "parcel package hi hello hey thanks thank you please refund "
        "return when still received didn't haven't hasn't yet what why how can size wrong "
        "broken arrived want cancel address need help human agent scam it's i'm",
        "es": "el los las del pero porque hasta nada puedo mis sus desde hace días semanas envío "
        "impuesto aduana dónde donde está esta mi pedido paquete hola gracias por favor todavía "
        "todavia cuándo cuando reembolso devolución devolucion talla quiero estafa envío envio "
        "llegó llego llegado ya también tengo necesito hablar persona muchas buenas "
        "qué cómo como usted ustedes dinero",
        "fr": "les des une avec pour mais depuis jours semaines rien suis avez êtes ai douane taxe "
        "où mon ma mes commande colis bonjour merci pas encore reçu recu je remboursement "
        "retour taille quand pourquoi svp bjr arnaque livraison toujours aucune nouvelle "
        "c'est est-ce vous j'ai n'ai d'une veux parler quelqu'un argent",
        "de": "und mit für von den dem ein eine einen seit tagen wochen nichts bin haben sind zoll "
        "steuer wo ist mein meine paket bestellung hallo danke nicht noch bekommen wann ich "
        "rückerstattung größe groesse grösse betrug sendung lieferung bitte warum schon "
        "kein keine geld zurück zurueck habe möchte moechte sprechen mensch",
        "it": "il gli della delle con per ma perché da giorni settimane nulla sono ho hanno dogana "
        "tasse dov'è dove mio mia ordine pacco ciao grazie ancora arrivato quando rimborso reso "
        "taglia perché perche spedizione è sono ho voglio soldi truffa buongiorno niente "
        "nn cmq xké parlare operatore",
        "pt": "os das dos uma com para mas porque desde dias semanas nada sou tenho têm alfândega "
        "taxa onde meu minha pedido encomenda olá ola oi obrigado obrigada não nao ainda chegou "
        "quando reembolso devolução devolucao tamanho cadê cade você vc golpe entrega "
        "dinheiro quero falar atendente recebi estou já ja tá",
        "vi": "tôi toi đơn don hàng hang ở đâu dau chưa chua nhận nhan được duoc cảm ơn cam xin "
        "chào chao bao giờ gio hoàn tiền tien của cua không khong bạn ban em anh chị chi "
        "giao lừa đảo muốn",
    }.items()
}
# Chat tokens of no language: they neither count as words nor vote.
NEUTRAL = frozenset("ok okay okey oki okk kk lol xd xdd hmm hmmm hm mm mmm uh uhm um umm".split())

# Share of the Latin-script score that comes from the chat lexicon (the rest from lingua).
# Chosen on the even-numbered half of bench/data/first_words.yml, checked on the odd half and on
# the held-out shopper messages: 0.4-0.7 all give the same accuracy within a point.
LEXICON_WEIGHT = 0.55
HINT_BONUS = 0.1  # a right page locale gains 2 points on single words, a wrong one costs 3
POOL_TEMPER = 0.7  # <1 tempers the product: the two sources are not truly independent
VOTE_SMOOTHING = 0.05  # a language the lexicon does not vote for is unlikely, not impossible
# A language we serve through translation wins over ours on three words or more, with this much
# of the served-language detector's vote and at most that much support from our chat lexicon.
# Shorter texts are one of ours unless they have letters none of ours write: `choose` never lets
# one or two words switch a conversation to translation, so reading "bot inútil" as Slovak could
# only hurt.
SERVED_MIN_WORDS = 3
SERVED_MIN_CONFIDENCE = 0.5
SERVED_MAX_LEXICON = 0.3
# Thai / Arabic / Han letters decide the language from this share of the letters on.
NATIVE_SCRIPT_SHARE = 0.3
# A first message of one or two words sets the conversation's language from this confidence
# on (when it is one of ours); below it the page locale, then English, decide.
FIRST_MESSAGE_CONFIDENCE = 0.4

# Letters only Vietnamese writes (ă is Romanian too: left to the n-gram models)
_VI_LETTERS = regex.compile(r"[đơưĩũạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", regex.I)
# Latin letters none of our Latin-script languages write (ł ą ę ş ğ ı ř ů å ø ő ...).
_NATIVE_LATIN = "a-zA-ZàáâãäçèéêëìíîïñòóôõöùúûüýÿœæßÀÁÂÃÄÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝŸŒÆẞăâđêôơưĂÂĐÊÔƠƯ"
_FOREIGN_LATIN = regex.compile(rf"[\p{{Latin}}--[{_NATIVE_LATIN}]]", regex.V1)
# ... and which of the languages we serve write them (lingua's low-accuracy mode does not
# filter on them: it reads "nie dotarło" as Swedish)
_FOREIGN_LETTER_LANGUAGES = {
    **dict.fromkeys("łąęśźżćń", ("pl",)),
    **dict.fromkeys("őű", ("hu",)),
    **dict.fromkeys("ğı", ("tr",)),
    "ş": ("tr", "ro"),
    **dict.fromkeys("șțţ", ("ro",)),
    **dict.fromkeys("řůě", ("cs",)),
    **dict.fromkeys("čšžďťň", ("cs", "sk", "hr")),
    **dict.fromkeys("ľĺŕ", ("sk",)),
    "å": ("sv", "da", "no", "fi"),
    "ø": ("da", "no"),
}
_NOISE = regex.compile(
    r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+|https?://\S+|(?i:xb-?\d{6})"
    r"|\b[A-Z]{2,3}\d{9,12}[A-Z]{0,2}\b|\d+([.,]\d+)?"
)
_LETTER = regex.compile(r"\p{L}")
_WORD = regex.compile(r"[\p{L}\p{M}']+")
_LATIN_WORD = regex.compile(r"^[\p{Latin}\p{M}']+$")
_SCRIPTS = {
    "ar": regex.compile(r"\p{Arabic}"),
    "th": regex.compile(r"\p{Thai}"),
    "kana": regex.compile(r"[\p{Hiragana}\p{Katakana}]"),
    "han": regex.compile(r"\p{Han}"),
    "ko": regex.compile(r"\p{Hangul}"),
    "cyr": regex.compile(r"\p{Cyrillic}"),
    "he": regex.compile(r"\p{Hebrew}"),
    "el": regex.compile(r"\p{Greek}"),
    "hi": regex.compile(r"\p{Devanagari}"),
}
_PERSIAN = regex.compile(r"[پچژگ]")
_URDU = regex.compile(r"[ٹڈڑںے]")
_UKRAINIAN = regex.compile(r"[іїєґ]", regex.I)

# Han characters Japanese does not write: simplified Chinese forms (Japanese has its own
# shinjitai: 対 not 对, 発 not 发), traditional forms Japanese simplified differently (對 發 樣),
# and Chinese-only function characters (你 吗 呢 们).
_CHINESE_ONLY = frozenset(
    "们这过还谢说话请问订单货运费换邮递购买卖钱块码东车门间个对时为发边样么吗让给认识电视场处"
    "务员爱乐书长见贵饭馆钟头开关现业专产从优传伤际陆阳阴队险隐难鸡龙齐后几收坏损错误询帮账户"
    "录线网页级红蓝绿颜裤经结约终纸丢无难题师"
    "們這說單遞賣錢對發邊樣麼嗎讓處樂關專產從傳險隱雞齊沒壞詢幫戶錄綠顏褲經丟"
    "你她吧呢啊哪怎咱吗"
)
# ... and kanji (shinjitai, kokuji) Chinese does not write: they outvote stray Chinese forms.
_JAPANESE_ONLY = frozenset(
    "込払変売続済労働図駅広沢気歳戻発対応様辺楽処専従険鶏竜斉円帰読関単経伝鉄転価証験検営覚戦"
    "帯団増蔵拡黒県弁仏乗焼浄譲髪抜浜満訳薬両緑涙励霊齢歴恋録湾畑峠枠匂"
)
_CHINESE_WORDS = ("我的", "你的", "没有", "什么", "可以吗", "不是", "为什么", "怎么", "谢谢")


@dataclass(frozen=True)
class Detection:
    language: str | None  # ISO 639-1, None when the text carries no language (numbers, emoji)
    confidence: float
    reliable: bool  # strong enough to switch an established conversation language
    method: str  # script | lexicon | ngram | none


_NO_LANGUAGE = Detection(None, 0.0, False, "none")


@lru_cache(maxsize=1)
def learned_words() -> dict[str, dict[str, float]]:
    """Latin-script word -> share of its uses per native language, from our NLU training data
    (never the held-out sets): the chat vocabulary n-gram models have not seen, romanised
    Japanese ("henpin shitai") and Arabic included."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for lang in NATIVE:
        for examples in nludata.training_examples(lang).values():
            for example in examples:
                text = _NOISE.sub(" ", nludata.plain(example))
                for word in {w.lower() for w in _WORD.findall(text) if _LATIN_WORD.match(w)}:
                    counts[word][lang] += 1
    table: dict[str, dict[str, float]] = {}
    for word, by_lang in counts.items():
        total = sum(by_lang.values())
        if total >= 2:
            table[word] = {lang: n / total for lang, n in by_lang.items()}
    for lang, vocab in LEXICON.items():  # hand-picked words count as fully distinctive
        for word in vocab:
            table.setdefault(word, {lang: 1.0})
    return table


# ---------------------------------------------------------------- lingua (built once, lazily)

_BUILD_LOCK = threading.Lock()
_DETECTORS: dict[str, Any] = {}


def _lingua(kind: str) -> Any:
    """ "native": our 10 languages, high accuracy (~185 MB: lingua loads a language's models on
    first use, and only the Latin-script ones are ever asked for); "served": the Latin natives
    and SERVED_LATIN, low accuracy (~30 MB; high accuracy would cost ~25 MB per language)."""
    found = _DETECTORS.get(kind)
    if found is not None:
        return found
    with _BUILD_LOCK:
        if kind not in _DETECTORS:
            from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

            codes = NATIVE if kind == "native" else LATIN_CANDIDATES
            languages = [
                Language.from_iso_code_639_1(IsoCode639_1.from_str(_LINGUA_CODE.get(c, c)))
                for c in codes
            ]
            builder = LanguageDetectorBuilder.from_languages(*languages)
            if kind == "served":
                builder = builder.with_low_accuracy_mode()
            _DETECTORS[kind] = builder.build()
        return _DETECTORS[kind]


def _second_opinion(text: str) -> str | None:
    """langdetect over the Latin natives and SERVED_LATIN (seeded, ~9 MB, ~1 ms): asked only
    when lingua's low-accuracy models say a text of three words or more is a served language."""
    factory = _DETECTORS.get("langdetect")
    if factory is None:
        with _BUILD_LOCK:
            if "langdetect" not in _DETECTORS:
                from langdetect import DetectorFactory, detector_factory

                DetectorFactory.seed = 0  # langdetect is random unless seeded
                built = DetectorFactory()
                profiles = Path(detector_factory.PROFILES_DIRECTORY)
                built.load_json_profile(
                    [(profiles / c).read_text(encoding="utf-8") for c in LATIN_CANDIDATES]
                )
                _DETECTORS["langdetect"] = built
            factory = _DETECTORS["langdetect"]
    from langdetect.lang_detect_exception import LangDetectException

    detector = factory.create()
    detector.append(text)
    try:
        return str(detector.detect())
    except LangDetectException:  # no features in the text
        return None


def _code(language: Any) -> str:
    code = str(language.iso_code_639_1.name).lower()
    return "no" if code == "nb" else code


def _lingua_probs(kind: str, text: str) -> dict[str, float]:
    values = _lingua(kind).compute_language_confidence_values(text)
    return {_code(v.language): float(v.value) for v in values if v.value > 0}


def warm_up() -> None:
    """Loads every model a message may need (~1 s), so that the first shopper does not wait."""
    learned_words()
    detect("where is my order please")
    _lingua_probs("served", "where is my order please")
    _second_opinion("where is my order please")


# ---------------------------------------------------------------- scripts


def _han(letters: str, hint: str | None) -> Detection:
    chinese = sum(ch in _CHINESE_ONLY for ch in letters)
    chinese += 2 * sum(word in letters for word in _CHINESE_WORDS)
    japanese = sum(ch in _JAPANESE_ONLY for ch in letters)
    if hint == "zh" and not japanese:
        return Detection("zh", 0.9, True, "script")
    if chinese > japanese:
        return Detection("zh", 0.9 if japanese == 0 else 0.7, True, "script")
    # kanji-only text: Japanese, our only native language written in Han characters
    return Detection("ja", 0.95 if japanese else 0.9, True, "script")


def _script(letters: str, hint: str | None) -> Detection | None:
    n = len(letters)
    count = {name: len(rx.findall(letters)) for name, rx in _SCRIPTS.items()}
    if count["kana"]:
        return Detection("ja", 0.99, True, "script")
    best = max(count, key=count.__getitem__)
    share = count[best] / n
    if share < 0.5 and not (best in ("th", "ar", "han") and share >= NATIVE_SCRIPT_SHARE):
        return None
    if best == "ar":
        lang = "ur" if _URDU.search(letters) else "fa" if _PERSIAN.search(letters) else "ar"
        return Detection(lang, 0.97, True, "script")
    if best == "han":
        return _han(letters, hint)
    if best == "cyr":
        return Detection("uk" if _UKRAINIAN.search(letters) else "ru", 0.9, True, "script")
    return Detection(best, 0.98, True, "script")


# ---------------------------------------------------------------- Latin script


def _lexicon_votes(words: list[str]) -> dict[str, float]:
    """Average share per language over the words (unknown words vote for nobody)."""
    table = learned_words()
    votes: dict[str, float] = defaultdict(float)
    for word in words:
        for lang, share in (table.get(word) or {}).items():
            votes[lang] += share / len(words)
    return votes


def _served(text: str, words: list[str], votes: dict[str, float]) -> Detection | None:
    """A language we serve through translation, when the text clearly is one."""
    support = max(votes.values(), default=0.0)
    letters = set(_FOREIGN_LATIN.findall(text.lower()))
    candidates = {c for ch in letters for c in _FOREIGN_LETTER_LANGUAGES.get(ch, ())}
    # mostly our chat vocabulary: "my name is Małgorzata, where is my order" is English
    if candidates and support <= 0.5:
        # letters none of ours write: one of the languages that write them
        probs = _lingua_probs("served", text)
        written = max(sorted(candidates), key=lambda c: probs.get(c, 0.0))
        among = sum(probs.get(c, 0.0) for c in candidates)
        confidence = round(probs.get(written, 0.0) / among if among else 1 / len(candidates), 3)
        return Detection(written, confidence, len(words) >= 3 and confidence >= 0.7, "script")
    if len(words) < SERVED_MIN_WORDS or support > SERVED_MAX_LEXICON:
        return None
    probs = _lingua_probs("served", text)
    best = max(probs, key=probs.__getitem__, default=None)
    if best is None or best in NATIVE or probs[best] < SERVED_MIN_CONFIDENCE:
        return None
    # low accuracy reads "vestibilità slim o regular" as Tagalog: langdetect must agree that
    # this is none of ours (it may pick a neighbour: Norwegian for Danish or Dutch)
    if _second_opinion(text) in (None, *NATIVE):
        return None
    confidence = round(probs[best], 3)
    return Detection(best, confidence, len(words) >= 3 and confidence >= 0.7, "ngram")


def _confidence(
    best: str, probs: dict[str, float], votes: dict[str, float], words: list[str]
) -> float:
    """How sure `best` is: lingua's and the lexicon's distributions multiplied as independent
    evidence and normalised, so that agreement reads as certainty even when the lexicon knows
    only some of the words and lingua spreads its vote (it gives "i want to talk to a person"
    0.43 English). The ranking itself stays the linear blend, the more accurate of the two on
    one or two words."""
    model_total, vote_total = sum(probs.values()), sum(votes.values())
    if not vote_total:
        return round(probs.get(best, 0.0) / model_total, 3) if model_total else 0.0

    def model_share(lang: str) -> float:
        if not model_total:
            return 1.0
        if lang not in LATIN_NATIVE:  # romanised Japanese or Arabic: lingua has no opinion
            return 1 / len(LATIN_NATIVE)
        return probs.get(lang, 0.0) / model_total

    pooled = {
        lang: (model_share(lang) * (votes.get(lang, 0.0) / vote_total + VOTE_SMOOTHING))
        ** POOL_TEMPER
        for lang in {*LATIN_NATIVE, *votes}
    }
    total = sum(pooled.values())
    confidence = pooled[best] / total if total else 0.0
    # Most words known chat vocabulary of `best` and no close second: as sure as the lexicon
    # is, whatever lingua thinks (it has never seen "toi khong muon chat voi bot nua").
    table = learned_words()
    known = sum(word in table for word in words)
    ranked = sorted(votes.values(), reverse=True) + [0.0, 0.0]
    if (
        votes.get(best, 0.0) == ranked[0]
        and known * 2 >= len(words)
        and ranked[0] >= 2 * ranked[1]
        and ranked[0] * len(words) >= 1
    ):
        confidence = max(confidence, ranked[0] / (ranked[0] + ranked[1]))
    return round(confidence, 3)


def _latin(text: str, words: list[str], hint: str | None) -> Detection:
    votes = _lexicon_votes(words)
    served = _served(text, words, votes)
    if served:
        return served
    probs = {k: v for k, v in _lingua_probs("native", text).items() if k in LATIN_NATIVE}
    total = sum(probs.values())
    scores = {
        lang: (1 - LEXICON_WEIGHT) * (probs.get(lang, 0.0) / total if total else 0.0)
        + LEXICON_WEIGHT * votes.get(lang, 0.0)
        for lang in set(probs) | set(votes)
    }
    if hint in scores:
        scores[hint] += HINT_BONUS
    if not scores:
        return _NO_LANGUAGE
    best = max(scores, key=scores.__getitem__)
    confidence = _confidence(best, probs, votes, words)
    method = "lexicon" if votes.get(best, 0.0) >= 0.5 else "ngram"
    # One or two Latin words ("ok", "merci", "thanks") never flip a conversation's language.
    return Detection(best, confidence, len(words) >= 3 and confidence >= 0.7, method)


# ---------------------------------------------------------------- public API


def _hint_language(hint: str | None) -> str | None:
    return (hint or "").replace("_", "-").split("-")[0].strip().lower() or None


def detect(text: str, hint: str | None = None) -> Detection:
    """Best guess for one message; `hint` (page locale, order country) breaks near-ties."""
    hint_lang = _hint_language(hint)
    content = _NOISE.sub(" ", text or "")
    words = [w.lower() for w in _WORD.findall(content)]
    words = [w for w in words if w not in NEUTRAL]
    letters = "".join(_LETTER.findall(" ".join(words)))
    if not letters:
        return _NO_LANGUAGE
    by_script = _script(letters, hint_lang)
    if by_script:
        return by_script
    if len(letters) < 2 and not _VI_LETTERS.search(letters):  # "a", "y": no language
        return _NO_LANGUAGE
    if _VI_LETTERS.search(content):
        return Detection("vi", 0.97, len(words) >= 2, "script")
    return _latin(" ".join(words), words, hint_lang)


def choose(previous: str | None, detection: Detection, hint: str | None = None) -> str:
    """The conversation's language after this message (stickiness lives here)."""
    hint_lang = _hint_language(hint)
    if detection.language is None:
        return previous or hint_lang or "en"
    if previous is None:
        if detection.reliable:
            return detection.language
        # a first word: trusted when it is one of ours and clear ("hola", "返品", "danke");
        # "merhaba" or a split vote falls back to the page locale, then English
        if is_native(detection.language) and detection.confidence >= FIRST_MESSAGE_CONFIDENCE:
            return detection.language
        return hint_lang or "en"
    if detection.language != previous and detection.reliable:
        return detection.language
    return previous


def is_native(language: str) -> bool:
    return language in NATIVE
