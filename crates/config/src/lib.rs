//! `metamon.config.json` in the app's root: the hot-reload options (watching, batching,
//! recovery, what state survives), and the dev-server options. Every key is optional; an unknown key or a wrong type is an
//! error naming the key, the line and the column.

use globset::{Glob, GlobSet, GlobSetBuilder};
use metamon_mtm::Diagnostic;
use serde::{Deserialize, Serialize};
use std::path::Path;

pub const FILE_NAME: &str = "metamon.config.json";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ErrorRecoveryMode {
    /// Keep running, show the error, restore what can be restored.
    #[default]
    Graceful,
    /// Full reload (with the state snapshot).
    Strict,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Config {
    /// Globs (relative to the root) of files whose changes trigger updates; empty: all.
    pub watch_patterns: Vec<String>,
    /// Globs of files the watcher ignores (on top of node_modules, .git and dot-files).
    pub ignore_patterns: Vec<String>,
    pub preserve_state: bool,
    pub batch_updates: bool,
    pub debounce_ms: u64,
    pub sync_frameworks: bool,
    pub sync_timeout: u64,
    pub show_error_overlay: bool,
    pub error_recovery_mode: ErrorRecoveryMode,
    pub max_concurrent_reloads: usize,
    pub reload_timeout: u64,
    pub preserve_signals: bool,
    pub preserve_subscriptions: bool,
    pub preserve_component_state: bool,
    /// Show a brief notice after each successful update.
    pub show_success_notice: bool,
    pub port: Option<u16>,
    pub host: Option<String>,
    /// Which `.jsx`/`.tsx` files are Solid components rather than React.
    pub solid_include: Vec<String>,
    /// Browserslist queries that CSS is lowered for (nesting, vendor prefixes); empty: as written.
    pub css_targets: Vec<String>,
    /// The public path the built app is served from (`/`, `/sub/`), as Vite's `base`.
    pub base: String,
    /// `metamon build`'s options.
    pub build: BuildConfig,
}

/// `metamon build`'s options, named as in Vite's `build.*`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct BuildConfig {
    /// Where the build goes, relative to the root.
    pub out_dir: String,
    /// Write `.map` files next to the JS and CSS.
    pub sourcemap: bool,
    /// Imported assets smaller than this many bytes are inlined as data URLs.
    pub assets_inline_limit: usize,
}

impl Default for BuildConfig {
    fn default() -> Self {
        Self {
            out_dir: "dist".into(),
            sourcemap: false,
            assets_inline_limit: 4096,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            watch_patterns: Vec::new(),
            ignore_patterns: Vec::new(),
            preserve_state: true,
            batch_updates: true,
            debounce_ms: 3,
            sync_frameworks: true,
            sync_timeout: 1000,
            show_error_overlay: true,
            error_recovery_mode: ErrorRecoveryMode::Graceful,
            max_concurrent_reloads: 4,
            reload_timeout: 5000,
            preserve_signals: true,
            preserve_subscriptions: true,
            preserve_component_state: true,
            show_success_notice: true,
            port: None,
            host: None,
            solid_include: vec![
                "**/solid/**/*.{jsx,tsx}".into(),
                "**/*.solid.{jsx,tsx}".into(),
            ],
            css_targets: Vec::new(),
            base: "/".into(),
            build: BuildConfig::default(),
        }
    }
}

impl Config {
    /// Reads `metamon.config.json` from `root`; no file means the defaults.
    pub fn load(root: &Path) -> Result<Config, Diagnostic> {
        match std::fs::read_to_string(root.join(FILE_NAME)) {
            Ok(text) => Config::parse(&text),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            Err(error) => Err(Diagnostic::new(
                "config::read",
                FILE_NAME,
                1,
                1,
                format!("cannot read the config: {error}"),
            )),
        }
    }

    pub fn parse(text: &str) -> Result<Config, Diagnostic> {
        let config: Config = serde_json::from_str(text).map_err(|error| {
            let message = error.to_string();
            let message = message
                .split(" at line ")
                .next()
                .unwrap_or(&message)
                .to_string();
            // serde points just past the offending key or value; step back onto it.
            Diagnostic::new(
                "config::invalid",
                FILE_NAME,
                error.line(),
                error.column().saturating_sub(1).max(1),
                format!("invalid config: {message}"),
            )
        })?;
        for pattern in config
            .watch_patterns
            .iter()
            .chain(&config.ignore_patterns)
            .chain(&config.solid_include)
        {
            if let Err(error) = Glob::new(pattern) {
                let (line, column) = locate(text, pattern);
                return Err(Diagnostic::new(
                    "config::glob",
                    FILE_NAME,
                    line,
                    column,
                    format!("invalid glob `{pattern}`: {error}"),
                ));
            }
        }
        Ok(config)
    }

    pub fn glob_set(patterns: &[String]) -> GlobSet {
        let mut builder = GlobSetBuilder::new();
        for pattern in patterns {
            if let Ok(glob) = Glob::new(pattern) {
                builder.add(glob);
            }
        }
        builder.build().unwrap_or_else(|_| GlobSet::empty())
    }

    /// What the browser runtime needs to know.
    pub fn client_options(&self) -> serde_json::Value {
        serde_json::json!({
            "preserveState": self.preserve_state,
            "showErrorOverlay": self.show_error_overlay,
            "errorRecoveryMode": self.error_recovery_mode,
            "reloadTimeout": self.reload_timeout,
            "syncFrameworks": self.sync_frameworks,
            "syncTimeout": self.sync_timeout,
            "maxConcurrentReloads": self.max_concurrent_reloads,
            "preserveSignals": self.preserve_signals,
            "preserveSubscriptions": self.preserve_subscriptions,
            "preserveComponentState": self.preserve_component_state,
            "showSuccessNotice": self.show_success_notice,
        })
    }
}

fn locate(text: &str, needle: &str) -> (usize, usize) {
    metamon_mtm::line_column(text, text.find(needle).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_when_empty() {
        assert_eq!(Config::parse("{}").unwrap(), Config::default());
    }

    #[test]
    fn reads_every_field() {
        let config = Config::parse(r#"{ "debounceMs": 20, "errorRecoveryMode": "strict", "solidInclude": ["src/comps/**"], "port": 4000, "ignorePatterns": ["**/*.draft.mtm"] }"#).unwrap();
        assert_eq!(config.debounce_ms, 20);
        assert_eq!(config.error_recovery_mode, ErrorRecoveryMode::Strict);
        assert_eq!(config.solid_include, ["src/comps/**"]);
        assert_eq!(config.port, Some(4000));
    }

    #[test]
    fn unknown_key_names_key_and_line() {
        let error =
            Config::parse("{\n  \"debounceMs\": 20,\n  \"reloadTimout\": 10\n}").unwrap_err();
        assert_eq!(error.line, 3, "{error}");
        assert!(
            error.message.contains("unknown field `reloadTimout`"),
            "{error}"
        );
    }

    #[test]
    fn wrong_type_names_line() {
        let error = Config::parse("{\n  \"errorRecoveryMode\": \"loud\"\n}").unwrap_err();
        assert_eq!(error.line, 2);
        assert!(error.message.contains("loud"), "{error}");
        let error = Config::parse("{\n\n  \"debounceMs\": \"fast\"\n}").unwrap_err();
        assert_eq!(error.line, 3);
    }

    #[test]
    fn bad_glob() {
        let error = Config::parse("{\n  \"ignorePatterns\": [\"src/[\"]\n}").unwrap_err();
        assert_eq!(error.line, 2);
    }
}
