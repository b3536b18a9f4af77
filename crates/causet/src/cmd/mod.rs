//! One module per subcommand; each exposes its clap arguments and a `run` function.

pub(crate) mod analyze;
pub(crate) mod check;
pub(crate) mod clock;
pub(crate) mod explore;
pub(crate) mod export;
pub(crate) mod memory;
pub(crate) mod node;
pub(crate) mod order;
pub(crate) mod pairs;
pub(crate) mod races;
pub(crate) mod render;
pub(crate) mod run;
pub(crate) mod view;

/// The parser of a host mode option (`--mode`, `--host`): process, thread or task, listed
/// in `--help` and checked by clap.
pub(crate) fn mode_parser() -> impl clap::builder::TypedValueParser<Value = causet_runtime::Mode> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(
        causet_runtime::Mode::ALL.map(causet_runtime::Mode::name),
    )
    .try_map(|name| name.parse::<causet_runtime::Mode>())
}

/// `text` with control characters escaped (`\u{1b}`): an error message quotes input (node
/// names, event text), and no input may drive the user's terminal.
pub(crate) fn printable(text: &str) -> String {
    printable_chars(text)
}

/// A path as shown to the user: [`printable`] (a file name is input too).
pub(crate) fn shown(path: &std::path::Path) -> String {
    printable_chars(&path.display().to_string())
}

fn printable_chars(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}
