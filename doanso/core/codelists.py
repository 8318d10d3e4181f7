"""Official code lists, loaded into tables by a data migration (see conventions.md §3)."""

# Decision 121-TCTK/PPCĐ, 02/03/1979 — code, canonical name, other spellings seen in files.
ETHNICITIES = [
    ("01", "Kinh", ["viet"]), ("02", "Tày", []), ("03", "Thái", []), ("04", "Hoa", []),
    ("05", "Khơ-me", ["khmer", "kho me"]), ("06", "Mường", []), ("07", "Nùng", []),
    ("08", "HMông", ["mong", "h mong", "h'mong", "hmong"]), ("09", "Dao", []),
    ("10", "Gia-rai", ["gia rai", "ja rai", "jarai"]), ("11", "Ngái", []), ("12", "Ê-đê", ["e de", "ede"]),
    ("13", "Ba na", ["bana", "ba-na"]), ("14", "Xơ-Đăng", ["xo dang", "xodang"]), ("15", "Sán Chay", []),
    ("16", "Cơ-ho", ["co ho", "koho"]), ("17", "Chăm", ["cham"]), ("18", "Sán Dìu", []), ("19", "Hrê", []),
    ("20", "Mnông", ["m nong"]), ("21", "Ra-glai", ["raglay", "ra glai"]), ("22", "Xtiêng", ["x tieng"]),
    ("23", "Bru-Vân Kiều", ["bru van kieu", "van kieu"]), ("24", "Thổ", []), ("25", "Giáy", []),
    ("26", "Cơ-tu", ["co tu", "katu"]), ("27", "Gié Triêng", ["gie trieng"]), ("28", "Mạ", []), ("29", "Khơ-mú", ["kho mu", "khmu"]),
    ("30", "Co", []), ("31", "Tà-ôi", ["ta oi"]), ("32", "Chơ-ro", ["cho ro"]), ("33", "Kháng", []),
    ("34", "Xinh-mun", ["xinh mun"]), ("35", "Hà Nhì", []), ("36", "Chu ru", ["churu"]), ("37", "Lào", []),
    ("38", "La Chí", []), ("39", "La Ha", []), ("40", "Phù Lá", []), ("41", "La Hủ", []), ("42", "Lự", []),
    ("43", "Lô Lô", []), ("44", "Chứt", []), ("45", "Mảng", []), ("46", "Pà Thẻn", []), ("47", "Co Lao", []),
    ("48", "Cống", []), ("49", "Bố Y", []), ("50", "Si La", []), ("51", "Pu Péo", []), ("52", "Brâu", []),
    ("53", "Ơ Đu", []), ("54", "Rơ măm", []),
]  # fmt: skip

# In public code lists but not in the 1979 decision (?).
ETHNICITIES_UNCONFIRMED = [("55", "Người nước ngoài", []), ("56", "Không rõ", [])]

# Decision 1019/QĐ-TCTK (12/11/2008) + Decision 132/QĐ-TGCP (2014); 15–16 from the
# public population-data code list (?).
RELIGIONS = [
    ("00", "Không", True), ("01", "Phật giáo", True), ("02", "Công giáo", True), ("03", "Phật giáo Hoà Hảo", True),
    ("04", "Hồi giáo", True), ("05", "Cao Đài", True), ("06", "Minh sư đạo", True), ("07", "Minh Lý đạo", True),
    ("08", "Tin Lành", True), ("09", "Tịnh độ Cư sĩ Phật hội Việt Nam", True), ("10", "Đạo Tứ ấn hiếu nghĩa", True),
    ("11", "Bửu sơn Kỳ hương", True), ("12", "Đạo Ba Ha'i", True), ("13", "Bà La Môn", True),
    ("14", "Mặc Môn", True), ("15", "Phật giáo Hiếu Nghĩa Tà Lơn", False), ("16", "Giáo hội Cơ đốc Phục lâm Việt Nam", False),
]  # fmt: skip
