"""`intransit server` driven by pytest-lsp (pygls' client): diagnostics on open with exact
ranges after non-ASCII text, cleared on a compliant edit, a code action applied, hover, an edit
in one Terraform file changing another file's diagnostics, a half-typed buffer."""

import pathlib

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from conftest import BIN, settle

# "Überprüfte Größe 🚀" before the value: 3 two-byte letters and 1 four-byte emoji (a UTF-16
# surrogate pair), so UTF-16, UTF-8 and character columns all differ.
TEMPLATE = """AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Params:
    Type: AWS::RDS::DBParameterGroup
    Properties: {Family: postgres14, Description: "Überprüfte Größe 🚀", Parameters: {rds.force_ssl: "0"}}
  Db:
    Type: AWS::RDS::DBInstance
    Properties: {Engine: postgres, EngineVersion: "14.12", DBParameterGroupName: !Ref Params}
"""
LINE = TEMPLATE.splitlines()[4]
VALUE = LINE.index('"0"')


def utf16_column(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[BIN, "server"]))
async def client(lsp_client: LanguageClient, workspace: pathlib.Path):
    params = types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"),
        root_uri=workspace.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=workspace.as_uri(), name="workspace")],
    )
    await lsp_client.initialize_session(params)
    yield
    await lsp_client.shutdown_session()


def open_document(client, path: pathlib.Path, text: str, language="yaml"):
    path.write_text(text)
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=path.as_uri(), language_id=language, version=1, text=text
            )
        )
    )


def change(client, path: pathlib.Path, text: str, version: int):
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=path.as_uri(), version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


def apply(text: str, edits) -> str:
    """Applies LSP text edits (UTF-16 positions) to `text`."""
    lines = text.split("\n")

    def offset(position):
        before = "\n".join(lines[: position.line])
        prefix = len(before) + (1 if position.line else 0)
        line = lines[position.line] if position.line < len(lines) else ""
        units = 0
        for i, c in enumerate(line):
            if units >= position.character:
                return prefix + i
            units += utf16_column(c)
        return prefix + len(line)

    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        start, end = offset(edit.range.start), offset(edit.range.end)
        text = text[:start] + edit.new_text + text[end:]
        lines = text.split("\n")
    return text


@pytest.mark.asyncio
async def test_exact_ranges_after_non_ascii_text(client: LanguageClient, workspace):
    path = workspace / "db.yaml"
    open_document(client, path, TEMPLATE)
    diagnostics = await settle(client, path.as_uri(), lambda d: len(d) == 1)
    finding = diagnostics[0]
    assert finding.code == "rds-tls-disabled"
    assert finding.severity == types.DiagnosticSeverity.Error
    assert finding.range.start == types.Position(line=4, character=utf16_column(LINE[:VALUE]))
    assert finding.range.end == types.Position(line=4, character=utf16_column(LINE[: VALUE + 3]))


@pytest.mark.asyncio
async def test_a_compliant_edit_clears_the_diagnostics(client: LanguageClient, workspace):
    path = workspace / "db.yaml"
    open_document(client, path, TEMPLATE)
    await settle(client, path.as_uri(), lambda d: len(d) == 1)
    change(client, path, TEMPLATE.replace('"0"', '"1"'), 2)
    await settle(client, path.as_uri(), lambda d: len(d) == 0)


@pytest.mark.asyncio
async def test_code_action_fixes_and_hover_explains(client: LanguageClient, workspace):
    path = workspace / "db.yaml"
    open_document(client, path, TEMPLATE)
    diagnostics = await settle(client, path.as_uri(), lambda d: len(d) == 1)
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=path.as_uri()),
            range=diagnostics[0].range,
            context=types.CodeActionContext(diagnostics=list(diagnostics)),
        )
    )
    assert actions, "a quick fix is offered"
    action = actions[0]
    assert action.kind == types.CodeActionKind.QuickFix
    assert action.is_preferred
    fixed = apply(TEMPLATE, action.edit.changes[path.as_uri()])
    assert 'rds.force_ssl: "1"' in fixed
    change(client, path, fixed, 2)
    await settle(client, path.as_uri(), lambda d: len(d) == 0)

    change(client, path, TEMPLATE, 3)
    diagnostics = await settle(client, path.as_uri(), lambda d: len(d) == 1)
    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=path.as_uri()),
            position=diagnostics[0].range.start,
        )
    )
    assert hover is not None
    assert "# rds-tls-disabled" in hover.contents.value
    assert "## How to fix" in hover.contents.value


@pytest.mark.asyncio
async def test_an_edit_in_one_terraform_file_changes_another(client: LanguageClient, workspace):
    variables = workspace / "variables.tf"
    database = workspace / "db.tf"
    database.write_text(
        'resource "aws_db_instance" "db" {\n'
        '  engine         = "postgres"\n'
        "  engine_version = var.engine_version\n"
        "}\n"
    )
    compliant = 'variable "engine_version" {\n  default = "16.4"\n}\n'
    open_document(client, variables, compliant, "terraform")
    await settle(client, variables.as_uri(), lambda d: len(d) == 0)
    # The database is in a file that is not open; its diagnostics follow the edit.
    change(client, variables, compliant.replace("16.4", "14.12"), 2)
    diagnostics = await settle(client, database.as_uri(), lambda d: len(d) == 1)
    assert diagnostics[0].code == "rds-tls-not-enforced"
    assert diagnostics[0].range.start.line == 0
    change(client, variables, compliant, 3)
    await settle(client, database.as_uri(), lambda d: len(d) == 0)


@pytest.mark.asyncio
async def test_a_module_two_roots_call_shows_both_and_follows_each(client: LanguageClient, workspace):
    # Each root is judged on its own; the module file shows the findings of both, in the
    # order of the roots, and an edit in one root changes only its own.
    module = workspace / "modules" / "db" / "main.tf"
    module.parent.mkdir(parents=True)
    module.write_text(
        'variable "engine_version" {}\n'
        'resource "aws_db_instance" "db" {\n'
        '  engine         = "postgres"\n'
        "  engine_version = var.engine_version\n"
        "}\n"
    )
    call = 'module "db" {\n  source         = "../modules/db"\n  engine_version = "14.12"\n}\n'
    for root in ["a", "b"]:
        (workspace / root).mkdir()
        (workspace / root / "main.tf").write_text(call)
    root_a = workspace / "a" / "main.tf"
    open_document(client, root_a, call, "terraform")
    diagnostics = await settle(client, module.as_uri(), lambda d: len(d) == 2)
    assert ["in `a`" in d.message for d in diagnostics] == [True, False]
    assert "in `b`" in diagnostics[1].message
    change(client, root_a, call.replace("14.12", "16.4"), 2)
    diagnostics = await settle(client, module.as_uri(), lambda d: len(d) == 1)
    assert "in `b`" in diagnostics[0].message
    change(client, root_a, call, 3)
    diagnostics = await settle(client, module.as_uri(), lambda d: len(d) == 2)
    assert "in `a`" in diagnostics[0].message and "in `b`" in diagnostics[1].message


@pytest.mark.asyncio
async def test_templates_linked_by_a_group_name_are_judged_together(client: LanguageClient, workspace):
    # The group is in one template, the database that names it in another (not open): an
    # edit of the group changes the verdict, and a rename that breaks the link changes it again.
    groups = workspace / "groups.yaml"
    database = workspace / "db.yaml"
    group = (
        "Resources:\n"
        "  Params:\n"
        "    Type: AWS::RDS::DBParameterGroup\n"
        "    Properties:\n"
        "      DBParameterGroupName: shared-params\n"
        "      Family: postgres14\n"
        "      Description: shared\n"
        '      Parameters: {rds.force_ssl: "1"}\n'
    )
    database.write_text(
        "Resources:\n"
        "  Db:\n"
        "    Type: AWS::RDS::DBInstance\n"
        "    Properties:\n"
        "      Engine: postgres\n"
        '      EngineVersion: "14.12"\n'
        "      DBParameterGroupName: shared-params\n"
    )
    open_document(client, groups, group)
    await settle(client, groups.as_uri(), lambda d: len(d) == 0)
    change(client, groups, group.replace('"1"', '"0"'), 2)
    diagnostics = await settle(client, groups.as_uri(), lambda d: len(d) == 1)
    assert diagnostics[0].code == "rds-tls-disabled"
    related = diagnostics[0].related_information or []
    assert database.as_uri() in [r.location.uri for r in related]
    # Renamed: the database names a group no file declares, and the group is used by none.
    change(client, groups, group.replace('"1"', '"0"').replace("shared-", "other-"), 3)
    unused = await settle(
        client,
        groups.as_uri(),
        lambda d: len(d) == 1 and "no scanned database" in d[0].related_information[0].message,
    )
    assert unused[0].code == "rds-tls-disabled"
    await settle(client, database.as_uri(), lambda d: len(d) == 1)
    change(client, groups, group, 4)
    await settle(client, groups.as_uri(), lambda d: len(d) == 0)
    await settle(client, database.as_uri(), lambda d: len(d) == 0)


@pytest.mark.asyncio
async def test_closing_an_unsaved_buffer_goes_back_to_the_file_on_disk(client: LanguageClient, workspace):
    # The disk holds the compliant text; the buffer's unsaved edit has a finding, which goes
    # when the buffer is closed without saving.
    path = workspace / "db.yaml"
    compliant = TEMPLATE.replace('"0"', '"1"')
    open_document(client, path, compliant)
    await settle(client, path.as_uri(), lambda d: len(d) == 0)
    change(client, path, TEMPLATE, 2)
    await settle(client, path.as_uri(), lambda d: len(d) == 1)
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=path.as_uri()))
    )
    await settle(client, path.as_uri(), lambda d: len(d) == 0)


@pytest.mark.asyncio
async def test_half_typed_buffers_get_a_parse_diagnostic(client: LanguageClient, workspace):
    path = workspace / "db.yaml"
    open_document(client, path, TEMPLATE)
    await settle(client, path.as_uri(), lambda d: len(d) == 1)
    for version, text in enumerate(
        [
            TEMPLATE + "  Broken: {Type: AWS::RDS::DBInstance, Properties: {Engine: ",
            TEMPLATE + "  Dangling:\n    Type:\n      - [",
        ],
        start=2,
    ):
        change(client, path, text, version)
        diagnostics = await settle(
            client, path.as_uri(), lambda d: any(x.code == "parse-error" for x in d)
        )
        assert diagnostics
    hcl = workspace / "main.tf"
    open_document(client, hcl, 'resource "aws_db_instance" "db" {\n  engine = "postgres"\n', "terraform")
    await settle(client, hcl.as_uri(), lambda d: any(x.code == "parse-error" for x in d))
    # Still serving.
    change(client, path, TEMPLATE.replace('"0"', '"1"'), 10)
    await settle(client, path.as_uri(), lambda d: len(d) == 0)


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[BIN, "server"]))
async def utf8_client(lsp_client: LanguageClient, workspace: pathlib.Path):
    capabilities = client_capabilities("visual-studio-code")
    capabilities.general.position_encodings = [
        types.PositionEncodingKind.Utf8,
        types.PositionEncodingKind.Utf16,
    ]
    params = types.InitializeParams(capabilities=capabilities, root_uri=workspace.as_uri())
    result = await lsp_client.initialize_session(params)
    assert result.capabilities.position_encoding == types.PositionEncodingKind.Utf8
    yield
    await lsp_client.shutdown_session()


@pytest.mark.asyncio
async def test_utf8_positions_when_the_client_offers_them(utf8_client: LanguageClient, workspace):
    path = workspace / "db.yaml"
    open_document(utf8_client, path, TEMPLATE)
    diagnostics = await settle(utf8_client, path.as_uri(), lambda d: len(d) == 1)
    assert diagnostics[0].range.start == types.Position(
        line=4, character=len(LINE[:VALUE].encode("utf-8"))
    )
