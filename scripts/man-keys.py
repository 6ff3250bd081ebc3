#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
# shoal.yaml(5)'s KEYS section from the README's "Configuration reference"
# table, so the two never disagree: man-keys.py README.md IN.scd.in > OUT.scd
import re
import sys


def scdoc_text(s):
    s = s.replace("\\", "\\\\").replace("*", "\\*").replace("_", "\\_")
    return re.sub(r"`([^`]*)`", r"\1", s)


def main():
    readme, template = sys.argv[1], sys.argv[2]
    rows, inside = [], False
    for line in open(readme, encoding="utf-8"):
        if line.startswith("## "):
            inside = line.strip() == "## Configuration reference"
            continue
        if inside and line.startswith("| `"):
            cells = [c.strip() for c in line.strip().strip("|").split(" | ", 1)]
            if len(cells) == 2:
                rows.append(cells)
    if len(rows) < 10:
        sys.exit("man-keys.py: no configuration reference table in " + readme)
    out = []
    for key, meaning in rows:
        out.append("*" + scdoc_text(key) + "*")
        text = scdoc_text(meaning)
        if text[:1] in "[|:-":  # scdoc would read a table or a list there
            text = "default " + text
        out.append("\t" + text)
        out.append("")
    text = open(template, encoding="utf-8").read()
    sys.stdout.write(text.replace("@KEYS@", "\n".join(out).rstrip("\n")))


main()
