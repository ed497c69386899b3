-- symdex for Neovim 0.11+ (`:help lsp-config`).
--
-- Copy this file to ~/.config/nvim/lsp/symdex.lua (or add editors/neovim to 'runtimepath'), then:
--
--   vim.lsp.enable('symdex')
--
-- symdex runs next to each language's own server: it answers workspace symbols, document symbols,
-- definitions, references and hover from one tree-sitter index of the whole project.

---@type vim.lsp.Config
return {
  cmd = { 'symdex', 'lsp' },
  -- Every language symdex indexes (`Lang` in src/lang/mod.rs), as Neovim names them.
  filetypes = {
    'sh', 'bash', -- bash
    'c',
    'cpp',
    'cs', -- csharp
    'go',
    'haskell',
    'java',
    'javascript', 'javascriptreact',
    'kotlin',
    'lua',
    'php',
    'python',
    'ruby',
    'rust',
    'scala',
    'swift',
    'typescriptreact', -- tsx
    'typescript',
  },
  -- The workspace is the enclosing repository.
  root_markers = { '.git', '.hg', '.jj', '.svn' },
  -- Server settings (sent as initializationOptions); all optional. Keys and defaults:
  -- exclude = {}, maxFileSize = 1048576, workers = 0, resultLimit = 128, followSymlinks = false,
  -- cacheDir = nil, logLevel = 'info'. See editors/README.md.
  init_options = {},
}
