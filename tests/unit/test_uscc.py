"""The GB 32100 check character and compaction, held to python-stdnum as the reference."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import uscc as stdnum_uscc

from ingest.uscc import check_character, compact, uscc_problem

CODE_SET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


@given(st.text(alphabet=CODE_SET, min_size=17, max_size=17))
def test_the_check_character_is_stdnums(first17: str) -> None:
    assert check_character(first17) == stdnum_uscc.calc_check_digit(first17)


@given(st.text(max_size=30) | st.text(alphabet="0123456789AaZz -`_\t", max_size=30))
def test_compact_is_stdnums_compact(text: str) -> None:
    assert compact(text) == stdnum_uscc.compact(text)


@given(st.text(alphabet=CODE_SET, min_size=17, max_size=17))
def test_a_code_with_its_check_character_is_well_formed_unless_its_digits_are_not(
    first17: str,
) -> None:
    code = first17 + check_character(first17)
    digits_where_due = first17[2:8].isdigit()
    assert (uscc_problem(code) is None) == digits_where_due


def test_a_changed_character_is_caught() -> None:
    assert uscc_problem("91320281MA1XAB1234") is not None
    good = "91320281MA1XAB123" + check_character("91320281MA1XAB123")
    assert uscc_problem(good) is None
    assert "check character" in (uscc_problem(good[:-1] + ("0" if good[-1] != "0" else "1")) or "")
