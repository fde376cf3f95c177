"""Chinese texts for the tests: a ten-sentence article, article/summary pairs, a vocabulary."""

from __future__ import annotations

import json
from pathlib import Path

from tests.tiny_model import topic_rows

# Ten sentences, some with English words, a quotation and a half-width question mark.
ARTICLE_SENTENCES = [
    "昨天夜里，一场暴雨袭击了南方的一座小城。",
    "河水迅速上涨，淹没了老城区的许多街道。",
    "数百名居民被转移到附近学校的体育馆过夜。",
    "市长说：“救援工作将持续到所有人安全为止。”",
    "当地政府已经向省里请求派出更多救援队伍。",
    "气象台预计，大雨将在周三之前停止。",
    "许多商店和工厂不得不暂时关门。",
    "一位居民说，这是他五十年来见过最大的洪水。",
    "专家提醒大家不要靠近河边?",
    "灾后重建预计需要几个月的时间。",
]
ARTICLE = "".join(ARTICLE_SENTENCES)

# Article sentences and a reference summary that repeats two of them nearly word for word.
PAIRS = [
    (
        [
            "今年春天，这座城市的房价继续上涨。",
            "市中心的新房价格比去年高了两成。",
            "许多年轻人只好搬到郊区居住。",
            "政府表示将推出新的住房补贴政策。",
        ],
        ["市中心新房价格比去年高两成。", "政府将推出住房补贴政策。"],
    ),
    (
        [
            "国家队昨晚在主场迎战老对手。",
            "上半场双方都没有进球。",
            "下半场第七十分钟，队长头球破门。",
            "最终国家队一比零获胜，晋级决赛。",
        ],
        ["国家队一比零获胜晋级决赛。", "队长在第七十分钟头球破门。"],
    ),
]

TOPICS = ["市场", "球队", "电影", "部长"]


def chinese_rows(count: int) -> list[dict[str, str]]:
    """Documents whose summary is the sentence naming the document's topic; the rest is filler."""
    return topic_rows(
        count,
        TOPICS,
        lambda _number, k: f"第{k}行填充文字没有什么内容。",
        lambda topic: f"今天{topic}的新闻被认为最重要。",
        prefix="zh",
        joiner="",
    )


def write_chinese_rows(path: Path, count: int = 16) -> Path:
    """A JSONL training file of ``chinese_rows``."""
    rows = chinese_rows(count)
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))
    return path


def chinese_characters() -> list[str]:
    """Every character of the texts above: the vocabulary of a tiny Chinese encoder."""
    texts = [ARTICLE, *(s for a, r in PAIRS for s in a + r)]
    texts += [row["article"] for row in chinese_rows(len(TOPICS))]
    return sorted({c for text in texts for c in text if not c.isascii() and not c.isspace()})
