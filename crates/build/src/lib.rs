//! `metamon build`: the app bundled for production from its `index.html` with rolldown, in
//! process. Every module goes through the same pipeline as in `metamon dev` (a rolldown plugin
//! over `metamon_project::load`), compiled in production form; the output is what Vite users
//! expect: `dist/index.html` and hashed `dist/assets/*`, built in a temporary folder and swapped
//! into place only when everything succeeded.

mod assets;
mod output;
mod page;
mod plugin;

pub use output::{FileReport, print_report};

use assets::Assets;
use metamon_compile::{Diagnostic, Options};
use metamon_config::Config;
use metamon_project::settings::compile_options;
use plugin::{BuildState, MetamonPlugin};
use rolldown::{
    Bundler, BundlerOptions, InputItem, OutputFormat, Platform, RawMinifyOptions, ResolveOptions,
    SourceMapType,
};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub struct BuildOptions {
    pub root: PathBuf,
    /// Overrides the config's `build.outDir` (relative to the root, or absolute).
    pub out_dir: Option<PathBuf>,
    /// Overrides the config's `base`.
    pub base: Option<String>,
    /// Overrides the config's `build.sourcemap`.
    pub sourcemap: Option<bool>,
    /// `import.meta.env.MODE` and the `.env.<mode>` files read (default `production`).
    pub mode: String,
}

/// What a build wrote.
pub struct Built {
    pub out_dir: PathBuf,
    pub files: Vec<FileReport>,
    pub modules: usize,
    pub elapsed: Duration,
}

/// Why a build failed: diagnostics of the app's files (shown with code frames), or a message.
#[derive(Debug)]
pub enum BuildError {
    Diagnostics(Vec<Diagnostic>),
    Message(String),
}

impl From<String> for BuildError {
    fn from(message: String) -> Self {
        BuildError::Message(message)
    }
}

pub async fn build(options: BuildOptions) -> Result<Built, BuildError> {
    let started = Instant::now();
    let root = options
        .root
        .canonicalize()
        .map_err(|e| format!("cannot open the app folder {}: {e}", options.root.display()))?;
    // `metamon.config.json` over what the app's `vite.config.*` says for a build.
    let config = metamon_project::settings::load_config(&root, "build")
        .map_err(|d| BuildError::Diagnostics(vec![d]))?
        .config;
    let base = metamon_config::normalize_base(options.base.as_deref().unwrap_or(&config.base));
    let out_dir = root.join(
        options
            .out_dir
            .unwrap_or_else(|| PathBuf::from(&config.build.out_dir)),
    );
    let sourcemap = options.sourcemap.unwrap_or(config.build.sourcemap);
    let index = root.join("index.html");
    let html = std::fs::read_to_string(&index)
        .map_err(|e| format!("cannot read {}: {e}", index.display()))?;
    let entries = page::entries(&html);
    if entries.scripts.is_empty() && entries.inline_scripts == 0 && entries.stylesheets.is_empty() {
        return Err(
            "index.html has no <script type=\"module\"> and no stylesheet: nothing to build"
                .to_string()
                .into(),
        );
    }
    let assets = Assets::new(
        &root,
        &base,
        config.build.assets_inline_limit,
        &config.public_dir,
    );
    let mut compile: Options = compile_options(&root, &config).production();
    compile.sourcemap = sourcemap;
    let state = Arc::new(BuildState::new(
        root.clone(),
        compile,
        assets,
        sourcemap,
        &config,
    ));
    let staging = out_dir.with_file_name(format!(
        ".{}-tmp-{}",
        out_dir
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("dist"),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&staging);
    let mut input: Vec<InputItem> = entries
        .scripts
        .iter()
        .enumerate()
        .map(|(index, src)| InputItem {
            name: Some(entry_name("index", index)),
            import: src.clone(),
        })
        .collect();
    for index in 0..entries.inline_scripts {
        input.push(InputItem {
            name: Some(entry_name("inline", index)),
            import: format!(
                "/index.html?{}",
                metamon_project::analysis::html::proxy_query(index)
            ),
        });
    }
    println!("  building for {} (mode {})…", root.display(), options.mode);
    let bundled = if input.is_empty() {
        Vec::new()
    } else {
        let bundler_options = BundlerOptions {
            input: Some(input),
            cwd: Some(root.clone()),
            dir: Some(staging.to_string_lossy().to_string()),
            format: Some(OutputFormat::Esm),
            platform: Some(Platform::Browser),
            entry_filenames: Some("assets/[name]-[hash].js".to_string().into()),
            chunk_filenames: Some("assets/[name]-[hash].js".to_string().into()),
            asset_filenames: Some("assets/[name]-[hash][extname]".to_string().into()),
            minify: Some(RawMinifyOptions::Bool(true)),
            sourcemap: sourcemap.then_some(SourceMapType::File),
            define: Some(
                defines(&root, &config, &options.mode, &base)
                    .into_iter()
                    .collect(),
            ),
            resolve: Some(ResolveOptions {
                condition_names: Some(
                    ["production", "browser", "import", "module", "default"]
                        .map(String::from)
                        .to_vec(),
                ),
                extensions: Some(
                    [
                        ".mtm", ".tsx", ".ts", ".jsx", ".js", ".mjs", ".vue", ".svelte", ".json",
                    ]
                    .map(String::from)
                    .to_vec(),
                ),
                ..ResolveOptions::default()
            }),
            ..BundlerOptions::default()
        };
        let plugin = Arc::new(MetamonPlugin {
            state: state.clone(),
        });
        let mut bundler = Bundler::with_plugins(bundler_options, vec![plugin])
            .map_err(|errors| format!("could not set up the bundler: {errors}"))?;
        let written = bundler.write().await;
        let _ = bundler.close().await;
        let diagnostics =
            std::mem::take(&mut *state.diagnostics.lock().unwrap_or_else(|e| e.into_inner()));
        if !diagnostics.is_empty() {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(BuildError::Diagnostics(diagnostics));
        }
        match written {
            Ok(output) => output.assets,
            Err(errors) => {
                let _ = std::fs::remove_dir_all(&staging);
                return Err(format!("{errors}").into());
            }
        }
    };
    let result = output::finish(&state, &root, &staging, &html, &entries, &bundled);
    if let Err(error) = result {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(error);
    }
    let diagnostics =
        std::mem::take(&mut *state.diagnostics.lock().unwrap_or_else(|e| e.into_inner()));
    if !diagnostics.is_empty() {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(BuildError::Diagnostics(diagnostics));
    }
    output::replace_dir(&staging, &out_dir)?;
    let files = output::report(&out_dir)?;
    let modules = bundled
        .iter()
        .filter_map(|output| match output {
            rolldown_common::Output::Chunk(chunk) => Some(chunk.module_ids.len()),
            rolldown_common::Output::Asset(_) => None,
        })
        .sum();
    Ok(Built {
        out_dir,
        files,
        modules,
        elapsed: started.elapsed(),
    })
}

fn entry_name(prefix: &str, index: usize) -> String {
    if index == 0 {
        prefix.to_string()
    } else {
        format!("{prefix}{index}")
    }
}

/// What a production build replaces in the code, as Vite defines it: `import.meta.env` (and
/// each of its keys), `process.env.NODE_ENV`, the Vue feature flags.
fn defines(
    root: &std::path::Path,
    config: &Config,
    mode: &str,
    base: &str,
) -> Vec<(String, String)> {
    let mut env = metamon_project::analysis::dotenv::exposed_variables_with(
        &root.join(&config.env_dir),
        mode,
        &config.env_prefix,
    );
    env.insert("MODE".into(), mode.into());
    env.insert("DEV".into(), false.into());
    env.insert("PROD".into(), true.into());
    env.insert("SSR".into(), false.into());
    env.insert("BASE_URL".into(), base.into());
    let mut defines: Vec<(String, String)> = env
        .iter()
        .map(|(key, value)| (format!("import.meta.env.{key}"), value.to_string()))
        .collect();
    defines.push((
        "import.meta.env".into(),
        serde_json::Value::Object(env).to_string(),
    ));
    for (key, value) in [
        // Code guarded by `if (import.meta.hot)` is dropped, as in Vite.
        ("import.meta.hot", "undefined"),
        ("process.env.NODE_ENV", "\"production\""),
        ("__VUE_OPTIONS_API__", "true"),
        ("__VUE_PROD_DEVTOOLS__", "false"),
        ("__VUE_PROD_HYDRATION_MISMATCH_DETAILS__", "false"),
    ] {
        defines.push((key.into(), value.into()));
    }
    defines
}
