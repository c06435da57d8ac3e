"""The learned retrieval model of `narratives search`: training is one seeded, reproducible command whose
model serves the search contract; the model's files are verified (sha256, encoder) before use."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from monitor.classify.card import HAND_MARKER
from monitor.narratives.retrieval_model import META, WEIGHTS, default_model_dir, load

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "fixtures" / "narratives" / "checkthat_tiny"


def _cli(*args: object, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "monitor", *map(str, args)], input=stdin, capture_output=True, text=True,
                          env=env, cwd=ROOT, check=False, timeout=600)


def test_training_is_reproducible_and_its_model_serves_the_search_contract(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    hand = f"{HAND_MARKER}\n\n## Dev figures of this model\n\nMAP@5 0.531 (one run, command beside it)\n"
    (first / "card.md").write_text("# old generated card\n\n" + hand, encoding="utf-8")
    for out in (first, second):
        done = _cli("narratives", "train-retrieval", "--data", TINY, "-o", out, "--seed", "3")
        assert done.returncode == 0, done.stderr
    assert (first / WEIGHTS).read_bytes() == (second / WEIGHTS).read_bytes()
    meta = json.loads((first / META).read_text(encoding="utf-8"))
    assert meta["sha256"] == hashlib.sha256((first / WEIGHTS).read_bytes()).hexdigest()
    assert set(meta["data_sha256"]) == {"vclaims.jsonl", "queries_train_dev.csv", "qrels_train.csv"}
    assert meta["config"]["seed"] == 3
    card = (first / "card.md").read_text(encoding="utf-8")
    assert meta["sha256"] in card and "Research use only" in card
    # the generated part is rewritten, the hand-written section below the marker is kept
    assert card.endswith(hand) and "old generated card" not in card
    assert HAND_MARKER not in (second / "card.md").read_text(encoding="utf-8")
    model = load(first)
    assert not np.allclose(model.adapter, np.eye(model.adapter.shape[0]))

    said = [{"id": "wind", "text": "people who live close to wind farms end up with cancer"},
            {"id": 2, "text": "the deficit is three times bigger under this administration"}]
    done = _cli("narratives", "search", "--index", TINY / "vclaims.jsonl", "--top-k", "3", "--model", first,
                stdin="".join(json.dumps(q) + "\n" for q in said))
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["id"] for r in rows] == ["wind", 2]
    assert [r["matches"][0]["id"] for r in rows] == ["vclaim-t-08", "vclaim-t-11"]
    for row in rows:
        scores = [m["score"] for m in row["matches"]]
        assert len(scores) == 3 and scores == sorted(scores, reverse=True) and all(0 < s < 1 for s in scores)


def test_a_model_whose_weights_do_not_match_their_sha256_is_refused(tmp_path: Path) -> None:
    copy = tmp_path / "model"
    shutil.copytree(default_model_dir(), copy)
    raw = bytearray((copy / WEIGHTS).read_bytes())
    raw[-1] ^= 0x01
    (copy / WEIGHTS).write_bytes(bytes(raw))
    with pytest.raises(ValueError, match="sha256"):
        load(copy)
    done = _cli("narratives", "search", "--index", ROOT / "rules" / "narratives", "--model", copy, stdin='{"id": 1, "text": "x"}\n')
    assert done.returncode != 0 and "sha256" in done.stderr and not done.stdout


def test_the_shipped_model_is_verified_and_refuses_another_encoder() -> None:
    model = load(default_model_dir())
    assert model.sha256 in (default_model_dir() / "card.md").read_text(encoding="utf-8")
    dim = model.adapter.shape[0]
    model.check_encoder(dim, model.encoder_variant)
    with pytest.raises(ValueError, match="trained on encoder"):
        model.check_encoder(dim, "0123456789abcdef-onnx-int8-000000000000-128-L6")
    with pytest.raises(ValueError, match="trained on encoder"):
        model.check_encoder(dim * 2, model.encoder_variant)


def test_eval_reports_the_search_model_beside_bm25_on_dev(tmp_path: Path) -> None:
    done = _cli("narratives", "train-retrieval", "--data", TINY, "-o", tmp_path / "m")
    assert done.returncode == 0, done.stderr
    done = _cli("narratives", "eval", "--data", TINY, "--model", tmp_path / "m", "--context-lines", "0")
    assert done.returncode == 0, done.stderr
    systems = {tuple(cell.strip() for cell in line.split("|")[1:3]) for line in done.stdout.splitlines() if line.startswith("| ")}
    assert {("BM25", "dev"), ("BM25 + dense", "dev"), ("BM25 + dense (adapter) + re-rank (narratives search)", "dev"),
            ("BM25 + dense (adapter) + re-rank + the debate's date", "dev")} <= systems
    assert ("BM25 + dense (adapter) + re-rank (narratives search)", "train") not in systems
    # two models in one run: each one's rows under its name, the baselines once
    done = _cli("narratives", "eval", "--data", TINY, "--model", f"tiny={tmp_path / 'm'}", "--model", default_model_dir(),
                "--context-lines", "0")
    assert done.returncode == 0, done.stderr
    names = [line.split("|")[1].strip() for line in done.stdout.splitlines() if line.startswith("| ") and "| dev |" in line]
    assert names.count("BM25") == 1 and "tiny: BM25 + dense (adapter) + re-rank (narratives search)" in names
    assert "BM25 + dense (adapter) + re-rank (narratives search)" in names


def test_the_re_ranker_prefers_the_claim_stated_before_the_query_and_without_a_date_the_one_said_in_a_debate() -> None:
    import datetime as dt

    from monitor.narratives.evaluate import said_on, stated_on, stated_where
    from monitor.narratives.index import Document, NarrativeIndex
    from monitor.narratives.matcher import shared_default_encoder
    from monitor.narratives.pair_features import venue

    assert stated_on("stated on October 22, 2019 in a campaign mailer.:") == dt.date(2019, 10, 22)
    assert stated_on("in a tweet") is None and stated_on(None) is None
    assert stated_where("stated on October 22, 2019 in a campaign mailer.:") == "in a campaign mailer"
    assert stated_where("in a tweet") == "" and stated_where(None) == ""
    assert [venue(w) for w in ("in a debate in Las Vegas", "in a Facebook post", "in a letter", "")] == [
        "debate", "online", "other", ""]
    assert said_on("20121023_third_presidential_debate_0959") == dt.date(2012, 10, 23) and said_on("debate_7") is None
    claim = ("Unemployment among veterans is lower than in the general population.",)
    filler = [Document(f"other-{i}", (text,)) for i, text in enumerate(
        ["The state cut school funding by a fifth.", "Crime doubled in the city since 2015.", "Wind farms cause cancer."])]
    model = load(default_model_dir())
    said = ["veterans' unemployment is now lower than the general population"]
    later = Document("stated-later", claim, "Senator Hale", dt.date(2016, 3, 1))
    before = Document("stated-before", claim, "Senator Hale", dt.date(2012, 9, 1))
    index = NarrativeIndex([later, before, *filler], shared_default_encoder(), None, model=model)
    dated = index.search(said, top_k=2, dates=[dt.date(2012, 10, 23)])[0]
    assert dated[0].id == "stated-before" and dated[0].score > dated[1].score
    # the same claim, the same day, said in a debate and posted online: a debate sentence repeats the former
    posted = Document("posted", claim, "Senator Hale", dt.date(2012, 9, 1), "online")
    debated = Document("debated", claim, "Senator Hale", dt.date(2012, 9, 1), "debate")
    index = NarrativeIndex([posted, debated, *filler], shared_default_encoder(), None, model=model)
    undated = index.search(said, top_k=2)[0]
    assert undated[0].id == "debated" and undated[0].score > undated[1].score


def test_lines_of_one_call_date_each_other_and_a_repeated_line_is_not_another() -> None:
    import datetime as dt

    from monitor.narratives.pair_features import BATCH_FEATURES, DocumentFeatures

    days = [dt.date(2016, 10, 9), dt.date(2016, 10, 10), dt.date(2011, 3, 1), None]
    feats = DocumentFeatures(["claim a", "claim b", "claim c", "claim d"], ["", "", "", ""], days)
    # line 0 ranks the 2011 claim first, then the 2016 one, then the undated; line 1 ranks the other 2016 claim top
    candidates = np.array([[2, 0, 3], [1, 2, 3]])
    fused = np.array([[0.5, 0.5, 0.6, 0.1], [0.1, 0.9, 0.2, 0.1]], dtype=np.float32)
    out = feats.batch_days(["what was said", "something else that was said"], candidates, fused)
    assert out.shape == (2, 3, len(BATCH_FEATURES))
    sameday, period = out[0, :, 0], out[0, :, 1]
    assert sameday[1] > 0.5 > sameday[0] and period[1] > period[0]  # claim a was stated the day before line 1's top claim
    assert out[0, 2].tolist() == [0.0, 0.0]  # a claim without a day
    alone = feats.batch_days(["what was said", "what was said"], candidates, fused)
    assert not alone.any()


def _dated_index() -> tuple[object, list[str]]:
    import datetime as dt

    from monitor.narratives.index import Document, NarrativeIndex
    from monitor.narratives.matcher import shared_default_encoder

    claims = ["Unemployment among veterans is lower than in the general population.",
              "The state cut school funding by a fifth.", "Crime doubled in the city since 2015.",
              "Wind farms cause cancer.", "The deficit tripled under this administration.",
              "Half of all new jobs went to immigrants."]
    days = [dt.date(2012, 9, 1), dt.date(2016, 3, 1), dt.date(2012, 10, 20), dt.date(2019, 5, 2),
            dt.date(2016, 2, 27), dt.date(2012, 10, 1)]
    docs = [Document(f"c{i}", (text,), "", day) for i, (text, day) in enumerate(zip(claims, days, strict=True))]
    others = [f"line {n}: {topic}" for n, topic in enumerate(
        ["crime is up in our cities", "school budgets were cut", "jobs went to immigrants", "the deficit is huge",
         "wind turbines make people sick"] * 4)]
    return NarrativeIndex(docs, shared_default_encoder(), None, model=load(default_model_dir())), others


def _ranked(rows: list) -> list[list[tuple[str, float]]]:
    return [[(m.id, round(m.score, 6)) for m in row] for row in rows]


def test_a_repeated_line_is_one_line_of_its_call_for_the_head_as_for_the_features() -> None:
    from monitor.narratives.retrieval_model import MIN_BATCH, heads_for

    index, others = _dated_index()
    said = "veterans' unemployment is now lower than the general population"
    alone = _ranked(index.search([said], top_k=3))
    # the same text sent MIN_BATCH times is one line: ranked as when sent alone, not by the head of a big call
    assert _ranked(index.search([said] * MIN_BATCH, top_k=3)) == alone * MIN_BATCH
    assert heads_for([said] * MIN_BATCH, None) == ["alone"] * MIN_BATCH
    assert set(heads_for([said, *others[:MIN_BATCH - 1]], None)) == {"undated"}
    assert set(heads_for([said, others[0], others[0]], None)) == {"few"}
    # a call of a few different lines reads them: the line's ranking is no longer the alone one
    assert _ranked(index.search([said, *others[:4]], top_k=3))[0] != alone[0]


def test_a_dated_line_ranks_the_same_whatever_lines_are_sent_with_it() -> None:
    import datetime as dt

    from monitor.narratives.pair_features import DocumentFeatures

    index, others = _dated_index()
    said, day = "veterans' unemployment is now lower than the general population", dt.date(2012, 10, 23)
    alone = _ranked(index.search([said], top_k=3, dates=[day]))
    in_call = _ranked(index.search([said, *others], top_k=3, dates=[day] * (len(others) + 1)))
    assert in_call[0] == alone[0]
    # the call features are computed for the lines that read them only; the others still date those
    feats = DocumentFeatures(["claim a", "claim b", "claim c"], ["", "", ""],
                             [dt.date(2016, 10, 9), dt.date(2016, 10, 10), dt.date(2011, 3, 1)])
    candidates, fused = np.array([[0, 2, 1], [1, 2, 0]]), np.array([[0.9, 0.1, 0.5], [0.1, 0.9, 0.2]], dtype=np.float32)
    every = feats.batch_days(["first line", "second line"], candidates, fused)
    some = feats.batch_days(["first line", "second line"], candidates, fused, needed=[True, False])
    assert every[1].any() and not some[1].any() and np.array_equal(some[0], every[0]) and every[0].any()


def test_a_transcript_id_names_a_much_checked_person_not_a_place_or_a_party() -> None:
    from monitor.narratives.speakers import MIN_CLAIMS, SpeakerNames, given, surname

    counts = {"Donald Trump": MIN_CLAIMS, "Ivanka Trump": 2, "Nancy Pelosi": MIN_CLAIMS, "Republican Party of Florida": 2 * MIN_CLAIMS,
              "Occupy Democrats": MIN_CLAIMS, "Senate Democrats": MIN_CLAIMS // 2, "Ted Cruz": MIN_CLAIMS - 1,
              "Bernie Sanders": MIN_CLAIMS, "Sarah Huckabee Sanders": MIN_CLAIMS}
    speakers = [name for name, n in counts.items() for _ in range(n)]
    named = SpeakerNames(speakers)
    assert named.from_id("20170822_Trump_phoenix_0204") == {"trump"}
    assert named.from_id("20181112_trump_pelosi_0007") == {"trump", "pelosi"}
    # a party's "Florida", an organisation's "Democrats", too few claims, a surname shared half and half: no speaker
    assert named.from_id("20190619_Trump_Campain_Florida_0003") == {"trump"}
    for qid in ("20160117_democrats_charlston_0012", "20160415_Cruz_Miluakee_0001", "20160529_Sanders_MeetThePress_0001"):
        assert named.from_id(qid) == frozenset(), qid
    assert named.from_id("Trump_phoenix_0204") == frozenset() and named.from_id(7) == frozenset()
    assert given(["TRUMP", "Mr. Pelosi", ""]) == {"trump", "pelosi"} and surname("") == ""


def test_a_known_speaker_lifts_their_own_claim_and_an_unknown_one_changes_nothing() -> None:
    from monitor.narratives.index import Document, NarrativeIndex
    from monitor.narratives.matcher import shared_default_encoder

    model = load(default_model_dir())
    assert set(model.speaker_boost) == {"dated", "undated", "few", "alone"}
    assert all(b.same > b.other for b in model.speaker_boost.values())
    claim = "Unemployment among veterans is lower than in the general population."
    docs = [Document("by-hale", (claim,), "Senator Hale"), Document("by-ross", (claim + " ",), "Mayor Ross"),
            Document("other", ("Wind farms cause cancer.",), "Senator Hale")]
    index = NarrativeIndex(docs, shared_default_encoder(), None, model=model)
    said = ["veterans' unemployment is now lower than the general population"]
    plain = _ranked(index.search(said, top_k=3))
    assert _ranked(index.search(said, top_k=3, speakers=[frozenset()])) == plain
    for who in ("hale", "ross"):
        [ranked] = index.search(said, top_k=3, speakers=[frozenset({who})])
        assert ranked[0].id == f"by-{who}" and ranked[0].score > ranked[1].score
