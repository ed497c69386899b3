//! Editor integrations (`editors/`): their manifests agree with the server, and (opt-in) a real
//! Neovim drives the real binary.
//!
//! - VS Code: `package.json` mirrors [`SETTINGS`] (keys, types, defaults, descriptions) and
//!   `src/languages.json` and the activation events mirror [`Lang`].
//! - Helix: `languages.toml` parses, runs `symdex lsp`, and names exactly the languages symdex
//!   supports, each next to a primary server.
//! - Neovim: `lsp/symdex.lua` runs `symdex lsp` for exactly the languages symdex supports; with
//!   `SYMDEX_EDITOR_TESTS=1`, `test/e2e.lua` runs in headless Neovim (`nvim`, or `$NVIM_BIN`).
//!
//! The VS Code real-editor test is a node script: `bash editors/test-all.sh` runs both.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;
use symdex::config::SETTINGS;
use symdex::lang::Lang;

/// `symdex.*` settings of the VS Code extension itself, not of the server.
const VSCODE_CLIENT_SETTINGS: &[&str] = &["symdex.server.path", "symdex.server.extraArgs", "symdex.trace.server"];

/// Helix language names -> `Lang` names (Helix splits JSX out of JavaScript).
const HELIX_LANGUAGES: &[(&str, &str)] = &[
    ("bash", "bash"),
    ("c", "c"),
    ("cpp", "cpp"),
    ("c-sharp", "csharp"),
    ("go", "go"),
    ("haskell", "haskell"),
    ("java", "java"),
    ("javascript", "javascript"),
    ("jsx", "javascript"),
    ("kotlin", "kotlin"),
    ("lua", "lua"),
    ("php", "php"),
    ("python", "python"),
    ("ruby", "ruby"),
    ("rust", "rust"),
    ("scala", "scala"),
    ("swift", "swift"),
    ("tsx", "tsx"),
    ("typescript", "typescript"),
];

/// What symdex serves in Helix, next to the primary server.
const HELIX_FEATURES: &[&str] = &["workspace-symbols", "document-symbols", "goto-definition"];

/// Neovim filetypes -> `Lang` names.
const NEOVIM_FILETYPES: &[(&str, &str)] = &[
    ("sh", "bash"),
    ("bash", "bash"),
    ("c", "c"),
    ("cpp", "cpp"),
    ("cs", "csharp"),
    ("go", "go"),
    ("haskell", "haskell"),
    ("java", "java"),
    ("javascript", "javascript"),
    ("javascriptreact", "javascript"),
    ("kotlin", "kotlin"),
    ("lua", "lua"),
    ("php", "php"),
    ("python", "python"),
    ("ruby", "ruby"),
    ("rust", "rust"),
    ("scala", "scala"),
    ("swift", "swift"),
    ("typescriptreact", "tsx"),
    ("typescript", "typescript"),
];

#[test]
fn vscode_settings_mirror_server_settings() {
    let package = read_json("editors/vscode/package.json");
    let properties =
        package["contributes"]["configuration"]["properties"].as_object().expect("configuration.properties");
    let mut problems = Vec::new();
    for s in SETTINGS {
        let id = format!("symdex.{}", s.key);
        let Some(p) = properties.get(&id) else {
            problems.push(format!("{id}: missing (a server setting in src/config.rs SETTINGS)"));
            continue;
        };
        let default: Value = serde_json::from_str(s.default).unwrap();
        if p["type"] != s.ty {
            problems.push(format!("{id}: type {} but SETTINGS says {:?}", p["type"], s.ty));
        }
        if p["default"] != default {
            problems.push(format!("{id}: default {} but SETTINGS says {default}", p["default"]));
        }
        if p["description"] != s.description {
            problems.push(format!("{id}: description {} but SETTINGS says {:?}", p["description"], s.description));
        }
    }
    let known: BTreeSet<String> = SETTINGS
        .iter()
        .map(|s| format!("symdex.{}", s.key))
        .chain(VSCODE_CLIENT_SETTINGS.iter().map(|s| s.to_string()))
        .collect();
    for id in properties.keys().filter(|id| !known.contains(*id)) {
        problems.push(format!("{id}: not a server setting (SETTINGS) nor one of {VSCODE_CLIENT_SETTINGS:?}"));
    }
    for id in VSCODE_CLIENT_SETTINGS.iter().filter(|id| !properties.contains_key(**id)) {
        problems.push(format!("{id}: missing"));
    }
    assert!(problems.is_empty(), "editors/vscode/package.json drifted from SETTINGS:\n{}", problems.join("\n"));

    let vscode_readme = std::fs::read_to_string(repo("editors/vscode/README.md")).unwrap();
    let editors_readme = std::fs::read_to_string(repo("editors/README.md")).unwrap();
    for s in SETTINGS {
        assert!(
            vscode_readme.contains(&format!("`symdex.{}`", s.key)),
            "editors/vscode/README.md lacks symdex.{}",
            s.key
        );
        assert!(editors_readme.contains(&format!("`{}`", s.key)), "editors/README.md lacks {}", s.key);
    }
}

#[test]
fn vscode_languages_mirror_lang() {
    let languages = read_json("editors/vscode/src/languages.json");
    let languages = languages["languages"].as_object().expect("languages");
    let names: Vec<&str> = languages.keys().map(String::as_str).collect();
    assert_eq!(names, lang_names(), "editors/vscode/src/languages.json languages");
    let mut all_extensions = Vec::new();
    let mut ids = Vec::new();
    for lang in Lang::ALL {
        let entry = &languages[lang.name()];
        let extensions: Vec<&str> =
            entry["extensions"].as_array().unwrap().iter().map(|e| e.as_str().unwrap()).collect();
        assert_eq!(extensions, lang.extensions(), "extensions of {}", lang.name());
        all_extensions.extend(extensions);
        ids.extend(entry["vscode"].as_array().unwrap().iter().map(|e| e.as_str().unwrap()));
    }

    let package = read_json("editors/vscode/package.json");
    let events: Vec<&str> =
        package["activationEvents"].as_array().unwrap().iter().map(|e| e.as_str().unwrap()).collect();
    for id in ids {
        assert!(events.contains(&format!("onLanguage:{id}").as_str()), "activationEvents lacks onLanguage:{id}");
    }
    let contains = format!("workspaceContains:**/*.{{{}}}", all_extensions.join(","));
    assert!(events.contains(&contains.as_str()), "activationEvents lacks {contains}");
}

#[test]
fn helix_languages_toml_adds_symdex_to_every_language() {
    let text = std::fs::read_to_string(repo("editors/helix/languages.toml")).unwrap();
    let config: toml::Table = text.parse().expect("editors/helix/languages.toml parses");
    let server = &config["language-server"]["symdex"];
    assert_eq!(server["command"].as_str(), Some("symdex"));
    assert_eq!(
        server["args"].as_array().map(|a| a.iter().map(|v| v.as_str().unwrap()).collect::<Vec<_>>()),
        Some(vec!["lsp"])
    );

    let mut covered = BTreeSet::new();
    let mut seen = BTreeSet::new();
    for language in config["language"].as_array().expect("[[language]] entries") {
        let name = language["name"].as_str().unwrap();
        assert!(seen.insert(name), "{name} listed twice");
        let lang = HELIX_LANGUAGES.iter().find(|(h, _)| *h == name).map(|(_, l)| *l);
        let lang = lang.unwrap_or_else(|| panic!("Helix language {name:?} is not one symdex indexes"));
        covered.insert(lang);

        let servers = language["language-servers"].as_array().unwrap();
        let (symdex, primaries): (Vec<_>, Vec<_>) =
            servers.iter().partition(|s| s.get("name").and_then(|n| n.as_str()) == Some("symdex"));
        assert_eq!(symdex.len(), 1, "{name}: symdex listed once");
        assert!(!primaries.is_empty(), "{name}: keeps its own language server next to symdex");
        let features: Vec<&str> =
            symdex[0]["only-features"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
        assert_eq!(features, HELIX_FEATURES, "{name}: only-features");
    }
    assert_eq!(covered.into_iter().collect::<Vec<_>>(), sorted(lang_names()), "Helix languages cover Lang");
}

#[test]
fn neovim_config_runs_symdex_for_every_language() {
    let text = std::fs::read_to_string(repo("editors/neovim/lsp/symdex.lua")).unwrap();
    let code: String = text.lines().map(|l| l.split("--").next().unwrap()).collect::<Vec<_>>().join("\n");
    assert_eq!(lua_strings(&code, "cmd"), ["symdex", "lsp"]);
    let mut covered = BTreeSet::new();
    for ft in lua_strings(&code, "filetypes") {
        let lang = NEOVIM_FILETYPES.iter().find(|(f, _)| *f == ft).map(|(_, l)| *l);
        covered.insert(lang.unwrap_or_else(|| panic!("Neovim filetype {ft:?} is not one symdex indexes")));
    }
    assert_eq!(covered.into_iter().collect::<Vec<_>>(), sorted(lang_names()), "Neovim filetypes cover Lang");
}

#[test]
fn neovim_e2e() {
    if std::env::var("SYMDEX_EDITOR_TESTS").as_deref() != Ok("1") {
        eprintln!("note: neovim_e2e skipped; set SYMDEX_EDITOR_TESTS=1 to run it (needs nvim: bash editors/install-test-deps.sh)");
        return;
    }
    let nvim = std::env::var("NVIM_BIN").unwrap_or_else(|_| "nvim".to_owned());
    let script = repo("editors/neovim/test/e2e.lua");
    let mut child = Command::new(&nvim)
        .args(["--headless", "--clean", "-u", "NONE", "-c"])
        .arg(format!("luafile {}", script.display()))
        .env("SYMDEX_BIN", env!("CARGO_BIN_EXE_symdex"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {nvim}: {e}"));
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(std::io::read_to_string(stdout));
    });
    let output = match rx.recv_timeout(Duration::from_secs(300)) {
        Ok(output) => output.unwrap(),
        Err(_) => {
            let _ = child.kill();
            panic!("neovim e2e did not finish in 300 s");
        }
    };
    let status = child.wait().unwrap();
    print!("{output}");
    assert!(status.success() && output.contains("PASS"), "neovim e2e failed ({status}):\n{output}");
}

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn read_json(rel: &str) -> Value {
    let text = std::fs::read_to_string(repo(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn lang_names() -> Vec<&'static str> {
    Lang::ALL.iter().map(|l| l.name()).collect()
}

fn sorted(mut v: Vec<&'static str>) -> Vec<&'static str> {
    v.sort_unstable();
    v
}

/// The quoted strings of the Lua table assigned to `key` (`key = { 'a', "b" }`).
fn lua_strings(code: &str, key: &str) -> Vec<String> {
    let start = code.find(&format!("{key} = {{")).unwrap_or_else(|| panic!("no `{key} = {{` in the Lua config"));
    let body = &code[start..];
    let body = &body[..body.find('}').unwrap()];
    let mut strings = Vec::new();
    let mut rest = body;
    while let Some(open) = rest.find(['\'', '"']) {
        let quote = rest.as_bytes()[open] as char;
        let after = &rest[open + 1..];
        let close = after.find(quote).unwrap();
        strings.push(after[..close].to_owned());
        rest = &after[close + 1..];
    }
    strings
}
