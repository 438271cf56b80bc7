"""What the intake tests share that is not a fixture."""


def report_form(factories, **overrides):
    """The public report form filled in for a family of 臺北市中正區 (``overrides`` replace fields)."""
    taipei = factories.county("臺北市")
    district = next(d for d in taipei.districts if d.name == "中正區")
    data = {
        "county_id": taipei.id, "district_id": district.id, "address": "重慶南路一段122號",
        "persons-0-name": "王小明", "persons-0-sex": "M", "persons-0-birth_date": "104/03/05",
        "persons-0-relation": "subject", "persons-0-id_number": "",
        "concerns": ["vulnerable_family"], "dimensions": ["economic"],
        "narrative": "案家<script>alert(1)</script>繳不出房租", "reporter_type": "public",
        "reporter_name": "熱心鄰居", "reporter_phone": "0912-000-111",
    }
    data.update(overrides)
    return data
