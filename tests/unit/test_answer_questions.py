"""The labelled questions of the answers search comparison (``python -m bench --only answers``):
every label names a FAQ or guide of the demo catalogue, and the scoring counts what it says."""

from __future__ import annotations

from backend.demo_data import demo_catalog
from bench.answers import GUIDE, QUESTIONS, Question, plain_terms, score
from domain.catalog import parse_definition
from projections.answer_terms import query_terms


def _answerable() -> set[tuple[str, int]]:
    found: set[tuple[str, int]] = set()
    for entry in demo_catalog():
        item = parse_definition(entry)
        found.add((item.code, GUIDE))
        found.update((item.code, position) for position in range(len(item.faqs)))
    return found


def test_every_label_names_a_faq_or_guide_of_the_demo_catalogue() -> None:
    known = _answerable()
    unknown = [(q.text, label) for q in QUESTIONS for label in q.answers if label not in known]
    assert unknown == []


def test_the_set_is_large_enough_and_has_unanswerable_questions() -> None:
    assert len(QUESTIONS) >= 40
    assert sum(1 for q in QUESTIONS if not q.answers) >= 8


def test_no_question_is_asked_twice_nor_labelled_twice() -> None:
    assert len({q.text for q in QUESTIONS}) == len(QUESTIONS)
    assert all(len(set(q.answers)) == len(q.answers) for q in QUESTIONS)


def test_top1_top3_and_false_answers_are_counted_from_the_labels() -> None:
    asked = Question("食品许可证多久", (("XK-00101-000", 1),))
    second = [("XK-00101-000", 0, 0.5), ("XK-00101-000", 1, 0.4)]
    assert score(asked, second) == {
        "top1": False,
        "top3": True,
        "empty": False,
        "false_answer": False,
    }
    assert score(asked, [])["empty"]
    nothing = Question("护照怎么办", ())
    assert score(nothing, second)["false_answer"]
    assert not score(nothing, [])["false_answer"]


def test_the_no_synonyms_variant_drops_only_the_official_words() -> None:
    # 几天 brings 多长时间 with the synonym table; without it, the question's own words only
    assert "多长时间" in query_terms("食品许可证几天能办好")
    assert "多长时间" not in plain_terms("食品许可证几天能办好")
    assert set(plain_terms("食品许可证几天能办好")) <= set(query_terms("食品许可证几天能办好"))
