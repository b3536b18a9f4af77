//! Space-time diagrams as SVG (under construction).
