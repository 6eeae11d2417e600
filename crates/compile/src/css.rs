//! Stylesheets through lightningcss, served to the browser as JS modules that inject a
//! `<style>` and swap it on hot update (CSS modules also export their class names).

use crate::{Compiled, Diagnostic};
use lightningcss::css_modules::Config;
use lightningcss::dependencies::{Dependency, DependencyOptions};
use lightningcss::stylesheet::{MinifyOptions, ParserOptions, PrinterOptions, StyleSheet};
use lightningcss::targets::{Browsers, Targets};
use serde_json::{Map, Value};

/// A lightningcss error as a diagnostic at its line and column (1:1 when it has none).
fn css_error<T: std::fmt::Display>(
    code: &str,
    file: &str,
    prefix: &str,
    error: lightningcss::error::Error<T>,
) -> Vec<Diagnostic> {
    let (line, column) = error
        .loc
        .as_ref()
        .map_or((1, 1), |loc| (loc.line as usize + 1, loc.column as usize));
    vec![Diagnostic::new(
        code,
        file,
        line,
        column,
        format!("{prefix}{}", error.kind),
    )]
}

/// Parses and prints a stylesheet (validating it), lowered for `targets` (browserslist queries:
/// nesting, vendor prefixes…; none: left as written), and wraps it in a style-injecting module.
pub fn compile_css(
    file: &str,
    source: &str,
    css_module: bool,
    targets: &[String],
) -> Result<Compiled, Vec<Diagnostic>> {
    let sheet = stylesheet(file, source, css_module, targets)?;
    Ok(Compiled {
        code: css_module_js(file, &sheet.css, sheet.classes.as_ref(), &sheet.imports),
        ..Compiled::default()
    })
}

/// For a production build: a module that only exports the class names (and imports the
/// sheets it `@import`s); the CSS itself goes out as `css`, to be extracted per chunk.
pub fn extract_css(
    file: &str,
    source: &str,
    css_module: bool,
    targets: &[String],
) -> Result<Compiled, Vec<Diagnostic>> {
    let sheet = stylesheet(file, source, css_module, targets)?;
    let imports: String = sheet
        .imports
        .iter()
        .map(|url| format!("import {};\n", Value::from(url.as_str())))
        .collect();
    let classes = sheet
        .classes
        .map_or_else(|| "{}".to_string(), |classes| classes.to_string());
    Ok(Compiled {
        code: format!("{imports}export default {classes};\n"),
        css: Some(sheet.css),
        ..Compiled::default()
    })
}

/// Minifies CSS (a chunk's extracted stylesheets, joined), lowered for `targets`.
pub fn minify_css(file: &str, css: &str, targets: &[String]) -> Result<String, Vec<Diagnostic>> {
    let mut sheet = StyleSheet::parse(
        css,
        ParserOptions {
            filename: file.to_string(),
            ..ParserOptions::default()
        },
    )
    .map_err(|error| css_error("css::syntax", file, "invalid CSS: ", error))?;
    let targets = browser_targets(file, targets)?;
    sheet
        .minify(MinifyOptions {
            targets,
            ..MinifyOptions::default()
        })
        .map_err(|error| css_error("css::transform", file, "", error))?;
    let printed = sheet
        .to_css(PrinterOptions {
            minify: true,
            targets,
            ..PrinterOptions::default()
        })
        .map_err(|error| css_error("css::print", file, "", error))?;
    Ok(printed.code)
}

fn browser_targets(file: &str, targets: &[String]) -> Result<Targets, Vec<Diagnostic>> {
    let browsers = if targets.is_empty() {
        None
    } else {
        Browsers::from_browserslist(targets).map_err(|error| {
            vec![Diagnostic::new(
                "css::targets",
                file,
                1,
                1,
                format!("invalid `cssTargets` query: {error}"),
            )]
        })?
    };
    Ok(Targets {
        browsers,
        ..Targets::default()
    })
}

/// A stylesheet printed: its CSS, CSS-module class names, and the sheets it `@import`s.
struct Printed {
    css: String,
    classes: Option<Value>,
    imports: Vec<String>,
}

fn stylesheet(
    file: &str,
    source: &str,
    css_module: bool,
    targets: &[String],
) -> Result<Printed, Vec<Diagnostic>> {
    let options = ParserOptions {
        filename: file.to_string(),
        css_modules: css_module.then(Config::default),
        ..ParserOptions::default()
    };
    let mut sheet = StyleSheet::parse(source, options)
        .map_err(|error| css_error("css::syntax", file, "invalid CSS: ", error))?;
    let targets = browser_targets(file, targets)?;
    if targets.browsers.is_some() {
        // Adds vendor prefixes and lowers what the targets lack (leaves the rest as written).
        sheet
            .minify(MinifyOptions {
                targets,
                ..MinifyOptions::default()
            })
            .map_err(|error| css_error("css::transform", file, "", error))?;
    }
    // `@import`s become imports of the JS module (each sheet its own `<style>`, updated on its
    // own), and relative `url()`s are made absolute: an injected `<style>` resolves them
    // against the page, not the stylesheet.
    let printed = sheet
        .to_css(PrinterOptions {
            targets,
            analyze_dependencies: Some(DependencyOptions {
                remove_imports: true,
            }),
            ..PrinterOptions::default()
        })
        .map_err(|error| css_error("css::print", file, "", error))?;
    let mut css = printed.code;
    let mut imports = Vec::new();
    for dependency in printed.dependencies.unwrap_or_default() {
        match dependency {
            Dependency::Import(import) => imports.push(relative_specifier(&import.url)),
            Dependency::Url(url) => {
                css = css.replace(&url.placeholder, &absolute_url(file, &url.url));
            }
        }
    }
    let classes = printed.exports.map(|exports| {
        let mut sorted: Vec<_> = exports.into_iter().collect();
        sorted.sort_by(|a, b| a.0.cmp(&b.0));
        Value::Object(
            sorted
                .into_iter()
                .map(|(local, export)| (local, Value::from(export.name)))
                .collect::<Map<_, _>>(),
        )
    });
    Ok(Printed {
        css,
        classes,
        imports,
    })
}

/// Whether a CSS URL is left as written: absolute, with a scheme, or a fragment.
fn is_absolute(url: &str) -> bool {
    url.starts_with('/') || url.starts_with('#') || url.contains(':')
}

/// `@import "a.css"` means `./a.css` in CSS; as a JS import it must say so.
fn relative_specifier(url: &str) -> String {
    if is_absolute(url) || url.starts_with("./") || url.starts_with("../") {
        url.to_string()
    } else {
        format!("./{url}")
    }
}

/// A `url()` of the stylesheet `file` (root-relative) as a root-absolute URL.
fn absolute_url(file: &str, url: &str) -> String {
    if is_absolute(url) {
        return escape_url(url);
    }
    let mut parts: Vec<&str> = file.trim_start_matches('/').split('/').collect();
    parts.pop();
    for segment in url.split('/') {
        match segment {
            "." | "" => {}
            ".." => {
                parts.pop();
            }
            _ => parts.push(segment),
        }
    }
    escape_url(&format!("/{}", parts.join("/")))
}

/// What an unquoted `url()` cannot hold.
fn escape_url(url: &str) -> String {
    url.replace(' ', "%20")
        .replace('(', "%28")
        .replace(')', "%29")
        .replace('"', "%22")
        .replace('\'', "%27")
}

/// The JS module for a stylesheet: injects it under a stable id, self-accepts so an edit swaps
/// only the `<style>`, removes it when pruned.
pub fn css_module_js(file: &str, css: &str, classes: Option<&Value>, imports: &[String]) -> String {
    let id =
        serde_json::to_string(&format!("/{}", file.trim_start_matches('/'))).unwrap_or_default();
    let css = serde_json::to_string(css).unwrap_or_default();
    let exports = classes.map_or_else(
        || "export default {};".to_string(),
        |classes| format!("export default {classes};"),
    );
    let imports: String = imports
        .iter()
        .map(|url| format!("import {};\n", Value::from(url.as_str())))
        .collect();
    format!(
        "{imports}import {{ updateStyle as __metamon_updateStyle, removeStyle as __metamon_removeStyle }} from \"/@metamon/client\";\n\
         __metamon_updateStyle({id}, {css});\n\
         {exports}\n\
         if (import.meta.hot) {{ import.meta.hot.accept(); import.meta.hot.prune(() => __metamon_removeStyle({id})); }}\n"
    )
}
