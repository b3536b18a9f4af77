//! Shared nodes, the current node of a task, and the set of a process's nodes.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use causet_runtime::{LogFlush, Priority};

use crate::carrier::{Extractor, Injector};
use crate::log::{EventLog, MergeSummary, merge_logs};
use crate::{OpenNode, TraceError};

/// An [`OpenNode`] shared by the tasks and threads of one service: cheap to clone, locked
/// for each event (so that each event's tick and log line stay in order).
///
/// A handle can be made *current* for a piece of work, which is how the `tracing` layer
/// ([`CausetLayer`](crate::CausetLayer)) and the free functions [`inject`](crate::inject)
/// and [`extract`](crate::extract) find their node:
///
/// - [`scope`](Self::scope) wraps a future: the node is current while the future is polled,
///   on whichever thread polls it, so it follows the *task*, not the thread;
/// - [`enter`](Self::enter) makes it current on this thread until the guard drops, for
///   synchronous code;
/// - a `tracing` span with a `causet.node` field does the same while it is entered (see
///   [`CausetLayer`](crate::CausetLayer)).
///
/// ```
/// use causet_tracing::{EventLog, NodeHandle, OpenNode};
///
/// let node = NodeHandle::new(OpenNode::new("worker", EventLog::memory())?);
/// assert!(NodeHandle::current().is_none());
/// {
///     let _entered = node.enter();
///     assert_eq!(NodeHandle::current().map(|n| n.name().to_string()).as_deref(), Some("worker"));
/// }
/// assert!(NodeHandle::current().is_none());
/// Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct NodeHandle {
    shared: Arc<Shared>,
}

struct Shared {
    name: String,
    node: Mutex<OpenNode>,
}

impl std::fmt::Debug for NodeHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("NodeHandle")
            .field(&self.shared.name)
            .finish()
    }
}

impl PartialEq for NodeHandle {
    /// The same node (not merely the same name).
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

impl Eq for NodeHandle {}

/// What made a node current on a thread, so that it is removed by the same thing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Key {
    /// A [`scope`](NodeHandle::scope)'s poll or an [`enter`](NodeHandle::enter) guard.
    Guard(u64),
    /// An entered `tracing` span (its id).
    Span(u64),
}

thread_local! {
    /// The nodes made current on this thread, innermost last.
    static CURRENT: RefCell<Vec<(Key, NodeHandle)>> = const { RefCell::new(Vec::new()) };
}

static NEXT_GUARD: AtomicU64 = AtomicU64::new(0);

pub(crate) fn push_current(key: Key, node: NodeHandle) {
    CURRENT.with(|current| current.borrow_mut().push((key, node)));
}

pub(crate) fn pop_current(key: Key) {
    // `try_with`: a guard dropped during thread teardown finds no stack, which is fine.
    let _ = CURRENT.try_with(|current| {
        let mut current = current.borrow_mut();
        if let Some(at) = current.iter().rposition(|(k, _)| *k == key) {
            current.remove(at);
        }
    });
}

impl NodeHandle {
    /// Shares `node`.
    pub fn new(node: OpenNode) -> Self {
        NodeHandle {
            shared: Arc::new(Shared {
                name: node.name().to_string(),
                node: Mutex::new(node),
            }),
        }
    }

    /// The node's name.
    pub fn name(&self) -> &str {
        &self.shared.name
    }

    /// Locks the node for direct use (every [`OpenNode`] method). A panic of another
    /// holder does not poison it: the node's state is consistent after every method.
    pub fn lock(&self) -> MutexGuard<'_, OpenNode> {
        self.shared
            .node
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The node current in this task or thread (the innermost), if any.
    pub fn current() -> Option<NodeHandle> {
        CURRENT
            .try_with(|current| current.borrow().last().map(|(_, node)| node.clone()))
            .ok()
            .flatten()
    }

    /// Ticks and logs a local event.
    pub fn log_local(&self, text: &str) -> Result<(), TraceError> {
        self.lock().log_local(text)
    }

    /// A local event with a priority and fields ([`OpenNode::log_event`]).
    pub fn log_event(
        &self,
        priority: Priority,
        text: &str,
        fields: &[(&str, &str)],
    ) -> Result<(), TraceError> {
        self.lock().log_event(priority, text, fields)
    }

    /// A send event `text` whose stamp goes into `carrier` ([`OpenNode::inject`]).
    pub fn inject(&self, text: &str, carrier: &mut impl Injector) -> Result<(), TraceError> {
        self.lock().inject(Priority::Info, text, &[], carrier)
    }

    /// A receive event `text` of the stamp in `carrier`, if it holds one
    /// ([`OpenNode::extract`]).
    pub fn extract(&self, text: &str, carrier: &impl Extractor) -> Result<bool, TraceError> {
        self.lock().extract(Priority::Info, text, &[], carrier)
    }

    /// A send event `text` whose stamp is appended to `out` as a byte prefix (the payload
    /// goes after it; [`OpenNode::send_prefix`]).
    pub fn inject_prefix(&self, text: &str, out: &mut Vec<u8>) -> Result<(), TraceError> {
        self.lock().send_prefix(Priority::Info, text, out)
    }

    /// A receive event `text` of a message with a byte-prefix stamp; returns the payload
    /// ([`OpenNode::unpack_receive`]).
    pub fn extract_prefix<'a>(
        &self,
        text: &str,
        message: &'a [u8],
    ) -> Result<&'a [u8], TraceError> {
        self.lock().unpack_receive(text, message)
    }

    /// `future`, with this node current whenever it is polled.
    pub fn scope<F: Future>(&self, future: F) -> Scoped<F> {
        Scoped {
            node: self.clone(),
            future,
        }
    }

    /// Makes this node current on this thread until the guard is dropped. Not for holding
    /// across an `.await` (the guard is not `Send`): use [`scope`](Self::scope) there.
    pub fn enter(&self) -> Entered {
        let key = Key::Guard(NEXT_GUARD.fetch_add(1, Ordering::Relaxed));
        push_current(key, self.clone());
        Entered {
            key,
            _not_send: std::marker::PhantomData,
        }
    }
}

/// The guard of [`NodeHandle::enter`].
#[derive(Debug)]
#[must_use = "the node is current only while the guard lives"]
pub struct Entered {
    key: Key,
    _not_send: std::marker::PhantomData<*const ()>,
}

impl Drop for Entered {
    fn drop(&mut self) {
        pop_current(self.key);
    }
}

pin_project_lite::pin_project! {
    /// A future with its node ([`NodeHandle::scope`]).
    #[derive(Debug)]
    pub struct Scoped<F> {
        node: NodeHandle,
        #[pin]
        future: F,
    }
}

impl<F: Future> Future for Scoped<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let _entered = this.node.enter();
        this.future.poll(cx)
    }
}

/// A send event on the current node: its stamp goes into `carrier`
/// ([`NodeHandle::inject`] with the text `send`).
pub fn inject(carrier: &mut impl Injector) -> Result<(), TraceError> {
    NodeHandle::current()
        .ok_or(TraceError::NoCurrentNode)?
        .inject("send", carrier)
}

/// A receive event on the current node of the stamp in `carrier`, if it holds one
/// ([`NodeHandle::extract`] with the text `receive`).
pub fn extract(carrier: &impl Extractor) -> Result<bool, TraceError> {
    NodeHandle::current()
        .ok_or(TraceError::NoCurrentNode)?
        .extract("receive", carrier)
}

/// The nodes of one process, each logging to `DIR/NAME.log`, created when first asked
/// for; cheap to clone. What the `tracing` layer uses for spans that name a node, and
/// what merges the logs at the end.
///
/// ```
/// use causet_tracing::{LogFlush, Nodes};
///
/// let dir = tempfile::tempdir()?;
/// let nodes = Nodes::in_dir(dir.path(), LogFlush::EachEvent)?;
/// let gateway = nodes.node("gateway")?;
/// assert_eq!(nodes.node("gateway")?, gateway); // the same node
/// gateway.log_local("up")?;
/// let summary = nodes.merge(&dir.path().join("causet.log"))?;
/// assert_eq!(summary.events, 1);
/// Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Nodes {
    shared: Arc<NodesShared>,
}

#[derive(Debug)]
struct NodesShared {
    /// `None`: logs in memory.
    dir: Option<PathBuf>,
    flush: LogFlush,
    nodes: Mutex<BTreeMap<String, NodeHandle>>,
}

impl Nodes {
    /// Nodes logging to files in `dir` (created if missing).
    pub fn in_dir(dir: impl AsRef<Path>, flush: LogFlush) -> Result<Self, TraceError> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir)
            .map_err(|err| TraceError::io(format!("cannot create {}", dir.display()), err))?;
        Ok(Nodes::with(Some(dir.to_path_buf()), flush))
    }

    /// Nodes logging in memory ([`EventLog::memory`]; for tests).
    pub fn in_memory() -> Self {
        Nodes::with(None, LogFlush::EachEvent)
    }

    fn with(dir: Option<PathBuf>, flush: LogFlush) -> Self {
        Nodes {
            shared: Arc::new(NodesShared {
                dir,
                flush,
                nodes: Mutex::new(BTreeMap::new()),
            }),
        }
    }

    fn map(&self) -> MutexGuard<'_, BTreeMap<String, NodeHandle>> {
        self.shared
            .nodes
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The node `name`, created (its log file truncated) when first asked for.
    pub fn node(&self, name: &str) -> Result<NodeHandle, TraceError> {
        let mut nodes = self.map();
        if let Some(node) = nodes.get(name) {
            return Ok(node.clone());
        }
        causet_runtime::validate_name(name)?;
        let log = match &self.shared.dir {
            Some(dir) => EventLog::file(&dir.join(format!("{name}.log")), self.shared.flush)?,
            None => EventLog::memory(),
        };
        let node = NodeHandle::new(OpenNode::new(name, log)?);
        nodes.insert(name.to_string(), node.clone());
        Ok(node)
    }

    /// Every node so far, by name.
    pub fn handles(&self) -> Vec<NodeHandle> {
        self.map().values().cloned().collect()
    }

    /// The log files of the nodes so far (none for memory logs).
    pub fn log_paths(&self) -> Vec<PathBuf> {
        match &self.shared.dir {
            Some(dir) => self
                .map()
                .keys()
                .map(|name| dir.join(format!("{name}.log")))
                .collect(),
            None => Vec::new(),
        }
    }

    /// Flushes every node's log.
    pub fn flush(&self) -> Result<(), TraceError> {
        self.handles()
            .iter()
            .try_for_each(|node| node.lock().flush())
    }

    /// Flushes, then merges every node's log into the ShiViz upload file `out`
    /// ([`merge_logs`]).
    pub fn merge(&self, out: &Path) -> Result<MergeSummary, TraceError> {
        self.flush()?;
        merge_logs(&self.log_paths(), out)
    }
}
