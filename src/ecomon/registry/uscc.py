"""Unified social credit code (统一社会信用代码) of enterprises and other organisations, GB 32100-2015.

Enterprises on the key pollution-source list are identified by this 18-character code. Structure (§4):
position 1 registration-authority code, 2 organisation-category code, 3-8 registering authority's
administrative-division code (GB/T 2260), 9-17 subject identifier = the GB 11714 organisation code
(8 characters + its own check character), 18 check character (§5). A typo almost always breaks one of the
two check characters, so the validator catches mistyped codes before they create a duplicate enterprise.
"""

from __future__ import annotations

from dataclasses import dataclass

from ecomon.registry.catalogue import regions

# GB 32100-2015 §4.1: the code character set, digits and upper-case letters without I, O, Z, S, V,
# valued 0..30 in this order (Table 1).
CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {char: value for value, char in enumerate(CHARSET)}
# GB 32100-2015 §5: check-character weights W_i = 3^(i-1) mod 31, modulus 31.
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# GB 11714-1997 §5: organisation-code check character, weights over the 8 body characters, modulus 11.
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

# GB 32100-2015 Table 2 (registration-authority and organisation-category codes: 1 机构编制, 5 民政, 9 工商,
# Y 其他) with the authority codes assigned since by the standard's maintenance authority (2 外交, 3 司法行政,
# 4 文化, 6 旅游, 7 宗教, 8 工会, A 中央军委改革和编制办公室, N 农业).
AUTHORITIES: dict[str, tuple[str, dict[str, str]]] = {
    "1": ("机构编制", {"1": "机关", "2": "事业单位", "3": "中央编办直接管理机构编制的群众团体", "9": "其他"}),
    "2": ("外交", {"1": "外国常驻新闻机构", "9": "其他"}),
    "3": ("司法行政", {"1": "律师执业机构", "2": "公证处", "3": "基层法律服务所", "4": "司法鉴定机构",
                   "5": "仲裁委员会", "9": "其他"}),
    "4": ("文化", {"1": "外国在华文化中心", "9": "其他"}),
    "5": ("民政", {"1": "社会团体", "2": "民办非企业单位", "3": "基金会", "9": "其他"}),
    "6": ("旅游", {"1": "外国旅游部门常驻代表机构", "2": "港澳台地区旅游部门常驻内地（大陆）代表机构", "9": "其他"}),
    "7": ("宗教", {"1": "宗教活动场所", "2": "宗教院校", "9": "其他"}),
    "8": ("工会", {"1": "基层工会", "9": "其他"}),
    "9": ("工商", {"1": "企业", "2": "个体工商户", "3": "农民专业合作社"}),
    "A": ("中央军委改革和编制办公室", {"1": "军队事业单位", "9": "其他"}),
    "N": ("农业", {"1": "组级集体经济组织", "2": "村级集体经济组织", "3": "乡镇级集体经济组织", "9": "其他"}),
    "Y": ("其他", {"1": "其他"}),
}
# Organisations registered by central authorities carry this division code.
CENTRAL_REGION = "100000"


class UsccError(ValueError):
    """A code that is not a valid USCC; ``reason`` says which part is wrong and why."""

    def __init__(self, code: str, reason: str) -> None:
        self.code = code
        self.reason = reason
        super().__init__(f"{code!r} is not a valid unified social credit code: {reason}")


@dataclass(frozen=True, slots=True)
class Uscc:
    code: str
    authority: str  # registration-authority label, e.g. 工商
    category: str  # organisation-category label, e.g. 企业
    region_code: str  # GB/T 2260 code of the registering authority
    organisation_code: str  # GB 11714 form XXXXXXXX-X

    @property
    def is_enterprise(self) -> bool:
        return self.code[:2] == "91"


def check_character(first17: str) -> str:
    """The GB 32100 check character (position 18) for the first 17 characters."""
    total = sum(_VALUE[char] * weight for char, weight in zip(first17, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def organisation_check_character(body8: str) -> str:
    """The GB 11714 check character for an 8-character organisation-code body (digits 0-9, letters 10-35)."""
    total = sum(int(char, 36) * weight for char, weight in zip(body8, ORG_WEIGHTS, strict=True))
    value = 11 - total % 11
    return {10: "X", 11: "0"}.get(value, str(value))


def _charset_problem(code: str) -> str | None:
    for position, char in enumerate(code, start=1):
        if char in _VALUE:
            continue
        if char.isascii() and char.isalpha() and char.islower():
            return f"position {position}: {char!r} is lower case; the code uses upper-case letters"
        if char in "IOZSV":
            return (f"position {position}: the letter {char} is not used in the code "
                    "(I, O, Z, S, V are excluded)")
        return f"position {position}: {char!r} is not a digit or code letter ({CHARSET})"
    return None


def check_uscc(code: str) -> Uscc:
    """Parse a USCC, raising :class:`UsccError` with the first problem found."""
    if len(code) != 18:
        raise UsccError(code, f"it has {len(code)} characters; a code has 18")
    problem = _charset_problem(code)
    if problem:
        raise UsccError(code, problem)
    authority = AUTHORITIES.get(code[0])
    if authority is None:
        raise UsccError(code, f"position 1: {code[0]!r} is not a registration-authority code "
                        f"({', '.join(f'{k} {v[0]}' for k, v in AUTHORITIES.items())})")
    authority_name, categories = authority
    if code[1] not in categories:
        known = ", ".join(f"{k} {v}" for k, v in categories.items())
        raise UsccError(code, f"position 2: {code[1]!r} is not an organisation category of authority "
                        f"{code[0]} {authority_name} ({known})")
    region = code[2:8]
    provinces = {r.code[:2] for r in regions().all if r.level == "province"}
    if not region.isdigit() or (region != CENTRAL_REGION and region[:2] not in provinces):
        raise UsccError(code, f"positions 3-8: {region!r} is not a GB/T 2260 division code "
                        f"(6 digits starting with a province code, or {CENTRAL_REGION} for central "
                        "authorities)")
    expected_org = organisation_check_character(code[8:16])
    if code[16] != expected_org:
        raise UsccError(code, f"position 17: organisation-code check character is {code[16]!r}; "
                        f"GB 11714 gives {expected_org!r} for {code[8:16]}")
    expected = check_character(code[:17])
    if code[17] != expected:
        raise UsccError(code, f"position 18: check character is {code[17]!r}; GB 32100 gives {expected!r}")
    return Uscc(code, authority_name, categories[code[1]], region, f"{code[8:16]}-{code[16]}")


def uscc_problem(code: str) -> str | None:
    """The reason ``code`` is invalid, or None when it is valid (for bulk checks of imported lists)."""
    try:
        check_uscc(code)
    except UsccError as exc:
        return exc.reason
    return None
