//! symdex: a fast, incremental, fuzzy, multi-language code-navigation server.
//!
//! See `docs/ARCHITECTURE.md` for the map of modules and their invariants.

pub mod cli;
pub mod config;
pub mod document;
pub mod index;
pub mod lang;
pub mod lsp_client;
pub mod parser;
pub mod scanner;
pub mod server;
pub mod symbol;
