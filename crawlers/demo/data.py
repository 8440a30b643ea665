"""Deterministic sample data for the demo sources (seeded RNG, no files shipped).

Three sources in their real shapes:
- patents as the USPTO PatentsView PatentSearch API returns them;
- Korean ministry press releases (list and detail pages, CP949 bytes declared as EUC-KR, as many
  Korean government sites still serve them);
- an English RSS 2.0 feed of think-tank and government items.

Planted signals, so the detectors have something real to find (counted by filing month; every
filing up to 2024-12 is published by DEMO_AS_OF because grants here lag filing by at most 18 months):
- surge: Samsung Electronics memory filings x4 in 2023-09..2023-11;
- drop: lithium-ion battery filings fall to ~10 % in 2022-03..2022-08;
- inventor moving abroad: one Samsung memory inventor (KR) files from 2022 for a Chinese memory maker (CN);
- policy burst: Korean quantum press releases in 2024-06.
"""
from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, field
from functools import lru_cache

SEED = 20240201
FIRST_FILING = dt.date(2019, 1, 1)
LAST_FILING = dt.date(2024, 12, 31)
AS_OF = dt.date(2026, 6, 30)
WINDOW = (dt.date(2019, 1, 1), dt.date(2026, 7, 1))  # [start, end): end exclusive

SURGE = {"tech": "semi.memory", "assignee": "Samsung Electronics Co., Ltd.", "months": ("2023-09", "2023-11"), "factor": 4}
DROP = {"tech": "battery.li_ion", "months": ("2022-03", "2022-08"), "factor": 0.1}
POLICY_BURST = {"tech": "quantum.computing", "month": "2024-06", "pages": 8}


@dataclass(frozen=True)
class DemoTech:
    id: str
    cpc: tuple[str, ...]            # real CPC symbols of ews/taxonomy/nst-2024.1.yaml
    monthly: float                  # baseline filings per month
    assignees: tuple[tuple[str, str], ...]
    title_terms: tuple[str, ...]
    name_ko: str
    keywords_ko: tuple[str, ...]
    name_en: str


TECHS: tuple[DemoTech, ...] = (
    DemoTech("semi.memory", ("H10B 12/00", "H10B 43/27", "G11C 11/16"), 2.5,
             (("SK hynix Inc.", "KR"), ("Micron Technology, Inc.", "US"), ("Kioxia Corporation", "JP")),
             ("three-dimensional NAND memory device", "DRAM cell capacitor structure", "high-bandwidth memory stack",
              "magnetoresistive memory element"),
             "차세대 메모리", ("D램", "3D 낸드", "고대역폭메모리(HBM)", "프로세싱인메모리(PIM)"), "next-generation memory"),
    DemoTech("battery.li_ion", ("H01M 10/0525", "H01M 4/131", "H01M 4/525"), 8.0,
             (("LG Energy Solution, Ltd.", "KR"), ("Contemporary Amperex Technology Co., Limited", "CN"),
              ("Panasonic Holdings Corporation", "JP")),
             ("lithium-ion secondary battery", "cathode active material for lithium battery",
              "electrolyte composition for lithium-ion cell"),
             "리튬이온전지", ("양극재", "음극재", "분리막", "전해질"), "lithium-ion batteries"),
    DemoTech("quantum.computing", ("G06N 10/00", "G06N 10/40"), 0.8,
             (("International Business Machines Corporation", "US"), ("Google LLC", "US"), ("Rigetti & Co, LLC", "US")),
             ("superconducting qubit coupler", "quantum error correction circuit", "quantum processor calibration"),
             "양자컴퓨팅", ("양자컴퓨터", "큐비트", "양자 오류정정"), "quantum computing"),
    DemoTech("hydrogen.electrolysis", ("C25B 1/04", "C25B 9/19"), 0.8,
             (("Siemens Energy Global GmbH & Co. KG", "DE"), ("Thyssenkrupp Nucera AG & Co. KGaA", "DE"),
              ("Hyundai Motor Company", "KR")),
             ("water electrolysis stack", "alkaline electrolyser membrane", "PEM electrolysis cell"),
             "수전해 수소생산", ("수전해", "그린수소", "청정수소"), "water electrolysis"),
    DemoTech("semi.ai_chip", ("G06N 3/063",), 0.8,
             (("NVIDIA Corporation", "US"), ("Intel Corporation", "US"), ("Rebellions Inc.", "KR")),
             ("neural network accelerator", "processing element array for deep learning", "low-power inference engine"),
             "AI 반도체", ("인공지능 반도체", "신경망처리장치(NPU)"), "AI semiconductors"),
    DemoTech("semi.power", ("H01L 29/1608", "H01L 29/2003"), 0.8,
             (("Infineon Technologies AG", "DE"), ("Wolfspeed, Inc.", "US"), ("ROHM Co., Ltd.", "JP")),
             ("silicon carbide MOSFET", "gallium nitride power transistor"),
             "전력반도체", ("실리콘카바이드(SiC)", "질화갈륨(GaN)"), "power semiconductors"),
    DemoTech("mobility.autonomous", ("B60W 60/00", "G08G 1/16"), 0.8,
             (("Toyota Jidosha Kabushiki Kaisha", "JP"), ("Waymo LLC", "US"), ("Hyundai Motor Company", "KR")),
             ("autonomous vehicle trajectory planning", "collision avoidance for self-driving vehicle"),
             "자율주행", ("자율주행차", "자율주행 소프트웨어"), "autonomous driving"),
    DemoTech("hydrogen.fuel_cell_power", ("H01M 8/10", "H01M 8/1004"), 0.8,
             (("Hyundai Motor Company", "KR"), ("Toyota Jidosha Kabushiki Kaisha", "JP"), ("Robert Bosch GmbH", "DE")),
             ("polymer electrolyte fuel cell membrane electrode assembly", "fuel cell stack cooling"),
             "수소연료전지", ("연료전지 발전", "고분자전해질연료전지(PEMFC)"), "hydrogen fuel cells"),
    DemoTech("comm.6g", ("H04B 7/0413", "H04B 7/06"), 0.8,
             (("Qualcomm Incorporated", "US"), ("Huawei Technologies Co., Ltd.", "CN"), ("Samsung Electronics Co., Ltd.", "KR")),
             ("massive MIMO precoding", "terahertz beamforming transceiver"),
             "6G 이동통신", ("6G", "테라헤르츠(THz)"), "6G communications"),
    DemoTech("robot.control_actuation_sw", ("B25J 9/16", "B25J 9/1602"), 0.8,
             (("Fanuc Corporation", "JP"), ("Doosan Robotics Inc.", "KR"), ("ABB Schweiz AG", "CH")),
             ("robot arm motion control", "servo actuator for collaborative robot"),
             "로봇 정밀제어", ("구동부품", "감속기"), "robot control"),
)
TECH_BY_ID = {t.id: t for t in TECHS}

# Patents whose classes are outside the 50 technologies: the classifier must leave them untagged.
OTHER_CLASSES = (
    ("A47J 31/44", "beverage brewing apparatus", ("Whirlpool Corporation", "US")),
    ("F16B 5/02", "panel fastening clip", ("Hilti Aktiengesellschaft", "LI")),
    ("A63B 21/00", "resistance exercise device", ("Nautilus, Inc.", "US")),
    ("B65D 81/32", "multi-compartment food container", ("Tupperware Brands Corporation", "US")),
    ("E04B 1/38", "building frame connector", ("Simpson Strong-Tie Company Inc.", "US")),
    ("A01K 61/00", "fish farming net pen", ("Mowi ASA", "NO")),
    ("F24C 15/20", "range hood filter", ("LG Electronics Inc.", "KR")),
    ("A45D 44/00", "cosmetic applicator", ("L'Oreal", "FR")),
    ("B62K 21/00", "bicycle steering assembly", ("Shimano Inc.", "JP")),
    ("G09B 19/00", "language learning aid", ("Pearson Education, Inc.", "US")),
)
OTHER_MONTHLY = 8.0

NAMES = {
    "KR": (("Minsu", "Jiyoung", "Seungho", "Hyejin", "Dongwook", "Eunji"), ("Kim", "Lee", "Park", "Choi", "Jung", "Kang")),
    "US": (("James", "Emily", "Michael", "Sarah", "David", "Laura"), ("Smith", "Johnson", "Brown", "Miller", "Davis", "Wilson")),
    "JP": (("Hiroshi", "Yuki", "Takeshi", "Aiko", "Kenji", "Mai"), ("Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito")),
    "CN": (("Wei", "Jing", "Lei", "Min", "Jun", "Yan"), ("Wang", "Li", "Zhang", "Liu", "Chen", "Yang")),
    "DE": (("Lukas", "Anna", "Jonas", "Lea", "Felix", "Marie"), ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Wagner")),
}
for _cc in ("CH", "LI", "NO", "FR"):
    NAMES[_cc] = NAMES["DE"]

MOVER = {"first": "Jaewon", "last": "Kim", "from": ("Samsung Electronics Co., Ltd.", "KR"),
         "to": ("ChangXin Memory Technologies, Inc.", "CN"), "moved": dt.date(2022, 1, 1)}


def _months() -> list[dt.date]:
    out, d = [], FIRST_FILING
    while d <= LAST_FILING:
        out.append(d)
        d = dt.date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return out


def _poisson(rng: random.Random, lam: float) -> int:
    # Knuth's method: fine for the small means used here.
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _in(month: dt.date, span: tuple[str, str]) -> bool:
    return span[0] <= month.strftime("%Y-%m") <= span[1]


def _next_tuesday(d: dt.date) -> dt.date:
    return d + dt.timedelta(days=(1 - d.weekday()) % 7)  # US grants issue on Tuesdays


def _person(rng: random.Random, country: str) -> dict:
    firsts, lasts = NAMES[country]
    return {"inventor_name_first": rng.choice(firsts), "inventor_name_last": rng.choice(lasts),
            "inventor_country": country}


@lru_cache(maxsize=1)
def patents() -> tuple[dict, ...]:
    """About 1,500 granted patents in the PatentSearch API record shape, sorted by patent_id."""
    rng = random.Random(SEED)
    drafts = []
    for month in _months():
        days = (dt.date(month.year + (month.month == 12), month.month % 12 + 1, 1) - month).days
        for tech in TECHS:
            lam = tech.monthly * (DROP["factor"] if tech.id == DROP["tech"] and _in(month, DROP["months"]) else 1.0)
            for _ in range(_poisson(rng, lam)):
                org = rng.choice(tech.assignees)
                drafts.append((month, days, tech, org, False))
            if tech.id == SURGE["tech"]:
                # Samsung's own stream (kept out of the pool above so the x4 is Samsung's whole rate)
                lam_s = 2.0 * (SURGE["factor"] if _in(month, SURGE["months"]) else 1.0)
                for _ in range(_poisson(rng, lam_s)):
                    drafts.append((month, days, tech, ("Samsung Electronics Co., Ltd.", "KR"), False))
                if month.month % 3 == 0:  # the mover files about once a quarter
                    org = MOVER["from"] if month < MOVER["moved"] else MOVER["to"]
                    drafts.append((month, days, tech, org, True))
        for _ in range(_poisson(rng, OTHER_MONTHLY)):
            drafts.append((month, days, None, None, False))

    records = []
    for month, days, tech, org, mover in drafts:
        filing = month + dt.timedelta(days=rng.randrange(days))
        grant = _next_tuesday(filing + dt.timedelta(days=rng.randint(270, 540)))
        if tech is None:
            cls, what, org = rng.choice(OTHER_CLASSES)
            cpcs = [cls]
            title = f"{what.capitalize()} with improved {rng.choice(('durability', 'ergonomics', 'efficiency', 'safety'))}"
            abstract = (f"A {what} is disclosed. The {what} comprises a body, a first member and a second member "
                        f"arranged to {rng.choice(('reduce wear', 'simplify assembly', 'lower cost', 'improve handling'))}.")
        else:
            cpcs = [rng.choice(tech.cpc)]
            if rng.random() < 0.3:  # a secondary class outside the taxonomy, as real patents carry
                cpcs.append(rng.choice(("G06F 3/01", "H05K 7/20", "B32B 27/08")))
            what = rng.choice(tech.title_terms)
            title = f"{what[0].upper()}{what[1:]} and method of manufacturing the same"
            abstract = (f"Disclosed is a {what} for {tech.name_en}. The {what} includes a substrate, "
                        f"a {rng.choice(('control circuit', 'functional layer', 'interface unit'))} and "
                        f"a {rng.choice(('controller', 'sensing unit', 'protective layer'))} configured to improve "
                        f"{rng.choice(('reliability', 'energy efficiency', 'throughput', 'yield'))}.")
        n_inv = rng.randint(1, 4)
        inventors = [_person(rng, org[1]) for _ in range(n_inv)]
        if mover:
            inventors[0] = {"inventor_name_first": MOVER["first"], "inventor_name_last": MOVER["last"],
                            "inventor_country": org[1]}
        records.append({
            "patent_title": title,
            "patent_abstract": abstract,
            "patent_date": grant.isoformat(),
            "patent_type": "utility",
            "application": [{"filing_date": filing.isoformat(), "application_type": "17"}],
            "assignees": [{"assignee_organization": org[0], "assignee_country": org[1], "assignee_sequence": 0}],
            "inventors": [{**p, "inventor_sequence": i} for i, p in enumerate(inventors)],
            "cpc_current": [{"cpc_sequence": i, "cpc_group_id": c.replace(" ", ""), "cpc_subclass_id": c[:4],
                             "cpc_type": "inventional" if i == 0 else "additional"} for i, c in enumerate(cpcs)],
        })
    records = [r for r in records if dt.date.fromisoformat(r["patent_date"]) <= AS_OF]
    records.sort(key=lambda r: (r["patent_date"], r["application"][0]["filing_date"], r["patent_title"]))
    for i, r in enumerate(records):
        number = str(10_165_000 + i * 173)
        r["patent_id"] = number
        r["application"][0]["application_id"] = f"{16 + i // 4000}/{(100_000 + i * 37) % 1_000_000:06d}"
    return tuple(records)


# ---------------------------------------------------------------------------- Korean policy site

MINISTRIES = (("과학기술정보통신부", "과기정통부"), ("산업통상자원부", "산업부"))
_TITLES = (
    "{short}, {tech} 초격차 기술 확보에 {amount}억원 투자",
    "{tech} 산업 경쟁력 강화 전략 발표",
    "{short}, {tech} 민관 협의체 출범",
    "{tech} 핵심기술 개발사업 신규과제 공모",
    "{tech} 분야 국제공동연구 착수",
    "{short}, {tech} 인재양성 방안 마련",
)
_BODY = (
    "{ministry}는 {date_ko} {tech} 분야의 기술주권 확보를 위해 「{tech} 경쟁력 강화 전략」을 발표했다고 밝혔다.",
    "이번 전략은 {kw1}, {kw2} 등 핵심기술을 중심으로 {year}년까지 총 {amount}억원을 투입하는 내용을 담고 있다.",
    "정부는 국가전략기술 육성 기본계획에 따라 {tech} 분야를 국가전략기술로 지정하고 연구개발과 인재양성, 국제협력을 함께 추진하고 있다.",
    "특히 주요국 간 기술패권 경쟁이 심화되는 가운데 {kw1} 공급망 안정화와 원천기술 확보가 시급하다는 판단이다.",
    "{short} 관계자는 \"{tech} 기술은 경제안보의 핵심\"이라며 \"산학연과 함께 세계 최고 수준의 기술력을 확보하겠다\"고 말했다.",
)
_BOILERPLATE_TOP = ("<div id=\"header\"><ul class=\"gnb\"><li><a href=\"/kr/index.do\">홈</a></li><li><a href=\"/kr/news/list.do\">"
                    "보도자료</a></li><li><a href=\"/kr/policy.do\">정책</a></li></ul></div>")
_BOILERPLATE_BOTTOM = ("<div id=\"footer\"><p>(30121) 세종특별자치시 가름로 194 정부세종청사 | 대표전화 1335</p>"
                       "<p>저작권 정책 | 개인정보처리방침</p></div>")
POLICY_PAGE_SIZE = 10
POLICY_SEQ0 = 1001


@dataclass
class PolicyRelease:
    seq: int
    date: dt.date
    tech: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    dept: str = ""


@lru_cache(maxsize=1)
def policy_releases() -> tuple[PolicyRelease, ...]:
    """36 Korean press releases 2021-2024, newest first as the board lists them; a quantum burst in 2024-06."""
    rng = random.Random(SEED + 1)
    dated: list[tuple[dt.date, DemoTech]] = []
    start = dt.date(2021, 1, 4)
    for i in range(28):  # background: about one release every seven weeks, technologies in rotation
        d = start + dt.timedelta(days=i * 52 + rng.randrange(10))
        dated.append((d, TECHS[i % len(TECHS)]))
    burst = TECH_BY_ID[POLICY_BURST["tech"]]
    y, m = map(int, POLICY_BURST["month"].split("-"))
    for i in range(POLICY_BURST["pages"]):
        dated.append((dt.date(y, m, 3 + i * 3), burst))
    dated.sort(key=lambda x: x[0])
    out = []
    for i, (d, tech) in enumerate(dated):
        ministry, short = MINISTRIES[i % 2]
        kws = list(tech.keywords_ko)
        rng.shuffle(kws)
        fill = {"ministry": ministry, "short": short, "tech": tech.name_ko, "amount": rng.randrange(50, 3000, 10),
                "date_ko": f"{d.month}월 {d.day}일", "kw1": kws[0], "kw2": kws[-1], "year": d.year + rng.randint(2, 6)}
        title = rng.choice(_TITLES).format(**fill)
        paras = [p.format(**fill) for p in _BODY]
        out.append(PolicyRelease(seq=POLICY_SEQ0 + i, date=d, tech=tech.id, title=title, paragraphs=paras,
                                 dept=rng.choice(("미래전략팀", "기술정책과", "연구개발정책과", "산업기술정책과"))))
    return tuple(sorted(out, key=lambda r: r.seq, reverse=True))


def policy_list_page(page: int) -> str | None:
    releases = policy_releases()
    pages = max(1, math.ceil(len(releases) / POLICY_PAGE_SIZE))
    if page < 1 or page > pages:
        return None
    rows = []
    for r in releases[(page - 1) * POLICY_PAGE_SIZE: page * POLICY_PAGE_SIZE]:
        rows.append(f"<tr><td class=\"num\">{r.seq - POLICY_SEQ0 + 1}</td>"
                    f"<td class=\"subject\"><a href=\"/kr/news/view.do?seq={r.seq}&amp;page={page}\">{r.title}</a></td>"
                    f"<td class=\"dept\">{r.dept}</td><td class=\"date\">{r.date:%Y.%m.%d}</td></tr>")
    links = "".join(f"<strong>{p}</strong>" if p == page else f"<a href=\"/kr/news/list.do?page={p}\">{p}</a>"
                    for p in range(1, pages + 1))
    nxt = f"<a class=\"next\" href=\"/kr/news/list.do?page={page + 1}\">다음</a>" if page < pages else ""
    return (f"<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=euc-kr\">"
            f"<title>보도자료 목록</title></head><body>{_BOILERPLATE_TOP}<div id=\"content\"><h2>보도자료</h2>"
            f"<table class=\"board_list\"><thead><tr><th>번호</th><th>제목</th><th>담당부서</th><th>등록일</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table><div class=\"paging\">{links}{nxt}</div></div>"
            f"{_BOILERPLATE_BOTTOM}</body></html>")


def policy_detail_page(seq: int) -> str | None:
    r = next((r for r in policy_releases() if r.seq == seq), None)
    if r is None:
        return None
    body = "".join(f"<p>{p}</p>" for p in r.paragraphs)
    return (f"<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=euc-kr\">"
            f"<title>{r.title} | 보도자료</title></head><body>{_BOILERPLATE_TOP}<div id=\"content\">"
            f"<div class=\"board_view\"><h3 class=\"view_title\">{r.title}</h3>"
            f"<ul class=\"view_info\"><li>담당부서: {r.dept}</li><li class=\"date\">등록일: {r.date:%Y.%m.%d}</li>"
            f"<li>조회수: {100 + seq % 900}</li></ul><div class=\"view_cont\">{body}</div>"
            f"<ul class=\"attach\"><li><a href=\"/kr/download.do?seq={seq}\">첨부파일: 보도자료_{seq}.hwp</a></li></ul>"
            f"</div><a class=\"list_btn\" href=\"/kr/news/list.do\">목록</a></div>{_BOILERPLATE_BOTTOM}</body></html>")


# ---------------------------------------------------------------------------- English RSS feed

_FEED_ITEMS = (
    ("quantum.computing", "Quantum computing export controls: what the new rules cover",
     "New controls on quantum computers, cryogenic components and qubit control electronics widen the list of restricted items."),
    ("semi.memory", "Memory chip supply chains after the latest export restrictions",
     "Advanced DRAM and 3D NAND production equipment remains the focus of restrictions on semiconductor manufacturing."),
    ("battery.li_ion", "Battery materials: securing lithium, nickel and graphite",
     "Critical minerals for lithium-ion batteries and cathode materials face concentrated supply and new trade measures."),
    ("hydrogen.electrolysis", "Clean hydrogen production credits and electrolyser manufacturing",
     "Guidance on clean hydrogen production credits shapes investment in water electrolysis and electrolyser factories."),
    ("semi.ai_chip", "AI accelerators and compute thresholds in export policy",
     "Thresholds for AI chips and data-centre compute determine which accelerators need a licence."),
    ("comm.6g", "Setting the agenda for 6G standards",
     "Allied governments coordinate research on 6G, terahertz spectrum and open network architectures."),
    ("mobility.autonomous", "Connected and autonomous vehicles: securing the software supply chain",
     "A proposed rule addresses connected vehicle software and hardware from countries of concern."),
    ("robot.control_actuation_sw", "Industrial robots and national competitiveness",
     "Robot density, precision actuators and control software are central to advanced manufacturing strategy."),
    ("semi.power", "Power semiconductors for electric vehicles: SiC and GaN capacity",
     "Silicon carbide and gallium nitride device capacity expands to serve electric vehicles and grid equipment."),
    ("hydrogen.fuel_cell_power", "Fuel cell trucks and hydrogen refuelling corridors",
     "Heavy-duty fuel cell vehicles depend on refuelling infrastructure and membrane electrode assembly supply."),
)
FEED_PUBLISHERS = ("Center for Strategic Technology Studies", "Office of Science and Technology Policy (demo)",
                   "Institute for Technology and Security")


@lru_cache(maxsize=1)
def feed_items() -> tuple[dict, ...]:
    """30 items, newest first, 2023-01..2024-12."""
    rng = random.Random(SEED + 2)
    items = []
    for i in range(30):
        tech, title, summary = _FEED_ITEMS[i % len(_FEED_ITEMS)]
        d = dt.datetime(2023, 1, 5, 14, 0, tzinfo=dt.UTC) + dt.timedelta(days=i * 24 + rng.randrange(5))
        part = "" if i < len(_FEED_ITEMS) else f" (part {i // len(_FEED_ITEMS) + 1})"
        items.append({"n": i + 1, "tech": tech, "title": title + part, "summary": summary,
                      "published": d, "author": FEED_PUBLISHERS[i % len(FEED_PUBLISHERS)]})
    return tuple(sorted(items, key=lambda x: x["published"], reverse=True))


def rss_feed(base_url: str) -> str:
    from email.utils import format_datetime
    from xml.sax.saxutils import escape

    entries = []
    for it in feed_items():
        link = f"{base_url}/feeds/items/{it['n']}.html"
        entries.append(
            f"<item><title>{escape(it['title'])}</title><link>{link}</link>"
            f"<guid isPermaLink=\"false\">demo-feed-{it['n']}</guid>"
            f"<pubDate>{format_datetime(it['published'])}</pubDate>"
            f"<dc:creator>{escape(it['author'])}</dc:creator><category>{it['tech']}</category>"
            f"<description>{escape(it['summary'])}</description></item>")
    return ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><channel>"
            "<title>Technology and Security Analysis (demo)</title>"
            f"<link>{base_url}/feeds/</link><description>Think-tank and government analysis</description>"
            "<language>en-us</language>" + "".join(entries) + "</channel></rss>")
