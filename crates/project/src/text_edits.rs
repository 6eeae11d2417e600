//! Text edits by byte span, applied in one pass: how served code is rewritten (import URLs
//! written in, modules turned into registry factories) without re-printing it, so every
//! unedited byte, and the source map, stays as it was.

#[derive(Debug, Default)]
pub struct TextEdits(Vec<(usize, usize, String)>);

impl TextEdits {
    /// Replaces `start..end` (an insertion when they are equal).
    pub fn replace(&mut self, start: usize, end: usize, text: impl Into<String>) {
        self.0.push((start, end, text.into()));
    }

    /// The edited text. Edits apply in order of position; one that starts inside an earlier
    /// edit (a reference inside a removed statement) is dropped.
    pub fn apply(mut self, code: &str) -> String {
        self.0.sort_by_key(|(start, end, _)| (*start, *end));
        let mut out = String::with_capacity(code.len() + self.0.len() * 8);
        let mut last = 0;
        for (start, end, text) in self.0 {
            if start < last {
                continue;
            }
            out.push_str(&code[last..start]);
            out.push_str(&text);
            last = end;
        }
        out.push_str(&code[last..]);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::TextEdits;

    #[test]
    fn edits_apply_in_order_and_nested_ones_are_dropped() {
        let mut edits = TextEdits::default();
        edits.replace(10, 11, "X");
        edits.replace(0, 6, "");
        edits.replace(2, 3, "dropped");
        edits.replace(6, 6, "<");
        assert_eq!(edits.apply("import abcd e;"), "< abcX e;");
    }
}
