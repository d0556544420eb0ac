"""The suite's results for machines (JUnit XML) and for people (a table)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

from hw.rig.suite import StepResult


def junit_xml(results: Sequence[StepResult], suite: str = "drivetime-rig") -> str:
    """One ``<testsuite>`` with a ``<testcase time=…>`` per step; a failed step carries a
    ``<failure message=…>`` with the reason."""
    root = ET.Element(
        "testsuite",
        name=suite,
        tests=str(len(results)),
        failures=str(sum(not r.passed for r in results)),
        errors="0",
        time=f"{sum(r.seconds for r in results):.3f}",
    )
    for result in results:
        case = ET.SubElement(
            root,
            "testcase",
            classname=suite,
            name=f"{result.number} {result.name}: {result.title}",
            time=f"{result.seconds:.3f}",
        )
        if result.passed:
            ET.SubElement(case, "system-out").text = result.detail
        else:
            ET.SubElement(case, "failure", message=result.detail).text = result.detail
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def write_junit(results: Sequence[StepResult], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(junit_xml(results), encoding="utf-8")


def summary(results: Sequence[StepResult]) -> str:
    """A table: step, verdict, time, and what was measured (or why it failed)."""
    lines = [f"{'step':<42} {'result':<6} {'time':>7}  measured / reason"]
    for r in results:
        step = f"{r.number} {r.title}"
        lines.append(
            f"{step:<42} {'PASS' if r.passed else 'FAIL':<6} {r.seconds:6.2f}s  {r.detail}"
        )
    passed = sum(r.passed for r in results)
    total = sum(r.seconds for r in results)
    lines.append(f"{passed}/{len(results)} steps passed in {total:.1f} s")
    return "\n".join(lines)
