//! How many newlines a match of a regex can hold, from its syntax tree.

use regex_syntax::hir::{Class, Hir, HirKind, Look};

use super::translate_js_regex;

/// The most newlines a match of the JavaScript regex `js` can hold, or `None` when that is
/// unbounded, or when the regex uses text anchors (`\A`, `\z`, or `^`/`$` outside
/// multi-line mode) or CRLF mode, which look beyond the line a window holds.
pub(crate) fn newline_bound(js: &str) -> Option<usize> {
    let hir = regex_syntax::ParserBuilder::new()
        .multi_line(true)
        .build()
        .parse(&translate_js_regex(js))
        .ok()?;
    hir_newlines(&hir)
}

fn hir_newlines(hir: &Hir) -> Option<usize> {
    match hir.kind() {
        HirKind::Empty => Some(0),
        HirKind::Literal(literal) => Some(memchr::memchr_iter(b'\n', &literal.0).count()),
        HirKind::Class(Class::Unicode(class)) => Some(usize::from(
            class
                .ranges()
                .iter()
                .any(|range| range.start() <= '\n' && '\n' <= range.end()),
        )),
        HirKind::Class(Class::Bytes(class)) => Some(usize::from(
            class
                .ranges()
                .iter()
                .any(|range| range.start() <= b'\n' && b'\n' <= range.end()),
        )),
        HirKind::Look(Look::Start | Look::End | Look::StartCRLF | Look::EndCRLF) => None,
        HirKind::Look(_) => Some(0),
        HirKind::Repetition(repetition) => {
            let inner = hir_newlines(&repetition.sub)?;
            if inner == 0 {
                Some(0)
            } else {
                inner.checked_mul(usize::try_from(repetition.max?).ok()?)
            }
        }
        HirKind::Capture(capture) => hir_newlines(&capture.sub),
        HirKind::Concat(items) => items
            .iter()
            .try_fold(0usize, |sum, item| sum.checked_add(hir_newlines(item)?)),
        HirKind::Alternation(items) => items
            .iter()
            .try_fold(0usize, |most, item| Some(most.max(hir_newlines(item)?))),
    }
}

#[cfg(test)]
mod tests {
    use super::newline_bound;
    use crate::SHIVIZ_DEFAULT_REGEX;

    const DELIMITER: &str = r"^=== (?<trace>.*) ===$";

    #[test]
    fn newline_bounds_of_real_regexes() {
        assert_eq!(newline_bound(SHIVIZ_DEFAULT_REGEX), Some(1));
        assert_eq!(
            newline_bound(r"(?<host>\S*) (?<clock>{.*})\n(?<event>.*)"),
            Some(1)
        );
        assert_eq!(newline_bound(DELIMITER), Some(0));
        assert_eq!(
            newline_bound(
                r#"^State [0-9]+: <(?<event>\w*) .*>\n\/\\ Host = (?<host>.*)\n\/\\ Clock = "(?<clock>.*)"\n\/\\ active = (?<active>.*)\n\/\\ color = (?<color>.*)\n\/\\ counter = (?<counter>.*)"#
            ),
            Some(5)
        );
        assert_eq!(newline_bound(r"(a\nb){2,3}(?<host>x)"), Some(3));
        assert_eq!(newline_bound(r"(a\n|b\n\n)(?<host>x)"), Some(2));
        // `[^ ]` and `\s` match newlines; `\A` looks at the start of the whole text.
        assert_eq!(
            newline_bound(r"\[(?<date>([^ ]+ [^ ]+))\] (?<clock>.*\})"),
            None
        );
        assert_eq!(
            newline_bound(r"(?<event>.*)\s*(?<host>\S*) (?<clock>{.*})"),
            None
        );
        assert_eq!(newline_bound(r"\A(?<host>\S*) (?<clock>{.*})"), None);
        assert_eq!(newline_bound(r"(?s)(?<host>.*) (?<clock>{.*})"), None);
        assert_eq!(newline_bound(r"(\n)+"), None);
    }
}
