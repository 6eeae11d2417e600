//! Dependency pre-bundling: every bare import the app uses is bundled to browser ESM in one
//! rolldown build (shared chunks, so a framework is never loaded twice), cached under
//! `node_modules/.metamon/deps` and re-used while the lock file and the import list match.

use crate::channel::HmrChannel;
use crate::protocol::HmrPayload;
pub use metamon_project::files::cache_dir;
use rolldown::{Bundler, BundlerOptions, InputItem, OutputFormat, Platform, ResolveOptions};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Instant;

/// What a bundled entry exports: a CommonJS package comes out with only a default export, and
/// its importers' named imports are then rewritten to read properties of it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct DepEntry {
    pub file: String,
    pub needs_interop: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DepsMetadata {
    pub key: String,
    pub entries: BTreeMap<String, DepEntry>,
    /// Specifiers that could not be bundled, with the reason: the modules importing them
    /// report it at the import, the rest of the app runs.
    #[serde(default)]
    pub failed: BTreeMap<String, String>,
}

impl DepsMetadata {
    pub fn url(&self, specifier: &str) -> Option<String> {
        self.entries
            .get(specifier)
            .map(|entry| format!("/@deps/{}", entry.file))
    }
}

/// The pre-bundle of a running server: what is bundled, and the specifiers asked for so far.
#[derive(Default)]
pub struct Deps {
    metadata: RwLock<DepsMetadata>,
    /// The specifiers bundled so far; a new one re-bundles them all (one copy of each framework).
    specifiers: tokio::sync::Mutex<BTreeSet<String>>,
    /// While warming up, new dependencies are collected and bundled together afterwards.
    warming: AtomicBool,
    bundled: AtomicBool,
    /// Re-bundles that reloaded the pages.
    reloads: std::sync::atomic::AtomicU64,
}

impl Deps {
    /// The URL of a bundled dependency.
    pub fn url(&self, specifier: &str) -> Option<String> {
        self.read().url(specifier)
    }

    /// Why `specifier` could not be pre-bundled, if it could not.
    pub fn failure(&self, specifier: &str) -> Option<String> {
        self.read().failed.get(specifier).cloned()
    }

    pub fn read(&self) -> std::sync::RwLockReadGuard<'_, DepsMetadata> {
        self.metadata.read().unwrap_or_else(|e| e.into_inner())
    }

    /// How many re-bundles have reloaded the pages so far.
    pub fn reloads(&self) -> u64 {
        self.reloads.load(Ordering::SeqCst)
    }

    /// Collects dependencies without bundling them until [`Deps::end_warm_up`].
    pub fn start_warm_up(&self) {
        self.warming.store(true, Ordering::SeqCst);
    }

    pub async fn end_warm_up(&self, root: &Path, channel: &HmrChannel) -> Result<(), String> {
        self.warming.store(false, Ordering::SeqCst);
        self.add(root, BTreeSet::new(), channel).await
    }

    /// Adds dependencies to the pre-bundle. Called with new ones while serving, it re-bundles
    /// and reloads open pages, which must not mix two bundles of one framework.
    pub async fn add(
        &self,
        root: &Path,
        new: BTreeSet<String>,
        channel: &HmrChannel,
    ) -> Result<(), String> {
        let mut specifiers = self.specifiers.lock().await;
        let before = specifiers.len();
        specifiers.extend(new);
        if self.warming.load(Ordering::SeqCst) {
            return Ok(());
        }
        let first = !self.bundled.swap(true, Ordering::SeqCst);
        if specifiers.len() == before && !first {
            return Ok(());
        }
        let (metadata, changed) = prebundle(root, &specifiers).await?;
        *self.metadata.write().unwrap_or_else(|e| e.into_inner()) = metadata;
        if !first && changed {
            self.reloads.fetch_add(1, Ordering::SeqCst);
            channel.send(&HmrPayload::FullReload { path: "*".into() });
        }
        Ok(())
    }
}

/// `react-dom/client` → `react-dom_client.js`
pub fn flat_name(specifier: &str) -> String {
    specifier
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn lock_file_text(root: &Path) -> String {
    for dir in root.ancestors() {
        for name in [
            "package-lock.json",
            "yarn.lock",
            "pnpm-lock.yaml",
            "bun.lock",
        ] {
            if let Ok(text) = std::fs::read_to_string(dir.join(name)) {
                return text;
            }
        }
    }
    String::new()
}

fn cache_key(root: &Path, specifiers: &BTreeSet<String>) -> String {
    let mut text = lock_file_text(root);
    text.push_str(env!("CARGO_PKG_VERSION"));
    for specifier in specifiers {
        text.push('\n');
        text.push_str(specifier);
    }
    format!("{:016x}", metamon_compile::content_hash(text.as_bytes()))
}

/// Returns the cached bundle when it matches, else bundles `specifiers` anew. The flag says
/// whether a file pages may already have loaded changed (then they must reload).
pub async fn prebundle(
    root: &Path,
    specifiers: &BTreeSet<String>,
) -> Result<(DepsMetadata, bool), String> {
    let cache = cache_dir(root);
    let key = cache_key(root, specifiers);
    let metadata_path = cache.join("deps/_metadata.json");
    if let Some(cached) = std::fs::read_to_string(&metadata_path)
        .ok()
        .and_then(|text| serde_json::from_str::<DepsMetadata>(&text).ok())
        && cached.key == key
    {
        return Ok((cached, false));
    }
    // A package that is not installed is left out, not a reason to bundle nothing.
    let resolver = oxc_resolver::Resolver::new(oxc_resolver::ResolveOptions {
        condition_names: ["development", "browser", "import", "module", "default"]
            .map(String::from)
            .to_vec(),
        main_fields: ["browser", "module", "main"].map(String::from).to_vec(),
        ..oxc_resolver::ResolveOptions::default()
    });
    let mut failed = BTreeMap::new();
    let mut bundled: BTreeSet<String> = BTreeSet::new();
    for specifier in specifiers {
        match resolver.resolve(root, specifier) {
            Ok(_) => {
                bundled.insert(specifier.clone());
            }
            Err(error) => {
                failed.insert(specifier.clone(), not_installed_reason(specifier, &error));
            }
        }
    }
    let mut result = bundle(root, &cache, &bundled).await;
    if let Err(whole) = &result
        && bundled.len() > 1
    {
        // Find the dependencies that fail on their own, and bundle the others together.
        eprintln!("  pre-bundling failed; finding the dependencies that cannot be bundled");
        let mut good = BTreeSet::new();
        for specifier in &bundled {
            let alone = BTreeSet::from([specifier.clone()]);
            match bundle(root, &cache, &alone).await {
                Ok(_) => {
                    good.insert(specifier.clone());
                }
                Err(reason) => {
                    failed.insert(specifier.clone(), first_error_line(&reason));
                }
            }
        }
        if good.len() == bundled.len() {
            // Each one bundles alone but not together: report the whole failure on each.
            for specifier in &bundled {
                failed.insert(specifier.clone(), first_error_line(whole));
            }
            good.clear();
        }
        result = bundle(root, &cache, &good).await;
    } else if let Err(reason) = &result {
        for specifier in &bundled {
            failed.insert(specifier.clone(), first_error_line(reason));
        }
        result = bundle(root, &cache, &BTreeSet::new()).await;
    }
    for (specifier, reason) in &failed {
        eprintln!("  could not pre-bundle `{specifier}`: {reason}");
    }
    let (entries, staging) = result?;
    let metadata = DepsMetadata {
        key,
        entries,
        failed,
    };
    std::fs::create_dir_all(&staging).map_err(|e| e.to_string())?;
    std::fs::write(
        staging.join("_metadata.json"),
        serde_json::to_string_pretty(&metadata).unwrap_or_default(),
    )
    .map_err(|e| e.to_string())?;
    let target = cache.join("deps");
    let changed = previous_entries_changed(&target, &staging);
    let _ = std::fs::remove_dir_all(&target);
    std::fs::rename(&staging, &target)
        .map_err(|e| format!("could not move the bundle into place: {e}"))?;
    Ok((metadata, changed))
}

/// Why a bare import does not resolve, in the words a user acts on.
fn not_installed_reason(specifier: &str, error: &oxc_resolver::ResolveError) -> String {
    let package = package_name(specifier);
    match error {
        oxc_resolver::ResolveError::NotFound(_) => {
            format!("the package `{package}` is not installed: run `npm install {package}`")
        }
        other => format!("`{specifier}` does not resolve: {other}"),
    }
}

/// `@scope/name/sub` → `@scope/name`, `name/sub` → `name`.
pub fn package_name(specifier: &str) -> &str {
    let mut parts = specifier.splitn(3, '/');
    let first = parts.next().unwrap_or(specifier);
    let length = if first.starts_with('@') {
        first.len() + parts.next().map_or(0, |second| second.len() + 1)
    } else {
        first.len()
    };
    &specifier[..length]
}

fn first_error_line(reason: &str) -> String {
    reason
        .lines()
        .map(str::trim)
        .find(|line| !line.is_empty() && !line.starts_with("pre-bundling failed"))
        .unwrap_or(reason)
        .to_string()
}

/// One rolldown build of `specifiers` into a fresh staging folder: the entries it made, and
/// the folder.
async fn bundle(
    root: &Path,
    cache: &Path,
    specifiers: &BTreeSet<String>,
) -> Result<(BTreeMap<String, DepEntry>, PathBuf), String> {
    let staging = cache.join(format!("deps_temp_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    if specifiers.is_empty() {
        return Ok((BTreeMap::new(), staging));
    }
    let list: Vec<&str> = specifiers.iter().map(String::as_str).collect();
    println!("  pre-bundling dependencies: {}", list.join(", "));
    let started = Instant::now();
    let input = specifiers
        .iter()
        .map(|specifier| InputItem {
            name: Some(flat_name(specifier)),
            import: specifier.clone(),
        })
        .collect();
    let define = [
        ("process.env.NODE_ENV", "\"development\""),
        ("__VUE_OPTIONS_API__", "true"),
        ("__VUE_PROD_DEVTOOLS__", "false"),
        ("__VUE_PROD_HYDRATION_MISMATCH_DETAILS__", "false"),
    ];
    let options = BundlerOptions {
        input: Some(input),
        cwd: Some(root.to_path_buf()),
        dir: Some(staging.to_string_lossy().to_string()),
        format: Some(OutputFormat::Esm),
        platform: Some(Platform::Browser),
        entry_filenames: Some("[name].js".to_string().into()),
        chunk_filenames: Some("chunk-[hash].js".to_string().into()),
        define: Some(
            define
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        ),
        resolve: Some(ResolveOptions {
            condition_names: Some(
                ["development", "browser", "import", "module", "default"]
                    .map(String::from)
                    .to_vec(),
            ),
            ..ResolveOptions::default()
        }),
        ..BundlerOptions::default()
    };
    let mut bundler = Bundler::with_plugins(options, vec![Arc::new(Latin1Sources)])
        .map_err(|errors| format!("could not set up the dependency bundler: {errors}"))?;
    let written = bundler.write().await;
    let _ = bundler.close().await;
    let output = written.map_err(|errors| format!("pre-bundling failed:\n{errors}"))?;
    let mut entries = BTreeMap::new();
    for asset in &output.assets {
        if let rolldown_common::Output::Chunk(chunk) = asset
            && chunk.is_entry
        {
            let specifier = specifiers
                .iter()
                .find(|s| flat_name(s) == chunk.name.as_str())
                .cloned()
                .unwrap_or_else(|| chunk.name.to_string());
            let needs_interop = chunk.exports.iter().all(|name| name == "default");
            entries.insert(
                specifier,
                DepEntry {
                    file: chunk.filename.to_string(),
                    needs_interop,
                },
            );
        }
    }
    println!(
        "  pre-bundled {} dependencies in {} ms",
        specifiers.len(),
        started.elapsed().as_millis()
    );
    Ok((entries, staging))
}

/// Loads a dependency's source file that is not UTF-8 (faker 5's Latin-1 locale files) as
/// Latin-1, which every byte sequence is; UTF-8 files are left to rolldown.
#[derive(Debug)]
struct Latin1Sources;

impl rolldown_plugin::Plugin for Latin1Sources {
    fn name(&self) -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("metamon:latin1-sources")
    }

    fn register_hook_usage(&self) -> rolldown_plugin::HookUsage {
        rolldown_plugin::HookUsage::Load
    }

    async fn load(
        &self,
        _ctx: rolldown_plugin::SharedLoadPluginContext,
        args: &rolldown_plugin::HookLoadArgs<'_>,
    ) -> rolldown_plugin::HookLoadReturn {
        let path = Path::new(args.id);
        let script = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e, "js" | "mjs" | "cjs" | "jsx"));
        if !script {
            return Ok(None);
        }
        let Ok(bytes) = std::fs::read(path) else {
            return Ok(None);
        };
        if std::str::from_utf8(&bytes).is_ok() {
            return Ok(None);
        }
        let text: String = bytes.iter().map(|&byte| char::from(byte)).collect();
        Ok(Some(rolldown_plugin::HookLoadOutput {
            code: arcstr::ArcStr::from(text),
            ..rolldown_plugin::HookLoadOutput::default()
        }))
    }
}

/// Whether any file of the old bundle that a page may have loaded is gone or different in the
/// new one. Chunk names carry a content hash, so equal entry files mean equal dependencies.
fn previous_entries_changed(old: &Path, new: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(old) else {
        return false;
    };
    entries.flatten().any(|entry| {
        let name = entry.file_name();
        name.to_string_lossy().ends_with(".js")
            && std::fs::read(entry.path()).ok() != std::fs::read(new.join(&name)).ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(flat_name("react-dom/client"), "react-dom_client");
        assert_eq!(flat_name("@vue/shared"), "_vue_shared");
        assert_eq!(package_name("@vue/shared/dist/x"), "@vue/shared");
        assert_eq!(package_name("lodash/get"), "lodash");
        assert_eq!(package_name("msw"), "msw");
    }
}
