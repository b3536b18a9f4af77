//! Differential vector clocks (Singhal–Kshemkalyani) — under construction.
