#!/usr/bin/env python3
"""Generates the CSV conformance corpus: two synthetic EHR exports of clinical survey sheets.

ALL DATA IN THESE FILES IS SYNTHETIC. Every patient, name, address, insurance number,
recipient number, doctor and institution is invented by this script from a fixed random seed;
any resemblance to a real person or record is coincidental. Place names and telephone area
codes are real so that the data looks like what EHRs export; house numbers, buildings and
subscriber numbers are made up.

Writes, next to this script:

* ``hospital-a.csv`` — "Hospital A's EHR export": 指定難病 臨床調査個人票 only, one sheet per
  row. UTF-8 with BOM, CRLF, Japanese header names, 和暦 dates (``R7.11.5``, ``令和7年11月5日``,
  ``平成元年6月3日``), 男/女, some numbers in full-width digits, kana in full-width katakana
  with an ideographic space, a few addresses with a comma (so quoted), the hospital's own
  患者ID, a column the mapping does not read (診療科), and one wide block of disease item
  columns for the diseases that have templates in ``mappings/diseases/`` (ALS 2, Parkinson 6,
  重症筋無力症 11, MS/NMO 13, CIDP/MMN 14, SLE 49, and 潰瘍性大腸炎 97, 特発性間質性肺炎 85,
  サルコイドーシス 84 in columns added later), left empty on rows of other diseases. Read with
  ``mappings/csv/hospital-a.toml``.
* ``clinic-b.csv`` — "Clinic B's export": 難病 and 小慢 (医療意見書) mixed, the kind in a
  column. CP932 (Shift_JIS), LF, ASCII header codes, Western dates (``1985/04/12``, onset
  ``2019/04``), sex 1/2, kana half-width (ﾔﾏﾀﾞ ﾊﾅｺ) for about a third of the rows, which the
  adapter is expected to normalise (see HALFWIDTH_KANA_ROWS), disease items as 14
  entity–attribute–value pairs (ITEM01/VAL01 … ITEM14/VAL14). Read with
  ``mappings/csv/clinic-b.toml``.

Every row is meant to be a valid sheet: check digits of 公費負担者番号, 受給者番号, 保険者番号 and
医療機関コード are correct, birth ≤ onset ≤ date written, date written in 2025-10-01..2026-10-31,
小慢 patients are 1–19 years old, and disease item values agree with each other and with the
overall severity. Disease names come from ``mappings/reference/``.

Python 3.11, standard library only. Deterministic: the same script writes the same bytes.
Run: ``python3 conformance/corpus/csv/generate.py``
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import pathlib
import random
import unicodedata

SEED = 20251001
HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[2]
REF = ROOT / "mappings" / "reference"

WRITTEN_FIRST = dt.date(2025, 10, 1)
WRITTEN_LAST = dt.date(2026, 10, 31)

HOSPITAL_A_ROWS = 130
CLINIC_B_ROWS = 116
# Rows of clinic-b whose kana are half-width (ﾔﾏﾀﾞ ﾊﾅｺ), for the adapter to normalise to
# full-width before the kana check; 0 writes every kana full-width.
HALFWIDTH_KANA_ROWS = CLINIC_B_ROWS // 3


# ---------------------------------------------------------------------------------------------
# Reference lists


def load_nanbyo() -> dict[int, str]:
    with open(REF / "intractable_disease.csv", encoding="utf-8-sig", newline="") as f:
        return {int(r["no"]): r["name"] for r in csv.DictReader(f)}


def load_shoman() -> dict[tuple[int, int], str]:
    path = REF / "shoman_diseases_nando_2025-08-26_by_notification.csv"
    with open(path, encoding="utf-8-sig", newline="") as f:
        return {(int(r["group_no"]), int(r["notification_no"])): r["name_ja"] for r in csv.DictReader(f)}


NANBYO = load_nanbyo()
SHOMAN = load_shoman()


# ---------------------------------------------------------------------------------------------
# Numbers


def check_digit(body: str) -> str:
    """Modulus 10, weights 2,1,2,… from the rightmost digit, digits of each product summed."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        p = int(ch) * (2 if i % 2 == 0 else 1)
        total += p // 10 + p % 10
    return str((10 - total % 10) % 10)


def with_check(body: str) -> str:
    return body + check_digit(body)


assert with_check("5401602") == "54016027"
assert with_check("8813445") != "88134458"


def fullwidth(s: str) -> str:
    """ASCII to full-width (digits, letters, hyphen)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


def _hankaku_table() -> dict[str, str]:
    table: dict[str, str] = {"\u3000": " "}
    for cp in range(0xFF66, 0xFF9E):
        h = chr(cp)
        f = unicodedata.normalize("NFKC", h)
        table[f] = h
    for f, h in list(table.items()):
        for mark, hm in (("\u3099", "\uff9e"), ("\u309a", "\uff9f")):
            c = unicodedata.normalize("NFC", f + mark)
            if len(c) == 1 and c != f:
                table[c] = h + hm
    return table


HANKAKU = _hankaku_table()


def halfwidth_kana(s: str) -> str:
    return "".join(HANKAKU[c] for c in s)


# ---------------------------------------------------------------------------------------------
# Dates

ERAS = [  # name, letter, first day
    ("令和", "R", dt.date(2019, 5, 1)),
    ("平成", "H", dt.date(1989, 1, 8)),
    ("昭和", "S", dt.date(1926, 12, 25)),
]


def era_of(d: dt.date) -> tuple[str, str, int]:
    for name, letter, start in ERAS:
        if d >= start:
            return name, letter, d.year - start.year + 1
    raise ValueError(d)


def wareki(d: dt.date, style: str, fw: bool = False) -> str:
    name, letter, y = era_of(d)
    if style == "abbr":
        s = f"{letter}{y}.{d.month}.{d.day}"
    else:
        s = f"{name}{'元' if y == 1 else y}年{d.month}月{d.day}日"
    return fullwidth(s) if fw else s


def wareki_ym(year: int, month: int, style: str) -> str:
    name, letter, y = era_of(dt.date(year, month, 1))
    if style == "abbr":
        return f"{letter}{y}.{month}"
    return f"{name}{'元' if y == 1 else y}年{month}月"


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def rand_date(rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
    return dt.date.fromordinal(rng.randint(first.toordinal(), last.toordinal()))


def years_before(d: dt.date, years: float) -> dt.date:
    return d - dt.timedelta(days=round(years * 365.25))


def ym(d: dt.date) -> tuple[int, int]:
    return d.year, d.month


# ---------------------------------------------------------------------------------------------
# People

SURNAMES = [
    ("佐藤", "サトウ"), ("鈴木", "スズキ"), ("高橋", "タカハシ"), ("田中", "タナカ"), ("伊藤", "イトウ"),
    ("渡辺", "ワタナベ"), ("山本", "ヤマモト"), ("中村", "ナカムラ"), ("小林", "コバヤシ"), ("加藤", "カトウ"),
    ("吉田", "ヨシダ"), ("山田", "ヤマダ"), ("佐々木", "ササキ"), ("山口", "ヤマグチ"), ("松本", "マツモト"),
    ("井上", "イノウエ"), ("木村", "キムラ"), ("林", "ハヤシ"), ("斎藤", "サイトウ"), ("清水", "シミズ"),
    ("山崎", "ヤマザキ"), ("森", "モリ"), ("池田", "イケダ"), ("橋本", "ハシモト"), ("阿部", "アベ"),
    ("石川", "イシカワ"), ("山下", "ヤマシタ"), ("中島", "ナカジマ"), ("石井", "イシイ"), ("小川", "オガワ"),
    ("前田", "マエダ"), ("岡田", "オカダ"), ("長谷川", "ハセガワ"), ("藤田", "フジタ"), ("後藤", "ゴトウ"),
    ("近藤", "コンドウ"), ("村上", "ムラカミ"), ("遠藤", "エンドウ"), ("青木", "アオキ"), ("坂本", "サカモト"),
    ("福田", "フクダ"), ("太田", "オオタ"), ("西村", "ニシムラ"), ("藤井", "フジイ"), ("岡本", "オカモト"),
    ("松田", "マツダ"), ("中川", "ナカガワ"), ("原田", "ハラダ"), ("小野", "オノ"), ("竹内", "タケウチ"),
    ("金子", "カネコ"), ("和田", "ワダ"), ("中山", "ナカヤマ"), ("石田", "イシダ"), ("上田", "ウエダ"),
    ("森田", "モリタ"), ("柴田", "シバタ"), ("酒井", "サカイ"), ("工藤", "クドウ"), ("横山", "ヨコヤマ"),
    ("宮崎", "ミヤザキ"), ("内田", "ウチダ"), ("高木", "タカギ"), ("安藤", "アンドウ"), ("野口", "ノグチ"),
    ("丸山", "マルヤマ"), ("今井", "イマイ"), ("河野", "コウノ"), ("杉山", "スギヤマ"), ("大塚", "オオツカ"),
]
# Surnames more common around Nagoya, for Clinic B.
SURNAMES_TOKAI = SURNAMES + [
    ("水野", "ミズノ"), ("服部", "ハットリ"), ("浅野", "アサノ"), ("大野", "オオノ"), ("杉浦", "スギウラ"),
    ("鬼頭", "キトウ"), ("榊原", "サカキバラ"), ("神谷", "カミヤ"), ("伊藤", "イトウ"), ("加藤", "カトウ"),
]

GIVEN = {
    ("M", "old"): [
        ("和夫", "カズオ"), ("正男", "マサオ"), ("清", "キヨシ"), ("茂", "シゲル"), ("博", "ヒロシ"), ("勝", "マサル"),
        ("隆", "タカシ"), ("誠", "マコト"), ("修", "オサム"), ("実", "ミノル"), ("進", "ススム"), ("昭", "アキラ"),
        ("健一", "ケンイチ"), ("幸雄", "ユキオ"), ("正之", "マサユキ"), ("秀樹", "ヒデキ"), ("敏夫", "トシオ"),
    ],
    ("M", "mid"): [
        ("大輔", "ダイスケ"), ("直樹", "ナオキ"), ("哲也", "テツヤ"), ("浩二", "コウジ"), ("剛", "ツヨシ"),
        ("拓也", "タクヤ"), ("健太", "ケンタ"), ("翔太", "ショウタ"), ("達也", "タツヤ"), ("和也", "カズヤ"),
        ("雄一", "ユウイチ"), ("亮", "リョウ"), ("慎吾", "シンゴ"), ("大樹", "ダイキ"), ("健太郎", "ケンタロウ"),
    ],
    ("M", "young"): [
        ("蓮", "レン"), ("陽翔", "ハルト"), ("湊", "ミナト"), ("悠真", "ユウマ"), ("大翔", "ヒロト"), ("颯太", "ソウタ"),
        ("樹", "イツキ"), ("陽向", "ヒナタ"), ("蒼", "アオイ"), ("悠人", "ユウト"), ("奏太", "カナタ"), ("律", "リツ"),
        ("朝陽", "アサヒ"), ("結翔", "ユイト"), ("翔", "カケル"), ("拓海", "タクミ"), ("優斗", "ユウト"),
    ],
    ("F", "old"): [
        ("幸子", "サチコ"), ("節子", "セツコ"), ("和子", "カズコ"), ("洋子", "ヨウコ"), ("恵子", "ケイコ"),
        ("京子", "キョウコ"), ("久美子", "クミコ"), ("美智子", "ミチコ"), ("典子", "ノリコ"), ("順子", "ジュンコ"),
        ("悦子", "エツコ"), ("弘子", "ヒロコ"), ("由美子", "ユミコ"), ("真理子", "マリコ"),
    ],
    ("F", "mid"): [
        ("智子", "トモコ"), ("裕子", "ユウコ"), ("直美", "ナオミ"), ("恵", "メグミ"), ("由紀", "ユキ"), ("麻衣", "マイ"),
        ("愛", "アイ"), ("彩", "アヤ"), ("美穂", "ミホ"), ("香織", "カオリ"), ("千尋", "チヒロ"), ("沙織", "サオリ"),
        ("友美", "トモミ"), ("陽子", "ヨウコ"),
    ],
    ("F", "young"): [
        ("陽葵", "ヒマリ"), ("凛", "リン"), ("結菜", "ユイナ"), ("芽依", "メイ"), ("紬", "ツムギ"), ("葵", "アオイ"),
        ("莉子", "リコ"), ("結愛", "ユア"), ("杏", "アン"), ("咲良", "サクラ"), ("美桜", "ミオ"), ("心春", "コハル"),
        ("澪", "ミオ"), ("彩花", "アヤカ"), ("花音", "カノン"), ("美咲", "ミサキ"), ("優奈", "ユウナ"),
    ],
}


def generation(birth: dt.date) -> str:
    if birth.year < 1966:
        return "old"
    if birth.year < 1996:
        return "mid"
    return "young"


class Names:
    """Draws names, never the same name with the same date of birth twice."""

    def __init__(self, rng: random.Random, surnames):
        self.rng = rng
        self.surnames = surnames
        self.used: set[tuple[str, dt.date]] = set()

    def person(self, sex: str, birth: dt.date, surname=None):
        while True:
            fam = surname or self.rng.choice(self.surnames)
            giv = self.rng.choice(GIVEN[(sex, generation(birth))])
            kanji = f"{fam[0]}\u3000{giv[0]}"
            if (kanji, birth) not in self.used:
                self.used.add((kanji, birth))
                return kanji, f"{fam[1]}\u3000{giv[1]}", fam


# ---------------------------------------------------------------------------------------------
# Places. (prefecture, prefecture code, city, town, postal code, 難病 jurisdiction,
# 小慢 jurisdiction, 国保 insurer digits). 指定都市 run 難病 and 小慢 themselves; 中核市 run 小慢.

TOWNS_KANTO = [
    ("東京都", "13", "世田谷区", "桜新町", "154-0015", "東京都", "東京都", "112"),
    ("東京都", "13", "杉並区", "阿佐谷南", "166-0004", "東京都", "東京都", "115"),
    ("東京都", "13", "練馬区", "石神井町", "177-0041", "東京都", "東京都", "120"),
    ("東京都", "13", "江東区", "豊洲", "135-0061", "東京都", "東京都", "108"),
    ("東京都", "13", "八王子市", "明神町", "192-0046", "東京都", "東京都", "201"),
    ("東京都", "13", "大田区", "蒲田", "144-0052", "東京都", "東京都", "111"),
    ("東京都", "13", "足立区", "千住", "120-0034", "東京都", "東京都", "121"),
    ("東京都", "13", "町田市", "原町田", "194-0013", "東京都", "東京都", "209"),
    ("神奈川県", "14", "横浜市港北区", "日吉", "223-0061", "横浜市", "横浜市", "109"),
    ("神奈川県", "14", "川崎市中原区", "小杉町", "211-0063", "川崎市", "川崎市", "131"),
    ("神奈川県", "14", "相模原市南区", "相模大野", "252-0303", "相模原市", "相模原市", "150"),
    ("神奈川県", "14", "藤沢市", "鵠沼海岸", "251-0037", "神奈川県", "神奈川県", "205"),
    ("埼玉県", "11", "さいたま市浦和区", "高砂", "330-0063", "さいたま市", "さいたま市", "107"),
    ("埼玉県", "11", "川口市", "栄町", "332-0017", "埼玉県", "埼玉県", "203"),
    ("埼玉県", "11", "所沢市", "東町", "359-1124", "埼玉県", "埼玉県", "208"),
    ("千葉県", "12", "千葉市中央区", "新町", "260-0028", "千葉市", "千葉市", "101"),
    ("千葉県", "12", "船橋市", "本町", "273-0005", "千葉県", "千葉県", "204"),
    ("千葉県", "12", "柏市", "柏", "277-0005", "千葉県", "千葉県", "217"),
    ("茨城県", "08", "つくば市", "吾妻", "305-0031", "茨城県", "茨城県", "220"),
]

TOWNS_TOKAI = [
    ("愛知県", "23", "名古屋市昭和区", "八事本町", "466-0825", "名古屋市", "名古屋市", "100"),
    ("愛知県", "23", "名古屋市千種区", "今池", "464-0850", "名古屋市", "名古屋市", "100"),
    ("愛知県", "23", "名古屋市天白区", "植田", "468-0051", "名古屋市", "名古屋市", "100"),
    ("愛知県", "23", "名古屋市緑区", "鳴海町", "458-0801", "名古屋市", "名古屋市", "100"),
    ("愛知県", "23", "名古屋市瑞穂区", "瑞穂通", "467-0806", "名古屋市", "名古屋市", "100"),
    ("愛知県", "23", "豊田市", "小坂本町", "471-0034", "愛知県", "豊田市", "211"),
    ("愛知県", "23", "岡崎市", "康生通西", "444-0052", "愛知県", "岡崎市", "202"),
    ("愛知県", "23", "一宮市", "本町", "491-0859", "愛知県", "一宮市", "203"),
    ("愛知県", "23", "春日井市", "鳥居松町", "486-0844", "愛知県", "愛知県", "206"),
    ("愛知県", "23", "日進市", "蟹甲町", "470-0122", "愛知県", "愛知県", "230"),
    ("岐阜県", "21", "岐阜市", "金町", "500-8842", "岐阜県", "岐阜市", "201"),
    ("岐阜県", "21", "大垣市", "郭町", "503-0887", "岐阜県", "岐阜県", "202"),
    ("三重県", "24", "四日市市", "諏訪町", "510-0085", "三重県", "三重県", "202"),
    ("三重県", "24", "桑名市", "中央町", "511-0068", "三重県", "三重県", "205"),
    ("静岡県", "22", "浜松市中央区", "鍛冶町", "430-0933", "浜松市", "浜松市", "130"),
]

# Invented 実施機関 parts of the 公費負担者番号 (3 digits after 法別番号 and prefecture).
JURISDICTION_CODE = {
    "東京都": ("13", "601"), "神奈川県": ("14", "602"), "横浜市": ("14", "701"), "川崎市": ("14", "731"),
    "相模原市": ("14", "751"), "埼玉県": ("11", "604"), "さいたま市": ("11", "701"), "千葉県": ("12", "603"),
    "千葉市": ("12", "701"), "茨城県": ("08", "602"), "愛知県": ("23", "604"), "名古屋市": ("23", "701"),
    "豊田市": ("23", "803"), "岡崎市": ("23", "802"), "一宮市": ("23", "804"), "岐阜県": ("21", "603"),
    "岐阜市": ("21", "801"), "三重県": ("24", "602"), "静岡県": ("22", "603"), "浜松市": ("22", "731"),
}

BUILDINGS = ["グリーンハイツ", "メゾン桜", "サンライズ", "コーポ若葉", "パークサイド", "ハイム青葉", "レジデンス緑が丘", "エスポワール"]


def payer_number(law: str, jurisdiction: str) -> str:
    pref, code = JURISDICTION_CODE[jurisdiction]
    return with_check(law + pref + code)


class Recipients:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: set[str] = set()

    def new(self) -> str:
        while True:
            n = with_check(f"{self.rng.randint(100000, 999999)}")
            if n not in self.used:
                self.used.add(n)
                return n


def house_number(rng: random.Random, style: str) -> str:
    a, b, c = rng.randint(1, 5), rng.randint(1, 30), rng.randint(1, 25)
    if style == "kanji":
        return f"{a}丁目{b}番{c}号"
    s = f"{a}-{b}-{c}"
    return fullwidth(s) if style == "fw" else s


def insurance(rng: random.Random, age: int, town, dependent_child: bool = False):
    """(insurer number, symbol, number, branch), with valid 検証番号."""
    pref = town[1]
    if age >= 75:  # 後期高齢者医療制度: 法別番号 39, no 記号, no 枝番
        return with_check("39" + pref + f"{rng.choice([1, 2])}{rng.randint(10, 99)}"), "", f"{rng.randint(10000000, 99999999)}", ""
    roll = rng.random()
    if age >= 65 and roll < 0.75 or roll < 0.2:  # 市町村国保: 6 digits
        insurer = with_check(pref + town[7])
        city = town[2]
        symbol = city[: city.index("市")] if "市" in city else city[:-1]  # 世田谷, 名古屋, さいたま
        branch = f"{rng.randint(2, 4):02d}" if dependent_child else "01"
        return insurer, symbol, f"{rng.randint(1000000, 9999999)}", branch
    branch = f"{rng.randint(2, 4):02d}" if dependent_child else "00"
    if roll < 0.55:  # 全国健康保険協会 (協会けんぽ), one per prefecture: 01 + pref + 001
        return with_check("01" + pref + "001"), f"{rng.randint(10000000, 99999999)}", f"{rng.randint(1, 2999)}", branch
    if roll < 0.85:  # 健康保険組合
        return with_check("06" + pref + f"{rng.randint(100, 999)}"), f"{rng.randint(1, 9999)}", f"{rng.randint(1, 999)}", branch
    # 共済組合
    return with_check(rng.choice(["31", "32", "33", "34"]) + pref + f"{rng.randint(100, 999)}"), f"{rng.randint(10, 99)}", f"{rng.randint(1000, 99999)}", branch


def long_term_care(rng: random.Random, age: int, disease: int, need: int) -> str:
    """Level code for 介護認定: need 0 (independent) … 5 (bedridden). Under 40 nobody is insured;
    40–64 only for the 特定疾病 (ALS, Parkinson and PSP, MSA)."""
    if age < 40 or (age < 65 and disease not in (2, 5, 6, 17)):
        return "00"
    table = {
        0: ["00"],
        1: ["00", "00", "J1"],
        2: ["00", "J1", "J2", "K1"],
        3: ["K1", "K2", "K3"],
        4: ["K3", "K4"],
        5: ["K4", "K5"],
    }
    return rng.choice(table[need])


LTC_TEXT = {"00": "なし", "J1": "要支援1", "J2": "要支援2", "K1": "要介護1", "K2": "要介護2", "K3": "要介護3", "K4": "要介護4", "K5": "要介護5"}


def clamp(v, lo, hi):
    return max(lo, min(hi, v))


# ---------------------------------------------------------------------------------------------
# Disease items


def als_items(rng: random.Random, cls: int) -> tuple[dict[str, int], dict]:
    """ALSFRS-R (12 items, 0–4) and the ALS 重症度分類 (1–5), consistent with each other."""
    bulbar = rng.random() < 0.3
    r = lambda lo, hi: rng.randint(lo, hi)  # noqa: E731
    if cls == 1:  # 家事・就労はおおむね可能
        v = dict(speech=r(3, 4), salivation=4, swallowing=r(3, 4), handwriting=r(3, 4), cutting_food=r(3, 4),
                 dressing=r(3, 4), turning_in_bed=4, walking=r(3, 4), climbing_stairs=r(3, 4),
                 dyspnea=4, orthopnea=4, respiratory_insufficiency=4)
    elif cls == 2:  # 家事・就労は困難だが日常生活はおおむね自立
        v = dict(speech=r(1, 3) if bulbar else r(3, 4), salivation=r(3, 4), swallowing=r(3, 4),
                 handwriting=r(2, 3), cutting_food=r(2, 3), dressing=r(2, 3), turning_in_bed=r(3, 4),
                 walking=r(3, 4) if bulbar else r(2, 3), climbing_stairs=r(2, 3) if bulbar else r(1, 3),
                 dyspnea=r(3, 4), orthopnea=4, respiratory_insufficiency=4)
    elif cls == 3:  # 食事・排泄・移動のいずれか一つ以上に介助
        v = dict(speech=r(1, 3) if bulbar else r(2, 4), salivation=r(2, 4), swallowing=3,
                 handwriting=r(1, 2), cutting_food=r(1, 2), dressing=r(1, 2), turning_in_bed=r(1, 3),
                 walking=r(1, 2), climbing_stairs=r(0, 1), dyspnea=r(3, 4), orthopnea=r(3, 4),
                 respiratory_insufficiency=4)
        v[rng.choice(["cutting_food", "walking", "dressing"])] = 1
    elif cls == 4:  # 呼吸困難・痰の喀出困難、あるいは嚥下障害
        v = dict(speech=r(1, 2), salivation=r(1, 3), swallowing=2, handwriting=r(0, 2), cutting_food=r(0, 2),
                 dressing=r(0, 2), turning_in_bed=r(0, 2), walking=r(0, 2), climbing_stairs=r(0, 1),
                 dyspnea=r(1, 2), orthopnea=r(2, 3), respiratory_insufficiency=4)
    else:  # 気管切開、非経口的栄養摂取、人工呼吸器使用
        tube = rng.random() < 0.7
        vent = rng.choice([0, 1, 2, 3]) if (not tube or rng.random() < 0.6) else 4
        v = dict(speech=r(0, 1), salivation=r(0, 2), swallowing=r(0, 1) if tube else 2, handwriting=r(0, 1),
                 cutting_food=r(0, 1), dressing=r(0, 1), turning_in_bed=r(0, 1), walking=r(0, 1),
                 climbing_stairs=0, dyspnea=r(0, 1) if vent <= 1 else r(1, 2),
                 orthopnea=r(0, 1) if vent <= 2 else r(1, 2), respiratory_insufficiency=vent)
        if vent == 0:
            v["speech"] = 0
    v["climbing_stairs"] = min(v["climbing_stairs"], v["walking"])
    items = {f"alsfrs_r.{k}": x for k, x in v.items()}
    items["als.severity_class"] = cls
    walking, dressing = v["walking"], v["dressing"]
    resp = v["respiratory_insufficiency"]
    info = dict(
        ventilator=resp <= 3,
        need={1: 1, 2: 2, 3: 3, 4: 4, 5: 5}[cls],
        mobility=5 - walking if walking < 4 else 1,
        self_care=clamp(5 - dressing, 1, 5),
        usual={1: 2, 2: 3, 3: 4, 4: rng.choice([4, 5]), 5: 5}[cls],
        severity={1: "軽症", 2: "中等症", 3: "中等症", 4: "重症", 5: "重症"}[cls],
        remarks="",
    )
    if cls == 5:
        notes = []
        if v["swallowing"] <= 1:
            notes.append("胃瘻造設済み")
        if resp == 0:
            notes.append("気管切開下陽圧換気（TPPV）施行中")
        elif resp <= 3:
            notes.append("非侵襲的陽圧換気（NPPV）導入済み")
        info["remarks"] = "。".join(notes)
    return items, info


def pd_items(rng: random.Random) -> tuple[dict, dict]:
    hy = rng.choices([1, 2, 3, 4, 5], weights=[1, 3, 5, 4, 2])[0]
    df = {1: 1, 2: rng.choices([1, 2], [4, 1])[0], 3: rng.choices([1, 2], [1, 3])[0], 4: rng.choice([2, 3]), 5: 3}[hy]
    tremor = rng.random() < 0.75
    rigidity = rng.random() < 0.9 or not tremor
    items = {
        "pd.hoehn_yahr": hy,
        "pd.daily_function": df,
        "pd.rest_tremor": "あり" if tremor else "なし",
        "pd.rigidity": "あり" if rigidity else "なし",
        "pd.akinesia": "あり",
        "pd.postural_instability": "あり" if hy >= 3 else "なし",
    }
    severity = "軽症" if hy <= 2 else "中等症" if hy == 3 or (hy == 4 and df == 2) else "重症"
    need = {1: 0, 2: 1, 3: 2 if df == 1 else 3, 4: 4 if df == 3 else 3, 5: 5}[hy]
    info = dict(
        ventilator=False, need=need,
        mobility={1: 1, 2: 2, 3: rng.choice([2, 3]), 4: rng.choice([3, 4]), 5: 5}[hy],
        self_care={1: 1, 2: rng.choice([1, 2]), 3: 2, 4: rng.choice([3, 4]), 5: 5}[hy],
        usual={1: rng.choice([1, 2]), 2: 2, 3: 3, 4: 4, 5: 5}[hy],
        severity=severity,
        remarks="L-ドパ製剤内服中。wearing-off現象あり" if hy >= 3 and rng.random() < 0.4 else "",
    )
    return items, info


EDSS_STEPS = [x / 2 for x in range(2, 18)]  # 1.0 … 8.5


def ms_items(rng: random.Random) -> tuple[dict, dict]:
    weights = [6, 6, 7, 7, 6, 6, 5, 5, 5, 5, 5, 4, 3, 2, 2, 1]
    edss = rng.choices(EDSS_STEPS, weights=weights)[0]
    relapses = rng.choices([0, 1, 2, 3], weights=[10, 6, 2, 1])[0]
    items = {"ms.edss": f"{edss:.1f}", "ms.relapses_past_year": relapses}
    visual_grade = 1
    if rng.random() < 0.75:  # 視覚の重症度分類: the better eye's corrected acuity and field
        poor = rng.random() < 0.12
        acuity = rng.choice([0.2, 0.3, 0.4, 0.5, 0.6]) if poor else rng.choice([0.8, 0.9, 1.0, 1.0, 1.2, 1.2, 1.5])
        field = rng.random() < 0.06
        items["ms.visual_acuity_better_eye"] = f"{acuity:.1f}"
        items["ms.visual_field_constriction"] = "あり" if field else "なし"
        visual_grade = 3 if poor else 2 if field else 1
    if edss < 4.5:
        severity, mob = ("軽症" if visual_grade == 1 else "中等症"), 1 if edss < 3 else 2
    elif edss < 7.0:
        severity, mob = "中等症", 3 if edss < 6.0 else 4
    else:
        severity, mob = "重症", 5 if edss >= 8.0 else 4
    need = 0 if edss < 4.5 else 2 if edss < 6.0 else 3 if edss < 7.0 else 4 if edss < 8.0 else 5
    info = dict(
        ventilator=False, need=need, mobility=mob,
        self_care=clamp(mob - 1, 1, 5) if edss < 8 else 4,
        usual=clamp(mob, 1, 5), severity=severity,
        remarks="疾患修飾薬による再発予防治療中" if rng.random() < 0.3 else "",
    )
    return items, info


MG_BULBAR = ["mg_adl.talking", "mg_adl.chewing", "mg_adl.swallowing", "mg_adl.breathing"]
MG_LIMB = ["mg_adl.brushing_teeth", "mg_adl.arise_from_chair"]
MG_OCULAR = ["mg_adl.double_vision", "mg_adl.eyelid_droop"]


def mg_items(rng: random.Random) -> tuple[dict, dict]:
    """MGFA class I–IV (a/b for II–IV) and an MG-ADL profile that fits it."""
    cls = rng.choices([1, 2, 3, 4], weights=[3, 5, 4, 2])[0]
    subtype = rng.choice("aab") if cls >= 2 else ""
    items: dict[str, object] = {"mg.mgfa_class": cls}
    if subtype:
        items["mg.mgfa_subtype"] = subtype
    main, other = (MG_LIMB, MG_BULBAR) if subtype == "a" else (MG_BULBAR, MG_LIMB)
    lo_main, hi_main, hi_other = {1: (0, 0, 0), 2: (0, 1, 1), 3: (1, 2, 1), 4: (2, 3, 2)}[cls]
    for code in MG_OCULAR:
        items[code] = rng.randint(0, 3) if cls == 1 else rng.randint(0, 2)
    if cls == 1 and items["mg_adl.double_vision"] + items["mg_adl.eyelid_droop"] == 0:
        items["mg_adl.eyelid_droop"] = rng.randint(1, 3)
    for code in main:
        items[code] = rng.randint(lo_main, hi_main)
    for code in other:
        items[code] = rng.randint(0, hi_other) if cls > 1 else 0
    if cls >= 2 and all(items[c] == 0 for c in main):
        items[main[0]] = 1
    items["mg_adl.breathing"] = min(items["mg_adl.breathing"], 2)  # 3 = on a ventilator
    adl = sum(v for k, v in items.items() if k.startswith("mg_adl."))
    severity = "軽症" if cls == 1 or (cls == 2 and adl < 6) else "重症" if cls == 4 else "中等症"
    limb = max(items[c] for c in MG_LIMB)
    info = dict(
        ventilator=False, need={1: 0, 2: 1, 3: 2, 4: 3}[cls],
        mobility=clamp(1 + limb, 1, 5), self_care=clamp(1 + items["mg_adl.brushing_teeth"], 1, 5),
        usual=clamp(cls, 1, 5), severity=severity,
        remarks="胸腺摘除術後" if rng.random() < 0.3 else "",
    )
    return items, info


# SLEDAI descriptors (weight) that an outpatient with SLE commonly scores, by how often.
SLEDAI_FEATURES = [
    ("低補体血症", 2, 0.45), ("抗DNA抗体上昇", 2, 0.4), ("関節炎", 4, 0.25), ("新たな皮疹", 2, 0.2),
    ("脱毛", 2, 0.15), ("粘膜潰瘍", 2, 0.1), ("蛋白尿", 4, 0.15), ("血尿", 4, 0.08), ("白血球減少", 1, 0.2),
    ("血小板減少", 1, 0.1), ("発熱", 1, 0.08), ("胸膜炎", 2, 0.05), ("血管炎", 8, 0.03),
]


def sle_items(rng: random.Random) -> tuple[dict, dict]:
    score = sum(w for _, w, p in SLEDAI_FEATURES if rng.random() < p)
    severity = "軽症" if score < 4 else "中等症" if score < 12 else "重症"
    lvl = {"軽症": 1, "中等症": 2, "重症": 3}[severity]
    info = dict(ventilator=False, need=lvl - 1, mobility=clamp(lvl - 1 + rng.choice([0, 1]), 1, 5),
                self_care=1, usual=clamp(lvl + rng.choice([0, 0, 1]) - 1, 1, 5), severity=severity,
                remarks="ループス腎炎に対しミコフェノール酸モフェチル併用中" if score >= 8 and rng.random() < 0.5 else "")
    return {"sledai.score": score}, info


BARTHEL_MAX = {
    "barthel.feeding": 10, "barthel.transfer": 15, "barthel.grooming": 5, "barthel.toilet": 10,
    "barthel.bathing": 5, "barthel.walking": 15, "barthel.stairs": 10, "barthel.dressing": 10,
    "barthel.bowels": 10, "barthel.bladder": 10,
}
# The order in which a polyneuropathy takes away activities of daily living (one 5-point step each).
BARTHEL_LADDER = [
    "barthel.stairs", "barthel.bathing", "barthel.walking", "barthel.stairs", "barthel.dressing",
    "barthel.transfer", "barthel.toilet", "barthel.grooming", "barthel.feeding", "barthel.walking",
    "barthel.transfer", "barthel.dressing", "barthel.toilet", "barthel.bladder", "barthel.bowels",
    "barthel.feeding", "barthel.walking", "barthel.transfer",
]


def cidp_items(rng: random.Random) -> tuple[dict, dict]:
    grade = rng.choices(["軽症", "中等症", "重症"], weights=[2, 5, 3])[0]
    target = {"軽症": rng.choice([90, 95, 100]), "中等症": rng.randrange(60, 90, 5), "重症": rng.randrange(20, 60, 5)}[grade]
    ladder = BARTHEL_LADDER[:]
    for i in range(len(ladder) - 1):  # a little individual variation, keeping the broad order
        if rng.random() < 0.3 and ladder[i] != ladder[i + 1]:
            ladder[i], ladder[i + 1] = ladder[i + 1], ladder[i]
    v = dict(BARTHEL_MAX)
    for item in ladder:
        if sum(v.values()) <= target:
            break
        if v[item] >= 5:
            v[item] -= 5
    # stairs never better than walking allows
    if v["barthel.walking"] <= 5:
        v["barthel.stairs"] = 0
    total = sum(v.values())
    severity = "軽症" if total >= 90 else "中等症" if total >= 60 else "重症"
    walk = v["barthel.walking"]
    mobility = 1 if walk == 15 and v["barthel.stairs"] == 10 else 2 if walk == 15 else {10: 3, 5: 4, 0: 5}[walk]
    self_care = 1 if v["barthel.dressing"] == 10 and v["barthel.bathing"] == 5 else 2 if v["barthel.dressing"] == 10 else 3 if v["barthel.dressing"] == 5 else 4
    usual = 1 if total == 100 else 2 if total >= 90 else 3 if total >= 60 else 4 if total >= 40 else 5
    need = 0 if total >= 90 else 2 if total >= 60 else 3 if total >= 40 else 4
    info = dict(ventilator=False, need=need, mobility=mobility, self_care=self_care, usual=usual,
                severity=severity, remarks="免疫グロブリン大量静注療法の維持投与中" if rng.random() < 0.3 else "")
    return v, info


def t1d_items(rng: random.Random, weight_kg: float, new: bool) -> list[tuple[str, str]]:
    mean = rng.uniform(6.6, 9.2)
    if new:  # the first value at diagnosis, then falling with insulin
        hba1c = [rng.uniform(9.5, 11.0), rng.uniform(7.5, 9.0), rng.uniform(6.6, 8.2)]
    else:
        hba1c = [clamp(mean + rng.uniform(-0.6, 0.6), 6.0, 11.0) for _ in range(3)]
    units = round(weight_kg * rng.uniform(0.6, 1.2))
    return [
        ("t1d.hba1c_1", f"{hba1c[0]:.1f}"),
        ("t1d.hba1c_2", f"{hba1c[1]:.1f}"),
        ("t1d.hba1c_3", f"{hba1c[2]:.1f}"),
        ("t1d.insulin_therapy", "1"),
        ("t1d.daily_insulin_units", str(max(units, 4))),
        ("t1d.severe_hypoglycemia_count", str(rng.choices([0, 1, 2], weights=[12, 3, 1])[0])),
        ("t1d.c_peptide", f"{rng.uniform(0.3, 0.9) if new else rng.uniform(0.03, 0.5):.2f}"),
    ]


# 難病 outside the four main ones whose templates ask for items (重症筋無力症 11, SLE 49).
ITEM_DISEASES = {11: mg_items, 49: sle_items}


# Items of diseases whose templates came later (潰瘍性大腸炎 97, 特発性間質性肺炎 85,
# サルコイドーシス 84), drawn from a random stream of their own (seeded by the row) and consistent
# with the row's overall severity, so that adding them left every other value of the corpus as
# it was.
def uc_late_items(rng: random.Random, severity: str) -> dict:
    if severity == "軽症":
        return {"uc.stools_per_day": rng.randint(1, 4), "uc.visible_blood": rng.choice(["-", "+"]),
                "uc.temperature": f"{rng.uniform(36.0, 37.2):.1f}", "uc.pulse": rng.randint(60, 88),
                "uc.hemoglobin": f"{rng.uniform(11.0, 14.5):.1f}", "uc.esr_crp": "正常"}
    severe = severity == "重症"
    return {"uc.stools_per_day": rng.randint(6, 10) if severe else rng.randint(5, 6),
            "uc.visible_blood": "+++" if severe else rng.choice(["+", "++"]),
            "uc.temperature": f"{rng.uniform(37.5, 38.6) if severe else rng.uniform(36.4, 37.4):.1f}",
            "uc.pulse": rng.randint(92, 118) if severe else rng.randint(64, 89),
            "uc.hemoglobin": f"{rng.uniform(8.0, 10.0) if severe else rng.uniform(10.5, 12.5):.1f}",
            "uc.esr_crp": "高度上昇" if severe else "軽度上昇"}


def iip_late_items(rng: random.Random, severity: str) -> dict:
    pao2 = {"軽症": (80.0, 95.0), "中等症": (70.0, 79.9), "重症": (52.0, 69.0)}[severity]
    spo2 = {"軽症": (92, 97), "中等症": (90, 95), "重症": (82, 89)}[severity]
    return {"iip.pao2": f"{rng.uniform(*pao2):.1f}", "iip.six_minute_walk_spo2": rng.randint(*spo2)}


def sarc_late_items(rng: random.Random, severity: str) -> dict:
    organs, treatment, disability = {"軽症": (1, 0, 0), "中等症": (1, rng.choice([1, 2]), 0),
                                     "重症": (2, 2, rng.choice([0, 1]))}[severity]
    return {"sarc.organ_points": organs, "sarc.treatment_points": treatment,
            "sarc.disability_points": disability}


def scd_late_items(rng: random.Random, severity: str) -> dict:
    mrs = {"軽症": rng.choice([1, 2]), "中等症": rng.choice([2, 3]), "重症": rng.choice([4, 5])}[severity]
    return {"neuro.mrs": mrs, "neuro.nutrition": clamp(mrs - rng.choice([1, 2]), 0, 5),
            "neuro.respiration": clamp(mrs - rng.choice([2, 3]), 0, 5)}


LATE_ITEM_DISEASES = {97: uc_late_items, 85: iip_late_items, 84: sarc_late_items, 18: scd_late_items}


def ghd_late_items(rng: random.Random) -> dict:
    """成長ホルモン分泌不全性低身長症 (5-46): a short child whose two stimulation tests peak low."""
    return {"gh.height_sd": f"{rng.uniform(-3.2, -2.0):.1f}", "gh.test1_peak": f"{rng.uniform(1.5, 6.0):.1f}",
            "gh.test2_peak": f"{rng.uniform(1.5, 6.0):.1f}", "gh.igf1": str(rng.randint(40, 180)),
            "gh.treatment": "1"}


# Clinic B's EAV pairs carry the template's codes (the EHR has no local words to map).
UC_ESR_CODES = {"正常": "normal", "軽度上昇": "raised", "高度上昇": "severe"}


# ---------------------------------------------------------------------------------------------
# Children

# Median height (cm) and weight (kg) of Japanese children by age, boys / girls.
GROWTH = {
    0: (49.0, 3.0, 48.5, 2.9), 1: (75.0, 9.3, 73.5, 8.7), 2: (86.5, 12.0, 85.5, 11.4), 3: (95.0, 14.1, 94.0, 13.6),
    4: (102.0, 16.2, 101.0, 15.8), 5: (109.0, 18.2, 108.0, 17.8), 6: (115.0, 20.5, 114.0, 20.0),
    7: (121.5, 23.5, 120.5, 22.5), 8: (127.5, 26.5, 126.5, 25.5), 9: (133.0, 30.0, 132.5, 29.0),
    10: (138.5, 34.0, 139.0, 33.5), 11: (144.5, 38.5, 146.0, 39.0), 12: (152.0, 44.0, 151.5, 44.0),
    13: (159.5, 49.0, 155.0, 47.5), 14: (165.0, 54.0, 156.5, 50.0), 15: (168.5, 59.0, 157.0, 51.5),
    16: (170.0, 61.0, 157.5, 52.5), 17: (170.5, 62.5, 158.0, 53.0), 18: (171.0, 63.0, 158.0, 53.0),
    19: (171.0, 63.5, 158.0, 53.0), 20: (171.0, 64.0, 158.0, 53.0),
}


def growth(rng: random.Random, sex: str, age_years: float, short: bool) -> tuple[float, float]:
    a = int(age_years)
    f = age_years - a
    lo, hi = GROWTH[a], GROWTH[a + 1]
    off = 0 if sex == "M" else 2
    h = lo[off] + (hi[off] - lo[off]) * f
    w = lo[off + 1] + (hi[off + 1] - lo[off + 1]) * f
    h *= rng.gauss(1.0, 0.035)
    if short:
        h *= rng.uniform(0.86, 0.91)
    w = w * (h / (lo[off] + (hi[off] - lo[off]) * f)) ** 2.2 * rng.gauss(1.0, 0.08)
    return round(h, 1), round(w, 1)


def schooling(birth: dt.date, day: dt.date) -> str:
    school_year = day.year if day.month >= 4 else day.year - 1
    entry = birth.year + 7 if (birth.month, birth.day) >= (4, 2) else birth.year + 6
    grade = school_year - entry + 1
    if grade <= 0:
        age = age_on(birth, day)
        return "未就学" if age < 3 else ("保育所通園" if age % 2 else "幼稚園通園")
    if grade <= 6:
        return "小学校通学"
    if grade <= 9:
        return "中学校通学"
    if grade <= 12:
        return "高等学校通学"
    return "大学通学" if (birth.day % 3) else "就労"


# ---------------------------------------------------------------------------------------------
# Hospital A

HOSPITAL_A = dict(
    code="131" + with_check("112047"),  # 東京都, 医科, 郡市区 11, 機関 2047, 検証番号
    name="東京湾岸大学医学部附属病院",
    phone="03-5794-6120",
)
assert len(HOSPITAL_A["code"]) == 10

DOCTORS_A = {
    "脳神経内科": [("北村\u3000健司", "13041527"), ("三浦\u3000由香", "13052218"), ("平野\u3000隆之", "13060934")],
    "消化器内科": [("宮本\u3000亮介", "13047711")],
    "膠原病・リウマチ内科": [("荒木\u3000千佳", "13058803")],
    "呼吸器内科": [("菅原\u3000雅人", "13049265")],
    "腎臓内科": [("大西\u3000真弓", "13061172")],
}

# 告示番号: (department, onset age range, share of women, duration range in years)
OTHER_A = {
    5: ("脳神経内科", (62, 76), 0.45, (1, 5)),
    11: ("脳神経内科", (25, 70), 0.6, (1, 12)),
    17: ("脳神経内科", (52, 68), 0.45, (1, 6)),
    49: ("膠原病・リウマチ内科", (16, 42), 0.9, (1, 20)),
    50: ("膠原病・リウマチ内科", (35, 65), 0.7, (1, 10)),
    51: ("膠原病・リウマチ内科", (35, 62), 0.85, (1, 12)),
    53: ("膠原病・リウマチ内科", (40, 62), 0.9, (1, 12)),
    300: ("膠原病・リウマチ内科", (52, 74), 0.3, (1, 6)),
    84: ("呼吸器内科", (22, 64), 0.6, (1, 10)),
    85: ("呼吸器内科", (58, 76), 0.3, (1, 6)),
    96: ("消化器内科", (15, 28), 0.3, (2, 20)),
    97: ("消化器内科", (18, 50), 0.5, (1, 20)),
    222: ("腎臓内科", (22, 70), 0.45, (1, 10)),
}

ITEMS_A = [
    ("ALSFRS-R言語", "alsfrs_r.speech"),
    ("ALSFRS-R唾液分泌", "alsfrs_r.salivation"),
    ("ALSFRS-R嚥下", "alsfrs_r.swallowing"),
    ("ALSFRS-R書字", "alsfrs_r.handwriting"),
    ("ALSFRS-R摂食動作", "alsfrs_r.cutting_food"),
    ("ALSFRS-R着衣・身の回り", "alsfrs_r.dressing"),
    ("ALSFRS-R寝床での動作", "alsfrs_r.turning_in_bed"),
    ("ALSFRS-R歩行", "alsfrs_r.walking"),
    ("ALSFRS-R階段をのぼる", "alsfrs_r.climbing_stairs"),
    ("ALSFRS-R呼吸困難", "alsfrs_r.dyspnea"),
    ("ALSFRS-R起坐呼吸", "alsfrs_r.orthopnea"),
    ("ALSFRS-R呼吸不全", "alsfrs_r.respiratory_insufficiency"),
    ("ALS重症度分類", "als.severity_class"),
    ("Hoehn-Yahr重症度", "pd.hoehn_yahr"),
    ("生活機能障害度", "pd.daily_function"),
    ("静止時振戦", "pd.rest_tremor"),
    ("筋強剛", "pd.rigidity"),
    ("無動・寡動", "pd.akinesia"),
    ("姿勢保持障害", "pd.postural_instability"),
    ("EDSS", "ms.edss"),
    ("過去1年間の再発回数", "ms.relapses_past_year"),
    ("矯正視力（良好眼）", "ms.visual_acuity_better_eye"),
    ("視野狭窄", "ms.visual_field_constriction"),
    ("BI食事", "barthel.feeding"),
    ("BI移乗", "barthel.transfer"),
    ("BI整容", "barthel.grooming"),
    ("BIトイレ動作", "barthel.toilet"),
    ("BI入浴", "barthel.bathing"),
    ("BI歩行", "barthel.walking"),
    ("BI階段昇降", "barthel.stairs"),
    ("BI着替え", "barthel.dressing"),
    ("BI排便コントロール", "barthel.bowels"),
    ("BI排尿コントロール", "barthel.bladder"),
    ("MGFA分類", "mg.mgfa_class"),
    ("MGFAサブタイプ", "mg.mgfa_subtype"),
    ("MG-ADL会話", "mg_adl.talking"),
    ("MG-ADL咀嚼", "mg_adl.chewing"),
    ("MG-ADL嚥下", "mg_adl.swallowing"),
    ("MG-ADL呼吸", "mg_adl.breathing"),
    ("MG-ADL歯磨き・櫛", "mg_adl.brushing_teeth"),
    ("MG-ADL椅子からの立ち上がり", "mg_adl.arise_from_chair"),
    ("MG-ADL複視", "mg_adl.double_vision"),
    ("MG-ADL眼瞼下垂", "mg_adl.eyelid_droop"),
    ("SLEDAIスコア", "sledai.score"),
    ("UC排便回数", "uc.stools_per_day"),
    ("UC顕血便", "uc.visible_blood"),
    ("UC体温", "uc.temperature"),
    ("UC脈拍", "uc.pulse"),
    ("UCヘモグロビン", "uc.hemoglobin"),
    ("UC赤沈CRP", "uc.esr_crp"),
    ("IIP安静時PaO2", "iip.pao2"),
    ("IIP6分間歩行最低SpO2", "iip.six_minute_walk_spo2"),
    ("サルコ臓器病変数点", "sarc.organ_points"),
    ("サルコ治療必要性点", "sarc.treatment_points"),
    ("サルコ身体障害点", "sarc.disability_points"),
]

# Header columns of hospital-a: (header, canonical field or None when the column is not mapped).
HEADER_A = [
    ("告示番号", "disease.number"),  # first, so that a BOM left on the first header shows
    ("告示病名", "disease.name"),
    ("新規更新", "application_type"),
    ("患者ID", "patient.hospital_patient_id"),
    ("患者氏名", "patient.name"),
    ("患者カナ", "patient.name_kana"),
    ("生年月日", "patient.date_of_birth"),
    ("性別", "patient.sex"),
    ("郵便番号", "patient.postal_code"),
    ("住所", "patient.address"),
    ("保険者番号", "patient.insurance.insurer_number"),
    ("記号", "patient.insurance.symbol"),
    ("番号", "patient.insurance.number"),
    ("枝番", "patient.insurance.branch"),
    ("発症年月", "clinical.onset"),
    ("家族歴", "clinical.family_history"),
    ("家族歴続柄", "clinical.family_history_detail"),
    ("介護認定", "clinical.long_term_care"),
    ("移動の程度", "clinical.living.mobility"),
    ("身の回りの管理", "clinical.living.self_care"),
    ("ふだんの活動", "clinical.living.usual_activities"),
    ("痛み不快感", "clinical.living.pain_discomfort"),
    ("不安ふさぎ込み", "clinical.living.anxiety_depression"),
    ("人工呼吸器", "clinical.ventilator"),
    ("診断カテゴリー", "clinical.diagnostic_category"),
    ("重症度", "clinical.severity"),
]
TRAILER_A = [
    ("特記事項", "clinical.remarks"),
    ("診療科", None),
    ("指定医番号", "institution.designated_doctor_number"),
    ("医師氏名", "institution.doctor_name"),
    ("医療機関コード", "institution.code"),
    ("医療機関名", "institution.name"),
    ("電話番号", "institution.phone"),
    ("記載年月日", "institution.date_written"),
    ("公費負担者番号", "administrative.payer_number"),
    ("受給者番号", "administrative.recipient_number"),
    ("研究利用同意", "administrative.research_consent"),
]
COLUMNS_A = [h for h, _ in HEADER_A] + [h for h, _ in ITEMS_A] + [h for h, _ in TRAILER_A]

FAMILY_DETAIL = ["父", "母", "兄", "姉", "弟", "妹", "叔母", "祖母"]


def nanbyo_core(rng: random.Random, disease: int, spec, written: dt.date):
    """Sex, birth, onset for a 難病 patient. spec = (onset age range, share of women, duration range)."""
    (a_lo, a_hi), women, (d_lo, d_hi) = spec
    sex = "F" if rng.random() < women else "M"
    duration = rng.uniform(d_lo, d_hi)
    onset_day = years_before(written, duration)
    birth = years_before(onset_day, rng.uniform(a_lo, a_hi + 0.99)) - dt.timedelta(days=rng.randint(0, 200))
    onset = ym(onset_day)
    assert ym(birth) <= onset <= ym(written)
    new = duration < 1.2 or rng.random() < 0.08
    return sex, birth, onset, new


def hospital_a(rng: random.Random) -> list[list[str]]:
    names = Names(rng, SURNAMES)
    recipients = Recipients(rng)
    n = HOSPITAL_A_ROWS
    quota = n // 5
    diseases = [2] * quota + [6] * quota + [13] * quota + [14] * quota
    others = sorted(OTHER_A)
    while len(diseases) < n:
        diseases.append(others[(len(diseases) - 4 * quota) % len(others)])
    rng.shuffle(diseases)
    comma_rows = set(rng.sample(range(n), k=round(n * 0.07)))

    rows = []
    for i, disease in enumerate(diseases):
        written = rand_date(rng, WRITTEN_FIRST, WRITTEN_LAST)
        if disease == 2:
            cls = rng.choices([1, 2, 3, 4, 5], weights=[2, 5, 5, 4, 4])[0]
            items, info = als_items(rng, cls)
            dur = {1: (0.3, 1.5), 2: (0.5, 3), 3: (1, 4), 4: (1.5, 5), 5: (2, 8)}[cls]
            spec = ((45, 76), 0.4, dur)
            dept = "脳神経内科"
            category = "Probable" if rng.random() < (0.55 if cls <= 2 else 0.25) else "Definite"
        elif disease == 6:
            items, info = pd_items(rng)
            hy = items["pd.hoehn_yahr"]
            spec = ((52, 76), 0.5, {1: (0.5, 3), 2: (1, 6), 3: (3, 10), 4: (5, 14), 5: (8, 18)}[hy])
            dept = "脳神経内科"
            category = "Definite"
        elif disease == 13:
            items, info = ms_items(rng)
            edss = float(items["ms.edss"])
            spec = ((18, 45), 0.7, (1, 4) if edss < 3 else (3, 15) if edss < 6 else (8, 25))
            dept = "脳神経内科"
            category = "Definite"
        elif disease == 14:
            items, info = cidp_items(rng)
            spec = ((25, 72), 0.35, (0.5, 12))
            dept = "脳神経内科"
            category = "Definite"
        elif disease in ITEM_DISEASES:
            dept, ages, women, dur = OTHER_A[disease]
            spec = (ages, women, dur)
            items, info = ITEM_DISEASES[disease](rng)
            category = "Definite" if rng.random() < 0.6 else ""
        else:
            dept, ages, women, dur = OTHER_A[disease]
            spec = (ages, women, dur)
            items = {}
            sev = rng.choices(["軽症", "中等症", "重症"], weights=[3, 5, 2])[0]
            lvl = {"軽症": 1, "中等症": 2, "重症": 3}[sev]
            need = {5: lvl + 1, 17: lvl + 2, 85: lvl}.get(disease, lvl - 1)
            info = dict(
                ventilator=False, need=clamp(need, 0, 5),
                mobility=clamp(lvl + (need > 2) + rng.choice([-1, 0, 0]), 1, 5),
                self_care=clamp(lvl - 1 + (need > 3) + rng.choice([0, 0, 1]), 1, 5),
                usual=clamp(lvl + rng.choice([0, 0, 1]), 1, 5), severity=sev, remarks="",
            )
            category = "Definite" if rng.random() < 0.6 else ""
            if disease in LATE_ITEM_DISEASES:
                items = LATE_ITEM_DISEASES[disease](random.Random(f"{SEED}-items-{i}"), sev)
        sex, birth, onset, new = nanbyo_core(rng, disease, spec, written)
        age = age_on(birth, written)
        doctor = rng.choice(DOCTORS_A[dept])
        kanji, kana, _ = names.person(sex, birth)
        town = rng.choice(TOWNS_KANTO)
        style = rng.choice(["kanji", "ascii", "ascii", "fw"])
        address = f"{town[0]}{town[2]}{town[3]}{house_number(rng, style)}"
        if i in comma_rows:
            address += f",{rng.choice(BUILDINGS)}{rng.randint(1, 9)}0{rng.randint(1, 8)}"
        elif rng.random() < 0.3:
            address += f"\u3000{rng.choice(BUILDINGS)}{rng.randint(1, 9)}0{rng.randint(1, 8)}号室"
        insurer, symbol, number, branch = insurance(rng, age, town)
        fw_numbers = rng.random() < 0.3
        fam = rng.choices(["なし", "あり", "不明"], weights=[16, 1 if disease not in (2, 6) else 2, 1])[0]
        ltc = long_term_care(rng, age, disease, info["need"])
        payer = payer_number("54", town[5])
        recipient = recipients.new()
        date_style = rng.choice(["abbr", "abbr", "kanji"])
        written_style = rng.choice(["abbr", "abbr", "abbr", "kanji"])
        row = {
            "患者ID": f"{rng.randint(0, 9999999):08d}",
            "診療科": dept,
            "告示番号": str(disease),
            "告示病名": NANBYO[disease],
            "新規更新": "新規" if new else "更新",
            "患者氏名": kanji,
            "患者カナ": kana,
            "生年月日": wareki(birth, date_style, fw=date_style == "kanji" and rng.random() < 0.2),
            "性別": "男" if sex == "M" else "女",
            "郵便番号": fullwidth(town[4]) if fw_numbers else town[4],
            "住所": address,
            "保険者番号": fullwidth(insurer) if fw_numbers else insurer,
            "記号": symbol,
            "番号": number,
            "枝番": branch,
            "発症年月": wareki_ym(*onset, rng.choice(["abbr", "kanji"])),
            "家族歴": fam,
            "家族歴続柄": rng.choice(FAMILY_DETAIL) if fam == "あり" else "",
            "介護認定": ltc,
            "移動の程度": str(info["mobility"]),
            "身の回りの管理": str(info["self_care"]),
            "ふだんの活動": str(info["usual"]),
            "痛み不快感": str(rng.choices([1, 2, 3, 4], weights=[4, 4, 2, 1])[0]),
            "不安ふさぎ込み": str(clamp(rng.choices([1, 2, 3], weights=[4, 4, 2])[0] + (info["severity"] == "重症"), 1, 5)),
            "人工呼吸器": "あり" if info["ventilator"] else "なし",
            "診断カテゴリー": category,
            "重症度": info["severity"],
            "特記事項": info["remarks"],
            "指定医番号": doctor[1],
            "医師氏名": doctor[0],
            "医療機関コード": HOSPITAL_A["code"],
            "医療機関名": HOSPITAL_A["name"],
            "電話番号": HOSPITAL_A["phone"],
            "記載年月日": wareki(written, written_style, fw=written_style == "kanji" and rng.random() < 0.3),
            "公費負担者番号": fullwidth(payer) if fw_numbers else payer,
            "受給者番号": fullwidth(recipient) if fw_numbers else recipient,
            # The patient's answer on research use, from the consent form; blank when not asked.
            "研究利用同意": ["同意", "同意", "不同意", ""][i % 4],
        }
        for header, code in ITEMS_A:
            row[header] = str(items.get(code, ""))
        rows.append([row[h] for h in COLUMNS_A])
    return first_row_plain(rows)


def first_row_plain(rows: list[list[str]]) -> list[list[str]]:
    """Sorts by 患者ID and gives the lowest ID to a row that tests can cut and edit as text: no
    quoted field, and half its UTF-8 length falls on a character boundary."""
    pid = COLUMNS_A.index("患者ID")
    rows.sort(key=lambda r: r[pid])
    for row in rows:
        line = render(COLUMNS_A, [row], "\r\n").split("\r\n")[1].encode()
        plain = '"' not in line.decode()
        half = len(line) // 2
        if plain and (line[half] & 0xC0) != 0x80 and row[COLUMNS_A.index("告示番号")] == "2":
            row[pid], rows[0][pid] = rows[0][pid], row[pid]
            break
    rows.sort(key=lambda r: r[pid])
    return rows


# ---------------------------------------------------------------------------------------------
# Clinic B

CLINIC_B = dict(
    code="231" + with_check("056378"),  # 愛知県, 医科, 郡市区 05, 機関 6378, 検証番号
    name="はなみずき小児科・脳神経内科クリニック",
    phone="052-836-7214",
)

DOCTORS_B = {
    "小児科": [("鬼頭\u3000美穂", "23S04412"), ("坂口\u3000洋平", "23S05127")],
    "脳神経内科": [("杉浦\u3000達彦", "23031865")],
    "内科": [("水野\u3000隆史", "23040739")],
}

# 小慢 (group, number): (weight, onset age range in years, sex rule, short stature, care setting)
SHOMAN_B = {
    (7, 1): (30, (1.0, 14.0), None, False, "外来"),
    (5, 46): (4, (2.5, 8.0), None, True, "外来"),
    (3, 5): (3, (1.0, 6.0), None, False, "外来"),
    (2, 24): (3, (2.0, 8.0), None, False, "入院・外来"),
    (6, 8): (3, (1.5, 12.0), None, False, "外来"),
    (5, 28): (2, (0.0, 0.0), None, False, "外来"),
    (5, 26): (2, (9.0, 14.0), "F", False, "外来"),
    (5, 59): (2, (0.0, 0.0), None, False, "外来"),
    (9, 29): (2, (0.0, 0.9), "M", False, "外来"),
    (12, 1): (3, (8.0, 15.0), None, False, "入院・外来"),
    (12, 2): (2, (10.0, 15.0), "M", False, "外来"),
    (4, 89): (2, (0.0, 0.0), None, False, "外来"),
}

# 難病 in Clinic B: ALS and CIDP with items, the rest without.
OTHER_B = {
    11: ("脳神経内科", (25, 70), 0.6, (1, 12)),
    17: ("脳神経内科", (52, 68), 0.45, (1, 6)),
    18: ("脳神経内科", (35, 65), 0.5, (2, 12)),
    5: ("脳神経内科", (62, 76), 0.45, (1, 5)),
    97: ("内科", (18, 50), 0.5, (1, 20)),
    49: ("内科", (16, 42), 0.9, (1, 20)),
    93: ("内科", (42, 64), 0.9, (1, 15)),
}

COLUMNS_B = [
    "KIND", "GRP", "DNO", "PT_NAME", "PT_KANA", "BIRTH", "SEX", "ZIP", "ADDR", "HOKENJA", "KIGO", "BANGO",
    "EDA", "ONSET", "APP", "FAMHX", "KAIGO", "Q_MOB", "Q_SELF", "Q_ACT", "Q_PAIN", "Q_ANX", "VENT", "DX_CAT",
    "SEVERITY", "BIRTH_PREF", "BW_G", "BW_WK", "HEIGHT", "WEIGHT", "MOTHER_BIRTH", "FIRST_VISIT", "SCHOOL",
    "TX_MONTHS", "CARE", "DR_NO", "DR_NAME", "INST_CD", "INST_NAME", "TEL", "WRITTEN", "FUTANSHA", "JUKYUSHA",
] + [c for k in range(1, 15) for c in (f"ITEM{k:02d}", f"VAL{k:02d}")]


def western(d: dt.date) -> str:
    return f"{d.year:04d}/{d.month:02d}/{d.day:02d}"


def clinic_b(rng: random.Random) -> list[list[str]]:
    names = Names(rng, SURNAMES_TOKAI)
    recipients = Recipients(rng)
    n = CLINIC_B_ROWS
    kinds = ["shoman"] * (n // 2) + ["nanbyo"] * (n - n // 2)
    rng.shuffle(kinds)
    halfwidth_rows = set(rng.sample(range(n), k=n // 3))
    halfwidth_rows = set(sorted(halfwidth_rows)[:HALFWIDTH_KANA_ROWS])
    shoman_keys = list(SHOMAN_B)
    shoman_weights = [SHOMAN_B[k][0] for k in shoman_keys]

    rows = []
    for i, kind in enumerate(kinds):
        written = rand_date(rng, WRITTEN_FIRST, WRITTEN_LAST)
        town = rng.choice(TOWNS_TOKAI)
        row = {c: "" for c in COLUMNS_B}
        pairs: list[tuple[str, str]] = []
        if kind == "shoman":
            key = rng.choices(shoman_keys, weights=shoman_weights)[0]
            _, (o_lo, o_hi), sex_rule, short, care = SHOMAN_B[key]
            sex = sex_rule or rng.choice("MF")
            age_years = rng.uniform(max(1.0, o_lo + 0.3), 19.95)
            birth = years_before(written, age_years)
            onset_age = rng.uniform(o_lo, min(o_hi, age_years - 0.1, 17.5))
            onset_day = max(birth + dt.timedelta(days=round(onset_age * 365.25)), birth)
            onset = ym(onset_day)
            age = age_on(birth, written)
            assert 1 <= age <= 19, age
            new = age < 18 and ((written - onset_day).days < 365 or rng.random() < 0.05)
            doctor = rng.choice(DOCTORS_B["小児科"])
            parent_sur = rng.choice(SURNAMES_TOKAI)
            kanji, kana, _ = names.person(sex, birth, surname=parent_sur)
            insurer, symbol, number, branch = insurance(rng, 40, town, dependent_child=True)
            height, weight = growth(rng, sex, age_years, short)
            preterm = rng.random() < 0.1
            weeks = rng.randint(30, 36) if preterm else rng.randint(37, 41)
            bw = round(rng.gauss(3050 if not preterm else 1100 + (weeks - 28) * 230, 330 if not preterm else 200))
            first_visit = onset_day + dt.timedelta(days=rng.randint(0, 60) if new or rng.random() < 0.7 else rng.randint(200, 1200))
            first_visit = clamp(first_visit, birth, written - dt.timedelta(days=14))
            mother = birth - dt.timedelta(days=rng.randint(22 * 365, 41 * 365))
            row.update({
                "KIND": "2",
                "GRP": str(key[0]),
                "DNO": str(key[1]),
                "FAMHX": "",
                "VENT": "2",
                "BIRTH_PREF": town[0] if rng.random() < 0.8 else rng.choice(["東京都", "大阪府", "静岡県", "長野県", "岐阜県"]),
                "BW_G": str(bw),
                "BW_WK": str(weeks),
                "HEIGHT": f"{height:.1f}",
                "WEIGHT": f"{weight:.1f}",
                "MOTHER_BIRTH": western(mother),
                "FIRST_VISIT": western(first_visit),
                "SCHOOL": schooling(birth, written),
                "TX_MONTHS": str(rng.choices([12, 6, 24], weights=[8, 1, 1])[0]),
                "CARE": {"外来": "2", "入院": "1", "入院・外来": "3"}[care if rng.random() < 0.6 else "外来"],
            })
            if key == (7, 1):
                pairs = t1d_items(rng, weight, new)
            law, jurisdiction = "52", town[6]
        else:
            roll = rng.random()
            if roll < 0.35:
                disease = 2
                cls = rng.choices([1, 2, 3, 4, 5], weights=[1, 4, 5, 4, 5])[0]
                items, info = als_items(rng, cls)
                spec = ((45, 76), 0.4, {1: (0.3, 1.5), 2: (0.5, 3), 3: (1, 4), 4: (1.5, 5), 5: (2, 8)}[cls])
                dept = "脳神経内科"
                category = "Probable" if rng.random() < 0.35 else "Definite"
            elif roll < 0.70:
                disease = 14
                items, info = cidp_items(rng)
                spec = ((25, 72), 0.35, (0.5, 12))
                dept = "脳神経内科"
                category = "Definite"
            elif (disease := rng.choice(sorted(OTHER_B))) in ITEM_DISEASES:
                dept, ages, women, dur = OTHER_B[disease]
                spec = (ages, women, dur)
                items, info = ITEM_DISEASES[disease](rng)
                category = "Definite" if rng.random() < 0.5 else ""
            else:
                dept, ages, women, dur = OTHER_B[disease]
                spec = (ages, women, dur)
                items = {}
                sev = rng.choices(["軽症", "中等症", "重症"], weights=[3, 5, 2])[0]
                lvl = {"軽症": 1, "中等症": 2, "重症": 3}[sev]
                need = {5: lvl + 1, 17: lvl + 2, 18: lvl}.get(disease, lvl - 1)
                info = dict(ventilator=False, need=clamp(need, 0, 5), mobility=clamp(lvl + (need > 2), 1, 5),
                            self_care=clamp(lvl - 1 + (need > 3), 1, 5), usual=lvl, severity=sev, remarks="")
                category = "Definite" if rng.random() < 0.5 else ""
                if disease in LATE_ITEM_DISEASES:
                    late = LATE_ITEM_DISEASES[disease](random.Random(f"{SEED}-b-items-{i}"), sev)
            sex, birth, onset, new = nanbyo_core(rng, disease, spec, written)
            age = age_on(birth, written)
            doctor = rng.choice(DOCTORS_B[dept])
            kanji, kana, _ = names.person(sex, birth)
            insurer, symbol, number, branch = insurance(rng, age, town)
            ltc = long_term_care(rng, age, disease, info["need"])
            fam = rng.choices(["2", "1", "9"], weights=[16, 1, 1])[0]
            row.update({
                "KIND": "1",
                "DNO": str(disease),
                "FAMHX": fam,
                "KAIGO": LTC_TEXT[ltc],
                "Q_MOB": str(info["mobility"]),
                "Q_SELF": str(info["self_care"]),
                "Q_ACT": str(info["usual"]),
                "Q_PAIN": str(rng.choices([1, 2, 3, 4], weights=[4, 4, 2, 1])[0]),
                "Q_ANX": str(clamp(rng.choices([1, 2, 3], weights=[4, 4, 2])[0] + (info["severity"] == "重症"), 1, 5)),
                "VENT": "1" if info["ventilator"] else "2",
                "DX_CAT": category,
                "SEVERITY": {"軽症": "1", "中等症": "2", "重症": "3"}[info["severity"]],
            })
            pairs = [(k, str(v)) for k, v in items.items()]
            law, jurisdiction = "54", town[5]
        if pairs and rng.random() < 0.2:
            rng.shuffle(pairs)
        # After the shuffle, which draws from the corpus's stream only when there were pairs.
        if kind == "nanbyo" and not pairs and disease in LATE_ITEM_DISEASES:
            pairs = [(k, UC_ESR_CODES.get(str(v), str(v))) for k, v in late.items()]
        if kind == "shoman" and key == (5, 46):
            pairs = list(ghd_late_items(random.Random(f"{SEED}-b-items-{i}")).items())
        assert len(pairs) <= 14
        for k, (code, value) in enumerate(pairs, start=1):
            row[f"ITEM{k:02d}"] = code
            row[f"VAL{k:02d}"] = value
        block = rng.randint(1, 5)
        building = f" {rng.choice(BUILDINGS)}{rng.randint(1, 9)}0{rng.randint(1, 8)}" if rng.random() < 0.3 else ""
        row.update({
            "PT_NAME": kanji,
            "PT_KANA": halfwidth_kana(kana) if i in halfwidth_rows else kana,
            "BIRTH": western(birth),
            "SEX": "1" if sex == "M" else "2",
            "ZIP": town[4],
            "ADDR": f"{town[0]}{town[2]}{town[3]}{block}-{rng.randint(1, 30)}-{rng.randint(1, 20)}{building}",
            "HOKENJA": insurer,
            "KIGO": symbol,
            "BANGO": number,
            "EDA": branch,
            "ONSET": f"{onset[0]:04d}/{onset[1]:02d}",
            "APP": "1" if new else "2",
            "DR_NO": doctor[1],
            "DR_NAME": doctor[0],
            "INST_CD": CLINIC_B["code"],
            "INST_NAME": CLINIC_B["name"],
            "TEL": CLINIC_B["phone"],
            "WRITTEN": western(written),
            "FUTANSHA": payer_number(law, jurisdiction),
            "JUKYUSHA": recipients.new(),
        })
        rows.append([row[c] for c in COLUMNS_B])
    return rows


# ---------------------------------------------------------------------------------------------


def render(header: list[str], rows: list[list[str]], terminator: str) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator=terminator, quoting=csv.QUOTE_MINIMAL)
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def main() -> None:
    a = hospital_a(random.Random(SEED))
    (HERE / "hospital-a.csv").write_bytes(render(COLUMNS_A, a, "\r\n").encode("utf-8-sig"))
    b = clinic_b(random.Random(SEED + 1))
    (HERE / "clinic-b.csv").write_bytes(render(COLUMNS_B, b, "\n").encode("cp932"))
    print(f"hospital-a.csv: {len(a)} rows, {len(COLUMNS_A)} columns")
    print(f"clinic-b.csv: {len(b)} rows, {len(COLUMNS_B)} columns")


if __name__ == "__main__":
    main()
