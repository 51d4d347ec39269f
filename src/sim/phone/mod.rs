//! Virtual phones (under construction).
