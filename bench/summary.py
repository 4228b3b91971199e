#!/usr/bin/env python3
"""Prints the benchmark table from target/bench/results: wall and CPU time, peak memory,
throughput and how many times slower each peer is than intransit."""
import json
import os
import sys

out = sys.argv[1]
peaks = {}
for line in (open(f"{out}/results/peak.txt") if os.path.exists(f"{out}/results/peak.txt") else []):
    case, tool, kb = line.split()
    peaks[(case, tool)] = int(kb) if kb.isdigit() else None

def corpus_bytes(case):
    if case == "single":
        return os.path.getsize("fixtures/cloudformation/engine-postgres.yaml")
    root = f"{out}/{case}"
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(root) for f in fs if f != "truth.tsv")

print(f"{'case':<11}{'tool':<10}{'wall':>10}{'cpu':>10}{'peak MB':>9}{'MB/s':>9}{'× intransit':>13}")
for case in ["single", "corpus-1k", "corpus-10k"]:
    path = f"{out}/results/{case}.json"
    if not os.path.exists(path):
        continue
    results = {r["command"]: r for r in json.load(open(path))["results"]}
    peers = f"{out}/results/{case}-peers.json"
    if os.path.exists(peers):
        results.update({r["command"]: r for r in json.load(open(peers))["results"]})
    base = results["intransit"]["mean"]
    size = corpus_bytes(case) / 1e6
    for tool, r in results.items():
        peak = peaks.get((case, tool))
        peak = f"{peak / 1024:.0f}" if peak else "-"
        wall, cpu = r["mean"], r["user"] + r["system"]
        fmt = (lambda s: f"{s * 1000:.1f} ms") if wall < 1 else (lambda s: f"{s:.2f} s")
        print(f"{case:<11}{tool:<10}{fmt(wall):>10}{fmt(cpu):>10}{peak:>9}{size / wall:>9.1f}{wall / base:>12.1f}×")

# The formats: wall and CPU against `cat` of the same files, peak memory, and the human
# report's CPU against JSON's.
formats = {}
if os.path.exists(f"{out}/results/peak-formats.txt"):
    for line in open(f"{out}/results/peak-formats.txt"):
        case, tool, kb = line.split()
        formats[(case, tool)] = int(kb) if kb.isdigit() else None
for case in ["formats-10k", "formats-100k"]:
    path = f"{out}/results/{case}.json"
    if not os.path.exists(path):
        continue
    results = {r["command"]: r for r in json.load(open(path))["results"]}
    cat = results["cat"]["mean"]
    json_cpu = results["json"]["user"] + results["json"]["system"]
    print()
    print(f"{case:<13}{'wall':>9}{'cpu':>9}{'× cat':>8}{'cpu × json':>12}{'peak MB':>9}")
    for tool, r in results.items():
        wall, cpu = r["mean"], r["user"] + r["system"]
        peak = formats.get((case, tool))
        peak = f"{peak / 1024:.0f}" if peak else "-"
        print(f"{tool:<13}{wall:>8.2f}s{cpu:>8.2f}s{wall / cat:>8.2f}{cpu / json_cpu:>12.3f}{peak:>9}")

# Instructions (callgrind) of the JSON and human reports on the same files.
path = f"{out}/results/instructions.txt"
counts = {}
for line in (open(path) if os.path.exists(path) else []):
    case, tool, count = line.split()
    counts[(case, tool)] = int(count)
if ("corpus-1k", "json") in counts and ("corpus-1k", "human") in counts:
    json_count, human_count = counts[("corpus-1k", "json")], counts[("corpus-1k", "human")]
    print()
    print(f"instructions on 1k files: json {json_count / 1e6:,.0f}M, human {human_count / 1e6:,.0f}M "
          f"({human_count / json_count:.3f}x json)")
