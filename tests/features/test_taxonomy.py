"""Tests of the taxonomy data files and their loader (features.taxonomy)."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
import yaml

from features.exceptions import CnhtError, TaxonomyError, UnknownCodeError
from features.taxonomy import KINDS, Taxonomy, Term, alias_key, load_taxonomy
from features.text import fold

SECTORS = {
    "textile_garment",
    "leather_footwear",
    "electronics",
    "automotive",
    "mechanical",
    "high_tech",
}
PROCESSES = set(
    """cnc_machining cnc_turning cnc_milling injection_moulding stamping die_casting sand_casting
    investment_casting forging sheet_metal laser_cutting bending welding heat_treatment
    electroplating anodizing powder_coating painting mould_making edm grinding polishing
    smt_assembly pcb_fabrication electronic_assembly wire_harness cable_manufacturing
    coil_winding rubber_moulding extrusion blow_moulding additive_manufacturing gear_cutting
    fastener_making spring_making mechanical_assembly cmm_inspection spinning weaving knitting
    dyeing sewing embroidery label_printing packaging_printing leather_tanning
    shoe_sole_moulding pad_printing
    casting surface_treatment inspection_testing printing
    thermoforming metal_spinning powder_metallurgy prototyping""".split()
)
MATERIALS = set(
    """carbon_steel alloy_steel stainless_steel tool_steel cast_iron aluminium zinc_alloy copper
    brass titanium abs pc pa pom pp pe pvc pet pmma tpu silicone rubber epdm pcb_laminate cotton
    polyester nylon_fabric leather synthetic_leather eva_foam paperboard glass
    plastic engineering_plastic pbt pps peek lcp tpe foam galvanised_steel tinplate
    copper_wire""".split()
)
MY_KINDS = ("sector", "product_group", "process", "material")
_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def tax() -> Taxonomy:
    return load_taxonomy()


def _write(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text, encoding="utf-8")


SECTORS_YAML = """
kind: sector
version: "2026.11.1"
terms:
  - {code: mechanical, label_vi: Cơ khí, label_en: Mechanical, label_ja: 機械, aliases: [co khi]}
  - {code: electronics, label_vi: Điện tử, label_en: Electronics, label_ja: 電子}
"""
PROCESSES_YAML = """
kind: process
version: "2026.11.2"
terms:
  - code: electroplating
    label_vi: Mạ điện
    label_en: Electroplating
    label_ja: めっき
    aliases: [mạ, mạ kẽm]
    sectors: [mechanical]
  - code: mould_making
    label_vi: Làm khuôn
    label_en: Mould making
    label_ja: 金型
    aliases: [khuôn, ma]
    parent: electroplating
"""


# --- the shipped data --------------------------------------------------------------------


def test_counts_and_contract_codes(tax):
    assert {t.code for t in tax.terms("sector")} == SECTORS
    assert {t.code for t in tax.terms("process")} == PROCESSES
    assert {t.code for t in tax.terms("material")} == MATERIALS
    assert len(tax.terms("process")) >= 40
    assert len(tax.terms("material")) >= 25


# Families of product concepts that serve every sector and belong to none (products_*.yaml).
CROSS_SECTOR_PREFIXES = {"packaging", "chemicals", "services", "logistics"}


def _broad_group_codes() -> set[str]:
    """The broad groups of product_groups.yaml (the Decree 111/205 lists), read from the file."""
    path = Path(__file__).resolve().parents[2] / "features" / "data" / "taxonomy" / "product_groups.yaml"
    return {raw["code"] for raw in yaml.safe_load(path.read_text(encoding="utf-8"))["terms"]}


def test_product_groups_belong_to_their_sector(tax):
    groups = tax.terms("product_group")
    broad = _broad_group_codes()
    assert broad <= {g.code for g in groups}
    for sector in SECTORS:
        mine = [code for code in broad if code.startswith(sector + ".")]
        assert len(mine) >= 4, f"{sector} has only {len(mine)} product groups"
    for group in groups:
        prefix = group.code.split(".")[0]
        chain = tax.ancestors(group.code)
        if group.code in broad:
            # a broad group hangs directly under the sector its code names
            assert group.parent == prefix, group.code
            assert chain == [prefix], (group.code, chain)
            assert prefix in group.sectors, (group.code, group.sectors)
        elif prefix in CROSS_SECTOR_PREFIXES:
            # packaging, chemicals, services, logistics: a family of their own, no sector
            assert all(code.startswith(prefix + ".") for code in chain), (group.code, chain)
            assert not group.sectors, (group.code, group.sectors)
        else:
            # a product concept -> (coarser concepts ->) a broad group, or a family of the
            # products files where no broad group fits, of the sector its code names -> that
            # sector: never a group of another sector (electronics.x under mechanical.y)
            assert prefix in SECTORS, f"{group.code}: prefix {prefix!r} is not a sector"
            assert chain and chain[-1] == prefix, (group.code, chain)
            assert all(code.startswith(prefix + ".") for code in chain[:-1]), (group.code, chain)
            assert prefix in group.sectors, (group.code, group.sectors)
        if prefix in SECTORS:
            assert group.code in tax.descendants(prefix)


@pytest.mark.parametrize("kind", MY_KINDS)
def test_every_term_has_three_labels_and_aliases(tax, kind):
    for term in tax.terms(kind):
        assert term.label_vi and term.label_en and term.label_ja, term.code
        assert _JAPANESE.search(term.label_ja), f"{term.code}: label_ja {term.label_ja!r}"
        assert len(term.aliases) >= 3, term.code
        assert term.label("ja") == term.label_ja
        # Vietnamese aliases come with their diacritic-free spelling as typed on phones.
        assert any(a == fold(a) and a.isascii() for a in term.aliases), term.code


def test_parents_and_sector_references_exist(tax):
    for term in tax.terms():
        if term.parent is not None:
            assert term.parent in tax
        for sector in term.sectors:
            assert tax.get(sector).kind == "sector"


def test_classification_codes_are_well_formed(tax):
    for term in tax.terms():
        for code in term.vsic:
            assert re.fullmatch(r"\d{4}", code), (term.code, code)
        for code in term.hs:
            assert re.fullmatch(r"\d{2}|\d{4}", code), (term.code, code)


def test_every_name_resolves_to_its_code_or_the_documented_winner(tax):
    winners = {a.alias: a.winner for a in tax.ambiguities()}
    checked = 0
    for term in tax.terms():
        for name in term.names():
            expected = winners.get(alias_key(name), term.code)
            assert tax.resolve(name) == expected, (term.code, name)
            # Restricted to its own kind, a term always gets its own aliases back unless the
            # winner is of the same kind.
            assert tax.resolve(name, kind=term.kind) in {term.code, expected}, (term.code, name)
            checked += 1
    assert checked > 1500


def test_names_resolve_without_diacritics_upper_case_and_nfd(tax):
    for term in tax.terms():
        for name in term.names():
            want = tax.resolve(name)
            assert tax.resolve(fold(name)) == want, name
            assert tax.resolve(unicodedata.normalize("NFD", name.upper())) == want, name


def _new_tone_placement(text: str) -> str:
    """Move the tone mark of oa/oe/uy from the first vowel to the second (hòa -> hoà)."""
    nfd = unicodedata.normalize("NFD", text)
    moved = re.sub(
        r"(?i)(?<![q])([ou])([\u0300\u0301\u0303\u0309\u0323])([aey])(?![^\W\d_])", r"\1\3\2", nfd
    )
    return unicodedata.normalize("NFC", moved)


def test_tone_placement_variants_resolve(tax):
    variants = 0
    for term in tax.terms():
        for name in term.names():
            other = _new_tone_placement(name)
            if other != name:
                variants += 1
                assert tax.resolve(other) == tax.resolve(name), (name, other)
    assert variants >= 10
    assert tax.resolve("lưu hoá cao su") == tax.resolve("lưu hóa cao su") == "rubber_moulding"
    assert tax.resolve("thuỷ tinh") == tax.resolve("thủy tinh") == "glass"


def test_resolve_ignores_spacing_hyphens_and_case(tax):
    assert tax.resolve("  ÉP   nhựa ") == "injection_moulding"
    assert tax.resolve("ep-nhua") == "injection_moulding"
    assert tax.resolve("Injection Molding") == "injection_moulding"
    assert tax.resolve("金型") == "mould_making"
    assert tax.resolve("cnc_turning") == "cnc_turning"
    assert tax.resolve("gia công gỗ") is None
    assert tax.resolve("") is None


def test_resolve_with_kind_restricts_the_search(tax):
    assert tax.resolve("da thuộc") == "leather"
    assert tax.resolve("da thuộc", kind="process") == "leather_tanning"
    assert tax.resolve("ép nhựa", kind="material") is None


def test_resolve_many_splits_and_reports_unresolved(tax):
    codes, unresolved = tax.resolve_many("ép nhựa; CNC turning, xyz ; ; ep nhua")
    assert codes == ["injection_moulding", "cnc_turning"]
    assert unresolved == ["xyz"]


def test_get_unknown_code_suggests_close_codes(tax):
    with pytest.raises(UnknownCodeError, match="Did you mean 'cnc_turning'"):
        tax.get("cnc_turnin")
    with pytest.raises(UnknownCodeError, match="alias of 'injection_moulding'"):
        tax.get("ép nhựa")
    with pytest.raises(KeyError):  # UnknownCodeError is also a KeyError for dict-like use
        tax.get("nothing_like_it")


def test_hierarchy(tax):
    assert tax.ancestors("cnc_turning") == ["cnc_machining"]
    assert tax.ancestors("tool_steel") == ["alloy_steel", "carbon_steel"]
    assert {"cnc_turning", "cnc_milling", "edm"} <= set(tax.descendants("cnc_machining"))
    assert tax.descendants("cnc_turning") == []
    assert "smt_assembly" in tax.descendants("electronic_assembly")


def test_alias_index_is_folded_and_per_kind(tax):
    index = tax.alias_index("process")
    assert index["ep nhua"] == "injection_moulding"
    assert all(tax.get(code).kind == "process" for code in index.values())
    assert all(key == alias_key(key) for key in index)
    index["ep nhua"] = "changed"  # a copy: callers cannot corrupt the taxonomy
    assert tax.resolve("ep nhua") == "injection_moulding"


def test_to_frame(tax):
    frame = tax.to_frame("process")
    assert len(frame) == len(tax.terms("process"))
    assert {"code", "kind", "label_vi", "label_en", "label_ja", "parent", "aliases"} <= set(
        frame.columns
    )
    assert frame.set_index("code").loc["cnc_turning", "parent"] == "cnc_machining"


def test_terms_with_unknown_kind_raise(tax):
    with pytest.raises(TaxonomyError, match="Expected kind"):
        tax.terms("machines")


def test_default_taxonomy_is_cached_and_versioned(tax):
    assert load_taxonomy() is tax
    assert re.fullmatch(r"[\w.@+\-]+", tax.version)
    assert isinstance(tax.get("welding"), Term)
    assert set(KINDS) >= {t.kind for t in tax.terms()}


# --- the loader on small folders -----------------------------------------------------------


def test_unlisted_collision_raises_naming_the_alias(tmp_path):
    _write(tmp_path, "sectors.yaml", SECTORS_YAML)
    _write(tmp_path, "processes.yaml", PROCESSES_YAML.replace("parent: electroplating", ""))
    # "mạ" (electroplating) and "ma" (mould_making) fold to the same alias.
    with pytest.raises(TaxonomyError, match=r"Ambiguous alias 'ma'.*precedence\.yaml") as info:
        load_taxonomy(tmp_path)
    assert "electroplating" in str(info.value) and "mould_making" in str(info.value)
    assert isinstance(info.value, CnhtError)


def test_listed_collision_loads_and_is_reported(tmp_path):
    _write(tmp_path, "sectors.yaml", SECTORS_YAML)
    _write(tmp_path, "processes.yaml", PROCESSES_YAML)
    _write(
        tmp_path,
        "precedence.yaml",
        'version: "1"\nambiguities:\n  - {alias: "mạ", winner: electroplating, why: plating}\n',
    )
    tax = load_taxonomy(tmp_path)
    [amb] = tax.ambiguities()
    assert (amb.alias, set(amb.codes), amb.winner) == (
        "ma",
        {"electroplating", "mould_making"},
        "electroplating",
    )
    assert tax.resolve("MA") == "electroplating"
    assert tax.version == "processes@2026.11.2+sectors@2026.11.1"
    assert tax.ancestors("mould_making") == ["electroplating"]


def test_precedence_winner_must_be_a_claimant(tmp_path):
    _write(tmp_path, "sectors.yaml", SECTORS_YAML)
    _write(tmp_path, "processes.yaml", PROCESSES_YAML)
    _write(
        tmp_path,
        "precedence.yaml",
        'version: "1"\nambiguities:\n  - {alias: ma, winner: mechanical, why: wrong}\n',
    )
    with pytest.raises(TaxonomyError, match="winner to be one of"):
        load_taxonomy(tmp_path)


def test_stop_phrase_may_not_hide_an_alias(tmp_path):
    _write(tmp_path, "sectors.yaml", SECTORS_YAML)
    _write(tmp_path, "precedence.yaml", 'version: "1"\nstop_phrases: [Cơ Khí]\n')
    with pytest.raises(TaxonomyError, match="stop phrase 'Cơ Khí'.*mechanical"):
        load_taxonomy(tmp_path)


def test_duplicate_code_across_files_names_both_files(tmp_path):
    _write(tmp_path, "sectors.yaml", SECTORS_YAML)
    _write(
        tmp_path,
        "more.yaml",
        'kind: process\nversion: "1"\nterms:\n'
        "  - {code: mechanical, label_vi: a, label_en: b, label_ja: c}\n",
    )
    with pytest.raises(TaxonomyError, match=r"sectors\.yaml code 'mechanical'.*more\.yaml"):
        load_taxonomy(tmp_path)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("label_ja: 溶接, parent: nowhere", r"processes\.yaml code 'welding': parent 'nowhere'"),
        ("label_ja: 溶接, sectors: [space]", r"processes\.yaml code 'welding': sector 'space'"),
        ("label_ja: ''", r"processes\.yaml code 'welding': expected a non-empty 'label_ja'"),
    ],
)
def test_bad_references_name_file_and_code(tmp_path, extra, message):
    _write(tmp_path, "sectors.yaml", SECTORS_YAML)
    body = "{code: welding, label_vi: Hàn, label_en: Welding, " + extra + "}"
    _write(tmp_path, "processes.yaml", f'kind: process\nversion: "1"\nterms:\n  - {body}\n')
    with pytest.raises(TaxonomyError, match=message):
        load_taxonomy(tmp_path)


def test_parent_cycle_is_refused(tmp_path):
    _write(
        tmp_path,
        "processes.yaml",
        'kind: process\nversion: "1"\nterms:\n'
        "  - {code: a_one, label_vi: x, label_en: x1, label_ja: 一, parent: b_two}\n"
        "  - {code: b_two, label_vi: y, label_en: y1, label_ja: 二, parent: a_one}\n",
    )
    with pytest.raises(TaxonomyError, match="loops"):
        load_taxonomy(tmp_path)


def test_any_kind_file_is_loaded_and_extra_keys_go_to_attrs(tmp_path):
    _write(tmp_path, "sectors.yaml", SECTORS_YAML)
    _write(
        tmp_path,
        "certifications.yaml",
        'kind: certification\nversion: "2026.11.1"\nterms:\n'
        "  - code: iso_9001\n    label_vi: ISO 9001\n    label_en: ISO 9001\n"
        "    label_ja: ISO 9001 品質マネジメント\n    aliases: [TCVN ISO 9001]\n"
        "    international: true\n    sectors: [mechanical]\n    validity_years: 3\n",
    )
    tax = load_taxonomy(tmp_path)
    cert = tax.get("iso_9001")
    assert cert.kind == "certification"
    assert cert.attrs["international"] is True and cert.attrs["validity_years"] == 3
    assert tax.resolve("tcvn iso-9001") == "iso_9001"
    assert tax.to_frame("certification").loc[0, "validity_years"] == 3


def test_bad_files_and_folders(tmp_path):
    with pytest.raises(TaxonomyError, match="not a folder"):
        load_taxonomy(tmp_path / "missing")
    with pytest.raises(TaxonomyError, match="found none"):
        load_taxonomy(tmp_path)
    _write(tmp_path, "x.yaml", "kind: gadget\nversion: '1'\nterms: []\n")
    with pytest.raises(TaxonomyError, match=r"x\.yaml: expected 'kind'"):
        load_taxonomy(tmp_path)
    _write(tmp_path, "x.yaml", "kind: [unclosed\n")
    with pytest.raises(TaxonomyError, match="not valid YAML"):
        load_taxonomy(tmp_path)
