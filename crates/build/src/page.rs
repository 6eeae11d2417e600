//! The page a build starts from (`index.html`): its entries, and the page rewritten to load
//! what the build wrote.

use metamon_project::analysis::html;

/// What `index.html` loads.
pub struct Entries {
    /// `<script type="module" src>`, in page order.
    pub scripts: Vec<String>,
    /// How many inline `<script type="module">` it has.
    pub inline_scripts: usize,
    /// `<link rel="stylesheet" href>` of the app's own stylesheets (root-absolute URLs).
    pub stylesheets: Vec<String>,
}

pub fn entries(page: &str) -> Entries {
    Entries {
        scripts: html::module_scripts(page)
            .iter()
            .filter_map(|tag| tag.attribute("src"))
            .filter(|src| is_local(src))
            .map(str::to_string)
            .collect(),
        inline_scripts: html::inline_script_count(page),
        stylesheets: html::stylesheet_links(page)
            .iter()
            .filter_map(|tag| tag.attribute("href"))
            .filter(|href| is_local(href))
            .map(str::to_string)
            .collect(),
    }
}

/// A URL of the app (not another origin's).
pub fn is_local(url: &str) -> bool {
    url.starts_with('/') && !url.starts_with("//") || url.starts_with("./")
}

/// The page with each tag of `replacements` (by its range) replaced, and `head` put before
/// `</head>`.
pub fn rewrite(
    page: &str,
    mut replacements: Vec<(std::ops::Range<usize>, String)>,
    head: &str,
) -> String {
    replacements.sort_by_key(|(range, _)| std::cmp::Reverse(range.start));
    let mut out = page.to_string();
    for (range, text) in replacements {
        out.replace_range(range, &text);
    }
    match out.to_ascii_lowercase().find("</head>") {
        Some(at) => out.insert_str(at, head),
        None => out.insert_str(0, head),
    }
    out
}
