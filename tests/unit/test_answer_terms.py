"""Chinese questions as search terms (``projections.answer_terms``)."""

from __future__ import annotations

from projections.answer_terms import query_terms, terms


def test_how_to_words_are_no_search_terms() -> None:
    # "怎么办" says nothing about the matter: a question about passports must not find every
    # FAQ that ends in "...怎么办" (measured in bench/answers.py)
    assert query_terms("护照怎么办") == ["护照"]
    assert query_terms("结婚证掉了咋补") == ["结婚", "结婚证", "掉", "补"]
    assert query_terms("丢了咋办") == ["丢", "补领", "补办"]


def test_the_index_drops_the_same_words_as_the_question() -> None:
    assert terms("消防安全检查不合格怎么办？") == "消防 安全 消防安全 检查 不 合格"
