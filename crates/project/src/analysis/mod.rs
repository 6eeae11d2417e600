//! Pure analysers: functions over source text with no server state — the imports of a module,
//! how it uses the components it imports, its `import.meta.glob` calls, a page's inline
//! scripts, `.env` files, the pages router table.

pub mod component_uses;
pub mod dotenv;
pub mod glob_import;
pub mod html;
pub mod imports;
pub mod pages;

use oxc::allocator::Allocator;
use oxc::parser::{Parser, ParserReturn};
use oxc::span::SourceType;

/// Parses a compiled module (JavaScript, ES module); a syntax error is its first message.
pub fn parse_module<'a>(
    allocator: &'a Allocator,
    code: &'a str,
) -> Result<ParserReturn<'a>, String> {
    parse_module_as(allocator, code, SourceType::mjs())
}

/// Parses source of the given type; a syntax error is its first message.
pub fn parse_module_as<'a>(
    allocator: &'a Allocator,
    code: &'a str,
    source_type: SourceType,
) -> Result<ParserReturn<'a>, String> {
    let parsed = Parser::new(allocator, code, source_type).parse();
    if parsed.panicked || parsed.diagnostics.has_errors() {
        return Err(parsed.diagnostics.errors().next().map_or_else(
            || "unknown parse error".to_string(),
            |e| e.message.to_string(),
        ));
    }
    Ok(parsed)
}
