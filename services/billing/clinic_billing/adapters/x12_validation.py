"""X12 files checked by pyx12 against the implementation guide's map (837P, 835).

pyx12 walks the file segment by segment against the map of its GS08 version and
records every syntax, loop and code-set error; this adapter turns its JSON error
report into problems that name the segment and its position.
"""

from __future__ import annotations

import io
import json
import logging
from dataclasses import dataclass

import pyx12.params
import pyx12.x12n_document

# pyx12 logs each error it records as well as reporting it; the report is what we use.
logging.getLogger("pyx12").setLevel(logging.CRITICAL)


@dataclass(frozen=True)
class X12Problem:
    """One error: the segment's id, its position in the file (1-based), the error code
    pyx12 uses (the 999's codes) and its message."""

    segment: str
    position: int
    code: str
    message: str
    element: str = ""

    def __str__(self) -> str:
        where = f"{self.segment}{self.element and '-' + self.element} at segment {self.position}"
        return f"{where}: {self.message} ({self.code})"


def problems(content: str) -> list[X12Problem]:
    """Every error pyx12 finds in ``content``; empty when the file is valid."""
    params = pyx12.params.params()
    report = io.StringIO()
    try:
        valid = pyx12.x12n_document.x12n_document(params, io.StringIO(content), None, None,
                                                  fd_json=report)
    except Exception as exc:  # noqa: BLE001 - any failure of the parser on untrusted input
        # is the file's fault, reported as such rather than as an internal error.
        return [X12Problem("ISA", 1, "ENGINE", f"not a readable X12 file: "
                           f"{type(exc).__name__}")]
    found = _from_report(report.getvalue())
    if not valid and not found:
        found.append(X12Problem("ISA", 1, "FORMAT", "not a readable X12 interchange"))
    return found


def _from_report(text: str) -> list[X12Problem]:
    if not text:
        return []
    found: list[X12Problem] = []
    for isa in json.loads(text).get("interchanges", []):
        found += [X12Problem("ISA", isa.get("cur_line") or 1, e["err_cde"], e["err_str"])
                  for e in isa.get("errors", [])]
        for gs in isa.get("groups", []):
            found += [X12Problem("GS", gs.get("cur_line") or 1, e["err_cde"], e["err_str"])
                      for e in gs.get("errors", [])]
            for st in gs.get("transactions", []):
                found += [X12Problem("ST", st.get("cur_line") or 1, e["err_cde"], e["err_str"])
                          for e in st.get("errors", [])]
                for seg in st.get("segments", []):
                    where = seg.get("cur_line") or seg.get("seg_count") or 0
                    found += [X12Problem(seg["seg_id"], where, e["err_cde"], e["err_str"])
                              for e in seg.get("errors", [])]
                    for ele in seg.get("elements", []):
                        element = f"{ele.get('ele_pos', 0):02d}" if ele.get("ele_pos") else ""
                        found += [X12Problem(seg["seg_id"], where, e["err_cde"], e["err_str"],
                                             element) for e in ele.get("errors", [])]
    return found
