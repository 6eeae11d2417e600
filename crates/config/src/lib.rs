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
    /// Import aliases, as Vite's `resolve.alias`, tried in order before normal resolution.
    pub alias: Vec<Alias>,
    /// Extensions tried for extensionless imports (Vite's `resolve.extensions`); empty: the
    /// default list.
    pub extensions: Vec<String>,
    /// Global expressions replaced in app code (Vite's `define`): name → JavaScript expression.
    pub define: std::collections::BTreeMap<String, String>,
    /// The folder served at the root as is, relative to the root (Vite's `publicDir`).
    pub public_dir: String,
    /// Where `.env` files are read from, relative to the root (Vite's `envDir`).
    pub env_dir: String,
    /// Prefixes of the `.env` variables exposed as `import.meta.env` (Vite's `envPrefix`).
    pub env_prefix: Vec<String>,
    /// Fail instead of trying the next port when `port` is taken (Vite's `server.strictPort`).
    pub strict_port: bool,
    /// Open the app in the browser once ready (Vite's `server.open`).
    pub open: bool,
    /// Serve a page's modules in a few packs to a module registry (bundled dev serving, the
    /// default); `false`: one request per module, as native ES modules. `metamon dev --bundle` /
    /// `--no-bundle` override it.
    pub bundle: bool,
    /// Vue's `compilerOptions.isCustomElement`, as the source of a JavaScript function of the
    /// tag name (from `@vitejs/plugin-vue`'s `template.compilerOptions`).
    pub vue_is_custom_element: Option<String>,
    /// The package JSX compiles against (`react` by default; `@emotion/react`, `preact`…).
    pub jsx_import_source: Option<String>,
    /// Options handed to the Sass / Less compiler, by language (`scss`, `sass`, `less`), as
    /// Vite's `css.preprocessorOptions`.
    pub preprocessor_options: std::collections::BTreeMap<String, serde_json::Value>,
    /// How `*.module.css` class names are generated and exported, as Vite's `css.modules`.
    pub css_modules: CssModulesConfig,
}

/// Vite's `css.modules` options that are data (not functions).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct CssModulesConfig {
    /// The class name pattern (`[name]__[local]___[hash:base64:5]`): `[name]`, `[local]`,
    /// `[hash]`.
    pub generate_scoped_name: Option<String>,
    /// Which names the class names are exported under.
    pub locals_convention: Option<LocalsConvention>,
    /// `global`: class names are left as written.
    pub scope_behaviour: ScopeBehaviour,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum LocalsConvention {
    CamelCase,
    CamelCaseOnly,
    Dashes,
    DashesOnly,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ScopeBehaviour {
    #[default]
    Local,
    Global,
}

/// One `resolve.alias` entry: an import equal to `find`, or starting with `find/`, has that
/// part replaced; with `regex`, `find` is a regular expression and `replacement` may use `$1`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Alias {
    pub find: String,
    pub replacement: String,
    #[serde(default)]
    pub regex: bool,
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
            alias: Vec::new(),
            extensions: Vec::new(),
            define: Default::default(),
            public_dir: "public".into(),
            env_dir: ".".into(),
            env_prefix: vec!["VITE_".into(), "METAMON_".into()],
            strict_port: false,
            open: false,
            bundle: true,
            vue_is_custom_element: None,
            jsx_import_source: None,
            preprocessor_options: Default::default(),
            css_modules: CssModulesConfig::default(),
        }
    }
}

/// A public path as Vite writes it: `sub` → `/sub/`; `/`, `` and a relative base (`./`, which
/// Vite serves from the root in dev) are `/`.
pub fn normalize_base(base: &str) -> String {
    let trimmed = base.trim_matches('/');
    if trimmed.is_empty() || trimmed == "." || trimmed.starts_with("./") {
        "/".to_string()
    } else {
        format!("/{trimmed}/")
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

    /// Reads `metamon.config.json` over `base`, the keys another config (the app's
    /// `vite.config.*`, named by `base_file`) sets: where both set a key, this file's wins.
    pub fn load_over(
        root: &Path,
        base: &serde_json::Value,
        base_file: &str,
    ) -> Result<Config, Diagnostic> {
        let own = match std::fs::read_to_string(root.join(FILE_NAME)) {
            Ok(text) => {
                Config::parse(&text)?;
                serde_json::from_str(&text).unwrap_or(serde_json::Value::Null)
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => serde_json::Value::Null,
            Err(error) => {
                return Err(Diagnostic::new(
                    "config::read",
                    FILE_NAME,
                    1,
                    1,
                    format!("cannot read the config: {error}"),
                ));
            }
        };
        let mut merged = base.clone();
        merge_keys(&mut merged, &own);
        serde_json::from_value(merged).map_err(|error| {
            Diagnostic::new(
                "config::vite",
                base_file,
                1,
                1,
                format!("a setting of {base_file} cannot be used: {error}"),
            )
        })
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

/// `over`'s keys written onto `base`; objects (`build`) merge key by key.
fn merge_keys(base: &mut serde_json::Value, over: &serde_json::Value) {
    let serde_json::Value::Object(over) = over else {
        return;
    };
    if !base.is_object() {
        *base = serde_json::Value::Object(Default::default());
    }
    let Some(base) = base.as_object_mut() else {
        return;
    };
    for (key, value) in over {
        match base.get_mut(key) {
            Some(existing) if existing.is_object() && value.is_object() && key == "build" => {
                merge_keys(existing, value)
            }
            _ => {
                base.insert(key.clone(), value.clone());
            }
        }
    }
}

fn locate(text: &str, needle: &str) -> (usize, usize) {
    metamon_mtm::line_column(text, text.find(needle).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bases_are_normalized_as_vite_does() {
        for (given, want) in [
            ("/", "/"),
            ("", "/"),
            ("sub", "/sub/"),
            ("/sub", "/sub/"),
            ("/a/b/", "/a/b/"),
            ("./", "/"),
            (".", "/"),
        ] {
            assert_eq!(normalize_base(given), want, "{given}");
        }
    }

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
    fn own_keys_win_over_the_vite_config() {
        let dir = std::env::temp_dir().join(format!("metamon-config-over-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join(FILE_NAME),
            r#"{ "port": 4000, "build": { "outDir": "out" } }"#,
        )
        .unwrap();
        let vite = serde_json::json!({ "port": 3000, "base": "/app/", "build": { "sourcemap": true, "outDir": "x" } });
        let config = Config::load_over(&dir, &vite, "vite.config.ts").unwrap();
        assert_eq!(config.port, Some(4000));
        assert_eq!(config.base, "/app/");
        assert_eq!(config.build.out_dir, "out");
        assert!(config.build.sourcemap);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn bad_glob() {
        let error = Config::parse("{\n  \"ignorePatterns\": [\"src/[\"]\n}").unwrap_err();
        assert_eq!(error.line, 2);
    }
}
