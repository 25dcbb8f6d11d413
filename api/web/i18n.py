"""Words, dates and numbers of the web pages in Vietnamese (default) and English.

The page's language comes from ``?lang=`` (then kept in a cookie) or the cookie alone;
anything else is Vietnamese. Dates are ``dd/mm/yyyy`` in both languages (the Department's
habit); numbers use Vietnamese separators (``1.234,5``) in Vietnamese.

Examples
--------
>>> format_number(1234.5, "vi", 1)
'1.234,5'
>>> format_number(1234.5, "en", 1)
'1,234.5'
>>> import datetime as dt
>>> format_date(dt.date(2026, 3, 7), "vi")
'07/03/2026'
>>> translate("needs", "en")
'Needs'
"""

from __future__ import annotations

import datetime as dt

__all__ = [
    "LANGUAGES",
    "DEFAULT_LANGUAGE",
    "WORDS",
    "COMPONENT_LABELS",
    "STATUS_LABELS",
    "translate",
    "format_number",
    "format_date",
    "format_datetime",
    "pick_language",
    "LOCAL_TIME",
    "to_local",
]

LANGUAGES: tuple[str, ...] = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
LOCAL_TIME = dt.timezone(dt.timedelta(hours=7), "ICT")  # Hanoi: UTC+7, no daylight saving

# Score components of matching.SupplierMatcher (DEFAULT_WEIGHTS' names): their page labels.
COMPONENT_LABELS: dict[str, dict[str, str]] = {
    "text": {"vi": "Mô tả tương đồng", "en": "Text similarity"},
    "concepts": {"vi": "Khái niệm sản phẩm", "en": "Product concepts"},
    "process_fit": {"vi": "Công nghệ", "en": "Process fit"},
    "material_fit": {"vi": "Vật liệu", "en": "Material fit"},
    "certification_fit": {"vi": "Chứng chỉ", "en": "Certification fit"},
    "capacity_fit": {"vi": "Năng lực", "en": "Capacity fit"},
    "distance": {"vi": "Khoảng cách", "en": "Distance"},
    "experience": {"vi": "Kinh nghiệm", "en": "Experience"},
    "completeness": {"vi": "Độ đầy đủ hồ sơ", "en": "Profile completeness"},
}

# Outcome statuses (features.columns.OUTCOME_STATUSES).
STATUS_LABELS: dict[str, dict[str, str]] = {
    "suggested": {"vi": "Đã đề xuất", "en": "Suggested"},
    "contacted": {"vi": "Đã liên hệ", "en": "Contacted"},
    "meeting": {"vi": "Đã gặp", "en": "Meeting"},
    "sample": {"vi": "Gửi mẫu", "en": "Sample"},
    "audit": {"vi": "Đánh giá nhà máy", "en": "Audit"},
    "order": {"vi": "Có đơn hàng", "en": "Order"},
    "rejected": {"vi": "Từ chối", "en": "Rejected"},
}

WORDS: dict[str, dict[str, str]] = {
    "app_name": {"vi": "Kết nối CNHT Hà Nội", "en": "Hanoi CNHT matching"},
    "skip": {"vi": "Bỏ qua đến nội dung", "en": "Skip to content"},
    "dashboard": {"vi": "Tổng quan", "en": "Dashboard"},
    "needs": {"vi": "Nhu cầu", "en": "Needs"},
    "firms": {"vi": "Doanh nghiệp", "en": "Firms"},
    "api_docs": {"vi": "Tài liệu API", "en": "API docs"},
    "sign_in": {"vi": "Đăng nhập", "en": "Sign in"},
    "sign_out": {"vi": "Đăng xuất", "en": "Sign out"},
    "signed_in_as": {"vi": "Đang dùng khóa", "en": "Signed in with key"},
    "api_key": {"vi": "Khóa truy cập (API key)", "en": "Access key (API key)"},
    "api_key_help": {
        "vi": "Dán khóa do cán bộ Sở cấp (bắt đầu bằng cnht_). Tạo khóa: cnht keys create --role staff",
        "en": "Paste the key the Department gave you (it starts with cnht_). Create one: cnht keys create --role staff",
    },
    "sign_in_intro": {
        "vi": "Ghép nối doanh nghiệp công nghiệp hỗ trợ Hà Nội với nhu cầu linh kiện của các nhà máy FDI.",
        "en": "Matching Hanoi's supporting-industry firms with the component needs of multinational plants.",
    },
    "bad_key": {
        "vi": "Khóa không đúng hoặc đã bị thu hồi. Kiểm tra lại, hoặc xin cán bộ Sở một khóa mới.",
        "en": "The key is unknown or revoked. Check it, or ask the Department's staff for a new one.",
    },
    "bad_form": {
        "vi": "Biểu mẫu đã hết hạn hoặc không đến từ trang này. Tải lại trang rồi thử lại.",
        "en": "The form expired or did not come from this site. Reload the page and try again.",
    },
    "signed_out": {"vi": "Đã đăng xuất.", "en": "Signed out."},
    "language": {"vi": "Ngôn ngữ", "en": "Language"},
    "search": {"vi": "Tìm kiếm", "en": "Search"},
    "search_needs": {"vi": "Tìm nhu cầu (có hoặc không dấu)", "en": "Search needs (with or without diacritics)"},
    "search_firms": {"vi": "Tìm doanh nghiệp (có hoặc không dấu)", "en": "Search firms (with or without diacritics)"},
    "status": {"vi": "Trạng thái", "en": "Status"},
    "all": {"vi": "Tất cả", "en": "All"},
    "open": {"vi": "Đang mở", "en": "Open"},
    "closed": {"vi": "Đã đóng", "en": "Closed"},
    "past_deadline": {"vi": "Quá hạn", "en": "Past deadline"},
    "need": {"vi": "Nhu cầu", "en": "Need"},
    "title": {"vi": "Tiêu đề", "en": "Title"},
    "buyer": {"vi": "Bên mua", "en": "Buyer"},
    "sector": {"vi": "Lĩnh vực", "en": "Sector"},
    "deadline": {"vi": "Hạn chót", "en": "Deadline"},
    "description": {"vi": "Mô tả", "en": "Description"},
    "count_needs": {"vi": "nhu cầu", "en": "needs"},
    "count_firms": {"vi": "doanh nghiệp", "en": "firms"},
    "previous": {"vi": "Trang trước", "en": "Previous"},
    "next": {"vi": "Trang sau", "en": "Next"},
    "page": {"vi": "Trang", "en": "Page"},
    "understood": {"vi": "Hệ thống đã hiểu", "en": "What was understood"},
    "processes": {"vi": "Công nghệ", "en": "Processes"},
    "materials": {"vi": "Vật liệu", "en": "Materials"},
    "product_groups": {"vi": "Nhóm sản phẩm", "en": "Product groups"},
    "sectors": {"vi": "Lĩnh vực", "en": "Sectors"},
    "quantity": {"vi": "Sản lượng", "en": "Quantity"},
    "per_month": {"vi": "cái/tháng", "en": "pieces/month"},
    "place": {"vi": "Địa điểm", "en": "Place"},
    "mandatory": {"vi": "Chứng chỉ bắt buộc", "en": "Mandatory certificates"},
    "preferred": {"vi": "Chứng chỉ ưu tiên", "en": "Preferred certificates"},
    "warnings": {"vi": "Cảnh báo", "en": "Warnings"},
    "nothing": {"vi": "—", "en": "—"},
    "cannot_parse": {"vi": "Không đọc được nhu cầu này", "en": "This need cannot be read"},
    "shortlist": {"vi": "Danh sách đề xuất", "en": "Shortlist"},
    "no_shortlist": {
        "vi": "Nhu cầu này chưa có danh sách đề xuất.",
        "en": "This need has no shortlist yet.",
    },
    "compute_shortlist": {"vi": "Lập danh sách mới", "en": "Compute a new shortlist"},
    "firms_wanted": {"vi": "Số doanh nghiệp", "en": "Firms wanted"},
    "diversity": {"vi": "Đa dạng hóa (MMR)", "en": "Diversity (MMR)"},
    "rank": {"vi": "Hạng", "en": "Rank"},
    "firm": {"vi": "Doanh nghiệp", "en": "Firm"},
    "firm_id": {"vi": "Mã DN", "en": "Firm ID"},
    "score": {"vi": "Điểm", "en": "Score"},
    "components": {"vi": "Thành phần điểm", "en": "Score components"},
    "reasons": {"vi": "Lý do", "en": "Reasons"},
    "outcome": {"vi": "Kết quả", "en": "Outcome"},
    "record": {"vi": "Ghi nhận", "en": "Record"},
    "next_status": {"vi": "Bước tiếp theo", "en": "Next step"},
    "date": {"vi": "Ngày", "en": "Date"},
    "note": {"vi": "Ghi chú", "en": "Note"},
    "note_help": {"vi": "Bắt buộc khi từ chối", "en": "Required when rejecting"},
    "final": {"vi": "Đã kết thúc", "en": "Final"},
    "runs": {"vi": "Các lần lập danh sách", "en": "Shortlist runs"},
    "run": {"vi": "Lần", "en": "Run"},
    "created": {"vi": "Lập lúc", "en": "Created"},
    "by": {"vi": "Người lập", "en": "By"},
    "model": {"vi": "Mô hình", "en": "Model"},
    "showing_run": {"vi": "Đang xem lần", "en": "Showing run"},
    "latest": {"vi": "mới nhất", "en": "latest"},
    "export_xlsx": {"vi": "Xuất Excel", "en": "Export to Excel"},
    "export_pdf": {"vi": "Xuất PDF", "en": "Export to PDF"},
    "outcome_saved": {"vi": "Đã ghi nhận kết quả.", "en": "Outcome recorded."},
    "shortlist_saved": {"vi": "Đã lập danh sách mới.", "en": "New shortlist computed."},
    "plan_progress": {"vi": "Tiến độ Kế hoạch 04/KH-UBND", "en": "Progress of Plan 04/KH-UBND"},
    "firms_in_field": {"vi": "Doanh nghiệp trong lĩnh vực CNHT", "en": "Firms in supporting industries"},
    "firms_international": {
        "vi": "Doanh nghiệp có chứng chỉ quốc tế còn hiệu lực",
        "en": "Firms with a valid international certificate",
    },
    "target": {"vi": "mục tiêu", "en": "target"},
    "firms_connected": {
        "vi": "Doanh nghiệp đã kết nối với tập đoàn đa quốc gia",
        "en": "Firms connected to multinationals",
    },
    "expiring": {"vi": "Chứng chỉ hết hạn trong 90 ngày", "en": "Certificates expiring within 90 days"},
    "by_sector": {"vi": "Doanh nghiệp theo lĩnh vực", "en": "Firms by sector"},
    "funnel": {"vi": "Phễu kết quả kết nối", "en": "Outcome funnel"},
    "funnel_help": {
        "vi": "Số cặp (nhu cầu, doanh nghiệp) đã đạt tới từng bước hoặc xa hơn.",
        "en": "Pairs (need, firm) that reached each stage or beyond.",
    },
    "recent_shortlists": {"vi": "Danh sách đề xuất gần đây", "en": "Recent shortlists"},
    "as_of": {"vi": "Tính đến ngày", "en": "As of"},
    "error": {"vi": "Có lỗi", "en": "Something went wrong"},
    "back_home": {"vi": "Về trang chủ", "en": "Back to the start page"},
    "not_found": {"vi": "Không tìm thấy trang", "en": "Page not found"},
    "forbidden_role": {
        "vi": "Khóa này không có quyền xem trang này.",
        "en": "This key may not see this page.",
    },
    "firm_portal_soon": {
        "vi": "Cổng thông tin doanh nghiệp đang được xây dựng; hiện dùng API với khóa doanh nghiệp.",
        "en": "The firm portal is being built; use the API with your firm key meanwhile.",
    },
    "address": {"vi": "Địa chỉ", "en": "Address"},
    "district": {"vi": "Quận/huyện", "en": "District"},
    "employees": {"vi": "Số lao động", "en": "Employees"},
    "capacity": {"vi": "Năng lực/tháng", "en": "Monthly capacity"},
    "certificates": {"vi": "Chứng chỉ", "en": "Certificates"},
    "valid_until": {"vi": "Hiệu lực đến", "en": "Valid until"},
    "verified": {"vi": "Đã xác minh", "en": "Verified"},
    "yes": {"vi": "Có", "en": "Yes"},
    "no": {"vi": "Không", "en": "No"},
    "valid": {"vi": "Còn hiệu lực", "en": "Valid"},
    "expired": {"vi": "Hết hạn", "en": "Expired"},
    "products": {"vi": "Sản phẩm", "en": "Products"},
    "outcomes": {"vi": "Kết quả kết nối", "en": "Outcomes"},
    "founded": {"vi": "Năm thành lập", "en": "Founded"},
    "contact": {"vi": "Liên hệ", "en": "Contact"},
    "no_results": {"vi": "Không có kết quả.", "en": "No results."},
    "tax_code": {"vi": "Mã số thuế", "en": "Tax code"},
}


def translate(word: str, lang: str) -> str:
    """The page text of ``word`` in ``lang`` (the word itself when it has no entry)."""
    entry = WORDS.get(word)
    if entry is None:
        return word
    return entry.get(lang) or entry[DEFAULT_LANGUAGE]


def pick_language(query: str | None, cookie: str | None) -> str:
    """``vi`` or ``en``: the query's choice, else the cookie's, else Vietnamese."""
    for choice in (query, cookie):
        if choice in LANGUAGES:
            return choice
    return DEFAULT_LANGUAGE


def format_number(value: float | int | None, lang: str, decimals: int = 0) -> str:
    """``value`` with thousands and decimal separators of ``lang`` (``1.234,5`` in vi)."""
    if value is None:
        return "—"
    text = f"{value:,.{decimals}f}"
    if lang == "vi":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text


def format_date(value: dt.date | dt.datetime | str | None, lang: str = DEFAULT_LANGUAGE) -> str:
    """``dd/mm/yyyy`` (an ISO string is read first); ``—`` for nothing."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    if isinstance(value, dt.datetime):
        value = to_local(value).date()
    return value.strftime("%d/%m/%Y")


def format_datetime(value: dt.datetime | None, lang: str = DEFAULT_LANGUAGE) -> str:
    """``dd/mm/yyyy HH:MM`` in Hanoi time; ``—`` for nothing."""
    if value is None:
        return "—"
    return to_local(value).strftime("%d/%m/%Y %H:%M")


def to_local(value: dt.datetime) -> dt.datetime:
    """``value`` in Hanoi time (a naive value is taken as UTC, as stored)."""
    if value.tzinfo is None:  # stored in UTC
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(LOCAL_TIME)
