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

from features import dates
from features.numbers import format_number  # the one number format (re-exported for templates)

__all__ = [
    "LANGUAGES",
    "DEFAULT_LANGUAGE",
    "WORDS",
    "COMPONENT_LABELS",
    "STATUS_LABELS",
    "COUNTRY_NAMES",
    "country_name",
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
    "diversity": {"vi": "Đa dạng hóa danh sách", "en": "Diversify the list"},
    "diversity_help": {
        "vi": "Doanh nghiệp có mô tả gần như giống nhau không chiếm hết đầu danh sách: nhường chỗ cho doanh nghiệp khác",
        "en": "Firms whose descriptions read almost alike do not fill the top of the list: others get a place",
    },
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
    "progress_over_time": {"vi": "Tiến độ theo tháng", "en": "Progress over time"},
    "progress_help": {
        "vi": "Mỗi điểm là ngày cuối tháng (tháng này: hôm nay). Doanh nghiệp được tính từ ngày được ghi vào hệ thống; "
              "chứng chỉ được xét còn hiệu lực hay không tại chính ngày đó.",
        "en": "Each point is a month-end (this month: today). A firm counts from the day it was recorded; "
              "its certificates are judged valid or not on that very day.",
    },
    "progress_table": {"vi": "Số liệu từng tháng", "en": "Figures by month"},
    "month_end": {"vi": "Ngày", "en": "Day"},
    "expiring_list": {"vi": "Chứng chỉ sắp hết hạn (90 ngày tới)", "en": "Certificates expiring in the next 90 days"},
    "expiring_help": {
        "vi": "Chứng chỉ đang còn hiệu lực, hết hạn trong 90 ngày tới và chưa có chứng chỉ gia hạn nối tiếp; hết hạn sớm nhất trước.",
        "en": "Certificates valid today that end within 90 days with no renewal following on; soonest first.",
    },
    "no_expiring": {"vi": "Không có chứng chỉ nào hết hạn trong 90 ngày tới.",
                    "en": "No certificate expires in the next 90 days."},
    "ends_on": {"vi": "Hết hạn", "en": "Ends on"},
    "days_left": {"vi": "Còn lại", "en": "Days left"},
    "days_count": {"vi": "{n} ngày", "en": "{n} days"},
    "day_count_one": {"vi": "{n} ngày", "en": "{n} day"},
    "ends_today": {"vi": "hết hạn hôm nay", "en": "ends today"},
    "month_short": {"vi": "T{m}", "en": "{name}"},
    "as_of": {"vi": "Tính đến ngày", "en": "As of"},
    "error": {"vi": "Có lỗi", "en": "Something went wrong"},
    "back_home": {"vi": "Về trang chủ", "en": "Back to the start page"},
    "not_found": {"vi": "Không tìm thấy trang", "en": "Page not found"},
    "forbidden_role": {
        "vi": "Khóa này không có quyền xem trang này.",
        "en": "This key may not see this page.",
    },
    "firm_portal_only": {
        "vi": "Khóa doanh nghiệp chỉ dùng cổng doanh nghiệp: hồ sơ, nhu cầu phù hợp và kết quả kết nối của mình.",
        "en": "A firm key opens the firm portal only: your profile, the needs you fit and your outcomes.",
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
    # firm portal
    "portal": {"vi": "Cổng doanh nghiệp", "en": "Firm portal"},
    "needs_you_fit": {"vi": "Nhu cầu phù hợp với doanh nghiệp", "en": "Needs your firm fits"},
    "needs_you_fit_help": {
        "vi": "Các nhu cầu đang mở mà doanh nghiệp đáp ứng yêu cầu bắt buộc, phù hợp nhất trước.",
        "en": "Open needs whose hard requirements your firm meets, best first.",
    },
    "no_suggestions": {
        "vi": "Chưa có nhu cầu đang mở phù hợp. Bổ sung hồ sơ và chứng chỉ để được đề xuất nhiều hơn.",
        "en": "No open need fits yet. Complete your profile and certificates to be suggested more often.",
    },
    "buyer_sector": {"vi": "Lĩnh vực bên mua", "en": "Buyer's sector"},
    "country": {"vi": "Quốc gia", "en": "Country"},
    "why_fit": {"vi": "Vì sao phù hợp", "en": "Why you fit"},
    "what_lacks": {"vi": "Còn thiếu", "en": "What you lack"},
    "nothing_lacking": {"vi": "Không thiếu gì đáng kể.", "en": "Nothing notable is missing."},
    "blocking": {"vi": "bắt buộc", "en": "required"},
    "interested": {"vi": "Chúng tôi quan tâm", "en": "We are interested"},
    "interest_note": {"vi": "Lời nhắn cho cán bộ Sở (không bắt buộc)", "en": "Message to the Department's staff (optional)"},
    "interest_said": {"vi": "Đã báo quan tâm ngày", "en": "Interest sent on"},
    "interest_saved": {
        "vi": "Đã gửi: cán bộ Sở sẽ thấy doanh nghiệp quan tâm nhu cầu này.",
        "en": "Sent: the Department's staff will see that your firm is interested in this need.",
    },
    "profile": {"vi": "Hồ sơ doanh nghiệp", "en": "Firm profile"},
    "profile_help": {
        "vi": "Tên, mã số thuế, địa chỉ do Sở quản lý; liên hệ cán bộ Sở để sửa.",
        "en": "Name, tax code and address are kept by the Department; ask its staff to change them.",
    },
    "save_profile": {"vi": "Lưu hồ sơ", "en": "Save profile"},
    "profile_saved": {"vi": "Đã lưu hồ sơ.", "en": "Profile saved."},
    "certificates_saved": {"vi": "Đã lưu chứng chỉ.", "en": "Certificates saved."},
    "no_certificates": {"vi": "Chưa có chứng chỉ nào: thêm ở dòng dưới, hoặc dán nguyên văn vào ô bên dưới bảng.",
                        "en": "No certificate yet: add one in the row below, or paste the text in the box under the table."},
    "nothing_changed": {"vi": "Không có gì thay đổi.", "en": "Nothing changed."},
    "email": {"vi": "Thư điện tử", "en": "Email"},
    "phone": {"vi": "Điện thoại", "en": "Phone"},
    "capacity_help": {"vi": "Số sản phẩm mỗi tháng", "en": "Pieces per month"},
    "certificate": {"vi": "Chứng chỉ", "en": "Certificate"},
    "version": {"vi": "Phiên bản", "en": "Version"},
    "issued": {"vi": "Ngày cấp", "en": "Issued"},
    "issuer": {"vi": "Tổ chức cấp", "en": "Issuer"},
    "remove": {"vi": "Xóa", "en": "Remove"},
    "add_certificate": {"vi": "Thêm chứng chỉ", "en": "Add a certificate"},
    "choose": {"vi": "— Chọn —", "en": "— Choose —"},
    "certificates_text": {"vi": "Hoặc nhập dạng văn bản, mỗi chứng chỉ một dòng", "en": "Or type them as text, one certificate a line"},
    "certificates_text_help": {
        "vi": "Ví dụ: ISO 9001:2015 hiệu lực đến 31/12/2027",
        "en": "For example: ISO 9001:2015 valid until 31/12/2027",
    },
    "save_certificates": {"vi": "Lưu chứng chỉ", "en": "Save certificates"},
    "verified_readonly": {
        "vi": "Chứng chỉ đã được Sở xác minh chỉ cán bộ Sở sửa được.",
        "en": "Certificates verified by the Department can be changed by its staff only.",
    },
    "date_format": {"vi": "dd/mm/yyyy", "en": "dd/mm/yyyy"},
    # staff pages
    "firms_interested": {"vi": "Doanh nghiệp đã báo quan tâm", "en": "Firms that said they are interested"},
    "fits_needs": {"vi": "Nhu cầu doanh nghiệp phù hợp", "en": "Needs this firm fits"},
    "best_upgrades": {"vi": "Nâng cấp có lợi nhất", "en": "Best upgrades"},
    "best_upgrades_help": {
        "vi": "Một thay đổi (chứng chỉ, công nghệ, vật liệu, năng lực) đưa doanh nghiệp vào nhiều danh sách đề xuất nhất.",
        "en": "One change (a certificate, a process, a material, capacity) that would put the firm on the most shortlists.",
    },
    "new_shortlists": {"vi": "Thêm số danh sách", "en": "New shortlists"},
    "upgrade": {"vi": "Nâng cấp", "en": "Upgrade"},
    "kind": {"vi": "Loại", "en": "Kind"},
    "kind_certification": {"vi": "Chứng chỉ", "en": "Certificate"},
    "kind_process": {"vi": "Công nghệ", "en": "Process"},
    "kind_material": {"vi": "Vật liệu", "en": "Material"},
    "kind_capacity": {"vi": "Năng lực", "en": "Capacity"},
    "process": {"vi": "Công nghệ", "en": "Process"},
    "certified_on": {"vi": "Chứng chỉ còn hiệu lực", "en": "Certificate valid"},
    "on_date": {"vi": "vào ngày (dd/mm/yyyy)", "en": "on (dd/mm/yyyy)"},
    "any": {"vi": "— Tất cả —", "en": "— Any —"},
    "filter": {"vi": "Lọc", "en": "Filter"},
    "clear_filters": {"vi": "Bỏ lọc", "en": "Clear filters"},
    "imports": {"vi": "Nhập dữ liệu", "en": "Import"},
    "import_title": {"vi": "Nhập dữ liệu từ tệp CSV hoặc Excel", "en": "Import data from a CSV or Excel file"},
    "import_help": {
        "vi": "Tệp CSV (UTF-8) hoặc XLSX có dòng tiêu đề; có thể có dòng tên bảng phía trên và cột STT.",
        "en": "A CSV (UTF-8) or XLSX file with a header row; a title row above it and an STT column are fine.",
    },
    "import_templates": {"vi": "Tải mẫu Excel để điền (điền từ dòng 4, dưới hai dòng hướng dẫn)",
                         "en": "Download an Excel template to fill in (from row 4, below its two help rows)"},
    "table_kind": {"vi": "Loại dữ liệu", "en": "What the file holds"},
    "kind_firms": {"vi": "Doanh nghiệp", "en": "Firms"},
    "kind_buyers": {"vi": "Bên mua", "en": "Buyers"},
    "kind_needs": {"vi": "Nhu cầu", "en": "Needs"},
    "kind_outcomes": {"vi": "Kết quả kết nối", "en": "Outcomes"},
    "file": {"vi": "Tệp", "en": "File"},
    "choose_file": {"vi": "Chọn tệp", "en": "Choose a file"},
    "no_file_chosen": {"vi": "Chưa chọn tệp", "en": "No file chosen"},
    "choose_file_first": {"vi": "Hãy chọn một tệp CSV hoặc XLSX.", "en": "Choose a CSV or XLSX file first."},
    "upload": {"vi": "Nhập tệp", "en": "Import the file"},
    "import_running": {"vi": "Đang nhập, vui lòng chờ…", "en": "Importing, please wait…"},
    "upload_preview": {"vi": "Đọc tệp và xem trước", "en": "Read the file and preview"},
    "preview_title": {"vi": "Xem trước", "en": "Preview"},
    "preview_help": {
        "vi": "Đây là các dòng đầu tiên như hệ thống đọc được, dưới cột mà chúng sẽ được nhập vào. Chưa có gì được lưu.",
        "en": "These are the first rows as read, under the column each goes into. Nothing is stored yet.",
    },
    "preview_shown": {"vi": "Hiển thị {shown} trên {total} dòng dữ liệu.", "en": "Showing {shown} of {total} data rows."},
    "not_imported": {"vi": "không nhập", "en": "not imported"},
    "confirm_import": {"vi": "Xác nhận nhập", "en": "Confirm and import"},
    "choose_other": {"vi": "Chọn tệp khác", "en": "Choose another file"},
    "goes_into": {"vi": "nhập vào", "en": "goes into"},
    "import_result": {"vi": "Kết quả nhập", "en": "Import result"},
    "rows_read": {"vi": "Dòng đã đọc", "en": "Rows read"},
    "inserted": {"vi": "Thêm mới", "en": "Inserted"},
    "updated": {"vi": "Cập nhật", "en": "Updated"},
    "unchanged": {"vi": "Không đổi", "en": "Unchanged"},
    "rejected": {"vi": "Dòng bị từ chối", "en": "Rows rejected"},
    "cells_rejected": {"vi": "Ô bị bỏ qua", "en": "Cells left out"},
    "rejects": {"vi": "Các vấn đề cần sửa", "en": "Problems to fix"},
    "row": {"vi": "Dòng", "en": "Row"},
    "column": {"vi": "Cột", "en": "Column"},
    "value": {"vi": "Giá trị", "en": "Value"},
    "reason": {"vi": "Lý do", "en": "Reason"},
    "fix": {"vi": "Cách sửa", "en": "How to fix"},
    "download_rejects": {"vi": "Tải các vấn đề (Excel)", "en": "Download the problems (Excel)"},
    "no_rejects": {"vi": "Không có vấn đề nào.", "en": "No problems."},
    "recent_imports": {"vi": "Các lần nhập gần đây", "en": "Recent imports"},
    "job": {"vi": "Lần nhập", "en": "Import job"},
    "job_done": {"vi": "Hoàn tất", "en": "Done"},
    "job_failed": {"vi": "Thất bại", "en": "Failed"},
    "job_running": {"vi": "Đang chạy", "en": "Running"},
    "stage_reading": {"vi": "Đọc và kiểm tra tệp", "en": "Reading and checking the file"},
    "stage_storing": {"vi": "Ghi vào cơ sở dữ liệu", "en": "Storing in the database"},
    "stage_storing_rows": {"vi": "{n} dòng đã đọc", "en": "{n} rows read"},
    "stage_done": {"vi": "Hoàn tất", "en": "Done"},
    "stage_now": {"vi": "Đang làm", "en": "Now"},
    "stage_help": {
        "vi": "Trang tự cập nhật. Các dòng được ghi trong một giao dịch duy nhất: hoặc ghi tất cả, hoặc không ghi gì.",
        "en": "This page updates itself. The rows are stored in one transaction: all of them, or none.",
    },
    "keys": {"vi": "Khóa truy cập", "en": "Access keys"},
    "create_key": {"vi": "Tạo khóa", "en": "Create a key"},
    "role": {"vi": "Vai trò", "en": "Role"},
    "role_staff": {"vi": "Cán bộ Sở (staff)", "en": "Staff"},
    "role_analyst": {"vi": "Phân tích (analyst, chỉ đọc)", "en": "Analyst (read only)"},
    "role_firm": {"vi": "Doanh nghiệp (firm)", "en": "Firm"},
    # the signed-in role beside the key, in the page's header
    "who_staff": {"vi": "Cán bộ Sở", "en": "Staff"},
    "who_analyst": {"vi": "Phân tích", "en": "Analyst"},
    "who_firm": {"vi": "Doanh nghiệp", "en": "Firm"},
    "who_association": {"vi": "Hiệp hội", "en": "Association"},
    "firms_listed": {"vi": "Số DN", "en": "Firms"},
    "key_firm_help": {"vi": "Chỉ cho khóa doanh nghiệp: mã DN (ví dụ F0001)", "en": "For a firm key only: the firm ID (e.g. F0001)"},
    "label": {"vi": "Ghi chú (người giữ khóa)", "en": "Label (who holds the key)"},
    "key_created": {
        "vi": "Khóa mới — chỉ hiện một lần. Sao chép và gửi cho người dùng qua kênh an toàn:",
        "en": "The new key — shown only this once. Copy it and hand it over safely:",
    },
    "revoke": {"vi": "Thu hồi", "en": "Revoke"},
    "revoked": {"vi": "Đã thu hồi", "en": "Revoked"},
    "active": {"vi": "Đang dùng", "en": "Active"},
    "key_revoked": {"vi": "Đã thu hồi khóa", "en": "Key revoked"},
    "prefix": {"vi": "Khóa (đầu)", "en": "Key (prefix)"},
    "new_need": {"vi": "Nhu cầu mới", "en": "New need"},
    "need_id": {"vi": "Mã nhu cầu", "en": "Need ID"},
    "need_text": {"vi": "Mô tả nhu cầu (văn bản tự do)", "en": "The need in free text"},
    "need_text_help": {
        "vi": "Ví dụ: Cần vỏ nhựa ABS ép phun, 20.000 cái/tháng, ISO 9001 bắt buộc, giao trước 30/06/2027.",
        "en": "For example: ABS injection-moulded housings, 20,000 pieces/month, ISO 9001 mandatory, by 30/06/2027.",
    },
    "pick_lists": {"vi": "Chọn từ danh mục (không bắt buộc)", "en": "Pick from the taxonomy (optional)"},
    "multi_help": {"vi": "Giữ Ctrl (hoặc ⌘) để chọn nhiều mục.", "en": "Hold Ctrl (or ⌘) to pick several."},
    "min_capacity": {"vi": "Sản lượng tối thiểu/tháng", "en": "Minimum monthly quantity"},
    "existing_buyer": {"vi": "Bên mua đã có", "en": "Existing buyer"},
    "or_new_buyer": {"vi": "hoặc bên mua mới", "en": "or a new buyer"},
    "buyer_id": {"vi": "Mã bên mua", "en": "Buyer ID"},
    "buyer_name": {"vi": "Tên bên mua", "en": "Buyer's name"},
    "country_code": {"vi": "Mã quốc gia (JP, KR, …)", "en": "Country code (JP, KR, …)"},
    "park": {"vi": "Khu công nghiệp", "en": "Industrial park"},
    "no_park": {"vi": "— Không thuộc khu công nghiệp —", "en": "— Not in an industrial park —"},
    "target_price": {"vi": "Giá mục tiêu (USD, bảo mật)", "en": "Target price (USD, confidential)"},
    "internal_notes": {"vi": "Ghi chú nội bộ (bảo mật)", "en": "Internal notes (confidential)"},
    "save_need": {"vi": "Lưu nhu cầu", "en": "Save the need"},
    "need_saved": {"vi": "Đã lưu nhu cầu mới.", "en": "New need saved."},
    "unknown_park": {"vi": "Không có khu công nghiệp", "en": "Unknown industrial park"},
    "known_parks": {"vi": "Các khu công nghiệp đã biết", "en": "Known industrial parks"},
    "required": {"vi": "bắt buộc", "en": "required"},
    "cert_held": {"vi": "Còn hiệu lực", "en": "Valid"},
    "cert_expiring": {"vi": "Sắp hết hạn (≤ 90 ngày)", "en": "Expiring (≤ 90 days)"},
    "cert_expired": {"vi": "Hết hạn", "en": "Expired"},
    "cert_superseded": {"vi": "Phiên bản cũ, đã thay thế", "en": "Superseded version"},
    "cert_revoked": {"vi": "Bị thu hồi", "en": "Revoked"},
    "cert_pending": {"vi": "Chưa đến ngày hiệu lực", "en": "Not yet in force"},
    "cert_lacking": {"vi": "Không có", "en": "Not held"},
    "cert_unknown": {"vi": "Không rõ", "en": "Unknown"},
}

# The event pages (issue 13): business-matching events, their schedule and report.
EVENT_WORDS: dict[str, dict[str, str]] = {
    "events": {"vi": "Sự kiện", "en": "Events"},
    "event": {"vi": "Sự kiện", "en": "Event"},
    "events_title": {"vi": "Sự kiện kết nối giao thương", "en": "Business-matching events"},
    "events_intro": {
        "vi": "Mỗi sự kiện: bên mua mang nhu cầu, doanh nghiệp địa phương đăng ký; hệ thống đề xuất cặp gặp và xếp lịch theo khung giờ và bàn.",
        "en": "Each event: buyers bring their needs, local firms register; the system proposes who should meet and schedules the meetings by slot and table.",
    },
    "count_events": {"vi": "sự kiện", "en": "events"},
    "no_events": {"vi": "Chưa có sự kiện nào được lưu.", "en": "No event is stored yet."},
    "add_event": {"vi": "Thêm sự kiện", "en": "Add an event"},
    "add_event_button": {"vi": "Lưu sự kiện", "en": "Store the event"},
    "event_file": {"vi": "Tệp mô tả sự kiện (JSON)", "en": "Event description file (JSON)"},
    "event_file_help": {
        "vi": "Ngày, khung giờ, số bàn, bên mua (và nhu cầu), doanh nghiệp, yêu cầu và từ chối; bên mua, DN và nhu cầu phải có sẵn trong hệ thống. Mẫu:",
        "en": "Days, slots, tables, buyers (and their needs), firms, requests and refusals; its buyers, firms and needs must be stored already. Example:",
    },
    "event_saved": {"vi": "Đã lưu sự kiện. Kiểm tra đề xuất và yêu cầu, rồi xếp lịch.", "en": "Event stored. Check the proposals and requests, then schedule it."},
    "event_days": {"vi": "Ngày", "en": "Days"},
    "event_state_draft": {"vi": "Chưa xếp lịch", "en": "Not scheduled"},
    "event_state_scheduled": {"vi": "Đã xếp lịch", "en": "Scheduled"},
    "event_state_running": {"vi": "Đang xếp lịch…", "en": "Scheduling…"},
    "buyers": {"vi": "Bên mua", "en": "Buyers"},
    "meetings": {"vi": "Buổi gặp", "en": "Meetings"},
    "slots": {"vi": "Khung giờ", "en": "Slots"},
    "slot": {"vi": "Khung giờ", "en": "Slot"},
    "tables": {"vi": "Số bàn", "en": "Tables"},
    "table": {"vi": "Bàn", "en": "Table"},
    "table_n": {"vi": "Bàn {n}", "en": "Table {n}"},
    "time": {"vi": "Giờ", "en": "Time"},
    "free": {"vi": "trống", "en": "free"},
    "min_meetings": {"vi": "Tối thiểu mỗi DN", "en": "Minimum per firm"},
    "requests": {"vi": "Yêu cầu gặp", "en": "Meeting requests"},
    "refusals": {"vi": "Từ chối", "en": "Refusals"},
    "schedule": {"vi": "Lịch gặp", "en": "Meeting schedule"},
    "schedule_now": {"vi": "Xếp lịch", "en": "Schedule"},
    "schedule_again": {"vi": "Xếp lịch lại", "en": "Schedule again"},
    "time_limit": {"vi": "Thời gian tối đa cho bộ giải (giây)", "en": "Solver time limit (seconds)"},
    "time_limit_help": {
        "vi": "Từ 1 đến {max} giây. Hết giờ, hệ thống giữ lịch tốt nhất tìm được và cho biết khoảng cách đến cận trên.",
        "en": "From 1 to {max} seconds. At the limit the best schedule found is kept, with its gap to the bound.",
    },
    "schedule_running": {"vi": "Đang xếp lịch (tối đa {seconds} giây)…", "en": "Scheduling (at most {seconds} seconds)…"},
    "schedule_running_help": {
        "vi": "Có thể rời trang này; kết quả được lưu và hiện ở đây khi xong.",
        "en": "You may leave this page; the result is stored and shown here when it is done.",
    },
    "schedule_failed": {"vi": "Không xếp được lịch:", "en": "Scheduling failed:"},
    "not_scheduled": {
        "vi": "Chưa có lịch. Kiểm tra yêu cầu và từ chối bên dưới, rồi bấm Xếp lịch.",
        "en": "No schedule yet. Check the requests and refusals below, then press Schedule.",
    },
    "scheduled_at": {"vi": "Xếp lịch lúc", "en": "Scheduled on"},
    "solver_status": {"vi": "Bộ giải", "en": "Solver"},
    "solver_optimal": {"vi": "Tối ưu (đã chứng minh)", "en": "Optimal (proven)"},
    "solver_stopped": {"vi": "Dừng do hết giờ", "en": "Stopped at the time limit"},
    "objective": {"vi": "Giá trị mục tiêu", "en": "Objective"},
    "bound": {"vi": "Cận trên", "en": "Bound"},
    "gap": {"vi": "Khoảng cách", "en": "Gap"},
    "objective_help": {
        "vi": "Mục tiêu = tổng điểm phù hợp của các buổi gặp (yêu cầu được cộng thêm), trừ phạt khi DN thiếu số buổi tối thiểu; khoảng cách 0 % là tối ưu.",
        "en": "Objective = total match value of the meetings (requests count extra), less a penalty for each firm below its minimum; a gap of 0 % is optimal.",
    },
    "firms_with_meeting": {"vi": "DN có buổi gặp", "en": "Firms with a meeting"},
    "firms_below_minimum": {"vi": "DN dưới số buổi tối thiểu", "en": "Firms below the minimum"},
    "requests_unplaced": {"vi": "Yêu cầu chưa xếp được", "en": "Requests not placed"},
    "idle_gaps": {"vi": "Khung giờ chờ", "en": "Idle gaps"},
    "given_up": {"vi": "Những gì chưa xếp được", "en": "What could not be placed"},
    "every_firm_minimum": {
        "vi": "Mọi doanh nghiệp đã đăng ký đều có ít nhất {n} buổi gặp.",
        "en": "Every registered firm has at least {n} meeting(s).",
    },
    "every_request_placed": {"vi": "Mọi yêu cầu gặp đều đã được xếp.", "en": "Every meeting request was placed."},
    "requested_by": {"vi": "Yêu cầu bởi", "en": "Requested by"},
    "by_buyer": {"vi": "Bên mua yêu cầu", "en": "Buyer's request"},
    "by_firm": {"vi": "DN yêu cầu", "en": "Firm's request"},
    "by_both": {"vi": "Cả hai yêu cầu", "en": "Mutual request"},
    "schedule_grid": {"vi": "Lịch theo bàn và khung giờ", "en": "Schedule by table and slot"},
    "schedule_grid_help": {
        "vi": "Mỗi ô: bên mua (trên) và doanh nghiệp (dưới). Kéo ngang để xem các bàn còn lại.",
        "en": "Each cell: the buyer (top) and the firm (below). Scroll sideways for the other tables.",
    },
    "legend_requested": {"vi": "theo yêu cầu", "en": "requested"},
    "legend_held": {"vi": "đã diễn ra", "en": "held"},
    "meetings_list": {"vi": "Danh sách buổi gặp — ghi nhận buổi đã diễn ra", "en": "Meetings — record those held"},
    "held": {"vi": "Đã diễn ra", "en": "Held"},
    "record_held": {"vi": "Ghi nhận đã gặp", "en": "Record as held"},
    "held_saved": {
        "vi": "Đã ghi nhận buổi gặp; cặp (nhu cầu, DN) chuyển sang bước Đã gặp.",
        "en": "Meeting recorded as held; the (need, firm) pair moved to Meeting.",
    },
    "download_xlsx": {"vi": "Tải Excel", "en": "Download Excel"},
    "download_hall_pdf": {"vi": "PDF theo bàn (hội trường)", "en": "PDF by table (hall)"},
    "download_participants_pdf": {"vi": "PDF theo người tham dự", "en": "PDF by participant"},
    "download_calendars": {"vi": "Lịch .ics (ZIP)", "en": "Calendars .ics (ZIP)"},
    "calendar": {"vi": "Tải lịch .ics", "en": "Download the .ics calendar"},
    "event_report": {"vi": "Báo cáo sau sự kiện", "en": "Follow-up report"},
    "event_report_help": {
        "vi": "Cùng số liệu với lệnh cnht event report: buổi gặp đã diễn ra, các bước sau đó (gửi mẫu, đánh giá, đơn hàng, từ chối) và mức độ tiếp cận của DN địa phương.",
        "en": "The figures of cnht event report: meetings held, what followed them (samples, audits, orders, rejections) and how widely local firms were reached.",
    },
    "meetings_held": {"vi": "Buổi gặp đã diễn ra", "en": "Meetings held"},
    "registered_firms": {"vi": "DN đã đăng ký", "en": "Registered firms"},
    "share_with_meeting": {"vi": "Tỷ lệ có buổi gặp", "en": "Share with a meeting"},
    "exposure_scheduled": {"vi": "Theo lịch", "en": "As scheduled"},
    "exposure_held": {"vi": "Đã diễn ra", "en": "As held"},
    "gini_help": {
        "vi": "Gini của số buổi gặp mỗi DN: 0 là đều nhau, gần 1 là vài DN chiếm hết.",
        "en": "Gini of meetings per firm: 0 is even, near 1 means a few firms take them all.",
    },
    "proposals": {"vi": "Đề xuất cặp gặp", "en": "Meeting proposals"},
    "proposals_help": {
        "vi": "{n} doanh nghiệp phù hợp nhất với nhu cầu của mỗi bên mua (trong {total} cặp có điểm), kèm lý do.",
        "en": "The {n} firms that best fit each buyer's needs (of {total} scored pairs), with the reasons.",
    },
    "proposals_failed": {"vi": "Chưa tính được đề xuất:", "en": "Proposals could not be computed:"},
    "by_hand": {"vi": "Xử lý", "en": "By hand"},
    "request_meeting": {"vi": "Yêu cầu gặp", "en": "Request"},
    "refuse": {"vi": "Từ chối", "en": "Refuse"},
    "refused": {"vi": "Đã từ chối", "en": "Refused"},
    "requested": {"vi": "Đã yêu cầu", "en": "Requested"},
    "lift": {"vi": "Bỏ", "en": "Lift"},
    "requests_refusals": {"vi": "Yêu cầu và từ chối", "en": "Requests and refusals"},
    "requests_help": {
        "vi": "Yêu cầu của cả hai bên được ưu tiên nhất; cặp bị từ chối không bao giờ được xếp. Thay đổi ở đây xóa lịch cũ: xếp lịch lại sau đó.",
        "en": "A mutual request ranks first; a refused pair is never scheduled. A change here discards the current schedule: schedule again afterwards.",
    },
    "pair_change": {"vi": "Thao tác", "en": "Change"},
    "change_request_buyer": {"vi": "Bên mua yêu cầu gặp", "en": "The buyer asks to meet"},
    "change_request_firm": {"vi": "DN yêu cầu gặp", "en": "The firm asks to meet"},
    "change_refuse": {"vi": "Từ chối cặp này", "en": "Refuse this pair"},
    "save": {"vi": "Lưu", "en": "Save"},
    "pair_saved": {"vi": "Đã lưu thay đổi.", "en": "Change saved."},
    "pair_unchanged": {"vi": "Không có gì thay đổi: cặp này đã như vậy.", "en": "Nothing changed: the pair already was so."},
    "schedule_discarded": {"vi": "Lịch cũ đã bị xóa; hãy xếp lịch lại.", "en": "The previous schedule was discarded; schedule again."},
    "no_requests": {"vi": "Chưa có yêu cầu gặp.", "en": "No meeting requests."},
    "no_refusals": {"vi": "Chưa có cặp bị từ chối.", "en": "No refusals."},
    "participants": {"vi": "Người tham dự", "en": "Participants"},
    "needs_brought": {"vi": "Nhu cầu mang đến", "en": "Needs brought"},
    "max_meetings": {"vi": "Tối đa", "en": "Cap"},
    "registered": {"vi": "Đăng ký", "en": "Registered"},
    "invited": {"vi": "Được mời", "en": "Invited"},
    "best_buyer": {"vi": "Bên mua phù hợp nhất", "en": "Best-fitting buyer"},
    "unavailable_slots": {"vi": "bận {n} khung giờ", "en": "away for {n} slot(s)"},
    "on_this_page": {"vi": "Trên trang này", "en": "On this page"},
    "schedule_held_note": {
        "vi": "{n} buổi gặp đã được ghi nhận là đã diễn ra: lịch này được giữ làm hồ sơ, không xếp lại hay sửa yêu cầu được nữa. Muốn lịch mới, hãy lưu một sự kiện mới.",
        "en": "{n} meeting(s) were recorded as held: this schedule is kept as the record and can no longer be recomputed nor its requests changed. For a new schedule, store a new event.",
    },
    "idle_gaps_help": {
        "vi": "Khung giờ chờ: số khung giờ người tham dự phải đợi giữa hai buổi gặp trong ngày.",
        "en": "Idle gaps: slots participants wait between two of their meetings on a day.",
    },
    "report_after_schedule": {
        "vi": "Báo cáo có số liệu sau khi sự kiện được xếp lịch và các buổi gặp được ghi nhận.",
        "en": "The report has figures once the event is scheduled and its meetings are recorded as held.",
    },
}
WORDS.update(EVENT_WORDS)


def _add_words(*tables: dict[str, dict[str, str]]) -> None:
    """Add the words of a group of pages; a word defined twice is a mistake caught on import."""
    for table in tables:
        twice = sorted(set(table) & set(WORDS))
        if twice:
            raise ValueError(f"Words defined twice in the page dictionaries: {', '.join(twice)}")
        WORDS.update(table)


# The support programme's pages (issue 14), each group of pages with its own words.
from api.web.i18n_support_applications import WORDS as _APPLICATION_WORDS  # noqa: E402
from api.web.i18n_support_monitor import WORDS as _MONITOR_WORDS  # noqa: E402
from api.web.i18n_support_rounds import WORDS as _ROUND_WORDS  # noqa: E402

_add_words(_ROUND_WORDS, _MONITOR_WORDS, _APPLICATION_WORDS)

COUNTRY_NAMES: dict[str, dict[str, str]] = {
    "JP": {"vi": "Nhật Bản", "en": "Japan"}, "KR": {"vi": "Hàn Quốc", "en": "South Korea"},
    "CN": {"vi": "Trung Quốc", "en": "China"}, "TW": {"vi": "Đài Loan", "en": "Taiwan"},
    "US": {"vi": "Hoa Kỳ", "en": "United States"}, "DE": {"vi": "Đức", "en": "Germany"},
    "SG": {"vi": "Singapore", "en": "Singapore"}, "TH": {"vi": "Thái Lan", "en": "Thailand"},
    "VN": {"vi": "Việt Nam", "en": "Vietnam"}, "FR": {"vi": "Pháp", "en": "France"},
    "GB": {"vi": "Anh", "en": "United Kingdom"}, "IN": {"vi": "Ấn Độ", "en": "India"},
    "MY": {"vi": "Malaysia", "en": "Malaysia"}, "HK": {"vi": "Hồng Kông", "en": "Hong Kong"},
}


def country_name(code: str | None, lang: str) -> str:
    """The country of an ISO code in ``lang`` (the code itself when unknown; ``—`` for none)."""
    if not code:
        return "—"
    return COUNTRY_NAMES.get(code.upper(), {}).get(lang, code)


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


def format_date(value: dt.date | dt.datetime | str | None, lang: str = DEFAULT_LANGUAGE) -> str:
    """``dd/mm/yyyy`` (an ISO string is read first); ``—`` for nothing."""
    if isinstance(value, dt.datetime):
        value = to_local(value).date()  # the Hanoi day of a moment
    return dates.format_date(value)  # the one date format (features.dates)


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
