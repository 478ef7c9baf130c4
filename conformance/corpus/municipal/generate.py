#!/usr/bin/env python3
"""Writes the municipal decision corpus: the same five decisions of a fictitious back office in
both shipped layouts — city-a.csv (CP932 CSV, Japanese headers, 和暦 dates) and city-b.dat
(fixed-length CP932 records of 160 bytes, CRLF, era-coded dates, half-width kana names).

The fixed-length writer here is independent of the Rust one on purpose: the conformance test
reads these bytes, and the round-trip test writes them back, so the two implementations check
each other. Run from this folder; every person is invented."""

def check_digit(body: str) -> str:
    total = 0
    for i, d in enumerate(reversed(body)):
        p = int(d) * (2 if i % 2 == 0 else 1)
        total += p // 10 + p % 10
    return str((10 - total % 10) % 10)

def numbered(body: str) -> str:
    return body + check_digit(body)

NANBYO_PAYER = numbered("5413001")   # 法別 54, 東京都 13, 実施機関 001
SHOMAN_PAYER = numbered("5213001")   # 法別 52

# kind, receipt, recipient, payer, decision, tier, status, cap, from, to, consent,
#   name, kana (full-width), birth (y, m, d), sex, address
ROWS = [
    ("nanbyo", "241010089569116", numbered("000101"), NANBYO_PAYER, "certified", "general_income_1", "general", 10000,
     (2025, 4, 1), (2026, 3, 31), True, "山田　太郎", "ヤマダ　タロウ", (1980, 3, 14), "male", "東京都千代田区霞が関一丁目２番２号"),
    ("nanbyo", "241010089569124", numbered("000102"), NANBYO_PAYER, "certified", "upper_income", "high_cost_long_term", 20000,
     (2025, 4, 1), (2026, 3, 31), False, "髙橋　花子", "タカハシ　ハナコ", (1962, 11, 3), "female", "東京都新宿区西新宿二丁目８番１号"),
    ("nanbyo", "241010089569132", numbered("000103"), NANBYO_PAYER, "certified", "low_income_1", "ventilator", 1000,
     (2025, 5, 1), (2026, 4, 30), True, "佐藤　一郎", "サトウ　イチロウ", (1955, 1, 20), "male", "東京都八王子市元本郷町三丁目２４番１号"),
    ("nanbyo", "241010089569140", None, None, "not_certified", None, "general", None,
     None, None, True, "鈴木　美咲", "スズキ　ミサキ", (1990, 7, 7), "female", "東京都立川市錦町四丁目６番３号"),
    ("shoman", "241010089569157", numbered("000201"), SHOMAN_PAYER, "certified", "general_income_2", "severe", 5000,
     (2025, 4, 1), (2026, 3, 31), True, "田中　ゆい", "タナカ　ユイ", (2015, 6, 30), "female", "東京都府中市宮西町二丁目２４番地"),
]

TIER_JA = {"public_assistance": "生活保護", "low_income_1": "低所得Ⅰ", "low_income_2": "低所得Ⅱ",
           "general_income_1": "一般所得Ⅰ", "general_income_2": "一般所得Ⅱ", "upper_income": "上位所得"}
STATUS_JA = {"general": "", "high_cost_long_term": "高額かつ長期", "ventilator": "人工呼吸器等装着者", "severe": "重症"}
ERAS = [(5, "R", (2019, 5, 1)), (4, "H", (1989, 1, 8)), (3, "S", (1926, 12, 25))]

def era(date):
    for code, letter, start in ERAS:
        if date >= start:
            return code, letter, date[0] - start[0] + 1
    raise ValueError(date)

def wareki(date):
    if date is None:
        return ""
    _, letter, year = era(date)
    return f"{letter}{year}.{date[1]}.{date[2]}"

def era_code(date):
    if date is None:
        return ""
    code, _, year = era(date)
    return f"{code}{year:02}{date[1]:02}{date[2]:02}"

def halfwidth_kana(text):
    import unicodedata
    table = {}
    for cp in range(0xFF66, 0xFF9E):
        h = chr(cp)
        for mark in ("", "\uFF9E", "\uFF9F"):
            full = unicodedata.normalize("NFKC", h + mark)
            if len(full) == 1:
                table.setdefault(full, h + mark)
    table["\u3000"] = " "
    return "".join(table.get(c, c) for c in text)

# CP932 has two codes for the IBM extension kanji (髙, 﨑, …): the NEC-selected one (0xED40–
# 0xEEFC) and the IBM one (0xFA40–0xFC4B). Windows and the WHATWG encoder (encoding_rs) write
# the IBM code; Python's cp932 codec writes the NEC-selected one. Write what Windows writes.
IBM = {}
for lead in range(0xFA, 0xFD):
    for trail in range(0x40, 0xFD):
        try:
            IBM.setdefault(bytes([lead, trail]).decode("cp932"), bytes([lead, trail]))
        except UnicodeDecodeError:
            pass

def cp932_char(c):
    code = c.encode("cp932")
    return IBM.get(c, code) if code[:1] in (b"\xed", b"\xee") else code

def cp932(text):
    return b"".join(cp932_char(c) for c in text)

def csv_file():
    header = ["受付番号", "受給者番号", "公費負担者番号", "制度", "認定結果", "階層区分", "特例区分",
              "自己負担上限額", "有効期間開始", "有効期間終了", "研究利用同意", "氏名", "氏名カナ",
              "生年月日", "性別", "住所"]
    lines = [",".join(header)]
    for (kind, receipt, recipient, payer, decision, tier, status, cap, start, end, consent,
         name, kana, birth, sex, address) in ROWS:
        lines.append(",".join([
            receipt, recipient or "", payer or "", "難病" if kind == "nanbyo" else "小慢",
            "認定" if decision == "certified" else "不認定", TIER_JA.get(tier, ""),
            STATUS_JA.get(status, ""), str(cap) if cap is not None else "",
            wareki(start), wareki(end), "同意" if consent else "不同意", name, kana,
            wareki(birth), "1" if sex == "male" else "2", address]))
    return cp932("\r\n".join(lines) + "\r\n")

# (start, width) in bytes, 1-based like the layout.
FIXED = 160

def fixed_file():
    out = b""
    tier_code = {t: str(i + 1) for i, t in enumerate(TIER_JA)}
    status_code = {"general": "0", "high_cost_long_term": "1", "ventilator": "2", "severe": "3"}
    for (kind, receipt, recipient, payer, decision, tier, status, cap, start, end, consent,
         name, kana, birth, sex, address) in ROWS:
        fields = [
            (1, 15, receipt, " "), (16, 7, recipient or "", " "), (23, 8, payer or "", " "),
            (31, 1, "1" if kind == "nanbyo" else "2", " "),
            (32, 1, "1" if decision == "certified" else "2", " "),
            (33, 1, tier_code.get(tier, ""), " "), (34, 1, status_code.get(status, "") if status else "", " "),
            (35, 6, str(cap) if cap is not None else "", "0"),
            (41, 7, era_code(start), " "), (48, 7, era_code(end), " "),
            (55, 1, "1" if consent else "0", " "),
            (56, 30, halfwidth_kana(kana), " "), (86, 20, name, " "),
            (106, 7, era_code(birth), " "), (113, 1, "1" if sex == "male" else "2", " "),
            (114, 40, address, " "),
        ]
        record = bytearray(b" " * FIXED)
        for start_byte, width, text, pad in fields:
            data = cp932(text)
            assert len(data) <= width, (text, width)
            if pad == "0" and data:
                data = b"0" * (width - len(data)) + data
            record[start_byte - 1:start_byte - 1 + len(data)] = data
        out += bytes(record) + b"\r\n"
    return out

if __name__ == "__main__":
    with open("city-a.csv", "wb") as f:
        f.write(csv_file())
    with open("city-b.dat", "wb") as f:
        f.write(fixed_file())
