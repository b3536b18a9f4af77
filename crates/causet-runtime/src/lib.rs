//! Instrument message-passing programs with vector clocks, GoVector-style: stamp on send,
//! merge on receive, log every event in the GoVector/ShiViz format. The same node code runs
//! as OS processes, OS threads or async tasks (under construction).
#![deny(missing_docs)]
