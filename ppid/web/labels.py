"""Which case attribute each form field of the case page is: what the petugas corrects in place.

The words the pages show (field labels, decision texts, history labels) are in the message
catalogue, `ppid.core.messages`.
"""

from __future__ import annotations

# Form field (dotted) -> Case attribute: what the petugas may correct in place.
CASE_FIELDS = {
    "request_number": "request_number",
    "purpose": "purpose",
    "applicant.name": "applicant_name",
    "applicant.nik": "applicant_nik",
    "applicant.address": "applicant_address",
    "applicant.occupation": "applicant_occupation",
    "applicant.phone": "applicant_phone",
    "applicant.email": "applicant_email",
    "proxy.name": "proxy_name",
    "proxy.address": "proxy_address",
    "proxy.phone": "proxy_phone",
    "reasons": "reason_letters",
    "case_description": "case_description",
    "place": "signed_place",
    "date": "signed_date",
}
