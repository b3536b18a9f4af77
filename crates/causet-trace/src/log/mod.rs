//! Reading GoVector/ShiViz logs; check, analyze and order (under construction).
