"""Language detection made reliable for chat: script rules, restricted langdetect, stickiness.

Used by the Rasa NLU component (one message at a time) and by the gateway, which adds the
conversation's previous language and the page locale as hints.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import regex

NATIVE = ("en", "es", "fr", "de", "it", "pt", "ar", "ja", "vi", "th")
# Latin-script languages langdetect may choose between: the natives plus the ones our
# shoppers write in most that we serve through translation.
LATIN_CANDIDATES = ("en", "es", "fr", "de", "it", "pt", "vi", "nl", "pl", "tr", "id", "sv",
                    "da", "no", "fi", "cs", "ro", "hu", "tl", "sk", "hr", "ca")

# Distinctive everyday words per language: decisive on 1-3 word messages where n-gram
# statistics alone guess wrong ("hola", "danke", "cadê"). Unaccented spellings included.
LEXICON: dict[str, frozenset[str]] = {k: frozenset(v.split()) for k, v in {
    "en": "to for and of you your with this that does will are was get got from about ordered tax import shipping delivery item items any just please where is my the order parcel package hi hello hey thanks thank you please refund "
          "return when still received didn't haven't hasn't yet what why how can size wrong "
          "broken arrived want cancel address need help human agent scam it's i'm",
    "es": "el los las del pero porque hasta nada puedo mis sus desde hace días semanas envío impuesto aduana dónde donde está esta mi pedido paquete hola gracias por favor todavía todavia "
          "cuándo cuando reembolso devolución devolucion talla quiero estafa envío envio "
          "llegó llego llegado ya también tengo necesito hablar persona muchas buenas "
          "qué cómo como usted ustedes dinero",
    "fr": "les des une avec pour mais depuis jours semaines rien suis avez êtes ai douane taxe où mon ma mes commande colis bonjour merci pas encore reçu recu je remboursement "
          "retour taille quand pourquoi svp bjr arnaque livraison toujours aucune nouvelle "
          "c'est est-ce vous j'ai n'ai d'une veux parler quelqu'un argent",
    "de": "und mit für von den dem ein eine einen seit tagen wochen nichts bin haben sind zoll steuer wo ist mein meine paket bestellung hallo danke nicht noch bekommen wann ich "
          "rückerstattung größe groesse grösse betrug sendung lieferung bitte warum schon "
          "kein keine geld zurück zurueck habe möchte moechte sprechen mensch",
    "it": "il gli della delle con per ma perché da giorni settimane nulla sono ho hanno dogana tasse dov'è dove mio mia ordine pacco ciao grazie ancora arrivato quando rimborso reso "
          "taglia perché perche spedizione è sono ho voglio soldi truffa buongiorno niente "
          "nn cmq xké parlare operatore",
    "pt": "os das dos uma com para mas porque desde dias semanas nada sou tenho têm alfândega taxa onde meu minha pedido encomenda olá ola oi obrigado obrigada não nao ainda chegou "
          "quando reembolso devolução devolucao tamanho cadê cade você vc golpe entrega "
          "dinheiro quero falar atendente recebi estou já ja tá",
    "vi": "tôi toi đơn don hàng hang ở đâu dau chưa chua nhận nhan được duoc cảm ơn cam xin "
          "chào chao bao giờ gio hoàn tiền tien của cua không khong bạn ban em anh chị chi "
          "giao lừa đảo muốn",
}.items()}

_VI_LETTERS = regex.compile(r"[ăđơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", regex.I)
_NOISE = regex.compile(
    r"\S+@\S+|https?://\S+|(?i:xb-?\d{6})|\b[A-Z]{2,3}\d{9,12}[A-Z]{0,2}\b|\d+([.,]\d+)?"
)
_LETTER = regex.compile(r"\p{L}")
_WORD = regex.compile(r"[\p{L}']+")
_SCRIPTS = {
    "ar": regex.compile(r"\p{Arabic}"), "th": regex.compile(r"\p{Thai}"),
    "kana": regex.compile(r"[\p{Hiragana}\p{Katakana}]"), "han": regex.compile(r"\p{Han}"),
    "ko": regex.compile(r"\p{Hangul}"), "cyr": regex.compile(r"\p{Cyrillic}"),
    "he": regex.compile(r"\p{Hebrew}"), "el": regex.compile(r"\p{Greek}"),
    "hi": regex.compile(r"\p{Devanagari}"),
}
_PERSIAN = regex.compile(r"[پچژگ]")
_URDU = regex.compile(r"[ٹڈڑںے]")
_UKRAINIAN = regex.compile(r"[іїєґ]", regex.I)


NLU_DIR = Path(__file__).resolve().parent.parent / "data" / "nlu"
_ANNOTATION = regex.compile(r"\[([^\]]+)\]\([^)]+\)")


@lru_cache(maxsize=1)
def learned_words() -> dict[str, dict[str, float]]:
    """word -> share of its uses per Latin-script native language, from our NLU training
    data (never the held-out sets): the chat vocabulary n-gram models have not seen."""
    import yaml

    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for lang in LEXICON:
        for path in sorted((NLU_DIR / lang).glob("*.yml")):
            doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            for block in doc.get("nlu", []) or []:
                for line in (block.get("examples") or "").splitlines():
                    text = _NOISE.sub(" ", _ANNOTATION.sub(r"\1", line.strip()[2:]))
                    for word in {w.lower() for w in _WORD.findall(text)}:
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


@dataclass(frozen=True)
class Detection:
    language: str | None  # ISO 639-1, None when the text carries no language (numbers, emoji)
    confidence: float
    reliable: bool  # strong enough to switch an established conversation language
    method: str  # script | lexicon | ngram | none


@lru_cache(maxsize=1)
def _factory() -> object:
    from langdetect import DetectorFactory
    from langdetect.detector_factory import init_factory

    DetectorFactory.seed = 0  # langdetect is random unless seeded
    init_factory()
    from langdetect import detector_factory

    return detector_factory._factory


def _ngram_probs(text: str) -> dict[str, float]:
    factory = _factory()
    detector = factory.create()  # type: ignore[attr-defined]
    detector.n_trial = 3  # 7 by default; 3 keeps accuracy on chat messages at half the cost
    detector.append(text)
    try:
        probs = {p.lang.split("-")[0]: p.prob for p in detector.get_probabilities()}
    except Exception:  # langdetect raises on texts with no features
        return {}
    kept = {k: v for k, v in probs.items() if k in LATIN_CANDIDATES}
    total = sum(kept.values())
    return {k: v / total for k, v in kept.items()} if total else {}


def _script(letters: str) -> Detection | None:
    n = len(letters)
    count = {name: len(rx.findall(letters)) for name, rx in _SCRIPTS.items()}
    if count["kana"]:
        return Detection("ja", 0.99, True, "script")
    best = max(count, key=count.__getitem__)
    if count[best] * 2 < n:
        return None
    if best == "ar":
        lang = "ur" if _URDU.search(letters) else "fa" if _PERSIAN.search(letters) else "ar"
        return Detection(lang, 0.97, True, "script")
    if best == "han":
        return Detection("zh", 0.95, True, "script")
    if best == "cyr":
        return Detection("uk" if _UKRAINIAN.search(letters) else "ru", 0.9, True, "script")
    return Detection(best, 0.98, True, "script")


def detect(text: str, hint: str | None = None) -> Detection:
    """Best guess for one message; `hint` (page locale, order country) breaks near-ties."""
    content = _NOISE.sub(" ", text or "")
    letters = "".join(_LETTER.findall(content))
    if len(letters) < 2:
        return Detection(None, 0.0, False, "none")
    by_script = _script(letters)
    if by_script:
        return by_script
    words = [w.lower() for w in _WORD.findall(content)]
    if _VI_LETTERS.search(content):
        return Detection("vi", 0.97, len(words) >= 2, "script")
    table = learned_words()
    hits: dict[str, float] = defaultdict(float)
    known = 0
    for word in words:
        shares = table.get(word)
        if shares:
            known += 1
            for lang, share in shares.items():
                hits[lang] += share
    hint = (hint or "").split("-")[0].lower() or None
    ranked = sorted(hits.values(), reverse=True) + [0.0, 0.0]
    if known and known * 2 >= len(words) and ranked[0] >= 2 * ranked[1] and ranked[0] >= 1:
        # most words are known chat vocabulary of one language: no n-gram model needed
        best = max(hits, key=hits.__getitem__)
        confidence = round(ranked[0] / (ranked[0] + ranked[1]), 3)
        return Detection(best, confidence, len(words) >= 3 and confidence >= 0.7, "lexicon")
    probs = _ngram_probs(content)
    # n-gram statistics are weak on 1-3 words, where the lexicon knows better
    weight = 1.0 if len(words) <= 3 else 0.25
    scores = {lang: probs.get(lang, 0.0) + weight * hits.get(lang, 0)
              for lang in set(probs) | {k for k, v in hits.items() if v}}
    if hint in scores:
        scores[hint] += 0.1
    if not scores:
        return Detection(None, 0.0, False, "none")
    best = max(scores, key=scores.__getitem__)
    total = sum(scores.values())
    confidence = round(scores[best] / total, 3) if total else 0.0
    method = "lexicon" if hits.get(best) else "ngram"
    # One or two Latin words ("ok", "merci", "thanks") never flip a conversation's language.
    reliable = len(words) >= 3 and confidence >= 0.7
    return Detection(best, confidence, reliable, method)


def choose(previous: str | None, detection: Detection, hint: str | None = None) -> str:
    """The conversation's language after this message (stickiness lives here)."""
    hint_lang = (hint or "").split("-")[0].lower() or None
    if detection.language is None:
        return previous or hint_lang or "en"
    if previous is None:
        if not detection.reliable and (detection.method != "lexicon"
                                       or not is_native(detection.language)):
            return hint_lang or "en"  # "ok" is not Slovak; "hola" is Spanish
        if detection.confidence < 0.5 and hint_lang:
            return hint_lang
        return detection.language
    if detection.language != previous and detection.reliable:
        return detection.language
    return previous


def is_native(language: str) -> bool:
    return language in NATIVE
