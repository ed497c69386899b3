-- Real-editor test: headless Neovim drives symdex through its own LSP client.
--
--   SYMDEX_BIN=target/debug/symdex nvim --headless --clean -u NONE -c 'luafile editors/neovim/test/e2e.lua'
--
-- Starts the server from editors/neovim/lsp/symdex.lua with the newest API this Neovim has
-- (vim.lsp.config on 0.11+, vim.lsp.start on 0.8+, vim.lsp.start_client before), then checks
-- workspace symbols, document symbols, go-to-definition, and an edit made in the buffer (sent by
-- Neovim as an incremental didChange). Prints PASS or FAIL; exits non-zero on failure.
-- Every wait is vim.wait(timeout, condition), which runs the event loop until the condition holds.

local TIMEOUT = 60000

local function out(line)
  io.stdout:write(line .. '\n')
end

local function script_dir()
  return vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h')
end

local neovim_dir = vim.fn.fnamemodify(script_dir(), ':h')
local bin = os.getenv('SYMDEX_BIN')
local tmp = vim.fn.tempname()
local root = tmp .. '/workspace'

local FILES = {
  ['app/server.py'] = {
    'import socketserver',
    'from helpers import format_date',
    '',
    '',
    'class ThreadingHTTPServer(socketserver.ThreadingMixIn):',
    '    daemon_threads = True',
    '',
    '    def serve_forever(self):',
    '        return format_date(self)',
    '',
    '',
    'def handle(request):',
    '    server = ThreadingHTTPServer()',
    '    return server.serve_forever()',
  },
  ['app/helpers.py'] = {
    'def format_date(value):',
    '    return str(value)',
    '',
    '',
    'def handle_error(err):',
    '    return err',
  },
  ['rust/src/lib.rs'] = {
    'pub struct Config {',
    '    pub name: String,',
    '}',
    '',
    'fn parse_name() -> String {',
    '    String::new()',
    '}',
  },
}

local state = { indexed = false, did_change = {}, client = nil, api = nil }

local function check(cond, message)
  if not cond then
    error(message, 2)
  end
end

local function write_fixture()
  vim.fn.mkdir(root .. '/.git', 'p') -- the root marker
  for rel, lines in pairs(FILES) do
    local path = root .. '/' .. rel
    vim.fn.mkdir(vim.fn.fnamemodify(path, ':h'), 'p')
    vim.fn.writefile(lines, path)
  end
end

-- Marks the index ready when the server ends its `$/progress`, then lets Neovim handle it.
local function progress_handler(err, result, ctx, config)
  if result and result.value and result.value.kind == 'end' then
    state.indexed = true
  end
  local default = vim.lsp.handlers['$/progress']
  if default then
    return default(err, result, ctx, config)
  end
end

-- The config as the user has it, with the test's binary and a private cache directory.
local function config()
  local spec = dofile(neovim_dir .. '/lsp/symdex.lua')
  spec.cmd = { bin, 'lsp' }
  spec.init_options = vim.tbl_extend('force', spec.init_options or {}, { cacheDir = tmp .. '/cache' })
  spec.handlers = { ['$/progress'] = progress_handler }
  return spec
end

local function find_root(path, markers)
  for _, marker in ipairs(markers) do
    local found = vim.fn.finddir(marker, vim.fn.fnamemodify(path, ':h') .. ';')
    if found ~= '' then
      return vim.fn.fnamemodify(found, ':p:h:h')
    end
  end
end

local function start_server()
  local spec = config()
  if vim.lsp.config and vim.lsp.enable then
    -- Neovim 0.11+: the file is found on 'runtimepath' as lsp/symdex.lua, exactly as users load it.
    state.api = 'vim.lsp.config'
    vim.opt.runtimepath:prepend(neovim_dir)
    vim.lsp.config('symdex', { cmd = spec.cmd, init_options = spec.init_options, handlers = spec.handlers })
    vim.lsp.enable('symdex')
    return
  end
  vim.api.nvim_create_autocmd('FileType', {
    pattern = spec.filetypes,
    callback = function(args)
      local file = vim.api.nvim_buf_get_name(args.buf)
      local opts = {
        name = 'symdex',
        cmd = spec.cmd,
        root_dir = find_root(file, spec.root_markers),
        init_options = spec.init_options,
        handlers = spec.handlers,
      }
      if vim.lsp.start then
        state.api = 'vim.lsp.start'
        vim.lsp.start(opts)
      else
        -- Neovim 0.7: one client, attached to every matching buffer.
        state.api = 'vim.lsp.start_client'
        state.client_id = state.client_id or vim.lsp.start_client(opts)
        vim.lsp.buf_attach_client(args.buf, state.client_id)
      end
    end,
  })
end

-- LSP clients (of one buffer), across Neovim versions.
local function clients(bufnr)
  if vim.lsp.get_clients then
    return vim.lsp.get_clients({ bufnr = bufnr })
  end
  if bufnr then
    return vim.tbl_values(vim.lsp.buf_get_clients(bufnr))
  end
  return vim.lsp.get_active_clients()
end

local function symdex_client(bufnr)
  for _, c in ipairs(clients(bufnr)) do
    if c.name == 'symdex' then
      return c
    end
  end
end

local function request(method, params)
  local responses, err = vim.lsp.buf_request_sync(0, method, params, TIMEOUT)
  check(responses, method .. ' failed: ' .. tostring(err))
  local result = {}
  for _, response in pairs(responses) do
    check(not response.err, method .. ' error: ' .. vim.inspect(response.err))
    vim.list_extend(result, response.result or {})
  end
  return result
end

local function names(symbols)
  local list = {}
  for _, s in ipairs(symbols) do
    table.insert(list, s.name)
  end
  return table.concat(list, ', ')
end

local function find_symbol(symbols, name, file_suffix)
  for _, s in ipairs(symbols) do
    local uri = s.location and s.location.uri or ''
    if s.name == name and vim.endswith(uri, file_suffix) then
      return s
    end
  end
end

local steps = {}

steps[#steps + 1] = { 'the server starts and indexes the workspace', function()
  vim.cmd('edit ' .. vim.fn.fnameescape(root .. '/app/server.py'))
  check(vim.wait(TIMEOUT, function()
    state.client = symdex_client(0)
    return state.client ~= nil and state.client.initialized ~= false
  end), 'symdex did not attach to app/server.py')
  -- Record what Neovim sends, to see the edit's didChange below.
  local notify = state.client.rpc.notify
  state.client.rpc.notify = function(method, params)
    if method == 'textDocument/didChange' then
      table.insert(state.did_change, params)
    end
    return notify(method, params)
  end
  check(vim.wait(TIMEOUT, function()
    return state.indexed
  end), 'no end of indexing progress from symdex')
end }

steps[#steps + 1] = { 'workspace/symbol finds Python and Rust symbols', function()
  local symbols = request('workspace/symbol', { query = 'ThreadHTTP' })
  check(find_symbol(symbols, 'ThreadingHTTPServer', '/app/server.py'), 'ThreadingHTTPServer missing: ' .. names(symbols))
  symbols = request('workspace/symbol', { query = 'parse_name' })
  check(find_symbol(symbols, 'parse_name', '/rust/src/lib.rs'), 'parse_name missing: ' .. names(symbols))
end }

steps[#steps + 1] = { 'textDocument/documentSymbol outlines the buffer', function()
  local symbols = request('textDocument/documentSymbol', { textDocument = vim.lsp.util.make_text_document_params() })
  local outline = names(symbols)
  check(outline:find('ThreadingHTTPServer', 1, true) and outline:find('handle', 1, true), 'outline: ' .. outline)
end }

steps[#steps + 1] = { 'vim.lsp.buf.definition() jumps to the definition in another file', function()
  -- `        return format_date(self)`: line 9, the name starts at byte column 15 (0-based).
  vim.api.nvim_win_set_cursor(0, { 9, 15 })
  vim.lsp.buf.definition()
  check(vim.wait(TIMEOUT, function()
    return vim.endswith(vim.api.nvim_buf_get_name(0), '/app/helpers.py')
  end), 'definition did not open app/helpers.py; now in ' .. vim.api.nvim_buf_get_name(0))
  local cursor = vim.api.nvim_win_get_cursor(0)
  check(cursor[1] == 1, 'definition landed on line ' .. cursor[1] .. ', expected 1')
  check(vim.api.nvim_get_current_line():find('format_date', 1, true), 'cursor line: ' .. vim.api.nvim_get_current_line())
end }

steps[#steps + 1] = { 'an edit in the buffer shows up in workspace/symbol', function()
  vim.api.nvim_buf_set_lines(0, -1, -1, false, { '', 'def freshly_added_helper():', '    return 1' })
  -- The file on disk is untouched: the symbol can only come from Neovim's didChange.
  check(not table.concat(vim.fn.readfile(root .. '/app/helpers.py'), '\n'):find('freshly', 1, true), 'file was saved')
  local symbols = request('workspace/symbol', { query = 'freshly_added' })
  check(find_symbol(symbols, 'freshly_added_helper', '/app/helpers.py'), 'new symbol missing: ' .. names(symbols))
  local change = state.did_change[#state.did_change]
  check(change, 'Neovim sent no textDocument/didChange')
  check(change.contentChanges[1].range ~= nil, 'didChange was not incremental: ' .. vim.inspect(change))
end }

local function main()
  check(bin and vim.fn.executable(bin) == 1, 'SYMDEX_BIN must name the symdex binary (got ' .. tostring(bin) .. ')')
  write_fixture()
  start_server()
  local failed = 0
  for _, step in ipairs(steps) do
    local ok, err = pcall(step[2])
    out((ok and 'ok   ' or 'FAIL ') .. step[1] .. (ok and '' or (': ' .. tostring(err))))
    if not ok then
      failed = failed + 1
      break -- later steps build on earlier ones
    end
  end
  local version = vim.version()
  local nvim = ('nvim %d.%d.%d'):format(version.major, version.minor, version.patch)
  if failed == 0 then
    out(('PASS neovim e2e (%s, %s): %d passed, 0 failed'):format(nvim, state.api, #steps))
  else
    out(('FAIL neovim e2e (%s, %s)'):format(nvim, tostring(state.api)))
  end
  return failed == 0
end

local ok, passed = xpcall(main, debug.traceback)
if not ok then
  out('FAIL neovim e2e: ' .. tostring(passed))
end
for _, c in ipairs(clients()) do
  vim.lsp.stop_client(c.id)
end
vim.wait(5000, function()
  return #clients() == 0
end)
vim.fn.delete(tmp, 'rf')
if ok and passed then
  vim.cmd('qall!')
else
  vim.cmd('cquit 1')
end
