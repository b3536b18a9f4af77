//! The bundled protocols: bugs found, correct versions clean, replays exact.
