//! The project's settings: `metamon.config.json` and the compile options it and the installed
//! packages imply (React's major version, a Solid-only project).

use crate::vite_config::{self, ViteConfig};
use metamon_compile::{CssModules, Diagnostic, Options, valid_defines};
use metamon_config::{Config, ScopeBehaviour};
use std::path::Path;
use std::sync::Arc;

/// The config and the compile options made from it, replaced together when the config changes.
pub struct Settings {
    pub config: Arc<Config>,
    pub options: Arc<Options>,
}

impl Settings {
    pub fn new(root: &Path, config: Config) -> Self {
        Self {
            options: Arc::new(compile_options(root, &config)),
            config: Arc::new(config),
        }
    }
}

/// The app's config: `metamon.config.json` over what its `vite.config.*` implies (for
/// `command` `serve` or `build`), with the evaluated Vite config.
pub struct LoadedConfig {
    pub config: Config,
    pub vite: Option<ViteConfig>,
}

pub fn load_config(root: &Path, command: &str) -> Result<LoadedConfig, Diagnostic> {
    let mode = if command == "build" {
        "production"
    } else {
        "development"
    };
    let vite = vite_config::evaluate(root, command, mode)?;
    let config = match &vite {
        Some(vite) => Config::load_over(root, &vite.keys, &vite.file)?,
        None => Config::load(root)?,
    };
    Ok(LoadedConfig { config, vite })
}

/// The compile options `metamon dev` would use for the project that holds `start` (the nearest
/// folder up with a `package.json` or a config file), for the CLI's `check` and `compile`.
pub fn project_options(start: &Path, hmr: bool) -> Options {
    let root = start
        .ancestors()
        .find(|dir| {
            dir.join("package.json").is_file() || dir.join(metamon_config::FILE_NAME).is_file()
        })
        .unwrap_or(start);
    let config = Config::load(root).unwrap_or_default();
    let mut options = compile_options(root, &config);
    options.hmr = hmr;
    options
}

pub fn compile_options(root: &Path, config: &Config) -> Options {
    let mut options = Options::new(root, true);
    let react = react_major(root);
    // A Solid app without React (vite-plugin-solid's default): its .jsx/.tsx are Solid, unless
    // the config says which ones are.
    let solid_only = react.is_none() && installed_manifest(root, "solid-js").is_some();
    options.solid_include = if solid_only && config.solid_include == Config::default().solid_include
    {
        Config::glob_set(&["**/*.{jsx,tsx}".to_string()])
    } else {
        Config::glob_set(&config.solid_include)
    };
    options.css_targets = config.css_targets.clone();
    options.compile_timeout = std::time::Duration::from_millis(config.reload_timeout);
    options.jsx_dev_runtime = react.is_none_or(|major| major < 19);
    let defines: Vec<(String, String)> = config
        .define
        .iter()
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    options.define = valid_defines(&defines).0;
    options.jsx_import_source = config.jsx_import_source.clone();
    options.vue_is_custom_element = config.vue_is_custom_element.clone();
    options.postcss = has_postcss_config(root);
    options.preprocessor_options =
        serde_json::to_value(&config.preprocessor_options).unwrap_or(serde_json::Value::Null);
    let modules = &config.css_modules;
    options.css_modules = CssModules {
        scoped_name: modules.generate_scoped_name.clone(),
        locals_convention: modules
            .locals_convention
            .and_then(|convention| serde_json::to_value(convention).ok())
            .and_then(|value| value.as_str().map(str::to_string)),
        global: modules.scope_behaviour == ScopeBehaviour::Global,
    };
    options
}

/// Whether the app configures PostCSS (`postcss.config.*`, `.postcssrc*`, or `postcss` in its
/// `package.json`), as Vite looks for it.
fn has_postcss_config(root: &Path) -> bool {
    const FILES: [&str; 5] = [
        "postcss.config.js",
        "postcss.config.cjs",
        "postcss.config.mjs",
        ".postcssrc",
        ".postcssrc.json",
    ];
    FILES.iter().any(|name| root.join(name).is_file())
        || std::fs::read(root.join("package.json"))
            .ok()
            .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
            .is_some_and(|manifest| manifest.get("postcss").is_some())
}

/// The `package.json` of a package the app resolves (Node's lookup: `node_modules` here or in
/// a parent folder), if installed.
fn installed_manifest(root: &Path, package: &str) -> Option<Vec<u8>> {
    root.ancestors().find_map(|dir| {
        std::fs::read(dir.join("node_modules").join(package).join("package.json")).ok()
    })
}

/// The major version of the React the app resolves, if any.
fn react_major(root: &Path) -> Option<u64> {
    let manifest = installed_manifest(root, "react")?;
    let manifest: serde_json::Value = serde_json::from_slice(&manifest).ok()?;
    manifest["version"]
        .as_str()?
        .split('.')
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use metamon_compile::{ModuleKind, module_kind};
    use metamon_config::Config;

    /// A scratch project with the given packages "installed" (a `package.json` each).
    fn project(name: &str, packages: &[(&str, &str)]) -> std::path::PathBuf {
        let root = std::env::temp_dir().join(format!("metamon-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for (package, version) in packages {
            let dir = root.join("node_modules").join(package);
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(
                dir.join("package.json"),
                format!(r#"{{"name":"{package}","version":"{version}"}}"#),
            )
            .unwrap();
        }
        root
    }

    #[test]
    fn jsx_is_solid_in_a_solid_project_without_react() {
        let solid = project("solid-only", &[("solid-js", "1.9.0")]);
        let options = compile_options(&solid, &Config::default());
        assert_eq!(
            module_kind("src/App.tsx", &options),
            Some(ModuleKind::SolidScript)
        );
        let explicit = Config {
            solid_include: vec!["src/solid/**".into()],
            ..Config::default()
        };
        let options = compile_options(&solid, &explicit);
        assert_eq!(
            module_kind("src/App.tsx", &options),
            Some(ModuleKind::Script),
            "the config decides when it names Solid files"
        );
        let both = project(
            "solid-and-react",
            &[("solid-js", "1.9.0"), ("react", "19.1.0")],
        );
        let options = compile_options(&both, &Config::default());
        assert_eq!(
            module_kind("src/App.tsx", &options),
            Some(ModuleKind::Script)
        );
        assert!(!options.jsx_dev_runtime, "React 19: react/jsx-runtime");
        let _ = std::fs::remove_dir_all(solid);
        let _ = std::fs::remove_dir_all(both);
    }
}
