//! The classic lesson, with vector clocks: workers append to a global list.
//!
//! - As **processes**, each worker has its own memory, so each appends to its own copy of
//!   the list and sees only its own items; their events are all concurrent.
//! - As **threads**, the workers share one list behind a mutex; every worker sees the items
//!   of the others. The mutex is a synchronisation: the clock travels with the lock (release
//!   stamps it, acquire merges it, like a message), so the appends are ordered.
//!
//! Each append is logged with its clock (GoVector format). Run it with
//! `cargo run -p causet-runtime --example shared_list`, then look at the logs with
//! `causet analyze DIR/threads.log` (no concurrent appends) and
//! `causet analyze DIR/processes.log` (appends of different workers are concurrent).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use causet_runtime::{LogFlush, LogSink, Node, Roster, merge_logs};

const WORKERS: usize = 3;
const APPENDS: usize = 2;

/// The global list: one per process.
static LIST: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn roster() -> Arc<Roster> {
    Arc::new(Roster::new((0..WORKERS).map(|i| format!("worker{i}"))).expect("names"))
}

/// A worker process: appends to its own copy of `LIST` and logs each append.
fn process_worker(index: usize, dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let log = LogSink::file(
        &dir.join(format!("process-worker{index}.log")),
        LogFlush::EachEvent,
    )?;
    let mut node = Node::with_index(roster(), index, log)?;
    for item in 0..APPENDS {
        let mut list = LIST.lock().map_err(|_| "poisoned")?;
        list.push(format!("worker{index}-{item}"));
        node.log_local(&format!("append worker{index}-{item}: list is {list:?}"))?;
    }
    let list = LIST.lock().map_err(|_| "poisoned")?;
    println!(
        "  process worker{index} sees {} items: {list:?}",
        list.len()
    );
    Ok(())
}

/// The shared list of the thread version: items plus who released the lock last, with the
/// stamp of that release.
struct Shared {
    items: Vec<String>,
    released: Option<(usize, Vec<u8>)>,
}

fn threads(dir: &Path) -> Result<Vec<PathBuf>, Box<dyn std::error::Error>> {
    let shared = Arc::new(Mutex::new(Shared {
        items: Vec::new(),
        released: None,
    }));
    let roster = roster();
    let mut handles = Vec::new();
    let mut paths = Vec::new();
    for index in 0..WORKERS {
        let path = dir.join(format!("thread-worker{index}.log"));
        let mut node = Node::with_index(
            roster.clone(),
            index,
            LogSink::file(&path, LogFlush::EachEvent)?,
        )?;
        paths.push(path);
        let shared = shared.clone();
        handles.push(std::thread::spawn(move || -> Result<(), String> {
            for item in 0..APPENDS {
                let mut guard = shared.lock().map_err(|_| "poisoned")?;
                // Acquire: merge the clock another worker released with the lock (a worker
                // taking the lock back from itself learns nothing new).
                if let Some((holder, stamp)) = guard.released.take()
                    && holder != index
                {
                    node.unpack_receive("acquire list", &stamp)
                        .map_err(|err| err.to_string())?;
                }
                guard.items.push(format!("worker{index}-{item}"));
                let text = format!("append worker{index}-{item}: list is {:?}", guard.items);
                node.log_local(&text).map_err(|err| err.to_string())?;
                // Release: the lock carries this clock to the next holder.
                let stamp = node
                    .prepare_send("release list", b"")
                    .map_err(|err| err.to_string())?;
                guard.released = Some((index, stamp));
            }
            Ok(())
        }));
    }
    for handle in handles {
        handle.join().map_err(|_| "a worker panicked")??;
    }
    let items = &shared.lock().map_err(|_| "poisoned")?.items;
    println!(
        "  all threads share one list of {} items: {items:?}",
        items.len()
    );
    Ok(paths)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if let [_, role, index, dir] = &args[..]
        && role == "worker"
    {
        return process_worker(index.parse()?, Path::new(dir));
    }
    let dir = std::env::temp_dir().join("causet-shared-list");
    std::fs::create_dir_all(&dir)?;

    println!("As processes (each has its own copy of the global list):");
    let exe = std::env::current_exe()?;
    let mut paths = Vec::new();
    for index in 0..WORKERS {
        let status = Command::new(&exe)
            .args(["worker", &index.to_string()])
            .arg(&dir)
            .status()?;
        if !status.success() {
            return Err(format!("worker {index} failed: {status}").into());
        }
        paths.push(dir.join(format!("process-worker{index}.log")));
    }
    let processes = merge_logs(&paths, &dir.join("processes.log"))?;
    println!(
        "  {} events logged, merged in {}",
        processes.events,
        processes.path.display()
    );

    println!("As threads (one list in shared memory, behind a mutex):");
    let paths = threads(&dir)?;
    let threads = merge_logs(&paths, &dir.join("threads.log"))?;
    println!(
        "  {} events logged, merged in {}",
        threads.events,
        threads.path.display()
    );
    println!(
        "Try: causet analyze {} (appends of different workers are concurrent) and causet analyze {} (none are)",
        processes.path.display(),
        threads.path.display()
    );
    Ok(())
}
