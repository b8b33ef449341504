"""The syllables of Mandarin in toneless pinyin, to tell a mistyped spelling ("zneg")
from one that reads as pinyin ("zeng"): a typo is mended towards spellings that read."""

from __future__ import annotations

from dataclasses import dataclass

#: Every syllable a name can be read with (from pypinyin's dictionary, less the
#: interjections hm, hng, m, n, ng and syllables of one rare character each); ü as v,
#: and lüe, nüe also as typed with u.
_INVENTORY = """
    a ai an ang ao ba bai ban bang bao bei ben beng bi bian biao bie bin bing bo bu ca cai
    can cang cao ce cen ceng cha chai chan chang chao che chen cheng chi chong chou chu chua
    chuai chuan chuang chui chun chuo ci cong cou cu cuan cui cun cuo da dai dan dang dao de
    dei deng di dia dian diao die ding diu dong dou du duan dui dun duo e ei en eng er fa
    fan fang fei fen feng fo fou fu ga gai gan gang gao ge gei gen geng gong gou gu gua guai
    guan guang gui gun guo ha hai han hang hao he hei hen heng hong hou hu hua huai huan
    huang hui hun huo ji jia jian jiang jiao jie jin jing jiong jiu ju juan jue jun ka kai
    kan kang kao ke ken keng kong kou ku kua kuai kuan kuang kui kun kuo la lai lan lang lao
    le lei leng li lia lian liang liao lie lin ling liu long lou lu luan lue lun luo lv lve
    ma mai man mang mao me mei men meng mi mian miao mie min ming miu mo mou mu na nai nan
    nang nao ne nei nen neng ni nian niang niao nie nin ning niu nong nu nuan nue nuo nv nve
    o ou pa pai pan pang pao pei pen peng pi pian piao pie pin ping po pou pu qi qia qian
    qiang qiao qie qin qing qiong qiu qu quan que qun ran rang rao re ren reng ri rong rou
    ru ruan rui run ruo sa sai san sang sao se sen seng sha shai shan shang shao she shen
    sheng shi shou shu shua shuai shuan shuang shui shun shuo si song sou su suan sui sun
    suo ta tai tan tang tao te teng ti tian tiao tie ting tong tou tu tuan tui tun tuo wa
    wai wan wang wei wen weng wo wu xi xia xian xiang xiao xie xin xing xiong xiu xu xuan
    xue xun ya yan yang yao ye yi yin ying yong you yu yuan yue yun za zai zan zang zao ze
    zei zen zeng zha zhai zhan zhang zhao zhe zhen zheng zhi zhong zhou zhu zhua zhuai zhuan
    zhuang zhui zhun zhuo zi zong zou zu zuan zui zun zuo
    """
SYLLABLES = frozenset(_INVENTORY.split())
LONGEST = max(map(len, SYLLABLES))


def _forward(text: str) -> list[int | None]:
    """The fewest whole syllables each prefix of ``text`` splits into (None: it does not)."""
    fewest: list[int | None] = [0, *([None] * len(text))]
    for end in range(1, len(text) + 1):
        counts = [
            count
            for start in range(max(0, end - LONGEST), end)
            if (count := fewest[start]) is not None and text[start:end] in SYLLABLES
        ]
        fewest[end] = min(counts) + 1 if counts else None
    return fewest


def _backward(text: str) -> list[int | None]:
    """The fewest whole syllables each suffix of ``text`` splits into."""
    fewest: list[int | None] = [*([None] * len(text)), 0]
    for start in range(len(text) - 1, -1, -1):
        counts = [
            count
            for end in range(start + 1, min(len(text), start + LONGEST) + 1)
            if (count := fewest[end]) is not None and text[start:end] in SYLLABLES
        ]
        fewest[start] = min(counts) + 1 if counts else None
    return fewest


def syllable_count(text: str) -> int | None:
    """The fewest whole syllables ``text`` splits into ("zengli" -> 2), or None when it
    does not read as pinyin ("zneg")."""
    return _forward(text)[-1]


#: What a syllable may begin with ("z", "zh", "zhu", "zhua" for zhuang …), or end with.
_BEGINNINGS = SYLLABLES | {syllable[:i] for syllable in SYLLABLES for i in range(1, len(syllable))}
_ENDINGS = SYLLABLES | {syllable[i:] for syllable in SYLLABLES for i in range(1, len(syllable))}


@dataclass(frozen=True, slots=True)
class Readings:
    """How much of a mistyped ``text`` reads as pinyin, before and after each position:
    a spelling one typo away is then read around the typo alone, not whole."""

    text: str
    head: list[int | None]
    tail: list[int | None]
    #: For each position, the syllable boundaries of ``text`` up to a syllable before it,
    boundaries: list[list[int]]
    #: and those up to a syllable after it.
    boundaries_after: list[list[int]]

    @classmethod
    def of(cls, text: str) -> Readings:
        head = _forward(text)
        boundaries = [
            [i for i in range(max(0, at - LONGEST + 1), at + 1) if head[i] is not None]
            for at in range(len(text) + 1)
        ]
        tail = _backward(text)
        after = [
            [i for i in range(at, min(len(text), at + LONGEST) + 1) if tail[i] is not None]
            for at in range(len(text) + 1)
        ]
        return cls(text, head, tail, boundaries, after)

    def after_edit(self, start: int, stop: int, variant: str) -> int | None:
        """syllable_count(variant), where ``variant`` is ``text`` with ``text[start:stop]``
        written otherwise."""
        begins = self.boundaries[start]
        shift = len(variant) - len(self.text)
        changed_end = stop + shift
        # The syllable the typo falls in begins and ends at a boundary around it: most
        # letters typed in are ruled out here, before anything else is read.
        if start < len(variant):
            if not any(variant[b : start + 1] in _BEGINNINGS for b in begins):
                return None
            last_changed = max(start, changed_end - 1)
            ends = self.boundaries_after[max(0, last_changed + 1 - shift)]
            if not any(variant[last_changed : e + shift] in _ENDINGS for e in ends):
                return None
        last = min(len(variant), changed_end + LONGEST)
        fewest = {i: count for i in begins if (count := self.head[i]) is not None}
        if not fewest:
            return None
        for end in range(start + 1, last + 1):
            if end - max(fewest) > LONGEST:  # no syllable reaches this far: unreadable
                return None
            counts = [
                count
                for begin in range(max(0, end - LONGEST), end)
                if (count := fewest.get(begin)) is not None and variant[begin:end] in SYLLABLES
            ]
            if counts:
                fewest[end] = min(counts) + 1
        # Every reading has a syllable boundary within a syllable's length after the typo.
        totals = [
            count + rest
            for end in range(max(0, changed_end), last + 1)
            if (count := fewest.get(end)) is not None
            and (rest := self.tail[end - shift]) is not None
        ]
        return min(totals) if totals else None
