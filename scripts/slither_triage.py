"""Gate on Slither's findings: every High or Medium finding must be triaged, or the run fails.

Reads Slither's `--json` output and the committed triage file (slither-triage.toml).
A finding is identified by its detector, its contract and its function (the signature Slither
prints, empty when the finding is not inside a function): a triage entry with those three
fields, a verdict (`false-positive` or `accepted`) and a reason covers every finding with that
identity. Exit status:

- 0: every High and Medium finding is triaged (Low, Informational and Optimization findings are
  counted, never gating);
- 1: some High or Medium finding is not triaged: each is printed with Slither's description and
  the entry to add once it has been judged;
- 2: unusable input (Slither failed, or the triage file is malformed).

Triage entries that match no finding are reported as stale (remove them) but do not fail the run.

    python scripts/slither_triage.py FINDINGS.json TRIAGE.toml
"""

from __future__ import annotations

import json
import sys
import textwrap
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

GATING_IMPACTS = ("High", "Medium")
VERDICTS = ("false-positive", "accepted")
ENTRY_FIELDS = ("detector", "contract", "function", "verdict", "reason")
PLACEHOLDER_REASON = "Why it cannot happen here, or why the risk is acceptable."


class TriageError(Exception):
    """Raised when Slither's output or the triage file cannot be used."""


@dataclass(frozen=True, order=True)
class FindingKey:
    """What a triage entry names: detector, contract and function signature ("" if none)."""

    detector: str
    contract: str
    function: str

    def __str__(self) -> str:
        where = f"{self.contract}.{self.function}" if self.function else self.contract or "(no contract)"
        return f"{self.detector} in {where}"


@dataclass(frozen=True)
class Finding:
    key: FindingKey
    impact: str
    description: str


@dataclass(frozen=True)
class Verdict:
    verdict: str
    reason: str


@dataclass(frozen=True)
class Outcome:
    """The gate's decision: which gating findings are triaged, which not, which entries are stale."""

    triaged: list[Finding]
    untriaged: list[Finding]
    stale: list[FindingKey]
    not_gating: list[Finding]

    @property
    def passed(self) -> bool:
        return not self.untriaged


def _enclosing(element: dict[str, Any], kind: str) -> dict[str, Any] | None:
    """`element` itself or its nearest parent of type `kind` ("function" or "contract")."""
    current: dict[str, Any] | None = element
    while current is not None:
        if current.get("type") == kind:
            return current
        current = current.get("type_specific_fields", {}).get("parent")
    return None


def finding_key(result: dict[str, Any]) -> FindingKey:
    """The identity of one Slither result, taken from its first (primary) element."""
    elements = result.get("elements") or [{}]
    function = _enclosing(elements[0], "function")
    contract = _enclosing(elements[0], "contract")
    return FindingKey(
        detector=result["check"],
        contract=contract["name"] if contract else "",
        function=function["type_specific_fields"].get("signature", function["name"]) if function else "",
    )


def parse_findings(slither_output: dict[str, Any]) -> list[Finding]:
    """Slither's detector results; raises TriageError if Slither itself failed."""
    if not slither_output.get("success"):
        raise TriageError(f"Slither failed: {slither_output.get('error')}")
    return [
        Finding(key=finding_key(result), impact=result["impact"], description=result["description"].strip())
        for result in slither_output.get("results", {}).get("detectors", [])
    ]


def parse_triage(document: dict[str, Any]) -> dict[FindingKey, Verdict]:
    """The `[[finding]]` entries of the triage file; raises TriageError on a malformed entry."""
    triage: dict[FindingKey, Verdict] = {}
    for index, entry in enumerate(document.get("finding", []), start=1):
        where = f"triage entry {index}"
        missing = [name for name in ENTRY_FIELDS if not isinstance(entry.get(name), str)]
        if missing:
            raise TriageError(
                f"{where} lacks {', '.join(missing)} (every entry needs {', '.join(ENTRY_FIELDS)})"
            )
        unknown = sorted(set(entry) - set(ENTRY_FIELDS))
        if unknown:
            raise TriageError(f"{where} has unknown fields: {', '.join(unknown)}")
        if entry["verdict"] not in VERDICTS:
            raise TriageError(f"{where}: verdict {entry['verdict']!r} is not one of {', '.join(VERDICTS)}")
        if entry["reason"].strip() in ("", PLACEHOLDER_REASON):
            raise TriageError(f"{where}: write the reason ({entry['detector']} in {entry['contract']})")
        key = FindingKey(entry["detector"], entry["contract"], entry["function"])
        if key in triage:
            raise TriageError(f"{where}: {key} is triaged twice")
        triage[key] = Verdict(entry["verdict"], entry["reason"].strip())
    return triage


def judge(findings: list[Finding], triage: dict[FindingKey, Verdict]) -> Outcome:
    """Applies the rule: a High or Medium finding passes only if its key is triaged."""
    gating = [finding for finding in findings if finding.impact in GATING_IMPACTS]
    reported = {finding.key for finding in findings}
    return Outcome(
        triaged=[finding for finding in gating if finding.key in triage],
        untriaged=[finding for finding in gating if finding.key not in triage],
        stale=sorted(key for key in triage if key not in reported),
        not_gating=[finding for finding in findings if finding.impact not in GATING_IMPACTS],
    )


def entry_template(key: FindingKey) -> str:
    """The TOML entry to add once a finding is judged a false positive or an accepted risk."""
    return "\n".join(
        [
            "[[finding]]",
            f"detector = {json.dumps(key.detector)}",
            f"contract = {json.dumps(key.contract)}",
            f"function = {json.dumps(key.function)}",
            'verdict = "false-positive"  # or "accepted"',
            f'reason = """{PLACEHOLDER_REASON}"""',
        ]
    )


def report(outcome: Outcome, triage: dict[FindingKey, Verdict], triage_path: str) -> str:
    """What the stage prints: untriaged findings in full, then triaged, stale and a summary."""
    lines: list[str] = []
    for finding in outcome.untriaged:
        lines.append(f"UNTRIAGED {finding.impact}: {finding.key}")
        lines.append(textwrap.indent(finding.description, "    | "))
        lines.append(
            f"    Fix the code, or if this is a false positive or an accepted risk, add to {triage_path}:"
        )
        lines.append(textwrap.indent(entry_template(finding.key), "      "))
    for finding in outcome.triaged:
        lines.append(f"triaged {finding.impact}: {finding.key} ({triage[finding.key].verdict})")
    for key in outcome.stale:
        lines.append(
            f"STALE triage entry, Slither no longer reports it (remove it from {triage_path}): {key}"
        )
    counts: dict[str, int] = {}
    for finding in outcome.not_gating:
        counts[finding.impact] = counts.get(finding.impact, 0) + 1
    lower = ", ".join(f"{count} {impact}" for impact, count in sorted(counts.items())) or "none"
    lines.append(
        f"slither: {len(outcome.triaged) + len(outcome.untriaged)} High/Medium findings, "
        f"{len(outcome.untriaged)} untriaged; {len(outcome.stale)} stale triage entries; "
        f"not gating: {lower}"
    )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    findings_path, triage_path = argv
    try:
        findings = parse_findings(json.loads(Path(findings_path).read_text()))
        triage = parse_triage(tomllib.loads(Path(triage_path).read_text()))
    except (OSError, ValueError, KeyError, TriageError) as exc:
        print(f"slither: {exc}", file=sys.stderr)
        return 2
    outcome = judge(findings, triage)
    print(report(outcome, triage, triage_path))
    return 0 if outcome.passed else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
