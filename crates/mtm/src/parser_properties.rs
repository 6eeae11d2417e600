//! Property tests of the parser on hostile input: it never panics, and every diagnostic points
//! at a line and column that exist in the file (or just past its end) and renders.

use crate::parse;
use proptest::prelude::*;

/// Pieces `.mtm` files are made of, so generated files reach past the first `---` check.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("---\n".to_string()),
        Just("---".to_string()),
        Just("target: react\n".to_string()),
        Just("target: vue\n".to_string()),
        Just("target: [svelte\n".to_string()),
        Just("channels:\n  - event: a\n    emit: onA\n".to_string()),
        Just("channels: [{event: 1, emit: 2}]\n".to_string()),
        Just("props:\n  title: string\n".to_string()),
        Just("styles: [./a.css, 3]\n".to_string()),
        Just("route: /x\nlayout: default\n".to_string()),
        Just("a: &a [1, *a]\n".to_string()),
        Just("  - \t\n".to_string()),
        Just("\u{feff}".to_string()),
        Just("\r\n".to_string()),
        Just("é漢🦀\u{200b}".to_string()),
        Just("export default () => <p>{x}</p>;\n".to_string()),
        Just("<template><p/></template>\n".to_string()),
        "[ -~]{0,40}",
        "\\PC{0,20}",
    ]
}

fn mtm_text() -> impl Strategy<Value = String> {
    prop::collection::vec(fragment(), 0..24).prop_map(|parts| parts.concat())
}

fn check_diagnostics(name: &str, bytes: &[u8]) -> Result<(), TestCaseError> {
    let Err(diagnostics) = parse(name, bytes) else {
        return Ok(());
    };
    prop_assert!(!diagnostics.is_empty());
    let text = String::from_utf8_lossy(bytes);
    let lines = text.split('\n').count();
    for diagnostic in &diagnostics {
        prop_assert_eq!(&diagnostic.file, name);
        prop_assert!(
            diagnostic.line >= 1 && diagnostic.line <= lines + 1,
            "{diagnostic} in {lines} lines"
        );
        prop_assert!(diagnostic.column >= 1);
        let rendered = diagnostic.render(&text, false);
        prop_assert!(rendered.contains(name), "{}", rendered);
        diagnostic.frame(&text);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, max_shrink_iters: 2000, ..ProptestConfig::default() })]

    #[test]
    fn structured_mtm_text_never_panics(text in mtm_text()) {
        check_diagnostics("Gen.mtm", text.as_bytes())?;
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        check_diagnostics("Bytes.mtm", &bytes)?;
    }

    #[test]
    fn invalid_utf8_in_the_middle_is_reported_where_it_is(text in mtm_text(), at in any::<prop::sample::Index>()) {
        let mut bytes = text.into_bytes();
        let index = at.index(bytes.len() + 1);
        // Not inside a character, so the text before it stays valid.
        let index = (0..=index).rev().find(|&i| std::str::from_utf8(&bytes[..i]).is_ok()).unwrap_or(0);
        bytes.splice(index..index, [0xff, 0xfe]);
        let diagnostics = parse("Bad.mtm", &bytes).expect_err("invalid UTF-8 is an error");
        let before = std::str::from_utf8(&bytes[..index]).expect("valid prefix");
        prop_assert_eq!(diagnostics[0].line, before.matches('\n').count() + 1);
        check_diagnostics("Bad.mtm", &bytes)?;
    }
}
