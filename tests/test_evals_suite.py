"""Suite files: valid ones load, every kind of bad line is named by file:line and problem."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.evals.suite import SuiteError, load_suite, load_suites


def write(tmp_path: Path, *lines: str, name: str = "s.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_contract_examples_load(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        json.dumps({"id": "output-2023", "question": "How much copper?",
                    "expected": ["12,500 tons"], "evidence": "produced about 12,500 tons",
                    "tags": ["number"]}),
        "",
        json.dumps({"id": "suppliers", "question": "Which countries?",
                    "expected": [["Chile"], ["Peru", "Perú"]], "evidence": "9% from Chile"}),
        json.dumps({"id": "no-ceo", "question": "Who runs it?", "answerable": False}),
        json.dumps({"id": "example-mine", "turns": [
            {"question": "Which company?", "expected": ["Acme Metals"]},
            {"question": "When did it open?", "expected": ["March 2019"]}]}),
    )
    suite = load_suite(path)
    assert suite.name == "s" and [i.id for i in suite.items] == [
        "output-2023", "suppliers", "no-ceo", "example-mine"]
    assert suite.items[0].turns[0].expected == (("12,500 tons",),)
    assert suite.items[1].turns[0].expected == (("Chile",), ("Peru", "Perú"))
    assert suite.items[2].turns[0].answerable is False
    conversation = suite.items[3]
    assert conversation.conversation and len(conversation.turns) == 2
    assert suite.items[0].line == 1 and suite.items[1].line == 3
    assert suite.turn_count == 5


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        ('{"question": "q", "expected": ["a"]}', "`id` is missing"),
        ('{"id": "x", "expected": ["a"]}', "`question` is missing"),
        ('{"id": "x", "question": "  ", "expected": ["a"]}', "`question` must be a non-empty"),
        ('{"id": "x", "question": "q"}', "`expected` is required"),
        ('{"id": "x", "question": "q", "expected": "a"}', "`expected` must be a list"),
        ('{"id": "x", "question": "q", "expected": [3]}', "entry 1 must be a non-empty string"),
        ('{"id": "x", "question": "q", "expected": [[]]}', "entry 1 is an empty list"),
        ('{"id": "x", "question": "q", "expected": ["a"], "answerable": "no"}',
         "`answerable` must be true or false"),
        ('{"id": "x", "question": "q", "answerable": false, "expected": ["a"]}',
         "takes no `expected`"),
        ('{"id": "x", "question": "q", "expected": ["a"], "evidance": "e"}',
         "unknown field(s) 'evidance'"),
        ('{"id": "x", "question": "q", "expected": ["a"], "tags": "number"}',
         "`tags` must be a list"),
        ('{"id": "x", "turns": []}', "`turns` must be a non-empty list"),
        ('{"id": "x", "turns": [{"question": "q"}]}', "turn 1: `expected` is required"),
        ('{"id": "x", "turns": ["q"]}', "turn 1: expected a JSON object"),
        ('{"id": "x", "question": "q", "turns": [{"question": "q", "expected": ["a"]}]}',
         "inside each turn"),
    ],
)
def test_bad_lines_are_named(tmp_path: Path, line: str, problem: str) -> None:
    good = json.dumps({"id": "ok", "question": "q", "expected": ["a"]})
    path = write(tmp_path, good, line)
    with pytest.raises(SuiteError) as info:
        load_suite(path)
    message = info.value.message
    assert message.startswith(f"{path}:2")
    assert problem in message


def test_duplicate_ids(tmp_path: Path) -> None:
    line = json.dumps({"id": "same", "question": "q", "expected": ["a"]})
    with pytest.raises(SuiteError, match=r":2: duplicate id 'same' \(first used "
                       r"on line 1\)"):
        load_suite(write(tmp_path, line, line))


def test_missing_empty_and_binary_files(tmp_path: Path) -> None:
    with pytest.raises(SuiteError, match="no such suite file"):
        load_suite(tmp_path / "nope.jsonl")
    with pytest.raises(SuiteError, match="has no items"):
        load_suite(write(tmp_path, "", "  "))
    binary = tmp_path / "b.jsonl"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(SuiteError, match="not UTF-8"):
        load_suite(binary)
    with pytest.raises(SuiteError, match="is a directory"):
        load_suite(tmp_path)


def test_numeric_ids_and_suite_names(tmp_path: Path) -> None:
    (tmp_path / "rgb").mkdir()
    a = write(tmp_path, json.dumps({"id": 7, "question": "q", "expected": ["a"]}),
              name="rgb/suite.jsonl")
    b = write(tmp_path, json.dumps({"id": 7, "question": "q", "expected": ["a"]}),
              name="suite.jsonl")
    suites = load_suites([a, a, b])
    assert [s.name for s in suites] == ["rgb", "rgb-2", tmp_path.name]
    assert suites[0].items[0].id == "7"
    assert suites[1].items[0].suite == "rgb-2"
