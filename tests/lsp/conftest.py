"""Shared setup for the language-server tests: the binary under test (INTRANSIT_BIN, else the
debug build), a scratch workspace per test, and a client that opens, edits and waits."""

import asyncio
import os
import pathlib
import shutil
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = os.environ.get("INTRANSIT_BIN", str(ROOT / "target" / "debug" / "intransit"))


@pytest.fixture
def workspace(tmp_path_factory):
    """A fresh directory with the test's files, removed afterwards."""
    path = tmp_path_factory.mktemp("workspace")
    yield path
    shutil.rmtree(path, ignore_errors=True)


async def settle(client, uri, predicate, timeout=10.0):
    """Waits until the diagnostics published for `uri` satisfy `predicate`."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        diagnostics = client.diagnostics.get(uri)
        if diagnostics is not None and predicate(diagnostics):
            return diagnostics
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            raise AssertionError(f"diagnostics for {uri}: {diagnostics!r}")
        try:
            await asyncio.wait_for(
                client.wait_for_notification("textDocument/publishDiagnostics"),
                timeout=remaining,
            )
        except asyncio.TimeoutError:
            pass
