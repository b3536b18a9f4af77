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

/// What a long command is doing, as a spinner with the elapsed time on stderr, when stderr
/// is a terminal (never when it is not: scripts and tests read it). Big runs and searches
/// take tens of seconds or more; without it the command would be silent all that time.
pub(crate) struct Status(Option<indicatif::ProgressBar>);

impl Status {
    /// A spinner `COMMAND: running WHAT (elapsed)`.
    pub(crate) fn start(command: &str, what: String) -> Status {
        use std::io::IsTerminal;
        if !std::io::stderr().is_terminal() {
            return Status(None);
        }
        let bar = indicatif::ProgressBar::new_spinner();
        let template = format!("{{spinner}} {command}: {{msg}} ({{elapsed}})");
        bar.set_style(
            indicatif::ProgressStyle::with_template(&template)
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        bar.set_message(format!("running {what}"));
        bar.enable_steady_tick(std::time::Duration::from_millis(200));
        Status(Some(bar))
    }

    /// Replaces the message.
    pub(crate) fn phase(&self, what: &str) {
        if let Some(bar) = &self.0 {
            bar.set_message(what.to_string());
        }
    }
}

impl Drop for Status {
    fn drop(&mut self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

/// A flag set by the first SIGTERM, SIGINT (Ctrl-C) or SIGHUP, for a command that stops
/// its work cleanly and still reports (`causet run` stops its nodes and merges their logs;
/// `causet explore` ends its search and reports how far it got). A second signal ends the
/// command at once (exit 1), as the signal's default action would.
pub(crate) fn stop_on_signals() -> anyhow::Result<std::sync::Arc<std::sync::atomic::AtomicBool>> {
    use anyhow::Context;
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    use std::sync::Arc;
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    for signal in [SIGTERM, SIGINT, SIGHUP] {
        // Registered first, so it runs first: exits when the flag is already set.
        signal_hook::flag::register_conditional_shutdown(signal, 1, Arc::clone(&stop))
            .context("cannot handle signals")?;
        signal_hook::flag::register(signal, Arc::clone(&stop)).context("cannot handle signals")?;
    }
    Ok(stop)
}
