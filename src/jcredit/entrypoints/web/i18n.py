"""UI strings in Japanese (default) and English. Missing keys fall back to Japanese."""

from __future__ import annotations

from collections.abc import Callable

LANGUAGES = ("ja", "en")

MESSAGES: dict[str, dict[str, str]] = {
    "app_name": {"ja": "J-クレジット登録簿", "en": "J-Credit Registry"},
    "login": {"ja": "ログイン", "en": "Log in"},
    "logout": {"ja": "ログアウト", "en": "Log out"},
    "username": {"ja": "ユーザー名", "en": "Username"},
    "password": {"ja": "パスワード", "en": "Password"},
    "login_failed": {"ja": "ユーザー名またはパスワードが違います", "en": "Wrong username or password"},
    "my_accounts": {"ja": "口座一覧", "en": "Accounts"},
    "account": {"ja": "口座", "en": "Account"},
    "account_number": {"ja": "口座番号", "en": "Account number"},
    "account_kind": {"ja": "口座種別", "en": "Kind"},
    "holder": {"ja": "名義", "en": "Holder"},
    "balance": {"ja": "残高", "en": "Balance"},
    "available": {"ja": "利用可能", "en": "Available"},
    "reserved": {"ja": "無効化申請中", "en": "Reserved"},
    "holdings_by_block": {"ja": "保有クレジット(ブロック別)", "en": "Holdings by block"},
    "serials": {"ja": "シリアル番号", "en": "Serial numbers"},
    "quantity": {"ja": "数量 (t-CO2)", "en": "Quantity (t-CO2)"},
    "category": {"ja": "区分", "en": "Category"},
    "vintage": {"ja": "年度", "en": "Vintage"},
    "project": {"ja": "プロジェクト", "en": "Project"},
    "methodology": {"ja": "方法論", "en": "Methodology"},
    "transfer": {"ja": "移転", "en": "Transfer"},
    "transfer_to": {"ja": "移転先口座番号", "en": "Destination account"},
    "by_quantity": {"ja": "総量指定方式(古い年度から)", "en": "By total quantity (oldest vintage first)"},
    "by_serials": {"ja": "シリアル番号指定方式", "en": "By serial range"},
    "serials_hint": {"ja": "例: 1001-1050", "en": "e.g. 1001-1050"},
    "submit_transfer": {"ja": "移転する", "en": "Transfer"},
    "transfer_done": {"ja": "移転しました", "en": "Transferred"},
    "invalidate": {"ja": "無効化申請", "en": "Invalidation"},
    "use": {"ja": "用途", "en": "Use"},
    "offset_purpose": {"ja": "オフセットの目的", "en": "Offset purpose"},
    "purpose_details": {"ja": "目的詳細", "en": "Purpose details"},
    "credit_user": {"ja": "クレジット利用法人", "en": "Credit user"},
    "credit_user_number": {"ja": "クレジット利用法人の法人番号(任意)", "en": "Credit user's corporate number (optional)"},
    "fiscal_year": {"ja": "報告対象年度", "en": "Reporting fiscal year"},
    "check_application": {"ja": "内容を確認する", "en": "Review"},
    "confirm_title": {"ja": "無効化申請の確認", "en": "Confirm the invalidation application"},
    "irreversible": {
        "ja": "無効化は取り消せません。実行後は用途・目的詳細・クレジット利用法人を変更できず、"
              "クレジットは二度と移転できません。",
        "en": "Invalidation is irreversible: once executed, the use, purpose and credit user "
              "cannot be changed and the credits never move again.",
    },
    "confirm_checkbox": {"ja": "上記の内容で申請し、取り消せないことを理解しました",
                         "en": "I apply with the details above and understand it is irreversible"},
    "submit_application": {"ja": "申請する", "en": "Apply"},
    "back": {"ja": "戻る", "en": "Back"},
    "invalidations": {"ja": "無効化申請", "en": "Invalidations"},
    "queue": {"ja": "無効化申請の処理", "en": "Invalidation queue"},
    "status": {"ja": "状態", "en": "Status"},
    "execute": {"ja": "実行", "en": "Execute"},
    "execute_all": {"ja": "申請中をすべて実行(一括処理)", "en": "Execute all pending (batch)"},
    "withdraw": {"ja": "取下げ", "en": "Withdraw"},
    "notice": {"ja": "無効化通知書", "en": "Invalidation notice"},
    "download_pdf": {"ja": "PDFをダウンロード", "en": "Download PDF"},
    "journal": {"ja": "取引記録(ジャーナル)", "en": "Journal"},
    "ledger_check": {"ja": "台帳検証", "en": "Ledger check"},
    "applied_at": {"ja": "申請日時", "en": "Applied"},
    "executed_at": {"ja": "実行日時", "en": "Executed"},
    "none": {"ja": "ありません", "en": "None"},
    "error": {"ja": "エラー", "en": "Error"},
    "application_filed": {"ja": "無効化を申請しました。事務局の実行を待っています。",
                          "en": "Application filed; waiting for the secretariat to execute it."},
    "executed_ok": {"ja": "無効化を実行し、通知書を発行しました", "en": "Executed; notices issued"},
    "role": {"ja": "役割", "en": "Role"},
    "PENDING": {"ja": "申請中", "en": "Pending"},
    "EXECUTED": {"ja": "無効化済", "en": "Executed"},
    "WITHDRAWN": {"ja": "取下げ", "en": "Withdrawn"},
}


def translator(lang: str) -> Callable[[str], str]:
    def t(key: str) -> str:
        entry = MESSAGES.get(key)
        if entry is None:
            return key
        return entry.get(lang) or entry["ja"]

    return t
