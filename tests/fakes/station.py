"""The test station: people, grids and groups, in the station file and in the fake world."""

from __future__ import annotations

from bot.sandbox.fakeapi import FakeBotAPI

CHIEF = 1001
SUPERIOR = 1002
OFFICER = 2001  # 王向阳: NH-01, NH-02
OFFICER_B = 2002  # 李明: NH-03
RESIDENT = 3001
RESIDENT_B = 3002
STRANGER = 3999

GROUP = -1001001  # NH-01, bound in the station file
GROUP_UNBOUND = -1001002  # NH-02, bound in chat with /bind
GROUP_B = -1001003  # NH-03
DEPARTMENT_CHAT = -1005001

STATION_TOML = f"""
[station]
name = "新城派出所"
timezone = "Asia/Shanghai"
language = "{{language}}"
intake = "{{intake}}"
chiefs = [{CHIEF}]
superiors = [{SUPERIOR}]

[sla]
accept = "{{accept}}"
resolve = "{{resolve}}"
urgent_accept = "{{urgent_accept}}"
follow_up = "{{follow_up}}"
sweep = "1m"

[[officers]]
id = {OFFICER}
name = "王向阳"
grids = ["NH-01", "NH-02"]

[[officers]]
id = {OFFICER_B}
name = "李明"
grids = ["NH-03"]

[[grids]]
code = "NH-01"
name = "南湖社区一网格"
chat_id = {GROUP}

[[grids]]
code = "NH-02"
name = "南湖社区二网格"

[[grids]]
code = "NH-03"
name = "北岸社区三网格"
chat_id = {GROUP_B}

[[departments]]
name = "城管"
chat_id = {DEPARTMENT_CHAT}
"""


def station_toml(
    *,
    language: str = "zh",
    intake: str = "suggest",
    accept: str = "30m",
    resolve: str = "24h",
    urgent_accept: str = "5m",
    follow_up: str = "3d",
) -> str:
    return STATION_TOML.format(
        language=language,
        intake=intake,
        accept=accept,
        resolve=resolve,
        urgent_accept=urgent_accept,
        follow_up=follow_up,
    )


def populate(fake: FakeBotAPI, *, bot_status: str = "member", privacy: bool = False) -> None:
    """The README tells stations to turn privacy mode off; tests of privacy mode turn it on."""
    fake.set_privacy(privacy)
    fake.add_user(CHIEF, "周", last_name="所长", username="chief_zhou")
    fake.add_user(SUPERIOR, "分局", last_name="指挥中心")
    fake.add_user(OFFICER, "王向阳", username="wang_xy")
    fake.add_user(OFFICER_B, "李明")
    fake.add_user(RESIDENT, "张三", username="zhangsan")
    fake.add_user(RESIDENT_B, "李四")
    fake.add_user(STRANGER, "路人")
    members = dict.fromkeys((RESIDENT, RESIDENT_B, STRANGER, OFFICER), "member")
    fake.add_group(GROUP, "南湖一网格群", supergroup=True, members=members, bot_status=bot_status)
    fake.add_group(GROUP_UNBOUND, "南湖二网格群", members=members, bot_status=bot_status)
    fake.add_group(
        GROUP_B,
        "北岸三网格群",
        supergroup=True,
        members={RESIDENT_B: "member", OFFICER_B: "member"},
        bot_status=bot_status,
    )
    fake.add_group(DEPARTMENT_CHAT, "城管对接群", bot_status=bot_status)
