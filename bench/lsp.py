#!/usr/bin/env python3
"""Language-server benchmark: `intransit server` on a workspace of generated files (by default
10,000 from examples/gen_corpus.rs, plus `linked/`: one template with a parameter group that
--linked templates name, each with a database). Measures the first publication of every file's
diagnostics, then, for one template, one Terraform module file, one of the linked templates and
the template with their group, the time from a `didChange` to that file's next
`publishDiagnostics` (median and worst of N edits that flip a verdict back and forth), and the
server's peak memory. Reported, never asserted.

    bench/lsp.py [--files 10000] [--linked 500] [--edits 20] [--binary target/release/intransit]
"""

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]


class Client:
    def __init__(self, binary, cwd):
        self.proc = subprocess.Popen(
            [binary, "server"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=cwd
        )
        self.next_id = 0

    def send(self, message):
        body = json.dumps(message).encode()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def request(self, method, params):
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        while True:
            message = self.receive()
            if message.get("id") == self.next_id:
                return message

    def notify(self, method, params):
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def receive(self):
        headers = {}
        while True:
            line = self.proc.stdout.readline()
            if line in (b"\r\n", b""):
                break
            key, value = line.decode().split(":", 1)
            headers[key.strip().lower()] = value.strip()
        return json.loads(self.proc.stdout.read(int(headers["content-length"])))

    def until_published(self, uri):
        while True:
            message = self.receive()
            if message.get("method") == "textDocument/publishDiagnostics":
                if message["params"]["uri"] == uri:
                    return message["params"]["diagnostics"]

    def peak_mb(self):
        for line in open(f"/proc/{self.proc.pid}/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")


def edit_times(client, path, text, flip, edits):
    uri = path.resolve().as_uri()
    # Opening with the text on disk changes no diagnostic, so nothing is published for it.
    client.notify(
        "textDocument/didOpen",
        {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}},
    )
    times = []
    for version in range(2, edits + 2):
        changed = flip(text) if version % 2 == 0 else text
        start = time.perf_counter()
        client.notify(
            "textDocument/didChange",
            {
                "textDocument": {"uri": uri, "version": version},
                "contentChanges": [{"text": changed}],
            },
        )
        client.until_published(uri)
        times.append((time.perf_counter() - start) * 1000)
    return times


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--linked", type=int, default=500)
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--binary", default=str(ROOT / "target" / "release" / "intransit"))
    args = parser.parse_args()
    subprocess.run(
        ["cargo", "build", "--release", "--locked", "--quiet", "--bin", "intransit",
         "--example", "gen_corpus"],
        cwd=ROOT, check=True,
    )
    corpus = ROOT / "target" / "bench" / f"lsp-corpus-{args.files}"
    if not (corpus / "truth.tsv").exists():
        subprocess.run(
            [str(ROOT / "target/release/examples/gen_corpus"), str(args.files), str(corpus)],
            check=True, stdout=subprocess.DEVNULL,
        )
    # Templates linked by a group name are judged together: an edit in one judges them all.
    linked = corpus / f"linked-{args.linked}"
    if args.linked and not linked.exists():
        linked.mkdir()
        (linked / "groups.yaml").write_text(
            "Resources:\n  Params:\n    Type: AWS::RDS::DBParameterGroup\n    Properties:\n"
            "      DBParameterGroupName: bench-shared\n      Family: postgres14\n"
            "      Description: shared\n      Parameters:\n        rds.force_ssl: \"1\"\n"
        )
        for i in range(args.linked):
            (linked / f"db-{i:04}.yaml").write_text(
                f"Resources:\n  Db{i}:\n    Type: AWS::RDS::DBInstance\n    Properties:\n"
                "      Engine: postgres\n      EngineVersion: \"14.12\"\n"
                "      DBParameterGroupName: bench-shared\n"
            )
    client = Client(args.binary, corpus)
    start = time.perf_counter()
    client.request(
        "initialize",
        {"processId": os.getpid(), "rootUri": corpus.resolve().as_uri(), "capabilities": {}},
    )
    client.notify("initialized", {})
    # The first check publishes every file with findings.
    published = 0
    truth = sum(1 for _ in open(corpus / "truth.tsv")) - 1
    files_with_findings = len({line.split("\t")[0] for line in list(open(corpus / "truth.tsv"))[1:]})
    while published < files_with_findings:
        message = client.receive()
        if message.get("method") == "textDocument/publishDiagnostics":
            published += 1
    first = time.perf_counter() - start

    template = next(iter(sorted((corpus / "cfn-yaml").glob("*.yaml"))))
    module = next(iter(sorted((corpus / "terraform").glob("*/main.tf"))))
    # Each edit adds a database without TLS, the next takes it away: a new diagnostic each time.
    bench_db = (
        "  BenchDb:\n    Type: AWS::RDS::DBInstance\n    Properties:\n"
        "      Engine: postgres\n      EngineVersion: \"13.4\"\n"
    )
    flip_yaml = lambda t: t.replace("Resources:\n", "Resources:\n" + bench_db, 1)
    flip_tf = lambda t: t + (
        'resource "aws_db_instance" "bench" {\n  engine         = "postgres"\n'
        '  engine_version = "13.4"\n}\n'
    )
    yaml_times = edit_times(client, template, template.read_text(), flip_yaml, args.edits)
    tf_times = edit_times(client, module, module.read_text(), flip_tf, args.edits)
    measured = [("template", yaml_times), ("module file", tf_times)]
    if args.linked:
        member = linked / "db-0000.yaml"
        measured.append(
            (f"one of {args.linked} linked templates",
             edit_times(client, member, member.read_text(), flip_yaml, args.edits))
        )
        groups = linked / "groups.yaml"
        flip_group = lambda t: t.replace('rds.force_ssl: "1"', 'rds.force_ssl: "0"')
        measured.append(
            (f"the group {args.linked} templates name",
             edit_times(client, groups, groups.read_text(), flip_group, args.edits))
        )
    peak = client.peak_mb()
    client.request("shutdown", None)
    client.notify("exit", None)
    client.proc.wait()
    print(f"workspace: {args.files} files, {truth} findings in {files_with_findings} files")
    print(f"first publication of every file: {first:.2f} s")
    for name, times in measured:
        print(
            f"didChange -> publishDiagnostics, {name}: median {statistics.median(times):.1f} ms, "
            f"worst {max(times):.1f} ms ({len(times)} edits)"
        )
    print(f"server peak memory: {peak:.0f} MB")


if __name__ == "__main__":
    sys.exit(main())
