//! Happens-before data races in RAPID STD traces (under construction).
