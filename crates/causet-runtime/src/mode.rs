//! [`Mode`]: how a set of nodes is hosted (OS processes, OS threads or tokio tasks), the one
//! choice behind `causet run --mode`, `causet explore --host` and [`Host::mode`](crate::Host::mode).

use std::fmt;
use std::str::FromStr;

use crate::RuntimeError;

/// How the nodes of a cluster are hosted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Each node an OS process, messages over TCP on 127.0.0.1.
    Process,
    /// Each node an OS thread, messages over channels.
    Thread,
    /// Each node a tokio task on a multi-threaded runtime, messages over channels
    /// (thousands of nodes on a few threads).
    Task,
}

impl Mode {
    /// Every mode, in the order help texts list them.
    pub const ALL: [Mode; 3] = [Mode::Process, Mode::Thread, Mode::Task];

    /// The mode's name, as [`FromStr`] reads it and the command line spells it.
    ///
    /// ```
    /// use causet_runtime::Mode;
    /// for mode in Mode::ALL {
    ///     assert_eq!(mode.name().parse::<Mode>()?, mode);
    /// }
    /// assert!("fiber".parse::<Mode>().is_err());
    /// # Ok::<(), causet_runtime::RuntimeError>(())
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Mode::Process => "process",
            Mode::Thread => "thread",
            Mode::Task => "task",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Mode {
    type Err = RuntimeError;
    fn from_str(text: &str) -> Result<Self, RuntimeError> {
        Mode::ALL
            .into_iter()
            .find(|mode| mode.name() == text)
            .ok_or_else(|| {
                RuntimeError::config(format!("unknown mode {text:?} (process, thread or task)"))
            })
    }
}
