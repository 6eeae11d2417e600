//! Stylesheets through lightningcss, served to the browser as JS modules that inject a
//! `<style>` and swap it on hot update (CSS modules also export their class names).

use crate::{Compiled, Diagnostic};
use lightningcss::css_modules::Config;
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
    let options = ParserOptions {
        filename: file.to_string(),
        css_modules: css_module.then(Config::default),
        ..ParserOptions::default()
    };
    let mut sheet = StyleSheet::parse(source, options)
        .map_err(|error| css_error("css::syntax", file, "invalid CSS: ", error))?;
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
    let targets = Targets {
        browsers,
        ..Targets::default()
    };
    if browsers.is_some() {
        // Adds vendor prefixes and lowers what the targets lack (leaves the rest as written).
        sheet
            .minify(MinifyOptions {
                targets,
                ..MinifyOptions::default()
            })
            .map_err(|error| css_error("css::transform", file, "", error))?;
    }
    let printed = sheet
        .to_css(PrinterOptions {
            targets,
            ..PrinterOptions::default()
        })
        .map_err(|error| css_error("css::print", file, "", error))?;
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
    Ok(Compiled {
        code: css_module_js(file, &printed.code, classes.as_ref()),
        ..Compiled::default()
    })
}

/// The JS module for a stylesheet: injects it under a stable id, self-accepts so an edit swaps
/// only the `<style>`, removes it when pruned.
pub fn css_module_js(file: &str, css: &str, classes: Option<&Value>) -> String {
    let id =
        serde_json::to_string(&format!("/{}", file.trim_start_matches('/'))).unwrap_or_default();
    let css = serde_json::to_string(css).unwrap_or_default();
    let exports = classes.map_or_else(
        || "export default {};".to_string(),
        |classes| format!("export default {classes};"),
    );
    format!(
        "import {{ updateStyle as __metamon_updateStyle, removeStyle as __metamon_removeStyle }} from \"/@metamon/client\";\n\
         __metamon_updateStyle({id}, {css});\n\
         {exports}\n\
         if (import.meta.hot) {{ import.meta.hot.accept(); import.meta.hot.prune(() => __metamon_removeStyle({id})); }}\n"
    )
}
