//! Inline `<script type="module">` blocks of a page, served as modules of their own (Vite's
//! `html-proxy`), so their imports (`import { createApp } from 'vue'`) are resolved like any
//! module's.

use std::ops::Range;

/// The query of the module that holds the `index`-th inline module script of a page.
pub fn proxy_query(index: usize) -> String {
    format!("html-proxy&index={index}.js")
}

/// The index of an inline script named by a proxy query, if the query is one.
pub fn proxy_index(query: &str) -> Option<usize> {
    query
        .strip_prefix("html-proxy&index=")?
        .strip_suffix(".js")?
        .parse()
        .ok()
}

/// Each `<script …>…</script>` element of `text` (tags in any case): the whole element, its
/// start tag's attributes and its text.
pub fn script_elements(text: &str) -> Vec<ScriptElement> {
    let lower = text.to_ascii_lowercase();
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(start) = lower[from..].find("<script").map(|at| at + from) {
        let Some(tag_end) = lower[start..].find('>').map(|at| at + start + 1) else {
            break;
        };
        let Some(close) = lower[tag_end..].find("</script").map(|at| at + tag_end) else {
            break;
        };
        let element_end = lower[close..]
            .find('>')
            .map_or(lower.len(), |at| at + close + 1);
        found.push(ScriptElement {
            element: start..element_end,
            attributes: start + "<script".len()..tag_end - 1,
            content: tag_end..close,
        });
        from = element_end;
    }
    found
}

/// Byte ranges of one script element (see [`script_elements`]).
pub struct ScriptElement {
    pub element: Range<usize>,
    pub attributes: Range<usize>,
    pub content: Range<usize>,
}

/// Each inline module script: the whole element and its text.
fn inline_module_scripts(page: &str) -> Vec<(Range<usize>, Range<usize>)> {
    let lower = page.to_ascii_lowercase();
    script_elements(page)
        .into_iter()
        .filter(|script| {
            let attributes = &lower[script.attributes.clone()];
            let is_module = attributes
                .split(|c: char| c.is_whitespace())
                .any(|attribute| {
                    matches!(
                        attribute.trim_end_matches('/'),
                        "type=\"module\"" | "type='module'" | "type=module"
                    )
                });
            let has_src = attributes
                .split(|c: char| c.is_whitespace())
                .any(|attribute| attribute.starts_with("src="));
            is_module && !has_src
        })
        .map(|script| (script.element, script.content))
        .collect()
}

/// The page with each inline module script replaced by a script loading its proxy module.
pub fn proxy_inline_scripts(page: &str, path: &str) -> String {
    let mut out = page.to_string();
    for (index, (element, _)) in inline_module_scripts(page).into_iter().enumerate().rev() {
        out.replace_range(
            element,
            &format!(
                "<script type=\"module\" src=\"{path}?{}\"></script>",
                proxy_query(index)
            ),
        );
    }
    out
}

/// The `index`-th inline module script of `page`, preceded by as many blank lines as come before
/// it in the page, so positions in it are the page's own.
pub fn inline_script(page: &str, index: usize) -> Option<String> {
    let (_, text) = inline_module_scripts(page).into_iter().nth(index)?;
    let lines_before = page[..text.start].matches('\n').count();
    let column = text.start - page[..text.start].rfind('\n').map_or(0, |at| at + 1);
    Some(format!(
        "{}{}{}",
        "\n".repeat(lines_before),
        " ".repeat(column),
        &page[text]
    ))
}

/// A start tag of the page: where it is and its attributes (names lower-cased, values as
/// written, unquoted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    pub range: Range<usize>,
    pub attributes: Vec<(String, String)>,
}

impl Tag {
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// Every `<name …>` start tag of the page, in order (not inside comments).
pub fn start_tags(page: &str, name: &str) -> Vec<Tag> {
    let lower = page.to_ascii_lowercase();
    let open = format!("<{name}");
    let mut tags = Vec::new();
    let mut from = 0;
    while let Some(start) = lower[from..].find(&open).map(|at| at + from) {
        let after = start + open.len();
        let boundary = lower[after..].chars().next();
        if !matches!(boundary, Some(c) if c.is_whitespace() || c == '>' || c == '/') {
            from = after;
            continue;
        }
        if lower[..start].rfind("<!--") > lower[..start].rfind("-->") {
            // Inside a comment.
            from = after;
            continue;
        }
        let Some(end) = lower[after..].find('>').map(|at| at + after + 1) else {
            break;
        };
        tags.push(Tag {
            range: start..end,
            attributes: attributes(&page[after..end - 1]),
        });
        from = end;
    }
    tags
}

/// `type="module" src=/a.js defer` → pairs (a bare attribute has an empty value).
fn attributes(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = text.trim_end_matches('/').trim();
    while !rest.is_empty() {
        let name_end = rest
            .find(|c: char| c.is_whitespace() || c == '=')
            .unwrap_or(rest.len());
        let name = rest[..name_end].to_ascii_lowercase();
        rest = rest[name_end..].trim_start();
        let mut value = String::new();
        if let Some(after) = rest.strip_prefix('=') {
            let after = after.trim_start();
            let (text, remaining) = match after.chars().next() {
                Some(quote @ ('"' | '\'')) => {
                    let close = after[1..].find(quote).map_or(after.len(), |at| at + 1);
                    (&after[1..close], after.get(close + 1..).unwrap_or(""))
                }
                _ => {
                    let end = after.find(char::is_whitespace).unwrap_or(after.len());
                    (&after[..end], &after[end..])
                }
            };
            value = text.to_string();
            rest = remaining.trim_start();
        }
        if !name.is_empty() {
            out.push((name, value));
        }
    }
    out
}

/// The page's `<script type="module" src>` tags.
pub fn module_scripts(page: &str) -> Vec<Tag> {
    start_tags(page, "script")
        .into_iter()
        .filter(|tag| tag.attribute("type") == Some("module") && tag.attribute("src").is_some())
        .collect()
}

/// The page's `<link rel="stylesheet" href>` tags.
pub fn stylesheet_links(page: &str) -> Vec<Tag> {
    start_tags(page, "link")
        .into_iter()
        .filter(|tag| {
            tag.attribute("rel").is_some_and(|rel| {
                rel.split_whitespace()
                    .any(|r| r.eq_ignore_ascii_case("stylesheet"))
            }) && tag.attribute("href").is_some()
        })
        .collect()
}

/// The number of inline module scripts of the page.
pub fn inline_script_count(page: &str) -> usize {
    inline_module_scripts(page).len()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "<!doctype html>\n<html><head>\n<script>window.x = 1</script>\n<script type=\"module\" src=\"/src/main.js\"></script>\n</head><body>\n<SCRIPT TYPE=\"module\">\n  import { createApp } from 'vue'\n</SCRIPT>\n<script type='module'>console.log(2)</script>\n</body></html>\n";

    #[test]
    fn inline_module_scripts_become_proxy_modules() {
        let page = proxy_inline_scripts(PAGE, "/index.html");
        assert!(
            page.contains("<script>window.x = 1</script>"),
            "classic scripts stay"
        );
        assert!(page.contains("<script type=\"module\" src=\"/src/main.js\"></script>"));
        assert!(page.contains("<body>\n<script type=\"module\" src=\"/index.html?html-proxy&index=0.js\"></script>\n<script type=\"module\" src=\"/index.html?html-proxy&index=1.js\"></script>\n</body>"), "{page}");
        let first = inline_script(PAGE, 0).unwrap();
        assert_eq!(
            first.lines().nth(6),
            Some("  import { createApp } from 'vue'"),
            "line 7 of the page"
        );
        assert_eq!(inline_script(PAGE, 1).unwrap().trim(), "console.log(2)");
        assert_eq!(inline_script(PAGE, 2), None);
        assert_eq!(proxy_index("html-proxy&index=1.js"), Some(1));
        assert_eq!(proxy_index("import"), None);
    }

    #[test]
    fn entry_tags() {
        let page = "<head><!-- <script type=module src=/old.js></script> -->\n<link rel=\"stylesheet\" href='/a.css?x=1'><link rel=icon href=/f.svg>\n<script type=\"module\" src=\"/src/main.jsx\"></script><scripts></head>";
        let scripts = module_scripts(page);
        assert_eq!(scripts.len(), 1);
        assert_eq!(scripts[0].attribute("src"), Some("/src/main.jsx"));
        assert_eq!(
            &page[scripts[0].range.clone()],
            "<script type=\"module\" src=\"/src/main.jsx\">"
        );
        let links = stylesheet_links(page);
        assert_eq!(links.len(), 1);
        assert_eq!(links[0].attribute("href"), Some("/a.css?x=1"));
        assert_eq!(inline_script_count(PAGE), 2);
    }
}
