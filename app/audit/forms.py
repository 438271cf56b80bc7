from __future__ import annotations

from wtforms import SelectField, StringField

from ..core.forms import BaseForm, FlexibleDateField, max_length, optional

RECORD_TYPES = [
    ("", "全部"),
    ("users", "使用者"),
    ("memberships", "單位角色"),
    ("units", "單位"),
    ("counties", "縣市"),
    ("retention_decisions", "保存期限決定"),
    ("partner_organisations", "民間團體"),
    ("partner_services", "民間團體服務項目"),
    ("institution_areas", "部屬機構責任區域"),
    ("dispatch_rules", "派案時限"),
    ("api_tokens", "API 金鑰"),
    ("exchange_clients", "交換介面用戶端"),
    ("reports", "通報"),
    ("investigations", "通報調查"),
    ("report_persons", "通報對象"),
    ("report_reporters", "通報人資料"),
    ("family_cases", "個案"),
    ("case_members", "家庭成員"),
    ("case_units", "個案服務單位"),
    ("case_contacts", "訪視與聯繫"),
    ("vulnerability_assessments", "脆弱性評估"),
    ("assessment_reports", "評估報告"),
    ("case_tipvda", "TIPVDA"),
    ("safety_assessments", "安全評估"),
    ("service_plans", "服務計畫"),
    ("plan_reviews", "計畫檢視"),
    ("case_services", "服務項目紀錄"),
    ("case_notes", "個案紀錄"),
    ("risk_factor_tables", "風險因子表"),
    ("risk_factors", "風險因子"),
    ("tipvda_versions", "TIPVDA 版本"),
    ("service_catalogue_items", "服務項目（參考資料）"),
    ("target_groups", "服務對象（參考資料）"),
    ("welfare_statuses", "福利身分別（參考資料）"),
    ("case_target_groups", "服務對象註記"),
    ("image_removal_requests", "性影像移除申請"),
    ("image_removal_corrections", "性影像移除結果更正"),
    ("case_documents", "案件文件"),
    ("referrals", "轉介"),
    ("partner_service_records", "民間團體服務紀錄"),
    ("lead_handovers", "主責移轉"),
    ("disputes", "派案爭議"),
    ("meeting_series", "會議系列"),
    ("meetings", "會議"),
    ("meeting_amendments", "會議紀錄更正"),
    ("meeting_documents", "會議文件"),
    ("action_items", "列管事項"),
    ("action_item_units", "列管事項單位"),
    ("chair_instructions", "主席指示"),
    ("progress_entries", "辦理情形"),
    ("item_decisions", "列管決定"),
    ("report_runs", "統計報表"),
    ("campaign_rule_sets", "春節關懷訪視規則"),
    ("campaigns", "春節關懷訪視"),
    ("campaign_entries", "訪視名單"),
    ("campaign_manual_indicators", "人工勾選指標"),
    ("campaign_list_runs", "訪視名單計算"),
    ("campaign_visits", "關懷訪視紀錄"),
    ("campaign_duty_contacts", "春節值勤"),
    ("target_denominators", "目標分母"),
    ("target_gap", "目標缺口名單"),
    ("external_statuses", "外部系統列管狀態"),
    ("cross_county_cases", "跨縣市個案查詢（家戶圖像）"),
]
RECORD_TYPE_LABELS = dict(RECORD_TYPES[1:])


class AuditFilterForm(BaseForm):
    class Meta:
        csrf = False  # a GET search form changes nothing

    username = StringField("人員帳號", validators=[optional(), max_length("人員帳號", 50)])
    date_from = FlexibleDateField("起日", validators=[optional()], allow_future=True)
    date_to = FlexibleDateField("迄日", validators=[optional()], allow_future=True)
    record_type = SelectField("紀錄類型", choices=RECORD_TYPES, validators=[optional()], validate_choice=True)
    record_id = StringField("紀錄編號", validators=[optional(), max_length("紀錄編號", 50)])
    county_id = SelectField("縣市", coerce=int, validators=[optional()], validate_choice=False)

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if self.date_from.date and self.date_to.date and self.date_from.date > self.date_to.date:
            self.date_to.errors = list(self.date_to.errors) + ["迄日不可早於起日。"]
            ok = False
        return ok
