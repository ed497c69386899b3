//! Settings: the one struct every surface reads (LSP `initializationOptions`, the CLI, the VS Code
//! extension's `package.json`, `docs/configuration.md`).
//!
//! [`SETTINGS`] is the single list of user-facing settings; a test checks that the editor
//! manifests and the docs agree with it. This module does no IO.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Default cap on the size of an indexed file.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 1024 * 1024;
/// Default cap on `workspace/symbol` results.
pub const DEFAULT_RESULT_LIMIT: usize = 128;

/// Everything a user can tune. Deserialized from the client's `initializationOptions`
/// (camelCase keys) and filled from CLI flags.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct Config {
    /// Extra glob patterns (gitignore syntax) excluded from indexing, on top of ignore files.
    pub exclude: Vec<String>,
    /// Files larger than this many bytes are skipped.
    pub max_file_size: u64,
    /// Indexing worker threads; 0 means one per available core.
    pub workers: usize,
    /// Maximum number of `workspace/symbol` results.
    pub result_limit: usize,
    /// Follow symbolic links while scanning (loops and links leaving the workspace are skipped).
    pub follow_symlinks: bool,
    /// Directory for the persistent index; empty means the user cache directory.
    pub cache_dir: Option<PathBuf>,
    /// Log filter (`RUST_LOG` syntax) used when `RUST_LOG` is unset.
    pub log_level: String,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            exclude: Vec::new(),
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            workers: 0,
            result_limit: DEFAULT_RESULT_LIMIT,
            follow_symlinks: false,
            cache_dir: None,
            log_level: "info".to_owned(),
        }
    }
}

impl Config {
    /// Number of worker threads to use.
    pub fn worker_count(&self) -> usize {
        if self.workers > 0 {
            return self.workers;
        }
        std::thread::available_parallelism().map_or(2, |n| n.get())
    }
}

/// One user-facing setting, as editors and docs present it.
#[derive(Clone, Copy, Debug)]
pub struct Setting {
    /// The key in `initializationOptions` (camelCase), also `symdex.<key>` in VS Code.
    pub key: &'static str,
    /// JSON schema type: `string`, `integer`, `boolean`, `array`.
    pub ty: &'static str,
    /// Default as JSON text.
    pub default: &'static str,
    pub description: &'static str,
}

/// The settings list: keep it in step with [`Config`] (a unit test checks the keys).
pub const SETTINGS: &[Setting] = &[
    Setting {
        key: "exclude",
        ty: "array",
        default: "[]",
        description:
            "Glob patterns (gitignore syntax) excluded from indexing, in addition to .gitignore/.ignore files.",
    },
    Setting {
        key: "maxFileSize",
        ty: "integer",
        default: "1048576",
        description: "Files larger than this many bytes are not indexed.",
    },
    Setting {
        key: "workers",
        ty: "integer",
        default: "0",
        description: "Indexing worker threads; 0 uses one per CPU core.",
    },
    Setting {
        key: "resultLimit",
        ty: "integer",
        default: "128",
        description: "Maximum number of results for workspace symbol search and for go to definition.",
    },
    Setting {
        key: "followSymlinks",
        ty: "boolean",
        default: "false",
        description: "Follow symbolic links while scanning; loops and links leaving the workspace are always skipped.",
    },
    Setting {
        key: "cacheDir",
        ty: "string",
        default: "null",
        description: "Directory for the persistent index; unset uses $SYMDEX_CACHE_DIR, else the user cache directory.",
    },
    Setting {
        key: "logLevel",
        ty: "string",
        default: "\"info\"",
        description: "Log filter (RUST_LOG syntax) used when RUST_LOG is unset; logs go to stderr.",
    },
];

/// `docs/configuration.md`, generated from [`SETTINGS`] (a test keeps the file in step).
pub fn configuration_markdown() -> String {
    let mut out = String::from(
        "# Configuration\n\n<!-- Generated from `SETTINGS` in src/config.rs; `UPDATE_EXPECT=1 cargo test --lib config` rewrites it. -->\n\n\
         Settings are read from the client's `initializationOptions` (camelCase keys, as below). \
         The VS Code extension exposes each as `symdex.<key>`. The CLI takes the scanning ones as flags \
         (`--exclude`, `--max-file-size`, `--workers`, `--follow-symlinks`).\n\n\
         | key | type | default | description |\n|---|---|---|---|\n",
    );
    for s in SETTINGS {
        out.push_str(&format!("| `{}` | {} | `{}` | {} |\n", s.key, s.ty, s.default, s.description));
    }
    out.push_str(
        "\nEnvironment: `RUST_LOG` (log filter, logs go to stderr), `SYMDEX_CACHE_DIR` (persistent index location).\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configuration_docs_are_generated_from_settings() {
        expect_test::expect_file!["../docs/configuration.md"].assert_eq(&configuration_markdown());
    }

    #[test]
    fn settings_list_matches_config_fields() {
        let value = serde_json::to_value(Config::default()).unwrap();
        let mut fields: Vec<&str> = value.as_object().unwrap().keys().map(String::as_str).collect();
        let mut keys: Vec<&str> = SETTINGS.iter().map(|s| s.key).collect();
        fields.sort_unstable();
        keys.sort_unstable();
        assert_eq!(fields, keys);
        for s in SETTINGS {
            let default: serde_json::Value = serde_json::from_str(s.default).unwrap();
            assert_eq!(value[s.key], default, "default of {}", s.key);
        }
    }

    #[test]
    fn partial_options_keep_defaults() {
        let c: Config = serde_json::from_str(r#"{"resultLimit": 5}"#).unwrap();
        assert_eq!(c.result_limit, 5);
        assert_eq!(c.max_file_size, DEFAULT_MAX_FILE_SIZE);
    }
}
