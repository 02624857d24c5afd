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

from typing import NamedTuple

__all__ = ["GUIDE", "QUESTIONS", "Question"]

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
