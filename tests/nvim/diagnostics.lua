-- Run by tests/lsp_neovim.rs in `nvim --headless --clean -u NONE`: Neovim's own LSP client
-- (0.7 API: vim.lsp.start_client + buf_attach_client, which 0.8+ still has) runs
-- `mxlint server` on one file, waits for its diagnostics, types two lines at the top without
-- saving, waits again, and writes what vim.diagnostic holds each time as JSON to
-- $MXLINT_NVIM_OUT. Any failure is written there as {"error": …} and exits with status 1.

local out_path = assert(vim.env.MXLINT_NVIM_OUT, "MXLINT_NVIM_OUT is not set")
local wait_ms = tonumber(vim.env.MXLINT_NVIM_WAIT_MS or "60000")

local function write(result)
  local file = assert(io.open(out_path, "w"))
  file:write(vim.fn.json_encode(result))
  file:close()
end

local function run()
  vim.cmd("edit " .. vim.fn.fnameescape(vim.env.MXLINT_NVIM_FILE))
  local bufnr = vim.api.nvim_get_current_buf()
  local uri = vim.uri_from_bufnr(bufnr)
  local published = 0
  local client_id = vim.lsp.start_client({
    name = "mxlint",
    cmd = { vim.env.MXLINT_BIN, "server" },
    root_dir = vim.env.MXLINT_NVIM_ROOT,
    init_options = { isolated = false },
    handlers = {
      ["textDocument/publishDiagnostics"] = function(err, result, ctx, config)
        vim.lsp.diagnostic.on_publish_diagnostics(err, result, ctx, config)
        if result and result.uri == uri then
          published = published + 1
        end
      end,
    },
  })
  assert(client_id, "vim.lsp.start_client failed")
  assert(vim.lsp.buf_attach_client(bufnr, client_id), "buf_attach_client failed")

  local function collect()
    local list = {}
    for _, d in ipairs(vim.diagnostic.get(bufnr)) do
      table.insert(list, {
        lnum = d.lnum,
        col = d.col,
        end_lnum = d.end_lnum,
        end_col = d.end_col,
        severity = d.severity,
        code = d.code,
        source = d.source,
        message = d.message,
      })
    end
    return list
  end

  assert(vim.wait(wait_ms, function() return published >= 1 end, 20),
    "no diagnostics from mxlint server within " .. wait_ms .. " ms")
  local opened = collect()

  -- Unsaved edit: Neovim sends didChange (full text, as the server asks).
  vim.api.nvim_buf_set_lines(bufnr, 0, 0, false, { "# typed, not saved", "# typed, not saved" })
  assert(vim.wait(wait_ms, function() return published >= 2 end, 20),
    "no diagnostics after the edit within " .. wait_ms .. " ms")
  local edited = collect()
  local modified = vim.api.nvim_buf_get_option(bufnr, "modified")

  vim.lsp.stop_client(client_id)
  vim.wait(5000, function() return vim.lsp.get_client_by_id(client_id) == nil end, 20)
  write({ opened = opened, edited = edited, modified = modified })
end

local ok, err = pcall(run)
if ok then
  vim.cmd("qall!")
else
  write({ error = tostring(err) })
  vim.cmd("cquit! 1")
end
