"""The demo generator's own phrase bank: how firms and buyers really write.

Written independently of the taxonomy's alias lists on purpose, so that the feature
pipeline is *tested* on the demo text rather than fed its own aliases back. Every process
and material code of the taxonomy contract has several phrasings: Vietnamese with
diacritics, Vietnamese typed without them, English, and for many a Japanese term as it
appears in Japanese buyers' drawings.
"""

from __future__ import annotations

__all__ = [
    "SECTORS",
    "PROCESS_PHRASES",
    "MATERIAL_PHRASES",
    "SECTOR_PHRASES",
    "SECTOR_PROCESSES",
    "SECTOR_MATERIALS",
    "SECTOR_PRODUCTS",
    "NEED_PARTS",
    "NAME_PATTERNS",
    "NAME_SYLLABLES",
    "FDI_NAME_PARTS",
    "ISSUERS",
    "MACHINES",
    "OPENINGS_VI",
    "OPENINGS_EN",
    "MULTINATIONAL_CUSTOMERS",
    "DOMESTIC_CUSTOMERS",
    "REJECTION_REASONS",
    "MISSING_CERTIFICATION_REASON",
    "INTERNAL_NOTES",
    "STAFF",
]

SECTORS: tuple[str, ...] = (
    "textile_garment",
    "leather_footwear",
    "electronics",
    "automotive",
    "mechanical",
    "high_tech",
)

# code -> phrasings (vi, vi without diacritics, en, sometimes ja).
PROCESS_PHRASES: dict[str, tuple[str, ...]] = {
    "cnc_machining": ("gia công CNC", "gia cong CNC", "CNC machining", "gia công cơ khí chính xác trên máy CNC", "NC加工"),
    "cnc_turning": ("tiện CNC", "tien CNC", "CNC turning", "tiện chi tiết trục", "旋盤加工"),
    "cnc_milling": ("phay CNC", "phay cnc 5 trục", "CNC milling", "phay chi tiết vỏ hộp", "フライス加工"),
    "injection_moulding": ("ép nhựa", "ep nhua", "injection molding", "ép phun nhựa", "射出成形"),
    "stamping": ("dập kim loại", "dap kim loai", "metal stamping", "dập vuốt tấm", "プレス加工"),
    "die_casting": ("đúc áp lực", "duc ap luc", "aluminium die casting", "đúc nhôm áp lực", "ダイカスト"),
    "sand_casting": ("đúc cát", "duc cat", "sand casting", "đúc gang khuôn cát", "砂型鋳造"),
    "investment_casting": ("đúc mẫu chảy", "duc mau chay", "investment casting", "đúc chính xác sáp", "ロストワックス"),
    "forging": ("rèn dập nóng", "ren dap nong", "hot forging", "rèn khuôn", "鍛造"),
    "sheet_metal": ("gia công kim loại tấm", "gia cong kim loai tam", "sheet metal fabrication", "gia công tôn tấm", "板金加工"),
    "laser_cutting": ("cắt laser", "cat laser", "laser cutting", "cắt laser fiber", "レーザー加工"),
    "bending": ("chấn gấp", "chan gap", "CNC press brake bending", "chấn tôn", "曲げ加工"),
    "welding": ("hàn MIG/TIG", "han tig", "welding", "hàn robot", "溶接"),
    "heat_treatment": ("nhiệt luyện", "nhiet luyen", "heat treatment", "tôi cao tần", "熱処理"),
    "electroplating": ("mạ kẽm, mạ niken", "ma kem", "electroplating", "mạ crôm", "めっき"),
    "anodizing": ("anode hóa nhôm", "anot hoa", "anodizing", "anodize nhôm", "アルマイト"),
    "powder_coating": ("sơn tĩnh điện", "son tinh dien", "powder coating", "phun sơn bột"),
    "painting": ("sơn phủ", "son uot", "spray painting", "sơn ướt chi tiết", "塗装"),
    "mould_making": ("sx khuôn mẫu", "che tao khuon mau", "mould making", "thiết kế chế tạo khuôn", "金型"),
    "edm": ("cắt dây EDM", "xung dien", "EDM wire cut", "gia công tia lửa điện", "放電加工"),
    "grinding": ("mài phẳng, mài tròn", "mai tron", "precision grinding", "mài vô tâm", "研削加工"),
    "polishing": ("đánh bóng", "danh bong", "polishing", "đánh bóng inox", "研磨"),
    "smt_assembly": ("SMT assembly", "dán linh kiện SMT", "dan linh kien smt", "SMT line", "表面実装"),
    "pcb_fabrication": ("sản xuất mạch in PCB", "san xuat mach in", "PCB fabrication", "mạch in nhiều lớp", "プリント基板製造"),
    "electronic_assembly": ("lắp ráp điện tử", "lap rap dien tu", "electronic assembly", "lắp ráp bo mạch", "電子組立"),
    "wire_harness": ("bó dây điện", "bo day dien", "wire harness", "sản xuất dây điện ô tô", "ワイヤーハーネス"),
    "cable_manufacturing": ("sản xuất cáp điện", "san xuat cap", "cable manufacturing", "dây cáp tín hiệu", "ケーブル製造"),
    "coil_winding": ("quấn cuộn dây", "quan cuon day", "coil winding", "quấn biến áp", "コイル巻線"),
    "rubber_moulding": ("ép cao su", "ep cao su", "rubber moulding", "lưu hóa cao su kỹ thuật", "ゴム成形"),
    "extrusion": ("đùn ép profile", "dun nhom", "extrusion", "đùn nhựa định hình", "押出成形"),
    "blow_moulding": ("thổi chai nhựa", "thoi nhua", "blow moulding", "thổi can nhựa", "ブロー成形"),
    "additive_manufacturing": ("in 3D kim loại", "in 3d", "3D printing", "additive manufacturing", "積層造形"),
    "gear_cutting": ("gia công bánh răng", "cat banh rang", "gear cutting", "phay lăn răng", "歯切り"),
    "fastener_making": ("sản xuất bu lông ốc vít", "bu long oc vit", "fastener manufacturing", "dập nguội ốc vít", "ねじ製造"),
    "spring_making": ("sản xuất lò xo", "lo xo", "spring making", "lò xo nén, lò xo kéo", "ばね製造"),
    "mechanical_assembly": ("lắp ráp cơ khí", "lap rap co khi", "mechanical assembly", "lắp ráp cụm chi tiết", "組立"),
    "cmm_inspection": ("đo kiểm CMM", "do kiem 3 chieu", "CMM inspection", "phòng đo 3D", "三次元測定"),
    "spinning": ("kéo sợi", "keo soi", "yarn spinning", "sợi cotton chải kỹ", "紡績"),
    "weaving": ("dệt vải", "det thoi", "weaving", "dệt vải mộc", "織布"),
    "knitting": ("dệt kim", "det kim", "knitting", "vải thun dệt kim tròn", "編み立て"),
    "dyeing": ("nhuộm vải", "nhuom", "dyeing and finishing", "nhuộm hoàn tất", "染色"),
    "sewing": ("may gia công", "may mac", "garment sewing", "may công nghiệp", "縫製"),
    "embroidery": ("thêu vi tính", "theu", "embroidery", "thêu logo", "刺繍"),
    "label_printing": ("in nhãn mác", "in nhan", "label printing", "in tem nhãn decal", "ラベル印刷"),
    "packaging_printing": ("in bao bì carton", "in bao bi", "packaging printing", "hộp giấy in offset", "パッケージ印刷"),
    "leather_tanning": ("thuộc da", "thuoc da", "leather tanning", "thuộc da bò", "なめし"),
    "shoe_sole_moulding": ("ép đế giày", "ep de giay", "shoe sole moulding", "đúc đế giày EVA", "靴底成形"),
    "pad_printing": ("in tampon", "in tampo", "pad printing", "in tampon logo trên nhựa", "パッド印刷"),
}

MATERIAL_PHRASES: dict[str, tuple[str, ...]] = {
    "carbon_steel": ("thép carbon", "thep C45", "carbon steel", "thép SS400", "炭素鋼"),
    "alloy_steel": ("thép hợp kim", "thep SCM440", "alloy steel", "thép 40Cr", "合金鋼"),
    "stainless_steel": ("inox", "inox 304", "stainless steel", "thép không gỉ SUS304", "ステンレス"),
    "tool_steel": ("thép dụng cụ SKD11", "thep khuon", "tool steel", "thép làm khuôn SKD61", "工具鋼"),
    "cast_iron": ("gang", "gang xam FC250", "cast iron", "gang cầu FCD450", "鋳鉄"),
    "aluminium": ("nhôm", "nhom A6061", "aluminum", "hợp kim nhôm ADC12", "アルミ"),
    "zinc_alloy": ("hợp kim kẽm", "kem ZAMAK", "zinc alloy", "zamak 3", "亜鉛合金"),
    "copper": ("đồng đỏ", "dong do", "copper", "đồng C1100", "銅"),
    "brass": ("đồng thau", "dong thau", "brass", "đồng vàng C3604", "真鍮"),
    "titanium": ("titan", "titan Gr5", "titanium", "hợp kim titan", "チタン"),
    "abs": ("nhựa ABS", "nhua abs", "ABS resin", "ABS"),
    "pc": ("nhựa PC", "polycarbonate", "PC", "nhựa PC trong"),
    "pa": ("nhựa PA66", "nylon PA6", "polyamide", "PA66 GF30"),
    "pom": ("nhựa POM", "pom", "acetal POM", "nhựa POM (Delrin)"),
    "pp": ("nhựa PP", "nhua pp", "polypropylene", "PP"),
    "pe": ("nhựa PE", "HDPE", "polyethylene", "nhựa HDPE, LDPE"),
    "pvc": ("nhựa PVC", "nhua pvc", "PVC compound", "PVC"),
    "pet": ("nhựa PET", "pet", "PET", "hạt PET"),
    "pmma": ("mica PMMA", "mica", "acrylic PMMA", "nhựa acrylic"),
    "tpu": ("nhựa TPU", "tpu", "TPU", "polyurethane nhiệt dẻo"),
    "silicone": ("silicon", "silicone", "silicone rubber", "cao su silicone"),
    "rubber": ("cao su", "cao su NBR", "rubber", "cao su tự nhiên", "ゴム"),
    "epdm": ("cao su EPDM", "epdm", "EPDM", "gioăng EPDM"),
    "pcb_laminate": ("phôi mạch FR-4", "fr4", "FR-4 laminate", "tấm đồng phủ CCL"),
    "cotton": ("vải cotton", "cotton", "cotton 100%", "sợi bông"),
    "polyester": ("vải polyester", "poly", "polyester", "sợi PE"),
    "nylon_fabric": ("vải nylon", "vai du", "nylon fabric", "vải dù"),
    "leather": ("da bò", "da that", "genuine leather", "da thuộc", "本革"),
    "synthetic_leather": ("da PU", "simili", "synthetic leather", "giả da PU", "合成皮革"),
    "eva_foam": ("xốp EVA", "eva", "EVA foam", "mút EVA"),
    "paperboard": ("giấy carton", "carton song", "paperboard", "giấy duplex"),
    "glass": ("kính", "kinh cuong luc", "glass", "kính cường lực"),
}

# How firms write their sector in the "sectors" column (free text or codes).
SECTOR_PHRASES: dict[str, tuple[str, ...]] = {
    "textile_garment": ("Dệt may", "det may", "textile_garment", "Textile & garment", "May mặc"),
    "leather_footwear": ("Da giày", "da giay", "leather_footwear", "Footwear", "Da - giày"),
    "electronics": ("Điện tử", "dien tu", "electronics", "Electronics", "Điện - điện tử"),
    "automotive": ("Ô tô", "o to", "automotive", "Auto parts", "Linh kiện ô tô, xe máy"),
    "mechanical": ("Cơ khí", "co khi", "mechanical", "Cơ khí chế tạo", "Precision engineering"),
    "high_tech": ("Công nghệ cao", "cong nghe cao", "high_tech", "Hi-tech", "CN cao"),
}

# The processes and materials each sector's firms really use (first ones most often).
SECTOR_PROCESSES: dict[str, tuple[str, ...]] = {
    "mechanical": (
        "cnc_machining", "cnc_turning", "cnc_milling", "welding", "sheet_metal", "stamping",
        "laser_cutting", "bending", "mould_making", "heat_treatment", "electroplating",
        "powder_coating", "grinding", "edm", "painting", "polishing", "mechanical_assembly",
        "forging", "sand_casting", "investment_casting", "gear_cutting", "fastener_making",
        "spring_making", "cmm_inspection", "anodizing", "die_casting",
    ),
    "electronics": (
        "smt_assembly", "electronic_assembly", "injection_moulding", "wire_harness",
        "pcb_fabrication", "stamping", "cable_manufacturing", "coil_winding", "pad_printing",
        "mould_making", "label_printing", "packaging_printing", "extrusion",
    ),
    "automotive": (
        "stamping", "injection_moulding", "welding", "die_casting", "cnc_turning",
        "wire_harness", "rubber_moulding", "forging", "electroplating", "painting",
        "heat_treatment", "fastener_making", "spring_making", "cnc_milling", "extrusion",
        "blow_moulding", "mechanical_assembly", "gear_cutting", "powder_coating",
    ),
    "textile_garment": (
        "sewing", "knitting", "weaving", "dyeing", "embroidery", "spinning", "label_printing",
        "packaging_printing",
    ),
    "leather_footwear": (
        "sewing", "shoe_sole_moulding", "leather_tanning", "embroidery", "rubber_moulding",
        "injection_moulding", "packaging_printing", "pad_printing",
    ),
    "high_tech": (
        "cnc_milling", "smt_assembly", "additive_manufacturing", "cmm_inspection", "edm",
        "electronic_assembly", "pcb_fabrication", "anodizing", "mould_making",
        "injection_moulding", "grinding",
    ),
}

SECTOR_MATERIALS: dict[str, tuple[str, ...]] = {
    "mechanical": (
        "carbon_steel", "stainless_steel", "aluminium", "alloy_steel", "tool_steel",
        "cast_iron", "brass", "copper", "titanium", "zinc_alloy",
    ),
    "electronics": (
        "pcb_laminate", "copper", "abs", "pc", "pvc", "pa", "aluminium", "silicone", "pet",
        "pmma", "glass",
    ),
    "automotive": (
        "carbon_steel", "aluminium", "pp", "abs", "rubber", "epdm", "alloy_steel", "pa",
        "pom", "zinc_alloy", "pvc", "copper", "pe", "glass",
    ),
    "textile_garment": ("cotton", "polyester", "nylon_fabric", "paperboard", "pet"),
    "leather_footwear": ("leather", "synthetic_leather", "eva_foam", "rubber", "tpu", "cotton"),
    "high_tech": ("aluminium", "titanium", "stainless_steel", "pcb_laminate", "pc", "glass", "silicone"),
}

# Product words per sector, for descriptions ("products" column) and need titles.
SECTOR_PRODUCTS: dict[str, tuple[str, ...]] = {
    "mechanical": ("trục, bạc, chốt", "đồ gá, jig", "chi tiết máy", "bích, mặt bích", "vỏ tủ điện", "khung giá đỡ", "bánh răng", "bu lông, ốc vít"),
    "electronics": ("bo mạch PCBA", "vỏ nhựa thiết bị", "dây cáp tín hiệu", "adapter, sạc", "cuộn cảm", "bộ dây điện"),
    "automotive": ("giá đỡ (bracket) ô tô", "linh kiện xe máy", "gioăng cao su", "ống dẫn", "vỏ gương", "chi tiết đúc nhôm"),
    "textile_garment": ("áo sơ mi, quần âu", "đồng phục", "vải dệt kim", "nhãn dệt", "túi vải"),
    "leather_footwear": ("mũ giày", "đế giày", "túi xách da", "ví da", "phụ kiện giày"),
    "high_tech": ("linh kiện thiết bị y tế", "chi tiết quang học", "cảm biến", "vỏ drone", "linh kiện bán dẫn"),
}

# Need titles: (language, template); {part} from NEED_PARTS, {material} a material phrase.
NEED_PARTS: dict[str, tuple[tuple[str, str], ...]] = {
    "mechanical": (("en", "precision shaft"), ("en", "machined bracket"), ("en", "jig and fixture"), ("vi", "trục truyền động"), ("vi", "đồ gá kiểm tra"), ("ja", "治具")),
    "electronics": (("en", "PCBA for controller"), ("en", "plastic housing"), ("en", "cable assembly"), ("vi", "vỏ nhựa điều khiển"), ("vi", "bo mạch nguồn"), ("ja", "樹脂ケース")),
    "automotive": (("en", "stamped bracket"), ("en", "rubber grommet"), ("en", "wire harness sub-assembly"), ("vi", "giá đỡ dập"), ("vi", "gioăng cao su"), ("ja", "プレス部品")),
    "textile_garment": (("en", "woven shirt"), ("en", "knitted polo"), ("en", "woven label"), ("vi", "áo đồng phục"), ("vi", "vải thun"), ("ja", "縫製品")),
    "leather_footwear": (("en", "shoe upper"), ("en", "EVA outsole"), ("en", "leather trim"), ("vi", "mũ giày"), ("vi", "đế giày"), ("ja", "靴底")),
    "high_tech": (("en", "medical device housing"), ("en", "titanium implant blank"), ("en", "sensor module"), ("vi", "linh kiện thiết bị y tế"), ("vi", "mô-đun cảm biến"), ("ja", "精密部品")),
}

# Company names: {x} is the distinctive name (two syllables), {y} a sector word.
NAME_PATTERNS: dict[str, tuple[str, ...]] = {
    "mechanical": ("Công ty TNHH Cơ khí Chính xác {x}", "Cty TNHH SX & TM {x}", "Công ty CP Cơ khí {x}", "Công ty TNHH Kỹ thuật {x}", "Công ty TNHH MTV Cơ khí {x}"),
    "electronics": ("Công ty CP Điện tử {x}", "Công ty TNHH Linh kiện Điện tử {x}", "Cty TNHH SX & TM {x}", "Công ty CP Nhựa {x}", "Công ty TNHH Công nghệ {x}"),
    "automotive": ("Công ty CP Phụ tùng {x}", "Công ty TNHH Linh kiện Ô tô {x}", "Công ty CP Nhựa {x}", "Cty TNHH Cơ khí Ô tô {x}", "Công ty TNHH Cao su {x}"),
    "textile_garment": ("Công ty CP May {x}", "Công ty TNHH Dệt may {x}", "Cty TNHH SX & TM {x}", "Công ty CP Dệt {x}"),
    "leather_footwear": ("Công ty TNHH Giày da {x}", "Công ty CP Da giày {x}", "Cty TNHH SX & TM {x}"),
    "high_tech": ("Công ty CP Công nghệ {x}", "Công ty TNHH Công nghệ cao {x}", "Công ty CP Kỹ thuật {x}"),
}
NAME_SYLLABLES: tuple[str, ...] = (
    "Minh", "Tân", "Phú", "Thành", "Đạt", "Hưng", "An", "Phát", "Việt", "Hoàng", "Long",
    "Thịnh", "Quang", "Đức", "Tiến", "Bảo", "Hải", "Nam", "Trường", "Kim", "Hòa", "Thái",
    "Sơn", "Vinh", "Gia", "Khang", "Lộc", "Toàn", "Nhật", "Hà", "Đông", "Tín", "Nghĩa",
    "Uy", "Thủy", "Hợp", "Cường", "Lâm", "Đại", "Xuân",
)
# FDI and joint-venture firms: fictional Japanese/Korean-sounding names.
FDI_NAME_PARTS: tuple[tuple[str, ...], tuple[str, ...]] = (
    ("Aoba", "Kitano", "Minamiya", "Hikarida", "Sorano", "Midorika", "Hanjin-Viet", "Daesan", "Seowon", "Taekwang-Viet"),
    ("Seiki", "Kogyo", "Precision", "Denshi", "Tech", "Industrial", "Parts", "Mold"),
)

ISSUERS: tuple[str, ...] = (
    "Bureau Veritas", "QUACERT", "TÜV Rheinland", "SGS", "Intertek", "BSI", "DNV", "Vinacert",
    "TÜV SÜD", "Vietcert",
)

MACHINES: tuple[str, ...] = (
    "máy CNC Mazak, Okuma", "máy tiện CNC Fanuc", "trung tâm gia công Brother", "máy ép nhựa Haitian 80-450T",
    "máy dập 45-300 tấn", "máy cắt laser Bystronic", "máy đo CMM Mitutoyo", "dây chuyền SMT Fuji NXT",
    "máy chấn Amada", "robot hàn Panasonic", "máy may Juki", "máy thêu Tajima",
)

OPENINGS_VI: tuple[str, ...] = (
    "Chuyên", "Chuyên sản xuất và", "Nhận", "Công ty chuyên", "SX, kinh doanh:", "Lĩnh vực:",
    "DN hoạt động trong lĩnh vực",
)
OPENINGS_EN: tuple[str, ...] = (
    "We provide", "Specialised in", "Our capabilities:", "OEM supplier for",
)

# (name, country) of well-known multinational plants around Hanoi, as firms list them.
MULTINATIONAL_CUSTOMERS: tuple[tuple[str, str], ...] = (
    ("Canon Việt Nam (KCN Thăng Long)", "JP"),
    ("Honda Vietnam", "JP"),
    ("Toyota Vietnam", "JP"),
    ("Yamaha Motor Vietnam", "JP"),
    ("Panasonic", "JP"),
    ("Denso", "JP"),
    ("Brother", "JP"),
    ("Samsung Electronics Việt Nam (Yên Phong)", "KR"),
    ("Samsung Display", "KR"),
    ("LG Electronics Hải Phòng", "KR"),
    ("LG Innotek", "KR"),
    ("Hyundai Thành Công", "KR"),
    ("Foxconn (Quế Võ)", "TW"),
    ("Compal", "TW"),
    ("Bosch", "DE"),
)
DOMESTIC_CUSTOMERS: tuple[str, ...] = (
    "VinFast", "Thaco", "EVN", "Viettel Manufacturing", "Rạng Đông", "Điện Quang", "May 10",
    "Dệt kim Đông Xuân",
)

# step -> reasons (bilingual, "vi / en"); the missing-certification reason is separate.
MISSING_CERTIFICATION_REASON = "thiếu chứng chỉ bắt buộc / missing mandatory certification"
REJECTION_REASONS: dict[str, tuple[str, ...]] = {
    "suggested": ("không phù hợp năng lực / capability mismatch", "doanh nghiệp không phản hồi / no response from firm"),
    "contacted": ("không đủ năng lực / insufficient capability", "doanh nghiệp từ chối / firm declined", "công suất không đủ / insufficient capacity"),
    "meeting": ("giá cao / price too high", "công suất không đủ / insufficient capacity", "xa nhà máy / too far from the plant"),
    "sample": ("mẫu không đạt / sample failed quality check", "dung sai không đạt / tolerance not met", "giá cao / price too high"),
    "audit": ("không đạt đánh giá nhà máy / factory audit failed",),
}

INTERNAL_NOTES: tuple[str, ...] = (
    "Nhà cung cấp hiện tại ở Trung Quốc, muốn nội địa hóa 30%.",
    "Buyer đang làm việc song song với NCC Thái Lan.",
    "Confidential: current price from overseas supplier is about 15% below target.",
    "Ưu tiên DN đã có kinh nghiệm với khách Nhật.",
    "Need decision before next budget cycle.",
    "Purchasing manager visits Hanoi next quarter.",
    "",
)

STAFF: tuple[str, ...] = (
    "nguyen.thu.ha", "tran.minh.duc", "le.hoang.anh", "pham.thi.lan", "do.quoc.viet",
)
