#!/usr/bin/env python3
"""Compares intransit's JSON report on a generated corpus with the corpus's truth.tsv.
Usage: check_truth.py CORPUS_DIR REPORT_JSON  (exit 1 on any missing or extra finding)"""
import json
import sys

corpus, report_path = sys.argv[1].rstrip("/"), sys.argv[2]
report = json.load(open(report_path))
prefix = corpus.split("/")[-1] + "/"
got = set()
for finding in report["findings"]:
    file = finding["resource"]["file"] if finding["resource"] else finding["file"]
    got.add((file.split(prefix, 1)[-1], finding["resource"]["name"] if finding["resource"] else "", finding["rule"]))
truth = {tuple(line.split("\t")) for line in open(f"{corpus}/truth.tsv").read().splitlines()[1:]}
missing, extra = truth - got, got - truth
print(f"truth: {len(truth)} findings expected, {len(truth & got)} reported, {len(missing)} missing, {len(extra)} extra")
for item in sorted(missing)[:5]:
    print("  missing:", *item)
for item in sorted(extra)[:5]:
    print("  extra:  ", *item)
sys.exit(1 if missing or extra else 0)
