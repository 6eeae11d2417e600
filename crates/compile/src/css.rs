//! Stylesheets through lightningcss, served to the browser as JS modules that inject a
//! `<style>` and swap it on hot update (CSS modules also export their class names).

use crate::{Compiled, Diagnostic};
use lightningcss::css_modules::{Config, Pattern};
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

/// How CSS modules (`*.module.css`) are named and exported, as Vite's `css.modules`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CssModules {
    /// `generateScopedName` as a pattern (`[name]__[local]___[hash:base64:5]`); `None`:
    /// lightningcss' `[hash]_[local]`.
    pub scoped_name: Option<String>,
    /// `localsConvention`: `camelCase`, `camelCaseOnly`, `dashes` or `dashesOnly`.
    pub locals_convention: Option<String>,
    /// `scopeBehaviour: 'global'`: class names stay as written.
    pub global: bool,
}

impl CssModules {
    /// The lightningcss config: `None` when class names stay global.
    fn config(&self, file: &str) -> Result<Option<Config>, Vec<Diagnostic>> {
        if self.global {
            return Ok(None);
        }
        let Some(text) = self.pattern() else {
            return Ok(Some(Config::default()));
        };
        let pattern = Pattern::parse(&text).map_err(|error| {
            vec![Diagnostic::new(
                "css::modules",
                file,
                1,
                1,
                format!("css.modules.generateScopedName `{text}`: {error}"),
            )]
        })?;
        Ok(Some(Config {
            pattern,
            ..Config::default()
        }))
    }

    /// `generateScopedName` in lightningcss' words: postcss-modules' `[hash:base64:5]` (any
    /// length or encoding) is `[hash]`.
    fn pattern(&self) -> Option<String> {
        let name = self.scoped_name.as_deref()?;
        let mut out = String::new();
        let mut rest = name;
        while let Some(at) = rest.find("[hash:") {
            out.push_str(&rest[..at]);
            out.push_str("[hash]");
            rest = rest[at..].find(']').map_or("", |end| &rest[at + end + 1..]);
        }
        out.push_str(rest);
        Some(out)
    }

    /// The names a class is exported under, by `localsConvention`.
    fn export_names(&self, class: &str) -> Vec<String> {
        let camel = |only_dashes: bool| {
            let mut out = String::new();
            let mut upper = false;
            for c in class.chars() {
                if c == '-' || (!only_dashes && c == '_') {
                    upper = !out.is_empty();
                } else if upper {
                    out.extend(c.to_uppercase());
                    upper = false;
                } else {
                    out.push(c);
                }
            }
            out
        };
        let names = match self.locals_convention.as_deref() {
            Some("camelCase") => vec![class.to_string(), camel(false)],
            Some("camelCaseOnly") => vec![camel(false)],
            Some("dashes") => vec![class.to_string(), camel(true)],
            Some("dashesOnly") => vec![camel(true)],
            _ => vec![class.to_string()],
        };
        let mut unique: Vec<String> = Vec::new();
        for name in names {
            if !unique.contains(&name) {
                unique.push(name);
            }
        }
        unique
    }
}

/// Parses and prints a stylesheet (validating it), lowered for `targets` (browserslist queries:
/// nesting, vendor prefixes…; none: left as written), and wraps it in a style-injecting module.
/// `modules`: the stylesheet is a CSS module, named and exported so.
pub fn compile_css(
    file: &str,
    source: &str,
    modules: Option<&CssModules>,
    targets: &[String],
) -> Result<Compiled, Vec<Diagnostic>> {
    let sheet = stylesheet(file, source, modules, targets)?;
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
    modules: Option<&CssModules>,
    targets: &[String],
) -> Result<Compiled, Vec<Diagnostic>> {
    let sheet = stylesheet(file, source, modules, targets)?;
    let imports: String = sheet
        .imports
        .iter()
        .map(|url| format!("import {};\n", Value::from(url.as_str())))
        .collect();
    Ok(Compiled {
        code: format!("{imports}{}", class_exports(sheet.classes.as_ref())),
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
    modules: Option<&CssModules>,
    targets: &[String],
) -> Result<Printed, Vec<Diagnostic>> {
    let css_modules = match modules {
        Some(modules) => modules.config(file)?,
        None => None,
    };
    let options = ParserOptions {
        filename: file.to_string(),
        css_modules,
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
    let classes = modules.map(|modules| {
        let mut sorted: Vec<_> = printed.exports.unwrap_or_default().into_iter().collect();
        sorted.sort_by(|a, b| a.0.cmp(&b.0));
        let mut object = Map::new();
        for (local, export) in sorted {
            // `composes:` adds the composed classes, as postcss-modules does.
            let mut value = export.name.clone();
            for composed in &export.composes {
                use lightningcss::css_modules::CssModuleReference;
                if let CssModuleReference::Local { name } | CssModuleReference::Global { name } =
                    composed
                {
                    value.push(' ');
                    value.push_str(name);
                }
            }
            for name in modules.export_names(&local) {
                object.insert(name, Value::from(value.clone()));
            }
        }
        Value::Object(object)
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
    let exports = class_exports(classes);
    let imports: String = imports
        .iter()
        .map(|url| format!("import {};\n", Value::from(url.as_str())))
        .collect();
    format!(
        "{imports}import {{ updateStyle as __metamon_updateStyle, removeStyle as __metamon_removeStyle }} from \"/@metamon/client\";\n\
         __metamon_updateStyle({id}, {css});\n\
         {exports}\
         if (import.meta.hot) {{ import.meta.hot.accept(); import.meta.hot.prune(() => __metamon_removeStyle({id})); }}\n"
    )
}

/// A CSS module's class names as the default export and, as in Vite, each name that is an
/// identifier as a named export.
fn class_exports(classes: Option<&Value>) -> String {
    let Some(Value::Object(classes)) = classes else {
        return "export default {};\n".to_string();
    };
    let mut code = format!(
        "const __metamon_classes = {};\nexport default __metamon_classes;\n",
        Value::Object(classes.clone())
    );
    for name in classes
        .keys()
        .filter(|name| metamon_mtm::is_js_identifier(name))
    {
        code.push_str(&format!(
            "export const {name} = __metamon_classes[{}];\n",
            Value::from(name.as_str())
        ));
    }
    code
}
