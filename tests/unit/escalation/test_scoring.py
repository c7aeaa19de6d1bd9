"""Escalation scoring: each reason code in each native language, and calm look-alikes."""

from __future__ import annotations

import pytest

from handoff.escalation.rules import rules_for
from handoff.escalation.score import Context, score

# (language, message, expected reason code) — written for these tests.
THREATS = [
    ("en", "this is a scam", "fraud"),
    ("en", "my lawyer will contact you tomorrow", "legal"),
    ("en", "I'm opening a PayPal dispute right now", "dispute"),
    ("en", "I'll report you to Amazon", "platform"),
    ("en", "get me a human", "human"),
    ("es", "esto es una estafa", "fraud"),
    ("es", "voy a hablar con mi abogado", "legal"),
    ("es", "voy a abrir una disputa en PayPal", "dispute"),
    ("es", "los voy a denunciar en Profeco", "platform"),
    ("es", "quiero hablar con una persona", "human"),
    ("fr", "c'est une arnaque", "fraud"),
    ("fr", "je vais porter plainte avec mon avocat", "legal"),
    ("fr", "je vais faire opposition auprès de ma banque", "dispute"),
    ("fr", "je vais vous signaler à la DGCCRF", "platform"),
    ("fr", "je veux parler à un conseiller humain", "human"),
    ("de", "Das ist Betrug!", "fraud"),
    ("de", "ich schalte meinen Anwalt ein", "legal"),
    ("de", "ich mache eine Rückbuchung bei meiner Bank", "dispute"),
    ("de", "ich melde euch bei der Verbraucherzentrale", "platform"),
    ("de", "ich will mit einem Menschen sprechen", "human"),
    ("it", "è una truffa", "fraud"),
    ("it", "mi rivolgo al mio avvocato", "legal"),
    ("it", "apro una contestazione su PayPal", "dispute"),
    ("it", "vi segnalo all'Antitrust", "platform"),
    ("it", "voglio parlare con un operatore umano", "human"),
    ("pt", "isso é golpe", "fraud"),
    ("pt", "vou processar vocês", "legal"),
    ("pt", "vou abrir uma disputa no PayPal", "dispute"),
    ("pt", "vou reclamar no Procon", "platform"),
    ("pt", "quero falar com um atendente humano", "human"),
    ("ar", "هذا نصب واحتيال", "fraud"),
    ("ar", "راح أرفع عليكم قضية", "legal"),
    ("ar", "بفتح نزاع في باي بال", "dispute"),
    ("ar", "بشتكي عليكم في وزارة التجارة", "platform"),
    ("ar", "ابغى اكلم موظف", "human"),
    ("ja", "これは詐欺です", "fraud"),
    ("ja", "弁護士に相談します", "legal"),
    ("ja", "カード会社にチャージバックを申請します", "dispute"),
    ("ja", "消費者センターに通報します", "platform"),
    ("ja", "担当者と話したいです", "human"),
    ("vi", "shop lừa đảo", "fraud"),
    ("vi", "tôi sẽ kiện shop ra tòa", "legal"),
    ("vi", "tôi sẽ khiếu nại với ngân hàng để đòi lại tiền", "dispute"),
    ("vi", "tôi sẽ bóc phốt shop lên facebook", "platform"),
    ("vi", "cho tôi gặp nhân viên", "human"),
    ("th", "ร้านนี้โกง", "fraud"),
    ("th", "จะฟ้องร้องดำเนินคดี", "legal"),
    ("th", "จะขอเงินคืนกับธนาคาร", "dispute"),
    ("th", "จะร้องเรียน สคบ.", "platform"),
    ("th", "ขอคุยกับเจ้าหน้าที่", "human"),
]

CALM = [
    ("en", "do you sell a lawyer costume?"),
    ("en", "it's not a scam, right? just asking about payment"),
    ("en", "no worries, I can wait"),
    ("en", "is this faux leather or real leather?"),
    ("es", "¿venden disfraces de abogado?"),
    ("de", "Kein Problem, ich kann warten"),
    ("fr", "pas de souci, je peux attendre"),
    ("ja", "急ぎではないので大丈夫です"),
]


def test_rules_exist_for_every_native_language() -> None:
    from bot.language import NATIVE

    missing = [lang for lang in NATIVE if rules_for(lang) is None]
    assert not missing, f"no escalation rules for {missing}"


@pytest.mark.parametrize("lang,text,code", THREATS)
def test_threats_escalate_with_their_reason(lang: str, text: str, code: str) -> None:
    result = score(text, Context(language=lang))
    codes = [r.code for r in result.reasons]
    assert code in codes, (text, result)
    assert result.escalate and result.priority in {"normal", "high", "urgent"}


@pytest.mark.parametrize("lang,text", CALM)
def test_calm_look_alikes_do_not_escalate(lang: str, text: str) -> None:
    result = score(text, Context(language=lang))
    assert not result.escalate, result
    assert not [r for r in result.reasons if r.code in {"legal", "fraud", "dispute", "platform"}]


def test_angry_rant_escalates_on_sentiment() -> None:
    text = "WHERE IS MY ORDER??? THREE WEEKS AND NOTHING, YOUR SERVICE IS ABSOLUTELY USELESS!!!"
    result = score(text, Context(language="en", intent="track_order"))
    assert "sentiment" in [r.code for r in result.reasons] and result.escalate


def test_value_vip_bot_failure_and_repeat_contact() -> None:
    calm = "my parcel hasn't arrived yet"
    assert not score(calm, Context(intent="track_order")).escalate
    big = score(calm, Context(intent="track_order", order_value_usd=2150))
    assert [r.code for r in big.reasons] == ["value"] and big.escalate
    assert not score("which size?", Context(intent="size_help", order_value_usd=2150)).escalate
    vip = score(calm, Context(intent="track_order", customer_tier="vip"))
    assert "vip" in [r.code for r in vip.reasons]
    failing = score("hmm", Context(fallback_streak=2))
    assert "bot_failure" in [r.code for r in failing.reasons] and failing.escalate
    again = score(calm, Context(intent="track_order", previous_texts=(calm,)))
    assert "repeat_contact" in [r.code for r in again.reasons]


def test_legal_and_dispute_are_urgent() -> None:
    assert score("I'm calling my lawyer", Context()).priority == "urgent"
    assert score("I filed a chargeback", Context()).priority == "urgent"


def test_english_triggers_work_inside_other_languages() -> None:
    result = score("das ist ein scam, ich mache einen chargeback", Context(language="de"))
    assert {"fraud", "dispute"} <= {r.code for r in result.reasons}


def test_asking_for_a_person_decides_whether_not_how_urgent() -> None:
    alone = score("I want to talk to a real person", Context())
    assert alone.escalate and alone.priority == "normal"
    with_fraud = score("this is a scam, I want a human", Context())
    assert with_fraud.priority == "high"
    assert score("my lawyer will contact you, get me a person", Context()).priority == "urgent"
