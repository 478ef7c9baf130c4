#!/usr/bin/env python3
"""Generates ``sample-download.zip``: a synthetic Mynaportal 申請管理 download.

ALL DATA IN THIS FILE IS SYNTHETIC: every person, address, phone number, insurance number,
receipt number and access key is invented; any resemblance to a real person is coincidental.
The layout (one folder per 受付番号 holding the application XML and its attachments) is an
assumption, since Mynaportal does not publish it; ``mappings/mynaportal/pittari-nanbyo.toml``
reads it.

Four applications:

* 241010089569116 — UTF-8, 新規, registered online: carries the sheet's access key.
* 241010089569207 — declared and encoded Shift_JIS (CP932, with 髙 and ①), 更新, 処理中, a
  photo of the insurance card attached.
* 241010089569355 — the paper 臨床調査個人票 attached as PDF (role paper_sheet) and a photo.
* 241011089570012 — applied for by a parent, 要再申請, no attachments, 和暦 birth date.

The archive is byte-for-byte reproducible: fixed timestamps and attributes, deflate level 9,
entries in a fixed order. Run ``python3 generate.py`` here to rewrite it.
"""

import base64
import os
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))

# A one-page PDF saying (in ASCII) what it stands for.
PDF = b"""%PDF-1.4
1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj
2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj
3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >> endobj
4 0 obj << /Length 62 >> stream
BT /F1 18 Tf 72 770 Td (Synthetic rinsho chosa kojinhyo) Tj ET
endstream endobj
5 0 obj << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> endobj
trailer << /Root 1 0 R >>
%%EOF
"""

# A 1x1 baseline JPEG.
JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////////////"
    "////////////////////////////wgALCAABAAEBAREA/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQABPxA="
)


def form(receipt, applied, status, applicant, patient, content, attachments, encoding="UTF-8"):
    def block(name, fields):
        inner = "".join(f"    <{k}>{v}</{k}>\n" for k, v in fields)
        return f"  <{name}>\n{inner}  </{name}>\n"

    files = "".join(
        f"    <添付ファイル>\n      <書類名>{kind}</書類名>\n      <ファイル名>{name}</ファイル名>\n    </添付ファイル>\n"
        for kind, name, _ in attachments
    )
    text = (
        f'<?xml version="1.0" encoding="{encoding}"?>\n'
        "<申請データ>\n"
        + block(
            "受付情報",
            [
                ("受付番号", receipt),
                ("手続名", "特定医療費（指定難病）の支給認定の申請"),
                ("申請日時", applied),
                ("処理状況", status),
            ],
        )
        + block("申請者", applicant)
        + block("対象者", patient)
        + block("申請内容", content)
        + f"  <添付書類>\n{files}  </添付書類>\n"
        + "</申請データ>\n"
    )
    return text.encode("cp932" if encoding == "Shift_JIS" else "utf-8")


def applications():
    yield "241010089569116", form(
        "241010089569116",
        "2024-10-10T09:15:32",
        "提出済",
        [("氏名", "架空 一郎"), ("氏名カナ", "カクウ イチロウ"), ("続柄", "本人"),
         ("電話番号", "03-0000-1234"), ("メールアドレス", "ichiro@example.invalid"),
         ("郵便番号", "100-0001"), ("住所", "東京都千代田区千代田９９－１")],
        [("氏名", "架空 一郎"), ("氏名カナ", "カクウ イチロウ"), ("生年月日", "1970-01-02"),
         ("性別", "男"), ("郵便番号", "100-0001"), ("住所", "東京都千代田区千代田９９－１"),
         ("保険者番号", "06130009"), ("被保険者記号", "１２３"), ("被保険者番号", "４５６７")],
        [("申請区分", "新規"), ("告示番号", "2"), ("疾病名", "筋萎縮性側索硬化症"),
         ("臨床調査個人票アクセスキー", "CN4X-CVS2-52G1-EP90-673D")],
        [],
    ), []
    photo = [("被保険者証の写し", "hokensho.jpg", JPEG)]
    yield "241010089569207", form(
        "241010089569207",
        "2024-10-10T13:02:05",
        "処理中",
        [("氏名", "髙野 花子"), ("氏名カナ", "タカノ ハナコ"), ("続柄", "本人"),
         ("電話番号", "045-000-5678"), ("郵便番号", "231-0001"), ("住所", "神奈川県横浜市中区新港①－９")],
        [("氏名", "髙野 花子"), ("氏名カナ", "タカノ ハナコ"), ("生年月日", "1962/3/4"),
         ("性別", "女"), ("郵便番号", "231-0001"), ("住所", "神奈川県横浜市中区新港①－９"),
         ("保険者番号", "39140004"), ("被保険者番号", "12345678")],
        [("申請区分", "更新"), ("告示番号", "6"), ("疾病名", "パーキンソン病")],
        photo,
        encoding="Shift_JIS",
    ), photo
    paper = [("臨床調査個人票", "rinsho.pdf", PDF), ("本人確認書類", "photo.jpg", JPEG)]
    yield "241010089569355", form(
        "241010089569355",
        "2024-10-10T18:44:10",
        "提出済",
        [("氏名", "試験 次郎"), ("氏名カナ", "シケン ジロウ"), ("続柄", "本人"),
         ("電話番号", "06-0000-9012"), ("郵便番号", "530-0001"), ("住所", "大阪府大阪市北区梅田９９－２")],
        [("氏名", "試験 次郎"), ("氏名カナ", "シケン ジロウ"), ("生年月日", "1955-12-31"),
         ("性別", "男"), ("郵便番号", "530-0001"), ("住所", "大阪府大阪市北区梅田９９－２")],
        [("申請区分", "新規"), ("告示番号", "11"), ("疾病名", "重症筋無力症")],
        paper,
    ), paper
    yield "241011089570012", form(
        "241011089570012",
        "2024-10-11T08:01:00",
        "要再申請",
        [("氏名", "見本 三代"), ("氏名カナ", "ミホン ミヨ"), ("続柄", "母"),
         ("電話番号", "011-000-3456"), ("郵便番号", "060-0001"), ("住所", "北海道札幌市中央区北一条西９９")],
        [("氏名", "見本 四郎"), ("氏名カナ", "ミホン シロウ"), ("生年月日", "平成17年6月3日"),
         ("性別", "男"), ("郵便番号", "060-0001"), ("住所", "北海道札幌市中央区北一条西９９")],
        [("申請区分", "新規"), ("告示番号", "13"), ("疾病名", "多発性硬化症／視神経脊髄炎")],
        [],
    ), []


def add(archive, name, data):
    info = zipfile.ZipInfo(name, date_time=(2024, 10, 11, 9, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    info.create_system = 3
    archive.writestr(info, data, compresslevel=9)


def main():
    path = os.path.join(HERE, "sample-download.zip")
    with zipfile.ZipFile(path, "w") as archive:
        for receipt, xml, attachments in applications():
            add(archive, f"{receipt}/申請書.xml", xml)
            for _, name, data in attachments:
                add(archive, f"{receipt}/{name}", data)
    print(path)


if __name__ == "__main__":
    main()
