//! The app's `vite.config.{js,mjs,ts,mts}`: evaluated in Node as Vite does (TypeScript stripped
//! by oxc first), turned into the `metamon.config.json` keys it implies, and the plugins it
//! uses that cannot run here named in one warning.

use metamon_compile::{Diagnostic, ScriptOptions, compile_script};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

pub const FILE_NAMES: [&str; 4] = [
    "vite.config.ts",
    "vite.config.mts",
    "vite.config.js",
    "vite.config.mjs",
];

const LOADER_SOURCE: &str = include_str!("../../../worker/vite-config.mjs");
const MARKER: &str = "__METAMON_VITE_CONFIG__";

/// What an evaluated Vite config means to Metamon.
#[derive(Debug, Clone, Default)]
pub struct ViteConfig {
    /// The config file, relative to the root.
    pub file: String,
    /// `metamon.config.json` keys (`alias`, `define`, `port`, `build`…).
    pub keys: Value,
    /// Vite's `root`, when the config moves it.
    pub root: Option<PathBuf>,
    /// Packages of the official plugins the config uses (`@vitejs/plugin-react`, …).
    pub official_plugins: Vec<String>,
    /// Things the config asks for that will not happen (other plugins, unsupported options).
    pub warnings: Vec<String>,
}

/// The Vite config file of the app at `root`, if it has one.
pub fn find(root: &Path) -> Option<PathBuf> {
    FILE_NAMES
        .iter()
        .map(|name| root.join(name))
        .find(|path| path.is_file())
}

/// Evaluates the app's Vite config for `command` (`serve` or `build`) and `mode`.
pub fn evaluate(root: &Path, command: &str, mode: &str) -> Result<Option<ViteConfig>, Diagnostic> {
    let Some(path) = find(root) else {
        return Ok(None);
    };
    let root = &root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let file = path
        .file_name()
        .map(|name| name.to_string_lossy().to_string())
        .unwrap_or_default();
    let error = |line: usize, column: usize, message: String| {
        Diagnostic::new("config::vite", &file, line, column, message)
    };
    let source = std::fs::read_to_string(&path)
        .map_err(|e| error(1, 1, format!("cannot read {file}: {e}")))?;
    let script =
        compile_script(&file, &source, &ScriptOptions::default()).map_err(|mut errors| {
            errors
                .drain(..)
                .next()
                .unwrap_or_else(|| error(1, 1, format!("{file} does not parse")))
        })?;
    let mut code = script.code;
    // Vite's config bundler gives ESM configs the CommonJS names; so does this.
    if !declares(&code, "__dirname") {
        code.insert_str(
            0,
            &format!(
                "const __dirname = {};\n",
                Value::from(root.to_string_lossy().as_ref())
            ),
        );
    }
    if !declares(&code, "__filename") {
        code.insert_str(
            0,
            &format!(
                "const __filename = {};\n",
                Value::from(path.to_string_lossy().as_ref())
            ),
        );
    }
    // Beside the config, so its relative imports and `import.meta.url` mean what they say; a
    // dot-file, so the watcher and the walk ignore it.
    let temporary = root.join(format!(".{file}.timestamp-{}.mjs", std::process::id()));
    std::fs::write(&temporary, code).map_err(|e| {
        error(
            1,
            1,
            format!("cannot write the evaluated copy of {file}: {e}"),
        )
    })?;
    let loader = std::env::temp_dir().join(format!(
        "metamon-vite-config-{:016x}.mjs",
        metamon_compile::content_hash(LOADER_SOURCE.as_bytes())
    ));
    if !loader.is_file() {
        std::fs::write(&loader, LOADER_SOURCE)
            .map_err(|e| error(1, 1, format!("cannot write the config loader: {e}")))?;
    }
    let output = Command::new("node")
        .arg(&loader)
        .arg(&temporary)
        .arg(command)
        .arg(mode)
        .arg(root)
        .current_dir(root)
        .output();
    let _ = std::fs::remove_file(&temporary);
    let output = output.map_err(|e| {
        error(
            1,
            1,
            format!("could not run `node` to read {file} ({e}); Node.js must be on PATH"),
        )
    })?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let Some(result) = stdout
        .rsplit_once(MARKER)
        .and_then(|(_, json)| serde_json::from_str::<Value>(json.trim()).ok())
    else {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let reason = stderr.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        return Err(error(1, 1, format!("evaluating {file} failed: {reason}")));
    };
    if let Some(message) = result["error"].as_str() {
        let line = result["line"].as_u64().unwrap_or(1) as usize;
        let column = result["column"].as_u64().unwrap_or(1) as usize;
        return Err(error(
            line,
            column,
            format!("evaluating {file} failed: {message}"),
        ));
    }
    let mut warnings: Vec<String> = result["warnings"]
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|w| w.as_str().map(|w| format!("{file}: {w}")))
                .collect()
        })
        .unwrap_or_default();
    let plugins = result["plugins"].as_array().cloned().unwrap_or_default();
    let official_plugins = plugins
        .iter()
        .filter(|p| p["handled"].as_bool() == Some(true))
        .filter_map(|p| p["package"].as_str().map(str::to_string))
        .collect();
    let others: Vec<&str> = plugins
        .iter()
        .filter(|p| p["handled"].as_bool() != Some(true))
        .filter_map(|p| p["name"].as_str())
        .collect();
    if !others.is_empty() {
        warnings.push(format!(
            "{file}: these Vite plugins do not run under metamon: {}; what they transform, generate or serve will not happen (only the official React, Vue, Svelte, Solid and Tailwind plugins are understood)",
            others.join(", ")
        ));
    }
    Ok(Some(ViteConfig {
        file,
        keys: result["config"].clone(),
        root: result["root"].as_str().map(PathBuf::from),
        official_plugins,
        warnings,
    }))
}

/// Whether `code` declares the top-level name `name` itself.
fn declares(code: &str, name: &str) -> bool {
    ["const ", "let ", "var ", "function "]
        .iter()
        .any(|keyword| code.contains(&format!("{keyword}{name}")))
        || code.contains(&format!("as {name}"))
}
