"""The product catalogue shipped with the portal, and what each kind of product covers.

Shared by the demo data, the scale generator and the importers (which derive coverage
rows from the product kind when a source file does not list them).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session

from portal.data.tables import Product
from portal.domain.records import Line, Responsibility


@dataclass(frozen=True)
class ProductSpec:
    code: str
    line: Line
    name_zh: str
    name_en: str
    kind: str
    loan_allowed: bool = False
    loan_rate_bp: int = 0
    short_term: bool = False

    @property
    def is_savings(self) -> bool:
        return self.kind in SAVINGS_KINDS


SAVINGS_KINDS = frozenset({"whole_life", "participating", "endowment", "annuity", "universal"})

PRODUCTS: tuple[ProductSpec, ...] = (
    ProductSpec("CL101", Line.LIFE, "福寿安康终身寿险", "Fushou Ankang Whole Life", "whole_life", True, 500),
    ProductSpec("CL102", Line.LIFE, "鑫福终身寿险(分红型)", "Xinfu Participating Whole Life", "participating", True, 500),
    ProductSpec("CL201", Line.LIFE, "福满两全保险", "Fuman Endowment", "endowment", True, 480),
    ProductSpec("CL202", Line.LIFE, "金彩两全保险(分红型)", "Jincai Participating Endowment", "participating", True, 480),
    ProductSpec("CL301", Line.LIFE, "鑫享养老年金保险", "Xinxiang Retirement Annuity", "annuity", True, 520),
    ProductSpec("CL302", Line.LIFE, "福临门年金保险", "Fulinmen Annuity", "annuity", True, 550),
    ProductSpec("CL401", Line.LIFE, "鑫账户终身寿险(万能型)", "Xin Account Universal Life", "universal"),
    ProductSpec("CL501", Line.LIFE, "安心定期寿险", "Anxin Term Life", "term"),
    ProductSpec("CL601", Line.LIFE, "康宁终身重大疾病保险", "Kangning Critical Illness", "critical_illness"),
    ProductSpec("CL602", Line.LIFE, "少儿康宁重大疾病保险", "Junior Kangning Critical Illness", "critical_illness"),
    ProductSpec("CL701", Line.LIFE, "百万安心医疗保险", "Million Anxin Medical", "medical", short_term=True),
    ProductSpec("CL702", Line.LIFE, "惠民住院医疗保险", "Huimin Hospital Medical", "medical", short_term=True),
    ProductSpec("CL801", Line.LIFE, "综合意外伤害保险", "Comprehensive Accident", "accident", short_term=True),
    ProductSpec("PA01", Line.PROPERTY, "机动车辆保险", "Motor Vehicle Insurance", "auto", short_term=True),
    ProductSpec("PH01", Line.PROPERTY, "家庭财产保险", "Home Property Insurance", "home", short_term=True),
)

PRODUCTS_BY_CODE: dict[str, ProductSpec] = {p.code: p for p in PRODUCTS}

# Third-party liability limit of the motor policy, independent of the vehicle's value.
AUTO_LIABILITY_FEN = 2_000_000_00


def coverages_for(kind: str, sum_assured_fen: int) -> list[tuple[Responsibility, int]]:
    """The responsibilities a product kind covers, with the amount for each."""
    sa = sum_assured_fen
    match kind:
        case "whole_life":
            return [(Responsibility.DEATH, sa), (Responsibility.DISABILITY, sa)]
        case "participating":
            return [(Responsibility.DEATH, sa)]
        case "endowment":
            return [(Responsibility.DEATH, sa), (Responsibility.RETIREMENT, sa)]
        case "annuity":
            return [(Responsibility.RETIREMENT, sa)]
        case "universal":
            return [(Responsibility.DEATH, sa)]
        case "term":
            return [(Responsibility.DEATH, sa), (Responsibility.DISABILITY, sa)]
        case "critical_illness":
            return [(Responsibility.CRITICAL_ILLNESS, sa), (Responsibility.DEATH, sa)]
        case "medical":
            return [(Responsibility.MEDICAL, sa)]
        case "accident":
            return [
                (Responsibility.DEATH, sa),
                (Responsibility.DISABILITY, sa),
                (Responsibility.MEDICAL, sa // 10),
            ]
        case "auto":
            return [(Responsibility.PROPERTY_DAMAGE, sa), (Responsibility.LIABILITY, AUTO_LIABILITY_FEN)]
        case "home":
            return [(Responsibility.PROPERTY_DAMAGE, sa), (Responsibility.LIABILITY, sa // 10)]
    raise ValueError(f"unknown product kind {kind!r}")


def ensure_products(session: Session) -> dict[str, ProductSpec]:
    """Insert the catalogue products that are missing; existing rows are left as they are."""
    existing = set(session.execute(select(Product.code)).scalars())
    for spec in PRODUCTS:
        if spec.code not in existing:
            session.add(
                Product(
                    code=spec.code,
                    line=spec.line.value,
                    name_zh=spec.name_zh,
                    name_en=spec.name_en,
                    kind=spec.kind,
                    loan_allowed=spec.loan_allowed,
                    loan_rate_bp=spec.loan_rate_bp,
                    short_term=spec.short_term,
                )
            )
    session.flush()
    return dict(PRODUCTS_BY_CODE)
