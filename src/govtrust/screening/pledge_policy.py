"""Credit pledge (信用承诺) kinds and the transitions a pledge may take. Pure rules, no ORM.

Basis: the seed (苏政办发 2023 政务诚信意见 三(三)) asks for 制定完善信用承诺和信用查询制度 in bidding;
《全国公共信用信息基础目录(2021年版)》 lists 信用承诺及履行 as one of its 11 information types
(reference/china-credit-facts.md). Order 36 (from 2026-04-01) makes a public 信用承诺 a condition of repair.
The national bidding-pledge document itself is not in our references: its citation is marked provisional.
"""

from __future__ import annotations

from dataclasses import dataclass

PLEDGED, FULFILLED, BREACHED, WITHDRAWN = "pledged", "fulfilled", "breached", "withdrawn"

# Every transition leaves `pledged`; the other states are final (a breach is never quietly undone).
TRANSITIONS: dict[str, frozenset[str]] = {
    PLEDGED: frozenset({FULFILLED, BREACHED, WITHDRAWN}),
    FULFILLED: frozenset(),
    BREACHED: frozenset(),
    WITHDRAWN: frozenset(),
}


def may_move(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


@dataclass(frozen=True)
class PledgeKind:
    code: str
    label: str
    basis: str
    effective_from: str  # ISO date, "" when not confirmed
    provisional: bool


KINDS: dict[str, PledgeKind] = {
    k.code: k
    for k in (
        PledgeKind(
            "bid",
            "投标信用承诺",
            "江苏省政务诚信建设意见（2023）三(三)：制定完善信用承诺和信用查询制度；"
            "《全国公共信用信息基础目录(2021年版)》：信用承诺及履行",
            "",
            # The national bidding-pledge notice (国家发展改革委等) is not in our references yet.
            True,
        ),
        PledgeKind(
            "repair",
            "信用修复信用承诺",
            "国家发展改革委令第36号（信用修复），修复条件之三：公开作出信用承诺",
            "2026-04-01",
            False,
        ),
        PledgeKind(
            "other",
            "其他信用承诺",
            "《全国公共信用信息基础目录(2021年版)》：信用承诺及履行",
            "",
            True,
        ),
    )
}
