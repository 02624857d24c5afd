"""Self-service answers: our search (jieba words in a tsvector) against ``pg_trgm``, on the demo
catalogue, with citizens' questions whose right answers are known.

The labelled set
----------------
:data:`QUESTIONS` was written first, from the demo catalogue's FAQs and guides only, as citizens
type into a search box (colloquial, partial, nicknames such as 准生证 / 扯证 / 开工证, four with a
one-character typo, eleven with no answer in the catalogue), and labelled by hand before any
method was run on it. It was not tuned to the synonym table of ``projections.answer_terms`` nor
to any method's results, and it is not edited after measuring (add questions instead).

A label is ``(service code, FAQ position)``; position ``-1`` is the item's guide. A question may
have several right answers (a FAQ and the guide that says the same); ``()`` means the catalogue
does not answer it: the right result is nothing.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import asyncpg

from backend.bootstrap import bootstrap
from backend.catalog.commands import publish_catalog
from backend.consultations.answers import SEARCH_SQL, WEIGHTS, search, tsquery
from backend.demo_data import demo_catalog
from bench.common import Row, percentile, settings_for
from projections.answer_terms import MAX_QUERY_TERMS, query_terms, words

if TYPE_CHECKING:
    from backend.services import Services

__all__ = ["GUIDE", "QUESTIONS", "Question", "render", "rows", "run_answers", "score"]

GUIDE = -1

FOOD = "XK-00101-000"  # 食品经营许可
ID_CARD = "GG-00201-000"  # 居民身份证换领
JOBLESS = "GF-00301-000"  # 失业保险金申领
BUILDING = "XK-00401-000"  # 建筑工程施工许可证核发
FIRE = "XK-00501-000"  # 公众聚集场所投入使用、营业前消防安全检查
EIA = "XK-00601-000"  # 建设项目环境影响报告表审批
MARRIAGE = "QR-00701-000"  # 内地居民结婚登记
CLINIC = "QT-00801-000"  # 诊所备案
BIRTH = "GG-00901-000"  # 生育登记 (no FAQs: its guide only)


class Question(NamedTuple):
    text: str
    answers: tuple[tuple[str, int], ...]  # () : nothing in the catalogue answers it
    note: str = ""


QUESTIONS: tuple[Question, ...] = (
    # 食品经营许可
    Question("开个小饭馆要办什么证", ((FOOD, 0),), "nickname"),
    Question("卖盒饭的小摊要不要许可证", ((FOOD, 0),)),
    Question("餐饮许可证多久能下来", ((FOOD, 1), (FOOD, GUIDE)), "nickname"),
    Question("食品经营许可正要几天", ((FOOD, 1), (FOOD, GUIDE)), "typo 正/证"),
    Question("食品许可证5年到期了咋续", ((FOOD, 2),)),
    Question("只卖包装好的零食也要办食品许可吗", ((FOOD, 0),)),
    Question("食品经营许可证延续要交啥材料", ((FOOD, 2), (FOOD, GUIDE))),
    # 居民身份证换领
    Question("身份证快到期了提前多久能换", ((ID_CARD, 0),)),
    Question("换个身份证多少钱", ((ID_CARD, 1), (ID_CARD, GUIDE))),
    Question("二代证过期了还能用吗", ((ID_CARD, 0),), "nickname"),
    Question("换身份证能不能让家里人代办", ((ID_CARD, 2),)),
    Question("新身份证能寄到家吗", ((ID_CARD, 2),)),
    Question("身份证坏了看不清字了怎么换", ((ID_CARD, GUIDE),)),
    Question("身分证换领要带什么", ((ID_CARD, GUIDE),), "typo 分/份"),
    # 失业保险金申领
    Question("失业金怎么领，要什么条件", ((JOBLESS, 0),), "nickname"),
    Question("被公司辞退了能领失业补助吗", ((JOBLESS, 0),), "nickname"),
    Question("失业金一个月能拿多少钱", ((JOBLESS, 1),), "nickname"),
    Question("失业保险进最多领几个月", ((JOBLESS, 1),), "typo 进/金"),
    Question("公司不给开离职证明怎么办", ((JOBLESS, 2),)),
    Question("自己辞职的能领失业金不", ((JOBLESS, 0),), "nickname"),
    Question("领失业金要带哪些材料", ((JOBLESS, GUIDE),), "nickname"),
    Question("失业金可以让别人帮我去办吗", ((JOBLESS, GUIDE),), "nickname"),
    # 建筑工程施工许可证核发
    Question("盖厂房要办施工许可证吗", ((BUILDING, 0),)),
    Question("装修个小店面用不用办施工证", ((BUILDING, 0),), "nickname"),
    Question("施工许可多少天能批下来", ((BUILDING, 1), (BUILDING, GUIDE))),
    Question("图纸审查还没弄完可以先报施工许可吗", ((BUILDING, 2),)),
    Question("开工证要准备哪些资料", ((BUILDING, GUIDE),), "nickname"),
    # 公众聚集场所投入使用、营业前消防安全检查
    Question("开ktv要做消防检查吗", ((FIRE, 1),)),
    Question("消防检查没过怎么办", ((FIRE, 2),)),
    Question("消防告知承诺是什么意思 有啥好处", ((FIRE, 0),)),
    Question("商场开业前消防验收咋弄", ((FIRE, 1), (FIRE, GUIDE)), "nickname"),
    Question("消防安检要交哪些材料", ((FIRE, GUIDE),), "nickname"),
    # 建设项目环境影响报告表审批
    Question("环评批下来要多久", ((EIA, 0), (EIA, GUIDE)), "nickname"),
    Question("项目规模扩大了环评要不要重新批", ((EIA, 1),), "nickname"),
    Question("环评报告必须公示吗", ((EIA, 2),), "nickname"),
    # 内地居民结婚登记
    Question("去民政局领证要带啥", ((MARRIAGE, 0), (MARRIAGE, GUIDE)), "nickname"),
    Question("结婚证掉了咋补", ((MARRIAGE, 1),)),
    Question("扯证要花钱吗", ((MARRIAGE, 2), (MARRIAGE, GUIDE)), "nickname"),
    Question("结婚登计照片要几张", ((MARRIAGE, 0), (MARRIAGE, GUIDE)), "typo 计/记"),
    Question("登记结婚户口本必须带吗", ((MARRIAGE, 0), (MARRIAGE, GUIDE)), "nickname"),
    # 诊所备案
    Question("开个中医诊所要审批吗", ((CLINIC, 0),)),
    Question("诊所负责人要什么资格", ((CLINIC, 1),)),
    Question("诊所换了地址备案怎么改", ((CLINIC, 2),)),
    # 生育登记 (a guide, no FAQs)
    Question("准生证怎么办", ((BIRTH, GUIDE),), "nickname"),
    Question("怀孕了去哪登记生孩子", ((BIRTH, GUIDE),)),
    Question("生育登记要结婚证吗", ((BIRTH, GUIDE),)),
    # nothing in the demo catalogue answers these (some share words with items that do)
    Question("身份证丢了在哪挂失", ()),
    Question("护照怎么办", ()),
    Question("社保卡密码忘了怎么办", ()),
    Question("公积金怎么提取", ()),
    Question("离婚要带什么材料", ()),
    Question("驾驶证到期换证", ()),
    Question("孩子上学户口怎么迁", ()),
    Question("营业执照怎么办理", ()),
    Question("办居住证需要什么", ()),
    Question("养老保险交满多少年能退休", ()),
    Question("个体户怎么报税", ()),
)


# --- the comparison -------------------------------------------------------------------------

LIMIT = 3  # the answers a citizen sees above the fold; top-1 and top-3 are read from these
TRGM_WEIGHTS = (1.0, 0.4, 0.2, 0.05)  # question, answer, item name, guide text: as WEIGHTS
TRGM_THRESHOLDS = (0.6, 0.3)  # pg_trgm's default word_similarity_threshold, and a lowered one

# the same rows as answer_index, unsegmented: a the question, b the answer, c the item's name,
# d the guide's text (a guide row: a is "<name>办事指南", d its text, b and c empty, as there)
_TRGM_TABLE = (
    "CREATE TABLE answer_trigrams AS SELECT service_code, position,"
    " question AS a, CASE WHEN kind = 'faq' THEN answer ELSE '' END AS b,"
    " CASE WHEN kind = 'faq' THEN service_name ELSE '' END AS c,"
    " CASE WHEN kind = 'guide' THEN answer ELSE '' END AS d FROM answer_index"
)
_TRGM_INDEX = (
    "CREATE INDEX answer_trigrams_idx ON answer_trigrams"
    " USING gin (a gin_trgm_ops, b gin_trgm_ops, c gin_trgm_ops, d gin_trgm_ops)"
)
# (1.0 ws(q, a) + 0.4 ws(q, b) + 0.2 ws(q, c) + 0.05 ws(q, d)) / 1.65, ws = word_similarity
_TRGM_SCORE = (
    "("
    + " + ".join(
        f"{weight} * word_similarity($1, {column})"
        for weight, column in zip(TRGM_WEIGHTS, "abcd", strict=True)
    )
    + f") / {sum(TRGM_WEIGHTS):g}"
)
# <% : word_similarity($1, x) >= pg_trgm.word_similarity_threshold, answered by the GIN index
TRGM_SQL = (
    f"SELECT service_code, position, {_TRGM_SCORE} AS score FROM answer_trigrams"
    " WHERE $1 <% a OR $1 <% b OR $1 <% c OR $1 <% d"
    " ORDER BY score DESC, service_code, position LIMIT $2"
)
TRGM_RANK_ONLY_SQL = (
    f"SELECT service_code, position, {_TRGM_SCORE} AS score FROM answer_trigrams"
    " ORDER BY score DESC, service_code, position LIMIT $2"
)

Hit = tuple[str, int, float]  # service code, position, score


def plain_terms(question: str) -> list[str]:
    """:func:`query_terms` without the synonym table: the question's own distinct words."""
    return list(dict.fromkeys(word.lower() for word in words(question)))[:MAX_QUERY_TERMS]


class Method(NamedTuple):
    name: str
    threshold: str  # what counts as "found something"
    search: Callable[[asyncpg.Connection, str], Awaitable[list[Hit]]]
    server_settings: dict[str, str]


def _words_method(terms: Callable[[str], list[str]]) -> Callable[..., Awaitable[list[Hit]]]:
    async def run(conn: asyncpg.Connection, question: str) -> list[Hit]:
        found = terms(question)
        if not found:
            return []
        rows = await conn.fetch(SEARCH_SQL, tsquery(found), None, LIMIT, WEIGHTS)
        return [(r["service_code"], r["position"], float(r["score"])) for r in rows]

    return run


def _trgm_method(sql: str) -> Callable[..., Awaitable[list[Hit]]]:
    async def run(conn: asyncpg.Connection, question: str) -> list[Hit]:
        rows = await conn.fetch(sql, question, LIMIT)
        return [(r["service_code"], r["position"], float(r["score"])) for r in rows]

    return run


def methods() -> list[Method]:
    found = _words_method
    listed = [
        Method("jieba + synonyms (as built)", "any match", found(query_terms), {}),
        Method("jieba, no synonyms", "any match", found(plain_terms), {}),
    ]
    for limit in TRGM_THRESHOLDS:
        listed.append(
            Method(
                f"pg_trgm word_similarity, threshold {limit}",
                f"<% at {limit}",
                _trgm_method(TRGM_SQL),
                {"pg_trgm.word_similarity_threshold": str(limit)},
            )
        )
    listed.append(
        Method(
            "pg_trgm ranking alone (no threshold)",
            "every row",
            _trgm_method(TRGM_RANK_ONLY_SQL),
            {},
        )
    )
    return listed


def score(question: Question, hits: list[Hit]) -> dict[str, bool]:
    """The question's outcome: right first, right among the first three, or (no answer in the
    catalogue) something shown all the same."""
    right = set(question.answers)
    got = [(code, position) for code, position, _ in hits]
    return {
        "top1": bool(got) and got[0] in right,
        "top3": any(g in right for g in got[:LIMIT]),
        "empty": not got,
        "false_answer": not right and bool(got),
    }


def summarise(outcomes: list[tuple[Question, dict[str, bool]]]) -> dict[str, Any]:
    answerable = [o for q, o in outcomes if q.answers]
    unanswerable = [o for q, o in outcomes if not q.answers]
    return {
        "answerable": len(answerable),
        "top1": sum(o["top1"] for o in answerable),
        "top3": sum(o["top3"] for o in answerable),
        "nothing_found": sum(o["empty"] for o in answerable),
        "unanswerable": len(unanswerable),
        "false_answers": sum(o["false_answer"] for o in unanswerable),
    }


async def _prepare(services: Services) -> dict[str, int]:
    await publish_catalog(services, demo_catalog())
    for projection in services.runner.projections:
        await services.runner.catch_up(projection)
    pool = services.pool
    await pool.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    await pool.execute("DROP TABLE IF EXISTS answer_trigrams")
    await pool.execute(_TRGM_TABLE)
    await pool.execute(_TRGM_INDEX)
    await pool.execute("ANALYZE answer_index")
    await pool.execute("ANALYZE answer_trigrams")
    return {
        "rows": int(await pool.fetchval("SELECT count(*) FROM answer_index")),
        "faqs": int(await pool.fetchval("SELECT count(*) FROM answer_index WHERE kind = 'faq'")),
    }


async def _as_built_agrees(services: Services, conn: asyncpg.Connection, method: Method) -> None:
    """The bench's SQL path of our search answers what ``backend...answers.search`` answers."""
    for question in QUESTIONS:
        real = await search(
            services, question.text, service_code=None, citizen_id=None, limit=LIMIT
        )
        ours = await method.search(conn, question.text)
        assert [(a.service_code, round(a.score, 3)) for a in real] == [
            (code, round(s, 3)) for code, _, s in ours
        ], question.text


COPIES = 100
COUNT_ROWS = "SELECT count(*) FROM answer_index"


async def _latencies(
    listed: list[Method], conns: list[asyncpg.Connection], repeats: int
) -> dict[str, list[float]]:
    """Seconds per search: every method on every question, interleaved, ``repeats`` times."""
    times: dict[str, list[float]] = {m.name: [] for m in listed}
    for _ in range(repeats):
        for question in QUESTIONS:
            for method, conn in zip(listed, conns, strict=True):
                started = time.perf_counter()
                await method.search(conn, question.text)
                times[method.name].append(time.perf_counter() - started)
    return times


async def _plans(conns: list[asyncpg.Connection]) -> dict[str, list[str]]:
    """How PostgreSQL runs each query for one question (the index, or a scan of every row)."""
    question = "食品经营许可证多长时间能办好"
    ours = await conns[0].fetch(
        f"EXPLAIN {SEARCH_SQL}", tsquery(query_terms(question)), None, LIMIT, WEIGHTS
    )
    trgm = await conns[2].fetch(f"EXPLAIN {TRGM_SQL}", question, LIMIT)
    return {"ours": [r[0] for r in ours], "pg_trgm": [r[0] for r in trgm]}


async def _copy_rows(services: Services, copies: int) -> None:
    """Every row of both tables ``copies`` times in all, under item codes of their own."""
    pool = services.pool
    await pool.execute(
        "INSERT INTO answer_index SELECT service_code || '-c' || g, position, kind,"
        " service_name, department, question, answer, legal_basis, terms"
        " FROM answer_index, generate_series(2, $1::int) g",
        copies,
    )
    await pool.execute(
        "INSERT INTO answer_trigrams SELECT service_code || '-c' || g, position, a, b, c, d"
        " FROM answer_trigrams, generate_series(2, $1::int) g",
        copies,
    )
    await pool.execute("VACUUM ANALYZE answer_index")
    await pool.execute("VACUUM ANALYZE answer_trigrams")


async def run_answers(url: str, data_dir: Path, *, repeats: int) -> dict[str, Any]:
    """Accuracy and latency of every method on :data:`QUESTIONS`."""
    async with bootstrap(settings_for(url, data_dir), run_workers=False) as services:
        sizes = await _prepare(services)
        listed = methods()
        conns = [await asyncpg.connect(url, server_settings=m.server_settings) for m in listed]
        try:
            await _as_built_agrees(services, conns[0], listed[0])
            results: dict[str, Any] = {"sizes": sizes, "repeats": repeats, "methods": {}}
            per_question: list[dict[str, Any]] = []
            outcomes: dict[str, list[tuple[Question, dict[str, bool]]]] = {
                m.name: [] for m in listed
            }
            for question in QUESTIONS:
                entry: dict[str, Any] = {"q": question.text, "labels": list(question.answers)}
                for method, conn in zip(listed, conns, strict=True):
                    hits = await method.search(conn, question.text)
                    outcomes[method.name].append((question, score(question, hits)))
                    entry[method.name] = [[c, p, round(s, 4)] for c, p, s in hits]
                per_question.append(entry)
            times = await _latencies(listed, conns, repeats)
            plans = {"demo": await _plans(conns)}
            # the same rows COPIES times over (other item codes): a city-sized index
            await _copy_rows(services, COPIES)
            scaled = await _latencies(listed, conns, max(1, repeats // 15))
            plans["copies"] = await _plans(conns)
            # the planner, unaware of what word_similarity costs, scans every row: the index too
            for conn in conns:
                await conn.execute("SET enable_seqscan = off")
            forced = await _latencies(listed, conns, max(1, repeats // 15))
            plans["copies, index forced"] = await _plans(conns)
            sizes["rows_copied"] = int(await services.pool.fetchval(COUNT_ROWS))
            base = percentile(times[listed[0].name], 50)
            base_scaled = percentile(scaled[listed[0].name], 50)
            for method in listed:
                median = percentile(times[method.name], 50)
                median_scaled = percentile(scaled[method.name], 50)
                results["methods"][method.name] = {
                    "threshold": method.threshold,
                    **summarise(outcomes[method.name]),
                    "queries": len(times[method.name]),
                    "p50_ms": round(median * 1000, 3),
                    "p95_ms": round(percentile(times[method.name], 95) * 1000, 3),
                    "p50_ratio": round(median / base, 2) if base else None,
                    "copied_queries": len(scaled[method.name]),
                    "copied_p50_ms": round(median_scaled * 1000, 3),
                    "copied_p95_ms": round(percentile(scaled[method.name], 95) * 1000, 3),
                    "copied_p50_ratio": round(median_scaled / base_scaled, 2)
                    if base_scaled
                    else None,
                    "forced_p50_ms": round(percentile(forced[method.name], 50) * 1000, 3),
                    "forced_p95_ms": round(percentile(forced[method.name], 95) * 1000, 3),
                }
            results["questions"] = per_question
            results["plans"] = plans
        finally:
            for conn in conns:
                await conn.close()
    return results


def render(results: dict[str, Any]) -> str:
    """The comparison as a Markdown table."""
    copies = results["sizes"]["rows_copied"]
    lines = [
        '| method | top-1 | top-3 | nothing found | false answers on "none" | p50 ms | p95 ms '
        f"| p50 vs ours | {copies:,} rows: p50 ms | vs ours | index forced: p50 ms |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, m in results["methods"].items():
        n, u = m["answerable"], m["unanswerable"]
        lines.append(
            f"| {name} | {m['top1']}/{n} ({m['top1'] / n:.0%}) | {m['top3']}/{n} "
            f"({m['top3'] / n:.0%}) | {m['nothing_found']}/{n} | {m['false_answers']}/{u} "
            f"| {m['p50_ms']:.2f} | {m['p95_ms']:.2f} | {m['p50_ratio']:.2f}x "
            f"| {m['copied_p50_ms']:.2f} | {m['copied_p50_ratio']:.1f}x "
            f"| {m['forced_p50_ms']:.2f} |"
        )
    return "\n".join(lines)


def rows(results: dict[str, Any]) -> list[Row]:
    """The comparison as rows of the bench's results file."""
    return [
        Row(
            section="answers",
            case=name,
            clients=1,
            p50_ms=m["p50_ms"],
            ratio=m["p50_ratio"],
            ratio_of="ours (p50)",
            extra=m,
        )
        for name, m in results["methods"].items()
    ]
