"""scripts/slither_triage.py: the rule that gates the static-analysis stage of scripts/test.sh.

The results below have the shape of Slither 0.11.6's `--json` output (elements trimmed to the
fields the gate reads); the stage itself runs the gate on Slither's real output.
"""

import importlib.util
import json
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("slither_triage", ROOT / "scripts" / "slither_triage.py")
gate = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = gate  # dataclasses look their module up there
spec.loader.exec_module(gate)

TIP_JAR = {"type": "contract", "name": "TipJar"}
TIP = {
    "type": "function",
    "name": "tip",
    "type_specific_fields": {"parent": TIP_JAR, "signature": "tip(address,bytes32,string)"},
}


def result(check: str, impact: str, element: dict) -> dict:
    return {
        "check": check,
        "impact": impact,
        "confidence": "Medium",
        "description": f"{check} here\n",
        "elements": [element],
    }


def output(*results: dict) -> dict:
    return {"success": True, "error": None, "results": {"detectors": list(results)}}


def entry(
    detector: str = "msg-value-loop",
    contract: str = "TipJar",
    function: str = "tip(address,bytes32,string)",
    **fields: str,
) -> dict:
    return {
        "detector": detector,
        "contract": contract,
        "function": function,
        "verdict": "false-positive",
        "reason": "the split sums to 10,000 bps",
        **fields,
    }


def test_finding_key_names_the_enclosing_contract_and_function():
    node = {"type": "node", "name": "part = ...", "type_specific_fields": {"parent": TIP}}
    parameter = {"type": "variable", "name": "creator", "type_specific_fields": {"parent": TIP}}
    state = {"type": "variable", "name": "_splits", "type_specific_fields": {"parent": TIP_JAR}}
    key = gate.FindingKey("d", "TipJar", "tip(address,bytes32,string)")
    assert gate.finding_key(result("d", "High", TIP)) == key
    assert gate.finding_key(result("d", "High", node)) == key
    assert gate.finding_key(result("d", "High", parameter)) == key
    assert gate.finding_key(result("d", "High", state)) == gate.FindingKey("d", "TipJar", "")
    assert gate.finding_key(result("d", "High", TIP_JAR)) == gate.FindingKey("d", "TipJar", "")
    assert gate.finding_key(result("d", "High", {"type": "pragma", "name": "^0.8.28"})) == gate.FindingKey(
        "d", "", ""
    )


def test_an_untriaged_high_or_medium_finding_fails_and_its_printed_entry_triages_it():
    for impact in ("High", "Medium"):
        findings = gate.parse_findings(output(result("msg-value-loop", impact, TIP)))
        outcome = gate.judge(findings, {})
        assert not outcome.passed
        text = gate.report(outcome, {}, "slither-triage.toml")
        assert f"UNTRIAGED {impact}: msg-value-loop in TipJar.tip(address,bytes32,string)" in text
        assert "msg-value-loop here" in text

        # The report prints the entry to add: it passes once its placeholder reason is replaced.
        template = gate.entry_template(findings[0].key)
        assert textwrap.indent(template, "      ") in text
        with pytest.raises(gate.TriageError, match="write the reason"):
            gate.parse_triage(tomllib.loads(template))
        judged = template.replace(gate.PLACEHOLDER_REASON, "the split sums to 10,000 bps")
        assert gate.judge(findings, gate.parse_triage(tomllib.loads(judged))).passed


def test_a_triaged_finding_passes_and_only_its_own_key_is_covered():
    triage = gate.parse_triage({"finding": [entry()]})
    same = result("msg-value-loop", "High", TIP)
    other_function = result(
        "msg-value-loop",
        "High",
        {
            **TIP,
            "type_specific_fields": {
                "parent": TIP_JAR,
                "signature": "tipToken(address,address,uint256,bytes32,string)",
            },
        },
    )
    other_detector = result("reentrancy-eth", "High", TIP)
    assert gate.judge(gate.parse_findings(output(same)), triage).passed
    outcome = gate.judge(gate.parse_findings(output(same, other_function, other_detector)), triage)
    assert [f.key.detector for f in outcome.triaged] == ["msg-value-loop"]
    assert {str(f.key) for f in outcome.untriaged} == {
        "msg-value-loop in TipJar.tipToken(address,address,uint256,bytes32,string)",
        "reentrancy-eth in TipJar.tip(address,bytes32,string)",
    }


def test_low_informational_and_optimization_findings_never_gate():
    findings = gate.parse_findings(
        output(*(result("x", impact, TIP) for impact in ("Low", "Informational", "Optimization")))
    )
    outcome = gate.judge(findings, {})
    assert outcome.passed and len(outcome.not_gating) == 3
    assert "not gating: 1 Informational, 1 Low, 1 Optimization" in gate.report(outcome, {}, "t.toml")


def test_a_stale_entry_is_reported_but_does_not_fail():
    triage = gate.parse_triage({"finding": [entry(), entry(detector="unused-return")]})
    outcome = gate.judge(gate.parse_findings(output(result("msg-value-loop", "High", TIP))), triage)
    assert outcome.passed
    assert outcome.stale == [gate.FindingKey("unused-return", "TipJar", "tip(address,bytes32,string)")]
    assert "STALE triage entry" in gate.report(outcome, triage, "t.toml")


@pytest.mark.parametrize(
    "bad, message",
    [
        ({k: v for k, v in entry().items() if k != "reason"}, "lacks reason"),
        (entry(reason="  "), "write the reason"),
        (entry(verdict="fine"), "is not one of"),
        (entry(note="x"), "unknown fields: note"),
    ],
)
def test_a_malformed_entry_is_rejected(bad, message):
    with pytest.raises(gate.TriageError, match=message):
        gate.parse_triage({"finding": [bad]})


def test_a_finding_triaged_twice_is_rejected():
    with pytest.raises(gate.TriageError, match="triaged twice"):
        gate.parse_triage({"finding": [entry(), entry(verdict="accepted")]})


def test_a_failed_slither_run_is_an_error_not_a_pass():
    with pytest.raises(gate.TriageError, match="Slither failed"):
        gate.parse_findings({"success": False, "error": "compilation failed", "results": {}})


def test_exit_status(tmp_path):
    findings, triage = tmp_path / "findings.json", tmp_path / "triage.toml"
    findings.write_text(json.dumps(output(result("msg-value-loop", "High", TIP))))
    triage.write_text("")
    assert gate.main([str(findings), str(triage)]) == 1
    triage.write_text(
        '[[finding]]\ndetector = "msg-value-loop"\ncontract = "TipJar"\n'
        'function = "tip(address,bytes32,string)"\nverdict = "accepted"\nreason = "r"\n'
    )
    assert gate.main([str(findings), str(triage)]) == 0
    triage.write_text("[[finding]]\ndetector = 1\n")
    assert gate.main([str(findings), str(triage)]) == 2


def test_the_committed_triage_file_is_well_formed():
    triage = gate.parse_triage(tomllib.loads((ROOT / "slither-triage.toml").read_text()))
    assert triage
