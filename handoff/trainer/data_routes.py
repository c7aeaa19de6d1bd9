"""Trainer routes that edit data files: NLU examples per intent, and the response copy.

Edits name the version of the file they were based on; `FileWriter` refuses stale ones.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from handoff.errors import InputError
from handoff.trainer import coverage, files
from handoff.trainer.example_index import Occurrence
from handoff.trainer.example_rules import check_example
from handoff.trainer.files import DataRoot
from handoff.trainer.reply_rules import check_reply, placeholders
from handoff.trainer.route_common import (
    Trainer,
    body_of,
    flag,
    index_in,
    known_intent,
    trainer_of,
    version_in,
)

# ---------------------------------------------------------------- NLU examples


def target_file(t: Trainer, lang: str, intent: str) -> str:
    """The file new examples of an intent go to: where the language keeps it, else the
    file that holds it in English (same feature split in every language)."""
    for candidate in (lang, "en"):
        # a feature file before a top-up file (more_*.yml holds a few of every intent),
        # then the one holding most of the intent's examples
        owners = sorted(
            (not p.stem.startswith("more_"), len(ex[intent]), p.stem)
            for p, ex in t.index.files().items()
            if p.parent.name == candidate and intent in ex
        )
        if owners:
            return owners[-1][2]
    raise InputError(404, "no_file_for_intent", f"no NLU file holds {intent} yet")


async def list_examples(request: web.Request) -> web.Response:
    t = trainer_of(request)
    lang = DataRoot.check_language(request.match_info["lang"])
    intent = known_intent(request.match_info["intent"])
    examples, versions = [], {}
    for feature, path in t.data.nlu_files(lang).items():
        raw = path.read_bytes()  # version and listing from the same bytes
        versions[feature] = files.version_of(raw)
        for i, text in enumerate(files.quick_examples(raw).get(intent, [])):
            examples.append({"file": feature, "index": i, "text": text})
    target = target_file(t, lang, intent)
    return web.json_response(
        {
            "language": lang,
            "intent": intent,
            "examples": examples,
            "versions": versions,
            "target_file": target,
            "minimum": coverage.minimum(lang),
        }
    )


async def save_example(
    t: Trainer,
    lang: str,
    intent: str,
    text: object,
    feature: str,
    version: str | None,
    allow_language: bool,
) -> dict[str, Any]:
    """Checks `text` and appends it to the intent's examples in `feature`."""
    path = t.data.nlu_path(lang, feature)

    def mutate(doc: Any) -> dict[str, Any]:
        clean = check_example(t.index, lang, intent, text, allow_language=allow_language)
        return {"file": feature, "index": files.add_example(doc, intent, clean), "text": clean}

    example, new_version = await t.writer.update(path, version, mutate)
    return {
        "language": lang,
        "intent": intent,
        "example": example,
        "file": feature,
        "version": new_version,
    }


async def add_example(request: web.Request) -> web.Response:
    t = trainer_of(request)
    lang = DataRoot.check_language(request.match_info["lang"])
    intent = known_intent(request.match_info["intent"])
    body = await body_of(request)
    feature = body.get("file") or target_file(t, lang, intent)
    if not isinstance(feature, str):
        raise InputError(400, "bad_file", "'file' must be a file name such as \"tracking\"")
    result = await save_example(
        t, lang, intent, body.get("text"), feature, version_in(body), flag(body, "allow_language")
    )
    return web.json_response(result, status=201)


async def edit_example(request: web.Request) -> web.Response:
    t = trainer_of(request)
    lang = DataRoot.check_language(request.match_info["lang"])
    intent = known_intent(request.match_info["intent"])
    feature, index = request.match_info["file"], index_in(request.match_info["index"])
    path = t.data.nlu_path(lang, feature)
    body = await body_of(request)
    version = version_in(body)
    previous = body.get("previous") if isinstance(body.get("previous"), str) else None
    deleting = request.method == "DELETE"

    def mutate(doc: Any) -> dict[str, Any]:
        if deleting:
            old = files.replace_example(doc, intent, index, None, previous)
            return {"deleted": old}
        clean = check_example(
            t.index,
            lang,
            intent,
            body.get("text"),
            editing=Occurrence(lang, feature, intent, index),
            allow_language=flag(body, "allow_language"),
        )
        old = files.replace_example(doc, intent, index, clean, previous)
        return {"example": {"file": feature, "index": index, "text": clean}, "previous": old}

    result, new_version = await t.writer.update(path, version, mutate)
    return web.json_response(
        {"language": lang, "intent": intent, "file": feature, "version": new_version, **result}
    )


# ---------------------------------------------------------------- response copy


def _copy(doc: Any) -> Any:
    responses = doc.get("responses")
    if responses is None:
        raise InputError(500, "bad_copy_file", "the copy file has no 'responses:' map")
    return responses


async def list_responses(request: web.Request) -> web.Response:
    t = trainer_of(request)
    lang = DataRoot.check_language(request.match_info["lang"])
    doc, version = files.read(t.data.responses_path(lang))
    english, _ = files.read(t.data.responses_path("en"))
    en_copy, copy = _copy(english), _copy(doc)
    keys_in_order = list(copy) + [k for k in en_copy if k not in copy]
    return web.json_response(
        {
            "language": lang,
            "version": version,
            "responses": [
                {
                    "key": k,
                    "text": str(copy[k]) if k in copy else None,
                    "english": str(en_copy[k]) if k in en_copy else None,
                    "placeholders": sorted(placeholders(str(en_copy.get(k, copy.get(k, ""))))),
                }
                for k in keys_in_order
            ],
        }
    )


async def edit_response(request: web.Request) -> web.Response:
    t = trainer_of(request)
    lang = DataRoot.check_language(request.match_info["lang"])
    key = request.match_info["key"]
    body = await body_of(request)
    version = version_in(body)
    english_doc, _ = files.read(t.data.responses_path("en"))
    en_copy = _copy(english_doc)
    if not files.NAME_RE.match(key) or key not in en_copy:
        raise InputError(
            404,
            "unknown_key",
            f"{key!r} is not a reply key of the English copy (new keys need code in actions/)",
        )

    def mutate(doc: Any) -> dict[str, Any]:
        copy = _copy(doc)
        clean = check_reply(
            lang,
            key,
            body.get("text"),
            str(en_copy[key]),
            allow_language=flag(body, "allow_language"),
        )
        old = copy.get(key)
        copy[key] = type(old)(clean) if isinstance(old, str) and type(old) is not str else clean
        return {"key": key, "text": clean, "previous": str(old) if old is not None else None}

    result, new_version = await t.writer.update(t.data.responses_path(lang), version, mutate)
    return web.json_response(
        {
            "language": lang,
            "version": new_version,
            **result,
            "note": "replies are read when the action server starts: "
            "restart it to serve the new copy",
        }
    )
