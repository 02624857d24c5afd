"""Chinese text as search terms, the same way for the index and for a citizen's question.

Chinese has no spaces: text is segmented into words with jieba-rs (``rjieba``, its dictionary
built in), in search mode (a long word also gives its parts: 失业保险金 -> 失业, 保险, 保险金,
失业保险, 失业保险金). Words that say nothing about the matter (怎么, 需要, 办理 ...) are dropped;
a few colloquial words bring the official ones with them (几天 -> 多长时间, 离职证明 -> 解除劳动关系
证明), because the FAQs are written in the departments' words and the questions in the citizens'.
PostgreSQL then indexes and ranks the words (``to_tsvector('simple', ...)``, a GIN index).
Measured against pg_trgm on the demo data: docs/consultations.md.
"""

from __future__ import annotations

import re

import rjieba

__all__ = ["MAX_QUERY_TERMS", "STOPWORDS", "SYNONYMS", "query_terms", "terms", "words"]

MAX_QUERY_TERMS = 32
_WORD = re.compile(r"^\w+$")  # letters (CJK included) and digits only: safe in a tsquery

_STOPWORDS = (
    "的 了 吗 呢 啊 吧 么 呀 是 要 我 我们 你 您 他 她 它 这 那 这个 "
    "那个 怎么 怎么样 怎样 如何 什么 啥 哪些 哪里 哪个 多少 需要 需 可以 可 "
    "能 能不能 能否 不能 办 办理 一下 请问 想 想要 有 没有 和 与 及 或 或者 "
    "在 去 到 个 还 也 都 就 又 得 地 着 过 被 把 给 让 对 从 向 以 "
    "为 请 谢谢 一 一个 现在 已经 应该 应当 是否 还是 如果 的话 时候 问 问题 "
    # jieba keeps 怎么办 whole (it also gives 怎么): without these, "护照怎么办" found every
    # FAQ asking "...怎么办" (bench/answers.py); 咋 is the citizens' 怎么
    "怎么办 咋 咋办 "
)
# words that say nothing about the matter asked
STOPWORDS = frozenset(_STOPWORDS.split())

# colloquial (citizens) -> official (the FAQs' words), added to a question, never to the index
SYNONYMS: dict[str, str] = {
    "几天": "多长时间 多久 时限",
    "多久": "多长时间 时限",
    "多长时间": "多久 时限",
    "多少钱": "收费 费用 工本费",
    "要钱": "收费 费用",
    "收钱": "收费 费用",
    "费用": "收费",
    "啥证": "许可证",
    "什么证": "许可证",
    "寄": "邮寄 快递",
    "丢了": "补领 补办",
    "丢失": "补领 补办",
    "遗失": "补领 补办",
    "离职证明": "解除劳动关系证明",
    "过期": "有效期满 换领",
    "到期": "有效期 延续",
    "没通过": "不合格",
    "饭店": "餐馆 餐饮",
    "餐厅": "餐馆 餐饮",
    "盖房子": "建筑工程 施工",
    "图审": "施工图审查",
    "失业金": "失业保险金",
    "资格": "要求 执业证书",
    "带什么": "证件 材料",
    "要什么": "材料",
}


def words(text: str) -> list[str]:
    """The words of ``text`` that carry meaning, in order (repeats kept: they weigh)."""
    return [
        word
        for word in rjieba.cut_for_search(text)
        if _WORD.match(word) and word.lower() not in STOPWORDS
    ]


def terms(text: str) -> str:
    """``text`` as space-separated words, the form ``to_tsvector('simple', ...)`` indexes."""
    return " ".join(words(text))


def query_terms(question: str) -> list[str]:
    """The distinct words to look for: the question's, and the official words its colloquial
    ones stand for; at most :data:`MAX_QUERY_TERMS`."""
    extra = [official for colloquial, official in SYNONYMS.items() if colloquial in question]
    found: dict[str, None] = {}
    for word in words(" ".join([question, *extra])):
        found.setdefault(word.lower(), None)
    return list(found)[:MAX_QUERY_TERMS]
