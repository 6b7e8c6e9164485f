"""Messages of the policy importers, in Simplified Chinese (default) and English.

Importers build errors as a code plus parameters (``portal.data.importers.common.RowError``)
so any caller can render them in the user's language with ``render``. Identity numbers
never appear unmasked in a message.
"""

from __future__ import annotations

DEFAULT_LANG = "zh"

MESSAGES: dict[str, dict[str, str]] = {
    "zh": {
        # where
        "where.line": "第 {n} 行",
        "where.item": "第 {n} 条",
        "where.file": "文件",
        # file-level problems
        "file_unreadable": "无法读取文件：{detail}",
        "not_utf8": "文件不是 UTF-8 编码",
        "empty_file": "文件中没有任何保单数据",
        "missing_columns": "缺少必需的列：{columns}",
        "unknown_columns": "无法识别的列：{columns}",
        "duplicate_columns": "列名重复：{columns}",
        "malformed_json": "JSON 格式错误（第 {column} 列）：{detail}",
        "not_a_list": "JSON 顶层必须是保单对象的数组",
        "bad_row_shape": "该行有 {found} 个字段，表头有 {expected} 列",
        "file_too_large": "文件过大：{size} 字节，上限为 {max} 字节（请拆分为多个文件）",
        "field_too_large": "字段过长，超过 {max} 个字符，无法读取",
        "too_deep": "JSON 嵌套层数过多（上限 {max} 层）",
        "number_too_long_in_file": "数字位数过多，无法读取",
        "file_changed": "导入过程中文件被修改，请重新运行导入",
        # values
        "item_not_object": "每条保单必须是 JSON 对象",
        "missing_value": "“{field}”不能为空",
        "wrong_type": "“{field}”应为{expected}，实际为 {value}",
        "too_long": "“{field}”超过 {max} 个字符",
        "text_control_chars": "“{field}”含有不允许的字符（换行、制表符等控制字符，或零宽、方向控制等不可见字符）",
        "text_formula": "“{field}”不能以 =、+、-、@ 开头（会被电子表格当作公式执行）：{value}",
        "number_too_long": "“{field}”数字过长（最多 {max} 个字符）",
        "bad_text": "“{field}”的格式不正确：{value}",
        "bad_amount": "“{field}”不是有效金额：{value}（应为元，如 12345.60 或 12,345.60，最多两位小数）",
        "negative_amount": "“{field}”不能为负数：{value}",
        "amount_too_large": "“{field}”金额过大：{value}",
        "bad_date": "“{field}”不是有效日期：{value}（格式应为 YYYY-MM-DD）",
        "bad_integer": "“{field}”应为整数：{value}",
        "bad_boolean": "“{field}”应为 true 或 false：{value}",
        "out_of_range": "“{field}”超出允许范围 {low}–{high}：{value}",
        "date_order": "“{later}”（{later_value}）早于“{earlier}”（{earlier_value}）",
        "date_in_future": "“{field}”不能晚于今天：{value}",
        "bad_period": "产险保单的保险期间应为一年：{start} 至 {end}",
        "unknown_status": "未知的保单状态：{value}（可用：{allowed}）",
        "status_date_required": "状态为“{status}”时必须填写“{field}”",
        "unknown_frequency": "未知的交费方式代码：{value}（可用：{allowed}）",
        "term_frequency_mismatch": "交费方式与交费年期不一致：趸交的交费年期应为 0，期交应大于 0",
        "bad_gender": "性别应为 男/女 或 M/F：{value}",
        "bad_phone": "手机号码应为 11 位数字：{value}",
        "bad_id_number": "证件号码无效：{value}（应为 18 位身份证号，校验位正确）",
        "birth_date_mismatch": "出生日期 {value} 与证件号码中的出生日期不一致",
        "bad_coverage": "保障责任格式不正确：{value}",
        "unknown_responsibility": "未知的保障责任：{value}（可用：{allowed}）",
        "missing_object": "车险须提供被保险车辆（vehicle），家财险须提供被保险房屋（property）",
        "bad_plate": "车牌号格式不正确：{value}",
        "bad_vin": "车架号（VIN）应为 17 位字母数字：{value}",
        # catalogue and database
        "unknown_product": "险种代码不存在：{code}",
        "product_line_mismatch": "险种 {code} 属于{line}，不能从该系统导入",
        "id_number_conflict": "客户号 {customer_no} 已存在，但证件号码不一致（系统中为 {existing}，文件中为 {given}）",
        "id_number_in_use": "证件号码 {given} 已属于另一客户号 {other}",
        "customer_mismatch_in_file": "客户号 {customer_no} 的证件号码与第 {first} 行不一致",
        "duplicate_policy_no": "保单号 {policy_no} 在文件中重复（首次出现于第 {first} 行）",
        "policy_owner_conflict": "保单号 {policy_no} 已存在，且属于另一位投保人",
        "policy_source_conflict": "保单号 {policy_no} 已由{source}导入，不能被本系统覆盖",
        # outcome
        "summary": "新增 {created} 张，更新 {updated} 张，未变化 {unchanged} 张，拒绝 {rejected} 条",
        "rolled_back": "因存在错误，整个文件未导入（可使用 --skip-bad-rows 只导入正确的行）",
        "stopped": "导入期间数据库发生变化，导入已停止：已写入 {written} 张；处理上述问题后重新运行同一命令即可继续",
        "already_imported": "该文件已于 {when} 导入过，未做任何更改",
        "line.life": "寿险",
        "line.property": "产险",
        "source.life_core": "寿险核心系统",
        "source.property_core": "产险核心系统",
        "type.integer": "整数",
        "type.string": "文本",
        "type.boolean": "布尔值",
        "type.object": "对象",
        "type.list": "数组",
    },
    "en": {
        "where.line": "line {n}",
        "where.item": "item {n}",
        "where.file": "file",
        "file_unreadable": "cannot read the file: {detail}",
        "not_utf8": "the file is not UTF-8 encoded",
        "empty_file": "the file contains no policies",
        "missing_columns": "missing required column(s): {columns}",
        "unknown_columns": "unknown column(s): {columns}",
        "duplicate_columns": "duplicate column(s): {columns}",
        "malformed_json": "malformed JSON at column {column}: {detail}",
        "not_a_list": "the JSON top level must be an array of policy objects",
        "bad_row_shape": "the row has {found} fields but the header has {expected} columns",
        "file_too_large": "the file is too large: {size} bytes, the limit is {max} bytes (split it into several files)",
        "field_too_large": "a field is longer than {max} characters and cannot be read",
        "too_deep": "the JSON is nested too deeply (at most {max} levels)",
        "number_too_long_in_file": "a number has too many digits to be read",
        "file_changed": "the file changed while it was being imported; run the import again",
        "item_not_object": "each policy must be a JSON object",
        "missing_value": '"{field}" must not be empty',
        "wrong_type": '"{field}" must be {expected}, got {value}',
        "too_long": '"{field}" is longer than {max} characters',
        "text_control_chars": '"{field}" contains characters that are not allowed (line breaks, tabs or other control characters, or invisible zero-width or text-direction characters)',
        "text_formula": '"{field}" must not start with =, +, - or @ (a spreadsheet would run it as a formula): {value}',
        "number_too_long": '"{field}" is too long for a number (at most {max} characters)',
        "bad_text": '"{field}" has an invalid format: {value}',
        "bad_amount": '"{field}" is not a valid amount: {value} (yuan, e.g. 12345.60 or 12,345.60, at most 2 decimals)',
        "negative_amount": '"{field}" must not be negative: {value}',
        "amount_too_large": '"{field}" is too large: {value}',
        "bad_date": '"{field}" is not a valid date: {value} (expected YYYY-MM-DD)',
        "bad_integer": '"{field}" must be a whole number: {value}',
        "bad_boolean": '"{field}" must be true or false: {value}',
        "out_of_range": '"{field}" is outside {low}–{high}: {value}',
        "date_order": '"{later}" ({later_value}) is before "{earlier}" ({earlier_value})',
        "date_in_future": '"{field}" must not be after today: {value}',
        "bad_period": "a property policy must run for one year: {start} to {end}",
        "unknown_status": "unknown policy status: {value} (allowed: {allowed})",
        "status_date_required": 'status "{status}" needs "{field}"',
        "unknown_frequency": "unknown payment frequency code: {value} (allowed: {allowed})",
        "term_frequency_mismatch": "payment frequency and payment term disagree: single premium needs term 0, regular premiums a term above 0",
        "bad_gender": "gender must be 男/女 or M/F: {value}",
        "bad_phone": "mobile number must have 11 digits: {value}",
        "bad_id_number": "invalid ID number: {value} (18-character resident ID with a valid check digit)",
        "birth_date_mismatch": "birth date {value} disagrees with the birth date in the ID number",
        "bad_coverage": "invalid coverage list: {value}",
        "unknown_responsibility": "unknown responsibility: {value} (allowed: {allowed})",
        "missing_object": "a motor policy needs the insured vehicle, a home policy the insured property",
        "bad_plate": "invalid licence plate: {value}",
        "bad_vin": "VIN must be 17 letters or digits: {value}",
        "unknown_product": "unknown product code: {code}",
        "product_line_mismatch": "product {code} is a {line} product and cannot come from this system",
        "id_number_conflict": "customer {customer_no} exists with a different ID number (on record {existing}, in file {given})",
        "id_number_in_use": "ID number {given} already belongs to customer {other}",
        "customer_mismatch_in_file": "customer {customer_no} has a different ID number than on line {first}",
        "duplicate_policy_no": "policy number {policy_no} appears more than once (first on line {first})",
        "policy_owner_conflict": "policy {policy_no} already exists under another policyholder",
        "policy_source_conflict": "policy {policy_no} was imported from the {source} and cannot be overwritten from here",
        "summary": "{created} created, {updated} updated, {unchanged} unchanged, {rejected} rejected",
        "rolled_back": "nothing was imported because of the errors (use --skip-bad-rows to import the good rows only)",
        "stopped": "the database changed during the import, which stopped after writing {written} policies; deal with the problems above and run the same command again to finish",
        "already_imported": "this file was already imported on {when}; nothing changed",
        "line.life": "life",
        "line.property": "property",
        "source.life_core": "life core system",
        "source.property_core": "property core system",
        "type.integer": "an integer",
        "type.string": "text",
        "type.boolean": "true or false",
        "type.object": "an object",
        "type.list": "an array",
    },
}

# Parameters that name another catalogue entry (e.g. "line.life") are translated too.
TRANSLATED_PARAMS = frozenset({"line", "source", "expected"})


def message(code: str, params: dict | None = None, lang: str = DEFAULT_LANG) -> str:
    table = MESSAGES.get(lang) or MESSAGES[DEFAULT_LANG]
    values = {}
    for key, value in (params or {}).items():
        if key in TRANSLATED_PARAMS and isinstance(value, str) and value in table:
            value = table[value]
        values[key] = value
    template = table.get(code) or MESSAGES[DEFAULT_LANG].get(code) or code
    return template.format(**values)


def where(kind: str, n: int | None, lang: str = DEFAULT_LANG) -> str:
    table = MESSAGES.get(lang) or MESSAGES[DEFAULT_LANG]
    if n is None:
        return table["where.file"]
    return table[f"where.{kind}"].format(n=n)
