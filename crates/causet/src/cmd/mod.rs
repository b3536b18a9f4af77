//! One module per subcommand; each exposes its clap arguments and a `run` function.

pub mod analyze;
pub mod check;
pub mod clock;
pub mod explore;
pub mod export;
pub mod memory;
pub mod node;
pub mod order;
pub mod pairs;
pub mod races;
pub mod render;
pub mod run;
pub mod view;

/// `text` with control characters escaped (`\u{1b}`): an error message quotes input (node
/// names, event text), and no input may drive the user's terminal.
pub fn printable(text: &str) -> String {
    printable_chars(text)
}

/// A path as shown to the user: [`printable`] (a file name is input too).
pub fn shown(path: &std::path::Path) -> String {
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
