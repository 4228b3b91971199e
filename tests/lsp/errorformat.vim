" docs/editors.md's Vim errorformat for `--format concise`, run on the demo: the quickfix list
" (file, line, column, type, rule, message start) is written to $OUT for .ci/lsp-test.
set errorformat=%f:%l:%c:\ %trror[%o]\ %m,%f:%l:%c:\ %tarning[%o]\ %m,%-G%.%#
let &makeprg = $INTRANSIT_BIN . ' check --format concise demo'
cgetexpr system(&makeprg)
call writefile(map(getqflist(), {_, e -> bufname(e.bufnr) . ':' . e.lnum . ':' . e.col . ' ' . e.type . ' ' . e.module . ' ' . e.text[:30]}), $OUT)
qa!
