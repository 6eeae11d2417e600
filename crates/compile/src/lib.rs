//! One stage: a source file in, browser JavaScript and a source map out (or diagnostics).
//! React and plain scripts compile in Rust with oxc; Vue, Svelte and Solid go through the
//! frameworks' own compilers in a Node worker; CSS goes through lightningcss.

mod cache;
mod constant_elements;
mod css;
mod frameworks;
mod local_state;
mod module_state;
mod mtm;
mod script;
mod typescript;
mod worker;

pub use cache::{EntryLog, build_identity};
pub use css::{CssModules, compile_css, css_module_js, extract_css, minify_css};
pub use frameworks::{Descriptor, RenderUses, descriptor};
pub use metamon_mtm::{Diagnostic, Framework, line_column};
pub use script::{ScriptOptions, compile_script, valid_defines};
pub use worker::{WorkerKind, WorkerPool};

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// What kind of module a file is, by its name (and the Solid include patterns).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModuleKind {
    Mtm,
    /// `.js`, `.mjs`, `.jsx`, `.ts`, `.tsx` for React or plain code.
    Script,
    /// A native Solid `.jsx`/`.tsx` (matched by the Solid include patterns).
    SolidScript,
    Vue,
    Svelte,
    Css,
    Json,
}

impl ModuleKind {
    /// The framework of a native component file (`.mtm` files say theirs in the frontmatter).
    pub fn framework(self, path: &str) -> Option<Framework> {
        match self {
            ModuleKind::Vue => Some(Framework::Vue),
            ModuleKind::Svelte => Some(Framework::Svelte),
            ModuleKind::SolidScript => Some(Framework::Solid),
            ModuleKind::Script if path.ends_with(".jsx") || path.ends_with(".tsx") => {
                Some(Framework::React)
            }
            _ => None,
        }
    }

    /// Compiled to a JavaScript module of the app (not CSS or JSON imported from JS).
    pub fn is_script(self) -> bool {
        matches!(
            self,
            ModuleKind::Mtm
                | ModuleKind::Script
                | ModuleKind::SolidScript
                | ModuleKind::Vue
                | ModuleKind::Svelte
        )
    }
}

pub struct Options {
    /// Project root: framework compilers are loaded from its `node_modules`.
    pub root: PathBuf,
    /// Emit HMR code (React Refresh registration, `import.meta.hot` handlers).
    pub hmr: bool,
    /// Which `.jsx`/`.tsx` files are Solid rather than React.
    pub solid_include: GlobSet,
    /// Browserslist queries CSS is lowered for (empty: as written).
    pub css_targets: Vec<String>,
    /// JSX through React's development runtime (`jsxDEV` with file, line and column of each
    /// element). React 19 ignores that source information, so the server turns it off there.
    pub jsx_dev_runtime: bool,
    /// Development output (framework dev builds, local-state instrumentation, CSS injected
    /// by the module); `false` for a production build (CSS extracted, no dev-only code).
    pub dev: bool,
    /// A framework compile not answered in this time is abandoned and its worker restarted.
    pub compile_timeout: std::time::Duration,
    /// Vite's `define`, valid entries only (see [`valid_defines`]); `process.env.NODE_ENV` is
    /// added by [`Options::script_defines`].
    pub define: Vec<(String, String)>,
    /// The package React JSX compiles against (`@emotion/react`…); `None`: `react`.
    pub jsx_import_source: Option<String>,
    /// Vue's `isCustomElement`, the source of a JavaScript function of the tag name.
    pub vue_is_custom_element: Option<String>,
    /// Sass / Less options by language (`scss`, `sass`, `less`).
    pub preprocessor_options: Value,
    /// The app has a PostCSS config: plain stylesheets go through it (in the worker).
    pub postcss: bool,
    /// How `*.module.css` class names are generated and exported (Vite's `css.modules`).
    pub css_modules: CssModules,
    /// Source maps from the framework compilers; a production build without `--sourcemap`
    /// skips them (a quarter of a Vue compile's time).
    pub sourcemap: bool,
}

/// The default Solid include patterns: files in a `solid/` folder and `*.solid.jsx|tsx`.
pub const DEFAULT_SOLID_INCLUDE: [&str; 2] = ["**/solid/**/*.{jsx,tsx}", "**/*.solid.{jsx,tsx}"];

impl Options {
    pub fn new(root: impl Into<PathBuf>, hmr: bool) -> Self {
        Self {
            root: root.into(),
            hmr,
            solid_include: solid_globs(&DEFAULT_SOLID_INCLUDE).expect("default globs are valid"),
            css_targets: Vec::new(),
            jsx_dev_runtime: true,
            dev: true,
            compile_timeout: std::time::Duration::from_millis(5000),
            define: Vec::new(),
            jsx_import_source: None,
            vue_is_custom_element: None,
            preprocessor_options: Value::Null,
            postcss: false,
            css_modules: CssModules::default(),
            sourcemap: true,
        }
    }

    /// What scripts get replaced: the config's `define`, then `process.env.NODE_ENV` as Vite
    /// does (`"development"` in dev, `"production"` in a build) unless the config sets it.
    pub fn script_defines(&self) -> Vec<(String, String)> {
        let mut defines = self.define.clone();
        if !defines.iter().any(|(key, _)| key == "process.env.NODE_ENV") {
            let mode = if self.dev {
                "\"development\""
            } else {
                "\"production\""
            };
            defines.push(("process.env.NODE_ENV".into(), mode.into()));
        }
        defines
    }

    /// The options of a production build: no HMR, production JSX and framework output.
    pub fn production(mut self) -> Self {
        self.hmr = false;
        self.dev = false;
        self.jsx_dev_runtime = false;
        self
    }
}

pub fn solid_globs(patterns: &[&str]) -> Result<GlobSet, globset::Error> {
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        builder.add(Glob::new(pattern)?);
    }
    builder.build()
}

/// The compiled module.
#[derive(Debug, Clone, Default)]
pub struct Compiled {
    pub code: String,
    /// Source map (v3 JSON) pointing into the original file.
    pub map: Option<Value>,
    /// CSS the framework compiler extracted (Vue `<style>`, Svelte styles); served as its own
    /// module, `<file>?css`, which the code imports.
    pub css: Option<String>,
    /// For `.mtm` files: the framework it targets.
    pub target: Option<Framework>,
    /// Other files the compiler read (Sass partials, a Vue component's imported prop types):
    /// a change to one of them changes this module.
    pub file_deps: Vec<PathBuf>,
}

pub fn module_kind(relative_path: &str, options: &Options) -> Option<ModuleKind> {
    let extension = Path::new(relative_path).extension()?.to_str()?;
    Some(match extension {
        "mtm" => ModuleKind::Mtm,
        "jsx" | "tsx" if options.solid_include.is_match(relative_path) => ModuleKind::SolidScript,
        "js" | "mjs" | "jsx" | "ts" | "tsx" | "mts" => ModuleKind::Script,
        "vue" => ModuleKind::Vue,
        "svelte" => ModuleKind::Svelte,
        "css" | "scss" | "sass" | "less" => ModuleKind::Css,
        "json" => ModuleKind::Json,
        _ => return None,
    })
}

/// Compiles one file. `file` is its name for diagnostics and source maps (relative to the
/// root), `path` its absolute path (handed to framework compilers). A panic in a compiler
/// stage is a bug, but it is reported as this file's diagnostic, not a dead request.
pub fn compile(
    file: &str,
    path: &Path,
    bytes: &[u8],
    options: &Options,
    worker: &WorkerPool,
) -> Result<Compiled, Vec<Diagnostic>> {
    let run = std::panic::AssertUnwindSafe(|| compile_file(file, path, bytes, options, worker));
    std::panic::catch_unwind(run).unwrap_or_else(|panic| {
        let reason = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Err(vec![Diagnostic::new(
            "compile::internal",
            file,
            1,
            1,
            format!("metamon's compiler failed on this file (a bug; please report it): {reason}"),
        )])
    })
}

fn compile_file(
    file: &str,
    path: &Path,
    bytes: &[u8],
    options: &Options,
    worker: &WorkerPool,
) -> Result<Compiled, Vec<Diagnostic>> {
    let kind = module_kind(file, options).ok_or_else(|| {
        vec![Diagnostic::new(
            "compile::unknown-kind",
            file,
            1,
            1,
            "Metamon does not know how to compile this kind of file",
        )]
    })?;
    if kind == ModuleKind::Mtm {
        return mtm::compile_mtm(file, path, bytes, options, worker);
    }
    let source = std::str::from_utf8(bytes).map_err(|_| {
        vec![Diagnostic::new(
            "compile::not-utf8",
            file,
            1,
            1,
            "this file is not UTF-8 text",
        )]
    })?;
    match kind {
        ModuleKind::Script => {
            // The key holds what this branch reads: change one, change the other.
            let cache = worker.script_cache();
            let key = cache.and_then(|cache| cache.key(file, source, options));
            if let (Some(cache), Some(key)) = (cache, key)
                && let Some(compiled) = cache.get(key)
            {
                return Ok(compiled);
            }
            let kept = module_state_kept(file, source, options);
            let script = ScriptOptions {
                // Devtools show the file as written, not its instrumentation.
                original: kept.is_some().then(|| source.to_string()),
                react_refresh: options.hmr,
                jsx_dev_runtime: options.jsx_dev_runtime,
                define: options.script_defines(),
                jsx_import_source: options.jsx_import_source.clone(),
                ..ScriptOptions::default()
            };
            let compiled = compile_script(file, kept.as_deref().unwrap_or(source), &script)?;
            if let (Some(cache), Some(key)) = (cache, key) {
                cache.put(key, &compiled);
            }
            Ok(compiled)
        }
        ModuleKind::SolidScript | ModuleKind::Vue | ModuleKind::Svelte => {
            let framework = descriptor(kind.framework(file).unwrap_or(Framework::Solid));
            // Local state is carried across hot updates: dev only.
            let mut carried = if options.dev {
                mtm::carry_local_state(source, framework)
            } else {
                source.to_string()
            };
            if kind == ModuleKind::SolidScript
                && let Some(kept) = module_state_kept(file, &carried, options)
            {
                carried = kept;
            }
            mtm::compile_component(framework, file, path, &carried, source, options, worker)
        }
        ModuleKind::Css => compile_stylesheet(file, path, source, options, worker),
        ModuleKind::Json => {
            let value: Value = serde_json::from_str(source).map_err(|error| {
                vec![Diagnostic::new(
                    "compile::json",
                    file,
                    error.line(),
                    error.column(),
                    format!("invalid JSON: {error}"),
                )]
            })?;
            Ok(Compiled {
                code: json_module(source, &value),
                ..Compiled::default()
            })
        }
        ModuleKind::Mtm => unreachable!("handled above"),
    }
}

/// A script module with its top-level state kept across hot updates (dev with HMR only).
fn module_state_kept(file: &str, source: &str, options: &Options) -> Option<String> {
    (options.dev && options.hmr)
        .then(|| module_state::instrument(file, source))
        .flatten()
}

/// A stylesheet as a module: Sass, SCSS and Less through their own compiler (the project's
/// `sass` / `less` package, as with Vite), then lightningcss.
pub fn compile_stylesheet(
    file: &str,
    path: &Path,
    source: &str,
    options: &Options,
    worker: &WorkerPool,
) -> Result<Compiled, Vec<Diagnostic>> {
    let css_module = file.contains(".module.").then_some(&options.css_modules);
    let print = if options.dev {
        compile_css
    } else {
        extract_css
    };
    if file.ends_with(".css") && !options.postcss && !imports_tailwind(source) {
        return print(file, source, css_module, &options.css_targets);
    }
    let preprocessed =
        worker.compile_framework(WorkerKind::Style, file, path, source, source, options)?;
    let mut compiled = print(file, &preprocessed.code, css_module, &options.css_targets)?;
    compiled.file_deps = preprocessed.file_deps;
    Ok(compiled)
}

/// Whether a stylesheet is Tailwind v4's entry (`@import "tailwindcss"`), which the worker
/// compiles with the app's `@tailwindcss/postcss`, as `@tailwindcss/vite` would.
fn imports_tailwind(source: &str) -> bool {
    source.match_indices("@import").any(|(at, _)| {
        let rest = source[at + "@import".len()..].trim_start();
        let rest = rest.strip_prefix("url(").unwrap_or(rest);
        rest.strip_prefix(['"', '\'']).is_some_and(|name| {
            name.starts_with("tailwindcss\"")
                || name.starts_with("tailwindcss'")
                || name.starts_with("tailwindcss/")
        })
    })
}

/// A JSON file as a module: the value as its default export and, as in Vite, each top-level
/// key that is a valid identifier as a named export. The text is JSON checked by the caller,
/// kept as written so that key order is the file's.
fn json_module(source: &str, value: &Value) -> String {
    let mut code = format!(
        "const __metamon_json = {};\nexport default __metamon_json;\n",
        source.trim()
    );
    if let Value::Object(object) = value {
        let names = object
            .keys()
            .filter(|key| metamon_mtm::is_js_identifier(key));
        for name in names {
            code.push_str(&format!(
                "export const {name} = __metamon_json[{}];\n",
                Value::from(name.as_str())
            ));
        }
    }
    code
}

/// A fast, stable hash of bytes (xxh3): cache keys and file names.
pub fn content_hash(bytes: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64(bytes)
}

/// How a served module's inline source map starts ([`inline_source_map`], [`source_map_of`]).
const INLINE_MAP_PREFIX: &str = "\n//# sourceMappingURL=data:application/json;base64,";

/// A `//# sourceMappingURL=` comment carrying `map` inline (base64), on lines of its own.
pub fn inline_source_map(map: &Value) -> String {
    use base64::Engine;
    format!(
        "{INLINE_MAP_PREFIX}{}\n",
        base64::engine::general_purpose::STANDARD.encode(map.to_string())
    )
}

/// The source map JSON a served module carries inline ([`inline_source_map`]), if any.
pub fn source_map_of(served: &str) -> Option<String> {
    use base64::Engine;
    let at = served.rfind(INLINE_MAP_PREFIX)?;
    let encoded = served[at + INLINE_MAP_PREFIX.len()..].trim_end();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()?;
    String::from_utf8(bytes).ok()
}

/// `text` as a JavaScript (JSON) string literal.
pub fn js_string(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_default()
}

/// Shifts a source map down by `lines` generated lines (code was prepended above it).
pub fn shift_map(map: &mut Value, lines: usize) {
    if let Some(Value::String(mappings)) = map.get_mut("mappings") {
        mappings.insert_str(0, &";".repeat(lines));
    }
}

/// One map for a module from the maps of some of its parts, each `{"map", "line"}`: a part's
/// map and the module line it starts on, all into the same single source (a Vue component's
/// script and template; `set_map_source` names it). Names are dropped.
pub(crate) fn join_maps(parts: &[Value]) -> Option<Value> {
    let texts: Vec<(String, u32)> = parts
        .iter()
        .filter_map(|part| Some((part["map"].to_string(), part["line"].as_u64()? as u32)))
        .collect();
    let mut builder = oxc_sourcemap::SourceMapBuilder::default();
    builder.set_source_and_content("", "");
    let mut joined = false;
    for (text, line) in &texts {
        let Ok(map) = oxc_sourcemap::SourceMap::from_json_string(text) else {
            continue;
        };
        joined = true;
        for token in map.get_tokens() {
            builder.add_token(
                token.get_dst_line() + line,
                token.get_dst_col(),
                token.get_src_line(),
                token.get_src_col(),
                token.get_source_id().map(|_| 0),
                None,
            );
        }
    }
    joined
        .then(|| serde_json::from_str(&builder.into_sourcemap().to_json_string()).ok())
        .flatten()
}

/// Points a source map at the original file and embeds its text.
pub(crate) fn set_map_source(map: &mut Value, file: &str, original: &str) {
    map["sources"] = Value::from(vec![format!("/{}", file.trim_start_matches('/'))]);
    map["sourcesContent"] = Value::from(vec![original]);
}

#[cfg(test)]
mod tests;

/// The 1-based position in the original file that a 1-based position of compiled code comes
/// from, through the module's source map; the compiled position when the map does not say.
pub fn original_position(map: Option<&Value>, line: usize, column: usize) -> (usize, usize) {
    let found = map.and_then(|map| {
        let json = serde_json::to_string(map).ok()?;
        let map = oxc_sourcemap::SourceMap::from_json_string(&json).ok()?;
        let table = map.generate_lookup_table();
        let token = map.lookup_token(
            &table,
            line.saturating_sub(1) as u32,
            column.saturating_sub(1) as u32,
        )?;
        Some((
            token.get_src_line() as usize + 1,
            token.get_src_col() as usize + 1,
        ))
    });
    found.unwrap_or((line, column))
}
