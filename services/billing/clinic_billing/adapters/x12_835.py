"""Reads an X12 835 (005010X221A1) into billing's remittance terms, with pyx12.

pyx12 validates the file against the 835 map first (``x12_validation``); a file it
finds fault with is refused with the first problem's segment and position, before
anything is read. Its reader (``X12Reader``) then splits segments and elements; this
module only walks the loops billing posts from: BPR/TRN, N1*PR/N1*PE, each CLP with
its CAS, MOA/LQ remarks and SVC lines, and PLB.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal, InvalidOperation

import pyx12.x12file
from clinic_common.errors import ClinicError

from clinic_billing.adapters import x12_validation
from clinic_billing.domain import errors
from clinic_billing.domain.remittance import (
    Adjustment,
    ClaimPayment,
    Era,
    ProviderAdjustment,
    ServicePayment,
)

VERSION = "005010X221A1"


def read(content: str) -> Era:
    """The 835 in ``content``; MalformedX12 naming the segment and position of the first
    problem when pyx12 finds any, NotAn835 when it is another transaction."""
    found = x12_validation.problems(content)
    if found:
        first = found[0]
        raise errors.MalformedX12(first.segment, first.position, str(first), len(found))
    try:
        return _Walk().run(content)
    except ClinicError:
        raise
    except Exception as exc:  # noqa: BLE001 - pyx12 passed the file; its reader did not
        raise errors.MalformedX12("ISA", 1, f"unreadable: {type(exc).__name__}", 1) from None


def reread(content: str) -> Era:
    """An 835 imported before (pyx12 validated it then), read again without validating."""
    return _Walk().run(content)


def _cents(value: str | None, segment: str, position: int) -> int:
    if not value:
        return 0
    try:
        cents = Decimal(value) * 100
    except InvalidOperation:
        raise errors.MalformedX12(segment, position, f"{value!r} is not an amount", 1) from None
    if cents != cents.to_integral_value():
        raise errors.MalformedX12(segment, position, f"{value!r} has fractions of a cent", 1)
    return int(cents)


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.datetime.strptime(value or "", "%Y%m%d").date()
    except ValueError:
        return None


class _Walk:
    def __init__(self) -> None:
        self.head: dict = {"claims": [], "plb": []}
        self.claim: dict | None = None
        self.service: dict | None = None
        self.position = 0

    def run(self, content: str) -> Era:
        reader = pyx12.x12file.X12Reader(io.StringIO(content))
        for seg in reader:
            self.position += 1
            self._segment(seg.get_seg_id() or "", seg)
        self._close_claim()
        h = self.head
        if h.get("gs08") != VERSION or h.get("st01") != "835":
            raise errors.NotAn835(h.get("st01") or "", h.get("gs08") or "")
        return Era(deposit_cents=h["bpr02"], payment_method=h["bpr04"],
                   payment_date=h["bpr16"], trace_number=h["trn02"],
                   trace_originator=h["trn03"], payer_id=h.get("payer_id") or h["trn03"],
                   payer_name=h.get("payer_name", ""), payee_name=h.get("payee_name", ""),
                   payee_id=h.get("payee_id", ""), claims=tuple(h["claims"]),
                   provider_adjustments=tuple(h["plb"]))

    def _segment(self, sid: str, seg) -> None:  # noqa: C901 - one branch per segment
        v, h = seg.get_value, self.head
        if sid == "GS":
            h["gs08"] = v("GS08")
        elif sid == "ST":
            h["st01"] = v("ST01")
        elif sid == "BPR":
            h.update(bpr02=self._cents(v("BPR02"), sid), bpr04=v("BPR04") or "",
                     bpr16=_date(v("BPR16")))
        elif sid == "TRN":
            h.update(trn02=v("TRN02") or "", trn03=v("TRN03") or "")
        elif sid == "N1" and self.claim is None:
            if v("N101") == "PR":
                h["payer_name"] = v("N102") or ""
            elif v("N101") == "PE":
                h.update(payee_name=v("N102") or "", payee_id=v("N104") or "")
        elif sid == "REF" and self.claim is None and v("REF01") == "2U":
            h["payer_id"] = v("REF02") or ""
        elif sid == "CLP":
            self._close_claim()
            self.claim = dict(ref=v("CLP01") or "", status=v("CLP02") or "",
                              charge=self._cents(v("CLP03"), sid),
                              paid=self._cents(v("CLP04"), sid),
                              patient=self._cents(v("CLP05"), sid), pcn=v("CLP07") or "",
                              cas=[], remarks=[], services=[])
        elif sid == "SVC" and self.claim is not None:
            self._close_service()
            code = (v("SVC01") or "").split(":")
            self.service = dict(code=code[1] if len(code) > 1 else "", modifiers=tuple(
                m for m in code[2:] if m), charge=self._cents(v("SVC02"), sid),
                paid=self._cents(v("SVC03"), sid), ref="", allowed=None, cas=[], remarks=[])
        elif sid == "CAS" and self.claim is not None:
            target = self.service or self.claim
            group = v("CAS01") or ""
            for n in range(2, 19, 3):
                reason = v(f"CAS{n:02d}")
                if reason:
                    target["cas"].append(Adjustment(group, reason,
                                                    self._cents(v(f"CAS{n + 1:02d}"), sid)))
        elif sid == "REF" and self.service is not None and v("REF01") == "6R":
            self.service["ref"] = v("REF02") or ""
        elif sid == "AMT" and self.service is not None and v("AMT01") == "B6":
            self.service["allowed"] = self._cents(v("AMT02"), sid)
        elif sid == "LQ" and self.service is not None and v("LQ01") == "HE":
            self.service["remarks"].append(v("LQ02") or "")
        elif sid in ("MOA", "MIA") and self.claim is not None:
            first = 3 if sid == "MOA" else 5
            self.claim["remarks"] += [r for n in range(first, first + 5)
                                      if (r := v(f"{sid}{n:02d}"))]
        elif sid == "PLB":
            self._close_claim()
            for n in range(3, 14, 2):
                composite = v(f"PLB{n:02d}")
                if composite:
                    reason, _, reference = composite.partition(":")
                    h["plb"].append(ProviderAdjustment(reason, reference, self._cents(
                        v(f"PLB{n + 1:02d}"), sid)))

    def _cents(self, value: str | None, segment: str) -> int:
        return _cents(value, segment, self.position)

    def _close_service(self) -> None:
        s, self.service = self.service, None
        if s is not None and self.claim is not None:
            self.claim["services"].append(ServicePayment(
                s["code"], s["modifiers"], s["charge"], s["paid"], s["ref"], s["allowed"],
                tuple(s["cas"]), tuple(s["remarks"])))

    def _close_claim(self) -> None:
        self._close_service()
        c, self.claim = self.claim, None
        if c is not None:
            self.head["claims"].append(ClaimPayment(
                c["ref"], c["status"], c["charge"], c["paid"], c["patient"], c["pcn"],
                tuple(c["cas"]), tuple(c["remarks"]), tuple(c["services"])))
