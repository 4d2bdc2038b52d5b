"""Summarise a mutmut run per domain module, and write the table into docs/testing.md.

Run by scripts/mutation after ``mutmut run``; it reads mutmut's result files under
``mutants/`` (never the network, never the database). A mutant is a *message* mutant when
all it changes is text (a message, an issue code, a field name: string literals, or a
string replaced by None); every other mutant (operators, comparisons, numbers, control
flow) is a *logic* mutant. Mutants listed in scripts/mutation-equivalent.txt change no
behaviour, or run only before mutmut switches the mutant on (reason "unreachable: …"); the
file says why for each, and they are not counted as survivors.

Usage: .venv/bin/python scripts/mutation_summary.py [--survivors] [--no-write]
"""

from __future__ import annotations

import difflib
import os
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "testing.md"
EQUIVALENT = ROOT / "scripts" / "mutation-equivalent.txt"
BEGIN = "<!-- mutation-summary:begin -->"
END = "<!-- mutation-summary:end -->"
# tokens a "message" mutant may change besides string literals
_TEXTUAL = {"None", ",", "=", "field", "valid", "code", "detail", "title", "message"}


_TOKEN = re.compile(
    r"""(?P<s>[rRbBfFuU]{0,2}(?:"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'))"""  # a string literal
    r"""|\w+|<=|>=|==|!=|//|\*\*|->|[-+*/%|&^]=|\S"""  # a name or number, an operator
)


def _tokens(line: str) -> list[tuple[bool, str]]:
    """(is a string literal, text) for each token; lenient, as diff lines are fragments."""
    return [(m.group("s") is not None, m.group()) for m in _TOKEN.finditer(line)]


def kind_of(diff: str) -> str:
    """``message`` when the mutant changes only text, ``logic`` otherwise."""
    removed = " ".join(x[1:].strip() for x in diff.splitlines()
                       if x.startswith("-") and not x.startswith("---"))
    added = " ".join(x[1:].strip() for x in diff.splitlines()
                     if x.startswith("+") and not x.startswith("+++"))
    a, b = _tokens(removed), _tokens(added)
    changed: list[tuple[bool, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op != "equal":
            changed += a[i1:i2] + b[j1:j2]
    if changed and all(is_text or s in _TEXTUAL for is_text, s in changed):
        return "message"
    return "logic"


def equivalent_mutants() -> dict[str, str]:
    result = {}
    if EQUIVALENT.exists():
        for line in EQUIVALENT.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                name, _, reason = line.partition(" ")
                result[name] = reason.strip()
    return result


def collect() -> list[tuple[str, str, str, str, str]]:
    """(module, mutant, status, kind, diff) for every mutant mutmut has a result for."""
    os.chdir(ROOT)
    from mutmut.mutation.data import SourceFileMutationData
    from mutmut.mutation.diff_apply import get_diff_for_mutant
    from mutmut.stats import status_by_exit_code

    rows = []
    for meta in sorted(Path("mutants/src/jcredit/domain").rglob("*.py.meta")):
        path = Path(str(meta)[len("mutants/"):-len(".meta")])
        data = SourceFileMutationData(path=path)
        data.load()
        module = str(path.relative_to("src/jcredit/domain"))
        for name, code in data.exit_code_by_key.items():
            status = status_by_exit_code[code]
            if status == "not checked":
                continue
            diff = get_diff_for_mutant(name, path=path)
            rows.append((module, name, status, kind_of(diff), diff))
    return rows


def table(rows: list[tuple[str, str, str, str, str]]) -> str:
    equivalent = equivalent_mutants()
    by_module: dict[str, Counter[str]] = {}
    for module, name, status, kind, _ in rows:
        c = by_module.setdefault(module, Counter())
        if status == "survived" and name in equivalent:
            unreachable = equivalent[name].startswith("unreachable:")
            status = "unreachable" if unreachable else "equivalent"
        c[status] += 1
        c[f"{kind} {status}"] += 1
    lines = [
        "| module | mutants | killed | survived | equivalent | unreachable | no tests | "
        "timeout | logic killed | message killed |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]

    def pct(c: Counter[str], kind: str) -> str:
        killed = c[f"{kind} killed"] + c[f"{kind} timeout"]
        total = killed + c[f"{kind} survived"] + c[f"{kind} no tests"]
        return f"{killed}/{total} ({100 * killed / total:.0f} %)" if total else "–"

    for module, c in sorted(by_module.items()):
        total = sum(v for k, v in c.items() if " " not in k or k == "no tests")
        lines.append(
            f"| {module} | {total} | {c['killed']} | {c['survived']} | {c['equivalent']} | "
            f"{c['unreachable']} | {c['no tests']} | {c['timeout']} | {pct(c, 'logic')} | "
            f"{pct(c, 'message')} |"
        )
    return "\n".join(lines)


def main() -> int:
    rows = collect()
    if not rows:
        print("no mutmut results under mutants/: run scripts/mutation first", file=sys.stderr)
        return 1
    text = table(rows)
    print(text)
    if "--survivors" in sys.argv:
        equivalent = equivalent_mutants()
        for module, name, status, kind, diff in rows:
            if status in ("survived", "no tests") and name not in equivalent:
                print(f"\n## {module} {name} [{status}, {kind}]")
                print("\n".join(diff.splitlines()[2:]))
    if "--no-write" not in sys.argv and DOC.exists():
        doc = DOC.read_text(encoding="utf-8")
        if BEGIN in doc and END in doc:
            head, _, rest = doc.partition(BEGIN)
            _, _, tail = rest.partition(END)
            DOC.write_text(f"{head}{BEGIN}\n{text}\n{END}{tail}", encoding="utf-8")
            print(f"\nwritten to {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
