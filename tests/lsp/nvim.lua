-- Neovim's built-in client (0.7, Debian's package) attached to `intransit server` on the
-- current buffer: waits for the diagnostics and writes them to $OUT, one per line, as
-- `line:column code severity message-start` for the test to compare.
local bin = os.getenv("INTRANSIT_BIN")
local out = os.getenv("OUT")
local client = vim.lsp.start_client({
  name = "intransit",
  cmd = { bin, "server" },
  root_dir = vim.fn.getcwd(),
})
vim.lsp.buf_attach_client(0, client)
vim.wait(15000, function()
  return #vim.diagnostic.get(0) > 0
end, 50)
local lines = {}
for _, d in ipairs(vim.diagnostic.get(0)) do
  local code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code) or ""
  table.insert(
    lines,
    string.format("%d:%d %s %d %s", d.lnum + 1, d.col + 1, code, d.severity, string.sub(d.message, 1, 40))
  )
end
vim.fn.writefile(lines, out)
vim.lsp.stop_client(client)
vim.cmd("qa!")
