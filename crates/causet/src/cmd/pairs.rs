//! The one reader of pairs files (`causet order --pairs`, `causet clock compare --pairs`):
//! one pair per line, read from a file or from standard input (`-`), streamed.
//!
//! Rules, the same for both: blank lines and lines starting with `#` are skipped; `\r\n`
//! endings are accepted; a line that is not UTF-8 is an error naming the file and line; the
//! two halves are split at whitespace (event ids) or at a tab (clocks, which hold spaces).

use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};

/// How a line splits into its two halves.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Split {
    /// Two words separated by spaces or tabs (event ids `A B`).
    Whitespace,
    /// At the first tab (clocks `A<TAB>B`); the halves are kept as written.
    Tab,
}

/// One pair: its line number, its halves, and the 0-based byte column of each in the line.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pair<'a> {
    /// 1-based line number.
    pub line: usize,
    /// The first half and its column.
    pub a: (&'a str, usize),
    /// The second half and its column.
    pub b: (&'a str, usize),
}

/// Calls `each(name, pair)` for every pair of `path` (`-`: standard input), in order;
/// `name` is the file as error messages name it (`<stdin>` for standard input). `expected`
/// says what a line holds, for the error on a line that does not split in two.
pub(crate) fn for_each_pair(
    path: &Path,
    split: Split,
    expected: &str,
    mut each: impl FnMut(&str, Pair<'_>) -> Result<()>,
) -> Result<()> {
    let (name, mut reader): (String, Box<dyn BufRead>) = if path == Path::new("-") {
        ("<stdin>".to_owned(), Box::new(io::stdin().lock()))
    } else {
        let name = super::shown(path);
        let file = File::open(path).with_context(|| format!("{name}: cannot read"))?;
        (name, Box::new(BufReader::with_capacity(1 << 16, file)))
    };
    let mut raw = Vec::new();
    let mut number = 0usize;
    loop {
        raw.clear();
        let read = reader
            .read_until(b'\n', &mut raw)
            .with_context(|| format!("{name}:{}: cannot read", number + 1))?;
        if read == 0 {
            return Ok(());
        }
        number += 1;
        let line = std::str::from_utf8(&raw)
            .map_err(|err| anyhow!("{name}:{number}: not UTF-8 text ({err})"))?;
        let line = line.strip_suffix('\n').unwrap_or(line);
        let line = line.strip_suffix('\r').unwrap_or(line);
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let halves = match split {
            Split::Tab => line
                .split_once('\t')
                .map(|(a, b)| ((a, 0), (b, a.len() + 1))),
            Split::Whitespace => {
                let mut words = line
                    .split_whitespace()
                    .map(|word| (word, word.as_ptr() as usize - line.as_ptr() as usize));
                match (words.next(), words.next(), words.next()) {
                    (Some(a), Some(b), None) => Some((a, b)),
                    _ => None,
                }
            }
        };
        let Some((a, b)) = halves else {
            bail!(
                "{name}:{number}: expected {expected}, found {}",
                super::printable(&format!("'{trimmed}'"))
            );
        };
        each(&name, Pair { line: number, a, b })?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (line, A, A's column, B, B's column).
    type Read = (usize, String, usize, String, usize);

    fn pairs(text: &str, split: Split) -> Result<Vec<Read>> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pairs.txt");
        std::fs::write(&path, text).unwrap();
        let mut out = Vec::new();
        for_each_pair(&path, split, "two things", |_, pair| {
            out.push((
                pair.line,
                pair.a.0.into(),
                pair.a.1,
                pair.b.0.into(),
                pair.b.1,
            ));
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn both_splits_skip_blanks_and_comments_and_take_crlf() {
        let text = "# header\n\n a:1  b:2 \r\n   \n# x y\nc:3\td:4\n";
        assert_eq!(
            pairs(text, Split::Whitespace).unwrap(),
            [
                (3, "a:1".into(), 1, "b:2".into(), 6),
                (6, "c:3".into(), 0, "d:4".into(), 4)
            ]
        );
        let text = "# header\n{\"a\":1}\t{\"b\": 2}\r\n\n";
        assert_eq!(
            pairs(text, Split::Tab).unwrap(),
            [(2, "{\"a\":1}".into(), 0, "{\"b\": 2}".into(), 8)]
        );
    }

    #[test]
    fn a_bad_line_is_named_by_file_and_line() {
        let err = pairs("a b\na b c\n", Split::Whitespace)
            .unwrap_err()
            .to_string();
        assert!(
            err.ends_with("pairs.txt:2: expected two things, found 'a b c'"),
            "{err}"
        );
        let err = pairs("{}\t{}\n{} {}\n", Split::Tab)
            .unwrap_err()
            .to_string();
        assert!(
            err.ends_with("pairs.txt:2: expected two things, found '{} {}'"),
            "{err}"
        );
        let err = pairs("a b\n\u{1b}[2J x y\n", Split::Whitespace)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("\\u{1b}[2J") && !err.contains('\u{1b}'),
            "{err}"
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bin.txt");
        std::fs::write(&path, b"a b\n\xff c\n").unwrap();
        let err = for_each_pair(&path, Split::Whitespace, "x", |_, _| Ok(())).unwrap_err();
        assert!(
            err.to_string().contains("bin.txt:2: not UTF-8 text"),
            "{err}"
        );
    }
}
