//! After bundling: the page's stylesheets, the rewritten `index.html`, the emitted assets and
//! `public/` written into the staging folder, which then replaces the output folder; and the
//! report of what was written.

use crate::BuildError;
use crate::page::{self, Entries};
use crate::plugin::BuildState;
use flate2::Compression;
use flate2::write::GzEncoder;
use metamon_compile::Diagnostic;
use metamon_project::analysis::{html, imports};
use metamon_project::files::source_files;
use metamon_project::load;
use rolldown_common::{Output, OutputChunk};
use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;

pub fn finish(
    state: &BuildState,
    root: &Path,
    staging: &Path,
    page_source: &str,
    entries: &Entries,
    bundled: &[Output],
) -> Result<(), BuildError> {
    std::fs::create_dir_all(staging)
        .map_err(|e| format!("cannot create {}: {e}", staging.display()))?;
    let chunks: Vec<&OutputChunk> = bundled
        .iter()
        .filter_map(|output| match output {
            Output::Chunk(chunk) => Some(chunk.as_ref()),
            Output::Asset(_) => None,
        })
        .collect();
    let base = state.assets.base.clone();
    // Inline scripts become entries of their own, loaded like the others.
    let proxied = html::proxy_inline_scripts(page_source, "/index.html");
    let mut replacements = Vec::new();
    let mut head = String::new();
    let mut preloaded = BTreeSet::new();
    let (mut script_index, mut inline_index) = (0, 0);
    for tag in html::module_scripts(&proxied) {
        let Some(src) = tag.attribute("src").filter(|src| page::is_local(src)) else {
            continue;
        };
        let name = if src.contains("html-proxy") {
            inline_index += 1;
            crate::entry_name("inline", inline_index - 1)
        } else {
            script_index += 1;
            crate::entry_name("index", script_index - 1)
        };
        let Some(chunk) = chunks
            .iter()
            .find(|c| c.is_entry && c.name == name.as_str())
        else {
            continue;
        };
        replacements.push((
            tag.range.clone(),
            format!(
                "<script type=\"module\" crossorigin src=\"{base}{}\">",
                chunk.filename
            ),
        ));
        for import in static_imports(chunk, &chunks) {
            if preloaded.insert(import.clone()) {
                head.push_str(&format!(
                    "<link rel=\"modulepreload\" crossorigin href=\"{base}{import}\">\n"
                ));
            }
        }
        let css = state.chunk_css.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(css_file) = css.get(&chunk.preliminary_filename) {
            head.push_str(&format!(
                "<link rel=\"stylesheet\" crossorigin href=\"{base}{css_file}\">\n"
            ));
        }
    }
    for tag in html::stylesheet_links(&proxied) {
        let Some(href) = tag.attribute("href").filter(|href| page::is_local(href)) else {
            continue;
        };
        match linked_stylesheet(state, root, href) {
            Ok(css_file) => {
                let tag_text = &proxied[tag.range.clone()];
                replacements.push((
                    tag.range.clone(),
                    tag_text.replacen(href, &format!("{base}{css_file}"), 1),
                ));
            }
            Err(diagnostics) => state_report(state, diagnostics),
        }
    }
    let page = page::rewrite(&proxied, replacements, &head);
    let public = root.join(&state.public_dir);
    let page = public_urls(&page, &public, &base);
    copy_public(root, &public, staging)?;
    for (path, bytes) in state.assets.take() {
        write(&staging.join(&path), &bytes)?;
    }
    write(&staging.join("index.html"), page.as_bytes())?;
    let _ = entries;
    Ok(())
}

fn state_report(state: &BuildState, diagnostics: Vec<Diagnostic>) {
    state
        .diagnostics
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .extend(diagnostics);
}

/// The chunks an entry imports statically, transitively: preloaded with it.
fn static_imports(entry: &OutputChunk, chunks: &[&OutputChunk]) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    let mut stack: Vec<String> = entry.imports.iter().map(|s| s.to_string()).collect();
    while let Some(file) = stack.pop() {
        if seen.contains(&file) {
            continue;
        }
        if let Some(chunk) = chunks.iter().find(|c| c.filename.as_str() == file) {
            stack.extend(chunk.imports.iter().map(|s| s.to_string()));
        }
        seen.push(file);
    }
    seen
}

/// A stylesheet the page links: compiled like an imported one (its `@import`s inlined in
/// order), its `url()`s pointed at the built assets, minified, written with a hash.
fn linked_stylesheet(
    state: &BuildState,
    root: &Path,
    href: &str,
) -> Result<String, Vec<Diagnostic>> {
    let url = href.split(['?', '#']).next().unwrap_or(href);
    let mut seen = BTreeSet::new();
    let css = gather_css(state, root, url, &mut seen)?;
    let css = state.assets.rewrite_css_urls(&css);
    let relative = url.trim_start_matches('/');
    let minified = metamon_compile::minify_css(relative, &css, &state.css_targets)?;
    let stem = Path::new(relative)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("style");
    Ok(state.assets.emit(stem, "css", minified.into_bytes()))
}

fn gather_css(
    state: &BuildState,
    root: &Path,
    url: &str,
    seen: &mut BTreeSet<String>,
) -> Result<String, Vec<Diagnostic>> {
    if !seen.insert(url.to_string()) {
        return Ok(String::new());
    }
    let relative = url.trim_start_matches('/').to_string();
    let file = root.join(&relative);
    let compiled = load::load(
        &format!("{url}?import"),
        &relative,
        &file,
        &state.options,
        &state.worker,
    )?;
    let mut css = String::new();
    if let Ok(scanned) = imports::scan(&compiled.code) {
        for import in scanned.imports {
            let imported = if import.specifier.starts_with('/') {
                import.specifier.clone()
            } else {
                let dir = Path::new(url)
                    .parent()
                    .map_or("/".into(), |d| d.to_string_lossy().to_string());
                normalize_url(&format!(
                    "{}/{}",
                    dir.trim_end_matches('/'),
                    import.specifier
                ))
            };
            css.push_str(&gather_css(state, root, &imported, seen)?);
            css.push('\n');
        }
    }
    css.push_str(compiled.css.as_deref().unwrap_or(""));
    Ok(css)
}

/// `/a/./b/../c.css` → `/a/c.css`.
fn normalize_url(url: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for segment in url.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    format!("/{}", parts.join("/"))
}

/// With a base other than `/`, the page's root-absolute links to `public/` files get it too.
fn public_urls(page: &str, public: &Path, base: &str) -> String {
    if base == "/" {
        return page.to_string();
    }
    let mut out = page.to_string();
    for file in source_files(public, public) {
        let Ok(relative) = file.strip_prefix(public) else {
            continue;
        };
        let url = format!("/{}", relative.to_string_lossy().replace('\\', "/"));
        for quote in ['"', '\''] {
            out = out.replace(
                &format!("={quote}{url}{quote}"),
                &format!("={quote}{base}{}{quote}", url.trim_start_matches('/')),
            );
        }
    }
    out
}

/// `public/` goes to the output's root as it is.
fn copy_public(root: &Path, public: &Path, staging: &Path) -> Result<(), BuildError> {
    if !public.is_dir() || !public.starts_with(root) {
        return Ok(());
    }
    for file in source_files(public, public) {
        let Ok(relative) = file.strip_prefix(public) else {
            continue;
        };
        let bytes =
            std::fs::read(&file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        write(&staging.join(relative), &bytes)?;
    }
    Ok(())
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), BuildError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()).into())
}

/// The finished build replaces the output folder; until then the last good one stays.
pub fn replace_dir(staging: &Path, out_dir: &Path) -> Result<(), BuildError> {
    let old = out_dir.with_file_name(format!(
        ".{}-old-{}",
        out_dir
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("dist"),
        std::process::id()
    ));
    if out_dir.exists() {
        std::fs::rename(out_dir, &old)
            .map_err(|e| format!("cannot move the old {} aside: {e}", out_dir.display()))?;
    }
    if let Err(error) = std::fs::rename(staging, out_dir) {
        let _ = std::fs::rename(&old, out_dir);
        return Err(format!("cannot move the build into {}: {error}", out_dir.display()).into());
    }
    let _ = std::fs::remove_dir_all(&old);
    Ok(())
}

/// One written file: path relative to the output folder, size, gzipped size.
pub struct FileReport {
    pub path: String,
    pub bytes: usize,
    pub gzip_bytes: usize,
}

pub fn report(out_dir: &Path) -> Result<Vec<FileReport>, BuildError> {
    let mut files = Vec::new();
    for path in source_files(out_dir, out_dir) {
        let bytes =
            std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        let _ = encoder.write_all(&bytes);
        let gzip_bytes = encoder.finish().map(|g| g.len()).unwrap_or(0);
        let relative = path.strip_prefix(out_dir).unwrap_or(&path);
        files.push(FileReport {
            path: relative.to_string_lossy().replace('\\', "/"),
            bytes: bytes.len(),
            gzip_bytes,
        });
    }
    // As Vite lists them: the page, then assets, CSS and JS, each by name.
    let order = |path: &str| match Path::new(path).extension().and_then(|e| e.to_str()) {
        Some("html") => 0,
        Some("css") => 2,
        Some("js") => 3,
        Some("map") => 4,
        _ => 1,
    };
    files.sort_by(|a, b| (order(&a.path), &a.path).cmp(&(order(&b.path), &b.path)));
    Ok(files)
}

/// The table of written files with their sizes and gzipped sizes, then the total time.
pub fn print_report(built: &crate::Built, shown_dir: &str) {
    let width = built
        .files
        .iter()
        .map(|f| f.path.len() + shown_dir.len() + 1)
        .max()
        .unwrap_or(0);
    println!("  ✓ {} modules transformed.", built.modules);
    for file in &built.files {
        let name = format!("{shown_dir}/{}", file.path);
        println!(
            "  {name:<width$}  {:>9} │ gzip: {:>9}",
            kilobytes(file.bytes),
            kilobytes(file.gzip_bytes)
        );
    }
    println!("  ✓ built in {} ms", built.elapsed.as_millis());
}

fn kilobytes(bytes: usize) -> String {
    format!("{:.2} kB", bytes as f64 / 1000.0)
}
