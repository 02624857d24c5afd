"""The door's nesting check counts brackets that open structure, not brackets inside strings."""

from __future__ import annotations

from backend.http.hygiene import MAX_JSON_DEPTH, json_depth_exceeds


def test_a_flat_body_with_many_brackets_in_its_strings_is_not_deep() -> None:
    body = b'{"note": "' + b"[[[{{{" * 100 + b'", "list": [1, 2, 3]}'
    assert not json_depth_exceeds(body)


def test_an_escaped_quote_does_not_end_a_string() -> None:
    body = b'{"note": "\\"' + b"[" * 100 + b'"}'
    assert not json_depth_exceeds(body)


def test_nesting_one_past_the_limit_is_deep_and_at_the_limit_is_not() -> None:
    at_limit = b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH
    past = b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1)
    assert not json_depth_exceeds(at_limit)
    assert json_depth_exceeds(past)


def test_many_siblings_are_not_deep() -> None:
    body = b"[" + b",".join(b'{"materialId": "a", "fileId": "b"}' for _ in range(500)) + b"]"
    assert not json_depth_exceeds(body)
