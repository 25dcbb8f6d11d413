"""Need parsing keeps every fact of a need's free text, or says what it could not read (issue 8, point 2).

Each case is a need written here (English, Vietnamese with and without diacritics, Japanese,
Korean) with the facts it must yield and the kinds of warning it must raise — no more, no fewer.
"""

from __future__ import annotations

import json
import math
from datetime import date

import pytest

from matching.need_facts import understood
from matching.needs import parse_need

# Kinds of warning, by a phrase of their English half.
KINDS = {
    "quantity": "Could not read the quantity",
    "unit": "not pieces",
    "period": "has no period",
    "park": "Unknown industrial park",
    "certificate": "Unknown certificate",
    "qualifier": "but not",
    "grade": "Material grade",
    "nothing": "No process and no product type",
    "date": "not read as the deadline",
    "ruled_out": "the need rules it out",
}

HANOI = "Hà Nội"


def case(text, *, processes=(), materials=(), products=(), per_month=None, minimum=None, park=None,
         place=None, mandatory=(), preferred=(), deadline=None, warns=(), cid=None):
    expected = dict(processes=set(processes), materials=set(materials), products=set(products),
                    per_month=per_month, minimum=minimum, park=park, place=place,
                    mandatory=set(mandatory), preferred=set(preferred), deadline=deadline, warns=set(warns))
    return pytest.param(text, expected, id=cid or text[:40])


CASES = [
    # ---- English
    case("stamped steel brackets, SPCC, zinc plating, IATF 16949 required, 20,000 pcs/month, near Thang Long IP",
         processes={"stamping", "electroplating"}, per_month=20000, park="thang_long", mandatory={"iatf_16949"},
         cid="en-stamped-brackets"),
    case("Metal stamping of SECC covers, 240k/year, delivery to Noi Bai industrial park by 15/03/2027",
         processes={"stamping"}, per_month=20000, park="noi_bai", deadline=date(2027, 3, 15), cid="en-240k-year"),
    case("Injection moulding of ABS housings, 240k pcs per year, ISO 9001 preferred",
         processes={"injection_moulding"}, per_month=20000, preferred={"iso_9001"}, cid="en-per-year"),
    case("Wire harness assembly, at least 50,000 sets/month, plant in Yen Phong industrial park, Bac Ninh",
         processes={"wire_harness"}, per_month=50000, minimum=50000, park="yen_phong", cid="en-harness-minimum"),
    case("Aluminium die casting ADC12, 8,000 pcs per month, near Bac Ninh",
         processes={"die_casting"}, materials={"aluminium"}, per_month=8000, place="Bắc Ninh", cid="en-diecast-bacninh"),
    case("CNC machining of SUS304 shafts, 1,000 pcs a week, IATF 16949 mandatory",
         processes={"cnc_machining"}, materials={"stainless_steel"}, per_month=round(1000 * 52 / 12, 3),
         mandatory={"iatf_16949"}, cid="en-per-week"),
    case("Plastic injection clips PA66-GF30 with DC01 steel inserts, 500 pcs/day",
         processes={"injection_moulding"}, per_month=13000, warns={"grade"}, cid="en-unknown-grade-pa66gf30"),
    case("Stamped brackets in lots of pcs, near Thang Long IP",
         processes={"stamping"}, park="thang_long", warns={"quantity"}, cid="en-lots-of-pcs"),
    case("Corrugated carton boxes, 10 tons/month, Quang Minh industrial park",
         processes={"corrugated_cartons|packaging_printing"}, park="quang_minh", warns={"unit"}, cid="en-tons"),
    case("Powder coating of steel frames, ISO 99999 required, Xyz Industrial Park",
         processes={"powder_coating"}, warns={"certificate", "park"}, cid="en-unknown-cert-park"),
    case("PCB assembly (SMT), 30k pcs/month, IPC-A-610, samples by 30 April 2027, Thang Long II",
         processes={"smt_assembly"}, per_month=30000, park="thang_long_ii", preferred={"ipc_a_610"},
         deadline=date(2027, 4, 30), cid="en-pcba"),
    case("Need a supplier, several thousand units per month, Dong Anh district",
         place="Đông Anh", warns={"quantity", "nothing"}, cid="en-vague-nothing"),
    case("Rubber moulding, EPDM gaskets, order of 5,000 pcs, by March 2027",
         processes={"rubber_moulding"}, deadline=date(2027, 3, 31), warns={"period"}, cid="en-total-order"),
    case("Deep drawing of A5052 cups, 12,000 pcs/month, AS9100 required, JIS Q 9100 level 7",
         processes={"stamping"}, materials={"aluminium"}, per_month=12000, mandatory={"as9100"},
         warns={"qualifier"}, cid="en-cert-qualifier"),
    case("Machined XYZ9988 brackets, 2,000 pcs/month", processes={"cnc_machining"}, per_month=2000,
         warns={"grade"}, cid="en-unknown-grade-xyz"),
    case("Injection moulded PC/ABS bezels, 1.2M pcs/year, Hung Yen",
         processes={"injection_moulding"}, per_month=100000, place="Hưng Yên", cid="en-million"),
    case("Stamping dies and stamping of SPCC parts, minimum 10,000 pcs/month, KCN Que Vo",
         processes={"stamping"}, per_month=10000, minimum=10000, park="que_vo", cid="en-kcn-quevo"),
    case("Sheet metal enclosures, 3,000 pcs/month, delivery 01/02/2027",
         processes={"sheet_metal"}, per_month=3000, deadline=date(2027, 2, 1), cid="en-delivery-date"),
    case("Laser cutting of steel plates, 800 pcs/month, certificate valid until 31/12/2027",
         processes={"laser_cutting"}, per_month=800, cid="en-validity-not-deadline"),
    case("Plastic injection for covers, 2,000 pcs/month, start 15/06/2027",
         processes={"injection_moulding"}, per_month=2000, warns={"date"}, cid="en-date-no-cue"),
    # ---- Vietnamese with diacritics
    case("Dập kim loại giá đỡ thép SPCC, 5.000 cái/tháng, KCN Quang Minh, trước ngày 15/3/2027",
         processes={"stamping"}, per_month=5000, park="quang_minh", deadline=date(2027, 3, 15), cid="vi-dap-5000"),
    case("Ép nhựa vỏ hộp ABS, sản lượng 60.000 chiếc/năm, bắt buộc ISO 9001, gần Bắc Ninh",
         processes={"injection_moulding"}, per_month=5000, place="Bắc Ninh", mandatory={"iso_9001"}, cid="vi-ep-nhua-nam"),
    case("Đúc áp lực nhôm ADC12, 20 nghìn cái mỗi tháng, KCN Thăng Long",
         processes={"die_casting"}, materials={"aluminium"}, per_month=20000, park="thang_long", cid="vi-nghin"),
    case("Bó dây điện ô tô, vài nghìn chiếc mỗi tháng, ưu tiên IATF 16949",
         processes={"wire_harness"}, preferred={"iatf_16949"}, warns={"quantity"}, cid="vi-vai-nghin"),
    case("Thùng carton 5 lớp, 10 tấn/tháng, KCN Xyz",
         processes={"corrugated_cartons|packaging_printing"}, warns={"unit", "park"}, cid="vi-tan-unknown-park"),
    case("Gia công CNC trục inox SUS304, tối thiểu 3.000 cái/tháng, Đông Anh",
         processes={"cnc_machining"}, materials={"stainless_steel"}, per_month=3000, minimum=3000,
         place="Đông Anh", cid="vi-toi-thieu"),
    case("Mạ kẽm chi tiết thép, 1,5 triệu cái/năm, KCN Nội Bài, hạn chót 30/06/2027",
         processes={"electroplating"}, per_month=125000, park="noi_bai", deadline=date(2027, 6, 30), cid="vi-trieu"),
    case("Lắp ráp bo mạch PCB, 20.000 bộ/tháng, KCN VSIP Bắc Ninh",
         processes={"electronic_assembly"}, per_month=20000, park="vsip_bac_ninh", cid="vi-vsip"),
    case("Cần nhà cung cấp uy tín ở Hưng Yên", place="Hưng Yên", warns={"nothing"}, cid="vi-nothing"),
    case("Sơn tĩnh điện khung thép, ISO 14001 không bắt buộc, giao mẫu trước 31/01/2027, Thăng Long II",
         processes={"powder_coating"}, preferred={"iso_14001"}, park="thang_long_ii",
         deadline=date(2027, 1, 31), cid="vi-thang-long-ii"),
    # ---- Vietnamese without diacritics
    case("dap kim loai gia do thep, 5000 cai/thang, gan Bac Ninh",
         processes={"stamping"}, per_month=5000, place="Bắc Ninh", cid="vi0-dap"),
    case("ep nhua vo nhua PP 12.000 cai/thang, kcn quang minh, truoc ngay 1/4/2027",
         processes={"injection_moulding"}, per_month=12000, park="quang_minh", deadline=date(2027, 4, 1), cid="vi0-ep"),
    case("duc nhom ap luc, vai tram chiec moi thang, Dong Anh",
         processes={"die_casting"}, place="Đông Anh", warns={"quantity"}, cid="vi0-vai-tram"),
    case("bo day dien, 240.000 cai/nam, KCN Yen Phong, bat buoc IATF 16949",
         processes={"wire_harness"}, per_month=20000, park="yen_phong", mandatory={"iatf_16949"}, cid="vi0-bo-day"),
    case("gia cong CNC, 2000 sp/thang, ISO 99999", processes={"cnc_machining"}, per_month=2000,
         warns={"certificate"}, cid="vi0-cert-unknown"),
    case("han hop thep, 4 tan/thang, Hung Yen", processes={"welding"}, place="Hưng Yên", warns={"unit"}, cid="vi0-tan"),
    # ---- Japanese
    case("アルミダイカスト部品 月2万個 2027年3月末まで ハノイ近郊",
         processes={"die_casting"}, materials={"aluminium"}, per_month=20000, place=HANOI,
         deadline=date(2027, 3, 31), cid="ja-diecast"),
    case("射出成形 PA66 年間24万個 タンロン工業団地", processes={"injection_moulding"}, per_month=20000,
         park="thang_long", cid="ja-injection-tanglong"),
    case("プレス加工 SPCC ブラケット 月産5,000個 IATF16949必須",
         processes={"stamping"}, per_month=5000, mandatory={"iatf_16949"}, cid="ja-press"),
    case("ワイヤーハーネス 数千個/月 バクニン", processes={"wire_harness"}, place="Bắc Ninh",
         warns={"quantity"}, cid="ja-vague"),
    case("切削加工 SUS304 シャフト 5000個/月 2027年6月15日まで ABC工業団地",
         processes={"cnc_machining"}, materials={"stainless_steel"}, per_month=5000,
         deadline=date(2027, 6, 15), warns={"park"}, cid="ja-unknown-park"),
    case("段ボール梱包材 月10トン", processes={"corrugated_cartons|packaging_printing"}, warns={"unit"}, cid="ja-tons"),
    # ---- Korean
    case("사출 성형 월 2만 개 하노이", processes={"injection_moulding"}, per_month=20000, place=HANOI, cid="ko-injection"),
    case("와이어 하네스 연간 24만 개 박닌, 2027년 3월 15일까지",
         processes={"wire_harness"}, per_month=20000, place="Bắc Ninh", deadline=date(2027, 3, 15), cid="ko-harness"),
    case("프레스 가공 수천 개 월", processes={"stamping"}, warns={"quantity"}, cid="ko-vague"),
]


def _concepts(query) -> set[str]:
    """Process and product codes, also by their last part: a wire harness counts whether the
    taxonomy holds it as the process ``wire_harness`` or the product ``electronics.wire_harness``."""
    codes = set(query.processes) | set(query.product_groups)
    return codes | {code.rsplit(".", 1)[-1] for code in codes}


def _kinds(warnings: tuple[str, ...]) -> set[str]:
    kinds = set()
    for text in warnings:
        matched = [kind for kind, phrase in KINDS.items() if phrase in text]
        assert matched, f"a warning of no known kind: {text}"
        kinds.update(matched)
    return kinds


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_need_text_yields_its_facts_and_warnings(text, expected):
    query = parse_need(text)
    concepts = _concepts(query)
    for wanted in expected["processes"] | expected["products"]:  # "a|b": either code will do
        assert concepts & set(wanted.split("|")), (wanted, concepts)
    assert expected["materials"] <= set(query.materials), query.materials
    if expected["per_month"] is None:
        assert math.isnan(query.target_capacity)
    else:
        assert query.target_capacity == pytest.approx(expected["per_month"])
    if expected["minimum"] is None:
        assert math.isnan(query.min_monthly_capacity)
    else:
        assert query.min_monthly_capacity == pytest.approx(expected["minimum"])
    assert query.park_id == (expected["park"] or "")
    if expected["place"] is not None:
        assert query.place is not None and query.place.name_vi.startswith(expected["place"]), query.place
        assert not (math.isnan(query.lat) or math.isnan(query.lon))
    elif expected["park"] is None:
        assert query.place is None and math.isnan(query.lat), query.place
    assert set(query.mandatory_certifications) == expected["mandatory"]
    assert set(query.preferred_certifications) == expected["preferred"]
    assert query.deadline == expected["deadline"]
    assert _kinds(query.warnings) == expected["warns"], query.warnings


def test_cases_are_enough_and_in_every_language():
    ids = [param.id for param in CASES]
    assert len(ids) >= 40 and len(set(ids)) == len(ids)
    for prefix, at_least in (("en-", 10), ("vi-", 8), ("vi0-", 5), ("ja-", 5), ("ko-", 3)):
        assert sum(i.startswith(prefix) for i in ids) >= at_least, prefix


def test_warnings_are_bilingual_and_name_the_phrase():
    query = parse_need("ép nhựa, vài nghìn chiếc mỗi tháng, KCN Xyz")
    quantity = next(w for w in query.warnings if KINDS["quantity"] in w)
    assert "Không đọc được số lượng 'vài nghìn chiếc mỗi tháng'" in quantity
    park = next(w for w in query.warnings if KINDS["park"] in w)
    assert "'KCN Xyz'" in park and "Thăng Long" in park and "Nội Bài" in park  # the known parks


def test_structured_fields_win_over_the_text():
    query = parse_need({"description": "dập thép 5.000 cái/tháng, gần Bắc Ninh, trước 15/3/2027",
                        "min_monthly_capacity": 800, "park_id": "noi_bai", "deadline": "2027-05-01"})
    assert query.min_monthly_capacity == 800 and query.target_capacity == 800
    assert query.park_id == "noi_bai" and math.isnan(query.lat)
    assert query.deadline == date(2027, 5, 1)
    assert query.quantities[0].per_month == 5000  # still reported


def test_structured_deadline_must_be_a_date():
    from matching.exceptions import NeedError

    with pytest.raises(NeedError, match="expected 'deadline' as a date"):
        parse_need({"description": "ép nhựa", "deadline": "soon"})


def test_understood_is_json_with_labels_numbers_and_the_park():
    query = parse_need("stamped steel brackets, IATF 16949 required, ISO 14001 preferred, "
                       "20,000 pcs/month, near Thang Long IP, by 15/03/2027")
    facts = json.loads(json.dumps(understood(query), ensure_ascii=False))
    stamping = next(p for p in facts["processes"] if p["code"] == "stamping")
    assert stamping["vi"] and stamping["en"]
    assert facts["quantity"] == {"per_month": 20000.0, "text": "20,000 pcs/month", "amount": 20000.0,
                                 "unit": "pcs", "period": "month", "minimum": False}
    assert facts["place"]["park_id"] == "thang_long" and facts["place"]["lat"] == pytest.approx(21.12)
    assert [c["code"] for c in facts["certifications"]["mandatory"]] == ["iatf_16949"]
    assert [c["code"] for c in facts["certifications"]["preferred"]] == ["iso_14001"]
    assert facts["deadline"] == "2027-03-15" and facts["warnings"] == []


def test_understood_of_a_district_gives_its_coordinates():
    facts = understood(parse_need("ép nhựa 5000 cái/tháng, Đông Anh"))
    assert facts["place"]["park_id"] is None and facts["place"]["name_vi"].startswith("Đông Anh")
    assert 20.9 < facts["place"]["lat"] < 21.3


def test_cli_match_json_carries_what_was_understood(tmp_path):
    from typer.testing import CliRunner

    from api.cli import app

    firms = tmp_path / "firms.csv"
    firms.write_text(
        "firm_id,name,description\n"
        "acme-01,Acme Stamping,Dập kim loại thép tấm SPCC 30.000 cái/tháng\n"
        "beta-02,Beta Plastics,Ép nhựa ABS PP\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["match", "--firms", str(firms), "--need",
                                      "stamped steel brackets, 20,000 pcs/month, near Thang Long IP, KCN Xyz",
                                      "--format", "json", "--no-geocode", "--top", "2"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert {"understood", "results"} <= set(out)
    assert out["understood"]["quantity"]["per_month"] == 20000.0
    assert out["understood"]["place"]["park_id"] == "thang_long"
    assert any("KCN Xyz" in w for w in out["understood"]["warnings"])
    assert [r["firm_id"] for r in out["results"]][0] == "acme-01"


@pytest.mark.parametrize(
    ("text", "context", "kept"),
    [
        # the marker before the application (en, vi) ...
        ("Iron castings for electric motors", {"electronics.motors"}, "sand_casting"),
        ("Brackets for motorcycles, stamped steel", {"automotive"}, "mechanical.brackets_frames"),
        ("linh kien nhua cho xe may", {"automotive"}, "mechanical.plastic_injection_parts"),
        # ... and after it (ja, ko)
        ("자동차용 프레스 부품", {"automotive"}, "stamping"),
        # a role noun before "for" introduces the need itself, and one code alone is the need
        ("EMS partner for SMT assembly", set(), "smt_assembly"),
        ("Supplier for plastic parts", set(), "mechanical.plastic_injection_parts"),
    ],
)
def test_what_a_part_is_for_is_context_not_the_part(text, context, kept):
    need = parse_need(text)
    assert set(need.context) == context
    assert kept not in need.context
    assert kept in (*need.processes, *need.product_groups)


def test_the_word_channel_does_not_compare_the_place_and_the_quantity():
    need = parse_need("vỏ nhôm CNC cho camera, 5.000 cái/tháng, gần KCN Thăng Long")
    assert need.park_id == "thang_long" and need.target_capacity == 5000
    assert "Thăng Long" not in need.words and "5.000" not in need.words
    assert "vỏ nhôm CNC" in need.words and need.text.endswith("Thăng Long")  # the text stays as written


@pytest.mark.parametrize(("text", "kept", "ruled_out"), [
    ("metal stamping SPCC, no die casting", "stamping", "die_casting"),
    ("stamped brackets, not painted", "stamping", "painting"),
    ("CNC machining, no CNC turning", "cnc_machining", "cnc_turning"),
    ("dập kim loại SPCC, không cần đúc áp lực", "stamping", "die_casting"),
    ("dap kim loai, khong can duc ap luc", "stamping", "die_casting"),
    ("ép nhựa ABS, không nhận sơn phủ", "injection_moulding", "painting"),
    ("プレス加工 SPCC ブラケット、ダイカスト不可。", "stamping", "die_casting"),
    ("プレス加工、ダイカストは不要", "stamping", "die_casting"),
    ("프레스 가공, 다이캐스팅 불가", "stamping", "die_casting"),
])
def test_what_the_need_rules_out_is_not_searched_for(text, kept, ruled_out):
    """A process the buyer rules out ("no die casting", "không cần đúc", "ダイカスト不可",
    "다이캐스팅 불가") is neither a wanted code nor a word of the word channel, and a warning
    says it was left out; the rest of the need stands."""
    query = parse_need(text)
    assert kept in query.processes and ruled_out not in query.processes, query.processes
    assert _kinds(query.warnings) == {"ruled_out"}, query.warnings
    assert query.words is not None and "die casting" not in query.words and "ダイカスト" not in query.words


@pytest.mark.parametrize("text", ["thép không gỉ SUS304, gia công CNC", "thep khong gi, tien CNC",
                                  "part no. 123, metal stamping", "ép nhựa, không gian nhà xưởng 2.000 m2"])
def test_words_that_only_look_like_a_negation_rule_nothing_out(text):
    """"Không gỉ" is stainless, "part no." a number, "không gian" space: nothing is ruled out."""
    query = parse_need(text)
    assert query.processes and not any(KINDS["ruled_out"] in w for w in query.warnings), query.warnings
