//! `import.meta.glob(…)`, as in Vite: the call becomes an object of the matching files' paths
//! to `() => import(path)`, or to the modules themselves with `{ eager: true }` (hoisted static
//! imports). Options: `eager`, `import` (one export instead of the namespace), `query` (`?raw`,
//! `?url`…). The module keeps its patterns so adding or removing a matching file updates it.

use crate::files::relative_to_root;
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use oxc::allocator::Allocator;
use oxc::ast::ast::{
    Argument, ArrayExpressionElement, CallExpression, Expression, ObjectPropertyKind, PropertyKey,
};
use oxc::ast_visit::{Visit, walk};
use oxc::parser::Parser;
use oxc::span::SourceType;
use std::path::{Component, Path, PathBuf};

/// The module with its glob calls expanded, and what its patterns match (root-relative).
pub struct Expanded {
    pub code: String,
    pub matcher: Option<GlobSet>,
}

/// An error at a byte offset of the code.
pub struct GlobError {
    pub offset: usize,
    pub message: String,
}

struct Call {
    span: (usize, usize),
    patterns: Vec<String>,
    eager: bool,
    import: Option<String>,
    query: Option<String>,
}

#[derive(Default)]
struct Finder {
    calls: Vec<Result<Call, GlobError>>,
}

impl<'a> Visit<'a> for Finder {
    fn visit_call_expression(&mut self, it: &CallExpression<'a>) {
        if is_glob(&it.callee) {
            self.calls.push(read_call(it));
        }
        walk::walk_call_expression(self, it);
    }
}

/// `import.meta.glob`
fn is_glob(callee: &Expression) -> bool {
    matches!(callee.without_parentheses(), Expression::StaticMemberExpression(member)
        if member.property.name == "glob" && matches!(&member.object, Expression::ImportMeta(_)))
}

fn read_call(call: &CallExpression) -> Result<Call, GlobError> {
    let error = |message: &str| GlobError {
        offset: call.span.start as usize,
        message: format!("import.meta.glob: {message}"),
    };
    let mut patterns = Vec::new();
    match call.arguments.first() {
        Some(Argument::StringLiteral(pattern)) => patterns.push(pattern.value.to_string()),
        Some(Argument::ArrayExpression(list)) => {
            for element in &list.elements {
                match element {
                    ArrayExpressionElement::StringLiteral(pattern) => {
                        patterns.push(pattern.value.to_string())
                    }
                    _ => return Err(error("patterns must be string literals")),
                }
            }
        }
        _ => {
            return Err(error(
                "the first argument must be a string literal or an array of them",
            ));
        }
    }
    let mut found = Call {
        span: (call.span.start as usize, call.span.end as usize),
        patterns,
        eager: false,
        import: None,
        query: None,
    };
    if let Some(Argument::ObjectExpression(options)) = call.arguments.get(1) {
        for property in &options.properties {
            let ObjectPropertyKind::ObjectProperty(property) = property else {
                return Err(error("options must be a plain object literal"));
            };
            let name = match &property.key {
                PropertyKey::StaticIdentifier(name) => name.name.to_string(),
                PropertyKey::StringLiteral(name) => name.value.to_string(),
                _ => return Err(error("options must have plain names")),
            };
            match (name.as_str(), &property.value) {
                ("eager", Expression::BooleanLiteral(value)) => found.eager = value.value,
                ("import", Expression::StringLiteral(value)) => {
                    found.import = Some(value.value.to_string())
                }
                ("query", Expression::StringLiteral(value)) => {
                    found.query = Some(value.value.trim_start_matches('?').to_string())
                }
                (other, _) => {
                    return Err(error(&format!(
                        "unsupported option `{other}` (eager: boolean, import: string, query: string)"
                    )));
                }
            }
        }
    }
    Ok(found)
}

/// Expands every `import.meta.glob` call of `code`, a module of file `importer` (absolute) in
/// the project at `root`; `files` are the project's files, root-relative with `/`.
pub fn expand(
    code: &str,
    importer: &Path,
    root: &Path,
    files: &[String],
) -> Result<Expanded, GlobError> {
    let allocator = Allocator::default();
    let parsed = Parser::new(&allocator, code, SourceType::mjs()).parse();
    let mut finder = Finder::default();
    finder.visit_program(&parsed.program);
    let importer_dir = importer.parent().unwrap_or(root);
    let importer_relative = relative_to_root(importer, root).unwrap_or_default();
    let mut all_patterns = GlobSetBuilder::new();
    let mut hoisted = String::new();
    let mut edits = Vec::new();
    for (index, call) in finder.calls.into_iter().enumerate() {
        let call = call?;
        let error = |message: String| GlobError {
            offset: call.span.0,
            message: format!("import.meta.glob: {message}"),
        };
        let (mut include, mut exclude) = (GlobSetBuilder::new(), GlobSetBuilder::new());
        for pattern in &call.patterns {
            let (negated, pattern) = match pattern.strip_prefix('!') {
                Some(rest) => (true, rest),
                None => (false, pattern.as_str()),
            };
            let absolute = root_pattern(pattern, importer_dir, root).ok_or_else(|| {
                error(format!(
                    "`{pattern}` must start with `./`, `../`, `/` or `**/` and stay inside the project"
                ))
            })?;
            let glob = GlobBuilder::new(&absolute)
                .literal_separator(true)
                .build()
                .map_err(|e| error(format!("`{pattern}`: {e}")))?;
            if negated {
                exclude.add(glob);
            } else {
                include.add(glob.clone());
                all_patterns.add(glob);
            }
        }
        let include = include.build().map_err(|e| error(e.to_string()))?;
        let exclude = exclude.build().map_err(|e| error(e.to_string()))?;
        let absolute_keys = call
            .patterns
            .iter()
            .all(|p| p.trim_start_matches('!').starts_with('/'));
        let mut matched: Vec<(String, String)> = files
            .iter()
            .filter(|file| {
                **file != importer_relative && include.is_match(file) && !exclude.is_match(file)
            })
            .map(|file| {
                let key = if absolute_keys {
                    format!("/{file}")
                } else {
                    relative_specifier(importer_dir, &root.join(file))
                };
                let specifier = match &call.query {
                    Some(query) => format!("{key}?{query}"),
                    None => key.clone(),
                };
                (key, specifier)
            })
            .collect();
        matched.sort();
        let mut entries = Vec::new();
        for (position, (key, specifier)) in matched.iter().enumerate() {
            let key_json = serde_json::Value::from(key.as_str());
            let specifier_json = serde_json::Value::from(specifier.as_str());
            let value = if call.eager {
                let name = format!("__metamon_glob_{index}_{position}");
                match call.import.as_deref() {
                    None | Some("*") => {
                        hoisted.push_str(&format!("import * as {name} from {specifier_json};"))
                    }
                    Some(export) => hoisted.push_str(&format!(
                        "import {{ {} as {name} }} from {specifier_json};",
                        export_name(export)
                    )),
                }
                name
            } else {
                match call.import.as_deref() {
                    None | Some("*") => format!("() => import({specifier_json})"),
                    Some(export) => format!(
                        "() => import({specifier_json}).then((m) => m[{}])",
                        serde_json::Value::from(export)
                    ),
                }
            };
            entries.push(format!("{key_json}: {value}"));
        }
        edits.push((call.span, format!("({{{}}})", entries.join(", "))));
    }
    if edits.is_empty() {
        return Ok(Expanded {
            code: code.to_string(),
            matcher: None,
        });
    }
    let mut out = code.to_string();
    for ((start, end), replacement) in edits.into_iter().rev() {
        out.replace_range(start..end, &replacement);
    }
    // Hoisted on the first line, so every other line keeps its number.
    out.insert_str(0, &hoisted);
    Ok(Expanded {
        code: out,
        matcher: all_patterns.build().ok(),
    })
}

/// An export name as written in an import: itself when it is an identifier, else quoted.
fn export_name(name: &str) -> String {
    if metamon_mtm::is_js_identifier(name) || name == "default" {
        name.to_string()
    } else {
        serde_json::Value::from(name).to_string()
    }
}

/// A pattern as a root-relative glob (`./x/*.js` from `src/` → `src/x/*.js`).
fn root_pattern(pattern: &str, importer_dir: &Path, root: &Path) -> Option<String> {
    if pattern.starts_with("**/") {
        // Anywhere in the project (`!**/*.test.js`).
        return Some(pattern.to_string());
    }
    let joined = if let Some(from_root) = pattern.strip_prefix('/') {
        root.join(from_root)
    } else if pattern.starts_with("./") || pattern.starts_with("../") {
        importer_dir.join(pattern)
    } else {
        return None;
    };
    relative_to_root(&normalize(&joined), root)
}

fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// `./b/c.js` or `../a.js`: `file` as seen from `dir`.
fn relative_specifier(dir: &Path, file: &Path) -> String {
    let dir: Vec<Component> = dir.components().collect();
    let target: Vec<Component> = file.components().collect();
    let common = dir.iter().zip(&target).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".to_string(); dir.len() - common];
    parts.extend(
        target[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().to_string()),
    );
    let joined = parts.join("/");
    if joined.starts_with("..") {
        joined
    } else {
        format!("./{joined}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files() -> Vec<String> {
        [
            "src/main.js",
            "src/pages/a.js",
            "src/pages/b.js",
            "src/pages/deep/c.js",
            "src/pages/skip.test.js",
            "src/data/x.json",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    }

    #[test]
    fn lazy_eager_import_and_query() {
        let root = Path::new("/project");
        let importer = root.join("src/main.js");
        let code = "const lazy = import.meta.glob('./pages/*.js');\nconst eager = import.meta.glob(['./pages/**/*.js', '!**/*.test.js'], { eager: true, import: 'default' });\nconst raw = import.meta.glob('/src/data/*.json', { query: '?raw' });\n";
        let expanded = expand(code, &importer, root, &files()).ok().unwrap();
        let lines: Vec<&str> = expanded.code.lines().collect();
        assert_eq!(lines.len(), 3, "lines kept: {}", expanded.code);
        assert!(lines[0].starts_with("import { default as __metamon_glob_1_0 } from \"./pages/a.js\";import { default as __metamon_glob_1_1 } from \"./pages/b.js\";import { default as __metamon_glob_1_2 } from \"./pages/deep/c.js\";"), "{}", lines[0]);
        assert!(lines[0].ends_with("const lazy = ({\"./pages/a.js\": () => import(\"./pages/a.js\"), \"./pages/b.js\": () => import(\"./pages/b.js\"), \"./pages/skip.test.js\": () => import(\"./pages/skip.test.js\")});"), "{}", lines[0]);
        assert_eq!(
            lines[1],
            "const eager = ({\"./pages/a.js\": __metamon_glob_1_0, \"./pages/b.js\": __metamon_glob_1_1, \"./pages/deep/c.js\": __metamon_glob_1_2});"
        );
        assert_eq!(
            lines[2],
            "const raw = ({\"/src/data/x.json\": () => import(\"/src/data/x.json?raw\")});"
        );
        let matcher = expanded.matcher.unwrap();
        assert!(matcher.is_match("src/pages/new.js"));
        assert!(!matcher.is_match("src/other/new.js"));
    }

    #[test]
    fn a_pattern_that_is_not_a_path_is_an_error_at_the_call() {
        let root = Path::new("/project");
        let code = "let x = 1;\nconst m = import.meta.glob('pages/*.js');\n";
        let error = expand(code, &root.join("src/main.js"), root, &files())
            .err()
            .unwrap();
        assert_eq!(error.offset, code.find("import.meta.glob").unwrap());
        assert!(
            error.message.contains("must start with"),
            "{}",
            error.message
        );
    }
}
