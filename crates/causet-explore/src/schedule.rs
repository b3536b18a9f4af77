//! Schedules and their text form (what `--replay` takes).

use std::fmt;
use std::str::FromStr;

use crate::{ExploreError, MessageId};

/// The deliveries of one execution, in order: a replayable counterexample.
///
/// Text form: the [`MessageId`]s joined by commas (`0.1,1.1,0.2`); the empty string is the
/// execution with no delivery (the nodes' starts only).
///
/// ```
/// use causet_explore::Schedule;
///
/// let schedule: Schedule = "0.1,2.1,1.3".parse()?;
/// assert_eq!(schedule.len(), 3);
/// assert_eq!(schedule.to_string(), "0.1,2.1,1.3");
/// assert!("0.1,x".parse::<Schedule>().is_err());
/// Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Schedule(pub Vec<MessageId>);

impl Schedule {
    /// Number of deliveries.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there is no delivery.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The deliveries.
    pub fn steps(&self) -> &[MessageId] {
        &self.0
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, id) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{id}")?;
        }
        Ok(())
    }
}

/// Longest schedule text accepted (a bound on what a typo can allocate).
const MAX_SCHEDULE_STEPS: usize = 10_000_000;

impl FromStr for Schedule {
    type Err = ExploreError;
    fn from_str(text: &str) -> Result<Self, ExploreError> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(Schedule::default());
        }
        let bad = |position: usize, reason: &str| ExploreError::Schedule {
            position,
            reason: reason.to_string(),
        };
        let mut steps = Vec::new();
        for (i, item) in text.split(',').enumerate() {
            if i >= MAX_SCHEDULE_STEPS {
                return Err(bad(i + 1, "too many steps"));
            }
            let item = item.trim();
            let (from, seq) = item
                .split_once('.')
                .ok_or_else(|| bad(i + 1, &format!("{item:?} is not SENDER.NUMBER")))?;
            let number = |s: &str| s.parse::<u32>().ok();
            let (Some(from), Some(seq)) = (number(from), number(seq)) else {
                return Err(bad(i + 1, &format!("{item:?} is not SENDER.NUMBER")));
            };
            if seq == 0 {
                return Err(bad(i + 1, "send numbers start at 1"));
            }
            steps.push(MessageId { from, seq });
        }
        Ok(Schedule(steps))
    }
}
