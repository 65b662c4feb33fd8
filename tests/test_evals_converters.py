"""The RGB and TAT-QA converters write a corpus (with corpus.yaml) and a valid suite."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml

from assistant.evals.suite import load_suite
from assistant.ingest.loaders import load_file

EVALS = Path(__file__).resolve().parent.parent / "evals"
sys.path.insert(0, str(EVALS))  # the converters import their shared module, evals/converting.py


def _module(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, EVALS / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


convert_rgb = _module("convert_rgb")
convert_tatqa = _module("convert_tatqa")

RGB_ROWS = [
    {"id": 0, "query": "Super Bowl 2021 location", "answer": "Tampa, Florida",
     "fakeanswer": "Glendale, Arizona",
     "positive": ["The game was played at Raymond James Stadium in Tampa, Florida, the home "
                  "stadium of the Buccaneers."],
     "positive_wrong": ["The game was played at Raymond James Stadium in Glendale, Arizona, "
                        "the home stadium of the Buccaneers."],
     "negative": ["Official Super Bowl LVIII Ticket Packages Now Available in Las Vegas."]},
    {"id": 22, "query": "When was the iPhone X released?",
     "answer": [["November 3 2017", "Nov 3, 2017", "November 3, 2017"]],
     "fakeanswer": "December 1, 2012",
     "positive": ["Apple released the iPhone X on  Nov 3, 2017 in most markets.",
                  "Official Super Bowl LVIII Ticket Packages Now Available in Las Vegas."],
     "positive_wrong": ["Apple released the iPhone X on December 1, 2012 in most markets."],
     "negative": []},
]


def _check_corpus(corpus: Path) -> dict[str, dict[str, str]]:
    manifest = yaml.safe_load((corpus / "corpus.yaml").read_text(encoding="utf-8"))["documents"]
    files = sorted(p.name for p in corpus.glob("*.txt"))
    assert sorted(manifest) == files
    ids = [m["doc_id"] for m in manifest.values()]
    assert len(set(ids)) == len(ids)
    for name, meta in manifest.items():
        assert meta["title"] and meta["source"]
        assert load_file(corpus / name).text.strip()  # survives the loader's cleaning
    return manifest


def test_rgb(tmp_path: Path) -> None:
    source = tmp_path / "rgb.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in RGB_ROWS), encoding="utf-8")
    counts = convert_rgb.convert(source, tmp_path / "out")
    plain = tmp_path / "out" / "rgb"
    assert counts["rgb passages"] == 3  # the shared negative passage is written once
    assert len(_check_corpus(plain / "corpus")) == 3
    suite = load_suite(plain / "suite.jsonl")
    first, second = (i.turns[0] for i in suite.items)
    assert first.expected == (("Tampa, Florida",),) and first.evidence == "Tampa, Florida"
    assert second.expected == (("November 3 2017", "Nov 3, 2017", "November 3, 2017"),)
    assert second.evidence == "Nov 3, 2017"  # as the passage words it
    assert suite.items[1].tags == ("rgb", "date")

    counter = tmp_path / "out" / "rgb-counterfactual"
    assert len(_check_corpus(counter / "corpus")) == 5
    cf = load_suite(counter / "suite.jsonl")
    assert cf.items[0].turns[0].expected == (("Tampa, Florida",), ("Glendale, Arizona",))
    assert "conflict" in cf.items[0].tags


def test_tatqa(tmp_path: Path) -> None:
    contexts = [{
        "table": {"uid": "3ffd9053-a45d", "table": [["", "2019"]]},
        "paragraphs": [
            {"uid": "p2", "order": 2, "text": "On a cost-plus type contract, we are paid our "
             "allowable incurred costs plus a profit."},
            {"uid": "p1", "order": 1, "text": "Sales by Contract Type: Substantially all of our "
             "contracts are fixed-price type contracts."},
        ],
        "questions": [
            {"uid": "23801627-ff77", "question": "What is the company paid on a cost-plus "
             "type contract?", "answer": ["our allowable incurred costs plus a profit"],
             "answer_type": "span", "answer_from": "text", "scale": ""},
            {"uid": "4960801d", "question": "What is total sales in 2019?",
             "answer": ["$1,496.5"], "answer_type": "span", "answer_from": "table-text"},
            {"uid": "7a1c0e55", "question": "What type are substantially all contracts?",
             "answer": ["fixed-price type contracts"], "answer_type": "span",
             "answer_from": "table-text"},
            {"uid": "593c4388", "question": "What are the contract types?",
             "answer": ["fixed-price", "cost-plus"], "answer_type": "multi-span",
             "answer_from": "text"},
        ],
    }]
    source = tmp_path / "tatqa.json"
    source.write_text(json.dumps(contexts), encoding="utf-8")
    counts = convert_tatqa.convert(source, tmp_path / "out")
    assert counts == {"documents": 1, "questions": 1, "skipped": 0, "training": 1,
                      "table_documents": 1, "table_questions": 0}
    base = tmp_path / "out" / "tatqa"
    manifest = _check_corpus(base / "corpus")
    assert manifest["tatqa-3ffd9053.txt"]["doc_id"] == "tatqa-3ffd9053"
    text = (base / "corpus" / "tatqa-3ffd9053.txt").read_text(encoding="utf-8")
    assert text.index("Sales by Contract Type") < text.index("cost-plus")  # paragraph order
    suite = load_suite(base / "suite.jsonl")
    turn = suite.items[0].turns[0]
    assert turn.expected == (("our allowable incurred costs plus a profit",),)
    assert turn.evidence == "our allowable incurred costs plus a profit"
    assert suite.items[0].tags == ("tatqa", "text")
    assert suite.items[0].documents == ("tatqa-3ffd9053",)  # meta.doc_id groups training folds
    training = load_suite(base / "train.jsonl")  # the selector's training data, never a suite
    assert [i.turns[0].expected for i in training.items] == [(("fixed-price type contracts",),)]


@pytest.mark.parametrize(
    ("module", "source", "questions"),
    [(convert_rgb, convert_rgb.DEFAULT_SOURCE, {"rgb": 50, "rgb-counterfactual": 50}),
     (convert_tatqa, convert_tatqa.DEFAULT_SOURCE, {"tatqa": 349})],
)
def test_real_data_converts(module: ModuleType, source: Path, questions: dict[str, int],
                            tmp_path: Path) -> None:
    if not source.is_file():
        pytest.skip(f"{source} is not on this machine")
    assert module.main(["--source", str(source), "--out", str(tmp_path)]) == 0
    for name, count in questions.items():
        suite = load_suite(tmp_path / name / "suite.jsonl")
        assert len(suite.items) == count
        assert all(i.turns[0].evidence for i in suite.items)


def test_missing_source_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert convert_rgb.main(["--source", str(tmp_path / "none"), "--out", str(tmp_path)]) == 2
    assert "no such file" in capsys.readouterr().err
