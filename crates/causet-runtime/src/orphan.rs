//! Node processes die with their launcher, so a killed run leaves no orphans writing logs
//! (used by both process hosts: the demo cluster's and users' actors').

/// The kernel sends this process SIGKILL when its parent ends, however the parent ends
/// (SIGKILL included). A launcher already gone before the request is seen as a changed
/// parent, and the process leaves at once.
#[cfg(target_os = "linux")]
pub(crate) fn die_with_launcher() {
    use nix::sys::{prctl, signal::Signal};
    let parent = std::os::unix::process::parent_id();
    let armed = prctl::set_pdeathsig(Signal::SIGKILL).is_ok();
    if armed && std::os::unix::process::parent_id() != parent {
        std::process::exit(1);
    }
}

/// Elsewhere a node process ends when the launcher closes its control pipe or connection.
#[cfg(not(target_os = "linux"))]
pub(crate) fn die_with_launcher() {}
