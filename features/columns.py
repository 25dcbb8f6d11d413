"""The columns of the four tables a user imports (and the demo generator writes).

This module is the single source of truth for column names: the demo generator, the
pandera schemas, the ingestion header-alias table, the storage models and the API schemas
all read from here. Canonical names are English snake_case; imports also accept the
Vietnamese headers of the XLSX templates (see :mod:`features.ingest`).

List-valued cells use ``;`` as separator (``"cnc_milling; anodizing"``). Structured
taxonomy fields accept codes *or* any alias (``"ép nhựa"``, ``"injection moulding"``).
"""

from __future__ import annotations

# firm_id, name and (name + tax_code) identify a firm; everything else may be empty.
FIRM_COLUMNS: dict[str, str] = {
    "firm_id": "Your own stable id, any text up to 64 characters without '/' (VN-0001, F0001); "
    "generated as F + tax code when empty",
    "name": "Registered name, Vietnamese (Công ty TNHH ...)",
    "tax_code": "Mã số thuế: 10 digits, or 13 with a 3-digit branch suffix (0101234567-001)",
    "address": "Street address as written (legacy or post-2025 ward names)",
    "district": "District or ward as written (legacy district, or post-2025 ward)",
    "founded": "Year founded (yyyy)",
    "employees": "Number of employees",
    "ownership": "domestic_private | state | fdi | joint_venture",
    "sectors": "Supporting-industry sectors, free text or codes, ';'-separated",
    "description": "What the firm does: processes, products, machines (free text, vi/en/ja)",
    "products": "Main products (free text)",
    "materials": "Materials worked (free text)",
    "certifications": "Certifications as written (ISO 9001:2015; IATF16949 hết hạn 12/2024 ...)",
    "export_markets": "Countries exported to, ';'-separated ISO alpha-2 or names (JP; KR)",
    "customers": "Current customers (free text, ';'-separated)",
    "monthly_capacity": "Monthly production capacity in pieces",
    "languages": "Languages the firm's staff speak: vi; en; ja; ko; zh",
    "contact_email": "Contact e-mail",
    "phone": "Contact phone",
    "is_demo": "true for generated demo rows",
}

BUYER_COLUMNS: dict[str, str] = {
    "buyer_id": "Your own stable id, any text up to 64 characters without '/' (B001, CANON-TL)",
    "name": "Buyer (plant) name",
    "country": "Country of origin, ISO 3166 alpha-2 (JP, KR, TW, DE, US, ...)",
    "park_id": "Industrial park code of the plant (features.geo parks table)",
    "sector": "Main sector code",
    "description": "What the plant makes",
    "is_demo": "true for generated demo rows (fictional buyers)",
}

NEED_COLUMNS: dict[str, str] = {
    "need_id": "Your own stable id, any text up to 64 characters without '/' (N-0001)",
    "buyer_id": "Buyer that needs the component",
    "title": "Short title (en, vi or ja)",
    "description": "Free-text requirement (en, vi or ja)",
    "sector": "Sector code or alias",
    "processes": "Required processes, codes or aliases, ';'-separated",
    "materials": "Materials, codes or aliases, ';'-separated",
    "mandatory_certifications": "Certifications a supplier must hold, valid on the need's date",
    "preferred_certifications": "Certifications that count in the supplier's favour",
    "annual_volume": "Pieces per year",
    "min_monthly_capacity": "Minimum monthly capacity a supplier must have (pieces), optional",
    "tolerance_mm": "Tightest tolerance in mm, optional",
    "deadline": "Date the buyer wants samples by (yyyy-mm-dd)",
    "created": "Date the need was recorded (yyyy-mm-dd)",
    "status": "open | closed",
    "target_price_usd": "Confidential: target unit price; never shown to firms",
    "internal_notes": "Confidential: staff notes; never shown to firms",
    "is_demo": "true for generated demo rows",
}

# One row per status change of a (need, firm) match: an event log.
OUTCOME_COLUMNS: dict[str, str] = {
    "need_id": "Need",
    "firm_id": "Firm",
    "status": "suggested | contacted | meeting | sample | audit | order | rejected",
    "reason": "Why (required when status is rejected)",
    "at": "When (ISO 8601 date-time)",
    "by": "Who recorded it",
}

# What to type in each column, in Vietnamese: the import templates' help row shows it above
# the English description of the dicts above (:func:`template_help`).
HELP_VI: dict[str, dict[str, str]] = {
    "firms": {
        "firm_id": "Mã riêng, ổn định của doanh nghiệp, tối đa 64 ký tự, không có '/' (VN-0001, F0001); "
        "để trống thì tạo là F + mã số thuế",
        "name": "Tên đăng ký, tiếng Việt (Công ty TNHH ...)",
        "tax_code": "Mã số thuế: 10 chữ số, hoặc 13 với đuôi chi nhánh 3 chữ số (0101234567-001)",
        "address": "Địa chỉ như đang ghi (tên phường cũ hoặc sau 2025 đều được)",
        "district": "Quận/huyện hoặc phường như đang ghi (quận cũ, hoặc phường sau 2025)",
        "founded": "Năm thành lập (yyyy)",
        "employees": "Số lao động",
        "ownership": "domestic_private (tư nhân) | state (nhà nước) | fdi | joint_venture (liên doanh)",
        "sectors": "Ngành công nghiệp hỗ trợ, chữ tự do hoặc mã, cách nhau bằng ';'",
        "description": "Doanh nghiệp làm gì: công nghệ, sản phẩm, máy móc (chữ tự do, vi/en/ja)",
        "products": "Sản phẩm chính (chữ tự do)",
        "materials": "Vật liệu gia công (chữ tự do)",
        "certifications": "Chứng chỉ như đang ghi (ISO 9001:2015; IATF16949 hết hạn 12/2024 ...)",
        "export_markets": "Nước xuất khẩu tới, cách nhau bằng ';', mã ISO 2 chữ hoặc tên (JP; KR)",
        "customers": "Khách hàng hiện tại (chữ tự do, cách nhau bằng ';')",
        "monthly_capacity": "Công suất sản xuất mỗi tháng (số sản phẩm)",
        "languages": "Ngôn ngữ nhân viên sử dụng: vi; en; ja; ko; zh",
        "contact_email": "Email liên hệ",
        "phone": "Điện thoại liên hệ",
        "is_demo": "true cho dòng dữ liệu mẫu",
    },
    "buyers": {
        "buyer_id": "Mã riêng, ổn định của bên mua, tối đa 64 ký tự, không có '/' (B001, CANON-TL)",
        "name": "Tên bên mua (nhà máy)",
        "country": "Quốc gia gốc, mã ISO 3166 2 chữ (JP, KR, TW, DE, US, ...)",
        "park_id": "Mã khu công nghiệp nơi đặt nhà máy",
        "sector": "Mã ngành chính",
        "description": "Nhà máy sản xuất gì",
        "is_demo": "true cho dòng dữ liệu mẫu (bên mua hư cấu)",
    },
    "needs": {
        "need_id": "Mã riêng, ổn định của nhu cầu, tối đa 64 ký tự, không có '/' (N-0001)",
        "buyer_id": "Bên mua cần linh kiện",
        "title": "Tiêu đề ngắn (en, vi hoặc ja)",
        "description": "Yêu cầu viết tự do (en, vi hoặc ja)",
        "sector": "Mã hoặc tên ngành",
        "processes": "Công nghệ cần có, mã hoặc tên, cách nhau bằng ';'",
        "materials": "Vật liệu, mã hoặc tên, cách nhau bằng ';'",
        "mandatory_certifications": "Chứng chỉ nhà cung cấp bắt buộc có, còn hiệu lực vào ngày của nhu cầu",
        "preferred_certifications": "Chứng chỉ được cộng điểm cho nhà cung cấp",
        "annual_volume": "Số sản phẩm mỗi năm",
        "min_monthly_capacity": "Công suất tháng tối thiểu nhà cung cấp phải có (sản phẩm), không bắt buộc",
        "tolerance_mm": "Dung sai chặt nhất, mm, không bắt buộc",
        "deadline": "Ngày bên mua cần mẫu (yyyy-mm-dd)",
        "created": "Ngày ghi nhận nhu cầu (yyyy-mm-dd)",
        "status": "open (đang mở) | closed (đã đóng)",
        "target_price_usd": "Bảo mật: giá mục tiêu mỗi sản phẩm; không bao giờ hiện cho doanh nghiệp",
        "internal_notes": "Bảo mật: ghi chú của cán bộ; không bao giờ hiện cho doanh nghiệp",
        "is_demo": "true cho dòng dữ liệu mẫu",
    },
    "outcomes": {
        "need_id": "Nhu cầu",
        "firm_id": "Doanh nghiệp",
        "status": "suggested (đề xuất) | contacted (đã liên hệ) | meeting (gặp) | sample (mẫu) | "
        "audit (đánh giá) | order (đơn hàng) | rejected (từ chối)",
        "reason": "Lý do (bắt buộc khi từ chối)",
        "at": "Thời điểm (ngày giờ ISO 8601)",
        "by": "Người ghi nhận",
    },
}

_HELP_EN: dict[str, dict[str, str]] = {"firms": FIRM_COLUMNS, "buyers": BUYER_COLUMNS,
                                       "needs": NEED_COLUMNS, "outcomes": OUTCOME_COLUMNS}  # fmt: skip


def template_help(table: str, column: str) -> str:
    """What to type in ``column`` of ``table``: Vietnamese, then English on a second line.

    >>> print(template_help("firms", "employees"))
    Số lao động
    Number of employees
    """
    english = _HELP_EN.get(table, {}).get(column, "")
    vietnamese = HELP_VI.get(table, {}).get(column)
    return f"{vietnamese}\n{english}" if vietnamese else english


OUTCOME_STATUSES: tuple[str, ...] = (
    "suggested",
    "contacted",
    "meeting",
    "sample",
    "audit",
    "order",
    "rejected",
)
# The forward path; "rejected" may follow any non-final status.
OUTCOME_PATH: tuple[str, ...] = OUTCOME_STATUSES[:-1]

OWNERSHIP_TYPES: tuple[str, ...] = ("domestic_private", "state", "fdi", "joint_venture")
LIST_SEPARATOR = ";"

__all__ = [
    "FIRM_COLUMNS",
    "BUYER_COLUMNS",
    "NEED_COLUMNS",
    "OUTCOME_COLUMNS",
    "HELP_VI",
    "template_help",
    "OUTCOME_STATUSES",
    "OUTCOME_PATH",
    "OWNERSHIP_TYPES",
    "LIST_SEPARATOR",
]

# Vietnamese headers of the XLSX templates (one per canonical column). Imports accept these,
# the canonical names, and the further aliases of features/data/headers.csv.
VI_HEADERS: dict[str, str] = {
    # firms
    "firm_id": "Mã doanh nghiệp",
    "name": "Tên doanh nghiệp",
    "tax_code": "Mã số thuế",
    "address": "Địa chỉ",
    "district": "Quận/Huyện/Phường",
    "founded": "Năm thành lập",
    "employees": "Số lao động",
    "ownership": "Loại hình sở hữu",
    "sectors": "Ngành nghề",
    "description": "Mô tả năng lực",
    "products": "Sản phẩm",
    "materials": "Vật liệu",
    "certifications": "Chứng chỉ",
    "export_markets": "Thị trường xuất khẩu",
    "customers": "Khách hàng hiện tại",
    "monthly_capacity": "Công suất/tháng",
    "languages": "Ngôn ngữ",
    "contact_email": "Email liên hệ",
    "phone": "Điện thoại",
    "is_demo": "Dữ liệu mẫu",
    # buyers
    "buyer_id": "Mã bên mua",
    "country": "Quốc gia",
    "park_id": "Khu công nghiệp",
    "sector": "Ngành",
    # needs
    "need_id": "Mã nhu cầu",
    "title": "Tiêu đề",
    "processes": "Công nghệ/Quy trình",
    "mandatory_certifications": "Chứng chỉ bắt buộc",
    "preferred_certifications": "Chứng chỉ ưu tiên",
    "annual_volume": "Sản lượng/năm",
    "min_monthly_capacity": "Công suất tối thiểu/tháng",
    "tolerance_mm": "Dung sai (mm)",
    "deadline": "Hạn chót",
    "created": "Ngày tạo",
    "status": "Trạng thái",
    "target_price_usd": "Giá mục tiêu (USD)",
    "internal_notes": "Ghi chú nội bộ",
    # outcomes
    "reason": "Lý do",
    "at": "Thời điểm",
    "by": "Người ghi",
}

# Headers that stand in for a column only when the file has no header of that column
# itself: a province is the coarsest address, used when there is no street address.
FALLBACK_HEADERS: dict[str, dict[str, str]] = {
    "firms": {
        "province": "address",
        "Tỉnh/Thành phố": "address",
        "Tỉnh": "address",
        "Tỉnh thành": "address",
    },
}

__all__ += ["VI_HEADERS", "FALLBACK_HEADERS"]
