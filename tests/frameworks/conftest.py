"""Prints every conformance tally (cases, passes, each divergence) at the end of
the run, and writes it to $BATCHDOT_CONFORMANCE_SUMMARY when that is set."""

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

from conformance import Tally  # noqa: E402


def pytest_terminal_summary(terminalreporter):
    if not Tally.all_tallies:
        return
    lines = []
    for tally in Tally.all_tallies.values():
        lines.extend(tally.lines())
    total = sum(t.cases for t in Tally.all_tallies.values())
    lines.append(f"total: {total} cases")
    terminalreporter.section("conformance")
    for line in lines:
        terminalreporter.write_line(line)
    path = os.environ.get("BATCHDOT_CONFORMANCE_SUMMARY")
    if path:
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
