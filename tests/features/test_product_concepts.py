"""Tests of the finer product concepts (features/data/taxonomy/products_*.yaml).

Every concept carries labels in four languages, aliases with and without diacritics, a parent
chain that ends in a sector, and is found by the capability scanner in running text written
in Vietnamese (with and without diacritics), English, Japanese and Korean.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
import yaml

from features.capabilities import extract_capabilities
from features.taxonomy import alias_key, load_taxonomy
from features.text import fold

TAXONOMY_DIR = Path(__file__).resolve().parents[2] / "features" / "data" / "taxonomy"
CONCEPT_FILES = (
    "products_electrical_electronics.yaml",
    "products_materials_mechanical.yaml",
    "products_hightech_services.yaml",
)
_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_HANGUL = re.compile(r"[\uac00-\ud7af]")
_VI_MARKS = re.compile(r"[\u0300-\u0309\u0323\u031b]|đ", re.IGNORECASE)


def _raw_concepts() -> list[dict]:
    out = []
    for name in CONCEPT_FILES:
        doc = yaml.safe_load((TAXONOMY_DIR / name).read_text(encoding="utf-8"))
        assert doc["kind"] == "product_group", name
        out.extend(doc["terms"])
    return out


RAW = _raw_concepts()
CODES = [raw["code"] for raw in RAW]
CROSS_SECTOR = {"packaging", "chemicals", "services", "logistics"}


@pytest.fixture(scope="module")
def tax():
    return load_taxonomy()


def codes(text: str) -> list[str]:
    return [c.code for c in extract_capabilities(text)]


def _vietnamese_marked(alias: str) -> bool:
    return bool(_VI_MARKS.search(unicodedata.normalize("NFD", alias)))


# --- the data ------------------------------------------------------------------------------


def test_there_are_over_a_hundred_concepts_in_the_files():
    assert 120 <= len(RAW) <= 180
    assert len(set(CODES)) == len(CODES)


@pytest.mark.parametrize("code", CODES)
def test_every_concept_is_well_formed(tax, code):
    term = tax.get(code)
    assert term.kind == "product_group"
    prefix, _, concept = code.partition(".")
    assert re.fullmatch(r"[a-z0-9_]+", concept), code
    # four labels, each in its own script
    assert term.label_vi and term.label_en and term.label_ja and term.label_ko, code
    assert _JAPANESE.search(term.label_ja), (code, term.label_ja)
    assert _HANGUL.search(term.label_ko), (code, term.label_ko)
    assert term.label("ko") == term.label_ko
    assert term.label_en.isascii(), (code, term.label_en)
    chain = tax.ancestors(code)
    assert all(tax.get(c).kind in {"product_group", "sector"} for c in chain), (code, chain)
    if prefix in CROSS_SECTOR:
        # packaging, chemicals, services, logistics serve every sector and belong to none
        root = chain[-1] if chain else code
        assert root.startswith(prefix + ".") and tax.get(root).parent is None, (code, chain)
        assert not term.sectors and not any(tax.get(c).kind == "sector" for c in chain), code
    else:
        # a parent chain that ends in the sector its code names, and that sector alone
        assert tax.get(prefix).kind == "sector", f"{code}: prefix {prefix!r} is not a sector code"
        assert term.parent is not None, code
        assert chain[-1] == prefix, (code, chain)
        assert term.sectors == (prefix,), (code, term.sectors)


@pytest.mark.parametrize("code", CODES)
def test_every_concept_has_aliases_in_every_language(tax, code):
    aliases = tax.get(code).aliases
    assert len(aliases) >= 8, code
    marked = [a for a in aliases if _vietnamese_marked(a)]
    assert marked, f"{code}: no Vietnamese alias with diacritics"
    # The spelling typed on a phone, without diacritics, is listed next to a marked one.
    unmarked = {a for a in aliases if a.isascii()}
    assert any(fold(a) in unmarked for a in marked), f"{code}: no alias without diacritics"
    english = [a for a in aliases if a.isascii() and a != fold(a) or re.fullmatch(r"[a-z0-9 /\-]+", a)]
    assert english, f"{code}: no English alias"
    assert any(_JAPANESE.search(a) for a in aliases), f"{code}: no Japanese alias"
    assert any(_HANGUL.search(a) for a in aliases), f"{code}: no Korean alias"


def test_both_tone_placements_are_listed_where_they_occur():
    """hóa/hoá, thủy/thuỷ: where a concept lists one placement of oa/oe/uy it lists both."""
    old_style = re.compile(r"(?i)(?<![q])([ou])([\u0300\u0301\u0303\u0309\u0323])([aey])(?![^\W\d_])")
    missing = []
    for raw in RAW:
        aliases = {unicodedata.normalize("NFC", str(a)) for a in raw["aliases"]}
        for alias in aliases:
            nfd = unicodedata.normalize("NFD", alias)
            if old_style.search(nfd):
                moved = unicodedata.normalize("NFC", old_style.sub(r"\1\3\2", nfd))
                if moved not in aliases:
                    missing.append((raw["code"], alias, moved))
    assert missing == []


def test_classification_codes_and_implied_codes_exist(tax):
    for raw in RAW:
        for vsic in raw.get("vsic", []):
            assert re.fullmatch(r"\d{4}", vsic), (raw["code"], vsic)
        for hs in raw.get("hs", []):
            assert re.fullmatch(r"\d{2}|\d{4}", hs), (raw["code"], hs)
        for process in raw.get("made_by", []):
            assert tax.get(process).kind == "process", (raw["code"], process)
        if "same_as" in raw:
            assert raw["same_as"] in raw.get("made_by", []), raw["code"]


def test_no_alias_is_a_bare_generic_word():
    generic = {"parts", "part", "linh kien", "san pham", "phu kien", "部品", "製品", "부품", "제품"}
    for raw in RAW:
        for alias in raw["aliases"]:
            assert alias_key(alias) not in generic, (raw["code"], alias)


def test_a_concept_wins_the_names_of_its_ancestors_in_precedence(tax):
    """Where a concept and one of its ancestors claim a name, the concept wins: the ancestor
    is still reached through it."""
    mine = set(CODES)
    for amb in tax.ambiguities():
        claimants = set(amb.codes)
        if not claimants & mine:
            continue
        if all(c == amb.winner or c in tax.ancestors(amb.winner) for c in claimants):
            assert amb.winner in mine, amb
    assert tax.resolve("khóa kéo") == "textile_garment.zippers"
    assert tax.resolve("vòng bi") == "mechanical.bearings_bushings"
    assert tax.resolve("医療機器") == "high_tech.medical_devices"


def test_names_owned_by_processes_stay_with_the_process(tax):
    assert tax.resolve("bu lông") == "fastener_making"
    assert tax.resolve("wire harness") == "wire_harness"
    assert tax.resolve("thùng carton") == "packaging_printing"
    assert tax.resolve("khuôn dập") == "mould_making"


@pytest.mark.parametrize("word", ["packaging", "packaging materials", "bao bì", "bao bi", "梱包", "包装", "梱包材", "포장", "포장재"])
def test_packaging_alone_is_the_packaging_family_not_printing(tax, word):
    """"Packaging" says what is bought (films, bags, pallets, cartons), not that it is printed:
    a film or pallet maker must not be read as a printer."""
    assert tax.resolve(word) == "packaging.industrial_packaging"
    assert "packaging_printing" not in codes(f"We supply {word} for electronics plants" if word.isascii() else word)


@pytest.mark.parametrize("words", ["in bao bì", "packaging printing", "in flexo", "段ボール", "포장인쇄"])
def test_printed_packaging_stays_with_the_printing_process(tax, words):
    assert "packaging_printing" in codes(words)


# --- the scanner finds them in running text -----------------------------------------------

PHRASES = [
    # leaf springs
    ("Cần nhà cung cấp nhíp xe tải cho dây chuyền lắp ráp", "mechanical.leaf_springs"),
    ("can nha cung cap la nhip xe tai", "mechanical.leaf_springs"),
    ("トラック用の重ね板ばねの調達先を探しています", "mechanical.leaf_springs"),
    ("트럭용 판스프링 공급업체", "mechanical.leaf_springs"),
    # corrugated cartons
    ("Thùng carton 5 lớp in flexo cho hàng điện tử", "packaging.corrugated_cartons"),
    ("thung carton 5 lop dong hang xuat khau", "packaging.corrugated_cartons"),
    ("corrugated cartons for export shipments", "packaging.corrugated_cartons"),
    ("輸出用の段ボール箱を月1万箱", "packaging.corrugated_cartons"),
    ("골판지 박스 납품 가능 업체", "packaging.corrugated_cartons"),
    # power cables
    ("Cáp điện hạ thế CXV 4 lõi", "electronics.power_cables"),
    ("cap trung the 22kV cho nha may", "electronics.power_cables"),
    ("低圧ケーブルの供給", "electronics.power_cables"),
    ("LV cables and building wires", "electronics.power_cables"),
    # PET preforms
    ("PET preforms 28 mm neck, 20 g", "packaging.pet_preforms_bottles"),
    ("Sản xuất phôi PET và nắp chai", "packaging.pet_preforms_bottles"),
    ("プリフォームの成形", "packaging.pet_preforms_bottles"),
    # zippers
    ("zippers for outdoor jackets", "textile_garment.zippers"),
    ("dây khoá kéo nylon số 5", "textile_garment.zippers"),
    ("day khoa keo nylon", "textile_garment.zippers"),
    ("スライドファスナーの調達", "textile_garment.zippers"),
    ("지퍼 공급 업체", "textile_garment.zippers"),
    # technical rubber parts
    ("Gioăng làm kín cho máy bơm", "mechanical.gaskets_seals"),
    ("O-rings in NBR 70 Shore A", "mechanical.o_rings"),
    ("Oリングとオイルシール", "mechanical.o_rings"),
    ("cao su chống rung cho động cơ", "mechanical.rubber_metal_parts"),
    ("防振ゴムの量産", "mechanical.rubber_metal_parts"),
    ("hydraulic hoses with fittings", "mechanical.hoses"),
    # FA equipment
    ("Thiết kế máy tự động theo yêu cầu khách hàng", "high_tech.fa_equipment"),
    ("FA設備の設計・製作", "high_tech.fa_equipment"),
    ("자동화 설비 제작", "high_tech.fa_equipment"),
    ("custom machines and special purpose machines", "high_tech.fa_equipment"),
    # PCB and PCBA
    ("bo mạch điện tử cho máy giặt", "electronics.pcb_assembly"),
    ("実装基板の調達", "electronics.pcb_assembly"),
    ("bare PCBs, 4 layers", "electronics.pcb_bare_board"),
    ("生基板の手配", "electronics.pcb_bare_board"),
    # wire harness products
    ("automotive wire harness for pickups", "electronics.wire_harness"),
    ("車載ハーネスの組立", "electronics.wire_harness"),
    ("자동차 하네스 공급", "electronics.wire_harness"),
    ("Bó dây điện ô tô", "electronics.wire_harness"),
    # electrical and electronic components
    ("động cơ bước cho máy in", "electronics.motors"),
    ("ステッピングモーター", "electronics.motors"),
    ("cảm biến nhiệt độ", "electronics.sensors"),
    ("温度センサーの供給", "electronics.sensors"),
    ("tủ điện công nghiệp", "electronics.switchgear_panels"),
    ("tu dien cong nghiep", "electronics.switchgear_panels"),
    ("制御盤の製作", "electronics.switchgear_panels"),
    ("giắc cắm và đầu cốt", "electronics.connectors_terminals"),
    ("圧着端子", "electronics.connectors_terminals"),
    # semiconductors, software
    ("thiết kế vi mạch", "high_tech.ic_design"),
    ("반도체 설계 인력", "high_tech.ic_design"),
    ("phần mềm nhúng cho thiết bị IoT", "high_tech.embedded_software"),
    ("組込みソフトウェア開発", "high_tech.embedded_software"),
    # moulds
    ("khuôn ép nhựa cho vỏ tivi", "mechanical.injection_moulds"),
    ("射出金型の製作", "mechanical.injection_moulds"),
    ("khuôn dập liên hoàn", "mechanical.press_dies"),
    ("順送金型", "mechanical.press_dies"),
    # packaging
    ("túi nilon và túi zip", "packaging.plastic_bags"),
    ("ポリ袋", "packaging.plastic_bags"),
    ("bao jumbo 1 tấn", "packaging.woven_bags_fibc"),
    ("FIBC jumbo bags", "packaging.woven_bags_fibc"),
    ("フレコンバッグ", "packaging.woven_bags_fibc"),
    ("pallet gỗ hun trùng", "packaging.pallets"),
    ("木製パレット", "packaging.pallets"),
    # vehicle parts
    ("má phanh xe máy", "automotive.brake_parts"),
    ("マフラーの溶接", "automotive.exhaust_systems"),
    ("gương chiếu hậu", "automotive.mirrors"),
    # services and logistics
    ("hiệu chuẩn thiết bị đo", "services.calibration"),
    ("計測器校正", "services.calibration"),
    ("kho ngoại quan gần KCN Quang Minh", "logistics.warehousing"),
    ("通関と輸送", "logistics.freight_transport"),
    # garment and footwear inputs
    ("gia công mũ giày", "leather_footwear.shoe_uppers"),
    ("chỉ may công nghiệp", "textile_garment.sewing_thread"),
    ("băng keo hai mặt", "chemicals.adhesives_tapes"),
]


@pytest.mark.parametrize(("text", "expected"), PHRASES)
def test_phrases_in_every_language_find_their_concept(text, expected):
    found = codes(text)
    assert expected in found, found


@pytest.mark.parametrize(
    ("code", "phrases"),
    [
        ("textile_garment.zippers", ["khóa kéo", "khoa keo", "khoá kéo", "zippers", "ファスナー", "지퍼", "拉链"]),
        ("mechanical.leaf_springs", ["nhíp xe", "nhip xe", "parabolic springs",
                                     "板ばね", "판스프링", "钢板弹簧"]),
        ("packaging.corrugated_cartons", ["thùng carton sóng", "thung carton song", "corrugated cartons",
                                           "段ボール箱", "골판지 박스", "瓦楞纸箱"]),
        ("electronics.power_cables", ["cáp hạ thế", "cap ha the", "LV cable", "低圧ケーブル", "저압케이블", "电力电缆"]),
    ],
)
def test_one_concept_across_languages(code, phrases):
    for phrase in phrases:
        assert code in codes(phrase), (phrase, codes(phrase))


def test_concepts_bring_their_ancestors(tax):
    assert tax.ancestors("electronics.wire_harness") == ["electronics.electronic_components", "electronics"]
    assert tax.ancestors("mechanical.o_rings") == [
        "mechanical.technical_rubber_parts",
        "mechanical.plastic_rubber_products",
        "mechanical",
    ]
    assert "packaging.corrugated_cartons" in tax.descendants("packaging.industrial_packaging")


@pytest.mark.parametrize(
    "text",
    [
        "đi công tác Hàn Quốc",  # công tác (business trip), not công tắc (switch)
        "di cong tac",
        "hồ sơ đầy đủ",  # đầy đủ (complete), not dây dù (webbing)
        "nhịp độ sản xuất ổn định",  # nhịp (pace), not nhíp (leaf spring)
        "vai trò của nhà cung cấp",
        "the role of suppliers",
    ],
)
def test_look_alikes_give_no_product_concept(text):
    mine = set(CODES)
    assert not mine & set(codes(text)), codes(text)


# --- prose as firms and buyers write it: generic names, high-tech parks, services ------------

PROSE = [
    # generic names of existing concepts, four languages
    ("The company produces automatic devices for offices and factories", {"high_tech.automation_robotics"}),
    ("We make industrial machines and spare parts", {"mechanical.machinery_equipment"}),
    ("supplier of precision mechanical components for printers", {"mechanical.machine_parts"}),
    ("metal parts and plastic parts for home appliances",
     {"mechanical.machine_parts", "mechanical.plastic_injection_parts"}),
    ("manufacturer of electric wires and cables", {"cable_manufacturing"}),
    ("electric wires for residential buildings", {"electronics.power_cables"}),
    ("当社は精密部品の加工を行っている", {"mechanical.machine_parts"}),
    ("精密金属加工を中心に事業を展開", {"mechanical"}),
    ("省力化機械・治工具の設計製作", {"high_tech.fa_equipment", "mechanical.jigs_fixtures",
                                    "services.design_engineering"}),
    ("樹脂部品の成形と組立", {"mechanical.plastic_injection_parts"}),
    ("電線・ケーブルの製造販売", {"cable_manufacturing"}),
    ("정밀부품 및 사출품 생산", {"mechanical.machine_parts", "mechanical.plastic_injection_parts"}),
    ("산업용 기계 부품 제조", {"mechanical.machinery_equipment"}),
    ("자동화 장비 제작 전문 기업", {"high_tech.fa_equipment"}),
    ("Chuyên gia công chi tiết kim loại, linh kiện cơ khí chính xác", {"mechanical.machine_parts"}),
    ("chuyen gia cong chi tiet kim loai", {"mechanical.machine_parts"}),
    ("Sản xuất máy móc công nghiệp và thiết bị tự động",
     {"mechanical.machinery_equipment", "high_tech.automation_robotics"}),
    ("san xuat may moc cong nghiep", {"mechanical.machinery_equipment"}),
    ("Công ty chuyên thiết kế chế tạo khuôn mẫu chính xác", {"mould_making"}),
    # biotech and pharmaceuticals
    ("Công ty sản xuất vắc xin và sinh phẩm y tế", {"high_tech.vaccines_biologics"}),
    ("vaccine production and biologics fill-finish", {"high_tech.vaccines_biologics"}),
    ("bo kit xet nghiem nhanh cho benh vien", {"high_tech.diagnostic_kits"}),
    ("体外診断薬と検査キットの開発", {"high_tech.diagnostic_kits"}),
    ("医薬品の製造販売", {"high_tech.pharmaceuticals"}),
    ("바이오의약품 및 백신 연구개발", {"high_tech.vaccines_biologics", "services.research_development"}),
    # energy
    ("Lắp đặt điện mặt trời áp mái cho nhà xưởng", {"high_tech.solar_pv"}),
    ("rooftop solar installation for factories", {"high_tech.solar_pv"}),
    ("太陽光パネルと蓄電システムの販売", {"high_tech.solar_pv", "high_tech.energy_storage"}),
    ("태양광 모듈 설치", {"high_tech.solar_pv"}),
    # environment, gases, people
    ("Thiết kế, thi công hệ thống xử lý nước thải công nghiệp", {"services.wastewater_treatment"}),
    ("industrial wastewater treatment plants", {"services.wastewater_treatment"}),
    ("産業廃棄物の収集運搬と処理", {"services.waste_treatment"}),
    ("cung cấp khí công nghiệp oxy, nitơ, argon", {"chemicals.industrial_gases"}),
    ("산업용 가스 공급", {"chemicals.industrial_gases"}),
    ("đào tạo nghề và cung ứng lao động cho các KCN", {"services.workforce_training"}),
    ("人材派遣サービス", {"services.workforce_training"}),
    # IT and telecom
    ("data centre and cloud hosting services", {"high_tech.data_centres_cloud"}),
    ("giải pháp an ninh mạng cho doanh nghiệp", {"high_tech.cybersecurity"}),
    ("thi công cáp quang và trạm BTS", {"services.telecom_infrastructure"}),
    ("sản xuất thẻ thông minh", {"electronics.smart_cards"}),
    ("ICカードの製造", {"electronics.smart_cards"}),
    # design, R&D, laboratories
    ("機械設計と製作", {"services.design_engineering"}),
    ("product design and engineering services", {"services.design_engineering"}),
    ("Trung tâm R&D về vật liệu mới", {"services.research_development"}),
    ("phòng thử nghiệm đạt chuẩn VILAS", {"services.testing_laboratories"}),
    ("受託分析サービス", {"services.testing_laboratories"}),
]


@pytest.mark.parametrize(("text", "expected"), PROSE)
def test_prose_reaches_its_concepts(text, expected):
    found = set(codes(text))
    assert expected <= found, (sorted(expected - found), found)


@pytest.mark.parametrize(
    ("text", "not_expected"),
    [
        ("machined housings", {"mechanical"}),
        ("we run 40 machines", {"cnc_machining"}),
        ("cable ties and cable trays", {"cable_manufacturing"}),
        ("Sản phẩm được thiết kế hiện đại", {"services.design_engineering"}),
        ("san pham duoc thiet ke hien dai", {"services.design_engineering"}),
        ("cong ty duoc thanh lap nam 2005", {"high_tech.pharmaceuticals"}),
        ("nhà máy được xây dựng năm 2010", {"high_tech.pharmaceuticals"}),
        ("the chip packaging line", {"electronics.smart_cards"}),
        ("có thể tự động hóa", {"electronics.smart_cards"}),
        ("nhựa tái chế", {"services.waste_treatment"}),
        ("ABCエンジニアリング株式会社", {"services.design_engineering"}),
        ("pin sạc lithium", {"high_tech.solar_pv"}),
    ],
)
def test_look_alikes_do_not_give_the_concept(text, not_expected):
    assert not not_expected & set(codes(text)), codes(text)


@pytest.mark.parametrize(
    ("product", "processes"),
    [
        ("electronics.power_cables", {"cable_manufacturing"}),
        ("electronics.pcb_assembly", {"electronic_assembly", "smt_assembly"}),
        ("mechanical.leaf_springs", {"spring_making"}),
        ("mechanical.coil_springs", {"spring_making"}),
        ("mechanical.screws", {"fastener_making"}),
        ("mechanical.bolts_nuts", {"fastener_making"}),
        ("mechanical.injection_moulds", {"mould_making"}),
        ("mechanical.press_dies", {"mould_making"}),
        ("packaging.corrugated_cartons", {"packaging_printing"}),
        ("textile_garment.fabrics", {"weaving", "knitting"}),
        ("mechanical.o_rings", {"rubber_moulding"}),
        ("mechanical.castings_forgings", {"casting", "forging"}),
        ("services.testing_laboratories", {"inspection_testing"}),
    ],
)
def test_products_name_the_processes_that_make_them(product, processes):
    raw = {r["code"]: r for r in RAW}
    if product not in raw:  # a broad group of product_groups.yaml
        path = TAXONOMY_DIR / "product_groups.yaml"
        raw = {r["code"]: r for r in yaml.safe_load(path.read_text(encoding="utf-8"))["terms"]}
    assert processes <= set(raw[product].get("made_by", [])), product


# --- made_of: the material a product or process implies -------------------------------------


@pytest.mark.parametrize(
    ("code", "materials"),
    [
        # rubber products and the rubber trade
        ("mechanical.technical_rubber_parts", {"rubber"}),
        ("mechanical.gaskets_seals", {"rubber"}),
        ("mechanical.o_rings", {"rubber"}),
        ("mechanical.rubber_metal_parts", {"rubber"}),
        ("mechanical.hoses", {"rubber"}),
        ("mechanical.belts", {"rubber"}),
        ("automotive.tyres_tubes", {"rubber"}),
        ("rubber_moulding", {"rubber"}),
        # plastics
        ("mechanical.plastic_injection_parts", {"plastic"}),
        ("mechanical.plastic_containers_trays", {"plastic"}),
        ("injection_moulding", {"plastic"}),
        ("blow_moulding", {"plastic"}),
        ("thermoforming", {"plastic"}),
        ("packaging.plastic_films", {"pe"}),
        ("packaging.plastic_bags", {"plastic"}),
        ("packaging.flexible_packaging", {"plastic"}),
        ("packaging.woven_bags_fibc", {"pp"}),
        ("packaging.pet_preforms_bottles", {"pet"}),
        ("packaging.protective_foam", {"foam"}),
        # paper
        ("packaging.corrugated_cartons", {"paperboard"}),
        ("packaging.paper_packaging", {"paperboard"}),
        # copper and laminate
        ("electronics.power_cables", {"copper", "copper_wire"}),
        ("cable_manufacturing", {"copper", "copper_wire"}),
        ("electronics.pcb_bare_board", {"pcb_laminate"}),
        ("pcb_fabrication", {"pcb_laminate"}),  # pcb_bare_board stands for it (same_as)
        # metals
        ("mechanical.steel_structures", {"carbon_steel"}),
        ("mechanical.brackets_frames", {"carbon_steel"}),
        ("mechanical.bolts_nuts", {"carbon_steel"}),
        ("mechanical.screws", {"carbon_steel"}),
        ("mechanical.leaf_springs", {"carbon_steel"}),
        ("mechanical.coil_springs", {"carbon_steel"}),
        ("mechanical.shafts", {"carbon_steel"}),
        ("die_casting", {"aluminium"}),
        ("anodizing", {"aluminium"}),
        ("mechanical.injection_moulds", {"tool_steel"}),
        ("mechanical.press_dies", {"tool_steel"}),
        ("mechanical.die_casting_dies", {"tool_steel"}),
        ("mould_making", {"tool_steel"}),
        # leather and textiles
        ("leather_footwear.leather_goods", {"leather"}),
        ("leather_footwear.hides_leather_fabric", {"leather"}),
        ("leather_tanning", {"leather"}),
        ("textile_garment.sewing_thread", {"polyester"}),
    ],
)
def test_products_and_processes_imply_their_material(tax, code, materials):
    made_of = set(tax.get(code).attrs["made_of"])
    assert made_of == materials, code
    assert all(tax.get(m).kind == "material" for m in made_of), code


@pytest.mark.parametrize(
    "code",
    [
        # of mixed material: no firm-wide implication
        "mechanical.plastic_rubber_products", "mechanical.rollers", "mechanical.pipes_tubes",
        "mechanical.gears_sprockets", "mechanical.bearings_bushings", "packaging.pallets",
        "textile_garment.fabrics", "textile_garment.yarn", "mechanical.castings_forgings",
        "electronics.mechanical_plastic_parts", "mechanical.electrical_enclosures",
        "sand_casting", "stamping", "extrusion", "shoe_sole_moulding", "packaging_printing",
    ],
)
def test_concepts_of_mixed_material_imply_none(tax, code):
    assert not tax.get(code).attrs.get("made_of"), code



# --- product names that processes used to own --------------------------------------------------


@pytest.mark.parametrize(
    ("text", "product", "process"),
    [
        # rubber products name the product; the product is made by rubber moulding
        ("sản phẩm cao su kỹ thuật", "mechanical.technical_rubber_parts", "rubber_moulding"),
        ("san pham cao su ky thuat", "mechanical.technical_rubber_parts", "rubber_moulding"),
        ("Sản phẩm cao su cho xe máy", "mechanical.technical_rubber_parts", "rubber_moulding"),
        ("san pham cao su", "mechanical.technical_rubber_parts", "rubber_moulding"),
        ("rubber parts for washing machines", "mechanical.technical_rubber_parts", "rubber_moulding"),
        ("rubber products", "mechanical.technical_rubber_parts", "rubber_moulding"),
        ("ゴム部品の量産", "mechanical.technical_rubber_parts", "rubber_moulding"),
        ("ゴム製品", "mechanical.technical_rubber_parts", "rubber_moulding"),
        ("고무부품 생산", "mechanical.technical_rubber_parts", "rubber_moulding"),
        ("고무 부품", "mechanical.technical_rubber_parts", "rubber_moulding"),
        ("고무제품", "mechanical.technical_rubber_parts", "rubber_moulding"),
        # moulded plastic parts name the product; injection moulding makes it
        ("linh kiện nhựa ép cho điều hòa", "mechanical.plastic_injection_parts", "injection_moulding"),
        ("linh kien nhua ep", "mechanical.plastic_injection_parts", "injection_moulding"),
        ("injection moulded parts", "mechanical.plastic_injection_parts", "injection_moulding"),
        ("injection molded parts for printers", "mechanical.plastic_injection_parts", "injection_moulding"),
        ("moulded parts", "mechanical.plastic_injection_parts", "injection_moulding"),
        ("成形品の外観検査", "mechanical.plastic_injection_parts", "injection_moulding"),
        ("사출품 납품", "mechanical.plastic_injection_parts", "injection_moulding"),
        # mould parts name the mould components
        ("金型部品の加工", "mechanical.mould_components", "mould_making"),
    ],
)
def test_product_names_find_the_product_made_by_the_process(tax, text, product, process):
    found = codes(text)
    assert product in found, found
    assert process not in found, found  # the product is the name; the process comes through made_by
    assert process in tax.get(product).attrs["made_by"], product


@pytest.mark.parametrize(
    ("text", "process"),
    [
        ("ép cao su", "rubber_moulding"),
        ("lưu hóa cao su", "rubber_moulding"),
        ("ゴム成形", "rubber_moulding"),
        ("고무성형", "rubber_moulding"),
        ("ép nhựa", "injection_moulding"),
        ("injection moulded", "injection_moulding"),
        ("射出成形", "injection_moulding"),
        ("사출", "injection_moulding"),
        ("金型製作", "mould_making"),
    ],
)
def test_process_names_stay_with_the_process(text, process):
    assert process in codes(text), codes(text)


def test_plastic_and_rubber_products_parent_keeps_the_mixed_names(tax):
    assert tax.resolve("plastic and rubber products") == "mechanical.plastic_rubber_products"
    assert tax.resolve("sản phẩm nhựa") == "mechanical.plastic_rubber_products"
    assert tax.resolve("ゴム製品") == "mechanical.technical_rubber_parts"


# --- salience: steps that qualify what is made weigh half ------------------------------------


def test_steps_that_qualify_a_need_weigh_half_and_products_weigh_whole(tax):
    qualifiers = {"mechanical_assembly", "inspection_testing", "cmm_inspection", "prototyping",
                  "services.design_engineering"}
    for code in qualifiers:
        assert tax.get(code).attrs["salience"] == 0.5, code
    # CMM inspection is a kind of inspection: it qualifies a need as its parent does
    assert tax.get("cmm_inspection").parent == "inspection_testing"
    # a code that names what is made (a product, or a trade that defines it) weighs whole
    lowered = {t.code for t in tax.terms() if t.attrs.get("salience", 1.0) < 1}
    assert qualifiers <= lowered
    assert all(tax.get(c).kind == "process" or c.startswith("services.") for c in lowered), lowered
    for code in ("packaging_printing", "surface_treatment", "heat_treatment",
                 "mechanical.technical_rubber_parts", "packaging.corrugated_cartons"):
        assert "salience" not in tax.get(code).attrs, code
