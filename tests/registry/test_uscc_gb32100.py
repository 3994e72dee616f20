"""Unified social credit codes, GB 32100-2015 (with the GB 11714 organisation-code check inside)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecomon.registry.uscc import (
    UsccError,
    check_character,
    check_uscc,
    organisation_check_character,
    uscc_problem,
)

# Codes printed by the organisations themselves (business licences / public notices); each passes both checks.
PUBLISHED = {
    "914403001922038216": "华为技术有限公司",
    "9144030071526726XG": "腾讯科技（深圳）有限公司",
    "91330100799655058B": "阿里巴巴（中国）有限公司",
    "91110108551385082Q": "小米科技有限责任公司",
    "91520000214434146R": "贵州茅台酒股份有限公司",
    "91440300192317458F": "比亚迪股份有限公司",
    "91110000802100433B": "北京百度网讯科技有限公司",
    "91110000101692907C": "中国石油化工集团有限公司",
    "12100000470095016Q": "浙江大学",
    "12100000425006117P": "复旦大学",
    "12310000425022547M": "上海工程技术大学",
}


@pytest.mark.parametrize("code", PUBLISHED)
def test_published_codes_are_valid(code):
    assert uscc_problem(code) is None


def test_parts_of_an_enterprise_code():
    parsed = check_uscc("9144030071526726XG")
    assert (parsed.authority, parsed.category, parsed.region_code, parsed.organisation_code) == \
        ("工商", "企业", "440300", "71526726-X")
    assert parsed.is_enterprise


def test_public_institution_registered_centrally():
    parsed = check_uscc("12100000470095016Q")
    assert (parsed.authority, parsed.category, parsed.region_code) == ("机构编制", "事业单位", "100000")
    assert not parsed.is_enterprise


def test_check_characters_of_the_standards():
    assert check_character("91110000802100433") == "B"
    assert organisation_check_character("71526726") == "X"   # GB 11714: 10 → X
    assert organisation_check_character("19220382") == "1"


@pytest.mark.parametrize(("code", "words"), [
    ("9144030071526726X", "17 characters; a code has 18"),
    ("9144030071526726XGG", "19 characters"),
    ("9144030071526726xG", "position 17: 'x' is lower case"),
    ("91440300715267O6XG", "position 15: the letter O is not used"),
    ("9144030071526726X-", "position 18: '-' is not a digit or code letter"),
    ("B144030071526726XG", "position 1: 'B' is not a registration-authority code"),
    ("9444030071526726XG", "position 2: '4' is not an organisation category of authority 9 工商"),
    ("9199030071526726XG", "positions 3-8: '990300' is not a GB/T 2260"),
    ("914403007152672691", "position 17: organisation-code check character is '9'; GB 11714 gives 'X'"),
    ("9144030071526726XH", "position 18: check character is 'H'; GB 32100 gives 'G'"),
    ("914403001922038217", "position 18: check character is '7'; GB 32100 gives '6'"),
])
def test_invalid_codes_say_which_part_is_wrong(code, words):
    with pytest.raises(UsccError) as caught:
        check_uscc(code)
    assert words in caught.value.reason
    assert code in str(caught.value)


def test_single_character_typos_are_caught():
    code = "91110000802100433B"
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    for position in range(18):
        for char in alphabet:
            if char != code[position]:
                typo = code[:position] + char + code[position + 1:]
                assert uscc_problem(typo) is not None, typo


CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


@given(st.sampled_from(["91", "92", "93", "11", "12", "51", "52", "31", "N2", "Y1"]),
       st.sampled_from(["110000", "441802", "100000", "110101"]),
       st.text(CODE_CHARS, min_size=8, max_size=8))
def test_codes_built_with_both_check_characters_are_valid(prefix, region, body):
    first17 = prefix + region + body + organisation_check_character(body)
    parsed = check_uscc(first17 + check_character(first17))
    assert parsed.organisation_code == f"{body}-{first17[16]}"
