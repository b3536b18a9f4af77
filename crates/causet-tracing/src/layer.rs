//! The `tracing` layer: every event of the current node logged as a causet event.

use std::fmt::{self, Write as _};

use causet_runtime::Priority;
use tracing_core::field::{Field, Visit};
use tracing_core::span::{Attributes, Id};
use tracing_core::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

use crate::NodeHandle;
use crate::handle::{Key, Nodes, pop_current, push_current};

/// The span field that names a node: `info_span!("job", causet.node = "worker")`.
pub const NODE_FIELD: &str = "causet.node";

/// A [`tracing_subscriber::Layer`] that logs every `tracing` event as a local event of the
/// current causet node, with the event's fields as ShiViz fields.
///
/// **Which node.** The event's node is, in this order: the node of the span the event names
/// as its parent (`info!(parent: &span, …)`), if that span or an ancestor names one; the
/// node current in this task ([`NodeHandle::scope`], [`NodeHandle::enter`], or an entered
/// span with a [`NODE_FIELD`] field); the layer's default node. So a tokio service with
/// many tasks is one node (the default) unless the user says otherwise, and a node set by
/// `scope` or a span follows its task across threads. An event with no node is skipped.
///
/// **Which events.** Those at [`with_level`](Self::with_level) (default `INFO`) or more
/// severe. `ERROR`, `WARN`, `INFO` map to [`Priority::Error`], [`Priority::Warning`],
/// [`Priority::Info`]; `DEBUG` and `TRACE` to [`Priority::Debug`], which the node's own
/// minimum priority filters as usual.
///
/// **What is logged.** The event's `message` as the text (its name when it has none), and
/// the fields `level`, `target` and every other field of the event, written as
/// [`crate::log`] describes; [`merge_logs`](crate::merge_logs) turns them into ShiViz
/// fields that `causet check`, `analyze`, `render` and the viewer read without `--regex`.
///
/// ```
/// use tracing_subscriber::layer::SubscriberExt;
/// use causet_tracing::{CausetLayer, Nodes};
///
/// let nodes = Nodes::in_memory();
/// let service = nodes.node("service")?;
/// let layer = CausetLayer::new().with_default_node(service.clone()).with_nodes(nodes.clone());
/// let subscriber = tracing_subscriber::registry().with(layer);
/// tracing::subscriber::with_default(subscriber, || {
///     tracing::info!(target: "shop", order = 7, "order placed");
///     tracing::debug!("not logged: below INFO");
///     let span = tracing::info_span!("job", causet.node = "worker");
///     let _in_worker = span.enter();
///     tracing::warn!("worker event");
/// });
/// let log = String::from_utf8(service.lock().log().memory_bytes().to_vec())?;
/// assert_eq!(log, "service {\"service\":1}\norder placed\tlevel=INFO\torder=7\ttarget=shop\n");
/// let worker = nodes.node("worker")?;
/// assert_eq!(worker.lock().clock().to_string(), r#"{"worker":1}"#);
/// Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct CausetLayer {
    default: Option<NodeHandle>,
    nodes: Option<Nodes>,
    level: Level,
}

impl Default for CausetLayer {
    fn default() -> Self {
        CausetLayer::new()
    }
}

impl CausetLayer {
    /// A layer with no default node, logging `INFO` and above.
    pub fn new() -> Self {
        CausetLayer {
            default: None,
            nodes: None,
            level: Level::INFO,
        }
    }

    /// The node of events that no span, scope or guard assigns.
    pub fn with_default_node(mut self, node: NodeHandle) -> Self {
        self.default = Some(node);
        self
    }

    /// Where spans with a [`NODE_FIELD`] field find (or create) their node; without it such
    /// spans are ignored.
    pub fn with_nodes(mut self, nodes: Nodes) -> Self {
        self.nodes = Some(nodes);
        self
    }

    /// The most verbose level logged (default `INFO`).
    pub fn with_level(mut self, level: Level) -> Self {
        self.level = level;
        self
    }

    fn node_of<S>(&self, event: &Event<'_>, ctx: &Context<'_, S>) -> Option<NodeHandle>
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        if event.parent().is_some()
            && let Some(scope) = ctx.event_scope(event)
        {
            for span in scope {
                if let Some(node) = span.extensions().get::<SpanNode>() {
                    return Some(node.0.clone());
                }
            }
        }
        NodeHandle::current().or_else(|| self.default.clone())
    }
}

/// The node a span names, in its extensions.
struct SpanNode(NodeHandle);

/// Finds the [`NODE_FIELD`] of a span.
#[derive(Default)]
struct NodeName(Option<String>);

impl Visit for NodeName {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == NODE_FIELD {
            self.0 = Some(value.to_string());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == NODE_FIELD {
            self.0 = Some(format!("{value:?}").trim_matches('"').to_string());
        }
    }
}

/// Collects an event's message and fields.
struct Fields {
    message: Option<String>,
    fields: Vec<(&'static str, String)>,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message = Some(value.to_string());
        } else {
            self.fields.push((field.name(), value.to_string()));
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let mut text = String::new();
        let _ = write!(text, "{value:?}");
        if field.name() == "message" {
            self.message = Some(text);
        } else {
            self.fields.push((field.name(), text));
        }
    }
}

fn priority(level: &Level) -> Priority {
    match *level {
        Level::ERROR => Priority::Error,
        Level::WARN => Priority::Warning,
        Level::INFO => Priority::Info,
        _ => Priority::Debug,
    }
}

impl<S> Layer<S> for CausetLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(nodes) = &self.nodes else {
            return;
        };
        if attrs.metadata().fields().field(NODE_FIELD).is_none() {
            return;
        }
        let mut name = NodeName::default();
        attrs.record(&mut name);
        if let Some(name) = name.0
            && let Ok(node) = nodes.node(&name)
            && let Some(span) = ctx.span(id)
        {
            span.extensions_mut().insert(SpanNode(node));
        }
    }

    fn on_enter(&self, id: &Id, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id)
            && let Some(node) = span.extensions().get::<SpanNode>()
        {
            push_current(Key::Span(id.into_u64()), node.0.clone());
        }
    }

    fn on_exit(&self, id: &Id, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id)
            && span.extensions().get::<SpanNode>().is_some()
        {
            pop_current(Key::Span(id.into_u64()));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let metadata = event.metadata();
        if *metadata.level() > self.level {
            return;
        }
        let Some(node) = self.node_of(event, &ctx) else {
            return;
        };
        let mut fields = Fields {
            message: None,
            fields: Vec::new(),
        };
        event.record(&mut fields);
        let level = metadata.level().as_str();
        let mut pairs: Vec<(&str, &str)> = Vec::with_capacity(fields.fields.len() + 2);
        pairs.push(("level", level));
        pairs.push(("target", metadata.target()));
        pairs.extend(
            fields
                .fields
                .iter()
                .map(|(name, value)| (*name, value.as_str())),
        );
        let text = fields.message.as_deref().unwrap_or(metadata.name());
        // A log that cannot be written has no one to tell here: the node keeps counting.
        let _ = node.log_event(priority(metadata.level()), text, &pairs);
    }
}
