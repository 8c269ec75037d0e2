#!/usr/bin/env python3
"""Reads a folder of Sloth's example specs the way a team would, and compares the rules
sloguard writes for each with the rules Sloth generated for it (Sloth keeps them in `_gen/`).

    cargo build -p sloguard-cli
    python3 tests/conformance/sloth_examples.py path/to/sloth/examples

For every spec file (AlertWindows files included) it prints whether `sloguard lint` accepts it,
and for a refused one the message; then, for every accepted spec with a generated file of the
same name, whether `sloguard rules --sloth-parity` agrees with it on what the rules mean: the
SLI error ratio of every window (the expression, whitespace aside), the objective, the period,
each alert severity's windows and thresholds, and the info labels. Labels Sloth's own generator
script adds (`cmd`) and the stamps of `sloth_slo_info` (mode, version, spec, and the objective,
which older Sloth versions leave out and which is compared as `slo:objective:ratio`) are left
aside. The last line is
the count, which the README quotes. Nothing here reaches the network.
"""

import os
import re
import subprocess
import sys

import yaml

SLOGUARD = os.environ.get("SLOGUARD", "target/debug/sloguard")
IGNORED_LABELS = {"cmd", "sloth_mode", "sloth_version", "sloth_spec", "sloth_objective"}
THRESHOLD = re.compile(r"ratio_rate(\w+)\{[^}]*\}\s*>\s*\(\s*([0-9.e+-]+)\s*\*\s*([0-9.e+-]+)\s*\)")


def groups_of(document):
    """The rule groups of a rule file or of a PrometheusRule resource, over all documents."""
    out = []
    for doc in document:
        if not doc:
            continue
        if doc.get("kind") == "PrometheusRule":
            doc = doc.get("spec", {})
        out.extend(doc.get("groups", []))
    return out


def meaning(groups):
    """What the rules say, keyed so that two generators' files compare."""
    said = {}
    for group in groups:
        for rule in group.get("rules", []):
            labels = {k: str(v) for k, v in rule.get("labels", {}).items() if k not in IGNORED_LABELS}
            expr = "".join(str(rule.get("expr", "")).split())
            slo = labels.get("sloth_id", "")
            if "record" in rule:
                name = rule["record"]
                if name.startswith("slo:sli_error:ratio_rate"):
                    said[("sli", slo, labels.get("sloth_window"))] = expr
                elif name in ("slo:objective:ratio", "slo:time_period:days"):
                    said[(name, slo)] = expr
                elif name == "sloth_slo_info":
                    said[("info", slo)] = sorted(labels.items())
            elif "alert" in rule:
                severity = labels.get("sloth_severity")
                thresholds = sorted(
                    (window, round(float(factor) * float(budget), 12))
                    for window, factor, budget in THRESHOLD.findall(expr)
                )
                key = ("alert", severity)
                said[key] = sorted(said.get(key, []) + thresholds)
    return said


def compare(spec, generated):
    ours = subprocess.run(
        [SLOGUARD, "rules", "--sloth-parity", spec], capture_output=True, text=True, check=False
    )
    if ours.returncode != 0:
        return [f"sloguard rules failed: {ours.stderr.strip()}"]
    with open(generated, encoding="utf-8") as f:
        theirs = meaning(groups_of(yaml.safe_load_all(f)))
    mine = meaning(groups_of(yaml.safe_load_all(ours.stdout)))
    # The period ratio is labelled differently by Sloth versions; its SLO comes with the 5m one.
    differences = []
    for key, value in theirs.items():
        if key[0] == "sli" and key[1] == "":
            continue
        if key not in mine:
            differences.append(f"missing {key}")
        elif mine[key] != value:
            differences.append(f"{key}: Sloth {value!r}, sloguard {mine[key]!r}")
    return differences


def main():
    folder = sys.argv[1]
    specs = []
    for root, _, files in os.walk(folder):
        if "_gen" in root.split(os.sep):
            continue
        specs.extend(os.path.join(root, f) for f in files if f.endswith((".yml", ".yaml")))
    accepted = compared = agreed = 0
    for spec in sorted(specs):
        lint = subprocess.run([SLOGUARD, "lint", spec], capture_output=True, text=True, check=False)
        name = os.path.relpath(spec, folder)
        if lint.returncode != 0:
            message = lint.stderr.strip().splitlines()[-1] if lint.stderr.strip() else "?"
            print(f"refused   {name}: {message}")
            continue
        accepted += 1
        generated = os.path.join(folder, "_gen", os.path.basename(spec))
        if not os.path.exists(generated):
            print(f"accepted  {name}")
            continue
        compared += 1
        differences = compare(spec, generated)
        if differences:
            print(f"accepted  {name}: differs from Sloth's rules: {'; '.join(differences)}")
        else:
            agreed += 1
            print(f"accepted  {name}: agrees with Sloth's rules")
    print(f"{accepted} of {len(specs)} accepted; {agreed} of {compared} compared agree with Sloth's generated rules")


if __name__ == "__main__":
    main()
