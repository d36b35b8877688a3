"""Behaviour of the offline message classifier on sentences written for these tests."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from handlers.classifier import CATEGORIES, Classification, Classifier
from handlers.classifier.cli import classify_stream
from handlers.classifier.normalize import normalize

# shared/ sits beside the repository, on a developer's machine and in CI alike.
SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "messages-dev.jsonl"
DEV_DATA = Path(os.environ.get("GRIDBOT_DEV_DATA", str(SHARED_DATA)))

# One clear report per category and script; none of these is in the dev data.
REPORTS = [
    ("隔壁装修把垃圾全堆在我家门口，跟他们说了好几次还骂我，麻烦网格员来协调一下", "dispute"),
    ("房東不退押金，還把我的行李鎖在屋裡，可以請社區幫忙調解嗎", "dispute"),
    ("楼上每天半夜一点还在唱K，吵得孩子根本睡不着，能不能派人去说说", "noise"),
    ("對面工地每天晚上十一點還在施工，噪音大到睡不著", "noise"),
    (
        "The karaoke bar downstairs plays loud music until 3am every night, nobody can sleep",
        "noise",
    ),
    ("我停在车棚的电动车昨晚被偷了，锁都被剪断了，能帮忙调一下监控吗", "theft"),
    ("someone broke into the storage room in the basement last night and took two bikes", "theft"),
    ("我媽在網上投資被騙了十幾萬，對方現在聯繫不上了，要怎麼報案", "fraud"),
    (
        "I got a text with a link saying my parcel is held at customs and I paid a fee, "
        "now I think it was a scam",
        "fraud",
    ),
    (
        "我家老人有老年痴呆，早上出门到现在还没回来，八十岁，穿灰色外套，大家帮忙留意一下",
        "missing_person",
    ),
    ("在三栋门口捡到一个钱包，里面有身份证，失主请到物业领取", "lost_found"),
    ("我的鑰匙昨天在社區公園弄丟了，上面有個紅色吊飾，有人撿到嗎", "lost_found"),
    ("小区门口有辆白色面包车把消防通道堵了一上午，车上没留电话", "traffic"),
    (
        "A car has been parked across the garage exit all morning and nobody can get out",
        "traffic",
    ),
    ("樓下有人把電動車推進樓道充電，插線板拉了好長，很危險", "safety_hazard"),
    ("我在小区门口被一个骑车的男的骂了几句还推了一把，人已经走了，我想报案", "violence"),
    ("请问办居住证需要带什么材料，房屋租赁合同要不要备案", "household_services"),
    ("我的身分證快到期了，在這邊派出所可以換嗎", "household_services"),
    (
        "I just moved in and need to do my temporary residence registration, "
        "what documents should I bring?",
        "household_services",
    ),
    ("有一位老伯伯在公車站坐了很久，說不清楚自己住哪，好像迷路了，有人認識嗎", "help"),
    ("我们楼已经停水两天了，物业也不给个说法，到底找谁", "non_police"),
    (
        "The rubbish bins at Building 6 haven't been emptied for a week and they stink",
        "non_police",
    ),
]

CHATTER = [
    "大家早上好，今天天气不错",
    "收到，谢谢网格员",
    "我家猫又偷吃鱼了",
    "转发：【防诈提醒】公安机关不会通过电话要求转账，凡是要求转到安全账户的都是诈骗",
    "謝謝王警官昨天幫忙，問題已經解決了🙏",
    "Good morning neighbours, have a great weekend!",
    "哈哈哈我儿子说长大要当警察抓小偷",
    "请问附近哪家超市开到晚上十点",
    "二手自行车出售，九成新，有意者私聊",
    "Thanks everyone, we found the cat, she was hiding in the garage",
    "👍👍",
    "",
]

# (urgent, not urgent) about the same kind of thing.
URGENT_PAIRS = [
    (
        "5栋楼道里有一股很浓的煤气味，好像是从302传出来的，敲门没人应",
        "5栋楼道里的灭火器过期好久了，麻烦物业换一下",
    ),
    (
        "我女兒六歲，剛剛在公園玩一轉眼就不見了，穿粉紅色裙子，拜託大家幫忙找",
        "我哥上個月去外地打工，已經十幾天聯繫不上了，可以幫忙報失蹤嗎",
    ),
    (
        "楼下有两个人打起来了，一个拿着刀，已经有人受伤了，快来人",
        "上个月在饭店门口被人推了一把，当时没报警，现在还能处理吗",
    ),
    (
        "路口两辆车撞了，有个司机头上流血了，已经打了120",
        "上周停车场被人刮了一下，对方没留电话，行车记录仪有拍到",
    ),
    (
        "An old man fainted in the lobby of Building 4 and isn't responding, "
        "we've called an ambulance",
        "Could someone help my grandmother carry her shopping upstairs tomorrow?",
    ),
]


@pytest.fixture(scope="module")
def clf() -> Classifier:
    return Classifier.default()


def test_default_is_cached(clf: Classifier) -> None:
    assert Classifier.default() is clf


@pytest.mark.parametrize(("text", "category"), REPORTS)
def test_clear_reports(clf: Classifier, text: str, category: str) -> None:
    result = clf.classify(text)
    assert result.is_report
    assert result.category == category
    assert result.confidence >= 0.5


@pytest.mark.parametrize("text", CHATTER)
def test_chatter_is_not_a_report(clf: Classifier, text: str) -> None:
    assert clf.classify(text) == Classification(
        False, "none", False, clf.classify(text).confidence
    )
    assert clf.classify(text).confidence < 0.5


@pytest.mark.parametrize(("urgent", "calm"), URGENT_PAIRS)
def test_urgent_vs_not_urgent(clf: Classifier, urgent: str, calm: str) -> None:
    hot, cold = clf.classify(urgent), clf.classify(calm)
    assert hot.is_report
    assert hot.urgent
    assert cold.is_report
    assert not cold.urgent


def test_invariants_hold_for_all_kinds_of_text(clf: Classifier) -> None:
    texts = [t for t, _ in REPORTS] + CHATTER + [t for pair in URGENT_PAIRS for t in pair]
    texts += ["🔥🔥🔥", "   ", "110", "a" * 5000, "救命" * 300]
    for text in texts:
        r = clf.classify(text)
        assert r.category in CATEGORIES
        assert (r.category == "none") == (not r.is_report)
        assert r.is_report or not r.urgent
        assert 0.0 <= r.confidence <= 1.0


def test_shipped_model_matches_lexicons() -> None:
    from handlers.classifier.train import MODEL_PATH, resources_digest

    meta = json.loads(MODEL_PATH.read_text(encoding="utf-8"))["meta"]
    # If this fails: python -m handlers.classifier.train ../shared/data/messages-dev.jsonl
    assert meta["resources_sha256"] == resources_digest()


def test_traditional_and_full_width_are_normalised() -> None:
    assert normalize("請問樓下的電動車ＡＢＣ") == "请问楼下的电动车abc"


def test_classify_stream_round_trip() -> None:
    lines: list[dict[str, object]] = [
        {"id": "a", "text": "楼下有人打架，拿着刀，快来人", "extra": [1, 2]},
        {"id": "b", "text": "收到"},
    ]
    out = io.StringIO()
    err = io.StringIO()
    inp = io.StringIO("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines))
    assert classify_stream(inp, out, err=err) == 0
    assert err.getvalue() == ""
    got = [json.loads(x) for x in out.getvalue().splitlines()]
    assert got[0] == {**lines[0], "is_report": True, "category": "violence", "urgent": True}
    assert got[1] == {**lines[1], "is_report": False, "category": "none", "urgent": False}
    assert "拿着刀" in out.getvalue()  # ensure_ascii=False keeps Chinese readable


def test_classify_stream_reports_bad_lines(capsys: pytest.CaptureFixture[str]) -> None:
    inp = io.StringIO(
        '{"text": "收到"}\nnot json\n{"text": 5}\n{"id": 1}\n[1]\n{"text": "好的"}\n'
    )
    out = io.StringIO()
    assert classify_stream(inp, out) == 2
    assert len(out.getvalue().splitlines()) == 2  # the good lines are still processed
    errors = capsys.readouterr().err.splitlines()
    assert [e.split(":")[0] for e in errors] == ["line 2", "line 3", "line 4", "line 5"]


@pytest.mark.skipif(not DEV_DATA.exists(), reason="labelled dev data not available")
def test_cross_validation_stays_above_floors() -> None:
    from bench.classify import cross_validate, score
    from handlers.classifier.train import load_examples

    m = score(cross_validate(load_examples(DEV_DATA), k=3))
    assert m.report_f1 >= 0.88
    assert m.urgent_r >= 0.90
    assert m.urgent_p >= 0.55
    assert m.macro_f1 >= 0.78
