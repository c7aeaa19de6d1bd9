"""Size advice: fit notes from return statistics and a recommendation from measurements."""

from __future__ import annotations

import re
from dataclasses import dataclass

from shop.models import Product, SizeRow

_NUM = r"(\d{2,3}(?:[.,]\d)?)"
_PATTERNS = {
    "chest": re.compile(
        rf"(?:chest|bust|brust|poitrine|pecho|busto|petto|torace|peito|صدر|胸囲|バスト|ngực|รอบอก)\D{{0,12}}{_NUM}",
        re.I,
    ),
    "waist": re.compile(
        rf"(?:waist|taille|cintura|bund|taillen|ウエスト|خصر|eo|รอบเอว)\D{{0,12}}{_NUM}", re.I
    ),
    "foot": re.compile(
        rf"(?:foot|feet|fu[sß]|pied|pie|piede|pé|قدم|足|chân|เท้า)\D{{0,12}}{_NUM}", re.I
    ),
    "height": re.compile(
        rf"{_NUM}\s*cm\b(?!.*(?:chest|waist|foot))|(?:height|tall)\D{{0,8}}{_NUM}", re.I
    ),
    "weight": re.compile(rf"{_NUM}\s*kg", re.I),
}
_LETTERS = ["XS", "S", "M", "L", "XL", "XXL"]
_USUAL_LETTER = re.compile(r"(?<![A-Za-z])(XXL|XL|XS|S|M|L|2XL)(?![A-Za-z])")
_USUAL_SHOE = re.compile(r"(?:EU\s*)?\b(3[5-9]|4[0-7])\b")


@dataclass(frozen=True)
class SizeAdvice:
    label: str | None  # recommended size; None when we could not tell
    basis: str  # chest | waist | foot | usual | height_weight | none
    shifted: int  # how many sizes we moved from the raw match because of the fit


def parse_measurements(text: str) -> dict[str, float]:
    found: dict[str, float] = {}
    for key, pattern in _PATTERNS.items():
        match = pattern.search(text)
        if match:
            raw = next(g for g in match.groups() if g)
            found[key] = float(raw.replace(",", "."))
    return found


def fit_shift(product: Product) -> int:
    return {"runs_small": 1, "runs_large": -1}.get(product.fit, 0)


def _shift(chart: tuple[SizeRow, ...], index: int, by: int) -> tuple[str, int]:
    target = min(max(index + by, 0), len(chart) - 1)
    return chart[target].label, target - index


def _find(chart: tuple[SizeRow, ...], attr: str, value: float) -> int | None:
    for i, row in enumerate(chart):
        rng = getattr(row, attr)
        if rng and rng[0] <= value < rng[1]:
            return i
    return None


def recommend(product: Product, text: str, usual_size: str | None = None) -> SizeAdvice:
    chart = product.size_chart
    if not chart:
        return SizeAdvice(None, "none", 0)
    m = parse_measurements(text)
    by = fit_shift(product)
    for attr in ("foot",) if product.category == "shoes" else ("chest", "waist"):
        if attr in m:
            idx = _find(chart, attr, m[attr])
            if idx is not None:
                # measurements already describe the body: only a strong fit bias moves it
                label, moved = _shift(chart, idx, by if product.category == "shoes" else 0)
                return SizeAdvice(label, attr, moved)
    usual = usual_size or ""
    if product.category == "shoes":
        match = _USUAL_SHOE.search(usual) or _USUAL_SHOE.search(text)
        if match:
            idx = next((i for i, r in enumerate(chart) if r.eu == match.group(1)), None)
            if idx is not None:
                label, moved = _shift(chart, idx, by)
                return SizeAdvice(label, "usual", moved)
    else:
        match = _USUAL_LETTER.search(usual.upper()) or _USUAL_LETTER.search(text)
        if match:
            letter = "XXL" if match.group(1) == "2XL" else match.group(1)
            label, moved = _shift(chart, _LETTERS.index(letter), by)
            return SizeAdvice(label, "usual", moved)
        if "height" in m and "weight" in m and m["height"] > 120:
            bmi = m["weight"] / (m["height"] / 100) ** 2
            idx = sum(bmi >= cut for cut in (18.5, 21.5, 24.5, 27.5, 31))
            if m["height"] >= 185:
                idx += 1
            label, moved = _shift(chart, min(idx, 5), by)
            return SizeAdvice(label, "height_weight", moved)
    return SizeAdvice(None, "none", 0)
